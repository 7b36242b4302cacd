"""The audit trail is a hash chain per organization, and ``audit_verify`` checks it."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from governance.audit import AuditEntry, audit_record, audit_record_many
from governance.audit.chain import GENESIS_HASH, utc_iso
from governance.audit.verify import BROKEN_LINK, GAP, HASH_MISMATCH, audit_chain_verify
from governance.models import AuditEvent, Organization, Portfolio
from tests.factories import OrganizationFactory, PortfolioFactory, UserFactory

pytestmark = pytest.mark.django_db


def chain(organization: Organization) -> list[AuditEvent]:
    return list(AuditEvent.objects.for_org(organization).order_by("seq"))


def record(portfolio: Portfolio, by: Any, index: int) -> AuditEvent:
    return audit_record(
        actor=by, action="portfolio.updated", obj=portfolio, changes={"title": ["a", f"b{index}"]}
    )


@pytest.fixture
def portfolio() -> Portfolio:
    return PortfolioFactory()


def test_each_organization_numbers_its_events_from_one_and_links_them(portfolio):
    other = PortfolioFactory()
    user = UserFactory()
    for index in range(3):
        record(portfolio, user, index)
        record(other, user, index)
    for organization in (portfolio.organization, other.organization):
        events = chain(organization)
        assert [event.seq for event in events] == [1, 2, 3]
        assert events[0].prev_hash == GENESIS_HASH == "0" * 64
        assert [event.prev_hash for event in events[1:]] == [event.hash for event in events[:-1]]
        assert audit_chain_verify(organization=organization).intact


def test_the_hash_is_sha256_of_the_documented_canonical_text(portfolio):
    user = UserFactory()
    event = audit_record(
        actor=user,
        action="portfolio.updated",
        obj=portfolio,
        changes={"title": ["Old", "Nouveau é"], "budget": ["1.00", None]},
    )
    event = AuditEvent.objects.for_org(portfolio.organization).get(pk=event.pk)
    text = json.dumps(
        [
            portfolio.organization_id,
            1,
            user.pk,
            "portfolio.updated",
            "governance.portfolio",
            portfolio.pk,
            str(portfolio),
            {"budget": ["1.00", None], "title": ["Old", "Nouveau é"]},
            utc_iso(event.created_at),
            "0" * 64,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert utc_iso(event.created_at).endswith("+00:00")
    assert len(utc_iso(event.created_at).split(".")[1]) == len("123456+00:00")
    assert event.hash == hashlib.sha256(text.encode()).hexdigest()


def test_changes_are_hashed_as_stored_so_non_string_keys_still_verify(portfolio):
    audit_record(actor=None, action="x.changed", obj=portfolio, changes={7: (1, 2)})
    [event] = chain(portfolio.organization)
    assert event.changes == {"7": [1, 2]}
    assert event.actor_id is None
    assert audit_chain_verify(organization=portfolio.organization).intact


def test_many_events_are_appended_in_order_after_the_existing_tail(
    portfolio, django_assert_max_num_queries
):
    user = UserFactory()
    record(portfolio, user, 0)
    entries = [
        AuditEntry(
            action="measure.financials_changed",
            object_type="measures.measure",
            object_id=index,
            object_repr=f"measure {index}",
            changes={"plan.cost.2026-01": str(index)},
        )
        for index in range(1, 6)
    ]
    # The lock, the tail and one insert: the same for five events as for five thousand.
    with django_assert_max_num_queries(5):
        audit_record_many(actor=user, organization_id=portfolio.organization_id, entries=entries)
    events = chain(portfolio.organization)
    assert [event.seq for event in events] == [1, 2, 3, 4, 5, 6]
    assert [event.object_id for event in events[1:]] == [1, 2, 3, 4, 5]
    assert audit_chain_verify(organization=portfolio.organization).intact
    assert (
        audit_record_many(actor=user, organization_id=portfolio.organization_id, entries=[]) == []
    )


def test_verify_walks_in_chunks(portfolio):
    user = UserFactory()
    for index in range(7):
        record(portfolio, user, index)
    report = audit_chain_verify(organization=portfolio.organization, chunk_size=3)
    assert (report.intact, report.events) == (True, 7)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_organization_get_every_seq_once():
    portfolio = PortfolioFactory()
    user = UserFactory()
    per_thread, threads_count = 15, 3
    barrier = threading.Barrier(threads_count)
    failures: list[BaseException] = []

    def write(thread: int) -> None:
        try:
            barrier.wait()
            for index in range(per_thread):
                with transaction.atomic():
                    record(portfolio, user, thread * 100 + index)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    events = chain(portfolio.organization)
    assert [event.seq for event in events] == list(range(1, per_thread * threads_count + 1))
    assert audit_chain_verify(organization=portfolio.organization).intact


# --- detecting tampering ----------------------------------------------------------------------


def tamper(sql: str, params: list[Any]) -> None:
    """Run ``sql`` against the audit table with its append-only trigger switched off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The events were inserted in this (test) transaction: their deferred foreign-key
            # checks must run before the table may be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE governance_auditevent DISABLE TRIGGER audit_append_only")
        try:
            cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE governance_auditevent ENABLE TRIGGER audit_append_only")


