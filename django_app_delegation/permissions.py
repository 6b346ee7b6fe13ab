"""DRF permission classes that allow an action only when the token carries its scope.

Scopes are read through the ``GET_TOKEN_SCOPES`` hook, so they work with this app's tokens and
with other token kinds (OIDC introspection dicts, django-oauth-toolkit tokens). A denial is a 403
with ``WWW-Authenticate: Bearer error="insufficient_scope", scope="<needed>"`` (RFC 6750 §3.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils.translation import pgettext_lazy
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .conf import delegation_settings
from .exceptions import InsufficientScope as InsufficientScope  # also imported from here
from .exceptions import InvalidToken
from .scopes import normalize_scopes

if TYPE_CHECKING:
    from rest_framework.views import APIView


def get_request_scopes(request: Request) -> frozenset[str]:
    """Return the normalised scopes granted to ``request`` (empty when unauthenticated)."""
    auth = getattr(request, "auth", None)
    if auth is None:
        return frozenset()
    scopes = delegation_settings.GET_TOKEN_SCOPES(auth=auth, request=request)
    return frozenset(normalize_scopes(scopes))


class BaseScopePermission(BasePermission):
    """Base class: subclasses say which scopes a request needs through :meth:`get_required_scopes`.

    Contract: ``get_required_scopes(request, view)`` returns the scopes that must *all* be
    present, or None to deny (no scope can allow an unmapped action). Unauthenticated requests
    get False so that DRF answers 401 rather than 403.
    """

    def get_required_scopes(self, request: Request, view: APIView) -> Iterable[str] | None:
        raise NotImplementedError

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.auth is None and not getattr(request.user, "is_authenticated", False):
            if getattr(request, "_delegation_foreign_token", False):
                # A bearer token no authenticator took: say it is invalid, not missing.
                raise InvalidToken(pgettext_lazy("delegated token", "Invalid token."))
            return False
        required = self.get_required_scopes(request, view)
        if required is None:
            raise InsufficientScope()
        required = normalize_scopes(required)
        granted = get_request_scopes(request)
        if not set(required) <= granted:
            raise InsufficientScope(required)
        return True


class HasScope(BaseScopePermission):
    """Allow when the token carries every scope in ``view.required_scopes``."""

    def get_required_scopes(self, request: Request, view: APIView) -> Iterable[str] | None:
        required = getattr(view, "required_scopes", None)
        if isinstance(required, str):
            return [required]
        return required


class HasActionScope(BaseScopePermission):
    """Allow when the token carries ``view.scope_map[view.action]``; deny unmapped actions.

    A request with no action (a method the viewset does not route) is let through so that DRF
    can answer 405.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        if getattr(view, "action", None) is None:
            return True
        return super().has_permission(request, view)

    def get_required_scopes(self, request: Request, view: APIView) -> Iterable[str] | None:
        scope_map = getattr(view, "get_scope_map", None)
        scope_map = scope_map() if callable(scope_map) else getattr(view, "scope_map", None) or {}
        required = scope_map.get(getattr(view, "action", None))
        if isinstance(required, str):
            return [required]
        return required
