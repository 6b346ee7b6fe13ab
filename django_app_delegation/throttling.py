"""Limits on the token endpoint and the resource API, counted in Django's cache, and throttling
that a cache outage cannot turn into server errors.

The limits are DRF throttle classes. They count in the cache named by ``THROTTLE_CACHE`` (the
``default`` alias unless set): make it a cache every server process shares (Redis, Memcached) and
the processes share the limits. Each key has one counter per fixed window of the rate's period,
aligned on the clock (a rate of ``"300/minute"`` allows 300 requests per calendar minute), which
the cache increments atomically: concurrent requests in several processes cannot lose a count,
and a key costs one small integer whatever the rate. (DRF's own ``SimpleRateThrottle`` reads a
list of timestamps, as long as the rate, and writes it back on every request.)

When the cache cannot be reached, ``THROTTLE_CACHE_FAILURE`` decides: ``"allow"`` (the default)
lets the request through and logs a warning, ``"deny"`` refuses it with 503 and ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from django.core.cache import BaseCache, caches
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from .conf import delegation_settings
from .exceptions import ThrottlingUnavailable as ThrottlingUnavailable  # also imported from here

if TYPE_CHECKING:
    from .models import Application
    from .resources import Resource

    # What the mixin is mixed into, for the type checker only (it adds no base at run time).
    _View = APIView
else:
    _View = object

logger = logging.getLogger("django_app_delegation")

#: Values of ``THROTTLE_CACHE_FAILURE``.
ALLOW = "allow"
DENY = "deny"
CACHE_FAILURE_POLICIES = (ALLOW, DENY)
#: Seconds a client is asked to wait when throttling is unavailable and requests are refused.
RETRY_AFTER_UNAVAILABLE = ThrottlingUnavailable.retry_after
#: Seconds in each period a rate may name (DRF's spelling: the first letter counts).
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([smhd])[a-z]*\s*$")
#: Prefix of every cache key the limits write.
KEY_PREFIX = "app_delegation"


def parse_rate(rate: str) -> tuple[int, int]:
    """``"300/minute"`` -> ``(300, 60)``: requests allowed per period, and the period in seconds.

    Raises ``ValueError`` for anything else than ``<number>/<s|m|h|d...>``.
    """
    match = _RATE.match(rate) if isinstance(rate, str) else None
    if match is None:
        raise ValueError(f"Invalid rate {rate!r}: use <number>/<second|minute|hour|day>.")
    return int(match[1]), PERIODS[match[2]]


def is_valid_rate(rate: Any) -> bool:
    """Whether ``rate`` is None (no limit) or a rate :func:`parse_rate` accepts."""
    if rate is None:
        return True
    try:
        parse_rate(rate)
    except ValueError:
        return False
    return True


def clock() -> float:
    """Seconds since the epoch: the windows' clock (replaced in tests)."""
    return time.time()


def throttle_cache() -> BaseCache:
    """The cache the limits and the lockout count in (``THROTTLE_CACHE``)."""
    return caches[delegation_settings.THROTTLE_CACHE]


def counter_key(scope: str, *parts: Any) -> str:
    """A cache key for ``parts``, hashed: safe for every backend, and no address or id in clear."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
    return f"{KEY_PREFIX}:{scope}:{digest[:40]}"


def increment(cache: BaseCache, key: str, timeout: float) -> int:
    """Add one to the counter ``key`` (created with ``timeout``) and return its new value."""
    try:
        return cache.incr(key)
    except ValueError:  # No such key yet.
        if cache.add(key, 1, timeout):
            return 1
        return cache.incr(key)  # Another request created it meanwhile.


def client_ip(request: Request | HttpRequest) -> str | None:
    """The client's address, as the ``GET_CLIENT_IP`` hook says."""
    return delegation_settings.GET_CLIENT_IP(request=request)


