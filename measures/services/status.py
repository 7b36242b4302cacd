"""The Implementation Status of a measure: suggested from its milestones, reported by its owner.

Suggested status (``suggest_status``, a pure function of the milestones, the start date and
today), first rule that applies:

1. **done** — the measure has milestones and every one is done;
2. **off track** — an open milestone is more than ``LATE_DAYS`` past its due date, or a milestone
   was rescheduled more than ``SLIP_DAYS`` past its baseline due date;
3. **at risk** — an open milestone is past its due date at all, or a milestone was rescheduled
   past its baseline at all;
4. **not started** — no milestone is done and the measure has no milestone yet or starts in the
   future (or has no start date);
5. **on track** — otherwise.

Reported status: the owner's monthly ``StatusReport`` (``change`` on the measure), with the
suggestion stored alongside so the divergence stays visible. Commentary is required when the
reported status is at risk or off track. One report per measure and month: submitting the same
month again updates it, and the audit trail keeps the earlier version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from governance.access import require
from governance.audit import audit_record
from governance.errors import ValidationError
from governance.ripple.outbox import ripple_mark
from measures.models import ImplementationStatus, Measure, Milestone, StatusReport
from measures.services.figures import measure_statuses_refresh
from measures.services.financials import parse_period
from measures.tabs import tab

tab("status", "Status", "measure-status")

# Days an open milestone may be late, or rescheduled past its baseline, before off track.
LATE_DAYS = 14
SLIP_DAYS = 30
MAX_COMMENTARY = 5000
NEEDS_COMMENTARY = (ImplementationStatus.AT_RISK, ImplementationStatus.OFF_TRACK)


def suggest_status(milestones: Iterable[Any], *, start_date: dt.date | None, today: dt.date) -> str:
    """The Implementation Status the milestones suggest (see the module's rules)."""
    milestones = list(milestones)
    done = [m for m in milestones if m.completed_on is not None]
    if milestones and len(done) == len(milestones):
        return ImplementationStatus.DONE
    late = [
        (today - m.due_date).days
        for m in milestones
        if m.completed_on is None and m.due_date < today
    ]
    slips = [
        (m.due_date - m.baseline_due_date).days
        for m in milestones
        if m.baseline_due_date is not None and m.due_date > m.baseline_due_date
    ]
    if any(days > LATE_DAYS for days in late) or any(days > SLIP_DAYS for days in slips):
        return ImplementationStatus.OFF_TRACK
    if late or slips:
        return ImplementationStatus.AT_RISK
    if not done and (not milestones or start_date is None or start_date > today):
        return ImplementationStatus.NOT_STARTED
    return ImplementationStatus.ON_TRACK


def suggested_status_of(measure: Measure, today: dt.date | None = None) -> str:
    """``suggest_status`` over the measure's stored milestones (one query)."""
    milestones = Milestone.objects.for_org(measure.organization_id).filter(measure_id=measure.pk)
    return suggest_status(
        milestones.only("due_date", "baseline_due_date", "completed_on"),
        start_date=measure.start_date,
        today=today or timezone.localdate(),
    )


def status_report_submit(
    *, measure: Measure, by: Any, period: Any, status: Any, commentary: Any = ""
) -> StatusReport:
    """Report the measure's Implementation Status for a month (``YYYY-MM``); the same month
    again updates that month's report."""
    errors: dict[str, list[str]] = {}
    try:
        month = parse_period(period, measure.organization)
    except ValueError as exc:
        errors["period"] = [str(exc)]
    if status not in ImplementationStatus.values:
        errors["status"] = [
            "Choose the status among " + ", ".join(ImplementationStatus.values) + "."
        ]
    if commentary is None:
        commentary = ""
    if not isinstance(commentary, str) or "\x00" in commentary:
        errors["commentary"] = ["Give the commentary as text."]
        commentary = ""
    commentary = commentary.strip()
    if len(commentary) > MAX_COMMENTARY:
        errors["commentary"] = [f"Keep the commentary to {MAX_COMMENTARY} characters."]
    elif status in NEEDS_COMMENTARY and not commentary:
        errors["commentary"] = ["Say what is wrong and what is being done about it."]
    with transaction.atomic():
        measure = (
            Measure.objects.for_org(measure.organization_id)
            .select_for_update()
            .select_related("organization")
            .get(pk=measure.pk)
        )
        require(by, "change", measure)
        if errors:
            raise ValidationError(errors)
        suggested = suggested_status_of(measure)
        now = timezone.now()
        report = (
            StatusReport.objects.for_org(measure.organization_id)
            .select_for_update()
            .filter(measure_id=measure.pk, period=month)
            .first()
        )
        before = report.as_dict() if report else None
        if report is None:
            report = StatusReport(
                organization_id=measure.organization_id, measure=measure, period=month
            )
        report.status = status
        report.suggested_status = suggested
        report.commentary = commentary
        report.reported_by = by if getattr(by, "pk", None) else None
        report.reported_at = now
        report.save()
        measure_statuses_refresh(
            organization_id=measure.organization_id, measure_ids=[measure.pk], potential=False
        )
        audit_record(
            actor=by,
            action="measure.status_reported" if before is None else "measure.status_re_reported",
            obj=measure,
            changes={"before": before, "after": report.as_dict()},
        )
        ripple_mark(organization=measure.organization_id, measure_ids=[measure.pk])
    return report
