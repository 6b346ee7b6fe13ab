"""Host models of the benchmark project, shaped like La Suite Meet's.

``User`` has the index a host can have on the e-mail (``LOWER(email)``, as Meet's constraint);
``Room`` is the resource served through the package; ``MeetApplication`` and
``MeetApplicationDomain`` back the Meet-configured token view (``views.MeetTokenView``).
"""

import uuid

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """``auth.User`` plus an index on ``LOWER(email)``, the one Meet's e-mail constraint has."""

    class Meta:
        indexes = [models.Index(Lower("email"), name="bench_user_email_lower")]


class Room(models.Model):
    """A room: UUID key, name, slug, access level and configuration, ordered by name."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=500)
    slug = models.SlugField(max_length=100, blank=True)
    access_level = models.CharField(max_length=50, default="trusted")
    configuration = models.JSONField(blank=True, default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class MeetApplication(models.Model):
    """Meet's ``Application``: a client id, a secret hashed with ``make_password``, scopes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    is_active = models.BooleanField(default=True)
    client_id = models.CharField(max_length=100, unique=True)
    client_secret = models.CharField(max_length=255)
    scopes = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class MeetApplicationDomain(models.Model):
    """Meet's ``ApplicationDomain``: an e-mail domain an application may act for."""

    domain = models.CharField(max_length=253)
    application = models.ForeignKey(
        MeetApplication, on_delete=models.CASCADE, related_name="allowed_domains"
    )

    class Meta:
        ordering = ("domain",)
        unique_together = [("application", "domain")]

    def __str__(self) -> str:
        return self.domain
