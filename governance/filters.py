"""Filters of the decision log, shared by its page and its API (one definition of each filter)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from governance.models import DecisionKind, DecisionRecord, Venue

MAX_ID = 2**63 - 1


class DecisionFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=DecisionKind.choices, label="Decision")
    venue = django_filters.ChoiceFilter(choices=Venue.choices, label="Where")
    measure = django_filters.NumberFilter(
        field_name="measure_id", min_value=1, max_value=MAX_ID, label="Measure id"
    )
    decided_by = django_filters.NumberFilter(
        field_name="decided_by_id", min_value=1, max_value=MAX_ID, label="Decided by (user id)"
    )
    since = django_filters.DateFilter(
        field_name="decided_at", lookup_expr="date__gte", label="From"
    )
    until = django_filters.DateFilter(field_name="decided_at", lookup_expr="date__lte", label="To")
    q = django_filters.CharFilter(method="search", max_length=200, label="Search")

    class Meta:
        model = DecisionRecord
        fields: list[str] = []

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        text = value.replace("\x00", "").strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(summary__icontains=text)
            | Q(rationale__icontains=text)
            | Q(subject_repr__icontains=text)
        )
