"""Throttling: the token endpoint's own throttles (RFC 6749-shaped 429), cache outages, proxies."""

import logging

import pytest
from django.core.cache import cache, caches
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


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


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


def test_throttle_counts_in_a_shared_redis(application, user, request_token, delegation):
    redis = caches["redis"]
    try:
        redis.clear()
    except Exception as exc:
        pytest.skip(f"no Redis at {redis._servers}: {exc}")
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=["tests.test_throttling.TwoPerMinuteInRedis"])

    statuses = [request_token(application).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    redis.clear()


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
