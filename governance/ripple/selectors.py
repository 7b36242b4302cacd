"""Reads of exception cases for the inbox, the case page, the API and the navigation count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from governance.access import restrict
from governance.models import (
    CaseState,
    Cause,
    DecisionRecord,
    ExceptionCase,
    ForumMember,
    ImpactedMeasure,
    Organization,
)

MAX_AMOUNT = Decimal("1e15")


def cases_visible(user: Any, organization: Organization) -> QuerySet[ExceptionCase]:
    """Cases whose root measure ``user`` may see, each annotated with ``money``: whether they may
    see its financials (the value at risk)."""
    cases = ExceptionCase.objects.for_org(organization)
    with_money = restrict(cases, user, "view_financials", organization=organization)
    return (
        restrict(cases, user, "view", organization=organization)
        .annotate(money=Exists(with_money.filter(pk=OuterRef("pk"))))
        .select_related("root", "root__owner", "forum")
    )


def _mine(user: Any, organization: Organization) -> Q:
    """Cases of my measures (root or impacted), or before a forum I sit on."""
    impacted = ImpactedMeasure.objects.for_org(organization).filter(
        case_id=OuterRef("pk"), measure__owner_id=user.pk
    )
    forums = ForumMember.objects.for_org(organization).filter(user_id=user.pk).values("forum_id")
    return Q(root__owner_id=user.pk) | Q(Exists(impacted)) | Q(forum_id__in=forums)


@dataclass(frozen=True)
class CaseFilters:
    state: str = CaseState.OPEN
    scope: str = ""  # "" everything visible, "mine", "forums"
    cause: str = ""
    older_than_days: int | None = None
    min_value: Decimal | None = None
    sort: str = "-opened_at"


SORTS = {
    "-opened_at": ("-opened_at", "-id"),
    "opened_at": ("opened_at", "id"),
    "-value_at_risk": ("-value_at_risk", "-id"),
    "-slip_days": ("-slip_days", "-id"),
}


def parse_filters(data: Any) -> tuple[CaseFilters, dict[str, list[str]]]:
    """Filters from a query string; every bad value is named and left out."""
    errors: dict[str, list[str]] = {}
    state = str(data.get("state", CaseState.OPEN) or "")
    if state and state not in CaseState.values:
        errors["state"] = ["Choose open, decided or cleared."]
        state = CaseState.OPEN
    scope = str(data.get("scope", "") or "")
    if scope not in ("", "mine", "forums"):
        errors["scope"] = ["Choose mine or forums."]
        scope = ""
    cause = str(data.get("cause", "") or "")
    if cause and cause not in Cause.values:
        errors["cause"] = ["Choose a cause from the list."]
        cause = ""
    older: int | None = None
    raw = str(data.get("older_than_days", "") or "").strip()
    if raw:
        if raw.isdigit() and int(raw) <= 3650:
            older = int(raw)
        else:
            errors["older_than_days"] = ["Give a whole number of days (up to 3650)."]
    minimum: Decimal | None = None
    raw = str(data.get("min_value", "") or "").strip()
    if raw:
        try:
            minimum = Decimal(raw)
            if not minimum.is_finite() or abs(minimum) >= MAX_AMOUNT:
                raise ValueError
        except (ArithmeticError, ValueError):
            errors["min_value"] = ["Give an amount, e.g. 50000."]
            minimum = None
    sort = str(data.get("sort", "-opened_at") or "-opened_at")
    if sort not in SORTS:
        errors["sort"] = ["Sort by age, value at risk or slip."]
        sort = "-opened_at"
    return CaseFilters(state, scope, cause, older, minimum, sort), errors


def case_list(
    user: Any, organization: Organization, filters: CaseFilters, now: dt.datetime | None = None
) -> QuerySet[ExceptionCase]:
    """The inbox: visible cases, filtered and sorted, in one query."""
    cases = cases_visible(user, organization)
    if filters.state:
        cases = cases.filter(state=filters.state)
    if filters.scope == "mine":
        cases = cases.filter(_mine(user, organization))
    elif filters.scope == "forums":
        forums = ForumMember.objects.for_org(organization).filter(user_id=user.pk)
        cases = cases.filter(forum_id__in=forums.values("forum_id"))
    if filters.cause:
        cases = cases.filter(cause=filters.cause)
    if filters.older_than_days is not None:
        moment = (now or timezone.now()) - dt.timedelta(days=filters.older_than_days)
        cases = cases.filter(opened_at__lte=moment)
    if filters.min_value is not None:
        # An amount filter only finds what the user may see the amounts of.
        cases = cases.filter(money=True, value_at_risk__gte=filters.min_value)
    return cases.order_by(*SORTS[filters.sort])


def open_case_count(user: Any, organization: Organization) -> int:
    """Open cases of mine or before my forums: the number in the navigation (one query)."""
    return (
        cases_visible(user, organization)
        .filter(state=CaseState.OPEN)
        .filter(_mine(user, organization))
        .count()
    )


def case_impacted(case: ExceptionCase) -> list[ImpactedMeasure]:
    return list(
        ImpactedMeasure.objects.for_org(case.organization_id)
        .filter(case=case)
        .select_related(
            "measure", "measure__owner", "measure__project", "measure__function", "measure__program"
        )
        .order_by("depth", "measure__code")
    )


def case_reach_names(impacted: list[ImpactedMeasure]) -> dict[str, list[str]]:
    """The programs, projects and functions of the impacted rows (already loaded), by name."""
    found: dict[str, set[str]] = {"programs": set(), "projects": set(), "functions": set()}
    for row in impacted:
        measure = row.measure
        found["programs"].add(f"{measure.program.code} {measure.program.title}")
        found["projects"].add(f"{measure.project.code} {measure.project.title}")
        if measure.function is not None:
            found["functions"].add(measure.function.name)
    return {key: sorted(names) for key, names in found.items()}


def case_decisions(case: ExceptionCase) -> list[DecisionRecord]:
    return list(
        DecisionRecord.objects.for_org(case.organization_id)
        .filter(subject_type=ExceptionCase._meta.label_lower, subject_id=case.pk)
        .select_related("decided_by", "forum")
        .order_by("decided_at", "id")
    )
