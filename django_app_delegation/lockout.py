"""Brute-force lockout of client authentication on the token endpoint.

Failed secret checks are counted per (client_id, client IP) in the throttles' cache
(``THROTTLE_CACHE``), in fixed windows of ``TOKEN_LOCKOUT_LIFETIME``. Once
``TOKEN_LOCKOUT_FAILURES`` have failed in a window, further attempts of that pair are refused with
429 and ``Retry-After`` until the window ends, without checking the secret. A verified secret
clears the count.

* Unknown and known client ids are counted and refused alike, before the application is looked
  up: the lockout tells nothing about which client ids exist.
* Keyed by address as well as client id, an attacker elsewhere cannot lock a legitimate
  integrator out; the price is that each address an attacker controls gets its own allowance
  (see the security documentation).
"""

from __future__ import annotations

import math

from django.core.cache import BaseCache
from rest_framework.request import Request

from . import throttling
from .conf import delegation_settings
from .secrets import CLIENT_ID_MAX_LENGTH
from .throttling import client_ip, counter_key, increment, throttle_cache

SCOPE = "token_lockout"


class ClientLockout:
    """The failed-authentication counter of one client id from one address, in one window."""

    def __init__(self, request: Request, client_id: str) -> None:
        self.limit = int(delegation_settings.TOKEN_LOCKOUT_FAILURES or 0)
        self.period = max(1, int(delegation_settings.TOKEN_LOCKOUT_LIFETIME.total_seconds()))
        now = throttling.clock()
        window = int(now // self.period)
        self.retry_after = max(1, math.ceil((window + 1) * self.period - now))
        # Kept past its window's end, so that it cannot expire while it is still counted.
        self.timeout = 2 * self.period
        # No stored client id is longer: a longer one is counted as one, cheaply.
        client_id = client_id[: CLIENT_ID_MAX_LENGTH + 1]
        self.key = counter_key(SCOPE, client_id, client_ip(request) or "", self.period, window)
        self.failures = 0

    @classmethod
    def for_request(cls, request: Request, client_id: str) -> ClientLockout | None:
        """The lockout counter of this attempt, or None when the lockout is off."""
        if not delegation_settings.TOKEN_LOCKOUT_FAILURES:
            return None
        return cls(request, client_id)

    def get_cache(self) -> BaseCache:
        return throttle_cache()

    def wait(self) -> int | None:
        """Read the count: seconds until the window ends when locked out, else None."""
        self.failures = int(self.get_cache().get(self.key) or 0)
        return self.retry_after if self.failures >= self.limit else None

    def failed(self) -> None:
        """Count one more failed secret check."""
        self.failures = increment(self.get_cache(), self.key, self.timeout)

    def succeeded(self) -> None:
        """Clear the count after a verified secret (no cache call when there was none)."""
        if self.failures:
            self.get_cache().delete(self.key)
            self.failures = 0
