"""System checks for ``APP_DELEGATION``; each rule has its own stable id.

The ids and their rules are listed in ``docs/reference/checks.md``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import get_text_list
from django.utils.timezone import is_aware
from django.utils.translation import gettext as _
from rest_framework.settings import api_settings

from .audit import DESTINATIONS
from .conf import (
    DEFAULTS,
    IMPORT_STRINGS,
    RENAMED_MESSAGE,
    RENAMED_RESOURCE_OPTIONS,
    RENAMED_SETTINGS,
    SETTINGS_NAME,
    delegation_settings,
    import_from_setting,
    setting_name,
    with_new_names,
)
from .durations import format_duration
from .keys import ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS, KEY_OPTIONS, key_from_entry
from .metadata import is_documentation_url, is_https_issuer, metadata_is_mounted
from .resources import ACTIONS, IMPORT_OPTIONS, OBJECT_VISIBILITIES, RATE_OPTIONS, RESOURCE_OPTIONS
from .scopes import is_valid_scope_token
from .throttling import CACHE_FAILURE_POLICIES, is_valid_rate
from .tokens import RELAXABLE_CLAIMS

if TYPE_CHECKING:
    from django.apps import AppConfig

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


def _setting(name: str) -> Any:
    """A setting as written (under its old name, too), or its default; nothing is resolved."""
    user_settings = with_new_names(delegation_settings.user_settings, RENAMED_SETTINGS)
    return user_settings.get(name, DEFAULTS[name])


@register(Tags.security, Tags.compatibility)
def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Validate every ``APP_DELEGATION`` value without resolving anything lazily."""
    user_settings = delegation_settings.user_settings
    messages: list[CheckMessage] = []
    if not isinstance(user_settings, dict):
        return [
            Error(_("%(setting)s must be a dict.") % {"setting": SETTINGS_NAME}, id=f"{ID}.E011")
        ]

    unknown = sorted(set(user_settings) - set(DEFAULTS) - set(RENAMED_SETTINGS))
    for key in unknown:
        messages.append(
            Error(
                _("Unknown %(setting)s key %(key)s.")
                % {"setting": SETTINGS_NAME, "key": repr(key)},
                hint=_("Check the spelling against the settings reference."),
                id=f"{ID}.E003",
            )
        )
    messages.extend(_check_renamed(user_settings, RENAMED_SETTINGS))

    if _setting("SIGNING_KEYS") is not None:
        messages.extend(_check_key_list(user_settings))
    algorithm = _setting("ALGORITHM")
    key = _setting("SIGNING_KEY")
    if algorithm not in HMAC_ALGORITHMS and algorithm not in ASYMMETRIC_ALGORITHMS:
        messages.append(
            Error(
                _("%(setting)s %(value)s is not supported.")
                % {"setting": setting_name("ALGORITHM"), "value": repr(algorithm)},
                hint=_("Use HS256, HS384, HS512, or RS/PS/ES*, EdDSA with VERIFYING_KEY."),
                id=f"{ID}.E007",
            )
        )
    if not key and _setting("SIGNING_KEYS") is None:
        messages.append(
            Error(
                _("%(setting)s is not set.") % {"setting": setting_name("SIGNING_KEY")},
                hint=_("Set it from the environment to a random value of at least 32 bytes."),
                id=f"{ID}.E001",
            )
        )
    elif key and algorithm in HMAC_ALGORITHMS:
        size = len(key.encode() if isinstance(key, str) else key)
        if size < HMAC_ALGORITHMS[algorithm]:
            messages.append(
                Error(
                    _(
                        "%(setting)s is %(size)d bytes; %(algorithm)s needs at least "
                        "%(minimum)d (RFC 7518 §3.2)."
                    )
                    % {
                        "setting": setting_name("SIGNING_KEY"),
                        "size": size,
                        "algorithm": algorithm,
                        "minimum": HMAC_ALGORITHMS[algorithm],
                    },
                    hint=_("Generate one with: %(command)s")
                    % {"command": 'python -c "import secrets; print(secrets.token_urlsafe(64))"'},
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
        # A description may be a lazy translation (gettext_lazy).
        is_valid_scope_token(name) and isinstance(label, str | Promise)
        for name, label in scopes.items()
    ):
        messages.append(
            Error(
                _(
                    "%(setting)s must map scope names (no spaces, quotes or backslashes) to "
                    "descriptions."
                )
                % {"setting": setting_name("SCOPES")},
                hint=_("For example %(example)s.") % {"example": '{"rooms:list": "List rooms"}'},
                id=f"{ID}.E005",
            )
        )

    for name, minimum in DURATION_SETTINGS.items():
        value = _setting(name)
        if not isinstance(value, timedelta) or value < minimum:
            messages.append(
                Error(
                    _("%(setting)s must be a positive datetime.timedelta.")
                    % {"setting": setting_name(name)},
                    id=f"{ID}.E009",
                )
            )

    required = _setting("REQUIRED_CLAIMS")
    if not isinstance(required, list | tuple | set | frozenset) or not set(required) <= (
        RELAXABLE_CLAIMS
    ):
        messages.append(
            Error(
                _("%(setting)s must list claims among %(claims)s.")
                % {
                    "setting": setting_name("REQUIRED_CLAIMS"),
                    "claims": ", ".join(sorted(RELAXABLE_CLAIMS)),
                },
                hint=_("exp is always required, iss and aud whenever ISSUER and AUDIENCE are set."),
                id=f"{ID}.E010",
            )
        )

    if _setting("THROTTLE_CACHE_FAILURE") not in CACHE_FAILURE_POLICIES:
        messages.append(
            Error(
                _("%(setting)s must be %(values)s.")
                % {
                    "setting": setting_name("THROTTLE_CACHE_FAILURE"),
                    "values": _either(CACHE_FAILURE_POLICIES),
                },
                id=f"{ID}.E014",
            )
        )
    messages.extend(_check_limits())
    messages.extend(_check_lifetimes())
    messages.extend(_check_discovery())
    messages.extend(_check_assertions())
    messages.extend(_check_audit())
    messages.extend(_check_resources())
    messages.extend(_check_revocation(required))

    if not _setting("AUDIENCE"):
        messages.append(
            Warning(
                _("%(setting)s is not set: tokens are not bound to this service.")
                % {"setting": setting_name("AUDIENCE")},
                hint=_("Set it to this API's base URL so other services reject its tokens."),
                id=f"{ID}.W001",
            )
        )
    return messages


def _check_revocation(required: object) -> list[CheckMessage]:
    """E033-E034 for ``INTROSPECTION_SUBJECT_FIELD``; W008-W009 for tokens revocation cannot
    tell apart (``REQUIRED_CLAIMS`` without ``jti`` or ``iat``)."""
    messages: list[CheckMessage] = []
    field = _setting("INTROSPECTION_SUBJECT_FIELD")
    setting = setting_name("INTROSPECTION_SUBJECT_FIELD")
    if field is not None and (not isinstance(field, str) or not field):
        messages.append(
            Error(
                _("%(setting)s must be None or the name of a user field.") % {"setting": setting},
                id=f"{ID}.E033",
            )
        )
    elif field is not None and not _user_model_has(field):
        messages.append(
            Error(
                _("%(setting)s: the user model has no field %(field)s.")
                % {"setting": setting, "field": repr(field)},
                hint=_("Name the field a resource server maps users by, such as sub."),
                id=f"{ID}.E034",
            )
        )
    if isinstance(required, list | tuple | set | frozenset):
        if "jti" not in required:
            messages.append(
                Warning(
                    _(
                        "%(setting)s does not require jti: a token without one cannot be revoked "
                        "on its own (the revocation endpoint answers unsupported_token_type)."
                    )
                    % {"setting": setting_name("REQUIRED_CLAIMS")},
                    hint=_("Revoke every token of the user instead (revoke_delegation)."),
                    id=f"{ID}.W008",
                )
            )
        if "iat" not in required:
            messages.append(
                Warning(
                    _(
                        "%(setting)s does not require iat: once a user's tokens are revoked, a "
                        "token without iat is refused until the revocation is pruned, whenever "
                        "it was issued."
                    )
                    % {"setting": setting_name("REQUIRED_CLAIMS")},
                    hint=_("Require iat once the tokens minted without it have expired."),
                    id=f"{ID}.W009",
                )
            )
    return messages


def _user_model_has(name: str) -> bool:
    from django.contrib.auth import get_user_model

    try:
        return hasattr(get_user_model(), name)
    except ImproperlyConfigured:  # Django's own checks report a missing user model.
        return True


def _either(values: Sequence[str]) -> str:
    """``"a" or "b"``, quoted, in the active language."""
    return str(get_text_list([f'"{value}"' for value in values], _("or")))


def _rate_hint() -> str:
    return _('A rate is "<number>/<second|minute|hour|day>", e.g. "300/minute", or None.')


def _not_a_rate(name: str) -> CheckMessage:
    return Error(
        _("%(setting)s is not a rate.") % {"setting": name}, hint=_rate_hint(), id=f"{ID}.E024"
    )


def _check_limits() -> list[CheckMessage]:
    """E024-E027 for the limits and the lockout; W002 for client IPs taken from the client."""
    messages: list[CheckMessage] = [
        _not_a_rate(setting_name(name))
        for name in RATE_SETTINGS
        if not is_valid_rate(_setting(name))
    ]
    messages.extend(_check_rate_map(_setting("TOKEN_RATE_OVERRIDES"), "TOKEN_RATE_OVERRIDES"))

    failures = _setting("TOKEN_LOCKOUT_FAILURES")
    if failures is not None and (
        not isinstance(failures, int) or isinstance(failures, bool) or failures < 0
    ):
        messages.append(
            Error(
                _("%(setting)s must be a number of failures (0 or None: no lockout).")
                % {"setting": setting_name("TOKEN_LOCKOUT_FAILURES")},
                id=f"{ID}.E026",
            )
        )

    alias = _setting("THROTTLE_CACHE")
    if not isinstance(alias, str) or alias not in settings.CACHES:
        messages.append(
            Error(
                _("%(setting)s %(alias)s is not an alias of CACHES.")
                % {"setting": setting_name("THROTTLE_CACHE"), "alias": repr(alias)},
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
                _(
                    "%(setting)s is not set: the limits per client IP and the lockout take the "
                    "address from the X-Forwarded-For header the client sends, which anyone can "
                    "vary to escape them."
                )
                % {"setting": 'REST_FRAMEWORK["NUM_PROXIES"]'},
                hint=_("Set it to the number of proxies in front of the application (0 for none)."),
                id=f"{ID}.W002",
            )
        )
    return messages


def _check_rate_map(value: object, *path: str) -> list[CheckMessage]:
    """E025 unless ``value`` maps names to rates; E024 for each entry that is not a rate."""
    if value is None:
        return []
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        return [
            Error(
                _("%(setting)s must be a dict of rates.") % {"setting": setting_name(*path)},
                hint=_rate_hint(),
                id=f"{ID}.E025",
            )
        ]
    return [
        _not_a_rate(setting_name(*path, key))
        for key, rate in value.items()
        if not is_valid_rate(rate)
    ]


def _check_lifetimes() -> list[CheckMessage]:
    """E029 for the secret overlap's bound, E030 and E031 for the access tokens' maximum."""
    messages: list[CheckMessage] = []
    overlap = _setting("CLIENT_SECRET_OVERLAP_MAX_LIFETIME")
    if not isinstance(overlap, timedelta) or overlap < timedelta(0):
        messages.append(
            Error(
                _("%(setting)s must be a datetime.timedelta, 0 or more.")
                % {"setting": setting_name("CLIENT_SECRET_OVERLAP_MAX_LIFETIME")},
                hint=_("0 turns off keeping the old secret on rotation."),
                id=f"{ID}.E029",
            )
        )
    maximum = _setting("MAX_ACCESS_TOKEN_LIFETIME")
    if maximum is None:
        return messages
    if not isinstance(maximum, timedelta) or maximum < timedelta(seconds=1):
        messages.append(
            Error(
                _("%(setting)s must be None or a datetime.timedelta of one second or more.")
                % {"setting": setting_name("MAX_ACCESS_TOKEN_LIFETIME")},
                id=f"{ID}.E030",
            )
        )
        return messages
    lifetime = _setting("ACCESS_TOKEN_LIFETIME")
    if isinstance(lifetime, timedelta) and maximum < lifetime:
        messages.append(
            Error(
                _("%(maximum)s is shorter than %(setting)s.")
                % {
                    "maximum": setting_name("MAX_ACCESS_TOKEN_LIFETIME"),
                    "setting": setting_name("ACCESS_TOKEN_LIFETIME"),
                },
                hint=_("The default lifetime is one an application may have: raise the maximum."),
                id=f"{ID}.E031",
            )
        )
    return messages


#: The longest ``ASSERTION_MAX_LIFETIME`` without a warning, and the largest ``ASSERTION_LEEWAY``.
ASSERTION_LIFETIME_WARNING = timedelta(hours=1)
ASSERTION_MAX_LEEWAY = timedelta(minutes=5)


def _check_assertions() -> list[CheckMessage]:
    """E037, W010: ``ASSERTION_MAX_LIFETIME``; E038: ``ASSERTION_LEEWAY``."""
    messages: list[CheckMessage] = []
    lifetime = _setting("ASSERTION_MAX_LIFETIME")
    if not isinstance(lifetime, timedelta) or lifetime < timedelta(seconds=1):
        messages.append(
            Error(
                _("%(setting)s must be a positive datetime.timedelta.")
                % {"setting": setting_name("ASSERTION_MAX_LIFETIME")},
                id=f"{ID}.E037",
            )
        )
    elif lifetime > ASSERTION_LIFETIME_WARNING:
        messages.append(
            Warning(
                _(
                    "%(setting)s is longer than an hour: a stolen assertion stays usable longer, "
                    "and the used assertions are kept longer."
                )
                % {"setting": setting_name("ASSERTION_MAX_LIFETIME")},
                hint=_("Keep it at an hour or less; clients sign a fresh assertion each time."),
                id=f"{ID}.W010",
            )
        )
    leeway = _setting("ASSERTION_LEEWAY")
    if not isinstance(leeway, timedelta) or leeway < timedelta(0) or leeway > ASSERTION_MAX_LEEWAY:
        messages.append(
            Error(
                _("%(setting)s must be a datetime.timedelta from 0 to 5 minutes.")
                % {"setting": setting_name("ASSERTION_LEEWAY")},
                id=f"{ID}.E038",
            )
        )
    return messages


def _check_discovery() -> list[CheckMessage]:
    """E032 unless ``SERVICE_DOCUMENTATION_URL`` is None, an http(s) URL or a site path."""
    value = _setting("SERVICE_DOCUMENTATION_URL")
    if value is None or (isinstance(value, str) and is_documentation_url(value)):
        return []
    return [
        Error(
            _("%(setting)s must be None, an http(s) URL or a path starting with /.")
            % {"setting": setting_name("SERVICE_DOCUMENTATION_URL")},
            hint=_("For example %(example)s.") % {"example": '"https://docs.example.org/api/"'},
            id=f"{ID}.E032",
        )
    ]


def _check_audit() -> list[CheckMessage]:
    """E028 unless ``AUDIT_DESTINATIONS`` lists known destinations."""
    destinations = _setting("AUDIT_DESTINATIONS")
    if not isinstance(destinations, list | tuple) or not set(destinations) <= set(DESTINATIONS):
        return [
            Error(
                _("%(setting)s must list destinations among %(values)s (or none).")
                % {
                    "setting": setting_name("AUDIT_DESTINATIONS"),
                    "values": ", ".join(f'"{destination}"' for destination in DESTINATIONS),
                },
                id=f"{ID}.E028",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_throttle_cache(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W005 (deployment): the limits count in a cache that server processes do not share."""
    alias = _setting("THROTTLE_CACHE")
    options = settings.CACHES.get(alias) if isinstance(alias, str) else None
    backend = options.get("BACKEND") if isinstance(options, dict) else None
    if not isinstance(backend, str) or backend not in UNSHARED_CACHE_BACKENDS:
        return []
    return [
        Warning(
            _(
                "%(setting)s is %(alias)s, a %(backend)s: each server process counts the limits "
                "and the lockout on its own (a DummyCache, not at all)."
            )
            % {
                "setting": setting_name("THROTTLE_CACHE"),
                "alias": repr(alias),
                "backend": backend.rsplit(".", 1)[-1],
            },
            hint=_("Point it to a cache every process shares, such as Redis."),
            id=f"{ID}.W005",
        )
    ]


@register(Tags.security, Tags.urls, deploy=True)
def check_issuer_for_discovery(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W006 (deployment): the metadata is served for an issuer that is not an https URL."""
    if not metadata_is_mounted() or is_https_issuer(_setting("ISSUER")):
        return []
    return [
        Warning(
            _(
                "The authorization server metadata is served, but %(setting)s is not an https URL "
                "without query or fragment (RFC 8414 §2): clients that validate the metadata "
                "reject it."
            )
            % {"setting": setting_name("ISSUER")},
            hint=_("Set it to the https URL of this service, e.g. %(example)s.")
            % {"example": '"https://meet.example.org"'},
            id=f"{ID}.W006",
        )
    ]


def _check_renamed(
    values: Mapping[str, object], renames: Mapping[str, str], *path: str
) -> list[CheckMessage]:
    """W003 for each key spelt with its old name; E023 when its new name is set as well."""
    messages: list[CheckMessage] = []
    for old in sorted(values.keys() & renames.keys()):
        new = renames[old]
        if new in values:
            messages.append(
                Error(
                    _("%(old)s and %(new)s are both set.")
                    % {"old": setting_name(*path, old), "new": setting_name(*path, new)},
                    hint=_('Remove "%(old)s", the old name of "%(new)s".')
                    % {"old": old, "new": new},
                    id=f"{ID}.E023",
                )
            )
        else:
            message = _(RENAMED_MESSAGE) % {"setting": setting_name(*path, old), "new": new}
            messages.append(Warning(message, id=f"{ID}.W003"))
    return messages


def _check_import(value: object, setting: str) -> list[CheckMessage]:
    """E004 for a dotted path (or one in a list) that does not import; E015 for a non-callable."""
    messages: list[CheckMessage] = []
    for item in value if isinstance(value, list | tuple) else [value]:
        try:
            imported = import_from_setting(item, setting)
        except ImproperlyConfigured as exc:
            message = _("%(setting)s: cannot import %(path)s: %(error)s.") % {
                "setting": setting,
                "path": repr(item),
                "error": exc.__cause__ or exc,
            }
            messages.append(Error(message, id=f"{ID}.E004"))
            continue
        if not callable(imported):
            messages.append(
                Error(
                    _("%(setting)s must be a dotted path or a callable.") % {"setting": setting},
                    id=f"{ID}.E015",
                )
            )
    return messages


def _check_resources() -> list[CheckMessage]:
    messages: list[CheckMessage] = []

    def error(message: str, id_: str) -> None:
        messages.append(Error(message, id=f"{ID}.{id_}"))

    visibilities = _either(OBJECT_VISIBILITIES)
    must_be = _("%(setting)s must be %(values)s.")
    if _setting("OBJECT_VISIBILITY") not in OBJECT_VISIBILITIES:
        error(
            must_be % {"setting": setting_name("OBJECT_VISIBILITY"), "values": visibilities}, "E013"
        )
    resources = _setting("RESOURCES")
    if not isinstance(resources, dict):
        error(
            _("%(setting)s must map route names to dicts of options.")
            % {"setting": setting_name("RESOURCES")},
            "E012",
        )
        return messages
    for name, options in resources.items():
        if not isinstance(options, dict) or not isinstance(name, str) or not name:
            error(
                _("%(setting)s: %(name)s must be a route name mapped to a dict of options.")
                % {"setting": setting_name("RESOURCES"), "name": repr(name)},
                "E012",
            )
            continue
        messages.extend(_check_renamed(options, RENAMED_RESOURCE_OPTIONS, "RESOURCES", name))
        options = with_new_names(options, RENAMED_RESOURCE_OPTIONS)
        option_name = partial(setting_name, "RESOURCES", name)
        if name == "application":
            error(
                _("%(setting)s: 'application' is the token endpoint's route.")
                % {"setting": option_name()},
                "E016",
            )
        for option in sorted(set(options) - RESOURCE_OPTIONS):
            error(
                _("%(setting)s has an unknown option %(option)s.")
                % {"setting": option_name(), "option": repr(option)},
                "E017",
            )
        for option in ("MODEL", "SERIALIZER_CLASS"):
            if not options.get(option):
                error(
                    _("%(setting)s needs %(option)s.")
                    % {"setting": option_name(), "option": option},
                    "E018",
                )
        if options.get("MODEL"):
            try:
                apps.get_model(options["MODEL"])
            except (LookupError, ValueError):
                error(
                    _("%(setting)s: no installed model %(model)s.")
                    % {"setting": option_name("MODEL"), "model": repr(options["MODEL"])},
                    "E019",
                )
        for option in IMPORT_OPTIONS:
            if options.get(option):
                messages.extend(_check_import(options[option], option_name(option)))
        if "ACTIONS" in options and not options["ACTIONS"]:
            error(
                _("%(setting)s must allow at least one action.")
                % {"setting": option_name("ACTIONS")},
                "E020",
            )
        for option in ("ACTIONS", "ACTION_SCOPES"):
            unknown = sorted(set(options.get(option) or ()) - set(ACTIONS))
            if unknown:
                error(
                    _("%(setting)s: unknown action(s) %(actions)s.")
                    % {"setting": option_name(option), "actions": ", ".join(unknown)},
                    "E021",
                )
        for action, scope in (options.get("ACTION_SCOPES") or {}).items():
            if not is_valid_scope_token(scope):
                error(
                    _("%(setting)s must be one scope name.")
                    % {"setting": option_name("ACTION_SCOPES", action)},
                    "E022",
                )
        if options.get("OBJECT_VISIBILITY") not in (None, *OBJECT_VISIBILITIES):
            error(
                must_be % {"setting": option_name("OBJECT_VISIBILITY"), "values": visibilities},
                "E013",
            )
        # Extra actions are limited like the built-in ones (their names are checked E053).
        extra_actions = options.get("EXTRA_ACTIONS")
        limited = {*ACTIONS, *(extra_actions if isinstance(extra_actions, dict) else ())}
        for option in RATE_OPTIONS.values():
            rates = options.get(option)
            messages.extend(_check_rate_map(rates, "RESOURCES", name, option))
            if isinstance(rates, dict):
                unknown = sorted(set(map(str, rates)) - limited)
                if unknown:
                    error(
                        _("%(setting)s: unknown action(s) %(actions)s.")
                        % {"setting": option_name(option), "actions": ", ".join(unknown)},
                        "E021",
                    )
    return messages


#: The settings of the single-key form, which ``SIGNING_KEYS`` replaces.
SINGLE_KEY_SETTINGS = ("SIGNING_KEY", "VERIFYING_KEY", "ALGORITHM", "KEY_ID")


def _check_key_list(user_settings: Mapping[str, Any]) -> list[CheckMessage]:
    """The rules of ``SIGNING_KEYS`` (E070-E079, W070), one id each."""
    entries = _setting("SIGNING_KEYS")
    messages: list[CheckMessage] = []
    if (
        not isinstance(entries, list | tuple)
        or not entries
        or not all(isinstance(entry, dict) for entry in entries)
    ):
        return [
            Error(
                _("%(setting)s must be a non-empty list of dicts.")
                % {"setting": setting_name("SIGNING_KEYS")},
                hint=_("Leave it unset to use SIGNING_KEY, VERIFYING_KEY and ALGORITHM."),
                id=f"{ID}.E070",
            )
        ]
    both = [name for name in SINGLE_KEY_SETTINGS if user_settings.get(name) is not None]
    if both:
        messages.append(
            Error(
                _("%(setting)s is set together with %(others)s.")
                % {"setting": setting_name("SIGNING_KEYS"), "others": ", ".join(both)},
                hint=_("Describe every key in SIGNING_KEYS and remove the single-key settings."),
                id=f"{ID}.E071",
            )
        )
    seen: set[str] = set()
    now = timezone.now()
    for index, entry in enumerate(entries):
        name = setting_name("SIGNING_KEYS") + f"[{index}]"
        unknown = sorted(set(entry) - KEY_OPTIONS)
        if unknown:
            messages.append(
                Error(
                    _("%(setting)s: unknown option(s) %(options)s.")
                    % {"setting": name, "options": ", ".join(map(repr, unknown))},
                    hint=_("The options are %(options)s.")
                    % {"options": ", ".join(sorted(KEY_OPTIONS))},
                    id=f"{ID}.E072",
                )
            )
        kid = entry.get("KID")
        if not isinstance(kid, str) or not kid:
            messages.append(
                Error(
                    _("%(setting)s needs a KID (a non-empty string).") % {"setting": name},
                    id=f"{ID}.E073",
                )
            )
        elif kid in seen:
            messages.append(
                Error(
                    _("%(setting)s: the KID %(kid)s is used by an earlier key.")
                    % {"setting": name, "kid": repr(kid)},
                    hint=_("Each key needs its own KID: tokens name their key by it."),
                    id=f"{ID}.E074",
                )
            )
        else:
            seen.add(kid)
        algorithm = entry.get("ALGORITHM")
        if algorithm in HMAC_ALGORITHMS:
            messages.extend(_check_listed_secret(name, entry, algorithm))
        elif algorithm in ASYMMETRIC_ALGORITHMS:
            messages.extend(_check_listed_key_pair(name, entry, algorithm))
        else:
            messages.append(
                Error(
                    _("%(setting)s: ALGORITHM %(value)s is not supported.")
                    % {"setting": name, "value": repr(algorithm)},
                    hint=_("Use HS256, HS384, HS512, RS*, PS*, ES* or EdDSA."),
                    id=f"{ID}.E075",
                )
            )
        retired = entry.get("RETIRED", False)
        until = entry.get("VERIFY_UNTIL")
        if (
            not isinstance(retired, bool)
            or (until is not None and not (isinstance(until, datetime) and is_aware(until)))
            or (retired and until is not None)
        ):
            messages.append(
                Error(
                    _(
                        "%(setting)s: RETIRED must be True or False and VERIFY_UNTIL a "
                        "timezone-aware datetime, not both."
                    )
                    % {"setting": name},
                    id=f"{ID}.E078",
                )
            )
        elif isinstance(until, datetime) and until <= now:
            messages.append(
                Warning(
                    _("%(setting)s: VERIFY_UNTIL has passed; the key verifies nothing any more.")
                    % {"setting": name},
                    hint=_("Remove the key from the list, or mark it RETIRED."),
                    id=f"{ID}.W070",
                )
            )
    if not messages and not any(key_from_entry(entry).may_sign for entry in entries):
        messages.append(
            Error(
                _("%(setting)s has no key that may sign.")
                % {"setting": setting_name("SIGNING_KEYS")},
                hint=_(
                    "The first key that is neither RETIRED nor given a VERIFY_UNTIL, and has its "
                    "SECRET or PRIVATE_KEY, signs new tokens."
                ),
                id=f"{ID}.E079",
            )
        )
    return messages


def _check_listed_secret(name: str, entry: Mapping[str, Any], algorithm: str) -> list[CheckMessage]:
    secret = entry.get("SECRET")
    minimum = HMAC_ALGORITHMS[algorithm]
    size = len(secret.encode() if isinstance(secret, str) else secret) if secret else 0
    if (
        isinstance(secret, str | bytes)
        and size >= minimum
        and not (set(entry) & {"PRIVATE_KEY", "PUBLIC_KEY"})
    ):
        return []
    return [
        Error(
            _(
                "%(setting)s: %(algorithm)s needs a SECRET of at least %(minimum)d bytes, "
                "and no PEM key."
            )
            % {"setting": name, "algorithm": algorithm, "minimum": minimum},
            hint=_("Generate one with: %(command)s")
            % {"command": "python manage.py generate_signing_key --algorithm " + algorithm},
            id=f"{ID}.E076",
        )
    ]


def _check_listed_key_pair(
    name: str, entry: Mapping[str, Any], algorithm: str
) -> list[CheckMessage]:
    import jwt

    private, public = entry.get("PRIVATE_KEY"), entry.get("PUBLIC_KEY")
    try:
        if "SECRET" in entry:
            raise ValueError(_("SECRET is for HMAC algorithms"))
        if not private and not public:
            raise ValueError(_("neither PRIVATE_KEY nor PUBLIC_KEY is set"))
        jwt_algorithm = jwt.get_algorithm_by_name(algorithm)
        loaded_private = jwt_algorithm.prepare_key(private) if private else None
        loaded_public = jwt_algorithm.prepare_key(public) if public else None
        if loaded_private is not None and loaded_public is not None:
            derived = jwt_algorithm.to_jwk(loaded_private.public_key(), as_dict=True)
            if derived != jwt_algorithm.to_jwk(loaded_public, as_dict=True):
                raise ValueError(_("PUBLIC_KEY is not the public half of PRIVATE_KEY"))
    except Exception as exc:  # PyJWT and cryptography raise several types for bad keys
        return [
            Error(
                _("%(setting)s: the keys do not suit %(algorithm)s: %(error)s.")
                % {"setting": name, "algorithm": algorithm, "error": exc},
                hint=_("PRIVATE_KEY is the PEM private key, PUBLIC_KEY the PEM public key."),
                id=f"{ID}.E077",
            )
        ]
    return []


def _check_asymmetric_keys(algorithm: str) -> list[CheckMessage]:
    import jwt

    try:
        jwt_algorithm = jwt.get_algorithm_by_name(algorithm)
        jwt_algorithm.prepare_key(_setting("SIGNING_KEY"))
        verifying = _setting("VERIFYING_KEY")
        if not verifying:
            raise ValueError(_("VERIFYING_KEY is not set"))
        jwt_algorithm.prepare_key(verifying)
    except Exception as exc:  # PyJWT raises several types for bad keys
        return [
            Error(
                _("%(setting)s: the keys do not suit %(algorithm)s: %(error)s.")
                % {"setting": SETTINGS_NAME, "algorithm": algorithm, "error": exc},
                hint=_("SIGNING_KEY is the PEM private key, VERIFYING_KEY the PEM public key."),
                id=f"{ID}.E008",
            )
        ]
    return []


def _application_rows(
    databases: Sequence[str], *fields: str, **filters: Any
) -> Iterator[tuple[Any, ...]]:
    """The ``fields`` of the applications matching ``filters`` in each of ``databases`` (the
    database checks'); a database not migrated yet has none."""
    from .models import Application

    for database in databases:
        try:
            rows = list(Application.objects.using(database).filter(**filters).values_list(*fields))
        except DatabaseError:
            continue  # Not migrated yet.
        yield from rows


@register(Tags.database)
def check_application_scopes(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """Report applications granted scopes that ``SCOPES`` no longer defines."""
    if not databases:
        return []
    from .scopes import known_scopes

    vocabulary = known_scopes()
    messages: list[CheckMessage] = []
    for client_id, scopes in _application_rows(databases, "client_id", "scopes"):
        unknown = [s for s in scopes or () if str(s).lower() not in vocabulary]
        if unknown:
            messages.append(
                Error(
                    _("Application %(client_id)s has scopes missing from %(setting)s: %(scopes)s.")
                    % {
                        "client_id": client_id,
                        "setting": setting_name("SCOPES"),
                        "scopes": ", ".join(map(str, unknown)),
                    },
                    hint=_("Add them to SCOPES or remove them from the application."),
                    id=f"{ID}.E006",
                )
            )
    return messages


@register(Tags.database)
def check_application_lifetimes(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """W007: applications whose access-token lifetime exceeds the maximum (their tokens are cut)."""
    if not databases:
        return []
    from .tokens import max_access_token_lifetime

    try:
        maximum = max_access_token_lifetime()
    except TypeError:  # E009 or E030 reports the settings.
        return []
    messages: list[CheckMessage] = []
    rows = _application_rows(
        databases, "client_id", "access_token_lifetime", access_token_lifetime__gt=maximum
    )
    for client_id, lifetime in rows:
        assert lifetime is not None  # Greater than the maximum.
        messages.append(
            Warning(
                _(
                    "Application %(client_id)s has an access token lifetime of %(lifetime)s, "
                    "longer than %(setting)s: its tokens last %(maximum)s."
                )
                % {
                    "client_id": client_id,
                    "lifetime": format_duration(lifetime),
                    "setting": setting_name("MAX_ACCESS_TOKEN_LIFETIME"),
                    "maximum": format_duration(maximum),
                },
                hint=_("Shorten the application's lifetime, or raise the maximum."),
                id=f"{ID}.W007",
            )
        )
    return messages


@register(Tags.database)
def check_application_credentials(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """E039: stored public keys that are not a valid JWK Set; W011: an application with neither
    a secret nor a public key, which nothing authenticates."""
    if not databases:
        return []
    from django.core.exceptions import ValidationError

    from .client_keys import validate_public_key_set
    from .models import Application

    messages: list[CheckMessage] = []
    rows = _application_rows(databases, "client_id", "client_secret", "public_keys")
    for client_id, secret, public_keys in rows:
        try:
            validate_public_key_set(public_keys)
        except ValidationError as exc:
            messages.append(
                Error(
                    _("Application %(client_id)s has invalid public keys: %(error)s")
                    % {"client_id": client_id, "error": " ".join(exc.messages)},
                    hint=_("Register its keys again in the admin."),
                    id=f"{ID}.E039",
                )
            )
            continue
        if not Application(client_secret=secret, public_keys=public_keys).can_authenticate:
            messages.append(
                Warning(
                    _(
                        "Application %(client_id)s has neither a client secret nor a public "
                        "key: it cannot authenticate."
                    )
                    % {"client_id": client_id},
                    hint=_("Regenerate its secret or register a public key in the admin."),
                    id=f"{ID}.W011",
                )
            )
    return messages


#: The user lookups that compare ``LOWER(<email field>)`` (the package's own hooks).
LOWER_EMAIL_LOOKUP_HOOKS = frozenset(
    {
        "django_app_delegation.hooks.get_delegated_user",
        "django_app_delegation.contrib.lasuite.provisioning.get_delegated_user",
    }
)


@register(Tags.models)
def check_user_email_index(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W040: on PostgreSQL, the default user lookup has no index on ``Lower(<email field>)``."""
    from django.contrib.auth import get_user_model
    from django.db import connections, router

    hook = _setting("GET_DELEGATED_USER")
    if not isinstance(hook, str):
        hook = f"{getattr(hook, '__module__', '')}.{getattr(hook, '__qualname__', '')}"
    if hook not in LOWER_EMAIL_LOOKUP_HOOKS:
        return []  # A project's own hook: its own query, its own index.
    try:
        user_model = get_user_model()
    except ImproperlyConfigured:  # Django's own checks report it.
        return []
    if connections[router.db_for_read(user_model)].vendor != "postgresql":
        return []  # SQLite and MariaDB compare case-insensitively without it (see the docs).
    field = user_model.get_email_field_name()
    if has_lower_index(user_model, field):
        return []
    return [
        Warning(
            _(
                'The user model %(model)s has no index on Lower("%(field)s"): the default '
                "GET_DELEGATED_USER hook reads the whole user table on every token request."
            )
            % {"model": user_model._meta.label, "field": field},
            hint=_(
                'Add models.Index(Lower("%(field)s"), name="...") to its Meta.indexes (or a '
                'UniqueConstraint on Lower("%(field)s") without a condition) and migrate; '
                "silence %(id)s if the database has such an index that the model does not "
                "declare."
            )
            % {"field": field, "id": f"{ID}.W040"},
            obj=user_model,
            id=f"{ID}.W040",
        )
    ]


def has_lower_index(model: type[Any], field: str) -> bool:
    """Whether an index or unique constraint of ``model`` without a condition leads with
    ``Lower(field)``: what serves ``WHERE LOWER(field) = LOWER(%s)`` on PostgreSQL."""
    from django.db.models import F, OrderBy, UniqueConstraint
    from django.db.models.functions import Lower

    candidates = [
        *model._meta.indexes,
        *(c for c in model._meta.constraints if isinstance(c, UniqueConstraint)),
    ]
    for candidate in candidates:
        expressions = getattr(candidate, "expressions", ())
        if getattr(candidate, "condition", None) is not None or not expressions:
            continue
        leading = expressions[0]
        if isinstance(leading, OrderBy):  # Lower("email").desc()
            leading = leading.expression
        if isinstance(leading, Lower):
            source = leading.get_source_expressions()[0]
            if isinstance(source, F) and getattr(source, "name", None) == field:
                return True
    return False


@register(Tags.security, Tags.urls)
def check_scope_views_authentication(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W004: a view of the URLconf checks scopes but cannot authenticate delegated tokens."""
    from django.urls import get_resolver

    try:
        patterns = get_resolver().url_patterns
    except Exception:  # Django's own URL checks report a broken URLconf.
        return []
    messages: list[CheckMessage] = []
    seen: set[Any] = set()
    for route, callback in _routes(patterns):
        view_class = getattr(callback, "cls", None)
        key = (view_class, repr(getattr(callback, "initkwargs", None)))
        if view_class is None or key in seen:
            continue
        seen.add(key)
        scope_permissions = _scope_permissions(callback)
        if scope_permissions and not _authenticates_delegated_tokens(callback):
            name = f"{view_class.__module__}.{view_class.__qualname__}"
            messages.append(
                Warning(
                    f"{name} (/{route}) checks scopes with {', '.join(scope_permissions)} but "
                    "its authentication classes do not include DelegatedTokenAuthentication: "
                    "delegated tokens are never accepted there.",
                    hint="Add django_app_delegation.authentication.DelegatedTokenAuthentication "
                    "first to the view's authentication_classes (or to REST_FRAMEWORK"
                    '["DEFAULT_AUTHENTICATION_CLASSES"]); silence this warning if the view is '
                    "meant for other tokens only.",
                    obj=view_class,
                    id=f"{ID}.W004",
                )
            )
    return messages


def _routes(patterns: Any, prefix: str = "") -> Any:
    """Yield ``(route, callback)`` for every view of the URLconf."""
    from django.urls import URLResolver

    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route, pattern.callback


def _view_instance(callback: Any) -> Any:
    """The view DRF would build for ``callback`` (``as_view``'s class and keyword arguments)."""
    view = callback.cls(**getattr(callback, "initkwargs", {}))
    actions = getattr(callback, "actions", None)
    if actions:
        view.action_map = actions
        view.action = next(iter(actions.values()))
    view.request = None
    view.args, view.kwargs = (), {}
    return view


def _instances(callback: Any, method: str, attribute: str) -> list[Any]:
    """``view.<method>()`` where it works without a request, else the classes' instances."""
    try:
        return list(getattr(_view_instance(callback), method)())
    except Exception:  # A get_*() that needs a request: use the attribute.
        return [item() for item in getattr(callback.cls, attribute, ())]


def _scope_permissions(callback: Any) -> list[str]:
    """Names of the scope permissions of the view, composed ones (``A | B``) included."""
    from .permissions import BaseScopePermission

    found: list[str] = []

    def visit(permission: Any) -> None:
        if isinstance(permission, BaseScopePermission):
            found.append(type(permission).__name__)
        for operand in ("op1", "op2"):  # DRF's AND, OR and NOT
            if hasattr(permission, operand):
                visit(getattr(permission, operand))

    try:
        permissions = _instances(callback, "get_permissions", "permission_classes")
    except Exception:  # Permissions that need arguments: nothing to say.
        return []
    for permission in permissions:
        visit(permission)
    return list(dict.fromkeys(found))


def _authenticates_delegated_tokens(callback: Any) -> bool:
    from .authentication import DelegatedTokenAuthentication

    try:
        authenticators = _instances(callback, "get_authenticators", "authentication_classes")
    except Exception:  # Authenticators that need arguments: assume they do.
        return True
    return any(isinstance(auth, DelegatedTokenAuthentication) for auth in authenticators)
