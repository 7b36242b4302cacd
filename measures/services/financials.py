"""Writes to a measure's financial series: upserts, bulk upserts, validation, the baseline.

Plan, forecast and actual are written by who may change the measure and see its financials;
the baseline only by entering Decided (the plan is frozen into it); validation of actuals only by
controllers (``validate``, never on a measure one owns). Every bad value is reported with where
it is, and nothing is written unless everything is valid.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from governance.access import can, require, restrict
from governance.audit import AuditEntry, audit_record, audit_record_many
from governance.decisions import Decided, decision_record
from governance.errors import AccessDenied, Conflict, ValidationError
from governance.models import DecisionKind, Organization, Venue
from governance.ripple.outbox import ripple_mark
from measures import gates
from measures.fiscal import fiscal_range
from measures.models import (
    DOI_ORDER,
    DoI,
    FinancialEntry,
    FinancialSettings,
    Line,
    Measure,
    MeasurePotential,
    PotentialStatus,
    Scenario,
    Validation,
)
from measures.services.figures import measure_months_refresh, measure_statuses_refresh

# Beyond this (in either direction) an amount is a typo, not a business case.
AMOUNT_LIMIT = Decimal(10) ** 12
# Scenarios people write; the baseline is written only by freezing the plan.
WRITABLE = (Scenario.PLAN, Scenario.FORECAST, Scenario.ACTUAL)
BULK_SCENARIOS = (Scenario.FORECAST, Scenario.ACTUAL)


@dataclass(frozen=True)
class Cell:
    """One validated amount of a series."""

    period: dt.date
    line: str
    scenario: str
    amount: Decimal


def parse_amount(value: Any) -> Decimal:
    """An amount from user input, or ``ValueError`` with the reason in words."""
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("Give an amount.")
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("_", ""))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{str(value)[:40]!r} is not a number.") from None
    if not amount.is_finite():
        raise ValueError("Give a finite number.")
    if abs(amount) >= AMOUNT_LIMIT:
        raise ValueError("Amounts must stay below 1,000,000,000,000 in either direction.")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("Use at most two decimal places.")
    return amount.quantize(Decimal("0.01"))


def parse_period(value: Any, organization: Organization, today: dt.date | None = None) -> dt.date:
    """A month of the organization's fiscal range, or ``ValueError``."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        text = value.strip()
        try:
            value = (
                dt.date.fromisoformat(f"{text}-01")
                if len(text) == 7
                else dt.date.fromisoformat(text)
            )
        except ValueError:
            raise ValueError(f"{text[:20]!r} is not a month (use YYYY-MM or YYYY-MM-01).") from None
    if not isinstance(value, dt.date):
        raise ValueError("Give the month as YYYY-MM.")
    if value.day != 1:
        raise ValueError("A period is a month: use its first day (YYYY-MM-01).")
    first, last = fiscal_range(organization.fiscal_year_start_month, today)
    if not first <= value <= last:
        raise ValueError(
            f"{value:%Y-%m} is outside the fiscal range {first:%Y-%m} to {last:%Y-%m}."
        )
    return value


def _choice(value: Any, choices: Iterable[str], name: str) -> str:
    allowed = [str(choice) for choice in choices]
    if value not in allowed:
        raise ValueError(f"Choose the {name} among {', '.join(allowed)}.")
    return str(value)


def _scenario(value: Any, scenarios: Sequence[str]) -> str:
    if value == Scenario.BASELINE:
        raise ValueError(
            f"Choose the scenario among {', '.join(scenarios)}: the baseline is not written "
            "directly. Entering Decided freezes the plan into it; after that it changes only "
            "through a change request (the measure's Baseline tab)."
        )
    return _choice(value, scenarios, "scenario")


