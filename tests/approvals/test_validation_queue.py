"""The validation queue's selector and services: what awaits whom, and verdicts one or many."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.selectors.validations import QueueFilters, validation_queue
from approvals.services.validations import (
    MAX_BULK,
    validation_decide,
    validations_bulk_approve,
)
from governance.errors import AccessDenied, Conflict, ValidationError
from governance.models import AuditEvent, DecisionRecord, Role
from governance.services.grants import assign_role
from measures.fiscal import add_months
from measures.models import FinancialEntry, Measure
from tests.approvals.queue_helpers import THIS_MONTH, QueueWorld, pending_ids, queue_world
from tests.factories import MeasureFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

SORT_KEYS = {
    "oldest": lambda e: (e.updated_at, e.pk),
    "newest": lambda e: (-e.updated_at.timestamp(), -e.pk),
    "largest": lambda e: (-e.amount, e.pk),
    "smallest": lambda e: (e.amount, e.pk),
}


def brute_force(
    world: QueueWorld, user: Any, filters: QueueFilters, may: Any = lambda m: True
) -> list[int]:
    """The queue computed in Python from every row: what the selector must return, in order."""
    measures = {m.pk: m for m in Measure.objects.for_org(world.org)}
    entries = list(FinancialEntry.objects.for_org(world.org))
    text = filters.q.lower()
    chosen = []
    for e in entries:
        m = measures[e.measure_id]
        if (e.scenario, e.line, e.validation) != ("actual", "benefit", "pending"):
            continue
        if m.owner_id == user.pk or m.archived_at is not None or not may(m):
            continue
        checks = [
            filters.portfolio is None or m.portfolio_id == filters.portfolio,
            filters.program is None or m.program_id == filters.program,
            filters.function is None or m.function_id == filters.function,
            filters.period_from is None or e.period >= filters.period_from,
            filters.period_to is None or e.period <= filters.period_to,
            filters.amount_min is None or e.amount >= filters.amount_min,
            filters.amount_max is None or e.amount <= filters.amount_max,
            not text or text in m.code.lower() or text in m.title.lower(),
        ]
        if all(checks):
            chosen.append(e)
    chosen.sort(key=SORT_KEYS[filters.sort])
    return [e.pk for e in chosen]


def series(world: QueueWorld) -> dict[tuple[int, dt.date, str], Decimal]:
    return {
        (e.measure_id, e.period, e.scenario): e.amount
        for e in FinancialEntry.objects.for_org(world.org).filter(line="benefit")
    }


@pytest.fixture
def world(personas) -> QueueWorld:
    # The controller owns some measures: those never reach their queue.
    return queue_world(
        personas.org, [personas.owner, personas.controller, personas.lead], measures=12
    )


def filter_cases(world: QueueWorld) -> list[QueueFilters]:
    m = world.measures
    return [
        QueueFilters(),
        *(QueueFilters(sort=sort) for sort in SORT_KEYS),
        QueueFilters(portfolio=m[0].portfolio_id),
        QueueFilters(program=m[1].program_id, sort="largest"),
        QueueFilters(function=world.functions[0].pk),
        QueueFilters(period_from=add_months(THIS_MONTH, -1)),
        QueueFilters(period_to=add_months(THIS_MONTH, -2), sort="newest"),
        QueueFilters(amount_min=Decimal(1000), amount_max=Decimal(3000)),
        QueueFilters(amount_max=Decimal(0), sort="smallest"),
        QueueFilters(q=m[3].code.lower()),
        QueueFilters(q="measure"),
        QueueFilters(
            portfolio=m[0].portfolio_id,
            function=world.functions[1].pk,
            period_from=add_months(THIS_MONTH, -2),
            amount_min=Decimal(100),
            sort="largest",
        ),
    ]


def test_queue_equals_brute_force_on_generated_data(personas, world):
    amounts = series(world)
    for filters in filter_cases(world):
        rows = list(validation_queue(personas.controller, personas.org, filters))
        assert [row.pk for row in rows] == brute_force(world, personas.controller, filters), filters
        for row in rows:
            assert row.baseline == amounts.get((row.measure_id, row.period, "baseline"))
            assert row.forecast == amounts.get((row.measure_id, row.period, "forecast"))
            expected = None if row.baseline is None else row.amount - row.baseline
            assert row.variance == expected
            measure = Measure.objects.for_org(personas.org).get(pk=row.measure_id)
            assert (row.measure_code, row.owner_id) == (measure.code, measure.owner_id)
            assert row.program_name == measure.program.title
            assert row.age >= dt.timedelta(0)


def test_a_controller_of_one_program_sees_only_that_program(personas, world):
    program = world.measures[0].program
    scoped = UserFactory(username="program-controller")
    MembershipFactory(organization=personas.org, user=scoped, role="")
    assign_role(scoped, Role.CONTROLLER, program)
    for filters in (QueueFilters(), QueueFilters(sort="largest", amount_min=Decimal(10))):
        got = [row.pk for row in validation_queue(scoped, personas.org, filters)]
        want = brute_force(world, scoped, filters, may=lambda m: m.program_id == program.pk)
        assert got == want and got


def test_filters_compose_as_an_intersection(personas, world):
    m = world.measures
    single = [
        QueueFilters(portfolio=m[0].portfolio_id),
        QueueFilters(period_from=add_months(THIS_MONTH, -2)),
        QueueFilters(amount_min=Decimal(500)),
        QueueFilters(function=world.functions[1].pk),
    ]
    sets = [
        {row.pk for row in validation_queue(personas.controller, personas.org, f)} for f in single
    ]
    combined = QueueFilters(
        portfolio=m[0].portfolio_id,
        period_from=add_months(THIS_MONTH, -2),
        amount_min=Decimal(500),
        function=world.functions[1].pk,
    )
    got = {row.pk for row in validation_queue(personas.controller, personas.org, combined)}
    assert got == set.intersection(*sets)


@pytest.mark.parametrize("persona", ["owner", "viewer", "contributor", "executive", "lead"])
def test_who_does_not_validate_has_an_empty_queue(personas, world, persona):
    assert not validation_queue(getattr(personas, persona), personas.org).exists()
    assert not validation_queue(personas.outsider, personas.org).exists()


def test_owner_never_sees_own_benefits_in_the_queue(personas, world):
    own = {m.pk for m in world.measures if m.owner_id == personas.controller.pk}
    assert own
    rows = validation_queue(personas.controller, personas.org)
    assert not {row.measure_id for row in rows} & own
    # The admin validates everywhere, the controller's measures included.
    assert {row.measure_id for row in validation_queue(personas.admin, personas.org)} & own


def test_archived_measures_and_cost_actuals_are_not_queued(personas, world):
    measure = next(
        m for m in world.measures if world.pending_of(m) and m.owner_id != personas.controller.pk
    )
    Measure.objects.for_org(personas.org).filter(pk=measure.pk).update(archived_at=timezone.now())
    rows = list(validation_queue(personas.controller, personas.org))
    assert measure.pk not in {row.measure_id for row in rows}
    assert {row.line for row in rows} == {"benefit"}


# --- Services -------------------------------------------------------------------------------


def others_pending(world: QueueWorld, personas: Any) -> list[int]:
    """Pending benefit ids of measures the controller does not own."""
    return [row.pk for row in validation_queue(personas.controller, personas.org)]


def snapshot(org: Any) -> tuple[list[tuple], int, int]:
    rows = list(
        FinancialEntry.objects.for_org(org)
        .order_by("id")
        .values_list("id", "validation", "validated_amount", "validated_by_id", "validation_note")
    )
    return (
        rows,
        DecisionRecord.objects.for_org(org).count(),
        AuditEvent.objects.for_org(org).count(),
    )


def test_bulk_approval_validates_each_item_as_claimed_with_a_decision_record(personas, world):
    ids = others_pending(world, personas)[:5]
    assert len(ids) == 5
    count = validations_bulk_approve(
        organization=personas.org, entry_ids=ids, by=personas.controller, comment="Checked Q3."
    )
    assert count == 5
    for entry in FinancialEntry.objects.for_org(personas.org).filter(pk__in=ids):
        assert entry.validation == "validated" and entry.validated_amount == entry.amount
        assert entry.validated_by_id == personas.controller.pk
        assert entry.validation_note == "Checked Q3."
    records = DecisionRecord.objects.for_org(personas.org).filter(subject_id__in=ids)
    assert sorted(r.subject_id for r in records) == sorted(ids)
    assert {(r.kind, r.venue, r.decided_by_id, r.rationale) for r in records} == {
        ("validated", "validation_queue", personas.controller.pk, "Checked Q3.")
    }
    audits = AuditEvent.objects.for_org(personas.org).filter(action="measure.actual_validate")
    assert audits.count() == 5
    assert not set(ids) & set(pending_ids(personas.org))


def test_bulk_approval_is_all_or_nothing_naming_every_bad_item(personas, world):
    good = others_pending(world, personas)[:3]
    own_measure = next(
        m for m in world.measures if m.owner_id == personas.controller.pk and world.pending_of(m)
    )
    own = world.pending_of(own_measure)[0].pk
    decided = next(e.pk for e in world.entries if e.validation == "validated")
    cost = next(e.pk for e in world.entries if e.line == "one_time_cost")
    elsewhere = FinancialEntry.objects.create(
        organization=personas.other_org,
        measure=MeasureFactory(
            package__project__program__portfolio__organization=personas.other_org
        ),
        period=THIS_MONTH,
        line="benefit",
        scenario="actual",
        amount=5,
        validation="pending",
    ).pk
    before = snapshot(personas.org)
    with pytest.raises(ValidationError) as caught:
        validations_bulk_approve(
            organization=personas.org,
            entry_ids=[*good, own, decided, cost, elsewhere, 2**62],
            by=personas.controller,
        )
    errors = caught.value.message_dict
    assert set(errors) == {f"ids.{pk}" for pk in (own, decided, cost, elsewhere, 2**62)}
    assert "you own this measure" in errors[f"ids.{own}"][0]
    assert "already" in errors[f"ids.{decided}"][0]
    assert "not a claimed benefit" in errors[f"ids.{cost}"][0]
    assert errors[f"ids.{elsewhere}"] == errors[f"ids.{2**62}"]
    assert snapshot(personas.org) == before


def test_owner_cannot_validate_own_benefit_in_bulk_or_one_by_one(personas, world):
    measure = next(
        m for m in world.measures if m.owner_id == personas.owner.pk and world.pending_of(m)
    )
    assign_role(personas.owner, Role.CONTROLLER, personas.org)  # even as a controller
    own = world.pending_of(measure)[0]
    before = snapshot(personas.org)
    with pytest.raises(ValidationError):
        validations_bulk_approve(organization=personas.org, entry_ids=[own.pk], by=personas.owner)
    with pytest.raises(AccessDenied):
        validation_decide(entry=own, decision="validate", by=personas.owner)
    assert snapshot(personas.org) == before


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "at least one"),
        ("1,2", "at least one"),
        ([1, "2"], "list of ids"),
        ([True], "list of ids"),
        (list(range(1, MAX_BULK + 2)), "at most"),
    ],
)
def test_bulk_approval_refuses_bad_id_lists(personas, ids, message):
    with pytest.raises(ValidationError) as caught:
        validations_bulk_approve(organization=personas.org, entry_ids=ids, by=personas.controller)
    assert message in caught.value.message_dict["ids"][0]


def test_bulk_approval_makes_the_same_number_of_queries_for_few_and_many(personas):
    world = queue_world(personas.org, [personas.owner], measures=40, months=6, seed=3)
    ids = [row.pk for row in validation_queue(personas.controller, personas.org)]
    counts = []
    for chosen in (ids[:3], ids[3:150]):
        with CaptureQueriesContext(connection) as captured:
            validations_bulk_approve(
                organization=personas.org, entry_ids=chosen, by=personas.controller
            )
        counts.append(len(captured.captured_queries))
    assert len(ids) >= 150 and world.measures
    assert counts[0] == counts[1], counts


def test_partial_validation_lies_between_zero_and_the_claim(personas, world):
    entry = next(
        FinancialEntry.objects.for_org(personas.org).get(pk=pk)
        for pk in others_pending(world, personas)
        if FinancialEntry.objects.for_org(personas.org).get(pk=pk).amount > 10
    )
    for amount in (entry.amount + 1, Decimal(-1)):
        with pytest.raises(ValidationError) as caught:
            validation_decide(
                entry=entry,
                decision="partial",
                amount=amount,
                reason="Half",
                by=personas.controller,
            )
        assert "between 0 and" in caught.value.message_dict["amount"][0]
    with pytest.raises(ValidationError) as caught:
        validation_decide(entry=entry, decision="partial", amount="5", by=personas.controller)
    assert set(caught.value.message_dict) == {"reason"}
    decided = validation_decide(
        entry=entry, decision="partial", amount=entry.amount, reason="All", by=personas.controller
    )
    assert decided.validated_amount == entry.amount
    record = DecisionRecord.objects.for_org(personas.org).get(subject_id=entry.pk)
    assert (record.kind, record.rationale) == ("partial", "All")


def test_a_decided_item_is_not_decided_again_from_the_queue(personas, world):
    entry = FinancialEntry.objects.for_org(personas.org).get(pk=others_pending(world, personas)[0])
    validation_decide(entry=entry, decision="reject", reason="No proof", by=personas.controller)
    with pytest.raises(Conflict):
        validation_decide(entry=entry, decision="validate", by=personas.admin)
    assert FinancialEntry.objects.for_org(personas.org).get(pk=entry.pk).validation == "rejected"
