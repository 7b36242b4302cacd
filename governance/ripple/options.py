"""What each trade-off option needs and does: mitigation, sacrifice, re-plan.

Kept apart from ``decisions`` because these reach into measures and approvals (a measure to
pause, change requests to raise) while the decision rules themselves do not.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone

from governance.models import ExceptionCase, ImpactedMeasure, Membership
from measures.fiscal import add_months, fiscal_year_start
from measures.models import DoI, FinancialEntry, Measure
from measures.models.financials import Line, Scenario
from measures.services.milestones import parse_date
from measures.services.stages import stop_by_decision

SACRIFICE_TARGETS = {DoI.ON_HOLD: "pause", DoI.CANCELLED: "cancel"}
REPLANNABLE = (DoI.DECIDED, DoI.IMPLEMENTED)


def _member(organization_id: int, value: Any) -> Any:
    try:
        user_id = int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        return None
    if not 0 < user_id < 2**63:
        return None
    if not Membership.objects.for_org(organization_id).filter(user_id=user_id).exists():
        return None
    return get_user_model().objects.get(pk=user_id)


def check_mitigation(
    case: ExceptionCase, values: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any]:
    title = str(values.get("title") or "").strip()
    if not title or "\x00" in title or len(title) > 300:
        errors["title"] = ["Say what will be done (up to 300 characters)."]
    owner = _member(case.organization_id, values.get("owner"))
    if owner is None:
        errors["owner"] = ["Choose a member of the organization to own the action."]
    due: dt.date | None = None
    try:
        due = parse_date(values.get("due_date"))
    except ValueError as exc:
        errors["due_date"] = [str(exc)]
    if due is not None and due < timezone.localdate():
        errors["due_date"] = ["The due date is in the past."]
    return {"title": title, "owner": owner, "due_date": due}


def yearly_benefit(measure: Measure, today: dt.date | None = None) -> Decimal:
    """The benefit a measure is expected to bring this fiscal year (forecast, else baseline,
    else plan): what sacrificing it costs."""
    today = today or timezone.localdate()
    first = fiscal_year_start(today, measure.organization.fiscal_year_start_month)
    rows = dict(
        FinancialEntry.objects.for_org(measure.organization_id)
        .filter(
            measure_id=measure.pk,
            line=Line.BENEFIT,
            period__gte=first,
            period__lte=add_months(first, 11),
        )
        .values("scenario")
        .annotate(total=Sum("amount"))
        .values_list("scenario", "total")
    )
    for scenario in (Scenario.FORECAST, Scenario.BASELINE, Scenario.PLAN):
        if scenario in rows:
            return rows[scenario]
    return Decimal(0)


def check_sacrifice(
    case: ExceptionCase, values: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any]:
    target = str(values.get("to") or "")
    if target not in SACRIFICE_TARGETS:
        errors["to"] = ["Pause (on_hold) or cancel (cancelled) the measure you give up."]
    measure = None
    raw = values.get("measure")
    try:
        pk = int(getattr(raw, "pk", raw) or 0)
        if 0 < pk < 2**63:
            measure = (
                Measure.objects.for_org(case.organization_id)
                .filter(pk=pk, archived_at__isnull=True)
                .exclude(doi__in=(DoI.CLOSED, DoI.CANCELLED))
                .first()
            )
    except (TypeError, ValueError):
        measure = None
    if measure is None:
        errors["measure"] = ["Choose a live measure of the organization to give up."]
    elif measure.doi == DoI.ON_HOLD and target == DoI.ON_HOLD:
        errors["measure"] = ["That measure is on hold already."]
    value = yearly_benefit(measure) if measure is not None else Decimal(0)
    return {"measure": measure, "to": target, "value_given_up": value}


def carry_out_sacrifice(
    case: ExceptionCase, details: dict[str, Any], by: Any, rationale: str
) -> None:
    reason = f"Trade-off on case #{case.pk}: {rationale}"
    stop_by_decision(details["measure"], details["to"], by, reason)


def check_replan(
    case: ExceptionCase, chosen: list[int] | None, errors: dict[str, list[str]]
) -> dict[str, Any]:
    """The measures to re-plan: impacted ones with a baseline (all of them by default)."""
    impacted = {
        row.measure_id: row
        for row in ImpactedMeasure.objects.for_org(case.organization_id)
        .filter(case=case)
        .select_related("measure")
    }
    ids = list(impacted) if not chosen else [int(pk) for pk in chosen if str(pk).isdigit()]
    wrong = [pk for pk in ids if pk not in impacted]
    if wrong or not ids:
        errors["measures"] = ["Choose measures this case impacts."]
        return {"measures": []}
    measures = [impacted[pk].measure for pk in ids if impacted[pk].measure.doi in REPLANNABLE]
    if not measures:
        errors["measures"] = ["None of these measures has a baseline to re-plan."]
    return {
        "measures": measures,
        "slips": {m.pk: impacted[m.pk].slip_days for m in measures},
        "root": case.root_id,
    }


def carry_out_replan(case: ExceptionCase, details: dict[str, Any], by: Any, rationale: str) -> None:
    from governance.ripple.replan import replan_request

    for measure in details["measures"]:
        replan_request(
            measure,
            details["slips"][measure.pk],
            by,
            f"Case #{case.pk}: {rationale}",
            root=measure.pk == details["root"],
        )
