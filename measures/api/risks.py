"""Risks of a measure and dependencies between measures.

Risks are found through their measure: a measure the caller cannot see is 404; writing needs
``change`` on it (403 otherwise). Dependencies are listed when the caller sees both ends;
declaring one needs ``change`` on the successor and ``view`` on the predecessor, and a measure
the caller cannot see is answered "No such measure." (400), exactly like one that does not exist.

Risks and the statements are part of the measure's plan: their reads carry the measure's version
as ``ETag`` and their writes bump it; ``If-Match`` guards them (a stale one answers 412). Removing
a dependency is guarded by its successor's version.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.base import OrgScopedViewSet
from governance.api.hierarchy import IdFilter, MemberField
from governance.api.versions import IF_MATCH, check_expected, expected_version, with_etag
from measures.models import DependencyType, Measure, MeasureDependency, Risk, RiskStatus
from measures.services.dependencies import (
    dependency_create,
    dependency_delete,
    no_dependencies_set,
)
from measures.services.risks import no_material_risk_set, risk_create, risk_delete, risk_update


class RiskSerializer(serializers.ModelSerializer):
    score = serializers.IntegerField(read_only=True, help_text="Probability x impact (1-25).")

    class Meta:
        model = Risk
        fields = [
            "id",
            "measure",
            "title",
            "description",
            "probability",
            "impact",
            "score",
            "owner",
            "mitigation",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RiskWriteSerializer(serializers.Serializer):
    """Types only: the ranges and rules are the service's (one place)."""

    title = serializers.CharField(max_length=200, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    probability = serializers.IntegerField(help_text="1 (rare) to 5 (almost certain).")
    impact = serializers.IntegerField(help_text="1 (minor) to 5 (severe).")
    owner = MemberField(required=False, allow_null=True)
    mitigation = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    status = serializers.ChoiceField(choices=RiskStatus.choices, required=False)


class RiskFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RiskStatus.choices)

    class Meta:
        model = Risk
        fields: list[str] = []


TAGS = ["risks"]


