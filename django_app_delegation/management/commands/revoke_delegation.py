"""``manage.py revoke_delegation --client-id ID --email ADDRESS [--json]``: refuse every token an
application holds for a user, without deactivating the application."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from django_app_delegation.management.base import DelegationCommand, get_applications
from django_app_delegation.revocation import revoke_delegations_for_email


class Command(DelegationCommand):
    help_text = gettext_lazy(
        "Revoke every token an application holds for a user (named by e-mail): they stop "
        "working at their next request. Tokens issued afterwards work; the application stays "
        "active."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--client-id",
            required=True,
            metavar="CLIENT_ID",
            help=_("The application's client_id."),
        )
        parser.add_argument(
            "--email", required=True, metavar="ADDRESS", help=_("The user's e-mail address.")
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help=_('Print {"client_id": ..., "email": ..., "users": ...}.'),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        [application] = get_applications([options["client_id"]])
        email = options["email"].strip()
        count = revoke_delegations_for_email(application=application, email=email)
        if not count:
            raise CommandError(_("No user has the e-mail %(email)s.") % {"email": repr(email)})
        if options["json"]:
            self.stdout.write(
                json.dumps({"client_id": application.client_id, "email": email, "users": count})
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                ngettext(
                    "Revoked the tokens of %(name)s (%(client_id)s) for %(count)d user "
                    "with the e-mail %(email)s.",
                    "Revoked the tokens of %(name)s (%(client_id)s) for %(count)d users "
                    "with the e-mail %(email)s.",
                    count,
                )
                % {
                    "name": application.name,
                    "client_id": application.client_id,
                    "count": count,
                    "email": email,
                }
            )
        )
