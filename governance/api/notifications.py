"""The caller's own notifications over the API: list (newest first, ``unread`` filter), mark one
read, mark all read. Someone else's notification is 404, like one that does not exist."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.base import OrgScopedViewSet
from governance.api.pagination import StablePagination
from governance.models import Notification
from governance.notifications import (
    notification_mark_read,
    notifications_mark_all_read,
    notifications_of,
)

TAGS = ["notifications"]
MAX_ID = 2**63 - 1


class NewestFirst(StablePagination):
    ordering = "-id"


class NotificationSerializer(serializers.ModelSerializer):
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "link",
            "object_type",
            "object_id",
            "created_at",
            "read_at",
            "unread",
        ]
        read_only_fields = fields

    def get_unread(self, obj: Notification) -> bool:
        return obj.read_at is None


class FilterSerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False)


class NotificationViewSet(OrgScopedViewSet):
    """The caller's notifications in the organization."""

    queryset_model = Notification
    serializer_class = NotificationSerializer
    pagination_class = NewestFirst
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.unscoped().none()  # type: ignore[attr-defined]
        return notifications_of(self.request.user, self.organization)

    @extend_schema(
        tags=TAGS,
        parameters=[OpenApiParameter("unread", bool, description="Only the unread ones.")],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Mine, newest first."""
        query = FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = self.get_queryset()
        if query.validated_data["unread"]:
            rows = rows.filter(read_at__isnull=True)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(tags=TAGS, request=None, responses=NotificationSerializer)
    def read(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Mark one of mine read (again: no change)."""
        pk = str(self.kwargs.get("pk", ""))
        found = (
            self.get_queryset().filter(pk=int(pk)).first()
            if pk.isdigit() and int(pk) <= MAX_ID
            else None
        )
        if found is None:
            raise exceptions.NotFound()
        notification = notification_mark_read(notification=found, by=request.user)
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        tags=TAGS,
        request=None,
        responses=inline_serializer(
            "NotificationsMarked", {"marked": serializers.IntegerField(min_value=0)}
        ),
    )
    def read_all(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Mark all of mine read; answers how many were unread."""
        count = notifications_mark_all_read(by=request.user, organization=self.organization)
        return Response({"marked": count})


urlpatterns = [
    path(
        "notifications/",
        NotificationViewSet.as_view({"get": "list"}),
        name="notification-list",
    ),
    path(
        "notifications/read-all/",
        NotificationViewSet.as_view({"post": "read_all"}),
        name="notification-read-all",
    ),
    path(
        "notifications/<int:pk>/read/",
        NotificationViewSet.as_view({"post": "read"}),
        name="notification-read",
    ),
]
