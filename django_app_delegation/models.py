"""Registered applications and the e-mail domains they may act for."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import secrets as client_secrets
from .callers import AUDIENCE_MAX_LENGTH
from .client_keys import key_set, validate_public_key_set
from .conf import delegation_settings
from .domains import DOMAIN_MAX_LENGTH, domain_matches, email_domain, normalize_domain
from .durations import format_duration
from .scopes import is_valid_scope_token, known_scopes
from .tokens import max_access_token_lifetime

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


def validate_access_token_lifetime(value: timedelta) -> None:
    """Refuse a lifetime under one second, or longer than ``MAX_ACCESS_TOKEN_LIFETIME``."""
    if value < timedelta(seconds=1):
        raise ValidationError(
            _("An access token lifetime must be at least one second."), code="too_short"
        )
    maximum = max_access_token_lifetime()
    if value > maximum:
        raise ValidationError(
            _("An access token lifetime may be at most %(maximum)s (%(setting)s)."),
            code="too_long",
            params={"maximum": format_duration(maximum), "setting": "MAX_ACCESS_TOKEN_LIFETIME"},
        )


def validate_secret_overlap(keep_old_for: timedelta) -> None:
    """Refuse to keep a rotated secret working for longer than
    ``CLIENT_SECRET_OVERLAP_MAX_LIFETIME`` (or for a negative time)."""
    maximum = delegation_settings.CLIENT_SECRET_OVERLAP_MAX_LIFETIME
    setting = "CLIENT_SECRET_OVERLAP_MAX_LIFETIME"
    if keep_old_for < timedelta(0):
        raise ValidationError(
            _("The old secret cannot be kept for a negative time."), code="negative_overlap"
        )
    if keep_old_for > maximum and maximum <= timedelta(0):
        raise ValidationError(
            _("Keeping the old secret is turned off (%(setting)s is 0)."),
            code="overlap_off",
            params={"setting": setting},
        )
    if keep_old_for > maximum:
        raise ValidationError(
            _("The old secret may be kept for at most %(maximum)s (%(setting)s)."),
            code="overlap_too_long",
            params={"maximum": format_duration(maximum), "setting": setting},
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

    def get_with_domains(self, client_id: str) -> Application | None:
        """The application whose ``client_id`` is exactly ``client_id``, with its allowed domains,
        in one query; None when there is none.

        The domains come from a ``LEFT JOIN`` in the same ``SELECT`` and fill the prefetch cache,
        so ``application.allowed_domains.all()`` (what :meth:`Application.can_delegate_email`
        and the default ``CAN_DELEGATE`` read) costs no query. A case-insensitive collation
        (MariaDB's default) never widens the match.
        """
        rows = list(
            self.filter(client_id=client_id)
            .annotate(
                _allowed_domain_id=F("allowed_domains__id"),
                _allowed_domain=F("allowed_domains__domain"),
            )
            .order_by()
        )
        application: Application | None = None
        domains: list[ApplicationDomain] = []
        for row in rows:
            columns = vars(row)
            domain_id = columns.pop("_allowed_domain_id")
            domain = columns.pop("_allowed_domain")
            if row.client_id != client_id:
                continue
            if application is None:
                application = row
            if domain_id is not None:
                entry = ApplicationDomain.from_db(
                    self.db, ["id", "application_id", "domain"], [domain_id, row.pk, domain]
                )
                entry._state.fields_cache["application"] = application
                domains.append(entry)
        if application is None:
            return None
        domains.sort(key=lambda entry: entry.domain)  # ApplicationDomain's ordering
        prefetched = application.allowed_domains.all()
        prefetched._result_cache = domains
        # What prefetch_related() leaves: Django's private names, missing from django-stubs.
        prefetched._prefetch_done = True  # type: ignore[attr-defined]
        application._prefetched_objects_cache = {  # type: ignore[attr-defined]
            "allowed_domains": prefetched
        }
        return application

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
        access_token_lifetime: timedelta | None = None,
        public_keys: Iterable[dict[str, Any]] = (),
        with_secret: bool = True,
    ) -> tuple[Application, str]:
        """Create and validate an application; return it with its plaintext secret (shown once).

        ``public_keys`` are JWKs (see ``client_keys.parse_public_keys`` for PEM); without a secret
        (``with_secret=False``, the secret returned is ``""``) it needs at least one.
        """
        application = self.model(
            name=name,
            scopes=list(scopes),
            is_active=is_active,
            access_token_lifetime=access_token_lifetime,
            public_keys=key_set(public_keys),
        )
        if with_secret:
            secret = application.set_new_secret()
        else:
            application.set_unusable_secret()
            secret = ""
        application.full_clean()
        application.save()
        for domain in domains:
            entry = ApplicationDomain(application=application, domain=domain)
            entry.full_clean()
            entry.save()
        return application, secret


#: The fields a rotation writes.
SECRET_FIELDS = ("client_secret", "previous_client_secret", "previous_secret_expires_at")


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
    # The secret a rotation replaced, still accepted until ``previous_secret_expires_at``.
    previous_client_secret = models.CharField(
        _("previous client secret"),
        max_length=client_secrets.CLIENT_SECRET_MAX_LENGTH,
        blank=True,
        default="",
        editable=False,
        help_text=_("Stored hashed; accepted beside the new secret until it expires."),
    )
    previous_secret_expires_at = models.DateTimeField(
        _("previous secret valid until"), null=True, blank=True, editable=False
    )
    access_token_lifetime = models.DurationField(
        _("access token lifetime"),
        null=True,
        blank=True,
        validators=[validate_access_token_lifetime],
        help_text=_(
            "How long this application's tokens last; empty: ACCESS_TOKEN_LIFETIME. Never more "
            "than MAX_ACCESS_TOKEN_LIFETIME."
        ),
    )
    scopes = models.JSONField(
        _("scopes"),
        default=list,
        blank=True,
        validators=[validate_scope_list],
        help_text=_("The most this application's tokens may do."),
    )
    public_keys = models.JSONField(
        _("public keys"),
        default=dict,
        blank=True,
        validators=[validate_public_key_set],
        help_text=_(
            "A JWK Set of the public keys that verify this application's assertions (RFC 7523)."
        ),
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
        if client_secrets.is_usable_secret(self.client_secret) and not client_secrets.is_hashed(
            self.client_secret
        ):
            self.client_secret = client_secrets.hash_secret(self.client_secret)
        if not self.client_secret:
            self.set_new_secret()
        previous = self.previous_client_secret
        if previous and not client_secrets.is_hashed(previous):
            self.previous_client_secret = client_secrets.hash_secret(previous)
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

    def set_unusable_secret(self) -> None:
        """Leave the application without a secret (unsaved): it authenticates with its keys."""
        self.client_secret = client_secrets.make_unusable_secret()

    @property
    def has_usable_secret(self) -> bool:
        return client_secrets.is_usable_secret(self.client_secret)

    @property
    def public_jwks(self) -> list[dict[str, Any]]:
        """The application's public keys (JWKs), maybe none."""
        keys = (self.public_keys or {}).get("keys") if isinstance(self.public_keys, dict) else None
        return [key for key in keys or () if isinstance(key, dict)]

    @property
    def can_authenticate(self) -> bool:
        """Whether a secret or a public key can authenticate the application."""
        return self.has_usable_secret or bool(self.public_jwks)

    def client_authentication_methods(self) -> list[str]:
        """The client authentication methods (RFC 7591 names) this application can use."""
        from .oauth import PRIVATE_KEY_JWT, SECRET_METHODS

        methods = list(SECRET_METHODS) if self.has_usable_secret else []
        if self.public_jwks:
            methods.append(PRIVATE_KEY_JWT)
        return methods

    def clean(self) -> None:
        super().clean()
        # A blank secret is generated on save; only a removed one needs keys instead.
        if self.client_secret and not self.has_usable_secret and not self.public_jwks:
            raise ValidationError(
                {"public_keys": _("An application without a client secret needs a public key.")},
                code="no_credentials",
            )

    def set_client_secret(self, secret: str) -> None:
        """Store the hash of a chosen plaintext ``secret`` on the instance (unsaved)."""
        self.client_secret = client_secrets.hash_secret(secret)

    def rotate_secret(self, keep_old_for: timedelta | None = None) -> str:
        """Replace the secret, save it and return the new plaintext (shown once).

        With ``keep_old_for`` (at most ``CLIENT_SECRET_OVERLAP_MAX_LIFETIME``, else
        ``ValidationError``), the secret replaced keeps working beside the new one for that long;
        without it, it stops at once. Only one previous secret is kept: a rotation during an
        overlap ends the one running. The audit trail records the rotation and the old
        secret's expiry (with the request of ``audit.acting_for(request)``, if any).
        """
        from . import audit

        if keep_old_for is not None:
            validate_secret_overlap(keep_old_for)
        database = router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=database):
            # The secret stored now (another rotation may have replaced the one loaded) is the
            # one that keeps working.
            stored = (
                type(self)
                ._default_manager.using(database)
                .select_for_update()
                .filter(pk=self.pk)
                .values_list("client_secret", flat=True)
                .get()
            )
            if keep_old_for:
                self.previous_client_secret = stored
                self.previous_secret_expires_at = timezone.now() + keep_old_for
            else:
                self.previous_client_secret = ""
                self.previous_secret_expires_at = None
            secret = self.set_new_secret()
            self.save(update_fields=[*SECRET_FIELDS, "updated_at"])
        audit.record(
            None,
            action=EventAction.ROTATE_SECRET,
            application=self,
            previous_secret_expires_at=self.previous_secret_expires_at,
        )
        return secret

    def revoke_tokens_for(self, user: AbstractBaseUser) -> RevokedDelegation:
        """Refuse every token this application holds for ``user`` now; later ones work.

        See :func:`django_app_delegation.revocation.revoke_delegation`.
        """
        from .revocation import revoke_delegation

        return revoke_delegation(application=self, user=user)

    def end_secret_overlap(self) -> bool:
        """Stop accepting the previous secret now; return whether it was still accepted.

        The audit trail records it when it was (with the request of ``audit.acting_for``).
        """
        from . import audit

        running = self.previous_secret_valid()
        if not self.previous_client_secret and self.previous_secret_expires_at is None:
            return False
        self.previous_client_secret = ""
        self.previous_secret_expires_at = None
        self.save(
            update_fields=["previous_client_secret", "previous_secret_expires_at", "updated_at"]
        )
        if running:
            audit.record(None, action=EventAction.END_SECRET_OVERLAP, application=self)
        return running

    def previous_secret_valid(self, now: datetime | None = None) -> bool:
        """Whether the secret a rotation replaced still works (until its expiry, excluded)."""
        expires_at = self.previous_secret_expires_at
        return (
            bool(self.previous_client_secret)
            and expires_at is not None
            and (now or timezone.now()) < expires_at
        )

    @property
    def previous_secret_valid_until(self) -> datetime | None:
        """When the previous secret stops working, while it works; None otherwise."""
        return self.previous_secret_expires_at if self.previous_secret_valid() else None

    def check_client_secret(self, secret: str, *, now: datetime | None = None) -> bool:
        """Verify ``secret`` in constant time against the secret, and the previous one until it
        expires (at ``now``, the current time by default); re-hash legacy or outdated hashes on
        success.

        Both verifications always run (see ``secrets.verify_current_and_previous``), so the time
        taken tells neither which secret matched nor whether an overlap runs.
        """
        encoded = self.client_secret
        previous = self.previous_client_secret if self.previous_secret_valid(now) else ""
        matches_current, matches_previous = client_secrets.verify_current_and_previous(
            secret, encoded, previous or None
        )
        if matches_current:
            self._rehash("client_secret", secret, encoded)
        elif matches_previous:
            self._rehash("previous_client_secret", secret, previous)
        return matches_current or matches_previous

    def _rehash(self, field: str, secret: str, encoded: str) -> None:
        """Store ``secret`` under a current hash in ``field`` if ``encoded`` is outdated (unless
        another process changed the field meanwhile)."""
        if not client_secrets.needs_rehash(secret, encoded):
            return
        rehashed = client_secrets.hash_secret(secret)
        setattr(self, field, rehashed)
        type(self)._default_manager.filter(pk=self.pk, **{field: encoded}).update(
            **{field: rehashed}
        )

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


