"""Throttling that a cache outage cannot turn into server errors.

DRF's throttles count requests in Django's cache. When that cache (Redis, Memcached) cannot be
reached, ``THROTTLE_CACHE_FAILURE`` decides: ``"allow"`` (the default) lets the request through
and logs a warning, ``"deny"`` refuses it with 503 and ``Retry-After``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from .conf import delegation_settings
from .exceptions import ThrottlingUnavailable as ThrottlingUnavailable  # also imported from here

if TYPE_CHECKING:
    from rest_framework.throttling import BaseThrottle

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

    def check_throttles(self, request: Request) -> None:
        waits = []
        for throttle in self.get_throttles():
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

    def throttle_cache_failed(
        self, request: Request, throttle: BaseThrottle, exc: Exception
    ) -> None:
        """Allow the request with a warning, or refuse it, as ``THROTTLE_CACHE_FAILURE`` says."""
        deny = delegation_settings.THROTTLE_CACHE_FAILURE == DENY
        logger.warning(
            "Throttle %s could not use its cache (%s): request %s",
            type(throttle).__name__,
            type(exc).__name__,
            "refused" if deny else "allowed",
        )
        if deny:
            raise ThrottlingUnavailable()
