"""Reading approval requests: what a user may see, and what awaits their decision."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model, Q, QuerySet

from approvals.models import (
    ApprovalAction,
    ApprovalRequest,
    ApprovalStep,
    Approver,
    Decision,
    RequestState,
    StepState,
)
from approvals.services.approvers import VALIDATING_KINDS, _Node
from governance.access import restrict
from governance.models import Membership, Organization
from governance.models.hierarchy import model_for_level
from governance.permissions import permission_models
from governance.services.grants import grants_held, role_group_name
from measures.models import Measure


def requests_visible(user: Any, organization: Organization) -> QuerySet[ApprovalRequest]:
    """The requests of every measure ``user`` may see."""
    return restrict(ApprovalRequest.objects.all(), user, "view", organization=organization)


def _fill_terms(user: Any, organization: Organization) -> Q:
    """Steps ``user`` is an approver of, as one condition (the twin of ``may_fill``)."""
    deciding = restrict(Measure.objects.all(), user, "decide", organization=organization)
    validating = restrict(Measure.objects.all(), user, "validate", organization=organization)
    terms = [
        Q(approver=Approver.SPONSOR)
        & (Q(request__measure__sponsor_id=user.pk) | Q(request__measure__in=deciding.values("pk"))),
        Q(approver=Approver.CONTROLLER)
        & (
            Q(request__measure__controller_id=user.pk)
            | Q(request__measure__in=validating.values("pk"))
        ),
    ]
    for access in grants_held(user, organization):
        where = Q(approver=Approver.ROLE, role=access.role)
        if access.level == "measure":
            where &= Q(request__measure_id=access.node.pk)
        elif access.level != "organization":
            where &= Q(**{f"request__measure__{access.level}_id": access.node.pk})
        terms.append(where)
    return reduce(operator.or_, terms)


def requests_awaiting(user: Any, organization: Organization) -> QuerySet[ApprovalRequest]:
    """Pending requests with an active step ``user`` may fill now, duties respected: not their
    own, no benefit of a measure they own, no request they already filled a step of."""
    if not getattr(user, "pk", None):
        return ApprovalRequest.objects.for_org(organization).none()
    steps = (
        ApprovalStep.objects.for_org(organization)
        .filter(state=StepState.ACTIVE)
        .filter(_fill_terms(user, organization))
    )
    filled = ApprovalAction.objects.for_org(organization).filter(
        actor_id=user.pk, decision=Decision.APPROVE
    )
    return (
        requests_visible(user, organization)
        .filter(state=RequestState.PENDING, pk__in=steps.values("request_id"))
        .exclude(requested_by_id=user.pk)
        .exclude(pk__in=filled.values("request_id"))
        .exclude(Q(kind__in=VALIDATING_KINDS) & Q(measure__owner_id=user.pk))
    )


def request_rows(queryset: QuerySet[ApprovalRequest]) -> QuerySet[ApprovalRequest]:
    """What a list of requests shows, in a constant number of queries."""
    return queryset.select_related("measure", "requested_by", "decided_by").prefetch_related(
        "steps"
    )


def _permission_holders(measure: Measure, permission: str) -> Q:
    """Users holding ``permission`` on the measure, an ancestor or the organization, directly or
    through a role group: the grants ``can`` reads, as one condition on users."""
    org_id = measure.organization_id
    chain: list[tuple[type[Model], int]] = [(Organization, org_id)]
    chain += [
        (model_for_level(level), getattr(measure, f"{level}_id"))
        for level in measure.ancestor_levels()
    ]
    chain.append((Measure, measure.pk))
    memberships = get_user_model().groups.through.objects
    terms = Q(pk__in=[])
    for model, node_id in chain:
        user_table, group_table = permission_models(model)
        held = {"content_object_id": node_id, "permission__codename": permission}
        groups = group_table.objects.for_org(org_id).filter(**held).values("group_id")
        terms |= Q(pk__in=user_table.objects.for_org(org_id).filter(**held).values("user_id"))
        terms |= Q(pk__in=memberships.filter(group_id__in=groups).values("user_id"))
    return terms


def approvers_of_step(
    step: ApprovalStep, request: ApprovalRequest, measure: Measure
) -> QuerySet[Any]:
    """The active members who may fill ``step`` of ``request`` now, segregation of duties
    respected: not the requester, not the measure's owner for a validation, nobody who already
    approved a step of the request. One query (the twin of ``may_fill`` for every user)."""
    users = get_user_model().objects.filter(
        is_active=True,
        pk__in=Membership.objects.for_org(measure.organization_id).values("user_id"),
    )
    if step.approver == Approver.SPONSOR:
        where = _permission_holders(measure, "node_decide")
        if measure.sponsor_id:
            where |= Q(pk=measure.sponsor_id)
    elif step.approver == Approver.CONTROLLER:
        # Validating is never the owner's by grant (``never_own``): only as named controller.
        where = _permission_holders(measure, "node_validate") & ~Q(pk=measure.owner_id or 0)
        if measure.controller_id:
            where |= Q(pk=measure.controller_id)
    elif step.approver == Approver.ROLE and step.role:
        org_id = measure.organization_id
        nodes: list[Any] = [Organization(pk=org_id), measure]
        nodes += [
            _Node(level, getattr(measure, f"{level}_id"), org_id)
            for level in measure.ancestor_levels()
        ]
        names = [role_group_name(node, step.role) for node in nodes]
        where = Q(groups__name__in=names)
    else:
        return users.none()
    filled = ApprovalAction.objects.for_org(request.organization_id).filter(
        request_id=request.pk, decision=Decision.APPROVE, actor_id__isnull=False
    )
    users = users.filter(where).exclude(pk=request.requested_by_id)
    users = users.exclude(pk__in=filled.values("actor_id"))
    if request.kind in VALIDATING_KINDS and measure.owner_id:
        users = users.exclude(pk=measure.owner_id)
    return users.distinct().order_by("pk")
