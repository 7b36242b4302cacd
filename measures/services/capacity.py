"""Capacity: people, their available hours per month, the hours measures plan of them, and
over-allocation (planned hours across all measures above the hours available).

Who may write: people and availability, the organization's admins (``administer`` on the
organization); effort, whoever may ``change`` the measure. Bad hours (negative, above the 744
hours of a month, not a number) are reported per field and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from governance.access import require
from governance.audit import audit_record
from governance.errors import ValidationError
from governance.models import Function, Membership, Organization
from governance.ripple.outbox import ripple_mark
from governance.services.hierarchy import check_version
from measures.fiscal import add_months
from measures.models import MONTH_HOURS, Availability, CapacityPerson, Effort, Measure
from measures.services.financials import parse_period
from measures.tabs import tab

MAX_ROWS = 5_000


def parse_hours(value: Any, *, required: bool = True) -> Decimal | None:
    """Hours of one month from user input (``None`` when blank and not required)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError("Give the hours.")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError("Give the hours as a number.")
    if isinstance(value, float):
        value = repr(value)
    try:
        hours = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{str(value)[:40]!r} is not a number of hours.") from None
    if not hours.is_finite():
        raise ValueError("Give a finite number of hours.")
    if hours < 0:
        raise ValueError("Hours cannot be negative.")
    if hours > MONTH_HOURS:
        raise ValueError(f"A month has at most {MONTH_HOURS} hours.")
    if hours != hours.quantize(Decimal("0.01")):
        raise ValueError("Use at most two decimal places.")
    return hours.quantize(Decimal("0.01"))


def month_range(
    organization: Organization, first: Any = None, last: Any = None, *, default_months: int = 6
) -> tuple[dt.date, dt.date]:
    """``(first, last)`` months from ``YYYY-MM`` input; by default this month and five after.
    Raises ``ValidationError`` for a month outside the fiscal range or an inverted range."""
    errors: dict[str, list[str]] = {}
    start = dt.date.today().replace(day=1)
    end = add_months(start, default_months - 1)
    for name, raw in (("from", first), ("to", last)):
        if raw in (None, ""):
            continue
        try:
            month = parse_period(raw, organization)
        except ValueError as exc:
            errors[name] = [str(exc)]
            continue
        if name == "from":
            start = month
            if last in (None, ""):
                end = add_months(start, default_months - 1)
        else:
            end = month
            if first in (None, ""):
                start = add_months(end, -(default_months - 1))
    if not errors and end < start:
        errors["to"] = ["The last month comes before the first."]
    if not errors and (end.year * 12 + end.month) - (start.year * 12 + start.month) >= 36:
        errors["to"] = ["Show at most 36 months at once."]
    if errors:
        raise ValidationError(errors)
    return start, end


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


# --- Reads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overallocation:
    person_id: int
    period: dt.date
    planned: Decimal
    available: Decimal


def planned_by_person(
    organization: Organization | int, first: dt.date, last: dt.date, person_ids: Any = None
) -> QuerySet[Any]:
    """One grouped query: per person and month, the planned hours across all measures and the
    hours available (0 when none are recorded)."""
    available = Availability.objects.filter(
        organization_id=OuterRef("organization_id"),
        person_id=OuterRef("person_id"),
        period=OuterRef("period"),
    ).values("hours")[:1]
    rows = Effort.objects.for_org(organization).filter(period__gte=first, period__lte=last)
    if person_ids is not None:
        rows = rows.filter(person_id__in=person_ids)
    return (
        rows.values("organization_id", "person_id", "period")
        .annotate(
            planned=Sum("planned_hours"),
            available=Coalesce(
                Subquery(available),
                Value(Decimal(0)),
                output_field=DecimalField(max_digits=6, decimal_places=2),
            ),
        )
        .order_by("person_id", "period")
    )


def overallocations(
    *,
    organization: Organization | int,
    first: dt.date,
    last: dt.date,
    person_ids: Any = None,
) -> list[Overallocation]:
    """Every person and month whose planned hours exceed the available hours (one query)."""
    rows = planned_by_person(organization, first, last, person_ids).filter(
        planned__gt=F("available")
    )
    return [
        Overallocation(row["person_id"], row["period"], row["planned"], row["available"])
        for row in rows
    ]


