"""Shared fixtures: applications with their plaintext secret, users, token requests, settings
and the URLconf built from them."""

from __future__ import annotations

import importlib

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.urls import clear_url_caches
from rest_framework.test import APIClient

from django_app_delegation.models import Application
from tests import settings as test_settings

TOKEN_URL = "/external-api/v1.0/application/token/"
ALL_SCOPES = ["rooms:list", "rooms:retrieve", "rooms:create", "rooms:update", "rooms:delete"]


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
