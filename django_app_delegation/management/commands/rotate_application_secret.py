"""``manage.py rotate_application_secret CLIENT_ID [--keep-old-for 24h | --end-overlap]``: replace
a secret and print it once, keeping the old one for a while if asked; or stop the old one now."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_app_delegation.management.base import (
    DelegationCommand,
    duration_argument,
    get_applications,
)
from django_app_delegation.models import Application

from .create_application import write_credentials


def iso_time(value: datetime | None) -> str | None:
    """``value`` in the current time zone, ISO 8601 to the second (None stays None)."""
    return None if value is None else timezone.localtime(value).isoformat(timespec="seconds")


class Command(DelegationCommand):
    help_text = gettext_lazy(
        "Generate a new client_secret for an application and print it once. The old secret stops "
        "working immediately, or after --keep-old-for; --end-overlap stops it now. Issued tokens "
        "stay valid until they expire."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client_id", help=_("The application's client_id."))
        overlap = parser.add_mutually_exclusive_group()
        overlap.add_argument(
            "--keep-old-for",
            type=duration_argument,
            metavar="DURATION",
            help=_(
                "Keep the old secret working for this long (30m, 24h, 7d or seconds), at most "
                "CLIENT_SECRET_OVERLAP_MAX_LIFETIME."
            ),
        )
        overlap.add_argument(
            "--end-overlap",
            action="store_true",
            help=_("Generate nothing: stop accepting the previous secret now."),
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help=_(
                'Print {"client_id": ..., "client_secret": ..., "previous_secret_valid_until": '
                "...}."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        [application] = get_applications([options["client_id"]])
        if options["end_overlap"]:
            self.end_overlap(application, as_json=options["json"])
            return
        try:
            secret = application.rotate_secret(keep_old_for=options["keep_old_for"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        valid_until = iso_time(application.previous_secret_expires_at)
        write_credentials(
            self,
            application,
            secret,
            as_json=options["json"],
            extra={"previous_secret_valid_until": valid_until},
        )
        if valid_until and not options["json"]:
            self.stderr.write(
                _("The old secret keeps working until %(date)s; --end-overlap stops it sooner.")
                % {"date": valid_until}
            )

    def end_overlap(self, application: Application, *, as_json: bool) -> None:
        ended = application.end_secret_overlap()
        if as_json:
            self.stdout.write(json.dumps({"client_id": application.client_id, "ended": ended}))
            return
        values = {"name": application.name, "client_id": application.client_id}
        if ended:
            self.stdout.write(
                self.style.SUCCESS(
                    _("The previous secret of %(name)s (%(client_id)s) no longer works.") % values
                )
            )
        else:
            self.stdout.write(
                _("%(name)s (%(client_id)s) has no previous secret that still works.") % values
            )