def parse_rows(
    rows: Sequence[Any],
    organization: Organization,
    *,
    scenarios: Sequence[str] = WRITABLE,
    dedupe: bool = True,
) -> tuple[list[Cell | None], dict[str, list[str]]]:
    """Validate raw rows (``period``, ``line``, ``scenario``, ``amount``): one cell per row
    (``None`` where the row is bad) and ``{"<index>.<field>": [reason]}`` for every bad value."""
    cells: list[Cell | None] = []
    errors: dict[str, list[str]] = {}
    seen: set[tuple[dt.date, str, str]] = set()
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors[str(index)] = ["Each row is an object with period, line, scenario and amount."]
            cells.append(None)
            continue
        parsed: dict[str, Any] = {}
        checks = {
            "period": lambda v: parse_period(v, organization),
            "line": lambda v: _choice(v, Line.values, "line"),
            "scenario": lambda v: _scenario(v, scenarios),
            "amount": parse_amount,
        }
        for name, check in checks.items():
            try:
                parsed[name] = check(row.get(name))
            except ValueError as exc:
                errors.setdefault(f"{index}.{name}", []).append(str(exc))
        if len(parsed) != len(checks):
            cells.append(None)
            continue
        key = (parsed["period"], parsed["line"], parsed["scenario"])
        if dedupe and key in seen:
            errors.setdefault(str(index), []).append("The same cell is given twice.")
        seen.add(key)
        cells.append(Cell(**parsed))
    return cells, errors


def parse_cells(
    rows: Sequence[Any], organization: Organization
) -> tuple[list[Cell], dict[str, list[str]]]:
    """``parse_rows`` for one measure's series: the valid cells and every error."""
    cells, errors = parse_rows(rows, organization)
    return [cell for cell in cells if cell is not None], errors


def _require_editor(by: Any, measure: Measure) -> None:
    if not can(by, "view_financials", measure):
        raise AccessDenied("Your role may not see the financials of this measure.")
    require(by, "change", measure)


def _upsert(organization_id: int, rows: list[FinancialEntry]) -> None:
    FinancialEntry.objects.bulk_create(
        rows,
        batch_size=2_000,
        update_conflicts=True,
        unique_fields=["organization", "measure", "period", "line", "scenario"],
        update_fields=[
            "amount",
            "validation",
            "validated_amount",
            "validated_by",
            "validated_at",
            "validation_note",
            "updated_at",
        ],
    )


def _entry(organization_id: int, measure_id: int, cell: Cell) -> FinancialEntry:
    # A new or changed actual awaits validation again.
    pending = cell.scenario == Scenario.ACTUAL
    return FinancialEntry(
        organization_id=organization_id,
        measure_id=measure_id,
        period=cell.period,
        line=cell.line,
        scenario=cell.scenario,
        amount=cell.amount,
        validation=Validation.PENDING if pending else "",
        updated_at=timezone.now(),
    )


def _changed(
    organization_id: int, measure_ids: Iterable[int], cells_of: dict[int, list[Cell]]
) -> dict[int, list[Cell]]:
    """Only cells whose amount differs from what is stored: re-sending a series is a no-op
    (and does not reset an actual's validation)."""
    periods = {cell.period for cells in cells_of.values() for cell in cells}
    stored = {
        (row[0], row[1], row[2], row[3]): row[4]
        for row in FinancialEntry.objects.for_org(organization_id)
        .filter(measure_id__in=list(measure_ids), period__in=periods)
        .values_list("measure_id", "period", "line", "scenario", "amount")
    }
    return {
        measure_id: changed
        for measure_id, cells in cells_of.items()
        if (
            changed := [
                cell
                for cell in cells
                if stored.get((measure_id, cell.period, cell.line, cell.scenario)) != cell.amount
            ]
        )
    }


def financials_upsert(*, measure: Measure, rows: Sequence[dict[str, Any]], by: Any) -> int:
    """Write one or many cells of a measure's series; returns how many changed."""
    organization = measure.organization
    with transaction.atomic():
        measure = Measure.objects.for_org(organization).select_for_update().get(pk=measure.pk)
        _require_editor(by, measure)
        cells, errors = parse_cells(rows, organization)
        if errors:
            raise ValidationError(errors)
        changed = _changed(organization.pk, [measure.pk], {measure.pk: cells}).get(measure.pk, [])
        if not changed:
            return 0
        _upsert(organization.pk, [_entry(organization.pk, measure.pk, cell) for cell in changed])
        measure_months_refresh(
            organization_id=organization.pk,
            measure_ids=[measure.pk],
            periods={cell.period for cell in changed},
        )
        # The series is part of the measure: its version (the API's ETag) moves with it.
        Measure.objects.for_org(organization).filter(pk=measure.pk).update(version=F("version") + 1)
        audit_record(
            actor=by,
            action="measure.financials_changed",
            obj=measure,
            changes={
                f"{cell.scenario}.{cell.line}.{cell.period:%Y-%m}": str(cell.amount)
                for cell in changed
            },
        )
        ripple_mark(organization=measure.organization_id, measure_ids=[measure.pk])
        potential_recompute(organization=organization, measure_ids=[measure.pk])
    return len(changed)


