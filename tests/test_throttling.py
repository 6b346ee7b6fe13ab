"""Throttling: the token endpoint's own throttles (RFC 6749-shaped 429), cache outages, proxies,
and the building blocks of the limits (counters, rates, what they cannot attribute)."""

import logging
from types import SimpleNamespace

import pytest

from django_app_delegation.lockout import ClientLockout
from django_app_delegation.signals import delegation_denied
from django_app_delegation.throttling import (
    ResourceApplicationRateThrottle,
    ResourceUserRateThrottle,
    TokenApplicationRateThrottle,
    increment,
    parse_rate,
)
from tests.helpers import NOTES, client_for, request_token

BY_CLIENT = "tests.doubles.TwoPerMinuteByClient"
UNREACHABLE = "tests.doubles.TwoPerMinuteInUnreachableRedis"
IN_REDIS = "tests.doubles.TwoPerMinuteInRedis"
BY_ADDRESS = "tests.doubles.TwoPerMinuteByAddress"


def test_token_view_throttles_with_429_retry_after_and_oauth_body(application, user, delegation):
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=[BY_CLIENT])

    statuses = [request_token(application).status_code for _ in range(3)]
    response = request_token(application)

    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["error_description"].startswith("Request was throttled.")


def test_a_few_token_requests_pass_the_default_limits(application, user):
    assert {request_token(application).status_code for _ in range(5)} == {200}


# A cache outage ------------------------------------------------------------------------------


def test_cache_outage_lets_token_requests_through_with_a_warning_by_default(
    application, user, delegation, caplog
):
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=[UNREACHABLE])

    with caplog.at_level(logging.WARNING, logger="django_app_delegation"):
        statuses = [request_token(application).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    warnings = [r.getMessage() for r in caplog.records if r.name == "django_app_delegation"]
    assert (
        warnings.count(
            "Throttle TwoPerMinuteInUnreachableRedis could not use its cache (ConnectionError): "
            "request allowed"
        )
        == 3
    )


def test_cache_outage_refuses_token_requests_with_503_when_set_to_deny(
    application, user, delegation, receive
):
    denials = receive(delegation_denied)
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=[UNREACHABLE], THROTTLE_CACHE_FAILURE="deny")

    response = request_token(application)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "error": "temporarily_unavailable",
        "error_description": "Request limits cannot be checked right now; try again later.",
    }
    assert denials == []


def test_throttle_counts_in_a_shared_redis(application, user, delegation, redis_cache):
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=[IN_REDIS])

    statuses = [request_token(application).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# Client addresses behind proxies -----------------------------------------------------------------


def request_from(application, forwarded_for):
    """The status of a token request carrying ``X-Forwarded-For: <forwarded_for>``."""
    return request_token(application, headers={"X-Forwarded-For": forwarded_for}).status_code


def test_without_num_proxies_a_forged_forwarded_for_escapes_the_limit(
    user, application, delegation, settings
):
    """What W002 warns about: DRF then trusts the header the client sends."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": None}
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=[BY_ADDRESS])

    statuses = [request_from(application, f"203.0.113.{index}") for index in range(4)]

    assert statuses == [200, 200, 200, 200]


@pytest.mark.parametrize("num_proxies", [0, 1])
def test_with_num_proxies_a_forged_forwarded_for_counts_as_one_client(
    user, application, delegation, settings, num_proxies
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=[BY_ADDRESS])

    # Behind one proxy, the proxy appends the address it saw: the client's own prefix is ignored.
    statuses = [request_from(application, f"203.0.113.{index}, 198.51.100.7") for index in range(3)]

    assert statuses == [200, 200, 429]


# The resource viewset ----------------------------------------------------------------------------


def test_cache_outage_lets_resource_api_calls_through_by_default(partner, user, settings, caplog):
    client = client_for(partner)
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": [UNREACHABLE],
    }

    with caplog.at_level(logging.WARNING, logger="django_app_delegation"):
        statuses = [client.get(NOTES).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert len([r for r in caplog.records if "could not use its cache" in r.getMessage()]) == 3


def test_cache_outage_refuses_resource_api_calls_with_503_when_set_to_deny(
    partner, user, settings, delegation
):
    client = client_for(partner)
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": [UNREACHABLE],
    }
    delegation(THROTTLE_CACHE_FAILURE="deny")

    response = client.get(NOTES)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "Request limits cannot be checked right now; try again later."
    }


# The limits' building blocks ---------------------------------------------------------------------


class RacingCache:
    """A cache whose counter another request creates between ``incr`` and ``add``."""

    def __init__(self) -> None:
        self.value: int | None = None

    def incr(self, key: str) -> int:
        if self.value is None:
            self.value = 1  # The other request's add() lands now...
            raise ValueError(key)  # ...after ours found no key.
        self.value += 1
        return self.value

    def add(self, key: str, value: int, timeout: float) -> bool:
        return False


def test_a_counter_created_by_a_concurrent_request_is_incremented_not_reset():
    assert increment(RacingCache(), "key", timeout=60) == 2


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("300/minute", (300, 60)), ("1/s", (1, 1)), ("5/hour", (5, 3600)), ("2/day", (2, 86400))],
)
def test_rates_are_read_as_drf_reads_them(rate, parsed):
    assert parse_rate(rate) == parsed


def test_application_and_resource_limits_skip_requests_they_cannot_attribute(delegation):
    delegation(
        TOKEN_RATE_PER_APPLICATION="1/minute",
        RESOURCE_RATE_PER_APPLICATION="1/minute",
        RESOURCE_RATE_PER_USER="1/minute",
    )
    session_request = SimpleNamespace(auth=None, user=SimpleNamespace(pk=1))
    resource = SimpleNamespace(name="notes", rate=lambda kind, action: "1/minute")
    cases = [
        # The token view before client authentication.
        (TokenApplicationRateThrottle(), session_request, SimpleNamespace(_application=None)),
        # A view without a resource or an action (a subclass routing something else).
        (ResourceApplicationRateThrottle(), session_request, SimpleNamespace(action="list")),
        # A session-authenticated call: no application to count against.
        (
            ResourceUserRateThrottle(),
            session_request,
            SimpleNamespace(resource=resource, action="list"),
        ),
    ]
    for throttle, request, view in cases:
        assert all(throttle.allow_request(request, view) for _ in range(3))


def test_a_lockout_counter_that_fails_to_count_lets_the_secret_check_answer(
    application, user, caplog, monkeypatch
):
    def unavailable(self):
        raise ConnectionError("the cache went away")

    monkeypatch.setattr(ClientLockout, "failed", unavailable)

    with caplog.at_level(logging.WARNING, logger="django_app_delegation"):
        response = request_token(application, client_secret="wrong")

    assert response.status_code == 401
    assert "Throttle ClientLockout could not use its cache (ConnectionError): request allowed" in [
        record.getMessage() for record in caplog.records
    ]