#: Longest ``jti`` of an assertion accepted (and stored to refuse its replay).
ASSERTION_JTI_MAX_LENGTH = 200


class UsedAssertionQuerySet(models.QuerySet["UsedAssertion"]):
    def expired(self, now: datetime | None = None) -> UsedAssertionQuerySet:
        """The entries whose assertion has expired: they can go (a replay is refused as expired)."""
        return self.filter(expires_at__lt=now or timezone.now())


class UsedAssertion(models.Model):
    """The ``jti`` of an assertion an application has used, kept until the assertion expires.

    The unique constraint refuses a second use from any process, on every database.
    """

    id = models.BigAutoField(primary_key=True)
    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("application"),
        db_index=False,  # Covered by the unique constraint.
    )
    jti = models.CharField(_("JWT id"), max_length=ASSERTION_JTI_MAX_LENGTH)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    objects = UsedAssertionQuerySet.as_manager()

    class Meta:
        verbose_name = _("used assertion")
        verbose_name_plural = _("used assertions")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "jti"], name="app_delegation_unique_assertion_jti"
            )
        ]

    def __str__(self) -> str:
        return self.jti


#: Primary key types whose text form Python writes as every database does (decimal digits).
INTEGER_PK_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)
#: Primary key types that are text already.
TEXT_PK_TYPES = frozenset({"CharField", "TextField", "SlugField"})


