"""System checks of the settings that fit the app into La Suite's services (ids E050+, W050+):
django-lasuite's resource server among the resource authenticators, the token endpoint's error
format and view class, the resources' extra actions and list filters.

The ids and their rules are listed in ``docs/reference/checks.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from .authentication import DelegatedTokenAuthentication
from .checks import _check_import, _either
from .conf import (
    DEFAULTS,
    RENAMED_SETTINGS,
    delegation_settings,
    import_from_setting,
    with_new_names,
)
from .conf import setting_name as delegation_setting_name
from .extra_actions import (
    EXTRA_ACTION_IMPORT_OPTIONS,
    EXTRA_ACTION_OPTIONS,
    HTTP_METHODS,
    ExtraAction,
)
from .filters import django_filter_installed
from .resources import ACTIONS
from .scopes import is_valid_scope_token
from .token_errors import TOKEN_ERROR_FORMATS
from .views import DelegationTokenView
from .viewsets import ResourceViewSet

if TYPE_CHECKING:
    from django.apps import AppConfig

ID = "django_app_delegation"

#: Settings django-lasuite's resource server reads without a default (a missing one is a 500).
RESOURCE_SERVER_SETTINGS = (
    "OIDC_RS_BACKEND_CLASS",
    "OIDC_RS_CLIENT_ID",
    "OIDC_RS_CLIENT_SECRET",
    "OIDC_RS_SCOPES",
    "OIDC_RS_AUDIENCE_CLAIM",
    "OIDC_RS_ENCRYPTION_ENCODING",
    "OIDC_RS_ENCRYPTION_ALGO",
    "OIDC_RS_SIGNING_ALGO",
    "OIDC_OP_URL",
    "OIDC_OP_INTROSPECTION_ENDPOINT",
    "OIDC_VERIFY_SSL",
    "OIDC_TIMEOUT",
    "OIDC_PROXY",
)
#: Without these, django-lasuite disables its resource server: every token reaching it gets 401.
RESOURCE_SERVER_ESSENTIALS = (
    "OIDC_RS_CLIENT_ID",
    "OIDC_RS_CLIENT_SECRET",
    "OIDC_OP_URL",
    "OIDC_OP_INTROSPECTION_ENDPOINT",
)


def _setting(name: str) -> Any:
    """An ``APP_DELEGATION`` value as written (old names too), or its default; unresolved."""
    user_settings = with_new_names(delegation_settings.user_settings, RENAMED_SETTINGS)
    return user_settings.get(name, DEFAULTS[name])


def _resolved_classes(name: str) -> list[type]:
    """The classes of a list setting that import (E004 reports the others)."""
    value = _setting(name)
    classes = []
    for item in value if isinstance(value, list | tuple) else [value]:
        try:
            imported = import_from_setting(item, delegation_setting_name(name))
        except ImproperlyConfigured:
            continue
        if isinstance(imported, type):
            classes.append(imported)
    return classes


def _resource_server_class() -> type | None:
    try:
        from lasuite.oidc_resource_server.authentication import ResourceServerAuthentication
    except ImportError:
        return None
    server: type = ResourceServerAuthentication
    return server


@register(Tags.security, Tags.compatibility)
def check_resource_server(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E050, W050, W051: django-lasuite's resource server in ``RESOURCE_AUTHENTICATION_CLASSES``."""
    resource_server = _resource_server_class()
    if not isinstance(delegation_settings.user_settings, dict) or resource_server is None:
        return []
    classes = _resolved_classes("RESOURCE_AUTHENTICATION_CLASSES")
    servers = [index for index, cls in enumerate(classes) if issubclass(cls, resource_server)]
    if not servers:
        return []
    setting = delegation_setting_name("RESOURCE_AUTHENTICATION_CLASSES")
    messages: list[CheckMessage] = []
    ours = [
        index for index, cls in enumerate(classes) if issubclass(cls, DelegatedTokenAuthentication)
    ]
    if ours and ours[0] > servers[0]:
        messages.append(
            Warning(
                _(
                    "%(setting)s lists ResourceServerAuthentication before "
                    "DelegatedTokenAuthentication: delegated tokens are sent to the identity "
                    "provider for introspection, which refuses them."
                )
                % {"setting": setting},
                hint=_("Put DelegatedTokenAuthentication first: it defers on tokens not its own."),
                id=f"{ID}.W050",
            )
        )
    missing = [name for name in RESOURCE_SERVER_SETTINGS if not hasattr(settings, name)]
    if missing:
        messages.append(
            Error(
                _(
                    "%(setting)s lists ResourceServerAuthentication but these settings of "
                    "django-lasuite are missing: %(names)s."
                )
                % {"setting": setting, "names": ", ".join(missing)},
                hint=_("Define them all, as La Suite services do (see the La Suite guide)."),
                id=f"{ID}.E050",
            )
        )
    else:
        empty = [name for name in RESOURCE_SERVER_ESSENTIALS if not getattr(settings, name)]
        if empty:
            messages.append(
                Warning(
                    _(
                        "%(names)s empty: django-lasuite's resource server is disabled and "
                        "refuses every token that reaches it (401)."
                    )
                    % {"names": ", ".join(empty)},
                    id=f"{ID}.W051",
                )
            )
    return messages


