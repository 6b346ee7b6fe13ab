"""Meet's rooms and the roles users hold on them."""

from __future__ import annotations

import logging
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("rooms")

#: Longest PIN a room can hold (``ROOM_TELEPHONY_PIN_LENGTH`` may not exceed it).
PIN_CODE_MAX_LENGTH = 20
#: Shortest PIN accepted, for minimal security.
PIN_CODE_MIN_LENGTH = 4


class RoomAccessLevel(models.TextChoices):
    PUBLIC = "public", _("Public Access")
    TRUSTED = "trusted", _("Trusted Access")
    RESTRICTED = "restricted", _("Restricted Access")


class RoleChoices(models.TextChoices):
    MEMBER = "member", _("Member")
    ADMIN = "administrator", _("Administrator")
    OWNER = "owner", _("Owner")


def generate_pin_code(length: int) -> str:
    """Return ``length`` random digits."""
    if length < PIN_CODE_MIN_LENGTH:
        raise ValueError(
            f"PIN code length must be at least {PIN_CODE_MIN_LENGTH} digits for minimal security"
        )
    if length > PIN_CODE_MAX_LENGTH:
        raise ValueError(f"PIN code length must be at most {PIN_CODE_MAX_LENGTH} digits")
    return str(secrets.randbelow(10**length)).zfill(length)


def generate_unique_pin_code() -> str | None:
    """Return a PIN no room uses yet, or None after ``ROOM_TELEPHONY_PIN_MAX_RETRIES`` tries."""
    length = settings.ROOM_TELEPHONY_PIN_LENGTH
    retries = settings.ROOM_TELEPHONY_PIN_MAX_RETRIES
    for _attempt in range(retries):
        candidate = generate_pin_code(length)
        if not Room.objects.filter(pin_code=candidate).exists():
            return candidate
    logger.warning("No unique PIN code found after %s attempts; the room gets none", retries)
    return None


class Room(models.Model):
    """A video conference room; its slug is derived from its name."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=500)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, blank=True, null=True)
    access_level = models.CharField(
        _("access level"),
        max_length=50,
        choices=RoomAccessLevel.choices,
        default=RoomAccessLevel.TRUSTED,
    )
    configuration = models.JSONField(
        _("configuration"),
        blank=True,
        default=dict,
        help_text=_("Public configuration exposed to any room participant."),
    )
    pin_code = models.CharField(
        _("PIN code"),
        max_length=PIN_CODE_MAX_LENGTH,
        unique=True,
        blank=True,
        null=True,
        help_text=_("Unique n-digit code that identifies this room in telephony mode."),
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ResourceAccess", related_name="rooms", blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("room")
        verbose_name_plural = _("rooms")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.slug = slugify(self.name)
        if self._state.adding and not self.pin_code and settings.ROOM_TELEPHONY_ENABLED:
            self.pin_code = generate_unique_pin_code()
        super().save(*args, **kwargs)

    def clean_fields(self, exclude: Any = None) -> None:
        """Validate the slug derived from the name, reporting its problems on ``name``."""
        self.slug = slugify(self.name)
        try:
            uuid.UUID(self.slug)
        except ValueError:
            pass
        else:
            raise ValidationError({"name": _('Room name "%s" is reserved.') % self.name})
        if len(self.slug) > self._meta.get_field("slug").max_length:
            raise ValidationError({"name": _("This room name is too long.")})
        if Room.objects.exclude(pk=self.pk).filter(slug=self.slug).exists():
            raise ValidationError({"name": _("A room with a name like this one already exists.")})
        super().clean_fields(exclude=exclude)

    @property
    def is_public(self) -> bool:
        return self.access_level == RoomAccessLevel.PUBLIC

    def get_role(self, user: Any) -> str | None:
        """Return the user's role on this room (one at most), or None."""
        if not getattr(user, "is_authenticated", False):
            return None
        return self.accesses.filter(user=user).values_list("role", flat=True).first()


class ResourceAccess(models.Model):
    """The role a user holds on a room."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="accesses", verbose_name=_("room")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="accesses",
        verbose_name=_("user"),
    )
    role = models.CharField(
        _("role"), max_length=20, choices=RoleChoices.choices, default=RoleChoices.MEMBER
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("resource access")
        verbose_name_plural = _("resource accesses")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "room"],
                name="resource_access_unique_user_room",
                violation_error_message=_(
                    "Resource access with this User and Room already exists."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.room}"
