"""The financial series of a measure, its validation by controllers, and the value settings.

One ``FinancialEntry`` row per measure, month, line and scenario. Rows reach the hierarchy
through their measure (``ACCESS_VIA``): roll-ups join the measure and filter on its
denormalized ancestor keys instead of copying them here, so moving a measure never has to
rewrite its series (measured in the benchmarks: the join costs little against the grouping).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models

from governance.models import TenantModel
from measures.models.stages import DoI


class Line(models.TextChoices):
    BENEFIT = "benefit", "Benefit"
    ONE_TIME_COST = "one_time_cost", "One-time cost"
    RECURRING_COST = "recurring_cost", "Recurring cost"


class Scenario(models.TextChoices):
    PLAN = "plan", "Plan"
    BASELINE = "baseline", "Baseline"
    FORECAST = "forecast", "Forecast"
    ACTUAL = "actual", "Actual"


class Validation(models.TextChoices):
    PENDING = "pending", "Pending"
    VALIDATED = "validated", "Validated"
    REJECTED = "rejected", "Rejected"


class PotentialStatus(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"


# What counts as validated: the validated amount of actuals a controller validated (as claimed
# or in part). The one statement of the rule; the roll-ups and the monthly figures both sum it.
VALIDATED_ACTUALS = models.Q(scenario=Scenario.ACTUAL, validation=Validation.VALIDATED)


def validated_sum(where: models.Q | None = None, **options: Any) -> models.Sum:
    """The sum of validated amounts (``VALIDATED_ACTUALS``), of the rows ``where`` selects."""
    rule = VALIDATED_ACTUALS if where is None else VALIDATED_ACTUALS & where
    return models.Sum("validated_amount", filter=rule, **options)


class FinancialEntry(TenantModel):
    """One amount of a measure's series, in the organization's currency."""

    ACCESS_VIA = "measure"

    measure = models.ForeignKey(
        "measures.Measure", on_delete=models.CASCADE, related_name="financials"
    )
    period = models.DateField(help_text="First day of the month.")
    line = models.CharField(max_length=20, choices=Line.choices)
    scenario = models.CharField(max_length=10, choices=Scenario.choices)
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    # Only actuals are validated, and only by controllers (never the measure's owner).
    validation = models.CharField(max_length=10, choices=Validation.choices, blank=True, default="")
    validated_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    validated_at = models.DateTimeField(null=True, blank=True)
    validation_note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period", "line", "scenario"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "measure", "period", "line", "scenario"],
                name="financial_entry_uniq",
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "scenario", "line", "period"], name="financial_org_sc_idx"
            ),
            # The validation queue: a measure's actuals awaiting a verdict, without reading the
            # rest of its series (about ten rows in a hundred).
            models.Index(
                fields=["organization", "measure"],
                condition=models.Q(scenario="actual", validation="pending"),
                name="financial_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.line} {self.scenario} {self.amount}"


class MeasurePotential(TenantModel):
    """The Potential Status of a measure for a period: cumulative forecast against reference."""

    ACCESS_VIA = "measure"

    measure = models.ForeignKey(
        "measures.Measure", on_delete=models.CASCADE, related_name="potential_history"
    )
    period = models.DateField()
    status = models.CharField(max_length=10, choices=PotentialStatus.choices)
    forecast = models.DecimalField(max_digits=18, decimal_places=2)
    reference = models.DecimalField(max_digits=18, decimal_places=2)
    # "baseline" once decided, "plan" before.
    reference_scenario = models.CharField(max_length=10, choices=Scenario.choices)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "measure", "period"], name="measure_potential_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.status}"


DEFAULT_WEIGHTS: dict[str, Decimal] = {
    DoI.DEFINED: Decimal("0"),
    DoI.IDENTIFIED: Decimal("10"),
    DoI.DETAILED: Decimal("25"),
    DoI.DECIDED: Decimal("50"),
    DoI.IMPLEMENTED: Decimal("80"),
    DoI.CLOSED: Decimal("100"),
}


def _percent(default: str) -> models.DecimalField:
    return models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(default))


class FinancialSettings(TenantModel):
    """An organization's stage weights (risk-adjusted potential) and Potential Status thresholds,
    in percent. Absent row: the defaults."""

    weight_defined = _percent("0")
    weight_identified = _percent("10")
    weight_detailed = _percent("25")
    weight_decided = _percent("50")
    weight_implemented = _percent("80")
    weight_closed = _percent("100")
    on_track_from = _percent("95")
    at_risk_from = _percent("80")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="financial_settings_uniq")
        ]

    def weights(self) -> dict[str, Decimal]:
        """``{stage: fraction}``; On hold and Cancelled weigh nothing."""
        return {stage: getattr(self, f"weight_{stage}") / Decimal(100) for stage in DEFAULT_WEIGHTS}
