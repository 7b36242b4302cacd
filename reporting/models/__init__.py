"""Reporting's own rows: snapshots of the measures, and leadership report definitions and runs."""

from reporting.models.reports import (
    ReportDefinition,
    ReportFile,
    ReportFormat,
    ReportRecipient,
    ReportRun,
    RunState,
    Trigger,
)
from reporting.models.snapshots import Snapshot, SnapshotKind, SnapshotMeasure, SnapshotProgram

__all__ = [
    "ReportDefinition",
    "ReportFile",
    "ReportFormat",
    "ReportRecipient",
    "ReportRun",
    "RunState",
    "Snapshot",
    "SnapshotKind",
    "SnapshotMeasure",
    "SnapshotProgram",
    "Trigger",
]
