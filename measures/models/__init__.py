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
    "DependencyType",
    "DoI",
    "FinancialEntry",
    "FinancialSettings",
    "GateSettings",
    "ImpactType",
    "Line",
    "Measure",
    "MeasureCategory",
    "MeasureDependency",
    "MeasureGroupPermission",
    "MeasurePackage",
    "MeasurePackageGroupPermission",
    "MeasurePackageUserPermission",
    "MeasurePotential",
    "MeasureUserPermission",
    "PotentialStatus",
    "Risk",
    "RiskStatus",
    "Scenario",
    "Validation",
]
