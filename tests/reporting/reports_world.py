"""An organization with two programs of known figures, and people of different scope, for the
leadership report tests."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from governance.models import Organization, Role
from governance.services.grants import assign_role
from measures.models import FinancialEntry, Measure
from measures.services.figures import measure_months_rebuild
from reporting.models import ReportDefinition
from reporting.reports.render import NUMBER_FORMATS
from reporting.reports.services import DefinitionData, definition_create
from reporting.widgets.base import Filters, Scope, Table
from reporting.widgets.registry import WIDGETS
from tests.factories import (
    MeasureFactory,
    MembershipFactory,
    OrganizationFactory,
    PortfolioFactory,
    ProgramFactory,
    UserFactory,
)

# Forecast benefit of program A's measure (Defined) and program B's (Identified).
FORECAST_A = Decimal("123456.78")
FORECAST_B = Decimal("987654.32")
PLAN_A = Decimal("111111.00")
PLAN_B = Decimal("222222.00")


@dataclass
class ReportWorld:
    org: Organization
    other_org: Organization
    program_a: Any
    program_b: Any
    measure_a: Measure
    measure_b: Measure
    admin: Any
    executive: Any
    lead_a: Any
    viewer: Any
    colleague: Any  # a member with no role
    outsider: Any


def _benefit(measure: Measure, scenario: str, amount: Decimal) -> None:
    FinancialEntry.objects.create(
        organization_id=measure.organization_id,
        measure=measure,
        period=dt.date.today().replace(day=1),
        line="benefit",
        scenario=scenario,
        amount=amount,
    )


def _member(org: Organization, username: str, role: str | None, node: Any) -> Any:
    user = UserFactory(username=username)
    MembershipFactory(organization=org, user=user, role="")
    if role is not None:
        assign_role(user, role, node)
    return user


def make_report_world() -> ReportWorld:
    org = OrganizationFactory(name="Acme Manufacturing", slug="acme", currency="EUR")
    other = OrganizationFactory(name="Globex", slug="globex")
    portfolio = PortfolioFactory(organization=org, title="Supply chain")
    program_a = ProgramFactory(portfolio=portfolio, title="Program Alpha", code="PG-A")
    program_b = ProgramFactory(portfolio=portfolio, title="Program Beta", code="PG-B")
    measure_a = MeasureFactory(package__project__program=program_a)
    measure_b = MeasureFactory(package__project__program=program_b)
    Measure.objects.for_org(org).filter(pk=measure_b.pk).update(doi="identified")
    _benefit(measure_a, "plan", PLAN_A)
    _benefit(measure_a, "forecast", FORECAST_A)
    _benefit(measure_b, "plan", PLAN_B)
    _benefit(measure_b, "forecast", FORECAST_B)
    measure_months_rebuild(organization_id=org.pk)
    outsider = UserFactory(username="globex-admin")
    MembershipFactory(organization=other, user=outsider, role="")
    assign_role(outsider, Role.ADMIN, other)
    return ReportWorld(
        org=org,
        other_org=other,
        program_a=program_a,
        program_b=program_b,
        measure_a=measure_a,
        measure_b=measure_b,
        admin=_member(org, "acme-admin", Role.ADMIN, org),
        executive=_member(org, "acme-executive", Role.EXECUTIVE, org),
        lead_a=_member(org, "acme-lead-a", Role.LEAD, program_a),
        viewer=_member(org, "acme-viewer", Role.VIEWER, org),
        colleague=_member(org, "acme-colleague", None, None),
        outsider=outsider,
    )


def leadership_definition(world: ReportWorld, **overrides: Any) -> ReportDefinition:
    """The whole organization's report (every widget) for the executives (by role) and program
    A's lead."""
    data = DefinitionData(
        title="Weekly leadership report",
        sections=list(WIDGETS),
        formats=["pdf", "xlsx"],
        audience_roles=[Role.EXECUTIVE],
        recipients=[world.lead_a.pk],
    )
    for name, value in overrides.items():
        setattr(data, name, value)
    return definition_create(organization=world.org, by=world.admin, data=data)


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def xlsx_sheets(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    return {
        sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in workbook.worksheets
    }


def widget_table(world: ReportWorld, user: Any, key: str, **filters: Any) -> Table:
    """Widget ``key`` as the dashboard computes it for ``user`` (the report's own figures)."""
    scope = Scope(organization=world.org, user=user, filters=Filters(**filters))
    return WIDGETS[key].compute(scope)


def _as_stored(kind: str, value: Any) -> Any:
    """A table's value as a workbook gives it back: numbers as floats, dates as dates."""
    if value is None or value == "":
        return None
    if kind == "percent":
        return pytest.approx(float(value) / 100)
    if kind in NUMBER_FORMATS and not isinstance(value, dt.date):
        return pytest.approx(float(value))
    return value


def _read_back(value: Any) -> Any:
    return value.date() if isinstance(value, dt.datetime) else value


def assert_sheet_is_table(rows: list[tuple[Any, ...]], table: Table) -> None:
    """A workbook sheet holds exactly ``table``: its labels, then its rows, numbers as numbers."""
    assert rows[0] == tuple(column.label for column in table.columns)
    body = [tuple(_read_back(value) for value in row) for row in rows[1 : 1 + len(table.rows)]]
    assert body == [
        tuple(_as_stored(column.kind, row.get(column.key)) for column in table.columns)
        for row in table.rows
    ]
