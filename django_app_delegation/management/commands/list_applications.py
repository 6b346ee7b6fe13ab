"""``manage.py list_applications [--json]``: the registered applications, never their secrets."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from django_app_delegation.conf import delegation_settings
from django_app_delegation.durations import format_duration
from django_app_delegation.management.base import DelegationCommand
from django_app_delegation.models import Application
from django_app_delegation.tokens import access_token_lifetime, lifetime_seconds


class Command(DelegationCommand):
    help_text = gettext_lazy(
        "List the delegation applications: name, client_id, active flag, scopes, allowed domains "
        "and last use. Secrets are never shown."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json",
            action="store_true",
            help=_("Print a JSON list of objects, one per application."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        applications = list(
            Application.objects.order_by("name", "client_id").prefetch_related("allowed_domains")
        )
        if options["json"]:
            self.stdout.write(json.dumps([as_json(application) for application in applications]))
            return
        if not applications:
            self.stdout.write(_("No applications."))
            return
        self.write_table(applications)
        nobody = [app for app in applications if not app.allowed_domain_names()]
        if nobody and not delegation_settings.EMPTY_DOMAIN_LIST_ALLOWS_ALL:
            self.stderr.write(
                self.style.WARNING(
                    ngettext(
                        "%(count)d application has no allowed domain: it acts for nobody "
                        "(EMPTY_DOMAIN_LIST_ALLOWS_ALL is off).",
                        "%(count)d applications have no allowed domain: they act for nobody "
                        "(EMPTY_DOMAIN_LIST_ALLOWS_ALL is off).",
                        len(nobody),
                    )
                    % {"count": len(nobody)}
                )
            )

    def write_table(self, applications: list[Application]) -> None:
        headers = [
            _("Name"),
            _("Client ID"),
            _("Active"),
            _("Scopes"),
            _("Allowed domains"),
            _("Token lifetime"),
            _("Last used"),
        ]
        rows = [
            [
                application.name,
                application.client_id,
                _("yes") if application.is_active else _("no"),
                " ".join(application.scopes) or "-",
                " ".join(application.allowed_domain_names()) or "-",
                lifetime_text(application),
                local_time(application.last_used_at) or _("never"),
            ]
            for application in applications
        ]
        widths = [max(len(row[index]) for row in [headers, *rows]) for index in range(len(headers))]
        for row in [headers, *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
            self.stdout.write("  ".join(cells).rstrip())


def local_time(value: datetime | None) -> str | None:
    """``value`` in the current time zone, to the minute (None stays None)."""
    if value is None:
        return None
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d %H:%M")


def lifetime_text(application: Application) -> str:
    """The lifetime of the application's tokens (``15m``), marked when it is the default one or
    when the maximum cuts it."""
    lifetime = access_token_lifetime(application)
    text = format_duration(lifetime)
    if application.access_token_lifetime is None:
        return _("%(lifetime)s (default)") % {"lifetime": text}
    if lifetime < application.access_token_lifetime:
        return _("%(lifetime)s (maximum)") % {"lifetime": text}
    return text


def as_json(application: Application) -> dict[str, Any]:
    """What ``--json`` prints of one application (stable keys; never the secret or its hash).

    ``access_token_lifetime`` is the application's own (seconds, or None for the default),
    ``expires_in`` what its tokens last now.
    """
    lifetime = application.access_token_lifetime
    valid_until = application.previous_secret_valid_until
    return {
        "client_id": application.client_id,
        "name": application.name,
        "is_active": application.is_active,
        "scopes": list(application.scopes),
        "domains": application.allowed_domain_names(),
        "created_at": application.created_at.isoformat(),
        "last_used_at": (
            application.last_used_at.isoformat() if application.last_used_at else None
        ),
        "access_token_lifetime": int(lifetime.total_seconds()) if lifetime else None,
        "expires_in": lifetime_seconds(application),
        "previous_secret_valid_until": valid_until.isoformat() if valid_until else None,
    }
