"""System checks for ``APP_DELEGATION``; each rule has its own stable id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError
from django.utils.module_loading import import_string
from rest_framework.settings import api_settings

from .conf import DEFAULTS, IMPORT_STRINGS, SETTINGS_NAME, delegation_settings
from .scopes import is_valid_scope_token
from .throttling import CACHE_FAILURE_POLICIES
from .tokens import ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS, RELAXABLE_CLAIMS

ID = "django_app_delegation"
#: Import-string settings where None means "use the default" (DRF's pagination, say).
NULLABLE_IMPORT_STRINGS = frozenset({"PAGINATION_CLASS"})


def _setting(name: str) -> Any:
    return delegation_settings.user_settings.get(name, DEFAULTS[name])


@register(Tags.security, Tags.compatibility)
def check_settings(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Validate every ``APP_DELEGATION`` value without resolving anything lazily."""
    user_settings = delegation_settings.user_settings
    messages: list[CheckMessage] = []
    if not isinstance(user_settings, dict):
        return [Error(f"{SETTINGS_NAME} must be a dict.", id=f"{ID}.E011")]

    unknown = sorted(set(user_settings) - set(DEFAULTS))
    for key in unknown:
        messages.append(
            Error(
                f"Unknown {SETTINGS_NAME} key {key!r}.",
                hint="Check the spelling against the settings reference.",
                id=f"{ID}.E003",
            )
        )

    algorithm = _setting("ALGORITHM")
    key = _setting("SIGNING_KEY")
    if algorithm not in HMAC_ALGORITHMS and algorithm not in ASYMMETRIC_ALGORITHMS:
        messages.append(
            Error(
                f"{SETTINGS_NAME}['ALGORITHM'] {algorithm!r} is not supported.",
                hint="Use HS256, HS384, HS512, or RS/PS/ES*, EdDSA with VERIFYING_KEY.",
                id=f"{ID}.E007",
            )
        )
    if not key:
        messages.append(
            Error(
                f"{SETTINGS_NAME}['SIGNING_KEY'] is not set.",
                hint="Set it from the environment to a random value of at least 32 bytes.",
                id=f"{ID}.E001",
            )
        )
    elif algorithm in HMAC_ALGORITHMS:
        size = len(key.encode() if isinstance(key, str) else key)
        if size < HMAC_ALGORITHMS[algorithm]:
            messages.append(
                Error(
                    f"{SETTINGS_NAME}['SIGNING_KEY'] is {size} bytes; {algorithm} needs at "
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
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is None and name in NULLABLE_IMPORT_STRINGS:
                continue
            if isinstance(item, str):
                try:
                    item = import_string(item)
                except ImportError as exc:
                    messages.append(
                        Error(
                            f"{SETTINGS_NAME}['{name}'] cannot be imported: {exc}.",
                            id=f"{ID}.E004",
                        )
                    )
                    continue
            if not callable(item):
                messages.append(
                    Error(
                        f"{SETTINGS_NAME}['{name}'] must be a dotted path or a callable.",
                        id=f"{ID}.E004",
                    )
                )

    scopes = _setting("SCOPES")
    if not isinstance(scopes, dict) or not all(
        is_valid_scope_token(name) and isinstance(label, str) for name, label in scopes.items()
    ):
        messages.append(
            Error(
                f"{SETTINGS_NAME}['SCOPES'] must map scope names (no spaces, quotes or "
                "backslashes) to descriptions.",
                hint='For example {"rooms:list": "List rooms"}.',
                id=f"{ID}.E005",
            )
        )

    for name in ("ACCESS_TOKEN_LIFETIME", "LEEWAY"):
        value = _setting(name)
        minimum = timedelta(seconds=1) if name == "ACCESS_TOKEN_LIFETIME" else timedelta(0)
        if not isinstance(value, timedelta) or value < minimum:
            messages.append(
                Error(
                    f"{SETTINGS_NAME}['{name}'] must be a positive datetime.timedelta.",
                    id=f"{ID}.E009",
                )
            )

    required = _setting("REQUIRED_CLAIMS")
    if not isinstance(required, list | tuple | set | frozenset) or not set(required) <= (
        RELAXABLE_CLAIMS
    ):
        messages.append(
            Error(
                f"{SETTINGS_NAME}['REQUIRED_CLAIMS'] must list claims among "
                f"{', '.join(sorted(RELAXABLE_CLAIMS))}.",
                hint="exp is always required, iss and aud whenever ISSUER and AUDIENCE are set.",
                id=f"{ID}.E010",
            )
        )

    if _setting("THROTTLE_CACHE_FAILURE") not in CACHE_FAILURE_POLICIES:
        messages.append(
            Error(
                f"{SETTINGS_NAME}['THROTTLE_CACHE_FAILURE'] must be "
                + " or ".join(f'"{policy}"' for policy in CACHE_FAILURE_POLICIES)
                + ".",
                id=f"{ID}.E014",
            )
        )
    if _setting("TOKEN_VIEW_THROTTLE_CLASSES") and api_settings.NUM_PROXIES is None:
        messages.append(
            Warning(
                "REST_FRAMEWORK['NUM_PROXIES'] is not set: throttles that count by client IP "
                "take it from the X-Forwarded-For header the client sends, which anyone can vary "
                "to escape the limit.",
                hint="Set it to the number of proxies in front of the application (0 for none).",
                id=f"{ID}.W002",
            )
        )

    messages.extend(_check_resources())

    if not _setting("AUDIENCE"):
        messages.append(
            Warning(
                f"{SETTINGS_NAME}['AUDIENCE'] is not set: tokens are not bound to this service.",
                hint="Set it to this API's base URL so other services reject its tokens.",
                id=f"{ID}.W001",
            )
        )
    return messages


def _check_resources() -> list[CheckMessage]:
    from django.apps import apps

    from .viewsets import ACTIONS, LIST_SCOPES, RESOURCE_OPTIONS

    messages: list[CheckMessage] = []

    def error(message: str, id_: str) -> None:
        messages.append(Error(f"{SETTINGS_NAME}['RESOURCES']: {message}", id=f"{ID}.{id_}"))

    if _setting("LIST_SCOPE") not in LIST_SCOPES:
        error(f"LIST_SCOPE must be one of {', '.join(LIST_SCOPES)}.", "E013")
    resources = _setting("RESOURCES")
    if not isinstance(resources, dict):
        error("must map route names to option dicts.", "E012")
        return messages
    for name, options in resources.items():
        if not isinstance(options, dict) or not isinstance(name, str) or not name:
            error(f"{name!r} must map a route name to a dict of options.", "E012")
            continue
        if name == "application":
            error("'application' is the token endpoint's route; pick another name.", "E012")
        for option in sorted(set(options) - RESOURCE_OPTIONS):
            error(f"{name!r} has an unknown option {option!r}.", "E012")
        for option in ("MODEL", "SERIALIZER_CLASS"):
            if not options.get(option):
                error(f"{name!r} needs {option}.", "E012")
        if options.get("MODEL"):
            try:
                apps.get_model(options["MODEL"])
            except (LookupError, ValueError):
                error(f"{name!r}: no model {options['MODEL']!r}.", "E012")
        for option in (
            "SERIALIZER_CLASS",
            "GET_QUERYSET",
            "PERFORM_CREATE",
            "PERFORM_UPDATE",
            "PERFORM_DESTROY",
        ):
            if isinstance(options.get(option), str):
                try:
                    import_string(options[option])
                except ImportError as exc:
                    error(f"{name!r}: {option} cannot be imported: {exc}.", "E004")
        for path in options.get("PERMISSION_CLASSES") or ():
            if isinstance(path, str):
                try:
                    import_string(path)
                except ImportError as exc:
                    error(f"{name!r}: PERMISSION_CLASSES cannot be imported: {exc}.", "E004")
        if "ACTIONS" in options and not options["ACTIONS"]:
            error(f"{name!r}: ACTIONS must allow at least one action.", "E012")
        for action, scope in (options.get("SCOPES") or {}).items():
            if not is_valid_scope_token(scope):
                error(f"{name!r}: SCOPES[{action!r}] must be one scope name.", "E012")
        unknown = set(options.get("ACTIONS") or ()) - set(ACTIONS)
        unknown |= set(options.get("SCOPES") or {}) - set(ACTIONS)
        if unknown:
            error(f"{name!r}: unknown action(s) {', '.join(sorted(unknown))}.", "E012")
        if options.get("LIST_SCOPE") not in (None, *LIST_SCOPES):
            error(f"{name!r}: LIST_SCOPE must be one of {', '.join(LIST_SCOPES)}.", "E013")
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
                        f"{SETTINGS_NAME}['SCOPES']: {', '.join(map(str, unknown))}.",
                        hint="Add them to SCOPES or remove them from the application.",
                        id=f"{ID}.E006",
                    )
                )
    return messages
