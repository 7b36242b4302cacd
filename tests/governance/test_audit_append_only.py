"""On PostgreSQL the audit table refuses every UPDATE and DELETE, from the ORM and from SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.deletion import ProtectedError

from governance.audit import audit_record
from governance.models import AuditEvent
from tests.factories import PortfolioFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

REFUSED = pytest.raises(DatabaseError, match="The audit trail is append-only")


@pytest.fixture
def event(postgres: None) -> AuditEvent:
    portfolio = PortfolioFactory()
    return audit_record(actor=UserFactory(), action="portfolio.updated", obj=portfolio)


def events(event: AuditEvent):
    return AuditEvent.objects.for_org(event.organization_id)


def test_the_orm_cannot_update_or_delete_an_event(event):
    with REFUSED, transaction.atomic():
        events(event).filter(pk=event.pk).update(action="portfolio.forged")
    with REFUSED, transaction.atomic():
        event.action = "portfolio.forged"
        event.save()
    with REFUSED, transaction.atomic():
        events(event).filter(pk=event.pk).delete()
    with REFUSED, transaction.atomic():
        event.delete()
    assert events(event).get(pk=event.pk).action == "portfolio.updated"


def test_sql_cannot_update_or_delete_an_event(event):
    with REFUSED, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE governance_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    with REFUSED, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM governance_auditevent WHERE id = %s", [event.pk])
    assert events(event).filter(pk=event.pk).exists()


def test_an_organization_with_history_cannot_be_deleted(event):
    with REFUSED, transaction.atomic():
        event.organization.delete()


def test_a_user_with_history_cannot_be_deleted(event):
    # The actor's id is part of the event's hash: deactivate such a user instead.
    with pytest.raises(ProtectedError), transaction.atomic():
        event.actor.delete()


@pytest.mark.django_db(transaction=True)
def test_truncate_still_empties_the_table(postgres):
    # Test databases are emptied with TRUNCATE between transactional tests: row triggers do
    # not see it.
    portfolio = PortfolioFactory()
    audit_record(actor=None, action="portfolio.updated", obj=portfolio)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE governance_auditevent")
    assert not events_of(portfolio.organization_id).exists()


def events_of(organization_id: int):
    return AuditEvent.objects.for_org(organization_id)
