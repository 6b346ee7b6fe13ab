"""``manage.py prune_revocations [--dry-run]``: delete the revocation entries that refuse nothing
any more (their tokens have expired)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from django_app_delegation.management.base import DelegationCommand
from django_app_delegation.revocation import expired_revocations


class Command(DelegationCommand):
    help_text = gettext_lazy(
        "Delete the revocation entries every token of which has expired: a revoked token's once "
        "it has expired, a user's revocation once the access-token lifetime has passed. Run it "
        "daily from cron or a scheduler."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=_("Count the entries, delete nothing.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        expired = expired_revocations()
        if options["dry_run"]:
            tokens, delegations = expired.tokens.count(), expired.delegations.count()
        else:
            with transaction.atomic():
                tokens = expired.tokens.delete()[0]
                delegations = expired.delegations.delete()[0]
        values = {"tokens": tokens, "delegations": delegations}
        if options["dry_run"]:
            message = ngettext(
                "%(tokens)d revoked token and %(delegations)d user revocation(s) have expired.",
                "%(tokens)d revoked tokens and %(delegations)d user revocation(s) have expired.",
                tokens,
            )
        else:
            message = ngettext(
                "Deleted %(tokens)d revoked token and %(delegations)d user revocation(s) that "
                "had expired.",
                "Deleted %(tokens)d revoked tokens and %(delegations)d user revocation(s) that "
                "had expired.",
                tokens,
            )
        self.stdout.write(message % values)
