"""Errors of the token endpoint, shaped as RFC 6749 §5.2 responses.

Hooks raise these to refuse a delegation with a precise answer; the token view renders them as
``{"error": <code>, "error_description": <message>}`` with the given status.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: A string, or a lazy translation of one.
StrOrPromise = str | Promise


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


class UnsupportedGrantType(TokenRequestError):
    error = "unsupported_grant_type"
    default_description = _("Only the client_credentials grant type is supported.")


class InvalidClient(TokenRequestError):
    error = "invalid_client"
    status = 401
    default_description = _("Invalid credentials")


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
