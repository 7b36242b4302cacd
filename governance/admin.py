"""The Django admin: the platform operator's view of the tenant registry.

Tenant rows are not in the admin. On PostgreSQL every request runs under row-level security in
the scope of the organization its URL names, and an admin URL names none, so the admin could not
list any organization's rows; tenants' data is managed through the application itself.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from governance.models import Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "currency", "fiscal_year_start_month")
    search_fields = ("name", "slug")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting an organization deletes all its tenant rows, which the admin's scope cannot
        # reach (the database refuses the delete). It is an operation for the migrating role.
        return False
