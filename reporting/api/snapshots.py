"""Snapshots over the API: read-only. The organization's snapshots, and the measures of one as
they were reported then, filtered and cursor-paginated; the figures only for callers who may
see the measure's financials."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from governance.access import can
from governance.api.base import OrgScopedViewSet
from governance.api.pagination import StablePagination
from measures.models import FIGURES, DoI, ImplementationStatus, PotentialStatus
from reporting.models import Snapshot, SnapshotKind, SnapshotMeasure

TAGS = ["snapshots"]
MAX_ID = 2**63 - 1


class NewestFirst(StablePagination):
    ordering = "-id"


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = Snapshot
        fields = ["id", "kind", "period", "fiscal_year_start", "taken_at", "measure_count"]
        read_only_fields = fields


class SnapshotMeasureSerializer(serializers.ModelSerializer):
    """A measure as reported in the snapshot; the nine fiscal-year figures are present only for
    callers who may see the measure's financials."""

    # Blank when the measure had no status report (or potential) yet.
    implementation_status = serializers.ChoiceField(
        choices=ImplementationStatus.choices, allow_blank=True, read_only=True
    )
    potential_status = serializers.ChoiceField(
        choices=PotentialStatus.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = SnapshotMeasure
        fields = [
            "id",
            "measure",
            "code",
            "title",
            "portfolio",
            "program",
            "project",
            "package",
            "function",
            "business_unit",
            "legal_entity",
            "owner",
            "stage",
            "implementation_status",
            "potential_status",
            "end_date",
            "baseline_end_date",
            *FIGURES,
        ]
        read_only_fields = fields

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not can(request.user, "view_financials", instance):
            for name in FIGURES:
                data.pop(name, None)
        return data


class SnapshotFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=SnapshotKind.choices, label="Kind")
    since = django_filters.DateFilter(field_name="period", lookup_expr="gte", label="From")
    until = django_filters.DateFilter(field_name="period", lookup_expr="lte", label="To")

    class Meta:
        model = Snapshot
        fields: list[str] = []


def _key(name: str) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(
        field_name=f"{name}_id", min_value=1, max_value=MAX_ID, label=f"{name.title()} id"
    )


class SnapshotMeasureFilter(django_filters.FilterSet):
    portfolio = _key("portfolio")
    program = _key("program")
    project = _key("project")
    stage = django_filters.ChoiceFilter(choices=DoI.choices, label="Stage")

    class Meta:
        model = SnapshotMeasure
        fields: list[str] = []


class SnapshotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """The organization's snapshots, newest first (every member sees the list)."""

    queryset_model = Snapshot
    serializer_class = SnapshotSerializer
    filterset_class = SnapshotFilter
    pagination_class = NewestFirst

    @extend_schema(tags=TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Snapshots, filtered by kind and period."""
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=TAGS)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One snapshot."""
        return super().retrieve(request, *args, **kwargs)


class SnapshotMeasureViewSet(mixins.ListModelMixin, OrgScopedViewSet):
    """The measures of one snapshot that the caller may see (judged by where each was then)."""

    queryset_model = SnapshotMeasure
    serializer_class = SnapshotMeasureSerializer
    filterset_class = SnapshotMeasureFilter
    pagination_class = StablePagination

    def get_queryset(self) -> QuerySet[Any]:
        rows = self.restricted(SnapshotMeasure.objects.all())
        if getattr(self, "swagger_fake_view", False):
            return rows
        snapshot = self.restricted(Snapshot.objects.all()).filter(pk=self.kwargs["pk"]).first()
        if snapshot is None:
            raise exceptions.NotFound()
        return rows.filter(snapshot_id=snapshot.pk)

    @extend_schema(tags=TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The snapshot's measures as reported, filtered by portfolio, program, project and
        stage."""
        return super().list(request, *args, **kwargs)


urlpatterns = [
    path("snapshots/", SnapshotViewSet.as_view({"get": "list"}), name="snapshot-list"),
    path(
        "snapshots/<int:pk>/", SnapshotViewSet.as_view({"get": "retrieve"}), name="snapshot-detail"
    ),
    path(
        "snapshots/<int:pk>/measures/",
        SnapshotMeasureViewSet.as_view({"get": "list"}),
        name="snapshot-measure-list",
    ),
]
