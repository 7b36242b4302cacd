"""Exception cases from the data: each trigger opens its case, the ripple reaches the right
measures, recomputing is idempotent, a cleared cause closes its case, and an incremental
recompute leaves exactly the cases a full one does (on generated graphs)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from governance.models import CaseState, Cause, DecisionForum, ExceptionCase, ImpactedMeasure
from governance.ripple.cases import cases_recompute, open_cases_signature
from measures.models import FinancialEntry, Measure, MeasureDependency, Milestone
from tests.factories import MeasureFactory, MeasurePackageFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def measure(package, **fields):
    return MeasureFactory(package=package, doi="decided", **fields)


def slip(target, days, *, done=False):
    """A milestone of ``target`` baselined 60 days out, now expected ``days`` later."""
    baseline = TODAY + dt.timedelta(days=60)
    return Milestone.objects.create(
        organization_id=target.organization_id,
        measure=target,
        title=f"Milestone of {target.code}",
        baseline_due_date=baseline,
        due_date=baseline + dt.timedelta(days=days),
        completed_on=(baseline + dt.timedelta(days=days)) if done else None,
    )


def edge(before, after, lag=0):
    return MeasureDependency.objects.create(
        organization_id=before.organization_id, predecessor=before, successor=after, lag_days=lag
    )


def open_cases(org):
    return list(ExceptionCase.objects.for_org(org).filter(state=CaseState.OPEN))


def test_a_milestone_slip_opens_one_case_that_ripples_downstream(personas):
    package = MeasurePackageFactory(project__program__portfolio__organization=personas.org)
    root, middle, last, unrelated = (measure(package) for _ in range(4))
    edge(root, middle)
    edge(middle, last, lag=3)
    slip(root, 45)
    month = TODAY.replace(day=1)
    FinancialEntry.objects.create(
        organization=personas.org,
        measure=middle,
        period=month,
        line="benefit",
        scenario="forecast",
        amount=Decimal(1000),
    )
    summary = cases_recompute(organization=personas.org)
    assert summary.opened == 1
    (case,) = open_cases(personas.org)
    assert case.root_id == root.pk and case.cause == Cause.MILESTONE_SLIP
    assert case.slip_days == 45 and case.impacted_count == 3
    impacted = {row.measure_id: row for row in ImpactedMeasure.objects.for_org(personas.org)}
    assert set(impacted) == {root.pk, middle.pk, last.pk}
    assert impacted[last.pk].via_id == middle.pk and impacted[last.pk].depth == 2
    assert {row.slip_days for row in impacted.values()} == {45}
    # 45 days late: the benefit arrives two months later; this month's 1,000 is at risk.
    assert impacted[middle.pk].risk_by_period[f"{month:%Y-%m}"] == "1000.00"
    assert unrelated.pk not in impacted


def test_recomputing_twice_writes_nothing_new(personas):
    package = MeasurePackageFactory(project__program__portfolio__organization=personas.org)
    root, after = measure(package), measure(package)
    edge(root, after)
    slip(root, 10)
    cases_recompute(organization=personas.org)
    before = [(c.pk, c.fingerprint, c.updated_at) for c in open_cases(personas.org)]
    again = cases_recompute(organization=personas.org)
    assert again.opened == again.updated == again.cleared == 0 and again.unchanged == 1
    assert [(c.pk, c.fingerprint, c.updated_at) for c in open_cases(personas.org)] == before


def test_a_cause_that_clears_closes_its_case_with_the_reason(personas):
    package = MeasurePackageFactory(project__program__portfolio__organization=personas.org)
    root = measure(package)
    late = slip(root, 10)
    cases_recompute(organization=personas.org)
    late.due_date = late.baseline_due_date
    late.save()
    summary = cases_recompute(organization=personas.org, measure_ids=[root.pk])
    assert summary.cleared == 1
    case = ExceptionCase.objects.for_org(personas.org).get()
    assert case.state == CaseState.CLEARED and "cleared" in case.closed_reason


def test_a_cost_overrun_and_a_missed_kpi_open_their_own_cases(personas):
    from measures.models import Kpi, KpiValue

    package = MeasurePackageFactory(project__program__portfolio__organization=personas.org)
    target = measure(package)
    month = TODAY.replace(day=1)
    for scenario, amount in (("baseline", 100), ("actual", 150)):
        FinancialEntry.objects.create(
            organization=personas.org,
            measure=target,
            period=month,
            line="one_time_cost",
            scenario=scenario,
            amount=Decimal(amount),
        )
    kpi = Kpi.objects.create(
        organization=personas.org, measure=target, name="Scrap", direction="lower", target=2
    )
    KpiValue.objects.create(organization=personas.org, kpi=kpi, period=month, actual=3)
    cases_recompute(organization=personas.org)
    cases = {case.cause: case for case in open_cases(personas.org)}
    assert set(cases) == {Cause.COST_OVER, Cause.KPI_MISS}
    assert cases[Cause.COST_OVER].value_at_risk == Decimal(50)
    assert [row["kpi"] for row in cases[Cause.KPI_MISS].detail["kpis"]] == ["Scrap"]


def test_the_lowest_forum_covering_every_impacted_measure_decides(personas):
    org = personas.org
    package = MeasurePackageFactory(project__program__portfolio__organization=org)
    elsewhere = MeasurePackageFactory(project__program__portfolio=package.portfolio)
    root, same_project, other_program = (
        measure(package),
        measure(package),
        measure(elsewhere),
    )
    company = DecisionForum.objects.create(organization=org, name="Executive committee")
    portfolio_forum = DecisionForum.objects.create(
        organization=org, name="Portfolio board", portfolio=package.portfolio
    )
    DecisionForum.objects.create(
        organization=org,
        name="Project board",
        portfolio=package.portfolio,
        program=package.program,
        project=package.project,
    )
    edge(root, same_project)
    slip(root, 10)
    cases_recompute(organization=org)
    assert open_cases(org)[0].forum.name == "Project board"
    edge(same_project, other_program)
    cases_recompute(organization=org, measure_ids=[same_project.pk, other_program.pk])
    (case,) = open_cases(org)
    assert case.forum.name == "Project board" and case.impacted_count == 3
    # The forum stays the one the case was opened with; a fresh case goes to the portfolio.
    ExceptionCase.objects.for_org(org).delete()
    cases_recompute(organization=org)
    assert open_cases(org)[0].forum == portfolio_forum
    assert company.pk  # the organization's forum is the last resort


def test_a_case_names_the_programs_projects_and_functions_it_reaches(personas):
    from governance.models import Function

    org = personas.org
    sales, procurement = (
        Function.objects.create(organization=org, code=name[:3].upper(), name=name)
        for name in ("Sales", "Procurement")
    )
    package = MeasurePackageFactory(project__program__portfolio__organization=org)
    elsewhere = MeasurePackageFactory(project__program__portfolio=package.portfolio)
    root = measure(package, function=sales)
    downstream = measure(elsewhere, function=procurement)
    edge(root, downstream)
    slip(root, 20)
    cases_recompute(organization=org)
    (case,) = open_cases(org)
    assert case.reach == {
        "programs": sorted([package.program_id, elsewhere.program_id]),
        "projects": sorted([package.project_id, elsewhere.project_id]),
        "functions": sorted([sales.pk, procurement.pk]),
    }
    # What it reaches changes with the impact: cut the edge and only the root's own remain.
    MeasureDependency.objects.for_org(org).delete()
    cases_recompute(organization=org, measure_ids=[root.pk])
    (case,) = open_cases(org)
    assert case.reach == {
        "programs": [package.program_id],
        "projects": [package.project_id],
        "functions": [sales.pk],
    }


# --- full = incremental on generated graphs ---------------------------------------------------


def world(org, rng, size=18):
    packages = [
        MeasurePackageFactory(project__program__portfolio__organization=org) for _ in range(2)
    ]
    measures = []
    for index in range(size):
        start = TODAY + dt.timedelta(days=rng.randint(0, 120))
        measures.append(
            measure(
                packages[index % 2],
                start_date=start if rng.random() < 0.8 else None,
                end_date=start + dt.timedelta(days=rng.randint(10, 90)),
            )
        )
    for a in range(size):
        for b in range(a + 1, size):
            if rng.random() < 0.15:
                edge(measures[a], measures[b], lag=rng.randint(-3, 10))
    for target in measures:
        if rng.random() < 0.3:
            slip(target, rng.randint(1, 80))
        if rng.random() < 0.5:
            FinancialEntry.objects.create(
                organization=org,
                measure=target,
                period=TODAY.replace(day=1),
                line="benefit",
                scenario="forecast",
                amount=Decimal(rng.randint(1, 50) * 100),
            )
    return measures


def mutate(org, rng, measures):
    """Change a few measures the way users would; the ids an outbox would hold."""
    touched: set[int] = set()
    for target in rng.sample(measures, 4):
        choice = rng.randrange(4)
        if choice == 0:
            slip(target, rng.randint(1, 80))
        elif choice == 1:
            Milestone.objects.for_org(org).filter(measure=target).delete()
        elif choice == 2:
            Measure.objects.for_org(org).filter(pk=target.pk).update(
                start_date=TODAY + dt.timedelta(days=rng.randint(0, 150))
            )
        else:
            other = rng.choice(measures)
            a, b = sorted([target, other], key=lambda m: m.pk)
            if a.pk == b.pk:
                continue
            link = MeasureDependency.objects.for_org(org).filter(predecessor=a, successor=b)
            if link.exists():
                link.delete()
            else:
                edge(a, b, lag=rng.randint(0, 5))
            touched |= {a.pk, b.pk}
        touched.add(target.pk)
    return touched


@pytest.mark.parametrize("seed", range(8))
def test_an_incremental_recompute_leaves_the_cases_a_full_one_does(personas, seed):
    rng = random.Random(seed)
    org = personas.org
    measures = world(org, rng)
    cases_recompute(organization=org)
    for _ in range(3):
        touched = mutate(org, rng, measures)
        cases_recompute(organization=org, measure_ids=touched)
        incremental = open_cases_signature(org)
        ExceptionCase.objects.for_org(org).delete()
        cases_recompute(organization=org)
        assert open_cases_signature(org) == incremental


# --- who hears of new cases -------------------------------------------------------------------


def _slipping_measures(org, owner, count):
    package = MeasurePackageFactory(project__program__portfolio__organization=org)
    for _ in range(count):
        slip(measure(package, owner=owner), 15)


def test_a_few_new_cases_tell_their_owner_once_each(personas, settings):
    from governance.models import Notification

    settings.RIPPLE_DIGEST_AFTER = 3
    _slipping_measures(personas.org, personas.owner, 3)
    assert cases_recompute(organization=personas.org).opened == 3
    kinds = list(
        Notification.objects.for_org(personas.org)
        .filter(recipient=personas.owner)
        .values_list("kind", flat=True)
    )
    assert kinds == ["case.opened"] * 3


def test_many_new_cases_at_once_tell_each_person_once_in_a_digest(
    personas, settings, django_capture_on_commit_callbacks, mailoutbox
):
    from governance.models import Notification

    settings.RIPPLE_DIGEST_AFTER = 3
    _slipping_measures(personas.org, personas.owner, 25)
    with django_capture_on_commit_callbacks(execute=True):
        assert cases_recompute(organization=personas.org).opened == 25
    (digest,) = Notification.objects.for_org(personas.org).filter(recipient=personas.owner)
    assert digest.kind == "case.digest"
    assert digest.subject == "25 new exception case(s) for you"
    # The first twenty are named, the rest counted; the link opens the inbox.
    assert digest.body.count("Milestone later than its baseline at") == 20
    assert "… and 5 more" in digest.body and digest.link.endswith("/exceptions/?state=open")
    (message,) = [m for m in mailoutbox if m.to == [personas.owner.email]]
    assert message.subject == digest.subject


def test_reading_the_whole_series_finds_what_looking_each_measure_up_finds(personas, monkeypatch):
    from governance.ripple import cases

    org = personas.org
    package = MeasurePackageFactory(project__program__portfolio__organization=org)
    measures = [measure(package) for _ in range(4)]
    month = TODAY.replace(day=1)
    for index, (target, scenario) in enumerate(
        zip(measures, ("forecast", "baseline", "plan", "actual"), strict=True)
    ):
        for line in ("benefit", "one_time_cost"):
            FinancialEntry.objects.create(
                organization=org,
                measure=target,
                period=month,
                line=line,
                scenario=scenario,
                amount=Decimal(100 + index),
            )
    ids = {target.pk for target in measures}
    looked_up = cases._benefit_series(org.pk, ids)
    monkeypatch.setattr(cases, "SERIES_WHOLE_ABOVE", 0)
    assert cases._benefit_series(org.pk, ids) == looked_up
    # Forecast, else baseline, else plan; an actual alone is no series.
    index = month.year * 12 + month.month - 1
    assert looked_up == {
        measures[0].pk: {index: Decimal(100)},
        measures[1].pk: {index: Decimal(101)},
        measures[2].pk: {index: Decimal(102)},
    }
