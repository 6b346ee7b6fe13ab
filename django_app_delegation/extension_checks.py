"""System checks of the settings that fit the app into La Suite's services (ids E050+, W050+):
django-lasuite's resource server among the resource authenticators, the token endpoint's error
format and view class.

The ids and their rules are listed in ``docs/reference/checks.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from .authentication import DelegatedTokenAuthentication
from .checks import _either
from .conf import (
    DEFAULTS,
    RENAMED_SETTINGS,
    delegation_settings,
    import_from_setting,
    with_new_names,
)
from .conf import setting_name as delegation_setting_name
from .token_errors import TOKEN_ERROR_FORMATS
from .views import DelegationTokenView

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
