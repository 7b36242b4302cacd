"""Running a report: who receives it, one file per recipient and format, delivery.

``report_run`` works in three short transactions, each in the organization's tenant scope, so
that what happened survives a failure: it claims the run (queued or failed → running, one more
attempt), renders and stores every file and marks the run done, or — when rendering fails —
records the failure with its reason. The task retries a failed run with a backoff, up to
``MAX_ATTEMPTS`` attempts in all. A run that is done is never redone.

Each recipient's sections are computed with a Scope of their own (their grants, the
definition's scope node), so a program lead's file never holds another program's figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from governance.access import require
from governance.models import MemberKind, Membership, Organization
from governance.notifications import notify
from governance.permissions import permission_models
from governance.rls import tenant_scope
from reporting.models import (
    ReportDefinition,
    ReportFile,
    ReportRecipient,
    ReportRun,
    RunState,
    Trigger,
)
from reporting.reports.render import render, report_for

MAX_ATTEMPTS = 3
REASON_MAX = 2_000


class ReportFailed(Exception):
    """Rendering or storing a run failed; the run records why."""

    def __init__(self, run: ReportRun, reason: str) -> None:
        super().__init__(reason)
        self.run = run
        self.reason = reason


def audience_of(*, definition: ReportDefinition, organization: Organization) -> list[Any]:
    """The people who receive ``definition``: those listed, and the holders of its roles on the
    organization or on a node at or above its scope node; active members only, no integrators,
    each once, by username."""
    user_ids = set(
        ReportRecipient.objects.for_org(organization)
        .filter(definition_id=definition.pk)
        .values_list("user_id", flat=True)
    )
    if definition.audience_roles:
        chain: list[tuple[type, int | None]] = [(Organization, organization.pk)]
        for level in ("portfolio", "program", "project"):
            node_id = getattr(definition, f"{level}_id")
            if node_id is not None:
                model = ReportDefinition._meta.get_field(level).related_model
                chain.append((model, node_id))  # type: ignore[arg-type]
        for model, node_id in chain:
            _, group_table = permission_models(model)
            user_ids |= set(
                group_table.objects.for_org(organization)
                .filter(
                    content_object_id=node_id,
                    role__in=definition.audience_roles,
                    group__user__isnull=False,
                )
                .values_list("group__user", flat=True)
            )
    members = Membership.objects.for_org(organization).filter(
        user_id__in=user_ids, kind=MemberKind.PERSON
    )
    return list(
        get_user_model()
        .objects.filter(pk__in=members.values("user_id"), is_active=True)
        .order_by("username")
    )


def run_now(*, definition: ReportDefinition, by: Any) -> ReportRun:
    """An org admin asks for a run now: queued here, run by a worker after commit."""
    from reporting.tasks import report_run_task

    with transaction.atomic():
        require(by, "administer", definition.organization)
        run = ReportRun.objects.create(
            organization_id=definition.organization_id,
            definition=definition,
            triggered_by=Trigger.USER,
            requested_by=by,
        )
        kwargs = {
            "organization_id": definition.organization_id,
            "definition_id": definition.pk,
            "run_id": run.pk,
        }
        transaction.on_commit(lambda: report_run_task.apply_async(kwargs=kwargs))
    return run


@dataclass
class Claim:
    run: ReportRun
    definition: ReportDefinition


def _claim(
    *,
    organization_id: int,
    definition_id: int,
    run_id: int | None,
    task_id: str,
    triggered_by: str,
) -> Claim | None:
    """Start the run (creating a scheduled one on its first delivery); None if there is
    nothing to do: the definition is gone or disabled (scheduled runs), or the run is done."""
    with tenant_scope(organization_id):
        definition = (
            ReportDefinition.objects.for_org(organization_id)
            .select_related("organization", "portfolio", "program", "project")
            .filter(pk=definition_id)
            .first()
        )
        if definition is None:
            return None
        runs = ReportRun.objects.for_org(organization_id).select_for_update()
        if run_id is not None:
            run = runs.filter(pk=run_id, definition_id=definition_id).first()
        elif task_id:
            run = runs.filter(task_id=task_id).first()
        else:
            run = None
        if run is None:
            if run_id is not None or (triggered_by == Trigger.BEAT and not definition.enabled):
                return None
            run = ReportRun.objects.create(
                organization_id=organization_id,
                definition=definition,
                triggered_by=triggered_by,
                task_id=task_id,
            )
        if run.state == RunState.DONE:
            return None
        if run.state == RunState.RUNNING:
            # A worker died mid-run and the message came back (acks_late): start over.
            run.fail()
        run.start()
        run.attempts += 1
        run.started_at = timezone.now()
        run.finished_at = None
        run.save(update_fields=["state", "attempts", "started_at", "finished_at"])
        return Claim(run=run, definition=definition)


def _deliver(run: ReportRun, definition: ReportDefinition) -> int:
    """Render and store every recipient's files, mark the run done, tell the recipients."""
    organization = definition.organization
    recipients = audience_of(definition=definition, organization=organization)
    ReportFile.objects.for_org(organization).filter(run=run).delete()
    stored = 0
    for recipient in recipients:
        report = report_for(definition=definition, organization=organization, recipient=recipient)
        for fmt in definition.formats:
            content, name, content_type = render(report, fmt)
            row = ReportFile(
                organization_id=organization.pk,
                run=run,
                recipient=recipient,
                format=fmt,
                name=name,
                content_type=content_type,
                size=len(content),
            )
            row.file.save(name, ContentFile(content), save=True)
            stored += 1
    run.finish()
    run.finished_at = timezone.now()
    run.reason = ""
    run.save(update_fields=["state", "finished_at", "reason"])
    link = reverse("report-archive", kwargs={"org_slug": organization.slug})
    rows = notify(
        recipients=recipients,
        kind="report.ready",
        subject=f"Your report “{definition.title}” is ready",
        body="Download it from the report archive.",
        link=link,
        obj=run,
    )
    if definition.email and rows:
        # The report's own e-mail carries the files and the link: no second message.
        from governance.models import Notification

        Notification.objects.for_org(organization).filter(
            pk__in=[row.pk for row in rows], recipient__email__gt=""
        ).update(emailed_at=timezone.now())
        from reporting.tasks import report_email_task

        kwargs = {"organization_id": organization.pk, "run_id": run.pk}
        transaction.on_commit(lambda: report_email_task.apply_async(kwargs=kwargs))
    return stored


