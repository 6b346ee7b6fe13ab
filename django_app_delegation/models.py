"""Registered applications and the e-mail domains they may act for."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import secrets as client_secrets
from .callers import AUDIENCE_MAX_LENGTH
from .conf import delegation_settings
from .domains import DOMAIN_MAX_LENGTH, domain_matches, email_domain, normalize_domain
from .scopes import is_valid_scope_token, known_scopes

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

SCOPE_MAX_LENGTH = 100
#: Longest primary key, rendered as text, that provenance records and events can hold.
OBJECT_ID_MAX_LENGTH = 64
#: Longest model label (``app_label.modelname``) an event can hold.
OBJECT_TYPE_MAX_LENGTH = 100
#: Longest ``User-Agent`` an event keeps (longer ones are cut).
USER_AGENT_MAX_LENGTH = 255
#: Longest error code an event can hold.
ERROR_MAX_LENGTH = 64
EMAIL_MAX_LENGTH = 254
#: Longest ``jti`` a revoked token can have (ours are 32 hexadecimal digits).
JTI_MAX_LENGTH = 255


def validate_scope_list(value: object) -> None:
    """Reject anything but a list of scope names from ``APP_DELEGATION["SCOPES"]``."""
    if not isinstance(value, list):
        raise ValidationError(_("Scopes must be a list."), code="invalid")
    vocabulary = known_scopes()
    unknown = [
        str(item)
        for item in value
        if not is_valid_scope_token(item)
        or len(item) > SCOPE_MAX_LENGTH
        or item.lower() not in vocabulary
    ]
    if unknown:
        raise ValidationError(
            _("Unknown scope(s): %(scopes)s."),
            code="unknown_scope",
            params={"scopes": ", ".join(unknown)},
        )


class ApplicationQuerySet(models.QuerySet["Application"]):
    def active(self) -> ApplicationQuerySet:
        return self.filter(is_active=True)

    def set_active(self, active: bool) -> list[Application]:
        """(De)activate the applications not already so, in one UPDATE; return those changed.

        Deactivation takes effect at once: the token endpoint refuses the application and its
        tokens stop authenticating, whatever their expiry. The audit trail records one
        ``activate`` or ``deactivate`` event per application changed (with the request of
        ``audit.acting_for(request)``, if any).
        """
        from . import audit

        changed: list[Application] = list(self.exclude(is_active=active).order_by())
        if changed:
            now = timezone.now()
            self.model._default_manager.filter(pk__in=[app.pk for app in changed]).update(
                is_active=active, updated_at=now
            )
            action = EventAction.ACTIVATE if active else EventAction.DEACTIVATE
            for application in changed:
                application.is_active = active
                application.updated_at = now
                application._saved_is_active = active
                audit.record(None, action=action, application=application)
        return changed

    def with_usage(self, now: datetime | None = None) -> ApplicationQuerySet:
        """Annotate each application with its token requests, from the audit trail.

        ``tokens_last_24_hours`` and ``tokens_last_30_days`` count tokens issued,
        ``denied_last_30_days`` refused token requests (a wrong secret included). Each is a
        subquery on the events' index, so a page of applications costs one query.
        """
        now = now or timezone.now()
        issued = {"action": EventAction.ISSUE_TOKEN, "outcome": EventOutcome.SUCCESS}
        denied = {"action": EventAction.ISSUE_TOKEN, "outcome": EventOutcome.FAILURE}
        return self.annotate(
            tokens_last_24_hours=_event_count(since=now - timedelta(hours=24), **issued),
            tokens_last_30_days=_event_count(since=now - timedelta(days=30), **issued),
            denied_last_30_days=_event_count(since=now - timedelta(days=30), **denied),
        )


def _event_count(*, since: datetime, **filters: Any) -> Coalesce:
    """The number of the outer application's events matching ``filters`` since ``since``."""
    events = (
        DelegationEvent.objects.filter(application=OuterRef("pk"), timestamp__gte=since, **filters)
        .order_by()
        .values("application")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(events, output_field=models.IntegerField()), 0)


