"""The base of the endpoints a registered application calls with its own credentials.

The token endpoint, and any other OAuth endpoint that authenticates the client (RFC 6749 §2.3),
subclass :class:`ClientAuthenticatedView`: it reads the form or JSON body, authenticates the
application (HTTP Basic or body parameters, RFC 6749 §2.3.1, or a JWT the application signed with
its private key, ``private_key_jwt``, RFC 7523 §2.2), throttles and locks out per client address,
and answers every refusal with an RFC 6749 §5.2 body and ``Cache-Control: no-store``.
"""

from __future__ import annotations

import base64
import binascii
import logging
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote_plus

from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import assertions, audit
from . import secrets as client_secrets
from .conf import delegation_settings
from .exceptions import (
    InvalidAssertion,
    InvalidClient,
    InvalidParameter,
    InvalidRequest,
    MalformedBody,
    MissingClientCredentials,
    TemporarilyUnavailable,
    TokenRequestError,
)
from .lockout import ClientLockout
from .models import Application
from .oauth import CLIENT_ASSERTION_TYPE
from .outage import DATABASE_OUTAGE_ERRORS, database_unavailable
from .parsers import JSONParser, refused_body_parse_error
from .throttling import CacheFailureSafeThrottlingMixin, TokenIPRateThrottle
from .token_errors import api_error_body, token_error

__all__ = [
    "BASIC_CHALLENGE",
    "NO_STORE_HEADERS",
    "ClientAuthenticatedView",
    "ClientCredentials",
    "find_application",
]

if TYPE_CHECKING:
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.throttling import BaseThrottle

logger = logging.getLogger("django_app_delegation")

BASIC_CHALLENGE = 'Basic realm="token", charset="UTF-8"'
NO_STORE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: The body parameters that authenticate a client (``client_secret_post``).
CLIENT_PARAMETERS = ("client_id", "client_secret")
#: The body parameters of a client assertion (``private_key_jwt``, RFC 7523 §2.2).
ASSERTION_PARAMETERS = ("client_assertion_type", "client_assertion")


@dataclass(frozen=True)
class ClientCredentials:
    """What the client presented: a secret, or a signed ``assertion`` (its ``iss`` as client id)."""

    client_id: str
    client_secret: str
    via_basic: bool
    assertion: str | None = None


def find_application(client_id: str) -> Application | None:
    """The application whose client id is exactly ``client_id``, if any, with its allowed domains.

    One query (see :meth:`~django_app_delegation.models.ApplicationQuerySet.get_with_domains`):
    nothing is cached between requests, so a deactivation or a withdrawn scope applies at the next
    one.
    """
    if not client_secrets.is_plausible_client_id(client_id):
        return None
    return Application.objects.get_with_domains(client_id)


