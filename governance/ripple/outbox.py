"""The ripple outbox: mark measures dirty where the change is recorded, recompute later.

``ripple_mark`` runs inside the service's own transaction: the mark commits with the change or
not at all. After the commit one task per organization is enqueued (``ripple_process``). The
task takes the marks and recomputes in one transaction, removing the marks only if the
recompute commits: a lost message or a killed worker leaves them in place for the next task or
the periodic sweep (``ripple_sweep``), so a recompute may be late but is never lost.

Marks are only inserted, never updated, so marking takes no lock another writer could wait on.
The task takes the marks it sees (``SELECT … FOR UPDATE`` keeps two tasks from taking the same
ones); a mark still uncommitted is invisible to it, and its own commit enqueues the next task.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from governance.models import Organization, RippleDirty

BATCH = 5000


def _enqueue(organization_id: int) -> None:
    from governance.tasks import ripple_process_task

    ripple_process_task.delay(organization_id=organization_id)


def _enqueued_already(organization_id: int) -> bool:
    """Whether this transaction has already asked for the organization's recompute."""
    for _, callback, *_ in connection.run_on_commit:
        if (
            isinstance(callback, partial)
            and callback.func is _enqueue
            and callback.args == (organization_id,)
        ):
            return True
    return False


def ripple_mark(*, organization: Organization | int, measure_ids: Iterable[int | None]) -> int:
    """Mark ``measure_ids`` dirty (in the caller's transaction) and ask for a recompute after
    commit; returns how many were marked."""
    org_id = organization if isinstance(organization, int) else organization.pk
    ids = sorted({int(pk) for pk in measure_ids if pk is not None})
    if not ids:
        return 0
    now = timezone.now()
    RippleDirty.objects.bulk_create(
        [RippleDirty(organization_id=org_id, measure_id=pk, marked_at=now) for pk in ids]
    )
    if not (connection.in_atomic_block and _enqueued_already(org_id)):
        transaction.on_commit(partial(_enqueue, org_id))
    return len(ids)


def ripple_process(*, organization: Organization | int, batch: int = BATCH) -> Any:
    """Recompute the cases of the organization's dirty measures (up to ``batch``), removing
    their marks in the same transaction. Returns the recompute's ``Summary``, ``None`` when
    nothing was dirty."""
    from governance.ripple.cases import cases_recompute

    org_id = organization if isinstance(organization, int) else organization.pk
    with transaction.atomic():
        marks = list(
            RippleDirty.objects.for_org(org_id)
            .select_for_update()
            .order_by("marked_at", "id")
            .values_list("id", "measure_id")[:batch]
        )
        if not marks:
            return None
        summary = cases_recompute(organization=org_id, measure_ids={pk for _, pk in marks})
        RippleDirty.objects.for_org(org_id).filter(pk__in=[pk for pk, _ in marks]).delete()
    if len(marks) == batch:
        transaction.on_commit(partial(_enqueue, org_id))
    return summary


def organizations_dirty() -> list[int]:
    """Organizations with marks waiting (the sweep's list): platform-level, across tenants."""
    return sorted(
        set(RippleDirty.objects.unscoped().values_list("organization_id", flat=True).distinct())
    )
