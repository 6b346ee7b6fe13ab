"""List filters of a resource, declared in settings with django-filter (extra ``filters``)::

    "RESOURCES": {
        "rooms": {
            ...
            "FILTERSET_FIELDS": ["slug", "access_level"],  # ?slug=...&access_level=...
            # or {"name": ["exact", "icontains"]}, or "FILTERSET_CLASS": "rooms.filters.RoomFilter"
        },
    }

They narrow the ``list`` action only, after ``GET_QUERYSET`` and ``OBJECT_VISIBILITY``, so a
filter never reaches an object the list would not show; an invalid value answers 400 with field
errors. drf-spectacular documents them as query parameters of the list operation. A resource
without filters keeps ``REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from rest_framework.request import Request
from rest_framework.settings import api_settings

try:
    from django_filters.rest_framework import DjangoFilterBackend
except ImportError:  # pragma: no cover - depends on the installed extras
    DjangoFilterBackend = None

if TYPE_CHECKING:
    from rest_framework.filters import BaseFilterBackend

    from .resources import Resource


def django_filter_installed() -> bool:
    return DjangoFilterBackend is not None


if DjangoFilterBackend is not None:
    # django-filter ships no type hints: its backend is Any to mypy, a base it cannot check.
    class ResourceFilterBackend(DjangoFilterBackend):  # type: ignore[misc]
        """django-filter's backend, for the ``list`` action of a resource only."""

        def filter_queryset(
            self, request: Request, queryset: models.QuerySet[Any], view: Any
        ) -> models.QuerySet[Any]:
            if getattr(view, "action", None) != "list":
                return queryset
            filtered: models.QuerySet[Any] = super().filter_queryset(request, queryset, view)
            return filtered


def resource_filter_backends(resource: Resource) -> list[type[BaseFilterBackend]]:
    """The filter backends of ``resource``'s viewset, read at request time."""
    if not resource.has_filters:
        # The stubs type DRF's import-string settings as strings; these hold classes.
        return list(api_settings.DEFAULT_FILTER_BACKENDS)  # type: ignore[arg-type]
    if DjangoFilterBackend is None:
        raise ImproperlyConfigured(
            f"Resource {resource.name!r} declares filters, which need django-filter: "
            'pip install "django-app-delegation[filters]".'
        )
    return [ResourceFilterBackend]


class ResourceFiltersMixin:
    """``filterset_fields`` and ``filterset_class`` (read by django-filter's backend) from the
    resource's options, at request time (``ResourceViewSet`` mixes it in)."""

    if TYPE_CHECKING:

        @property
        def resource(self) -> Resource: ...

    @property
    def filterset_fields(self) -> Any:
        return self.resource.options.get("FILTERSET_FIELDS") or None

    @property
    def filterset_class(self) -> Any:
        if not self.resource.options.get("FILTERSET_CLASS"):
            return None
        return self.resource.load("FILTERSET_CLASS")
