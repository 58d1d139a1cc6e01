from rest_framework.pagination import PageNumberPagination


class PageSizePagination(PageNumberPagination):
    """DRF's page-number pagination with ?page_size= up to 500 (the API contract)."""

    page_size_query_param = "page_size"
    max_page_size = 500