def report_run(
    *,
    definition: ReportDefinition,
    triggered_by: str,
    run: ReportRun | None = None,
    task_id: str = "",
) -> ReportRun | None:
    """Run ``definition`` (or its queued ``run``): every recipient's files, delivered. Returns
    the run, or None when there was nothing to do; raises ``ReportFailed`` after recording a
    failure on the run."""
    organization_id = definition.organization_id
    claim = _claim(
        organization_id=organization_id,
        definition_id=definition.pk,
        run_id=run.pk if run is not None else None,
        task_id=task_id,
        triggered_by=triggered_by,
    )
    if claim is None:
        return None
    try:
        with tenant_scope(organization_id):
            _deliver(claim.run, claim.definition)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"[:REASON_MAX]
        with tenant_scope(organization_id):
            failed = (
                ReportRun.objects.for_org(organization_id).select_for_update().get(pk=claim.run.pk)
            )
            failed.fail()
            failed.reason = reason
            failed.finished_at = timezone.now()
            failed.save(update_fields=["state", "reason", "finished_at"])
        raise ReportFailed(failed, reason) from error
    return claim.run


def report_email(*, organization_id: int, run_id: int) -> int:
    """E-mail each recipient of a done run their files not e-mailed yet; safe to run twice."""
    from collections import defaultdict

    from django.conf import settings
    from django.core.mail import EmailMessage, get_connection

    with transaction.atomic():
        files = list(
            ReportFile.objects.for_org(organization_id)
            .filter(run_id=run_id, emailed_at__isnull=True, run__state=RunState.DONE)
            .select_related("recipient", "run__definition", "run__definition__organization")
            .select_for_update(skip_locked=True, of=("self",))
        )
        by_recipient: dict[int, list[ReportFile]] = defaultdict(list)
        for row in files:
            by_recipient[row.recipient_id].append(row)
        messages = []
        for rows in by_recipient.values():
            recipient = rows[0].recipient
            if not recipient.email:  # type: ignore[attr-defined]
                continue
            definition = rows[0].run.definition
            slug = definition.organization.slug
            link = reverse("report-archive", kwargs={"org_slug": slug})
            message = EmailMessage(
                subject=f"{definition.title}",
                body=(
                    f"Your report “{definition.title}” for {definition.organization.name} is "
                    f"attached. It is also in the archive:\n\n"
                    f"{settings.THROUGHLINE_BASE_URL.rstrip('/')}{link}"
                ),
                to=[recipient.email],  # type: ignore[attr-defined]
            )
            for row in rows:
                with row.file.open("rb") as handle:
                    message.attach(row.name, handle.read(), row.content_type)
            messages.append(message)
        if messages:
            get_connection().send_messages(messages)
        ReportFile.objects.for_org(organization_id).filter(pk__in=[row.pk for row in files]).update(
            emailed_at=timezone.now()
        )
    return len(messages)
