"""URLs of the delegation API; include them under any prefix, e.g. ``external-api/v1.0/``.

Routes: ``application/token/``, then ``<name>/`` and ``<name>/<lookup>/`` for every entry of
``APP_DELEGATION["RESOURCES"]`` (known when the URLconf is loaded; each resource's options are
read at request time).
"""

from django.urls import URLPattern, path

from .conf import delegation_settings
from .views import DelegationTokenView
from .viewsets import ACTIONS, ResourceViewSet

app_name = "app_delegation"

LIST_ACTIONS = {"get": "list", "post": "create"}
DETAIL_ACTIONS = {
    "get": "retrieve",
    "put": "update",
    "patch": "partial_update",
    "delete": "destroy",
}


def resource_urlpatterns(viewset: type[ResourceViewSet] = ResourceViewSet) -> list[URLPattern]:
    """Return the list and detail routes of every configured resource."""
    patterns = []
    for name, options in (delegation_settings.RESOURCES or {}).items():
        allowed = set(options.get("ACTIONS") or ACTIONS)
        for suffix, route, actions in (
            ("list", f"{name}/", LIST_ACTIONS),
            ("detail", f"{name}/<str:lookup>/", DETAIL_ACTIONS),
        ):
            routed = {method: action for method, action in actions.items() if action in allowed}
            if routed:
                view = viewset.as_view(routed, resource_name=name)
                patterns.append(path(route, view, name=f"{name}-{suffix}"))
    return patterns


urlpatterns = [
    path("application/token/", DelegationTokenView.as_view(), name="token"),
    *resource_urlpatterns(),
]
