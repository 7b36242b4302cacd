"""The measures app's models, one module per concern; everything is importable from here."""

from measures.models.hierarchy import (
    Measure,
    MeasureGroupPermission,
    MeasurePackage,
    MeasurePackageGroupPermission,
    MeasurePackageUserPermission,
    MeasureUserPermission,
)
from measures.models.stages import DOI_ORDER, DoI

__all__ = [
    "DOI_ORDER",
    "DoI",
    "Measure",
    "MeasureGroupPermission",
    "MeasurePackage",
    "MeasurePackageGroupPermission",
    "MeasurePackageUserPermission",
    "MeasureUserPermission",
]