# A module-level ``from_queryset()`` is what the django-stubs plugin types (not one in a base list).
_ApplicationManagerBase = models.Manager.from_queryset(ApplicationQuerySet)


class ApplicationManager(_ApplicationManagerBase["Application"]):
    def create_application(
        self,
        *,
        name: str,
        scopes: Iterable[str] = (),
        domains: Iterable[str] = (),
        is_active: bool = True,
    ) -> tuple[Application, str]:
        """Create and validate an application; return it with its plaintext secret (shown once)."""
        application = self.model(name=name, scopes=list(scopes), is_active=is_active)
        secret = application.set_new_secret()
        application.full_clean()
        application.save()
        for domain in domains:
            entry = ApplicationDomain(application=application, domain=domain)
            entry.full_clean()
            entry.save()
        return application, secret


class Application(models.Model):
    """A third-party platform allowed to obtain tokens that act on behalf of users."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(
        _("name"), max_length=255, help_text=_("Descriptive name for this application.")
    )
    client_id = models.CharField(
        _("client id"),
        max_length=client_secrets.CLIENT_ID_MAX_LENGTH,
        unique=True,
        default=client_secrets.generate_client_id,
        editable=False,
    )
    client_secret = models.CharField(
        _("client secret"),
        max_length=client_secrets.CLIENT_SECRET_MAX_LENGTH,
        editable=False,
        help_text=_("Stored hashed; the plaintext is shown once, when it is generated."),
    )
    scopes = models.JSONField(
        _("scopes"),
        default=list,
        blank=True,
        validators=[validate_scope_list],
        help_text=_("The most this application's tokens may do."),
    )
    is_active = models.BooleanField(
        # In context: French agrees with "application" (feminine), not with auth's user "actif".
        pgettext_lazy("application", "active"),
        default=True,
        help_text=_("Inactive applications get no tokens, and their tokens stop working at once."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    can_introspect_all_tokens = models.BooleanField(
        _("may introspect every token"),
        default=False,
        help_text=_(
            "For a resource server: the introspection endpoint answers it about the tokens of "
            "every application, not only its own."
        ),
    )

    objects = ApplicationManager()
    # ``is_active`` as last loaded or saved (None for a new instance): save() compares it.
    _saved_is_active: bool | None = None

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Hash on save: a plaintext assigned to ``client_secret`` never reaches the database.
        if self.client_secret and not client_secrets.is_hashed(self.client_secret):
            self.client_secret = client_secrets.hash_secret(self.client_secret)
        if not self.client_secret:
            self.set_new_secret()
        update_fields = kwargs.get("update_fields")
        saves_state = update_fields is None or "is_active" in update_fields
        saved_state = self._saved_is_active
        super().save(*args, **kwargs)
        if not saves_state:
            return
        self._saved_is_active = self.is_active
        if saved_state is not None and saved_state != self.is_active:
            from . import audit

            action = EventAction.ACTIVATE if self.is_active else EventAction.DEACTIVATE
            audit.record(None, action=action, application=self)

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Application:
        instance = super().from_db(db, field_names, values, **kwargs)
        # What save() compares with, to record (de)activations in the audit trail.
        instance._saved_is_active = instance.__dict__.get("is_active")
        return instance

    def set_new_secret(self) -> str:
        """Generate a new secret, store its hash on the instance (unsaved) and return it."""
        secret = client_secrets.generate_client_secret()
        self.client_secret = client_secrets.hash_secret(secret)
        return secret

    def set_client_secret(self, secret: str) -> None:
        """Store the hash of a chosen plaintext ``secret`` on the instance (unsaved)."""
        self.client_secret = client_secrets.hash_secret(secret)

    def rotate_secret(self) -> str:
        """Replace the secret, save it and return the new plaintext (shown once).

        The audit trail records it (with the request of ``audit.acting_for(request)``, if any).
        """
        from . import audit

        secret = self.set_new_secret()
        self.save(update_fields=["client_secret", "updated_at"])
        audit.record(None, action=EventAction.ROTATE_SECRET, application=self)
        return secret

    def revoke_tokens_for(self, user: AbstractBaseUser) -> RevokedDelegation:
        """Refuse every token this application holds for ``user`` now; later ones work.

        See :func:`django_app_delegation.revocation.revoke_delegation`.
        """
        from .revocation import revoke_delegation

        return revoke_delegation(application=self, user=user)

    def check_client_secret(self, secret: str) -> bool:
        """Verify ``secret`` in constant time, re-hashing legacy or outdated hashes on success."""
        encoded = self.client_secret
        if not client_secrets.verify_secret(secret, encoded):
            return False
        if client_secrets.needs_rehash(secret, encoded):
            self.client_secret = client_secrets.hash_secret(secret)
            type(self)._default_manager.filter(pk=self.pk, client_secret=encoded).update(
                client_secret=self.client_secret
            )
        return True

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(str(scope).lower() for scope in self.scopes or ())

    def allowed_domain_names(self) -> list[str]:
        return [entry.domain for entry in self.allowed_domains.all()]

    def can_delegate_email(self, email: str) -> bool:
        """Tell whether the domain allow-list covers ``email`` (deny by default when empty)."""
        allowed = self.allowed_domain_names()
        if not allowed:
            return bool(delegation_settings.EMPTY_DOMAIN_LIST_ALLOWS_ALL)
        return domain_matches(email_domain(email), allowed)

    def mark_used(self, *, interval: timedelta | None = None) -> bool:
        """Record now as ``last_used_at`` unless it was recorded less than ``interval`` ago.

        ``interval`` defaults to ``LAST_USED_UPDATE_INTERVAL``. The value loaded with the
        instance decides, so a recent use costs no query; the UPDATE is conditional, so that
        processes racing past the check write once. Returns whether the UPDATE was sent.
        """
        now = timezone.now()
        if interval is None:
            interval = delegation_settings.LAST_USED_UPDATE_INTERVAL
        if self.last_used_at is not None and now - self.last_used_at < interval:
            return False
        self.last_used_at = now
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - interval)
        type(self)._default_manager.filter(stale, pk=self.pk).update(last_used_at=now)
        return True


class ApplicationDomain(models.Model):
    """An e-mail domain (or ``*.domain`` for its subdomains) an application may act for."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="allowed_domains",
        verbose_name=_("application"),
    )
    domain = models.CharField(
        _("domain"),
        max_length=DOMAIN_MAX_LENGTH,
        help_text=_(
            "E-mail domain this application can act for; *.example.com covers its subdomains."
        ),
    )

    class Meta:
        ordering = ("domain",)
        verbose_name = _("allowed domain")
        verbose_name_plural = _("allowed domains")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "domain"],
                name="app_delegation_unique_application_domain",
                violation_error_message=_("This domain is already allowed for this application."),
            )
        ]

    def __str__(self) -> str:
        return self.domain

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.domain = normalize_domain(self.domain)
        super().save(*args, **kwargs)

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        if not exclude or "domain" not in exclude:
            try:
                self.domain = normalize_domain(self.domain)
            except ValidationError as exc:
                raise ValidationError({"domain": exc.messages}) from None
        super().clean_fields(exclude=exclude)


