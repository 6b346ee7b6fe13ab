"""A CRUD viewset over any model, configured per resource in ``APP_DELEGATION["RESOURCES"]``.

Example (La Suite Meet's rooms)::

    APP_DELEGATION = {
        ...
        "LIST_SCOPE": "user",
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

Resource options (all read at request time):

``MODEL``
    ``"app_label.ModelName"`` (required).
``SERIALIZER_CLASS``
    dotted path of the serializer (required).
``GET_QUERYSET``
    hook ``(*, request, queryset, action, resource, **kwargs) -> QuerySet``: what the delegated
    user may reach. The default keeps the objects created through this API for that user.
``PERFORM_CREATE``
    hook ``(*, request, serializer, resource, **kwargs) -> instance``: saves a new object (make
    the user its owner, say). The default is ``serializer.save()``. It runs in the transaction
    that records the object's provenance.
``PERFORM_UPDATE`` / ``PERFORM_DESTROY``
    hooks ``(*, request, serializer, resource, **kwargs)`` and ``(*, request, instance,
    resource, **kwargs)``; the defaults save and delete. Both run in the request's transaction,
    holding the lock of the object's row (see below); deletion in the one that removes the
    provenance record.
``PERMISSION_CLASSES``
    object-permission classes added after authentication and scope checks.
``ACTIONS``
    allowed actions among list, retrieve, create, update, partial_update, destroy (default: all);
    others answer 405.
``LOOKUP_FIELD``
    field matched by the URL's identifier (default ``"pk"``).
``SCOPES``
    overrides of the action -> scope map; defaults are ``<name>:list``, ``<name>:retrieve``,
    ``<name>:create``, ``<name>:update`` (update and partial_update) and ``<name>:delete``.
``LIST_SCOPE``
    overrides the global ``LIST_SCOPE`` for this resource.

Concurrent writes: update, partial_update and destroy run in one transaction that locks the
object's row (``SELECT ... FOR UPDATE``) once it is looked up. Of simultaneous deletes one answers
204 and the others 404; an update that loses the race to a delete answers 404 instead of writing
the row back. (SQLite serialises writers on its own and has no row locks.)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models, router, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Cast
from django.http import Http404
from django.utils.module_loading import import_string
from rest_framework import exceptions, mixins, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from .conf import delegation_settings
from .models import ResourceProvenance
from .parsers import JSONParser, refused_body_parse_error
from .permissions import HasActionScope
from .throttling import CacheFailureSafeThrottlingMixin

ACTIONS = ("list", "retrieve", "create", "update", "partial_update", "destroy")
SCOPE_VERBS = {
    "list": "list",
    "retrieve": "retrieve",
    "create": "create",
    "update": "update",
    "partial_update": "update",
    "destroy": "delete",
}
#: Actions that change the object they look up: they lock its row, in one transaction.
WRITE_ACTIONS = ("update", "partial_update", "destroy")
LIST_SCOPES = ("application", "user")
RESOURCE_OPTIONS = frozenset(
    {
        "MODEL",
        "SERIALIZER_CLASS",
        "GET_QUERYSET",
        "PERFORM_CREATE",
        "PERFORM_UPDATE",
        "PERFORM_DESTROY",
        "PERMISSION_CLASSES",
        "ACTIONS",
        "LOOKUP_FIELD",
        "SCOPES",
        "LIST_SCOPE",
    }
)


def _load(value: Any) -> Any:
    return import_string(value) if isinstance(value, str) else value


def provenance_records(model: type[models.Model], **filters: Any) -> models.QuerySet:
    """Provenance rows of ``model`` objects, correlated with the outer query's primary key."""
    return ResourceProvenance.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id=Cast(OuterRef("pk"), models.CharField()),
        **filters,
    )


def get_queryset(*, request: Request, queryset: models.QuerySet, **kwargs: Any) -> models.QuerySet:
    """Default ``GET_QUERYSET``: the objects created through the API on behalf of this user."""
    return queryset.filter(Exists(provenance_records(queryset.model, user=request.user)))


