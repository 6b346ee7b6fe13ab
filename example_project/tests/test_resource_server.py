"""Meet's room API accepts django-lasuite resource-server tokens beside delegated tokens when the
``OIDC_RS_*`` variables are set (reference §3): the settings chain both, and a token introspected
at a loopback identity provider creates and lists rooms. Skipped without django-lasuite."""

from __future__ import annotations

import importlib

import pytest
from rest_framework.test import APIClient

from django_app_delegation.models import ResourceProvenance
from rooms.models import RoleChoices, Room

from .helpers import ROOMS_URL
from .identity_provider import IdentityProvider

OURS = "django_app_delegation.authentication.DelegatedTokenAuthentication"
RS = "lasuite.oidc_resource_server.authentication.ResourceServerAuthentication"
RS_VARIABLES = {
    "OIDC_RS_CLIENT_ID": "meet",
    "OIDC_RS_CLIENT_SECRET": "ThisIsAnExampleKeyForDevPurposeOnly",
    "OIDC_OP_URL": "https://oidc.example.com",
    "OIDC_OP_INTROSPECTION_ENDPOINT": "https://oidc.example.com/introspect",
}


def settings_module(monkeypatch, **variables):
    """``meet.settings`` re-read with the environment ``variables``."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    import meet.settings

    try:
        return importlib.reload(meet.settings).__dict__.copy()
    finally:
        for name in variables:
            monkeypatch.delenv(name)
        importlib.reload(meet.settings)


def test_delegated_tokens_alone_by_default(monkeypatch):
    values = settings_module(monkeypatch)

    assert values["RESOURCE_SERVER_ENABLED"] is False
    assert "RESOURCE_AUTHENTICATION_CLASSES" not in values["APP_DELEGATION"]


def test_oidc_rs_variables_chain_django_lasuite_after_delegated_tokens(monkeypatch):
    values = settings_module(monkeypatch, **RS_VARIABLES, OIDC_RS_SCOPES_PREFIX="meet")

    assert values["APP_DELEGATION"]["RESOURCE_AUTHENTICATION_CLASSES"] == [OURS, RS]
    assert values["APP_DELEGATION"]["SCOPE_PREFIX"] == "meet"
    assert values["OIDC_RS_SCOPES"] == ["lasuite_meet"]


@pytest.fixture
def identity_provider(settings, delegation):
    """The example's settings with the ``OIDC_RS_*`` variables set, introspecting at a loopback
    provider."""
    authentication = pytest.importorskip("lasuite.oidc_resource_server.authentication")
    provider = IdentityProvider()
    settings.OIDC_RS_CLIENT_ID = RS_VARIABLES["OIDC_RS_CLIENT_ID"]
    settings.OIDC_RS_CLIENT_SECRET = RS_VARIABLES["OIDC_RS_CLIENT_SECRET"]
    settings.OIDC_OP_URL = provider.url
    settings.OIDC_OP_INTROSPECTION_ENDPOINT = f"{provider.url}/introspect"
    delegation(RESOURCE_AUTHENTICATION_CLASSES=[OURS, RS], SCOPE_PREFIX="meet")
    authentication.get_resource_server_backend.cache_clear()
    yield provider
    provider.stop()
    authentication.get_resource_server_backend.cache_clear()


def test_resource_server_token_creates_and_lists_rooms(identity_provider, user):
    token = identity_provider.issue(
        "calendar-token",
        sub="alice",
        client_id="calendar-service",
        scope="openid lasuite_meet meet:rooms:create meet:rooms:list",
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    created = client.post(ROOMS_URL, {}, format="json")
    listed = client.get(ROOMS_URL)

    assert created.status_code == 201, created.content
    room = Room.objects.get(pk=created.json()["id"])
    assert room.get_role(user) == RoleChoices.OWNER
    assert [item["id"] for item in listed.json()["results"]] == [str(room.pk)]
    record = ResourceProvenance.objects.get()
    assert (record.application, record.audience) == (None, "calendar-service")


def test_resource_server_token_needs_the_scope(identity_provider, user):
    token = identity_provider.issue(
        "narrow-token", sub="alice", client_id="calendar-service", scope="lasuite_meet"
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.get(ROOMS_URL)

    assert response.status_code == 403
    assert response.json() == {"detail": "Insufficient permissions. Required scope: rooms:list"}


def test_delegated_tokens_still_work_and_never_reach_the_provider(identity_provider, alice):
    response = alice.get(ROOMS_URL)

    assert response.status_code == 200
    assert identity_provider.introspected == []
