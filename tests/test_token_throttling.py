"""TOKEN_VIEW_THROTTLE_CLASSES limits token requests with an RFC 6749-shaped 429."""

import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle


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
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=["tests.test_token_throttling.TwoPerMinuteByClient"])

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
