"""The decision log over the API: read-only, filtered, newest first, cursor-paginated."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.base import OrgScopedViewSet
from governance.api.pagination import StablePagination
from governance.filters import DecisionFilter
from governance.models import DecisionRecord
from governance.selectors import decisions_visible

TAGS = ["decisions"]


class NewestFirst(StablePagination):
    ordering = "-id"


class DecisionRecordSerializer(serializers.ModelSerializer):
    decided_by_name = serializers.SerializerMethodField()

    class Meta:
        model = DecisionRecord
        fields = [
            "id",
            "kind",
            "venue",
            "forum",
            "measure",
            "subject_type",
            "subject_id",
            "subject_repr",
            "summary",
            "rationale",
            "details",
            "decided_by",
            "decided_by_name",
            "decided_at",
        ]
        read_only_fields = fields

    def get_decided_by_name(self, record: DecisionRecord) -> str:
        user = record.decided_by
        return (user.get_full_name() or user.get_username()) if user is not None else ""


class DecisionRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Decisions of the measures the caller may see (amounts only with financial access)."""

    queryset_model = DecisionRecord
    serializer_class = DecisionRecordSerializer
    filterset_class = DecisionFilter
    pagination_class = NewestFirst

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return DecisionRecord.objects.unscoped().none()  # type: ignore[attr-defined]
        return decisions_visible(self.request.user, self.organization)

    @extend_schema(tags=TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The decision log, filtered by kind, venue, measure, person, dates and text."""
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=TAGS)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One decision."""
        return super().retrieve(request, *args, **kwargs)


urlpatterns = [
    path(
        "decisions/",
        DecisionRecordViewSet.as_view({"get": "list"}),
        name="decision-record-list",
    ),
    path(
        "decisions/<int:pk>/",
        DecisionRecordViewSet.as_view({"get": "retrieve"}),
        name="decision-record-detail",
    ),
]
