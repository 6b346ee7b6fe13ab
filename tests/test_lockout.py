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
from tests.helpers import request_token

# Every request asks for alice.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("user")]

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


def wrong_secret(application, **overrides):
    """A token request of ``application`` with a wrong secret (see ``request_token``)."""
    return request_token(application, client_secret="wrong", **overrides)


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
    application, lockout
):
    failures = [wrong_secret(application) for _ in range(3)]

    locked = request_token(application)

    assert [outline(response) for response in failures] == [INVALID_CLIENT] * 3
    assert outline(locked) == LOCKED_OUT
    assert locked["Cache-Control"] == "no-store"


def test_locked_out_attempts_run_no_secret_check_and_no_query(
    application, lockout, django_assert_num_queries
):
    for _ in range(3):
        wrong_secret(application)
    verify = mock.patch.object(client_secrets, "verify_secret", wraps=client_secrets.verify_secret)
    check = mock.patch.object(
        Application, "check_client_secret", autospec=True, wraps=Application.check_client_secret
    )

    with verify as verify_secret, check as check_client_secret:
        with django_assert_num_queries(0):
            responses = [request_token(application) for _ in range(3)]
        unknown = [
            wrong_secret(application, client_id=UNKNOWN_CLIENT_ID).status_code for _ in range(5)
        ]

    assert [response.status_code for response in responses] == [429, 429, 429]
    assert unknown == [401, 401, 401, 429, 429]
    # The dummy verifications of the unknown client id's three failures (two each, as an
    # application's secret and previous secret), and nothing else.
    assert verify_secret.call_count == 6
    assert check_client_secret.call_count == 0


def test_unknown_and_known_client_ids_are_locked_out_alike(application, lockout):
    known = [outline(wrong_secret(application)) for _ in range(5)]
    unknown = [outline(wrong_secret(application, client_id=UNKNOWN_CLIENT_ID)) for _ in range(5)]
    implausible = [
        outline(wrong_secret(application, client_id="not a client id!")) for _ in range(5)
    ]

    assert known == unknown == implausible == [INVALID_CLIENT] * 3 + [LOCKED_OUT] * 2


def test_a_verified_secret_clears_the_count(application, lockout):
    statuses = []
    for _ in range(3):
        statuses += [wrong_secret(application).status_code for _ in range(2)]
        statuses.append(request_token(application).status_code)

    assert statuses == [401, 401, 200] * 3


def test_the_lockout_ends_with_its_window(application, lockout):
    lockout.advance(600)
    for _ in range(3):
        wrong_secret(application)

    locked = request_token(application)
    lockout.advance(300)
    released = request_token(application)

    assert locked.status_code == 429
    assert locked["Retry-After"] == "300"
    assert released.status_code == 200


def test_an_attacker_elsewhere_cannot_lock_the_integrator_out(application, lockout):
    for _ in range(10):
        wrong_secret(application, address="203.0.113.66")

    from_the_integrator = request_token(application, address="192.0.2.10")

    assert from_the_integrator.status_code == 200


def test_one_locked_client_id_does_not_lock_the_others_from_that_address(
    application, make_application, lockout
):
    other = make_application(name="Other")
    for _ in range(3):
        wrong_secret(application)

    assert request_token(other).status_code == 200


def test_an_inactive_applications_right_secret_counts_as_a_success(make_application, lockout):
    inactive = make_application(is_active=False)
    statuses = [wrong_secret(inactive).status_code for _ in range(2)]
    statuses += [request_token(inactive).status_code]
    statuses += [wrong_secret(inactive).status_code for _ in range(2)]

    assert statuses == [401] * 5


@pytest.mark.parametrize("value", [0, None])
def test_the_lockout_can_be_turned_off(application, delegation, clock, value):
    delegation(TOKEN_LOCKOUT_FAILURES=value, TOKEN_RATE_PER_IP=None)

    statuses = {wrong_secret(application).status_code for _ in range(15)}

    assert statuses == {401}


def test_locked_out_attempts_are_not_written_to_the_audit_trail(application, lockout):
    for _ in range(3):
        wrong_secret(application)

    for _ in range(5):
        wrong_secret(application)

    assert DelegationEvent.objects.filter(error="invalid_client").count() == 3


def test_a_cache_outage_leaves_the_secret_check_in_charge(application, delegation, caplog):
    delegation(THROTTLE_CACHE="unreachable", TOKEN_LOCKOUT_FAILURES=1)

    with caplog.at_level(logging.WARNING, logger="django_app_delegation"):
        statuses = [wrong_secret(application).status_code for _ in range(3)]

    assert statuses == [401, 401, 401]
    messages = {r.getMessage() for r in caplog.records if "ClientLockout" in r.getMessage()}
    assert messages == {
        "Throttle ClientLockout could not use its cache (ConnectionError): request allowed"
    }


def test_a_cache_outage_refuses_client_authentication_with_503_when_set_to_deny(
    application, delegation
):
    delegation(THROTTLE_CACHE="unreachable", THROTTLE_CACHE_FAILURE="deny", TOKEN_RATE_PER_IP=None)

    response = request_token(application)

    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"


def test_over_long_client_ids_are_locked_out_like_any_other(application, lockout):
    """Whatever their length, they cost one short hash; no stored client id is that long."""
    statuses = [
        wrong_secret(application, client_id="x" * 100_000 + str(index)).status_code
        for index in range(4)
    ]

    assert statuses == [401, 401, 401, 429]
