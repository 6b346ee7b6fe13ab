"""``ResourceViewSet``: delegated CRUD over one model, configured by a ``RESOURCES`` entry (see
``resources.py``) or by DRF class attributes, and routed by ``urls.resource_urlpatterns()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import Exists
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from . import audit
from .callers import AUDIENCE_MAX_LENGTH, get_caller
from .conf import delegation_settings
from .extra_actions import ExtraActionsMixin
from .filters import ResourceFiltersMixin, resource_filter_backends
from .locking import RowLockingMixin
from .models import EventAction, ResourceProvenance
from .outage import DATABASE_OUTAGE_ERRORS, database_unavailable
from .parsers import JSONParser, refused_body_parse_error
from .permissions import HasActionScope
from .resources import Resource
from .throttling import (
    CacheFailureSafeThrottlingMixin,
    ResourceApplicationRateThrottle,
    ResourceUserRateThrottle,
)

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.decorators import ViewSetAction
    from rest_framework.filters import BaseFilterBackend
    from rest_framework.pagination import BasePagination
    from rest_framework.permissions import BasePermission
    from rest_framework.serializers import BaseSerializer
    from rest_framework.throttling import BaseThrottle
    from rest_framework.views import AsView, GenericView

#: The audit trail's action for each viewset action.
EVENT_ACTIONS = {
    "list": EventAction.LIST,
    "retrieve": EventAction.RETRIEVE,
    "create": EventAction.CREATE,
    "update": EventAction.UPDATE,
    "partial_update": EventAction.UPDATE,
    "destroy": EventAction.DELETE,
}
READ_ACTIONS = ("list", "retrieve")


class ResourceViewSet(
    CacheFailureSafeThrottlingMixin,
    RowLockingMixin,
    ExtraActionsMixin,
    ResourceFiltersMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[models.Model],
):
    """Delegated CRUD over one configured resource; subclass it or configure it from settings.

    ``resource_name`` names the ``RESOURCES`` entry (``as_view(..., resource_name="rooms")``, or a
    class attribute). Subclasses may instead set ``queryset``, ``serializer_class``,
    ``scope_map`` and ``permission_classes`` like any DRF viewset and override the ``get_*``
    methods; provenance and ``OBJECT_VISIBILITY`` still apply. Writes hold the object's row lock
    (see ``locking.py``) and are recorded in the audit trail in their transaction.
    """

    resource_name: str | None = None
    lookup_field = "pk"
    lookup_url_kwarg = "id"
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    # No OPTIONS (DRF's metadata): a 405's ``Allow`` lists exactly the routed methods.
    http_method_names = [method for method in APIView.http_method_names if method != "options"]

    @classmethod
    def as_view(
        cls,
        actions: Mapping[str, str | ViewSetAction[Any]] | None = None,
        **initkwargs: Any,
    ) -> AsView[GenericView]:
        """Route the methods of the actions the resource allows, on its ``LOOKUP_FIELD``.

        Both are read here, when the URLconf is built, like the routes themselves.
        """
        name = initkwargs.get("resource_name", cls.resource_name)
        if name and actions:
            resource = Resource.get(name)
            allowed = resource.routable_actions
            actions = {method: act for method, act in actions.items() if act in allowed}
            if not actions:
                raise ImproperlyConfigured(
                    f"Resource {name!r} allows none of these actions: leave this route out."
                )
            if "LOOKUP_FIELD" in resource.options:
                initkwargs.setdefault("lookup_field", resource.lookup_field)
        return super().as_view(None if actions is None else dict(actions), **initkwargs)

    # -- configuration, read at request time -----------------------------------------------

    @cached_property
    def resource(self) -> Resource:
        if self.resource_name:
            return Resource.get(self.resource_name)
        return Resource.from_viewset(self)

    def get_model(self) -> type[models.Model]:
        return self.resource.model

    def get_scope_map(self) -> dict[str, str]:
        return self.resource.scope_map

    def get_object_visibility(self) -> str:
        return self.resource.object_visibility

    def get_authenticators(self) -> list[BaseAuthentication]:
        return [auth() for auth in delegation_settings.RESOURCE_AUTHENTICATION_CLASSES]

    def get_permissions(self) -> list[BasePermission]:
        classes: list[type[BasePermission]] = [
            IsAuthenticated,
            HasActionScope,
            *self.resource.permission_classes,
        ]
        return [permission() for permission in classes]

    def get_throttles(self) -> list[BaseThrottle]:
        """DRF's default throttles, then the limits per application and per user of the action."""
        return [
            *super().get_throttles(),
            ResourceApplicationRateThrottle(),
            ResourceUserRateThrottle(),
        ]

    # DRF declares a class attribute; a property reads the resource's options at request time.
    @property
    def filter_backends(self) -> list[type[BaseFilterBackend]]:  # type: ignore[override]
        return resource_filter_backends(self.resource)

    # DRF declares a class attribute; a property reads the setting at request time.
    @property
    def pagination_class(self) -> type[BasePagination] | None:  # type: ignore[override]
        configured = delegation_settings.RESOURCE_PAGINATION_CLASS
        if configured is None:
            # The stubs type DRF's import-string settings as strings; this one holds a class.
            return api_settings.DEFAULT_PAGINATION_CLASS  # type: ignore[return-value]
        return configured

    def get_serializer_class(self) -> type[BaseSerializer[models.Model]]:
        return self.resource.serializer_class

    # -- request flow ----------------------------------------------------------------------

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        drf_request = super().initialize_request(request, *args, **kwargs)
        method = (drf_request.method or "").lower()
        if method not in self.http_method_names:  # OPTIONS: DRF's "metadata"
            # No action, so no scope check, and DRF answers 405 (its stubs say action is a str).
            self.action = None  # type: ignore[assignment]
        return drf_request

    def get_queryset(self) -> models.QuerySet[models.Model]:
        model = self.get_model()
        base = getattr(self, "queryset", None)
        queryset: models.QuerySet[models.Model] = (
            base.all() if base is not None else model._default_manager.all()
        )
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return queryset.none()
        queryset = self.resource.load("GET_QUERYSET")(
            request=self.request, queryset=queryset, action=self.action, resource=self.resource
        )
        if self.get_object_visibility() == "application":
            queryset = queryset.filter(Exists(self.get_provenance_records(model)))
        return queryset

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        audit.collect(request)
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        # Bodies Django refuses to read (too large, too many fields) answer a parse error (400);
        # a database outage, 503 (see ``outage.py``).
        return super().handle_exception(
            refused_body_parse_error(exc, self.request) or database_unavailable(exc) or exc
        )

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        action = getattr(self, "action", None)
        reads = delegation_settings.AUDIT_READS
        if reads and action in READ_ACTIONS and response.status_code == 200:
            object_id = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
            self.record_event(action, object_id=object_id)
        try:
            audit.flush(request)
        except DATABASE_OUTAGE_ERRORS as exc:
            # A read the trail must record is not answered unrecorded.
            response = super().finalize_response(
                request, self.handle_exception(exc), *args, **kwargs
            )
        return response

    def record_event(
        self, action: str, instance: models.Model | None = None, object_id: Any = None
    ) -> None:
        """Record ``action`` of the delegated user on ``instance`` (or ``object_id``).

        The caller is the token's application; a service an OIDC resource server authenticated
        (django-lasuite: no application) is recorded by its audience, its OIDC client id, in
        ``client_id``.
        """
        client_id = getattr(self.request.auth, "client_id", None)
        client_id = client_id if isinstance(client_id, str) else ""
        caller = get_caller(self.request)
        application_id = None if caller is None else caller.application_id
        if caller is not None and application_id is None:
            client_id = caller.audience
        audit.record(
            self.request,
            action=EVENT_ACTIONS[action],
            application_id=application_id,
            client_id=client_id,
            user=self.request.user,
            instance=instance,
            object_id=object_id,
        )

    def get_provenance_records(
        self, model: type[models.Model]
    ) -> models.QuerySet[ResourceProvenance]:
        """Provenance rows of objects created by the caller (correlated on pk): the application
        of a delegated token, or the service a resource-server token names by its audience."""
        caller = get_caller(self.request)
        if caller is None:
            return ResourceProvenance.objects.none()
        records = ResourceProvenance.objects.for_model(model).correlated(model)
        return records.filter(**caller.provenance_lookup())

    def perform_create(self, serializer: BaseSerializer[models.Model]) -> None:
        """Create through the hook and record provenance, in one transaction."""
        hook = self.resource.load("PERFORM_CREATE")
        with transaction.atomic():
            instance = hook(request=self.request, serializer=serializer, resource=self.resource)
            created = serializer.instance if instance is None else instance
            assert created is not None, "PERFORM_CREATE saved nothing"
            self.record_provenance(created)
            self.record_event("create", created)
            audit.flush(self.request)

    def record_provenance(self, instance: models.Model) -> None:
        """Remember which caller (and user) created ``instance``; no-op for callers without an
        application or an audience (sessions, other tokens)."""
        caller = get_caller(self.request)
        if caller is None:
            return
        if len(caller.audience) > AUDIENCE_MAX_LENGTH:
            raise PermissionDenied(_("This caller's audience is too long to be recorded."))
        user = self.request.user if self.request.user.is_authenticated else None
        ResourceProvenance.objects.record(
            instance, application_id=caller.application_id, user=user, audience=caller.audience
        )

    def perform_update(self, serializer: BaseSerializer[models.Model]) -> None:
        """Save through the hook and record the event (in ``update()``'s transaction)."""
        hook = self.resource.load("PERFORM_UPDATE")
        hook(request=self.request, serializer=serializer, resource=self.resource)
        self.record_event("update", serializer.instance)
        audit.flush(self.request)

    def perform_destroy(self, instance: models.Model) -> None:
        """Delete the object (through the hook) and its provenance record together."""
        hook = self.resource.load("PERFORM_DESTROY")
        # Inside destroy()'s transaction this joins it (no savepoint): any error rolls back both.
        with transaction.atomic(savepoint=False):
            object_id = instance.pk  # Django clears it once the row is deleted.
            ResourceProvenance.objects.of(instance).delete()
            hook(request=self.request, instance=instance, resource=self.resource)
            self.record_event("destroy", instance, object_id=object_id)
            audit.flush(self.request)
