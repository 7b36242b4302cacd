"""Measures at the gates that need an approval, for the approvals tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from approvals.models import ApprovalRequest
from measures.models import DoI, Measure
from measures.services.financials import actuals_validate, financials_upsert
from measures.services.stages import transition
from tests.measures.helpers import detailed_ready

THIS_MONTH = dt.date.today().replace(day=1)


def fresh(measure: Measure) -> Measure:
    return Measure.objects.for_org(measure.organization_id).get(pk=measure.pk)


def reload(request: ApprovalRequest) -> ApprovalRequest:
    return ApprovalRequest.objects.for_org(request.organization_id).get(pk=request.pk)


def plan(measure: Measure, by: Any) -> None:
    month = f"{THIS_MONTH:%Y-%m}"
    financials_upsert(
        measure=measure,
        rows=[
            {"period": month, "line": "benefit", "scenario": "plan", "amount": "1000"},
            {"period": month, "line": "one_time_cost", "scenario": "plan", "amount": "200"},
        ],
        by=by,
    )


def at_detailed(personas: Any, **people: Any) -> Measure:
    """A Detailed measure of ``personas.owner`` ready for the decision: the executive sponsors
    it, the controller controls it (unless ``people`` says otherwise)."""
    measure = detailed_ready(
        personas.org,
        people.get("owner", personas.owner),
        people.get("sponsor", personas.executive),
        people.get("controller", personas.controller),
    )
    owner = people.get("owner", personas.owner)
    plan(measure, owner)
    transition(measure, DoI.IDENTIFIED, by=owner)
    return transition(measure, DoI.DETAILED, by=owner)


def at_implemented(personas: Any) -> Measure:
    """An Implemented measure with a validated actual benefit: ready to be closed."""
    from measures.services.stages import advance_by_approval

    measure = at_detailed(personas)
    advance_by_approval(measure, DoI.DECIDED, approved_by=personas.executive)
    transition(measure, DoI.IMPLEMENTED, by=personas.owner)
    month = f"{THIS_MONTH:%Y-%m}"
    financials_upsert(
        measure=measure,
        rows=[{"period": month, "line": "benefit", "scenario": "actual", "amount": "900"}],
        by=personas.owner,
    )
    actuals_validate(
        measure=measure, period=month, line="benefit", decision="validate", by=personas.controller
    )
    return fresh(measure)
