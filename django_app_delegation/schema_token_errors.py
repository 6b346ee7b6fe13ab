"""The token endpoint's error responses in La Suite Meet's shapes, for the OpenAPI document when
``TOKEN_ERROR_FORMAT`` is ``"meet"`` (see ``token_errors.py``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


def _response(schema: dict[str, Any], description: str, **examples: Any) -> OpenApiResponse:
    return OpenApiResponse(
        response=schema,
        description=description,
        examples=[
            OpenApiExample(name, value=value, response_only=True)
            for name, value in examples.items()
        ],
    )


def meet_token_responses(success: OpenApiResponse) -> dict[int, OpenApiResponse]:
    """Meet's statuses and bodies (reference §2.3), after the same 200 as the RFC format."""
    return {
        200: success,
        400: _response(
            {"oneOf": [FIELD_ERRORS, ERROR, DETAIL]},
            "Missing, blank or invalid fields, the client credentials included (field errors), "
            'an invalid e-mail, a scope not granted or a disabled user (`{"error": ...}`), or a '
            'body that does not parse (`{"detail": ...}`).',
            missingFields={"scope": ["This field is required."]},
            missingCredentials={"client_secret": ["This field is required."]},
            invalidGrantType={"grant_type": ['"password" is not a valid choice.']},
            invalidEmail={"error": "Scope should be a valid email address."},
        ),
        401: _response(
            DETAIL,
            "Client authentication failed.",
            invalidCredentials={"detail": "Invalid credentials"},
            inactiveApplication={"detail": "Application is inactive"},
        ),
        403: _response(
            ERROR,
            "The application may not act for users of this e-mail domain.",
            domainNotAllowed={"error": "This application is not authorized for this email domain."},
        ),
        404: _response(
            DETAIL,
            "No user has this e-mail (and creating one is not allowed), or the endpoint is off.",
            userNotFound={"detail": "User not found."},
        ),
        409: _response(
            ERROR,
            "Creating the user failed on a concurrent request.",
            provisioningFailed={"error": "Failed to create or retrieve provisional user."},
        ),
        415: _response(
            DETAIL,
            "The body is neither JSON nor form-url-encoded.",
            unsupportedMediaType={"detail": 'Unsupported media type "text/plain" in request.'},
        ),
        429: _response(
            DETAIL,
            "Too many requests: from this client IP address, for this application, or after too "
            "many failed client authentications from this address. Retry after `Retry-After` "
            "seconds.",
            throttled={"detail": "Request was throttled. Expected available in 42 seconds."},
        ),
        503: _response(
            DETAIL,
            "Request limits cannot be checked right now (and the server is set to refuse "
            "requests then), or another request is creating this user. Retry after "
            "`Retry-After` seconds.",
            limitsUnavailable={
                "detail": "Request limits cannot be checked right now; try again later."
            },
        ),
    }
