"""``manage.py rotate_application_secret CLIENT_ID``: replace a secret and print it once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_app_delegation.models import Application

from .create_application import write_credentials


class Command(BaseCommand):
    help = (
        "Generate a new client_secret for an application and print it once. "
        "The old secret stops working immediately; issued tokens stay valid until they expire."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client_id", help="The application's client_id.")
        parser.add_argument(
            "--json", action="store_true", help='Print {"client_id": ..., "client_secret": ...}.'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            application = Application.objects.get(client_id=options["client_id"])
        except Application.DoesNotExist:
            raise CommandError(f"No application with client_id {options['client_id']!r}.") from None
        secret = application.rotate_secret()
        write_credentials(self, application, secret, as_json=options["json"])
