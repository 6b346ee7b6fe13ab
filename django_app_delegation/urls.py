"""URLs of the delegation API; include them under any prefix, e.g. ``external-api/v1.0/``.

Routes: ``application/token/`` (served by ``TOKEN_VIEW_CLASS``), ``application/revoke/``
(RFC 7009), ``application/revoke-user/`` (every token of one user) and
``application/introspect/`` (RFC 7662), then ``<name>/`` and
``<name>/<id>/`` for every entry of ``APP_DELEGATION["RESOURCES"]``, built when the URLconf is
loaded from ``TOKEN_VIEW_CLASS`` and the options that shape routes (``ACTIONS``,
``LOOKUP_FIELD``); the other options are read at request time.
"""

import re
from typing import cast

from django.urls import URLPattern, path

from .conf import delegation_settings
from .extra_actions import make_handler
from .oauth_views import IntrospectionView, RevocationView, UserRevocationView
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
        extra_actions = resource.extra_actions
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
                    **{action: make_handler(action) for action in extra_actions},
                },
            ),
        )
        detail = f"{name}/<{resource.lookup_url_kwarg}>/"
        routes = [
            (f"{name}/", LIST_ACTIONS, f"{name}-list"),
            (detail, DETAIL_ACTIONS, f"{name}-detail"),
        ]
        # Extra actions before the detail route, so that a list action's path is not read as
        # an identifier.
        for action_name, action in extra_actions.items():
            route = f"{detail if action.detail else f'{name}/'}{action.url_path}/"
            methods = dict.fromkeys(action.methods, action_name)
            routes.insert(1, (route, methods, f"{name}-{action.url_path}"))
        for route, actions, route_name in routes:
            if set(actions.values()) & set(resource.routable_actions):
                patterns.append(path(route, resource_viewset.as_view(actions), name=route_name))
    return patterns


urlpatterns = [
    path("application/token/", delegation_settings.TOKEN_VIEW_CLASS.as_view(), name="token"),
    path("application/revoke/", RevocationView.as_view(), name="revoke"),
    path("application/revoke-user/", UserRevocationView.as_view(), name="revoke_user"),
    path("application/introspect/", IntrospectionView.as_view(), name="introspect"),
    *resource_urlpatterns(),
]
