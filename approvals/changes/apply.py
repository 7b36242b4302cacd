"""Carrying out an approved change request, and recording the versions of a baseline.

``change_check`` and ``change_execute`` are the executor of the ``baseline_change`` kind
(``approvals.services.actions.EXECUTORS``): ``request_approve`` runs the check on every approval
and the execution, in its transaction, on the last one. A stale request (a field of its diff no
longer holds the value it was made against) is refused with a ``Conflict`` naming each field,
and nothing is written.

``baseline_version_first`` is an entry hook of Decided: registered after the freeze hooks of
``measures`` (the approvals app loads after it), it records version 1 from what they froze.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils import timezone

from approvals.changes.models import BaselineVersion, ChangeRequest
from approvals.changes.selectors import baseline_snapshot, current_version
from approvals.models import ApprovalRequest
from governance.audit import audit_record
from governance.errors import Conflict
from measures import gates
from measures.models import DoI, FinancialEntry, Kpi, Measure, Milestone, Scenario
from measures.services.figures import measure_months_refresh
from measures.services.financials import potential_recompute
from measures.services.stages import label

KIND = "baseline_change"


def version_record(
    measure: Measure, by: Any, change: ChangeRequest | None = None
) -> BaselineVersion:
    """Record the measure's live baseline as its next version."""
    by = by if getattr(by, "pk", None) else None
    return BaselineVersion.objects.create(
        organization_id=measure.organization_id,
        measure_id=measure.pk,
        number=current_version(measure) + 1,
        created_by=by,
        change_request=change,
        snapshot=baseline_snapshot(measure),
    )


@gates.on_enter(DoI.DECIDED)
def baseline_version_first(measure: Measure, by: Any) -> None:
    """Entering Decided records the frozen baseline as version 1 (the original)."""
    version_record(measure, by)


def _value(current: dict[str, Any], key: str) -> tuple[bool, Any]:
    """``(exists, value)`` of one diff key in a snapshot."""
    kind, _, rest = key.partition(".")
    if kind == "financial":
        line, _, month = rest.partition(".")
        return True, current["financials"].get(line, {}).get(month, "0.00")
    if kind == "milestone":
        found = current["milestones"].get(rest)
        return found is not None, (found or {}).get("baseline_due_date")
    if kind == "measure":
        return True, current["measure"].get(rest)
    found = current["kpis"].get(rest)
    return found is not None, (found or {}).get("target")


def stale_fields(change: ChangeRequest, current: dict[str, Any]) -> list[str]:
    """Each field of the change whose baseline moved since the request was made, in words."""
    problems = []
    for key, entry in change.diff.items():
        exists, now = _value(current, key)
        if not exists:
            problems.append(f"{entry['label']}: it no longer exists.")
        elif now != entry["from"]:
            problems.append(
                f"{entry['label']}: was {entry['from'] or '—'} when asked, now {now or '—'}."
            )
    return problems


def change_of(request: ApprovalRequest) -> ChangeRequest:
    found = ChangeRequest.objects.for_org(request.organization_id).filter(request_id=request.pk)
    change = found.first()
    if change is None:
        raise Conflict("This request carries no proposed baseline: nothing can be applied.")
    return change


def change_check(request: ApprovalRequest, measure: Measure) -> None:
    """Raise ``Conflict`` when the change request no longer fits the measure's baseline."""
    if measure.is_archived:
        raise Conflict("The measure was archived since the request: nothing can be decided.")
    if not measure.is_baselined:
        raise Conflict(
            f"The measure is {label(measure.doi)}: it has no baseline to change any more."
        )
    change = change_of(request)
    problems = stale_fields(change, baseline_snapshot(measure))
    if problems:
        version = current_version(measure)
        raise Conflict(
            f"The baseline changed since this change request was made (it is now version "
            f"{version}): the request no longer applies and nothing was changed. Ask again "
            "against the current baseline.",
            problems,
            key="baseline",
        )


def change_execute(request: ApprovalRequest, measure: Measure, approvers: list[Any]) -> None:
    """Write the new baseline values, keep the previous baseline as a version (row locked)."""
    measure = (
        Measure.objects.for_org(measure.organization_id).select_for_update().get(pk=measure.pk)
    )
    change_check(request, measure)
    change = change_of(request)
    by = approvers[0]
    organization_id = measure.organization_id
    if current_version(measure) == 0:
        # Baselined before change control: what it was until now is the original.
        version_record(measure, None)
    now = timezone.now()
    entries: list[FinancialEntry] = []
    for key, entry in change.diff.items():
        kind, _, rest = key.partition(".")
        if kind == "financial":
            line, _, month = rest.partition(".")
            entries.append(
                FinancialEntry(
                    organization_id=organization_id,
                    measure_id=measure.pk,
                    period=dt.date.fromisoformat(f"{month}-01"),
                    line=line,
                    scenario=Scenario.BASELINE,
                    amount=Decimal(entry["to"]),
                    updated_at=now,
                )
            )
        elif kind == "milestone":
            Milestone.objects.for_org(organization_id).filter(
                measure_id=measure.pk, pk=int(rest)
            ).update(baseline_due_date=entry["to"])
        elif kind == "measure":
            Measure.objects.for_org(organization_id).filter(pk=measure.pk).update(
                **{rest: entry["to"]}
            )
        else:
            # The target and its frozen baseline move together: after Decided they are one.
            target = Decimal(entry["to"])
            Kpi.objects.for_org(organization_id).filter(measure_id=measure.pk, pk=int(rest)).update(
                target=target, target_baseline=target
            )
    if entries:
        FinancialEntry.objects.bulk_create(
            entries,
            update_conflicts=True,
            unique_fields=["organization", "measure", "period", "line", "scenario"],
            update_fields=["amount", "updated_at"],
        )
        measure_months_refresh(
            organization_id=organization_id,
            measure_ids=[measure.pk],
            periods={entry.period for entry in entries},
        )
    Measure.objects.for_org(organization_id).filter(pk=measure.pk).update(version=F("version") + 1)
    version = version_record(measure, by, change)
    change.applied_version = version.number
    change.save(update_fields=["applied_version"])
    audit_record(
        actor=by,
        action="measure.rebaselined",
        obj=measure,
        changes={
            "request": request.pk,
            "version": version.number,
            **{key: [entry["from"], entry["to"]] for key, entry in change.diff.items()},
        },
    )
    if entries:
        potential_recompute(organization=organization_id, measure_ids=[measure.pk])
