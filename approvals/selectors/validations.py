"""The controller's validation queue: claimed benefits awaiting a verdict, in one query.

An item is a pending actual of the benefit line of a measure the user may ``validate`` — which
already leaves out every measure the user owns (segregation of duties lives in the access rule,
``never_own``). Cost actuals are not queued: they are booked from the ledger, where the invoice
is the evidence, while a benefit is a claim the measure's owner makes and only a controller's
verdict turns into realised value (the roll-ups and the Closed gate count validated benefits).
They remain open to a verdict on the measure's financials page.

Each row carries, from the same SELECT, the baseline and forecast of the same measure, month and
line (correlated subqueries on the series' unique key), the measure's code, title and owner,
the names of its portfolio, program and function, and its age. Whatever the size of the queue
the page is one query for the rows and one for the count (``validation_queue_count``, which
leaves out the joins the annotations need).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db.models import (
    CharField,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Concat, Now, NullIf, Trim

from governance.access import restrict
from governance.models import Organization
from measures.models import FinancialEntry, Line, Scenario, Validation

# The lines a controller's queue holds (see the module's docstring for why not the costs).
QUEUE_LINES: tuple[str, ...] = (Line.BENEFIT,)

# Sort keys: every one ends on the id, so pages never overlap or skip a row between requests.
SORTS: dict[str, tuple[str, ...]] = {
    "oldest": ("updated_at", "id"),
    "newest": ("-updated_at", "-id"),
    "largest": ("-amount", "id"),
    "smallest": ("amount", "id"),
}
SORT_LABELS: dict[str, str] = {
    "oldest": "Oldest first",
    "newest": "Newest first",
    "largest": "Largest claim first",
    "smallest": "Smallest claim first",
}
DEFAULT_SORT = "oldest"


@dataclass(frozen=True)
class QueueFilters:
    """What narrows and orders the queue; every field is optional."""

    portfolio: int | None = None
    program: int | None = None
    function: int | None = None
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    q: str = ""
    sort: str = DEFAULT_SORT


def _scenario_amount(scenario: str, organization: Organization | int) -> Subquery:
    same_cell = FinancialEntry.objects.for_org(organization).filter(
        measure_id=OuterRef("measure_id"),
        period=OuterRef("period"),
        line=OuterRef("line"),
        scenario=scenario,
    )
    return Subquery(
        same_cell.values("amount")[:1],
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


def queue_rows(
    queryset: QuerySet[FinancialEntry], organization: Organization | int
) -> QuerySet[FinancialEntry]:
    """What a row of the queue shows, annotated onto ``queryset`` (no extra query)."""
    owner_name = Coalesce(
        NullIf(
            Trim(Concat("measure__owner__first_name", Value(" "), "measure__owner__last_name")),
            Value(""),
        ),
        F("measure__owner__username"),
        output_field=CharField(),
    )
    return queryset.annotate(
        baseline=_scenario_amount(Scenario.BASELINE, organization),
        forecast=_scenario_amount(Scenario.FORECAST, organization),
        variance=ExpressionWrapper(
            F("amount") - F("baseline"), output_field=DecimalField(max_digits=17, decimal_places=2)
        ),
        measure_code=F("measure__code"),
        measure_title=F("measure__title"),
        owner_id=F("measure__owner_id"),
        owner_name=owner_name,
        portfolio_name=F("measure__portfolio__title"),
        program_name=F("measure__program__title"),
        function_name=F("measure__function__name"),
        age=ExpressionWrapper(Now() - F("updated_at"), output_field=DurationField()),
    )


def _pending(user: Any, organization: Organization | int) -> QuerySet[FinancialEntry]:
    return restrict(
        FinancialEntry.objects.all(), user, "validate", organization=organization
    ).filter(
        scenario=Scenario.ACTUAL,
        line__in=QUEUE_LINES,
        validation=Validation.PENDING,
        measure__archived_at__isnull=True,
    )


def _filtered(
    queryset: QuerySet[FinancialEntry], filters: QueueFilters
) -> QuerySet[FinancialEntry]:
    conditions = Q()
    for name, lookup in (
        ("portfolio", "measure__portfolio_id"),
        ("program", "measure__program_id"),
        ("function", "measure__function_id"),
        ("period_from", "period__gte"),
        ("period_to", "period__lte"),
        ("amount_min", "amount__gte"),
        ("amount_max", "amount__lte"),
    ):
        value = getattr(filters, name)
        if value is not None:
            conditions &= Q(**{lookup: value})
    text = filters.q.strip()
    if text:
        conditions &= Q(measure__code__icontains=text) | Q(measure__title__icontains=text)
    return queryset.filter(conditions)


def validation_queue(
    user: Any, organization: Organization | int, filters: QueueFilters | None = None
) -> QuerySet[FinancialEntry]:
    """The pending benefit actuals ``user`` may validate, filtered and sorted, one row per item
    with its baseline, forecast, variance, measure, owner, hierarchy names and age."""
    filters = filters or QueueFilters()
    rows = _filtered(_pending(user, organization), filters)
    return queue_rows(rows, organization).order_by(*SORTS.get(filters.sort, SORTS[DEFAULT_SORT]))


def validation_queue_count(
    user: Any, organization: Organization | int, filters: QueueFilters | None = None
) -> int:
    """How many rows ``validation_queue`` holds, counted without its annotations' joins."""
    return _filtered(_pending(user, organization), filters or QueueFilters()).count()


def validation_pending_count(user: Any, organization: Organization | int) -> int:
    """How many items await ``user``'s verdict (the navigation's badge)."""
    return _pending(user, organization).count()


def validation_entry(user: Any, organization: Organization | int, pk: int) -> FinancialEntry | None:
    """One queue item (pending or already decided) whose measure's financials ``user`` sees, with
    the queue's annotations; ``None`` when there is no such actual in their sight. Whether they
    may decide it is ``validate``'s question, asked by the service."""
    rows = restrict(
        FinancialEntry.objects.all(), user, "view_financials", organization=organization
    ).filter(pk=pk, scenario=Scenario.ACTUAL, line__in=QUEUE_LINES)
    return queue_rows(rows, organization).select_related("measure", "validated_by").first()


class CountedPaginator(Paginator):
    """A paginator whose total comes from ``total()`` (``validation_queue_count``) rather than
    from counting the annotated rows."""

    def __init__(self, object_list: Any, per_page: int, *, total: Callable[[], int]) -> None:
        super().__init__(object_list, per_page)
        self._total = total

    @cached_property
    def count(self) -> int:
        return self._total()