def pk_as_text(instance: models.Model) -> str:
    """The primary key of ``instance`` as its database renders it as text (what lookups join on)."""
    text: str = (
        type(instance)
        ._default_manager.filter(pk=instance.pk)
        .annotate(_provenance_id=Cast("pk", models.CharField()))
        .values_list("_provenance_id", flat=True)
        .get()
    )
    return text


class ResourceProvenanceQuerySet(models.QuerySet["ResourceProvenance"]):
    def for_model(self, model: type[models.Model]) -> ResourceProvenanceQuerySet:
        """The records of objects of ``model``."""
        return self.filter(content_type=ContentType.objects.get_for_model(model))

    def correlated(self) -> ResourceProvenanceQuerySet:
        """The record of the outer query's object, for ``Exists()`` in a queryset of the model."""
        return self.filter(object_id=Cast(OuterRef("pk"), models.CharField()))

    def of(self, instance: models.Model) -> ResourceProvenanceQuerySet:
        """The record of ``instance`` (at most one)."""
        return self.for_model(type(instance)).filter(object_id=pk_as_text(instance))


_ResourceProvenanceManagerBase = models.Manager.from_queryset(ResourceProvenanceQuerySet)


class ResourceProvenanceManager(_ResourceProvenanceManagerBase["ResourceProvenance"]):
    def record(
        self,
        instance: models.Model,
        *,
        application_id: uuid.UUID | None = None,
        user: AbstractBaseUser | None,
        audience: str = "",
    ) -> None:
        """Record that ``application_id`` (or the service known as ``audience``) created
        ``instance`` for ``user`` (or None).

        A record left by an object deleted outside the API (same primary key) is replaced, so
        that it neither blocks nor leaks to the new object.
        """
        if application_id is None and not audience:
            raise ValueError("A provenance record names an application or an audience.")
        # The plugin types ``user`` with the checked settings' user model, not AUTH_USER_MODEL's.
        self.update_or_create(  # type: ignore[misc]
            content_type=ContentType.objects.get_for_model(type(instance)),
            object_id=pk_as_text(instance),
            defaults={"application_id": application_id, "user": user, "audience": audience},
        )


