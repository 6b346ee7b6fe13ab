"""The project around the API: URLs, admin, OpenAPI pages, demo command, settings, migrations."""

from __future__ import annotations

import json
import re
import runpy
import stat
from io import StringIO
from pathlib import Path

import pytest
from django.core.checks import WARNING, run_checks
from django.core.management import call_command
from django.db import connection
from django.test import Client

from django_app_delegation.models import Application
from rooms.checks import check_room_settings
from rooms.models import RoleChoices, Room
from users.models import User

from .helpers import ALL_SCOPES, ROOMS_URL, TOKEN_URL

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "meet" / "settings.py"


@pytest.fixture
def admin(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("admin@example.com", "unused-password-4x"))
    return client


# -- URLs and OpenAPI ----------------------------------------------------------------------------


def test_schema_describes_the_token_and_rooms_endpoints(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["info"]["title"] == "Meet External API"
    assert {TOKEN_URL, ROOMS_URL, ROOMS_URL + "{id}/"} <= set(schema["paths"])


def test_schema_documents_url_and_telephony_as_optional_output(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    room = json.loads(response.content)["components"]["schemas"]["Room"]
    assert list(room["properties"]) == [
        "id",
        "name",
        "slug",
        "access_level",
        "configuration",
        "url",
        "telephony",
    ]
    assert set(room["required"]) == {"id", "name", "slug"}


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_documentation_pages_need_no_internet(client, db, page):
    response = client.get(page)

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    assert all(asset.startswith("/static/drf_spectacular_sidecar/") for asset in assets), assets
    assert "https://" not in html


def test_root_redirects_to_the_api_documentation(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/api/docs/"


# -- admin -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/users/user/",
        "/admin/users/user/add/",
        "/admin/rooms/room/",
        "/admin/rooms/room/add/",
        "/admin/rooms/resourceaccess/",
        "/admin/django_app_delegation/application/",
    ],
)
def test_admin_pages_open(admin, url):
    assert admin.get(url).status_code == 200


def test_admin_change_pages_open(admin, make_room, user):
    room = make_room("Admin view", {user: RoleChoices.OWNER})

    assert admin.get(f"/admin/rooms/room/{room.pk}/change/").status_code == 200
    assert admin.get(f"/admin/users/user/{user.pk}/change/").status_code == 200


def test_admin_adds_a_user_without_password(admin):
    response = admin.post(
        "/admin/users/user/add/",
        {"email": "zoe@example.com", "admin_email": "", "usable_password": "false"},
    )

    assert response.status_code == 302, response.content
    zoe = User.objects.get(email="zoe@example.com")
    assert zoe.admin_email is None
    assert not zoe.has_usable_password()


def test_admin_login_uses_admin_email(db):
    User.objects.create_superuser("root@example.com", "a-long-password-4-tests")

    response = Client().post(
        "/admin/login/?next=/admin/",
        {"username": "root@example.com", "password": "a-long-password-4-tests"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_room_saved_in_the_admin_gets_its_slug(admin):
    response = admin.post(
        "/admin/rooms/room/add/",
        {
            "name": "Weekly Sync",
            "access_level": "restricted",
            "configuration": "{}",
            "accesses-TOTAL_FORMS": "0",
            "accesses-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content
    assert Room.objects.get().slug == "weekly-sync"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("6c2a4d6a-94b3-4d0c-9d3e-2a1f0e3b7c11", "is reserved"),
        ("Weekly sync!", "already exists"),
        ("x" * 101, "too long"),
    ],
)
def test_admin_refuses_names_whose_slug_is_unusable(admin, make_room, name, error):
    make_room("Weekly Sync")

    response = admin.post(
        "/admin/rooms/room/add/",
        {
            "name": name,
            "access_level": "trusted",
            "configuration": "{}",
            "accesses-TOTAL_FORMS": "0",
            "accesses-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert Room.objects.count() == 1


# -- demo_setup ----------------------------------------------------------------------------------


def run_demo_setup(tmp_path: Path, *args: str) -> str:
    out = StringIO()
    call_command(
        "demo_setup", "--credentials-file", str(tmp_path / "credentials.json"), *args, stdout=out
    )
    return out.getvalue()


def test_demo_setup_creates_the_demo_user_and_application(db, tmp_path, api_client):
    credentials = json.loads(run_demo_setup(tmp_path, "--json"))

    demo = User.objects.get(email="demo@example.com")
    application = Application.objects.get(client_id=credentials["client_id"])
    assert set(application.scopes) == set(ALL_SCOPES)
    assert application.allowed_domain_names() == ["example.com"]
    assert credentials["email"] == demo.email
    assert credentials["url"] == "http://127.0.0.1:8000"
    response = api_client.post(
        TOKEN_URL,
        {
            "grant_type": "client_credentials",
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
            "scope": "demo@example.com",
        },
        format="json",
    )
    assert response.status_code == 200
    assert set(response.json()["scope"].split()) == set(ALL_SCOPES)


def test_demo_setup_is_idempotent_and_rotates_the_secret(db, tmp_path, api_client):
    first = json.loads(run_demo_setup(tmp_path, "--json"))
    second = json.loads(run_demo_setup(tmp_path, "--json"))

    assert User.objects.filter(email="demo@example.com").count() == 1
    assert Application.objects.count() == 1
    assert second["client_id"] == first["client_id"]
    assert second["client_secret"] != first["client_secret"]

    def token_status(secret):
        body = {
            "grant_type": "client_credentials",
            "client_id": first["client_id"],
            "client_secret": secret,
            "scope": "demo@example.com",
        }
        return api_client.post(TOKEN_URL, body, format="json").status_code

    assert token_status(first["client_secret"]) == 401
    assert token_status(second["client_secret"]) == 200


def test_demo_setup_writes_the_credentials_for_the_owner_only(db, tmp_path):
    credentials = json.loads(run_demo_setup(tmp_path, "--json"))

    path = tmp_path / "credentials.json"
    assert json.loads(path.read_text()) == credentials
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_demo_setup_prints_the_secret_and_curl_commands_for_the_whole_flow(db, tmp_path):
    output = run_demo_setup(tmp_path, "--base-url", "http://127.0.0.1:9000/")

    credentials = json.loads((tmp_path / "credentials.json").read_text())
    assert f"client_id:     {credentials['client_id']}" in output
    assert f"client_secret: {credentials['client_secret']}" in output
    assert "API=http://127.0.0.1:9000/external-api/v1.0" in output
    assert '"$API/application/token/"' in output
    assert 'curl -sS -X POST "$API/rooms/"' in output
    assert 'curl -sS "$API/rooms/" ' in output
    assert 'curl -sS "$API/rooms/$ROOM/" ' in output
    assert 'curl -sS -X PATCH "$API/rooms/$ROOM/"' in output
    assert 'curl -sS -X DELETE "$API/rooms/$ROOM/"' in output


def test_demo_setup_reactivates_what_was_disabled(db, tmp_path):
    run_demo_setup(tmp_path)
    User.objects.filter(email="demo@example.com").update(is_active=False)
    Application.objects.update(is_active=False, scopes=["rooms:list"])

    run_demo_setup(tmp_path)

    assert User.objects.get(email="demo@example.com").is_active
    application = Application.objects.get()
    assert application.is_active
    assert set(application.scopes) == set(ALL_SCOPES)


# -- settings from the environment ---------------------------------------------------------------

MEET_VARIABLES = [
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "DELEGATION_SIGNING_KEY",
    "DELEGATION_ALLOW_USER_CREATION",
    "DELEGATION_AUDIENCE",
    "APPLICATION_BASE_URL",
    "EXTERNAL_API_DEFAULT_ACCESS_LEVEL",
    "EXTERNAL_API_ALLOW_PUBLIC_ACCESS",
    "ROOM_TELEPHONY_ENABLED",
    "ROOM_TELEPHONY_PIN_LENGTH",
    "DELEGATION_TOKEN_RATE_PER_IP",
    "DELEGATION_TOKEN_RATE_PER_APPLICATION",
    "DELEGATION_TOKEN_LOCKOUT_FAILURES",
    "DELEGATION_TOKEN_ERROR_FORMAT",
    "OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION",
    "OIDC_USER_SUB_FIELD_IMMUTABLE",
    "OIDC_RS_CLIENT_ID",
    "OIDC_RS_CLIENT_SECRET",
    "OIDC_OP_URL",
    "OIDC_OP_INTROSPECTION_ENDPOINT",
]


@pytest.fixture
def load_settings(monkeypatch):
    """Evaluate ``meet/settings.py`` afresh under the given environment variables."""

    def load(**variables: str) -> dict:
        for name in MEET_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))

    return load


def test_development_defaults_warn_loudly(load_settings, capsys):
    conf = load_settings()

    errors = capsys.readouterr().err
    assert "DJANGO_SECRET_KEY is not set" in errors
    assert "DELEGATION_SIGNING_KEY is not set" in errors
    assert conf["DEBUG"] is False
    assert conf["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert conf["DATABASES"]["default"]["NAME"].endswith("example_project/db.sqlite3")
    assert conf["APP_DELEGATION"]["ALLOW_USER_CREATION"] is False
    assert conf["APP_DELEGATION"]["OBJECT_VISIBILITY"] == "user"
    assert conf["APP_DELEGATION"]["EMPTY_DOMAIN_LIST_ALLOWS_ALL"] is True
    assert len(conf["APP_DELEGATION"]["SIGNING_KEY"]) >= 32
    assert conf["EXTERNAL_API_DEFAULT_ACCESS_LEVEL"] == "trusted"
    assert conf["APPLICATION_BASE_URL"] is None
    assert conf["ROOM_TELEPHONY_ENABLED"] is False


def test_settings_come_from_the_environment(load_settings, capsys):
    conf = load_settings(
        DJANGO_SECRET_KEY="s" * 50,
        DELEGATION_SIGNING_KEY="k" * 64,
        DJANGO_DEBUG="true",
        DJANGO_ALLOWED_HOSTS="meet.example.org, api.example.org",
        DATABASE_URL="postgres://meet:pass@db.internal:5432/meet",
        DELEGATION_ALLOW_USER_CREATION="1",
        APPLICATION_BASE_URL="https://meet.example.org",
        EXTERNAL_API_DEFAULT_ACCESS_LEVEL="restricted",
        EXTERNAL_API_ALLOW_PUBLIC_ACCESS="yes",
        ROOM_TELEPHONY_ENABLED="on",
        ROOM_TELEPHONY_PIN_LENGTH="8",
    )

    assert capsys.readouterr().err == ""
    assert conf["SECRET_KEY"] == "s" * 50
    assert conf["APP_DELEGATION"]["SIGNING_KEY"] == "k" * 64
    assert conf["DEBUG"] is True
    assert conf["ALLOWED_HOSTS"] == ["meet.example.org", "api.example.org"]
    database = conf["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"], database["USER"]) == ("db.internal", "meet", "meet")
    assert conf["APP_DELEGATION"]["ALLOW_USER_CREATION"] is True
    assert conf["APPLICATION_BASE_URL"] == "https://meet.example.org"
    assert conf["EXTERNAL_API_DEFAULT_ACCESS_LEVEL"] == "restricted"
    assert conf["EXTERNAL_API_ALLOW_PUBLIC_ACCESS"] is True
    assert conf["ROOM_TELEPHONY_ENABLED"] is True
    assert conf["ROOM_TELEPHONY_PIN_LENGTH"] == 8


def test_token_limits_default_to_the_apps_and_come_from_the_environment(load_settings):
    from django_app_delegation.conf import DEFAULTS

    defaults = load_settings()["APP_DELEGATION"]
    configured = load_settings(
        DELEGATION_TOKEN_RATE_PER_IP="off",
        DELEGATION_TOKEN_RATE_PER_APPLICATION="50/minute",
        DELEGATION_TOKEN_LOCKOUT_FAILURES="0",
    )["APP_DELEGATION"]

    names = ("TOKEN_RATE_PER_IP", "TOKEN_RATE_PER_APPLICATION", "TOKEN_LOCKOUT_FAILURES")
    assert {name: defaults[name] for name in names} == {name: DEFAULTS[name] for name in names}
    assert [configured[name] for name in names] == [None, "50/minute", 0]


def test_mariadb_url_selects_the_mysql_backend_through_pymysql(load_settings):
    conf = load_settings(DATABASE_URL="mysql://root@127.0.0.1:3306/meet")

    assert conf["DATABASES"]["default"]["ENGINE"] == "django.db.backends.mysql"


def test_malformed_boolean_is_refused(load_settings):
    with pytest.raises(ValueError, match="DELEGATION_ALLOW_USER_CREATION"):
        load_settings(DELEGATION_ALLOW_USER_CREATION="perhaps")


def use_settings(settings, conf: dict) -> None:
    """Apply the provisioning settings of ``conf`` (keeping the test signing key)."""
    settings.APP_DELEGATION = conf["APP_DELEGATION"] | {
        "SIGNING_KEY": settings.APP_DELEGATION["SIGNING_KEY"]
    }
    for name in ("OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION", "OIDC_USER_SUB_FIELD_IMMUTABLE"):
        setattr(settings, name, conf[name])


def test_user_creation_switched_on_by_the_environment_provisions_users(
    load_settings, settings, request_token, application
):
    use_settings(
        settings,
        load_settings(
            DELEGATION_ALLOW_USER_CREATION="true",
            OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION="true",
            OIDC_USER_SUB_FIELD_IMMUTABLE="false",
        ),
    )

    assert request_token(application, "newcomer@example.com").status_code == 200
    assert User.objects.filter(email="newcomer@example.com", sub__isnull=True).exists()


def test_user_creation_alone_provisions_nobody_as_in_meet(
    load_settings, settings, request_token, application
):
    """Meet also needs the OIDC login to reconcile provisional users (reference §2.6)."""
    use_settings(settings, load_settings(DELEGATION_ALLOW_USER_CREATION="true"))

    assert request_token(application, "newcomer@example.com").status_code == 404
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_token_errors_in_meets_shape_from_the_environment(
    load_settings, settings, request_token, application
):
    use_settings(settings, load_settings(DELEGATION_TOKEN_ERROR_FORMAT="meet"))

    response = request_token(application, "nobody@example.com")

    assert (response.status_code, response.json()) == (404, {"detail": "User not found."})


# -- checks and migrations -------------------------------------------------------------------


def test_system_checks_pass(db):
    expected = set()
    features = connection.features
    if not (features.supports_partial_indexes and features.supports_expression_indexes):
        # MariaDB cannot create unique_email_when_sub_is_null, and Django says so.
        expected = {"models.W036", "models.W044"}

    messages = run_checks(databases=["default"])

    assert {message.id for message in messages if message.level >= WARNING} == expected


@pytest.mark.parametrize(
    ("setting", "value", "check_id"),
    [
        ("EXTERNAL_API_DEFAULT_ACCESS_LEVEL", "secret", "rooms.E001"),
        ("ROOM_TELEPHONY_PIN_LENGTH", 3, "rooms.E002"),
        ("ROOM_TELEPHONY_PIN_LENGTH", 21, "rooms.E002"),
        ("ROOM_TELEPHONY_PIN_MAX_RETRIES", 0, "rooms.E003"),
    ],
)
def test_room_settings_are_checked(settings, setting, value, check_id):
    setattr(settings, setting, value)

    assert [message.id for message in check_room_settings()] == [check_id]


def test_migrations_match_the_models(db):
    call_command("makemigrations", "users", "rooms", "--check", "--dry-run", verbosity=0)
