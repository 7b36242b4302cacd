"""Financial series, their bulk upsert and validation, and roll-ups.

Financial endpoints find the measure among those the caller may see financials of: anyone else
gets 404, as if the measure did not exist. Writing needs ``change`` on top (403 otherwise);
validating actuals needs ``validate`` (controllers, never on their own measure).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.base import OrgScopedViewSet
from governance.api.versions import IF_MATCH, check_expected
from governance.errors import ValidationError
from governance.models.hierarchy import LEVELS, model_for_level
from measures.models import FinancialEntry, Line, Measure, Scenario
from measures.rollups import rollup
from measures.services.financials import (
    actuals_validate,
    financials_bulk_upsert,
    financials_upsert,
    parse_period,
)

TAGS = ["financials"]


class FinancialEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = FinancialEntry
        fields = [
            "id",
            "period",
            "line",
            "scenario",
            "amount",
            "validation",
            "validated_amount",
            "validated_by",
            "validated_at",
            "validation_note",
            "updated_at",
        ]
        read_only_fields = fields


class SeriesSerializer(serializers.Serializer):
    measure = serializers.IntegerField()
    currency = serializers.CharField()
    results = FinancialEntrySerializer(many=True)


class CellSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="The month, YYYY-MM (or its first day).")
    line = serializers.ChoiceField(choices=Line.choices)
    scenario = serializers.ChoiceField(
        choices=[(s, label) for s, label in Scenario.choices if s != Scenario.BASELINE],
        help_text="The baseline is never written: entering Decided freezes the plan into it.",
    )
    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="In the organization's currency."
    )


class UpsertSerializer(serializers.Serializer):
    rows = serializers.ListField(child=serializers.JSONField(allow_null=True), allow_empty=False)


class UpsertDocSerializer(serializers.Serializer):
    rows = CellSerializer(many=True)


class ChangedSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="Cells whose amount changed.")


class BulkRowSerializer(serializers.Serializer):
    measure = serializers.IntegerField()
    line = serializers.ChoiceField(choices=Line.choices)
    scenario = serializers.ChoiceField(
        choices=[(Scenario.FORECAST, "Forecast"), (Scenario.ACTUAL, "Actual")]
    )
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class BulkDocSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="The month, YYYY-MM.")
    rows = BulkRowSerializer(many=True)


class BulkSerializer(serializers.Serializer):
    period = serializers.CharField()
    rows = serializers.ListField(child=serializers.JSONField(allow_null=True), allow_empty=False)


class ValidateSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="The month, YYYY-MM.")
    line = serializers.ChoiceField(choices=Line.choices)
    decision = serializers.ChoiceField(choices=["validate", "partial", "reject"])
    amount = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="The validated amount of a partial validation.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SeriesFilterSerializer(serializers.Serializer):
    scenario = serializers.ChoiceField(choices=Scenario.choices, required=False)
    line = serializers.ChoiceField(choices=Line.choices, required=False)
    period_from = serializers.CharField(required=False)
    period_to = serializers.CharField(required=False)


def _month(value: str | None, name: str, organization: Any) -> dt.date | None:
    if value is None:
        return None
    try:
        return parse_period(value, organization)
    except ValueError as exc:
        raise ValidationError({name: [str(exc)]}) from None


SERIES_PARAMETERS = [
    OpenApiParameter("scenario", str, enum=Scenario.values),
    OpenApiParameter("line", str, enum=Line.values),
    OpenApiParameter("period_from", str, description="First month, YYYY-MM."),
    OpenApiParameter("period_to", str, description="Last month, YYYY-MM."),
]


class MeasureFinancialsViewSet(OrgScopedViewSet):
    """A measure's monthly series: plan, baseline, forecast, actual."""

    queryset_model = FinancialEntry
    pagination_class = None

    def measure(self) -> Measure:
        found = (
            self.restricted(Measure.objects.all(), "view_financials")
            .filter(pk=self.kwargs["pk"])
            .select_related("organization")
            .first()
        )
        if found is None:
            raise exceptions.NotFound()
        return found

    def _series(self, measure: Measure, request: Request) -> Response:
        query = SeriesFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        rows = FinancialEntry.objects.for_org(self.organization).filter(measure_id=measure.pk)
        for name in ("scenario", "line"):
            if name in filters:
                rows = rows.filter(**{name: filters[name]})
        first = _month(filters.get("period_from"), "period_from", self.organization)
        last = _month(filters.get("period_to"), "period_to", self.organization)
        if first is not None:
            rows = rows.filter(period__gte=first)
        if last is not None:
            rows = rows.filter(period__lte=last)
        return Response(
            {
                "measure": measure.pk,
                "currency": self.organization.currency,
                "results": FinancialEntrySerializer(rows, many=True).data,
            }
        )

    @extend_schema(tags=TAGS, parameters=SERIES_PARAMETERS, responses=SeriesSerializer)
    def series(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The series, filtered by scenario, line and a range of months. The ``ETag`` is the
        measure's version, which every write to the series bumps."""
        measure = self.measure()
        response = self._series(measure, request)
        response["ETag"] = f'"{measure.version}"'
        return response

    @extend_schema(
        tags=TAGS, request=UpsertDocSerializer, responses=ChangedSerializer, parameters=[IF_MATCH]
    )
    def upsert(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Write cells of the plan, forecast or actual; all or nothing, every bad row reported
        as ``rows.<index>.<field>``."""
        measure = self.measure()
        self.confirm(measure, "change")
        check_expected(request, measure.version)
        payload = UpsertSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            changed = financials_upsert(
                measure=measure, rows=payload.validated_data["rows"], by=request.user
            )
        except ValidationError as exc:
            raise ValidationError(
                {f"rows.{key}": value for key, value in exc.message_dict.items()}
            ) from None
        measure.refresh_from_db(fields=["version"])
        response = Response({"changed": changed})
        response["ETag"] = f'"{measure.version}"'
        return response

    @extend_schema(tags=TAGS, request=ValidateSerializer, responses=FinancialEntrySerializer)
    def validate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A controller validates, partly validates or rejects one month's actual."""
        measure = self.measure()
        self.confirm(measure, "validate")
        payload = ValidateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        entry = actuals_validate(
            measure=measure,
            period=data["period"],
            line=data["line"],
            decision=data["decision"],
            amount=data.get("amount"),
            reason=data.get("reason", ""),
            by=request.user,
        )
        return Response(FinancialEntrySerializer(entry).data)


class FinancialsBulkViewSet(OrgScopedViewSet):
    queryset_model = FinancialEntry
    pagination_class = None

    @extend_schema(tags=TAGS, request=BulkDocSerializer, responses=ChangedSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One month's forecasts and actuals for many measures: all or nothing; a 400 lists
        every bad row as ``rows.<index>.<field>``."""
        payload = BulkSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        changed = financials_bulk_upsert(
            organization=self.organization,
            period=payload.validated_data["period"],
            rows=payload.validated_data["rows"],
            by=request.user,
        )
        return Response({"changed": changed})


class RollupQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=["organization", *LEVELS], required=False, default="organization"
    )
    id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    period_from = serializers.CharField(required=False)
    period_to = serializers.CharField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["level"] != "organization" and "id" not in attrs:
            raise serializers.ValidationError({"id": ["Give the id of the node."]})
        return attrs


class RollupViewSet(OrgScopedViewSet):
    queryset_model = FinancialEntry
    pagination_class = None

    @extend_schema(
        tags=TAGS,
        parameters=[
            OpenApiParameter("level", str, enum=["organization", *LEVELS]),
            OpenApiParameter("id", int, description="The node's id (not for organization)."),
            OpenApiParameter("period_from", str, description="First month, YYYY-MM."),
            OpenApiParameter("period_to", str, description="Last month, YYYY-MM."),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def summary(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Benefit and cost (plan, baseline, forecast, actual, validated, risk-adjusted) below
        a node, by month and by stage; only measures whose financials the caller may see."""
        query = RollupQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        node = None
        if data["level"] != "organization":
            node = (
                self.restricted(model_for_level(data["level"]).objects.all())
                .filter(pk=data["id"])
                .first()
            )
            if node is None:
                raise exceptions.NotFound()
        result = rollup(
            user=request.user,
            organization=self.organization,
            node=node,
            period_from=_month(data.get("period_from"), "period_from", self.organization),
            period_to=_month(data.get("period_to"), "period_to", self.organization),
        )
        return Response(
            {"level": data["level"], "id": node.pk if node else self.organization.pk}
            | result.as_json()
        )


urlpatterns = [
    path(
        "measures/<int:pk>/financials/",
        MeasureFinancialsViewSet.as_view({"get": "series", "put": "upsert"}),
        name="measure-financials",
    ),
    path(
        "measures/<int:pk>/financials/validate/",
        MeasureFinancialsViewSet.as_view({"post": "validate"}),
        name="measure-financials-validate",
    ),
    path(
        "financials/bulk/",
        FinancialsBulkViewSet.as_view({"post": "create"}),
        name="financials-bulk",
    ),
    path("rollups/", RollupViewSet.as_view({"get": "summary"}), name="rollups"),
]