def five_events(portfolio: Portfolio) -> list[AuditEvent]:
    user = UserFactory()
    for index in range(5):
        record(portfolio, user, index)
    return chain(portfolio.organization)


def verify_command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("audit_verify", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_an_intact_chain_verifies(portfolio):
    five_events(portfolio)
    out, err = verify_command("--org", portfolio.organization.slug)
    assert out == f"{portfolio.organization.slug}: 5 events, chain intact\n"
    assert err == ""


def test_an_altered_event_is_named_as_a_hash_mismatch(portfolio):
    events = five_events(portfolio)
    tamper(
        "UPDATE governance_auditevent SET changes = %s WHERE id = %s",
        [json.dumps({"title": ["a", "forged"]}), events[2].pk],
    )
    report = audit_chain_verify(organization=portfolio.organization)
    assert report.broken is not None
    assert (report.broken.seq, report.broken.event_id, report.broken.problem) == (
        3,
        events[2].pk,
        HASH_MISMATCH,
    )
    with pytest.raises(CommandError, match="1 broken audit chain"):
        verify_command("--org", portfolio.organization.slug)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("audit_verify", stdout=io.StringIO(), stderr=err)
    slug = portfolio.organization.slug
    assert f"BROKEN {slug}: event {events[2].pk} (seq 3): hash mismatch" in err.getvalue()


def test_a_rehashed_forgery_breaks_the_link_of_the_next_event(portfolio):
    events = five_events(portfolio)
    tamper("UPDATE governance_auditevent SET hash = %s WHERE id = %s", ["f" * 64, events[1].pk])
    report = audit_chain_verify(organization=portfolio.organization)
    assert report.broken is not None
    # The forged event's own hash no longer matches its content: named first.
    assert (report.broken.seq, report.broken.problem) == (2, HASH_MISMATCH)
    tamper(
        "UPDATE governance_auditevent SET prev_hash = %s WHERE id = %s", ["e" * 64, events[3].pk]
    )
    tamper(
        "UPDATE governance_auditevent SET hash = %s WHERE id = %s", [events[1].hash, events[1].pk]
    )
    report = audit_chain_verify(organization=portfolio.organization)
    assert report.broken is not None
    assert (report.broken.seq, report.broken.problem) == (4, BROKEN_LINK)


def test_a_deleted_event_is_named_as_a_gap(portfolio):
    events = five_events(portfolio)
    tamper("DELETE FROM governance_auditevent WHERE id = %s", [events[1].pk])
    report = audit_chain_verify(organization=portfolio.organization)
    assert report.broken is not None
    assert (report.broken.seq, report.broken.event_id, report.broken.problem) == (
        3,
        events[2].pk,
        GAP,
    )
    assert "expected seq 2, found 3" in str(report.broken)


def test_verify_names_an_unknown_organization():
    with pytest.raises(CommandError, match="No organization 'nope'"):
        verify_command("--org", "nope")


def test_verify_checks_every_organization_without_events_too():
    organization = OrganizationFactory(slug="empty-org")
    out, _ = verify_command("--org", organization.slug)
    assert out == "empty-org: 0 events, chain intact\n"
