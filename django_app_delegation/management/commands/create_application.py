"""``manage.py create_application``: register an application and print its secret once (or register
its public keys, ``--public-key``, with ``--no-secret`` for none)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_app_delegation import hooks
from django_app_delegation.client_keys import MAX_KEYS_TEXT_LENGTH, parse_public_keys
from django_app_delegation.conf import delegation_settings, setting_name
from django_app_delegation.management.base import DelegationCommand, duration_argument
from django_app_delegation.models import Application
from django_app_delegation.scopes import known_scopes


class Command(DelegationCommand):
    help_text = gettext_lazy(
        "Create a delegation application and print its client_id and client_secret. "
        "The secret is shown this once and stored hashed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help=_("Descriptive name of the application."))
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            dest="scopes",
            metavar="SCOPE",
            help=_(
                "A scope from APP_DELEGATION['SCOPES'] (repeat, or separate with spaces/commas)."
            ),
        )
        parser.add_argument(
            "--domain",
            action="append",
            default=[],
            dest="domains",
            metavar="DOMAIN",
            help=_(
                "An e-mail domain it may act for; *.example.com covers subdomains (repeatable)."
            ),
        )
        parser.add_argument(
            "--inactive", action="store_true", help=_("Create the application disabled.")
        )
        parser.add_argument(
            "--access-token-lifetime",
            type=duration_argument,
            metavar="DURATION",
            help=_(
                "How long its tokens last (30m, 24h, 7d or seconds); default: "
                "ACCESS_TOKEN_LIFETIME, at most MAX_ACCESS_TOKEN_LIFETIME."
            ),
        )
        parser.add_argument(
            "--public-key",
            action="append",
            default=[],
            dest="public_keys",
            metavar="FILE",
            help=_(
                "A file of PEM public keys or a JWK Set verifying the application's assertions "
                "(RFC 7523; repeatable)."
            ),
        )
        parser.add_argument(
            "--no-secret",
            action="store_true",
            help=_("Create it without a client secret: it authenticates with its public keys."),
        )
        parser.add_argument(
            "--json", action="store_true", help=_('Print {"client_id": ..., "client_secret": ...}.')
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scopes = [s for item in options["scopes"] for s in item.replace(",", " ").split()]
        domains = [d for item in options["domains"] for d in item.replace(",", " ").split()]
        if options["no_secret"] and not options["public_keys"]:
            raise CommandError(_("--no-secret needs --public-key: the application needs a key."))
        try:
            public_keys = [key for path in options["public_keys"] for key in read_public_keys(path)]
            with transaction.atomic():
                application, secret = Application.objects.create_application(
                    name=options["name"],
                    scopes=scopes,
                    domains=domains,
                    is_active=not options["inactive"],
                    access_token_lifetime=options["access_token_lifetime"],
                    public_keys=public_keys,
                    with_secret=not options["no_secret"],
                )
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        write_credentials(self, application, secret, as_json=options["json"])
        if acts_for_nobody(application):
            self.stderr.write(
                self.style.WARNING(
                    _(
                        "This application has no allowed domain and EMPTY_DOMAIN_LIST_ALLOWS_ALL "
                        "is off: it can act for nobody. Add domains in the admin, or create it "
                        "again with --domain."
                    )
                )
            )


def read_public_keys(path: str) -> list[dict[str, Any]]:
    """The JWKs of a file of PEM public keys or a JWK Set (a private key is refused)."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read(MAX_KEYS_TEXT_LENGTH + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}
        ) from None
    keys: list[dict[str, Any]] = parse_public_keys(text).get("keys", [])
    return keys


def validation_message(exc: ValidationError) -> str:
    """The validation errors on one line; with an unknown scope, the scopes that are valid."""
    message = "; ".join(exc.messages)
    errors = getattr(exc, "error_dict", {}).get("scopes", [])
    if any(error.code == "unknown_scope" for error in errors):
        vocabulary = sorted(known_scopes())
        if vocabulary:
            message += " " + _("Valid scopes: %(scopes)s.") % {"scopes": ", ".join(vocabulary)}
        else:
            message += " " + _("No scope is defined: set %(setting)s.") % {
                "setting": setting_name("SCOPES")
            }
    return message


def acts_for_nobody(application: Application) -> bool:
    """Whether the default ``CAN_DELEGATE`` refuses every user (no domain, no opt-in to all).

    A project's own ``CAN_DELEGATE`` may decide otherwise: nothing is said of it.
    """
    return (
        delegation_settings.CAN_DELEGATE is hooks.can_delegate
        and not delegation_settings.EMPTY_DOMAIN_LIST_ALLOWS_ALL
        and not application.allowed_domain_names()
    )


def write_credentials(
    command: BaseCommand,
    application: Application,
    secret: str,
    *,
    as_json: bool,
    extra: Mapping[str, str | None] | None = None,
) -> None:
    """Print the credentials once, as JSON or as text with a warning to store them now; the
    ``extra`` fields follow them (in the text, those that are not None). Without a secret
    (``""``), the client id and the ``kid`` of its keys."""
    kids = [key["kid"] for key in application.public_jwks]
    fields: dict[str, Any] = {"client_id": application.client_id, "client_secret": secret or None}
    if as_json:
        if kids:
            fields["kids"] = kids
        command.stdout.write(json.dumps({**fields, **(extra or {})}))
        return
    lines: list[tuple[str, str | None]] = [("client_id", application.client_id)]
    lines += [("public key", kid) for kid in kids]
    lines += [("client_secret", secret or None), *(extra or {}).items()]
    width = max(len(name) for name, value in lines if value is not None) + 1
    for name, value in lines:
        if value is not None:
            command.stdout.write(f"{name + ':':<{width}} {value}")
    if not secret:
        return
    command.stderr.write(
        command.style.WARNING(_("Store the secret now: it is hashed and cannot be shown again."))
    )
