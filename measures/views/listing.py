"""The measure list, with the filters the dashboards drill down with.

Beside the hierarchy filters every level's list has (``portfolio``, ``program``, ``project``,
``package``), measures filter by ``stage`` (one or several, comma-separated), ``function``,
``business_unit``, ``legal_entity`` (an id or ``none``), ``owner``, ``id``, and by what is open
about them: ``case=open`` (root of an open exception case, optionally ``case_age`` and
``case_forum``), ``approval=pending`` (optionally ``approval_age``) and ``effort_function``
(hours planned by people of that function, in ``period_from`` to ``period_to``). A value that names
nothing is left out with a message; the visibility is the list's own (``restrict``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from approvals.models import ApprovalRequest, RequestState
from governance.models import CaseState, ExceptionCase, Organization
from governance.views.hierarchy import NodeListView
from measures.models import DoI, Effort, Measure

AGE_BOUNDS: dict[str, tuple[int, int | None]] = {
    "0-7": (0, 7),
    "8-30": (8, 30),
    "31-90": (31, 90),
    "91+": (91, None),
}
UNIT_FILTERS = ("function", "business_unit", "legal_entity")
LABELS = {
    "stage": "stage",
    "function": "function",
    "business_unit": "business unit",
    "legal_entity": "legal entity",
    "owner": "owner",
    "id": "measure",
    "portfolio": "portfolio",
    "program": "program",
    "project": "project",
    "case": "exception state",
    "case_age": "exception age",
    "case_forum": "forum",
    "approval": "approval state",
    "approval_age": "approval age",
    "effort_function": "function of the people",
    "period_from": "first month",
    "period_to": "last month",
}
DRILL_KEYS = tuple(LABELS)


def _age_window(field: str, bucket: str, now: dt.datetime) -> Q:
    low, high = AGE_BOUNDS[bucket]
    where = Q(**{f"{field}__lte": now - dt.timedelta(days=low)})
    if high is not None:
        where &= Q(**{f"{field}__gt": now - dt.timedelta(days=high + 1)})
    return where


def _null_or_id(field: str, raw: str) -> dict[str, Any]:
    """``none`` → the field is empty; an id → the field is that row."""
    if raw == "none":
        return {f"{field}__isnull": True}
    return {f"{field}_id": int(raw)}


def _month(raw: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        return None


def measure_drill_filters(
    queryset: QuerySet[Measure], params: Any, *, organization: Organization
) -> tuple[QuerySet[Measure], dict[str, str], list[str]]:
    """``queryset`` narrowed by the drill-down ``params``: ``(queryset, applied, errors)``."""
    applied: dict[str, str] = {}
    errors: list[str] = []
    now = timezone.now()

    def bad(name: str, raw: str) -> None:
        errors.append(f"No {LABELS[name]} “{raw[:40]}”: that filter is left out.")

    def ident(name: str) -> str | None:
        raw = str(params.get(name, "") or "").strip()
        if not raw:
            return None
        if raw == "none" or raw.isdigit():
            return raw
        bad(name, raw)
        return None

    for name in ("portfolio", "program", "project", "id", "owner"):
        raw = ident(name)
        if raw is None or raw == "none":
            continue
        queryset = queryset.filter(**{"pk" if name == "id" else f"{name}_id": int(raw)})
        applied[name] = raw
    for name in UNIT_FILTERS:
        raw = ident(name)
        if raw is None:
            continue
        queryset = queryset.filter(**_null_or_id(name, raw))
        applied[name] = raw
    raw = str(params.get("stage", "") or "").strip()
    if raw:
        stages = [stage for stage in raw.split(",") if stage]
        if all(stage in DoI.values for stage in stages):
            queryset = queryset.filter(doi__in=stages)
            applied["stage"] = raw
        else:
            bad("stage", raw)
    if str(params.get("case", "") or "") == "open":
        cases = ExceptionCase.objects.for_org(organization).filter(
            root_id=OuterRef("pk"), state=CaseState.OPEN
        )
        age = str(params.get("case_age", "") or "")
        if age in AGE_BOUNDS:
            cases = cases.filter(_age_window("opened_at", age, now))
            applied["case_age"] = age
        elif age:
            bad("case_age", age)
        forum = ident("case_forum")
        if forum is not None:
            cases = cases.filter(**_null_or_id("forum", forum))
            applied["case_forum"] = forum
        queryset = queryset.filter(Exists(cases))
        applied["case"] = "open"
    if str(params.get("approval", "") or "") == "pending":
        requests = ApprovalRequest.objects.for_org(organization).filter(
            measure_id=OuterRef("pk"), state=RequestState.PENDING
        )
        age = str(params.get("approval_age", "") or "")
        if age in AGE_BOUNDS:
            requests = requests.filter(_age_window("created_at", age, now))
            applied["approval_age"] = age
        elif age:
            bad("approval_age", age)
        queryset = queryset.filter(Exists(requests))
        applied["approval"] = "pending"
    function = ident("effort_function")
    if function is not None:
        effort = Effort.objects.for_org(organization).filter(measure_id=OuterRef("pk"))
        effort = effort.filter(**_null_or_id("person__function", function))
        for name, lookup in (("period_from", "period__gte"), ("period_to", "period__lte")):
            raw = str(params.get(name, "") or "").strip()
            if raw:
                month = _month(raw)
                if month is None:
                    bad(name, raw)
                else:
                    effort = effort.filter(**{lookup: month})
                    applied[name] = raw
        queryset = queryset.filter(Exists(effort))
        applied["effort_function"] = function
    return queryset, applied, errors


class MeasureListView(NodeListView):
    """The measure list with the dashboards' drill-down filters."""

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        queryset, self.drill_applied, errors = measure_drill_filters(
            queryset, self.request.GET, organization=self.organization
        )
        for error in errors:
            messages.warning(self.request, error)
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["drill_filters"] = [
            (name, LABELS[name], value) for name, value in self.drill_applied.items()
        ]
        return context