def perform_create(*, serializer: Any, **kwargs: Any) -> Any:
    """Default ``PERFORM_CREATE``: ``serializer.save()``."""
    return serializer.save()


def perform_update(*, serializer: Any, **kwargs: Any) -> Any:
    """Default ``PERFORM_UPDATE``: ``serializer.save()``."""
    return serializer.save()


def perform_destroy(*, instance: models.Model, **kwargs: Any) -> None:
    """Default ``PERFORM_DESTROY``: ``instance.delete()``."""
    instance.delete()


def lookup_url_kwarg(lookup_field: str) -> str:
    """Name of the URL's identifier: ``id`` for the primary key, else the lookup field."""
    return "id" if lookup_field == "pk" else lookup_field


def provenance_object_id(instance: models.Model) -> str:
    """The primary key of ``instance`` as its database renders it as text (what lookups join on)."""
    return (
        type(instance)
        ._default_manager.filter(pk=instance.pk)
        .annotate(_provenance_id=Cast("pk", models.CharField()))
        .values_list("_provenance_id", flat=True)
        .get()
    )


@dataclass(frozen=True)
class Resource:
    """One entry of ``RESOURCES``, with its options resolved."""

    name: str
    options: dict[str, Any]

    @classmethod
    def get(cls, name: str) -> Resource:
        resources = delegation_settings.RESOURCES or {}
        if name not in resources:
            raise ImproperlyConfigured(f'APP_DELEGATION["RESOURCES"] has no resource {name!r}.')
        return cls(name=name, options=dict(resources[name]))

    @cached_property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.options["MODEL"])

    @property
    def serializer_class(self) -> Any:
        return _load(self.options["SERIALIZER_CLASS"])

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(self.options.get("ACTIONS") or ACTIONS)

    @property
    def lookup_field(self) -> str:
        return self.options.get("LOOKUP_FIELD") or "pk"

    @property
    def list_scope(self) -> str:
        return self.options.get("LIST_SCOPE") or delegation_settings.LIST_SCOPE

    @property
    def scope_map(self) -> dict[str, str]:
        scopes = {action: f"{self.name}:{SCOPE_VERBS[action]}" for action in ACTIONS}
        scopes.update(self.options.get("SCOPES") or {})
        return {action: scope for action, scope in scopes.items() if action in self.actions}

    @property
    def permission_classes(self) -> list[Any]:
        return [_load(path) for path in self.options.get("PERMISSION_CLASSES") or ()]

    def get_queryset_hook(self) -> Any:
        return _load(self.options.get("GET_QUERYSET") or get_queryset)

    def perform_create_hook(self) -> Any:
        return _load(self.options.get("PERFORM_CREATE") or perform_create)

    def perform_update_hook(self) -> Any:
        return _load(self.options.get("PERFORM_UPDATE") or perform_update)

    def perform_destroy_hook(self) -> Any:
        return _load(self.options.get("PERFORM_DESTROY") or perform_destroy)


class _per_instance:  # Lower-case: used as a decorator, like ``property``.
    """A property computed on instances that reads as ``class_value`` on the class.

    DRF routers read ``lookup_field`` and ``lookup_url_kwarg`` from the class to build routes.
    """

    def __init__(self, *, class_value: str) -> None:
        self.class_value = class_value

    def __call__(self, func: Any) -> _per_instance:
        self.func = func
        return self

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        return self.class_value if instance is None else self.func(instance)


