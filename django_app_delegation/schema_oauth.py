"""drf-spectacular extensions documenting the revocation (RFC 7009), user revocation and
introspection (RFC 7662) endpoints of ``oauth_views.py``: form bodies, HTTP Basic client
authentication, and their RFC 6749 error responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated

from .schema import RETRY_AFTER, TOKEN_RESPONSES, ClientBasicAuthentication, _oauth_error
from .serializers import (
    IntrospectionResponseSerializer,
    TokenOperationRequestSerializer,
    UserRevocationRequestSerializer,
)

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView

#: A view's ``post``.
_Post = Callable[..., "Response"]

FORM = "application/x-www-form-urlencoded"
MISSING_TOKEN = (
    "missingParameter",
    "A parameter is missing",
    "invalid_request",
    "Missing parameter: token",
)

#: Documented as HTTP Basic only: a document listing the body parameters too would let clients
#: send both, which is refused.
CLIENT_AUTHENTICATION = (
    " The application authenticates with HTTP Basic, or with `client_id` and `client_secret` "
    "body parameters instead (not both), as at the token endpoint."
)

#: What every one of these endpoints may answer besides its 200.
COMMON_RESPONSES = {status: TOKEN_RESPONSES[status] for status in (401, 415, 429, 503)}

REVOKED = OpenApiResponse(
    description="Done, or nothing to do: the token was unknown, malformed, expired, already "
    "revoked, or another application's (left alone, without saying so). The body is empty. "
    "Sent with `Cache-Control: no-store`.",
)

REVOCATION_SCHEMA = extend_schema(
    operation_id="revokeToken",
    tags=["Authentication"],
    summary="Revoke an access token",
    description=(
        "OAuth 2.0 token revocation (RFC 7009). The application authenticates as at the token "
        "endpoint and names one of its access tokens; the token is refused from its next "
        "request on. `token_type_hint` is accepted and ignored (only access tokens exist)."
        + CLIENT_AUTHENTICATION
    ),
    request={FORM: TokenOperationRequestSerializer},
    examples=[
        OpenApiExample(
            "revocationRequest",
            summary="HTTP Basic credentials",
            value={
                "token": "eyJhbGciOiJIUzI1NiIsImtpZCI6Ii4uLiIsInR5cCI6ImF0K2p3dCJ9...",
                "token_type_hint": "access_token",
            },
            request_only=True,
        )
    ],
    responses={
        200: REVOKED,
        400: _oauth_error(
            "The request is malformed, or the token is one of the application's that cannot "
            "be revoked on its own (it has no `jti`).",
            MISSING_TOKEN,
            (
                "unsupportedTokenType",
                "A token without jti",
                "unsupported_token_type",
                "This token cannot be revoked on its own: it has no usable jti.",
            ),
        ),
        **COMMON_RESPONSES,
    },
    parameters=[RETRY_AFTER],
)

USER_REVOCATION_SCHEMA = extend_schema(
    operation_id="revokeUserTokens",
    tags=["Authentication"],
    summary="Revoke every token of a user",
    description=(
        "Revokes every access token this application holds for the user with `email`, issued "
        "until now; tokens it gets afterwards work. The answer is the same whether or not a "
        "user has this e-mail." + CLIENT_AUTHENTICATION
    ),
    request={FORM: UserRevocationRequestSerializer},
    examples=[
        OpenApiExample(
            "userRevocationRequest",
            summary="HTTP Basic credentials",
            value={"email": "user@example.com"},
            request_only=True,
        )
    ],
    responses={
        200: OpenApiResponse(
            description="Done (or no user has this e-mail). The body is empty. Sent with "
            "`Cache-Control: no-store`."
        ),
        400: _oauth_error(
            "The request is malformed: `email` is missing or not an e-mail address.",
            (
                "missingParameter",
                "A parameter is missing",
                "invalid_request",
                "Missing parameter: email",
            ),
            (
                "invalidEmail",
                "Not an e-mail address",
                "invalid_request",
                "Enter a valid email address.",
            ),
        ),
        **COMMON_RESPONSES,
    },
    parameters=[RETRY_AFTER],
)

INTROSPECTION_SCHEMA = extend_schema(
    operation_id="introspectToken",
    tags=["Authentication"],
    summary="Introspect an access token",
    description=(
        "OAuth 2.0 token introspection (RFC 7662). An application introspects its own tokens; "
        "a resource server allowed to (`can_introspect_all_tokens`) any application's. "
        'Anything that would not authenticate now is answered `{"active": false}`.'
        + CLIENT_AUTHENTICATION
    ),
    request={FORM: TokenOperationRequestSerializer},
    responses={
        200: OpenApiResponse(
            IntrospectionResponseSerializer,
            description="The token's state. Sent with `Cache-Control: no-store`.",
            examples=[
                OpenApiExample(
                    "activeToken",
                    summary="An active token",
                    value={
                        "active": True,
                        "scope": "rooms:list rooms:create",
                        "client_id": "Yq6kUPqLmSZ3w0H8w4tJ2oYbVxTzGd1ArNc5e7Fi",
                        "username": "user@example.com",
                        "token_type": "Bearer",
                        "exp": 1767225600,
                        "iat": 1767222000,
                        "sub": "42",
                        "aud": "https://meet.example.org/external-api/v1.0",
                        "iss": "lasuite-meet",
                        "jti": "5f0c3c0e4b6a4b8e9a2f1d7c6b5a4e3d",
                    },
                    response_only=True,
                ),
                OpenApiExample(
                    "inactiveToken",
                    summary="Anything else",
                    value={"active": False},
                    response_only=True,
                ),
            ],
        ),
        400: _oauth_error("The request is malformed.", MISSING_TOKEN),
        **COMMON_RESPONSES,
    },
    parameters=[RETRY_AFTER],
)


def _documented(target: Any, schema: Callable[[_Post], _Post]) -> type[APIView]:
    """``target`` with HTTP Basic client authentication and ``schema`` on its ``post``."""

    class DocumentedView(target):  # type: ignore[misc]
        authentication_classes = [ClientBasicAuthentication]
        # Client authentication is required: no anonymous alternative in ``security``.
        permission_classes = [IsAuthenticated]

        @schema
        def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
            response: Response = super().post(request, *args, **kwargs)  # pragma: no cover
            return response  # pragma: no cover

    return DocumentedView


class RevocationViewSchema(OpenApiViewExtension):
    target_class = "django_app_delegation.oauth_views.RevocationView"
    match_subclasses = True

    def view_replacement(self) -> type[APIView]:
        return _documented(self.target, REVOCATION_SCHEMA)


class UserRevocationViewSchema(OpenApiViewExtension):
    target_class = "django_app_delegation.oauth_views.UserRevocationView"
    match_subclasses = True

    def view_replacement(self) -> type[APIView]:
        return _documented(self.target, USER_REVOCATION_SCHEMA)


class IntrospectionViewSchema(OpenApiViewExtension):
    target_class = "django_app_delegation.oauth_views.IntrospectionView"
    match_subclasses = True

    def view_replacement(self) -> type[APIView]:
        return _documented(self.target, INTROSPECTION_SCHEMA)
