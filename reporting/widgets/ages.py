"""Age buckets shared by the widgets that count open items by how long they have waited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, CharField, Value, When
from django.db.models.expressions import Expression


@dataclass(frozen=True)
class AgeBucket:
    key: str
    label: str
    # Inclusive day bounds; ``None`` for no upper bound.
    low: int
    high: int | None


AGE_BUCKETS: tuple[AgeBucket, ...] = (
    AgeBucket("0-7", "Up to a week", 0, 7),
    AgeBucket("8-30", "8 to 30 days", 8, 30),
    AgeBucket("31-90", "31 to 90 days", 31, 90),
    AgeBucket("91+", "More than 90 days", 91, None),
)


def bucket_of(days: int) -> str:
    """The bucket key of an age in whole days (the Python twin of ``age_bucket``)."""
    for bucket in AGE_BUCKETS:
        if days >= bucket.low and (bucket.high is None or days <= bucket.high):
            return bucket.key
    return AGE_BUCKETS[0].key


def age_bucket(field: str, now: dt.datetime) -> Expression:
    """A SQL expression putting a timestamp ``field`` into its age bucket as of ``now``: an
    item opened less than ``high + 1`` whole days ago is in that bucket."""
    whens = [
        When(**{f"{field}__gt": now - dt.timedelta(days=bucket.high + 1)}, then=Value(bucket.key))
        for bucket in AGE_BUCKETS
        if bucket.high is not None
    ]
    return Case(*whens, default=Value(AGE_BUCKETS[-1].key), output_field=CharField())


def age_days(opened: dt.datetime, now: dt.datetime) -> int:
    return (now - opened).days
