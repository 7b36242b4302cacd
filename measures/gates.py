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
person understands (an empty list: the gate may open); ``checklist(measure, target)`` gives the
same run as items met or not, for a page to show. The transition service calls the ``on_enter``
hooks of the new stage inside its transaction.

A criterion that stands for several checks at once (the fields an organization requires) may
return a list of ``Item`` instead of one message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Item:
    """One criterion of a gate: what it asks (``label``) and, when unmet, what to do."""

    key: str
    label: str
    problem: str | None = None

    @property
    def met(self) -> bool:
        return self.problem is None


Criterion = Callable[[Any], "str | list[Item] | None"]
Hook = Callable[[Any, Any], None]

CRITERIA: dict[str, list[tuple[str, str, Criterion]]] = {}
HOOKS: dict[str, list[Hook]] = {}


def criterion(
    stage: str, *, key: str | None = None, label: str | None = None
) -> Callable[[Criterion], Criterion]:
    """Register a check that must pass before a measure enters ``stage``.

    ``key`` names the criterion (default: the function's name) so an organization can find it
    in its gate settings; ``label`` says what it asks, for the checklist (default: the key in
    words)."""

    def register(check: Criterion) -> Criterion:
        name = key or check.__name__
        text = label or name.replace("_", " ").capitalize()
        CRITERIA.setdefault(str(stage), []).append((name, text, check))
        return check

    return register


def on_enter(stage: str) -> Callable[[Hook], Hook]:
    """Register ``hook(measure, by)``, run in the transition's transaction on entering ``stage``."""

    def register(hook: Hook) -> Hook:
        HOOKS.setdefault(str(stage), []).append(hook)
        return hook

    return register


def checklist(measure: Any, stage: str) -> list[Item]:
    """Every criterion for ``measure`` to enter ``stage``, met or not, in order of registration."""
    items: list[Item] = []
    for key, label, check in CRITERIA.get(str(stage), []):
        result = check(measure)
        if isinstance(result, list):
            items.extend(result)
        else:
            items.append(Item(key=key, label=label, problem=result or None))
    return items


def unmet(measure: Any, stage: str) -> list[str]:
    """Every unmet criterion for ``measure`` to enter ``stage``, in order of registration."""
    return [item.problem for item in checklist(measure, stage) if item.problem]


def entered(measure: Any, stage: str, by: Any) -> None:
    """Run the ``on_enter`` hooks of ``stage`` (inside the transition's transaction)."""
    for hook in HOOKS.get(str(stage), []):
        hook(measure, by)
