"""The measure settings page: categories, gate requirements, weights and thresholds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.errors import AccessDenied, ValidationError
from governance.models import AuditEvent
from measures.models import FinancialSettings, GateSettings, MeasureCategory
from measures.services.categories import category_create, category_set_archived

pytestmark = pytest.mark.django_db
URL = "/o/acme/settings/measures/"


def categories(personas) -> dict[str, bool]:
    return dict(MeasureCategory.objects.for_org(personas.org).values_list("name", "archived"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("lead", 403), ("owner", 403), ("viewer", 403), ("outsider", 404)],
)
def test_only_org_admins_open_the_page(client, personas, persona, status):
    client.force_login(getattr(personas, persona))
    assert client.get(URL).status_code == status
    response = client.post(URL, {"section": "category-add", "new-name": "Sneaky"})
    assert response.status_code == status if status != 200 else 302
    if status != 200:
        assert "Sneaky" not in categories(personas)


def test_the_admin_finds_the_page_in_the_navigation(client, personas):
    client.force_login(personas.admin)
    assert URL.encode() in client.get("/o/acme/").content
    client.force_login(personas.lead)
    assert URL.encode() not in client.get("/o/acme/").content


def test_categories_are_added_renamed_archived_and_restored(client, personas):
    client.force_login(personas.admin)
    page = client.get(URL)
    assert b"Cost reduction" in page.content  # the defaults appear on first use
    assert client.post(URL, {"section": "category-add", "new-name": "Quality"}).status_code == 302
    quality = MeasureCategory.objects.for_org(personas.org).get(name="Quality")
    assert quality.code == "quality"
    renamed = client.post(
        URL,
        {"section": "category-rename", "category": quality.pk, f"category-{quality.pk}-name": "QA"},
    )
    assert renamed.status_code == 302
    archive = {"section": "category-archive", "category": quality.pk}
    assert client.post(URL, archive).status_code == 302
    assert categories(personas)["QA"] is True
    assert quality not in MeasureCategory.choices_for(personas.org)
    restore = {"section": "category-restore", "category": quality.pk}
    assert client.post(URL, restore).status_code == 302
    assert categories(personas)["QA"] is False
    actions = set(
        AuditEvent.objects.for_org(personas.org)
        .filter(action__startswith="category.")
        .values_list("action", flat=True)
    )
    assert actions == {
        "category.created",
        "category.renamed",
        "category.archived",
        "category.restored",
    }


def test_a_bad_category_keeps_the_input_and_marks_the_error(client, personas):
    client.force_login(personas.admin)
    client.get(URL)
    response = client.post(URL, {"section": "category-add", "new-name": "cost REDUCTION"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'value="cost REDUCTION"' in page and "already a category" in page
    assert 'class="form-control is-invalid"' in page and 'aria-invalid="true"' in page
    blank = client.post(URL, {"section": "category-add", "new-name": "   "})
    assert blank.status_code == 422
    other = MeasureCategory.objects.for_org(personas.org).get(code="revenue_growth")
    rename = client.post(
        URL,
        {
            "section": "category-rename",
            "category": other.pk,
            f"category-{other.pk}-name": "Cost reduction",
        },
    )
    assert rename.status_code == 422
    assert 'value="Cost reduction"' in rename.content.decode()
    other.refresh_from_db()
    assert other.name == "Revenue growth"


def test_a_category_of_another_organization_is_not_found(client, personas):
    foreign = category_create(organization=personas.other_org, by=personas.outsider, name="X")
    client.force_login(personas.admin)
    archive = {"section": "category-archive", "category": foreign.pk}
    assert client.post(URL, archive).status_code == 404
    assert client.post(URL, {"section": "category-archive", "category": "x"}).status_code == 404
    assert client.post(URL, {"section": "nonsense"}).status_code == 400


def test_category_services_check_access_and_keep_one_offered(personas):
    with pytest.raises(AccessDenied):
        category_create(organization=personas.org, by=personas.lead, name="Mine")
    only = category_create(organization=personas.org, by=personas.admin, name="Only")
    for category in MeasureCategory.objects.for_org(personas.org).exclude(pk=only.pk):
        category_set_archived(category=category, by=personas.admin, archived=True)
    with pytest.raises(ValidationError):
        category_set_archived(category=only, by=personas.admin, archived=True)


def test_gate_requirements_are_saved(client, personas):
    client.force_login(personas.admin)
    response = client.post(
        URL,
        {"section": "gates", "gates-decided": ["budget", "target_value"], "gates-closed": []},
    )
    assert response.status_code == 302
    settings = GateSettings.objects.for_org(personas.org).get()
    assert settings.extra_fields == {"decided": ["budget", "target_value"]}
    shown = client.get(URL).context["gate_form"]["decided"].value()
    assert shown == ["budget", "target_value"]
    bad = client.post(URL, {"section": "gates", "gates-decided": ["budget", "password"]})
    assert bad.status_code == 422
    assert GateSettings.objects.for_org(personas.org).get().extra_fields == {
        "decided": ["budget", "target_value"]
    }


def test_weights_and_thresholds_are_validated_and_keep_the_input(client, personas):
    client.force_login(personas.admin)
    form = {
        "section": "financials",
        "fin-weight_defined": "0",
        "fin-weight_identified": "15",
        "fin-weight_detailed": "30",
        "fin-weight_decided": "55",
        "fin-weight_implemented": "85",
        "fin-weight_closed": "100",
        "fin-on_track_from": "90",
        "fin-at_risk_from": "70",
    }
    assert client.post(URL, form).status_code == 302
    stored = FinancialSettings.objects.for_org(personas.org).get()
    assert stored.weight_identified == Decimal("15") and stored.at_risk_from == Decimal("70")
    bad = client.post(URL, {**form, "fin-weight_decided": "1o5", "fin-weight_closed": "150"})
    assert bad.status_code == 422
    page = bad.content.decode()
    assert 'value="1o5"' in page and 'value="150"' in page
    assert "not a number" in page and "between 0 and 100" in page
    assert page.count("is-invalid") >= 2
    inverted = client.post(URL, {**form, "fin-at_risk_from": "95"})
    assert inverted.status_code == 422 and "cannot exceed" in inverted.content.decode()
    stored.refresh_from_db()
    assert stored.weight_decided == Decimal("55") and stored.at_risk_from == Decimal("70")


def test_the_page_costs_the_same_queries_for_few_and_many_categories(client, personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(personas.admin)
    client.get(URL)  # seeds the default categories, fills caches
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for index in range(20):
        category_create(organization=personas.org, by=personas.admin, name=f"Kind {index}")
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many.captured_queries) == len(few.captured_queries)
