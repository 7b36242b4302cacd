"""Reading approval requests: what a user may see, and what awaits their decision."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

from django.db.models import Q, QuerySet

from approvals.models import (
    ApprovalAction,
    ApprovalRequest,
    ApprovalStep,
    Approver,
    Decision,
    RequestState,
    StepState,
)
from approvals.services.approvers import VALIDATING_KINDS
from governance.access import restrict
from governance.models import Organization
from governance.services.grants import grants_held
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
