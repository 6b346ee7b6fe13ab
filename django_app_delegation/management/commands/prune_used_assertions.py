"""``manage.py prune_used_assertions``: delete the used assertions' ``jti`` once they expire."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from django_app_delegation.management.base import DelegationCommand
from django_app_delegation.models import UsedAssertion


class Command(DelegationCommand):
    help_text = gettext_lazy(
        "Delete the jti of used assertions that have expired (an expired assertion is refused "
        "anyway). Run it hourly or daily from cron or a scheduler."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=_("Count the entries, delete nothing.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        expired = UsedAssertion.objects.expired()
        if options["dry_run"]:
            count = expired.count()
            message = ngettext(
                "%(count)d expired assertion.", "%(count)d expired assertions.", count
            )
        else:
            count = expired.delete()[0]
            message = ngettext(
                "Deleted %(count)d expired assertion.",
                "Deleted %(count)d expired assertions.",
                count,
            )
        self.stdout.write(message % {"count": count})
