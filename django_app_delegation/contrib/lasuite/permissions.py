"""``ExternalAPIPermission``: a drop-in for the ``ResourceServerClientPermission`` of La Suite's
Drive, Docs and Calendars that also lets delegated tokens in.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request

from ...authentication import DelegatedToken, DelegatedTokenAuthentication
from ...callers import get_audience
from ...permissions import BaseScopePermission
from ...resources import SCOPE_VERBS

try:
    from lasuite.oidc_resource_server.authentication import ResourceServerAuthentication
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "django_app_delegation.contrib.lasuite.ExternalAPIPermission needs django-lasuite: "
        'pip install "django-app-delegation[lasuite]"'
    ) from exc

if TYPE_CHECKING:
    from rest_framework.views import APIView


class ExternalAPIPermission(BaseScopePermission):
    """Allow a django-lasuite resource-server token or a delegated token; refuse anything else.

    Contract, for a view's action (``view.action``):

    - the action must be one the view opens, ``view.resource_server_actions``, when the view
      has that attribute (Drive and Docs read it from their ``EXTERNAL_API`` setting); this
      applies to both kinds of token;
    - a token that django-lasuite's ``ResourceServerAuthentication`` authenticated passes when
      its audience (``request.resource_server_token_audience``) is in
      ``settings.OIDC_RS_ALLOWED_AUDIENCES`` (see :meth:`get_allowed_audiences`), as with
      ``ResourceServerClientPermission``;
    - a delegated token (``DelegatedTokenAuthentication``, which refuses tokens of inactive
      applications and users) passes when it carries the action's scope (see
      :meth:`get_required_scopes`); without it the answer is 403 ``insufficient_scope``;
    - any other request (a session, another token) is refused.

    A method the view does not route (no action) is let through for either kind, so DRF
    answers 405. Compose it with the host's object permissions as Drive does:
    ``permission_classes = [ExternalAPIPermission & ItemPermission]``.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        authenticator = request.successful_authenticator
        if isinstance(authenticator, DelegatedTokenAuthentication) and isinstance(
            request.auth, DelegatedToken
        ):
            return self.has_delegated_permission(request, view)
        if isinstance(authenticator, ResourceServerAuthentication):
            return self.has_resource_server_permission(request, view)
        return False

    def has_resource_server_permission(self, request: Request, view: APIView) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if get_audience(request) not in self.get_allowed_audiences(request, view):
            return False
        return self.action_is_open(view)

    def has_delegated_permission(self, request: Request, view: APIView) -> bool:
        if getattr(view, "action", None) is None:
            return True
        if not self.action_is_open(view):
            return False
        return super().has_permission(request, view)

    def action_is_open(self, view: APIView) -> bool:
        """Whether the view opens its action to external callers (``resource_server_actions``)."""
        action = getattr(view, "action", None)
        if action is None:
            return True
        opened: Collection[str] | None = getattr(view, "resource_server_actions", None)
        return opened is None or action in opened

    def get_allowed_audiences(self, request: Request, view: APIView) -> Collection[str]:
        """The resource-server audiences allowed: ``settings.OIDC_RS_ALLOWED_AUDIENCES``."""
        audiences: Collection[str] = getattr(settings, "OIDC_RS_ALLOWED_AUDIENCES", None) or ()
        return audiences

    def get_required_scopes(self, request: Request, view: APIView) -> Iterable[str] | None:
        """The scope a delegated token needs for the view's action.

        The view's ``get_scope_map()`` or ``scope_map`` (action -> scope) when it has one;
        otherwise ``<basename>:<verb>`` from the router's basename: ``items:list``,
        ``items:retrieve``, ``items:create``, ``items:update`` (update and partial_update),
        ``items:delete`` (destroy), and ``items:<action>`` for other actions
        (``items:children``). None (refused) when neither gives one.
        """
        action = getattr(view, "action", None)
        get_scope_map = getattr(view, "get_scope_map", None)
        scope_map = get_scope_map() if callable(get_scope_map) else getattr(view, "scope_map", None)
        if scope_map is not None:
            required = scope_map.get(action)
            return [required] if isinstance(required, str) else required
        basename = getattr(view, "basename", None)
        if not basename or not isinstance(action, str):
            return None
        return [f"{basename}:{SCOPE_VERBS.get(action, action)}"]
