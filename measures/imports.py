"""Spreadsheet import: the measures people keep in Excel, brought in all or nothing.

``read_table`` turns an uploaded XLSX or CSV file into rows keyed by lower-case column names,
each with the line number a person sees in their spreadsheet. ``import_measures`` runs every
row through the same hierarchy services the forms use (so every rule, permission and audit
event applies) inside one transaction, collecting every bad row with its line, column and
reason; if any row is bad, or for a dry run, the transaction is rolled back and nothing is
written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction

from governance.access import restrict
from governance.errors import AccessDenied, ValidationError
from governance.models import Membership, Organization
from governance.services.hierarchy import node_create, node_update, settable_fields
from measures.models import Measure, MeasurePackage

MAX_ROWS = 5_000
MAX_BYTES = 5 * 1024 * 1024
USER_FIELDS = ("owner", "sponsor", "controller")


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, too big, no header, too many rows)."""


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str


@dataclass
class ImportResult:
    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]


def read_table(name: str, content: bytes) -> list[Row]:
    """Rows of an ``.xlsx`` or ``.csv`` file; the first non-empty row is the header."""
    if len(content) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    lower = name.lower()
    if lower.endswith(".xlsx") or (not lower.endswith(".csv") and content[:4] == b"PK\x03\x04"):
        table = _xlsx_rows(content)
    elif lower.endswith(".csv") or "." not in lower.rsplit("/", 1)[-1]:
        # A name without an extension (some API clients send none): text is read as CSV.
        table = _csv_rows(content)
    else:
        raise ImportFileError("Upload an .xlsx or .csv file.")
    header: list[str] | None = None
    rows: list[Row] = []
    for line, cells in table:
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = [cell.strip().lower().replace(" ", "_") for cell in cells]
            continue
        values = {
            column: cells[index].strip() if index < len(cells) else ""
            for index, column in enumerate(header)
            if column
        }
        rows.append(Row(line, values))
        if len(rows) > MAX_ROWS:
            raise ImportFileError(f"Import at most {MAX_ROWS:,} rows at a time.")
    if header is None:
        raise ImportFileError("The file is empty: the first row must name the columns.")
    return rows


