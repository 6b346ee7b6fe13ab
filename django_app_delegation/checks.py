"""System checks for ``APP_DELEGATION``; each rule has its own stable id.

The ids and their rules are listed in ``docs/reference/checks.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from rest_framework.settings import api_settings

from .audit import DESTINATIONS
from .conf import (
    DEFAULTS,
    IMPORT_STRINGS,
    RENAMED_RESOURCE_OPTIONS,
    RENAMED_SETTINGS,
    SETTINGS_NAME,
    delegation_settings,
    import_from_setting,
    renamed_message,
    setting_name,
    with_new_names,
)
from .resources import ACTIONS, IMPORT_OPTIONS, OBJECT_VISIBILITIES, RATE_OPTIONS, RESOURCE_OPTIONS
from .scopes import is_valid_scope_token
from .throttling import CACHE_FAILURE_POLICIES, is_valid_rate
from .tokens import ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS, RELAXABLE_CLAIMS

ID = "django_app_delegation"
#: Import-string settings where None means "use the default" (DRF's pagination, say).
NULLABLE_IMPORT_STRINGS = frozenset({"RESOURCE_PAGINATION_CLASS"})
#: Settings holding one rate (or None).
RATE_SETTINGS = (
    "TOKEN_RATE_PER_IP",
    "TOKEN_RATE_PER_APPLICATION",
    "RESOURCE_RATE_PER_APPLICATION",
    "RESOURCE_RATE_PER_USER",
)
#: Duration settings and the least each may be.
DURATION_SETTINGS = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=1),
    "LEEWAY": timedelta(0),
    "TOKEN_LOCKOUT_LIFETIME": timedelta(seconds=1),
    "LAST_USED_UPDATE_INTERVAL": timedelta(0),
}
#: Cache backends that do not share counts between processes, or do not count at all.
UNSHARED_CACHE_BACKENDS = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    }
)
RATE_HINT = 'A rate is "<number>/<second|minute|hour|day>", e.g. "300/minute", or None.'


def _setting(name: str) -> Any:
    """A setting as written (under its old name, too), or its default; nothing is resolved."""
    user_settings = with_new_names(delegation_settings.user_settings, RENAMED_SETTINGS)
    return user_settings.get(name, DEFAULTS[name])


@register(Tags.security, Tags.compatibility)
def check_settings(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Validate every ``APP_DELEGATION`` value without resolving anything lazily."""
    user_settings = delegation_settings.user_settings
    messages: list[CheckMessage] = []
    if not isinstance(user_settings, dict):
        return [Error(f"{SETTINGS_NAME} must be a dict.", id=f"{ID}.E011")]

    unknown = sorted(set(user_settings) - set(DEFAULTS) - set(RENAMED_SETTINGS))
    for key in unknown:
        messages.append(
            Error(
                f"Unknown {SETTINGS_NAME} key {key!r}.",
                hint="Check the spelling against the settings reference.",
                id=f"{ID}.E003",
            )
        )
    messages.extend(_check_renamed(user_settings, RENAMED_SETTINGS))

    algorithm = _setting("ALGORITHM")
    key = _setting("SIGNING_KEY")
    if algorithm not in HMAC_ALGORITHMS and algorithm not in ASYMMETRIC_ALGORITHMS:
        messages.append(
            Error(
                f"{setting_name('ALGORITHM')} {algorithm!r} is not supported.",
                hint="Use HS256, HS384, HS512, or RS/PS/ES*, EdDSA with VERIFYING_KEY.",
                id=f"{ID}.E007",
            )
        )
    if not key:
        messages.append(
            Error(
                f"{setting_name('SIGNING_KEY')} is not set.",
                hint="Set it from the environment to a random value of at least 32 bytes.",
                id=f"{ID}.E001",
            )
        )
    elif algorithm in HMAC_ALGORITHMS:
        size = len(key.encode() if isinstance(key, str) else key)
        if size < HMAC_ALGORITHMS[algorithm]:
            messages.append(
                Error(
                    f"{setting_name('SIGNING_KEY')} is {size} bytes; {algorithm} needs at "
                    f"least {HMAC_ALGORITHMS[algorithm]} (RFC 7518 §3.2).",
                    hint='Generate one with: python -c "import secrets; '
                    'print(secrets.token_urlsafe(64))"',
                    id=f"{ID}.E002",
                )
            )
    if algorithm in ASYMMETRIC_ALGORITHMS and key:
        messages.extend(_check_asymmetric_keys(algorithm))

    for name in sorted(IMPORT_STRINGS):
        value = _setting(name)
        if value is not None or name not in NULLABLE_IMPORT_STRINGS:
            messages.extend(_check_import(value, setting_name(name)))

    scopes = _setting("SCOPES")
    if not isinstance(scopes, dict) or not all(
        is_valid_scope_token(name) and isinstance(label, str) for name, label in scopes.items()
    ):
        messages.append(
            Error(
                f"{setting_name('SCOPES')} must map scope names (no spaces, quotes or "
                "backslashes) to descriptions.",
                hint='For example {"rooms:list": "List rooms"}.',
                id=f"{ID}.E005",
            )
        )

    for name, minimum in DURATION_SETTINGS.items():
        value = _setting(name)
        if not isinstance(value, timedelta) or value < minimum:
            messages.append(
                Error(
                    f"{setting_name(name)} must be a positive datetime.timedelta.",
                    id=f"{ID}.E009",
                )
            )

    required = _setting("REQUIRED_CLAIMS")
    if not isinstance(required, list | tuple | set | frozenset) or not set(required) <= (
        RELAXABLE_CLAIMS
    ):
        messages.append(
            Error(
                f"{setting_name('REQUIRED_CLAIMS')} must list claims among "
                f"{', '.join(sorted(RELAXABLE_CLAIMS))}.",
                hint="exp is always required, iss and aud whenever ISSUER and AUDIENCE are set.",
                id=f"{ID}.E010",
            )
        )

    if _setting("THROTTLE_CACHE_FAILURE") not in CACHE_FAILURE_POLICIES:
        messages.append(
            Error(
                f"{setting_name('THROTTLE_CACHE_FAILURE')} must be "
                + " or ".join(f'"{policy}"' for policy in CACHE_FAILURE_POLICIES)
                + ".",
                id=f"{ID}.E014",
            )
        )
    messages.extend(_check_limits())
    messages.extend(_check_audit())
    messages.extend(_check_resources())

    if not _setting("AUDIENCE"):
        messages.append(
            Warning(
                f"{setting_name('AUDIENCE')} is not set: tokens are not bound to this service.",
                hint="Set it to this API's base URL so other services reject its tokens.",
                id=f"{ID}.W001",
            )
        )
    return messages


