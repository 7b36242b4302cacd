"""Reads of the governance app that views, the API and reports share."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from governance.access import restrict
from governance.models import DecisionRecord, HierarchyNode, Membership, Organization
from governance.models.hierarchy import hierarchy_models


def organizations_of(user: Any) -> QuerySet[Organization]:
    """The organizations a user belongs to, for the switcher."""
    if not getattr(user, "is_authenticated", False):
        return Organization.objects.none()
    return Organization.objects.filter(pk__in=user.memberships.values("organization_id")).order_by(
        "name"
    )


def node_list(
    *,
    model: type[HierarchyNode],
    user: Any,
    organization: Organization,
    parent: HierarchyNode | None = None,
    include_archived: bool = False,
    search: str = "",
) -> QuerySet[Any]:
    """Visible nodes of one level, optionally under ``parent`` (any ancestor level)."""
    queryset = restrict(model.objects.all(), user, "view", organization=organization)
    if parent is not None:
        queryset = queryset.filter(**{f"{parent.LEVEL}_id": parent.pk})
    if not include_archived:
        queryset = queryset.filter(archived_at__isnull=True)
    if search:
        queryset = queryset.filter(Q(code__icontains=search) | Q(title__icontains=search))
    related = ["owner", *model.ancestor_levels()]
    return queryset.select_related(*related).order_by("code", "pk")


def child_counts(*, node: HierarchyNode, user: Any) -> dict[str, int]:
    """How many visible live nodes of each lower level sit under ``node``: one query per level."""
    counts: dict[str, int] = {}
    for model in hierarchy_models():
        if node.LEVEL in model.ancestor_levels():
            counts[model.LEVEL] = (
                restrict(model.objects.all(), user, "view", organization=node.organization_id)
                .filter(**{f"{node.LEVEL}_id": node.pk}, archived_at__isnull=True)
                .aggregate(n=Count("pk"))["n"]
            )
    return counts


def member_list(*, organization: Organization, search: str = "") -> QuerySet[Membership]:
    """Members of ``organization`` with their accounts, by name; every word of ``search`` must
    match the username, first or last name or email."""
    queryset = Membership.objects.for_org(organization).select_related("user")
    for word in search.split():
        queryset = queryset.filter(
            Q(user__username__icontains=word)
            | Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(user__email__icontains=word)
        )
    return queryset.order_by("user__first_name", "user__last_name", "user__username", "pk")


# Venues whose records carry amounts: shown only to who may see the measure's financials.
MONEY_VENUES = ("validation_queue", "change_control")


def decisions_visible(user: Any, organization: Organization) -> QuerySet[DecisionRecord]:
    """The decision log as ``user`` may read it: records of measures they may see, and those
    carrying amounts only where they may see financials. Newest first, people loaded."""
    records = DecisionRecord.objects.for_org(organization)
    visible = restrict(records, user, "view", organization=organization)
    with_money = restrict(records, user, "view_financials", organization=organization)
    return (
        visible.filter(
            ~Q(venue__in=MONEY_VENUES)
            | Q(pk__in=with_money.filter(venue__in=MONEY_VENUES).values("pk"))
        )
        .select_related("decided_by", "measure", "forum")
        .order_by("-decided_at", "-id")
    )
