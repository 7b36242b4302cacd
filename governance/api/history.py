"""``GET …/<segment>/<id>/history/``: an object's audit events, newest first, cursor-paginated.

The object must be visible to the caller (otherwise 404, as for the object itself). Amounts in
financial events are left out for callers who may not see the object's financials
(``changes`` is null and ``changes_hidden`` true); the hashes stay, so the caller can still see
where each event sits in the organization's chain.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.base import OrgScopedViewSet
from governance.api.pagination import StablePagination
from governance.audit.history import object_history, shows_financials, visible_changes
from governance.models import AuditEvent

TAGS = ["audit"]


class AuditActorSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_name(self, user: Any) -> str:
        return str(user.get_full_name() or user.get_username())


class AuditObjectSerializer(serializers.Serializer):
    type = serializers.CharField(source="object_type", read_only=True, help_text="app.model")
    id = serializers.IntegerField(source="object_id", read_only=True)
    repr = serializers.CharField(source="object_repr", read_only=True)


class AuditEventSerializer(serializers.ModelSerializer):
    actor = AuditActorSerializer(read_only=True, allow_null=True)
    object = AuditObjectSerializer(source="*", read_only=True)
    changes = serializers.SerializerMethodField(
        help_text="{field: [before, after]} or {field: value}; null when hidden."
    )
    changes_hidden = serializers.SerializerMethodField(
        help_text="True when the changes are financial and the caller may not see them."
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "seq",
            "actor",
            "action",
            "object",
            "changes",
            "changes_hidden",
            "created_at",
            "hash",
            "prev_hash",
        ]
        read_only_fields = fields

    def _visible(self, event: AuditEvent) -> dict[str, Any] | None:
        return visible_changes(event, self.context["object"], financials=self.context["financials"])

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_changes(self, event: AuditEvent) -> Any:
        return self._visible(event)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_changes_hidden(self, event: AuditEvent) -> bool:
        return self._visible(event) is None


class HistoryPagination(StablePagination):
    # seq is unique within the organization, and a history never leaves one.
    ordering = ("-seq",)  # type: ignore[assignment]
    page_size = 25


class ObjectHistoryViewSet(OrgScopedViewSet):
    """The history of one object of ``history_model`` (set per route)."""

    history_model: Any = None
    queryset_model = AuditEvent
    serializer_class = AuditEventSerializer
    pagination_class = HistoryPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        # Only for the schema: the rows come from the object's history in ``list``.
        return AuditEvent.objects.unscoped().none()

    @extend_schema(tags=TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The object's audit events, newest first, with their place in the hash chain."""
        obj = self.restricted(self.history_model.objects.all()).filter(pk=kwargs["pk"]).first()
        if obj is None:
            raise exceptions.NotFound()
        page = self.paginate_queryset(object_history(obj))
        context = {
            **self.get_serializer_context(),
            "object": obj,
            "financials": shows_financials(request.user, obj),
        }
        data = AuditEventSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)


def history_urlpatterns(routes: dict[str, tuple[type[Model], str]]) -> list[URLPattern]:
    """``<segment>/<pk>/history/`` for each ``{segment: (model, url name)}``."""
    return [
        path(
            f"{segment}/<int:pk>/history/",
            ObjectHistoryViewSet.as_view({"get": "list"}, history_model=model),
            name=name,
        )
        for segment, (model, name) in routes.items()
    ]
