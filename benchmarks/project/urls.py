"""Endpoints of the benchmark project: the package, its peers, and the same views without it."""

from django.urls import include, path
from oauth2_provider.views import TokenView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_app_delegation.authentication import DelegatedTokenAuthentication
from django_app_delegation.permissions import HasScope
from django_app_delegation.urls import resource_urlpatterns

from .bench.views import (
    MeetTokenView,
    NoopPostView,
    NoProvenanceRoomViewSet,
    PlainRoomViewSet,
    PresetAuthRoomViewSet,
    bare_view,
)


class ProtectedView(APIView):
    """Return ``{}`` to a delegated token carrying ``rooms:list``."""

    authentication_classes = [DelegatedTokenAuthentication]
    permission_classes = [HasScope]
    required_scopes = ["rooms:list"]

    def get(self, request: Request) -> Response:
        return Response({})


urlpatterns = [
    # The package: token endpoint and the ``rooms`` resource (list, create, retrieve...).
    path("delegation/", include("django_app_delegation.urls")),
    path("noprov/rooms/", NoProvenanceRoomViewSet.as_view({"post": "create"}), name="noprov"),
    path("api/protected/", ProtectedView.as_view(), name="protected"),
    # django-oauth-toolkit's token view, twice: one URL per secret mode (same view).
    path("dot/token/", TokenView.as_view(), name="dot-token"),
    path("dot-plain/token/", TokenView.as_view(), name="dot-plain-token"),
    # La Suite Meet's token view, twice: PBKDF2 secret, and a fast (MD5) secret.
    path("meet/token/", MeetTokenView.as_view(), name="meet-token"),
    path("meet-fast/token/", MeetTokenView.as_view(), name="meet-fast-token"),
    # Floors: DRF parsing a POST, Django alone.
    path("drf/noop/", NoopPostView.as_view(), name="noop"),
    path("bare/", bare_view, name="bare"),
    # The package's rooms with authentication preset (no decode, no query): the same view
    # without authentication.
    path("preset/", include(resource_urlpatterns(PresetAuthRoomViewSet))),
    # The rooms without authentication or provenance.
    path("plain/rooms/", PlainRoomViewSet.as_view({"get": "list", "post": "create"})),
    path("plain/rooms/<uuid:id>/", PlainRoomViewSet.as_view({"get": "retrieve"})),
]
