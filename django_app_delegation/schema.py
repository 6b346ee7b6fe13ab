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
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiViewExtension,
)
from drf_spectacular.hooks import postprocess_schema_enums
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.settings import spectacular_settings
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
from .tokens import max_access_token_lifetime

if TYPE_CHECKING:
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.serializers import Serializer
    from rest_framework.views import APIView

    from .viewsets import ResourceViewSet

_F = TypeVar("_F", bound=Callable[..., Any])

BEARER_SCHEME = "BearerAuth"
OAUTH2_SCHEME = "OAuth2"
BASIC_SCHEME = "ClientBasicAuth"


def token_url(patterns: Any = None, prefix: str = "/") -> str | None:
    """The path of the token endpoint in the URLconf (the first route served by its view)."""
    from django.urls import URLResolver, get_resolver

    from .views import DelegationTokenView

    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found = token_url(pattern.url_patterns, route)
            if found:
                return found
            continue
        view_class = getattr(pattern.callback, "view_class", None)
        if isinstance(view_class, type) and issubclass(view_class, DelegationTokenView):
            return route.replace("^", "").replace("$", "")
    return None


class DelegatedTokenScheme(OpenApiAuthenticationExtension):
    """Two ways to describe one token: ``OAuth2`` (client credentials, with the scopes and the token
    URL, for Swagger UI's Authorize and generators) and ``BearerAuth`` (a JWT to paste).

    Operations list their scope on ``OAuth2``; OpenAPI 3.0 allows scopes on OAuth 2.0 schemes only,
    so ``BearerAuth`` requirements are empty.
    """

    target_class = "django_app_delegation.authentication.DelegatedTokenAuthentication"
    name = [OAUTH2_SCHEME, BEARER_SCHEME]

    def get_security_definition(self, auto_schema: AutoSchema) -> list[dict[str, Any]]:
        url = token_url() or "application/token/"
        lifetime = lifetime_text()
        oauth2 = {
            "type": "oauth2",
            "description": (
                f"OAuth 2.0 client credentials (RFC 6749 §4.4) at `POST {url}`, extended with "
                "delegation: `scope` is the e-mail of the user to act for, then, optionally, "
                "the scopes wanted, space-separated (`alice@example.com rooms:list`). The e-mail "
                "comes first; without scopes after it the token carries every scope of the "
                "application. The client authenticates with HTTP Basic or with `client_id` and "
                f"`client_secret` in the body. Tokens last {lifetime}; there is no refresh "
                "token."
            ),
            "flows": {
                "clientCredentials": {
                    "tokenUrl": url,
                    "scopes": {name: str(label) for name, label in known_scopes().items()},
                }
            },
        }
        bearer = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                f"An access token from `POST {url}`, acting as a user on behalf of an "
                "application. Send it as `Authorization: Bearer <token>`. The scopes each "
                f"operation needs are listed on `{OAUTH2_SCHEME}`."
            ),
        }
        return [oauth2, bearer]

    def get_security_requirement(self, auto_schema: AutoSchema) -> list[dict[str, list[str]]]:
        return [{OAUTH2_SCHEME: required_scopes(auto_schema)}, {BEARER_SCHEME: []}]


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


