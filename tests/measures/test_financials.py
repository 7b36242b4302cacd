"""Financial series: upserts, bulk upserts, validation, the baseline, gates, Potential Status."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from governance.errors import AccessDenied, ValidationError
from governance.models import AuditEvent
from measures import gates
from measures.fiscal import fiscal_range, fiscal_year_start
from measures.models import DoI, FinancialEntry, MeasurePotential, PotentialStatus
from measures.services.financials import (
    actuals_validate,
    financial_settings_update,
    financials_bulk_upsert,
    financials_upsert,
    parse_amount,
)
from tests.factories import MeasureFactory

pytestmark = pytest.mark.django_db

THIS_MONTH = dt.date.today().replace(day=1)


def month(offset: int = 0) -> str:
    index = THIS_MONTH.year * 12 + THIS_MONTH.month - 1 + offset
    return f"{index // 12}-{index % 12 + 1:02d}"


def cell(scenario: str = "plan", line: str = "benefit", amount: object = "1000", offset: int = 0):
    return {"period": month(offset), "line": line, "scenario": scenario, "amount": amount}


def entries(measure, **filters):
    return FinancialEntry.objects.for_org(measure.organization_id).filter(
        measure=measure, **filters
    )


@pytest.fixture
def measure(personas):
    return MeasureFactory(
        package__project__program__portfolio__organization=personas.org, owner=personas.owner
    )


def test_owner_writes_plan_forecast_and_actual_of_own_measure(personas, measure):
    changed = financials_upsert(
        measure=measure,
        rows=[cell("plan"), cell("forecast", amount=900), cell("actual", amount="850.50")],
        by=personas.owner,
    )
    assert changed == 3
    actual = entries(measure, scenario="actual").get()
    assert actual.amount == Decimal("850.50") and actual.validation == "pending"
    assert (
        AuditEvent.objects.for_org(personas.org)
        .filter(action="measure.financials_changed", object_id=measure.pk)
        .exists()
    )


def test_resending_the_same_series_changes_nothing(personas, measure):
    financials_upsert(measure=measure, rows=[cell()], by=personas.owner)
    assert financials_upsert(measure=measure, rows=[cell()], by=personas.owner) == 0


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (cell(amount="abc"), "0.amount", "not a number"),
        (cell(amount="1e13"), "0.amount", "below 1,000,000,000,000"),
        (cell(amount=-(10**12)), "0.amount", "below"),
        (cell(amount="NaN"), "0.amount", "finite"),
        (cell(amount="1.234"), "0.amount", "two decimal"),
        (cell(amount=True), "0.amount", "Give an amount"),
        (cell(offset=-12 * 7), "0.period", "outside the fiscal range"),
        (cell(offset=12 * 7), "0.period", "outside the fiscal range"),
        ({**cell(), "period": "2025-13"}, "0.period", "is not a month"),
        ({**cell(), "period": f"{month()}-15"}, "0.period", "first day"),
        (cell(scenario="baseline"), "0.scenario", "Choose the scenario"),
        (cell(line="revenue"), "0.line", "Choose the line"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_written(
    personas, measure, row, field, words
):
    good = cell(offset=1)
    with pytest.raises(ValidationError) as caught:
        financials_upsert(measure=measure, rows=[row, good], by=personas.owner)
    assert words in " ".join(caught.value.message_dict[field])
    assert not entries(measure).exists()


def test_fiscal_range_follows_the_fiscal_year_start(personas):
    first, last = fiscal_range(4, dt.date(2025, 2, 10))
    assert fiscal_year_start(dt.date(2025, 2, 10), 4) == dt.date(2024, 4, 1)
    assert first == dt.date(2019, 4, 1) and last == dt.date(2030, 3, 1)


def test_amount_parsing_accepts_thousands_separators():
    assert parse_amount("1,234,567.5") == Decimal("1234567.50")


@pytest.mark.parametrize("persona", ["viewer", "contributor", "executive", "controller"])
def test_who_may_not_change_the_measure_cannot_write_its_series(personas, measure, persona):
    with pytest.raises(AccessDenied):
        financials_upsert(measure=measure, rows=[cell()], by=getattr(personas, persona))
    assert not entries(measure).exists()


def test_lead_writes_any_measure(personas, measure):
    assert financials_upsert(measure=measure, rows=[cell()], by=personas.lead) == 1


def test_controller_validates_partly_and_rejects_but_never_own(personas, measure):
    financials_upsert(
        measure=measure,
        rows=[cell("actual", amount=1000), cell("actual", amount=500, offset=-1)],
        by=personas.owner,
    )
    entry = actuals_validate(
        measure=measure,
        period=month(),
        line="benefit",
        decision="partial",
        amount="800",
        reason="Only 800 evidenced",
        by=personas.controller,
    )
    assert entry.validation == "validated" and entry.validated_amount == Decimal("800.00")
    rejected = actuals_validate(
        measure=measure,
        period=month(-1),
        line="benefit",
        decision="reject",
        reason="No evidence",
        by=personas.controller,
    )
    assert rejected.validation == "rejected" and rejected.validated_amount is None
    with pytest.raises(AccessDenied):
        actuals_validate(
            measure=measure, period=month(), line="benefit", decision="validate", by=personas.owner
        )
    own = MeasureFactory(package=measure.package, owner=personas.controller, code="CTRL-OWN")
    financials_upsert(measure=own, rows=[cell("actual")], by=personas.lead)
    with pytest.raises(AccessDenied):
        actuals_validate(
            measure=own, period=month(), line="benefit", decision="validate", by=personas.controller
        )


def test_validation_needs_a_reason_and_a_sensible_partial_amount(personas, measure):
    financials_upsert(measure=measure, rows=[cell("actual", amount=100)], by=personas.owner)
    with pytest.raises(ValidationError) as caught:
        actuals_validate(
            measure=measure,
            period=month(),
            line="benefit",
            decision="partial",
            amount="150",
            reason="",
            by=personas.controller,
        )
    assert set(caught.value.message_dict) == {"reason"}
    with pytest.raises(ValidationError) as caught:
        actuals_validate(
            measure=measure,
            period=month(),
            line="benefit",
            decision="partial",
            amount="150",
            reason="too much",
            by=personas.controller,
        )
    assert "between 0 and" in caught.value.message_dict["amount"][0]
    assert entries(measure, scenario="actual").get().validation == "pending"


def test_changing_an_actual_resets_its_validation(personas, measure):
    financials_upsert(measure=measure, rows=[cell("actual", amount=100)], by=personas.owner)
    actuals_validate(
        measure=measure, period=month(), line="benefit", decision="validate", by=personas.controller
    )
    financials_upsert(measure=measure, rows=[cell("actual", amount=120)], by=personas.owner)
    entry = entries(measure, scenario="actual").get()
    assert entry.validation == "pending" and entry.validated_amount is None


def test_entering_decided_freezes_the_plan_into_the_baseline(personas, measure):
    financials_upsert(
        measure=measure,
        rows=[cell("plan", amount=100), cell("plan", "one_time_cost", 40, offset=1)],
        by=personas.owner,
    )
    gates.entered(measure, DoI.DECIDED, personas.lead)
    baseline = {(e.period, e.line): e.amount for e in entries(measure, scenario="baseline")}
    plan = {(e.period, e.line): e.amount for e in entries(measure, scenario="plan")}
    assert baseline == plan and len(baseline) == 2
    # Later plan changes leave the baseline as it was frozen.
    financials_upsert(measure=measure, rows=[cell("plan", amount=999)], by=personas.owner)
    assert entries(measure, scenario="baseline", line="benefit").get().amount == Decimal("100")


def test_gate_criteria_of_detailed_and_closed(personas, measure):
    assert any("benefit and the one-time cost" in m for m in gates.unmet(measure, DoI.DETAILED))
    financials_upsert(measure=measure, rows=[cell("plan")], by=personas.owner)
    assert any("one-time cost" in m for m in gates.unmet(measure, DoI.DETAILED))
    financials_upsert(measure=measure, rows=[cell("plan", "one_time_cost")], by=personas.owner)
    assert not any("financial plan" in m for m in gates.unmet(measure, DoI.DETAILED))
    assert any("validate the realised benefit" in m for m in gates.unmet(measure, DoI.CLOSED))
    financials_upsert(measure=measure, rows=[cell("actual")], by=personas.owner)
    actuals_validate(
        measure=measure, period=month(), line="benefit", decision="validate", by=personas.controller
    )
    assert not any("realised benefit" in m for m in gates.unmet(measure, DoI.CLOSED))


def test_potential_status_from_forecast_against_plan_with_history(personas, measure):
    financials_upsert(
        measure=measure,
        rows=[
            cell("plan", amount=100),
            cell("plan", amount=100, offset=1),
            cell("plan", amount=100, offset=2),
            cell("forecast", amount=100),
            cell("forecast", amount=60, offset=1),
            cell("forecast", amount=10, offset=2),
        ],
        by=personas.owner,
    )
    history = list(
        MeasurePotential.objects.for_org(personas.org)
        .filter(measure=measure)
        .values_list("status", "forecast", "reference", "reference_scenario")
    )
    assert history == [
        (PotentialStatus.ON_TRACK, Decimal(100), Decimal(100), "plan"),
        (PotentialStatus.AT_RISK, Decimal(160), Decimal(200), "plan"),
        (PotentialStatus.OFF_TRACK, Decimal(170), Decimal(300), "plan"),
    ]
    financial_settings_update(organization=personas.org, by=personas.admin, at_risk_from="50")
    financials_upsert(
        measure=measure, rows=[cell("forecast", amount=11, offset=2)], by=personas.owner
    )
    assert (
        MeasurePotential.objects.for_org(personas.org).filter(measure=measure).last().status
        == PotentialStatus.AT_RISK
    )


def test_settings_refuse_percentages_out_of_range(personas):
    with pytest.raises(ValidationError) as caught:
        financial_settings_update(organization=personas.org, by=personas.admin, weight_decided=150)
    assert "between 0 and 100" in caught.value.message_dict["weight_decided"][0]
    with pytest.raises(AccessDenied):
        financial_settings_update(organization=personas.org, by=personas.lead, weight_decided=40)


def test_bulk_upsert_is_all_or_nothing_and_reports_every_bad_row(personas, measure):
    other = MeasureFactory(package=measure.package)
    rows = [
        {"measure": measure.pk, "line": "benefit", "scenario": "actual", "amount": "10"},
        {"measure": other.pk, "line": "benefit", "scenario": "plan", "amount": "10"},
        {"measure": 999_999, "line": "benefit", "scenario": "actual", "amount": "10"},
        {"measure": other.pk, "line": "benefit", "scenario": "forecast", "amount": "x"},
        {"measure": "1", "line": "benefit", "scenario": "actual", "amount": "1"},
        "not a row",
    ]
    with pytest.raises(ValidationError) as caught:
        financials_bulk_upsert(
            organization=personas.org, period=month(), rows=rows, by=personas.lead
        )
    errors = caught.value.message_dict
    assert set(errors) == {
        "rows.1.scenario",
        "rows.2.measure",
        "rows.3.amount",
        "rows.4.measure",
        "rows.5",
        "rows.5.measure",
    }
    assert not FinancialEntry.objects.for_org(personas.org).exists()
    done = financials_bulk_upsert(
        organization=personas.org,
        period=month(),
        rows=[
            rows[0],
            {"measure": other.pk, "line": "benefit", "scenario": "forecast", "amount": 5},
        ],
        by=personas.lead,
    )
    assert done == 2


def test_bulk_upsert_refuses_a_period_outside_the_range_and_measures_out_of_reach(
    personas, measure
):
    row = {"measure": measure.pk, "line": "benefit", "scenario": "actual", "amount": "10"}
    with pytest.raises(ValidationError) as caught:
        financials_bulk_upsert(
            organization=personas.org, period="1990-01", rows=[row], by=personas.lead
        )
    assert "outside the fiscal range" in caught.value.message_dict["period"][0]
    with pytest.raises(ValidationError) as caught:
        financials_bulk_upsert(
            organization=personas.org, period=month(), rows=[row], by=personas.executive
        )
    assert "rows.0.measure" in caught.value.message_dict
    assert not FinancialEntry.objects.for_org(personas.org).exists()