def financials_bulk_upsert(
    *,
    organization: Organization,
    rows: Sequence[dict[str, Any]],
    by: Any,
    period: Any = None,
    scenarios: Sequence[str] = BULK_SCENARIOS,
) -> int:
    """Forecasts and actuals (``scenarios``: plan too, for imports) of many measures, all or
    nothing.

    ``rows``: ``{"measure": id, "line": …, "scenario": …, "amount": …}``, each with its own
    ``"period"`` unless ``period`` gives the month of every row. Every bad row is reported as
    ``{"rows.<index>.<field>": [reason]}``; returns the number of cells that changed."""
    if not set(scenarios) <= set(WRITABLE):
        raise TypeError("Only the plan, forecast and actual are written.")
    errors: dict[str, list[str]] = {}
    month: dt.date | None = None
    if period is not None:
        try:
            month = parse_period(period, organization)
        except ValueError as exc:
            raise ValidationError({"period": [str(exc)]}) from None
    if not isinstance(rows, list | tuple) or not rows:
        raise ValidationError({"rows": ["Give at least one row."]})
    if len(rows) > 20_000:
        raise ValidationError({"rows": ["Send at most 20,000 rows per call."]})
    wanted: set[int] = set()
    for row in rows:
        if isinstance(row, dict) and type(row.get("measure")) is int:
            wanted.add(row["measure"])
    # One query: the measures of the rows that this user may change and see financials of.
    editable = restrict(
        restrict(Measure.objects.all(), by, "change", organization=organization),
        by,
        "view_financials",
        organization=organization,
    )
    with transaction.atomic():
        found = set(editable.filter(pk__in=wanted).select_for_update().values_list("pk", flat=True))
        cells_of: dict[int, list[Cell]] = defaultdict(list)
        cell_rows = [
            {**row, "period": month} if month is not None and isinstance(row, dict) else row
            for row in rows
        ]
        cells, cell_errors = parse_rows(cell_rows, organization, scenarios=scenarios, dedupe=False)
        errors.update({f"rows.{key}": messages for key, messages in cell_errors.items()})
        seen: set[tuple[int, dt.date, str, str]] = set()
        for index, (row, cell) in enumerate(zip(rows, cells, strict=True)):
            measure_id = row.get("measure") if isinstance(row, dict) else None
            if type(measure_id) is not int:
                errors.setdefault(f"rows.{index}.measure", []).append("Give the measure's id.")
                continue
            if measure_id not in found:
                errors.setdefault(f"rows.{index}.measure", []).append(
                    f"Measure {measure_id} does not exist or you may not edit its financials."
                )
                continue
            if cell is None:
                continue
            key = (measure_id, cell.period, cell.line, cell.scenario)
            if key in seen:
                errors.setdefault(f"rows.{index}", []).append("This measure's cell is given twice.")
            seen.add(key)
            cells_of[measure_id].append(cell)
        if errors:
            raise ValidationError(errors)
        changed = _changed(organization.pk, cells_of, cells_of)
        entries = [
            _entry(organization.pk, measure_id, cell)
            for measure_id, measure_cells in changed.items()
            for cell in measure_cells
        ]
        _upsert(organization.pk, entries)
        measure_months_refresh(
            organization_id=organization.pk,
            measure_ids=list(changed),
            periods={entry.period for entry in entries},
        )
        Measure.objects.for_org(organization).filter(pk__in=list(changed)).update(
            version=F("version") + 1
        )
        # One audit event per changed measure, appended in one insert.
        audit_record_many(
            actor=by,
            organization_id=organization.pk,
            entries=[
                AuditEntry(
                    action="measure.financials_changed",
                    object_type=Measure._meta.label_lower,
                    object_id=measure_id,
                    object_repr=f"measure {measure_id}",
                    changes={
                        f"{cell.scenario}.{cell.line}.{cell.period:%Y-%m}": str(cell.amount)
                        for cell in measure_cells
                    },
                )
                for measure_id, measure_cells in changed.items()
            ],
        )
        ripple_mark(organization=organization, measure_ids=changed)
        # The Potential Status compares the forecast with the plan (or its baseline).
        reference = (Scenario.FORECAST, Scenario.PLAN)
        if any(cell.scenario in reference for cells in changed.values() for cell in cells):
            potential_recompute(organization=organization, measure_ids=list(changed))
    return len(entries)


