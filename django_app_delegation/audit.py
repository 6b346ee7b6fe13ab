"""The audit trail: one event per thing an application did, sent where ``AUDIT_DESTINATIONS`` says.

Destinations: ``"database"`` stores :class:`~django_app_delegation.models.DelegationEvent` rows,
``"logging"`` logs each event on the ``django_app_delegation.audit`` logger with its fields as
``extra`` attributes named ``delegation_<field>`` (a JSON formatter prints them), ``"signal"``
sends :data:`~django_app_delegation.signals.event_recorded`. An empty tuple turns the trail off;
recording then costs nothing but reading the setting.

Cheap by construction: the token endpoint and the resource viewset keep the events of a request
and write them with one ``INSERT`` (``flush``), so a token request that also provisions its user
costs one insert. Reads (list, retrieve) are recorded only with ``AUDIT_READS``.

Never recorded: secrets, tokens, and the user's full e-mail unless ``AUDIT_RECORD_EMAIL`` is on
(its domain is). A client id presented with a failed authentication is recorded only when it
names an application: an integrator who swapped the id and the secret must not leave the secret
in the trail.

The caller of a resource API call is its token's application. A service authenticated by an OIDC
resource server (django-lasuite) has none: its audience, the service's OIDC client id, is
recorded as ``client_id`` with no application (``DelegationEvent`` has no audience field; the
client id is what the audience is).

Code outside a request (commands, the admin) records at once; the admin names its request with
:func:`acting_for` so that events carry the staff user and the address.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.http import HttpRequest

from . import secrets as client_secrets
from .conf import delegation_settings
from .domains import email_domain
from .models import (
    EMAIL_MAX_LENGTH,
    ERROR_MAX_LENGTH,
    OBJECT_ID_MAX_LENGTH,
    OBJECT_TYPE_MAX_LENGTH,
    USER_AGENT_MAX_LENGTH,
    Application,
    DelegationEvent,
    EventAction,
    EventOutcome,
)
from .signals import event_recorded
from .throttling import client_ip

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request

    #: What the trail reads its address and user agent from: a DRF request or Django's.
    AnyRequest = Request | HttpRequest
    #: The user acted for (or the staff user); anonymous users are recorded as none.
    AnyUser = AbstractBaseUser | AnonymousUser

#: Values of ``AUDIT_DESTINATIONS``.
DATABASE = "database"
LOGGING = "logging"
SIGNAL = "signal"
DESTINATIONS = (DATABASE, LOGGING, SIGNAL)
#: Where a request keeps its events until :func:`flush` (on Django's ``HttpRequest``).
PENDING_ATTRIBUTE = "_delegation_audit_events"
#: The fields each log record carries, as ``extra`` attributes prefixed with ``delegation_``.
LOG_FIELDS = (
    "action",
    "outcome",
    "error",
    "client_id",
    "application_id",
    "user_id",
    "email_domain",
    "email",
    "object_type",
    "object_id",
    "client_ip",
    "user_agent",
    "timestamp",
)

audit_logger = logging.getLogger("django_app_delegation.audit")
_acting_request: ContextVar[AnyRequest | None] = ContextVar(
    "django_app_delegation_audit_request", default=None
)


def enabled() -> bool:
    return bool(delegation_settings.AUDIT_DESTINATIONS)


@contextmanager
def acting_for(request: AnyRequest) -> Iterator[None]:
    """Attribute the events recorded inside the block to ``request`` (its user and address)."""
    token = _acting_request.set(request)
    try:
        yield
    finally:
        _acting_request.reset(token)


def _http_request(request: AnyRequest | None) -> HttpRequest | None:
    """Django's ``HttpRequest`` behind a DRF ``Request`` (the one both share)."""
    if request is None or isinstance(request, HttpRequest):
        return request
    return request._request


def collect(request: AnyRequest) -> None:
    """Keep the events of ``request`` until :func:`flush` (called by the app's views)."""
    setattr(_http_request(request), PENDING_ATTRIBUTE, [])


def flush(request: AnyRequest) -> None:
    """Send the events ``request`` kept: one ``INSERT`` for all of them."""
    http_request = _http_request(request)
    events = getattr(http_request, PENDING_ATTRIBUTE, None)
    if events:
        setattr(http_request, PENDING_ATTRIBUTE, [])
        _send(events, request)


