"""The validation queue over the API: list (filtered, sorted), one verdict, bulk approval.

The list holds what awaits the caller's verdict, the same rows as the page (never a benefit of
a measure the caller owns). Deciding an item whose measure's financials the caller cannot see
is 404; one they see but may not validate (their own measure, or a role without validation)
is 403. A bulk approval is all or nothing: 200 with the count, or 400 naming every bad item
(``errors["ids.<id>"]``) with nothing written.

Pages are numbered (``page``, ``page_size``) over an order that always ends on the id, so a
page is the same rows for as long as the queue does not change, whatever the sort.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from approvals.forms import QueueFilterForm
from approvals.selectors.validations import (
    SORT_LABELS,
    CountedPaginator,
    validation_entry,
    validation_queue,
    validation_queue_count,
)
from approvals.services.validations import (
    MAX_BULK,
    MAX_COMMENT,
    validation_decide,
    validations_bulk_approve,
)
from governance.access import can
from governance.api.base import OrgScopedViewSet
from governance.api.parsers import JSONParser
from governance.errors import ValidationError
from measures.models import FinancialEntry

TAGS = ["validations"]
MAX_ID = 2**63 - 1


class QueuePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        # Counted without the annotations' joins (the view knows the filters).
        total = getattr(view, "queue_total", None)
        if total is not None:
            self.django_paginator_class = partial(CountedPaginator, total=total)  # type: ignore[assignment]
        return super().paginate_queryset(queryset, request, view)


class ValidationItemSerializer(serializers.ModelSerializer):
    claimed = serializers.DecimalField(
        source="amount", max_digits=16, decimal_places=2, read_only=True
    )
    baseline = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, allow_null=True
    )
    forecast = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, allow_null=True
    )
    variance = serializers.DecimalField(
        max_digits=17,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="Claimed minus baseline; empty without a baseline.",
    )
    measure_code = serializers.CharField(read_only=True)
    measure_title = serializers.CharField(read_only=True)
    owner = serializers.IntegerField(source="owner_id", read_only=True, allow_null=True)
    owner_name = serializers.CharField(read_only=True, allow_null=True)
    portfolio_name = serializers.CharField(read_only=True)
    program_name = serializers.CharField(read_only=True)
    function_name = serializers.CharField(read_only=True, allow_null=True)
    age_days = serializers.SerializerMethodField(help_text="Days since the actual last changed.")

    class Meta:
        model = FinancialEntry
        fields = [
            "id",
            "measure",
            "measure_code",
            "measure_title",
            "owner",
            "owner_name",
            "portfolio_name",
            "program_name",
            "function_name",
            "period",
            "line",
            "claimed",
            "baseline",
            "forecast",
            "variance",
            "validation",
            "validated_amount",
            "validated_by",
            "validated_at",
            "validation_note",
            "updated_at",
            "age_days",
        ]
        read_only_fields = fields

    def get_age_days(self, entry: Any) -> int:
        return int(entry.age.days)


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=["validate", "partial", "reject"],
        help_text="validate: as claimed; partial: the amount given, with a reason; reject: "
        "with a reason.",
    )
    amount = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="The validated amount of a partial validation, between 0 and the claim.",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_COMMENT, trim_whitespace=False
    )


class BulkApproveSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=MAX_BULK,
        help_text=f"The items to approve as claimed (at most {MAX_BULK:,}).",
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_COMMENT, trim_whitespace=False
    )


class ApprovedSerializer(serializers.Serializer):
    approved = serializers.IntegerField(help_text="How many items were validated.")


FILTERS = [
    OpenApiParameter("q", str, description="Text in the measure's code or title."),
    OpenApiParameter("portfolio", int, description="Only this portfolio's measures."),
    OpenApiParameter("program", int, description="Only this program's measures."),
    OpenApiParameter("function", int, description="Only measures of this function."),
    OpenApiParameter("period_from", str, description="First month, YYYY-MM."),
    OpenApiParameter("period_to", str, description="Last month, YYYY-MM."),
    OpenApiParameter("amount_min", str, description="Claimed at least (decimal)."),
    OpenApiParameter("amount_max", str, description="Claimed at most (decimal)."),
    OpenApiParameter(
        "sort", str, enum=list(SORT_LABELS), description="Order; oldest first by default."
    ),
]


def _flat(errors: dict[str, Any]) -> dict[str, Any]:
    """A list field's errors by item (``{"ids": {3: [...]}}``) as ``{"ids.3": [...]}``: the
    one error shape has a list of messages under each key."""
    flat: dict[str, Any] = {}
    for name, value in errors.items():
        if isinstance(value, dict):
            flat.update({f"{name}.{index}": messages for index, messages in value.items()})
        else:
            flat[name] = value
    return flat


class ValidationQueueViewSet(mixins.ListModelMixin, OrgScopedViewSet):
    """Claimed benefits awaiting the caller's validation."""

    queryset_model = FinancialEntry
    serializer_class = ValidationItemSerializer
    pagination_class = QueuePagination
    filter_backends: list[Any] = []
    # Whether the caller may validate an item is asked per item (403); it must be visible.
    ACTION_PERMISSIONS = {"decide": "view", "bulk_approve": "view"}
    queue_total: Callable[[], int] | None = None
    # JSON only: up to 1,000 ids as form fields would pass Django's limit on fields.
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return FinancialEntry.objects.unscoped().none()  # type: ignore[attr-defined]
        form = QueueFilterForm(
            self.request.query_params, user=self.request.user, organization=self.organization
        )
        if form.errors:
            raise ValidationError(form.errors)
        filters = form.filters()
        user, organization = self.request.user, self.organization
        self.queue_total = lambda: validation_queue_count(user, organization, filters)
        return validation_queue(user, organization, filters)

    @extend_schema(tags=TAGS, parameters=FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The queue, filtered and sorted like the page, with baseline and forecast."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(tags=TAGS, request=DecideSerializer, responses=ValidationItemSerializer)
    def decide(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A verdict on one item: validate, partial (amount and reason) or reject (reason).
        409 when it was decided meanwhile."""
        pk = int(self.kwargs["pk"])
        entry = validation_entry(request.user, self.organization, pk) if pk <= MAX_ID else None
        if entry is None:
            raise exceptions.NotFound()
        if not can(request.user, "validate", entry):
            raise exceptions.PermissionDenied("You may not validate this measure's benefit.")
        payload = DecideSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        validation_decide(
            entry=entry,
            decision=data["decision"],
            amount=data.get("amount"),
            reason=data.get("reason", ""),
            by=request.user,
        )
        decided = validation_entry(request.user, self.organization, pk)
        return Response(self.get_serializer(decided).data)

    @extend_schema(tags=TAGS, request=BulkApproveSerializer, responses=ApprovedSerializer)
    def bulk_approve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Approve many items as claimed, all or nothing; a 400 names every bad item as
        ``ids.<id>``."""
        payload = BulkApproveSerializer(data=request.data)
        if not payload.is_valid():
            raise exceptions.ValidationError(_flat(payload.errors))
        data = payload.validated_data
        approved = validations_bulk_approve(
            organization=self.organization,
            entry_ids=data["ids"],
            by=request.user,
            comment=data.get("comment", ""),
        )
        return Response({"approved": approved})


urlpatterns = [
    path(
        "validations/",
        ValidationQueueViewSet.as_view({"get": "list"}),
        name="validation-list",
    ),
    path(
        "validations/bulk-approve/",
        ValidationQueueViewSet.as_view({"post": "bulk_approve"}),
        name="validation-bulk-approve",
    ),
    path(
        "validations/<int:pk>/decide/",
        ValidationQueueViewSet.as_view({"post": "decide"}),
        name="validation-decide",
    ),
]