def _csv_rows(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError("Save the CSV file as UTF-8.") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    reader = csv.reader(io.StringIO(text), dialect)
    return [(reader.line_num, row) for row in reader]


def _xlsx_rows(content: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportFileError("The file is not a readable .xlsx workbook.") from None
    try:
        sheet = workbook.worksheets[0]
        return [
            (line, [_cell_text(cell) for cell in row])
            for line, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Lookups:
    """Codes and usernames of one organization, read once per import."""

    def __init__(self, organization: Organization, by: Any) -> None:
        self.organization = organization
        self.packages = {
            package.code.lower(): package
            for package in restrict(
                MeasurePackage.objects.all(), by, "add", organization=organization
            )
        }
        self.visible_packages = set(
            code.lower()
            for code in restrict(
                MeasurePackage.objects.all(), by, "view", organization=organization
            ).values_list("code", flat=True)
        )
        self.measures = {
            measure.code.lower(): measure
            for measure in Measure.objects.for_org(organization).only(
                "id", "code", "organization_id"
            )
        }
        member_ids = Membership.objects.for_org(organization).values("user_id")
        self.people: dict[str, Any] = {}
        for user in get_user_model().objects.filter(pk__in=member_ids):
            self.people[user.get_username().lower()] = user
            if user.email:
                self.people.setdefault(user.email.lower(), user)
        self.related: dict[str, dict[str, Any]] = {}

    def tenant_row(self, model: type[models.Model], code: str) -> Any:
        label = model._meta.label
        if label not in self.related:
            self.related[label] = {
                row.code.lower(): row
                for row in model._default_manager.for_org(self.organization)  # type: ignore[attr-defined]
            }
        return self.related[label].get(code.lower())


def _convert(
    name: str, raw: str, lookups: _Lookups, errors: list[tuple[str, str]]
) -> tuple[bool, Any]:
    """``(ok, value)`` for one cell of a settable measure field."""
    if raw == "":
        return True, None if name not in ("title", "description", "code") else ""
    model_field: Any = Measure._meta.get_field(name)
    if name in USER_FIELDS:
        user = lookups.people.get(raw.lower())
        if user is None:
            errors.append((name, f"No member with the username or e-mail {raw!r}."))
            return False, None
        return True, user
    if isinstance(model_field, models.ForeignKey):
        row = lookups.tenant_row(model_field.related_model, raw)  # type: ignore[arg-type]
        if row is None:
            errors.append((name, f"No {model_field.verbose_name} with the code {raw!r}."))
            return False, None
        return True, row
    if isinstance(model_field, models.DateField):
        try:
            return True, dt.date.fromisoformat(raw[:10])
        except ValueError:
            errors.append((name, f"{raw!r} is not a date: use YYYY-MM-DD."))
            return False, None
    if isinstance(model_field, models.DecimalField):
        try:
            amount = Decimal(raw.replace(",", "").replace(" ", ""))
        except InvalidOperation:
            errors.append((name, f"{raw!r} is not an amount."))
            return False, None
        if not amount.is_finite() or abs(amount) >= Decimal(10) ** 14:
            errors.append((name, f"{raw!r} is not a plausible amount."))
            return False, None
        return True, amount.quantize(Decimal("0.01"))
    if isinstance(model_field, models.BooleanField):
        flag = raw.lower()
        if flag not in ("yes", "no", "true", "false", "1", "0", "y", "n", "x"):
            errors.append((name, f"{raw!r} is not yes or no."))
            return False, None
        return True, flag in ("yes", "true", "1", "y", "x")
    if model_field.choices:
        choices = {str(key).lower(): key for key, _ in model_field.choices}
        choices |= {str(label).lower(): key for key, label in model_field.choices}
        if raw.lower() not in choices:
            allowed = ", ".join(str(key) for key, _ in model_field.choices)
            errors.append((name, f"{raw!r} is not one of {allowed}."))
            return False, None
        return True, choices[raw.lower()]
    return True, raw


def import_measures(
    *, organization: Organization, by: Any, rows: list[Row], dry_run: bool
) -> ImportResult:
    """Create or update (by code) one measure per row; every row or none."""
    result = ImportResult(dry_run=dry_run)
    settable = [name for name in settable_fields(Measure) if name != "code"]
    with transaction.atomic():
        lookups = _Lookups(organization, by)
        seen: dict[str, int] = {}
        for row in rows:
            problems: list[tuple[str, str]] = []
            code = row.values.get("code", "")
            if not code:
                problems.append(("code", "Give the measure's code."))
            elif code.lower() in seen:
                first = seen[code.lower()]
                problems.append(("code", f"The code {code} is already on line {first}."))
            else:
                seen[code.lower()] = row.line
            values: dict[str, Any] = {}
            for name in settable:
                if name in row.values:
                    ok, value = _convert(name, row.values[name], lookups, problems)
                    if ok:
                        values[name] = value
            existing = lookups.measures.get(code.lower()) if code else None
            package = None
            package_code = row.values.get("package", "")
            if existing is None:
                package = lookups.packages.get(package_code.lower()) if package_code else None
                if not package_code:
                    problems.append(("package", "Give the code of the measure package."))
                elif package is None:
                    known = package_code.lower() in lookups.visible_packages
                    problems.append(
                        (
                            "package",
                            f"You may not add measures to the package {package_code}."
                            if known
                            else f"No measure package with the code {package_code!r}.",
                        )
                    )
            if not problems:
                problems += _write(row, code, values, existing, package, organization, by, result)
            result.errors += [RowError(row.line, column, message) for column, message in problems]
        if not result.ok or dry_run:
            transaction.set_rollback(True)
    return result


def _write(
    row: Row,
    code: str,
    values: dict[str, Any],
    existing: Measure | None,
    package: MeasurePackage | None,
    organization: Organization,
    by: Any,
    result: ImportResult,
) -> list[tuple[str, str]]:
    try:
        with transaction.atomic():
            if existing is None:
                values.setdefault("title", "")
                node_create(
                    model=Measure,
                    organization=organization,
                    by=by,
                    parent=package,
                    code=code,
                    **values,
                )
                result.created.append(code)
            else:
                measure = Measure.objects.for_org(organization).get(pk=existing.pk)
                node_update(node=measure, by=by, **values)
                result.updated.append(code)
    except ValidationError as error:
        return [
            (column, message)
            for column, messages in error.message_dict.items()
            for message in messages
        ]
    except AccessDenied:
        return [("code", f"You may not change the measure {code}.")]
    return []


__all__ = [
    "ImportFileError",
    "ImportResult",
    "Row",
    "RowError",
    "import_measures",
    "read_table",
]
