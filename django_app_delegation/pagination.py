"""Pagination of resource lists: ``?page=N`` and ``?page_size=M`` (bounded), sized by settings."""

from typing import Any

from rest_framework.pagination import PageNumberPagination

from .conf import delegation_settings


class ResourcePagination(PageNumberPagination):
    """``PageNumberPagination`` whose sizes come from ``APP_DELEGATION`` at request time."""

    page_size_query_param = "page_size"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page_size = delegation_settings.RESOURCE_PAGE_SIZE
        self.max_page_size = delegation_settings.RESOURCE_MAX_PAGE_SIZE
