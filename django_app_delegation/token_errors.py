"""The token endpoint's error bodies, in the shape ``TOKEN_ERROR_FORMAT`` chooses.

``"rfc6749"`` (the default): RFC 6749 §5.2, ``{"error": <code>, "error_description": <text>}``
for every refusal.

``"meet"``: the bodies and statuses La Suite Meet's token endpoint answers, for integrators whose
parsers expect them: DRF field errors for missing, blank or invalid parameters, the client
credentials included (400), ``{"detail": ...}`` for bad credentials and inactive applications
(401), an unknown user (404), an unparsable body (400), transport errors (405, 415), the limits
(429: per client IP, per application, or a client id locked out) and limits that cannot be
checked (503), as DRF answers them; ``{"error": ...}`` for an invalid e-mail (400), a domain not
allowed (403), a failed provisioning (409) and the other refusals, with the status of each.
``Retry-After`` is the same in both formats; ``WWW-Authenticate`` goes with 401 only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from .conf import delegation_settings
from .exceptions import (
    InvalidClient,
    InvalidParameter,
    MalformedBody,
    MissingClientCredentials,
    MissingParameters,
    MultipleUsers,
    ProvisioningFailed,
    TokenRequestError,
    UnsupportedGrantType,
    UserNotFound,
)

#: Values of ``TOKEN_ERROR_FORMAT``.
TOKEN_ERROR_FORMATS = ("rfc6749", "meet")
GRANT_TYPE = "client_credentials"
#: The token request's fields, in the order Meet's serializer reports them.
MEET_FIELDS = ("client_id", "client_secret", "grant_type", "scope")

#: Typography a translation may use, in the plain characters RFC 6749 allows.
_PLAIN_TYPOGRAPHY = str.maketrans(dict.fromkeys("«»\u201c\u201d\u2018\u2019", "'"))


def error_description(text: str) -> str:
    """``text`` within the characters RFC 6749 §5.2 allows in ``error_description``.

    Printable US-ASCII except ``"`` and ``\\``: a translated description keeps its words and
    loses its accents ("autorisée" is sent as "autorisee"); English ones are unchanged.
    """
    text = text.replace("«\u00a0", "«").replace("\u00a0»", "»")
    plain = unicodedata.normalize("NFKD", text.translate(_PLAIN_TYPOGRAPHY))
    ascii_text = plain.encode("ascii", "ignore").decode("ascii")
    return "".join(
        "'" if char == '"' else "/" if char == "\\" else char
        for char in ascii_text
        if " " <= char <= "~"
    )


def uses_meet_format() -> bool:
    return bool(delegation_settings.TOKEN_ERROR_FORMAT == "meet")


def token_error(exc: TokenRequestError, request: Request) -> tuple[int, dict[str, Any]]:
    """The status and body answering ``exc``, in the configured format."""
    if uses_meet_format():
        return meet_token_error(exc, request)
    return exc.status, {"error": exc.error, "error_description": error_description(exc.description)}


def api_error_body(detail: str) -> dict[str, Any] | None:
    """The body replacing DRF's ``{"detail": ...}`` for a transport error (405, 415, 429...), or
    None to keep DRF's (the Meet format)."""
    if uses_meet_format():
        return None
    return {"error": "invalid_request", "error_description": error_description(detail)}


def meet_token_error(exc: TokenRequestError, request: Request) -> tuple[int, dict[str, Any]]:
    """Meet's status and body for ``exc`` (see the module)."""
    description = exc.description
    if isinstance(
        exc, MissingParameters | MissingClientCredentials | InvalidParameter | UnsupportedGrantType
    ):
        # As Meet's serializer reports them; refusals it has no field error for (a parameter
        # sent twice, a scope too long) keep their description.
        errors = meet_field_errors(request)
        return 400, errors or {"error": description}
    if isinstance(exc, MalformedBody):
        return 400, {"detail": exc.detail}
    if isinstance(exc, InvalidClient | UserNotFound):
        return exc.status, {"detail": description}
    if isinstance(exc, ProvisioningFailed):
        return 409, {"error": description}
    if isinstance(exc, MultipleUsers):
        # Meet lets Django answer 400 (an HTML page); here the same status, with a body.
        return 400, {"error": description}
    if exc.error == "temporarily_unavailable":
        # As DRF answers its own 503s (the limits' cache down, a user being created).
        return exc.status, {"detail": description}
    return exc.status, {"error": description}


def meet_field_errors(request: Request) -> dict[str, list[str]]:
    """DRF's messages for the missing, blank or invalid fields of the request, as Meet's
    serializer reports them (client credentials sent with HTTP Basic are not required)."""
    try:
        data: Any = request.data
    except Exception:
        data = {}
    if not isinstance(data, Mapping):
        data = {}
    basic = request.META.get("HTTP_AUTHORIZATION", "").strip().lower().startswith("basic ")
    char_messages = serializers.CharField().error_messages
    choice_messages = serializers.ChoiceField(choices=[GRANT_TYPE]).error_messages
    errors: dict[str, list[str]] = {}
    for name in MEET_FIELDS:
        if basic and name in ("client_id", "client_secret"):
            continue
        value = data.get(name)
        if value is None:
            message = char_messages["required"]
        elif not isinstance(value, str):
            message = char_messages["invalid"]
        elif not value.strip():
            message = char_messages["blank"]
        elif name == "grant_type" and value.strip() != GRANT_TYPE:
            message = str(choice_messages["invalid_choice"]).format(input=value)
        else:
            continue
        errors[name] = [str(message)]
    return errors
