"""Capacity: people, available hours (admins write them), the effort of a measure (who may
change the measure writes it) and over-allocations."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.base import OrgScopedViewSet
from governance.api.hierarchy import IdFilter
from governance.api.versions import IF_MATCH, expected_version, with_etag
from governance.errors import ValidationError
from measures.models import Availability, CapacityPerson, Effort, Measure
from measures.services.capacity import (
    availability_upsert,
    effort_upsert,
    month_range,
    overallocations,
    person_create,
)

TAGS = ["capacity"]


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = CapacityPerson
        fields = ["id", "name", "user", "function", "active"]
        read_only_fields = fields


class PersonWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True)
    user = serializers.IntegerField(required=False, allow_null=True)
    function = serializers.IntegerField(required=False, allow_null=True)
    active = serializers.BooleanField(required=False, default=True)


class AvailabilitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Availability
        fields = ["id", "person", "period", "hours", "updated_at"]
        read_only_fields = fields


class AvailabilityRowSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    hours = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, max_value=744)


class AvailabilityDocSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="The month, YYYY-MM.")
    rows = AvailabilityRowSerializer(many=True)


class BulkSerializer(serializers.Serializer):
    period = serializers.CharField()
    rows = serializers.ListField(child=serializers.JSONField(allow_null=True), allow_empty=False)


class WrittenSerializer(serializers.Serializer):
    written = serializers.IntegerField()


class EffortSerializer(serializers.ModelSerializer):
    class Meta:
        model = Effort
        fields = ["id", "person", "period", "planned_hours", "actual_hours", "updated_at"]
        read_only_fields = fields


class EffortRowSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    period = serializers.CharField(help_text="The month, YYYY-MM.")
    planned_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, max_value=744
    )
    actual_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, max_value=744, required=False, allow_null=True
    )


class EffortDocSerializer(serializers.Serializer):
    rows = EffortRowSerializer(many=True)


class RowsSerializer(serializers.Serializer):
    rows = serializers.ListField(child=serializers.JSONField(allow_null=True), allow_empty=False)


class OverallocationSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    period = serializers.DateField()
    planned_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    available_hours = serializers.DecimalField(max_digits=6, decimal_places=2)


class AvailabilityFilter(django_filters.FilterSet):
    person = IdFilter(field_name="person_id")
    period = django_filters.DateFilter(field_name="period")

    class Meta:
        model = Availability
        fields: list[str] = []


class PeopleViewSet(mixins.ListModelMixin, OrgScopedViewSet):
    """The people whose hours measures plan; every member reads them, admins add them."""

    queryset_model = CapacityPerson
    serializer_class = PersonSerializer

    @extend_schema(tags=TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=TAGS, request=PersonWriteSerializer, responses={201: PersonSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add a person (organization admins)."""
        self.confirm(self.organization, "administer")
        payload = PersonWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        person = person_create(
            organization=self.organization, by=request.user, **payload.validated_data
        )
        return Response(PersonSerializer(person).data, status=status.HTTP_201_CREATED)


class AvailabilityViewSet(mixins.ListModelMixin, OrgScopedViewSet):
    """Available hours per person and month."""

    queryset_model = Availability
    serializer_class = AvailabilitySerializer
    filterset_class = AvailabilityFilter

    @extend_schema(tags=TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Filter by ``person`` and ``period`` (YYYY-MM-01)."""
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=TAGS, request=AvailabilityDocSerializer, responses=WrittenSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One month's available hours for many people (organization admins): all or nothing,
        every bad row reported as ``rows.<index>.<field>``."""
        self.confirm(self.organization, "administer")
        payload = BulkSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        written = availability_upsert(
            organization=self.organization,
            period=payload.validated_data["period"],
            rows=payload.validated_data["rows"],
            by=request.user,
        )
        return Response({"written": written})


class MeasureEffortViewSet(OrgScopedViewSet):
    """A measure's planned and actual hours per person and month."""

    queryset_model = Effort
    serializer_class = EffortSerializer

    def measure(self) -> Measure:
        found = (
            self.restricted(Measure.objects.all())
            .filter(pk=self.kwargs["pk"])
            .select_related("organization")
            .first()
        )
        if found is None:
            raise exceptions.NotFound()
        return found

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return Effort.objects.unscoped().none()
        return Effort.objects.for_org(self.organization).filter(measure_id=self.kwargs["pk"])

    @extend_schema(tags=TAGS, responses=EffortSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The measure's hours per person and month; the ``ETag`` is the measure's version."""
        measure = self.measure()
        page = self.paginate_queryset(self.get_queryset())
        response = self.get_paginated_response(EffortSerializer(page, many=True).data)
        return with_etag(response, measure.version)

    @extend_schema(
        tags=TAGS, request=EffortDocSerializer, responses=WrittenSerializer, parameters=[IF_MATCH]
    )
    def upsert(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Plan or record hours: all or nothing, every bad row reported as
        ``rows.<index>.<field>``. Writing bumps the measure's version (``If-Match`` guards it)."""
        measure = self.measure()
        self.confirm(measure, "change")
        payload = RowsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        written = effort_upsert(
            measure=measure,
            rows=payload.validated_data["rows"],
            by=request.user,
            expected_version=expected_version(request),
        )
        measure.refresh_from_db(fields=["version"])
        return with_etag(Response({"written": written}), measure.version)


class OverallocationViewSet(OrgScopedViewSet):
    queryset_model = Effort
    pagination_class = None

    @extend_schema(
        tags=TAGS,
        parameters=[
            OpenApiParameter("from", str, description="First month, YYYY-MM (default: this one)."),
            OpenApiParameter("to", str, description="Last month, YYYY-MM (at most 36 months)."),
        ],
        responses=OverallocationSerializer(many=True),
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Every person and month whose planned hours across all measures exceed the hours
        available (none recorded counts as none available)."""
        first_raw, last_raw = request.query_params.get("from"), request.query_params.get("to")
        if "\x00" in (first_raw or "") + (last_raw or ""):
            raise ValidationError({"from": ["Give the month as YYYY-MM."]})
        first, last = month_range(self.organization, first_raw, last_raw)
        found = overallocations(organization=self.organization, first=first, last=last)
        return Response(
            OverallocationSerializer(
                [
                    {
                        "person": row.person_id,
                        "period": row.period,
                        "planned_hours": row.planned,
                        "available_hours": row.available,
                    }
                    for row in found
                ],
                many=True,
            ).data
        )


urlpatterns = [
    path(
        "capacity/people/",
        PeopleViewSet.as_view({"get": "list", "post": "create"}),
        name="capacity-people",
    ),
    path(
        "capacity/availability/",
        AvailabilityViewSet.as_view({"get": "list", "post": "create"}),
        name="capacity-availability",
    ),
    path(
        "capacity/overallocations/",
        OverallocationViewSet.as_view({"get": "list"}),
        name="capacity-overallocations",
    ),
    path(
        "measures/<int:pk>/effort/",
        MeasureEffortViewSet.as_view({"get": "list", "put": "upsert"}),
        name="measure-effort",
    ),
]
