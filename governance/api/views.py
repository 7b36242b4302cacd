from __future__ import annotations

from typing import Any

from rest_framework import serializers, viewsets
from rest_framework.pagination import PageNumberPagination

from governance.models import ApiToken, Organization
from governance.selectors import organizations_of


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "slug", "name", "currency", "fiscal_year_start_month"]


class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """The organizations the caller belongs to (a token sees only its own)."""

    serializer_class = OrganizationSerializer
    pagination_class = PageNumberPagination

    def get_queryset(self) -> Any:
        queryset = organizations_of(self.request.user)
        if isinstance(self.request.auth, ApiToken):
            queryset = queryset.filter(pk=self.request.auth.organization_id)
        return queryset
