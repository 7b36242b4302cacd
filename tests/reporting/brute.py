"""The brute-force twins of the widgets: plain Python over every row, no grouping in SQL."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from approvals.models import ApprovalRequest
from governance.models import ExceptionCase
from measures.models import Availability, Effort, FinancialEntry, Measure
from measures.models.financials import DEFAULT_WEIGHTS
from reporting.widgets.ages import bucket_of
from reporting.widgets.base import Filters

KEYS = ("portfolio", "program", "project", "function", "business_unit", "legal_entity", "owner")


def keeps(measure: Measure, filters: Filters, visible: set[int]) -> bool:
    """Whether a measure is in scope: visible, live and matching every filter."""
    if measure.pk not in visible or measure.archived_at is not None:
        return False
    return all(
        getattr(filters, key) is None or getattr(measure, f"{key}_id") == getattr(filters, key)
        for key in KEYS
    )


def in_period(period: dt.date, months: tuple[dt.date, dt.date]) -> bool:
    return months[0] <= period <= months[1]


def measures_by_pk(org: Any) -> dict[int, Measure]:
    return {m.pk: m for m in Measure.objects.for_org(org)}


def exceptions_by_age(org, filters, visible, money_visible) -> dict[str, tuple[int, Decimal]]:
    measures, now = measures_by_pk(org), timezone.now()
    found: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for case in ExceptionCase.objects.for_org(org):
        if case.state != "open" or not keeps(measures[case.root_id], filters, visible):
            continue
        bucket = found[bucket_of((now - case.opened_at).days)]
        bucket[0] += 1
        if case.root_id in money_visible:
            bucket[1] += case.value_at_risk
    return {key: (count, value) for key, (count, value) in found.items()}


def exceptions_by_forum(org, filters, visible, money_visible) -> dict[str, tuple[int, Decimal]]:
    measures = measures_by_pk(org)
    found: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for case in ExceptionCase.objects.for_org(org).select_related("forum"):
        if case.state != "open" or not keeps(measures[case.root_id], filters, visible):
            continue
        row = found[case.forum.name if case.forum else "No forum"]
        row[0] += 1
        if case.root_id in money_visible:
            row[1] += case.value_at_risk
    return {key: (count, value) for key, (count, value) in found.items()}


def approvals_by_age(org, filters, visible, money_visible) -> dict[str, tuple[int, Decimal]]:
    measures, now = measures_by_pk(org), timezone.now()
    found: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for request in ApprovalRequest.objects.for_org(org):
        if request.state != "pending" or not keeps(measures[request.measure_id], filters, visible):
            continue
        row = found[bucket_of((now - request.created_at).days)]
        row[0] += 1
        if request.measure_id in money_visible and request.amount is not None:
            row[1] += request.amount
    return {key: (count, value) for key, (count, value) in found.items()}


def capacity_by_function(org, filters, visible, months) -> dict[Any, tuple[Decimal, ...]]:
    measures = measures_by_pk(org)
    planned: dict[Any, Decimal] = defaultdict(Decimal)
    actual: dict[Any, Decimal] = defaultdict(Decimal)
    available: dict[Any, Decimal] = defaultdict(Decimal)
    for effort in Effort.objects.for_org(org).select_related("person"):
        if in_period(effort.period, months) and keeps(
            measures[effort.measure_id], filters, visible
        ):
            planned[effort.person.function_id] += effort.planned_hours
            actual[effort.person.function_id] += effort.actual_hours or 0
    for hours in Availability.objects.for_org(org).select_related("person"):
        if in_period(hours.period, months) and hours.person.active:
            available[hours.person.function_id] += hours.hours
    return {key: (planned[key], actual[key], available[key]) for key in {*planned, *available}}


def status_matrix(org, filters, visible) -> dict[tuple[int, Any], dict[str, int]]:
    cells: dict[tuple[int, Any], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for measure in measures_by_pk(org).values():
        if not keeps(measure, filters, visible):
            continue
        cell = cells[(measure.program_id, measure.function_id)]
        cell["measures"] += 1
        cell[f"implementation_{measure.implementation_status or 'none'}"] += 1
        cell[f"potential_{measure.potential_status or 'none'}"] += 1
    return cells


def benefit_by_stage(org, filters, money_visible, months) -> dict[str, dict[str, Decimal]]:
    """``{stage: {plan, baseline, forecast, actual, validated}}`` of the benefit, from the raw
    series rows."""
    measures = measures_by_pk(org)
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for entry in FinancialEntry.objects.for_org(org):
        measure = measures[entry.measure_id]
        if entry.line != "benefit" or not in_period(entry.period, months):
            continue
        if not keeps(measure, filters, money_visible):
            continue
        sums[measure.doi][entry.scenario] += entry.amount
        if entry.scenario == "actual" and entry.validation == "validated":
            sums[measure.doi]["validated"] += entry.validated_amount
    return sums


def risk_adjusted(forecast: Decimal, stage: str) -> Decimal:
    weight = DEFAULT_WEIGHTS.get(stage, Decimal(0)) / 100
    return (forecast * weight).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def series(org, filters, money_visible, months, *, lines, group) -> dict[Any, dict[str, Decimal]]:
    """Sums of ``lines`` per scenario, grouped by ``group(measure, entry)``."""
    measures = measures_by_pk(org)
    sums: dict[Any, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for entry in FinancialEntry.objects.for_org(org):
        measure = measures[entry.measure_id]
        if entry.line not in lines or not in_period(entry.period, months):
            continue
        if keeps(measure, filters, money_visible):
            sums[group(measure, entry)][entry.scenario] += entry.amount
    return sums