# --- Writes -----------------------------------------------------------------------------------


def _person_fields(organization: Organization, values: dict[str, Any]) -> tuple[dict, dict]:
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if "name" in values:
        name = str(values.get("name") or "").strip()
        if not name:
            errors["name"] = ["Give the person's name."]
        elif len(name) > 200:
            errors["name"] = ["Keep the name to 200 characters."]
        clean["name"] = name
    if "user" in values:
        user = values.get("user")
        user_id = getattr(user, "pk", user)
        if user_id in (None, ""):
            clean["user"] = None
        elif (
            type(user_id) is not int
            or not Membership.objects.for_org(organization).filter(user_id=user_id).exists()
        ):
            errors["user"] = ["Choose a member of this organization."]
        else:
            clean["user"] = get_user_model().objects.get(pk=user_id)
    if "function" in values:
        function = values.get("function")
        function_id = getattr(function, "pk", function)
        if function_id in (None, ""):
            clean["function"] = None
        else:
            found = (
                Function.objects.for_org(organization).filter(pk=function_id).first()
                if type(function_id) is int
                else None
            )
            if found is None:
                errors["function"] = ["Choose a function of this organization."]
            clean["function"] = found
    if "active" in values:
        if not isinstance(values["active"], bool):
            errors["active"] = ["Give true or false."]
        clean["active"] = values["active"]
    return clean, errors


def person_create(*, organization: Organization, by: Any, **values: Any) -> CapacityPerson:
    """A person whose hours measures may plan (``name``, ``user``, ``function``, ``active``)."""
    with transaction.atomic():
        require(by, "administer", organization)
        clean, errors = _person_fields(organization, {"name": "", **values})
        if errors:
            raise ValidationError(errors)
        person = CapacityPerson.objects.create(organization=organization, **clean)
        audit_record(
            actor=by, action="capacity.person_added", obj=person, changes={"name": person.name}
        )
    return person


def person_update(*, person: CapacityPerson, by: Any, **values: Any) -> CapacityPerson:
    """Change a person (name, user, function, active)."""
    organization = person.organization
    with transaction.atomic():
        require(by, "administer", organization)
        clean, errors = _person_fields(organization, values)
        if errors:
            raise ValidationError(errors)
        for name, value in clean.items():
            setattr(person, name, value)
        person.save()
        audit_record(
            actor=by,
            action="capacity.person_changed",
            obj=person,
            changes={name: str(value) for name, value in clean.items()},
        )
    return person


def availability_upsert(
    *, organization: Organization, period: Any, rows: Sequence[Any], by: Any
) -> int:
    """One month's available hours for many people (``{"person": id, "hours": …}``), all or
    nothing; every bad row reported as ``rows.<index>.<field>``. Returns the rows written."""
    require(by, "administer", organization)
    errors: dict[str, list[str]] = {}
    try:
        month = parse_period(period, organization)
    except ValueError as exc:
        errors["period"] = [str(exc)]
    if not isinstance(rows, list | tuple) or not rows:
        errors["rows"] = ["Give at least one row."]
        raise ValidationError(errors)
    if len(rows) > MAX_ROWS:
        raise ValidationError({"rows": [f"Send at most {MAX_ROWS:,} rows per call."]})
    wanted = {row.get("person") for row in rows if isinstance(row, dict)}
    known = set(
        CapacityPerson.objects.for_org(organization)
        .filter(pk__in=[pk for pk in wanted if type(pk) is int])
        .values_list("pk", flat=True)
    )
    hours_of: dict[int, Decimal] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors[f"rows.{index}"] = ["Each row is an object with person and hours."]
            continue
        person_id = row.get("person")
        if type(person_id) is not int or person_id not in known:
            errors[f"rows.{index}.person"] = ["No such person in this organization."]
        elif person_id in hours_of:
            errors[f"rows.{index}.person"] = ["This person is given twice."]
        try:
            hours = parse_hours(row.get("hours"))
        except ValueError as exc:
            errors[f"rows.{index}.hours"] = [str(exc)]
            continue
        if type(person_id) is int and hours is not None:
            hours_of.setdefault(person_id, hours)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Availability.objects.bulk_create(
            [
                Availability(organization=organization, person_id=pk, period=month, hours=hours)
                for pk, hours in hours_of.items()
            ],
            update_conflicts=True,
            unique_fields=["organization", "person", "period"],
            update_fields=["hours", "updated_at"],
        )
        audit_record(
            actor=by,
            action="capacity.availability_changed",
            obj=organization,
            changes={"period": f"{month:%Y-%m}", **{str(k): str(v) for k, v in hours_of.items()}},
        )
        # Whoever plans on these people in that month may now be over (or back within) capacity.
        ripple_mark(
            organization=organization,
            measure_ids=Effort.objects.for_org(organization)
            .filter(person_id__in=list(hours_of), period=month)
            .values_list("measure_id", flat=True),
        )
    return len(hours_of)


