"""Re-planning as a trade-off: a change request on the baseline of each chosen measure, moving
its end date by its projected slip, under the organization's change-control policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from measures.models import Measure


def replan_request(measure: Measure, slip_days: int, by: Any, rationale: str) -> Any:
    """Raise the change request that moves ``measure``'s baselined end date by ``slip_days``."""
    from approvals.services.requests import request_submit

    end = measure.baseline_end_date or measure.end_date
    proposed: dict[str, Any] = {"slip_days": slip_days}
    if end is not None:
        new_end = end + dt.timedelta(days=slip_days)
        proposed["baseline_end_date"] = [end.isoformat(), new_end.isoformat()]
    return request_submit(
        measure=measure,
        kind="baseline_change",
        by=by,
        evidence=rationale,
        proposed_change=proposed,
    )
