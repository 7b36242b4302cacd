"""Approval policies over the API: every member reads them; org admins create, replace, edit and
delete them. Steps are nested: PUT replaces them all, PATCH replaces them when given.

A policy's ``ETag`` is its version, bumped by every edit; PUT, PATCH and DELETE take ``If-Match``
(a stale one answers 412). Editing a policy never changes a request under way.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from approvals.models import KIND_CHOICES, ApprovalPolicy, ApprovalPolicyStep, Approver
from approvals.services.policies import (
    MAX_APPROVALS,
    MAX_ORDER,
    MAX_SLA_DAYS,
    MAX_STEPS,
    policies_seed_defaults,
    policy_create,
    policy_delete,
    policy_update,
)
from governance.access import can
from governance.api.base import SAFE_METHODS, OrgScopedViewSet
from governance.api.versions import IF_MATCH, expected_version, with_etag
from governance.models import Role

TAGS = ["approval policies"]
MAX_ID = 2**63 - 1


class PolicyStepSerializer(serializers.ModelSerializer):
    role = serializers.CharField(
        read_only=True, help_text="The approving role when approver is role; else empty."
    )

    class Meta:
        model = ApprovalPolicyStep
        fields = [
            "id",
            "order",
            "approver",
            "role",
            "approvals_required",
            "amount_above",
            "sla_days",
        ]
        read_only_fields = fields


class PolicySerializer(serializers.ModelSerializer):
    steps = PolicyStepSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalPolicy
        fields = ["id", "kind", "name", "version", "created_at", "updated_at", "steps"]
        read_only_fields = fields


class StepWriteSerializer(serializers.Serializer):
    order = serializers.IntegerField(
        min_value=1, max_value=MAX_ORDER, help_text="Same order: in parallel."
    )
    approver = serializers.ChoiceField(choices=Approver.choices)
    role = serializers.ChoiceField(
        choices=Role.choices,
        required=False,
        allow_blank=True,
        help_text="Required when approver is role.",
    )
    approvals_required = serializers.IntegerField(
        min_value=1, max_value=MAX_APPROVALS, required=False, default=1
    )
    amount_above = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="The step applies only to requests above this amount.",
    )
    sla_days = serializers.IntegerField(min_value=1, max_value=MAX_SLA_DAYS)


class PolicyWriteSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="The kind's name if empty."
    )
    steps = StepWriteSerializer(many=True, help_text=f"1 to {MAX_STEPS} steps.")


class PolicyCreateSerializer(PolicyWriteSerializer):
    kind = serializers.ChoiceField(choices=KIND_CHOICES)


class ApprovalPolicyViewSet(OrgScopedViewSet):
    """The organization's approval policies and their steps."""

    queryset_model = ApprovalPolicy
    serializer_class = PolicySerializer
    filter_backends: list[Any] = []

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if getattr(self, "swagger_fake_view", False) or request.method in SAFE_METHODS:
            return
        if not can(request.user, "administer", self.organization):
            raise exceptions.PermissionDenied("Only an org admin edits approval policies.")

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().prefetch_related("steps").order_by("id")

    def policy(self) -> ApprovalPolicy:
        pk = str(self.kwargs.get("pk", ""))
        found = (
            self.get_queryset().filter(pk=int(pk)).first()
            if pk.isdigit() and int(pk) <= MAX_ID
            else None
        )
        if found is None:
            raise exceptions.NotFound()
        return found

    def _answer(self, policy: ApprovalPolicy, code: int = status.HTTP_200_OK) -> Response:
        policy = self.get_queryset().get(pk=policy.pk)
        return with_etag(Response(PolicySerializer(policy).data, status=code), policy.version)

    @extend_schema(tags=TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Every policy of the organization (the defaults included), with its steps."""
        policies_seed_defaults(self.organization)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PolicySerializer(page, many=True).data)

    @extend_schema(tags=TAGS, request=PolicyCreateSerializer, responses={201: PolicySerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create the policy of a kind that has none (org admins)."""
        payload = PolicyCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        policy = policy_create(
            organization=self.organization,
            by=request.user,
            kind=data["kind"],
            name=data.get("name", ""),
            steps=[dict(step) for step in data["steps"]],
        )
        return self._answer(policy, status.HTTP_201_CREATED)

    @extend_schema(tags=TAGS)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._answer(self.policy())

    @extend_schema(
        tags=TAGS, request=PolicyWriteSerializer, responses=PolicySerializer, parameters=[IF_MATCH]
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Rename the policy and replace its steps (PATCH: only what is given)."""
        policy = self.policy()
        partial = kwargs.get("partial", False)
        payload = PolicyWriteSerializer(data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        steps = data.get("steps")
        policy = policy_update(
            policy=policy,
            by=request.user,
            name=data.get("name", None if partial else ""),
            steps=[dict(step) for step in steps] if steps is not None else None,
            expected_version=expected_version(request),
        )
        return self._answer(policy)

    @extend_schema(
        tags=TAGS, request=PolicyWriteSerializer, responses=PolicySerializer, parameters=[IF_MATCH]
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(tags=TAGS, responses={204: None}, parameters=[IF_MATCH])
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Delete the policy; requests under way keep their steps."""
        policy_delete(
            policy=self.policy(), by=request.user, expected_version=expected_version(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path(
        "approval-policies/",
        ApprovalPolicyViewSet.as_view({"get": "list", "post": "create"}),
        name="approval-policy-list",
    ),
    path(
        "approval-policies/<int:pk>/",
        ApprovalPolicyViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
        ),
        name="approval-policy-detail",
    ),
]
