"""Spreadsheet import of monthly plans, forecasts and actuals, all or nothing.

The file is read by ``measures.imports.read_table`` (XLSX or CSV), each row naming a measure by
its code, a month, a line, a scenario and an amount. The rows are written by
``financials_bulk_upsert`` (so validation, the audit trail, the measure's version and the
Potential Status recompute are the same as for every other write to a series) inside one
transaction; any bad row, or a dry run, rolls everything back. Every bad row is reported with
its line and column, and a check shows, per measure and month, the amount before and after.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from governance.access import restrict
from governance.errors import ValidationError
from governance.models import Organization
from measures.imports import Row, RowError
from measures.models import FinancialEntry, Line, Measure, Scenario
from measures.services.financials import WRITABLE, financials_bulk_upsert, parse_rows

COLUMNS = ("measure", "period", "line", "scenario", "amount")
# Other names people give the measure column.
MEASURE_COLUMNS = ("measure", "measure_code", "code")


@dataclass(frozen=True)
class Change:
    """One cell the import writes: ``old`` is None where nothing was stored."""

    measure: str
    period: dt.date
    line: str
    scenario: str
    old: Decimal | None
    new: Decimal

    @property
    def line_label(self) -> str:
        return str(Line(self.line).label)

    @property
    def scenario_label(self) -> str:
        return str(Scenario(self.scenario).label)


@dataclass
class FinancialImportResult:
    dry_run: bool
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    @property
    def measures(self) -> list[str]:
        return sorted({change.measure for change in self.changes})


def _choice_key(raw: str, choices: list[tuple[str, str]]) -> str:
    """The key of a line or scenario given by key or label, in any case; else ``raw``."""
    wanted = raw.strip().lower().replace(" ", "_").replace("-", "_")
    for key, label in choices:
        if wanted in (key, str(label).lower().replace(" ", "_").replace("-", "_")):
            return key
    return raw.strip()


def _measure_code(row: Row) -> str:
    for column in MEASURE_COLUMNS:
        if row.values.get(column):
            return row.values[column]
    return ""


def import_financials(
    *, organization: Organization, by: Any, rows: list[Row], dry_run: bool
) -> FinancialImportResult:
    """Write every row's amount into its measure's series, or none of them."""
    result = FinancialImportResult(dry_run=dry_run)
    if not rows:
        result.errors.append(RowError(1, "measure", "The file has no rows below the header."))
        return result
    if not any(column in rows[0].values for column in MEASURE_COLUMNS):
        result.errors.append(RowError(1, "measure", "Name a column measure (the measure's code)."))
        return result
    missing = [column for column in COLUMNS[1:] if column not in rows[0].values]
    if missing:
        result.errors += [RowError(1, column, "This column is missing.") for column in missing]
        return result
    visible = {
        code.lower(): (pk, code)
        for pk, code in restrict(
            Measure.objects.all(), by, "view", organization=organization
        ).values_list("pk", "code")
    }
    errors: list[RowError] = []
    # The rows handed to the service, and the spreadsheet row each one came from.
    payload: list[dict[str, Any]] = []
    sources: list[Row] = []
    for row in rows:
        code = _measure_code(row)
        found = visible.get(code.lower()) if code else None
        if not code:
            errors.append(RowError(row.line, "measure", "Give the measure's code."))
        elif found is None:
            errors.append(RowError(row.line, "measure", f"No measure with the code {code!r}."))
        payload.append(
            {
                "measure": found[0] if found else None,
                "period": row.values.get("period", ""),
                "line": _choice_key(row.values.get("line", ""), Line.choices),
                "scenario": _choice_key(row.values.get("scenario", ""), Scenario.choices),
                "amount": row.values.get("amount", ""),
            }
        )
        sources.append(row)
    codes = {pk: code for pk, code in visible.values()}
    with transaction.atomic():
        try:
            known = [entry for entry in payload if entry["measure"] is not None]
            if known:
                result.changes, result.unchanged = _preview(organization, known, codes)
                financials_bulk_upsert(
                    organization=organization, rows=payload, by=by, scenarios=WRITABLE
                )
        except ValidationError as error:
            errors += _row_errors(error, sources, payload, codes)
        if errors:
            result.changes, result.unchanged = [], 0
        if errors or dry_run:
            transaction.set_rollback(True)
    # One problem per row and column: the service repeats "give the measure" for unknown codes.
    unique = {(e.line, e.column, e.message): e for e in errors}
    result.errors = sorted(unique.values(), key=lambda e: (e.line, COLUMNS.index(e.column)))
    return result


def _preview(
    organization: Organization, payload: list[dict[str, Any]], codes: dict[int, str]
) -> tuple[list[Change], int]:
    """The cells that would change (old → new) and how many already hold the amount; rows that
    do not parse are left to the service to report."""
    cells, _ = parse_rows(payload, organization, dedupe=False)
    wanted = [(entry["measure"], cell) for entry, cell in zip(payload, cells, strict=True) if cell]
    stored = {
        (measure_id, period, line, scenario): amount
        for measure_id, period, line, scenario, amount in FinancialEntry.objects.for_org(
            organization
        )
        .filter(
            measure_id__in={measure_id for measure_id, _ in wanted},
            period__in={cell.period for _, cell in wanted},
        )
        .values_list("measure_id", "period", "line", "scenario", "amount")
    }
    changes: list[Change] = []
    unchanged = 0
    for measure_id, cell in wanted:
        old = stored.get((measure_id, cell.period, cell.line, cell.scenario))
        if old == cell.amount:
            unchanged += 1
            continue
        changes.append(
            Change(codes[measure_id], cell.period, cell.line, cell.scenario, old, cell.amount)
        )
    changes.sort(key=lambda c: (c.measure.lower(), c.period, c.line, c.scenario))
    return changes, unchanged


def _cell_key(entry: dict[str, Any]) -> tuple[Any, ...]:
    return (entry["measure"], str(entry["period"]).strip()[:7], entry["line"], entry["scenario"])


def _row_errors(
    error: ValidationError,
    sources: list[Row],
    payload: list[dict[str, Any]],
    codes: dict[int, str],
) -> list[RowError]:
    """The service's ``rows.<index>.<field>`` errors as spreadsheet lines and columns."""
    found: list[RowError] = []
    first_line: dict[tuple[Any, ...], int] = {}
    for entry, row in zip(payload, sources, strict=True):
        first_line.setdefault(_cell_key(entry), row.line)
    for key, messages in error.message_dict.items():
        parts = key.split(".")
        if len(parts) < 2 or not parts[1].isdigit():
            found += [RowError(sources[0].line if sources else 1, "measure", m) for m in messages]
            continue
        index = int(parts[1])
        row, entry = sources[index], payload[index]
        column = parts[2] if len(parts) > 2 else "measure"
        for message in messages:
            if column == "measure":
                if entry["measure"] is None:
                    continue  # reported already: no such code
                code = codes[entry["measure"]]
                if "twice" in message:
                    same = _cell_key(entry)
                    message = (
                        f"The same measure, month, line and scenario is already on line "
                        f"{first_line[same]}."
                    )
                else:
                    message = f"You may not change the financials of the measure {code}."
            found.append(RowError(row.line, column, message))
    return found


__all__ = ["Change", "FinancialImportResult", "import_financials"]