class TokenRequestSchema(OpenApiSerializerExtension):
    """Names the token request's component ``TokenRequest`` whether or not request components are
    split (``COMPONENT_SPLIT_REQUEST`` would otherwise make it ``TokenRequestRequest``).
    """

    target_class = "django_app_delegation.serializers.TokenRequestSerializer"

    def get_name(self, auto_schema: AutoSchema, direction: str) -> str:
        split = direction == "request" and spectacular_settings.COMPONENT_SPLIT_REQUEST
        return "Token" if split else "TokenRequest"

    def map_serializer(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_basic_serializer(self.target, direction)
        return schema


def _oauth_error(description: str, *examples: tuple[str, str, str, str]) -> OpenApiResponse:
    """A documented RFC 6749 error: examples are (name, summary, ``error``, description)."""
    return OpenApiResponse(
        OAuthErrorSerializer,
        description=description,
        examples=[
            OpenApiExample(
                name,
                summary=summary,
                value={"error": code, "error_description": message},
                response_only=True,
            )
            for name, summary, code, message in examples
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
    OpenApiExample(
        "jwtBearerRequest",
        summary="JWT-bearer grant (RFC 7523): the user in the assertion's sub",
        value={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": "<a JWT signed with the application's private key>",
            "scope": "rooms:list",
        },
        request_only=True,
    ),
    OpenApiExample(
        "privateKeyJwtRequest",
        summary="Client credentials authenticated with private_key_jwt",
        value={
            "grant_type": "client_credentials",
            "scope": "user@example.com",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": "<a JWT signed with the application's private key>",
        },
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
                summary="A token narrowed to two scopes",
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
        (
            "missingParameter",
            "A parameter is missing",
            "invalid_request",
            "Missing parameter: scope",
        ),
        (
            "invalidEmail",
            "The scope does not start with an e-mail",
            "invalid_request",
            "Scope should be a valid email address.",
        ),
        (
            "unsupportedGrantType",
            "Another grant type than client_credentials",
            "unsupported_grant_type",
            "Unsupported grant_type 'password'; use 'client_credentials'.",
        ),
        (
            "scopeNotGranted",
            "A scope the application does not have",
            "invalid_scope",
            "Scope not granted to this application: rooms:delete",
        ),
        ("userDisabled", "The user is disabled", "invalid_grant", "User account is disabled."),
        (
            "assertionReplayed",
            "A JWT-bearer assertion used twice",
            "invalid_grant",
            "The assertion has already been used.",
        ),
    ),
    401: _oauth_error(
        "Client authentication failed or is missing (neither HTTP Basic nor `client_id` and "
        '`client_secret`). The response carries `WWW-Authenticate: Basic realm="token"` '
        "unless the rejected credentials were sent in the body.",
        (
            "invalidCredentials",
            "Unknown client or wrong secret",
            "invalid_client",
            "Invalid credentials",
        ),
        (
            "missingCredentials",
            "No client credentials",
            "invalid_client",
            "Missing client credentials: client_id, client_secret",
        ),
        (
            "inactiveApplication",
            "The application is inactive",
            "invalid_client",
            "Application is inactive",
        ),
    ),
    403: _oauth_error(
        "The application may not act for users of this e-mail domain.",
        (
            "domainNotAllowed",
            "A user outside the application's domains",
            "invalid_scope",
            "This application is not authorized for this email domain.",
        ),
    ),
    404: _oauth_error(
        "No user has this e-mail (and creating one is not allowed). A 404 without a body "
        "means the endpoint is disabled.",
        ("userNotFound", "No user has this e-mail", "invalid_grant", "User not found."),
    ),
    409: _oauth_error(
        "Several users share this e-mail address.",
        (
            "ambiguousUser",
            "Several users have this e-mail",
            "invalid_grant",
            "Several user accounts share this email address.",
        ),
    ),
    415: _oauth_error(
        "The body is neither JSON nor form-url-encoded.",
        (
            "unsupportedMediaType",
            "A body in another format",
            "invalid_request",
            'Unsupported media type "text/plain" in request.',
        ),
    ),
    429: _oauth_error(
        "Too many requests: from this client IP address, for this application, or after too "
        "many failed client authentications from this address (the client is then not "
        "authenticated at all). Retry after `Retry-After` seconds.",
        (
            "throttled",
            "Too many requests",
            "invalid_request",
            "Request was throttled. Expected available in 42 seconds.",
        ),
    ),
    503: _oauth_error(
        "Request limits cannot be checked right now (and the server is set to refuse requests "
        "then), or another request is creating this user. Retry after `Retry-After` seconds.",
        (
            "limitsUnavailable",
            "The limits' cache cannot be reached",
            "temporarily_unavailable",
            "Request limits cannot be checked right now; try again later.",
        ),
    ),
}

RETRY_AFTER = OpenApiParameter(
    name="Retry-After",
    type=int,
    location=OpenApiParameter.HEADER,
    response=[429, 503],
    description="Seconds to wait before trying again.",
)


TOKEN_SCHEMA = extend_schema(
    operation_id="generateToken",
    tags=["Authentication"],
    summary="Get an access token acting as a user",
    description=(
        "OAuth 2.0 client-credentials grant (RFC 6749 §4.4) extended with delegation: "
        "`scope` starts with the e-mail of the user to act for. The token is a JWT "
        "(RFC 9068): `sub` is the user, `client_id` and `act.sub` the application. Or the "
        "JWT-bearer grant (RFC 7523 §2.1): an `assertion` the application signed with its "
        "private key names the user in `sub`. Clients authenticate with HTTP Basic, "
        "`client_id` and `client_secret`, or a client assertion (`private_key_jwt`). The body is "
        "form-url-encoded as RFC 6749 says; the same parameters as a JSON object are accepted "
        "too (one documented body type keeps generated clients simple)."
    ),
    request={"application/x-www-form-urlencoded": TokenRequestSerializer},
    examples=TOKEN_REQUEST_EXAMPLES,
    responses=TOKEN_RESPONSES,
    parameters=[RETRY_AFTER],
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
    "description": "Field names (or `non_field_errors`) mapped to messages, or to nested errors.",
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object", "additionalProperties": {}},
        ]
    },
}
VALIDATION_ERROR_REF = {"$ref": "#/components/schemas/ValidationError"}


