"""The validation queue's page and API: filters, verdicts, bulk approval, duties, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from approvals.selectors.validations import validation_queue
from governance.models import DecisionRecord, Role
from governance.services.grants import assign_role
from measures.models import FinancialEntry, Milestone, MilestoneEvidence, StatusReport
from tests.approvals.queue_helpers import THIS_MONTH, pending_ids, queue_world
from tests.approvals.test_validation_queue import snapshot

pytestmark = pytest.mark.django_db

PAGE = "/o/acme/validations/"
API = "/api/v1/orgs/acme/validations/"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(personas):
    return queue_world(
        personas.org, [personas.owner, personas.controller, personas.lead], measures=9
    )


def queue_ids(personas):
    return [row.pk for row in validation_queue(personas.controller, personas.org)]


def own_pending(personas, world, user):
    return next(e for m in world.measures if m.owner_id == user.pk for e in world.pending_of(m))


# --- The page -------------------------------------------------------------------------------


def test_controller_sees_the_queue_filtered_and_sorted(client, personas, world):
    client.force_login(personas.controller)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    ids = queue_ids(personas)
    assert f'id="item-{ids[0]}"' in html
    assert "Variance to baseline" in html and 'aria-sort="ascending"' in html
    program = world.measures[0].program
    filtered = client.get(PAGE, {"program": program.pk, "sort": "largest"}, **HMTX_TABLE)
    body = filtered.content.decode()
    assert "<html" not in body  # only the table
    expected = [
        row.pk
        for row in validation_queue(personas.controller, personas.org)
        if row.measure.program_id == program.pk
    ]
    expected_order = sorted(
        expected,
        key=lambda pk: (-FinancialEntry.objects.for_org(personas.org).get(pk=pk).amount, pk),
    )
    positions = [body.index(f'id="item-{pk}"') for pk in expected_order]
    assert positions == sorted(positions) and positions
    others = set(ids) - set(expected)
    assert not any(f'id="item-{pk}"' in body for pk in others)


HMTX_TABLE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "queue-table"}


def test_bad_filters_are_shown_and_left_out(client, personas, world):
    client.force_login(personas.controller)
    page = client.get(PAGE, {"period_from": "2024-13", "amount_min": "lots"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Give a month as YYYY-MM." in html and "Enter a number." in html
    assert f'id="item-{queue_ids(personas)[0]}"' in html


def test_the_queue_page_makes_the_same_queries_at_two_sizes(
    client, personas, django_assert_max_num_queries
):
    client.force_login(personas.controller)
    queue_world(personas.org, [personas.owner], measures=2, months=2, seed=1)
    small = len(queue_ids(personas))
    with django_assert_max_num_queries(16) as small_run:
        assert client.get(PAGE, {"q": "Measure", "sort": "largest"}).status_code == 200
    queue_world(personas.org, [personas.owner], measures=30, months=6, seed=2)
    assert len(queue_ids(personas)) > 50 > small
    with django_assert_max_num_queries(len(small_run.captured_queries)):
        page = client.get(PAGE, {"q": "Measure", "sort": "largest", "page": "2"})
        assert page.status_code == 200


def test_an_item_opens_with_its_evidence_and_commentary(
    client, personas, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    entry = FinancialEntry.objects.for_org(personas.org).get(pk=queue_ids(personas)[0])
    milestone = Milestone.objects.create(
        organization=personas.org, measure_id=entry.measure_id, title="Pilot", due_date=THIS_MONTH
    )
    files = {}
    for name, kind, content in (
        ("scrap.png", "image/png", b"\x89PNG\r\n"),
        ("report.pdf", "application/pdf", b"%PDF-1.4"),
        ("notes.txt", "text/plain", b"notes"),
    ):
        evidence = MilestoneEvidence(
            organization=personas.org,
            measure_id=entry.measure_id,
            milestone=milestone,
            original_name=name,
            content_type=kind,
            size=len(content),
        )
        evidence.file.save(name, ContentFile(content), save=True)
        files[name] = evidence
    StatusReport.objects.create(
        organization=personas.org,
        measure_id=entry.measure_id,
        period=THIS_MONTH,
        status="on_track",
        suggested_status="on_track",
        commentary="Scrap down 12 % since the new die.",
        reported_at=timezone.make_aware(dt.datetime.combine(THIS_MONTH, dt.time())),
    )
    client.force_login(personas.controller)
    detail = client.get(f"{PAGE}{entry.pk}/", **HTMX)
    html = detail.content.decode()
    assert detail.status_code == 200 and "<html" not in html
    base = f"/o/acme/measures/{entry.measure_id}/evidence/"
    assert f'<img src="{base}{files["scrap.png"].pk}/?inline=1"' in html
    assert f'<iframe src="{base}{files["report.pdf"].pk}/?inline=1"' in html
    assert f'href="{base}{files["notes.txt"].pk}/"' in html
    assert f"{base}{files['notes.txt'].pk}/?inline=1" not in html
    assert "Scrap down 12 % since the new die." in html
    image = client.get(f"{base}{files['scrap.png'].pk}/?inline=1")
    assert image["Content-Disposition"].startswith("inline")
    assert image["X-Frame-Options"] == "SAMEORIGIN"
    text = client.get(f"{base}{files['notes.txt'].pk}/?inline=1")
    assert text["Content-Disposition"].startswith("attachment")
    assert text["X-Frame-Options"] == "DENY"


def test_partial_validation_without_reason_keeps_the_input(client, personas, world):
    pk = queue_ids(personas)[0]
    client.force_login(personas.controller)
    form = {"decision": "partial", "amount": "1.50", "reason": ""}
    refused = client.post(f"{PAGE}{pk}/decide/", form)
    html = refused.content.decode()
    assert refused.status_code == 422
    assert "Give the reason." in html and 'value="1.50"' in html
    assert 'value="partial"' in html and "checked" in html
    partial = client.post(f"{PAGE}{pk}/decide/", form, **HTMX)
    assert partial.status_code == 200 and "Give the reason." in partial.content.decode()
    done = client.post(f"{PAGE}{pk}/decide/", {**form, "reason": "Half is evidenced"}, **HTMX)
    assert done.status_code == 200
    assert 'hx-swap-oob="delete"' in done.content.decode()
    entry = FinancialEntry.objects.for_org(personas.org).get(pk=pk)
    assert (entry.validation, entry.validated_amount) == ("validated", 1.5)
    again = client.post(f"{PAGE}{pk}/decide/", {"decision": "validate"})
    assert again.status_code == 409


def test_owner_cannot_validate_own_benefit_on_the_page(client, personas, world):
    assign_role(personas.owner, Role.CONTROLLER, personas.org)
    own = own_pending(personas, world, personas.owner)
    client.force_login(personas.owner)
    assert client.get(f"{PAGE}{own.pk}/").status_code == 403
    before = snapshot(personas.org)
    assert client.post(f"{PAGE}{own.pk}/decide/", {"decision": "validate"}).status_code == 403
    bulk = client.post(f"{PAGE}bulk-approve/", {"ids": [own.pk, queue_ids(personas)[0]]})
    assert bulk.status_code == 422
    assert "you own this measure" in bulk.content.decode()
    assert snapshot(personas.org) == before


def test_bulk_approval_from_the_page(client, personas, world):
    ids = queue_ids(personas)[:6]
    assert len(ids) == 6
    client.force_login(personas.controller)
    done = client.post(
        f"{PAGE}bulk-approve/",
        {"ids": ids[:4], "comment": "Q3 checked", "query": "sort=largest"},
    )
    assert done.status_code == 302 and done["Location"] == f"{PAGE}?sort=largest"
    page = client.get(done["Location"]).content.decode()
    assert "Approved 4 claimed benefit(s) as claimed." in page
    assert not set(ids[:4]) & set(pending_ids(personas.org))
    refused = client.post(f"{PAGE}bulk-approve/", {"ids": [ids[0], ids[5]], "comment": "again"})
    html = refused.content.decode()
    assert refused.status_code == 422 and "Nothing was approved" in html
    assert "already Validated" in html and 'value="again"' in html
    # The selection stays ticked.
    assert f'value="{ids[5]}" form="bulk-form" id="pick-{ids[5]}" checked' in html
    assert ids[5] in pending_ids(personas.org)
    forged = client.post(f"{PAGE}bulk-approve/", {"ids": ["x1"]})
    assert forged.status_code == 422 and "is not an item of the queue" in forged.content.decode()


def test_the_navigation_shows_the_queue_to_validators_with_its_count(client, personas, world):
    client.force_login(personas.controller)
    page = client.get("/o/acme/approvals/").content.decode()
    assert 'href="/o/acme/validations/"' in page
    badge = client.get("/o/acme/validations/count/").content.decode()
    assert f">{len(queue_ids(personas))}<" in badge
    client.force_login(personas.viewer)
    assert 'href="/o/acme/validations/"' not in client.get("/o/acme/approvals/").content.decode()


# --- The API --------------------------------------------------------------------------------


def test_api_lists_the_queue_with_baseline_and_forecast(api_as, personas, world):
    api = api_as(personas.controller)
    ids = queue_ids(personas)
    first = api.get(API, {"page_size": 5}).json()
    assert first["count"] == len(ids)
    assert [row["id"] for row in first["results"]] == ids[:5]
    row = first["results"][0]
    entry = validation_queue(personas.controller, personas.org).get(pk=row["id"])
    assert row["claimed"] == f"{entry.amount:.2f}"
    assert row["baseline"] == (None if entry.baseline is None else f"{entry.baseline:.2f}")
    assert row["forecast"] == (None if entry.forecast is None else f"{entry.forecast:.2f}")
    second = api.get(API, {"page_size": 5, "page": 2}).json()
    assert [r["id"] for r in second["results"]] == ids[5:10]
    program = world.measures[0].program_id
    largest = api.get(API, {"program": program, "sort": "largest"}).json()["results"]
    amounts = [float(r["claimed"]) for r in largest]
    assert amounts == sorted(amounts, reverse=True) and amounts
    assert api.get(API, {"sort": "sideways"}).status_code == 400
    assert api.get(API, {"period_from": "24-1"}).json()["errors"]["period_from"]


def test_api_list_makes_the_same_queries_at_two_sizes(
    api_as, personas, django_assert_max_num_queries
):
    api = api_as(personas.controller)
    queue_world(personas.org, [personas.owner], measures=2, months=2, seed=1)
    with django_assert_max_num_queries(16) as small_run:
        assert api.get(API, {"amount_min": "1"}).status_code == 200
    queue_world(personas.org, [personas.owner], measures=30, months=6, seed=2)
    with django_assert_max_num_queries(len(small_run.captured_queries)):
        assert api.get(API, {"amount_min": "1", "page": 2}).status_code == 200


def test_api_decide_and_its_refusals(api_as, personas, world):
    ids = queue_ids(personas)
    api = api_as(personas.controller)
    refused = api.post(f"{API}{ids[0]}/decide/", {"decision": "reject"}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    done = api.post(
        f"{API}{ids[0]}/decide/", {"decision": "reject", "reason": "No proof"}, format="json"
    )
    assert done.status_code == 200 and done.json()["validation"] == "rejected"
    assert DecisionRecord.objects.for_org(personas.org).filter(subject_id=ids[0]).count() == 1
    again = api.post(f"{API}{ids[0]}/decide/", {"decision": "validate"}, format="json")
    assert again.status_code == 409
    # The owner sees their measure's financials but may not validate them: 403.
    own = own_pending(personas, world, personas.owner)
    owner = api_as(personas.owner)
    assert (
        owner.post(f"{API}{own.pk}/decide/", {"decision": "validate"}, format="json").status_code
        == 403
    )
    # A viewer does not see financials at all: 404.
    viewer = api_as(personas.viewer)
    assert (
        viewer.post(f"{API}{ids[1]}/decide/", {"decision": "validate"}, format="json").status_code
        == 404
    )


def test_api_bulk_approval_is_all_or_nothing(api_as, personas, world):
    ids = queue_ids(personas)[:6]
    own = own_pending(personas, world, personas.controller)
    api = api_as(personas.controller)
    before = snapshot(personas.org)
    refused = api.post(f"{API}bulk-approve/", {"ids": [*ids, own.pk]}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == [f"ids.{own.pk}"]
    assert snapshot(personas.org) == before
    done = api.post(f"{API}bulk-approve/", {"ids": ids, "comment": "ok"}, format="json")
    assert done.status_code == 200 and done.json() == {"approved": 6}
    assert not set(ids) & set(pending_ids(personas.org))
