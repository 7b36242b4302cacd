"""Implementation Status: suggested from milestones, reported monthly by the owner."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from governance.errors import AccessDenied, ValidationError
from governance.models import AuditEvent
from measures.models import ImplementationStatus as S
from measures.models import Milestone, StatusReport
from measures.services.status import status_report_submit, suggest_status
from tests.factories import MeasureFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
MONTH = f"{dt.date.today():%Y-%m}"


def d(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def ms(due: int, done: int | None = None, baseline: int | None = None) -> Milestone:
    return Milestone(
        title="step",
        due_date=d(due),
        completed_on=None if done is None else d(done),
        baseline_due_date=None if baseline is None else d(baseline),
    )


# A rollout plan: kick-off, pilot, roll-out, hand-over (days from today).
@pytest.mark.parametrize(
    ("milestones", "start", "expected"),
    [
        # Everything handed over.
        ([ms(-90, -92), ms(-40, -38), ms(-10, -10), ms(-1, -2)], d(-120), S.DONE),
        # Starts next month, nothing done yet.
        ([ms(40), ms(80), ms(120)], d(30), S.NOT_STARTED),
        # No plan yet and no start date.
        ([], None, S.NOT_STARTED),
        # Kick-off done on time, pilot due next week.
        ([ms(-20, -21), ms(7), ms(60)], d(-30), S.ON_TRACK),
        # Pilot 5 days late.
        ([ms(-20, -21), ms(-5), ms(60)], d(-30), S.AT_RISK),
        # Roll-out rescheduled 10 days past its baseline.
        ([ms(-20, -21, -20), ms(30, None, 20)], d(-30), S.AT_RISK),
        # Pilot three weeks late.
        ([ms(-20, -21), ms(-21), ms(60)], d(-30), S.OFF_TRACK),
        # Roll-out rescheduled two months past its baseline, though not late yet.
        ([ms(-20, -21, -20), ms(90, None, 30)], d(-30), S.OFF_TRACK),
        # Started, milestones planned ahead, nothing due yet.
        ([ms(10), ms(50)], d(-5), S.ON_TRACK),
    ],
)
def test_suggested_status_from_milestones(milestones, start, expected):
    assert suggest_status(milestones, start_date=start, today=TODAY) == expected


@pytest.fixture
def measure(personas):
    return MeasureFactory(
        package__project__program__portfolio__organization=personas.org, owner=personas.owner
    )


def status_url(measure) -> str:
    return reverse("measure-status", args=[measure.organization.slug, measure.pk])


def test_owner_reports_and_the_suggestion_is_stored_alongside(personas, measure):
    report = status_report_submit(
        measure=measure, by=personas.owner, period=MONTH, status="on_track"
    )
    assert report.status == "on_track" and report.suggested_status == "not_started"
    assert report.diverges and report.reported_by == personas.owner


@pytest.mark.parametrize("status", ["at_risk", "off_track"])
def test_commentary_is_required_when_at_risk_or_off_track(personas, measure, status):
    with pytest.raises(ValidationError) as caught:
        status_report_submit(
            measure=measure, by=personas.owner, period=MONTH, status=status, commentary="  "
        )
    assert set(caught.value.message_dict) == {"commentary"}
    assert not StatusReport.objects.for_org(personas.org).exists()


@pytest.mark.parametrize(
    ("period", "status", "field"),
    [
        ("1990-01", "on_track", "period"),
        ("2026-13", "on_track", "period"),
        (MONTH, "green", "status"),
    ],
)
def test_bad_period_or_status_is_refused(personas, measure, period, status, field):
    with pytest.raises(ValidationError) as caught:
        status_report_submit(measure=measure, by=personas.owner, period=period, status=status)
    assert field in caught.value.message_dict
    assert not StatusReport.objects.for_org(personas.org).exists()


def test_reporting_the_same_month_again_updates_it_and_keeps_an_audit_event(personas, measure):
    status_report_submit(measure=measure, by=personas.owner, period=MONTH, status="on_track")
    again = status_report_submit(
        measure=measure,
        by=personas.owner,
        period=MONTH,
        status="at_risk",
        commentary="Supplier is late with the tooling.",
    )
    assert StatusReport.objects.for_org(personas.org).get().pk == again.pk
    assert again.status == "at_risk"
    events = AuditEvent.objects.for_org(personas.org).filter(object_id=measure.pk)
    update = events.get(action="measure.status_re_reported")
    assert update.changes["before"]["status"] == "on_track"
    assert update.changes["after"]["status"] == "at_risk"
    assert events.filter(action="measure.status_reported").count() == 1


@pytest.mark.parametrize("persona", ["viewer", "contributor", "controller", "executive"])
def test_only_who_changes_the_measure_reports(personas, measure, persona):
    with pytest.raises(AccessDenied):
        status_report_submit(
            measure=measure, by=getattr(personas, persona), period=MONTH, status="on_track"
        )


def test_the_form_keeps_input_on_error_and_history_shows_divergence(client, personas, measure):
    client.force_login(personas.owner)
    response = client.get(status_url(measure))
    assert response.status_code == 200 and f'value="{MONTH}"' in response.content.decode()
    response = client.post(
        status_url(measure), {"period": MONTH, "status": "off_track", "commentary": ""}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert '<option value="off_track" selected>' in html
    assert 'id="sr-commentary" name="commentary" rows="3" aria-invalid="true"' in html
    assert "is-invalid" in html and "Say what is wrong" in html
    response = client.post(
        status_url(measure),
        {"period": MONTH, "status": "off_track", "commentary": "Tooling late"},
    )
    assert response.status_code == 302
    html = client.get(status_url(measure)).content.decode()
    assert "Tooling late" in html and "differs" in html
    detail = reverse("measure-detail", args=[personas.org.slug, measure.pk])
    html = client.get(detail).content.decode()
    assert "The report differs from the milestones" in html and "Off track" in html


def test_access_outsider_404_viewer_403(client, api_as, personas, measure):
    client.force_login(personas.outsider)
    assert client.get(status_url(measure)).status_code == 404
    client.force_login(personas.viewer)
    assert client.get(status_url(measure)).status_code == 200
    response = client.post(status_url(measure), {"period": MONTH, "status": "on_track"})
    assert response.status_code == 403
    api_url = f"/api/v1/orgs/{personas.org.slug}/measures/{measure.pk}/status-reports/"
    assert api_as(personas.outsider).get(api_url).status_code == 404
    viewer = api_as(personas.viewer)
    assert viewer.post(api_url, {"period": MONTH, "status": "on_track"}).status_code == 403
    assert not StatusReport.objects.for_org(personas.org).exists()


def test_api_lists_and_creates_reports(api_as, personas, measure):
    api = api_as(personas.owner)
    url = f"/api/v1/orgs/{personas.org.slug}/measures/{measure.pk}/status-reports/"
    response = api.post(url, {"period": MONTH, "status": "at_risk"})
    assert response.status_code == 400 and "commentary" in response.json()["errors"]
    response = api.post(url, {"period": MONTH, "status": "at_risk", "commentary": "Late"})
    assert response.status_code == 201 and response.json()["diverges"] is True
    response = api.post(url, {"period": MONTH, "status": "not_started"})
    assert response.status_code == 200 and response.json()["diverges"] is False
    rows = api.get(url).json()["results"]
    assert [(row["status"], row["suggested_status"]) for row in rows] == [
        ("not_started", "not_started")
    ]


def test_the_status_page_costs_the_same_queries_for_few_or_many_reports(client, personas, measure):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    client.force_login(personas.owner)

    def queries(count: int) -> int:
        StatusReport.objects.for_org(personas.org).filter(measure=measure).delete()
        first = dt.date.today().replace(day=1)
        StatusReport.objects.bulk_create(
            [
                StatusReport(
                    organization=personas.org,
                    measure=measure,
                    period=dt.date(first.year - 1 - n // 12, 12 - n % 12, 1),
                    status="on_track",
                    suggested_status="at_risk",
                    reported_by=personas.owner,
                    reported_at=timezone.now(),
                )
                for n in range(count)
            ]
        )
        client.get(status_url(measure))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(status_url(measure)).status_code == 200
        return len(captured.captured_queries)

    assert queries(3) == queries(30)
