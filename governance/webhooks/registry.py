"""The events an endpoint may subscribe to: a small registry apps add their own names to."""

from __future__ import annotations

import re

# Sent only on request ("Send test"), to one endpoint, whatever it subscribes to.
PING = "ping"
_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_EVENTS: dict[str, str] = {}


def event(name: str, description: str) -> str:
    """Register an event name (``<thing>.<what happened>``) with a one-line description."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"Webhook event names look like 'measure.stage_changed', not {name!r}.")
    known = _EVENTS.get(name)
    if known is not None and known != description:
        raise ValueError(f"Webhook event {name!r} is already registered as {known!r}.")
    _EVENTS[name] = description
    return name


def events() -> dict[str, str]:
    """Every registered event name and its description, sorted by name."""
    return dict(sorted(_EVENTS.items()))


def is_event(name: str) -> bool:
    return name in _EVENTS


CASE_OPENED = event("case.opened", "An exception case was opened.")
CASE_ESCALATED = event("case.escalated", "An exception case was escalated to the next forum.")
CASE_DECIDED = event("case.decided", "A trade-off decision closed an exception case.")
MEASURE_STAGE_CHANGED = event(
    "measure.stage_changed", "A measure moved to another Degree of Implementation stage."
)
