"""Shared fixtures: applications with their plaintext secret, users, token requests, settings
and the URLconf built from them."""

from __future__ import annotations

import importlib
import os

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.test import override_settings
from django.urls import clear_url_caches
from rest_framework.test import APIClient

from django_app_delegation.models import Application
from tests import settings as test_settings

TOKEN_URL = "/external-api/v1.0/application/token/"
ALL_SCOPES = ["rooms:list", "rooms:retrieve", "rooms:create", "rooms:update", "rooms:delete"]


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Each test starts with no request counted: the limits count in the default cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def redis_cache():
    """The ``redis`` cache alias (the local Redis, a key prefix per run).

    Without a Redis server the test is skipped, except under CI (``CI`` set), where it fails:
    CI must show the limits shared across processes.
    """
    redis = caches["redis"]
    try:
        redis.get("probe")
    except Exception as exc:
        reason = f"no Redis at {redis._servers[0]}: {type(exc).__name__}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the Redis tests")
        pytest.skip(reason)
    return redis


class StoppedClock:
    """The limits' clock, stopped at the start of a day (so at the start of every window)."""

    def __init__(self) -> None:
        self.now = 20_834 * 86_400.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    """Stop the limits' clock: ``clock.advance(60)`` moves it."""
    from django_app_delegation import throttling

    stopped = StoppedClock()
    monkeypatch.setattr(throttling, "clock", stopped)
    return stopped


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def delegation(settings):
    """Update ``APP_DELEGATION`` keys for one test: ``delegation(ALLOW_USER_CREATION=True)``."""

    def update(**values):
        settings.APP_DELEGATION = {**settings.APP_DELEGATION, **values}

    return update


@pytest.fixture
def resource_options(settings, delegation):
    """Update one resource's options for one test: ``resource_options("notes", ACTIONS=[...])``."""

    def update(name, **options):
        resources = settings.APP_DELEGATION["RESOURCES"]
        delegation(RESOURCES={**resources, name: {**resources[name], **options}})

    return update


def _rebuild_urls():
    """Re-run the app's URL module, then the root URLconf (whose resolvers include it)."""
    for name in ("django_app_delegation.urls", django_settings.ROOT_URLCONF):
        importlib.reload(importlib.import_module(name))
    clear_url_caches()


@pytest.fixture
def rebuild_urls():
    """Rebuild the URLconf from the settings in force: ``rebuild_urls()``.

    Routes read ``ACTIONS`` and ``LOOKUP_FIELD`` once, when the URLconf is built, so a test that
    changes them rebuilds it; the URLconf of the test settings is rebuilt afterwards.
    """
    yield _rebuild_urls
    with override_settings(APP_DELEGATION=test_settings.APP_DELEGATION):
        _rebuild_urls()


@pytest.fixture
def make_application(db):
    def make(*, name="Partner", scopes=None, domains=("example.com",), is_active=True):
        return Application.objects.create_application(
            name=name,
            scopes=ALL_SCOPES if scopes is None else scopes,
            domains=domains,
            is_active=is_active,
        )

    return make


@pytest.fixture
def application(make_application):
    """An active application with every scope, allowed for example.com; ``.secret`` is set."""
    app, secret = make_application()
    app.secret = secret
    return app


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(
        username="alice", email="alice@example.com", password="unused-password"
    )


@pytest.fixture
def request_token(api_client):
    """POST a JSON token request; returns the response."""

    def post(application, email="alice@example.com", *, scope=None, fmt="json", **overrides):
        body = {
            "grant_type": "client_credentials",
            "client_id": application.client_id,
            "client_secret": application.secret,
            "scope": scope if scope is not None else email,
        }
        body.update(overrides)
        body = {k: v for k, v in body.items() if v is not None}
        return api_client.post(TOKEN_URL, body, format=fmt)

    return post


@pytest.fixture
def access_token(application, user, request_token):
    response = request_token(application)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]
