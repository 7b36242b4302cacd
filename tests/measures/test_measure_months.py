"""The measures' monthly figures equal a brute-force sum of the series after every write."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from approvals.services.validations import validations_bulk_approve
from governance.access import restrict
from governance.models import Role
from governance.services.grants import assign_role
from governance.services.hierarchy import node_archive, node_move, node_restore, node_update
from measures.models import (
    FIGURES,
    DoI,
    FinancialEntry,
    Measure,
    MeasureMonth,
    ProgramMonth,
    ProgramTally,
    Validation,
)
from measures.models.figures import MEASURE_KEYS, PROGRAM_MONTH_KEYS, PROGRAM_TALLY_KEYS
from measures.services.figures import (
    measure_months_rebuild,
    measure_months_refresh,
    measure_months_stage,
)
from measures.services.financials import (
    actuals_validate,
    financials_bulk_upsert,
    financials_upsert,
)
from measures.services.stages import advance_by_approval, transition
from tests.factories import (
    FunctionFactory,
    MeasureFactory,
    MeasurePackageFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

THIS_MONTH = dt.date.today().replace(day=1)


def month(offset: int) -> dt.date:
    index = THIS_MONTH.year * 12 + THIS_MONTH.month - 1 + offset
    return dt.date(index // 12, index % 12 + 1, 1)


def brute_force(org: Any) -> dict[tuple[Any, ...], dict[str, Decimal]]:
    """The figures computed row by row in Python from the series and the measures."""
    measures = {
        measure.pk: measure
        for measure in Measure.objects.for_org(org)
        if measure.archived_at is None
    }
    found: dict[tuple[Any, ...], dict[str, Decimal]] = defaultdict(
        lambda: dict.fromkeys(FIGURES, Decimal(0))
    )
    for entry in FinancialEntry.objects.for_org(org):
        measure = measures.get(entry.measure_id)
        if measure is None:
            continue
        key = (
            measure.pk,
            entry.period,
            *(getattr(measure, f"{name}_id") for name in MEASURE_KEYS),
            measure.doi,
        )
        prefix = "benefit" if entry.line == "benefit" else "cost"
        found[key][f"{prefix}_{entry.scenario}"] += entry.amount
        if (
            prefix == "benefit"
            and entry.scenario == "actual"
            and entry.validation == Validation.VALIDATED
        ):
            found[key]["benefit_validated"] += entry.validated_amount
    return dict(found)


def stored(org: Any) -> dict[tuple[Any, ...], dict[str, Decimal]]:
    return {
        (
            row["measure_id"],
            row["period"],
            *(row[f"{name}_id"] for name in MEASURE_KEYS),
            row["stage"],
        ): {name: row[name] for name in FIGURES}
        for row in MeasureMonth.objects.for_org(org).values()
    }


def program_brute_force(org: Any) -> dict[tuple[Any, ...], dict[str, Any]]:
    """``MeasureMonth`` summed per program-month group, in Python."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in MeasureMonth.objects.for_org(org).values():
        key = tuple(
            row[name if name in ("stage", "period") else f"{name}_id"]
            for name in PROGRAM_MONTH_KEYS
        )
        group = groups.setdefault(key, {**dict.fromkeys(FIGURES, Decimal(0)), "measures": 0})
        for name in FIGURES:
            group[name] += row[name]
        group["measures"] += 1
    return groups


def program_stored(org: Any) -> dict[tuple[Any, ...], dict[str, Any]]:
    stored: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in ProgramMonth.objects.for_org(org).values():
        key = tuple(
            row[name if name in ("stage", "period") else f"{name}_id"]
            for name in PROGRAM_MONTH_KEYS
        )
        assert key not in stored, "one row per group"
        stored[key] = {name: row[name] for name in (*FIGURES, "measures")}
    return stored