def record(
    request: AnyRequest | None,
    *,
    action: str,
    outcome: str = EventOutcome.SUCCESS,
    error: str = "",
    application: Application | None = None,
    application_id: uuid.UUID | None = None,
    client_id: str = "",
    user: AnyUser | None = None,
    email: str | None = None,
    instance: models.Model | None = None,
    object_id: object = None,
    previous_secret_expires_at: datetime | None = None,
) -> DelegationEvent | None:
    """Record one event; return it (unsaved until sent), or None when the trail is off.

    ``request`` (a DRF or Django request, or None) gives the address and the user agent; a
    request of the app's views keeps the event until :func:`flush`, any other sends it at once;
    None stands for the request of :func:`acting_for`, if any, whose user is then the default
    ``user``. ``application`` may be given as ``application_id`` and ``client_id`` instead;
    ``user`` is the user acted for (the staff user in the admin); ``email`` defaults to the
    user's; ``instance`` (or ``object_id`` alone) is the object acted on;
    ``previous_secret_expires_at`` says, for a secret rotation, until when the old secret works.
    """
    if not enabled():
        return None
    if request is None:
        request = _acting_request.get()
        if user is None:
            user = getattr(request, "user", None)
    event = build_event(
        request,
        action=action,
        outcome=outcome,
        error=error,
        application=application,
        application_id=application_id,
        client_id=client_id,
        user=user,
        email=email,
        instance=instance,
        object_id=object_id,
        previous_secret_expires_at=previous_secret_expires_at,
    )
    pending = getattr(_http_request(request), PENDING_ATTRIBUTE, None)
    if pending is None:
        _send([event], request)
    else:
        pending.append(event)
    return event


def build_event(
    request: AnyRequest | None,
    *,
    action: str,
    outcome: str,
    error: str,
    application: Application | None,
    application_id: uuid.UUID | None,
    client_id: str,
    user: AnyUser | None,
    email: str | None,
    instance: models.Model | None,
    object_id: object,
    previous_secret_expires_at: datetime | None = None,
) -> DelegationEvent:
    """The unsaved event :func:`record` sends (see its arguments)."""
    if application is not None:
        application_id, client_id = application.pk, application.client_id
    if not getattr(user, "is_authenticated", False):
        user = None
    if email is None and user is not None:
        field = getattr(user, "get_email_field_name", lambda: "email")()
        email = getattr(user, field, None) or None
    object_type = ""
    if instance is not None:
        object_type = instance._meta.label_lower
        if object_id is None:
            object_id = instance.pk
    record_email = delegation_settings.AUDIT_RECORD_EMAIL and email
    return DelegationEvent(
        action=action,
        outcome=outcome,
        error=(error or "")[:ERROR_MAX_LENGTH],
        application_id=application_id,
        # A resource-server caller's audience may be longer than an application's client id.
        client_id=(client_id or "")[: client_secrets.CLIENT_ID_MAX_LENGTH],
        user_id=getattr(user, "pk", None),
        email_domain=(email_domain(email) if email else None) or "",
        email=str(email)[:EMAIL_MAX_LENGTH] if record_email else "",
        object_type=object_type[:OBJECT_TYPE_MAX_LENGTH],
        object_id="" if object_id is None else str(object_id)[:OBJECT_ID_MAX_LENGTH],
        client_ip=_address(request),
        user_agent=_user_agent(request),
        previous_secret_expires_at=previous_secret_expires_at,
    )


def _address(request: AnyRequest | None) -> str | None:
    """The client's address when it is one valid IP address (what the column can hold)."""
    if request is None:
        return None
    try:
        return str(ipaddress.ip_address((client_ip(request) or "").strip()))
    except ValueError:
        return None


def _user_agent(request: AnyRequest | None) -> str:
    meta = getattr(request, "META", None) or {}
    return str(meta.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX_LENGTH]


def log_fields(event: DelegationEvent) -> dict[str, Any]:
    """The ``extra`` of the event's log record: ``delegation_<field>`` for each of LOG_FIELDS,
    and ``delegation_previous_secret_expires_at`` for a rotation that keeps the old secret."""
    values: dict[str, Any] = {}
    for name in LOG_FIELDS:
        value = getattr(event, name)
        if name == "timestamp":
            value = value.isoformat()
        elif name in ("application_id", "user_id") and value is not None:
            value = str(value)
        values[f"delegation_{name}"] = value if value != "" else None
    if event.previous_secret_expires_at is not None:
        values["delegation_previous_secret_expires_at"] = (
            event.previous_secret_expires_at.isoformat()
        )
    return values


def _send(events: list[DelegationEvent], request: AnyRequest | None) -> None:
    destinations = delegation_settings.AUDIT_DESTINATIONS
    if DATABASE in destinations:
        if len(events) == 1:
            # One INSERT is atomic on its own: in autocommit, no BEGIN and COMMIT round trips
            # around it (what bulk_create's transaction costs on the token endpoint's path).
            events[0].save(force_insert=True)
        else:
            DelegationEvent.objects.bulk_create(events)
    for event in events:
        if LOGGING in destinations:
            audit_logger.info(
                "Delegation event: %s %s%s",
                event.action,
                event.outcome,
                f" ({event.error})" if event.error else "",
                extra=log_fields(event),
            )
        if SIGNAL in destinations:
            event_recorded.send(sender=DelegationEvent, event=event, request=request)


def record_user_provisioned(
    sender: object,
    *,
    user: AbstractBaseUser,
    application: Application,
    request: AnyRequest | None = None,
    **kwargs: Any,
) -> None:
    """``user_provisioned`` receiver: the provisioning event."""
    record(request, action=EventAction.PROVISION_USER, application=application, user=user)
