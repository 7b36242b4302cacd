"""The measures app's models, one module per concern; everything is importable from here."""

from measures.models.capacity import MONTH_HOURS, Availability, CapacityPerson, Effort
from measures.models.figures import FIGURES, MeasureMonth, ProgramMonth, ProgramTally
from measures.models.financials import (
    FinancialEntry,
    FinancialSettings,
    Line,
    MeasurePotential,
    PotentialStatus,
    Scenario,
    Validation,
)
from measures.models.hierarchy import (
    Measure,
    MeasureGroupPermission,
    MeasurePackage,
    MeasurePackageGroupPermission,
    MeasurePackageUserPermission,
    MeasureUserPermission,
    measures_below,
)
from measures.models.kpis import Direction, Kpi, KpiValue, ReviewFrequency
from measures.models.milestones import (
    ImplementationStatus,
    Milestone,
    MilestoneEvidence,
    StatusReport,
)
from measures.models.risks import (
    ACTIVE_RISK,
    DependencyType,
    MeasureDependency,
    Risk,
    RiskStatus,
)
from measures.models.settings import DEFAULT_CATEGORIES, GateSettings, ImpactType, MeasureCategory
from measures.models.stages import DOI_ORDER, DoI

__all__ = [
    "ACTIVE_RISK",
    "DEFAULT_CATEGORIES",
    "DOI_ORDER",
    "FIGURES",
    "MONTH_HOURS",
    "Availability",
    "CapacityPerson",
    "DependencyType",
    "Direction",
    "DoI",
    "Effort",
    "FinancialEntry",
    "FinancialSettings",
    "GateSettings",
    "ImpactType",
    "ImplementationStatus",
    "Kpi",
    "KpiValue",
    "Line",
    "Measure",
    "MeasureCategory",
    "MeasureDependency",
    "MeasureGroupPermission",
    "MeasureMonth",
    "MeasurePackage",
    "MeasurePackageGroupPermission",
    "MeasurePackageUserPermission",
    "MeasurePotential",
    "MeasureUserPermission",
    "Milestone",
    "MilestoneEvidence",
    "PotentialStatus",
    "ProgramMonth",
    "ProgramTally",
    "ReviewFrequency",
    "Risk",
    "RiskStatus",
    "Scenario",
    "StatusReport",
    "Validation",
    "measures_below",
]
