"""The OAuth endpoints about tokens already issued: revocation (RFC 7009), revoking every token of
one user (an extension), and introspection (RFC 7662).

Apart from the token endpoint (``views.py``) because they issue nothing: they take a token (or a
user) and answer about it. All subclass :class:`~.client_authentication.ClientAuthenticatedView`,
so the application authenticates exactly as at the token endpoint (HTTP Basic or body
parameters), with the same limits, lockout, RFC 6749 error bodies and ``Cache-Control:
no-store``. Their errors are always RFC 6749's (``TOKEN_ERROR_FORMAT`` shapes the token endpoint
only: Meet has none of these endpoints).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

import jwt
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from .authentication import DelegatedToken, DelegatedTokenAuthentication
from .client_authentication import ClientAuthenticatedView
from .conf import delegation_settings
from .exceptions import InvalidToken, MissingParameters, TokenRequestError, UnsupportedTokenType
from .models import Application
from .revocation import can_revoke_jti, expiry_of, revoke_delegations_for_email, revoke_token
from .scopes import normalize_scopes
from .token_errors import error_description
from .tokens import decode_token
from .views import validated_email

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

__all__ = ["IntrospectionView", "RevocationView", "TokenOperationView", "UserRevocationView"]

logger = logging.getLogger("django_app_delegation")

#: Longest ``token`` parameter decoded; a longer one cannot be ours (it is not looked at).
MAX_TOKEN_LENGTH = 8192


class TokenOperationView(ClientAuthenticatedView):
    """Base of the endpoints an authenticated application sends a token to (RFC 7009, 7662).

    ``token_type_hint`` is accepted and ignored, whatever its value (RFC 7009 §2.1 lets the
    server search every token type it supports: we issue access tokens only).
    """

    parameters: ClassVar[tuple[str, ...]] = (
        "token",
        "token_type_hint",
        "client_id",
        "client_secret",
    )
    required_parameters: ClassVar[tuple[str, ...]] = ("token",)

    def check_params(self, params: dict[str, str]) -> None:
        missing = [name for name in self.required_parameters if name not in params]
        if missing:
            raise MissingParameters(
                _("Missing parameter: %(names)s") % {"names": ", ".join(missing)}, names=missing
            )

    def authenticate_request_client(self, request: Request) -> tuple[dict[str, str], Application]:
        """The request's parameters and its authenticated, active application."""
        params = self.get_params(request)
        credentials = self.get_client_credentials(request, params)
        application = self.authenticate_client(request, credentials)
        self._application = application
        return params, application

    def get_claims(self, token: str) -> dict[str, Any] | None:
        """The claims of ``token`` if it is one of our delegated tokens, valid now; else None."""
        if len(token) > MAX_TOKEN_LENGTH:
            return None
        try:
            claims = decode_token(token)
        except jwt.PyJWTError:
            return None
        if claims.get("delegated") is not True or not isinstance(claims.get("client_id"), str):
            return None
        return claims

    def get_error_response(self, exc: TokenRequestError) -> Response:
        headers = exc.headers if exc.status == 401 else {}
        body = {"error": exc.error, "error_description": error_description(exc.description)}
        return Response(body, status=exc.status, headers=headers)


class RevocationView(TokenOperationView):
    """Revoke one of the application's access tokens (RFC 7009).

    200 with an empty body whenever the client is authenticated and the token is not a usable
    token of its own: unknown, malformed, expired, already revoked, or another application's (left
    alone, and the answer does not say so: no oracle on other applications' tokens).
    """

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params, application = self.authenticate_request_client(request)
        claims = self.get_claims(params["token"])
        if claims is None:
            return self.get_revoked_response()
        if claims["client_id"] != application.client_id:
            logger.warning(
                "Application %s asked to revoke a token of another application; ignored",
                application.client_id,
            )
            return self.get_revoked_response()
        jti = claims.get("jti")
        if not can_revoke_jti(jti):
            raise UnsupportedTokenType()
        assert isinstance(jti, str)
        if revoke_token(
            application=application, jti=jti, expires_at=expiry_of(claims), request=request
        ):
            logger.info("Application %s revoked a token", application.client_id)
        return self.get_revoked_response()

    def get_revoked_response(self) -> Response:
        """RFC 7009 §2.2: 200; the body is empty (the client ignores it)."""
        return Response(status=200)


