"""Refused requests leave one structured warning on the throughline.security logger."""

import logging

import pytest
from django.urls import reverse

from governance.services.tokens import token_issue
from tests.factories import MeasureFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def security_log(caplog):
    """``security_log()``: the ``security`` dicts logged so far, oldest first."""
    caplog.set_level(logging.WARNING, logger="throughline.security")

    def records():
        return [
            record.security
            for record in caplog.records
            if record.name == "throughline.security"
            and record.security.get("event") == "access.denied"
        ]

    return records


def api_url(org, segment, pk=None):
    return f"/api/v1/orgs/{org.slug}/{segment}/" + (f"{pk}/" if pk else "")


def test_ui_non_member_is_logged(client, personas, security_log):
    client.force_login(personas.outsider)
    path = reverse("program-list", args=[personas.org.slug])
    assert client.get(path).status_code == 404
    assert client.get(reverse("org-home", args=["no-such-org"])).status_code == 404
    first, unknown = security_log()
    assert first == {
        "event": "access.denied",
        "reason": "not_member",
        "status": 404,
        "user_id": personas.outsider.pk,
        "username": personas.outsider.username,
        "organization": personas.org.slug,
        "method": "GET",
        "path": path,
        "object": None,
        "token": None,
    }
    assert unknown["organization"] == "no-such-org"


def test_ui_object_out_of_scope_names_the_object(client, personas, security_log):
    foreign = ProgramFactory(portfolio__organization=personas.other_org)
    client.force_login(personas.admin)
    path = reverse("program-detail", args=[personas.org.slug, foreign.pk])
    assert client.get(path).status_code == 404
    (record,) = security_log()
    assert record["reason"] == "not_found" and record["status"] == 404
    assert record["object"] == f"governance.program:{foreign.pk}"
    assert record["organization"] == personas.org.slug and record["user_id"] == personas.admin.pk


def test_ui_forbidden_action_is_logged_once(client, personas, security_log, caplog):
    program = ProgramFactory(portfolio__organization=personas.org)
    client.force_login(personas.viewer)
    path = reverse("program-edit", args=[personas.org.slug, program.pk])
    assert client.post(path, {"title": "x"}).status_code == 403
    (record,) = security_log()
    assert record["reason"] == "forbidden" and record["status"] == 403
    assert record["method"] == "POST" and record["object"] == f"governance.program:{program.pk}"
    message = next(r.getMessage() for r in caplog.records if r.name == "throughline.security")
    assert message.startswith("access denied reason=forbidden status=403")
    assert f"username={personas.viewer.username}" in message


def test_allowed_requests_log_nothing(client, api_as, personas, security_log):
    program = ProgramFactory(portfolio__organization=personas.org)
    client.force_login(personas.viewer)
    detail = client.get(reverse("program-detail", args=[personas.org.slug, program.pk]))
    assert detail.status_code == 200
    assert api_as(personas.viewer).get(api_url(personas.org, "programs")).status_code == 200
    assert security_log() == []


def test_api_non_member_and_foreign_object(api_as, personas, security_log):
    foreign = MeasureFactory(package__project__program__portfolio__organization=personas.other_org)
    client = api_as(personas.admin)
    assert client.get(api_url(personas.other_org, "measures")).status_code == 404
    assert client.get(api_url(personas.org, "measures", foreign.pk)).status_code == 404
    not_member, out_of_scope = security_log()
    assert not_member["reason"] == "not_member"
    assert not_member["organization"] == personas.other_org.slug
    assert out_of_scope["reason"] == "not_found"
    assert out_of_scope["object"] == f"measures.measure:{foreign.pk}"
    assert out_of_scope["organization"] == personas.org.slug
    assert out_of_scope["username"] == personas.admin.username


def test_api_forbidden_write_is_logged(api_as, personas, security_log):
    program = ProgramFactory(portfolio__organization=personas.org)
    client = api_as(personas.viewer)
    response = client.patch(api_url(personas.org, "programs", program.pk), {"title": "x"})
    assert response.status_code == 403
    (record,) = security_log()
    assert record["reason"] == "forbidden" and record["status"] == 403
    assert record["method"] == "PATCH" and record["object"] == f"governance.program:{program.pk}"


def test_api_read_only_token_writing_is_logged(api, personas, security_log):
    token, key = token_issue(
        user=personas.lead, organization=personas.org, name="BI", by=personas.lead
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(api_url(personas.org, "portfolios"), {"code": "P", "title": "T"})
    assert response.status_code == 403
    (record,) = security_log()
    assert record["reason"] == "read_only_token" and record["token"] == token.prefix
    assert record["user_id"] == personas.lead.pk and record["method"] == "POST"
