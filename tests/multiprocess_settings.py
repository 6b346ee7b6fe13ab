"""Settings of the server processes that ``test_limits_across_processes`` starts: the test
settings with a database file they share, and every limit counted in the local Redis.

``DELEGATION_TEST_DATABASE`` names the SQLite file and ``DELEGATION_TEST_KEY_PREFIX`` the Redis
key prefix of one test run.
"""

import os
from datetime import timedelta

from tests.settings import *  # noqa: F403
from tests.settings import APP_DELEGATION

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["DELEGATION_TEST_DATABASE"],
    }
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        "KEY_PREFIX": os.environ["DELEGATION_TEST_KEY_PREFIX"],
    }
}
# Windows of a day: a run cannot straddle two of them, except at midnight UTC.
APP_DELEGATION = {
    **APP_DELEGATION,
    "ALLOW_USER_CREATION": True,
    "TOKEN_RATE_PER_APPLICATION": "3/day",
    "TOKEN_LOCKOUT_FAILURES": 3,
    "TOKEN_LOCKOUT_LIFETIME": timedelta(days=1),
}
