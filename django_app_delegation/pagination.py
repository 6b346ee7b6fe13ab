"""Pagination of resource lists: ``?page=N`` and ``?page_size=M`` (bounded), sized by settings.

Both parameters are positive integers: anything else answers 400 naming the parameter, as the
OpenAPI document says; a page past the last one answers 404.
"""

import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from .conf import delegation_settings

POSITIVE_INTEGER = re.compile(r"[0-9]+")
#: Where example links of the paginated response point when the path is not known.
EXAMPLE_BASE_URL = "https://api.example.org"


class ResourcePagination(PageNumberPagination):
    """``PageNumberPagination`` whose sizes come from ``APP_DELEGATION`` at request time."""

    page_size_query_param = "page_size"
    # Only numbers: the documented parameter is an integer.
    last_page_strings = ()
    invalid_number_message = _("A positive integer is required.")
    #: Set by the OpenAPI generator to the list's path, for the example links.
    example_path = "/items/"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page_size = delegation_settings.RESOURCE_PAGE_SIZE
        self.max_page_size = delegation_settings.RESOURCE_MAX_PAGE_SIZE

    def positive_integer(self, request: Any, name: str) -> int | None:
        """The query parameter ``name`` as a positive integer, None when absent; else a 400."""
        value = request.query_params.get(name)
        if value is None:
            return None
        number = int(value) if POSITIVE_INTEGER.fullmatch(value) else 0
        if number < 1:
            raise ValidationError({name: [self.invalid_number_message]})
        return number

    def get_page_size(self, request: Any) -> int | None:
        size = self.positive_integer(request, self.page_size_query_param)
        if size is None:
            return self.page_size
        return min(size, self.max_page_size) if self.max_page_size else size

    def get_page_number(self, request: Any, paginator: Any) -> Any:
        return self.positive_integer(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        size = f"Number of results per page (default {self.page_size})."
        if self.max_page_size:
            size = size[:-2] + f", at most {self.max_page_size}: larger values are capped)."
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1. A page past the last one answers 404.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": size,
                "schema": {"type": "integer", "minimum": 1},
            },
        ]

    def get_paginated_response_schema(self, schema: Any) -> dict[str, Any]:
        url = EXAMPLE_BASE_URL + self.example_path
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": "Number of results on every page.",
                    "example": 45,
                },
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "Link to the next page; null on the last one.",
                    "example": f"{url}?{self.page_query_param}=3",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "Link to the previous page; null on the first one.",
                    "example": url,
                },
                "results": schema,
            },
        }
