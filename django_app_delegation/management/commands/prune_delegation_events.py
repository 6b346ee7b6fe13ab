"""``manage.py prune_delegation_events --older-than 90d``: delete old audit events."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from django_app_delegation.durations import AGE_UNITS, parse_duration_text
from django_app_delegation.management.base import DelegationCommand
from django_app_delegation.models import DelegationEvent

#: Events deleted per statement, so that no statement locks the table for long.
DEFAULT_BATCH_SIZE = 5000


class Command(DelegationCommand):
    help_text = gettext_lazy(
        "Delete the audit trail's events older than an age, such as 90d (units: s, m, h, d, w). "
        "Run it daily from cron or a scheduler."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            required=True,
            metavar="AGE",
            help=_("Delete events older than this: a number and a unit, e.g. 90d, 12w, 36h."),
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=_("Events deleted per statement (default %(size)d).")
            % {"size": DEFAULT_BATCH_SIZE},
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=_("Count the events, delete nothing.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            age = parse_duration_text(options["older_than"], units=AGE_UNITS, unit_required=True)
        except ValueError:
            raise CommandError(
                _("--older-than %(value)s: use a number and a unit among %(units)s, e.g. 90d.")
                % {"value": repr(options["older_than"]), "units": ", ".join(AGE_UNITS)}
            ) from None
        if options["batch_size"] < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        cutoff = timezone.now() - age
        old = DelegationEvent.objects.older_than(cutoff)
        when = f"{cutoff:%Y-%m-%d %H:%M:%S %Z}"
        if options["dry_run"]:
            count = old.count()
            self.stdout.write(
                ngettext(
                    "%(count)d event older than %(when)s.",
                    "%(count)d events older than %(when)s.",
                    count,
                )
                % {"count": count, "when": when}
            )
            return
        deleted = 0
        while True:
            batch = list(old.order_by("pk").values_list("pk", flat=True)[: options["batch_size"]])
            if not batch:
                break
            deleted += DelegationEvent.objects.filter(pk__in=batch).delete()[0]
        self.stdout.write(
            ngettext(
                "Deleted %(count)d event older than %(when)s.",
                "Deleted %(count)d events older than %(when)s.",
                deleted,
            )
            % {"count": deleted, "when": when}
        )
