"""docs/how-to/migrate-from-meet.md, followed line by line: every code block of the guide is run
here, in this project configured with La Suite Meet's settings as the guide says, and the result
is held to Meet's expectations (reference §2-§5): its integrators' token requests and error
bodies, its own tokens, its add-ons and resource-server callers, its provisioning rules.

Each block of the guide is preceded by ``<!-- guide-test: KIND [ARGS] -->`` saying how it runs:

``pip``
    a ``pip install`` line: the extras it names exist;
``settings``
    a fragment of Meet's settings module, run after Meet's own values (:func:`meet_settings`) and
    the blocks before it; ``settings optional`` blocks only in the scenario that opts in;
``urls``
    a fragment of Meet's ``core/urls.py``, run with an empty ``urlpatterns``;
``migration``
    a data migration, whose function runs with a stand-in of Meet's ``core.Application``;
``shell``
    statements run in the test database;
``module NAME``
    a module of the host, importable as ``NAME``.

Meet's add-ons authenticator (``core.external_api.authentication.AddonsJWTAuthentication``) is
stood in for by :class:`AddonsJWTAuthentication`, written from the reference (§3.3).
"""

from __future__ import annotations

import importlib
import re
import sys
import time
import types
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import jwt
import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.checks import ERROR, run_checks
from django.test import override_settings
from django.urls import clear_url_caches, resolve
from django.utils.crypto import get_random_string
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient

from django_app_delegation.models import Application
from rooms.models import Room
from users.models import User

from .helpers import ROOMS_URL, TOKEN_URL, room_url
from .identity_provider import IdentityProvider

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "migrate-from-meet.md"
MARKER = re.compile(r"<!-- guide-test: (?P<kind>[a-z]+)(?: (?P<argument>[\w.]+))? -->")
FENCE = re.compile(r"^```(?P<language>\w*)\n(?P<code>.*?)^```\n", re.MULTILINE | re.DOTALL)
KINDS = {"pip", "settings", "urls", "migration", "shell", "module"}

pytestmark = pytest.mark.skipif(not GUIDE.exists(), reason=f"{GUIDE} is not in this copy")

#: Meet's test secrets (reference §6).
APPLICATION_KEY = "secret-key-padded-for-minimum-len!-application"
ADDONS_KEY = "secret-key-padded-for-minimum-len!-addons"


@dataclass
class Block:
    kind: str
    argument: str | None
    language: str
    code: str


def guide_blocks() -> list[Block]:
    """The guide's code blocks, each with the marker before it (``kind`` "" when unmarked)."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks = []
    for fence in FENCE.finditer(text):
        before = text[: fence.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.fullmatch(before.strip())
        blocks.append(
            Block(
                kind=marker["kind"] if marker else "",
                argument=marker["argument"] if marker else None,
                language=fence["language"],
                code=fence["code"],
            )
        )
    return blocks


def blocks_of(kind: str, argument: str | None = None) -> list[Block]:
    return [
        block
        for block in guide_blocks()
        if block.kind == kind and (argument is None or block.argument == argument)
    ]


def meet_settings(provider_url: str) -> dict[str, Any]:
    """Meet's settings, as its test configuration has them (reference §6)."""
    return {
        "INSTALLED_APPS": ["django.contrib.auth", "rest_framework", "lasuite", "core"],
        "EXTERNAL_API_VERSION": "v1.0",
        "APPLICATION_ENABLED": True,
        "APPLICATION_JWT_SECRET_KEY": APPLICATION_KEY,
        "APPLICATION_JWT_ALG": "HS256",
        "APPLICATION_JWT_ISSUER": "lasuite-meet",
        "APPLICATION_JWT_AUDIENCE": "Test inc.",
        "APPLICATION_JWT_EXPIRATION_SECONDS": 3600,
        "APPLICATION_JWT_TOKEN_TYPE": "Bearer",
        "APPLICATION_ALLOW_USER_CREATION": True,
        "OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION": True,
        "OIDC_USER_SUB_FIELD_IMMUTABLE": False,
        "OIDC_CREATE_USER": True,
        "OIDC_RS_BACKEND_CLASS": "lasuite.oidc_resource_server.backend.ResourceServerBackend",
        "OIDC_RS_CLIENT_ID": "meet",
        "OIDC_RS_CLIENT_SECRET": "ThisIsAnExampleKeyForDevPurposeOnly",
        "OIDC_RS_AUDIENCE_CLAIM": "client_id",
        "OIDC_RS_SCOPES": ["lasuite_meet"],
        "OIDC_RS_SCOPES_PREFIX": None,
        "OIDC_RS_ENCRYPTION_ENCODING": "A256GCM",
        "OIDC_RS_ENCRYPTION_ALGO": "RSA-OAEP",
        "OIDC_RS_SIGNING_ALGO": "ES256",
        "OIDC_OP_URL": provider_url,
        "OIDC_OP_INTROSPECTION_ENDPOINT": f"{provider_url}/introspect",
        "OIDC_VERIFY_SSL": True,
        "OIDC_TIMEOUT": 5,
        "OIDC_PROXY": None,
        "ADDONS_ENABLED": True,
        "ADDONS_TOKEN_SECRET_KEY": ADDONS_KEY,
        "ADDONS_TOKEN_ALG": "HS256",
        "ADDONS_TOKEN_ISSUER": "lasuite-meet",
        "ADDONS_TOKEN_AUDIENCE": "addons",
    }