def tally_brute_force(org: Any) -> dict[tuple[Any, ...], int]:
    """Live measures counted per program tally group, in Python."""
    groups: dict[tuple[Any, ...], int] = defaultdict(int)
    for row in Measure.objects.for_org(org).filter(archived_at__isnull=True).values():
        key = tuple(
            row[name]
            if name in ("doi", "implementation_status", "potential_status")
            else row[f"{name}_id"]
            for name in PROGRAM_TALLY_KEYS
        )
        groups[key] += 1
    return dict(groups)


def tally_stored(org: Any) -> dict[tuple[Any, ...], int]:
    stored: dict[tuple[Any, ...], int] = {}
    for row in ProgramTally.objects.for_org(org).values():
        key = tuple(
            row["stage" if name == "doi" else name]
            if name in ("doi", "implementation_status", "potential_status")
            else row[f"{name}_id"]
            for name in PROGRAM_TALLY_KEYS
        )
        assert key not in stored, "one row per group"
        stored[key] = row["measures"]
    return stored


def assert_current(org: Any) -> None:
    assert stored(org) == brute_force(org)
    assert program_stored(org) == program_brute_force(org)
    assert tally_stored(org) == tally_brute_force(org)


def series(org: Any, measures: list[Measure], seed: int = 3) -> None:
    """Random series rows written straight to the table (then rebuilt)."""
    rng = random.Random(seed)
    rows = []
    for measure in measures:
        for period in rng.sample(range(-3, 9), 3):
            for line in ("benefit", "one_time_cost", "recurring_cost"):
                for scenario in ("plan", "baseline", "forecast", "actual"):
                    if rng.random() < 0.4:
                        continue
                    amount = Decimal(rng.randint(-50_000, 900_000)) / 100
                    validated = scenario == "actual" and rng.random() < 0.5
                    rows.append(
                        FinancialEntry(
                            organization=org,
                            measure=measure,
                            period=month(period),
                            line=line,
                            scenario=scenario,
                            amount=amount,
                            validation=Validation.VALIDATED
                            if validated
                            else ("pending" if scenario == "actual" else ""),
                            validated_amount=(amount / 3).quantize(Decimal("0.01"))
                            if validated
                            else None,
                        )
                    )
    FinancialEntry.objects.bulk_create(rows)


def measures_in_two_programs(org: Any, count: int) -> list[Measure]:
    packages = [
        MeasurePackageFactory(project__program__portfolio__organization=org) for _ in range(2)
    ]
    return [MeasureFactory(package=packages[index % 2]) for index in range(count)]


def test_rebuild_equals_the_brute_force_sum(personas):
    measures = measures_in_two_programs(personas.org, 12)
    series(personas.org, measures)
    rows = measure_months_rebuild(organization_id=personas.org.pk)
    assert rows == len(brute_force(personas.org)) > 0
    assert_current(personas.org)


def test_the_other_tenant_is_left_alone(personas):
    mine = measures_in_two_programs(personas.org, 3)
    theirs = measures_in_two_programs(personas.other_org, 3)
    series(personas.org, mine)
    series(personas.other_org, theirs, seed=5)
    measure_months_rebuild(organization_id=personas.org.pk)
    assert not MeasureMonth.objects.for_org(personas.other_org).exists()
    measure_months_rebuild(organization_id=personas.other_org.pk)
    assert_current(personas.org)
    assert_current(personas.other_org)


