"""Exception cases over the API: the inbox with its filters, a case with its decisions and
mitigation, the measures it reaches (paginated), and the trade-off decision.

Amounts (value at risk) are ``null`` for callers who may not see the root measure's financials.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.base import OrgScopedViewSet
from governance.api.pagination import StablePagination
from governance.api.parsers import JSONParser
from governance.errors import ValidationError
from governance.models import (
    CaseState,
    Cause,
    DecisionRecord,
    ExceptionCase,
    ImpactedMeasure,
    MitigationAction,
    TradeOff,
)
from governance.ripple.decisions import case_decide, may_decide_case
from governance.ripple.selectors import (
    SORTS,
    case_decisions,
    case_list,
    cases_visible,
    parse_filters,
)

TAGS = ["exceptions"]


def _money(serializer: serializers.Serializer, value: Any) -> Any:
    case = serializer.context.get("case")
    visible = getattr(case, "money", False) if case is not None else False
    return str(value) if visible else None


class CaseSerializer(serializers.ModelSerializer):
    value_at_risk = serializers.SerializerMethodField()
    decision = serializers.ChoiceField(
        choices=TradeOff.choices, allow_blank=True, read_only=True, help_text="Empty while open."
    )
    root_code = serializers.CharField(source="root.code", read_only=True)
    forum_name = serializers.CharField(
        source="forum.name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = ExceptionCase
        fields = [
            "id",
            "root",
            "root_code",
            "cause",
            "state",
            "detail",
            "slip_days",
            "value_at_risk",
            "impacted_count",
            "reach",
            "forum",
            "forum_name",
            "escalations",
            "due_at",
            "opened_at",
            "updated_at",
            "closed_at",
            "closed_reason",
            "decision",
            "decided_by",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_value_at_risk(self, case: ExceptionCase) -> str | None:
        return str(case.value_at_risk) if getattr(case, "money", False) else None


class MitigationSerializer(serializers.ModelSerializer):
    class Meta:
        model = MitigationAction
        fields = ["id", "title", "owner", "due_date", "done_at", "created_at"]
        read_only_fields = fields


class CaseDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DecisionRecord
        fields = [
            "id",
            "kind",
            "forum",
            "summary",
            "rationale",
            "details",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    decisions = serializers.SerializerMethodField()
    mitigations = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "decisions", "mitigations"]
        read_only_fields = fields

    def get_decisions(self, case: ExceptionCase) -> list[dict[str, Any]]:
        rows = CaseDecisionSerializer(case_decisions(case), many=True).data
        if not getattr(case, "money", False):
            for row in rows:
                row["details"] = {k: v for k, v in row["details"].items() if "value" not in k}
        return list(rows)

    def get_mitigations(self, case: ExceptionCase) -> list[dict[str, Any]]:
        return list(MitigationSerializer(case.mitigations.all(), many=True).data)


class ImpactedSerializer(serializers.ModelSerializer):
    measure_code = serializers.CharField(source="measure.code", read_only=True)
    value_at_risk = serializers.SerializerMethodField()
    risk_by_period = serializers.SerializerMethodField()

    class Meta:
        model = ImpactedMeasure
        fields = [
            "id",
            "measure",
            "measure_code",
            "via",
            "depth",
            "slip_days",
            "value_at_risk",
            "risk_by_period",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_value_at_risk(self, row: ImpactedMeasure) -> str | None:
        return _money(self, row.value_at_risk)

    @extend_schema_field(serializers.DictField(child=serializers.CharField(), allow_null=True))
    def get_risk_by_period(self, row: ImpactedMeasure) -> dict[str, str] | None:
        case = self.context.get("case")
        return row.risk_by_period if getattr(case, "money", False) else None


class TradeOffSerializer(serializers.Serializer):
    option = serializers.ChoiceField(choices=TradeOff.choices)
    rationale = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    mitigation = serializers.DictField(required=False, help_text="title, owner (user id), due_date")
    sacrifice = serializers.DictField(
        required=False, help_text="measure (id), to: on_hold or cancelled"
    )
    replan = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=1000,
        help_text="Impacted measure ids to re-plan (all of them when empty).",
    )


FILTERS = [
    OpenApiParameter("state", str, enum=CaseState.values),
    OpenApiParameter("scope", str, enum=["mine", "forums"]),
    OpenApiParameter("cause", str, enum=Cause.values),
    OpenApiParameter("older_than_days", int),
    OpenApiParameter("min_value", str, description="Only cases with at least this value at risk."),
    OpenApiParameter("sort", str, enum=list(SORTS)),
]


class SortedCursor(StablePagination):
    """Cursor pagination in the order the caller chose (``sort``)."""

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        return SORTS.get(str(request.query_params.get("sort") or ""), SORTS["-opened_at"])


class ExceptionCaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Exception cases of the measures the caller may see."""

    queryset_model = ExceptionCase
    pagination_class = SortedCursor
    # A decision is a JSON document (its options are nested objects and lists).
    parser_classes = [JSONParser]
    serializer_class = CaseSerializer
    filter_backends: list[Any] = []
    # Deciding is the service's question (403 there); the case must be visible.
    ACTION_PERMISSIONS = {"decide": "view"}

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return ExceptionCase.objects.unscoped().none()  # type: ignore[attr-defined]
        return cases_visible(self.request.user, self.organization)

    def get_serializer_class(self) -> Any:
        return CaseDetailSerializer if self.action in ("retrieve", "decide") else CaseSerializer

    @extend_schema(tags=TAGS, parameters=FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The exception inbox, filtered and sorted; ``scope=mine`` is the caller's measures
        and forums."""
        filters, errors = parse_filters(request.query_params)
        if errors:
            raise ValidationError(errors)
        rows = case_list(request.user, self.organization, filters)
        page = self.paginate_queryset(
            rows.order_by("-id") if filters.sort == "-opened_at" else rows
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(tags=TAGS, responses=CaseDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One case, with its decisions and mitigation actions."""
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(tags=TAGS, request=TradeOffSerializer, responses=CaseDetailSerializer)
    def decide(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record the trade-off (a member of the case's forum or above): 400 for missing or bad
        details of the option, 403 for a non-member, 409 for a case no longer open."""
        case = self.get_object()
        if not may_decide_case(case, request.user):
            raise exceptions.PermissionDenied(
                "Only a member of the case's forum, or of one above it, decides."
            )
        payload = TradeOffSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        case_decide(
            case=case,
            by=request.user,
            option=data["option"],
            rationale=data.get("rationale", ""),
            mitigation=data.get("mitigation"),
            sacrifice=data.get("sacrifice"),
            replan=data.get("replan"),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)


class ImpactedViewSet(mixins.ListModelMixin, OrgScopedViewSet):
    """The measures one case reaches, nearest first."""

    queryset_model = ImpactedMeasure
    serializer_class = ImpactedSerializer
    filter_backends: list[Any] = []

    def case(self) -> ExceptionCase:
        found = cases_visible(self.request.user, self.organization).filter(pk=self.kwargs["pk"])
        case = found.first()
        if case is None:
            raise exceptions.NotFound()
        return case

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return ImpactedMeasure.objects.unscoped().none()  # type: ignore[attr-defined]
        return (
            ImpactedMeasure.objects.for_org(self.organization)
            .filter(case_id=self.kwargs["pk"])
            .select_related("measure")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["case"] = self._case
        return context

    @extend_schema(tags=TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Impacted measures with their slip and value at risk per period."""
        self._case = self.case()
        return super().list(request, *args, **kwargs)


urlpatterns = [
    path(
        "exceptions/",
        ExceptionCaseViewSet.as_view({"get": "list"}),
        name="exception-case-list",
    ),
    path(
        "exceptions/<int:pk>/",
        ExceptionCaseViewSet.as_view({"get": "retrieve"}),
        name="exception-case-detail",
    ),
    path(
        "exceptions/<int:pk>/decide/",
        ExceptionCaseViewSet.as_view({"post": "decide"}),
        name="exception-case-decide",
    ),
    path(
        "exceptions/<int:pk>/impacted/",
        ImpactedViewSet.as_view({"get": "list"}),
        name="exception-case-impacted",
    ),
]
