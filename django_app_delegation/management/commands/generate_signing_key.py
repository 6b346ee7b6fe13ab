"""``manage.py generate_signing_key``: a new token-signing key (PEM pair or HMAC secret) and kid."""

from __future__ import annotations

import json
import secrets
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_app_delegation.keys import HMAC_ALGORITHMS, SUPPORTED_ALGORITHMS
from django_app_delegation.management.base import DelegationCommand

#: The curve of each ES* algorithm (RFC 7518 §3.4).
CURVES: dict[str, ec.EllipticCurve] = {
    "ES256": ec.SECP256R1(),
    "ES384": ec.SECP384R1(),
    "ES512": ec.SECP521R1(),
}
RSA_KEY_SIZE = 3072


def generate_private_key(algorithm: str) -> Any:
    """A new private key for an asymmetric ``algorithm``."""
    if algorithm in CURVES:
        return ec.generate_private_key(CURVES[algorithm])
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)


class Command(DelegationCommand):
    help_text = gettext_lazy(
        "Generate a token-signing key and a kid for APP_DELEGATION['SIGNING_KEYS']: a PEM key "
        "pair, or a random secret for HS* algorithms. Nothing is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--algorithm",
            default="ES256",
            help=_("The signing algorithm (default ES256): %(algorithms)s.")
            % {"algorithms": ", ".join(sorted(SUPPORTED_ALGORITHMS))},
        )
        parser.add_argument(
            "--kid", help=_("The key id (default: today's date and a random suffix).")
        )
        parser.add_argument(
            "--json", action="store_true", help=_("Print the key as one JSON object.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        algorithm = options["algorithm"]
        if algorithm not in SUPPORTED_ALGORITHMS:
            raise CommandError(
                _("Unsupported algorithm %(algorithm)s; use one of %(algorithms)s.")
                % {
                    "algorithm": repr(algorithm),
                    "algorithms": ", ".join(sorted(SUPPORTED_ALGORITHMS)),
                }
            )
        kid = options["kid"] or f"{timezone.now():%Y-%m-%d}-{secrets.token_hex(3)}"
        entry: dict[str, str] = {"KID": kid, "ALGORITHM": algorithm}
        if algorithm in HMAC_ALGORITHMS:
            entry["SECRET"] = secrets.token_urlsafe(HMAC_ALGORITHMS[algorithm] * 2)
        else:
            private = generate_private_key(algorithm)
            entry["PRIVATE_KEY"] = private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode()
            entry["PUBLIC_KEY"] = (
                private.public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                .decode()
            )
        if options["json"]:
            self.stdout.write(json.dumps(entry))
            return
        for name, value in entry.items():
            if "\n" in value:
                self.stdout.write(f"{name}:\n{value.rstrip()}")
            else:
                self.stdout.write(f"{name}: {value}")
        self.stdout.write(
            _("Store the private part in your secret store; it is not kept anywhere else.")
        )
