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

import warnings
from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string
from django.utils.translation import gettext_noop

if TYPE_CHECKING:
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.pagination import BasePagination
    from rest_framework.throttling import BaseThrottle

    from .hooks import (
        CanDelegateHook,
        GetApplicationAudienceHook,
        GetClientIPHook,
        GetDelegatedUserHook,
        GetTokenClaimsHook,
        GetTokenScopesHook,
    )
    from .views import DelegationTokenView

_V = TypeVar("_V")

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
    # Several keys instead of the four above, for rotation: a list of dicts with "KID",
    # "ALGORITHM", "SECRET" (HS*) or "PRIVATE_KEY"/"PUBLIC_KEY" (PEM), and "RETIRED" or
    # "VERIFY_UNTIL". The first key neither retired nor retiring signs (see ``keys.py``).
    "SIGNING_KEYS": None,
    "ISSUER": None,
    "AUDIENCE": None,
    "ACCESS_TOKEN_LIFETIME": timedelta(hours=1),
    # The longest lifetime an application's own ``access_token_lifetime`` may set; None: no
    # longer than ACCESS_TOKEN_LIFETIME (applications may only shorten it).
    "MAX_ACCESS_TOKEN_LIFETIME": None,
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
    # What ``request.resource_server_token_audience`` says of a delegated token's application (as
    # django-lasuite's resource server says which service calls): its client_id by default.
    "GET_APPLICATION_AUDIENCE": "django_app_delegation.hooks.get_application_audience",
    # The token endpoint's view, read when the URLconf is built: subclass DelegationTokenView to
    # change one step without mounting the URL yourself.
    "TOKEN_VIEW_CLASS": "django_app_delegation.views.DelegationTokenView",
    # Shape of the token endpoint's error bodies: "rfc6749" or "meet" (La Suite Meet's).
    "TOKEN_ERROR_FORMAT": "rfc6749",
    # Limits of the token endpoint (DRF rates, "<number>/<s|m|h|d>"; None: no limit): requests
    # per client IP (before client authentication), and requests per application once its
    # secret is verified, with per-client_id overrides.
    "TOKEN_RATE_PER_IP": "600/minute",
    "TOKEN_RATE_PER_APPLICATION": "300/minute",
    "TOKEN_RATE_OVERRIDES": {},
    # Brute-force lockout: after this many failed secret checks for one client_id from one client
    # IP within TOKEN_LOCKOUT_LIFETIME, that pair is refused (429) until the period ends, without
    # checking the secret. 0 or None turns it off.
    "TOKEN_LOCKOUT_FAILURES": 10,
    "TOKEN_LOCKOUT_LIFETIME": timedelta(minutes=15),
    # More throttles applied to the token endpoint, before client authentication (DRF classes).
    "TOKEN_VIEW_THROTTLE_CLASSES": (),
    # Limits of delegated API calls, per application and per (application, user), for each action
    # of each resource; RESOURCES entries override them per action. None: no limit.
    "RESOURCE_RATE_PER_APPLICATION": None,
    "RESOURCE_RATE_PER_USER": None,
    # The cache alias the limits and the lockout count in (shared by every process: Redis).
    "THROTTLE_CACHE": "default",
    # When the throttles' cache cannot be reached: "allow" the request (with a warning log) or
    # "deny" it (503). Applies to the token endpoint and the resource viewset.
    "THROTTLE_CACHE_FAILURE": "allow",
    # The client's IP address, for limits and the audit trail (see ``hooks.get_client_ip``).
    "GET_CLIENT_IP": "django_app_delegation.hooks.get_client_ip",
    # The longest a rotated client secret may keep working beside the new one; 0: never.
    "CLIENT_SECRET_OVERLAP_MAX_LIFETIME": timedelta(days=7),
    # The URL (or site path) of the host's API documentation, published by the authorization
    # server metadata (RFC 8414 ``service_documentation``); None leaves it out.
    "SERVICE_DOCUMENTATION_URL": None,
    # Assertions applications sign (the JWT-bearer grant, private_key_jwt): the longest an
    # assertion may live (exp - iat, and exp - now), and the clock skew allowed on exp, iat and
    # nbf. One hour is Google's bound and what oauthlib and Authlib sign by default.
    "ASSERTION_MAX_LIFETIME": timedelta(hours=1),
    "ASSERTION_LEEWAY": timedelta(seconds=30),
    # The token endpoint records ``Application.last_used_at`` at most once per interval.
    "LAST_USED_UPDATE_INTERVAL": timedelta(minutes=5),
    # Audit trail: where events go, among "database" (DelegationEvent rows), "logging" (the
    # ``django_app_delegation.audit`` logger) and "signal" (``event_recorded``); () turns it off.
    "AUDIT_DESTINATIONS": ("database",),
    # Record the full e-mail of delegated users (only their domain otherwise).
    "AUDIT_RECORD_EMAIL": False,
    # Record list and retrieve calls of the resource API too (writes only otherwise).
    "AUDIT_READS": False,
    # The user field whose value the introspection endpoint answers as ``sub`` (what a La Suite
    # service's resource server maps users by, e.g. "sub"); None: the user's primary key.
    "INTROSPECTION_SUBJECT_FIELD": None,
    # Resources exposed by ``ResourceViewSet``: route name -> options (see ``resources.py``).
    "RESOURCES": {},
    # Which objects a delegated call reaches: "application" (only the objects this application
    # created) or "user" (every object the queryset hook gives the user). Per-resource override.
    "OBJECT_VISIBILITY": "application",
    # Authentication classes of the resource viewset, in order.
    "RESOURCE_AUTHENTICATION_CLASSES": (
        "django_app_delegation.authentication.DelegatedTokenAuthentication",
    ),
    # Pagination class of the resource viewset (None: REST_FRAMEWORK's default), and the page
    # sizes of the default one (``?page_size=`` up to RESOURCE_MAX_PAGE_SIZE).
    "RESOURCE_PAGINATION_CLASS": "django_app_delegation.pagination.ResourcePagination",
    "RESOURCE_PAGE_SIZE": 20,
    "RESOURCE_MAX_PAGE_SIZE": 100,
}

