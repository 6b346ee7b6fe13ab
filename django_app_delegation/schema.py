"""drf-spectacular extensions: the delegated-token security scheme with per-operation scopes, the
token endpoint's documented requests and RFC 6749 errors, and named, tagged resource operations.

Loaded by the app when drf-spectacular is installed. Add
``"django_app_delegation.schema.postprocess_schema"`` to ``SPECTACULAR_SETTINGS
["POSTPROCESSING_HOOKS"]`` to get an API description of the delegation flow and its scopes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from django.utils.text import camel_case_to_spaces, capfirst
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.hooks import postprocess_schema_enums
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework.authentication import BaseAuthentication

from .conf import delegation_settings
from .extra_actions import ExtraAction
from .permissions import BaseScopePermission
from .schema_token_errors import meet_token_responses
from .scopes import known_scopes, normalize_scopes
from .serializers import (
    ErrorDetailSerializer,
    OAuthErrorSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from .token_errors import uses_meet_format

if TYPE_CHECKING:
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.serializers import Serializer
    from rest_framework.views import APIView

    from .viewsets import ResourceViewSet

_F = TypeVar("_F", bound=Callable[..., Any])

BEARER_SCHEME = "BearerAuth"
BASIC_SCHEME = "ClientBasicAuth"


class DelegatedTokenScheme(OpenApiAuthenticationExtension):
    """``BearerAuth``: a JWT from the token endpoint; operations list the scope they need."""

    target_class = "django_app_delegation.authentication.DelegatedTokenAuthentication"
    name = BEARER_SCHEME

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "An access token from `POST application/token/`, acting as a user on behalf "
                "of an application. Send it as `Authorization: Bearer <token>`."
            ),
        }

    def get_security_requirement(self, auto_schema: AutoSchema) -> dict[str, list[str]]:
        return {self.name: required_scopes(auto_schema)}


def required_scopes(auto_schema: AutoSchema) -> list[str]:
    """Scopes the permission classes of the operation need."""
    view = auto_schema.view
    scopes: list[str] = []
    for permission in view.get_permissions():
        if isinstance(permission, BaseScopePermission):
            required = permission.get_required_scopes(view.request, view) or ()
            scopes += normalize_scopes(required)
    return list(dict.fromkeys(scopes))


class ClientBasicAuthentication(BaseAuthentication):
    """Documentation stand-in for HTTP Basic client authentication on the token endpoint."""

    def authenticate(self, request: Request) -> None:  # pragma: no cover - never installed
        return None


class ClientBasicScheme(OpenApiAuthenticationExtension):
    target_class = ClientBasicAuthentication
    name = BASIC_SCHEME

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "basic",
            "description": (
                "RFC 6749 §2.3.1 client authentication: the client id and secret, each "
                "form-url-encoded, as HTTP Basic user name and password. Alternatively, send "
                "`client_id` and `client_secret` in the body (not both)."
            ),
        }


def _oauth_error(description: str, *examples: tuple[str, str, str]) -> OpenApiResponse:
    return OpenApiResponse(
        OAuthErrorSerializer,
        description=description,
        examples=[
            OpenApiExample(
                name,
                value={"error": code, "error_description": message},
                response_only=True,
            )
            for name, code, message in examples
        ],
    )


TOKEN_REQUEST_EXAMPLES = [
    OpenApiExample(
        "tokenRequest",
        summary="Body credentials, every scope of the application",
        value={
            "grant_type": "client_credentials",
            "client_id": "Yq6kUPqLmSZ3w0H8w4tJ2oYbVxTzGd1ArNc5e7Fi",
            "client_secret": "<the secret shown when the application was created>",
            "scope": "user@example.com",
        },
        request_only=True,
    ),
    OpenApiExample(
        "narrowedTokenRequest",
        summary="HTTP Basic credentials, a narrower token",
        value={"grant_type": "client_credentials", "scope": "user@example.com rooms:list"},
        request_only=True,
    ),
]

TOKEN_RESPONSES = {
    200: OpenApiResponse(
        TokenResponseSerializer,
        description="A token acting as the user. Sent with `Cache-Control: no-store`.",
        examples=[
            OpenApiExample(
                "tokenResponse",
                value={
                    "access_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6Ii4uLiIsInR5cCI6ImF0K2p3dCJ9...",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "scope": "rooms:list rooms:create",
                },
                response_only=True,
            )
        ],
    ),
    400: _oauth_error(
        "The request is malformed, the grant type is not supported, the e-mail is invalid, a "
        "requested scope is not granted, or the user is disabled.",
        ("missingParameter", "invalid_request", "Missing parameter: client_id, scope"),
        ("invalidEmail", "invalid_request", "Scope should be a valid email address."),
        (
            "unsupportedGrantType",
            "unsupported_grant_type",
            "Unsupported grant_type 'password'; use 'client_credentials'.",
        ),
        ("scopeNotGranted", "invalid_scope", "Scope not granted to this application: rooms:delete"),
        ("userDisabled", "invalid_grant", "User account is disabled."),
    ),
    401: _oauth_error(
        "Client authentication failed. With HTTP Basic, the response carries "
        '`WWW-Authenticate: Basic realm="token"`.',
        ("invalidCredentials", "invalid_client", "Invalid credentials"),
        ("inactiveApplication", "invalid_client", "Application is inactive"),
    ),
    403: _oauth_error(
        "The application may not act for users of this e-mail domain.",
        (
            "domainNotAllowed",
            "invalid_scope",
            "This application is not authorized for this email domain.",
        ),
    ),
    404: _oauth_error(
        "No user has this e-mail (and creating one is not allowed). A 404 without a body "
        "means the endpoint is disabled.",
        ("userNotFound", "invalid_grant", "User not found."),
    ),
    409: _oauth_error(
        "Several users share this e-mail address.",
        ("ambiguousUser", "invalid_grant", "Several user accounts share this email address."),
    ),
    415: _oauth_error(
        "The body is neither JSON nor form-url-encoded.",
        (
            "unsupportedMediaType",
            "invalid_request",
            'Unsupported media type "text/plain" in request.',
        ),
    ),
}


TOKEN_SCHEMA = extend_schema(
    operation_id="generateToken",
    tags=["Authentication"],
    summary="Get an access token acting as a user",
    description=(
        "OAuth 2.0 client-credentials grant (RFC 6749 §4.4) extended with delegation: "
        "`scope` starts with the e-mail of the user to act for. The token is a JWT "
        "(RFC 9068): `sub` is the user, `client_id` and `act.sub` the application."
    ),
    request={
        "application/x-www-form-urlencoded": TokenRequestSerializer,
        "application/json": TokenRequestSerializer,
    },
    examples=TOKEN_REQUEST_EXAMPLES,
    responses=TOKEN_RESPONSES,
)


def token_schema() -> Callable[[_F], _F]:
    """``TOKEN_SCHEMA``, with Meet's error responses when ``TOKEN_ERROR_FORMAT`` is "meet"."""
    if not uses_meet_format():
        return TOKEN_SCHEMA
    return extend_schema(responses=meet_token_responses(TOKEN_RESPONSES[200]))