def test_writing_the_series_refreshes_only_what_was_written(personas):
    org, admin = personas.org, personas.admin
    measure, other = measures_in_two_programs(org, 2)
    financials_upsert(
        measure=measure,
        by=admin,
        rows=[
            {"period": f"{month(0):%Y-%m}", "line": "benefit", "scenario": "plan", "amount": "100"},
            {
                "period": f"{month(1):%Y-%m}",
                "line": "one_time_cost",
                "scenario": "plan",
                "amount": "40",
            },
            {
                "period": f"{month(1):%Y-%m}",
                "line": "recurring_cost",
                "scenario": "plan",
                "amount": "2.5",
            },
        ],
    )
    assert_current(org)
    row = MeasureMonth.objects.for_org(org).get(measure=measure, period=month(1))
    assert row.cost_plan == Decimal("42.50")
    financials_bulk_upsert(
        organization=org,
        by=admin,
        rows=[
            {
                "measure": measure.pk,
                "period": f"{month(0):%Y-%m}",
                "line": "benefit",
                "scenario": "actual",
                "amount": "90",
            },
            {
                "measure": other.pk,
                "period": f"{month(2):%Y-%m}",
                "line": "benefit",
                "scenario": "forecast",
                "amount": "70",
            },
        ],
    )
    assert_current(org)
    assert MeasureMonth.objects.for_org(org).count() == 3


def test_validation_verdicts_count_as_the_rollups_count_them(personas):
    org, admin, controller = personas.org, personas.admin, personas.controller
    measure, other = measures_in_two_programs(org, 2)
    rows = [
        {
            "measure": m.pk,
            "period": f"{month(-1):%Y-%m}",
            "line": "benefit",
            "scenario": "actual",
            "amount": "100",
        }
        for m in (measure, other)
    ]
    financials_bulk_upsert(organization=org, by=admin, rows=rows)
    actuals_validate(
        measure=measure,
        period=f"{month(-1):%Y-%m}",
        line="benefit",
        decision="partial",
        amount="60",
        reason="Only part is evidenced.",
        by=controller,
    )
    assert_current(org)
    assert MeasureMonth.objects.for_org(org).get(measure=measure).benefit_validated == 60
    pending = FinancialEntry.objects.for_org(org).get(measure=other)
    validations_bulk_approve(organization=org, entry_ids=[pending.pk], by=controller)
    assert_current(org)
    assert MeasureMonth.objects.for_org(org).get(measure=other).benefit_validated == 100


def test_stage_changes_and_the_baseline_freeze_follow(personas):
    org, admin = personas.org, personas.admin
    (measure,) = measures_in_two_programs(org, 1)
    financials_upsert(
        measure=measure,
        by=admin,
        rows=[
            {"period": f"{month(0):%Y-%m}", "line": "benefit", "scenario": "plan", "amount": "500"}
        ],
    )
    transition(measure, DoI.ON_HOLD, admin)
    assert_current(org)
    assert MeasureMonth.objects.for_org(org).get().stage == DoI.ON_HOLD
    transition(measure, DoI.DEFINED, admin)
    assert_current(org)
    Measure.objects.for_org(org).filter(pk=measure.pk).update(doi=DoI.DETAILED)
    measure_months_refresh(organization_id=org.pk, measure_ids=[measure.pk])
    advance_by_approval(Measure.objects.for_org(org).get(pk=measure.pk), DoI.DECIDED, admin)
    assert_current(org)
    row = MeasureMonth.objects.for_org(org).get()
    assert (row.stage, row.benefit_baseline) == (DoI.DECIDED, Decimal("500.00"))


def test_a_measure_moved_to_another_program_takes_its_rows(personas):
    org, admin = personas.org, personas.admin
    measure, beside = measures_in_two_programs(org, 2)
    series(org, [measure, beside])
    measure_months_rebuild(organization_id=org.pk)
    node_move(node=measure, new_parent=beside.package, by=admin)
    assert_current(org)
    assert set(
        MeasureMonth.objects.for_org(org).filter(measure=measure).values_list("program", flat=True)
    ) == {beside.program_id}
    # A whole project moved to another program carries its measures' rows too.
    project = Measure.objects.for_org(org).get(pk=beside.pk).project
    node_move(node=project, new_parent=measure.program, by=admin)
    assert_current(org)
    assert set(MeasureMonth.objects.for_org(org).values_list("portfolio", flat=True)) == {
        measure.portfolio_id
    }