class ResourceProvenance(models.Model):
    """Which caller, acting for which user, created an object through the resource API.

    The caller is an application (delegated tokens, ``audience`` then holds what
    ``GET_APPLICATION_AUDIENCE`` named it), or a service an OIDC resource server authenticated,
    known by its ``audience`` alone (``application`` empty). Kept beside the host's models
    (generic reference by content type and primary key), so that provenance needs no change to
    them. ``object_id`` holds the primary key as the database renders it as text, which lets
    lookups join on it through an index.
    """

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="provenances",
        verbose_name=_("application"),
        db_index=False,  # Covered by the composite index below.
    )
    audience = models.CharField(
        _("audience"),
        max_length=AUDIENCE_MAX_LENGTH,
        blank=True,
        default="",
        help_text=_("The calling service's audience (its OIDC client id, for a resource server)."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
        db_index=False,  # Covered by the composite index below.
    )
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("content type"),
        db_index=False,  # Covered by the unique constraint below.
    )
    object_id = models.CharField(
        pgettext_lazy("provenance", "object id"), max_length=OBJECT_ID_MAX_LENGTH
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ResourceProvenanceManager()

    class Meta:
        verbose_name = _("resource provenance")
        verbose_name_plural = _("resource provenances")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                name="app_delegation_unique_provenance_object",
            ),
            models.CheckConstraint(
                condition=models.Q(application__isnull=False) | ~models.Q(audience=""),
                name="app_delegation_provenance_has_caller",
            ),
        ]
        indexes = [
            models.Index(
                fields=["application", "content_type", "object_id"],
                name="app_delegation_prov_app_obj",
            ),
            models.Index(
                fields=["user", "content_type", "object_id"],
                name="app_delegation_prov_user_obj",
            ),
            models.Index(
                fields=["audience", "content_type", "object_id"],
                name="app_delegation_prov_aud_obj",
            ),
        ]

    def __str__(self) -> str:
        caller = self.application_id or self.audience
        return f"{self.content_type_id}:{self.object_id} by {caller}"


class RevokedToken(models.Model):
    """One access token revoked before its expiry, refused by its ``jti`` until it expires.

    Written by the revocation endpoint (RFC 7009); ``prune_revocations`` deletes it once the
    token has expired.
    """

    jti = models.CharField(_("token id (jti)"), max_length=JTI_MAX_LENGTH, unique=True)
    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="revoked_tokens",
        verbose_name=_("application"),
    )
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    revoked_at = models.DateTimeField(_("revoked at"), default=timezone.now)

    class Meta:
        verbose_name = _("revoked token")
        verbose_name_plural = _("revoked tokens")

    def __str__(self) -> str:
        return self.jti