class TokenViewSchema(OpenApiViewExtension):
    """Documents ``DelegationTokenView``: both body types, HTTP Basic, every error (RFC 6749's
    or Meet's, as ``TOKEN_ERROR_FORMAT`` says)."""

    target_class = "django_app_delegation.views.DelegationTokenView"
    match_subclasses = True

    def view_replacement(self) -> type[APIView]:
        # The base is the view drf-spectacular matched: a run-time value (typed Any there).
        class DocumentedTokenView(self.target):  # type: ignore[name-defined,misc]
            authentication_classes = [ClientBasicAuthentication]

            @token_schema()
            @TOKEN_SCHEMA
            def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
                response: Response = super().post(request, *args, **kwargs)  # pragma: no cover
                return response  # pragma: no cover

        return DocumentedTokenView


def _camel(words: object) -> str:
    return "".join(capfirst(word) for word in camel_case_to_spaces(str(words)).split())


WWW_AUTHENTICATE = OpenApiParameter(
    name="WWW-Authenticate",
    type=str,
    location=OpenApiParameter.HEADER,
    response=[401, 403],
    description=(
        'RFC 6750 challenge, e.g. `Bearer realm="api", error="invalid_token", '
        'error_description="Token expired."` (401) or `Bearer realm="api", '
        'error="insufficient_scope", scope="rooms:create"` (403).'
    ),
)


#: DRF validation errors: field names map to messages, or to nested errors for nested fields.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object", "additionalProperties": {}},
        ]
    },
}


