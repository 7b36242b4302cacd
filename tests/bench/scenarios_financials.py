"""Financial roll-ups and the bulk upsert of a month's actuals, with a raw-SQL twin of the
roll-up to compare the ORM's grouped query against."""

from __future__ import annotations

from typing import Any

from django.db import connection

from governance.models import Portfolio
from governance.rls import tenant_scope
from measures.fiscal import fiscal_year_start
from measures.models import Measure
from measures.rollups import rollup
from tests.bench.scenarios import BenchTenant, scenario

BULK_MEASURES = 5_000


@scenario("API: portfolio roll-up by period and stage", api=True)
def api_portfolio_rollup(tenant: BenchTenant) -> str:
    portfolio = tenant.first(Portfolio)
    return f"/api/v1/orgs/{tenant.slug}/rollups/?level=portfolio&id={portfolio.pk}"


def _selector(tenant: BenchTenant) -> Any:
    with tenant_scope(tenant.organization.pk):
        return rollup(
            user=tenant.admin, organization=tenant.organization, node=tenant.first(Portfolio)
        )


scenario("Selector: portfolio roll-up (ORM, one grouped query)", call=_selector)(
    lambda tenant: "measures.rollups.rollup(node=portfolio)"
)

RAW_SQL = """
SELECT e.period, m.doi, e.line, e.scenario, SUM(e.amount),
       SUM(e.validated_amount) FILTER (WHERE e.validation = 'validated')
FROM measures_financialentry e JOIN measures_measure m ON m.id = e.measure_id
WHERE e.organization_id = %s AND m.organization_id = %s AND m.portfolio_id = %s
  AND m.archived_at IS NULL
GROUP BY e.period, m.doi, e.line, e.scenario
"""


def _raw(tenant: BenchTenant) -> Any:
    portfolio = tenant.first(Portfolio)
    org = tenant.organization.pk
    with tenant_scope(org), connection.cursor() as cursor:
        cursor.execute(RAW_SQL, [org, org, portfolio.pk])
        return cursor.fetchall()


scenario("Raw SQL: portfolio roll-up aggregate", call=_raw)(
    lambda tenant: "GROUP BY period, stage, line, scenario"
)


_ids: dict[int, list[int]] = {}


def _bulk_body(tenant: BenchTenant, n: int) -> dict[str, Any]:
    org = tenant.organization
    if org.pk not in _ids:
        with tenant_scope(org.pk):
            _ids[org.pk] = list(
                Measure.objects.for_org(org)
                .order_by("id")
                .values_list("id", flat=True)[:BULK_MEASURES]
            )
    import datetime as dt

    period = fiscal_year_start(dt.date.today(), org.fiscal_year_start_month)
    # A different amount on every request, so each one really writes 5,000 rows.
    return {
        "period": f"{period:%Y-%m}",
        "rows": [
            {"measure": pk, "line": "benefit", "scenario": "actual", "amount": f"{1000 + n}.50"}
            for pk in _ids[org.pk]
        ],
    }


@scenario(
    "API: bulk upsert of one month's actuals (5,000 measures)",
    api=True,
    method="POST",
    body=_bulk_body,
)
def api_bulk_actuals(tenant: BenchTenant) -> str:
    return f"/api/v1/orgs/{tenant.slug}/financials/bulk/"
