"""Key performance indicators of a measure or a project, and their values per month.

A KPI belongs to exactly one parent, a measure or a project (a check constraint holds it). Rows
reach the hierarchy through the measure (``ACCESS_VIA``) so that ``restrict`` on KPIs alone
fails closed for project KPIs; the KPI selectors widen it to the project where one is set.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from governance.models import TenantModel


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class ReviewFrequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    YEARLY = "yearly", "Yearly"


def _value(**kwargs: Any) -> models.DecimalField:
    return models.DecimalField(max_digits=20, decimal_places=4, **kwargs)


class Kpi(TenantModel):
    """What a measure or project is judged by: a target against a baseline, in a unit."""

    ACCESS_VIA = "measure"

    measure = models.ForeignKey(
        "measures.Measure", null=True, blank=True, on_delete=models.CASCADE, related_name="kpis"
    )
    project = models.ForeignKey(
        "governance.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="kpis"
    )
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=30, blank=True, help_text='e.g. "%", "days", "EUR".')
    direction = models.CharField(max_length=10, choices=Direction.choices)
    baseline = _value(null=True, blank=True)
    target = _value()
    # The target as it stood when the measure entered Decided; null until then.
    target_baseline = _value(null=True, blank=True)
    review_frequency = models.CharField(
        max_length=10, choices=ReviewFrequency.choices, default=ReviewFrequency.MONTHLY
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "KPI"
        constraints = [
            models.CheckConstraint(
                condition=(Q(measure__isnull=False) & Q(project__isnull=True))
                | (Q(measure__isnull=True) & Q(project__isnull=False)),
                name="kpi_one_parent",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "measure"], name="kpi_org_measure_idx"),
            models.Index(fields=["organization", "project"], name="kpi_org_project_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def parent(self) -> models.Model:
        return self.measure if self.measure_id else self.project  # type: ignore[return-value]

    def variance(self, actual: Decimal | None) -> Decimal | None:
        """``actual - target``; ``None`` without an actual."""
        return None if actual is None else actual - self.target

    def favourable(self, actual: Decimal | None) -> bool | None:
        """Whether ``actual`` meets the target in the KPI's direction (on target counts)."""
        variance = self.variance(actual)
        if variance is None:
            return None
        return variance >= 0 if self.direction == Direction.HIGHER else variance <= 0


class KpiValue(TenantModel):
    """A KPI's actual and forecast for one month, with the commentary of whoever entered it."""

    ACCESS_VIA = "kpi"

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="values")
    period = models.DateField(help_text="First day of the month.")
    actual = _value(null=True, blank=True)
    forecast = _value(null=True, blank=True)
    commentary = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "kpi", "period"], name="kpi_value_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.actual}"
