"""The Django admin is a platform operator's tool: it sees every tenant, explicitly."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from governance.models import (
    ApiToken,
    AuditEvent,
    BusinessUnit,
    DecisionForum,
    Function,
    LegalEntity,
    Membership,
    Organization,
    Portfolio,
    Program,
    Project,
)


class TenantAdmin(admin.ModelAdmin):
    """Lists rows of every organization (the one place outside migrations that may)."""

    list_filter = ("organization",)

    def get_queryset(self, request: HttpRequest) -> Any:
        return self.model._default_manager.unscoped()  # type: ignore[attr-defined]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "currency", "fiscal_year_start_month")
    search_fields = ("name", "slug")


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    list_display = ("user", "organization", "kind")


@admin.register(Portfolio, Program, Project)
class NodeAdmin(TenantAdmin):
    list_display = ("code", "title", "organization", "owner", "archived_at")
    search_fields = ("code", "title")
    readonly_fields = ("version",)


@admin.register(BusinessUnit, Function, LegalEntity, DecisionForum)
class OperatingModelAdmin(TenantAdmin):
    pass


@admin.register(AuditEvent)
class AuditEventAdmin(TenantAdmin):
    list_display = ("created_at", "organization", "actor", "action", "object_type", "object_id")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(TenantAdmin):
    list_display = ("name", "organization", "user", "scope", "expires_at", "revoked_at")
    exclude = ("key_hash",)
