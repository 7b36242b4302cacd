"""Re-planning as a trade-off: a change request on the baseline of each chosen measure
(``approvals.changes``), moving its baselined dates by its projected slip: the end of the root,
start and end of a measure the slip reaches. The change then goes through the organization's
change-control policy like any other."""

from __future__ import annotations

import datetime as dt
from typing import Any

from governance.errors import AccessDenied, ValidationError
from measures.models import Measure


def replan_request(measure: Measure, slip_days: int, by: Any, rationale: str, *, root: bool) -> Any:
    """Raise the change request moving ``measure``'s baselined dates by ``slip_days``."""
    from approvals.changes.services import change_request_submit

    shift = dt.timedelta(days=slip_days)
    dates: dict[str, str] = {}
    if measure.baseline_end_date is not None:
        dates["baseline_end_date"] = (measure.baseline_end_date + shift).isoformat()
    if not root and measure.baseline_start_date is not None:
        dates["baseline_start_date"] = (measure.baseline_start_date + shift).isoformat()
    if not dates:
        raise ValidationError({"measures": [f"{measure.code} has no baselined dates to move."]})
    try:
        return change_request_submit(
            measure=measure, by=by, changes={"dates": dates}, rationale=rationale
        )
    except AccessDenied:
        raise ValidationError(
            {"measures": [f"You may not change {measure.code}: its owner or lead re-plans it."]}
        ) from None
