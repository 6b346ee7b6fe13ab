"""List filters of the rooms endpoint (django-filter), named in ``APP_DELEGATION``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from .models import Room, RoomAccessLevel


class RoomFilter(filters.FilterSet):
    """``?slug=`` finds a room by its slug (Google Meet's ``meetingCode``); ``?access_level=``."""

    slug = filters.CharFilter(
        help_text=_(
            "The room whose slug (its meeting code, e.g. abc-defg-hij) this is, among the rooms "
            "the user has a role on."
        )
    )
    access_level = filters.ChoiceFilter(
        choices=RoomAccessLevel.choices, help_text=_("Rooms with this access level.")
    )

    class Meta:
        model = Room
        fields = ["slug", "access_level"]