DECISIONS = ("validate", "partial", "reject")


@dataclass(frozen=True)
class Verdict:
    """A controller's checked verdict: ``validated`` is the amount given for a partial one."""

    decision: str
    reason: str
    validated: Decimal | None = None


def verdict_parse(*, decision: Any, amount: Any = None, reason: Any = "") -> Verdict:
    """Check a verdict as given (``validate``, ``partial`` with an amount and a reason, or
    ``reject`` with a reason); ``ValidationError`` lists every problem."""
    errors: dict[str, list[str]] = {}
    if decision not in DECISIONS:
        errors["decision"] = ["Choose validate, partial or reject."]
    reason = str(reason or "").strip()
    if decision in ("partial", "reject") and not reason:
        errors["reason"] = ["Give the reason."]
    validated: Decimal | None = None
    if decision == "partial":
        try:
            validated = parse_amount(amount)
        except ValueError as exc:
            errors["amount"] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    return Verdict(decision=str(decision), reason=reason, validated=validated)


def verdict_problem(entry: FinancialEntry, verdict: Verdict) -> str | None:
    """Why ``verdict`` cannot apply to ``entry`` (a partial amount out of bounds), or ``None``."""
    validated = verdict.validated
    if validated is not None and (
        (entry.amount >= 0 and not 0 <= validated <= entry.amount)
        or (entry.amount < 0 and not entry.amount <= validated <= 0)
    ):
        return f"A partial validation lies between 0 and {entry.amount}."
    return None


def verdict_apply(
    entry: FinancialEntry, verdict: Verdict, *, by: Any, at: dt.datetime
) -> dict[str, Any]:
    """Set the verdict on the loaded, locked ``entry`` (the caller saves it, one by one or in
    bulk); returns the audit changes. The one place a verdict changes an actual."""
    before = [entry.validation, str(entry.validated_amount)]
    decision = verdict.decision
    entry.validation = Validation.REJECTED if decision == "reject" else Validation.VALIDATED
    entry.validated_amount = (
        None
        if decision == "reject"
        else verdict.validated
        if decision == "partial"
        else entry.amount
    )
    entry.validated_by = by
    entry.validated_at = at
    entry.validation_note = verdict.reason
    return {
        "period": f"{entry.period:%Y-%m}",
        "line": entry.line,
        "validation": [before[0], entry.validation],
        "validated_amount": [before[1], str(entry.validated_amount)],
        "reason": verdict.reason,
    }


def actuals_validate(
    *,
    measure: Measure,
    period: Any,
    line: Any,
    decision: str,
    by: Any,
    amount: Any = None,
    reason: str = "",
    pending_only: bool = False,
) -> FinancialEntry:
    """A controller's verdict on one actual: ``validate`` (as claimed), ``partial`` (a lower
    validated amount, with a reason) or ``reject`` (with a reason). ``pending_only``: refuse
    (``Conflict``) an actual already decided, as the validation queue does."""
    organization = measure.organization
    with transaction.atomic():
        measure = Measure.objects.for_org(organization).select_for_update().get(pk=measure.pk)
        require(by, "validate", measure)
        errors: dict[str, list[str]] = {}
        try:
            month = parse_period(period, organization)
        except ValueError as exc:
            errors["period"] = [str(exc)]
        try:
            line = _choice(line, Line.values, "line")
        except ValueError as exc:
            errors["line"] = [str(exc)]
        try:
            verdict = verdict_parse(decision=decision, amount=amount, reason=reason)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if errors:
            raise ValidationError(errors)
        entry = (
            FinancialEntry.objects.for_org(organization)
            .select_for_update()
            .filter(measure=measure, period=month, line=line, scenario=Scenario.ACTUAL)
            .first()
        )
        if entry is None:
            raise ValidationError({"period": [f"No actual {line} for {month:%Y-%m} to validate."]})
        if pending_only and entry.validation != Validation.PENDING:
            raise Conflict(
                f"This actual was already {entry.get_validation_display().lower()}: "
                "it no longer awaits validation."
            )
        problem = verdict_problem(entry, verdict)
        if problem:
            raise ValidationError({"amount": [problem]})
        changes = verdict_apply(entry, verdict, by=by, at=timezone.now())
        entry.save()
        measure_months_refresh(
            organization_id=organization.pk, measure_ids=[measure.pk], periods=[entry.period]
        )
        decision_record(validation_decided(measure, entry, verdict.decision, by, verdict.reason))
        audit_record(
            actor=by, action=f"measure.actual_{verdict.decision}", obj=measure, changes=changes
        )
    return entry


