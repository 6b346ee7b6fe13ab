"""Test doubles for the resource viewset tests: partners calling the API, hooks that fail halfway,
a serializer and a pagination class to swap in through settings, and viewset subclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from rest_framework import exceptions, permissions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from django_app_delegation.models import ResourceProvenance, pk_as_text
from django_app_delegation.viewsets import ResourceViewSet
from tests.testapp.delegation import NoteSerializer
from tests.testapp.models import Note

TOKEN_URL = "/external-api/v1.0/application/token/"
WIDGETS = "/external-api/v1.0/widgets/"
NOTES = "/external-api/v1.0/notes/"

WIDGET_SCOPES = [
    "widgets:list",
    "widgets:retrieve",
    "widgets:create",
    "widgets:update",
    "widgets:delete",
]
NOTE_SCOPES = ["notes:list", "notes:retrieve", "notes:create"]


def widget_url(widget: Any) -> str:
    return f"{WIDGETS}{getattr(widget, 'pk', widget)}/"


def note_url(note: Any) -> str:
    return f"{NOTES}{getattr(note, 'pk', note)}/"


# Partners: an application and the clients it uses for its users -------------------------------


@dataclass
class Partner:
    """A registered application with its plaintext secret, obtaining tokens at the endpoint."""

    application: Any
    secret: str

    @classmethod
    def register(cls, make_application: Any, name: str, scopes: list[str]) -> Partner:
        application, secret = make_application(name=name, scopes=scopes)
        return cls(application=application, secret=secret)

    def token(self, email: str = "alice@example.com", scopes: list[str] | None = None) -> str:
        """An access token for ``email``: every scope of the application, or ``scopes``."""
        scope = " ".join([email, *(scopes or ())])
        response = APIClient().post(
            TOKEN_URL,
            {
                "grant_type": "client_credentials",
                "client_id": self.application.client_id,
                "client_secret": self.secret,
                "scope": scope,
            },
            format="json",
        )
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    def client(self, email: str = "alice@example.com", scopes: list[str] | None = None) -> Any:
        """An API client sending a bearer token for ``email``."""
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token(email, scopes)}")
        return client


# Provenance as the viewset records it ----------------------------------------------------------


def provenance_of(instance: models.Model) -> ResourceProvenance:
    return ResourceProvenance.objects.of(instance).get()


# Hooks swapped in through settings -------------------------------------------------------------


class CreateHookFailed(Exception):
    """Raised by :func:`save_then_crash` after the object was saved."""


def save_then_refuse(*, request: Any, serializer: Any, **kwargs: Any) -> Any:
    """A create hook that saves the object, makes the user a member, then refuses (400)."""
    widget = serializer.save()
    widget.members.add(request.user)
    raise exceptions.ValidationError({"name": ["Refused after saving."]})


def save_then_crash(*, request: Any, serializer: Any, **kwargs: Any) -> Any:
    """A create hook that saves the object, makes the user a member, then crashes."""
    widget = serializer.save()
    widget.members.add(request.user)
    raise CreateHookFailed("the hook failed after saving")


def save_and_claim_provenance(*, request: Any, serializer: Any, **kwargs: Any) -> Any:
    """A create hook that saves the object and leaves a provenance record without a user."""
    widget = serializer.save()
    ResourceProvenance.objects.create(
        application_id=request.auth.application_id,
        content_type=ContentType.objects.get_for_model(widget),
        object_id=pk_as_text(widget),
    )
    return widget


def save_without_returning(*, request: Any, serializer: Any, **kwargs: Any) -> None:
    """A create hook that returns nothing (the viewset falls back to ``serializer.instance``)."""
    widget = serializer.save()
    widget.members.add(request.user)


class NoteWithLengthSerializer(serializers.ModelSerializer):
    """A note serializer with an extra read-only field, swapped in through settings."""

    length = serializers.SerializerMethodField()

    class Meta:
        model = Note
        fields = ["id", "text", "length"]

    def get_length(self, note: Note) -> int:
        return len(note.text)


class RequestTimePageSizePagination(PageNumberPagination):
    """Page-number pagination reading ``REST_FRAMEWORK["PAGE_SIZE"]`` at request time.

    DRF's own class reads ``PAGE_SIZE`` once, when ``rest_framework.pagination`` is imported.
    """

    def get_page_size(self, request: Any) -> int | None:
        return api_settings.PAGE_SIZE


# Subclasses of the viewset ---------------------------------------------------------------------


class GadgetViewSet(ResourceViewSet):
    """The ``widgets`` resource served by a subclass under another route."""

    resource_name = "widgets"


class CountedNoteViewSet(ResourceViewSet):
    """The ``notes`` resource with a subclass hook: a header counting the visible notes."""

    resource_name = "notes"

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().list(request, *args, **kwargs)
        response["X-Note-Count"] = str(self.get_queryset().count())
        return response


class TaggedViewSet(ResourceViewSet):
    """A subclass serving every configured resource, marking its responses."""

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["X-Served-By"] = type(self).__name__
        return response


class RefuseSecretNotes(permissions.BasePermission):
    """Object rule: notes whose text starts with "secret" are not served."""

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return not obj.text.startswith("secret")


class PlainNoteViewSet(ResourceViewSet):
    """A subclass configured like any DRF viewset instead of through ``RESOURCES``."""

    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    scope_map = {"list": "notes:list", "retrieve": "notes:retrieve", "create": "notes:create"}
    permission_classes = [RefuseSecretNotes]


# Update and destroy hooks ------------------------------------------------------------------------

AUDIT: list[tuple[str, Any]] = []


def audited_update(*, request: Any, serializer: Any, resource: Any, **kwargs: Any) -> Any:
    """A PERFORM_UPDATE hook recording who changed what."""
    instance = serializer.save()
    AUDIT.append(("update", (resource.name, request.user.email, instance.name)))
    return instance


def refuse_destroy(*, instance: Any, **kwargs: Any) -> None:
    """A PERFORM_DESTROY hook enforcing a host rule (Meet: keep at least one owner)."""
    raise exceptions.PermissionDenied("This widget must be kept.")
