"""OpenAPI details of the rooms API that drf-spectacular cannot infer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent

from .models import RoomAccessLevel

WRITABLE_ACCESS_LEVEL = "WritableAccessLevelEnum"


class RoomSerializerExtension(OpenApiSerializerExtension):
    """Document ``url`` and ``telephony`` as optional (some services never return them), and the
    access levels a request may set: ``public`` only where the settings allow it.
    """

    target_class = "rooms.serializers.RoomSerializer"

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        from .serializers import writable_access_levels

        schema = auto_schema._map_basic_serializer(self.target, direction)
        optional = set(self.target.optional_fields)
        required = [name for name in schema.get("required", []) if name not in optional]
        if required:
            schema["required"] = required
        else:
            schema.pop("required", None)
        writable = writable_access_levels()
        if direction == "request" and writable != list(RoomAccessLevel.values):
            # Its own component, so that the response's AccessLevelEnum keeps every level.
            component = ResolvedComponent(
                name=WRITABLE_ACCESS_LEVEL,
                type=ResolvedComponent.SCHEMA,
                object=WRITABLE_ACCESS_LEVEL,
                schema={"type": "string", "enum": writable},
            )
            auto_schema.registry.register_on_missing(component)
            schema["properties"]["access_level"] = {
                "allOf": [component.ref],
                "description": "Access levels this service lets the external API set "
                "(`public` is disabled).",
            }
        return schema


class RoomConfigurationSerializerExtension(OpenApiSerializerExtension):
    """A request's configuration may hold the documented keys only (others answer 400); a
    response's may hold keys set elsewhere in Meet.
    """

    target_class = "rooms.serializers.RoomConfigurationSerializer"

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema
