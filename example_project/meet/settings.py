"""Settings of the example project, read from environment variables (12-factor).

Every value has a development default so that ``make demo`` works on a fresh clone; the two
secrets (``DJANGO_SECRET_KEY``, ``DELEGATION_SIGNING_KEY``) print a warning when they fall back to
theirs. See ``example_project/README.md`` for the list of variables.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
FALSE_VALUES = frozenset({"0", "false", "no", "off", ""})


def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable ``name``, or ``default`` when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    value = value.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ValueError(f"{name}={value!r} is not a boolean (use true/false, 1/0, yes/no, on/off).")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    return default if value is None else int(value)


def env_rate(name: str, default: str) -> str | None:
    """A limit such as ``300/minute``; ``off`` (or ``none``) for no limit."""
    value = env_str(name, default)
    return None if value is None or value.lower() in ("off", "none") else value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in (env_str(name) or default).split(",") if item.strip()]


def env_secret(name: str, development_default: str) -> str:
    """Return the secret ``name``; warn loudly on stderr when the development default is used."""
    value = env_str(name)
    if value is not None:
        return value
    print(
        f"WARNING: {name} is not set; using the insecure development default. "
        f"Set {name} to a random value before exposing this server.",
        file=sys.stderr,
    )
    return development_default


# -- Django ---------------------------------------------------------------------------------

SECRET_KEY = env_secret(
    "DJANGO_SECRET_KEY", "django-insecure-example-project-development-key-do-not-deploy"
)
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_app_delegation",
    "users",
    "rooms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Like Meet: the language from Accept-Language (the admin and the API errors in French).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "meet.urls"
WSGI_APPLICATION = "meet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "meet" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# SQLite next to manage.py unless DATABASE_URL names PostgreSQL or MariaDB, e.g.
# postgres://user:password@127.0.0.1:5432/meet or mysql://root@127.0.0.1:3306/meet.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    # PyMySQL needs no C compiler or client headers.
    import pymysql

    pymysql.install_as_MySQLdb()

# The cache the token endpoint's limits and lockout count in: Redis when REDIS_URL is set (every
# server process then shares them, e.g. redis://127.0.0.1:6379/0), else local memory.
REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_USER_MODEL = "users.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
LANGUAGES = [("en-us", "English"), ("fr-fr", "Français")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env_str("DJANGO_STATIC_ROOT") or str(BASE_DIR / "staticfiles")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django_app_delegation": {
            "handlers": ["console"],
            "level": env_str("DELEGATION_LOG_LEVEL", "INFO"),
        },
        "rooms": {"handlers": ["console"], "level": env_str("DELEGATION_LOG_LEVEL", "INFO")},
    },
}

# -- Django REST framework and drf-spectacular ----------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "django_app_delegation.authentication.DelegatedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Proxies in front of the server: the limits per client IP and the lockout read the address
    # they saw (0: the server is reached directly, as with `make demo`).
    "NUM_PROXIES": env_int("DJANGO_NUM_PROXIES", 0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Meet External API",
    "DESCRIPTION": (
        "Lets registered third-party applications manage Meet rooms on behalf of Meet users."
    ),
    "VERSION": "1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request and response bodies as separate components (`RoomRequest`, `Room`): read-only
    # fields (id, name, slug) are not asked of clients, and generated clients can build a body.
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's Authorize (client credentials) sends the ticked scopes after this one: the
    # e-mail of the user to act for comes first in `scope`.
    "SWAGGER_UI_OAUTH2_CONFIG": {
        "scopes": [env_str("SWAGGER_UI_USER_EMAIL", "demo@example.com")],
        "scopeSeparator": " ",
    },
    # Swagger UI and ReDoc from the drf-spectacular-sidecar package: no CDN, no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Enum components, then the delegation flow and the scope table from APP_DELEGATION.
    "POSTPROCESSING_HOOKS": ["django_app_delegation.schema.postprocess_schema"],
}

# -- django-app-delegation, in La Suite Meet's mode ------------------------------------------

ROOM_SCOPES = {
    "rooms:list": "List the rooms the user has access to.",
    "rooms:retrieve": "Retrieve a room the user has access to.",
    "rooms:create": "Create rooms owned by the user.",
    "rooms:update": "Update rooms the user administers.",
    "rooms:delete": "Delete rooms the user owns.",
    "rooms:grant-access": "Give a user, by e-mail, a role on a room the user administers.",
}

APP_DELEGATION = {
    "SIGNING_KEY": env_secret(
        "DELEGATION_SIGNING_KEY",
        "insecure-development-signing-key-for-the-example-project-only",
    ),
    "ISSUER": env_str("DELEGATION_ISSUER", "lasuite-meet"),
    "AUDIENCE": env_str("DELEGATION_AUDIENCE", "meet-external-api"),
    "ACCESS_TOKEN_LIFETIME": timedelta(
        seconds=env_int("DELEGATION_ACCESS_TOKEN_LIFETIME_SECONDS", 3600)
    ),
    "SCOPES": ROOM_SCOPES,
    # Meet lets an application without domains act for anybody.
    "EMPTY_DOMAIN_LIST_ALLOWS_ALL": True,
    # Provisional (e-mail only) users, by Meet's rules: created only when the environment turns
    # them on *and* the OIDC login will reconcile them (the two OIDC_* flags below).
    "ALLOW_USER_CREATION": env_bool("DELEGATION_ALLOW_USER_CREATION", False),
    "GET_DELEGATED_USER": "django_app_delegation.contrib.lasuite.provisioning.get_delegated_user",
    # Token endpoint errors: "rfc6749" bodies, or "meet" for integrators parsing Meet's.
    "TOKEN_ERROR_FORMAT": env_str("DELEGATION_TOKEN_ERROR_FORMAT", "rfc6749"),
    # Meet lists every room the delegated user has a role on, whoever created it.
    "OBJECT_VISIBILITY": "user",
    # The token endpoint's limits and brute-force lockout (the app's defaults unless set).
    "TOKEN_RATE_PER_IP": env_rate("DELEGATION_TOKEN_RATE_PER_IP", "600/minute"),
    "TOKEN_RATE_PER_APPLICATION": env_rate("DELEGATION_TOKEN_RATE_PER_APPLICATION", "300/minute"),
    "TOKEN_LOCKOUT_FAILURES": env_int("DELEGATION_TOKEN_LOCKOUT_FAILURES", 10),
    # The audit trail: stored (the admin's "Delegation events"), and/or logged as JSON-ready
    # records on the django_app_delegation.audit logger.
    "AUDIT_DESTINATIONS": env_list("DELEGATION_AUDIT_DESTINATIONS", "database"),
    "RESOURCES": {
        "rooms": {
            "MODEL": "rooms.Room",
            "SERIALIZER_CLASS": "rooms.serializers.RoomSerializer",
            "GET_QUERYSET": "rooms.delegation.get_queryset",
            "PERFORM_CREATE": "rooms.delegation.perform_create",
            "PERMISSION_CLASSES": ["rooms.permissions.RoomPermissions"],
            # Look a room up by its slug (Google Meet's meetingCode) among the rooms the user
            # has a role on: GET rooms/?slug=abc-defg-hij. Also ?access_level=.
            "FILTERSET_CLASS": "rooms.filters.RoomFilter",
            "EXTRA_ACTIONS": {
                # POST rooms/<id>/grant-access/ {"email": ..., "role": ...}
                "grant_access": {
                    "METHODS": ["post"],
                    "URL_PATH": "grant-access",
                    "SCOPE": "rooms:grant-access",
                    "HOOK": "rooms.delegation.grant_access",
                    "REQUEST_SERIALIZER_CLASS": "rooms.serializers.GrantAccessSerializer",
                    "RESPONSE_SERIALIZER_CLASS": "rooms.serializers.RoomAccessSerializer",
                    "SUMMARY": "Give a user, by e-mail, a role on a room",
                    "OPERATION_ID": "grantRoomAccess",
                },
            },
        },
    },
}

# -- OIDC login (django-lasuite), as far as provisioning reads it ---------------------------
# A provisional user gets its ``sub`` at its first login only if the login finds users by e-mail
# and may fill in an empty ``sub``: Meet creates provisional users only then (defaults: off).
OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION = env_bool(
    "OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION", False
)
OIDC_USER_SUB_FIELD_IMMUTABLE = env_bool("OIDC_USER_SUB_FIELD_IMMUTABLE", True)

# -- django-lasuite's OIDC resource server, as in Meet (off unless configured) ---------------
# Meet's room API also accepts access tokens of La Suite's identity provider, introspected by
# django-lasuite. With the four variables below set (and django-lasuite installed:
# ``pip install "django-app-delegation[lasuite]"``), the rooms endpoints chain delegated tokens
# first, then django-lasuite's authentication. Unset, nothing of it runs.

OIDC_RS_CLIENT_ID = env_str("OIDC_RS_CLIENT_ID")
OIDC_RS_CLIENT_SECRET = env_str("OIDC_RS_CLIENT_SECRET")
OIDC_OP_URL = env_str("OIDC_OP_URL")
OIDC_OP_INTROSPECTION_ENDPOINT = env_str("OIDC_OP_INTROSPECTION_ENDPOINT")
# Meet's defaults for the rest.
OIDC_RS_BACKEND_CLASS = env_str(
    "OIDC_RS_BACKEND_CLASS", "lasuite.oidc_resource_server.backend.ResourceServerBackend"
)
OIDC_RS_AUDIENCE_CLAIM = env_str("OIDC_RS_AUDIENCE_CLAIM", "client_id")
OIDC_RS_SCOPES = env_list("OIDC_RS_SCOPES", "lasuite_meet")
OIDC_RS_ENCRYPTION_ENCODING = env_str("OIDC_RS_ENCRYPTION_ENCODING", "A256GCM")
OIDC_RS_ENCRYPTION_ALGO = env_str("OIDC_RS_ENCRYPTION_ALGO", "RSA-OAEP")
OIDC_RS_SIGNING_ALGO = env_str("OIDC_RS_SIGNING_ALGO", "ES256")
OIDC_RS_ALLOWED_AUDIENCES = env_list("OIDC_RS_ALLOWED_AUDIENCES", "")
OIDC_VERIFY_SSL = env_bool("OIDC_VERIFY_SSL", True)
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 5)
OIDC_PROXY = None

RESOURCE_SERVER_ENABLED = all(
    (OIDC_RS_CLIENT_ID, OIDC_RS_CLIENT_SECRET, OIDC_OP_URL, OIDC_OP_INTROSPECTION_ENDPOINT)
)
if RESOURCE_SERVER_ENABLED:
    APP_DELEGATION["RESOURCE_AUTHENTICATION_CLASSES"] = [
        # First: it defers on tokens it did not issue, which the identity provider then sees.
        "django_app_delegation.authentication.DelegatedTokenAuthentication",
        "lasuite.oidc_resource_server.authentication.ResourceServerAuthentication",
    ]
    # Meet's OIDC_RS_SCOPES_PREFIX: stripped from every token's scopes before scope checks.
    APP_DELEGATION["SCOPE_PREFIX"] = env_str("OIDC_RS_SCOPES_PREFIX")

# -- La Suite Meet ---------------------------------------------------------------------------

# Front-end base of room links (``url`` in room responses); no ``url`` when unset.
APPLICATION_BASE_URL = env_str("APPLICATION_BASE_URL")
# Access level of rooms created through the external API without an explicit one.
EXTERNAL_API_DEFAULT_ACCESS_LEVEL = env_str("EXTERNAL_API_DEFAULT_ACCESS_LEVEL", "trusted")
# Whether the external API may create public rooms (ignored when the default is public).
EXTERNAL_API_ALLOW_PUBLIC_ACCESS = env_bool("EXTERNAL_API_ALLOW_PUBLIC_ACCESS", False)

ROOM_TELEPHONY_ENABLED = env_bool("ROOM_TELEPHONY_ENABLED", False)
ROOM_TELEPHONY_PIN_LENGTH = env_int("ROOM_TELEPHONY_PIN_LENGTH", 10)
ROOM_TELEPHONY_PIN_MAX_RETRIES = env_int("ROOM_TELEPHONY_PIN_MAX_RETRIES", 5)
ROOM_TELEPHONY_PHONE_NUMBER = env_str("ROOM_TELEPHONY_PHONE_NUMBER")
ROOM_TELEPHONY_DEFAULT_COUNTRY = env_str("ROOM_TELEPHONY_DEFAULT_COUNTRY", "US")
