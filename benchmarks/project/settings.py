"""Settings of the benchmark project: PostgreSQL, our app, django-oauth-toolkit, a Meet-like host.

Environment: ``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/bench_http``),
``BENCH_REDIS_URL`` (a Redis URL: the default cache, which the throttles use; unset, a local
memory cache), ``BENCH_THROTTLE`` (``on``: rates too high to refuse anything, so that every
request goes through the throttles and their cache), ``BENCH_OBJECT_VISIBILITY`` (``application``
or ``user``).
"""

import os

import dj_database_url

SECRET_KEY = "benchmarks-only-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

DATABASES = {
    "default": {
        **dj_database_url.parse(
            os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_http")
        ),
        # One connection per worker thread, kept across requests, checked after an error: what
        # production settings do, and what lets service resume after a database outage.
        "CONN_MAX_AGE": None,
        "CONN_HEALTH_CHECKS": True,
    }
}

if os.environ.get("BENCH_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["BENCH_REDIS_URL"],
        }
    }

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.postgres",
    "rest_framework",
    "oauth2_provider",
    "django_app_delegation",
    "benchmarks.project.bench",
]
AUTH_USER_MODEL = "bench.User"
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "benchmarks.project.urls"
WSGI_APPLICATION = "benchmarks.project.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {},
    }
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Django's default hashers (PBKDF2 first: django-oauth-toolkit and Meet hash secrets with it, as
# Meet does in production), plus MD5 to check the "fast secret" Meet application.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}

ROOM_SCOPES = {
    "rooms:list": "List rooms",
    "rooms:retrieve": "Retrieve rooms",
    "rooms:create": "Create rooms",
}
APP_DELEGATION = {
    "SIGNING_KEY": "benchmarks-signing-key-that-is-at-least-32-bytes-long",
    "ISSUER": "benchmarks",
    "AUDIENCE": "http://127.0.0.1/api/",
    "SCOPES": ROOM_SCOPES,
    "RESOURCES": {
        "rooms": {
            "MODEL": "bench.Room",
            "SERIALIZER_CLASS": "benchmarks.project.bench.serializers.RoomSerializer",
            "ACTIONS": ["list", "retrieve", "create"],
        }
    },
    "OBJECT_VISIBILITY": os.environ.get("BENCH_OBJECT_VISIBILITY", "application"),
    # Thousands of requests a second from one address: the limits and the lockout would answer
    # 429 within a second. The benchmarks measure the endpoints themselves.
    "TOKEN_RATE_PER_IP": None,
    "TOKEN_RATE_PER_APPLICATION": None,
    "TOKEN_LOCKOUT_FAILURES": 0,
}

if os.environ.get("BENCH_THROTTLE") == "on":
    APP_DELEGATION.update(
        {
            "TOKEN_RATE_PER_IP": "1000000/minute",
            "TOKEN_RATE_PER_APPLICATION": "1000000/minute",
            "TOKEN_LOCKOUT_FAILURES": 1000000,
            "RESOURCE_RATE_PER_APPLICATION": "1000000/minute",
            "RESOURCE_RATE_PER_USER": "1000000/minute",
        }
    )

OAUTH2_PROVIDER = {
    "SCOPES": ROOM_SCOPES,
    "DEFAULT_SCOPES": ["rooms:list"],
}

MEET_JWT_SECRET_KEY = "benchmarks-meet-signing-key-at-least-32-bytes"

# Errors only: an error per failed request would otherwise cost the figures a log line each.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler", "level": "ERROR"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
    "loggers": {"django": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
}