def _check_limits() -> list[CheckMessage]:
    """E024-E027 for the limits and the lockout; W002 for client IPs taken from the client."""
    messages: list[CheckMessage] = []
    for name in RATE_SETTINGS:
        if not is_valid_rate(_setting(name)):
            messages.append(
                Error(f"{setting_name(name)} is not a rate.", hint=RATE_HINT, id=f"{ID}.E024")
            )
    messages.extend(_check_rate_map(_setting("TOKEN_RATE_OVERRIDES"), "TOKEN_RATE_OVERRIDES"))

    failures = _setting("TOKEN_LOCKOUT_FAILURES")
    if failures is not None and (
        not isinstance(failures, int) or isinstance(failures, bool) or failures < 0
    ):
        messages.append(
            Error(
                f"{setting_name('TOKEN_LOCKOUT_FAILURES')} must be a number of failures "
                "(0 or None: no lockout).",
                id=f"{ID}.E026",
            )
        )

    alias = _setting("THROTTLE_CACHE")
    if alias not in settings.CACHES:
        messages.append(
            Error(
                f"{setting_name('THROTTLE_CACHE')} {alias!r} is not an alias of CACHES.",
                id=f"{ID}.E027",
            )
        )

    counts_by_address = (
        _setting("TOKEN_VIEW_THROTTLE_CLASSES")
        or _setting("TOKEN_RATE_PER_IP")
        or _setting("TOKEN_LOCKOUT_FAILURES")
    )
    default_client_ip = _setting("GET_CLIENT_IP") == DEFAULTS["GET_CLIENT_IP"]
    if counts_by_address and default_client_ip and api_settings.NUM_PROXIES is None:
        messages.append(
            Warning(
                'REST_FRAMEWORK["NUM_PROXIES"] is not set: the limits per client IP and the '
                "lockout take the address from the X-Forwarded-For header the client sends, "
                "which anyone can vary to escape them.",
                hint="Set it to the number of proxies in front of the application (0 for none).",
                id=f"{ID}.W002",
            )
        )
    return messages