class ResourceViewSet(
    CacheFailureSafeThrottlingMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Delegated CRUD over one configured resource; subclass it or configure it from settings.

    ``resource_name`` names the ``RESOURCES`` entry (``as_view(..., resource_name="rooms")``, or a
    class attribute). Subclasses may instead set ``queryset``, ``serializer_class``,
    ``scope_map`` and ``permission_classes`` like any DRF viewset and override the ``get_*``
    methods; provenance and ``LIST_SCOPE`` still apply.
    """

    resource_name: str | None = None
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    # -- configuration ---------------------------------------------------------------------

    @cached_property
    def resource(self) -> Resource:
        if self.resource_name:
            return Resource.get(self.resource_name)
        return self.get_class_resource()

    def get_class_resource(self) -> Resource:
        """Describe a subclass configured with DRF class attributes instead of settings."""
        queryset = getattr(self, "queryset", None)
        if queryset is None or getattr(self, "serializer_class", None) is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} needs a resource_name, or queryset and serializer_class."
            )
        meta = queryset.model._meta
        options: dict[str, Any] = {
            "MODEL": meta.label,
            "SERIALIZER_CLASS": self.serializer_class,
            "PERMISSION_CLASSES": list(self.permission_classes),
            "SCOPES": dict(getattr(self, "scope_map", None) or {}),
        }
        return Resource(name=str(meta.verbose_name_plural).replace(" ", "_"), options=options)

    @_per_instance(class_value="pk")
    def lookup_field(self) -> str:
        return self.resource.lookup_field

    @_per_instance(class_value="id")
    def lookup_url_kwarg(self) -> str:
        expected = lookup_url_kwarg(self.lookup_field)
        kwargs = getattr(self, "kwargs", None) or {}
        if expected not in kwargs and len(kwargs) == 1:
            # Routed before LOOKUP_FIELD changed: the route's only identifier is the one.
            return next(iter(kwargs))
        return expected

    def get_model(self) -> type[models.Model]:
        return self.resource.model

    @property
    def allowed_methods(self) -> list[str]:
        """HTTP methods whose action the resource allows now (for ``Allow`` on 405)."""
        allowed = set(self.get_allowed_actions())
        action_map = getattr(self, "action_map", None) or {}
        return [method.upper() for method, action in action_map.items() if action in allowed]

    def get_allowed_actions(self) -> tuple[str, ...]:
        return self.resource.actions

    def get_scope_map(self) -> dict[str, str]:
        return self.resource.scope_map

    def get_list_scope(self) -> str:
        return self.resource.list_scope

    def get_throttles(self) -> list[Any]:
        """DRF's ``DEFAULT_THROTTLE_CLASSES`` as they are now, unless a subclass sets its own."""
        classes: Any = self.throttle_classes
        if classes is APIView.throttle_classes:
            classes = api_settings.DEFAULT_THROTTLE_CLASSES
        return [throttle() for throttle in classes]

    def get_authenticators(self) -> list[Any]:
        return [auth() for auth in delegation_settings.AUTHENTICATION_CLASSES]

    def get_permissions(self) -> list[Any]:
        classes = [IsAuthenticated, HasActionScope, *self.resource.permission_classes]
        return [permission() for permission in classes]

    @property
    def pagination_class(self) -> Any:  # type: ignore[override]
        configured = delegation_settings.PAGINATION_CLASS
        if configured is None:
            return api_settings.DEFAULT_PAGINATION_CLASS
        return configured

    def get_serializer_class(self) -> Any:
        return self.resource.serializer_class

    # -- request flow ----------------------------------------------------------------------

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        allowed = self.action in self.get_allowed_actions()
        if not allowed:
            # Let authentication run, skip the scope check, then answer 405.
            self.action = None  # type: ignore[assignment]
        super().initial(request, *args, **kwargs)
        if not allowed:
            raise exceptions.MethodNotAllowed(str(request.method))

    def get_queryset(self) -> models.QuerySet:
        model = self.get_model()
        base = getattr(self, "queryset", None)
        queryset = base.all() if base is not None else model._default_manager.all()
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return queryset.none()
        hook = self.resource.get_queryset_hook()
        queryset = hook(
            request=self.request, queryset=queryset, action=self.action, resource=self.resource
        )
        if self.get_list_scope() == "application":
            queryset = queryset.filter(Exists(self.get_provenance_records(model)))
        return queryset

    def get_object(self) -> Any:
        """Look the object up; for writes, lock its row before checking object permissions.

        The row is locked on its primary key alone (the resource's queryset may use DISTINCT or
        aggregates, which refuse ``FOR UPDATE``); if a concurrent request deleted it meanwhile,
        the answer is 404. Permissions are then checked on an object that cannot vanish.
        """
        queryset = self.filter_queryset(self.get_queryset())
        lookup = {self.lookup_field: self.kwargs[self.lookup_url_kwarg]}
        obj = get_object_or_404(queryset, **lookup)
        if self.action in WRITE_ACTIONS:
            self.lock_object(obj)
        self.check_object_permissions(self.request, obj)
        return obj

    def get_write_database(self) -> str:
        """The database alias written for this resource's model (the transaction's)."""
        return router.db_for_write(self.get_model())

    def lock_object(self, obj: models.Model) -> None:
        """Lock the row of ``obj`` until the transaction ends; 404 if it no longer exists.

        Outside a transaction (a subclass replacing ``update`` or ``destroy``) a lock would end
        at once: nothing is done.
        """
        using = self.get_write_database()
        if not transaction.get_connection(using).in_atomic_block:
            return
        # The base manager, as save() and delete() use: "gone" means gone for them.
        rows = type(obj)._base_manager.using(using).select_for_update().filter(pk=obj.pk)
        if not rows.order_by().values_list("pk", flat=True):
            raise Http404()

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Update (or partially update) in one transaction holding the object's row lock."""
        with transaction.atomic(using=self.get_write_database()):
            return super().update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Delete in one transaction holding the object's row lock."""
        with transaction.atomic(using=self.get_write_database()):
            return super().destroy(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        # Bodies Django refuses to read (too large, too many fields) answer a parse error (400).
        return super().handle_exception(refused_body_parse_error(exc, self.request) or exc)

    def get_provenance_records(self, model: type[models.Model]) -> models.QuerySet:
        """Provenance rows of objects created by the calling application (correlated on pk)."""
        application_id = getattr(self.request.auth, "application_id", None)
        if application_id is None:
            return ResourceProvenance.objects.none()
        return provenance_records(model, application_id=application_id)

    def perform_create(self, serializer: Any) -> None:
        """Create through the hook and record provenance, in one transaction."""
        hook = self.resource.perform_create_hook()
        with transaction.atomic():
            instance = hook(request=self.request, serializer=serializer, resource=self.resource)
            if instance is None:
                instance = serializer.instance
            self.record_provenance(instance)

    def record_provenance(self, instance: models.Model) -> None:
        """Remember which application (and user) created ``instance``; no-op for other tokens."""
        application_id = getattr(self.request.auth, "application_id", None)
        if application_id is None:
            return
        model = type(instance)
        object_id = provenance_object_id(instance)
        # A record left by an object deleted outside the API must not block (or leak to) this one.
        ResourceProvenance.objects.update_or_create(
            content_type=ContentType.objects.get_for_model(model),
            object_id=object_id,
            defaults={
                "application_id": application_id,
                "user": self.request.user if self.request.user.is_authenticated else None,
            },
        )

    def perform_update(self, serializer: Any) -> None:
        hook = self.resource.perform_update_hook()
        hook(request=self.request, serializer=serializer, resource=self.resource)

    def perform_destroy(self, instance: models.Model) -> None:
        """Delete the object (through the hook) and its provenance record together."""
        hook = self.resource.perform_destroy_hook()
        # Inside destroy()'s transaction this joins it (no savepoint): any error rolls back both.
        with transaction.atomic(savepoint=False):
            ResourceProvenance.objects.filter(
                content_type=ContentType.objects.get_for_model(type(instance)),
                object_id=provenance_object_id(instance),
            ).delete()
            hook(request=self.request, instance=instance, resource=self.resource)
