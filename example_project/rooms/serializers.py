"""The external API's room representation, with Meet's secure defaults."""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from .models import ResourceAccess, RoleChoices, Room, RoomAccessLevel

PUBLISHABLE_SOURCES = ("camera", "microphone", "screen_share", "screen_share_audio")
#: Sizes of the letter groups of generated room names: ``abc-defg-hij``.
ROOM_SLUG_GROUPS = (3, 4, 3)
ROOM_SLUG_ATTEMPTS = 5


def generate_room_slug() -> str:
    """Return a random name such as ``abc-defg-hij`` (lowercase ASCII letters)."""
    return "-".join(
        "".join(secrets.choice(string.ascii_lowercase) for _index in range(size))
        for size in ROOM_SLUG_GROUPS
    )


def generate_unused_room_slug() -> str:
    """Return a generated name that no room's slug uses yet (a clash is very unlikely)."""
    for _attempt in range(ROOM_SLUG_ATTEMPTS - 1):
        slug = generate_room_slug()
        if not Room.objects.filter(slug=slug).exists():
            return slug
    return generate_room_slug()


class StrictBooleanField(serializers.BooleanField):
    """JSON ``true`` or ``false`` only, as documented: no ``"yes"``, ``1`` or ``"false"``."""

    def to_internal_value(self, data: Any) -> bool:
        if data is True or data is False:
            return data
        self.fail("invalid", input=data)


def writable_access_levels() -> list[str]:
    """The access levels the external API may set: ``public`` only where the settings allow it."""
    if settings.EXTERNAL_API_DEFAULT_ACCESS_LEVEL == RoomAccessLevel.PUBLIC or (
        settings.EXTERNAL_API_ALLOW_PUBLIC_ACCESS
    ):
        return list(RoomAccessLevel.values)
    return [level for level in RoomAccessLevel.values if level != RoomAccessLevel.PUBLIC]


class RoomConfigurationSerializer(serializers.Serializer):
    """Settings every participant of the room sees; unknown keys are refused."""

    can_publish_sources = serializers.ListField(
        child=serializers.ChoiceField(choices=PUBLISHABLE_SOURCES),
        required=False,
        allow_null=True,
        help_text=_("Sources participants may publish."),
    )
    everyone_can_mute = StrictBooleanField(
        required=False,
        allow_null=True,
        help_text=_("Whether any participant may mute the others."),
    )

    default_error_messages = {
        "unknown_key": _("Unknown key. Allowed keys: {allowed}."),
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        if isinstance(data, Mapping):
            allowed = ", ".join(self.fields)
            message = self.error_messages["unknown_key"].format(allowed=allowed)
            errors = {str(key): [message] for key in data if key not in self.fields}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = (
                exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            )
            raise serializers.ValidationError({**detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return dict(value)

    def to_representation(self, instance: Any) -> Any:
        # The stored JSON as it is: keys that were never set stay absent.
        return dict(instance) if isinstance(instance, Mapping) else instance


class RoomTelephonySerializer(serializers.Serializer):
    """How to join the room by phone."""

    enabled = serializers.BooleanField(read_only=True)
    phone_number = serializers.CharField(read_only=True, allow_null=True)
    pin_code = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("Null for rooms created without telephony.")
    )
    default_country = serializers.CharField(read_only=True, allow_null=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample("emptyBody", summary="Meet's defaults", value={}, request_only=True),
        OpenApiExample(
            "withAccessLevel",
            summary="Restricted: only invited participants skip the lobby",
            value={"access_level": "restricted"},
            request_only=True,
        ),
        OpenApiExample(
            "withConfiguration",
            summary="Everyone can mute; camera and microphone only",
            value={
                "configuration": {
                    "everyone_can_mute": True,
                    "can_publish_sources": ["camera", "microphone"],
                }
            },
            request_only=True,
        ),
        OpenApiExample(
            "room",
            summary="A room with telephony and a base URL configured",
            value={
                "id": "7d6f1b5e-3c1a-4f4e-9a51-2c0f3b8f9d10",
                "name": "abc-defg-hij",
                "slug": "abc-defg-hij",
                "access_level": "trusted",
                "configuration": {"everyone_can_mute": True},
                "url": "https://meet.example.org/abc-defg-hij",
                "telephony": {
                    "enabled": True,
                    "phone_number": "+33 1 23 45 67 89",
                    "pin_code": "0123456789",
                    "default_country": "FR",
                },
            },
            response_only=True,
        ),
    ]
)
class RoomSerializer(serializers.ModelSerializer):
    """A room as integrators see it: no member list, the PIN only inside `telephony`."""

    configuration = RoomConfigurationSerializer(required=False)
    url = serializers.SerializerMethodField(
        help_text=_("Link to join the room; present when the service has a base URL.")
    )
    telephony = serializers.SerializerMethodField(
        help_text=_("Present when telephony is enabled on the service.")
    )

    #: Output fields that only some configurations of the service return.
    optional_fields = ("url", "telephony")

    class Meta:
        model = Room
        fields = ["id", "name", "slug", "access_level", "configuration", "url", "telephony"]
        read_only_fields = ["id", "name", "slug"]

    def validate_access_level(self, value: str) -> str:
        if value not in writable_access_levels():
            raise serializers.ValidationError(_("Public rooms are disabled for the external API."))
        return value

    def create(self, validated_data: dict[str, Any]) -> Room:
        # The name is always generated; the model derives the slug from it, so name == slug.
        return Room.objects.create(
            name=generate_unused_room_slug(),
            access_level=validated_data.get(
                "access_level", settings.EXTERNAL_API_DEFAULT_ACCESS_LEVEL
            ),
            configuration=validated_data.get("configuration") or {},
        )

    def update(self, instance: Room, validated_data: dict[str, Any]) -> Room:
        for field in ("access_level", "configuration"):
            if field in validated_data:
                setattr(instance, field, validated_data[field])
        instance.save()
        return instance

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, instance: Room) -> str | None:
        base_url = settings.APPLICATION_BASE_URL
        return f"{base_url.rstrip('/')}/{instance.slug}" if base_url else None

    @extend_schema_field(RoomTelephonySerializer)
    def get_telephony(self, instance: Room) -> dict[str, Any] | None:
        if not settings.ROOM_TELEPHONY_ENABLED:
            return None
        return {
            "enabled": True,
            "phone_number": settings.ROOM_TELEPHONY_PHONE_NUMBER,
            "pin_code": instance.pin_code,
            "default_country": settings.ROOM_TELEPHONY_DEFAULT_COUNTRY,
        }

    def to_representation(self, instance: Room) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Absent, not null, when the service is not set up for them (as in Meet).
        for name in self.optional_fields:
            if data.get(name) is None:
                data.pop(name, None)
        return data


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "grantMember",
            summary="Make bob a member",
            value={"email": "bob@example.com", "role": "member"},
            request_only=True,
        ),
    ]
)
class GrantAccessSerializer(serializers.Serializer):
    """Who gets which role on the room."""

    email = serializers.EmailField(max_length=254, help_text=_("The user's e-mail address."))
    role = serializers.ChoiceField(
        choices=RoleChoices.choices,
        default=RoleChoices.MEMBER,
        help_text=_("Only owners may give the owner role."),
    )


class RoomAccessSerializer(serializers.ModelSerializer):
    """A user's role on a room."""

    room = serializers.UUIDField(source="room_id", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = ResourceAccess
        fields = ["room", "email", "role"]
        read_only_fields = fields
