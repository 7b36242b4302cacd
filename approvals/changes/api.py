"""Change control over the API: a measure's change requests, baseline versions and comparison.

``POST measures/<id>/change-requests/`` asks for a change (201 with the request and its impact;
400 with every field error, nothing written; 409 before Decided); ``GET`` lists them (filter
``state``). ``GET measures/<id>/baselines/`` lists the versions of the baseline and
``GET measures/<id>/baselines/compare/`` sets the original (version 1) beside the current one.
Deciding uses the approvals endpoints (``approvals/<id>/approve/`` …). Financial figures are
left out for callers who may not see the measure's financials.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from approvals.changes.diff import redacted
from approvals.changes.models import BaselineVersion, ChangeRequest
from approvals.changes.selectors import baseline_compare, without_financials
from approvals.changes.services import change_request_submit
from approvals.models import RequestState
from approvals.services.requests import MAX_TEXT
from governance.access import can
from governance.api.base import OrgScopedViewSet
from measures.models import Line, Measure

TAGS = ["change control"]
MAX_ID = 2**63 - 1
MAX_ENTRIES = 1_000


class FinancialChangeSerializer(serializers.Serializer):
    period = serializers.CharField(max_length=10, help_text="The month, YYYY-MM.")
    line = serializers.ChoiceField(choices=Line.choices)
    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="The new baseline amount of the month and line."
    )


class MilestoneChangeSerializer(serializers.Serializer):
    milestone = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    baseline_due_date = serializers.DateField()


class DatesChangeSerializer(serializers.Serializer):
    baseline_start_date = serializers.DateField(required=False)
    baseline_end_date = serializers.DateField(required=False)


class KpiChangeSerializer(serializers.Serializer):
    kpi = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    target = serializers.DecimalField(max_digits=16, decimal_places=4)


class ChangeRequestDocSerializer(serializers.Serializer):
    """What a client sends (documentation); the service checks every value, so each error reads
    the same as in the form and is keyed by its path (``financials.0.amount``)."""

    rationale = serializers.CharField(
        max_length=MAX_TEXT, help_text="Why the baseline should change: the approvers read it."
    )
    financials = FinancialChangeSerializer(many=True, required=False)
    milestones = MilestoneChangeSerializer(many=True, required=False)
    dates = DatesChangeSerializer(required=False)
    kpis = KpiChangeSerializer(many=True, required=False)


class ChangeRequestInputSerializer(serializers.Serializer):
    rationale = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False
    )
    financials = serializers.ListField(
        child=serializers.JSONField(allow_null=True), required=False, max_length=MAX_ENTRIES
    )
    milestones = serializers.ListField(
        child=serializers.JSONField(allow_null=True), required=False, max_length=MAX_ENTRIES
    )
    dates = serializers.JSONField(required=False)
    kpis = serializers.ListField(
        child=serializers.JSONField(allow_null=True), required=False, max_length=MAX_ENTRIES
    )


class ChangeRequestSerializer(serializers.ModelSerializer):
    request = serializers.IntegerField(
        source="request_id", read_only=True, help_text="The approval request deciding it."
    )
    state = serializers.ChoiceField(
        source="request.state", choices=RequestState.choices, read_only=True
    )
    requested_by = serializers.IntegerField(source="request.requested_by_id", read_only=True)
    amount = serializers.DecimalField(
        source="request.amount",
        max_digits=16,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="The absolute net value shift: what amount-limited policy steps compare.",
    )
    diff = serializers.JSONField(
        read_only=True, help_text='Each changed field: {"label", "from", "to"}.'
    )
    impact = serializers.JSONField(
        read_only=True,
        help_text="Value shift per period and in total, date shifts in days, KPI target moves.",
    )

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "request",
            "measure",
            "state",
            "requested_by",
            "rationale",
            "amount",
            "diff",
            "impact",
            "base_version",
            "applied_version",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("financials", False):
            data["diff"], data["impact"] = redacted(data["diff"], data["impact"])
        return data


class BaselineVersionSerializer(serializers.ModelSerializer):
    change_request = serializers.IntegerField(
        source="change_request.request_id",
        read_only=True,
        allow_null=True,
        help_text="The approval request that made this version (null: frozen at Decided).",
    )
    snapshot = serializers.JSONField(read_only=True, help_text="The whole baseline then.")

    class Meta:
        model = BaselineVersion
        fields = ["number", "created_at", "created_by", "change_request", "snapshot"]
        read_only_fields = fields

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("financials", False):
            data["snapshot"] = without_financials(data["snapshot"])
        return data


class CompareSerializer(serializers.Serializer):
    original_version = serializers.IntegerField(allow_null=True)
    current_version = serializers.IntegerField()
    financials = serializers.JSONField(help_text="Per period and line: original, current, shift.")
    totals = serializers.JSONField(help_text="Per line: original, current, shift.")
    dates = serializers.JSONField(help_text="Per date field: original, current, days.")
    kpis = serializers.JSONField(help_text="Per KPI: original and current target.")


class StateFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=RequestState.choices, required=False)


class MeasureBaselineMixin:
    """The measure of the URL, visible to the caller (else 404)."""

    kwargs: dict[str, Any]
    request: Request

    def measure(self) -> Measure:
        pk = str(self.kwargs.get("pk", ""))
        found = (
            self.restricted(Measure.objects.all(), "view")  # type: ignore[attr-defined]
            .filter(pk=int(pk) if pk.isdigit() and int(pk) <= MAX_ID else 0)
            .select_related("organization")
            .first()
        )
        if found is None:
            raise exceptions.NotFound()
        return found

    def financials(self, measure: Measure) -> bool:
        return can(self.request.user, "view_financials", measure)


class MeasureChangeRequestsViewSet(MeasureBaselineMixin, OrgScopedViewSet):
    """The change requests of a measure's baseline."""

    queryset_model = ChangeRequest
    serializer_class = ChangeRequestSerializer
    parser_classes = [JSONParser]

    def rows(self, measure: Measure) -> QuerySet[ChangeRequest]:
        return (
            ChangeRequest.objects.for_org(self.organization)
            .filter(measure_id=measure.pk)
            .select_related("request")
        )

    @extend_schema(
        tags=TAGS,
        parameters=[OpenApiParameter("state", str, enum=RequestState.values)],
        responses=ChangeRequestSerializer(many=True),
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The measure's change requests, newest last; ``state`` filters by the request's."""
        measure = self.measure()
        query = StateFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = self.rows(measure)
        if "state" in query.validated_data:
            rows = rows.filter(request__state=query.validated_data["state"])
        page = self.paginate_queryset(rows)
        context = {**self.get_serializer_context(), "financials": self.financials(measure)}
        return self.get_paginated_response(
            ChangeRequestSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        tags=TAGS,
        request=ChangeRequestDocSerializer,
        responses={status.HTTP_201_CREATED: ChangeRequestSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Ask for a change to the baseline (after Decided): the changed values and the
        rationale; the answer carries the impact and the approval request deciding it."""
        measure = self.measure()
        self.confirm(measure, "change")
        payload = ChangeRequestInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        rationale = data.pop("rationale", "")
        change = change_request_submit(
            measure=measure, by=request.user, changes=data, rationale=rationale
        )
        context = {**self.get_serializer_context(), "financials": self.financials(measure)}
        return Response(
            ChangeRequestSerializer(self.rows(measure).get(pk=change.pk), context=context).data,
            status=status.HTTP_201_CREATED,
        )


class MeasureBaselinesViewSet(MeasureBaselineMixin, OrgScopedViewSet):
    """The recorded versions of a measure's baseline, and original against current."""

    queryset_model = BaselineVersion
    serializer_class = BaselineVersionSerializer

    @extend_schema(tags=TAGS, responses=BaselineVersionSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Every version, oldest first: 1 is the baseline frozen at Decided."""
        measure = self.measure()
        rows = (
            BaselineVersion.objects.for_org(self.organization)
            .filter(measure_id=measure.pk)
            .select_related("change_request")
        )
        page = self.paginate_queryset(rows)
        context = {**self.get_serializer_context(), "financials": self.financials(measure)}
        return self.get_paginated_response(
            BaselineVersionSerializer(page, many=True, context=context).data
        )

    @extend_schema(tags=TAGS, responses=CompareSerializer)
    def compare(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The original baseline (version 1) against the current one."""
        measure = self.measure()
        data = baseline_compare(measure)
        if not self.financials(measure):
            data = without_financials(data)
        return Response(CompareSerializer(data).data)


urlpatterns = [
    path(
        "measures/<int:pk>/change-requests/",
        MeasureChangeRequestsViewSet.as_view({"get": "list", "post": "create"}),
        name="measure-change-requests",
    ),
    path(
        "measures/<int:pk>/baselines/",
        MeasureBaselinesViewSet.as_view({"get": "list"}),
        name="measure-baselines",
    ),
    path(
        "measures/<int:pk>/baselines/compare/",
        MeasureBaselinesViewSet.as_view({"get": "compare"}),
        name="measure-baselines-compare",
    ),
]
