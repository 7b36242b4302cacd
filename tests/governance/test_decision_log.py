"""The decision log: approvals, rejections, expiries and validations each leave one record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from approvals.services.requests import (
    request_approve,
    request_reject,
    request_submit,
    request_withdraw,
    requests_expire,
)
from governance.models import DecisionKind, DecisionRecord, Venue
from measures.services.financials import actuals_validate, financials_upsert
from tests.approvals.helpers import THIS_MONTH, at_detailed, at_implemented

pytestmark = pytest.mark.django_db


def records(org):
    return list(DecisionRecord.objects.for_org(org).order_by("id"))


def test_an_approval_is_recorded_with_who_where_what_and_why(personas):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind="gate:decided", by=personas.owner)
    request_approve(request=request, by=personas.executive, comment="Solid case")
    (record,) = records(personas.org)
    assert record.kind == DecisionKind.APPROVED and record.venue == Venue.APPROVAL
    assert record.decided_by == personas.executive and record.rationale == "Solid case"
    assert record.measure_id == measure.pk and record.subject_id == request.pk
    assert measure.code in record.summary and "approved" in record.summary


def test_rejection_and_expiry_are_recorded_and_a_withdrawal_is_not(personas):
    measure = at_detailed(personas)
    first = request_submit(measure=measure, kind="gate:decided", by=personas.owner)
    request_reject(request=first, by=personas.executive, comment="Costs too vague")
    second = request_submit(measure=measure, kind="gate:decided", by=personas.owner)
    request_withdraw(request=second, by=personas.owner)
    request_submit(measure=measure, kind="gate:decided", by=personas.owner)
    requests_expire(now=timezone.now() + dt.timedelta(days=30))
    kinds = [(r.kind, r.decided_by_id, r.rationale) for r in records(personas.org)]
    assert kinds == [
        (DecisionKind.REJECTED, personas.executive.pk, "Costs too vague"),
        (DecisionKind.EXPIRED, None, "A step ran past its SLA."),
    ]


def test_a_refused_approval_records_nothing(personas):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind="gate:decided", by=personas.owner)
    with pytest.raises(Exception):  # noqa: B017 - the requester may not approve
        request_approve(request=request, by=personas.owner)
    assert records(personas.org) == []


@pytest.mark.parametrize(
    ("decision", "amount", "kind", "validated"),
    [
        ("validate", None, DecisionKind.VALIDATED, "700.00"),
        ("partial", "500", DecisionKind.PARTIALLY_VALIDATED, "500.00"),
        ("reject", None, DecisionKind.VALIDATION_REJECTED, None),
    ],
)
def test_each_validation_verdict_is_recorded_in_the_queue(
    personas, decision, amount, kind, validated
):
    measure = at_implemented(personas)
    month = f"{THIS_MONTH:%Y-%m}"
    financials_upsert(
        measure=measure,
        rows=[{"period": month, "line": "benefit", "scenario": "actual", "amount": "700"}],
        by=personas.owner,
    )
    before = len(records(personas.org))
    actuals_validate(
        measure=measure,
        period=month,
        line="benefit",
        decision=decision,
        amount=amount,
        reason="" if decision == "validate" else "Only part is evidenced",
        by=personas.controller,
    )
    record = records(personas.org)[-1]
    assert len(records(personas.org)) == before + 1
    assert record.kind == kind and record.venue == Venue.VALIDATION_QUEUE
    assert record.details["claimed"] == "700.00" and record.details["validated"] == validated
    assert record.decided_by == personas.controller and record.measure_id == measure.pk


# --- the page and the API ---------------------------------------------------------------------

PAGE = "/o/acme/decisions/"
API = "/api/v1/orgs/acme/decisions/"


def approved_and_validated(personas):
    """One approval (visible to every member) and one validation (financials only)."""
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind="gate:decided", by=personas.owner)
    request_approve(request=request, by=personas.executive, comment="Solid case")
    month = f"{THIS_MONTH:%Y-%m}"
    financials_upsert(
        measure=measure,
        rows=[{"period": month, "line": "benefit", "scenario": "actual", "amount": "700"}],
        by=personas.owner,
    )
    actuals_validate(
        measure=measure, period=month, line="benefit", decision="validate", by=personas.controller
    )
    return measure


def test_the_log_page_lists_decisions_and_filters_them(personas, client):
    approved_and_validated(personas)
    client.force_login(personas.executive)
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    validated = "<td>Benefit validated</td>"
    assert "Solid case" in text and validated in text
    only = client.get(PAGE, {"venue": "validation_queue"}).content.decode()
    assert validated in only and "Solid case" not in only
    searched = client.get(PAGE, {"q": "solid"}).content.decode()
    assert "Solid case" in searched and validated not in searched


def test_a_bad_filter_is_marked_and_kept(personas, client):
    client.force_login(personas.executive)
    page = client.get(PAGE, {"kind": "nonsense", "q": "keep me", "since": "2026-13-40"})
    assert page.status_code == 400
    text = page.content.decode()
    assert "is-invalid" in text and 'value="keep me"' in text


def test_who_may_not_see_financials_does_not_see_validations(personas, api_as):
    approved_and_validated(personas)
    seen = {row["kind"] for row in api_as(personas.viewer).get(API).json()["results"]}
    assert seen == {"approved"}
    seen = {row["kind"] for row in api_as(personas.controller).get(API).json()["results"]}
    assert seen == {"approved", "validated"}
    assert api_as(personas.outsider).get(API).status_code == 404


def test_the_api_filters_and_pages_newest_first(personas, api_as):
    measure = approved_and_validated(personas)
    client = api_as(personas.admin)
    body = client.get(API, {"page_size": 1}).json()
    assert [row["kind"] for row in body["results"]] == ["validated"]
    assert client.get(body["next"]).json()["results"][0]["kind"] == "approved"
    rows = client.get(API, {"measure": measure.pk, "kind": "approved"}).json()["results"]
    assert [row["rationale"] for row in rows] == ["Solid case"]
    assert rows[0]["decided_by_name"]
    answer = client.get(API, {"kind": "nonsense"})
    assert answer.status_code == 400 and "kind" in answer.json()["errors"]


def test_the_log_takes_the_same_queries_at_any_size(personas, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(personas.admin)
    counts = []
    for _ in range(2):
        approved_and_validated(personas)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
