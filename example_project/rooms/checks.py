"""System checks of the Meet settings the rooms API reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from .models import PIN_CODE_MAX_LENGTH, PIN_CODE_MIN_LENGTH, RoomAccessLevel


@register()
def check_room_settings(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if settings.EXTERNAL_API_DEFAULT_ACCESS_LEVEL not in RoomAccessLevel.values:
        messages.append(
            Error(
                f"EXTERNAL_API_DEFAULT_ACCESS_LEVEL {settings.EXTERNAL_API_DEFAULT_ACCESS_LEVEL!r} "
                "is not an access level.",
                hint=f"Use one of {', '.join(RoomAccessLevel.values)}.",
                id="rooms.E001",
            )
        )
    length = settings.ROOM_TELEPHONY_PIN_LENGTH
    if not isinstance(length, int) or not PIN_CODE_MIN_LENGTH <= length <= PIN_CODE_MAX_LENGTH:
        messages.append(
            Error(
                f"ROOM_TELEPHONY_PIN_LENGTH must be between {PIN_CODE_MIN_LENGTH} and "
                f"{PIN_CODE_MAX_LENGTH} digits.",
                id="rooms.E002",
            )
        )
    retries = settings.ROOM_TELEPHONY_PIN_MAX_RETRIES
    if not isinstance(retries, int) or retries < 1:
        messages.append(
            Error("ROOM_TELEPHONY_PIN_MAX_RETRIES must be a positive integer.", id="rooms.E003")
        )
    return messages
