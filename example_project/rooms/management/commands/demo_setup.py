"""``manage.py demo_setup``: a demo user and a demo application, with the curl commands to try.

Idempotent: running it again keeps the user and the application and gives the application a new
secret (secrets are stored hashed, so the old one cannot be shown again).
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from django_app_delegation.models import Application, ApplicationDomain
from django_app_delegation.scopes import known_scopes

DEMO_EMAIL = "demo@example.com"
DEMO_APPLICATION = "Demo application"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
CREDENTIALS_FILE_NAME = ".demo-credentials.json"
API_PREFIX = "/external-api/v1.0"


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo user and the demo application with every room scope, "
        "then print the client_id, a new client_secret and curl commands for the whole flow."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default=DEMO_EMAIL, help="E-mail of the demo user.")
        parser.add_argument(
            "--base-url",
            default=os.environ.get("DEMO_URL", DEFAULT_BASE_URL),
            help="Where the server listens, for the printed commands (env DEMO_URL).",
        )
        parser.add_argument(
            "--credentials-file",
            default=os.environ.get(
                "DEMO_CREDENTIALS", str(Path(settings.BASE_DIR) / CREDENTIALS_FILE_NAME)
            ),
            help="JSON file the credentials are written to, readable by the owner only "
            "(env DEMO_CREDENTIALS; '-' to write none).",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print the credentials as JSON, nothing else."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"]
        base_url = options["base_url"].rstrip("/")
        with transaction.atomic():
            _user, user_created = self.get_or_create_user(email)
            application, secret, app_created = self.get_or_create_application(email)
        credentials = {
            "client_id": application.client_id,
            "client_secret": secret,
            "email": email,
            "url": base_url,
        }
        if options["credentials_file"] != "-":
            write_private_file(Path(options["credentials_file"]), json.dumps(credentials) + "\n")
        if options["json"]:
            self.stdout.write(json.dumps(credentials))
            return
        self.stdout.write(f"Demo user {email}: {'created' if user_created else 'exists'}.")
        self.stdout.write(
            f"Demo application {application.name!r}: "
            f"{'created' if app_created else 'exists, secret rotated'}; "
            f"scopes: {' '.join(application.scopes)}."
        )
        self.stdout.write("")
        self.stdout.write(f"client_id:     {application.client_id}")
        self.stdout.write(f"client_secret: {secret}")
        self.stdout.write(
            self.style.WARNING(
                "The secret is shown once (stored hashed); run demo_setup again for a new one."
            )
        )
        self.stdout.write("")
        self.stdout.write(curl_commands(credentials))

    def get_or_create_user(self, email: str) -> tuple[Any, bool]:
        user_model = get_user_model()
        user = user_model._default_manager.filter(email__iexact=email).order_by("pk").first()
        if user is not None:
            if not user.is_active:
                user.is_active = True
                user.save(update_fields=["is_active"])
            return user, False
        return user_model._default_manager.create_user(email=email), True

    def get_or_create_application(self, email: str) -> tuple[Application, str, bool]:
        scopes = [scope for scope in known_scopes() if scope.startswith("rooms:")]
        domain = email.rpartition("@")[2].lower()
        application = Application.objects.filter(name=DEMO_APPLICATION).order_by("created_at")
        application = application.first()
        if application is None:
            application, secret = Application.objects.create_application(
                name=DEMO_APPLICATION, scopes=scopes, domains=[domain]
            )
            return application, secret, True
        application.scopes = scopes
        application.is_active = True
        secret = application.set_new_secret()
        application.full_clean()
        application.save()
        if not application.allowed_domains.filter(domain=domain).exists():
            entry = ApplicationDomain(application=application, domain=domain)
            entry.full_clean()
            entry.save()
        return application, secret, False


def write_private_file(path: Path, content: str) -> None:
    """Write ``content`` to ``path``, readable and writable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)


def curl_commands(credentials: dict[str, str]) -> str:
    """Return shell commands for the flow: token, create, list, retrieve, update, delete."""
    quote = shlex.quote
    read = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"{key}\"])'"
    return "\n".join(
        [
            "Try the whole flow (copy and paste into a shell while the server runs):",
            "",
            f"API={quote(credentials['url'] + API_PREFIX)}",
            f"CLIENT_ID={quote(credentials['client_id'])}",
            f"CLIENT_SECRET={quote(credentials['client_secret'])}",
            "",
            "# 1. Token acting as the demo user (HTTP Basic client authentication)",
            'TOKEN=$(curl -sS -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials \\',
            f'  -d scope={quote(credentials["email"])} "$API/application/token/" \\',
            "  | " + read.format(key="access_token") + ")",
            "",
            "# 2. Create a room",
            'ROOM=$(curl -sS -X POST "$API/rooms/" -H "Authorization: Bearer $TOKEN" \\',
            "  -H 'Content-Type: application/json' \\",
            '  -d \'{"configuration": {"everyone_can_mute": true}}\' \\',
            "  | " + read.format(key="id") + ")",
            "",
            "# 3. List the user's rooms",
            'curl -sS "$API/rooms/" -H "Authorization: Bearer $TOKEN"; echo',
            "",
            "# 4. Retrieve the room",
            'curl -sS "$API/rooms/$ROOM/" -H "Authorization: Bearer $TOKEN"; echo',
            "",
            "# 5. Update it (PATCH)",
            'curl -sS -X PATCH "$API/rooms/$ROOM/" -H "Authorization: Bearer $TOKEN" \\',
            "  -H 'Content-Type: application/json' -d '{\"access_level\": \"restricted\"}'; echo",
            "",
            "# 6. Delete it (204)",
            'curl -sS -X DELETE "$API/rooms/$ROOM/" -H "Authorization: Bearer $TOKEN" \\',
            "  -o /dev/null -w '%{http_code}\\n'",
            "",
            f"OpenAPI: {credentials['url']}/api/docs/ (Swagger UI), "
            f"{credentials['url']}/api/redoc/, {credentials['url']}/api/schema/",
        ]
    )