class WindowRateThrottle(BaseThrottle):
    """A DRF throttle counting requests per key in fixed windows (see the module).

    Contract for subclasses: ``get_rate(request, view)`` returns the rate (None: no limit) and
    ``get_key_parts(request, view)`` what identifies the counter (None: not counted). ``wait()``
    is the time left in the window after a refusal.
    """

    scope = "requests"

    def __init__(self) -> None:
        self._wait: float | None = None

    def get_rate(self, request: Request, view: APIView) -> str | None:
        raise NotImplementedError

    def get_key_parts(self, request: Request, view: APIView) -> tuple[Any, ...] | None:
        raise NotImplementedError

    def get_cache(self) -> BaseCache:
        return throttle_cache()

    def allow_request(self, request: Request, view: APIView) -> bool:
        rate = self.get_rate(request, view)
        parts = self.get_key_parts(request, view) if rate is not None else None
        if rate is None or parts is None:
            return True
        limit, period = parse_rate(rate)
        now = clock()
        window = int(now // period)
        # Kept past its window's end, so that it cannot expire while it is still counted.
        key = counter_key(self.scope, *parts, period, window)
        if increment(self.get_cache(), key, timeout=2 * period) <= limit:
            return True
        self._wait = (window + 1) * period - now
        return False

    def wait(self) -> float | None:
        return self._wait


class TokenIPRateThrottle(WindowRateThrottle):
    """Token requests per client IP address (``TOKEN_RATE_PER_IP``), before authentication."""

    scope = "token_ip"

    def get_rate(self, request: Request, view: APIView) -> str | None:
        return delegation_settings.TOKEN_RATE_PER_IP

    def get_key_parts(self, request: Request, view: APIView) -> tuple[Any, ...] | None:
        address = client_ip(request)
        return (address,) if address else None


class TokenApplicationRateThrottle(WindowRateThrottle):
    """Token requests per authenticated application (``TOKEN_RATE_PER_APPLICATION``, or the
    application's entry in ``TOKEN_RATE_OVERRIDES``).

    Checked once the client secret is verified, so that nobody but the application itself can
    use up its allowance; the view's ``_application`` is the authenticated application.
    """

    scope = "token_application"

    def get_rate(self, request: Request, view: APIView) -> str | None:
        application = getattr(view, "_application", None)
        if application is None:
            return None
        overrides = delegation_settings.TOKEN_RATE_OVERRIDES or {}
        if application.client_id in overrides:
            return overrides[application.client_id]
        return delegation_settings.TOKEN_RATE_PER_APPLICATION

    def get_key_parts(self, request: Request, view: APIView) -> tuple[Any, ...] | None:
        application: Application | None = getattr(view, "_application", None)
        return None if application is None else (application.pk,)


class ResourceApplicationRateThrottle(WindowRateThrottle):
    """Delegated calls per application, for each action of each resource.

    The rate is the resource's ``ACTION_RATES_PER_APPLICATION`` entry for the action, else
    ``RESOURCE_RATE_PER_APPLICATION``. Requests authenticated otherwise than by a delegated token
    are not counted.
    """

    scope = "resource_application"
    kind = "APPLICATION"

    def get_rate(self, request: Request, view: APIView) -> str | None:
        resource: Resource | None = getattr(view, "resource", None)
        action: str | None = getattr(view, "action", None)
        if resource is None or action is None:
            return None
        return resource.rate(self.kind, action)

    def get_key_parts(self, request: Request, view: APIView) -> tuple[Any, ...] | None:
        application_id = getattr(request.auth, "application_id", None)
        resource: Resource | None = getattr(view, "resource", None)
        if application_id is None or resource is None:
            return None
        return (resource.name, getattr(view, "action", None), application_id)


class ResourceUserRateThrottle(ResourceApplicationRateThrottle):
    """Delegated calls per (application, user), for each action of each resource.

    The rate is the resource's ``ACTION_RATES_PER_USER`` entry for the action, else
    ``RESOURCE_RATE_PER_USER``.
    """

    scope = "resource_user"
    kind = "USER"

    def get_key_parts(self, request: Request, view: APIView) -> tuple[Any, ...] | None:
        parts = super().get_key_parts(request, view)
        if parts is None:
            return None
        return (*parts, getattr(request.user, "pk", None))


class CacheFailureSafeThrottlingMixin(_View):
    """``check_throttles`` for DRF views that survives a cache outage (see the module).

    Its views read ``REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]`` at request time, unless they set
    ``throttle_classes`` or override ``get_throttles()``.
    """

    def get_throttles(self) -> list[BaseThrottle]:
        classes = self.throttle_classes
        if classes is APIView.throttle_classes:
            # The stubs type DRF's import-string settings as strings; they hold the classes.
            classes = api_settings.DEFAULT_THROTTLE_CLASSES  # type: ignore[assignment]
        return [throttle() for throttle in classes]

    def check_throttles(
        self, request: Request, throttles: list[BaseThrottle] | None = None
    ) -> None:
        """Check ``throttles`` (default: ``get_throttles()``); 429 with the longest wait."""
        waits = []
        for throttle in self.get_throttles() if throttles is None else throttles:
            try:
                allowed = throttle.allow_request(request, self)
            except Exception as exc:  # Whatever the cache backend raises when it is down.
                self.throttle_cache_failed(request, throttle, exc)
                continue
            if not allowed:
                waits.append(throttle.wait())
        if waits:
            known = [wait for wait in waits if wait is not None]
            # DRF's own check_throttles passes None too (no Retry-After); the stubs say float.
            self.throttled(request, max(known, default=None))  # type: ignore[arg-type]

    def throttle_cache_failed(self, request: Request, throttle: object, exc: Exception) -> None:
        """Allow the request with a warning, or refuse it, as ``THROTTLE_CACHE_FAILURE`` says.

        ``throttle`` is what used the cache: a throttle, or the token endpoint's lockout counter.
        """
        deny = delegation_settings.THROTTLE_CACHE_FAILURE == DENY
        logger.warning(
            "Throttle %s could not use its cache (%s): request %s",
            type(throttle).__name__,
            type(exc).__name__,
            "refused" if deny else "allowed",
        )
        if deny:
            raise ThrottlingUnavailable()
