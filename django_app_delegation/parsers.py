"""Request bodies refused with a 400 instead of failing: JSON nested past Python's recursion limit,
and the bodies Django refuses to read (``DATA_UPLOAD_MAX_MEMORY_SIZE``,
``DATA_UPLOAD_MAX_NUMBER_FIELDS``, ``DATA_UPLOAD_MAX_NUMBER_FILES``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request

#: Django's refusals to read a body (``SuspiciousOperation``s, which its own handler answers with
#: an HTML page): the error, the setting it enforces, the detail answered instead.
REFUSED_BODIES = (
    (
        RequestDataTooBig,
        "DATA_UPLOAD_MAX_MEMORY_SIZE",
        _("The request body is larger than %(limit)s bytes."),
    ),
    (
        TooManyFieldsSent,
        "DATA_UPLOAD_MAX_NUMBER_FIELDS",
        _("The request has more than %(limit)s fields."),
    ),
    (
        TooManyFilesSent,
        "DATA_UPLOAD_MAX_NUMBER_FILES",
        _("The request has more than %(limit)s files."),
    ),
)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering a parse error (400) for documents nested too deeply."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:  # Any JSON document, not only the object the stubs say.
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                _("JSON parse error - the document is nested too deeply.")
            ) from None


def refused_body_parse_error(
    exc: Exception, request: Request | HttpRequest | None = None
) -> exceptions.ParseError | None:
    """The parse error (400) answering Django's refusal to read a request body, else ``None``.

    Django raises these when the body is read (``request.data``); they are logged on the
    ``django.security.<error>`` logger, as Django's handler does, before being answered.
    """
    for error, setting, message in REFUSED_BODIES:
        if isinstance(exc, error):
            detail = message % {"limit": getattr(settings, setting)}
            break
    else:
        return None
    logging.getLogger(f"django.security.{type(exc).__name__}").error(
        str(exc),
        exc_info=exc,
        extra={"status_code": 400, "request": getattr(request, "_request", request)},
    )
    return exceptions.ParseError(detail)
