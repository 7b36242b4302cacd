"""The controller's validation queue with 10,000 claimed benefits awaiting a verdict: its first
page and a filtered page (page and API), and a bulk approval of 500 items in one request.

The scenarios run as ``<slug>-queue-controller`` (reporting.demo.bench_queue). The bulk
approval puts its 500 items back to pending before every request, outside the timed part, so
each request approves the same 500 pending items.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from approvals.selectors.validations import QueueFilters, validation_queue
from governance.rls import tenant_scope
from measures.models import FinancialEntry
from tests.bench.scenarios import BenchTenant, scenario

BULK_SIZE = 500
QUEUE = " (10,000 pending)"

_bulk_ids: dict[int, list[int]] = {}
_filters: dict[int, str] = {}


def _filtered_query(tenant: BenchTenant) -> str:
    """The program of the queue's oldest item, claims of at least 1,000, largest first."""
    org = tenant.organization
    if org.pk not in _filters:
        with tenant_scope(org.pk):
            first = validation_queue(tenant.controller, org).select_related("measure").first()
            if first is None:
                raise LookupError(f"{tenant.slug}: the queue controller has nothing to validate.")
            query = {"program": first.measure.program_id, "amount_min": "1000", "sort": "largest"}
        _filters[org.pk] = urlencode(query)
    return _filters[org.pk]


@scenario(f"UI: validation queue, first page{QUEUE}", user="controller")
def ui_queue(tenant: BenchTenant) -> str:
    return reverse("validation-queue", kwargs={"org_slug": tenant.slug})


@scenario(f"UI: validation queue, filtered page{QUEUE}", user="controller")
def ui_queue_filtered(tenant: BenchTenant) -> str:
    return f"{ui_queue(tenant)}?{_filtered_query(tenant)}"


@scenario(f"API: validation queue, first page{QUEUE}", api=True, user="controller")
def api_queue(tenant: BenchTenant) -> str:
    return f"/api/v1/orgs/{tenant.slug}/validations/"


@scenario(f"API: validation queue, filtered page{QUEUE}", api=True, user="controller")
def api_queue_filtered(tenant: BenchTenant) -> str:
    return f"{api_queue(tenant)}?{_filtered_query(tenant)}"


def _ids(tenant: BenchTenant) -> list[int]:
    org = tenant.organization
    if org.pk not in _bulk_ids:
        with tenant_scope(org.pk):
            _bulk_ids[org.pk] = list(
                validation_queue(tenant.controller, org, QueueFilters())
                .order_by("id")
                .values_list("id", flat=True)[:BULK_SIZE]
            )
        if len(_bulk_ids[org.pk]) < BULK_SIZE:
            raise LookupError(f"{tenant.slug}: fewer than {BULK_SIZE} items await validation.")
    return _bulk_ids[org.pk]


def _reset(tenant: BenchTenant) -> None:
    """The 500 items back to pending, as claimed and undecided."""
    org = tenant.organization
    ids = _ids(tenant)
    with tenant_scope(org.pk):
        FinancialEntry.objects.for_org(org).filter(pk__in=ids).update(
            validation="pending",
            validated_amount=None,
            validated_by=None,
            validated_at=None,
            validation_note="",
        )


def _bulk_body(tenant: BenchTenant, n: int) -> dict[str, Any]:
    return {"ids": _ids(tenant), "comment": f"Bench approval {n}"}


@scenario(
    f"API: validation queue, bulk approval of {BULK_SIZE} items",
    api=True,
    user="controller",
    method="POST",
    body=_bulk_body,
    prepare=_reset,
)
def api_bulk_approve(tenant: BenchTenant) -> str:
    return f"/api/v1/orgs/{tenant.slug}/validations/bulk-approve/"
