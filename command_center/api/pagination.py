from rest_framework.pagination import CursorPagination, PageNumberPagination


class CursorPage(CursorPagination):
    """Default for long lists: no COUNT(*) of the whole table per page."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"


class CountedPage(PageNumberPagination):
    """For short reference lists (grids, compounds, categories) where a total count is cheap and useful."""

    page_size = 200
    page_size_query_param = "page_size"
    max_page_size = 1000
