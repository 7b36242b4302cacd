"""Change control: asking for a change to a baseline, approving it, history and staleness."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from approvals.changes.models import BaselineVersion, ChangeRequest
from approvals.changes.selectors import (
    baseline_compare,
    baseline_snapshot,
    baselines_original_and_current,
)
from approvals.changes.services import change_request_submit
from approvals.models import ApprovalRequest, RequestState
from approvals.services.requests import request_approve, request_reject, request_withdraw
from governance.errors import AccessDenied, Conflict, ValidationError
from governance.models import AuditEvent, DecisionRecord
from measures.models import FinancialEntry, Line, Scenario
from tests.approvals.change_helpers import END, MONTH, at_decided, kpi_of, milestone_of
from tests.approvals.helpers import THIS_MONTH, at_detailed, fresh, reload

pytestmark = pytest.mark.django_db


def baseline(measure, line=Line.BENEFIT):
    return (
        FinancialEntry.objects.for_org(measure.organization_id)
        .get(measure=measure, period=THIS_MONTH, line=line, scenario=Scenario.BASELINE)
        .amount
    )


def submit(personas, measure, by=None, **changes):
    return change_request_submit(
        measure=measure,
        by=by or personas.owner,
        changes=changes or {"financials": [{"period": MONTH, "line": "benefit", "amount": "1300"}]},
        rationale="The supplier contract moved.",
    )


def test_decided_freeze_records_the_original_as_version_one(personas):
    measure = at_decided(personas)
    versions = list(BaselineVersion.objects.for_org(personas.org).filter(measure=measure))
    assert [v.number for v in versions] == [1]
    snapshot = versions[0].snapshot
    assert snapshot["financials"]["benefit"][MONTH] == "1000.00"
    assert snapshot["measure"]["baseline_end_date"] == END.isoformat()
    assert snapshot["kpis"][str(kpi_of(measure).pk)]["target"] == "2.0000"
    assert snapshot == baseline_snapshot(measure)


def test_submission_computes_the_impact(personas):
    measure = at_decided(personas)
    milestone, kpi = milestone_of(measure), kpi_of(measure)
    due = milestone.baseline_due_date
    change = submit(
        personas,
        measure,
        financials=[
            {"period": MONTH, "line": "benefit", "amount": "1300"},  # +300
            {"period": MONTH, "line": "one_time_cost", "amount": "250"},  # +50
            {"period": MONTH, "line": "recurring_cost", "amount": "20"},  # +20 (none before)
        ],
        milestones=[{"milestone": milestone.pk, "baseline_due_date": str(due + dt.timedelta(7))}],
        dates={"baseline_end_date": "2027-01-01"},  # 2026-12-18 + 14 days
        kpis=[{"kpi": kpi.pk, "target": "1.5"}],
    )
    impact = change.impact
    assert impact["periods"] == [
        {"period": MONTH, "benefit": "300.00", "cost": "70.00", "value": "230.00"}
    ]
    assert (impact["benefit_shift"], impact["cost_shift"], impact["value_shift"]) == (
        "300.00",
        "70.00",
        "230.00",
    )
    assert {d["key"]: d["days"] for d in impact["dates"]} == {
        f"milestone.{milestone.pk}": 7,
        "measure.baseline_end_date": 14,
    }
    assert impact["kpis"] == [
        {
            "key": f"kpi.{kpi.pk}",
            "label": "KPI “Scrap rate” target",
            "from": "2.0000",
            "to": "1.5000",
        }
    ]
    request = change.request
    assert request.kind == "baseline_change" and request.state == RequestState.PENDING
    assert request.amount == Decimal("230.00")
    assert request.evidence == "The supplier contract moved."
    assert change.diff[f"financial.benefit.{MONTH}"] == {
        "label": f"Benefit {MONTH}",
        "from": "1000.00",
        "to": "1300.00",
    }
    assert change.base_version == 1
    # Nothing moved yet.
    assert baseline(measure) == Decimal("1000.00")


def test_approval_rebaselines_and_keeps_history(personas):
    measure = at_decided(personas)
    kpi = kpi_of(measure)
    change = submit(
        personas,
        measure,
        financials=[{"period": MONTH, "line": "benefit", "amount": "1300"}],
        dates={"baseline_end_date": "2027-01-01"},
        kpis=[{"kpi": kpi.pk, "target": "1.5"}],
    )
    before = fresh(measure).version
    request_approve(request=change.request, by=personas.executive, comment="Agreed.")
    assert reload(change.request).state == RequestState.APPROVED
    measure = fresh(measure)
    assert baseline(measure) == Decimal("1300.00")
    assert measure.baseline_end_date == dt.date(2027, 1, 1)
    kpi.refresh_from_db()
    assert kpi.target == kpi.target_baseline == Decimal("1.5")
    assert measure.version > before
    versions = list(
        BaselineVersion.objects.for_org(personas.org).filter(measure=measure).order_by("number")
    )
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].snapshot["financials"]["benefit"][MONTH] == "1000.00"
    assert versions[1].snapshot["financials"]["benefit"][MONTH] == "1300.00"
    assert versions[1].change_request_id == change.pk
    assert versions[1].created_by == personas.executive
    assert ChangeRequest.objects.for_org(personas.org).get(pk=change.pk).applied_version == 2
    compare = baseline_compare(measure)
    assert (compare["original_version"], compare["current_version"]) == (1, 2)
    row = next(r for r in compare["financials"] if r["period"] == MONTH and r["line"] == "benefit")
    assert (row["original"], row["current"], row["shift"]) == ("1000.00", "1300.00", "300.00")
    end = next(d for d in compare["dates"] if d["key"] == "measure.baseline_end_date")
    assert (end["original"], end["current"], end["days"]) == (END.isoformat(), "2027-01-01", 14)
    assert AuditEvent.objects.for_org(personas.org).filter(action="measure.rebaselined").exists()
    record = DecisionRecord.objects.for_org(personas.org).get(subject_id=change.request_id)
    assert (record.venue, record.kind) == ("change_control", "change_approved")


def test_original_and_current_for_many_measures_in_constant_queries(
    personas, django_assert_max_num_queries
):
    changed, untouched = at_decided(personas), at_decided(personas)
    change = submit(personas, changed)
    request_approve(request=change.request, by=personas.executive)
    with django_assert_max_num_queries(2):
        pairs = baselines_original_and_current(personas.org, [changed.pk, untouched.pk])
    assert pairs[changed.pk].original[(THIS_MONTH, "benefit")] == Decimal("1000.00")
    assert pairs[changed.pk].current[(THIS_MONTH, "benefit")] == Decimal("1300.00")
    assert pairs[changed.pk].changed and not pairs[untouched.pk].changed
    assert pairs[changed.pk].total("current") - pairs[changed.pk].total("original") == 300
    assert pairs[untouched.pk].original == pairs[untouched.pk].current


def test_rejection_changes_nothing(personas):
    measure = at_decided(personas)
    change = submit(personas, measure)
    snapshot = baseline_snapshot(measure)
    request_reject(request=change.request, by=personas.executive, comment="Not now.")
    assert reload(change.request).state == RequestState.REJECTED
    assert baseline_snapshot(measure) == snapshot
    assert BaselineVersion.objects.for_org(personas.org).filter(measure=measure).count() == 1
    record = DecisionRecord.objects.for_org(personas.org).get(subject_id=change.request_id)
    assert (record.venue, record.kind) == ("change_control", "change_rejected")


def test_stale_request_is_refused_on_approval_and_nothing_is_written(personas):
    measure = at_decided(personas)
    first = submit(personas, measure)
    second = change_request_submit(
        measure=measure,
        by=personas.owner,
        changes={"financials": [{"period": MONTH, "line": "benefit", "amount": "900"}]},
        rationale="Lower instead.",
    )
    request_approve(request=first.request, by=personas.executive)
    snapshot = baseline_snapshot(measure)
    with pytest.raises(Conflict) as refused:
        request_approve(request=second.request, by=personas.executive)
    assert "baseline changed" in refused.value.message
    assert "now version 2" in refused.value.message
    assert refused.value.problems == [f"Benefit {MONTH}: was 1000.00 when asked, now 1300.00."]
    assert reload(second.request).state == RequestState.PENDING
    assert baseline_snapshot(measure) == snapshot
    assert BaselineVersion.objects.for_org(personas.org).filter(measure=measure).count() == 2
    # The requester withdraws it and asks again against the current baseline.
    request_withdraw(request=second.request, by=personas.owner)
    again = submit(
        personas,
        measure,
        financials=[{"period": MONTH, "line": "benefit", "amount": "900"}],
    )
    assert again.diff[f"financial.benefit.{MONTH}"]["from"] == "1300.00"


def test_requests_on_other_fields_do_not_conflict(personas):
    measure = at_decided(personas)
    money = submit(personas, measure)
    dates = submit(personas, measure, dates={"baseline_end_date": "2027-02-01"})
    request_approve(request=money.request, by=personas.executive)
    request_approve(request=dates.request, by=personas.executive)
    assert fresh(measure).baseline_end_date == dt.date(2027, 2, 1)
    assert BaselineVersion.objects.for_org(personas.org).filter(measure=measure).count() == 3


def test_requests_before_decided_are_refused(personas):
    measure = at_detailed(personas)
    with pytest.raises(Conflict) as refused:
        submit(personas, measure)
    assert "before Decided" in refused.value.message
    assert not ApprovalRequest.objects.for_org(personas.org).filter(kind="baseline_change").exists()


def test_invalid_diff_reports_every_field_and_writes_nothing(personas):
    measure = at_decided(personas)
    with pytest.raises(ValidationError) as invalid:
        change_request_submit(
            measure=measure,
            by=personas.owner,
            changes={
                "financials": [{"period": "1999-01", "line": "gold", "amount": "x"}],
                "milestones": [{"milestone": 999999, "baseline_due_date": "2026-01-01"}],
                "dates": {"baseline_start_date": "soon"},
                "kpis": [{"kpi": kpi_of(measure).pk, "target": ""}],
            },
            rationale=" ",
        )
    assert set(invalid.value.message_dict) == {
        "rationale",
        "financials.0.period",
        "financials.0.line",
        "financials.0.amount",
        "milestones.0.milestone",
        "dates.baseline_start_date",
        "kpis.0.target",
    }
    with pytest.raises(ValidationError) as same:
        submit(
            personas, measure, financials=[{"period": MONTH, "line": "benefit", "amount": "1000"}]
        )
    assert "changes" in same.value.message_dict
    assert not ChangeRequest.objects.for_org(personas.org).exists()
    assert not ApprovalRequest.objects.for_org(personas.org).filter(kind="baseline_change").exists()


def test_requester_cannot_approve_their_own_change(personas):
    measure = at_decided(personas)
    # The admin may change the measure and holds the decision, but not on their own request.
    change = submit(personas, measure, by=personas.admin)
    with pytest.raises(AccessDenied):
        request_approve(request=change.request, by=personas.admin)
    assert baseline(measure) == Decimal("1000.00")


def test_who_may_not_change_the_measure_cannot_ask(personas):
    measure = at_decided(personas)
    with pytest.raises(AccessDenied):
        submit(personas, measure, by=personas.viewer)


def test_the_amount_chooses_the_policy_steps(personas):
    from tests.approvals.test_requests import policy

    policy(
        personas.org,
        "baseline_change",
        (1, "sponsor", "", None, 5, 1),
        (2, "role", "admin", Decimal("250"), 5, 1),
    )
    measure = at_decided(personas)
    small = submit(personas, measure)  # +300 → above 250: both steps
    assert small.request.steps.count() == 2
    request_withdraw(request=small.request, by=personas.owner)
    tiny = submit(
        personas, measure, financials=[{"period": MONTH, "line": "benefit", "amount": "1100"}]
    )
    assert tiny.request.steps.count() == 1
