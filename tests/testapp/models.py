import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower


class UserManager(BaseUserManager):
    def create_user(self, username=None, email=None, password=None, **extra):
        user = self.model(username=username, email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username, email=None, password=None, **extra):
        return self.create_user(
            username, email, password, is_staff=True, is_superuser=True, **extra
        )


class User(AbstractBaseUser, PermissionsMixin):
    """An e-mail user with the case-insensitive unique constraint the docs recommend."""

    # Like La Suite Meet's ``admin_email``: a nullable login name, so provisioning relies on the
    # lower-cased e-mail constraint below to stay race-safe.
    username = models.CharField(max_length=150, unique=True, null=True, blank=True)
    email = models.EmailField(max_length=254)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["email"]
    EMAIL_FIELD = "email"

    class Meta:
        constraints = [
            # La Suite Meet's ``unique_email_when_sub_is_null``: users without a login name
            # (provisional ones) cannot share an e-mail, compared case-insensitively.
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(username__isnull=True),
                name="testapp_user_unique_lower_email_provisional",
            )
        ]
        indexes = [
            # What the default GET_DELEGATED_USER hook's lookup uses (check W040).
            models.Index(Lower("email"), name="testapp_user_lower_email"),
        ]

    def __str__(self):
        return self.email


class Widget(models.Model):
    """A room-like resource: UUID key, members who may see it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(User, related_name="widgets", blank=True)

    class Meta:
        ordering = ("name",)

    def __str__(self):
        return self.name


class Note(models.Model):
    """A resource with an integer key, served with the default hooks."""

    text = models.CharField(max_length=200)

    class Meta:
        ordering = ("id",)

    def __str__(self):
        return self.text


# User models other than AUTH_USER_MODEL, for the authentication tests that patch
# ``get_user_model``: a default manager that hides rows, and multi-table inheritance.


class SoftDeleteUserManager(BaseUserManager):
    """Hides soft-deleted users, as many projects' default user managers do."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteUser(AbstractBaseUser):
    """A user whose default manager leaves out soft-deleted rows."""

    email = models.EmailField(max_length=254, unique=True)
    is_active = models.BooleanField(default=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = SoftDeleteUserManager()
    all_objects = models.Manager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self):
        return self.email


class Account(AbstractBaseUser):
    """The concrete parent of a multi-table-inheritance user model."""

    email = models.EmailField(max_length=254, unique=True)
    is_active = models.BooleanField(default=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self):
        return self.email


class MemberAccount(Account):
    """A user model whose ``email`` and ``is_active`` live in its parent's table."""

    member_number = models.CharField(max_length=20, blank=True)


class ProxyUser(User):
    """A proxy of the test user model."""

    class Meta:
        proxy = True
