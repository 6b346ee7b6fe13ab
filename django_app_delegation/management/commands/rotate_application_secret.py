"""``manage.py rotate_application_secret CLIENT_ID``: replace a secret and print it once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_app_delegation.management.base import DelegationCommand, get_applications

from .create_application import write_credentials


class Command(DelegationCommand):
    help_text = gettext_lazy(
        "Generate a new client_secret for an application and print it once. "
        "The old secret stops working immediately; issued tokens stay valid until they expire."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client_id", help=_("The application's client_id."))
        parser.add_argument(
            "--json", action="store_true", help=_('Print {"client_id": ..., "client_secret": ...}.')
        )

    def handle(self, *args: Any, **options: Any) -> None:
        [application] = get_applications([options["client_id"]])
        secret = application.rotate_secret()
        write_credentials(self, application, secret, as_json=options["json"])