VALIDATION_DECISIONS: dict[str, str] = {
    "validate": DecisionKind.VALIDATED,
    "partial": DecisionKind.PARTIALLY_VALIDATED,
    "reject": DecisionKind.VALIDATION_REJECTED,
}


def validation_decided(
    measure: Measure, entry: FinancialEntry, decision: str, by: Any, reason: str
) -> Decided:
    """The decision-log record of a controller's verdict on one actual."""
    kind = VALIDATION_DECISIONS[decision]
    validated = "" if entry.validated_amount is None else f", {entry.validated_amount} counted"
    return Decided(
        kind=kind,
        venue=Venue.VALIDATION_QUEUE,
        subject=entry,
        summary=(
            f"{measure.code} {entry.get_line_display().lower()} {entry.period:%Y-%m}: "
            f"{DecisionKind(kind).label.lower()} (claimed {entry.amount}{validated})."
        ),
        by=by,
        rationale=reason,
        measure_id=measure.pk,
        details={
            "period": f"{entry.period:%Y-%m}",
            "line": entry.line,
            "claimed": str(entry.amount),
            "validated": None if entry.validated_amount is None else str(entry.validated_amount),
        },
    )


# --- Entering stages ---------------------------------------------------------------------------


@gates.on_enter(DoI.DECIDED)
def baseline_freeze(measure: Measure, by: Any) -> None:
    """Entering Decided copies the plan into the baseline (replacing any earlier baseline)."""
    organization_id = measure.organization_id
    rows = FinancialEntry.objects.for_org(organization_id).filter(measure_id=measure.pk)
    rows.filter(scenario=Scenario.BASELINE).delete()
    plan = list(rows.filter(scenario=Scenario.PLAN))
    FinancialEntry.objects.bulk_create(
        [
            FinancialEntry(
                organization_id=organization_id,
                measure_id=measure.pk,
                period=entry.period,
                line=entry.line,
                scenario=Scenario.BASELINE,
                amount=entry.amount,
            )
            for entry in plan
        ]
    )
    measure_months_refresh(organization_id=organization_id, measure_ids=[measure.pk])
    audit_record(
        actor=by,
        action="measure.baseline_frozen",
        obj=measure,
        changes={"rows": len(plan), "total": str(sum((e.amount for e in plan), Decimal(0)))},
    )
    potential_recompute(
        organization=measure.organization_id, measure_ids=[measure.pk], decided={measure.pk}
    )


@gates.criterion(DoI.DETAILED, key="financial_plan")
def financial_plan_complete(measure: Measure) -> str | None:
    lines = set(
        FinancialEntry.objects.for_org(measure.organization_id)
        .filter(
            measure_id=measure.pk,
            scenario=Scenario.PLAN,
            line__in=[Line.BENEFIT, Line.ONE_TIME_COST],
        )
        .values_list("line", flat=True)
        .distinct()
    )
    needed = ((Line.BENEFIT, "benefit"), (Line.ONE_TIME_COST, "one-time cost"))
    missing = [label for line, label in needed if line not in lines]
    if missing:
        return f"Plan the {' and the '.join(missing)} per month (a financial plan is needed)."
    return None


@gates.criterion(DoI.CLOSED, key="benefit_validated")
def realised_benefit_validated(measure: Measure) -> str | None:
    if (
        FinancialEntry.objects.for_org(measure.organization_id)
        .filter(
            measure_id=measure.pk,
            scenario=Scenario.ACTUAL,
            line=Line.BENEFIT,
            validation=Validation.VALIDATED,
        )
        .exists()
    ):
        return None
    return "A controller must validate the realised benefit (at least one actual benefit)."


# --- Settings and Potential Status ------------------------------------------------------------


def financial_settings(organization: Organization | int) -> FinancialSettings:
    """The organization's settings, or the defaults (unsaved) when it has none."""
    org_id = organization if isinstance(organization, int) else organization.pk
    found = FinancialSettings.objects.for_org(org_id).first()
    return found or FinancialSettings(organization_id=org_id)


