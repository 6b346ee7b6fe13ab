"""Endpoints of the benchmark project."""

from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_app_delegation.authentication import DelegatedTokenAuthentication
from django_app_delegation.permissions import HasScope


class NoopView(APIView):
    """Return ``{}``: the cost of Django + DRF with no authentication at all."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({})


class ProtectedView(APIView):
    """Return ``{}`` to a delegated token carrying ``bench:read``."""

    authentication_classes = [DelegatedTokenAuthentication]
    permission_classes = [HasScope]
    required_scopes = ["bench:read"]

    def get(self, request: Request) -> Response:
        return Response({})


urlpatterns = [
    path("delegation/", include("django_app_delegation.urls")),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/noop/", NoopView.as_view(), name="noop"),
    path("api/protected/", ProtectedView.as_view(), name="protected"),
]
