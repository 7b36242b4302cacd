"""The dashboards' read model: each measure's figures per month, with the measure's keys copied.

``MeasureMonth`` holds one row per live (not archived) measure and month that has any series
row: the benefit and cost (one-time plus recurring) of every scenario, and the validated benefit.
It carries its measure's ancestor keys, stage, function, business unit and legal entity, so a
dashboard sums it with one grouped query filtered by ``restrict`` without joining the measure.

It is derived data: ``measures.services.figures`` rewrites the (measure, month) rows a write
touched in the same transaction as the write, and ``measure_months_rebuild`` recomputes a
whole tenant from ``FinancialEntry`` and ``Measure``.

``ProgramMonth`` sums ``MeasureMonth`` once more, per program, function, business unit, legal
entity, stage and month (a few thousand rows a fiscal year where the measures have hundreds of
thousands): the organization's dashboards sum it when the user's scope is whole programs. The
same services recompute the groups a write touched, in the same transaction.

``ProgramTally`` counts the live measures per program, function, business unit, legal entity,
stage and statuses (a few hundred rows where the measures are tens of thousands), for the stage
counts and the status matrix; the services that change a measure's stage, statuses, keys or
life recompute its program's groups in their transaction.
"""

from __future__ import annotations

from django.db import models

from governance.models import Portfolio, Program, Project, TenantModel
from measures.models.financials import PotentialStatus
from measures.models.milestones import ImplementationStatus
from measures.models.stages import DoI

# The figures, in the order the refresh writes them.
FIGURES: tuple[str, ...] = (
    "benefit_plan",
    "benefit_baseline",
    "benefit_forecast",
    "benefit_actual",
    "benefit_validated",
    "cost_plan",
    "cost_baseline",
    "cost_forecast",
    "cost_actual",
)
# The measure's fields the rows copy (besides the measure itself).
MEASURE_KEYS: tuple[str, ...] = (
    "portfolio",
    "program",
    "project",
    "package",
    "function",
    "business_unit",
    "legal_entity",
)


def _figure() -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=2, default=0)


class Figures(models.Model):
    """The nine figures a row of the read models holds: benefit by plan, baseline, forecast,
    actual and validated, and cost (one-time plus recurring) by plan, baseline, forecast and
    actual (``FIGURES``)."""

    benefit_plan = _figure()
    benefit_baseline = _figure()
    benefit_forecast = _figure()
    benefit_actual = _figure()
    benefit_validated = _figure()
    cost_plan = _figure()
    cost_baseline = _figure()
    cost_forecast = _figure()
    cost_actual = _figure()

    class Meta:
        abstract = True


class MeasureMonth(TenantModel, Figures):
    """A measure's benefit and cost in one month, as the dashboards sum them."""

    # Carries its measure's ancestor keys: ``restrict`` filters the row itself (no join).
    ACCESS_KEYS = "measure"

    measure = models.ForeignKey("measures.Measure", on_delete=models.CASCADE, related_name="months")
    period = models.DateField(help_text="First day of the month.")
    portfolio = models.ForeignKey(
        Portfolio, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+", db_index=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+", db_index=False)
    package = models.ForeignKey(
        "measures.MeasurePackage", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    function = models.ForeignKey(
        "governance.Function", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    business_unit = models.ForeignKey(
        "governance.BusinessUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    legal_entity = models.ForeignKey(
        "governance.LegalEntity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(max_length=20, choices=DoI.choices, default=DoI.DEFINED)

    class Meta:
        ordering = ["period"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "measure", "period"], name="measure_month_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "period"], name="measure_month_org_period_idx"),
            models.Index(
                fields=["organization", "program", "period"], name="measure_month_program_idx"
            ),
            models.Index(
                fields=["organization", "portfolio", "period"], name="measure_month_portfolio_idx"
            ),
            models.Index(
                fields=["organization", "project", "period"], name="measure_month_project_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} measure {self.measure_id}"


# The keys every per-program row carries (``ProgramGroup``, besides the stage).
PROGRAM_KEYS: tuple[str, ...] = (
    "organization",
    "portfolio",
    "program",
    "function",
    "business_unit",
    "legal_entity",
)
# The keys ``ProgramMonth`` groups ``MeasureMonth`` by, in the order the refresh writes them.
PROGRAM_MONTH_KEYS: tuple[str, ...] = (*PROGRAM_KEYS, "stage", "period")


class ProgramGroup(TenantModel):
    """The keys of a per-program read model's row: a program's measures of one function,
    business unit, legal entity and stage."""

    # Carries the program's keys: ``restrict`` filters the row itself. It has no owner (a
    # measure's owner sees their own measures' rows, not these sums).
    ACCESS_KEYS = "program"
    ACCESS_OWNER = ""
    # Derived rows: they go with a node deleted outright (as the measure months go with their
    # measure), rather than holding it.

    portfolio = models.ForeignKey(
        Portfolio, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+", db_index=False)
    function = models.ForeignKey(
        "governance.Function", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    business_unit = models.ForeignKey(
        "governance.BusinessUnit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    legal_entity = models.ForeignKey(
        "governance.LegalEntity", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    stage = models.CharField(max_length=20, choices=DoI.choices, default=DoI.DEFINED)

    class Meta:
        abstract = True


class ProgramMonth(ProgramGroup, Figures):
    """The figures of a program's live measures of one function, business unit, legal entity
    and stage in one month: ``MeasureMonth`` summed, and how many measure rows it sums."""

    period = models.DateField(help_text="First day of the month.")
    measures = models.PositiveIntegerField(default=0, help_text="Measure rows summed.")

    class Meta:
        ordering = ["period"]
        indexes = [
            models.Index(fields=["organization", "period"], name="program_month_org_period_idx"),
            models.Index(
                fields=["organization", "program", "period"], name="program_month_program_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} program {self.program_id} {self.stage}"


# The measure's fields ``ProgramTally`` groups live measures by, in the order the refresh writes
# them (``doi`` into ``stage``).
PROGRAM_TALLY_KEYS: tuple[str, ...] = (
    *PROGRAM_KEYS,
    "doi",
    "implementation_status",
    "potential_status",
)


class ProgramTally(ProgramGroup):
    """How many live measures a program has of one function, business unit, legal entity,
    stage, Implementation Status and Potential Status: the dashboards' stage counts and status
    matrix read these few rows instead of counting the measures."""

    implementation_status = models.CharField(
        max_length=20, choices=ImplementationStatus.choices, blank=True, default=""
    )
    potential_status = models.CharField(
        max_length=10, choices=PotentialStatus.choices, blank=True, default=""
    )
    measures = models.PositiveIntegerField(default=0, help_text="Live measures counted.")

    class Meta:
        ordering = ["program", "stage"]
        indexes = [
            models.Index(fields=["organization", "program"], name="program_tally_program_idx"),
        ]

    def __str__(self) -> str:
        return f"program {self.program_id} {self.stage}: {self.measures}"
