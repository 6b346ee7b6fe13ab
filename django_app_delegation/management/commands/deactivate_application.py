"""``manage.py deactivate_application CLIENT_ID [...] [--reactivate]``: switch applications off
(or back on) without deleting them.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_app_delegation.management.base import DelegationCommand, get_applications
from django_app_delegation.models import Application


class Command(DelegationCommand):
    help_text = gettext_lazy(
        "Deactivate applications: the token endpoint refuses them and the tokens they hold stop "
        "working at once. With --reactivate, switch them back on. Nothing is deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "client_ids", nargs="+", metavar="CLIENT_ID", help=_("An application's client_id.")
        )
        parser.add_argument(
            "--reactivate",
            action="store_true",
            help=_("Reactivate the applications instead."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        active = options["reactivate"]
        with transaction.atomic():
            applications = get_applications(options["client_ids"])
            changed = {
                application.pk
                for application in Application.objects.filter(
                    pk__in=[application.pk for application in applications]
                ).set_active(active)
            }
        for application in applications:
            values = {"name": application.name, "client_id": application.client_id}
            if application.pk not in changed:
                if active:
                    message = _("%(name)s (%(client_id)s) was already active.")
                else:
                    message = _("%(name)s (%(client_id)s) was already inactive.")
                self.stdout.write(message % values)
            elif active:
                self.stdout.write(
                    self.style.SUCCESS(_("Reactivated %(name)s (%(client_id)s).") % values)
                )
            else:
                self.stdout.write(
                    self.style.SUCCESS(
                        _("Deactivated %(name)s (%(client_id)s): its tokens stop working at once.")
                        % values
                    )
                )
