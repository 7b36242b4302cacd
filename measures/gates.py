"""The explicit criteria of each Degree of Implementation gate, and what entering a stage does.

Each concern registers its own pieces where it lives, so the gate knows every rule without
importing every model:

    @criterion(DoI.DETAILED)
    def at_least_one_milestone(measure) -> str | None:
        if not measure.milestones.exists():
            return "Add at least one milestone."
        return None

    @on_enter(DoI.DECIDED)
    def freeze_plan(measure, by) -> None: ...

``unmet(measure, target)`` runs every criterion of ``target`` and returns each failure in words a
person understands (an empty list: the gate may open); the transition service calls the
``on_enter`` hooks of the new stage inside its transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Criterion = Callable[[Any], "str | None"]
Hook = Callable[[Any, Any], None]

CRITERIA: dict[str, list[tuple[str, Criterion]]] = {}
HOOKS: dict[str, list[Hook]] = {}


def criterion(stage: str, *, key: str | None = None) -> Callable[[Criterion], Criterion]:
    """Register a check that must pass before a measure enters ``stage``.

    ``key`` names the criterion (default: the function's name) so an organization can find it
    in its gate settings."""

    def register(check: Criterion) -> Criterion:
        CRITERIA.setdefault(str(stage), []).append((key or check.__name__, check))
        return check

    return register


def on_enter(stage: str) -> Callable[[Hook], Hook]:
    """Register ``hook(measure, by)``, run in the transition's transaction on entering ``stage``."""

    def register(hook: Hook) -> Hook:
        HOOKS.setdefault(str(stage), []).append(hook)
        return hook

    return register


def unmet(measure: Any, stage: str) -> list[str]:
    """Every unmet criterion for ``measure`` to enter ``stage``, in order of registration."""
    return [message for _, check in CRITERIA.get(str(stage), []) if (message := check(measure))]


def entered(measure: Any, stage: str, by: Any) -> None:
    for hook in HOOKS.get(str(stage), []):
        hook(measure, by)
