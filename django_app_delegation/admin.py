"""Admin for applications (scopes as checkboxes, domains inline, secrets shown exactly once, usage
from the audit trail) and the audit trail itself, read-only."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from . import audit
from .conf import delegation_settings
from .domains import normalize_domain
from .models import Application, ApplicationDomain, ApplicationQuerySet, DelegationEvent
from .scopes import known_scopes

SECRET_TEMPLATE = "admin/django_app_delegation/application/secret.html"
SESSION_KEY = "django_app_delegation.new_secrets"
COOKIE_SESSIONS = "django.contrib.sessions.backends.signed_cookies"
#: The field holding the stored hash: never shown, never filtered on.
SECRET_FIELD = "client_secret"
#: Columns and read-only fields of an application's usage (``ApplicationQuerySet.with_usage``).
USAGE_FIELDS = ("tokens_last_24_hours", "tokens_last_30_days", "denied_last_30_days")


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


class ApplicationAdminForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The most this application's tokens may do."),
    )

    class Meta:
        model = Application
        fields = ("name", "scopes", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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


class ApplicationDomainForm(forms.ModelForm):
    class Meta:
        model = ApplicationDomain
        fields = ("domain",)

    def clean_domain(self) -> str:
        # Normalise here so that the formset's duplicate check sees stored forms.
        return normalize_domain(self.cleaned_data["domain"])


class ApplicationDomainFormSet(forms.BaseInlineFormSet):
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


class ApplicationDomainInline(admin.TabularInline):
    model = ApplicationDomain
    form = ApplicationDomainForm
    formset = ApplicationDomainFormSet
    extra = 0


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    form = ApplicationAdminForm
    inlines = [ApplicationDomainInline]
    list_display = (
        "name",
        "client_id",
        "scopes_display",
        "is_active",
        "last_used_at",
        "created_at",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "client_id", "allowed_domains__domain")
    readonly_fields = ("id", "client_id", "created_at", "updated_at", "last_used_at")
    exclude = (SECRET_FIELD,)
    actions = ["regenerate_secret"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Adding creates a secret and shows it, which takes the change permission.
        return super().has_add_permission(request) and self.has_change_permission(request)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # Filtering on the stored hash (``?client_secret__regex=...``) would read it out.
        if SECRET_FIELD in lookup.split(LOOKUP_SEP):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["name", "scopes", "is_active"]
        return [
            "name",
            "id",
            "client_id",
            "scopes",
            "is_active",
            "created_at",
            "updated_at",
            "last_used_at",
            *USAGE_FIELDS,
        ]

    # -- usage, from the audit trail --------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        queryset = cast(ApplicationQuerySet, super().get_queryset(request))
        if audit.DATABASE in delegation_settings.AUDIT_DESTINATIONS:
            queryset = queryset.with_usage()  # One subquery per column: no query per row.
        return queryset

    def get_list_display(self, request: HttpRequest) -> Any:
        return (*super().get_list_display(request), *USAGE_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*super().get_readonly_fields(request, obj), *USAGE_FIELDS)

    def usage(self, obj: Application, name: str) -> Any:
        """An annotation of ``with_usage()``, or the empty value without a stored trail."""
        value = getattr(obj, name, None)
        return self.get_empty_value_display() if value is None else value

    @admin.display(description=_("Tokens (24 h)"))
    def tokens_last_24_hours(self, obj: Application) -> Any:
        return self.usage(obj, "tokens_last_24_hours")

    @admin.display(description=_("Tokens (30 days)"))
    def tokens_last_30_days(self, obj: Application) -> Any:
        return self.usage(obj, "tokens_last_30_days")

    @admin.display(description=_("Denied (30 days)"))
    def denied_last_30_days(self, obj: Application) -> Any:
        return self.usage(obj, "denied_last_30_days")

    @admin.display(description=_("Scopes"))
    def scopes_display(self, obj: Application) -> str:
        return ", ".join(obj.scopes) if obj.scopes else str(_("No scopes"))

    def save_model(self, request: HttpRequest, obj: Application, form: Any, change: bool) -> None:
        if not change:
            obj._plaintext_secret = obj.set_new_secret()  # type: ignore[attr-defined]
        with audit.acting_for(request):  # A (de)activation is recorded with the staff user.
            super().save_model(request, obj, form, change)

    def get_urls(self) -> list[Any]:
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
        if secret is None:  # pragma: no cover - save_model always sets it
            return super().response_add(request, obj, post_url_continue)
        return self.show_secrets_once(request, [(obj, secret)], _("Application created"))

    @admin.action(
        description=_("Regenerate the client secret of the selected applications"),
        permissions=["change"],
    )
    def regenerate_secret(self, request: HttpRequest, queryset: QuerySet[Application]) -> Any:
        with audit.acting_for(request):
            rotated = [(application, application.rotate_secret()) for application in queryset]
        return self.show_secrets_once(request, rotated, _("Client secret regenerated"))

    def show_secrets_once(
        self, request: HttpRequest, credentials: list[tuple[Application, str]], title: Any
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
        title: Any = _("Client secret already shown")
        if pending:
            title = pending["title"]
            secrets_by_pk = dict(pending["credentials"])
            applications = self.model._default_manager.filter(pk__in=list(secrets_by_pk))
            credentials = [(app, secrets_by_pk[str(app.pk)]) for app in applications]
        return self.render_secrets(request, credentials, title)

    def render_secrets(
        self, request: HttpRequest, credentials: list[tuple[Application, str]], title: Any
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
class DelegationEventAdmin(admin.ModelAdmin):
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