class ClientAuthenticatedView(CacheFailureSafeThrottlingMixin, APIView):
    """Base of the endpoints an application calls with its credentials (RFC 6749 §2.3).

    Contract for subclasses: list the body parameters the endpoint reads in ``parameters``
    (the client's own included), call :meth:`get_params`, then :meth:`get_client_credentials`
    and :meth:`authenticate_client`; raise the :class:`~.exceptions.TokenRequestError` family to
    refuse. ``check_params`` runs before the client credentials are required, so a malformed
    request is answered as such; ``report_denial`` is told of every refusal.
    """

    authentication_classes: list[type[BaseAuthentication]] = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser]
    renderer_classes = [JSONRenderer]
    #: The body parameters read; each may appear once, blank counts as missing.
    parameters: ClassVar[tuple[str, ...]] = CLIENT_PARAMETERS
    # The application a client id named, before its secret was verified (for the audit trail).
    _claimed_application: Application | None = None
    # The authenticated application, once known (also when it turns out to be inactive).
    _application: Application | None = None

    def get_throttles(self) -> list[BaseThrottle]:
        """Throttles checked before client authentication: per client IP, then the configured."""
        configured = delegation_settings.TOKEN_VIEW_THROTTLE_CLASSES
        return [TokenIPRateThrottle(), *(throttle() for throttle in configured)]

    def get_lockout(self, request: Request, client_id: str) -> ClientLockout | None:
        return ClientLockout.for_request(request, client_id)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if not delegation_settings.ENABLED:
            raise Http404()
        audit.collect(request)
        super().initial(request, *args, **kwargs)

    # -- the request -------------------------------------------------------------------------

    def get_params(self, request: Request) -> dict[str, str]:
        """Return the ``parameters`` sent, and the client's own; blank ones count as missing
        (RFC 6749 §3.1)."""
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
        for name in dict.fromkeys((*self.parameters, *CLIENT_PARAMETERS, *ASSERTION_PARAMETERS)):
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

    def check_params(self, params: dict[str, str]) -> None:
        """Refuse a request whose own parameters are missing or malformed (none by default)."""

    # -- the client ----------------------------------------------------------------------------

    def get_client_credentials(self, request: Request, params: dict[str, str]) -> ClientCredentials:
        basic = self.get_basic_credentials(request)
        if basic is not None and any(name in params for name in CLIENT_PARAMETERS):
            raise InvalidRequest(
                _("Use either HTTP Basic or body parameters to authenticate the client, not both.")
            )
        assertion = self.get_client_assertion(params, via_basic=basic is not None)
        self.check_params(params)
        if assertion is not None:
            return assertion
        if basic is not None:
            return ClientCredentials(*basic, via_basic=True)
        missing = [name for name in CLIENT_PARAMETERS if name not in params]
        if missing:
            # No client authentication is invalid_client (RFC 6749 §5.2), with a challenge
            # naming the scheme the client may use.
            raise MissingClientCredentials(
                _("Missing client credentials: %(names)s") % {"names": ", ".join(missing)},
                names=missing,
                headers={"WWW-Authenticate": BASIC_CHALLENGE},
            )
        return ClientCredentials(params["client_id"], params["client_secret"], via_basic=False)

    def get_client_assertion(
        self, params: dict[str, str], *, via_basic: bool
    ) -> ClientCredentials | None:
        """The client assertion sent (``private_key_jwt``), if any; only with ``client_id``.

        Its ``iss`` names the client (unverified until :meth:`authenticate_client_assertion`).
        """
        if not any(name in params for name in ASSERTION_PARAMETERS):
            return None
        if via_basic or "client_secret" in params:
            raise InvalidRequest(
                _(
                    "Use one client authentication method: HTTP Basic, client_secret or "
                    "client_assertion, not several."
                )
            )
        missing = [name for name in ASSERTION_PARAMETERS if name not in params]
        if missing:
            raise InvalidRequest(_("Missing parameter: %(names)s") % {"names": ", ".join(missing)})
        if params["client_assertion_type"] != CLIENT_ASSERTION_TYPE:
            raise InvalidRequest(
                _('Unsupported client_assertion_type; use "%(expected)s".')
                % {"expected": CLIENT_ASSERTION_TYPE}
            )
        try:
            issuer = assertions.unverified_issuer(params["client_assertion"])
        except InvalidAssertion as exc:
            raise self.client_error(via_basic=False, description=exc.description) from None
        if "client_id" in params and params["client_id"] != issuer:
            raise self.client_error(
                via_basic=False,
                description=_("The client assertion's issuer (iss) is not client_id."),
            )
        return ClientCredentials(issuer, "", via_basic=False, assertion=params["client_assertion"])

    def get_basic_credentials(self, request: Request) -> tuple[str, str] | None:
        """Return ``(client_id, client_secret)`` from HTTP Basic (RFC 6749 §2.3.1), if used."""
        basic = self.decode_basic(request)
        if basic is None:
            return None
        client_id, client_secret = basic
        if not client_id or not client_secret:
            raise self.client_error(via_basic=True)
        return client_id, client_secret

    def decode_basic(self, request: Request) -> tuple[str, str] | None:
        """The user name and password of HTTP Basic, each form-url-decoded (maybe empty), if
        used; ``invalid_client`` when the header does not decode or has no colon."""
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _sep, value = header.strip().partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise self.client_error(via_basic=True) from None
        client_id, sep, client_secret = decoded.partition(":")
        if not sep:
            raise self.client_error(via_basic=True)
        return unquote_plus(client_id), unquote_plus(client_secret)

    def authenticate_client(self, request: Request, credentials: ClientCredentials) -> Application:
        """Find the application and verify its secret; the secret is checked before ``is_active``.

        An unknown client id costs the same as a wrong secret, so no enumeration oracle exists.
        A client id locked out from this address (see ``lockout.py``) is refused with 429 before
        anything else, whether it exists or not.
        """
        if credentials.assertion is not None:
            return self.authenticate_client_assertion(request, credentials)
        lockout = self.check_lockout(request, credentials.client_id)
        application = self.find_client(credentials.client_id)
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

    def authenticate_client_assertion(
        self, request: Request, credentials: ClientCredentials
    ) -> Application:
        """Verify a client assertion (RFC 7523 §3, ``iss`` and ``sub`` the client id) with the
        application's public keys, then use up its ``jti``.

        Nothing here can be guessed, so failures are not counted towards the lockout.
        """
        assert credentials.assertion is not None
        try:
            application = self.find_client(credentials.client_id)
            if application is None:
                raise InvalidAssertion(
                    _("The assertion's issuer (iss) is not a known application.")
                )
            self._claimed_application = application
            claims = assertions.verify_assertion(
                credentials.assertion,
                application=application,
                audiences=self.get_assertion_audiences(request),
            )
            if claims["sub"] != application.client_id:
                raise InvalidAssertion(
                    _("The client assertion's subject (sub) must be the client_id.")
                )
            if not application.is_active:
                self._application = application
                raise InvalidAssertion(_("Application is inactive"))
            assertions.record_use(application, claims, credentials.assertion)
        except InvalidAssertion as exc:
            raise self.client_error(via_basic=False, description=exc.description) from None
        return application

    def get_assertion_audiences(self, request: Request) -> list[str]:
        """The ``aud`` values an assertion sent here may name: this endpoint's absolute URL, the
        token endpoint's (OpenID Connect Core §9) and ``ISSUER`` when set (RFC 7523 §3)."""
        audiences = [request.build_absolute_uri(request.path)]
        with suppress(NoReverseMatch):
            audiences.append(request.build_absolute_uri(reverse("app_delegation:token")))
        if delegation_settings.ISSUER:
            audiences.append(delegation_settings.ISSUER)
        return list(dict.fromkeys(audiences))

    def find_client(self, client_id: str) -> Application | None:
        """The application named ``client_id`` (exactly), or None (:func:`find_application`)."""
        return find_application(client_id)

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

    # -- errors ----------------------------------------------------------------------------

    def handle_exception(self, exc: Exception) -> Response:
        # Bodies Django refuses to read (too large, too many fields) are invalid requests too.
        exc = refused_body_parse_error(exc, self.request) or database_unavailable(exc) or exc
        if isinstance(exc, TemporarilyUnavailable):
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
        """Told of every refusal before it is answered (nothing by default)."""

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        try:
            audit.flush(request)
        except DATABASE_OUTAGE_ERRORS as exc:
            # No token leaves without its event in the trail: the request fails as a whole.
            response = self.handle_exception(exc)
        response = super().finalize_response(request, response, *args, **kwargs)
        for header, value in NO_STORE_HEADERS.items():
            response[header] = value
        return response
