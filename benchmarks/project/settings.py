"""Settings of the benchmark project: SQLite in a temporary file, our app and django-oauth-toolkit.

``benchmarks/http_load.py`` points ``BENCHMARK_DB_PATH`` at a fresh temporary file; run by hand,
the database lands in the system's temporary directory.
"""

import os
import tempfile

SECRET_KEY = "benchmarks-only-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BENCHMARK_DB_PATH")
        or os.path.join(tempfile.gettempdir(), "django-app-delegation-benchmark.sqlite3"),
        # One connection per sync worker, kept across requests (as production settings do):
        # the figures then measure the views, not opening the SQLite file on every request.
        "CONN_MAX_AGE": None,
        # Two gunicorn workers write (last_used_at, DOT's AccessToken rows): wait for the lock
        # rather than fail, and let readers proceed during writes.
        "OPTIONS": {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL;"},
    }
}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "oauth2_provider",
    "django_app_delegation",
]
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
# PASSWORD_HASHERS is left at Django's default (PBKDF2, 1,000,000 iterations on Django 5.2):
# django-oauth-toolkit hashes client secrets with it, as a project like La Suite Meet would.

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}

APP_DELEGATION = {
    "SIGNING_KEY": "benchmarks-signing-key-that-is-at-least-32-bytes-long",
    "ISSUER": "benchmarks",
    "AUDIENCE": "http://127.0.0.1/api/",
    "SCOPES": {"bench:read": "Read the benchmark resource"},
    # Thousands of requests a second from one address, wrong secrets included: the limits and
    # the lockout would answer 429 within a second. The benchmark measures the endpoint itself.
    "TOKEN_RATE_PER_IP": None,
    "TOKEN_RATE_PER_APPLICATION": None,
    "TOKEN_LOCKOUT_FAILURES": 0,
}

OAUTH2_PROVIDER = {
    "SCOPES": {"bench:read": "Read the benchmark resource"},
    "DEFAULT_SCOPES": ["bench:read"],
}

# Errors only: 4xx answers (the wrong-secret runs) would otherwise log one line each.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler", "level": "ERROR"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
    "loggers": {"django": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
}
