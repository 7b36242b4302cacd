"""What an approved request carries out, per kind.

A gate request moves the measure through ``measures.services.stages.advance_by_approval`` (the
gate criteria and entry hooks apply there: entering Decided freezes the baseline). ``check``
runs on every approval so a request that no longer fits the measure is refused early and
clearly; a ``baseline_change`` request writes the new baseline (``approvals.changes.apply``);
kinds without an executor are recorded decisions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from approvals.changes.apply import KIND as CHANGE_KIND
from approvals.changes.apply import change_check, change_execute
from approvals.models import GATE_PREFIX, ApprovalRequest
from governance.errors import Conflict
from measures import gates
from measures.models import Measure
from measures.services.stages import (
    APPROVAL_TARGETS,
    advance_by_approval,
    label,
    may_approve,
    next_stage,
)


def gate_target(kind: str) -> str | None:
    """The stage a gate kind moves the measure to (``None`` for other kinds)."""
    return kind.removeprefix(GATE_PREFIX) if kind.startswith(GATE_PREFIX) else None


def gate_kind(target: str) -> str:
    return f"{GATE_PREFIX}{target}"


def _gate_check(request: ApprovalRequest, measure: Measure) -> None:
    """Raise ``Conflict`` when the gate request no longer fits the measure."""
    target = gate_target(request.kind) or ""
    if measure.is_archived:
        raise Conflict("The measure was archived since the request: nothing can be decided.")
    source = (request.proposed_change.get("doi") or [None])[0]
    if measure.doi != source or next_stage(measure) != target:
        raise Conflict(
            f"The measure is now {label(measure.doi)}: the request to move it to "
            f"{label(target)} no longer applies. Nothing was changed."
        )
    problems = gates.unmet(measure, target)
    if problems:
        raise Conflict(
            f"The measure no longer meets every criterion of {label(target)}: nothing was "
            "changed. The requester fixes it and asks again.",
            problems,
            key="criteria",
        )


def _gate_execute(request: ApprovalRequest, measure: Measure, approvers: list[Any]) -> None:
    target = gate_target(request.kind) or ""
    _gate_check(request, measure)
    # The gate records who granted it: the last approver, or an earlier one of the request
    # who holds the decision (a policy may end on a step of a role that does not).
    by = next((user for user in approvers if may_approve(measure, target, user)), approvers[0])
    advance_by_approval(measure, target, approved_by=by)


@dataclass(frozen=True)
class Executor:
    check: Callable[[ApprovalRequest, Measure], None]
    execute: Callable[[ApprovalRequest, Measure, list[Any]], None]


def _nothing(*args: Any) -> None:
    return None


# The action each kind carries out once approved; kinds not listed are recorded decisions.
EXECUTORS: dict[str, Executor] = {
    gate_kind(target): Executor(_gate_check, _gate_execute) for target in APPROVAL_TARGETS
}
# A change request re-baselines the measure, or is refused when stale (approvals.changes).
EXECUTORS[CHANGE_KIND] = Executor(change_check, change_execute)


def executor_for(kind: str) -> Executor:
    return EXECUTORS.get(kind, Executor(_nothing, _nothing))
