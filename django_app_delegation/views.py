"""The delegation token endpoint: the client-credentials grant (RFC 6749 §4.4 and §5), the user's
e-mail in ``scope``, and the JWT-bearer grant (RFC 7523 §2.1), the user's e-mail in the ``sub`` of
an assertion the application signed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from . import assertions, audit
from .client_authentication import (
    ASSERTION_PARAMETERS,
    BASIC_CHALLENGE,
    NO_STORE_HEADERS,
    ClientAuthenticatedView,
    ClientCredentials,
)
from .conf import delegation_settings
from .domains import email_domain, mailbox_of, normalize_email
from .exceptions import (
    DomainNotAllowed,
    InvalidAssertion,
    InvalidGrant,
    InvalidParameter,
    InvalidRequest,
    InvalidScope,
    MissingParameters,
    TokenRequestError,
    UnsupportedGrantType,
    UserInactive,
    UserNotFound,
)
from .models import Application, EventAction, EventOutcome
from .oauth import CLIENT_CREDENTIALS, GRANT_TYPES, JWT_BEARER
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

GRANT_TYPE = CLIENT_CREDENTIALS
#: Longest ``scope`` parameter accepted (an e-mail plus a generous list of scopes).
MAX_SCOPE_LENGTH = 4096
#: Longest e-mail address accepted (RFC 5321 path limit; Django's EmailField holds 254).
MAX_EMAIL_LENGTH = 254


def validated_email(value: str, message: str) -> str:
    """``value`` normalised (see :func:`parse_email`); ``InvalidRequest(message)`` if invalid."""
    email = parse_email(value)
    if email is None:
        raise InvalidRequest(message)
    return email


class DelegationTokenView(ClientAuthenticatedView):
    """Issue an access token acting as a user to an authenticated application.

    ``POST`` with ``grant_type=client_credentials`` and ``scope="<email> [scope ...]"``; the
    client authenticates with HTTP Basic, ``client_id``/``client_secret`` body parameters or a
    client assertion. Or ``POST`` with the JWT-bearer ``grant_type`` and an ``assertion`` whose
    ``sub`` is the user's e-mail (``scope``, optional, lists the scopes wanted). Override the
    ``get_*`` methods to change one step.
    """

    parameters = ("grant_type", "client_id", "client_secret", "scope", "assertion")
    # What the request established so far, for the ``delegation_denied`` signal.
    _email: str | None = None

    def get_application_throttles(self) -> list[BaseThrottle]:
        """Throttles checked once the client is authenticated (``self._application`` is set)."""
        return [TokenApplicationRateThrottle()]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = self.get_params(request)
        credentials = self.get_grant_client_credentials(request, params)
        self.check_grant_type(params["grant_type"])
        if params["grant_type"] == JWT_BEARER:
            return self.post_jwt_bearer(request, params, credentials)
        assert credentials is not None
        application = self.authenticate_client(request, credentials)
        self._application = application
        self.check_throttles(request, self.get_application_throttles())
        email, requested = self.parse_scope(params["scope"])
        self._email = email
        return self.issue(request, application, email, requested)

    def post_jwt_bearer(
        self, request: Request, params: dict[str, str], credentials: ClientCredentials | None
    ) -> Response:
        """The JWT-bearer grant: the assertion names the application (``iss``) and the user
        (``sub``); the rules of the client-credentials grant apply, and refusals for the user or
        the domain are ``invalid_grant`` (RFC 7523 §3.1)."""
        client = None if credentials is None else self.authenticate_client(request, credentials)
        application, claims = self.authenticate_assertion(
            request, params["assertion"], client=client, client_id=params.get("client_id")
        )
        self._application = application
        self.check_throttles(request, self.get_application_throttles())
        email = self.parse_assertion_subject(claims["sub"])
        self._email = email
        requested = self.parse_requested_scopes(params.get("scope", "").split())
        try:
            return self.issue(request, application, email, requested)
        except (DomainNotAllowed, UserNotFound) as exc:
            raise InvalidGrant(exc.description) from None

    def issue(
        self,
        request: Request,
        application: Application,
        email: str,
        requested: tuple[str, ...],
    ) -> Response:
        """The steps both grants share once the application and the user's e-mail are known."""
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

    def get_grant_client_credentials(
        self, request: Request, params: dict[str, str]
    ) -> ClientCredentials | None:
        """The client's credentials; None for a JWT-bearer grant sent without any (its assertion
        authenticates the application, RFC 7521 §4.1)."""
        if params.get("grant_type") == JWT_BEARER and not self.has_client_authentication(
            request, params
        ):
            self.check_params(params)
            return None
        return self.get_client_credentials(request, params)

    def has_client_authentication(self, request: Request, params: dict[str, str]) -> bool:
        """Whether the request authenticates the client: HTTP Basic, a secret or an assertion.

        ``client_id`` alone only names the client, and so does HTTP Basic with an empty password
        (what requests-oauthlib sends for a client without a secret): it is read as
        ``client_id``.
        """
        if any(name in params for name in ("client_secret", *ASSERTION_PARAMETERS)):
            return True
        basic = self.decode_basic(request)
        if basic is None:
            return False
        client_id, client_secret = basic
        if client_id and not client_secret and "client_id" not in params:
            params["client_id"] = client_id
            return False
        return True

    def check_params(self, params: dict[str, str]) -> None:
        grant = params.get("grant_type")
        required = ("grant_type", "assertion") if grant == JWT_BEARER else ("grant_type", "scope")
        missing = [name for name in required if name not in params]
        if missing:
            raise MissingParameters(
                _("Missing parameter: %(names)s") % {"names": ", ".join(missing)}, names=missing
            )
        if len(params.get("scope", "")) > MAX_SCOPE_LENGTH:
            raise InvalidParameter(_("Invalid parameter: scope"), name="scope")

    def check_grant_type(self, grant_type: str) -> None:
        if grant_type not in GRANT_TYPES:
            raise UnsupportedGrantType(
                _("Unsupported grant_type '%(value)s'; use %(expected)s.")
                % {
                    "value": grant_type[:64],
                    "expected": get_text_list([f"'{grant}'" for grant in GRANT_TYPES], _("or")),
                }
            )

    def parse_scope(self, scope: str) -> tuple[str, tuple[str, ...]]:
        """Split ``scope`` into the user's e-mail and the scopes requested (maybe none)."""
        email, *requested = scope.split()
        parsed = parse_email(email)
        if parsed is None:
            raise InvalidRequest(_("Scope should be a valid email address."))
        return parsed, self.parse_requested_scopes(requested)

    def parse_requested_scopes(self, requested: list[str]) -> tuple[str, ...]:
        invalid = [item for item in requested if not is_valid_scope_token(item)]
        if invalid:
            raise InvalidScope(_("Malformed scope: %(scopes)s") % {"scopes": " ".join(invalid)})
        return normalize_scopes(requested)

    def authenticate_assertion(
        self,
        request: Request,
        assertion: str,
        *,
        client: Application | None,
        client_id: str | None,
    ) -> tuple[Application, dict[str, Any]]:
        """Verify the grant's assertion: its ``iss`` names the application (the authenticated
        client, if any, and ``client_id`` when sent), whose public keys verify it; then use up its
        ``jti``. Every refusal is ``invalid_grant`` (RFC 7523 §3.1)."""
        try:
            issuer = assertions.unverified_issuer(assertion)
            if client is not None and issuer != client.client_id:
                raise InvalidAssertion(
                    _("The assertion's issuer (iss) is not the authenticated client.")
                )
            if client_id is not None and issuer != client_id:
                raise InvalidAssertion(_("The assertion's issuer (iss) is not client_id."))
            application = client or self.find_client(issuer)
            if application is None:
                raise InvalidAssertion(
                    _("The assertion's issuer (iss) is not a known application.")
                )
            self._claimed_application = application
            claims = assertions.verify_assertion(
                assertion, application=application, audiences=self.get_assertion_audiences(request)
            )
            if not application.is_active:
                self._application = application
                raise InvalidAssertion(_("Application is inactive"))
            assertions.record_use(application, claims, assertion)
        except InvalidAssertion as exc:
            raise InvalidGrant(exc.description) from None
        return application, claims

    def parse_assertion_subject(self, subject: str) -> str:
        """The user's e-mail from the assertion's ``sub``."""
        email = parse_email(subject)
        if email is None:
            raise InvalidGrant(_("The assertion's subject (sub) is not a valid e-mail address."))
        return email

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
        found = mailbox_of(user)
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


def parse_email(value: str) -> str | None:
    """``value`` as one spelling of a valid e-mail address (see ``normalize_email``), or None."""
    try:
        email = normalize_email(value)
        if len(email) > MAX_EMAIL_LENGTH:
            raise ValidationError("too long")
        validate_email(email)
    except (ValidationError, ValueError):
        return None
    return email
