"""The token endpoint's limits: per client IP before authentication, per application after it
(with per-client_id overrides), 429 with ``Retry-After``; their defaults and a cache outage.
"""

from __future__ import annotations

import logging

import pytest
from django.core.cache import caches

from django_app_delegation.conf import DEFAULTS
from tests.helpers import request_token

# Every request asks for alice.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("user")]

THROTTLED = {
    "error": "invalid_request",
    "error_description": "Request was throttled. Expected available in 60 seconds.",
}


def statuses(responses):
    return [response.status_code for response in responses]


# -- defaults ----------------------------------------------------------------------------------


def test_token_limits_are_on_by_default_and_generous():
    assert DEFAULTS["TOKEN_RATE_PER_IP"] == "600/minute"
    assert DEFAULTS["TOKEN_RATE_PER_APPLICATION"] == "300/minute"
    assert DEFAULTS["TOKEN_RATE_OVERRIDES"] == {}


def test_default_limits_let_a_busy_integrator_through(application, clock):
    assert set(statuses(request_token(application) for _ in range(50))) == {200}


# -- per client IP -----------------------------------------------------------------------------


def test_token_requests_per_client_ip_are_limited_with_429_and_retry_after(
    application, delegation, clock
):
    delegation(TOKEN_RATE_PER_IP="3/minute")

    responses = [request_token(application) for _ in range(4)]

    assert statuses(responses) == [200, 200, 200, 429]
    assert responses[3]["Retry-After"] == "60"
    assert responses[3]["Cache-Control"] == "no-store"
    assert responses[3].json() == THROTTLED


def test_the_ip_limit_counts_requests_that_fail_authentication_too(application, delegation, clock):
    delegation(TOKEN_RATE_PER_IP="3/minute")

    failures = [request_token(application, client_secret="wrong") for _ in range(3)]

    assert statuses(failures) == [401, 401, 401]
    assert request_token(application).status_code == 429


def test_other_addresses_keep_their_own_allowance(application, delegation, clock):
    delegation(TOKEN_RATE_PER_IP="2/minute")
    for _ in range(3):
        request_token(application, address="192.0.2.1")

    assert request_token(application, address="198.51.100.9").status_code == 200


def test_the_ip_limit_is_counted_in_windows_of_its_period(application, delegation, clock):
    delegation(TOKEN_RATE_PER_IP="2/minute")
    assert statuses(request_token(application) for _ in range(3)) == [200, 200, 429]

    clock.advance(45)
    late = request_token(application)
    clock.advance(15)
    next_window = request_token(application)

    assert late.status_code == 429
    assert late["Retry-After"] == "15"
    assert next_window.status_code == 200


# -- per application ---------------------------------------------------------------------------


def test_tokens_per_application_are_limited(application, partner, delegation, clock):
    delegation(TOKEN_RATE_PER_APPLICATION="2/minute")

    responses = [request_token(application, address=f"192.0.2.{index}") for index in range(3)]

    assert statuses(responses) == [200, 200, 429]
    assert responses[2]["Retry-After"] == "60"
    assert responses[2].json() == THROTTLED
    assert request_token(partner).status_code == 200


def test_requests_that_fail_authentication_do_not_use_an_applications_allowance(
    application, delegation, clock
):
    """Anybody can send a client id; only its secret's holder counts against its limit."""
    delegation(TOKEN_RATE_PER_APPLICATION="2/minute")

    failures = [
        request_token(application, client_secret="wrong", address="203.0.113.66") for _ in range(5)
    ]

    assert statuses(failures) == [401] * 5
    assert statuses(request_token(application) for _ in range(2)) == [200, 200]


def test_an_override_raises_one_applications_limit(application, partner, delegation, clock):
    delegation(
        TOKEN_RATE_PER_APPLICATION="2/minute",
        TOKEN_RATE_OVERRIDES={application.client_id: "4/minute"},
    )

    assert statuses(request_token(application) for _ in range(5)) == [200, 200, 200, 200, 429]
    assert statuses(request_token(partner) for _ in range(3)) == [200, 200, 429]


def test_an_override_of_none_lifts_one_applications_limit(application, delegation, clock):
    delegation(
        TOKEN_RATE_PER_APPLICATION="1/minute", TOKEN_RATE_OVERRIDES={application.client_id: None}
    )

    assert set(statuses(request_token(application) for _ in range(5))) == {200}


def test_limits_set_to_none_are_off(application, delegation, clock):
    delegation(TOKEN_RATE_PER_IP=None, TOKEN_RATE_PER_APPLICATION=None)

    assert set(statuses(request_token(application) for _ in range(20))) == {200}


def test_configured_throttle_classes_apply_besides_the_built_in_limits(
    application, delegation, clock
):
    delegation(
        TOKEN_RATE_PER_IP="5/minute",
        TOKEN_VIEW_THROTTLE_CLASSES=["tests.doubles.TwoPerMinuteByClient"],
    )

    assert statuses(request_token(application) for _ in range(3)) == [200, 200, 429]


# -- the cache ---------------------------------------------------------------------------------


def test_limits_count_in_the_cache_throttle_cache_names(application, delegation, clock):
    delegation(TOKEN_RATE_PER_APPLICATION="1/minute", THROTTLE_CACHE="second")
    assert statuses(request_token(application) for _ in range(2)) == [200, 429]

    delegation(TOKEN_RATE_PER_APPLICATION="1/minute", THROTTLE_CACHE="default")

    assert request_token(application).status_code == 200
    caches["second"].clear()


def test_a_cache_outage_lets_token_requests_through_with_warnings(application, delegation, caplog):
    delegation(THROTTLE_CACHE="unreachable")

    with caplog.at_level(logging.WARNING, logger="django_app_delegation"):
        response = request_token(application)

    assert response.status_code == 200
    assert [r.getMessage() for r in caplog.records if r.name == "django_app_delegation"] == [
        f"Throttle {name} could not use its cache (ConnectionError): request allowed"
        for name in ("TokenIPRateThrottle", "ClientLockout", "TokenApplicationRateThrottle")
    ]


def test_a_cache_outage_refuses_token_requests_with_503_when_set_to_deny(application, delegation):
    delegation(THROTTLE_CACHE="unreachable", THROTTLE_CACHE_FAILURE="deny")

    response = request_token(application)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"] == "temporarily_unavailable"