def _pk_field(model: type[models.Model]) -> models.Field[Any, Any]:
    """The concrete field that holds ``model``'s primary key (a parent's, for a child model)."""
    field = model._meta.pk
    assert field is not None
    while field.is_relation:  # A multi-table child's link to its parent.
        target = field.target_field  # type: ignore[attr-defined]
        assert isinstance(target, models.Field)
        field = target
    return field


def pk_as_text(instance: models.Model) -> str:
    """The primary key of ``instance`` as its database renders it as text (what lookups join on).

    Computed in Python for integer, text and UUID keys, whose text form is known for each
    database (a UUID is 32 hex digits where the database has no UUID type, as Django stores it);
    other key types are asked of the database.
    """
    model = type(instance)
    field = _pk_field(model)
    kind = field.get_internal_type()
    pk = instance.pk
    if pk is not None:
        if kind in INTEGER_PK_TYPES:
            return str(int(pk))
        if kind in TEXT_PK_TYPES:
            return str(pk)
        if kind == "UUIDField":
            value = field.to_python(pk)
            assert isinstance(value, uuid.UUID)
            database = instance._state.db or router.db_for_write(model, instance=instance)
            native = connections[database].features.has_native_uuid_field
            return str(value) if native else value.hex
    text: str = (
        model._default_manager.filter(pk=pk)
        .annotate(_provenance_id=Cast("pk", models.CharField()))
        .values_list("_provenance_id", flat=True)
        .get()
    )
    return text


