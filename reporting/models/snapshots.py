"""Snapshots: the measures as they were reported at a moment, kept for history and for
"since last report" comparisons.

A ``Snapshot`` is one per organization, kind and period (the Monday of the week, the first day
of the closed month, or the day of a manual one): taking it again changes nothing. Each of its
``SnapshotMeasure`` rows copies one live measure's keys, stage, statuses, dates and owner, and
its figures summed over the fiscal year the snapshot fell in. The rows carry their measure's
ancestor keys (``ACCESS_KEYS``) as they were then, so ``restrict`` filters them without a join;
no key is a database constraint, so deleting or moving anything later leaves history intact.
``SnapshotProgram`` sums a snapshot's rows per program, function, business unit, legal entity
and stage when it is taken.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from governance.models import TenantModel
from measures.models import DoI, ImplementationStatus, PotentialStatus
from measures.models.figures import Figures


class SnapshotKind(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    PERIOD_CLOSE = "period_close", "Period close"
    MANUAL = "manual", "Manual"


class Snapshot(TenantModel):
    """The measures of an organization as they stood when it was taken."""

    kind = models.CharField(max_length=20, choices=SnapshotKind.choices)
    period = models.DateField(
        help_text="The Monday of the week, the first day of the closed month, or the day."
    )
    fiscal_year_start = models.DateField(help_text="The fiscal year the figures are summed over.")
    taken_at = models.DateTimeField()
    measure_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "period"], name="snapshot_kind_period_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period:%Y-%m-%d}"


def _history_key(to: str) -> models.ForeignKey:
    """A key as it was then: no constraint and no cascade, so history outlives the row."""
    return models.ForeignKey(
        to,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class SnapshotMeasure(TenantModel, Figures):
    """One measure in a snapshot, with its fiscal-year figures as reported then."""

    ACCESS_KEYS = "measure"
    # The owner as it was then, on the row itself.
    ACCESS_OWNER = "owner_id"

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="measures")
    measure = models.ForeignKey(
        "measures.Measure",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    code = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    portfolio = _history_key("governance.Portfolio")
    program = _history_key("governance.Program")
    project = _history_key("governance.Project")
    package = _history_key("measures.MeasurePackage")
    function = _history_key("governance.Function")
    business_unit = _history_key("governance.BusinessUnit")
    legal_entity = _history_key("governance.LegalEntity")
    owner = _history_key(settings.AUTH_USER_MODEL)
    stage = models.CharField(max_length=20, choices=DoI.choices)
    implementation_status = models.CharField(
        max_length=20, choices=ImplementationStatus.choices, blank=True
    )
    potential_status = models.CharField(max_length=10, choices=PotentialStatus.choices, blank=True)
    end_date = models.DateField(null=True, blank=True)
    baseline_end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "snapshot", "measure"], name="snapshot_measure_uniq"
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "snapshot", "program"], name="snapshot_measure_program_idx"
            ),
            models.Index(
                fields=["organization", "snapshot", "portfolio"],
                name="snapshot_measure_portfolio_idx",
            ),
            # "My work": an owner's rows across the trend's snapshots.
            models.Index(
                fields=["organization", "owner", "snapshot"], name="snapshot_measure_owner_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} in {self.snapshot_id}"


class SnapshotProgram(TenantModel, Figures):
    """A snapshot's rows summed per program, function, business unit, legal entity and stage,
    written with the snapshot and never changed: the trend across snapshots reads these few
    rows when the user's financial scope is whole programs."""

    # The program's keys as they were then, on the row itself; a sum of several owners' rows.
    ACCESS_KEYS = "program"
    ACCESS_OWNER = ""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="programs")
    portfolio = _history_key("governance.Portfolio")
    program = _history_key("governance.Program")
    function = _history_key("governance.Function")
    business_unit = _history_key("governance.BusinessUnit")
    legal_entity = _history_key("governance.LegalEntity")
    stage = models.CharField(max_length=20, choices=DoI.choices)
    measures = models.PositiveIntegerField(default=0, help_text="Snapshot rows summed.")

    class Meta:
        ordering = ["snapshot", "program"]

    def __str__(self) -> str:
        return f"program {self.program_id} in {self.snapshot_id}"
