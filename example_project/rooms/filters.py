"""List filters of the rooms endpoint (django-filter), named in ``APP_DELEGATION``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from .models import Room, RoomAccessLevel

#: What a room's slug is made of (Django's ``SlugField``): the filter refuses anything else (400).
SLUG_SCHEMA = {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$", "maxLength": 100}
SLUG_HELP = _(
    "The room whose slug (its meeting code, e.g. abc-defg-hij) this is, among the rooms the user "
    "has a role on."
)


class SlugFilter(filters.CharFilter):
    """A slug: letters, digits, hyphens and underscores (a 400 field error otherwise)."""

    field_class = forms.SlugField


class RoomFilter(filters.FilterSet):
    """``?slug=`` finds a room by its slug (Google Meet's ``meetingCode``); ``?access_level=``."""

    slug = extend_schema_field({**SLUG_SCHEMA, "description": SLUG_HELP})(
        SlugFilter(max_length=100, help_text=SLUG_HELP)
    )
    access_level = filters.ChoiceFilter(
        choices=RoomAccessLevel.choices, help_text=_("Rooms with this access level.")
    )

    class Meta:
        model = Room
        fields = ["slug", "access_level"]
