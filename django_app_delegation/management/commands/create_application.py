"""``manage.py create_application``: register an application and print its secret once."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from django_app_delegation.models import Application


class Command(BaseCommand):
    help = (
        "Create a delegation application and print its client_id and client_secret. "
        "The secret is shown this once and stored hashed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Descriptive name of the application.")
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            dest="scopes",
            metavar="SCOPE",
            help="A scope from APP_DELEGATION['SCOPES'] (repeat, or separate with spaces/commas).",
        )
        parser.add_argument(
            "--domain",
            action="append",
            default=[],
            dest="domains",
            metavar="DOMAIN",
            help="An e-mail domain it may act for; *.example.com covers subdomains (repeatable).",
        )
        parser.add_argument(
            "--inactive", action="store_true", help="Create the application disabled."
        )
        parser.add_argument(
            "--json", action="store_true", help='Print {"client_id": ..., "client_secret": ...}.'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scopes = [s for item in options["scopes"] for s in item.replace(",", " ").split()]
        domains = [d for item in options["domains"] for d in item.replace(",", " ").split()]
        try:
            with transaction.atomic():
                application, secret = Application.objects.create_application(
                    name=options["name"],
                    scopes=scopes,
                    domains=domains,
                    is_active=not options["inactive"],
                )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        write_credentials(self, application, secret, as_json=options["json"])


def write_credentials(
    command: BaseCommand, application: Application, secret: str, *, as_json: bool
) -> None:
    """Print the credentials once, as JSON or as text with a warning to store them now."""
    if as_json:
        command.stdout.write(
            json.dumps({"client_id": application.client_id, "client_secret": secret})
        )
        return
    command.stdout.write(f"client_id:     {application.client_id}")
    command.stdout.write(f"client_secret: {secret}")
    command.stderr.write(
        command.style.WARNING("Store the secret now: it is hashed and cannot be shown again.")
    )