class MeasureRisksViewSet(OrgScopedViewSet):
    """The risks of one measure."""

    queryset_model = Risk
    serializer_class = RiskSerializer
    filterset_class = RiskFilter
    ordering_fields = ["id"]

    def measure(self) -> Measure:
        found = self.restricted(Measure.objects.all()).filter(pk=self.kwargs["pk"]).first()
        if found is None:
            raise exceptions.NotFound()
        return found

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return Risk.objects.unscoped().none()  # type: ignore[attr-defined]
        return Risk.objects.for_org(self.organization).filter(measure_id=self.kwargs["pk"])

    def risk(self, measure: Measure) -> Risk:
        found = self.get_queryset().filter(measure_id=measure.pk, pk=self.kwargs["risk_pk"]).first()
        if found is None:
            raise exceptions.NotFound()
        return found

    @staticmethod
    def _with_etag(response: Response, measure: Measure) -> Response:
        measure.refresh_from_db(fields=["version"])
        return with_etag(response, measure.version)

    @extend_schema(tags=TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The measure's risks, filtered by status, in pages."""
        measure = self.measure()
        rows = self.filter_queryset(self.get_queryset().select_related("owner"))
        page = self.paginate_queryset(rows)
        response = self.get_paginated_response(RiskSerializer(page, many=True).data)
        return with_etag(response, measure.version)

    @extend_schema(tags=TAGS, request=RiskWriteSerializer, responses={201: RiskSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record a risk; probability and impact from 1 to 5."""
        measure = self.measure()
        self.confirm(measure, "change")
        payload = RiskWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        risk = risk_create(measure=measure, by=request.user, **payload.validated_data)
        response = Response(RiskSerializer(risk).data, status=status.HTTP_201_CREATED)
        return self._with_etag(response, measure)

    @extend_schema(tags=TAGS)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        measure = self.measure()
        return with_etag(Response(RiskSerializer(self.risk(measure)).data), measure.version)

    @extend_schema(
        tags=TAGS, request=RiskWriteSerializer, responses=RiskSerializer, parameters=[IF_MATCH]
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change the risk (PATCH: only the fields given)."""
        measure = self.measure()
        self.confirm(measure, "change")
        risk = self.risk(measure)
        payload = RiskWriteSerializer(
            data=request.data,
            partial=kwargs.get("partial", False),
            context=self.get_serializer_context(),
        )
        payload.is_valid(raise_exception=True)
        risk = risk_update(
            risk=risk,
            by=request.user,
            expected_version=expected_version(request),
            **payload.validated_data,
        )
        return self._with_etag(Response(RiskSerializer(risk).data), measure)

    @extend_schema(
        tags=TAGS, request=RiskWriteSerializer, responses=RiskSerializer, parameters=[IF_MATCH]
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(tags=TAGS, responses={204: None}, parameters=[IF_MATCH])
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Remove a risk recorded by mistake."""
        measure = self.measure()
        self.confirm(measure, "change")
        risk_delete(
            risk=self.risk(measure), by=request.user, expected_version=expected_version(request)
        )
        return self._with_etag(Response(status=status.HTTP_204_NO_CONTENT), measure)


class DependencySerializer(serializers.ModelSerializer):
    predecessor_code = serializers.CharField(source="predecessor.code", read_only=True)
    successor_code = serializers.CharField(source="successor.code", read_only=True)

    class Meta:
        model = MeasureDependency
        fields = [
            "id",
            "predecessor",
            "predecessor_code",
            "successor",
            "successor_code",
            "type",
            "lag_days",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class DependencyWriteSerializer(serializers.Serializer):
    predecessor = serializers.IntegerField(help_text="Id of the measure that comes first.")
    successor = serializers.IntegerField(help_text="Id of the measure that waits for it.")
    type = serializers.ChoiceField(
        choices=DependencyType.choices, required=False, default=DependencyType.FINISH_TO_START
    )
    lag_days = serializers.IntegerField(
        required=False, default=0, help_text="-365 to 365 days after the predecessor's end."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class DependencyFilter(django_filters.FilterSet):
    predecessor = IdFilter(field_name="predecessor_id")
    successor = IdFilter(field_name="successor_id")
    measure = IdFilter(method="either", label="Either end")

    def either(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        return queryset.filter(Q(predecessor_id=value) | Q(successor_id=value))

    class Meta:
        model = MeasureDependency
        fields: list[str] = []


class DependenciesViewSet(OrgScopedViewSet):
    """Dependencies between the measures of the organization."""

    queryset_model = MeasureDependency
    serializer_class = DependencySerializer
    filterset_class = DependencyFilter
    ordering_fields = ["id"]

    def get_queryset(self) -> QuerySet[Any]:
        visible = self.restricted(Measure.objects.all())
        return (
            super()
            .get_queryset()
            .filter(predecessor__in=visible.values("pk"))
            .select_related("predecessor", "successor")
        )

    @extend_schema(tags=TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Dependencies whose both measures the caller sees; filter by predecessor, successor or
        either end (``measure``)."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(DependencySerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS, request=DependencyWriteSerializer, responses={201: DependencySerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Declare that the successor depends on the predecessor; a cycle is refused (400) with
        the cycle named."""
        payload = DependencyWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        edge = dependency_create(
            organization=self.organization, by=request.user, **payload.validated_data
        )
        edge = self.get_queryset().get(pk=edge.pk)
        return Response(DependencySerializer(edge).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=TAGS, responses={204: None}, parameters=[IF_MATCH])
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Remove a dependency (needs change on its successor); ``If-Match`` is the successor
        measure's ``ETag``."""
        edge = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if edge is None:
            raise exceptions.NotFound()
        dependency_delete(
            dependency=edge, by=request.user, expected_version=expected_version(request)
        )
        successor = (
            Measure.objects.for_org(self.organization).only("version").get(pk=edge.successor_id)
        )
        return with_etag(Response(status=status.HTTP_204_NO_CONTENT), successor.version)


class StatementsSerializer(serializers.Serializer):
    no_material_risk = serializers.BooleanField(
        required=False, help_text="Risks were assessed and none is material."
    )
    no_dependencies = serializers.BooleanField(
        required=False, help_text="The measure depends on no other measure and none on it."
    )


class MeasureStatementsViewSet(OrgScopedViewSet):
    """The owner's statements on a measure: no material risk, no dependencies."""

    queryset_model = Measure
    pagination_class = None

    def measure(self) -> Measure:
        found = self.restricted(Measure.objects.all()).filter(pk=self.kwargs["pk"]).first()
        if found is None:
            raise exceptions.NotFound()
        return found

    @staticmethod
    def _answer(measure: Measure) -> Response:
        response = Response(
            {
                "no_material_risk": measure.no_material_risk,
                "no_dependencies": measure.no_dependencies,
            }
        )
        return with_etag(response, measure.version)

    @extend_schema(tags=TAGS, responses=StatementsSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._answer(self.measure())

    @extend_schema(
        tags=TAGS,
        request=StatementsSerializer,
        responses=StatementsSerializer,
        parameters=[IF_MATCH],
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """State (or withdraw) either statement; refused (400) while open risks, or
        dependencies, say otherwise."""
        measure = self.measure()
        self.confirm(measure, "change")
        payload = StatementsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        expected = expected_version(request)
        if not data:
            check_expected(request, measure.version)
        if "no_material_risk" in data:
            measure = no_material_risk_set(
                measure=measure,
                value=data["no_material_risk"],
                by=request.user,
                expected_version=expected,
            )
            # Checked once: the second statement follows the version the first one left.
            expected = None
        if "no_dependencies" in data:
            measure = no_dependencies_set(
                measure=measure,
                value=data["no_dependencies"],
                by=request.user,
                expected_version=expected,
            )
        measure.refresh_from_db(fields=["version", "no_material_risk", "no_dependencies"])
        return self._answer(measure)


urlpatterns = [
    path(
        "measures/<int:pk>/statements/",
        MeasureStatementsViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="measure-statements",
    ),
    path(
        "measures/<int:pk>/risks/",
        MeasureRisksViewSet.as_view({"get": "list", "post": "create"}),
        name="measure-risks",
    ),
    path(
        "measures/<int:pk>/risks/<int:risk_pk>/",
        MeasureRisksViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
        ),
        name="measure-risk-detail",
    ),
    path(
        "dependencies/",
        DependenciesViewSet.as_view({"get": "list", "post": "create"}),
        name="dependency-list",
    ),
    path(
        "dependencies/<int:pk>/",
        DependenciesViewSet.as_view({"delete": "destroy"}),
        name="dependency-detail",
    ),
]