class ResourceProvenanceQuerySet(models.QuerySet["ResourceProvenance"]):
    def for_model(self, model: type[models.Model]) -> ResourceProvenanceQuerySet:
        """The records of objects of ``model``."""
        return self.filter(content_type=ContentType.objects.get_for_model(model))

    def correlated(self, model: type[models.Model] | None = None) -> ResourceProvenanceQuerySet:
        """The record of the outer query's object, for ``Exists()`` in a queryset of ``model``.

        Given ``model``, the record's side of the comparison is converted where that is safe
        (its ``object_id`` cast to an integer key; a UUID key on PostgreSQL), so the database
        reaches the outer rows through their primary key's index instead of reading the whole
        table; the cast applies to ``model``'s records only, never to another model's text.
        Without it (or for other key types) the outer key is cast to text.
        """
        if model is not None:
            field = _pk_field(model)
            kind = field.get_internal_type()
            if kind in TEXT_PK_TYPES:
                return self.filter(object_id=OuterRef("pk"))
            target: models.Field[Any, Any] | None = None
            if kind in INTEGER_PK_TYPES:
                target = models.BigIntegerField()
            elif kind == "UUIDField" and connections[self.db].vendor == "postgresql":
                target = models.UUIDField()
            if target is not None:
                content_type = ContentType.objects.get_for_model(model)
                own_key = Case(
                    When(content_type=content_type, then=Cast("object_id", target)),
                    output_field=target,
                )
                # Both sides of one equality: the planner drives from the records to the outer
                # rows' key index, or probes the records' (..., object_id) index from them.
                return self.alias(_provenance_pk=own_key).filter(
                    _provenance_pk=OuterRef("pk"),
                    object_id=Cast(OuterRef("pk"), models.CharField()),
                )
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
        that it neither blocks nor leaks to the new object. One statement: an ``INSERT`` that
        updates the record on a conflict of ``(content_type, object_id)``, ``object_id`` computed
        in Python (see :func:`pk_as_text`).
        """
        if application_id is None and not audience:
            raise ValueError("A provenance record names an application or an audience.")
        # The plugin types ``user`` with the checked settings' user model, not AUTH_USER_MODEL's.
        record = self.model(  # type: ignore[misc]
            content_type=ContentType.objects.get_for_model(type(instance)),
            object_id=pk_as_text(instance),
            application_id=application_id,
            user=user,
            audience=audience,
        )
        # MySQL/MariaDB's ON DUPLICATE KEY UPDATE names no target: the unique key is the only
        # one a new record can collide with.
        database = self._db or router.db_for_write(self.model)
        targeted = connections[database].features.supports_update_conflicts_with_target
        self.bulk_create(
            [record],
            update_conflicts=True,
            unique_fields=["content_type", "object_id"] if targeted else None,
            update_fields=["application", "user", "audience", "created_at"],
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
    END_SECRET_OVERLAP = "end_secret_overlap", _("Stop accepting the previous client secret")


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
    previous_secret_expires_at = models.DateTimeField(
        _("previous secret valid until"),
        null=True,
        blank=True,
        help_text=_(
            "For a secret rotation: until when the replaced secret keeps working (empty: it "
            "stopped at once)."
        ),
    )

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
