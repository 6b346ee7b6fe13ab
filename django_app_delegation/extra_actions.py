"""Extra actions of a resource, declared in settings: ``RESOURCES[name]["EXTRA_ACTIONS"]``.

Each entry maps an action name (a Python identifier) to its options::

    "EXTRA_ACTIONS": {
        "grant_access": {
            "DETAIL": True,                     # rooms/<id>/grant-access/; False: rooms/<path>/
            "METHODS": ["post"],                # default ["get"]
            "URL_PATH": "grant-access",         # default: the name with "-" for "_"
            "SCOPE": "rooms:grant-access",      # default "<resource>:<URL_PATH>"
            "HOOK": "rooms.delegation.grant_access",
            "REQUEST_SERIALIZER_CLASS": "rooms.serializers.GrantAccessSerializer",
            "RESPONSE_SERIALIZER_CLASS": "rooms.serializers.RoomAccessSerializer",
            "STATUS": 200,                      # of a response with a body
            "SUMMARY": "Give a user a role on a room",
            "OPERATION_ID": "grantRoomAccess",  # OpenAPI; default <name in camelCase><Model>
        },
    },

They are routed with the resource (when the URLconf is built), authenticated, permission-checked
(the scope, the resource's ``PERMISSION_CLASSES`` and, for detail actions, their object
permissions) and documented in OpenAPI like the built-in actions. The hook's contract is
:data:`ExtraActionHook`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from django.db import models, transaction
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from . import audit
from .conf import import_from_setting, setting_name

if TYPE_CHECKING:
    from rest_framework.serializers import BaseSerializer

    from .resources import Resource
    from .viewsets import ResourceViewSet

#: Returns the object the response serializer renders, None (no body), or a ``Response``.
ExtraActionHook: TypeAlias = Callable[..., Any]

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
EXTRA_ACTION_OPTIONS = frozenset(
    {
        "DETAIL",
        "METHODS",
        "URL_PATH",
        "SCOPE",
        "HOOK",
        "REQUEST_SERIALIZER_CLASS",
        "RESPONSE_SERIALIZER_CLASS",
        "STATUS",
        "SUMMARY",
        "OPERATION_ID",
    }
)
#: Options holding a dotted path or the object itself.
EXTRA_ACTION_IMPORT_OPTIONS = ("HOOK", "REQUEST_SERIALIZER_CLASS", "RESPONSE_SERIALIZER_CLASS")


@dataclass(frozen=True)
class ExtraAction:
    """One entry of a resource's ``EXTRA_ACTIONS``, with its options resolved on use."""

    name: str
    resource_name: str
    options: dict[str, Any]

    def _setting(self, option: str) -> str:
        return setting_name("RESOURCES", self.resource_name, "EXTRA_ACTIONS", self.name, option)

    @property
    def detail(self) -> bool:
        return bool(self.options.get("DETAIL", True))

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(method.lower() for method in self.options.get("METHODS") or ("get",))

    @property
    def url_path(self) -> str:
        path: str = self.options.get("URL_PATH") or self.name.replace("_", "-")
        return path

    @property
    def scope(self) -> str:
        scope: str = self.options.get("SCOPE") or f"{self.resource_name}:{self.url_path}"
        return scope

    @property
    def status(self) -> int:
        return int(self.options.get("STATUS") or 200)

    @property
    def hook(self) -> ExtraActionHook:
        hook: ExtraActionHook = import_from_setting(self.options.get("HOOK"), self._setting("HOOK"))
        return hook

    @property
    def request_serializer_class(self) -> type[BaseSerializer[Any]] | None:
        value = self.options.get("REQUEST_SERIALIZER_CLASS")
        if value is None:
            return None
        imported: type[BaseSerializer[Any]] = import_from_setting(
            value, self._setting("REQUEST_SERIALIZER_CLASS")
        )
        return imported

    def response_serializer_class(self, resource: Resource) -> type[BaseSerializer[Any]] | None:
        """The response's serializer: the option, the resource's when unset, None (no body)
        when set to None."""
        if "RESPONSE_SERIALIZER_CLASS" not in self.options:
            return resource.serializer_class
        value = self.options["RESPONSE_SERIALIZER_CLASS"]
        if value is None:
            return None
        imported: type[BaseSerializer[Any]] = import_from_setting(
            value, self._setting("RESPONSE_SERIALIZER_CLASS")
        )
        return imported


def make_handler(name: str) -> Callable[..., Response]:
    """The viewset method DRF routes the methods of extra action ``name`` to."""

    def handler(self: ResourceViewSet, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.run_extra_action(name, request)

    handler.__name__ = name
    handler.__qualname__ = name
    return handler


class ExtraActionsMixin:
    """Runs a resource's extra actions (``ResourceViewSet`` mixes it in).

    Its methods are typed with ``self: ResourceViewSet``, the only class it is mixed into; mypy
    reports such a self-type on a class that is not its base (``misc``), hence the ignores.
    """

    def run_extra_action(self: ResourceViewSet, name: str, request: Request) -> Response:  # type: ignore[misc]
        """Look up the target, validate the body, call the hook and render its result.

        A detail action's object goes through ``GET_QUERYSET``, ``OBJECT_VISIBILITY`` and the
        object permissions; a write (any method but GET and HEAD) runs in one transaction that
        holds the object's row lock, and is recorded in the audit trail as an update of the
        object. A list action's hook gets the queryset those give (not recorded: no object).
        """
        action = self.resource.extra_actions[name]
        write = request.method not in SAFE_METHODS
        atomic = transaction.atomic(using=self.get_write_database()) if write else nullcontext()
        with atomic:
            target: dict[str, Any]
            if action.detail:
                target = {"instance": self.get_extra_action_object(lock=write)}
            else:
                target = {"queryset": self.filter_queryset(self.get_queryset())}
            data = None
            serializer_class = action.request_serializer_class
            if serializer_class is not None:
                serializer = serializer_class(
                    data=request.data, context=self.get_serializer_context()
                )
                serializer.is_valid(raise_exception=True)
                data = serializer.validated_data
            result = action.hook(
                request=request,
                resource=self.resource,
                action=name,
                data=data,
                view=self,
                **target,
            )
            refused = isinstance(result, Response) and result.status_code >= 400
            if write and action.detail and not refused:
                # The audit trail's actions are the built-in ones: a write through a detail
                # action changes its object, an update of it (in the same transaction).
                self.record_event("update", target["instance"])
                audit.flush(request)
        if isinstance(result, Response):
            return result
        response_class = action.response_serializer_class(self.resource)
        if response_class is None or result is None:
            return Response(status=204)
        body = response_class(result, context=self.get_serializer_context()).data
        return Response(body, status=action.status)

    def get_extra_action_object(self: ResourceViewSet, *, lock: bool) -> models.Model:  # type: ignore[misc]
        """The object of a detail action; locked (then permission-checked) for writes."""
        queryset = self.filter_queryset(self.get_queryset())
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        obj: models.Model = get_object_or_404(queryset, **{self.lookup_field: lookup})
        if lock:
            self.lock_object(obj)
        self.check_object_permissions(self.request, obj)
        return obj
