from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Field, Model, QuerySet
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request


class StablePagination(CursorPagination):
    """Cursor pagination: pages stay stable while rows are added or changed between requests."""

    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    model: type[Model] | None = None

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        # DRF checks a cursor's offset but filters on its position as it comes; a position that
        # is not a value of the ordering field (``p=abc`` for ``id``, a NUL byte) was a 500.
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            self._require_position(cursor.position)
        return cursor

    def _require_position(self, position: Any) -> None:
        position = str(position)
        if "\x00" in position:
            raise NotFound(self.invalid_cursor_message)
        if self.model is None:
            return
        field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
        if not isinstance(field, Field):
            return
        try:
            field.get_prep_value(field.to_python(position))
        except (TypeError, ValueError, ValidationError):
            raise NotFound(self.invalid_cursor_message) from None
