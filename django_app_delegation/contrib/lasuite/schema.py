"""OpenAPI security scheme of django-lasuite's ``ResourceServerAuthentication`` (drf-spectacular).

Loaded with the app's other extensions when drf-spectacular is installed; it applies only when
django-lasuite is installed too (drf-spectacular resolves the target class lazily).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from ...schema import OAUTH2_SCHEME

RESOURCE_SERVER_SCHEME = "ResourceServerAuth"


class ResourceServerScheme(OpenApiAuthenticationExtension):
    """``ResourceServerAuth``: an access token of the identity provider, introspected."""

    target_class = "lasuite.oidc_resource_server.authentication.ResourceServerAuthentication"
    match_subclasses = True
    name = RESOURCE_SERVER_SCHEME

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An access token the identity provider issued to a La Suite service (OIDC "
                "resource server, RFC 7662 introspection). Send it as "
                "`Authorization: Bearer <token>`; its `scope` must hold the scope the operation "
                f"lists on `{OAUTH2_SCHEME}` (and in its description), if any."
            ),
        }

    def get_security_requirement(self, auto_schema: AutoSchema) -> dict[str, list[str]]:
        # OpenAPI 3.0 allows scopes on OAuth 2.0 schemes only (as for BearerAuth).
        return {self.name: []}
