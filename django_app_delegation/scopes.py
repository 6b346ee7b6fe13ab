"""Scope parsing and normalisation shared by the token endpoint and the permission classes."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .conf import delegation_settings

#: RFC 6749 §3.3 ``scope-token``: one or more of %x21 / %x23-5B / %x5D-7E.
SCOPE_TOKEN_RE = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")


def is_valid_scope_token(value: object) -> bool:
    """Tell whether ``value`` is a syntactically valid RFC 6749 scope token."""
    return isinstance(value, str) and bool(SCOPE_TOKEN_RE.match(value))


def normalize_scopes(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Return scopes lower-cased, de-duplicated (order kept) and stripped of ``SCOPE_PREFIX``.

    ``value`` may be a space-separated string or an iterable of strings; anything else is empty.
    """
    if not value:
        return ()
    if isinstance(value, str):
        items: Iterable[object] = value.split()
    elif isinstance(value, Iterable):
        items = value
    else:
        return ()
    prefix = delegation_settings.SCOPE_PREFIX
    prefix = f"{prefix.lower().rstrip(':')}:" if prefix else None
    seen: dict[str, None] = {}
    for item in items:
        if not isinstance(item, str):
            continue
        scope = item.strip().lower()
        if prefix:
            scope = scope.removeprefix(prefix)
        if scope:
            seen.setdefault(scope, None)
    return tuple(seen)


def known_scopes() -> dict[str, str]:
    """Return the configured scope vocabulary (lower-cased names to descriptions)."""
    scopes = delegation_settings.SCOPES
    if not isinstance(scopes, dict):
        return {}
    return {str(name).lower(): str(label) for name, label in scopes.items()}