def validation_error_component() -> ResolvedComponent:
    """The ``ValidationError`` schema component: DRF's field errors."""
    return ResolvedComponent(
        name="ValidationError",
        type=ResolvedComponent.SCHEMA,
        object="django_app_delegation.ValidationError",
        schema=VALIDATION_ERROR_SCHEMA,
    )


#: What a 400 of the resource API holds: field errors, or ``detail`` for a body that does not parse.
BAD_REQUEST_SCHEMA = {
    "oneOf": [
        {"$ref": "#/components/schemas/ValidationError"},
        {"$ref": "#/components/schemas/ErrorDetail"},
    ]
}


class ResourceFilterSchema(DjangoFilterExtension):
    """django-filter's query parameters of a resource's list (``FILTERSET_FIELDS``,
    ``FILTERSET_CLASS``), each with ``allowEmptyValue``: django-filter does not filter on an empty
    value (``?access_level=``), so the document admits one."""

    target_class = "django_app_delegation.filters.ResourceFilterBackend"
    # Not defined without django-filter: the extension then stays unused, with no warning.
    optional = True
    priority = 1  # Before drf-spectacular's own, which matches subclasses of django-filter's.

    def get_schema_operation_parameters(
        self, auto_schema: AutoSchema, *args: Any, **kwargs: Any
    ) -> list[dict[str, Any]]:
        # drf-spectacular's django-filter extension is not annotated (a call through super()
        # escapes untyped_calls_exclude).
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(  # type: ignore[no-untyped-call]
            auto_schema, *args, **kwargs
        )
        for parameter in parameters:
            if parameter.get("in") == "query":
                parameter["allowEmptyValue"] = True
        return parameters


