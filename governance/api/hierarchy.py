"""CRUD endpoints for every hierarchy level, built from one viewset and one serializer shape.

``DELETE`` archives (the node and its subtree stay in history); ``POST …/restore/`` undoes it;
``POST …/move/`` re-parents. Writes honour ``If-Match`` with the ``ETag`` of the read
(``"<version>"``): a stale one answers 412.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.access import can, can_add
from governance.api.base import OrgScopedViewSet
from governance.api.versions import IF_MATCH, check_expected, expected_version, with_etag
from governance.models import HierarchyNode, Membership
from governance.models.hierarchy import model_for_level
from governance.services.hierarchy import (
    COMMON_FIELDS,
    node_archive,
    node_create,
    node_move,
    node_restore,
    node_update,
)

User = get_user_model()


@extend_schema_field(OpenApiTypes.INT)
class MemberField(serializers.PrimaryKeyRelatedField):
    """A user id that must be a member of the request's organization."""

    def get_queryset(self) -> QuerySet[Any]:
        organization = self.context.get("organization")
        if organization is None:
            return User.objects.none()
        return User.objects.filter(
            pk__in=Membership.objects.for_org(organization).values("user_id")
        )


class ScopedNodeField(serializers.PrimaryKeyRelatedField):
    """A node id of a level, among the nodes the user can see; others 'do not exist'."""

    def __init__(self, *, level: str, **kwargs: Any) -> None:
        self.level = level
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        viewset = self.context.get("viewset")
        if viewset is None:
            return model_for_level(self.level).objects.none()
        return viewset.restricted(model_for_level(self.level).objects.all())


class ScopedTenantField(serializers.PrimaryKeyRelatedField):
    """A foreign key to a tenant row (function, business unit …) of the request's organization."""

    def __init__(self, *, model: Any, **kwargs: Any) -> None:
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        organization = self.context.get("organization")
        if organization is None:
            return self.model.objects.none()
        return self.model.objects.for_org(organization)


class NodeSerializer(serializers.ModelSerializer):
    owner = MemberField(required=False, allow_null=True)
    sponsor = MemberField(required=False, allow_null=True)
    # Rules across fields (dates in order, unique codes, who may set financial fields) live in
    # the services, not here.

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not can(request.user, "view_financials", instance):
            for name in instance.FINANCIAL_FIELDS:
                data.pop(name, None)
        return data


