"""OpenAPI details of the rooms API that drf-spectacular cannot infer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension


class RoomSerializerExtension(OpenApiSerializerExtension):
    """Document ``url`` and ``telephony`` as optional: some services never return them."""

    target_class = "rooms.serializers.RoomSerializer"

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        optional = set(self.target.optional_fields)
        required = [name for name in schema.get("required", []) if name not in optional]
        if required:
            schema["required"] = required
        else:
            schema.pop("required", None)
        return schema
