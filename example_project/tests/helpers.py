"""Constants and helpers shared by the example project's tests."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from django.conf import settings

API = "/external-api/v1.0"
TOKEN_URL = f"{API}/application/token/"
ROOMS_URL = f"{API}/rooms/"
ALL_SCOPES = ["rooms:list", "rooms:retrieve", "rooms:create", "rooms:update", "rooms:delete"]


def room_url(room: Any) -> str:
    return f"{ROOMS_URL}{getattr(room, 'pk', room)}/"


def forge_token(application: Any, user: Any, **overrides: Any) -> str:
    """Sign claims like the token endpoint's with the project's key; ``None`` drops a claim."""
    now = int(time.time())
    conf = settings.APP_DELEGATION
    claims: dict[str, Any] = {
        "iss": conf["ISSUER"],
        "aud": conf["AUDIENCE"],
        "iat": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
        "sub": str(user.pk),
        "user_id": str(user.pk),
        "client_id": application.client_id,
        "act": {"sub": application.client_id},
        "delegated": True,
        "scope": " ".join(ALL_SCOPES),
    }
    key = overrides.pop("key", conf["SIGNING_KEY"])
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm="HS256", headers={"typ": "at+jwt"})