def node_serializer_class(model: type[HierarchyNode]) -> type[NodeSerializer]:
    parent_level = model.parent_level()
    ancestors = model.ancestor_levels()
    extra = tuple(getattr(model, "EXTRA_FIELDS", ()))
    attrs: dict[str, Any] = {}
    for level in ancestors:
        if level == parent_level:
            # Writable on create only; moving is its own endpoint.
            attrs[level] = ScopedNodeField(level=level)
        else:
            attrs[level] = serializers.PrimaryKeyRelatedField(read_only=True)
    for name in extra:
        related = model._meta.get_field(name).related_model
        if related is None:
            continue  # a plain column: the ModelSerializer's own field
        if related is User:
            attrs[name] = MemberField(required=False, allow_null=True)
        else:
            attrs[name] = ScopedTenantField(model=related, required=False, allow_null=True)
    for name in model.FINANCIAL_FIELDS:
        attrs[name] = serializers.DecimalField(
            max_digits=16,
            decimal_places=2,
            required=False,
            allow_null=True,
            help_text=f"{getattr(model._meta.get_field(name), 'help_text', '')} Present only "
            "for roles that may see financials; only they may set it.",
        )
    fields = [
        "id",
        *ancestors,
        *COMMON_FIELDS,
        *model.FINANCIAL_FIELDS,
        *extra,
        "archived_at",
        "version",
        "created_at",
        "updated_at",
    ]
    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": fields,
            "read_only_fields": ["archived_at", "version", "created_at", "updated_at"],
            "extra_kwargs": {"code": {"validators": []}},
        },
    )
    attrs["Meta"] = meta
    return type(f"{model.__name__}Serializer", (NodeSerializer,), attrs)


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number (``1.5`` or ``1e5`` is a 400, not a silent match)."""

    field_class = forms.IntegerField


def node_filterset_class(model: type[HierarchyNode]) -> type[django_filters.FilterSet]:
    attrs: dict[str, Any] = {
        level: IdFilter(field_name=f"{level}_id") for level in model.ancestor_levels()
    }
    attrs["owner"] = IdFilter(field_name="owner_id")
    attrs["code"] = django_filters.CharFilter(field_name="code", lookup_expr="iexact")
    attrs["q"] = django_filters.CharFilter(method="search", label="Code or title contains")
    attrs["archived"] = django_filters.BooleanFilter(
        field_name="archived_at", lookup_expr="isnull", exclude=True
    )
    attrs["end_before"] = django_filters.DateFilter(field_name="end_date", lookup_expr="lte")
    attrs["end_after"] = django_filters.DateFilter(field_name="end_date", lookup_expr="gte")

    def search(self: Any, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(Q(code__icontains=value) | Q(title__icontains=value))

    attrs["search"] = search
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": []})
    return type(f"{model.__name__}FilterSet", (django_filters.FilterSet,), attrs)


class MoveSerializer(serializers.Serializer):
    parent = serializers.IntegerField(  # type: ignore[assignment]
        help_text="Id of the new parent node (the level above)."
    )


class NodeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    OrgScopedViewSet,
):
    # Cursor pages need a non-null ordering value: dates are filters (end_before, end_after),
    # not orderings.
    ordering_fields = ["id", "code", "title", "updated_at"]
    ACTION_PERMISSIONS = {"restore": "archive", "move": "move"}

    def _expected_version(self, request: Request) -> int | None:
        return expected_version(request)

    def _with_etag(self, response: Response, node: HierarchyNode) -> Response:
        return with_etag(response, node.version)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        node = self.get_object()
        return self._with_etag(Response(self.get_serializer(node).data), node)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not can_add(request.user, self.queryset_model, self.organization):
            raise exceptions.PermissionDenied("Your role does not allow this here.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        parent_level = self.queryset_model.parent_level()
        parent = data.pop(parent_level) if parent_level else None
        node = node_create(
            model=self.queryset_model,
            organization=self.organization,
            by=request.user,
            parent=parent,
            **data,
        )
        self.confirm(node)
        node = self.get_queryset().get(pk=node.pk)
        response = Response(self.get_serializer(node).data, status=status.HTTP_201_CREATED)
        return self._with_etag(response, node)

    @extend_schema(parameters=[IF_MATCH])
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        node = self.get_object()
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(node, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        parent_level = self.queryset_model.parent_level()
        new_parent = data.pop(parent_level, None) if parent_level else None
        if new_parent is not None and new_parent.pk != getattr(node, f"{parent_level}_id"):
            raise serializers.ValidationError(
                {parent_level: ["Use the move endpoint to change the parent."]}
            )
        node = node_update(
            node=node, by=request.user, expected_version=self._expected_version(request), **data
        )
        self.confirm(node)
        node = self.get_queryset().get(pk=node.pk)
        return self._with_etag(Response(self.get_serializer(node).data), node)

    @extend_schema(parameters=[IF_MATCH], responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Archive the node and its subtree."""
        node = self.get_object()
        check_expected(request, node.version)
        node_archive(node=node, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Bring back an archived node and what was archived with it."""
        node = node_restore(node=self.get_object(), by=request.user)
        return self._with_etag(Response(self.get_serializer(node).data), node)

    @extend_schema(request=MoveSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def move(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Move the node (and everything under it) under another parent."""
        node = self.get_object()
        parent_level = self.queryset_model.parent_level()
        if parent_level is None:
            raise serializers.ValidationError(
                {"parent": ["Portfolios sit directly under the organization."]}
            )
        payload = MoveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        parent = (
            self.restricted(model_for_level(parent_level).objects.all())
            .filter(pk=payload.validated_data["parent"])
            .first()
        )
        if parent is None:
            raise serializers.ValidationError({"parent": [f"The {parent_level} does not exist."]})
        node = node_move(
            node=node,
            new_parent=parent,
            by=request.user,
            expected_version=self._expected_version(request),
        )
        self.confirm(node)
        node = self.get_queryset().get(pk=node.pk)
        return self._with_etag(Response(self.get_serializer(node).data), node)


def node_viewset_class(model: type[HierarchyNode]) -> type[NodeViewSet]:
    name = model._meta.verbose_name_plural
    viewset = type(
        f"{model.__name__}ViewSet",
        (NodeViewSet,),
        {
            "queryset_model": model,
            "serializer_class": node_serializer_class(model),
            "filterset_class": node_filterset_class(model),
            "__doc__": f"{str(name).capitalize()} of the organization.",
        },
    )
    return extend_schema_view(
        list=extend_schema(tags=[str(name)]),
        retrieve=extend_schema(tags=[str(name)]),
        create=extend_schema(tags=[str(name)]),
        update=extend_schema(tags=[str(name)]),
        partial_update=extend_schema(tags=[str(name)], parameters=[IF_MATCH]),
        destroy=extend_schema(tags=[str(name)]),
        restore=extend_schema(tags=[str(name)]),
        # Portfolios have no parent to move under: their move answers 400 and is not documented.
        move=extend_schema(tags=[str(name)], exclude=model.parent_level() is None),
    )(viewset)