class ResourceAutoSchema(AutoSchema):
    """Operation ids (``listRooms``, ``createRoom``...), tags, errors and links of a resource.

    Request bodies are documented as JSON only: nested fields cannot be sent as forms.
    """

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
            return self._extra_operation_id(extra)
        return f"{self.verbs[action]}{plural if action == 'list' else singular}"

    def _extra_operation_id(self, extra: ExtraAction) -> str:
        if extra.options.get("OPERATION_ID"):
            return str(extra.options["OPERATION_ID"])
        singular, plural = self._model_names()
        verb = _camel(extra.name.replace("_", " "))
        return f"{verb[:1].lower()}{verb[1:]}{singular if extra.detail else plural}"

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
    #: Descriptions of the success responses.
    successes = {
        "list": "A page of the {plural} the token may reach.",
        "create": "The {singular} created.",
        "retrieve": "The {singular}.",
        "update": "The {singular}, changed.",
        "partial_update": "The {singular}, changed.",
        "destroy": "The {singular} is deleted.",
    }

    def _format(self, template: str) -> str:
        meta = self.resource_view.get_model()._meta
        return template.format(singular=meta.verbose_name, plural=meta.verbose_name_plural)

    def get_summary(self) -> str:
        extra = self.get_extra_action()
        if extra is not None:
            summary = extra.options.get("SUMMARY") or extra.name.replace("_", " ")
            return capfirst(str(summary))
        return self._format(self.summaries[self.resource_view.action])

    # drf-spectacular's signature, which differs from DRF's ViewInspector.get_description.
    def get_description(self) -> str:  # type: ignore[override]
        # Not the view's docstring: that is written for developers, not integrators.
        scopes = required_scopes(self)
        return f"Requires the `{' '.join(scopes)}` scope." if scopes else ""

    def get_override_parameters(
        self,
    ) -> list[OpenApiParameter | Serializer[Any] | type[Serializer[Any]]]:
        return [*super().get_override_parameters(), WWW_AUTHENTICATE, RETRY_AFTER]

    def map_parsers(self) -> list[Any]:
        return [media for media in super().map_parsers() if "json" in media] or ["application/json"]

    def _get_paginator(self) -> Any:
        # drf-spectacular's private method is not annotated.
        paginator = super()._get_paginator()  # type: ignore[no-untyped-call]
        if paginator is not None and hasattr(paginator, "example_path"):
            paginator.example_path = self.path
        return paginator

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
        action = self.resource_view.action
        for code, response in responses.items():
            if code.startswith("2") and response.get("description") in ("", "No response body"):
                success = self.successes.get(action)
                if success is None:  # An extra action.
                    success = "Done: the action's result." if code != "204" else "Done."
                response["description"] = self._format(success)
        errors: dict[str, str] = {
            "401": "Missing, invalid, expired or revoked token.",
            "403": "The token lacks the scope, or the user may not act on this object.",
        }
        extra = self.get_extra_action()
        if action in ("create", "update", "partial_update") or (
            extra is not None and extra.request_serializer_class is not None
        ):
            errors["400"] = (
                "Invalid input: field errors, or `detail` when the body is not a JSON object."
            )
        if action == "list":
            errors["400"] = "Invalid `page` or `page_size`: each must be a positive integer."
            if self.resource_view.resource.has_filters:
                errors["400"] = (
                    "Invalid `page` or `page_size` (each must be a positive integer), or an "
                    "invalid filter value."
                )
            errors["404"] = "A page past the last one."
        if action in ("retrieve", "update", "partial_update", "destroy") or (
            extra is not None and extra.detail
        ):
            errors["404"] = "No such object, or not one this application may reach."
        errors["429"] = (
            "Too many calls of this operation by the application, or by the application for "
            "this user. Retry after `Retry-After` seconds."
        )
        errors["503"] = (
            "Request limits cannot be checked right now. Retry after `Retry-After` seconds."
        )
        for code, description in errors.items():
            if code == "400":
                self.registry.register_on_missing(validation_error_component())
                self.resolve_serializer(ErrorDetailSerializer, "response")
                schema = BAD_REQUEST_SCHEMA if action != "list" else VALIDATION_ERROR_REF
                response = {
                    "description": description,
                    "content": {"application/json": {"schema": schema}},
                }
            else:
                # A private drf-spectacular helper, not annotated (see untyped_calls_exclude).
                response = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    ErrorDetailSerializer, code
                )
                response["description"] = description
            responses.setdefault(code, response)
        links = self.get_links()
        success = "201" if action == "create" else "200"
        if links and success in responses:
            responses[success]["links"] = links
        return responses

    #: Links from a response to the operations on the object it names (OpenAPI ``links``).
    link_targets = {
        "retrieve": "Retrieve{singular}",
        "update": "Update{singular}",
        "partial_update": "PartialUpdate{singular}",
        "destroy": "Delete{singular}",
    }

    def get_links(self) -> dict[str, Any]:
        """From a created or listed object to the detail operations the resource allows, its
        detail extra actions included."""
        action = self.resource_view.action
        view = self.resource_view
        if action not in ("create", "list"):
            return {}
        field = view.lookup_field if view.lookup_field != "pk" else "id"
        serializer: Any = view.get_serializer_class()()
        if field not in serializer.fields:
            return {}
        pointer = "$response.body#/" + (field if action == "create" else f"results/0/{field}")
        singular, _plural = self._model_names()
        allowed = set(view.resource.actions)
        links = {}
        parameters = {view.lookup_url_kwarg or field: pointer}
        for target, name in self.link_targets.items():
            if target not in allowed:
                continue
            operation_id = f"{self.verbs[target]}{singular}"
            links[name.format(singular=singular)] = {
                "operationId": operation_id,
                "parameters": dict(parameters),
            }
        for extra in view.resource.extra_actions.values():
            if extra.detail:
                operation_id = self._extra_operation_id(extra)
                links[capfirst(operation_id)] = {
                    "operationId": operation_id,
                    "parameters": dict(parameters),
                }
        return links


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


def lifetime_text() -> str:
    """How long tokens last, for descriptions: ``3600 s``, or ``3600 s (at most 86400 s for an
    application given its own lifetime)`` when applications may have longer ones."""
    default = int(delegation_settings.ACCESS_TOKEN_LIFETIME.total_seconds())
    maximum = int(max_access_token_lifetime().total_seconds())
    if maximum <= default:
        return f"{default} s"
    return f"{default} s, at most {maximum} s for an application given its own lifetime"


def api_description(*, opening: bool = True) -> str:
    """Markdown describing the delegation flow and the configured scopes.

    ``opening`` adds the sentence saying what the API is for; leave it out when the project's own
    description already says so.
    """
    url = token_url() or "application/token/"
    lines = []
    if opening:
        lines += ["This API lets a registered **application** act on behalf of a user.", ""]
    lines += [
        f"1. Get a token: `POST {url}` with `grant_type=client_credentials`, the "
        "application's credentials (HTTP Basic, or `client_id` and `client_secret` in the body) "
        "and `scope` set to the user's e-mail, optionally followed by the scopes wanted.",
        "2. Call the API with `Authorization: Bearer <access_token>` until the token expires "
        f"({lifetime_text()}, `expires_in`), then get a new one. There is no refresh token.",
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
    """Spectacular post-processing hook: enum components, then the delegation description.

    The project's ``DESCRIPTION`` comes first; the flow and the scope table follow it.
    """
    result = postprocess_schema_enums(result, generator, **kwargs)
    info = result.setdefault("info", {})
    description = (info.get("description") or "").strip()
    flow = api_description(opening=not description)
    info["description"] = f"{description}\n\n{flow}" if description else flow
    return result
