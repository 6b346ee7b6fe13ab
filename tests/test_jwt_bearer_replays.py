"""One assertion sent by several clients at once, each request in its own thread and database
connection: exactly one gets a token, the others ``invalid_grant`` (the unique constraint on
(application, jti) decides, whichever process inserts first).

The race is forced: every request pauses right after it has read the application, until all of
them have.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from django_app_delegation.models import Application, UsedAssertion
from tests.helpers import CLIENT_ASSERTION_TYPE, FORM, TOKEN_URL, sign_assertion
from tests.test_viewset_concurrency import WAIT, PauseAfterRead, run_concurrently

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="needs concurrent transactions (PostgreSQL, MariaDB)",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 6


def send_all_at_once(bodies):
    everyone_read = threading.Barrier(len(bodies))

    def pause() -> None:
        everyone_read.wait(timeout=WAIT)

    def send(body):
        client = APIClient(raise_request_exception=False)
        with connection.execute_wrapper(PauseAfterRead(Application._meta.db_table, pause)):
            return client.post(TOKEN_URL, body, content_type=FORM)

    return run_concurrently(*[lambda body=body: send(body) for body in bodies])


def test_a_replayed_assertion_racing_itself_gets_one_token(keyed_application, user):
    assertion = sign_assertion(keyed_application, keyed_application.private_key)
    body = f"grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion={assertion}"

    responses = send_all_at_once([body] * THREADS)

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 1, 400: THREADS - 1}, [r.content[:200] for r in responses]
    refused = {r.json()["error_description"] for r in responses if r.status_code == 400}
    assert refused == {"The assertion has already been used."}
    assert UsedAssertion.objects.count() == 1


def test_a_replayed_client_assertion_racing_itself_authenticates_once(keyed_application, user):
    assertion = sign_assertion(
        keyed_application, keyed_application.private_key, sub=keyed_application.client_id
    )
    body = (
        "grant_type=client_credentials&scope=alice%40example.com"
        f"&client_assertion_type={CLIENT_ASSERTION_TYPE}&client_assertion={assertion}"
    )

    responses = send_all_at_once([body] * THREADS)

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 1, 401: THREADS - 1}, [r.content[:200] for r in responses]
