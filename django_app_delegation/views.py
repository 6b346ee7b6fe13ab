"""The delegation token endpoint (OAuth 2.0 client-credentials shaped, RFC 6749 §4.4 and §5)."""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import audit
from . import secrets as client_secrets
from .conf import delegation_settings
from .domains import email_domain, normalize_email
from .exceptions import (
    DomainNotAllowed,
    InvalidClient,
    InvalidParameter,
    InvalidRequest,
    InvalidScope,
    MalformedBody,
    MissingClientCredentials,
    MissingParameters,
    ThrottlingUnavailable,
    TokenRequestError,
    UnsupportedGrantType,
    UserInactive,
)
from .lockout import ClientLockout
from .models import Application, EventAction, EventOutcome
from .parsers import JSONParser, refused_body_parse_error
from .scopes import is_valid_scope_token, normalize_scopes
from .signals import delegation_denied, token_issued
from .throttling import (
    CacheFailureSafeThrottlingMixin,
    TokenApplicationRateThrottle,
    TokenIPRateThrottle,
)
from .token_errors import api_error_body, error_description, token_error
from .tokens import IssuedToken, issue_token

__all__ = ["ClientCredentials", "DelegationTokenView", "error_description"]

if TYPE_CHECKING:
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.throttling import BaseThrottle

logger = logging.getLogger("django_app_delegation")

GRANT_TYPE = "client_credentials"
PARAMETERS = ("grant_type", "client_id", "client_secret", "scope")
#: Longest ``scope`` parameter accepted (an e-mail plus a generous list of scopes).
MAX_SCOPE_LENGTH = 4096
#: Longest e-mail address accepted (RFC 5321 path limit; Django's EmailField holds 254).
MAX_EMAIL_LENGTH = 254
BASIC_CHALLENGE = 'Basic realm="token", charset="UTF-8"'
NO_STORE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str
    via_basic: bool


