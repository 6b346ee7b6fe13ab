"""The OAuth names the endpoints speak, in one place: grant types, client authentication methods,
assertion types and signing algorithms (what RFC 8414 metadata lists as ``grant_types_supported``,
``token_endpoint_auth_methods_supported`` and ``token_endpoint_auth_signing_alg_values_supported``).
"""

from __future__ import annotations

from .client_keys import ASSERTION_ALGORITHMS

__all__ = [
    "ASSERTION_ALGORITHMS",
    "CLIENT_ASSERTION_TYPE",
    "CLIENT_AUTHENTICATION_METHODS",
    "CLIENT_CREDENTIALS",
    "CLIENT_SECRET_BASIC",
    "CLIENT_SECRET_POST",
    "GRANT_TYPES",
    "JWT_BEARER",
    "PRIVATE_KEY_JWT",
    "SECRET_METHODS",
]

#: RFC 6749 §4.4: the application's own credentials, the user named in ``scope``.
CLIENT_CREDENTIALS = "client_credentials"
#: RFC 7523 §2.1: an assertion the application signed names the user in ``sub``.
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: The grant types of the token endpoint.
GRANT_TYPES = (CLIENT_CREDENTIALS, JWT_BEARER)

#: RFC 7523 §2.2: the ``client_assertion_type`` of a JWT client assertion.
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

#: Client authentication methods (RFC 7591 §2 names).
CLIENT_SECRET_BASIC = "client_secret_basic"
CLIENT_SECRET_POST = "client_secret_post"
PRIVATE_KEY_JWT = "private_key_jwt"
SECRET_METHODS = (CLIENT_SECRET_BASIC, CLIENT_SECRET_POST)
#: The methods of every client-authenticated endpoint.
CLIENT_AUTHENTICATION_METHODS = (*SECRET_METHODS, PRIVATE_KEY_JWT)