def _check_rate_map(value: Any, *path: str) -> list[CheckMessage]:
    """E025 unless ``value`` maps names to rates; E024 for each entry that is not a rate."""
    if value is None:
        return []
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        return [
            Error(
                f"{setting_name(*path)} must be a dict of rates.",
                hint=RATE_HINT,
                id=f"{ID}.E025",
            )
        ]
    return [
        Error(f"{setting_name(*path, key)} is not a rate.", hint=RATE_HINT, id=f"{ID}.E024")
        for key, rate in value.items()
        if not is_valid_rate(rate)
    ]


def _check_audit() -> list[CheckMessage]:
    destinations = _setting("AUDIT_DESTINATIONS")
    if not isinstance(destinations, list | tuple) or not set(destinations) <= set(DESTINATIONS):
        return [
            Error(
                f"{setting_name('AUDIT_DESTINATIONS')} must list destinations among "
                + ", ".join(f'"{destination}"' for destination in DESTINATIONS)
                + " (or none).",
                id=f"{ID}.E028",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_throttle_cache(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W004 (deployment): the limits count in a cache that server processes do not share."""
    alias = _setting("THROTTLE_CACHE")
    options = settings.CACHES.get(alias) if isinstance(alias, str) else None
    backend = options.get("BACKEND") if isinstance(options, dict) else None
    if backend not in UNSHARED_CACHE_BACKENDS:
        return []
    return [
        Warning(
            f"{setting_name('THROTTLE_CACHE')} is {alias!r}, a {backend.rsplit('.', 1)[-1]}: "
            "each server process counts the limits and the lockout on its own (a DummyCache, "
            "not at all).",
            hint="Point it to a cache every process shares, such as Redis.",
            id=f"{ID}.W004",
        )
    ]


def _check_renamed(
    values: dict[str, Any], renames: dict[str, str], *path: str
) -> list[CheckMessage]:
    """W003 for each key spelt with its old name; E023 when its new name is set as well."""
    messages: list[CheckMessage] = []
    for old in sorted(values.keys() & renames.keys()):
        new = renames[old]
        if new in values:
            messages.append(
                Error(
                    f"{setting_name(*path, old)} and {setting_name(*path, new)} are both set.",
                    hint=f'Remove "{old}", the old name of "{new}".',
                    id=f"{ID}.E023",
                )
            )
        else:
            messages.append(
                Warning(renamed_message(setting_name(*path, old), new), id=f"{ID}.W003")
            )
    return messages


def _check_import(value: Any, setting: str) -> list[CheckMessage]:
    """E004 for a dotted path (or one in a list) that does not import; E015 for a non-callable."""
    messages: list[CheckMessage] = []
    for item in value if isinstance(value, list | tuple) else [value]:
        try:
            item = import_from_setting(item, setting)
        except ImproperlyConfigured as exc:
            messages.append(Error(f"{exc}.", id=f"{ID}.E004"))
            continue
        if not callable(item):
            messages.append(
                Error(f"{setting} must be a dotted path or a callable.", id=f"{ID}.E015")
            )
    return messages


def _check_resources() -> list[CheckMessage]:
    messages: list[CheckMessage] = []

    def error(message: str, id_: str) -> None:
        messages.append(Error(message, id=f"{ID}.{id_}"))

    visibilities = " or ".join(f'"{value}"' for value in OBJECT_VISIBILITIES)
    if _setting("OBJECT_VISIBILITY") not in OBJECT_VISIBILITIES:
        error(f"{setting_name('OBJECT_VISIBILITY')} must be {visibilities}.", "E013")
    resources = _setting("RESOURCES")
    if not isinstance(resources, dict):
        error(f"{setting_name('RESOURCES')} must map route names to dicts of options.", "E012")
        return messages
    for name, options in resources.items():
        if not isinstance(options, dict) or not isinstance(name, str) or not name:
            error(
                f"{setting_name('RESOURCES')}: {name!r} must be a route name mapped to a dict of "
                "options.",
                "E012",
            )
            continue
        messages.extend(_check_renamed(options, RENAMED_RESOURCE_OPTIONS, "RESOURCES", name))
        options = with_new_names(options, RENAMED_RESOURCE_OPTIONS)
        option_name = partial(setting_name, "RESOURCES", name)
        if name == "application":
            error(f"{option_name()}: 'application' is the token endpoint's route.", "E016")
        for option in sorted(set(options) - RESOURCE_OPTIONS):
            error(f"{option_name()} has an unknown option {option!r}.", "E017")
        for option in ("MODEL", "SERIALIZER_CLASS"):
            if not options.get(option):
                error(f"{option_name()} needs {option}.", "E018")
        if options.get("MODEL"):
            try:
                apps.get_model(options["MODEL"])
            except (LookupError, ValueError):
                error(f"{option_name('MODEL')}: no installed model {options['MODEL']!r}.", "E019")
        for option in IMPORT_OPTIONS:
            if options.get(option):
                messages.extend(_check_import(options[option], option_name(option)))
        if "ACTIONS" in options and not options["ACTIONS"]:
            error(f"{option_name('ACTIONS')} must allow at least one action.", "E020")
        for option in ("ACTIONS", "ACTION_SCOPES"):
            unknown = sorted(set(options.get(option) or ()) - set(ACTIONS))
            if unknown:
                error(f"{option_name(option)}: unknown action(s) {', '.join(unknown)}.", "E021")
        for action, scope in (options.get("ACTION_SCOPES") or {}).items():
            if not is_valid_scope_token(scope):
                error(f"{option_name('ACTION_SCOPES', action)} must be one scope name.", "E022")
        if options.get("OBJECT_VISIBILITY") not in (None, *OBJECT_VISIBILITIES):
            error(f"{option_name('OBJECT_VISIBILITY')} must be {visibilities}.", "E013")
        for option in RATE_OPTIONS.values():
            rates = options.get(option)
            messages.extend(_check_rate_map(rates, "RESOURCES", name, option))
            if isinstance(rates, dict):
                unknown = sorted(set(map(str, rates)) - set(ACTIONS))
                if unknown:
                    error(f"{option_name(option)}: unknown action(s) {', '.join(unknown)}.", "E021")
    return messages


def _check_asymmetric_keys(algorithm: str) -> list[CheckMessage]:
    import jwt

    try:
        jwt_algorithm = jwt.get_algorithm_by_name(algorithm)
        jwt_algorithm.prepare_key(_setting("SIGNING_KEY"))
        verifying = _setting("VERIFYING_KEY")
        if not verifying:
            raise ValueError("VERIFYING_KEY is not set")
        jwt_algorithm.prepare_key(verifying)
    except Exception as exc:  # PyJWT raises several types for bad keys
        return [
            Error(
                f"{SETTINGS_NAME}: the keys do not suit {algorithm}: {exc}.",
                hint="SIGNING_KEY is the PEM private key, VERIFYING_KEY the PEM public key.",
                id=f"{ID}.E008",
            )
        ]
    return []


@register(Tags.database)
def check_application_scopes(
    app_configs: Sequence[Any] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """Report applications granted scopes that ``SCOPES`` no longer defines."""
    if not databases:
        return []
    from .models import Application
    from .scopes import known_scopes

    vocabulary = known_scopes()
    messages: list[CheckMessage] = []
    for database in databases:
        try:
            rows = list(Application.objects.using(database).values_list("client_id", "scopes"))
        except DatabaseError:
            continue  # Not migrated yet.
        for client_id, scopes in rows:
            unknown = [s for s in scopes or () if str(s).lower() not in vocabulary]
            if unknown:
                messages.append(
                    Error(
                        f"Application {client_id} has scopes missing from "
                        f"{setting_name('SCOPES')}: {', '.join(map(str, unknown))}.",
                        hint="Add them to SCOPES or remove them from the application.",
                        id=f"{ID}.E006",
                    )
                )
    return messages
