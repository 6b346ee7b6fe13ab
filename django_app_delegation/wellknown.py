"""Public documents other services read about this server: the JWK Set of its token-signing keys
and its authorization server metadata (RFC 8414).

Mount them with ``django_app_delegation.urls_wellknown`` (at the site root: ``.well-known/...``).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import keys, metadata
from .conf import delegation_settings

#: The media type of a JWK Set (RFC 7517 §8.5.1).
JWK_SET_MEDIA_TYPE = "application/jwk-set+json"


class JWKSView(APIView):
    """The public keys that verify access tokens, as a JWK Set (RFC 7517); never HMAC keys."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get_jwks(self) -> dict[str, Any]:
        """The document served: :func:`keys.jwks` by default."""
        return keys.jwks()

    @extend_schema(
        operation_id="jwks",
        summary="Public keys of access tokens (JWK Set)",
        tags=["discovery"],
        responses={(200, JWK_SET_MEDIA_TYPE): OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        return Response(self.get_jwks(), content_type=JWK_SET_MEDIA_TYPE)


def _urls(help_text: str) -> serializers.URLField:
    return serializers.URLField(required=False, help_text=help_text)


def _names(help_text: str, *, required: bool = True) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(), required=required, help_text=help_text
    )


#: The document's shape, for the OpenAPI schema.
METADATA_SCHEMA = inline_serializer(
    name="AuthorizationServerMetadata",
    fields={
        "issuer": serializers.CharField(
            required=False, help_text="The `iss` of access tokens (ISSUER)."
        ),
        "token_endpoint": _urls("The token endpoint's absolute URL."),
        "jwks_uri": _urls("The JWK Set of the keys that verify access tokens, when served."),
        "scopes_supported": _names("The scope vocabulary (SCOPES)."),
        "response_types_supported": _names("Empty: there is no authorization endpoint."),
        "grant_types_supported": _names("The grant types of the token endpoint."),
        "token_endpoint_auth_methods_supported": _names(
            "How clients authenticate at the token endpoint."
        ),
        "token_endpoint_auth_signing_alg_values_supported": _names(
            "The algorithms of private_key_jwt client assertions."
        ),
        "service_documentation": _urls("The API's documentation, when configured."),
        "revocation_endpoint": _urls("The revocation endpoint (RFC 7009), when served."),
        "revocation_endpoint_auth_methods_supported": _names(
            "How clients authenticate at the revocation endpoint, when served.", required=False
        ),
        "revocation_endpoint_auth_signing_alg_values_supported": _names(
            "The algorithms of its private_key_jwt client assertions, when served.", required=False
        ),
        "introspection_endpoint": _urls("The introspection endpoint (RFC 7662), when served."),
        "introspection_endpoint_auth_methods_supported": _names(
            "How clients authenticate at the introspection endpoint, when served.", required=False
        ),
        "introspection_endpoint_auth_signing_alg_values_supported": _names(
            "The algorithms of its private_key_jwt client assertions, when served.", required=False
        ),
    },
)


class AuthorizationServerMetadataView(APIView):
    """The authorization server metadata (RFC 8414), a public document clients may cache."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    renderer_classes = (JSONRenderer,)
    #: How long (seconds) clients and shared caches may keep the document.
    cache_max_age = 3600

    def get_metadata(self, request: Request) -> dict[str, Any]:
        """The document served: :func:`metadata.authorization_server_metadata` by default."""
        return metadata.authorization_server_metadata(request)

    @extend_schema(
        operation_id="authorizationServerMetadata",
        summary="Authorization server metadata (RFC 8414)",
        tags=["discovery"],
        responses={200: METADATA_SCHEMA},
    )
    def get(self, request: Request) -> Response:
        if not delegation_settings.ENABLED:
            raise Http404()
        response = Response(self.get_metadata(request))
        patch_cache_control(response, public=True, max_age=self.cache_max_age)
        return response
