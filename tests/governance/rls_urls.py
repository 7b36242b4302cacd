"""The product's URLs plus views that break the application's own rules on purpose.

Only tests load this URLconf (``@pytest.mark.urls``): it shows what the database lets through
when a view forgets to scope its queries or fails half-way.
"""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path

from config.urls import urlpatterns as product_urlpatterns
from governance.models import Function, Organization, Portfolio


def careless_listing(request: HttpRequest, org_slug: str) -> JsonResponse:
    """Reads every portfolio and function with no organization filter and no membership check."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, current_setting('throughline.organization_id', true), "
            "current_setting('throughline.user_id', true)"
        )
        role, organization_id, user_id = cursor.fetchone()
    return JsonResponse(
        {
            "role": role,
            "organization_id": organization_id,
            "user_id": user_id,
            "portfolios": sorted(Portfolio.objects.unscoped().values_list("code", flat=True)),
            "functions": sorted(Function.objects.unscoped().values_list("code", flat=True)),
        }
    )


def failing_write(request: HttpRequest, org_slug: str) -> JsonResponse:
    """Writes a row of the URL's organization, then fails."""
    organization = Organization.objects.get(slug=org_slug)
    Function.objects.create(organization=organization, code="HALF", name="Half-way")
    raise RuntimeError("failed after writing")


urlpatterns = [
    path("o/<slug:org_slug>/careless/", careless_listing),
    path("o/<slug:org_slug>/failing/", failing_write),
    path("careless/", careless_listing, {"org_slug": ""}),
    *product_urlpatterns,
]
