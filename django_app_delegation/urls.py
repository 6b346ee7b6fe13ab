"""URLs of the delegation API; include them under any prefix, e.g. ``external-api/v1.0/``.

Routes: ``application/token/``, then ``<name>/`` and ``<name>/<id>/`` for every entry of
``APP_DELEGATION["RESOURCES"]`` (known when the URLconf is loaded; each resource's options,
including its allowed actions, are read at request time).
"""

from typing import Any

from django.urls import URLPattern, path

from .conf import delegation_settings
from .views import DelegationTokenView
from .viewsets import ResourceViewSet, lookup_url_kwarg

app_name = "app_delegation"

LIST_ACTIONS: dict[str, Any] = {"get": "list", "post": "create"}
DETAIL_ACTIONS: dict[str, Any] = {
    "get": "retrieve",
    "put": "update",
    "patch": "partial_update",
    "delete": "destroy",
}


def resource_urlpatterns(viewset: type[ResourceViewSet] = ResourceViewSet) -> list[URLPattern]:
    """Return the list and detail routes of every configured resource."""
    patterns = []
    for name, options in (delegation_settings.RESOURCES or {}).items():
        kwarg = lookup_url_kwarg(options.get("LOOKUP_FIELD") or "pk")
        patterns += [
            path(
                f"{name}/",
                viewset.as_view(LIST_ACTIONS, resource_name=name),
                name=f"{name}-list",
            ),
            path(
                f"{name}/<{kwarg}>/",
                viewset.as_view(DETAIL_ACTIONS, resource_name=name),
                name=f"{name}-detail",
            ),
        ]
    return patterns


urlpatterns = [
    path("application/token/", DelegationTokenView.as_view(), name="token"),
    *resource_urlpatterns(),
]
