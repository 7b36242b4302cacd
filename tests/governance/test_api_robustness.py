"""What the API answers to malformed input: documented errors in one shape, never a 500."""

import base64
from urllib.parse import urlencode

import pytest
from django.test import RequestFactory

from governance.services.tokens import token_issue
from tests.factories import MeasureFactory, ProgramFactory

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found.", "errors": {}}


@pytest.fixture
def lead_api(api, personas):
    _, key = token_issue(
        user=personas.lead, organization=personas.org, name="ERP", scope="write", by=personas.admin
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def cursor(**tokens: str) -> str:
    return base64.b64encode(urlencode(tokens).encode()).decode()


def test_schema_documents_the_error_answers_of_every_operation(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    error = {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "errors"]
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    # 40 hierarchy operations, and a measure's transition and gate checklist.
    assert len(operations) == 42
    for path, method, operation in operations:
        responses = operation["responses"]
        for status in ("401", "403", "404"):
            assert responses[status]["content"]["application/json"]["schema"] == error, (
                method,
                path,
                status,
            )
        parameters = operation.get("parameters", [])
        headers = {p["name"] for p in parameters if p["in"] == "header"}
        writes = method in ("post", "put", "patch", "delete")
        assert ("400" in responses) == (writes or any(p["in"] == "query" for p in parameters))
        assert ("409" in responses) == writes, (method, path)
        assert ("412" in responses) == ("If-Match" in headers), (method, path)
        if method in ("put", "patch", "delete") or path.endswith("/move/"):
            assert "If-Match" in headers, (method, path)
        if path.endswith("/restore/"):
            assert "requestBody" not in operation, path


def test_schema_leaves_out_moving_a_portfolio(client, lead_api, personas):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert "/api/v1/orgs/{org_slug}/portfolios/{id}/move/" not in paths
    assert "/api/v1/orgs/{org_slug}/programs/{id}/move/" in paths
    portfolio = ProgramFactory(portfolio__organization=personas.org).portfolio
    response = lead_api.post(f"/api/v1/orgs/{personas.org.slug}/portfolios/{portfolio.pk}/move/")
    assert response.status_code == 400
    assert "directly under the organization" in response.json()["errors"]["parent"][0]


def test_unrouted_api_url_answers_the_json_error_shape(lead_api, personas, client):
    response = lead_api.get(f"/api/v1/orgs/{personas.org.slug}/measures/1.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == NOT_FOUND
    # Pages outside the API keep their HTML.
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_api_server_error_answers_the_json_error_shape():
    from governance.api.errors import server_error

    response = server_error(RequestFactory().get("/api/v1/orgs/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    page = server_error(RequestFactory().get("/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "header",
    ["Token tl_\x00\x00_secret", "Token tl_NOT-HEX-PREFIX_secret", "Token tl__", "Bearer tl_x"],
)
def test_malformed_token_key_is_refused_with_401(api, personas, header):
    response = api.get(f"/api/v1/orgs/{personas.org.slug}/portfolios/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["errors"] == {}


def test_forged_session_cookie_is_no_session(api, client, personas):
    cookie = "sessionid=forged\x00session\x00key"
    response = api.get(f"/api/v1/orgs/{personas.org.slug}/portfolios/", HTTP_COOKIE=cookie)
    assert response.status_code == 401
    # The web pages read the same session.
    assert client.get("/", HTTP_COOKIE=cookie).status_code in (200, 302)


def test_forged_session_cookie_does_not_end_a_real_session(client, personas):
    client.force_login(personas.viewer)
    key = client.cookies["sessionid"].value
    assert client.get(f"/api/v1/orgs/{personas.org.slug}/portfolios/").status_code == 200
    response = client.get(
        f"/api/v1/orgs/{personas.org.slug}/portfolios/", HTTP_COOKIE=f"sessionid={key}"
    )
    assert response.status_code == 200


def test_json_nested_too_deeply_is_a_400(lead_api, personas):
    response = lead_api.generic(
        "POST",
        f"/api/v1/orgs/{personas.org.slug}/portfolios/",
        "[" * 50_000,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize(
    ("ordering", "position"),
    [("", "abc"), ("", "\x00"), ("code", "\x00"), ("end_date", "not-a-date"), ("", "1.5")],
)
def test_cursor_position_that_is_no_value_of_the_ordering_answers_404(
    lead_api, personas, ordering, position
):
    ProgramFactory(portfolio__organization=personas.org)
    params = {"cursor": cursor(p=position)}
    if ordering:
        params["ordering"] = ordering
    response = lead_api.get(f"/api/v1/orgs/{personas.org.slug}/programs/", params)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_cursor_links_still_page_through_everything(lead_api, personas):
    MeasureFactory.create_batch(5, package__project__program__portfolio__organization=personas.org)
    url = f"/api/v1/orgs/{personas.org.slug}/measures/?ordering=-code&page_size=2"
    seen = []
    while url:
        body = lead_api.get(url).json()
        seen += [row["code"] for row in body["results"]]
        url = body["next"]
    assert seen == sorted(seen, reverse=True) and len(seen) == 5


def test_id_filters_take_whole_numbers_only(api_as, personas):
    client = api_as(personas.lead)
    for value in ("1.5", "1e5", "abc"):
        response = client.get(f"/api/v1/orgs/{personas.org.slug}/measures/?program={value}")
        assert response.status_code == 400, value
        assert "program" in response.json()["errors"]
    assert client.get(f"/api/v1/orgs/{personas.org.slug}/measures/?owner=7").status_code == 200
