"""Every dashboard widget renders in a report: PDF (with its chart drawn on the server as SVG),
XLSX (numbers as numbers, each kind with its format) and CSV, with the widget's own figures; a
definition names widgets only."""

from __future__ import annotations

import importlib
import re
import zipfile
from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from typing import get_args

import pytest
from django.apps import apps
from django.utils import timezone

from governance.errors import ValidationError
from reporting.models import ReportDefinition, SnapshotKind
from reporting.reports.charts import chart_svg
from reporting.reports.render import (
    NUMBER_FORMATS,
    cell_text,
    render,
    report_for,
    report_html,
)
from reporting.reports.sections import RENAMED, section_choices, section_registry
from reporting.reports.services import DefinitionData, definition_create
from reporting.services.snapshots import snapshot_take
from reporting.widgets.base import Chart, ChartKind, Column, Filters, Scope, Table
from reporting.widgets.registry import WIDGETS
from tests.reporting.data import generate
from tests.reporting.reports_world import (
    assert_sheet_is_table,
    leadership_definition,
    make_report_world,
    pdf_text,
    xlsx_sheets,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def filled(personas) -> None:
    """Generated measures and a snapshot of them a month ago, so that every widget has rows
    (the trend one, and slips since the snapshot)."""
    generate(personas.org, 60)
    month_ago = timezone.now() - timedelta(days=30)
    snapshot_take(
        organization=personas.org,
        kind=SnapshotKind.WEEKLY,
        period=month_ago.date(),
        now=month_ago,
    )


def every_widget_definition(personas) -> ReportDefinition:
    data = DefinitionData(
        title="Every widget", sections=list(WIDGETS), formats=["pdf", "xlsx", "csv"]
    )
    data.audience_roles = ["executive"]
    return definition_create(organization=personas.org, by=personas.admin, data=data)


def test_the_sections_are_the_widgets_in_registry_order():
    assert list(section_registry()) == list(WIDGETS)
    assert section_choices() == [(key, widget.title) for key, widget in WIDGETS.items()]
    assert all(entry.build is WIDGETS[key].compute for key, entry in section_registry().items())
    assert not set(RENAMED) & set(WIDGETS) and set(RENAMED.values()) <= set(WIDGETS)


def test_every_widget_renders_in_every_format_with_its_own_figures(personas):
    filled(personas)
    definition = every_widget_definition(personas)
    user = personas.executive
    report = report_for(definition=definition, organization=personas.org, recipient=user)
    scope = Scope(organization=personas.org, user=user, filters=Filters())
    tables = [widget.compute(scope) for widget in WIDGETS.values()]
    assert [table.key for table in report.tables] == list(WIDGETS)
    assert all(table.rows for table in tables)  # the generated data fills every widget

    text = pdf_text(render(report, "pdf")[0])
    for table in tables:
        # Titles may wrap in the PDF: compare them without their spaces.
        assert re.sub(r"\s", "", table.title) in re.sub(r"\s", "", text)
        if table.chart is not None:
            assert chart_svg(table).startswith("<svg"), table.key

    sheets = xlsx_sheets(render(report, "xlsx")[0])
    assert len(sheets) == len(tables)
    for rows, table in zip(sheets.values(), tables, strict=True):
        assert_sheet_is_table(rows, table)

    content, name, _ = render(report, "csv")
    assert name.endswith(".zip")
    with zipfile.ZipFile(BytesIO(content)) as archive:
        for index, table in enumerate(tables, start=1):
            assert archive.read(f"{index:02d}-{table.key}.csv").decode("utf-8-sig") == table.csv()


def test_every_table_and_chart_fits_its_pdf_page(personas):
    from weasyprint import HTML

    filled(personas)
    definition = every_widget_definition(personas)
    report = report_for(
        definition=definition, organization=personas.org, recipient=personas.executive
    )
    document = HTML(string=report_html(report)).render()

    def boxes(box):
        yield box
        for child in getattr(box, "children", None) or []:
            yield from boxes(child)

    checked = 0
    for page in document.pages:
        page_box = page._page_box  # WeasyPrint's laid-out page
        right = page_box.content_box_x() + page_box.width
        for box in boxes(page_box):
            if type(box).__name__ in ("TableBox", "InlineReplacedBox", "BlockReplacedBox"):
                assert box.position_x + box.margin_width() <= right + 1, type(box).__name__
                checked += 1
    assert checked >= len(WIDGETS)


def test_each_number_kind_has_its_number_format_in_the_workbook(personas):
    from openpyxl import load_workbook

    filled(personas)
    definition = every_widget_definition(personas)
    report = report_for(
        definition=definition, organization=personas.org, recipient=personas.executive
    )
    workbook = load_workbook(BytesIO(render(report, "xlsx")[0]))
    seen: set[str] = set()
    for sheet, table in zip(workbook.worksheets, report.tables, strict=True):
        for index, column in enumerate(table.columns, start=1):
            for row in range(2, len(table.rows) + 2):
                cell = sheet.cell(row=row, column=index)
                if column.kind in NUMBER_FORMATS and cell.value is not None:
                    assert cell.number_format == NUMBER_FORMATS[column.kind], (table.key, column)
                    if column.kind != "date":
                        assert isinstance(cell.value, int | float | Decimal), (table.key, column)
                    seen.add(column.kind)
    assert {"money", "count", "hours", "percent", "days", "date"} <= seen


def test_percentages_and_hours_read_as_on_the_dashboards():
    assert cell_text(Column("p", "P", "percent"), Decimal("85.3")) == "85.3 %"
    assert cell_text(Column("h", "H", "hours"), Decimal("1234.5")) == "1,234.5"
    assert cell_text(Column("m", "M", "money"), Decimal("-1234.5")) == "-1,234.50"


def two_series(kind: str, *, cumulative: bool = False) -> Table:
    return Table(
        key="sample",
        title="Sample",
        columns=[Column("label", "Label"), Column("a", "A", "count"), Column("b", "B", "count")],
        rows=[{"label": "x", "a": 10, "b": 3}, {"label": "y", "a": 10, "b": 0}],
        chart=Chart(kind, "label", ("a", "b"), cumulative=cumulative),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("kind", get_args(ChartKind))
def test_every_chart_kind_is_drawn(kind):
    svg = chart_svg(two_series(kind))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert ("<polyline" if kind == "line" else "<rect x=") in svg
    assert ">A<" in svg and ">B<" in svg  # the legend


def test_the_widgets_use_only_chart_kinds_the_reports_draw(personas):
    generate(personas.org, 30)
    scope = Scope(organization=personas.org, user=personas.executive, filters=Filters())
    kinds = {widget.compute(scope).chart for widget in WIDGETS.values()}
    assert {chart.kind for chart in kinds if chart is not None} <= set(get_args(ChartKind))


def test_a_cumulative_series_is_drawn_as_given():
    svg = chart_svg(two_series("line", cumulative=True))
    first_line = re.search(r'points="([^"]+)"', svg)
    assert first_line is not None
    heights = {point.split(",")[1] for point in first_line.group(1).split()}
    assert len(heights) == 1  # 10 then 10: running totals already, not summed again


def test_a_definition_names_widgets_and_an_old_key_is_refused_clearly(personas):
    data = DefinitionData(title="Old keys", sections=["value_by_stage", "nope"], formats=["pdf"])
    data.audience_roles = ["executive"]
    with pytest.raises(ValidationError) as refused:
        definition_create(organization=personas.org, by=personas.admin, data=data)
    (message,) = refused.value.message_dict["sections"]
    assert "value_by_stage (now doi_funnel)" in message and "nope" in message
    assert not ReportDefinition.objects.for_org(personas.org).exists()


def test_existing_definitions_move_to_the_widget_keys():
    world = make_report_world()
    definition = leadership_definition(world)
    ReportDefinition.objects.for_org(world.org).filter(pk=definition.pk).update(
        sections=["value_by_stage", "doi_funnel", "approvals_pending_by_age", "status_matrix"]
    )
    migration = importlib.import_module("reporting.migrations.0003_report_sections_become_widgets")
    migration.rename(migration.RENAMED)(apps, None)
    definition.refresh_from_db()
    assert definition.sections == ["doi_funnel", "approvals_by_age", "status_matrix"]


def test_a_line_stops_where_its_series_has_no_value():
    """The cumulative actual is blank after the current month: its line ends there, the others
    run on."""
    table = Table(
        key="plan_vs_actual",
        title="Plan vs actual",
        columns=[Column("month", "Month"), Column("plan", "Plan"), Column("actual", "Actual")],
        rows=[
            {"month": "2026-01", "plan": Decimal(10), "actual": Decimal(8)},
            {"month": "2026-02", "plan": Decimal(20), "actual": Decimal(15)},
            {"month": "2026-03", "plan": Decimal(30), "actual": None},
        ],
        chart=Chart("line", "month", ("plan", "actual"), cumulative=True),
    )
    plan, actual = re.findall(r'<polyline points="([^"]*)"', chart_svg(table))
    assert len(plan.split()) == 3 and len(actual.split()) == 2
