from rest_framework.pagination import CursorPagination


class StablePagination(CursorPagination):
    """Cursor pagination: pages stay stable while rows are added or changed between requests."""

    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