def test_function_change_archive_and_restore_follow(personas):
    org, admin = personas.org, personas.admin
    measure, beside = measures_in_two_programs(org, 2)
    series(org, [measure, beside])
    measure_months_rebuild(organization_id=org.pk)
    node_update(node=measure, by=admin, function=FunctionFactory(organization=org))
    assert_current(org)
    node_archive(node=measure.program, by=admin)
    assert_current(org)
    assert not MeasureMonth.objects.for_org(org).filter(measure=measure).exists()
    node_restore(node=Measure.objects.for_org(org).get(pk=measure.pk).program, by=admin)
    assert_current(org)
    assert MeasureMonth.objects.for_org(org).filter(measure=measure).exists()


def test_the_rebuild_command(personas):
    measures = measures_in_two_programs(personas.org, 3)
    series(personas.org, measures)
    call_command("measure_months_rebuild", "--org", personas.org.slug)
    assert_current(personas.org)


def test_restrict_on_months_is_restrict_on_measures(personas):
    org = personas.org
    measures = measures_in_two_programs(org, 6)
    series(org, measures)
    measure_months_rebuild(organization_id=org.pk)
    lead = UserFactory()
    MembershipFactory(organization=org, user=lead, role="")
    assign_role(lead, Role.LEAD, measures[0].program)
    owner = UserFactory()
    MembershipFactory(organization=org, user=owner, role="")
    Measure.objects.for_org(org).filter(pk=measures[1].pk).update(owner=owner)
    for user in (lead, owner, personas.viewer, personas.admin, personas.outsider):
        for action in ("view", "view_financials"):
            seen = set(
                restrict(Measure.objects.all(), user, action, organization=org).values_list(
                    "pk", flat=True
                )
            )
            months = restrict(MeasureMonth.objects.all(), user, action, organization=org)
            if seen:
                assert "JOIN" not in str(months.query)
            assert set(months.values_list("measure_id", flat=True)) == seen & {
                m.pk for m in measures
            }


@pytest.mark.parametrize("count", [10, 200])
def test_the_refresh_takes_the_same_statements_whatever_the_number(
    personas, count, django_assert_num_queries
):
    measures = measures_in_two_programs(personas.org, count)
    series(personas.org, measures)
    ids = [measure.pk for measure in measures]
    # savepoint, delete, insert … select; then the program months: savepoint, the programs'
    # lock, delete, insert … select, release; release
    with django_assert_num_queries(9):
        measure_months_refresh(
            organization_id=personas.org.pk, measure_ids=ids, periods=[month(0), month(1)]
        )
    written = {month(0), month(1)}
    expected = {key: sums for key, sums in brute_force(personas.org).items() if key[1] in written}
    assert stored(personas.org) == expected
    programs = {
        key: sums for key, sums in program_brute_force(personas.org).items() if key[-1] in written
    }
    assert program_stored(personas.org) == programs
    # every month of the measures (the months they had and have): two more reads
    with django_assert_num_queries(11):
        measure_months_refresh(organization_id=personas.org.pk, measure_ids=ids)
    assert_current(personas.org)
    Measure.objects.for_org(personas.org).filter(pk=measures[0].pk).update(doi=DoI.IDENTIFIED)
    moved = Measure.objects.for_org(personas.org).get(pk=measures[0].pk)
    # the stage's update; savepoint, the program's lock, the groups' delete and insert, release;
    # the same five for the program's tally
    with django_assert_num_queries(11):
        measure_months_stage(measure=moved)
    assert_current(personas.org)


