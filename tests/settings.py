"""Minimal settings for the app's own tests. ``DATABASE_URL`` switches the database."""

import os
import uuid

import dj_database_url

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["*"]

DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL") or "sqlite:///:memory:")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_app_delegation",
    "tests.testapp",
]
AUTH_USER_MODEL = "testapp.User"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from Accept-Language: the French catalogue is tested through it.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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
STATIC_URL = "/static/"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "second": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "second"},
    # A Redis server that is down (nothing listens on port 1): throttles must survive it.
    "unreachable": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    },
    # The local Redis, when there is one (tests that need it skip otherwise). Each run has its
    # own key prefix: runs in parallel (tox) share the server and never clear it.
    "redis": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        "KEY_PREFIX": f"tests-{uuid.uuid4().hex}",
    },
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Fast hashing for human-chosen secrets and users' passwords in tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "django_app_delegation.authentication.DelegatedTokenAuthentication",
    ],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # No proxy: limits per client IP count REMOTE_ADDR (check W002).
    "NUM_PROXIES": 0,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tests API",
    "POSTPROCESSING_HOOKS": ["django_app_delegation.schema.postprocess_schema"],
}

APP_DELEGATION = {
    "SIGNING_KEY": "tests-signing-key-that-is-at-least-32-bytes-long",
    "ISSUER": "tests",
    "AUDIENCE": "https://api.tests.example/",
    "SCOPES": {
        "rooms:list": "List rooms",
        "rooms:retrieve": "Retrieve rooms",
        "rooms:create": "Create rooms",
        "rooms:update": "Update rooms",
        "rooms:delete": "Delete rooms",
        "widgets:list": "List widgets",
        "widgets:retrieve": "Retrieve widgets",
        "widgets:create": "Create widgets",
        "widgets:update": "Update widgets",
        "widgets:delete": "Delete widgets",
        "notes:list": "List notes",
        "notes:retrieve": "Retrieve notes",
        "notes:create": "Create notes",
    },
    "RESOURCES": {
        "widgets": {
            "MODEL": "testapp.Widget",
            "SERIALIZER_CLASS": "tests.testapp.delegation.WidgetSerializer",
            "GET_QUERYSET": "tests.testapp.delegation.get_widget_queryset",
            "PERFORM_CREATE": "tests.testapp.delegation.create_widget",
            "PERMISSION_CLASSES": ["tests.testapp.delegation.IsWidgetMember"],
        },
        "notes": {
            "MODEL": "testapp.Note",
            "SERIALIZER_CLASS": "tests.testapp.delegation.NoteSerializer",
            "ACTIONS": ["list", "retrieve", "create"],
        },
    },
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    # PyMySQL needs no C compiler or client headers.
    import pymysql

    pymysql.install_as_MySQLdb()
