"""Settings for django-app-delegation, read from the ``APP_DELEGATION`` dict.

Every value is read lazily through :data:`delegation_settings`, so ``override_settings`` and the
pytest ``settings`` fixture take effect; the object is reset *in place* whenever Django's
``setting_changed`` signal reports a change to ``APP_DELEGATION`` (never rebind it).

Example::

    APP_DELEGATION = {
        "SIGNING_KEY": env("DELEGATION_SIGNING_KEY"),
        "ISSUER": "lasuite-meet",
        "AUDIENCE": "https://meet.example.org/external-api/v1.0",
        "SCOPES": {"rooms:list": "List rooms", "rooms:create": "Create rooms"},
    }
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

SETTINGS_NAME = "APP_DELEGATION"

DEFAULTS: dict[str, Any] = {
    # The token endpoint answers 404 and the authentication class defers when False.
    "ENABLED": True,
    # Key material. For HS* algorithms SIGNING_KEY is the shared secret; for asymmetric
    # algorithms it is the PEM private key and VERIFYING_KEY the PEM public key.
    "SIGNING_KEY": None,
    "VERIFYING_KEY": None,
    "ALGORITHM": "HS256",
    # ``kid`` header; derived from the verifying key when None.
    "KEY_ID": None,
    "ISSUER": None,
    "AUDIENCE": None,
    "ACCESS_TOKEN_LIFETIME": timedelta(hours=1),
    "LEEWAY": timedelta(seconds=0),
    "TOKEN_TYPE": "Bearer",
    # Claims required on decode on top of ``exp`` (always) and ``iss``/``aud`` (when configured).
    "REQUIRED_CLAIMS": ("iat", "jti"),
    # Require the ``typ: at+jwt`` header (RFC 9068 §4).
    "VERIFY_TOKEN_TYPE": True,
    # The scope vocabulary: name -> human description.
    "SCOPES": {},
    # Prefix stripped (``"<prefix>:"``) from token scopes before scope checks.
    "SCOPE_PREFIX": None,
    "ALLOW_USER_CREATION": False,
    "EMPTY_DOMAIN_LIST_ALLOWS_ALL": False,
    # Realm sent in ``WWW-Authenticate: Bearer`` challenges.
    "WWW_AUTHENTICATE_REALM": "api",
    # Hooks (dotted paths to callables, see ``hooks.py``).
    "GET_DELEGATED_USER": "django_app_delegation.hooks.get_delegated_user",
    "CAN_DELEGATE": "django_app_delegation.hooks.can_delegate",
    "GET_TOKEN_CLAIMS": "django_app_delegation.hooks.get_token_claims",
    "GET_TOKEN_SCOPES": "django_app_delegation.hooks.get_token_scopes",
    # Throttles applied to the token endpoint (DRF throttle classes).
    "TOKEN_VIEW_THROTTLE_CLASSES": (),
    # When the throttles' cache cannot be reached: "allow" the request (with a warning log) or
    # "deny" it (503). Applies to the token endpoint and the resource viewset.
    "THROTTLE_CACHE_FAILURE": "allow",
    # Resources exposed by ``ResourceViewSet``: route name -> options (see ``viewsets.py``).
    "RESOURCES": {},
    # Which objects a delegated call reaches: "application" (only the objects this application
    # created) or "user" (every object the queryset hook gives the user). Per-resource override.
    "LIST_SCOPE": "application",
    # Authentication classes of the resource viewset, in order.
    "AUTHENTICATION_CLASSES": (
        "django_app_delegation.authentication.DelegatedTokenAuthentication",
    ),
    # Pagination class of the resource viewset (None: REST_FRAMEWORK's default), and the page
    # sizes of the default one (``?page_size=`` up to MAX_PAGE_SIZE).
    "PAGINATION_CLASS": "django_app_delegation.pagination.ResourcePagination",
    "PAGE_SIZE": 20,
    "MAX_PAGE_SIZE": 100,
}

#: Settings holding a dotted path (or a callable) resolved on first use.
IMPORT_STRINGS: frozenset[str] = frozenset(
    {
        "GET_DELEGATED_USER",
        "CAN_DELEGATE",
        "GET_TOKEN_CLAIMS",
        "GET_TOKEN_SCOPES",
        "TOKEN_VIEW_THROTTLE_CLASSES",
        "AUTHENTICATION_CLASSES",
        "PAGINATION_CLASS",
    }
)


def _resolve(value: Any) -> Any:
    if isinstance(value, str):
        return import_string(value)
    if isinstance(value, list | tuple):
        return [_resolve(item) for item in value]
    return value


class DelegationSettings:
    """Lazy, cached view over ``settings.APP_DELEGATION`` merged with :data:`DEFAULTS`."""

    def __init__(self) -> None:
        self._cached: dict[str, Any] = {}

    @property
    def user_settings(self) -> dict[str, Any]:
        return getattr(settings, SETTINGS_NAME, None) or {}

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid {SETTINGS_NAME} setting: {name!r}")
        try:
            return self._cached[name]
        except KeyError:
            pass
        value = self.user_settings.get(name, DEFAULTS[name])
        if name in IMPORT_STRINGS:
            value = _resolve(value)
        self._cached[name] = value
        return value

    def reload(self) -> None:
        """Forget cached values, keeping this object (it is imported by reference)."""
        self._cached.clear()


delegation_settings = DelegationSettings()


def _reload_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTINGS_NAME:
        delegation_settings.reload()


setting_changed.connect(_reload_on_change, dispatch_uid="django_app_delegation.conf.reload")
