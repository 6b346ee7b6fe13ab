"""Serializers of the benchmark project."""

from rest_framework import serializers

from .models import Room


class RoomSerializer(serializers.ModelSerializer[Room]):
    """A room as Meet's external API shows it (without the URL and telephony blocks)."""

    class Meta:
        model = Room
        fields = ["id", "name", "slug", "access_level", "configuration"]
        read_only_fields = ["id", "slug"]

    def create(self, validated_data: dict) -> Room:
        validated_data.setdefault("slug", validated_data.get("name", "")[:100].lower())
        return super().create(validated_data)


class MeetTokenRequestSerializer(serializers.Serializer[None]):
    """Meet's ``ApplicationJwtSerializer``: the four fields of a token request, validated."""

    client_id = serializers.CharField(write_only=True)
    client_secret = serializers.CharField(write_only=True)
    grant_type = serializers.ChoiceField(choices=["client_credentials"])
    scope = serializers.CharField(write_only=True)
