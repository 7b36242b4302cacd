"""Reporting's own rows: snapshots of the measures, and leadership report definitions and runs."""

from reporting.models.snapshots import Snapshot, SnapshotKind, SnapshotMeasure

__all__ = ["Snapshot", "SnapshotKind", "SnapshotMeasure"]
