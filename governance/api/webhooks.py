"""Webhooks over the API: endpoints (CRUD), their delivery log, a test ping and redelivery.

Only who administers the organization reaches these: any other member gets 403, a non-member
or another organization's webhook 404. An endpoint's ``ETag`` is its version; ``If-Match``
guards PUT, PATCH and DELETE. The signing secret is in the answer to the create only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from governance.access import can
from governance.api.base import OrgScopedViewSet
from governance.api.pagination import StablePagination
from governance.api.versions import IF_MATCH, expected_version, with_etag
from governance.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from governance.webhooks.network import MAX_URL
from governance.webhooks.registry import events
from governance.webhooks.selectors import deliveries_of, endpoints_administered
from governance.webhooks.services import (
    MAX_DESCRIPTION,
    delivery_redeliver,
    endpoint_create,
    endpoint_delete,
    endpoint_ping,
    endpoint_update,
)

TAGS = ["webhooks"]
MAX_ID = 2**63 - 1


class WebhookSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "is_active",
            "version",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {"events": {"help_text": "The event names the endpoint receives."}}

    events = serializers.ListField(child=serializers.CharField(), read_only=True)


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret: shown in this answer only. Keep it to check signatures.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class NameListField(serializers.ListField):
    """A list of strings whose item errors come as one flat list (the API's error shape)."""

    def run_child_validation(self, data: Any) -> Any:
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as error:
            detail = error.detail
            items = detail.items() if isinstance(detail, dict) else enumerate([detail])
            raise serializers.ValidationError(
                [
                    f"Item {index}: {message}"
                    for index, messages in items
                    for message in (messages if isinstance(messages, list) else [messages])
                ]
            ) from None


class WebhookWriteSerializer(serializers.Serializer):
    """Types only: the URL's and the events' rules are the service's."""

    url = serializers.CharField(
        max_length=MAX_URL, help_text="http:// or https://; public addresses only by default."
    )
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_DESCRIPTION
    )
    events = NameListField(
        child=serializers.CharField(max_length=100),
        max_length=50,
        help_text="Event names, e.g. " + ", ".join(events()) + ".",
    )
    is_active = serializers.BooleanField(required=False, default=True)


class DeliverySerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=DeliveryState.choices, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event",
            "event_id",
            "payload",
            "state",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "response_excerpt",
            "redelivery_of",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


class DeliveryFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=DeliveryState.choices, required=False)


class NewestFirst(StablePagination):
    ordering = "-id"


class WebhookAdminViewSet(OrgScopedViewSet):
    """Every webhook operation: for who administers the organization only (403 otherwise)."""

    queryset_model = WebhookEndpoint
    filter_backends: list[Any] = []

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if getattr(self, "swagger_fake_view", False):
            return
        if not can(request.user, "administer", self.organization):
            raise exceptions.PermissionDenied("Only organization administrators manage webhooks.")

    def endpoints(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.unscoped().none()  # type: ignore[attr-defined]
        return endpoints_administered(self.request.user, self.organization)

    def endpoint(self) -> WebhookEndpoint:
        pk = str(self.kwargs.get("pk", ""))
        found = None
        if pk.isdigit() and int(pk) <= MAX_ID:
            found = self.endpoints().filter(pk=pk).first()
        if found is None:
            raise exceptions.NotFound()
        return found


class WebhookViewSet(mixins.ListModelMixin, WebhookAdminViewSet):
    """The organization's webhook endpoints."""

    serializer_class = WebhookSerializer
    pagination_class = NewestFirst

    def get_queryset(self) -> QuerySet[Any]:
        return self.endpoints()

    @extend_schema(tags=TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The organization's webhook endpoints, newest first."""
        return super().list(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS, request=WebhookWriteSerializer, responses={201: WebhookCreatedSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Register an endpoint. The answer carries its signing secret, this once."""
        payload = WebhookWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint, secret = endpoint_create(
            organization=self.organization, by=request.user, **payload.validated_data
        )
        endpoint.secret = secret
        response = Response(WebhookCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)
        return with_etag(response, endpoint.version)

    @extend_schema(tags=TAGS, responses=WebhookSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint = self.endpoint()
        return with_etag(Response(WebhookSerializer(endpoint).data), endpoint.version)

    @extend_schema(
        tags=TAGS,
        request=WebhookWriteSerializer,
        responses=WebhookSerializer,
        parameters=[IF_MATCH],
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change the endpoint (PATCH: only the fields given). The secret stays."""
        endpoint = self.endpoint()
        payload = WebhookWriteSerializer(data=request.data, partial=kwargs.get("partial", False))
        payload.is_valid(raise_exception=True)
        endpoint = endpoint_update(
            endpoint=endpoint,
            by=request.user,
            expected_version=expected_version(request),
            **payload.validated_data,
        )
        return with_etag(Response(WebhookSerializer(endpoint).data), endpoint.version)

    @extend_schema(
        tags=TAGS,
        request=WebhookWriteSerializer,
        responses=WebhookSerializer,
        parameters=[IF_MATCH],
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(tags=TAGS, responses={204: None}, parameters=[IF_MATCH])
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Remove the endpoint and its delivery log."""
        endpoint = self.endpoint()
        endpoint_delete(
            endpoint=endpoint, by=request.user, expected_version=expected_version(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(tags=TAGS, request=None, responses={202: DeliverySerializer})
    def ping(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Send a ``ping`` event to the endpoint now; follow it in the delivery log."""
        delivery = endpoint_ping(endpoint=self.endpoint(), by=request.user)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class DeliveryViewSet(WebhookAdminViewSet):
    """The delivery log of one endpoint."""

    serializer_class = DeliverySerializer
    pagination_class = NewestFirst

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.unscoped().none()  # type: ignore[attr-defined]
        return deliveries_of(self.endpoint())

    @extend_schema(
        tags=TAGS,
        parameters=[OpenApiParameter("state", str, enum=DeliveryState.values)],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The endpoint's deliveries, newest first, optionally of one state."""
        query = DeliveryFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = deliveries_of(self.endpoint(), state=query.validated_data.get("state", ""))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(tags=TAGS, request=None, responses={202: DeliverySerializer})
    def redeliver(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Send a delivered or failed delivery's event again, as a new delivery (409 while the
        delivery is still being tried)."""
        pk = str(self.kwargs.get("delivery_pk", ""))
        rows = deliveries_of(self.endpoint()).select_related("endpoint")
        delivery = rows.filter(pk=pk).first() if pk.isdigit() and int(pk) <= MAX_ID else None
        if delivery is None:
            raise exceptions.NotFound()
        again = delivery_redeliver(delivery=delivery, by=request.user)
        return Response(DeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)


urlpatterns = [
    path(
        "webhooks/",
        WebhookViewSet.as_view({"get": "list", "post": "create"}),
        name="webhook-list",
    ),
    path(
        "webhooks/<int:pk>/",
        WebhookViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
        ),
        name="webhook-detail",
    ),
    path(
        "webhooks/<int:pk>/ping/",
        WebhookViewSet.as_view({"post": "ping"}),
        name="webhook-ping",
    ),
    path(
        "webhooks/<int:pk>/deliveries/",
        DeliveryViewSet.as_view({"get": "list"}),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        DeliveryViewSet.as_view({"post": "redeliver"}),
        name="webhook-redeliver",
    ),
]
