"""The delegation token endpoint (OAuth 2.0 client-credentials shaped, RFC 6749 §4.4 and §5)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from . import audit
from .client_authentication import (
    BASIC_CHALLENGE,
    NO_STORE_HEADERS,
    ClientAuthenticatedView,
    ClientCredentials,
)
from .conf import delegation_settings
from .domains import email_domain, normalize_email
from .exceptions import (
    DomainNotAllowed,
    InvalidParameter,
    InvalidRequest,
    InvalidScope,
    MissingParameters,
    TokenRequestError,
    UnsupportedGrantType,
    UserInactive,
)
from .models import Application, EventAction, EventOutcome
from .scopes import is_valid_scope_token, normalize_scopes
from .signals import delegation_denied, token_issued
from .throttling import TokenApplicationRateThrottle
from .token_errors import error_description
from .tokens import IssuedToken, issue_token

# ``ClientCredentials``, ``BASIC_CHALLENGE`` and ``NO_STORE_HEADERS`` moved to
# ``client_authentication``; still importable from here.
__all__ = [
    "BASIC_CHALLENGE",
    "NO_STORE_HEADERS",
    "ClientCredentials",
    "DelegationTokenView",
    "error_description",
]

if TYPE_CHECKING:
    from rest_framework.throttling import BaseThrottle

logger = logging.getLogger("django_app_delegation")

GRANT_TYPE = "client_credentials"
#: Longest ``scope`` parameter accepted (an e-mail plus a generous list of scopes).
MAX_SCOPE_LENGTH = 4096
#: Longest e-mail address accepted (RFC 5321 path limit; Django's EmailField holds 254).
MAX_EMAIL_LENGTH = 254


def validated_email(value: str, message: str) -> str:
    """``value`` normalised (see ``normalize_email``); ``InvalidRequest(message)`` if invalid."""
    try:
        # One spelling per mailbox before any decision or lookup.
        email = normalize_email(value)
        if len(email) > MAX_EMAIL_LENGTH:
            raise ValidationError("too long")
        validate_email(email)
    except (ValidationError, ValueError):
        raise InvalidRequest(message) from None
    return email


class DelegationTokenView(ClientAuthenticatedView):
    """Issue an access token acting as a user to an authenticated application.

    ``POST`` with ``grant_type=client_credentials`` and ``scope="<email> [scope ...]"``; the
    client authenticates with HTTP Basic or ``client_id``/``client_secret`` body parameters.
    Override the ``get_*`` methods to change one step.
    """

    parameters = ("grant_type", "client_id", "client_secret", "scope")
    # What the request established so far, for the ``delegation_denied`` signal.
    _email: str | None = None

    def get_application_throttles(self) -> list[BaseThrottle]:
        """Throttles checked once the client is authenticated (``self._application`` is set)."""
        return [TokenApplicationRateThrottle()]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = self.get_params(request)
        credentials = self.get_client_credentials(request, params)
        self.check_grant_type(params["grant_type"])
        application = self.authenticate_client(request, credentials)
        self._application = application
        self.check_throttles(request, self.get_application_throttles())
        email, requested = self.parse_scope(params["scope"])
        self._email = email
        scopes = self.get_granted_scopes(application, requested)
        self.check_can_delegate(request, application, email)
        user = self.get_user(request, application, email)
        self.check_delegated_user(request, application, email, user)
        issued = issue_token(application=application, user=user, scopes=scopes, request=request)
        application.mark_used()
        audit.record(
            request,
            action=EventAction.ISSUE_TOKEN,
            application=application,
            user=user,
            email=email,
        )
        token_issued.send(
            sender=Application,
            application=application,
            user=user,
            scopes=issued.scopes,
            jti=issued.claims.get("jti"),
            request=request,
        )
        logger.info(
            "Token issued to application %s for user %s (scopes: %s)",
            application.client_id,
            user.pk,
            " ".join(scopes) or "-",
        )
        return self.get_token_response(issued)

    # -- steps -----------------------------------------------------------------------------

    def check_params(self, params: dict[str, str]) -> None:
        missing = [name for name in ("grant_type", "scope") if name not in params]
        if missing:
            raise MissingParameters(
                _("Missing parameter: %(names)s") % {"names": ", ".join(missing)}, names=missing
            )
        if len(params["scope"]) > MAX_SCOPE_LENGTH:
            raise InvalidParameter(_("Invalid parameter: scope"), name="scope")

    def check_grant_type(self, grant_type: str) -> None:
        if grant_type != GRANT_TYPE:
            raise UnsupportedGrantType(
                _('Unsupported grant_type "%(value)s"; use "%(expected)s".')
                % {"value": grant_type[:64], "expected": GRANT_TYPE}
            )

    def parse_scope(self, scope: str) -> tuple[str, tuple[str, ...]]:
        """Split ``scope`` into the user's e-mail and the scopes requested (maybe none)."""
        email, *requested = scope.split()
        email = validated_email(email, _("Scope should be a valid email address."))
        invalid = [item for item in requested if not is_valid_scope_token(item)]
        if invalid:
            raise InvalidScope(_("Malformed scope: %(scopes)s") % {"scopes": " ".join(invalid)})
        return email, normalize_scopes(requested)

    def get_granted_scopes(
        self, application: Application, requested: tuple[str, ...]
    ) -> tuple[str, ...]:
        """Return the token's scopes: the requested subset, or all the application's scopes."""
        ceiling = normalize_scopes(application.scopes)
        if not requested:
            return ceiling
        refused = [scope for scope in requested if scope not in ceiling]
        if refused:
            raise InvalidScope(
                _("Scope not granted to this application: %(scopes)s")
                % {"scopes": " ".join(refused)}
            )
        return tuple(scope for scope in ceiling if scope in requested)

    def check_can_delegate(self, request: Request, application: Application, email: str) -> None:
        allowed = delegation_settings.CAN_DELEGATE(
            application=application, email=email, request=request
        )
        if not allowed:
            logger.warning("Application %s denied delegation for a user", application.client_id)
            raise DomainNotAllowed()

    def check_delegated_user(
        self, request: Request, application: Application, email: str, user: AbstractBaseUser
    ) -> None:
        """Decide again on the e-mail of the user found, not only on the one asked for.

        Databases fold case and accents their own way (``evil.com`` with a dotless i finds
        ``evil.com`` on PostgreSQL, ``société.fr`` finds ``societe.fr`` under MariaDB's default
        collation): a user whose e-mail is in another domain than the one requested is refused,
        and one whose address differs otherwise must pass ``CAN_DELEGATE`` under its own address.
        """
        user_email = getattr(user, type(user).get_email_field_name(), None) or ""
        try:
            found = normalize_email(str(user_email))
        except ValueError:
            found = ""
        if not found or email_domain(found) != email_domain(email):
            logger.warning(
                "Application %s asked for a user whose e-mail is in another domain; refused",
                application.client_id,
            )
            raise DomainNotAllowed()
        if found.lower() != email.lower():
            self.check_can_delegate(request, application, found)

    def get_user(self, request: Request, application: Application, email: str) -> AbstractBaseUser:
        user = delegation_settings.GET_DELEGATED_USER(
            email=email, application=application, request=request
        )
        if not user.is_active:  # Whatever the hook: no token for a disabled account.
            raise UserInactive()
        return user

    def get_token_response(self, issued: IssuedToken) -> Response:
        body: dict[str, str | int] = {
            "access_token": issued.access_token,
            "token_type": delegation_settings.TOKEN_TYPE,
            "expires_in": issued.expires_in,
        }
        if issued.scopes:
            body["scope"] = " ".join(issued.scopes)
        return Response(body)

    # -- errors ----------------------------------------------------------------------------

    def report_denial(self, exc: TokenRequestError) -> None:
        """Send ``delegation_denied`` and record the refusal in the audit trail.

        Not for malformed requests: refusing them costs no more than parsing them.
        """
        if exc.error in ("invalid_request", "unsupported_grant_type", "temporarily_unavailable"):
            return
        delegation_denied.send(
            sender=Application,
            application=self._application,
            email=self._email,
            reason=exc.error,
            request=self.request,
        )
        audit.record(
            self.request,
            action=EventAction.ISSUE_TOKEN,
            outcome=EventOutcome.FAILURE,
            error=exc.error,
            application=self._application or self._claimed_application,
            email=self._email,
        )
