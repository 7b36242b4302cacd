"""Writing the decision log. Every service that decides calls ``decision_record`` (or the bulk
form) inside its own transaction, beside ``audit_record``: the audit trail says what changed, the
decision log says who decided what, where and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone

from governance.models import DecisionForum, DecisionRecord


@dataclass(frozen=True)
class Decided:
    """One decision to record: ``subject`` is what it is about (it carries ``organization_id``)."""

    kind: str
    venue: str
    subject: models.Model
    summary: str
    by: Any = None
    rationale: str = ""
    measure_id: int | None = None
    forum: DecisionForum | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _row(decided: Decided, at: dt.datetime) -> DecisionRecord:
    subject = decided.subject
    return DecisionRecord(
        organization_id=subject.organization_id,  # type: ignore[attr-defined]
        kind=decided.kind,
        venue=decided.venue,
        forum=decided.forum,
        measure_id=decided.measure_id,
        subject_type=subject._meta.label_lower,
        subject_id=subject.pk,
        subject_repr=str(subject)[:250],
        summary=decided.summary[:500],
        rationale=decided.rationale,
        details=decided.details,
        decided_by=decided.by if getattr(decided.by, "pk", None) else None,
        decided_at=at,
    )


def decision_record(decided: Decided, *, at: dt.datetime | None = None) -> DecisionRecord:
    """Append one decision to the log."""
    record = _row(decided, at or timezone.now())
    record.save(force_insert=True)
    return record


def decision_records(decisions: Iterable[Decided], *, at: dt.datetime | None = None) -> int:
    """Append many decisions in one statement (a bulk validation); returns how many."""
    moment = at or timezone.now()
    rows = [_row(decided, moment) for decided in decisions]
    DecisionRecord.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
