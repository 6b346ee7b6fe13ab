"""Throttling: the token endpoint's own throttles (RFC 6749-shaped 429), cache outages, proxies."""

import logging

import pytest
from django.core.cache import caches
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from django_app_delegation.signals import delegation_denied
from tests.conftest import TOKEN_URL


@pytest.fixture
def denials():
    calls = []

    def receiver(signal, sender, **kwargs):
        calls.append(kwargs)

    delegation_denied.connect(receiver, weak=False)
    yield calls
    delegation_denied.disconnect(receiver)


class TwoPerMinuteByClient(SimpleRateThrottle):
    """Keyed by the client id in the body (tests only)."""

    rate = "2/min"
    scope = "token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.data.get("client_id")}


def test_token_view_throttles_with_429_retry_after_and_oauth_body(
    application, user, request_token, delegation
):
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=["tests.test_throttling.TwoPerMinuteByClient"])

    statuses = [request_token(application).status_code for _ in range(3)]
    response = request_token(application)

    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["error_description"].startswith("Request was throttled.")


def test_token_view_is_not_throttled_by_default(application, user, request_token):
    assert {request_token(application).status_code for _ in range(5)} == {200}


# A cache outage ------------------------------------------------------------------------------


class TwoPerMinuteInUnreachableRedis(TwoPerMinuteByClient):
    """Counts in a Redis server that is down."""

    cache = caches["unreachable"]


class TwoPerMinuteInRedis(TwoPerMinuteByClient):
    """Counts in the local Redis."""

    cache = caches["redis"]


UNREACHABLE = "tests.test_throttling.TwoPerMinuteInUnreachableRedis"


def test_cache_outage_lets_token_requests_through_with_a_warning_by_default(
    application, user, request_token, delegation, caplog
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
    application, user, request_token, delegation, denials
):
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


def test_throttle_counts_in_a_shared_redis(
    application, user, request_token, delegation, redis_cache
):
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=["tests.test_throttling.TwoPerMinuteInRedis"])

    statuses = [request_token(application).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# Client addresses behind proxies -----------------------------------------------------------------


class TwoPerMinuteByAddress(AnonRateThrottle):
    rate = "2/min"
    scope = "token-address"


BY_ADDRESS = "tests.test_throttling.TwoPerMinuteByAddress"


@pytest.fixture
def request_from(api_client, application):
    """POST a token request that carries ``X-Forwarded-For: <forwarded_for>``; return its status."""

    def post(forwarded_for):
        body = {
            "grant_type": "client_credentials",
            "client_id": application.client_id,
            "client_secret": application.secret,
            "scope": "alice@example.com",
        }
        response = api_client.post(
            TOKEN_URL, body, format="json", HTTP_X_FORWARDED_FOR=forwarded_for
        )
        return response.status_code

    return post


def test_without_num_proxies_a_forged_forwarded_for_escapes_the_limit(
    user, request_from, delegation, settings
):
    """What W002 warns about: DRF then trusts the header the client sends."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": None}
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=[BY_ADDRESS])

    assert [request_from(f"203.0.113.{index}") for index in range(4)] == [200, 200, 200, 200]


@pytest.mark.parametrize("num_proxies", [0, 1])
def test_with_num_proxies_a_forged_forwarded_for_counts_as_one_client(
    user, request_from, delegation, settings, num_proxies
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=[BY_ADDRESS])

    # Behind one proxy, the proxy appends the address it saw: the client's own prefix is ignored.
    statuses = [request_from(f"203.0.113.{index}, 198.51.100.7") for index in range(3)]

    assert statuses == [200, 200, 429]


# The resource viewset ----------------------------------------------------------------------------


@pytest.fixture
def notes_client(make_application, user):
    from tests.viewset_helpers import NOTE_SCOPES, Partner

    return Partner.register(make_application, "Notes", NOTE_SCOPES).client()


def test_cache_outage_lets_resource_api_calls_through_by_default(notes_client, settings, caplog):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": [UNREACHABLE],
    }

    with caplog.at_level(logging.WARNING, logger="django_app_delegation"):
        statuses = [notes_client.get("/external-api/v1.0/notes/").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert len([r for r in caplog.records if "could not use its cache" in r.getMessage()]) == 3


def test_cache_outage_refuses_resource_api_calls_with_503_when_set_to_deny(
    notes_client, settings, delegation
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": [UNREACHABLE],
    }
    delegation(THROTTLE_CACHE_FAILURE="deny")

    response = notes_client.get("/external-api/v1.0/notes/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "Request limits cannot be checked right now; try again later."
    }


# The limits' building blocks ---------------------------------------------------------------------


class RacingCache:
    """A cache whose counter another request creates between ``incr`` and ``add``."""

    def __init__(self):
        self.value = None

    def incr(self, key):
        if self.value is None:
            self.value = 1  # The other request's add() lands now...
            raise ValueError(key)  # ...after ours found no key.
        self.value += 1
        return self.value

    def add(self, key, value, timeout):
        return False


def test_a_counter_created_by_a_concurrent_request_is_incremented_not_reset():
    from django_app_delegation.throttling import increment

    assert increment(RacingCache(), "key", timeout=60) == 2


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("300/minute", (300, 60)), ("1/s", (1, 1)), ("5/hour", (5, 3600)), ("2/day", (2, 86400))],
)
def test_rates_are_read_as_drf_reads_them(rate, parsed):
    from django_app_delegation.throttling import parse_rate

    assert parse_rate(rate) == parsed


def test_application_and_resource_limits_skip_requests_they_cannot_attribute(delegation):
    from types import SimpleNamespace

    from django_app_delegation.throttling import (
        ResourceApplicationRateThrottle,
        ResourceUserRateThrottle,
        TokenApplicationRateThrottle,
    )

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
    application, user, request_token, caplog, monkeypatch
):
    from django_app_delegation.lockout import ClientLockout

    def unavailable(self):
        raise ConnectionError("the cache went away")

    monkeypatch.setattr(ClientLockout, "failed", unavailable)

    with caplog.at_level(logging.WARNING, logger="django_app_delegation"):
        response = request_token(application, client_secret="wrong")

    assert response.status_code == 401
    assert "Throttle ClientLockout could not use its cache (ConnectionError): request allowed" in [
        record.getMessage() for record in caplog.records
    ]
