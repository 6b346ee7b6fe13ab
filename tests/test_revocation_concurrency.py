"""Revocations of the same thing sent at once, each request in its own thread and database
connection: every request is answered 200, one row records the revocation, and the token is
refused afterwards. The race is forced: each request pauses right after its first read of the
table named, until all of them have read it.
"""

from __future__ import annotations

import threading
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from django_app_delegation.models import Application, RevokedDelegation, RevokedToken
from tests.helpers import FORM, token_for, whoami
from tests.test_viewset_concurrency import WAIT, PauseAfterRead, run_concurrently

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="needs concurrent transactions (PostgreSQL, MariaDB)",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 4


def post_all_at_once(url, body, table):
    everyone_read = threading.Barrier(THREADS)

    def pause() -> None:
        everyone_read.wait(timeout=WAIT)

    def send():
        client = APIClient(raise_request_exception=False)
        with connection.execute_wrapper(PauseAfterRead(table, pause)):
            return client.post(url, urlencode(body), content_type=FORM)

    return run_concurrently(*[send] * THREADS)


def test_a_user_revoked_by_concurrent_requests_is_revoked_once(application, user):
    token = token_for(application)
    body = {
        "client_id": application.client_id,
        "client_secret": application.secret,
        "email": "alice@example.com",
    }

    responses = post_all_at_once(
        "/external-api/v1.0/application/revoke-user/", body, get_user_model()._meta.db_table
    )

    assert [r.status_code for r in responses] == [200] * THREADS, [r.content for r in responses]
    assert RevokedDelegation.objects.count() == 1
    assert whoami(token).status_code == 401


def test_a_token_revoked_by_concurrent_requests_is_revoked_once(application, user):
    token = token_for(application)
    body = {
        "client_id": application.client_id,
        "client_secret": application.secret,
        "token": token,
    }

    responses = post_all_at_once(
        "/external-api/v1.0/application/revoke/", body, Application._meta.db_table
    )

    assert [r.status_code for r in responses] == [200] * THREADS, [r.content for r in responses]
    assert RevokedToken.objects.count() == 1
    assert whoami(token).status_code == 401
