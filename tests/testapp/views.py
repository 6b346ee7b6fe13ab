"""The test app's views: scope-protected views, a room-like viewset, and subclasses of the
resource viewset mounted by ``tests/viewset_urls.py``."""

from typing import Any

from rest_framework import permissions, viewsets
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from django_app_delegation.permissions import HasActionScope, HasScope, get_request_scopes
from django_app_delegation.viewsets import ResourceViewSet

from .delegation import NoteSerializer
from .models import Note


class WhoAmIView(APIView):
    """A scope-protected view: needs ``rooms:list``."""

    permission_classes = [HasScope]
    required_scopes = ["rooms:list"]

    def get(self, request):
        return Response(
            {
                "user": request.user.email,
                "client_id": request.auth.client_id,
                "scopes": sorted(request.auth.scopes),
            }
        )


class RoomLikeViewSet(viewsets.ViewSet):
    permission_classes = [HasActionScope]
    scope_map = {
        "list": "rooms:list",
        "retrieve": "rooms:retrieve",
        "create": "rooms:create",
        "update": "rooms:update",
        "partial_update": "rooms:update",
        "destroy": "rooms:delete",
    }

    def list(self, request):
        return Response({"action": "list"})

    def create(self, request):
        return Response({"action": "create"}, status=201)

    def retrieve(self, request, pk=None):
        return Response({"action": "retrieve"})

    def destroy(self, request, pk=None):
        return Response(status=204)

    def update(self, request, pk=None):
        return Response({"action": "update"})


# -- views whose authenticators follow REST_FRAMEWORK at request time (tests/authenticator_urls.py)


class LiveAuthenticatorsMixin:
    """Read ``DEFAULT_AUTHENTICATION_CLASSES`` per request rather than at class definition, so
    the ``settings`` fixture can add a second authenticator."""

    def get_authenticators(self):
        return [authenticator() for authenticator in api_settings.DEFAULT_AUTHENTICATION_CLASSES]


class LiveScopedView(LiveAuthenticatorsMixin, APIView):
    """Needs ``rooms:list``; answers with the user and the scopes it was granted."""

    permission_classes = [HasScope]
    required_scopes = ["rooms:list"]

    def get(self, request):
        return Response(
            {"user": request.user.username, "scopes": sorted(get_request_scopes(request))}
        )


class LiveRoomViewSet(LiveAuthenticatorsMixin, RoomLikeViewSet):
    """The room-like viewset with ``partial_update`` routed too (PATCH)."""

    def partial_update(self, request, pk=None):
        return Response({"action": "partial_update"})


# -- subclasses of the resource viewset (tests/viewset_urls.py) --------------------------------


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
