"""Acme's year so far, written through the services the app itself uses.

The plan (``reporting.demo.story_plan``) says where each measure ends; this module gets it there
the way people would: the owner fills in the measure sheet, plans milestones, assesses risks and
dependencies and moves it forward; the sponsor decides it; the controller validates the
realised benefit and closes it. Financial series go through the bulk series service, so the
monthly figures, the Potential Status and the audit trail follow as they do in the app.

Three moments: as things stood a week ago (a weekly snapshot is taken), this week's moves, the
slip and the new requests (this week's snapshot), then today's decisions. Last, the ripple
recompute turns the triggers into exception cases. The story is written once: an organization
that has any financial series already is left alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from approvals.models import ApprovalRequest
from approvals.services.actions import gate_kind
from approvals.services.requests import request_approve, request_submit
from governance.models import Notification, Organization
from governance.ripple.outbox import ripple_process
from governance.services.hierarchy import node_update
from measures.fiscal import add_months
from measures.models import (
    DoI,
    FinancialEntry,
    Measure,
    Milestone,
)
from measures.services.capacity import availability_upsert, effort_upsert, person_create
from measures.services.dependencies import dependency_create, no_dependencies_set
from measures.services.evidence import evidence_attach
from measures.services.fields import category_seed_defaults
from measures.services.milestones import milestone_complete, milestone_create, milestone_update
from measures.services.risks import no_material_risk_set, risk_create
from measures.services.stages import transition
from measures.services.status import status_report_submit
from reporting.demo.story_plan import (
    FORWARD,
    STOPPED_AT,
    Row,
    story_plan,
)
from reporting.demo.story_series import SeriesWriter
from reporting.demo.story_texts import (
    CATEGORY_BY_FUNCTION,
    RISKS,
    SHEET,
    STATUS_COMMENTARY,
)
from reporting.models import SnapshotKind
from reporting.services.snapshots import snapshot_take

# An overdue request was asked for this long ago (the default policy's SLA is ten days).
OVERDUE_SUBMITTED_DAYS = 16
SLIP_DAYS = 45


def measure_sheet(
    *, title: str, function: str, categories: dict[str, Any], controller: Any
) -> dict[str, Any]:
    """The measure sheet an owner fills in: what the Identified and Detailed gates ask."""
    sheet = SHEET[function]
    return {
        "category": categories[CATEGORY_BY_FUNCTION[function]],
        "impact_type": "pnl",
        "controller": controller,
        "business_reason": sheet.reason.format(title=title.lower()),
        "expected_outcome": sheet.outcome,
        "evidence_requirements": sheet.evidence,
        "closure_criteria": sheet.closure,
    }


class _Writer(SeriesWriter):
    """Writes the story as the people of the plan, through the services."""

    # --- stages -------------------------------------------------------------------------------

    def owner(self, pk: int) -> Any:
        return self.users[self.measures[pk].owner_id]

    def decider(self, pk: int) -> Any:
        """The sponsor, or the COO when the sponsor owns the measure (nobody approves their own
        request)."""
        measure = self.measures[pk]
        if measure.sponsor_id == measure.owner_id:
            return self.people["executive"]
        return self.users[measure.sponsor_id]

    def advance(self, pk: int, target: str) -> None:
        """Move the measure forward, one gate at a time, until it stands at ``target``."""
        target = STOPPED_AT.get(target, target)
        current = Measure.objects.for_org(self.organization).get(pk=pk).doi
        if current not in FORWARD:
            return
        while FORWARD.index(current) < FORWARD.index(target):
            current = FORWARD[FORWARD.index(current) + 1]
            getattr(self, f"_to_{current}")(pk)

    def _to_identified(self, pk: int) -> None:
        measure = self.measures[pk]
        if measure.category_id is None:
            # Measures of a demo seeded before the sheet was written at creation.
            node_update(
                node=measure,
                by=self.owner(pk),
                **measure_sheet(
                    title=measure.title,
                    function=measure.function.code if measure.function else "PRO",
                    categories=self.categories,
                    controller=self.people["controller"],
                ),
            )
        transition(measure, DoI.IDENTIFIED, self.owner(pk))

    def _milestone_dates(self, pk: int) -> tuple[dt.date, dt.date]:
        row = self.rows[pk]
        if pk in self.story.late:
            late = 12 if pk == self.story.late[0] else 21
            return self.today - dt.timedelta(late), self.today + dt.timedelta(60)
        offset = 10 + int(row.code[-2:]) % 40
        first = max(row.start + dt.timedelta(21), self.today + dt.timedelta(offset))
        return first, first + dt.timedelta(45 + int(row.code[-2:]) % 75)

    def _to_detailed(self, pk: int) -> None:
        measure, owner = self.measures[pk], self.owner(pk)
        first, second = self._milestone_dates(pk)
        evidence = pk in self.story.with_evidence
        if evidence or pk in self.story.late or pk == self.story.slip_root:
            milestone_create(
                measure=measure, by=owner, title="Implementation plan agreed", due_date=first
            )
        milestone_create(
            measure=measure,
            by=owner,
            title="Go-live",
            due_date=second,
            evidence_required=evidence,
            evidence_description="The signed go-live protocol." if evidence else "",
        )
        if pk in self.story.with_risks:
            title, probability, impact, mitigation = RISKS[int(measure.code[-3:]) % len(RISKS)]
            risk_create(
                measure=measure,
                by=owner,
                title=title,
                probability=probability,
                impact=impact,
                mitigation=mitigation,
                owner=owner,
            )
        else:
            no_material_risk_set(measure=measure, value=True, by=owner)
        if pk != self.story.slip_root and pk not in self.story.slip_successors:
            no_dependencies_set(measure=measure, value=True, by=owner)
        transition(measure, DoI.DETAILED, owner)

    def request(self, pk: int, target: str, *, now: dt.datetime | None = None) -> ApprovalRequest:
        evidence = (
            "Business case and implementation plan attached; financial plan agreed with finance."
            if target == DoI.DECIDED
            else "Benefit realised and validated by the controller for the months so far."
        )
        return request_submit(
            measure=self.measures[pk],
            kind=gate_kind(target),
            by=self.owner(pk),
            evidence=evidence,
            amount=self.story.annual_benefit[pk],
            now=now,
        )

    def _to_decided(self, pk: int) -> None:
        request = self.request(pk, DoI.DECIDED)
        request_approve(request=request, by=self.decider(pk), comment="Go: proceed as planned.")

    def _to_implemented(self, pk: int) -> None:
        owner = self.owner(pk)
        for milestone in Milestone.objects.for_org(self.organization).filter(measure_id=pk):
            if milestone.completed_on is not None:
                continue
            if milestone.evidence_required:
                evidence_attach(
                    milestone=milestone,
                    upload=SimpleUploadedFile(
                        f"{self.measures[pk].code}-go-live.csv",
                        b"step,signed by,date\ngo-live,plant management,"
                        + self.today.isoformat().encode(),
                        content_type="text/csv",
                    ),
                    by=owner,
                )
            milestone_complete(milestone=milestone, by=owner)
        transition(self.measures[pk], DoI.IMPLEMENTED, owner)

    def _to_closed(self, pk: int) -> None:
        request = self.request(pk, DoI.CLOSED)
        request_approve(
            request=request,
            by=self.people["controller"],
            comment="Benefit validated against the ledger: close.",
        )

    def stop(self, pk: int) -> None:
        """Hold or cancel the measures that stopped, as their lead would."""
        stage = self.story.stage[pk]
        if stage == DoI.ON_HOLD:
            transition(self.measures[pk], DoI.ON_HOLD, self.owner(pk))
        elif stage == DoI.CANCELLED:
            transition(
                self.measures[pk],
                DoI.CANCELLED,
                self.people["admin"],
                reason="Overlaps with a measure of another program; its value is counted there.",
            )

    # --- this week's news ---------------------------------------------------------------------

    def slip(self) -> None:
        """The go-live of the slip's root moves out: its successors wait for it."""
        root = self.story.slip_root
        if root is None:
            return
        milestone = (
            Milestone.objects.for_org(self.organization)
            .filter(measure_id=root, completed_on__isnull=True)
            .order_by("-due_date")
            .first()
        )
        if milestone is not None:
            milestone_update(
                milestone=milestone,
                by=self.owner(root),
                due_date=milestone.due_date + dt.timedelta(SLIP_DAYS),
            )

    def dependencies(self) -> None:
        root = self.story.slip_root
        for successor in self.story.slip_successors:
            dependency_create(
                organization=self.organization,
                predecessor=root,
                successor=successor,
                by=self.people["admin"],
                note="Needs the new set-up of its predecessor in place first.",
            )

    def statuses(self) -> None:
        """The owners' monthly Implementation Status of the measures under way."""
        for pk, stage in self.story.before_today.items():
            if stage not in (DoI.DECIDED, DoI.IMPLEMENTED):
                continue
            status = "done" if stage == DoI.IMPLEMENTED else "on_track"
            if pk in self.story.late or pk == self.story.slip_root:
                status = "at_risk"
            if pk in self.story.status_off_track:
                status = "off_track"
            status_report_submit(
                measure=self.measures[pk],
                by=self.owner(pk),
                period=self.month,
                status=status,
                commentary=STATUS_COMMENTARY.get(status, ""),
            )

    def capacity(self) -> None:
        """Hours of the owners (and the analyst) on some measures: one month over-booked."""
        admin = self.people["admin"]
        owners = {self.measures[pk].owner_id for pk in self.story.capacity}
        analyst = self.people["contributor"]
        functions = {
            self.measures[pk].owner_id: self.measures[pk].function_id for pk in self.story.capacity
        }
        functions[analyst.pk] = next(iter(functions.values()), None)
        persons = {
            user_id: person_create(
                organization=self.organization,
                by=admin,
                name=self.users[user_id].get_full_name(),
                user=user_id,
                function=functions[user_id],
            )
            for user_id in sorted(owners | {analyst.pk})
        }
        months = [add_months(self.month, n) for n in range(3)]
        for period in months:
            availability_upsert(
                organization=self.organization,
                period=period,
                by=admin,
                rows=[{"person": person.pk, "hours": "140"} for person in persons.values()],
            )
        for pk in self.story.capacity:
            owner = persons[self.measures[pk].owner_id].pk
            rows = [{"person": owner, "period": p, "planned_hours": "12"} for p in months]
            rows[0]["actual_hours"] = "6"  # the month is under way
            if pk in self.story.overallocated:
                rows.append(
                    {"person": persons[analyst.pk].pk, "period": months[1], "planned_hours": "96"}
                )
            effort_upsert(measure=self.measures[pk], rows=rows, by=self.owner(pk))


