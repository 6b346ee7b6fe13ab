"""Admin for applications (scopes as checkboxes, domains inline, secrets shown exactly once, usage
from the audit trail) and the audit trail itself, read-only."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import display_for_field
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext, override
from django.utils.translation import gettext_lazy as _

from . import audit
from .client_keys import as_text, parse_public_keys
from .conf import delegation_settings
from .domains import normalize_domain, normalize_email
from .durations import format_duration, parse_duration_text
from .models import (
    Application,
    ApplicationDomain,
    ApplicationQuerySet,
    DelegationEvent,
    validate_secret_overlap,
)
from .revocation import revoke_delegations_for_email
from .scopes import known_scopes
from .tokens import max_access_token_lifetime

if TYPE_CHECKING:
    from django.utils.functional import Promise

    # Generic in django-stubs only: Django's own classes take no type arguments.
    _ApplicationForm = forms.ModelForm[Application]
    _DomainForm = forms.ModelForm[ApplicationDomain]
    _DomainFormSet = forms.BaseInlineFormSet[ApplicationDomain, Application, _DomainForm]
    _DomainInline = admin.TabularInline[ApplicationDomain, Application]
    _ApplicationModelAdmin = admin.ModelAdmin[Application]
    _EventModelAdmin = admin.ModelAdmin[DelegationEvent]
else:
    _ApplicationForm = _DomainForm = forms.ModelForm
    _DomainFormSet = forms.BaseInlineFormSet
    _DomainInline = admin.TabularInline
    _ApplicationModelAdmin = _EventModelAdmin = admin.ModelAdmin

SECRET_TEMPLATE = "admin/django_app_delegation/application/secret.html"
KEEP_OLD_SECRET_TEMPLATE = "admin/django_app_delegation/application/keep_old_secret.html"
REVOKE_USER_TEMPLATE = "admin/django_app_delegation/application/revoke_user.html"
SESSION_KEY = "django_app_delegation.new_secrets"
COOKIE_SESSIONS = "django.contrib.sessions.backends.signed_cookies"
#: The fields holding stored hashes: never shown, never filtered on.
SECRET_FIELD = "client_secret"
SECRET_FIELDS = (SECRET_FIELD, "previous_client_secret")
#: How long the regenerate-and-keep action offers to keep the old secret, unless the bound
#: (``CLIENT_SECRET_OVERLAP_MAX_LIFETIME``) is shorter.
DEFAULT_SECRET_OVERLAP = timedelta(hours=24)
#: Read-only fields of an application's usage (``ApplicationQuerySet.with_usage``); the list
#: shows them under the last use, in one column, to stay within 1400 pixels.
USAGE_LABELS = {
    "tokens_last_24_hours": _("Tokens (24 h)"),
    "tokens_last_30_days": _("Tokens (30 days)"),
    "denied_last_30_days": _("Denied (30 days)"),
}
USAGE_FIELDS = tuple(USAGE_LABELS)


class ShownSecret:
    """A plaintext secret for the template: renders as itself, masked in ``repr``.

    Django logs a failed template lookup at DEBUG with the ``repr`` of the whole context: wrapped
    this way, the secret is rendered on the page but left out of such log records.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __str__(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<ShownSecret: ********>"


class DurationTextField(forms.DurationField):
    """A duration typed as ``30m``, ``24h``, ``7d`` or seconds (``durations.py``), or as Django's
    ``DurationField`` reads it; shown in the short form."""

    default_error_messages = {
        "invalid": _("Enter a duration such as 30m, 24h, 7d, or a number of seconds."),
    }

    def prepare_value(self, value: Any) -> Any:
        return format_duration(value) if isinstance(value, timedelta) else value

    def to_python(self, value: Any) -> timedelta | None:
        if value in self.empty_values:
            return None
        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration_text(str(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class KeepOldSecretForm(forms.Form):
    """How long the regenerate-and-keep action keeps each old secret working."""

    keep_old_for = DurationTextField(label=_("Keep the old secret for"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        maximum = delegation_settings.CLIENT_SECRET_OVERLAP_MAX_LIFETIME
        field = self.fields["keep_old_for"]
        field.initial = min(DEFAULT_SECRET_OVERLAP, maximum)
        field.help_text = _(
            "For example 30m, 24h or 7d; at most %(maximum)s (CLIENT_SECRET_OVERLAP_MAX_LIFETIME)."
        ) % {"maximum": format_duration(maximum)}

    def clean_keep_old_for(self) -> timedelta:
        value: timedelta = self.cleaned_data["keep_old_for"]
        if value <= timedelta(0):
            raise ValidationError(
                _(
                    "Keep it for some time, or use the action that regenerates the secret to stop "
                    "the old one at once."
                ),
                code="no_overlap",
            )
        validate_secret_overlap(value)
        return value


class ApplicationAdminForm(_ApplicationForm):
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The most this application's tokens may do."),
    )

    access_token_lifetime = DurationTextField(label=_("Access token lifetime"), required=False)
    public_keys = forms.CharField(
        label=_("Public keys"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80, "spellcheck": "false"}),
        help_text=_(
            "PEM public keys (or certificates) or a JWK Set: RSA of 2048 bits or more, EC P-256 "
            "or Ed25519. They verify the assertions the application signs (JWT-bearer grant, "
            "private_key_jwt). Never paste a private key."
        ),
    )
    without_secret = forms.BooleanField(
        label=_("No client secret"),
        required=False,
        help_text=_("The application authenticates with its public keys only."),
    )

    class Meta:
        model = Application
        fields = (
            "name",
            "scopes",
            "public_keys",
            "is_active",
            "access_token_lifetime",
            "can_introspect_all_tokens",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["access_token_lifetime"].help_text = _(
            "How long this application's tokens last, e.g. 15m or 2h. Empty: %(default)s "
            "(ACCESS_TOKEN_LIFETIME); at most %(maximum)s (MAX_ACCESS_TOKEN_LIFETIME)."
        ) % {
            "default": format_duration(delegation_settings.ACCESS_TOKEN_LIFETIME),
            "maximum": format_duration(max_access_token_lifetime()),
        }
        if not self.instance._state.adding:
            self.initial["public_keys"] = as_text(self.instance.public_keys)
        vocabulary = known_scopes()
        choices = [
            (name, f"{name} ({label})" if label else name) for name, label in vocabulary.items()
        ]
        # Keep scopes the vocabulary dropped visible, so saving does not silently remove them.
        current = list(self.instance.scopes or []) if self.instance.pk else []
        choices += [(scope, scope) for scope in current if scope.lower() not in vocabulary]
        scopes_field = self.fields["scopes"]
        assert isinstance(scopes_field, forms.MultipleChoiceField)
        scopes_field.choices = choices
        self.initial.setdefault("scopes", current)

    def clean_public_keys(self) -> dict[str, Any]:
        try:
            return parse_public_keys(self.cleaned_data["public_keys"])
        except ValidationError as exc:
            if exc.code == "private_key":
                # Not even shown back: the page would hold the private key again.
                data = QueryDict(mutable=True)
                data.update(self.data)
                data[self.add_prefix("public_keys")] = ""
                self.data = data
            raise

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("without_secret") and self.instance._state.adding:
            self.instance.set_unusable_secret()  # The model's clean() then requires a key.
        return cleaned


class RevokeUserForm(forms.Form):
    """The user whose tokens the selected applications lose, named by e-mail."""

    email = forms.EmailField(
        label=_("User's e-mail"),
        help_text=_(
            "Every token the selected applications hold for this user stops working at its next "
            "request; tokens issued afterwards work, and the applications stay active."
        ),
    )

    def clean_email(self) -> str:
        try:
            return normalize_email(self.cleaned_data["email"])
        except ValueError:
            raise forms.ValidationError(_("Enter a valid email address.")) from None


class ApplicationDomainForm(_DomainForm):
    class Meta:
        model = ApplicationDomain
        fields = ("domain",)

    def clean_domain(self) -> str:
        # Normalise here so that the formset's duplicate check sees stored forms.
        return normalize_domain(self.cleaned_data["domain"])


class ApplicationDomainFormSet(_DomainFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.cleaned_data["domain"]
            for form in self.forms
            if form.cleaned_data.get("domain") and not form.cleaned_data.get("DELETE")
        ]
        if len(kept) != len(set(kept)):
            raise forms.ValidationError(_("Each domain can be allowed only once."))


class ScopeListFilter(admin.SimpleListFilter):
    """Applications granted one scope of the vocabulary."""

    title = _("scope")
    parameter_name = "scope"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in known_scopes()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Application]) -> Any:
        scope = self.value()
        if not scope:
            return queryset
        # Scope names hold no quote or backslash, so the quoted name matches one whole list item
        # in the stored JSON text, on every database (SQLite and MariaDB lack JSON containment).
        return queryset.filter(scopes__icontains=json.dumps(scope.lower()))


class AllowedDomainsListFilter(admin.SimpleListFilter):
    """Applications with or without an allowed domain (without one, they act for nobody)."""

    title = _("allowed domains")
    parameter_name = "domains"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        if delegation_settings.EMPTY_DOMAIN_LIST_ALLOWS_ALL:
            none = _("None (acts for anybody)")
        else:
            none = _("None (acts for nobody)")
        return [("some", _("Some")), ("none", none)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Application]) -> Any:
        domains = ApplicationDomain.objects.filter(application=OuterRef("pk"))
        if self.value() == "some":
            return queryset.filter(Exists(domains))
        if self.value() == "none":
            return queryset.exclude(Exists(domains))
        return queryset


class ApplicationDomainInline(_DomainInline):
    model = ApplicationDomain
    form = ApplicationDomainForm
    formset = ApplicationDomainFormSet
    extra = 0


@admin.register(Application)
class ApplicationAdmin(_ApplicationModelAdmin):
    form = ApplicationAdminForm
    inlines = [ApplicationDomainInline]
    list_display = (
        "name",
        "client_credentials",
        "scopes_display",
        "is_active",
        "last_use",
        "created_at",
    )
    list_filter = (
        "is_active",
        ScopeListFilter,
        AllowedDomainsListFilter,
        "last_used_at",
        "created_at",
    )
    search_fields = ("name", "client_id", "allowed_domains__domain")
    readonly_fields = (
        "id",
        "client_id",
        "previous_secret",
        "client_authentication",
        "created_at",
        "updated_at",
        "last_used_at",
    )
    exclude = SECRET_FIELDS
    actions = [
        "regenerate_secret",
        "regenerate_secret_keeping_old",
        "end_secret_overlap",
        "deactivate_applications",
        "reactivate_applications",
        "revoke_user_tokens",
    ]

    class Media:
        css = {"all": ["django_app_delegation/admin.css"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Adding creates a secret and shows it, which takes the change permission.
        return super().has_add_permission(request) and self.has_change_permission(request)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # Filtering on a stored hash (``?client_secret__regex=...``) would read it out.
        if set(SECRET_FIELDS) & set(lookup.split(LOOKUP_SEP)):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_fields(self, request: HttpRequest, obj: Application | None = None) -> tuple[str, ...]:
        if obj is None:
            return (
                "name",
                "scopes",
                "public_keys",
                "without_secret",
                "is_active",
                "access_token_lifetime",
                "can_introspect_all_tokens",
            )
        return (
            "name",
            "id",
            "client_id",
            "previous_secret",
            "client_authentication",
            "scopes",
            "public_keys",
            "is_active",
            "access_token_lifetime",
            "can_introspect_all_tokens",
            "created_at",
            "updated_at",
            "last_used_at",
            *USAGE_FIELDS,
        )

    # -- usage, from the audit trail --------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        queryset = cast(ApplicationQuerySet, super().get_queryset(request))
        if audit.DATABASE in delegation_settings.AUDIT_DESTINATIONS:
            queryset = queryset.with_usage()  # One subquery per column: no query per row.
        return queryset

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*super().get_readonly_fields(request, obj), *USAGE_FIELDS)

    def usage(self, obj: Application, name: str) -> Any:
        """An annotation of ``with_usage()``, or the empty value without a stored trail."""
        value = getattr(obj, name, None)
        return self.get_empty_value_display() if value is None else value

    @admin.display(description=_("last used at"), ordering="last_used_at")
    def last_use(self, obj: Application) -> SafeString:
        """The list's last use, then the usage figures (when the trail is stored)."""
        used = display_for_field(
            obj.last_used_at, self.opts.get_field("last_used_at"), self.get_empty_value_display()
        )
        day, month, denied = (getattr(obj, name, None) for name in USAGE_FIELDS)
        if day is None or month is None or denied is None:  # No stored trail: no figures.
            return format_html("{}", used)
        figures = [
            ngettext("%(count)d token in 24 h", "%(count)d tokens in 24 h", day) % {"count": day},
            gettext("%(count)d in 30 days") % {"count": month},
            gettext("%(count)d denied in 30 days") % {"count": denied},
        ]
        lines = format_html_join(
            "", '<span class="usage-figure">{}</span>', ((f,) for f in figures)
        )
        return format_html('{}<span class="usage">{}</span>', used, lines)

    @admin.display(description=USAGE_LABELS["tokens_last_24_hours"])
    def tokens_last_24_hours(self, obj: Application) -> Any:
        return self.usage(obj, "tokens_last_24_hours")

    @admin.display(description=USAGE_LABELS["tokens_last_30_days"])
    def tokens_last_30_days(self, obj: Application) -> Any:
        return self.usage(obj, "tokens_last_30_days")

    @admin.display(description=USAGE_LABELS["denied_last_30_days"])
    def denied_last_30_days(self, obj: Application) -> Any:
        return self.usage(obj, "denied_last_30_days")

    @admin.display(description=_("client id"), ordering="client_id")
    def client_credentials(self, obj: Application) -> SafeString:
        """The list's client id, then until when the previous secret works, if it does."""
        if obj.previous_secret_valid_until is None:
            return format_html("{}", obj.client_id)
        overlap = gettext("Previous secret valid until %(date)s") % {
            "date": self.previous_secret(obj)
        }
        return format_html('{}<span class="secret-overlap">{}</span>', obj.client_id, overlap)

    @admin.display(description=_("previous secret valid until"))
    def previous_secret(self, obj: Application) -> str:
        """Until when the secret a rotation replaced works (the empty value when none does)."""
        field = self.opts.get_field("previous_secret_expires_at")
        empty = self.get_empty_value_display()
        return str(display_for_field(obj.previous_secret_valid_until, field, empty))

    @admin.display(description=_("Client authentication"))
    def client_authentication(self, obj: Application) -> str:
        """The methods the application can authenticate with (RFC 7591 names)."""
        methods = obj.client_authentication_methods()
        return ", ".join(methods) if methods else str(_("None: no secret, no public key"))

    @admin.display(description=_("Scopes"))
    def scopes_display(self, obj: Application) -> str:
        return ", ".join(obj.scopes) if obj.scopes else str(_("No scopes"))

    def save_model(
        self, request: HttpRequest, obj: Application, form: _ApplicationForm, change: bool
    ) -> None:
        if not change and not obj.client_secret:  # "No client secret" leaves an unusable one.
            # Read back by ``response_add``; the model declares no such attribute.
            obj._plaintext_secret = obj.set_new_secret()  # type: ignore[attr-defined]
        with audit.acting_for(request):  # A (de)activation is recorded with the staff user.
            super().save_model(request, obj, form, change)

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "new-secret/",
                self.admin_site.admin_view(self.secret_view),
                name="{}_{}_secret".format(*info),
            ),
            *super().get_urls(),
        ]

    def response_add(
        self, request: HttpRequest, obj: Application, post_url_continue: str | None = None
    ) -> HttpResponse:
        secret = getattr(obj, "_plaintext_secret", None)
        if secret is None:  # Created without a secret: nothing to show.
            return super().response_add(request, obj, post_url_continue)
        return self.show_secrets_once(request, [(obj, secret)], _("Application created"))

    @admin.action(
        description=_("Regenerate the client secret of the selected applications"),
        permissions=["change"],
    )
    def regenerate_secret(
        self, request: HttpRequest, queryset: QuerySet[Application]
    ) -> HttpResponse:
        with audit.acting_for(request):
            rotated = [(application, application.rotate_secret()) for application in queryset]
        return self.show_secrets_once(request, rotated, _("Client secret regenerated"))

    @admin.action(
        description=_("Regenerate the client secret, keeping the old one for a while"),
        permissions=["keep_old_secret"],
    )
    def regenerate_secret_keeping_old(
        self, request: HttpRequest, queryset: QuerySet[Application]
    ) -> HttpResponse:
        """Ask how long to keep the old secrets, then regenerate and show the new ones once."""
        form = KeepOldSecretForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            keep_old_for = form.cleaned_data["keep_old_for"]
            with audit.acting_for(request):
                rotated = [
                    (application, application.rotate_secret(keep_old_for=keep_old_for))
                    for application in queryset
                ]
            return self.show_secrets_once(request, rotated, _("Client secret regenerated"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Regenerate the client secret, keeping the old one"),
            "subtitle": None,
            "opts": self.model._meta,
            "form": form,
            "applications": list(queryset),
            "action_name": "regenerate_secret_keeping_old",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, KEEP_OLD_SECRET_TEMPLATE, context)

    @admin.action(
        description=_("Stop accepting the previous client secret of the selected applications"),
        permissions=["change"],
    )
    def end_secret_overlap(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        with audit.acting_for(request):
            ended = sum(application.end_secret_overlap() for application in queryset)
        if ended:
            message = ngettext(
                "%(count)d previous secret no longer works.",
                "%(count)d previous secrets no longer work.",
                ended,
            ) % {"count": ended}
            self.message_user(request, message, messages.SUCCESS)
        else:
            self.message_user(
                request, gettext("No previous secret worked any more."), messages.WARNING
            )

    def has_keep_old_secret_permission(self, request: HttpRequest) -> bool:
        """Regenerating while keeping the old secret takes the change permission, and is not
        offered when keeping old secrets is off (``CLIENT_SECRET_OVERLAP_MAX_LIFETIME`` of 0)."""
        overlap = delegation_settings.CLIENT_SECRET_OVERLAP_MAX_LIFETIME
        return overlap > timedelta(0) and self.has_change_permission(request)

    @admin.action(description=_("Deactivate the selected applications"), permissions=["change"])
    def deactivate_applications(
        self, request: HttpRequest, queryset: QuerySet[Application]
    ) -> None:
        self.set_active(request, queryset, active=False)

    @admin.action(description=_("Reactivate the selected applications"), permissions=["change"])
    def reactivate_applications(
        self, request: HttpRequest, queryset: QuerySet[Application]
    ) -> None:
        self.set_active(request, queryset, active=True)

    def set_active(
        self, request: HttpRequest, queryset: QuerySet[Application], *, active: bool
    ) -> None:
        """(De)activate the selection, record it in each one's history and say what changed."""
        # Counted first: a list filter on ``is_active`` would see the selection change.
        selected = queryset.count()
        with audit.acting_for(request):  # Each (de)activation is recorded with the staff user.
            changed = cast(ApplicationQuerySet, queryset).set_active(active)
        with override(None):  # The history stores names untranslated, as Django's own entries.
            field = str(self.model._meta.get_field("is_active").verbose_name)
        for application in changed:
            self.log_change(request, application, [{"changed": {"fields": [field]}}])
        count = len(changed)
        unchanged = selected - count
        if active:
            message = ngettext(
                "%(count)d application reactivated.",
                "%(count)d applications reactivated.",
                count,
            )
            rest = ngettext(
                "%(count)d was already active.", "%(count)d were already active.", unchanged
            )
        else:
            message = ngettext(
                "%(count)d application deactivated: its tokens stop working at once.",
                "%(count)d applications deactivated: their tokens stop working at once.",
                count,
            )
            rest = ngettext(
                "%(count)d was already inactive.", "%(count)d were already inactive.", unchanged
            )
        message %= {"count": count}
        if unchanged:
            message = f"{message} {rest % {'count': unchanged}}"
        self.message_user(request, message, messages.SUCCESS if count else messages.WARNING)

    @admin.action(
        description=_("Revoke a user's tokens with the selected applications"),
        permissions=["change"],
    )
    def revoke_user_tokens(
        self, request: HttpRequest, queryset: QuerySet[Application]
    ) -> HttpResponse | None:
        """Ask for the user's e-mail, then revoke every token of each selected application for
        that user (``revocation.revoke_delegations_for_email``)."""
        form = RevokeUserForm(request.POST if "revoke" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": _("Revoke a user's tokens"),
                "subtitle": None,
                "opts": self.model._meta,
                "form": form,
                "applications": list(queryset),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, REVOKE_USER_TEMPLATE, context)
        email = form.cleaned_data["email"]
        applications = list(queryset)
        users = 0
        with audit.acting_for(request):  # Each revocation is recorded with the staff user.
            for application in applications:
                users = revoke_delegations_for_email(application=application, email=email)
        if not users:
            self.message_user(
                request,
                gettext("No user has the e-mail %(email)s: nothing was revoked.")
                % {"email": email},
                messages.WARNING,
            )
            return None
        for application in applications:
            self.log_change(request, application, gettext("Revoked the tokens of a user."))
        self.message_user(
            request,
            ngettext(
                "The tokens of %(email)s were revoked for %(count)d application.",
                "The tokens of %(email)s were revoked for %(count)d applications.",
                len(applications),
            )
            % {"email": email, "count": len(applications)},
            messages.SUCCESS,
        )
        return None

    def show_secrets_once(
        self,
        request: HttpRequest,
        credentials: list[tuple[Application, str]],
        title: str | Promise,
    ) -> HttpResponse:
        """Keep the plaintext secrets for one display, then redirect (reloading re-posts nothing).

        They wait in the session (server-side with Django's default backend) only until the
        page that shows them is first rendered.
        """
        if settings.SESSION_ENGINE == COOKIE_SESSIONS:
            # Never put a secret in a cookie: answer the POST with the page itself.
            return self.render_secrets(request, credentials, title)
        request.session[SESSION_KEY] = {
            "title": str(title),
            "credentials": [[str(application.pk), secret] for application, secret in credentials],
        }
        info = self.opts.app_label, self.opts.model_name
        return HttpResponseRedirect(reverse("admin:{}_{}_secret".format(*info)))

    def secret_view(self, request: HttpRequest) -> HttpResponse:
        """Show the secrets kept by :meth:`show_secrets_once` once; afterwards, say so."""
        pending = request.session.pop(SESSION_KEY, None)
        if not self.has_change_permission(request):
            # The pending secrets are dropped too: they are not shown later either.
            raise PermissionDenied
        credentials: list[tuple[Application, str]] = []
        title: str | Promise = _("Client secret already shown")
        if pending:
            title = pending["title"]
            secrets_by_pk = dict(pending["credentials"])
            applications = self.model._default_manager.filter(pk__in=list(secrets_by_pk))
            credentials = [(app, secrets_by_pk[str(app.pk)]) for app in applications]
        return self.render_secrets(request, credentials, title)

    def render_secrets(
        self,
        request: HttpRequest,
        credentials: list[tuple[Application, str]],
        title: str | Promise,
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            # The admin base template looks ``subtitle`` up; a failed lookup would be logged
            # (at DEBUG) with the whole context.
            "subtitle": None,
            "opts": self.model._meta,
            "credentials": [
                (application, ShownSecret(secret)) for application, secret in credentials
            ],
        }
        response = TemplateResponse(request, SECRET_TEMPLATE, context)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response


@admin.register(DelegationEvent)
class DelegationEventAdmin(_EventModelAdmin):
    """The audit trail, read-only for everyone (superusers included): events are evidence.

    Old events go with ``manage.py prune_delegation_events``, not from here.
    """

    list_display = (
        "timestamp",
        "action",
        "outcome",
        "error",
        "application",
        "user",
        "email_domain",
        "object_reference",
        "client_ip",
    )
    list_filter = (
        "action",
        "outcome",
        ("timestamp", admin.DateFieldListFilter),
        "application",
    )
    list_select_related = ("application", "user")
    search_fields = ("=client_id", "=object_id", "=email_domain")
    # No COUNT(*) of the whole table next to a filtered one: the trail grows large.
    show_full_result_count = False
    fields = (
        "timestamp",
        "action",
        "outcome",
        "error",
        "application",
        "client_id",
        "user",
        "email_domain",
        "email",
        "object_type",
        "object_id",
        "client_ip",
        "user_agent",
        "previous_secret_expires_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("Object"))
    def object_reference(self, obj: DelegationEvent) -> str:
        if not obj.object_type and not obj.object_id:
            return self.get_empty_value_display()
        return f"{obj.object_type} {obj.object_id}".strip()
