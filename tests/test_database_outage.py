"""A database outage answers 503 with ``Retry-After`` in each endpoint's error format, never an
HTML 500, logs a warning without secrets, and the service recovers by itself.

The outage is simulated on any database: the connection refuses to connect, or every statement
fails, with the ``OperationalError`` (or ``InterfaceError``) Django raises when the server is gone.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    connection,
)
from django.db.backends.utils import CursorWrapper
from rest_framework.test import APIClient

from django_app_delegation.outage import database_unavailable
from tests.helpers import NOTES, bearer, request_token, token_for

pytestmark = pytest.mark.django_db

UNAVAILABLE = {
    "error": "temporarily_unavailable",
    "error_description": "The service is temporarily unavailable; try again later.",
}


@contextmanager
def database_down(monkeypatch, error=OperationalError, *, when="querying"):
    """Make the database fail ``when`` connecting (every new cursor) or querying."""

    def fail(*args, **kwargs):
        raise error("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        if when == "connecting":
            patch.setattr(connection, "ensure_connection", fail)
        else:
            patch.setattr(CursorWrapper, "execute", fail)
            patch.setattr(CursorWrapper, "executemany", fail)
        yield


@pytest.mark.parametrize("when", ["connecting", "querying"])
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_token_endpoint_answers_503_when_the_database_is_down(
    application, user, monkeypatch, when, error
):
    with database_down(monkeypatch, error, when=when):
        response = request_token(application)

    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"


def test_token_endpoint_recovers_once_the_database_is_back(application, user, monkeypatch):
    with database_down(monkeypatch):
        assert request_token(application).status_code == 503
    response = request_token(application)
    assert response.status_code == 200, response.content


def test_token_is_not_issued_when_its_audit_event_cannot_be_written(application, user, monkeypatch):
    from django_app_delegation.models import DelegationEvent

    def fail(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(DelegationEvent.objects, "bulk_create", fail)  # Several events.
    monkeypatch.setattr(DelegationEvent, "save", fail)  # One event.
    response = request_token(application)

    assert response.status_code == 503, response.content
    assert "access_token" not in response.json()
    assert response.json() == UNAVAILABLE


def test_outage_warning_holds_no_secret(application, user, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="django_app_delegation")
    with database_down(monkeypatch):
        request_token(application)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("Database unavailable" in message for message in warnings), warnings
    for message in warnings:
        assert application.secret not in message
        assert "server closed" not in message  # the driver's text stays out of the log


@pytest.mark.parametrize("when", ["connecting", "querying"])
def test_resource_api_answers_503_in_its_error_shape(partner, user, monkeypatch, when):
    client = APIClient()
    client.credentials(**bearer(token_for(partner)))
    with database_down(monkeypatch, when=when):
        response = client.get(NOTES)

    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "The service is temporarily unavailable; try again later."}
    assert response["Retry-After"] == "5"
    assert client.get(NOTES).status_code == 200


def test_resource_api_answers_503_when_a_create_fails_midway(partner, user, monkeypatch):
    client = APIClient()
    client.credentials(**bearer(token_for(partner)))
    client.get(NOTES)  # the token's user and application: the next failure is in the create
    from django_app_delegation.models import ResourceProvenance

    def fail(*args, **kwargs):
        raise OperationalError("connection lost")

    monkeypatch.setattr(ResourceProvenance.objects, "bulk_create", fail)
    response = client.post(NOTES, {"text": "lost"}, format="json")

    assert response.status_code == 503, response.content
    from tests.testapp.models import Note

    assert not Note.objects.filter(text="lost").exists()  # rolled back with its provenance


@pytest.mark.parametrize(
    "error", [IntegrityError, ProgrammingError, DatabaseError, ValueError], ids=lambda e: e.__name__
)
def test_other_errors_are_no_outage(error):
    assert database_unavailable(error("x")) is None


def test_a_programming_error_is_not_hidden_as_an_outage(application, user, monkeypatch):
    with database_down(monkeypatch, ProgrammingError), pytest.raises(ProgrammingError):
        request_token(application)


def test_a_read_the_trail_must_record_is_not_answered_unrecorded(
    partner, user, delegation, monkeypatch
):
    from django_app_delegation.models import DelegationEvent

    delegation(AUDIT_READS=True)
    client = APIClient()
    client.credentials(**bearer(token_for(partner)))

    def fail(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(DelegationEvent.objects, "bulk_create", fail)  # Several events.
    monkeypatch.setattr(DelegationEvent, "save", fail)  # One event.
    response = client.get(NOTES)

    assert response.status_code == 503, response.content
    assert "results" not in response.json()
    assert response["Retry-After"] == "5"
