"""A database outage answered as one: 503 with ``Retry-After`` in the endpoint's error format.

The token endpoint and the resource viewset pass every exception through
:func:`database_unavailable`: ``OperationalError`` and ``InterfaceError`` (the server is down,
restarting, unreachable, or dropped the connection) become
:class:`~django_app_delegation.exceptions.DatabaseUnavailable`, not an HTML 500. Other database
errors (``IntegrityError``, ``ProgrammingError``, ``DataError``) are bugs or races that the code
handles where it expects them, and stay what they are. Nothing needs restarting afterwards: Django
closes a connection that failed at the end of the request and opens a new one for the next.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError

from .exceptions import DatabaseUnavailable

logger = logging.getLogger("django_app_delegation")

#: What a database outage raises (Django's wrappers of the driver's errors).
DATABASE_OUTAGE_ERRORS = (OperationalError, InterfaceError)


def database_unavailable(exc: BaseException) -> DatabaseUnavailable | None:
    """The 503 that answers ``exc`` when it is a database outage (logged), else None.

    The warning names the error's class and the driver's error code only: a driver's message may
    quote connection parameters or a statement, which the log must not hold.
    """
    if not isinstance(exc, DATABASE_OUTAGE_ERRORS):
        return None
    cause = exc.__cause__
    code = getattr(cause, "sqlstate", None) or (getattr(cause, "args", None) or [None])[0]
    logger.warning(
        "Database unavailable (%s%s): answering 503",
        type(cause or exc).__name__,
        f", code {code}" if isinstance(code, str | int) else "",
    )
    return DatabaseUnavailable()
