"""URLs of the delegation API; include them under any prefix, e.g. ``external-api/v1.0/``.

Routes: ``application/token/`` (served by ``TOKEN_VIEW_CLASS``), then ``<name>/`` and
``<name>/<id>/`` for every entry of ``APP_DELEGATION["RESOURCES"]``, built when the URLconf is
loaded from ``TOKEN_VIEW_CLASS`` and the options that shape routes (``ACTIONS``,
``LOOKUP_FIELD``); the other options are read at request time.
"""

import re
from typing import cast

from django.urls import URLPattern, path

from .conf import delegation_settings
from .resources import Resource
from .viewsets import ResourceViewSet

app_name = "app_delegation"

LIST_ACTIONS: dict[str, str] = {"get": "list", "post": "create"}
DETAIL_ACTIONS: dict[str, str] = {
    "get": "retrieve",
    "put": "update",
    "patch": "partial_update",
    "delete": "destroy",
}


def resource_urlpatterns(viewset: type[ResourceViewSet] = ResourceViewSet) -> list[URLPattern]:
    """Return the list and detail routes of every configured resource.

    Each resource is served by its own subclass of ``viewset`` (``RoomsViewSet`` for ``rooms``)
    that routes only the methods of the resource's ``ACTIONS``, so that DRF answers 405, with
    the right ``Allow`` header, for the others. A route with no allowed action is left out.
    """
    patterns = []
    for name in delegation_settings.RESOURCES or {}:
        resource = Resource.get(name)
        # A subclass of ``viewset``, which the three-argument ``type()`` cannot say.
        resource_viewset = cast(
            "type[ResourceViewSet]",
            type(
                re.sub(r"[^0-9A-Za-z]", "", name.title()) + "ViewSet",
                (viewset,),
                {
                    "resource_name": name,
                    "lookup_field": resource.lookup_field,
                    "lookup_url_kwarg": resource.lookup_url_kwarg,
                },
            ),
        )
        routes = [
            (f"{name}/", LIST_ACTIONS, f"{name}-list"),
            (f"{name}/<{resource.lookup_url_kwarg}>/", DETAIL_ACTIONS, f"{name}-detail"),
        ]
        for route, actions, route_name in routes:
            if set(actions.values()) & set(resource.actions):
                patterns.append(path(route, resource_viewset.as_view(actions), name=route_name))
    return patterns


urlpatterns = [
    path("application/token/", delegation_settings.TOKEN_VIEW_CLASS.as_view(), name="token"),
    *resource_urlpatterns(),
]