def demo_story_ensure(
    *, organization: Organization, people: dict[str, Any], today: dt.date
) -> bool:
    """Write the demo's story once; ``False`` when the organization has series already."""
    if FinancialEntry.objects.for_org(organization).exists():
        return False
    category_seed_defaults(organization=organization)
    measures = Measure.objects.for_org(organization).filter(
        archived_at__isnull=True, doi=DoI.DEFINED
    )
    rows = [
        Row(pk, code, start, end)
        for pk, code, start, end in measures.values_list("pk", "code", "start_date", "end_date")
    ]
    story = story_plan(rows, today, organization.fiscal_year_start_month)
    writer = _Writer(organization, people, story, today)
    now = timezone.now()
    month = today.replace(day=1)

    # A week ago.
    writer.plans()
    writer.targets()
    writer.actuals(None, add_months(month, -2))
    writer.dependencies()
    writer.validate(
        [pk for pk, stage in story.stage.items() if stage == DoI.CLOSED] + story.close_pending
    )
    writer.validate(
        [pk for pk in story.stage if story.reached(pk, DoI.DECIDED)], until=add_months(month, -3)
    )
    for pk, stage in story.last_week.items():
        writer.advance(pk, stage)
    for pk in story.decide_overdue:
        writer.request(pk, DoI.DECIDED, now=now - dt.timedelta(OVERDUE_SUBMITTED_DAYS))
    for pk, stage in story.stage.items():
        if stage in STOPPED_AT:
            writer.stop(pk)
    snapshot_take(
        organization=organization,
        kind=SnapshotKind.WEEKLY,
        period=today - dt.timedelta(7),
        now=now - dt.timedelta(7),
    )

    # This week.
    writer.actuals(add_months(month, -1), add_months(month, -1))
    for pk, stage in story.before_today.items():
        writer.advance(pk, stage)
    writer.validate([pk for pk, stage in story.stage.items() if stage == DoI.CLOSED])
    writer.slip()
    writer.statuses()
    writer.capacity()
    for pk in story.decide_pending:
        writer.request(pk, DoI.DECIDED)
    for pk in story.close_pending:
        writer.request(pk, DoI.CLOSED)
    snapshot_take(organization=organization, kind=SnapshotKind.WEEKLY, period=today)

    # Today, after this week's snapshot.
    for pk, stage in story.stage.items():
        writer.advance(pk, stage)
    # What the triggers add up to, now rather than after the commit: the cases are there
    # whether tasks run eagerly, on a worker, or (in tests) not at all.
    ripple_process(organization=organization)
    # The seeded past is told in the app only: its notifications count as e-mailed, so no
    # message goes out about it, neither to the console of the embedded mode nor from a worker.
    Notification.objects.for_org(organization).filter(emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    return True
