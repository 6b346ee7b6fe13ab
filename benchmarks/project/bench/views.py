"""The peers the package is measured against, and the same room views without its layers.

``MeetTokenView`` re-implements, from the behaviour described in
``shared/reference/meet-external-api.md`` (section 2), the steps and queries of La Suite Meet's
external API token view: validate the four fields, load the application by ``client_id``, check
the secret with ``check_password`` (PBKDF2 or whatever hasher stored it), refuse an inactive
application, validate the e-mail, check the allowed domains (one ``EXISTS``, then one
case-insensitive match), load the user by ``email__iexact``, sign a JWT with PyJWT. Meet's
session authentication (which finds no cookie) is left out, which favours the peer.
"""

from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_app_delegation.authentication import DelegatedTokenAuthentication
from django_app_delegation.pagination import ResourcePagination
from django_app_delegation.viewsets import ResourceViewSet

from .models import MeetApplication, Room
from .serializers import MeetTokenRequestSerializer, RoomSerializer

MEET_JWT_LIFETIME = timedelta(seconds=3600)


def bare_view(request: HttpRequest) -> HttpResponse:
    """Return ``{}`` after reading the body: Django alone, no DRF."""
    request.body  # noqa: B018 - read it, as any POST view would
    return HttpResponse(b"{}", content_type="application/json")


class NoopPostView(APIView):
    """Parse the body and return ``{}``: Django + DRF, no authentication, no database."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        request.data  # noqa: B018 - parse it, as a token view does
        return Response({})


def _email_domain(email: str) -> str | None:
    try:
        domain = Address(addr_spec=email).domain
    except (ValueError, IndexError, TypeError):
        return None
    return domain or None


def meet_can_delegate_email(application: MeetApplication, email: str) -> bool:
    """No domain: any e-mail; else one domain matching case-insensitively (two queries)."""
    domains = application.allowed_domains.all()
    if not domains.exists():
        return True
    domain = _email_domain(email)
    return domain is not None and domains.filter(domain__iexact=domain).exists()


class MeetTokenView(APIView):
    """La Suite Meet's token view, re-implemented for comparison (see the module docstring)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser, JSONParser]

    def post(self, request: Request) -> Response:
        serializer = MeetTokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            application = MeetApplication.objects.get(client_id=data["client_id"])
        except MeetApplication.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid credentials") from None
        if not check_password(data["client_secret"], application.client_secret):
            raise exceptions.AuthenticationFailed("Invalid credentials")
        if not application.is_active:
            raise exceptions.AuthenticationFailed("Application is inactive")
        email = data["scope"]
        try:
            validate_email(email)
        except ValidationError:
            return Response(
                {"error": "Scope should be a valid email address."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if not meet_can_delegate_email(application, email):
            return Response(
                {"error": "This application is not authorized for this email domain."},
                status=status.HTTP_403_FORBIDDEN,
            )
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get(email__iexact=email)
        except user_model.DoesNotExist:
            raise exceptions.NotFound("User not found.") from None
        except user_model.MultipleObjectsReturned:
            raise SuspiciousOperation("Multiple user accounts share a common email.") from None
        scope = " ".join(application.scopes)
        now = datetime.now(UTC)
        payload = {
            "client_id": data["client_id"],
            "delegated": True,
            "iss": "lasuite-meet",
            **({"scope": scope} if scope else {}),
            "iat": now,
            "exp": now + MEET_JWT_LIFETIME,
            "user_id": str(user.pk),
        }
        token = jwt.encode(payload, settings.MEET_JWT_SECRET_KEY, algorithm="HS256")
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(MEET_JWT_LIFETIME.total_seconds()),
        }
        if scope:
            body["scope"] = scope
        return Response(body)


class PlainRoomViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Room],
):
    """The rooms with the same serializer and pagination, and no authentication or provenance."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    queryset = Room.objects.all()
    serializer_class = RoomSerializer
    pagination_class = ResourcePagination
    lookup_url_kwarg = "id"


class NoProvenanceRoomViewSet(ResourceViewSet):
    """The package's room viewset with provenance left out: what recording it costs."""

    resource_name = "rooms"

    def record_provenance(self, instance: object) -> None:
        return None


class PresetAuthentication(DelegatedTokenAuthentication):
    """Authenticate the first request as the package does, then hand every later request of the
    process that result: no decode, no query. What the same view costs without authentication."""

    _preset: tuple[Any, Any] | None = None

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        if PresetAuthentication._preset is None:
            PresetAuthentication._preset = super().authenticate(request)
        return PresetAuthentication._preset


class PresetAuthRoomViewSet(ResourceViewSet):
    """The package's room viewset (same queryset, visibility, serializer, pagination, audit), its
    authentication replaced by :class:`PresetAuthentication`."""

    def get_authenticators(self) -> list[BaseAuthentication]:
        return [PresetAuthentication()]