class RevokedDelegation(models.Model):
    """Every token of one application for one user issued up to a time is refused.

    ``revoked_iat`` is in whole seconds, as tokens' ``iat``: a token whose ``iat`` is at most
    ``revoked_iat`` is refused, so that one issued in the second of the revocation is refused too
    (the safe side), and tokens from the next second on work. ``prune_revocations`` deletes the
    entry once every token it refuses has expired.
    """

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="revoked_delegations",
        verbose_name=_("application"),
        db_index=False,  # Covered by the unique constraint below.
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    revoked_iat = models.BigIntegerField(
        _("revoked up to (iat)"),
        help_text=_("Tokens issued at or before this time (seconds since 1970) are refused."),
    )
    revoked_at = models.DateTimeField(_("revoked at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("revoked delegation")
        verbose_name_plural = _("revoked delegations")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "user"], name="app_delegation_unique_revoked_delegation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.user_id} <= {self.revoked_iat}"


class EventAction(models.TextChoices):
    """What an audit event records; the values are stable (logs and filters use them)."""

    ISSUE_TOKEN = "issue_token", _("Issue a token")
    PROVISION_USER = "provision_user", _("Provision a user")
    CREATE = "create", _("Create an object")
    UPDATE = "update", _("Update an object")
    DELETE = "delete", _("Delete an object")
    LIST = "list", _("List objects")
    RETRIEVE = "retrieve", _("Retrieve an object")
    ROTATE_SECRET = "rotate_secret", _("Rotate the client secret")
    ACTIVATE = "activate", _("Activate the application")
    DEACTIVATE = "deactivate", _("Deactivate the application")
    REVOKE = "revoke", _("Revoke a token")


class EventOutcome(models.TextChoices):
    SUCCESS = "success", _("success")
    FAILURE = "failure", _("failure")


class DelegationEventQuerySet(models.QuerySet["DelegationEvent"]):
    def older_than(self, cutoff: datetime) -> DelegationEventQuerySet:
        return self.filter(timestamp__lt=cutoff)


class DelegationEvent(models.Model):
    """One entry of the audit trail: what an application did, for whom, from where, and when.

    Written by ``django_app_delegation.audit``. It never holds a secret or a token, and holds
    the e-mail of the user only when ``AUDIT_RECORD_EMAIL`` is on (its domain otherwise).
    """

    timestamp = models.DateTimeField(_("timestamp"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=32, choices=EventAction.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=EventOutcome.choices)
    error = models.CharField(
        _("error"),
        max_length=ERROR_MAX_LENGTH,
        blank=True,
        help_text=_("The error code of a failure (RFC 6749 on the token endpoint)."),
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("application"),
        db_index=False,  # Covered by the composite index below.
    )
    client_id = models.CharField(
        _("client id"),
        max_length=client_secrets.CLIENT_ID_MAX_LENGTH,
        blank=True,
        help_text=_("The application's client id, kept if the application is deleted."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    email_domain = models.CharField(_("e-mail domain"), max_length=DOMAIN_MAX_LENGTH, blank=True)
    email = models.CharField(
        _("e-mail"),
        max_length=EMAIL_MAX_LENGTH,
        blank=True,
        help_text=_("Recorded only when AUDIT_RECORD_EMAIL is on."),
    )
    object_type = models.CharField(_("object type"), max_length=OBJECT_TYPE_MAX_LENGTH, blank=True)
    # In context: the admin's catalogue translates "object id" its own way (as for provenance).
    object_id = models.CharField(
        pgettext_lazy("delegation event", "object id"), max_length=OBJECT_ID_MAX_LENGTH, blank=True
    )
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=USER_AGENT_MAX_LENGTH, blank=True)

    objects = DelegationEventQuerySet.as_manager()

    class Meta:
        ordering = ("-timestamp", "-pk")
        verbose_name = _("delegation event")
        verbose_name_plural = _("delegation events")
        indexes = [
            models.Index(
                fields=["application", "action", "outcome", "timestamp"],
                name="app_delegation_event_app",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.outcome} at {self.timestamp:%Y-%m-%d %H:%M:%S}"