def financial_settings_update(
    *, organization: Organization, by: Any, **values: Any
) -> FinancialSettings:
    """Change stage weights (``weight_<stage>``) or thresholds (``on_track_from``,
    ``at_risk_from``), all percentages between 0 and 100."""
    fields = {f.name for f in FinancialSettings._meta.fields} - {"id", "organization"}
    unknown = set(values) - fields
    if unknown:
        raise TypeError(f"No such setting(s): {', '.join(sorted(unknown))}")
    with transaction.atomic():
        require(by, "administer", organization)
        current = financial_settings(organization)
        errors: dict[str, list[str]] = {}
        for name, value in values.items():
            try:
                percent = parse_amount(value)
            except ValueError as exc:
                errors[name] = [str(exc)]
                continue
            if not 0 <= percent <= 100:
                errors[name] = ["Give a percentage between 0 and 100."]
            setattr(current, name, percent)
        if not errors and current.at_risk_from > current.on_track_from:
            errors["at_risk_from"] = ["The at-risk threshold cannot exceed the on-track one."]
        if errors:
            raise ValidationError(errors)
        current.save()
        audit_record(
            actor=by,
            action="organization.financial_settings_changed",
            obj=current,
            changes={name: str(value) for name, value in values.items()},
        )
    return current


def potential_status_of(forecast: Decimal, reference: Decimal, settings: FinancialSettings) -> str:
    """On track, at risk or off track: forecast as a share of the reference."""
    if reference <= 0:
        return PotentialStatus.ON_TRACK if forecast >= reference else PotentialStatus.AT_RISK
    share = forecast * 100 / reference
    if share >= settings.on_track_from:
        return PotentialStatus.ON_TRACK
    if share >= settings.at_risk_from:
        return PotentialStatus.AT_RISK
    return PotentialStatus.OFF_TRACK


def potential_recompute(
    *,
    organization: Organization | int,
    measure_ids: Sequence[int],
    decided: set[int] | None = None,
) -> int:
    """Rewrite the Potential Status history of the measures: per period, the cumulative
    forecast benefit against the cumulative baseline (once Decided) or plan. Set-based: one
    grouped read, one delete, one insert, whatever the number of measures."""
    org_id = organization if isinstance(organization, int) else organization.pk
    settings = financial_settings(org_id)
    decided_from = DOI_ORDER.index(DoI.DECIDED)
    stages = dict(
        Measure.objects.for_org(org_id).filter(pk__in=measure_ids).values_list("pk", "doi")
    )
    baselined = {
        pk
        for pk, stage in stages.items()
        if stage in DOI_ORDER and DOI_ORDER.index(stage) >= decided_from
    } | (decided or set())
    sums: dict[int, dict[str, dict[dt.date, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for measure_id, scenario, period, total in (
        FinancialEntry.objects.for_org(org_id)
        .filter(
            measure_id__in=measure_ids,
            line=Line.BENEFIT,
            scenario__in=[Scenario.PLAN, Scenario.BASELINE, Scenario.FORECAST],
        )
        .values_list("measure_id", "scenario", "period")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        sums[measure_id][scenario][period] = total
    rows = []
    for measure_id in measure_ids:
        series = sums.get(measure_id, {})
        reference_scenario = (
            Scenario.BASELINE
            if measure_id in baselined and series.get(Scenario.BASELINE)
            else Scenario.PLAN
        )
        reference, forecast = series.get(reference_scenario, {}), series.get(Scenario.FORECAST, {})
        if not reference or not forecast:
            continue
        cumulative_reference = cumulative_forecast = Decimal(0)
        for period in sorted(set(reference) | set(forecast)):
            cumulative_reference += reference.get(period, Decimal(0))
            # A month without a forecast keeps to the reference.
            cumulative_forecast += forecast.get(period, reference.get(period, Decimal(0)))
            rows.append(
                MeasurePotential(
                    organization_id=org_id,
                    measure_id=measure_id,
                    period=period,
                    status=potential_status_of(cumulative_forecast, cumulative_reference, settings),
                    forecast=cumulative_forecast,
                    reference=cumulative_reference,
                    reference_scenario=reference_scenario,
                )
            )
    MeasurePotential.objects.for_org(org_id).filter(measure_id__in=measure_ids).delete()
    MeasurePotential.objects.bulk_create(rows, batch_size=5_000)
    measure_statuses_refresh(organization_id=org_id, measure_ids=measure_ids, implementation=False)
    return len(rows)
