"""The token endpoint's limits: per client IP before authentication, per application after it
(with per-client_id overrides), 429 with ``Retry-After``; their defaults and a cache outage.
"""

from __future__ import annotations

import logging

import pytest
from django.core.cache import caches

from django_app_delegation.conf import DEFAULTS
from tests.conftest import TOKEN_URL

pytestmark = pytest.mark.django_db

THROTTLED = {
    "error": "invalid_request",
    "error_description": "Request was throttled. Expected available in 60 seconds.",
}


@pytest.fixture
def ask(api_client, user):
    """POST a token request for ``application`` from ``address``; return the response."""

    def post(application, *, secret=None, address="192.0.2.1"):
        body = {
            "grant_type": "client_credentials",
            "client_id": application.client_id,
            "client_secret": application.secret if secret is None else secret,
            "scope": "alice@example.com",
        }
        return api_client.post(TOKEN_URL, body, format="json", REMOTE_ADDR=address)

    return post


@pytest.fixture
def other_application(make_application):
    app, secret = make_application(name="Other partner")
    app.secret = secret
    return app


def statuses(responses):
    return [response.status_code for response in responses]


# -- defaults ----------------------------------------------------------------------------------


def test_token_limits_are_on_by_default_and_generous():
    assert DEFAULTS["TOKEN_RATE_PER_IP"] == "600/minute"
    assert DEFAULTS["TOKEN_RATE_PER_APPLICATION"] == "300/minute"
    assert DEFAULTS["TOKEN_RATE_OVERRIDES"] == {}


def test_default_limits_let_a_busy_integrator_through(application, ask, clock):
    assert set(statuses(ask(application) for _ in range(50))) == {200}


# -- per client IP -----------------------------------------------------------------------------


def test_token_requests_per_client_ip_are_limited_with_429_and_retry_after(
    application, ask, delegation, clock
):
    delegation(TOKEN_RATE_PER_IP="3/minute")

    responses = [ask(application) for _ in range(4)]

    assert statuses(responses) == [200, 200, 200, 429]
    assert responses[3]["Retry-After"] == "60"
    assert responses[3]["Cache-Control"] == "no-store"
    assert responses[3].json() == THROTTLED


def test_the_ip_limit_counts_requests_that_fail_authentication_too(
    application, ask, delegation, clock
):
    delegation(TOKEN_RATE_PER_IP="3/minute")

    failures = [ask(application, secret="wrong") for _ in range(3)]

    assert statuses(failures) == [401, 401, 401]
    assert ask(application).status_code == 429


def test_other_addresses_keep_their_own_allowance(application, ask, delegation, clock):
    delegation(TOKEN_RATE_PER_IP="2/minute")
    for _ in range(3):
        ask(application, address="192.0.2.1")

    assert ask(application, address="198.51.100.9").status_code == 200


def test_the_ip_limit_is_counted_in_windows_of_its_period(application, ask, delegation, clock):
    delegation(TOKEN_RATE_PER_IP="2/minute")
    assert statuses(ask(application) for _ in range(3)) == [200, 200, 429]

    clock.advance(45)
    late = ask(application)
    clock.advance(15)
    next_window = ask(application)

    assert late.status_code == 429
    assert late["Retry-After"] == "15"
    assert next_window.status_code == 200


# -- per application ---------------------------------------------------------------------------


def test_tokens_per_application_are_limited(application, other_application, ask, delegation, clock):
    delegation(TOKEN_RATE_PER_APPLICATION="2/minute")

    responses = [ask(application, address=f"192.0.2.{index}") for index in range(3)]

    assert statuses(responses) == [200, 200, 429]
    assert responses[2]["Retry-After"] == "60"
    assert responses[2].json() == THROTTLED
    assert ask(other_application).status_code == 200


def test_requests_that_fail_authentication_do_not_use_an_applications_allowance(
    application, ask, delegation, clock
):
    """Anybody can send a client id; only its secret's holder counts against its limit."""
    delegation(TOKEN_RATE_PER_APPLICATION="2/minute")

    failures = [ask(application, secret="wrong", address="203.0.113.66") for _ in range(5)]

    assert statuses(failures) == [401] * 5
    assert statuses(ask(application) for _ in range(2)) == [200, 200]


def test_an_override_raises_one_applications_limit(
    application, other_application, ask, delegation, clock
):
    delegation(
        TOKEN_RATE_PER_APPLICATION="2/minute",
        TOKEN_RATE_OVERRIDES={application.client_id: "4/minute"},
    )

    assert statuses(ask(application) for _ in range(5)) == [200, 200, 200, 200, 429]
    assert statuses(ask(other_application) for _ in range(3)) == [200, 200, 429]


def test_an_override_of_none_lifts_one_applications_limit(application, ask, delegation, clock):
    delegation(
        TOKEN_RATE_PER_APPLICATION="1/minute", TOKEN_RATE_OVERRIDES={application.client_id: None}
    )

    assert set(statuses(ask(application) for _ in range(5))) == {200}


def test_limits_set_to_none_are_off(application, ask, delegation, clock):
    delegation(TOKEN_RATE_PER_IP=None, TOKEN_RATE_PER_APPLICATION=None)

    assert set(statuses(ask(application) for _ in range(20))) == {200}


def test_configured_throttle_classes_apply_besides_the_built_in_limits(
    application, ask, delegation, clock
):
    delegation(
        TOKEN_RATE_PER_IP="5/minute",
        TOKEN_VIEW_THROTTLE_CLASSES=["tests.test_throttling.TwoPerMinuteByClient"],
    )

    assert statuses(ask(application) for _ in range(3)) == [200, 200, 429]


# -- the cache ---------------------------------------------------------------------------------


def test_limits_count_in_the_cache_throttle_cache_names(application, ask, delegation, clock):
    delegation(TOKEN_RATE_PER_APPLICATION="1/minute", THROTTLE_CACHE="second")
    assert statuses(ask(application) for _ in range(2)) == [200, 429]

    delegation(TOKEN_RATE_PER_APPLICATION="1/minute", THROTTLE_CACHE="default")

    assert ask(application).status_code == 200
    caches["second"].clear()


def test_a_cache_outage_lets_token_requests_through_with_warnings(
    application, ask, delegation, caplog
):
    delegation(THROTTLE_CACHE="unreachable")

    with caplog.at_level(logging.WARNING, logger="django_app_delegation"):
        response = ask(application)

    assert response.status_code == 200
    assert [r.getMessage() for r in caplog.records if r.name == "django_app_delegation"] == [
        f"Throttle {name} could not use its cache (ConnectionError): request allowed"
        for name in ("TokenIPRateThrottle", "ClientLockout", "TokenApplicationRateThrottle")
    ]


def test_a_cache_outage_refuses_token_requests_with_503_when_set_to_deny(
    application, ask, delegation
):
    delegation(THROTTLE_CACHE="unreachable", THROTTLE_CACHE_FAILURE="deny")

    response = ask(application)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"] == "temporarily_unavailable"
