"""Constants and helpers shared by the example project's tests."""

from __future__ import annotations

from typing import Any

API = "/external-api/v1.0"
TOKEN_URL = f"{API}/application/token/"
ROOMS_URL = f"{API}/rooms/"
ALL_SCOPES = [
    "rooms:list",
    "rooms:retrieve",
    "rooms:create",
    "rooms:update",
    "rooms:delete",
    "rooms:grant-access",
]


def room_url(room: Any) -> str:
    return f"{ROOMS_URL}{getattr(room, 'pk', room)}/"
