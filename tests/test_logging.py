"""Logs: no record of any logger, even at DEBUG, carries a client secret, its hash or a token."""

from __future__ import annotations

import logging

import pytest

from tests.helpers import (
    ADD_URL,
    CHANGELIST_URL,
    SECRET_URL,
    add_form_data,
    request_token,
    shown_credentials,
    whoami,
)

pytestmark = pytest.mark.django_db

#: Loggers whose DEBUG records matter here; every other existing logger is opened up too.
NOISY_LOGGERS = (
    "django.template",
    "django",
    "django.request",
    "django.db.backends",
    "django_app_delegation",
)


class RecordList(logging.Handler):
    """Keep every record it is handed."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def log_records(settings):
    """Capture every record of every logger at DEBUG for one test, then restore the loggers."""
    # With DEBUG = True, django.db.backends logs every query with its parameters, whichever
    # app runs it (a session row holding a pending secret, for instance): keep it False, as in
    # production.
    settings.DEBUG = False
    handler = RecordList()
    root = logging.getLogger()
    loggers = [
        logging.getLogger(name)
        for name in {*NOISY_LOGGERS, *logging.Logger.manager.loggerDict}
        if not isinstance(logging.Logger.manager.loggerDict.get(name), logging.PlaceHolder)
    ]
    saved = [(logger, logger.level, logger.propagate, logger.disabled) for logger in loggers]
    saved_root_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.propagate = True
        logger.disabled = False
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_root_level)
        for logger, level, propagate, disabled in saved:
            logger.setLevel(level)
            logger.propagate = propagate
            logger.disabled = disabled


def formatted(record: logging.LogRecord) -> str:
    """The text a handler would write for ``record``: message, traceback and stack."""
    formatter = logging.Formatter()
    parts = [record.getMessage()]
    if record.exc_info:
        parts.append(formatter.formatException(record.exc_info))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(formatter.formatStack(record.stack_info))
    return "\n".join(parts)


def tampered(token: str) -> str:
    """``token`` with the first character of its signature changed."""
    head, signature = token.rsplit(".", 1)
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def test_no_log_record_carries_a_secret_a_hash_or_a_token(log_records, admin_client, user):
    forbidden: dict[str, str] = {}

    # The admin adds an application: its secret is shown once.
    added = admin_client.post(ADD_URL, add_form_data(), follow=True)
    assert added.redirect_chain == [(SECRET_URL, 302)]
    [(application, first_secret)] = shown_credentials(added)
    application.refresh_from_db()
    forbidden["secret shown on creation"] = first_secret
    forbidden["hash of that secret"] = application.client_secret

    # The admin regenerates it: the new one is shown once.
    regenerated = admin_client.post(
        CHANGELIST_URL,
        {"action": "regenerate_secret", "_selected_action": [application.pk]},
        follow=True,
    )
    assert regenerated.redirect_chain == [(SECRET_URL, 302)]
    [(_, secret)] = shown_credentials(regenerated)
    application.refresh_from_db()
    application.secret = secret
    forbidden["regenerated secret"] = secret
    forbidden["hash of the regenerated secret"] = application.client_secret

    # The application gets a token for alice.
    issued = request_token(application)
    assert issued.status_code == 200, issued.content
    token = issued.json()["access_token"]
    forbidden["access token"] = token
    forbidden["access token signature"] = token.rsplit(".", 1)[1]

    # Failed token requests.
    wrong_secret = secret[::-1]
    forbidden["wrong secret"] = wrong_secret
    assert request_token(application, client_secret=wrong_secret).status_code == 401
    assert request_token(application, client_id="unknown-client").status_code == 401
    assert request_token(application, scope="alice@example.com admin:everything").status_code == 400
    assert request_token(application, scope="bob@elsewhere.org").status_code == 403

    # API calls with the token, then with a tampered one.
    assert whoami(token).status_code == 200
    forged = tampered(token)
    forbidden["tampered token"] = forged
    assert whoami(forged).status_code == 401

    messages = [formatted(record) for record in log_records]
    assert any("Token issued to application" in message for message in messages)
    assert any(record.name == "django.request" for record in log_records)
    leaks = [
        (what, record.name, message.partition("\n")[0][:100])
        for record, message in zip(log_records, messages, strict=True)
        for what, value in forbidden.items()
        if value in message
    ]
    assert leaks == []


@pytest.mark.parametrize("sessions", ["db", "signed_cookies"])
def test_secret_page_context_masks_the_secret_in_its_repr(client, admin_user, settings, sessions):
    """What a failed template lookup would log: the secret is rendered, not in the ``repr``."""
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{sessions}"
    client.force_login(admin_user)

    response = client.post(ADD_URL, add_form_data(), follow=True)

    assert response.status_code == 200
    [(_, secret)] = shown_credentials(response)
    assert secret in response.content.decode()
    assert secret not in repr(response.context)
    assert response.context["subtitle"] is None