class UserRevocationView(TokenOperationView):
    """Revoke every token the application holds for one user, named by ``email``.

    Tokens issued afterwards work. 200 with an empty body whether or not a user has this e-mail
    (no oracle on users), and for an address the application may not act for (``CAN_DELEGATE``),
    which is neither looked up nor recorded; 400 ``invalid_request`` for a malformed address.
    """

    parameters = ("email", "client_id", "client_secret")
    required_parameters = ("email",)

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params, application = self.authenticate_request_client(request)
        email = validated_email(params["email"], _("Enter a valid email address."))
        if not delegation_settings.CAN_DELEGATE(
            application=application, email=email, request=request
        ):
            # Not a user it may act for: it holds no token of theirs, and learns nothing of them
            # (no lookup, no event naming them). The same answer.
            return Response(status=200)
        revoke_delegations_for_email(application=application, email=email, request=request)
        logger.info("Application %s revoked the tokens of a user", application.client_id)
        return Response(status=200)


class IntrospectionView(TokenOperationView):
    """Say whether a token is active and what it carries (RFC 7662).

    ``{"active": false}`` for anything that would not authenticate now: unknown, malformed,
    expired, revoked, of an inactive application or user. An application introspects its own
    tokens; one with ``can_introspect_all_tokens`` (a resource server) every application's. Any
    other token is answered ``{"active": false}`` too.
    """

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params, application = self.authenticate_request_client(request)
        raw = params["token"]
        claims = self.get_claims(raw)
        if claims is None or not self.may_introspect(application, claims):
            return self.get_inactive_response()
        try:
            user, token = self.get_authenticator().authenticate_claims(request, raw, claims)
        except InvalidToken:
            return self.get_inactive_response()
        return Response(self.get_introspection(claims, user, token))

    def may_introspect(self, application: Application, claims: dict[str, Any]) -> bool:
        return bool(
            claims["client_id"] == application.client_id or application.can_introspect_all_tokens
        )

    def get_authenticator(self) -> DelegatedTokenAuthentication:
        """What checks the application, the user and revocation, as a request would."""
        return DelegatedTokenAuthentication()

    def get_introspection(
        self, claims: dict[str, Any], user: AbstractBaseUser, token: DelegatedToken
    ) -> dict[str, Any]:
        """The active answer: RFC 7662 §2.2's members that apply, from the token and the user.

        ``scope`` lists the scopes the token still grants (withdrawn ones left out), always, as
        django-lasuite's resource server requires it; ``sub`` is the user's
        ``INTROSPECTION_SUBJECT_FIELD`` (its primary key, the token's ``sub``, by default).
        """
        scopes = [scope for scope in normalize_scopes(claims.get("scope")) if scope in token.scopes]
        body: dict[str, Any] = {
            "active": True,
            "scope": " ".join(scopes),
            "client_id": token.client_id,
            "username": user.get_username(),
            "token_type": delegation_settings.TOKEN_TYPE,
        }
        for claim in ("exp", "iat", "nbf", "aud", "iss", "jti"):
            if claim in claims:
                body[claim] = claims[claim]
        subject = self.get_subject(user, claims)
        if subject:
            body["sub"] = subject
        return body

    def get_subject(self, user: AbstractBaseUser, claims: dict[str, Any]) -> str | None:
        field = delegation_settings.INTROSPECTION_SUBJECT_FIELD
        if not field:
            return str(claims.get("sub") or user.pk)
        value = getattr(user, field, None)
        return None if value in (None, "") else str(value)

    def get_inactive_response(self) -> Response:
        return Response({"active": False})
