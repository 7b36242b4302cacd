"""Approval requests over the API: list (filtered), read, submit, approve, reject, withdraw.

A request is visible to whoever may see its measure (anyone else gets 404). Deciding follows
the rules of ``approvals.services.requests``: a caller who is not an approver of the awaited
step, or would break segregation of duties, gets 403; a request that is no longer pending, or
whose action can no longer be carried out, 409.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from approvals.models import (
    KIND_CHOICES,
    ApprovalAction,
    ApprovalRequest,
    ApprovalStep,
    RequestState,
)
from approvals.selectors import request_rows, requests_awaiting
from approvals.services.requests import (
    MAX_TEXT,
    request_approve,
    request_reject,
    request_submit,
    request_withdraw,
)
from governance.api.base import OrgScopedViewSet
from governance.errors import ValidationError
from measures.models import Measure

TAGS = ["approvals"]
MAX_ID = 2**63 - 1


class ApprovalStepSerializer(serializers.ModelSerializer):
    role = serializers.CharField(
        read_only=True, help_text="The approving role when approver is role; else empty."
    )

    class Meta:
        model = ApprovalStep
        fields = [
            "id",
            "order",
            "approver",
            "role",
            "approvals_required",
            "sla_days",
            "due_at",
            "state",
            "decided_at",
        ]
        read_only_fields = fields


class ApprovalActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApprovalAction
        fields = ["id", "step", "actor", "decision", "comment", "created_at"]
        read_only_fields = fields


class ApprovalRequestSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=RequestState.choices, read_only=True)
    steps = ApprovalStepSerializer(many=True, read_only=True)
    actions = ApprovalActionSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "kind",
            "measure",
            "requested_by",
            "state",
            "proposed_change",
            "evidence",
            "amount",
            "previous",
            "decided_by",
            "decided_at",
            "decision_comment",
            "created_at",
            "updated_at",
            "steps",
            "actions",
        ]
        read_only_fields = fields


class SubmitSerializer(serializers.Serializer):
    measure = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    kind = serializers.ChoiceField(
        choices=KIND_CHOICES, help_text="A gate kind moves the measure once approved."
    )
    evidence = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False
    )
    amount = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="In the organization's currency; policies may add steps above an amount.",
    )
    previous = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="The rejected, withdrawn or expired request this one resubmits.",
    )


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_TEXT,
        help_text="Required to reject: the requester reads it.",
    )


class FilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=RequestState.choices, required=False)
    kind = serializers.ChoiceField(choices=KIND_CHOICES, required=False)
    mine = serializers.BooleanField(required=False, default=False)
    awaiting_me = serializers.BooleanField(required=False, default=False)


FILTERS = [
    OpenApiParameter("state", str, enum=RequestState.values),
    OpenApiParameter("kind", str, enum=[kind for kind, _ in KIND_CHOICES]),
    OpenApiParameter("mine", bool, description="Only requests the caller made."),
    OpenApiParameter(
        "awaiting_me", bool, description="Only requests with a step the caller may decide now."
    ),
]


class ApprovalRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Approval requests of the measures the caller may see."""

    queryset_model = ApprovalRequest
    serializer_class = ApprovalRequestSerializer
    filter_backends: list[Any] = []
    # Who may decide is the service's question (403 there); the request must be visible.
    ACTION_PERMISSIONS = {"approve": "view", "reject": "view", "withdraw": "view"}

    def get_queryset(self) -> QuerySet[Any]:
        return request_rows(super().get_queryset()).prefetch_related("actions")

    @extend_schema(tags=TAGS, parameters=FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Requests, filtered by state, kind, the caller's own, and those awaiting the caller."""
        query = FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        rows = self.get_queryset()
        if filters["awaiting_me"]:
            awaiting = requests_awaiting(request.user, self.organization)
            rows = rows.filter(pk__in=awaiting.values("pk"))
        if filters["mine"]:
            rows = rows.filter(requested_by_id=request.user.pk)
        for name in ("state", "kind"):
            if name in filters:
                rows = rows.filter(**{name: filters[name]})
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(tags=TAGS)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        request=SubmitSerializer,
        responses={status.HTTP_201_CREATED: ApprovalRequestSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Ask for an approval; a gate request (``gate:decided``, ``gate:closed``) moves the
        measure when its last step approves. 409 lists unmet gate criteria."""
        payload = SubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        measure = self.restricted(Measure.objects.all()).filter(pk=data["measure"]).first()
        if measure is None:
            raise ValidationError({"measure": ["Choose a measure you can see."]})
        previous = None
        if data.get("previous") is not None:
            previous = self.get_queryset().filter(pk=data["previous"]).first()
            if previous is None:
                raise ValidationError({"previous": ["Choose a request you can see."]})
        created = request_submit(
            measure=measure,
            kind=data["kind"],
            by=request.user,
            evidence=data.get("evidence", ""),
            amount=data.get("amount"),
            previous=previous,
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=created.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def _decide(self, request: Request, service: Any) -> Response:
        approval = self.get_object()
        payload = CommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        service(
            request=approval, by=request.user, comment=payload.validated_data.get("comment", "")
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=approval.pk)).data)

    @extend_schema(tags=TAGS, request=CommentSerializer, responses=ApprovalRequestSerializer)
    def approve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Approve the awaited step the caller may fill; the last one carries the action out."""
        return self._decide(request, request_approve)

    @extend_schema(tags=TAGS, request=CommentSerializer, responses=ApprovalRequestSerializer)
    def reject(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Reject, with the reason in ``comment``: the request goes back to the requester."""
        return self._decide(request, request_reject)

    @extend_schema(tags=TAGS, request=CommentSerializer, responses=ApprovalRequestSerializer)
    def withdraw(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The requester (or who may change the measure) takes the request back."""
        return self._decide(request, request_withdraw)

    def get_object(self) -> Any:
        pk = str(self.kwargs.get("pk", ""))
        if not pk.isdigit() or int(pk) > MAX_ID:
            raise exceptions.NotFound()
        return super().get_object()


urlpatterns = [
    path(
        "approvals/",
        ApprovalRequestViewSet.as_view({"get": "list", "post": "create"}),
        name="approval-list",
    ),
    path(
        "approvals/<int:pk>/",
        ApprovalRequestViewSet.as_view({"get": "retrieve"}),
        name="approval-detail",
    ),
    path(
        "approvals/<int:pk>/approve/",
        ApprovalRequestViewSet.as_view({"post": "approve"}),
        name="approval-approve",
    ),
    path(
        "approvals/<int:pk>/reject/",
        ApprovalRequestViewSet.as_view({"post": "reject"}),
        name="approval-reject",
    ),
    path(
        "approvals/<int:pk>/withdraw/",
        ApprovalRequestViewSet.as_view({"post": "withdraw"}),
        name="approval-withdraw",
    ),
]
