"""Roll-ups equal a brute-force sum; financial endpoints and pages keep to who sees financials."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.models import Role
from governance.services.grants import assign_role
from measures.models import DoI, FinancialEntry, Measure, Validation
from measures.rollups import rollup
from measures.services.financials import financials_upsert
from tests.factories import MeasureFactory, MeasurePackageFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

THIS_MONTH = dt.date.today().replace(day=1)
WEIGHTS = {
    "defined": 0,
    "identified": 10,
    "detailed": 25,
    "decided": 50,
    "implemented": 80,
    "closed": 100,
}


def month(offset: int) -> dt.date:
    index = THIS_MONTH.year * 12 + THIS_MONTH.month - 1 + offset
    return dt.date(index // 12, index % 12 + 1, 1)


def generate(org, measures: int, seed: int = 7):
    """Random measures in two programs at random stages, each with random series rows."""
    rng = random.Random(seed)
    packages = [
        MeasurePackageFactory(project__program__portfolio__organization=org) for _ in range(2)
    ]
    rows = []
    made = []
    for index in range(measures):
        measure = MeasureFactory(package=packages[index % 2])
        stage = rng.choice(list(WEIGHTS))
        Measure.objects.for_org(org).filter(pk=measure.pk).update(doi=stage)
        made.append((measure, stage))
        for period in rng.sample(range(-3, 9), 4):
            for line in ("benefit", "one_time_cost", "recurring_cost"):
                for scenario in ("plan", "baseline", "forecast", "actual"):
                    if rng.random() < 0.5:
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
                            validation=Validation.VALIDATED if validated else "",
                            validated_amount=(amount / 2).quantize(Decimal("0.01"))
                            if validated
                            else None,
                        )
                    )
    FinancialEntry.objects.bulk_create(rows)
    return packages, made, rows


def brute_force(rows, stages, keep):
    """``{(period, stage, line): {figure: sum}}`` the slow way."""
    sums = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        if not keep(row.measure):
            continue
        stage = stages[row.measure.pk]
        key = (row.period, stage, row.line)
        sums[key][row.scenario] += row.amount
        if row.validation == Validation.VALIDATED:
            sums[key]["validated"] += row.validated_amount
    for (_, stage, _), figures in sums.items():
        # The stage weight applies to the forecast of the group (period, stage, line).
        figures["risk_adjusted"] = (figures["forecast"] * Decimal(WEIGHTS[stage]) / 100).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    return {key: {k: v for k, v in figures.items() if v} for key, figures in sums.items()}


def compact(cells):
    return {key: {k: v for k, v in figures.items() if v} for key, figures in cells.items()}


def test_rollup_equals_a_brute_force_sum_at_every_level(personas):
    packages, made, rows = generate(personas.org, 12)
    stages = {measure.pk: stage for measure, stage in made}
    admin = personas.admin
    whole = rollup(user=admin, organization=personas.org)
    assert compact(whole.cells) == brute_force(rows, stages, lambda m: True)
    for level in ("portfolio", "program", "project", "package"):
        node = getattr(packages[0], level) if level != "package" else packages[0]
        result = rollup(user=admin, organization=personas.org, node=node)
        node_id = node.pk
        want = brute_force(rows, stages, lambda m, lv=level, n=node_id: getattr(m, f"{lv}_id") == n)
        assert compact(result.cells) == want, level
    measure = made[0][0]
    result = rollup(user=admin, organization=personas.org, node=measure)
    assert compact(result.cells) == brute_force(rows, stages, lambda m: m.pk == measure.pk)
    # Totals add up the cells.
    benefit_plan = sum(
        (figures["plan"] for (p, s, line), figures in whole.cells.items() if line == "benefit"),
        Decimal(0),
    )
    assert whole.totals["benefit"]["plan"] == benefit_plan


def test_rollup_counts_only_measures_whose_financials_the_user_sees(personas):
    packages, made, rows = generate(personas.org, 6, seed=3)
    stages = {measure.pk: stage for measure, stage in made}
    scoped = UserFactory(username="scoped-controller")
    MembershipFactory(organization=personas.org, user=scoped, role="")
    assign_role(scoped, Role.CONTROLLER, packages[1].program)
    program_id = packages[1].program_id
    result = rollup(user=scoped, organization=personas.org)
    assert compact(result.cells) == brute_force(rows, stages, lambda m: m.program_id == program_id)
    for persona in ("viewer", "contributor"):
        assert rollup(user=getattr(personas, persona), organization=personas.org).is_empty


def test_rollup_api_and_financial_endpoints(personas, api_as):
    packages, made, _ = generate(personas.org, 4, seed=5)
    program = packages[0].program
    client = api_as(personas.executive)
    answer = client.get(f"/api/v1/orgs/acme/rollups/?level=program&id={program.pk}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["level"] == "program" and body["currency"] == personas.org.currency
    assert {"benefit", "one_time_cost", "recurring_cost"} <= set(body["totals"])
    assert client.get("/api/v1/orgs/acme/rollups/?level=program").status_code == 400
    assert client.get("/api/v1/orgs/acme/rollups/?level=program&id=999999").status_code == 404
    measure = made[0][0]
    series = client.get(f"/api/v1/orgs/acme/measures/{measure.pk}/financials/?scenario=plan")
    assert series.status_code == 200
    assert all(row["scenario"] == "plan" for row in series.json()["results"])
    # Viewers and contributors see the measure but not its financials: 404.
    for persona in ("viewer", "contributor"):
        other = api_as(getattr(personas, persona))
        assert other.get(f"/api/v1/orgs/acme/measures/{measure.pk}/financials/").status_code == 404
        assert other.get("/api/v1/orgs/acme/rollups/").json()["totals"]["benefit"]["plan"] == "0.00"


def test_put_reports_every_bad_row_and_writes_nothing(personas, api_as):
    measure = MeasureFactory(
        package__project__program__portfolio__organization=personas.org, owner=personas.owner
    )
    client = api_as(personas.owner)
    url = f"/api/v1/orgs/acme/measures/{measure.pk}/financials/"
    period = f"{THIS_MONTH:%Y-%m}"
    answer = client.put(
        url,
        {
            "rows": [
                {"period": period, "line": "benefit", "scenario": "plan", "amount": "100"},
                {"period": "1999-01", "line": "benefit", "scenario": "plan", "amount": "1"},
                {"period": period, "line": "benefit", "scenario": "forecast", "amount": "lots"},
            ]
        },
        format="json",
    )
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == {"rows.1.period", "rows.2.amount"}
    assert not FinancialEntry.objects.for_org(personas.org).exists()
    ok = client.put(
        url,
        {"rows": [{"period": period, "line": "benefit", "scenario": "actual", "amount": 5}]},
        format="json",
    )
    assert ok.status_code == 200 and ok.json() == {"changed": 1}
    validate = f"{url}validate/"
    assert (
        client.post(
            validate, {"period": period, "line": "benefit", "decision": "validate"}, format="json"
        ).status_code
        == 403
    )
    controller = api_as(personas.controller)
    done = controller.post(
        validate, {"period": period, "line": "benefit", "decision": "validate"}, format="json"
    )
    assert done.status_code == 200 and done.json()["validation"] == "validated"


def test_bulk_endpoint_lists_every_bad_row(personas, api_as):
    measures = [
        MeasureFactory(package__project__program__portfolio__organization=personas.org)
        for _ in range(2)
    ]
    client = api_as(personas.lead)
    answer = client.post(
        "/api/v1/orgs/acme/financials/bulk/",
        {
            "period": f"{THIS_MONTH:%Y-%m}",
            "rows": [
                {"measure": measures[0].pk, "line": "benefit", "scenario": "actual", "amount": 1},
                {"measure": measures[1].pk, "line": "cost", "scenario": "actual", "amount": 1},
                {"measure": 0, "line": "benefit", "scenario": "actual", "amount": "1e20"},
            ],
        },
        format="json",
    )
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == {"rows.1.line", "rows.2.amount", "rows.2.measure"}
    assert not FinancialEntry.objects.for_org(personas.org).exists()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_query_counts_do_not_grow_with_data(personas, api_as, client):
    packages, made, _ = generate(personas.org, 3, seed=1)
    portfolio = packages[0].portfolio
    measure = made[0][0]
    client.force_login(personas.executive)
    api = api_as(personas.executive)
    urls_ui = [f"/o/acme/portfolios/{portfolio.pk}/", f"/o/acme/measures/{measure.pk}/financials/"]
    urls_api = [
        f"/api/v1/orgs/acme/rollups/?level=portfolio&id={portfolio.pk}",
        f"/api/v1/orgs/acme/measures/{measure.pk}/financials/",
    ]
    small = [_queries(client, u) for u in urls_ui] + [_queries(api, u) for u in urls_api]
    generate(personas.org, 15, seed=2)
    for extra in range(5):
        financials_upsert(
            measure=measure,
            rows=[{"period": month(extra), "line": "benefit", "scenario": "plan", "amount": 9}],
            by=personas.lead,
        )
    large = [_queries(client, u) for u in urls_ui] + [_queries(api, u) for u in urls_api]
    assert small == large


def test_grid_keeps_every_input_and_marks_each_bad_cell(personas, client):
    measure = MeasureFactory(
        package__project__program__portfolio__organization=personas.org, owner=personas.owner
    )
    client.force_login(personas.owner)
    url = f"/o/acme/measures/{measure.pk}/financials/"
    page = client.get(url)
    assert page.status_code == 200
    first = page.context["rows"][0]["period"]
    good, bad, absurd = (
        f"{first:%Y-%m}__benefit__plan",
        f"{first:%Y-%m}__one_time_cost__plan",
        f"{first:%Y-%m}__benefit__actual",
    )
    answer = client.post(url, {good: "1200", bad: "twelve", absurd: "9e15"})
    assert answer.status_code == 422
    content = answer.content.decode()
    assert 'value="twelve"' in content and 'value="1200"' in content
    assert "is not a number" in content and "1,000,000,000,000" in content
    assert not FinancialEntry.objects.for_org(personas.org).exists()
    assert client.post(url, {good: "1,200", bad: "300"}).status_code == 302
    assert FinancialEntry.objects.for_org(personas.org).count() == 2
    # Viewers do not reach the grid at all; controllers may validate but not edit.
    client.force_login(personas.viewer)
    assert client.get(url).status_code == 404
    client.force_login(personas.controller)
    assert client.post(url, {good: "1"}).status_code == 403
    assert b"Validate an actual" in client.get(url).content


def test_rollup_panel_is_hidden_without_financials(personas, client):
    packages, _, _ = generate(personas.org, 2, seed=9)
    url = f"/o/acme/programs/{packages[0].program_id}/"
    client.force_login(personas.viewer)
    assert b"Value roll-up" not in client.get(url).content
    client.force_login(personas.executive)
    assert b"Value roll-up" in client.get(url).content


def test_stage_is_respected_by_risk_adjustment(personas):
    measure = MeasureFactory(package__project__program__portfolio__organization=personas.org)
    Measure.objects.for_org(personas.org).filter(pk=measure.pk).update(doi=DoI.DECIDED)
    financials_upsert(
        measure=measure,
        rows=[{"period": month(0), "line": "benefit", "scenario": "forecast", "amount": 1000}],
        by=personas.lead,
    )
    result = rollup(user=personas.admin, organization=personas.org, node=measure)
    assert result.totals["benefit"]["risk_adjusted"] == Decimal("500.00")
    assert result.by_stage[DoI.DECIDED]["benefit"]["forecast"] == Decimal("1000.00")
