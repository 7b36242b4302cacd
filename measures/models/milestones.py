"""Milestones of a measure, the evidence that proves them, and the owner's periodic status reports.

A milestone keeps its planned ``due_date`` next to the ``baseline_due_date`` frozen when the
measure enters Decided, so a slip is visible in days. Evidence files are stored through Django's
storage API under the organization and are only ever served by a view that checks access.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import models

from governance.models import TenantModel


class ImplementationStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    DONE = "done", "Done"


class Milestone(TenantModel):
    """A dated step of a measure; done once it has a completion date."""

    ACCESS_VIA = "measure"

    measure = models.ForeignKey(
        "measures.Measure", on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(max_length=200)
    due_date = models.DateField()
    # Frozen from ``due_date`` when the measure enters Decided; null until then.
    baseline_due_date = models.DateField(null=True, blank=True)
    # Null while the milestone is open.
    completed_on = models.DateField(null=True, blank=True)
    evidence_required = models.BooleanField(default=False)
    evidence_description = models.TextField(
        blank=True, help_text="What evidence proves the milestone done."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "due_date", "id"]
        indexes = [
            models.Index(fields=["organization", "measure"], name="milestone_org_measure_idx"),
            models.Index(
                fields=["organization", "completed_on", "due_date"], name="milestone_org_open_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.completed_on is not None

    @property
    def slip_days(self) -> int | None:
        """Days the due date moved past the baseline (negative: earlier); None before Decided."""
        if self.baseline_due_date is None:
            return None
        return (self.due_date - self.baseline_due_date).days


def evidence_upload_to(instance: MilestoneEvidence, filename: str) -> str:
    """Under the organization and measure, with a random name: the original name is kept in
    the row, never trusted as a path."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return (
        f"evidence/org-{instance.organization_id}/measure-{instance.measure_id}/"
        f"{uuid.uuid4().hex}{suffix}"
    )


class MilestoneEvidence(TenantModel):
    """A file proving a milestone. Carries its measure so access resolves without a join."""

    ACCESS_VIA = "measure"

    measure = models.ForeignKey("measures.Measure", on_delete=models.CASCADE, related_name="+")
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name_plural = "milestone evidence"
        indexes = [
            models.Index(fields=["organization", "milestone"], name="evidence_org_milestone_idx"),
        ]

    def __str__(self) -> str:
        return self.original_name


class StatusReport(TenantModel):
    """The owner's Implementation Status of a measure for one month, with the status suggested
    from the milestones at the time of reporting."""

    ACCESS_VIA = "measure"

    measure = models.ForeignKey(
        "measures.Measure", on_delete=models.CASCADE, related_name="status_reports"
    )
    period = models.DateField(help_text="First day of the month.")
    status = models.CharField(max_length=12, choices=ImplementationStatus.choices)
    suggested_status = models.CharField(max_length=12, choices=ImplementationStatus.choices)
    commentary = models.TextField(blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField()

    class Meta:
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "measure", "period"], name="status_report_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.status}"

    @property
    def diverges(self) -> bool:
        return self.status != self.suggested_status

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": f"{self.period:%Y-%m}",
            "status": self.status,
            "suggested_status": self.suggested_status,
            "commentary": self.commentary,
        }