#: Settings holding a dotted path (or a callable) resolved on first use.
IMPORT_STRINGS: frozenset[str] = frozenset(
    {
        "GET_DELEGATED_USER",
        "CAN_DELEGATE",
        "GET_TOKEN_CLAIMS",
        "GET_TOKEN_SCOPES",
        "GET_CLIENT_IP",
        "GET_APPLICATION_AUDIENCE",
        "TOKEN_VIEW_CLASS",
        "TOKEN_VIEW_THROTTLE_CLASSES",
        "RESOURCE_AUTHENTICATION_CLASSES",
        "RESOURCE_PAGINATION_CLASS",
    }
)

#: Keys renamed after 0.1.0 (old name -> new name); the old names work, with a warning, until 1.0.
RENAMED_SETTINGS: dict[str, str] = {
    "AUTHENTICATION_CLASSES": "RESOURCE_AUTHENTICATION_CLASSES",
    "PAGINATION_CLASS": "RESOURCE_PAGINATION_CLASS",
    "PAGE_SIZE": "RESOURCE_PAGE_SIZE",
    "MAX_PAGE_SIZE": "RESOURCE_MAX_PAGE_SIZE",
    "LIST_SCOPE": "OBJECT_VISIBILITY",
}
#: Options of a ``RESOURCES`` entry renamed after 0.1.0 (old name -> new name).
RENAMED_RESOURCE_OPTIONS: dict[str, str] = {
    "SCOPES": "ACTION_SCOPES",
    "LIST_SCOPE": "OBJECT_VISIBILITY",
}


class RemovedInDjangoAppDelegation1Warning(DeprecationWarning):
    """A deprecated name or feature that version 1.0 removes."""


def setting_name(*keys: str) -> str:
    """How a setting is spelt in messages: ``APP_DELEGATION["RESOURCES"]["rooms"]["MODEL"]``."""
    return SETTINGS_NAME + "".join(f'["{key}"]' for key in keys)


def import_from_setting(value: object, setting: str) -> Any:
    """Import a dotted path, or each one of a list; anything else is returned as it is.

    Raises ``ImproperlyConfigured`` naming ``setting`` (see :func:`setting_name`) when a path
    cannot be imported.
    """
    if isinstance(value, list | tuple):
        return [import_from_setting(item, setting) for item in value]
    if not isinstance(value, str):
        return value
    try:
        return import_string(value)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{setting}: cannot import {value!r}: {exc}") from exc


#: What the warning and the system check (W003, translated) say of a setting spelt with its old
#: name. The warning stays in English: it may be raised before translations can be loaded.
RENAMED_MESSAGE = gettext_noop('%(setting)s is deprecated; rename it to "%(new)s".')


def renamed_message(setting: str, new: str) -> str:
    """The deprecation warning for ``setting``, spelt with its old name."""
    return RENAMED_MESSAGE % {"setting": setting, "new": new}


def with_new_names(values: Mapping[str, _V], renames: Mapping[str, str]) -> dict[str, _V]:
    """A copy of ``values`` with each old key of ``renames`` under its new name.

    When a dict has both names, the new one wins (the system checks report the conflict).
    """
    values = dict(values)
    for old, new in renames.items():
        if old in values:
            values.setdefault(new, values.pop(old))
    return values