@register(Tags.compatibility)
def check_token_endpoint(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E051, E052: ``TOKEN_ERROR_FORMAT`` and ``TOKEN_VIEW_CLASS``."""
    if not isinstance(delegation_settings.user_settings, dict):
        return []
    messages: list[CheckMessage] = []
    if _setting("TOKEN_ERROR_FORMAT") not in TOKEN_ERROR_FORMATS:
        messages.append(
            Error(
                _("%(setting)s must be %(values)s.")
                % {
                    "setting": delegation_setting_name("TOKEN_ERROR_FORMAT"),
                    "values": _either(TOKEN_ERROR_FORMATS),
                },
                id=f"{ID}.E051",
            )
        )
    classes = _resolved_classes("TOKEN_VIEW_CLASS")
    if classes and not issubclass(classes[0], DelegationTokenView):
        messages.append(
            Error(
                _("%(setting)s must be a subclass of %(base)s.")
                % {
                    "setting": delegation_setting_name("TOKEN_VIEW_CLASS"),
                    "base": "django_app_delegation.views.DelegationTokenView",
                },
                id=f"{ID}.E052",
            )
        )
    return messages


#: What a route segment may hold (RFC 3986 unreserved characters).
URL_PATH_RE = re.compile(r"^[A-Za-z0-9._~-]+$")


@register(Tags.compatibility)
def check_extra_actions_and_filters(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E053-E060, W052: each resource's ``EXTRA_ACTIONS`` and list filters."""
    if not isinstance(delegation_settings.user_settings, dict):
        return []
    resources = _setting("RESOURCES")
    if not isinstance(resources, dict):
        return []  # E012
    messages: list[CheckMessage] = []
    for name, options in resources.items():
        if isinstance(name, str) and isinstance(options, dict):
            messages += _check_extra_actions(name, options)
            messages += _check_filters(name, options)
    return messages


def _check_extra_actions(resource: str, options: dict[str, Any]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []

    def error(message: str, id_: str) -> None:
        messages.append(Error(message, id=f"{ID}.{id_}"))

    extra = options.get("EXTRA_ACTIONS")
    if extra is None:
        return messages
    setting = partial(delegation_setting_name, "RESOURCES", resource, "EXTRA_ACTIONS")
    if not isinstance(extra, dict):
        error(
            _("%(setting)s must map action names to dicts of options.") % {"setting": setting()},
            "E053",
        )
        return messages
    routes: dict[tuple[bool, str], str] = {}
    vocabulary = _setting("SCOPES") if isinstance(_setting("SCOPES"), dict) else {}
    for name, action in extra.items():
        if (
            not isinstance(name, str)
            or not name.isidentifier()
            or name in ACTIONS
            or hasattr(ResourceViewSet, name)
        ):
            error(
                _(
                    "%(setting)s: %(name)s cannot name an action (a Python identifier that is not "
                    "a built-in action nor an attribute of ResourceViewSet)."
                )
                % {"setting": setting(), "name": repr(name)},
                "E053",
            )
            continue
        if not isinstance(action, dict):
            error(_("%(setting)s must be a dict of options.") % {"setting": setting(name)}, "E053")
            continue
        for option in sorted(set(action) - EXTRA_ACTION_OPTIONS):
            error(
                _("%(setting)s has an unknown option %(option)s.")
                % {"setting": setting(name), "option": repr(option)},
                "E054",
            )
        methods = action.get("METHODS", ["get"])
        if (
            not isinstance(methods, list | tuple)
            or not methods
            or not all(isinstance(m, str) and m.lower() in HTTP_METHODS for m in methods)
        ):
            error(
                _("%(setting)s must list HTTP methods among %(methods)s.")
                % {"setting": setting(name, "METHODS"), "methods": ", ".join(HTTP_METHODS)},
                "E055",
            )
        if not action.get("HOOK"):
            error(
                _("%(setting)s needs %(option)s.") % {"setting": setting(name), "option": "HOOK"},
                "E056",
            )
        for option in EXTRA_ACTION_IMPORT_OPTIONS:
            if action.get(option):
                messages.extend(_check_import(action[option], setting(name, option)))
        spec = ExtraAction(name=name, resource_name=resource, options=action)
        scope = action.get("SCOPE", spec.scope)
        if not is_valid_scope_token(scope):
            error(
                _("%(setting)s must be one scope name.") % {"setting": setting(name, "SCOPE")},
                "E057",
            )
        elif str(scope).lower() not in {str(key).lower() for key in vocabulary}:
            messages.append(
                Warning(
                    _(
                        "%(setting)s: the scope %(scope)s is not in %(scopes)s; no application "
                        "can hold it."
                    )
                    % {
                        "setting": setting(name),
                        "scope": scope,
                        "scopes": delegation_setting_name("SCOPES"),
                    },
                    id=f"{ID}.W052",
                )
            )
        url_path = action.get("URL_PATH", spec.url_path)
        detail = bool(action.get("DETAIL", True))
        if not isinstance(url_path, str) or not URL_PATH_RE.match(url_path):
            error(
                _("%(setting)s must be one path segment (letters, digits, - . _ ~).")
                % {"setting": setting(name, "URL_PATH")},
                "E058",
            )
        elif (detail, url_path) in routes:
            error(
                _("%(setting)s: %(name)s and %(other)s take the same route.")
                % {
                    "setting": setting(),
                    "name": repr(name),
                    "other": repr(routes[detail, url_path]),
                },
                "E058",
            )
        else:
            routes[detail, url_path] = name
        status = action.get("STATUS", 200)
        if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 299:
            error(
                _("%(setting)s must be a success status (200-299).")
                % {"setting": setting(name, "STATUS")},
                "E059",
            )
    return messages


def _check_filters(resource: str, options: dict[str, Any]) -> list[CheckMessage]:
    declared = [option for option in ("FILTERSET_FIELDS", "FILTERSET_CLASS") if options.get(option)]
    if not declared or django_filter_installed():
        return []
    return [
        Error(
            _("%(setting)s needs django-filter.")
            % {"setting": delegation_setting_name("RESOURCES", resource, declared[0])},
            hint=_('Install it: pip install "django-app-delegation[filters]".'),
            id=f"{ID}.E060",
        )
    ]
