"""The measures app's models, one module per concern; everything is importable from here."""

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
)
from measures.models.milestones import (
    ImplementationStatus,
    Milestone,
    MilestoneEvidence,
    StatusReport,
)
from measures.models.settings import DEFAULT_CATEGORIES, GateSettings, ImpactType, MeasureCategory
from measures.models.stages import DOI_ORDER, DoI

__all__ = [
    "DEFAULT_CATEGORIES",
    "DOI_ORDER",
    "DoI",
    "FinancialEntry",
    "FinancialSettings",
    "GateSettings",
    "ImpactType",
    "ImplementationStatus",
    "Line",
    "Measure",
    "MeasureCategory",
    "MeasureGroupPermission",
    "MeasurePackage",
    "MeasurePackageGroupPermission",
    "MeasurePackageUserPermission",
    "MeasurePotential",
    "MeasureUserPermission",
    "Milestone",
    "MilestoneEvidence",
    "PotentialStatus",
    "Scenario",
    "StatusReport",
    "Validation",
]