class ResourceAutoSchema(AutoSchema):
    """Operation ids (``listRooms``, ``createRoom``...), tags and error responses of a resource."""

    verbs = {
        "list": "list",
        "create": "create",
        "retrieve": "retrieve",
        "update": "update",
        "partial_update": "partialUpdate",
        "destroy": "delete",
    }

    @property
    def resource_view(self) -> ResourceViewSet:
        """The ``ResourceViewSet`` being described."""
        return cast("ResourceViewSet", self.view)

    def _model_names(self) -> tuple[str, str]:
        meta = self.resource_view.get_model()._meta
        return _camel(meta.verbose_name), _camel(meta.verbose_name_plural)

    def get_extra_action(self) -> ExtraAction | None:
        """The extra action (``EXTRA_ACTIONS``) being described, if it is one."""
        view = self.resource_view
        return view.resource.extra_actions.get(view.action) if view.resource_name else None

    def get_operation_id(self) -> str:
        singular, plural = self._model_names()
        action = self.resource_view.action
        extra = self.get_extra_action()
        if extra is not None:
            if extra.options.get("OPERATION_ID"):
                return str(extra.options["OPERATION_ID"])
            verb = _camel(extra.name.replace("_", " "))
            return f"{verb[:1].lower()}{verb[1:]}{singular if extra.detail else plural}"
        return f"{self.verbs[action]}{plural if action == 'list' else singular}"

    def get_tags(self) -> list[str]:
        return [capfirst(str(self.resource_view.get_model()._meta.verbose_name_plural))]

    summaries = {
        "list": "List the {plural} the token may reach",
        "create": "Create a {singular} acting as the token's user",
        "retrieve": "Retrieve a {singular}",
        "update": "Replace a {singular}",
        "partial_update": "Update some fields of a {singular}",
        "destroy": "Delete a {singular}",
    }

    def get_summary(self) -> str:
        meta = self.resource_view.get_model()._meta
        extra = self.get_extra_action()
        if extra is not None:
            summary = extra.options.get("SUMMARY") or extra.name.replace("_", " ")
            return capfirst(str(summary))
        return self.summaries[self.resource_view.action].format(
            singular=meta.verbose_name, plural=meta.verbose_name_plural
        )

    # drf-spectacular's signature, which differs from DRF's ViewInspector.get_description.
    def get_description(self) -> str:  # type: ignore[override]
        # Not the view's docstring: that is written for developers, not integrators.
        scopes = required_scopes(self)
        return f"Requires the `{' '.join(scopes)}` scope." if scopes else ""

    def get_override_parameters(
        self,
    ) -> list[OpenApiParameter | Serializer[Any] | type[Serializer[Any]]]:
        return [*super().get_override_parameters(), WWW_AUTHENTICATE]

    def get_request_serializer(self) -> Any:
        extra = self.get_extra_action()
        if extra is None:
            return super().get_request_serializer()
        serializer_class = extra.request_serializer_class
        return None if serializer_class is None else serializer_class()

    def get_response_serializers(self) -> Any:
        extra = self.get_extra_action()
        if extra is None:
            return super().get_response_serializers()
        serializer_class = extra.response_serializer_class(self.resource_view.resource)
        if serializer_class is None:
            return {204: None}
        return {extra.status: serializer_class()}

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        errors: dict[str, str] = {
            "401": "Missing, invalid, expired or revoked token.",
            "403": "The token lacks the scope, or the user may not act on this object.",
        }
        action = self.resource_view.action
        extra = self.get_extra_action()
        if action in ("create", "update", "partial_update") or (
            extra is not None and extra.request_serializer_class is not None
        ):
            errors["400"] = "Invalid input: field names map to messages (or nested errors)."
        if action in ("retrieve", "update", "partial_update", "destroy") or (
            extra is not None and extra.detail
        ):
            errors["404"] = "No such object, or not one this application may reach."
        for code, description in errors.items():
            if code == "400":
                response = {
                    "description": description,
                    "content": {"application/json": {"schema": VALIDATION_ERROR_SCHEMA}},
                }
            else:
                # A private drf-spectacular helper, not annotated (see untyped_calls_exclude).
                response = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    ErrorDetailSerializer, code
                )
                response["description"] = description
            responses.setdefault(code, response)
        return responses


class ResourceViewSetSchema(OpenApiViewExtension):
    """Gives ``ResourceViewSet`` (and subclasses) the resource operation ids and errors."""

    target_class = "django_app_delegation.viewsets.ResourceViewSet"
    match_subclasses = True

    def view_replacement(self) -> type[APIView]:
        # The base is the viewset drf-spectacular matched: a run-time value (typed Any there).
        class DocumentedResourceViewSet(self.target):  # type: ignore[name-defined,misc]
            schema = ResourceAutoSchema()

        DocumentedResourceViewSet.__name__ = self.target.__name__
        return DocumentedResourceViewSet


def api_description() -> str:
    """Markdown describing the delegation flow and the configured scopes."""
    lines = [
        "This API lets a registered **application** act on behalf of a user.",
        "",
        "1. Get a token: `POST application/token/` with `grant_type=client_credentials`, the "
        "application's credentials (HTTP Basic, or `client_id` and `client_secret` in the body) "
        "and `scope` set to the user's e-mail, optionally followed by the scopes wanted.",
        "2. Call the API with `Authorization: Bearer <access_token>` until the token expires "
        f"({int(delegation_settings.ACCESS_TOKEN_LIFETIME.total_seconds())} s), then get a new "
        "one. There is no refresh token.",
        "",
        "Each operation needs one scope. Errors on the token endpoint follow RFC 6749 §5.2; "
        "API errors carry RFC 6750 `WWW-Authenticate` challenges.",
    ]
    scopes = known_scopes()
    if scopes:
        lines += ["", "| scope | allows |", "|---|---|"]
        lines += [f"| `{name}` | {label} |" for name, label in scopes.items()]
    return "\n".join(lines)


def postprocess_schema(
    result: dict[str, Any], generator: SchemaGenerator, **kwargs: Any
) -> dict[str, Any]:
    """Spectacular post-processing hook: enum components, then the delegation description."""
    result = postprocess_schema_enums(result, generator, **kwargs)
    info = result.setdefault("info", {})
    description = info.get("description") or ""
    info["description"] = (description + "\n\n" if description else "") + api_description()
    return result
