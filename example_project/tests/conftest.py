"""Fixtures of the example project's black-box tests: users, applications, tokens, clients."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from django_app_delegation.models import Application
from rooms.models import ResourceAccess, RoleChoices, Room
from users.models import User

from .helpers import ALL_SCOPES, TOKEN_URL


@pytest.fixture(autouse=True)
def fresh_limits():
    """No request counted yet: the token endpoint's limits count in the default cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def meet_defaults(settings):
    """Meet's defaults whatever the environment running the tests says."""
    settings.APPLICATION_BASE_URL = None
    settings.EXTERNAL_API_DEFAULT_ACCESS_LEVEL = "trusted"
    settings.EXTERNAL_API_ALLOW_PUBLIC_ACCESS = False
    settings.ROOM_TELEPHONY_ENABLED = False
    settings.ROOM_TELEPHONY_PIN_LENGTH = 10
    settings.ROOM_TELEPHONY_PIN_MAX_RETRIES = 5
    settings.ROOM_TELEPHONY_PHONE_NUMBER = None
    settings.ROOM_TELEPHONY_DEFAULT_COUNTRY = "US"
    settings.APP_DELEGATION = {
        **settings.APP_DELEGATION,
        "ALLOW_USER_CREATION": False,
        "TOKEN_ERROR_FORMAT": "rfc6749",
    }
    settings.OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION = False
    settings.OIDC_USER_SUB_FIELD_IMMUTABLE = True
    # Users' passwords only; applications' secrets have their own fast hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user_creation(settings, delegation) -> None:
    """Provisional users on, as Meet needs it: ``APPLICATION_ALLOW_USER_CREATION``, and an OIDC
    login that reconciles them (e-mail fallback, mutable ``sub``)."""
    delegation(ALLOW_USER_CREATION=True)
    settings.OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION = True
    settings.OIDC_USER_SUB_FIELD_IMMUTABLE = False


@pytest.fixture
def delegation(settings) -> Callable[..., None]:
    """Change ``APP_DELEGATION`` keys for one test: ``delegation(ALLOW_USER_CREATION=True)``."""

    def update(**values: Any) -> None:
        settings.APP_DELEGATION = {**settings.APP_DELEGATION, **values}

    return update


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def make(email: str = "alice@example.com", **fields: Any) -> User:
        fields.setdefault("sub", f"sub-{uuid.uuid4().hex}")
        return User.objects.create_user(email=email, **fields)

    return make


@pytest.fixture
def user(make_user) -> User:
    """Alice, a Meet user who has logged in (she has a ``sub``)."""
    return make_user("alice@example.com", sub="alice")


@pytest.fixture
def make_application(db) -> Callable[..., Application]:
    """Create an application; its plaintext secret is on ``.secret``."""

    def make(
        *,
        name: str = "Partner",
        scopes: list[str] | None = None,
        domains: tuple[str, ...] = (),
        is_active: bool = True,
    ) -> Application:
        application, secret = Application.objects.create_application(
            name=name,
            scopes=ALL_SCOPES if scopes is None else scopes,
            domains=domains,
            is_active=is_active,
        )
        application.secret = secret
        return application

    return make


@pytest.fixture
def application(make_application) -> Application:
    """An active application with every room scope and no domain list (Meet: anybody)."""
    return make_application()


@pytest.fixture
def request_token() -> Callable[..., Any]:
    """POST a JSON token request of ``application`` (which carries ``.secret``) for ``scope``; a
    new client per request, so threads may share the fixture."""

    def post(application: Application, scope: str = "alice@example.com") -> Any:
        body = {
            "grant_type": "client_credentials",
            "client_id": application.client_id,
            "client_secret": application.secret,
            "scope": scope,
        }
        return APIClient().post(TOKEN_URL, body, format="json")

    return post


@pytest.fixture
def client_for(make_application, request_token) -> Callable[..., APIClient]:
    """An API client acting for ``user`` through a fresh application with ``scopes``."""

    def make(user: User, scopes: list[str] | None = None) -> APIClient:
        application = make_application(name=f"App {uuid.uuid4().hex[:8]}", scopes=scopes)
        response = request_token(application, user.email)
        assert response.status_code == 200, response.content
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
        return client

    return make


@pytest.fixture
def alice(client_for, user) -> APIClient:
    """Alice's client, with every room scope."""
    return client_for(user)


@pytest.fixture
def make_room(db) -> Callable[..., Room]:
    """A room created outside the API, with ``{user: role}`` accesses."""

    def make(name: str = "Team meeting", accesses: dict[User, str] | None = None, **fields: Any):
        room = Room.objects.create(name=name, **fields)
        for member, role in (accesses or {}).items():
            ResourceAccess.objects.create(room=room, user=member, role=role)
        return room

    return make


@pytest.fixture
def alices_room(make_room, user) -> Room:
    return make_room("Alice's room", {user: RoleChoices.OWNER})