def test_a_scenario_through_every_writer_keeps_the_table_current(personas):
    """Decided by the sponsor (the plan frozen), re-baselined by an approved change request,
    actuals written, imported, validated, put on hold and moved: after each, the table is the
    brute-force sum."""
    from approvals.changes.services import change_request_submit
    from approvals.services.requests import request_approve
    from measures.financial_imports import import_financials
    from measures.imports import read_table
    from tests.approvals.change_helpers import MONTH, at_decided

    org = personas.org
    measure = at_decided(personas)
    assert_current(org)
    change = change_request_submit(
        measure=measure,
        by=personas.owner,
        changes={"financials": [{"period": MONTH, "line": "benefit", "amount": "1300"}]},
        rationale="The supplier contract moved.",
    )
    request_approve(request=change.request, by=personas.executive, comment="Agreed.")
    assert_current(org)
    this_month = dt.date.fromisoformat(f"{MONTH}-01")
    months = MeasureMonth.objects.for_org(org).filter(measure=measure, period=this_month)
    assert months.get().benefit_baseline == 1300
    financials_upsert(
        measure=measure,
        by=personas.owner,
        rows=[{"period": MONTH, "line": "benefit", "scenario": "actual", "amount": "400"}],
    )
    sheet = f"measure,period,line,scenario,amount\n{measure.code},{MONTH},benefit,forecast,1250\n"
    result = import_financials(
        organization=org,
        by=personas.admin,
        rows=read_table("series.csv", sheet.encode()),
        dry_run=False,
    )
    assert result.written, result
    assert_current(org)
    actuals_validate(
        measure=measure, period=MONTH, line="benefit", decision="validate", by=personas.controller
    )
    assert_current(org)
    transition(Measure.objects.for_org(org).get(pk=measure.pk), DoI.ON_HOLD, personas.admin)
    beside = MeasurePackageFactory(project__program__portfolio__organization=org)
    node_move(
        node=Measure.objects.for_org(org).get(pk=measure.pk), new_parent=beside, by=personas.admin
    )
    assert_current(org)
    row = months.get()
    assert (row.stage, row.program_id, row.benefit_validated) == (
        DoI.ON_HOLD,
        beside.program_id,
        Decimal("400.00"),
    )


def test_the_bench_seeds_leave_the_table_current():
    """The bench tenant (series written by SQL) and its validation queue (verdicts by SQL)."""
    from governance.models import Organization
    from reporting.demo.bench import bench_organization_seed
    from reporting.demo.bench_queue import bench_validation_queue_seed

    result = bench_organization_seed(slug="bench-months", measures=60)
    org = Organization.objects.get(pk=result.organization.pk)
    assert MeasureMonth.objects.for_org(org).exists()
    assert_current(org)
    bench_validation_queue_seed(org, result.admin)
    assert_current(org)
    # Another size: the tree is deleted outright and seeded again, the roll-up with it.
    bench_organization_seed(slug="bench-months", measures=40)
    assert Measure.objects.for_org(org).count() == 40
    assert_current(org)


def test_restrict_on_program_months_follows_the_program_grants_only(personas):
    """The sums have no owner: a lead reads their program's groups, a measure's owner none
    (they read their own measures' rows in ``MeasureMonth``)."""
    org = personas.org
    measures = measures_in_two_programs(org, 6)
    series(org, measures)
    measure_months_rebuild(organization_id=org.pk)
    lead = UserFactory()
    MembershipFactory(organization=org, user=lead, role="")
    assign_role(lead, Role.LEAD, measures[0].program)
    owner = UserFactory()
    MembershipFactory(organization=org, user=owner, role="")
    Measure.objects.for_org(org).filter(pk=measures[1].pk).update(owner=owner)
    everything = set(ProgramMonth.objects.for_org(org).values_list("pk", flat=True))
    assert everything
    for user, programs in (
        (lead, {measures[0].program_id}),
        (owner, set()),
        (personas.admin, {m.program_id for m in measures}),
        (personas.outsider, set()),
    ):
        rows = restrict(ProgramMonth.objects.all(), user, "view_financials", organization=org)
        if programs:
            assert "JOIN" not in str(rows.query)
        assert set(rows.values_list("program_id", flat=True)) == programs
