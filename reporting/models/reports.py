"""Leadership report definitions, their runs, and the files each run delivered per recipient.

A definition names its audience (people, and roles held on or above its scope node), its scope
node (a portfolio, program or project; none is the whole organization), its sections (keys of
``reporting.reports.sections``), its cadence (a django-celery-beat crontab kept by
``reporting.reports.services``) and its formats. A run renders one file per recipient and
format, each computed with that recipient's own grants.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, transition

from governance.models import TenantModel


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Excel (XLSX)"
    CSV = "csv", "CSV"


class ReportDefinition(TenantModel):
    """What a scheduled leadership report holds, for whom, and when it runs."""

    title = models.CharField(max_length=200)
    # Roles (``governance.models.Role`` keys) whose holders on the scope node or above it
    # receive the report, besides the people listed in ``recipients``.
    audience_roles = models.JSONField(default=list, blank=True)
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="reporting.ReportRecipient",
        related_name="+",
        blank=True,
    )
    portfolio = models.ForeignKey(
        "governance.Portfolio", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey(
        "governance.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    project = models.ForeignKey(
        "governance.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    sections = models.JSONField(default=list)
    formats = models.JSONField(default=list)
    # The cadence, as the five fields of a crontab (minute hour day-of-month month day-of-week).
    cron_minute = models.CharField(max_length=60, default="0")
    cron_hour = models.CharField(max_length=60, default="7")
    cron_day_of_month = models.CharField(max_length=60, default="*")
    cron_month_of_year = models.CharField(max_length=60, default="*")
    cron_day_of_week = models.CharField(max_length=60, default="1")
    # Beat's entry; kept in step by the services (created, updated, deleted with the definition).
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    email = models.BooleanField(
        default=True, help_text="Also e-mail each recipient their files (the archive always)."
    )
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Bumped by every edit: the API's ETag / If-Match.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["organization", "title"], name="report_def_title_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_node(self) -> models.Model | None:
        """The lowest node named (project, then program, then portfolio); None: the org."""
        return self.project or self.program or self.portfolio

    @property
    def cron(self) -> str:
        return " ".join(
            (
                self.cron_minute,
                self.cron_hour,
                self.cron_day_of_month,
                self.cron_month_of_year,
                self.cron_day_of_week,
            )
        )


class ReportRecipient(TenantModel):
    """A person named in a definition's audience."""

    definition = models.ForeignKey(
        ReportDefinition, on_delete=models.CASCADE, related_name="audience_rows"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "definition", "user"], name="report_recipient_uniq"
            )
        ]


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Trigger(models.TextChoices):
    BEAT = "beat", "Schedule"
    USER = "user", "Run now"


class ReportRun(TenantModel):
    """One run of a definition: queued → running → done, or failed with its reason (a retry
    starts it again)."""

    definition = models.ForeignKey(ReportDefinition, on_delete=models.CASCADE, related_name="runs")
    # Protected: only ``reporting.reports.runs`` moves it, through the transitions below.
    state = FSMField(default=RunState.QUEUED, choices=RunState.choices, protected=True)
    reason = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    triggered_by = models.CharField(max_length=10, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The Celery task id of a scheduled run: a redelivered message finds its run again.
    task_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "task_id"],
                condition=~Q(task_id=""),
                name="report_run_task_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "definition", "id"], name="report_run_def_idx")
        ]

    def __str__(self) -> str:
        return f"{self.definition_id} #{self.pk}"

    def refresh_from_db(self, *args: object, **kwargs: object) -> None:
        # A protected FSM field refuses every assignment once loaded, reloading included.
        fields = kwargs.get("fields")
        if fields is None or "state" in fields:  # type: ignore[operator]
            self.__dict__.pop("state", None)
        super().refresh_from_db(*args, **kwargs)  # type: ignore[arg-type]

    @transition(field=state, source=[RunState.QUEUED, RunState.FAILED], target=RunState.RUNNING)
    def start(self) -> None:
        """A worker took it (again, after a failure)."""

    @transition(field=state, source=RunState.RUNNING, target=RunState.DONE)
    def finish(self) -> None:
        """Every file rendered and stored."""

    @transition(field=state, source=RunState.RUNNING, target=RunState.FAILED)
    def fail(self) -> None:
        """Rendering or storing failed; ``reason`` says why."""


def report_upload_to(instance: ReportFile, filename: str) -> str:
    """Under the organization and run, with a random name: never a guessable public path."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return (
        f"reports/org-{instance.organization_id}/run-{instance.run_id}/{uuid.uuid4().hex}{suffix}"
    )


class ReportFile(TenantModel):
    """One recipient's report in one format, computed with their grants."""

    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="files")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    format = models.CharField(max_length=10, choices=ReportFormat.choices)
    file = models.FileField(upload_to=report_upload_to, max_length=300)
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "recipient", "format"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "run", "recipient", "format"], name="report_file_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "recipient"], name="report_file_recipient_idx")
        ]

    def __str__(self) -> str:
        return self.name
