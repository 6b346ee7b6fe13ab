"""The resources served by ``ResourceViewSet``: the entries of ``APP_DELEGATION["RESOURCES"]``.

Example (La Suite Meet's rooms)::

    APP_DELEGATION = {
        ...
        "OBJECT_VISIBILITY": "user",
        "RESOURCES": {
            "rooms": {
                "MODEL": "rooms.Room",
                "SERIALIZER_CLASS": "rooms.serializers.ExternalRoomSerializer",
                "GET_QUERYSET": "rooms.delegation.get_queryset",
                "PERFORM_CREATE": "rooms.delegation.perform_create",
                "PERMISSION_CLASSES": ["rooms.permissions.RoomPermissions"],
                "ACTIONS": ["list", "retrieve", "create", "update", "partial_update", "destroy"],
            },
        },
    }

Options that shape routes, ``ACTIONS`` and ``LOOKUP_FIELD``, are read when the URLconf is built
(``urls.resource_urlpatterns()``); every other option at request time.

``MODEL``
    ``"app_label.ModelName"`` (required).
``SERIALIZER_CLASS``
    dotted path of the serializer (required).
``GET_QUERYSET``, ``PERFORM_CREATE``, ``PERFORM_UPDATE``, ``PERFORM_DESTROY``
    hooks; their contracts and defaults are in ``hooks.py``.
``PERMISSION_CLASSES``
    object-permission classes added after authentication and scope checks.
``ACTIONS``
    allowed actions among list, retrieve, create, update, partial_update, destroy (default: all);
    the methods of the others are not routed (405).
``LOOKUP_FIELD``
    field matched by the URL's identifier (default ``"pk"``; the URL parameter is then ``id``).
``ACTION_SCOPES``
    overrides of the action -> scope map; defaults are ``<name>:list``, ``<name>:retrieve``,
    ``<name>:create``, ``<name>:update`` (update and partial_update) and ``<name>:delete``.
``OBJECT_VISIBILITY``
    overrides the global ``OBJECT_VISIBILITY`` for this resource.
``ACTION_RATES_PER_APPLICATION``, ``ACTION_RATES_PER_USER``
    ``{action: rate}`` overrides of ``RESOURCE_RATE_PER_APPLICATION`` and
    ``RESOURCE_RATE_PER_USER`` (a rate such as ``"100/hour"``, or None for no limit).
``EXTRA_ACTIONS``
    actions beside the built-in ones, each with its methods, route, scope, hook and serializers
    (see ``extra_actions.py``); routed when the URLconf is built.
``FILTERSET_FIELDS``, ``FILTERSET_CLASS``
    list filters (django-filter, extra ``filters``): fields as django-filter's ``filterset_fields``
    (a list, or a dict of field -> lookups), or a ``FilterSet`` class; see ``filters.py``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, overload

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from .conf import (
    RemovedInDjangoAppDelegation1Warning,
    delegation_settings,
    import_from_setting,
    setting_name,
)
from .extra_actions import ExtraAction

if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView
    from rest_framework.permissions import BasePermission
    from rest_framework.serializers import BaseSerializer

    from .hooks import (
        GetQuerysetHook,
        PerformCreateHook,
        PerformDestroyHook,
        PerformUpdateHook,
    )

ACTIONS = ("list", "retrieve", "create", "update", "partial_update", "destroy")
SCOPE_VERBS = {
    "list": "list",
    "retrieve": "retrieve",
    "create": "create",
    "update": "update",
    "partial_update": "update",
    "destroy": "delete",
}
#: Values of ``OBJECT_VISIBILITY``.
OBJECT_VISIBILITIES = ("application", "user")
#: Hook options and their defaults.
HOOK_OPTIONS = {
    "GET_QUERYSET": "django_app_delegation.hooks.get_queryset",
    "PERFORM_CREATE": "django_app_delegation.hooks.perform_create",
    "PERFORM_UPDATE": "django_app_delegation.hooks.perform_update",
    "PERFORM_DESTROY": "django_app_delegation.hooks.perform_destroy",
}
#: Options holding a dotted path or the object itself (PERMISSION_CLASSES: a list of them).
IMPORT_OPTIONS = ("SERIALIZER_CLASS", *HOOK_OPTIONS, "PERMISSION_CLASSES", "FILTERSET_CLASS")
#: Options overriding a limit per action, by the kind of counter (see ``Resource.rate``).
RATE_OPTIONS = {
    "APPLICATION": "ACTION_RATES_PER_APPLICATION",
    "USER": "ACTION_RATES_PER_USER",
}
RESOURCE_OPTIONS = frozenset(
    {
        "MODEL",
        *IMPORT_OPTIONS,
        "ACTIONS",
        "LOOKUP_FIELD",
        "ACTION_SCOPES",
        "OBJECT_VISIBILITY",
        *RATE_OPTIONS.values(),
        "EXTRA_ACTIONS",
        "FILTERSET_FIELDS",
    }
)


@dataclass(frozen=True)
class Resource:
    """One entry of ``RESOURCES``, with its options resolved on use."""

    name: str
    options: dict[str, Any]

    @classmethod
    def get(cls, name: str) -> Resource:
        resources = delegation_settings.RESOURCES or {}
        if name not in resources:
            raise ImproperlyConfigured(f"{setting_name('RESOURCES')} has no resource {name!r}.")
        return cls(name=name, options=dict(resources[name]))

    @classmethod
    def from_viewset(cls, view: GenericAPIView[models.Model]) -> Resource:
        """Describe a viewset configured with DRF class attributes instead of settings."""
        queryset = getattr(view, "queryset", None)
        if queryset is None or getattr(view, "serializer_class", None) is None:
            raise ImproperlyConfigured(
                f"{type(view).__name__} needs a resource_name, or queryset and serializer_class."
            )
        meta = queryset.model._meta
        options: dict[str, Any] = {
            "MODEL": meta.label,
            "SERIALIZER_CLASS": view.serializer_class,
            "PERMISSION_CLASSES": list(view.permission_classes),
            "ACTION_SCOPES": dict(getattr(view, "scope_map", None) or {}),
        }
        return cls(name=str(meta.verbose_name_plural).replace(" ", "_"), options=options)

    @overload
    def load(self, option: Literal["SERIALIZER_CLASS"]) -> type[BaseSerializer[models.Model]]: ...
    @overload
    def load(self, option: Literal["GET_QUERYSET"]) -> GetQuerysetHook: ...
    @overload
    def load(self, option: Literal["PERFORM_CREATE"]) -> PerformCreateHook: ...
    @overload
    def load(self, option: Literal["PERFORM_UPDATE"]) -> PerformUpdateHook: ...
    @overload
    def load(self, option: Literal["PERFORM_DESTROY"]) -> PerformDestroyHook: ...
    @overload
    def load(self, option: Literal["PERMISSION_CLASSES"]) -> list[type[BasePermission]] | None: ...
    @overload
    def load(self, option: str) -> object: ...

    def load(self, option: str) -> object:
        """The option's object(s), imported from dotted paths; a hook's default when unset."""
        value = self.options.get(option) or HOOK_OPTIONS.get(option)
        return import_from_setting(value, setting_name("RESOURCES", self.name, option))

    @cached_property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.options["MODEL"])

    @property
    def serializer_class(self) -> type[BaseSerializer[models.Model]]:
        return self.load("SERIALIZER_CLASS")

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(self.options.get("ACTIONS") or ACTIONS)

    @property
    def lookup_field(self) -> str:
        field: str = self.options.get("LOOKUP_FIELD") or "pk"
        return field

    @property
    def lookup_url_kwarg(self) -> str:
        """Name of the URL's identifier: ``id`` for the primary key, else the lookup field."""
        return "id" if self.lookup_field == "pk" else self.lookup_field

    @property
    def object_visibility(self) -> str:
        return self.options.get("OBJECT_VISIBILITY") or delegation_settings.OBJECT_VISIBILITY

    @property
    def list_scope(self) -> str:
        """Deprecated name of :attr:`object_visibility`."""
        warnings.warn(
            "Resource.list_scope is deprecated; use Resource.object_visibility.",
            RemovedInDjangoAppDelegation1Warning,
            stacklevel=2,
        )
        return self.object_visibility

    @property
    def extra_actions(self) -> dict[str, ExtraAction]:
        """The ``EXTRA_ACTIONS`` entries, by name."""
        return {
            name: ExtraAction(name=name, resource_name=self.name, options=dict(options))
            for name, options in (self.options.get("EXTRA_ACTIONS") or {}).items()
        }

    @property
    def routable_actions(self) -> tuple[str, ...]:
        """The allowed built-in actions, then the extra actions."""
        return (*self.actions, *self.extra_actions)

    @property
    def scope_map(self) -> dict[str, str]:
        scopes = {action: f"{self.name}:{SCOPE_VERBS[action]}" for action in ACTIONS}
        scopes.update(self.options.get("ACTION_SCOPES") or {})
        scope_map = {action: scope for action, scope in scopes.items() if action in self.actions}
        scope_map.update({name: action.scope for name, action in self.extra_actions.items()})
        return scope_map

    @property
    def has_filters(self) -> bool:
        return bool(self.options.get("FILTERSET_FIELDS") or self.options.get("FILTERSET_CLASS"))

    @property
    def permission_classes(self) -> list[type[BasePermission]]:
        return self.load("PERMISSION_CLASSES") or []

    def rate(self, kind: str, action: str) -> str | None:
        """The limit of ``action`` per ``"APPLICATION"`` or per ``"USER"``, or None (no limit)."""
        overrides: dict[str, str | None] = self.options.get(RATE_OPTIONS[kind]) or {}
        if action in overrides:
            return overrides[action]
        if kind == "USER":
            return delegation_settings.RESOURCE_RATE_PER_USER
        return delegation_settings.RESOURCE_RATE_PER_APPLICATION
