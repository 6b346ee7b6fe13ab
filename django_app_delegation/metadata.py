"""Authorization server metadata (RFC 8414): what a client discovers about this server.

:func:`authorization_server_metadata` builds the whole document, once per request, from small
parts: the grant types, client authentication methods and assertion signing algorithms the
endpoints accept (the constants of :mod:`django_app_delegation.oauth`, the one place they are
named), and the URL of each endpoint that is mounted (an endpoint whose URL name does not resolve
is left out).

The document is served by ``wellknown.AuthorizationServerMetadataView`` at
``/.well-known/oauth-authorization-server``, followed by the path of ``ISSUER`` when it has one
(RFC 8414 §3.1): for ``https://example.org/meet`` it is
``/.well-known/oauth-authorization-server/meet``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.urls import NoReverseMatch, reverse

from .conf import delegation_settings
from .oauth import ASSERTION_ALGORITHMS, CLIENT_AUTHENTICATION_METHODS, GRANT_TYPES
from .scopes import known_scopes

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request

#: The well-known URI suffix (RFC 8414 §3, registered in §7.3).
WELL_KNOWN_PATH = ".well-known/oauth-authorization-server"
#: URL names of the endpoints the document may point to (RFC 8414 field -> URL name).
ENDPOINT_URL_NAMES = {
    "token_endpoint": "app_delegation:token",
    "jwks_uri": "app_delegation_wellknown:jwks",
    "revocation_endpoint": "app_delegation:revoke",
    "introspection_endpoint": "app_delegation:introspect",
}
#: The URL name of the metadata itself.
METADATA_URL_NAME = "app_delegation_wellknown:oauth-authorization-server"
#: The grant types the token endpoint serves (RFC 8414 ``grant_types_supported``).
GRANT_TYPES_SUPPORTED: tuple[str, ...] = GRANT_TYPES
#: How a client authenticates at the token, revocation and introspection endpoints (names of the
#: IANA OAuth registry): they share ``ClientAuthenticatedView``.
TOKEN_ENDPOINT_AUTH_METHODS: tuple[str, ...] = CLIENT_AUTHENTICATION_METHODS


def grant_types_supported() -> list[str]:
    return list(GRANT_TYPES_SUPPORTED)


def token_endpoint_auth_methods_supported() -> list[str]:
    return list(TOKEN_ENDPOINT_AUTH_METHODS)


def auth_signing_alg_values_supported() -> list[str]:
    """The algorithms a ``private_key_jwt`` client assertion may be signed with."""
    return list(ASSERTION_ALGORITHMS)


def is_https_issuer(value: object) -> bool:
    """Whether ``value`` is an issuer RFC 8414 §2 accepts: https, a host, no query or fragment."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.netloc) and not (parts.query or parts.fragment)


def is_documentation_url(value: str) -> bool:
    """Whether ``value`` may be ``SERVICE_DOCUMENTATION_URL``: an http(s) URL or a site path."""
    parts = urlsplit(value)
    if parts.scheme in ("http", "https"):
        return bool(parts.netloc)
    return not parts.scheme and not parts.netloc and value.startswith("/")


def metadata_route() -> str:
    """The metadata's route: the well-known path, then the issuer's path when it has one.

    Read when the URLconf is built (``urls_wellknown``), like every option that shapes a route.
    """
    issuer = delegation_settings.ISSUER
    parts = urlsplit(issuer) if isinstance(issuer, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return WELL_KNOWN_PATH
    issuer_path = parts.path.strip("/")
    return f"{WELL_KNOWN_PATH}/{issuer_path}" if issuer_path else WELL_KNOWN_PATH


def metadata_is_mounted() -> bool:
    """Whether the URLconf serves the metadata."""
    try:
        reverse(METADATA_URL_NAME)
    except NoReverseMatch:
        return False
    return True


def endpoint_url(request: Request | HttpRequest, url_name: str) -> str | None:
    """The absolute URL of the view named ``url_name``, or None when it is not mounted."""
    try:
        return request.build_absolute_uri(reverse(url_name))
    except NoReverseMatch:
        return None


def service_documentation(request: Request | HttpRequest) -> str | None:
    """``SERVICE_DOCUMENTATION_URL``, made absolute when it is a path of this site."""
    url = delegation_settings.SERVICE_DOCUMENTATION_URL
    if not url:
        return None
    return request.build_absolute_uri(url) if url.startswith("/") else url


def authorization_server_metadata(request: Request | HttpRequest) -> dict[str, Any]:
    """The RFC 8414 document, its fields in the RFC's order; absent endpoints are left out.

    ``issuer`` is ``ISSUER`` as configured (the ``iss`` of tokens); ``response_types_supported``
    is empty, for there is no authorization endpoint.
    """
    urls = {field: endpoint_url(request, name) for field, name in ENDPOINT_URL_NAMES.items()}
    document: dict[str, Any] = {}
    if delegation_settings.ISSUER:
        document["issuer"] = delegation_settings.ISSUER
    for field in ("token_endpoint", "jwks_uri"):
        if urls[field]:
            document[field] = urls[field]
    document["scopes_supported"] = list(known_scopes())
    document["response_types_supported"] = []
    document["grant_types_supported"] = grant_types_supported()
    methods = token_endpoint_auth_methods_supported()
    algorithms = auth_signing_alg_values_supported()
    document["token_endpoint_auth_methods_supported"] = methods
    document["token_endpoint_auth_signing_alg_values_supported"] = algorithms
    documentation = service_documentation(request)
    if documentation:
        document["service_documentation"] = documentation
    for field in ("revocation_endpoint", "introspection_endpoint"):
        if urls[field]:
            document[field] = urls[field]
            prefix = field.removesuffix("_endpoint")
            document[f"{prefix}_endpoint_auth_methods_supported"] = methods
            document[f"{prefix}_endpoint_auth_signing_alg_values_supported"] = algorithms
    return document
