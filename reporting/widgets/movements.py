"""Stage movements since the latest snapshot, for the DoI funnel."""

from __future__ import annotations

from reporting.widgets.base import Scope

NO_SNAPSHOT = "No snapshot yet: movements since the last one show after the first snapshot."


def movements_since_snapshot(scope: Scope) -> tuple[dict[str, tuple[int, int]], str]:
    """``({stage: (entered, left)}, note)`` since the organization's latest snapshot."""
    from reporting.selectors.snapshots import stage_changes
    from reporting.widgets.exceptions import latest_snapshot

    snapshot = latest_snapshot(scope)
    if snapshot is None:
        return {}, NO_SNAPSHOT
    return stage_changes(scope, snapshot), (
        f"Entered and left: measures that moved since the snapshot of {snapshot.period:%Y-%m-%d}."
    )