class DelegationTokenView(CacheFailureSafeThrottlingMixin, APIView):
    """Issue an access token acting as a user to an authenticated application.

    ``POST`` with ``grant_type=client_credentials`` and ``scope="<email> [scope ...]"``; the
    client authenticates with HTTP Basic or ``client_id``/``client_secret`` body parameters.
    Override the ``get_*`` methods to change one step.
    """

    authentication_classes: list[type[BaseAuthentication]] = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser]
    renderer_classes = [JSONRenderer]
    # What the request established so far, for the ``delegation_denied`` signal.
    _application: Application | None = None
    _email: str | None = None
    # The application a client id named, before its secret was verified (for the audit trail).
    _claimed_application: Application | None = None

    def get_throttles(self) -> list[BaseThrottle]:
        """Throttles checked before client authentication: per client IP, then the configured."""
        configured = delegation_settings.TOKEN_VIEW_THROTTLE_CLASSES
        return [TokenIPRateThrottle(), *(throttle() for throttle in configured)]

    def get_application_throttles(self) -> list[BaseThrottle]:
        """Throttles checked once the client is authenticated (``self._application`` is set)."""
        return [TokenApplicationRateThrottle()]

    def get_lockout(self, request: Request, client_id: str) -> ClientLockout | None:
        return ClientLockout.for_request(request, client_id)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if not delegation_settings.ENABLED:
            raise Http404()
        audit.collect(request)
        super().initial(request, *args, **kwargs)

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

    def get_params(self, request: Request) -> dict[str, str]:
        """Return the four parameters; blank ones count as missing (RFC 6749 §3.1)."""
        try:
            data = request.data
        except exceptions.ParseError as exc:
            raise MalformedBody(
                _("Malformed request body: %(detail)s") % {"detail": exc.detail},
                detail=str(exc.detail),
            ) from None
        if not hasattr(data, "get"):
            raise InvalidRequest(_("The request body must be an object."))
        params: dict[str, str] = {}
        for name in PARAMETERS:
            if hasattr(data, "getlist") and len(data.getlist(name)) > 1:
                raise InvalidParameter(
                    _("Duplicate parameter: %(name)s") % {"name": name}, name=name
                )
            value = data.get(name)
            if value is None:
                continue
            if not isinstance(value, str):
                raise InvalidParameter(_("Invalid parameter: %(name)s") % {"name": name}, name=name)
            value = value.strip()
            if value:
                params[name] = value
        return params

    def get_client_credentials(self, request: Request, params: dict[str, str]) -> ClientCredentials:
        basic = self.get_basic_credentials(request)
        if basic is not None and ("client_id" in params or "client_secret" in params):
            raise InvalidRequest(
                _("Use either HTTP Basic or body parameters to authenticate the client, not both.")
            )
        missing = [name for name in ("grant_type", "scope") if name not in params]
        if missing:
            raise MissingParameters(
                _("Missing parameter: %(names)s") % {"names": ", ".join(missing)}, names=missing
            )
        if len(params["scope"]) > MAX_SCOPE_LENGTH:
            raise InvalidParameter(_("Invalid parameter: scope"), name="scope")
        if basic is not None:
            return ClientCredentials(*basic, via_basic=True)
        missing = [name for name in ("client_id", "client_secret") if name not in params]
        if missing:
            # No client authentication is invalid_client (RFC 6749 §5.2), with a challenge
            # naming the scheme the client may use.
            raise MissingClientCredentials(
                _("Missing client credentials: %(names)s") % {"names": ", ".join(missing)},
                names=missing,
                headers={"WWW-Authenticate": BASIC_CHALLENGE},
            )
        return ClientCredentials(params["client_id"], params["client_secret"], via_basic=False)

    def get_basic_credentials(self, request: Request) -> tuple[str, str] | None:
        """Return ``(client_id, client_secret)`` from HTTP Basic (RFC 6749 §2.3.1), if used."""
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _sep, value = header.strip().partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise self.client_error(via_basic=True) from None
        client_id, sep, client_secret = decoded.partition(":")
        client_id, client_secret = unquote_plus(client_id), unquote_plus(client_secret)
        if not sep or not client_id or not client_secret:
            raise self.client_error(via_basic=True)
        return client_id, client_secret

    def check_grant_type(self, grant_type: str) -> None:
        if grant_type != GRANT_TYPE:
            raise UnsupportedGrantType(
                _('Unsupported grant_type "%(value)s"; use "%(expected)s".')
                % {"value": grant_type[:64], "expected": GRANT_TYPE}
            )

    def authenticate_client(self, request: Request, credentials: ClientCredentials) -> Application:
        """Find the application and verify its secret; the secret is checked before ``is_active``.

        An unknown client id costs the same as a wrong secret, so no enumeration oracle exists.
        A client id locked out from this address (see ``lockout.py``) is refused with 429 before
        anything else, whether it exists or not.
        """
        lockout = self.check_lockout(request, credentials.client_id)
        application = None
        if client_secrets.is_plausible_client_id(credentials.client_id):
            application = Application.objects.filter(client_id=credentials.client_id).first()
            # Case-insensitive collations (MariaDB's default) must not widen the match.
            if application is not None and application.client_id != credentials.client_id:
                application = None
        if application is None:
            # What checking an application's secret and its previous one costs.
            client_secrets.verify_current_and_previous(credentials.client_secret, None, None)
            verified = False
        else:
            self._claimed_application = application
            verified = application.check_client_secret(credentials.client_secret)
        self.count_authentication(request, lockout, verified=verified)
        if not verified:
            raise self.client_error(via_basic=credentials.via_basic)
        assert application is not None
        if not application.is_active:
            self._application = application
            raise self.client_error(
                via_basic=credentials.via_basic, description=_("Application is inactive")
            )
        return application

    def check_lockout(self, request: Request, client_id: str) -> ClientLockout | None:
        """429 when ``client_id`` is locked out from this address; return its counter."""
        lockout = self.get_lockout(request, client_id)
        if lockout is None:
            return None
        try:
            wait = lockout.wait()
        except Exception as exc:  # Whatever the cache backend raises when it is down.
            self.throttle_cache_failed(request, lockout, exc)
            return None
        if wait is not None:
            self.throttled(request, wait)
        return lockout

    def count_authentication(
        self, request: Request, lockout: ClientLockout | None, *, verified: bool
    ) -> None:
        """Count a failed secret check, or clear the count after a verified one."""
        if lockout is None:
            return
        try:
            if verified:
                lockout.succeeded()
            else:
                lockout.failed()
        except Exception as exc:  # Whatever the cache backend raises when it is down.
            self.throttle_cache_failed(request, lockout, exc)

    def client_error(self, *, via_basic: bool, description: str | None = None) -> InvalidClient:
        headers = {"WWW-Authenticate": BASIC_CHALLENGE} if via_basic else None
        return InvalidClient(description, headers=headers)

    def parse_scope(self, scope: str) -> tuple[str, tuple[str, ...]]:
        """Split ``scope`` into the user's e-mail and the scopes requested (maybe none)."""
        email, *requested = scope.split()
        try:
            # One spelling per mailbox before any decision or lookup (see ``normalize_email``).
            email = normalize_email(email)
            if len(email) > MAX_EMAIL_LENGTH:
                raise ValidationError("too long")
            validate_email(email)
        except (ValidationError, ValueError):
            raise InvalidRequest(_("Scope should be a valid email address.")) from None
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

    def handle_exception(self, exc: Exception) -> Response:
        # Bodies Django refuses to read (too large, too many fields) are invalid requests too.
        exc = refused_body_parse_error(exc, self.request) or exc
        if isinstance(exc, ThrottlingUnavailable):
            exc = TokenRequestError(
                str(exc.detail),
                error=str(exc.default_code),
                status=exc.status_code,
                headers=exc.headers,
            )
        if isinstance(exc, TokenRequestError):
            self.report_denial(exc)
            return self.get_error_response(exc)
        if isinstance(exc, exceptions.APIException) and not isinstance(exc, exceptions.NotFound):
            response = super().handle_exception(exc)
            detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
            body = api_error_body(detail)
            if body is not None:
                response.data = body
            return response
        return super().handle_exception(exc)

    def get_error_response(self, exc: TokenRequestError) -> Response:
        """The answer to a refusal, in the shape ``TOKEN_ERROR_FORMAT`` chooses."""
        status, body = token_error(exc, self.request)
        headers = exc.headers
        if status != 401:
            # A challenge goes with a 401 only (Meet's format answers missing credentials 400).
            headers = {name: value for name, value in headers.items() if name != "WWW-Authenticate"}
        return Response(body, status=status, headers=headers)

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

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        for header, value in NO_STORE_HEADERS.items():
            response[header] = value
        audit.flush(request)
        return response
