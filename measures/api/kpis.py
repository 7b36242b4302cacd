"""KPIs of measures and projects, and their monthly values.

A KPI is found among those whose measure or project the caller may see (anyone else: 404);
writing needs ``contribute`` on that measure or project (403 otherwise). A KPI's reads carry the
version of its measure (or project) as ``ETag``; its writes bump it, and ``If-Match`` guards them
(a stale one answers 412).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.base import OrgScopedViewSet
from governance.api.hierarchy import IdFilter
from governance.api.versions import IF_MATCH, expected_version, with_etag
from governance.models import Project
from measures.models import Direction, Kpi, KpiValue, Measure, ReviewFrequency
from measures.services.kpis import (
    KPI_FIELDS,
    kpi_create,
    kpi_delete,
    kpi_update,
    kpi_value_upsert,
    kpis_visible,
    variance_of,
    with_latest,
)

TAGS = ["kpis"]


def parent_version(kpi: Kpi) -> int:
    """The current version of the KPI's measure or project: the KPI's ``ETag``."""
    model: type[Measure] | type[Project] = Measure if kpi.measure_id else Project
    return int(
        model.objects.for_org(kpi.organization_id)  # type: ignore[attr-defined]
        .filter(pk=kpi.measure_id or kpi.project_id)
        .values_list("version", flat=True)
        .get()
    )


NUMBER_HELP = "A number (at most four decimal places, below 10^12 in either direction)."


class KpiSerializer(serializers.ModelSerializer):
    latest_period = serializers.DateField(read_only=True, allow_null=True)
    latest_actual = serializers.DecimalField(
        max_digits=20, decimal_places=4, read_only=True, allow_null=True
    )
    variance = serializers.SerializerMethodField()
    variance_verdict = serializers.SerializerMethodField(
        help_text='"favourable", "unfavourable", or "" without an actual.'
    )

    class Meta:
        model = Kpi
        fields = [
            "id",
            "measure",
            "project",
            "name",
            "unit",
            "direction",
            "baseline",
            "target",
            "target_baseline",
            "review_frequency",
            "owner",
            "latest_period",
            "latest_actual",
            "variance",
            "variance_verdict",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema(
        responses=serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    )
    def get_variance(self, kpi: Kpi) -> str | None:
        value = variance_of(kpi, getattr(kpi, "latest_actual", None)).value
        return None if value is None else f"{value:.4f}"

    def get_variance_verdict(self, kpi: Kpi) -> str:
        return variance_of(kpi, getattr(kpi, "latest_actual", None)).verdict


class KpiWriteSerializer(serializers.Serializer):
    """What a client sends; numbers are checked by the service, so each error reads the same
    as in the web form."""

    measure = serializers.IntegerField(required=False, allow_null=True, help_text="On create.")
    project = serializers.IntegerField(required=False, allow_null=True, help_text="On create.")
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    unit = serializers.CharField(required=False, allow_blank=True, max_length=30)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    baseline = serializers.JSONField(required=False, allow_null=True, help_text=NUMBER_HELP)
    target = serializers.JSONField(required=False, allow_null=True, help_text=NUMBER_HELP)
    review_frequency = serializers.ChoiceField(choices=ReviewFrequency.choices, required=False)
    owner = serializers.IntegerField(required=False, allow_null=True)


class KpiValueSerializer(serializers.ModelSerializer):
    variance = serializers.SerializerMethodField()
    variance_verdict = serializers.SerializerMethodField()

    class Meta:
        model = KpiValue
        fields = [
            "id",
            "period",
            "actual",
            "forecast",
            "commentary",
            "variance",
            "variance_verdict",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema(
        responses=serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    )
    def get_variance(self, row: KpiValue) -> str | None:
        value = variance_of(self.context["kpi"], row.actual).value
        return None if value is None else f"{value:.4f}"

    def get_variance_verdict(self, row: KpiValue) -> str:
        return variance_of(self.context["kpi"], row.actual).verdict


class KpiValueWriteSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="The month, YYYY-MM.")
    actual = serializers.JSONField(required=False, allow_null=True, help_text=NUMBER_HELP)
    forecast = serializers.JSONField(required=False, allow_null=True, help_text=NUMBER_HELP)
    commentary = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class KpiFilter(django_filters.FilterSet):
    measure = IdFilter(field_name="measure_id")
    project = IdFilter(field_name="project_id")

    class Meta:
        model = Kpi
        fields: list[str] = []


class KpiViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    OrgScopedViewSet,
):
    """KPIs of the measures and projects the caller may see."""

    queryset_model = Kpi
    serializer_class = KpiSerializer
    filterset_class = KpiFilter
    ordering_fields = ["id", "name"]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return Kpi.objects.unscoped().none()
        return with_latest(kpis_visible(self.request.user, self.organization))

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        # Writing is checked on the KPI's measure or project (``contribute``), by the handlers.
        pass

    def _confirm_parent(self, kpi: Kpi) -> None:
        parent = kpi.measure if kpi.measure_id else kpi.project
        assert parent is not None
        self.confirm(parent, "contribute")

    @extend_schema(tags=TAGS, request=KpiWriteSerializer, responses={201: KpiSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add a KPI to a measure or a project (exactly one of ``measure`` and ``project``)."""
        payload = KpiWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        measure_id, project_id = data.pop("measure", None), data.pop("project", None)
        if (measure_id is None) == (project_id is None):
            raise serializers.ValidationError(
                {"measure": ["Give either a measure or a project, not both."]}
            )
        parent: Measure | Project | None
        if measure_id is not None:
            parent = self.restricted(Measure.objects.all()).filter(pk=measure_id).first()
            if parent is None:
                raise serializers.ValidationError({"measure": ["The measure does not exist."]})
        else:
            parent = self.restricted(Project.objects.all()).filter(pk=project_id).first()
            if parent is None:
                raise serializers.ValidationError({"project": ["The project does not exist."]})
        self.confirm(parent, "contribute")
        kpi = kpi_create(
            organization=self.organization,
            by=request.user,
            measure=parent if isinstance(parent, Measure) else None,
            project=parent if isinstance(parent, Project) else None,
            **{name: data[name] for name in KPI_FIELDS if name in data},
        )
        kpi = self.get_queryset().get(pk=kpi.pk)
        return Response(KpiSerializer(kpi).data, status=status.HTTP_201_CREATED)

    def _update(self, request: Request, partial: bool) -> Response:
        kpi = self.get_object()
        self._confirm_parent(kpi)
        payload = KpiWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = {
            name: payload.validated_data[name]
            for name in KPI_FIELDS
            if name in payload.validated_data
        }
        if not partial:
            for name in KPI_FIELDS:
                data.setdefault(name, None)
        kpi_update(kpi=kpi, by=request.user, expected_version=expected_version(request), **data)
        response = Response(KpiSerializer(self.get_queryset().get(pk=kpi.pk)).data)
        return with_etag(response, parent_version(kpi))

    @extend_schema(
        tags=TAGS, request=KpiWriteSerializer, responses=KpiSerializer, parameters=[IF_MATCH]
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Replace a KPI's definition (``measure`` and ``project`` cannot change)."""
        return self._update(request, partial=False)

    @extend_schema(
        tags=TAGS, request=KpiWriteSerializer, responses=KpiSerializer, parameters=[IF_MATCH]
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change some fields of a KPI."""
        return self._update(request, partial=True)

    @extend_schema(tags=TAGS, responses={204: None}, parameters=[IF_MATCH])
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Remove a KPI and its values."""
        kpi = self.get_object()
        self._confirm_parent(kpi)
        kpi_delete(kpi=kpi, by=request.user, expected_version=expected_version(request))
        return with_etag(Response(status=status.HTTP_204_NO_CONTENT), parent_version(kpi))

    @extend_schema(tags=TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """KPIs with their latest actual and its variance against the target; filter by
        ``measure`` or ``project``."""
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=TAGS)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kpi = self.get_object()
        return with_etag(Response(self.get_serializer(kpi).data), parent_version(kpi))


class KpiValuesViewSet(OrgScopedViewSet):
    """A KPI's values by month."""

    queryset_model = KpiValue
    serializer_class = KpiValueSerializer

    def kpi(self) -> Kpi:
        found = (
            kpis_visible(self.request.user, self.organization)
            .filter(pk=self.kwargs["pk"])
            .select_related("organization", "measure", "project")
            .first()
        )
        if found is None:
            raise exceptions.NotFound()
        return found

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return KpiValue.objects.unscoped().none()
        return KpiValue.objects.for_org(self.organization).filter(kpi_id=self.kwargs["pk"])

    @extend_schema(tags=TAGS, responses=KpiValueSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The KPI's months: actual, forecast, commentary and the variance of the actual."""
        kpi = self.kpi()
        page = self.paginate_queryset(self.get_queryset())
        serializer = KpiValueSerializer(page, many=True, context={"kpi": kpi})
        parent = kpi.measure or kpi.project
        assert parent is not None
        return with_etag(self.get_paginated_response(serializer.data), parent.version)

    @extend_schema(
        tags=TAGS,
        request=KpiValueWriteSerializer,
        responses=KpiValueSerializer,
        parameters=[IF_MATCH],
    )
    def upsert(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record one month's actual and forecast (null: not known) with a commentary."""
        kpi = self.kpi()
        self.confirm(kpi.measure or kpi.project, "contribute")  # type: ignore[arg-type]
        payload = KpiValueWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        row = kpi_value_upsert(
            kpi=kpi,
            by=request.user,
            expected_version=expected_version(request),
            **payload.validated_data,
        )
        response = Response(KpiValueSerializer(row, context={"kpi": kpi}).data)
        return with_etag(response, parent_version(kpi))


urlpatterns = [
    path("kpis/", KpiViewSet.as_view({"get": "list", "post": "create"}), name="kpi-list"),
    path(
        "kpis/<int:pk>/",
        KpiViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
        ),
        name="kpi-detail",
    ),
    path(
        "kpis/<int:pk>/values/",
        KpiValuesViewSet.as_view({"get": "list", "put": "upsert"}),
        name="kpi-values",
    ),
]
