"""Every error the app raises: the token endpoint's RFC 6749 errors, the resource API's RFC 6750
challenges (401 ``invalid_token``, 403 ``insufficient_scope``), 503 when throttling or the database
is unavailable, and the token decoding errors.

Hooks raise the :class:`TokenRequestError` family to refuse a delegation with a precise answer; the
token view renders them as ``{"error": <code>, "error_description": <message>}`` with the given
status.
"""

from __future__ import annotations

from collections.abc import Iterable

import jwt
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

from .conf import delegation_settings

#: A string, or a lazy translation of one.
StrOrPromise = str | Promise


# -- the token endpoint (RFC 6749 §5.2) ---------------------------------------------------------


class TokenRequestError(Exception):
    """An RFC 6749 §5.2 error: ``error`` code, human ``description`` and HTTP ``status``."""

    error = "invalid_request"
    status = 400
    default_description: StrOrPromise = ""

    def __init__(
        self,
        description: StrOrPromise | None = None,
        *,
        error: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.description = str(description if description is not None else self.default_description)
        if error is not None:
            self.error = error
        if status is not None:
            self.status = status
        self.headers = dict(headers or {})
        super().__init__(self.description)


class InvalidRequest(TokenRequestError):
    error = "invalid_request"


class MissingParameters(InvalidRequest):
    """Required parameters are missing or blank (``names``, in the order of the request)."""

    def __init__(self, description: StrOrPromise, *, names: Iterable[str]) -> None:
        super().__init__(description)
        self.names = tuple(names)


class InvalidParameter(InvalidRequest):
    """A parameter is sent twice, or is not a string (or too long): ``name``."""

    def __init__(self, description: StrOrPromise, *, name: str) -> None:
        super().__init__(description)
        self.name = name


class MalformedBody(InvalidRequest):
    """The body does not parse; ``detail`` is the parser's message."""

    def __init__(self, description: StrOrPromise, *, detail: str) -> None:
        super().__init__(description)
        self.detail = detail


class UnsupportedGrantType(TokenRequestError):
    error = "unsupported_grant_type"
    default_description = _("Unsupported grant type.")


class UnsupportedTokenType(TokenRequestError):
    """RFC 7009 §2.2.1: a token of the client that this server cannot revoke on its own."""

    error = "unsupported_token_type"
    default_description = _("This token cannot be revoked on its own: it has no usable jti.")


class InvalidClient(TokenRequestError):
    error = "invalid_client"
    status = 401
    default_description = _("Invalid credentials")


class MissingClientCredentials(InvalidClient):
    """No client authentication: neither HTTP Basic nor both body parameters (``names`` lists
    the missing ones). RFC 6749 §5.2 makes it ``invalid_client``; Meet's format, a field error."""

    def __init__(
        self,
        description: StrOrPromise,
        *,
        names: Iterable[str],
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description, headers=headers)
        self.names = tuple(names)


class InvalidScope(TokenRequestError):
    error = "invalid_scope"


class DomainNotAllowed(TokenRequestError):
    error = "invalid_scope"
    status = 403
    default_description = _("This application is not authorized for this email domain.")


class InvalidGrant(TokenRequestError):
    error = "invalid_grant"


class UserNotFound(InvalidGrant):
    status = 404
    default_description = _("User not found.")


class UserInactive(InvalidGrant):
    status = 400
    default_description = _("User account is disabled.")


class MultipleUsers(InvalidGrant):
    status = 409
    default_description = _("Several user accounts share this email address.")


class ProvisioningFailed(MultipleUsers):
    """Creating the user lost a race, and the winner's row cannot be read either."""

    default_description = _("Failed to create or retrieve provisional user.")


class InvalidAssertion(Exception):
    """An assertion (RFC 7523) is refused: ``description`` says why, in stable words.

    The token endpoint answers it ``invalid_grant`` for the JWT-bearer grant's assertion, and
    ``invalid_client`` for a client assertion.
    """

    def __init__(self, description: StrOrPromise) -> None:
        self.description = str(description)
        super().__init__(self.description)


# -- API calls (DRF exceptions) -----------------------------------------------------------------


class InvalidToken(exceptions.AuthenticationFailed):
    """401 for a token of ours that cannot be used (RFC 6750 ``invalid_token``)."""

    default_code = "invalid_token"


class InsufficientScope(exceptions.PermissionDenied):
    """403 carrying an RFC 6750 ``insufficient_scope`` challenge."""

    default_code = "insufficient_scope"

    def __init__(self, required: Iterable[str] = ()) -> None:
        required = tuple(required)
        detail: StrOrPromise
        if required:
            detail = _("Insufficient permissions. Required scope: %(scope)s") % {
                "scope": " ".join(required)
            }
        else:
            detail = _("Insufficient permissions.")
        super().__init__(detail)
        realm = delegation_settings.WWW_AUTHENTICATE_REALM
        parts = [f'realm="{realm}"'] if realm else []
        parts.append('error="insufficient_scope"')
        if required:
            parts.append(f'scope="{" ".join(required)}"')
        self.auth_header = "Bearer " + ", ".join(parts)


class TemporarilyUnavailable(exceptions.APIException):
    """503 ``temporarily_unavailable`` with ``Retry-After``: a service the request needs is down."""

    status_code = 503
    default_detail = _("The service is temporarily unavailable; try again later.")
    default_code = "temporarily_unavailable"
    #: Seconds the client is asked to wait.
    retry_after = 5

    def __init__(self) -> None:
        super().__init__()
        # DRF's exception handler turns ``wait`` into ``Retry-After``.
        self.wait = self.retry_after
        self.headers = {"Retry-After": str(self.retry_after)}


class ThrottlingUnavailable(TemporarilyUnavailable):
    """503: the throttles' cache cannot be reached and ``THROTTLE_CACHE_FAILURE`` is ``"deny"``."""

    default_detail = _("Request limits cannot be checked right now; try again later.")


class DatabaseUnavailable(TemporarilyUnavailable):
    """503: the database cannot be reached (``OperationalError`` or ``InterfaceError``)."""


# -- token decoding (PyJWT errors) --------------------------------------------------------------


class WrongTokenType(jwt.InvalidTokenError):
    """The token is signed with our key but its ``typ`` header is not ``at+jwt``."""


class ForeignToken(jwt.InvalidTokenError):
    """The token failed before its signature was verified, on a header we cannot use (a ``kid``
    that is not a string, an unknown ``crit`` extension): not one we issued.
    """


class MalformedClaims(jwt.InvalidTokenError):
    """A token signed with our key whose claims do not parse (``exp`` not a number, say)."""
