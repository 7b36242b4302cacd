"""Risks of a measure, and the dependencies between measures.

A risk's score is probability x impact, computed by the database (a generated column), so a list
sorts by it and no write can leave it out of step. A dependency is an edge of the measure graph
the ripple-effect analysis walks: the successor starts after the predecessor finishes, shifted by
a lag in days. Both reach the hierarchy through a measure (``ACCESS_VIA``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from governance.models import TenantModel

SCALE = range(1, 6)
LAG_LIMIT = 365


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATING = "mitigating", "Mitigating"
    CLOSED = "closed", "Closed"
    OCCURRED = "occurred", "Occurred"


# Risks still ahead of the measure: they contradict a "no material risk" statement.
ACTIVE_RISK = (RiskStatus.OPEN, RiskStatus.MITIGATING)


class Risk(TenantModel):
    """Something that may go wrong with a measure, rated 1-5 for probability and impact."""

    ACCESS_VIA = "measure"

    measure = models.ForeignKey("measures.Measure", on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    probability = models.PositiveSmallIntegerField(help_text="1 (rare) to 5 (almost certain).")
    impact = models.PositiveSmallIntegerField(help_text="1 (minor) to 5 (severe).")
    score = models.GeneratedField(
        expression=F("probability") * F("impact"),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    mitigation = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=1, probability__lte=5),
                name="risk_probability_range",
            ),
            models.CheckConstraint(
                condition=Q(impact__gte=1, impact__lte=5), name="risk_impact_range"
            ),
        ]
        indexes = [models.Index(fields=["organization", "measure"], name="risk_org_measure_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.probability}x{self.impact})"


class DependencyType(models.TextChoices):
    # Only finish-to-start today; the type is stored so others can come without a migration.
    FINISH_TO_START = "fs", "Finish to start"


class MeasureDependency(TenantModel):
    """The successor measure depends on the predecessor: it starts once that one finishes."""

    ACCESS_VIA = "successor"

    predecessor = models.ForeignKey(
        "measures.Measure", on_delete=models.CASCADE, related_name="successor_links"
    )
    successor = models.ForeignKey(
        "measures.Measure", on_delete=models.CASCADE, related_name="predecessor_links"
    )
    type = models.CharField(
        max_length=2, choices=DependencyType.choices, default=DependencyType.FINISH_TO_START
    )
    lag_days = models.SmallIntegerField(
        default=0, help_text="Days between the predecessor's end and the successor's start."
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "predecessor", "successor"], name="dependency_uniq"
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=F("successor")), name="dependency_not_self"
            ),
            models.CheckConstraint(
                condition=Q(lag_days__gte=-LAG_LIMIT, lag_days__lte=LAG_LIMIT),
                name="dependency_lag_range",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "successor"], name="dependency_org_succ_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} → {self.successor_id}"
