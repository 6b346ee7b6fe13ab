"""Brute-force lockout: after N failed secret checks of one client id from one address, 429 with
``Retry-After`` and no secret check, for known and unknown client ids alike; cleared by a success
or at the end of the window; no way for an attacker elsewhere to lock an integrator out.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from unittest import mock

import pytest

from django_app_delegation import secrets as client_secrets
from django_app_delegation.conf import DEFAULTS
from django_app_delegation.models import Application, DelegationEvent
from tests.conftest import TOKEN_URL

pytestmark = pytest.mark.django_db

UNKNOWN_CLIENT_ID = "Zq6kUPqLmSZ3w0H8w4tJ2oYbVxTzGd1ArNc5e7Fi"


@pytest.fixture
def lockout(delegation, clock):
    """Three failures per quarter of an hour; the clock stopped at the start of a window."""
    delegation(
        TOKEN_LOCKOUT_FAILURES=3,
        TOKEN_LOCKOUT_LIFETIME=timedelta(minutes=15),
        TOKEN_RATE_PER_IP=None,
    )
    return clock


@pytest.fixture
def attempt(api_client, user):
    """POST client credentials from ``address``; return the response."""

    def post(client_id, secret, *, address="203.0.113.66"):
        body = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "alice@example.com",
        }
        return api_client.post(TOKEN_URL, body, format="json", REMOTE_ADDR=address)

    return post


def outline(response):
    """What a client sees of a response: status, Retry-After and body."""
    return response.status_code, response.get("Retry-After"), response.json()


LOCKED_OUT = (
    429,
    "900",
    {
        "error": "invalid_request",
        "error_description": "Request was throttled. Expected available in 900 seconds.",
    },
)
INVALID_CLIENT = (
    401,
    None,
    {"error": "invalid_client", "error_description": "Invalid credentials"},
)


def test_lockout_is_on_by_default():
    assert DEFAULTS["TOKEN_LOCKOUT_FAILURES"] == 10
    assert DEFAULTS["TOKEN_LOCKOUT_LIFETIME"] == timedelta(minutes=15)


def test_after_n_failed_secret_checks_further_attempts_get_429_with_retry_after(
    application, attempt, lockout
):
    failures = [attempt(application.client_id, "wrong") for _ in range(3)]

    locked = attempt(application.client_id, application.secret)

    assert [outline(response) for response in failures] == [INVALID_CLIENT] * 3
    assert outline(locked) == LOCKED_OUT
    assert locked["Cache-Control"] == "no-store"


def test_locked_out_attempts_run_no_secret_check_and_no_query(
    application, attempt, lockout, django_assert_num_queries
):
    for _ in range(3):
        attempt(application.client_id, "wrong")
    verify = mock.patch.object(client_secrets, "verify_secret", wraps=client_secrets.verify_secret)
    check = mock.patch.object(
        Application, "check_client_secret", autospec=True, wraps=Application.check_client_secret
    )

    with verify as verify_secret, check as check_client_secret:
        with django_assert_num_queries(0):
            responses = [attempt(application.client_id, application.secret) for _ in range(3)]
        unknown = [attempt(UNKNOWN_CLIENT_ID, "wrong").status_code for _ in range(5)]

    assert [response.status_code for response in responses] == [429, 429, 429]
    assert unknown == [401, 401, 401, 429, 429]
    # The dummy verification of the unknown client id's three failures, and nothing else.
    assert verify_secret.call_count == 3
    assert check_client_secret.call_count == 0


def test_unknown_and_known_client_ids_are_locked_out_alike(application, attempt, lockout):
    known = [outline(attempt(application.client_id, "wrong")) for _ in range(5)]
    unknown = [outline(attempt(UNKNOWN_CLIENT_ID, "wrong")) for _ in range(5)]
    implausible = [outline(attempt("not a client id!", "wrong")) for _ in range(5)]

    assert known == unknown == implausible == [INVALID_CLIENT] * 3 + [LOCKED_OUT] * 2


def test_a_verified_secret_clears_the_count(application, attempt, lockout):
    statuses = []
    for _ in range(3):
        statuses += [attempt(application.client_id, "wrong").status_code for _ in range(2)]
        statuses.append(attempt(application.client_id, application.secret).status_code)

    assert statuses == [401, 401, 200] * 3


def test_the_lockout_ends_with_its_window(application, attempt, lockout):
    lockout.advance(600)
    for _ in range(3):
        attempt(application.client_id, "wrong")

    locked = attempt(application.client_id, application.secret)
    lockout.advance(300)
    released = attempt(application.client_id, application.secret)

    assert locked.status_code == 429
    assert locked["Retry-After"] == "300"
    assert released.status_code == 200


def test_an_attacker_elsewhere_cannot_lock_the_integrator_out(application, attempt, lockout):
    for _ in range(10):
        attempt(application.client_id, "wrong", address="203.0.113.66")

    from_the_integrator = attempt(application.client_id, application.secret, address="192.0.2.10")

    assert from_the_integrator.status_code == 200


def test_one_locked_client_id_does_not_lock_the_others_from_that_address(
    application, make_application, attempt, lockout
):
    other, other_secret = make_application(name="Other")
    for _ in range(3):
        attempt(application.client_id, "wrong")

    assert attempt(other.client_id, other_secret).status_code == 200


def test_an_inactive_applications_right_secret_counts_as_a_success(
    make_application, attempt, lockout
):
    inactive, secret = make_application(is_active=False)
    statuses = [attempt(inactive.client_id, "wrong").status_code for _ in range(2)]
    statuses += [attempt(inactive.client_id, secret).status_code]
    statuses += [attempt(inactive.client_id, "wrong").status_code for _ in range(2)]

    assert statuses == [401] * 5


@pytest.mark.parametrize("value", [0, None])
def test_the_lockout_can_be_turned_off(application, attempt, delegation, clock, value):
    delegation(TOKEN_LOCKOUT_FAILURES=value, TOKEN_RATE_PER_IP=None)

    statuses = {attempt(application.client_id, "wrong").status_code for _ in range(15)}

    assert statuses == {401}


def test_locked_out_attempts_are_not_written_to_the_audit_trail(application, attempt, lockout):
    for _ in range(3):
        attempt(application.client_id, "wrong")

    for _ in range(5):
        attempt(application.client_id, "wrong")

    assert DelegationEvent.objects.filter(error="invalid_client").count() == 3


def test_a_cache_outage_leaves_the_secret_check_in_charge(application, attempt, delegation, caplog):
    delegation(THROTTLE_CACHE="unreachable", TOKEN_LOCKOUT_FAILURES=1)

    with caplog.at_level(logging.WARNING, logger="django_app_delegation"):
        statuses = [attempt(application.client_id, "wrong").status_code for _ in range(3)]

    assert statuses == [401, 401, 401]
    messages = {r.getMessage() for r in caplog.records if "ClientLockout" in r.getMessage()}
    assert messages == {
        "Throttle ClientLockout could not use its cache (ConnectionError): request allowed"
    }


def test_a_cache_outage_refuses_client_authentication_with_503_when_set_to_deny(
    application, attempt, delegation
):
    delegation(THROTTLE_CACHE="unreachable", THROTTLE_CACHE_FAILURE="deny", TOKEN_RATE_PER_IP=None)

    response = attempt(application.client_id, application.secret)

    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"


def test_over_long_client_ids_are_locked_out_like_any_other(attempt, lockout, user):
    """Whatever their length, they cost one short hash; no stored client id is that long."""
    statuses = [attempt("x" * 100_000 + str(index), "wrong").status_code for index in range(4)]

    assert statuses == [401, 401, 401, 429]