def effort_upsert(
    *, measure: Measure, rows: Sequence[Any], by: Any, expected_version: int | None = None
) -> int:
    """Planned (and actual) hours of people on a measure: ``{"person", "period",
    "planned_hours", "actual_hours"}`` per row, all or nothing. Returns the rows written.
    ``expected_version`` is the measure's (``StaleVersion`` when it moved on)."""
    organization = measure.organization
    with transaction.atomic():
        measure = Measure.objects.for_org(organization).select_for_update().get(pk=measure.pk)
        require(by, "change", measure)
        check_version(measure, expected_version)
        if not isinstance(rows, list | tuple) or not rows:
            raise ValidationError({"rows": ["Give at least one row."]})
        if len(rows) > MAX_ROWS:
            raise ValidationError({"rows": [f"Send at most {MAX_ROWS:,} rows per call."]})
        wanted = {row.get("person") for row in rows if isinstance(row, dict)}
        known = set(
            CapacityPerson.objects.for_org(organization)
            .filter(pk__in=[pk for pk in wanted if type(pk) is int])
            .values_list("pk", flat=True)
        )
        errors: dict[str, list[str]] = {}
        cells: dict[tuple[int, dt.date], tuple[Decimal, Decimal | None]] = {}
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                errors[f"rows.{index}"] = ["Each row is an object with person, period and hours."]
                continue
            parsed: dict[str, Any] = {}
            person_id = row.get("person")
            if type(person_id) is not int or person_id not in known:
                errors[f"rows.{index}.person"] = ["No such person in this organization."]
            checks: dict[str, Callable[[Any], Any]] = {
                "period": lambda value: parse_period(value, organization),
                "planned_hours": parse_hours,
                "actual_hours": lambda value: parse_hours(value, required=False),
            }
            for name, check in checks.items():
                try:
                    parsed[name] = check(row.get(name))
                except ValueError as exc:
                    errors[f"rows.{index}.{name}"] = [str(exc)]
            if len(parsed) != len(checks) or f"rows.{index}.person" in errors:
                continue
            key: tuple[int, dt.date] = (person_id, parsed["period"])  # type: ignore[assignment]
            if key in cells:
                errors[f"rows.{index}"] = ["The same person and month are given twice."]
            cells[key] = (parsed["planned_hours"], parsed["actual_hours"])
        if errors:
            raise ValidationError(errors)
        Effort.objects.bulk_create(
            [
                Effort(
                    organization=organization,
                    measure=measure,
                    person_id=person_id,
                    period=period,
                    planned_hours=planned,
                    actual_hours=actual,
                )
                for (person_id, period), (planned, actual) in cells.items()
            ],
            update_conflicts=True,
            unique_fields=["organization", "measure", "person", "period"],
            update_fields=["planned_hours", "actual_hours", "updated_at"],
        )
        # Planned effort is part of the measure's plan: its version (the API's ETag) moves.
        Measure.objects.for_org(organization).filter(pk=measure.pk).update(version=F("version") + 1)
        audit_record(
            actor=by,
            action="measure.effort_changed",
            obj=measure,
            changes={
                f"{person_id}.{period:%Y-%m}": [str(planned), str(actual)]
                for (person_id, period), (planned, actual) in cells.items()
            },
        )
        ripple_mark(organization=measure.organization_id, measure_ids=[measure.pk])
    return len(cells)


tab("capacity", "Capacity", "measure-capacity")
