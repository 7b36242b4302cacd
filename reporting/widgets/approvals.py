"""Approvals pending, by how long they have waited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from approvals.models import ApprovalRequest, RequestState
from approvals.selectors import requests_awaiting, requests_visible
from governance.access import restrict
from reporting.widgets.ages import AGE_BUCKETS, age_bucket
from reporting.widgets.base import Chart, Column, Scope, Table

ZERO = Decimal("0.00")


def pending_requests(scope: Scope) -> QuerySet[ApprovalRequest]:
    """Pending requests of live measures the user may see, within the filters."""
    lookups = {f"measure__{key}": value for key, value in scope.filters.measure_lookups().items()}
    return requests_visible(scope.user, scope.organization).filter(
        state=RequestState.PENDING, measure__archived_at__isnull=True, **lookups
    )


def approvals_by_age(scope: Scope) -> Table:
    """Pending approval requests by how long they have waited, with the amounts they carry."""
    now = timezone.now()
    aggregates: dict[str, Any] = {"count": Count("pk")}
    if scope.may_view_financials:
        with_money = restrict(
            ApprovalRequest.objects.all(),
            scope.user,
            "view_financials",
            organization=scope.organization,
        )
        aggregates["amount"] = Sum("amount", filter=Q(pk__in=with_money.values("pk")))
    grouped = {
        row["bucket"]: row
        for row in pending_requests(scope)
        .annotate(bucket=age_bucket("created_at", now))
        .values("bucket")
        .annotate(**aggregates)
        .order_by()
    }
    columns = [Column("age", "Waiting for"), Column("count", "Pending requests", "count")]
    if scope.may_view_financials:
        columns.append(Column("amount", "Amount requested", "money"))
    rows: list[dict[str, Any]] = []
    for bucket in AGE_BUCKETS:
        found = grouped.get(bucket.key, {})
        row: dict[str, Any] = {"age": bucket.label, "count": found.get("count", 0)}
        if scope.may_view_financials:
            row["amount"] = found.get("amount") or ZERO
        rows.append(row)
    return Table(
        key="approvals_by_age",
        title="Approvals pending by age",
        columns=columns,
        rows=rows,
        chart=Chart("bar", "age", ("count",)),
        note="Requests pending now, whatever the period.",
        drill=[
            {**scope.filters.as_query(), "approval": "pending", "approval_age": bucket.key}
            for bucket in AGE_BUCKETS
        ],
        currency=scope.organization.currency,
    )


def approvals_awaiting_me(scope: Scope) -> Table:
    """Requests waiting for the user's own decision, by how long they have waited: the approvals
    part of "my work" (not narrowed to the user's own measures)."""
    now = timezone.now()
    lookups = {
        f"measure__{key}": value
        for key, value in scope.filters.measure_lookups().items()
        if key != "owner_id"
    }
    grouped = dict(
        requests_awaiting(scope.user, scope.organization)
        .filter(**lookups)
        .annotate(bucket=age_bucket("created_at", now))
        .values_list("bucket")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("bucket", "count")
    )
    return Table(
        key="approvals_awaiting_me",
        title="Approvals awaiting my decision",
        columns=[Column("age", "Waiting for"), Column("count", "Requests", "count")],
        rows=[{"age": bucket.label, "count": grouped.get(bucket.key, 0)} for bucket in AGE_BUCKETS],
        chart=Chart("bar", "age", ("count",)),
        note="Open them from the approvals inbox.",
        drill=[{} for _ in AGE_BUCKETS],
        drill_to="approvals-inbox",
    )
