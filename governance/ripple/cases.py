"""The recompute: causes → ripple → exception cases, written idempotently.

``cases_recompute(organization, measure_ids)`` re-derives every case whose result may depend on
``measure_ids``: cases rooted at them, and at every measure upstream of them (a slip travelling
down from there passes through them). ``None`` recomputes the whole organization. For each
(root, cause) holding now it computes the impact; an open case with the same fingerprint is left
alone, a changed one is rewritten, a missing one opened — unless the same impact was decided
already — and an open case whose cause no longer holds is closed as cleared. Full and
incremental recomputes therefore leave the same open cases (tested on generated graphs).

Recomputes of one organization run one at a time (an advisory lock on PostgreSQL), so two
workers never open the same case twice; the unique constraint on open cases backs that up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import IntegerField, QuerySet
from django.db.models.functions import Cast, ExtractMonth, ExtractYear
from django.utils import timezone

from governance.models import (
    CaseState,
    Cause,
    DecisionForum,
    ExceptionCase,
    ImpactedMeasure,
    Organization,
)
from governance.ripple.causes import Found, Moment, causes_of, live_measures
from governance.ripple.notices import cases_opened_notify
from governance.ripple.propagate import (
    Dates,
    Edge,
    Reached,
    loss,
    loss_within,
    month_index,
    months_late,
    ripple,
    successors_of,
)
from measures.fiscal import fiscal_year_start
from measures.models import FinancialEntry, Measure, MeasureDependency
from measures.models.financials import Line, Scenario
from measures.services.dependencies import downstream, upstream

LOCK_CLASS = 0x7472_6970  # "trip": one recompute per organization at a time
# Causes that move dates and so ripple downstream; the others concern their measure alone.
RIPPLING = {Cause.MILESTONE_SLIP}
# The benefit a slip delays: the forecast where there is one, else the baseline, else the plan.
SERIES_PREFERENCE = (Scenario.FORECAST, Scenario.BASELINE, Scenario.PLAN)


@dataclass(frozen=True)
class Risk:
    """What a slip of whole months does to one measure's benefit, computed once per measure
    and number of months however many cases reach it."""

    by_period: dict[str, str]
    in_year: Decimal
    digest: str


NO_RISK = Risk({}, Decimal(0), "")


@dataclass
class Impact:
    root: int
    cause: str
    found: Found
    reached: dict[int, Reached]
    risk: dict[int, Risk]

    @property
    def value_at_risk(self) -> Decimal:
        if self.cause in RIPPLING:
            return sum((risk.in_year for risk in self.risk.values()), Decimal(0))
        return self.found.amount

    def fingerprint(self) -> str:
        body = {
            "cause": self.cause,
            "detail": self.found.detail,
            "amount": str(self.found.amount),
            "impacted": [
                [pk, r.slip, r.via, r.depth, self.risk.get(pk, NO_RISK).digest]
                for pk, r in sorted(self.reached.items())
            ],
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass
class Summary:
    opened: int = 0
    updated: int = 0
    unchanged: int = 0
    cleared: int = 0
    roots: int = 0


def _lock(organization_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, organization_id])


# --- loading the graph and the series --------------------------------------------------------


def _graph(
    organization_id: int, starts: set[int], whole: bool
) -> tuple[dict[int, list[Edge]], dict[int, Dates]]:
    """The edges and dates of everything reachable from ``starts`` (the whole graph when
    ``whole``: one read beats many walks)."""
    edges = MeasureDependency.objects.for_org(organization_id)
    if not whole:
        reach = starts | downstream(starts, organization=organization_id)
        edges = edges.filter(predecessor_id__in=reach)
    successors = successors_of(
        Edge(a, b, lag)
        for a, b, lag in edges.values_list("predecessor_id", "successor_id", "lag_days")
    )
    nodes = set(starts) | {e.successor for found in successors.values() for e in found}
    measures = Measure.objects.for_org(organization_id)
    if not whole:
        measures = measures.filter(pk__in=nodes)
    dates = {
        pk: Dates(start or baseline_start, end or baseline_end)
        for pk, start, end, baseline_start, baseline_end in measures.values_list(
            "pk", "start_date", "end_date", "baseline_start_date", "baseline_end_date"
        )
    }
    return successors, dates


SERIES_BATCH = 2_000  # measures per read of the benefit series
# Past this many measures, one read of the scenario's whole series beats looking each one up.
SERIES_WHOLE_ABOVE = 10_000


def _benefit_series(organization_id: int, ids: set[int]) -> dict[int, dict[int, Decimal]]:
    """Each measure's benefit by month index (``month_index``) in the first scenario of
    ``SERIES_PREFERENCE`` it has: per scenario, only the measures still without a series, a
    batch of measures per query (or, for very many, one read of the scenario's whole series);
    the database computes the month indexes.

    Plain queries rather than a server-side cursor: PostgreSQL plans a cursor for its first
    rows and then walks the whole scenario's index (seconds at 50,000 measures) instead of
    looking the few measures up by the unique key. On PostgreSQL the rows are read straight
    from the cursor (the driver already gives ints and Decimals): a full recompute reads over
    a million of them, and Django's per-row conversion was a tenth of its time.
    """
    found: dict[int, dict[int, Decimal]] = {}
    missing = sorted(ids)
    index = Cast(ExtractYear("period") * 12 + ExtractMonth("period") - 1, IntegerField())
    for scenario in SERIES_PREFERENCE:
        series = FinancialEntry.objects.for_org(organization_id).filter(
            line=Line.BENEFIT, scenario=scenario
        )
        wanted: set[int] | None = None
        if len(missing) > SERIES_WHOLE_ABOVE:
            wanted, queries = set(missing), [series]
        else:
            queries = [
                series.filter(measure_id__in=missing[start : start + SERIES_BATCH])
                for start in range(0, len(missing), SERIES_BATCH)
            ]
        for query in queries:
            for measure_id, month, amount in _rows(
                query.values_list("measure_id", index, "amount")
            ):
                if wanted is None or measure_id in wanted:
                    found.setdefault(measure_id, {})[month] = amount
        missing = [pk for pk in missing if pk not in found]
        if not missing:
            break
    return found


def _rows(query: QuerySet[Any]) -> list[tuple[Any, ...]]:
    if connection.vendor != "postgresql":
        return list(query)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- computing ---------------------------------------------------------------------------------


def impacts(
    organization: Organization, found: dict[tuple[int, str], Found], whole: bool, today: dt.date
) -> list[Impact]:
    """The impact of every (root, cause) found: the ripple, and the value it puts at risk."""
    slipping = {root for (root, cause), hit in found.items() if cause in RIPPLING and hit.slip_days}
    successors, dates = _graph(organization.pk, slipping, whole) if slipping else ({}, {})
    result: list[Impact] = []
    for (root, cause), hit in sorted(found.items()):
        if cause in RIPPLING:
            spread = ripple(root, hit.slip_days, successors, dates)
        else:
            spread = {root: Reached(0, None, 0)}
        result.append(Impact(root, cause, hit, spread, {}))
    delayed = {pk for impact in result for pk, r in impact.reached.items() if r.slip > 0}
    indexed = _benefit_series(organization.pk, delayed) if delayed else {}
    first = month_index(fiscal_year_start(today, organization.fiscal_year_start_month))
    known: dict[tuple[int, int], Risk] = {}
    for impact in result:
        for pk, one in impact.reached.items():
            key = (pk, months_late(one.slip))
            if key not in known:
                known[key] = _risk(indexed.get(pk, {}), key[1], first, first + 11)
            if known[key] is not NO_RISK:
                impact.risk[pk] = known[key]
    return result


class _Labels(dict[int, str]):
    """``YYYY-MM`` of each month index, formatted once."""

    def __missing__(self, index: int) -> str:
        label = self[index] = f"{index // 12:04d}-{index % 12 + 1:02d}"
        return label


_LABELS = _Labels()


def _risk(amounts: dict[int, Decimal], shift: int, first: int, last: int) -> Risk:
    lost = loss(amounts, shift)
    if not lost:
        return NO_RISK
    by_period = {_LABELS[index]: str(amount) for index, amount in lost.items()}
    # The digest hashes ``json.dumps(by_period)``; labels and amounts need no escaping, so the
    # same text is joined directly (a third of a full recompute went into the encoder).
    text = ", ".join(f'"{label}": "{amount}"' for label, amount in by_period.items())
    digest = hashlib.sha256(f"{{{text}}}".encode()).hexdigest()[:16]
    return Risk(by_period, loss_within(lost, first, last), digest)


def covering_forum(organization_id: int, measure_ids: Iterable[int]) -> DecisionForum | None:
    """The lowest forum whose scope covers every measure: a forum of their common project,
    else program, else portfolio, else one of the whole organization (lowest id on a tie)."""
    keys = list(
        Measure.objects.for_org(organization_id)
        .filter(pk__in=list(measure_ids))
        .values_list("portfolio_id", "program_id", "project_id")
    )
    forums = list(DecisionForum.objects.for_org(organization_id).order_by("id"))
    common = [
        {row[index] for row in keys} if keys else set() for index in range(3)
    ]  # portfolio, program, project ids
    for level, field in ((2, "project_id"), (1, "program_id"), (0, "portfolio_id")):
        if len(common[level]) == 1:
            (node,) = common[level]
            for forum in forums:
                if getattr(forum, field) == node and _is_level(forum, field):
                    return forum
    return next((forum for forum in forums if forum.scope is None), None)


def _is_level(forum: DecisionForum, field: str) -> bool:
    """Whether ``field`` is the forum's most specific scope."""
    order = ["portfolio_id", "program_id", "project_id"]
    deeper = order[order.index(field) + 1 :]
    return all(getattr(forum, name) is None for name in deeper)


# --- writing -----------------------------------------------------------------------------------


def _impacted_rows(case: ExceptionCase, impact: Impact) -> list[ImpactedMeasure]:
    return [
        ImpactedMeasure(
            organization_id=case.organization_id,
            case=case,
            measure_id=pk,
            via_id=reached.via,
            depth=reached.depth,
            slip_days=reached.slip,
            value_at_risk=impact.risk.get(pk, NO_RISK).in_year,
            risk_by_period=impact.risk.get(pk, NO_RISK).by_period,
        )
        for pk, reached in sorted(impact.reached.items())
    ]


REACH_KEYS = (("programs", "program_id"), ("projects", "project_id"), ("functions", "function_id"))


def reaches(organization_id: int, impacts: Iterable[Impact]) -> dict[tuple[int, str], dict]:
    """The programs, projects and functions each impact reaches, for any number of impacts in
    one query."""
    impacts = list(impacts)
    ids = {pk for impact in impacts for pk in impact.reached}
    keys = {
        pk: (program, project, function)
        for pk, program, project, function in Measure.objects.for_org(organization_id)
        .filter(pk__in=ids)
        .values_list("pk", "program_id", "project_id", "function_id")
    }
    result: dict[tuple[int, str], dict] = {}
    for impact in impacts:
        rows = [keys[pk] for pk in impact.reached if pk in keys]
        result[(impact.root, impact.cause)] = {
            name: sorted({row[index] for row in rows if row[index] is not None})
            for index, (name, _) in enumerate(REACH_KEYS)
        }
    return result


def _fields(impact: Impact) -> dict[str, Any]:
    return {
        "detail": impact.found.detail,
        "slip_days": impact.found.slip_days,
        "value_at_risk": impact.value_at_risk,
        "impacted_count": len(impact.reached),
        "fingerprint": impact.fingerprint(),
    }


def _roots_to_recompute(organization_id: int, measure_ids: set[int]) -> set[int]:
    return measure_ids | upstream(measure_ids, organization=organization_id)


def cases_recompute(
    *,
    organization: Organization | int,
    measure_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> Summary:
    """Bring the exception cases in line with the data for ``measure_ids`` (``None``: all)."""
    org = (
        organization
        if isinstance(organization, Organization)
        else Organization.objects.get(pk=organization)
    )
    now = now or timezone.now()
    moment = Moment(timezone.localdate(now), now)
    whole = measure_ids is None
    summary = Summary()
    with transaction.atomic():
        _lock(org.pk)
        roots = None if whole else _roots_to_recompute(org.pk, set(measure_ids or ()))
        if roots is not None and not roots:
            return summary
        found = causes_of(org.pk, roots, moment)
        computed = {(i.root, i.cause): i for i in impacts(org, found, whole, moment.today)}
        summary.roots = len({root for root, _ in computed})
        open_cases = ExceptionCase.objects.for_org(org).filter(state=CaseState.OPEN)
        if roots is not None:
            open_cases = open_cases.filter(root_id__in=roots)
        existing = {(case.root_id, case.cause): case for case in open_cases}
        decided = _decided_fingerprints(org.pk, {key for key in computed if key not in existing})
        for key, case in existing.items():
            if key not in computed:
                _clear(case, now)
                summary.cleared += 1
        changed: dict[tuple[int, str], dict[str, Any]] = {}
        for key, impact in computed.items():
            case = existing.get(key)
            fields = _fields(impact)
            if case is not None and case.fingerprint == fields["fingerprint"]:
                summary.unchanged += 1
            elif case is None and fields["fingerprint"] in decided.get(key, ()):
                summary.unchanged += 1  # this very impact was decided already
            else:
                changed[key] = fields
        reach = reaches(org.pk, (computed[key] for key in changed))
        opened: list[ExceptionCase] = []
        for key, fields in changed.items():
            fields["reach"] = reach[key]
            case = existing.get(key)
            if case is None:
                opened.append(_open(org, computed[key], fields, now))
                summary.opened += 1
            else:
                _rewrite(case, computed[key], fields, now)
                summary.updated += 1
        if opened:
            cases_opened_notify(opened, slug=org.slug)
    return summary


def _decided_fingerprints(
    organization_id: int, keys: set[tuple[int, str]]
) -> dict[tuple[int, str], set[str]]:
    if not keys:
        return {}
    rows = (
        ExceptionCase.objects.for_org(organization_id)
        .filter(state=CaseState.DECIDED, root_id__in={root for root, _ in keys})
        .values_list("root_id", "cause", "fingerprint")
    )
    found: dict[tuple[int, str], set[str]] = defaultdict(set)
    for root, cause, fingerprint in rows:
        found[(root, cause)].add(fingerprint)
    return found


def _open(
    org: Organization, impact: Impact, fields: dict[str, Any], now: dt.datetime
) -> ExceptionCase:
    forum = covering_forum(org.pk, impact.reached)
    case = ExceptionCase.objects.create(
        organization=org,
        root_id=impact.root,
        cause=impact.cause,
        forum=forum,
        due_at=now + dt.timedelta(days=forum.sla_days) if forum else None,
        opened_at=now,
        updated_at=now,
        **fields,
    )
    ImpactedMeasure.objects.bulk_create(_impacted_rows(case, impact))
    return case


def _rewrite(case: ExceptionCase, impact: Impact, fields: dict[str, Any], now: dt.datetime) -> None:
    for name, value in fields.items():
        setattr(case, name, value)
    case.updated_at = now
    case.save(update_fields=[*fields, "updated_at"])
    ImpactedMeasure.objects.for_org(case.organization_id).filter(case=case).delete()
    ImpactedMeasure.objects.bulk_create(_impacted_rows(case, impact))


def _clear(case: ExceptionCase, now: dt.datetime) -> None:
    case.state = CaseState.CLEARED
    case.closed_at = case.updated_at = now
    case.closed_reason = f"The cause cleared: no {case.get_cause_display().lower()} any more."
    case.save(update_fields=["state", "closed_at", "updated_at", "closed_reason"])


def open_cases_signature(organization: Organization | int) -> set[tuple[int, str, str]]:
    """(root, cause, fingerprint) of every open case: what full and incremental must agree on."""
    return set(
        ExceptionCase.objects.for_org(organization)
        .filter(state=CaseState.OPEN)
        .values_list("root_id", "cause", "fingerprint")
    )


__all__ = ["Summary", "cases_recompute", "covering_forum", "impacts", "live_measures"]
