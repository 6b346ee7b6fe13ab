"""Test doubles for the authentication and permission tests: hand-minted tokens, a second
authenticator standing in for an OIDC resource server, a claims hook, and views that read
``REST_FRAMEWORK`` at request time so the ``settings`` fixture can change their authenticators.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import include, path
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from django_app_delegation.hooks import get_token_scopes
from django_app_delegation.permissions import HasScope, get_request_scopes
from tests.testapp.views import RoomLikeViewSet

OURS = "django_app_delegation.authentication.DelegatedTokenAuthentication"
THEIRS = "tests.auth_helpers.OtherProviderAuthentication"

#: The key of the "other provider"; a JWT signed with it is not one of ours.
OTHER_PROVIDER_KEY = "another-provider-signing-key-0123456789abcdefghijklmnopqrstuv"


# Tokens ---------------------------------------------------------------------------------------


def delegated_claims(application, user, **overrides):
    """Claims as the token endpoint would mint them for the test settings; ``None`` drops one."""
    now = int(time.time())
    conf = settings.APP_DELEGATION
    claims = {
        "iss": conf.get("ISSUER"),
        "aud": conf.get("AUDIENCE"),
        "iat": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
        "sub": str(user.pk),
        "user_id": str(user.pk),
        "client_id": application.client_id,
        "act": {"sub": application.client_id},
        "delegated": True,
        "scope": "rooms:list rooms:retrieve",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(claims, *, key=None, algorithm="HS256", typ="at+jwt", headers=None):
    """Sign ``claims`` with the test key (or ``key``); ``typ=None`` leaves ``typ`` out.

    ``headers`` adds JOSE header parameters.
    """
    return jwt.encode(
        claims,
        key if key is not None else settings.APP_DELEGATION["SIGNING_KEY"],
        algorithm=algorithm,
        headers={"typ": typ, **(headers or {})},
    )


def _b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign_by_hand(claims, header, *, key=None):
    """An HS256 JWS with exactly ``header``, for headers PyJWT refuses to encode (``kid: 123``)."""
    key = key if key is not None else settings.APP_DELEGATION["SIGNING_KEY"]
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# A second authenticator -------------------------------------------------------------------------


class DjangoOAuthToolkitLikeToken:
    """Shaped like django-oauth-toolkit's ``AccessToken``: ``scope`` string, ``scopes`` dict."""

    def __init__(self, scope):
        self.scope = scope

    @property
    def scopes(self):
        return {name: name.title() for name in self.scope.split()}


#: Opaque tokens the other provider knows, with the ``request.auth`` it returns for them.
OTHER_PROVIDER_TOKENS = {
    "other-token": lambda: {"scope": "rooms:list"},
    "other-token-list": lambda: {"scope": ["ROOMS:LIST", "rooms:list", "rooms:create"]},
    "other-token-scp": lambda: {"scp": ["rooms:list"]},
    "other-token-prefixed": lambda: {"scope": "meet:rooms:list meet:rooms:create"},
    "other-token-no-scope": lambda: {"client_id": "service-provider"},
    "dot-token": lambda: DjangoOAuthToolkitLikeToken("rooms:list rooms:create"),
}


class OtherProviderAuthentication(BaseAuthentication):
    """Stands in for an OIDC resource server placed after ours in the authenticator list.

    It knows the opaque tokens of :data:`OTHER_PROVIDER_TOKENS` and JWTs signed with
    :data:`OTHER_PROVIDER_KEY` (whose claims become ``request.auth``); the user is always alice.
    """

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        token = parts[1].decode("latin-1")
        if token in OTHER_PROVIDER_TOKENS:
            auth = OTHER_PROVIDER_TOKENS[token]()
        else:
            try:
                auth = jwt.decode(token, OTHER_PROVIDER_KEY, algorithms=["HS256"])
            except jwt.InvalidTokenError:
                return None
        return get_user_model().objects.get(username="alice"), auth

    def authenticate_header(self, request):
        return 'Bearer realm="other"'


# A claims hook --------------------------------------------------------------------------------


def add_tenant_claim(*, claims, application, user, **kwargs):
    """``GET_TOKEN_CLAIMS`` hook adding the tenant of the application."""
    return {**claims, "tenant": f"tenant-of-{application.name.lower()}"}


# A scopes hook ---------------------------------------------------------------------------------

ROLE_SCOPES = {"room-reader": ("rooms:list", "rooms:retrieve"), "room-admin": ("rooms:delete",)}


def scopes_from_roles(*, auth, request=None, **kwargs):
    """``GET_TOKEN_SCOPES`` hook mapping a provider's ``roles`` claim to scopes."""
    if isinstance(auth, dict) and "roles" in auth:
        return [scope for role in auth["roles"] for scope in ROLE_SCOPES.get(role, ())]
    return get_token_scopes(auth=auth, request=request, **kwargs)


# Views whose authenticators follow REST_FRAMEWORK at request time -----------------------------


class LiveAuthenticatorsMixin:
    """Read ``DEFAULT_AUTHENTICATION_CLASSES`` per request rather than at class definition."""

    def get_authenticators(self):
        return [authenticator() for authenticator in api_settings.DEFAULT_AUTHENTICATION_CLASSES]


class ScopedView(LiveAuthenticatorsMixin, APIView):
    """Needs ``rooms:list``; answers with the user and the scopes it was granted."""

    permission_classes = [HasScope]
    required_scopes = ["rooms:list"]

    def get(self, request):
        return Response(
            {"user": request.user.username, "scopes": sorted(get_request_scopes(request))}
        )


class RoomViewSet(LiveAuthenticatorsMixin, RoomLikeViewSet):
    """The test app's viewset with ``partial_update`` routed too (PATCH)."""

    def partial_update(self, request, pk=None):
        return Response({"action": "partial_update"})


router = SimpleRouter()
router.register("live/rooms", RoomViewSet, basename="live-rooms")

#: URLconf for ``@pytest.mark.urls("tests.auth_helpers")``: the test URLs plus the live views.
urlpatterns = [
    path("live/scoped/", ScopedView.as_view(), name="live-scoped"),
    path("", include(router.urls)),
    path("", include("tests.urls")),
]


def inactive_user_hook(*, email, **kwargs):
    """A GET_DELEGATED_USER hook that (wrongly) returns a disabled account."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username="ghost", email=email, is_active=False)


def pem_pair(private_key):
    """PEM texts (PKCS#8 private key, SubjectPublicKeyInfo public key) of a ``cryptography`` key."""
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem
