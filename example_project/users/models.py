"""Meet's user, reduced to what delegation needs: e-mail, OIDC ``sub`` and an admin login."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core import validators
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

sub_validator = validators.RegexValidator(
    regex=r"^[\w.@+-]+\Z",
    message=_(
        "Enter a valid sub. This value may contain only letters, numbers, and @/./+/-/_ characters."
    ),
)


class UserManager(BaseUserManager["User"]):
    """Create users; only staff log in to the admin, with ``admin_email`` and a password."""

    use_in_migrations = True

    def create_user(
        self, admin_email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> User:
        if admin_email:
            admin_email = self.normalize_email(admin_email)
        if extra_fields.get("email"):
            extra_fields["email"] = self.normalize_email(extra_fields["email"])
        user = self.model(admin_email=admin_email, **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(
        self, admin_email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(admin_email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person; ``sub`` comes from OIDC and is empty for users provisioned through the API."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sub = models.CharField(
        _("sub"),
        max_length=255,
        unique=True,
        null=True,
        blank=True,
        validators=[sub_validator],
        help_text=_("Identity provider subject; empty until the user's first OIDC login."),
    )
    email = models.EmailField(_("identity email address"), null=True, blank=True)
    admin_email = models.EmailField(
        _("admin email address"),
        unique=True,
        null=True,
        blank=True,
        help_text=_("Login of staff members in the admin."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "admin_email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Two users without ``sub`` (provisional ones) cannot share an e-mail, compared
            # case-insensitively: concurrent token requests cannot create duplicates.
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(sub__isnull=True),
                name="unique_email_when_sub_is_null",
            )
        ]
        indexes = [
            # The delegation token endpoint looks users up by LOWER(email) (check W040); the
            # constraint above covers provisional users only.
            models.Index(Lower("email"), name="users_user_lower_email"),
        ]

    def __str__(self) -> str:
        return self.email or self.admin_email or str(self.id)
