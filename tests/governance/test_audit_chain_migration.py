"""Events written before the chain existed are chained by the migration, per organization."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from governance.audit.verify import audit_chain_verify
from governance.models import AuditEvent
from tests.factories import OrganizationFactory, UserFactory

BEFORE = [("governance", "0005_audit_chain_fields")]


def migrate(targets: list[tuple[str, str]] | None = None) -> None:
    """Migrate to ``targets``; without, forward to the latest of every app (going back to
    ``BEFORE`` also unapplied the migrations that came after it, in any app)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_events_are_chained_in_id_order_per_organization():
    first, second = OrganizationFactory(), OrganizationFactory()
    user = UserFactory()
    migrate(BEFORE)
    try:
        executor = MigrationExecutor(connection)
        old_model = executor.loader.project_state(BEFORE).apps.get_model("governance", "AuditEvent")
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        for index in range(7):
            for organization in (first, second):
                old_model.objects.create(
                    organization_id=organization.pk,
                    actor_id=user.pk if index % 2 else None,
                    action="portfolio.updated",
                    object_type="governance.portfolio",
                    object_id=index,
                    object_repr=f"P {index}",
                    changes={"title": ["a", f"b{index}"], "n": 1.5},
                    created_at=start - dt.timedelta(minutes=index),
                )
    finally:
        migrate()
    for organization in (first, second):
        events = list(AuditEvent.objects.for_org(organization).order_by("seq"))
        assert [event.seq for event in events] == list(range(1, 8))
        assert [event.object_id for event in events] == list(range(7))
        assert audit_chain_verify(organization=organization).intact