class DelegationSettings:
    """Lazy, cached view over ``settings.APP_DELEGATION`` merged with :data:`DEFAULTS`.

    Old key names (:data:`RENAMED_SETTINGS`, :data:`RENAMED_RESOURCE_OPTIONS`) are read under
    their new names, with a :class:`RemovedInDjangoAppDelegation1Warning` once per key.
    """

    if TYPE_CHECKING:
        # What each key holds once read (import strings resolved; the system checks validate the
        # values). Old key names are read through ``__getattr__``.
        ENABLED: bool
        SIGNING_KEY: str | bytes | None
        VERIFYING_KEY: str | bytes | None
        ALGORITHM: str
        KEY_ID: str | None
        SIGNING_KEYS: list[dict[str, Any]] | None
        ISSUER: str | None
        AUDIENCE: str | None
        ACCESS_TOKEN_LIFETIME: timedelta
        MAX_ACCESS_TOKEN_LIFETIME: timedelta | None
        LEEWAY: timedelta
        TOKEN_TYPE: str
        REQUIRED_CLAIMS: Collection[str]
        VERIFY_TOKEN_TYPE: bool
        SCOPES: dict[str, str]
        SCOPE_PREFIX: str | None
        ALLOW_USER_CREATION: bool
        EMPTY_DOMAIN_LIST_ALLOWS_ALL: bool
        WWW_AUTHENTICATE_REALM: str | None
        GET_DELEGATED_USER: GetDelegatedUserHook
        CAN_DELEGATE: CanDelegateHook
        GET_TOKEN_CLAIMS: GetTokenClaimsHook
        GET_TOKEN_SCOPES: GetTokenScopesHook
        GET_APPLICATION_AUDIENCE: GetApplicationAudienceHook
        TOKEN_VIEW_CLASS: type[DelegationTokenView]
        TOKEN_ERROR_FORMAT: str
        TOKEN_RATE_PER_IP: str | None
        TOKEN_RATE_PER_APPLICATION: str | None
        TOKEN_RATE_OVERRIDES: dict[str, str | None]
        TOKEN_LOCKOUT_FAILURES: int | None
        TOKEN_LOCKOUT_LIFETIME: timedelta
        TOKEN_VIEW_THROTTLE_CLASSES: list[type[BaseThrottle]]
        RESOURCE_RATE_PER_APPLICATION: str | None
        RESOURCE_RATE_PER_USER: str | None
        THROTTLE_CACHE: str
        THROTTLE_CACHE_FAILURE: str
        GET_CLIENT_IP: GetClientIPHook
        CLIENT_SECRET_OVERLAP_MAX_LIFETIME: timedelta
        SERVICE_DOCUMENTATION_URL: str | None
        ASSERTION_MAX_LIFETIME: timedelta
        ASSERTION_LEEWAY: timedelta
        LAST_USED_UPDATE_INTERVAL: timedelta
        AUDIT_DESTINATIONS: Collection[str]
        AUDIT_RECORD_EMAIL: bool
        AUDIT_READS: bool
        INTROSPECTION_SUBJECT_FIELD: str | None
        RESOURCES: dict[str, dict[str, Any]]
        OBJECT_VISIBILITY: str
        RESOURCE_AUTHENTICATION_CLASSES: list[type[BaseAuthentication]]
        RESOURCE_PAGINATION_CLASS: type[BasePagination] | None
        RESOURCE_PAGE_SIZE: int
        RESOURCE_MAX_PAGE_SIZE: int

    def __init__(self) -> None:
        self._cached: dict[str, Any] = {}
        self._warned: set[str] = set()

    @property
    def user_settings(self) -> dict[str, Any]:
        """``APP_DELEGATION`` as written, old key names included."""
        return getattr(settings, SETTINGS_NAME, None) or {}

    def __getattr__(self, name: str) -> Any:
        if name in RENAMED_SETTINGS:
            self._warn_renamed(setting_name(name), RENAMED_SETTINGS[name])
            name = RENAMED_SETTINGS[name]
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid {SETTINGS_NAME} setting: {name!r}")
        try:
            return self._cached[name]
        except KeyError:
            pass
        user_settings = self._renamed(self.user_settings, RENAMED_SETTINGS)
        value = user_settings.get(name, DEFAULTS[name])
        if name == "RESOURCES" and isinstance(value, dict):
            value = {
                resource: self._renamed(options, RENAMED_RESOURCE_OPTIONS, name, resource)
                for resource, options in value.items()
            }
        if name in IMPORT_STRINGS:
            value = import_from_setting(value, setting_name(name))
        self._cached[name] = value
        return value

    def _renamed(self, values: Any, renames: dict[str, str], *path: str) -> Any:
        """:func:`with_new_names` for a dict of ``APP_DELEGATION``, warning of the old keys."""
        if not isinstance(values, dict):
            return values
        for old in sorted(values.keys() & renames.keys()):
            self._warn_renamed(setting_name(*path, old), renames[old])
        return with_new_names(values, renames)

    def _warn_renamed(self, setting: str, new: str) -> None:
        if setting in self._warned:
            return
        self._warned.add(setting)
        warnings.warn(
            renamed_message(setting, new),
            RemovedInDjangoAppDelegation1Warning,
            stacklevel=4,
        )

    def reload(self) -> None:
        """Forget cached values (and warnings given), keeping this object (it is imported)."""
        self._cached.clear()
        self._warned.clear()


delegation_settings = DelegationSettings()


def _reload_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTINGS_NAME:
        delegation_settings.reload()


setting_changed.connect(_reload_on_change, dispatch_uid="django_app_delegation.conf.reload")
