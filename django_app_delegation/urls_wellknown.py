"""Well-known URLs (RFC 8615): include them at the site root, without a prefix.

``path("", include("django_app_delegation.urls_wellknown"))`` serves ``.well-known/jwks.json``
and the authorization server metadata at ``.well-known/oauth-authorization-server``, followed by
the path of ``ISSUER`` when it has one (RFC 8414 §3.1; read when the URLconf is built).
"""

from django.urls import path

from .metadata import metadata_route
from .wellknown import AuthorizationServerMetadataView, JWKSView

app_name = "app_delegation_wellknown"

urlpatterns = [
    path(".well-known/jwks.json", JWKSView.as_view(), name="jwks"),
    path(
        metadata_route(),
        AuthorizationServerMetadataView.as_view(),
        name="oauth-authorization-server",
    ),
]