def run_settings_blocks(namespace: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    for block in blocks_of("settings"):
        if block.argument == "optional" and not optional:
            continue
        exec(block.code, namespace)  # The guide's own code, under test.
    return namespace


# -- Meet's add-ons authenticator, stood in for -----------------------------------------------


class AddonsJWTAuthentication(BaseAuthentication):
    """Meet's add-ons tokens (reference §3.1, §3.3): HS256 with the add-ons key, ``user_id``."""

    def authenticate(self, request: Any) -> tuple[User, dict[str, Any]] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        try:
            payload = jwt.decode(
                parts[1].decode(),
                django_settings.ADDONS_TOKEN_SECRET_KEY,
                algorithms=[django_settings.ADDONS_TOKEN_ALG],
                issuer=django_settings.ADDONS_TOKEN_ISSUER,
                audience=django_settings.ADDONS_TOKEN_AUDIENCE,
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationFailed("Token expired.") from None
        except jwt.InvalidTokenError:
            return None
        user = User.objects.filter(pk=payload.get("user_id")).first()
        if user is None:
            raise AuthenticationFailed("User not found.")
        return user, payload

    def authenticate_header(self, request: Any) -> str:
        return "Bearer"


@pytest.fixture
def meet_core(monkeypatch):
    """``core.external_api.authentication``, as Meet's code base provides it."""
    for name in ("core", "core.external_api", "core.external_api.authentication"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    sys.modules[
        "core.external_api.authentication"
    ].AddonsJWTAuthentication = AddonsJWTAuthentication


def rebuild_urls() -> None:
    """Routes are built from the settings once, with the URLconf: build it again."""
    for name in ("django_app_delegation.urls", django_settings.ROOT_URLCONF):
        importlib.reload(importlib.import_module(name))
    clear_url_caches()


@dataclass
class GuideProject:
    settings: dict[str, Any]
    provider: IdentityProvider


@pytest.fixture
def guide_project(settings, meet_core):
    """This project with Meet's settings and every ``settings`` block of the guide applied."""
    authentication = pytest.importorskip("lasuite.oidc_resource_server.authentication")
    provider = IdentityProvider()
    namespace = run_settings_blocks(meet_settings(provider.url))
    for name, value in namespace.items():
        if name.isupper() and name != "INSTALLED_APPS":
            setattr(settings, name, value)
    # Meet's test hasher list; the guide keeps PBKDF2 for the imported secrets.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    authentication.get_resource_server_backend.cache_clear()
    rebuild_urls()
    yield GuideProject(settings=namespace, provider=provider)
    provider.stop()
    authentication.get_resource_server_backend.cache_clear()


@pytest.fixture(autouse=True)
def _restore_urls():
    """After the test, the routes of the project's own settings again."""
    yield
    project = importlib.import_module("meet.settings")
    with override_settings(APP_DELEGATION=project.APP_DELEGATION):
        rebuild_urls()


def meet_secret_hash(secret: str) -> str:
    """``secret`` as Meet stores it: Django's PBKDF2 (few rounds, to keep the test fast)."""
    return PBKDF2PasswordHasher().encode(secret, "meetsalt", iterations=1_000)


@pytest.fixture
def meet_application(db) -> tuple[Application, str]:
    """An application imported from Meet: its client id, its PBKDF2-hashed secret."""
    secret = get_random_string(128)
    application = Application(
        name="Calendar",
        client_id="Yq6kUPqLmSZ3w0H8w4tJ2oYbVxTzGd1ArNc5e7Fi",
        client_secret=meet_secret_hash(secret),
        scopes=["rooms:create", "rooms:list", "rooms:retrieve"],
    )
    application.save()
    return application, secret


def token_request(client_id: str, secret: str, scope: str = "alice@example.com") -> dict:
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "scope": scope,
    }


def post_token(body: dict) -> Any:
    return APIClient().post(TOKEN_URL, body, format="json")


def bearer_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# -- the guide itself -----------------------------------------------------------------------------


def test_every_code_block_of_the_guide_says_how_it_is_tested():
    blocks = guide_blocks()

    assert blocks, "no code block found"
    assert [block.code[:40] for block in blocks if block.kind not in KINDS] == []
    assert {block.kind for block in blocks} == KINDS


def test_the_pip_line_names_extras_the_package_declares():
    declared = set(
        metadata.distribution("django-app-delegation").metadata.get_all("Provides-Extra")
    )
    for block in blocks_of("pip"):
        for extras in re.findall(r"django-app-delegation\[([\w,]+)\]", block.code):
            assert set(extras.split(",")) <= declared


def test_installed_apps_gain_the_app():
    namespace = run_settings_blocks(meet_settings("https://oidc.example.com"))

    assert namespace["INSTALLED_APPS"][-1] == "django_app_delegation"


def test_the_urls_block_mounts_meets_routes():
    urls = types.ModuleType("meet_core_urls")
    urls.urlpatterns = []
    urls.EXTERNAL_API_VERSION = "v1.0"
    for block in blocks_of("urls"):
        exec(block.code, urls.__dict__)

    assert resolve("/external-api/v1.0/application/token/", urlconf=urls).url_name == "token"
    assert resolve("/external-api/v1.0/rooms/", urlconf=urls).url_name == "rooms-list"


def test_the_migration_imports_meets_applications_which_then_get_tokens(
    guide_project, user, settings
):
    secret = get_random_string(128)  # as Meet generates them (reference §1.4)
    domain = types.SimpleNamespace(domain="  Example.COM ")
    meet_rows = [
        types.SimpleNamespace(
            name="Calendar",
            client_id="Yq6kUPqLmSZ3w0H8w4tJ2oYbVxTzGd1ArNc5e7Fi",
            client_secret=meet_secret_hash(secret),
            scopes=["rooms:list", "rooms:create"],
            is_active=True,
            allowed_domains=types.SimpleNamespace(all=lambda: [domain]),
        )
    ]

    class MeetApplication:
        objects = types.SimpleNamespace(all=lambda: meet_rows)

    class MeetApps:
        def get_model(self, app_label: str, model_name: str) -> Any:
            if app_label == "core":
                return MeetApplication
            return django_apps.get_model(app_label, model_name)

    migration: dict[str, Any] = {}
    (block,) = blocks_of("migration")
    exec(block.code, migration)
    migration["import_meet_applications"](MeetApps(), None)
    shell: dict[str, Any] = {}
    (listing,) = blocks_of("shell")
    exec(listing.code, shell)
    waiting_before = list(shell["waiting"].values_list("client_id", flat=True))

    response = post_token(token_request(meet_rows[0].client_id, secret))

    assert response.status_code == 200, response.content
    imported = Application.objects.get(client_id=meet_rows[0].client_id)
    assert imported.allowed_domain_names() == ["example.com"]
    assert waiting_before == [imported.client_id]
    exec(listing.code, shell)
    assert not shell["waiting"].exists()  # re-hashed at its first use


def test_a_secret_chosen_by_hand_stays_on_djangos_hasher(guide_project, user):
    application = Application(
        name="Hand-made", client_secret=meet_secret_hash("short-secret"), scopes=["rooms:list"]
    )
    application.save()

    response = post_token(token_request(application.client_id, "short-secret"))

    assert response.status_code == 200, response.content
    application.refresh_from_db()
    assert application.client_secret.startswith("pbkdf2_sha256$")


# -- Meet's expectations, with the guide's settings ---------------------------------------------


def test_system_checks_report_no_error(guide_project):
    errors = [message for message in run_checks() if message.level >= ERROR]

    assert errors == []


def test_integrators_get_meets_error_bodies(guide_project, meet_application, user):
    application, secret = meet_application
    client = APIClient()

    wrong = client.post(TOKEN_URL, token_request(application.client_id, "wrong"), format="json")
    not_email = post_token(token_request(application.client_id, secret, "bob"))
    missing = client.post(TOKEN_URL, {"grant_type": "client_credentials"}, format="json")

    assert (wrong.status_code, wrong.json()) == (401, {"detail": "Invalid credentials"})
    assert (not_email.status_code, not_email.json()) == (
        400,
        {"error": "Scope should be a valid email address."},
    )
    assert missing.status_code == 400
    assert missing.json() == {
        "client_id": ["This field is required."],
        "client_secret": ["This field is required."],
        "scope": ["This field is required."],
    }


def test_an_imported_application_creates_and_lists_rooms(guide_project, meet_application, user):
    application, secret = meet_application
    response = post_token(token_request(application.client_id, secret))
    assert response.status_code == 200, response.content
    client = bearer_client(response.json()["access_token"])

    created = client.post(ROOMS_URL, {}, format="json")
    listed = client.get(ROOMS_URL)
    patched = client.patch(room_url(created.json()["id"]), {}, format="json")

    assert created.status_code == 201, created.content
    assert [room["id"] for room in listed.json()["results"]] == [created.json()["id"]]
    assert patched.status_code == 405  # Meet serves list, retrieve and create only


def test_tokens_meet_issued_before_the_switch_still_work(guide_project, meet_application, user):
    application, _secret = meet_application
    now = int(time.time())
    meet_token = jwt.encode(  # Meet's JwtTokenService: typ JWT, no sub, no jti (reference §2.4)
        {
            "client_id": application.client_id,
            "delegated": True,
            "iat": now,
            "exp": now + 3600,
            "user_id": str(user.pk),
            "iss": "lasuite-meet",
            "aud": "Test inc.",
            "scope": "rooms:list rooms:create",
        },
        APPLICATION_KEY,
        algorithm="HS256",
    )

    response = bearer_client(meet_token).get(ROOMS_URL)

    assert response.status_code == 200, response.content


def test_addons_tokens_create_rooms(guide_project, user):
    now = int(time.time())
    addons_token = jwt.encode(
        {
            "iss": "lasuite-meet",
            "aud": "addons",
            "iat": now,
            "exp": now + 7200,
            "user_id": str(user.pk),
            "scope": "rooms:create",
        },
        ADDONS_KEY,
        algorithm="HS256",
    )
    client = bearer_client(addons_token)

    created = client.post(ROOMS_URL, {}, format="json")
    listed = client.get(ROOMS_URL)

    assert created.status_code == 201, created.content
    assert listed.status_code == 403
    assert guide_project.provider.introspected == []


def test_resource_server_tokens_list_rooms(guide_project, user, make_room):
    room = make_room("Standup", {user: "owner"})
    token = guide_project.provider.issue(
        "visio-token", sub="alice", client_id="calendar-service", scope="lasuite_meet rooms:list"
    )

    response = bearer_client(token).get(ROOMS_URL)

    assert response.status_code == 200, response.content
    assert [item["id"] for item in response.json()["results"]] == [str(room.pk)]


def test_provisioning_follows_meets_rules(guide_project, meet_application, settings):
    application, secret = meet_application

    created = post_token(token_request(application.client_id, secret, "new@x.org"))
    settings.OIDC_USER_SUB_FIELD_IMMUTABLE = True
    refused = post_token(token_request(application.client_id, secret, "other@x.org"))

    assert created.status_code == 200, created.content
    assert User.objects.get(email="new@x.org").sub is None
    assert (refused.status_code, refused.json()) == (404, {"detail": "User not found."})


def test_the_optional_hook_freezes_scopes_at_issuance(settings, meet_core, monkeypatch, user):
    pytest.importorskip("lasuite.oidc_resource_server.authentication")
    (module_block,) = blocks_of("module", "meet_delegation")
    module = types.ModuleType("meet_delegation")
    exec(module_block.code, module.__dict__)
    monkeypatch.setitem(sys.modules, "meet_delegation", module)
    namespace = run_settings_blocks(meet_settings("https://oidc.example.com"), optional=True)
    settings.APP_DELEGATION = namespace["APP_DELEGATION"]
    rebuild_urls()
    application, secret = Application.objects.create_application(
        name="Frozen", scopes=["rooms:list"]
    )
    response = post_token(token_request(application.client_id, secret))
    client = bearer_client(response.json()["access_token"])
    application.scopes = []
    application.save()

    assert client.get(ROOMS_URL).status_code == 200  # Meet's rule: issued with rooms:list
    settings.APP_DELEGATION = {
        **namespace["APP_DELEGATION"],
        "GET_TOKEN_SCOPES": "django_app_delegation.hooks.get_token_scopes",
    }
    assert client.get(ROOMS_URL).status_code == 403  # this app's rule: withdrawn at once
    assert Room.objects.count() == 0
