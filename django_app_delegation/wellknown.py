"""Public documents other services read about this server: the JWK Set of its token-signing keys.

Mount them with ``django_app_delegation.urls_wellknown`` (at the site root: ``.well-known/...``).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import keys


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
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        return Response(self.get_jwks(), content_type="application/jwk-set+json")
