"""Dashboard pages and a widget's CSV, computed from the measure months with one grouped query
per widget."""

from __future__ import annotations

from django.urls import reverse

from governance.models import Program
from tests.bench.scenarios import BenchTenant, scenario


@scenario("UI: organization dashboard")
def ui_organization_dashboard(tenant: BenchTenant) -> str:
    return reverse("dashboard", kwargs={"org_slug": tenant.slug})


@scenario("UI: program dashboard")
def ui_program_dashboard(tenant: BenchTenant) -> str:
    return reverse(
        "program-dashboard", kwargs={"org_slug": tenant.slug, "pk": tenant.first(Program).pk}
    )


@scenario("UI: dashboard widget CSV")
def ui_dashboard_widget_csv(tenant: BenchTenant) -> str:
    url = reverse("dashboard-widget", kwargs={"org_slug": tenant.slug, "key": "value_bridge"})
    return f"{url}?program={tenant.first(Program).pk}"
