"""The signing keys of access tokens: which one signs, which ones verify, what the JWKS publishes.

Two forms of configuration:

- the single-key form, ``SIGNING_KEY`` (the HMAC secret or the PEM private key), ``VERIFYING_KEY``
  (the PEM public key), ``ALGORITHM`` and ``KEY_ID``; the ``kid`` of a token is then
  informational, the one key verifies every token;
- the key list, ``SIGNING_KEYS``: each entry has a ``KID``, an ``ALGORITHM``, its key material
  (``SECRET`` for HS*, ``PRIVATE_KEY`` and/or ``PUBLIC_KEY`` for the others) and optionally
  ``RETIRED`` or ``VERIFY_UNTIL``. The first entry that is neither retired nor retiring signs; every
  entry not yet retired verifies the tokens whose ``kid`` names it. A token whose ``kid`` names no
  such entry, or that has none, is not ours.

Keys come only from the settings: never from a URL or a key in a token's header.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from .conf import delegation_settings, setting_name

HMAC_ALGORITHMS = {"HS256": 32, "HS384": 48, "HS512": 64}
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
SUPPORTED_ALGORITHMS = frozenset(HMAC_ALGORITHMS) | ASYMMETRIC_ALGORITHMS
#: The options of a ``SIGNING_KEYS`` entry.
KEY_OPTIONS = frozenset(
    {"KID", "ALGORITHM", "SECRET", "PRIVATE_KEY", "PUBLIC_KEY", "RETIRED", "VERIFY_UNTIL"}
)


@dataclass(frozen=True)
class SigningKey:
    """One configured key: its ``kid``, algorithm, material and retirement."""

    kid: str
    algorithm: str
    private: str | bytes | None = None
    public: str | bytes | None = None
    retired: bool = False
    verify_until: datetime | None = None

    @property
    def is_hmac(self) -> bool:
        return self.algorithm in HMAC_ALGORITHMS

    def verifies(self, now: datetime | None = None) -> bool:
        """Whether tokens signed with this key are still accepted (and the key published)."""
        if self.retired:
            return False
        return self.verify_until is None or (now or timezone.now()) < self.verify_until

    @property
    def may_sign(self) -> bool:
        """Whether this key may sign: neither retired nor retiring, and with its private part."""
        return not self.retired and self.verify_until is None and bool(self.private)

    def verifying_material(self) -> Any:
        """The key PyJWT verifies with: the secret, the public key, or one derived from the
        private key."""
        if self.is_hmac or self.public:
            return self.private if self.is_hmac else self.public
        if not self.private:
            raise ImproperlyConfigured(f"Signing key {self.kid!r} has no key material.")
        prepared = jwt.get_algorithm_by_name(self.algorithm).prepare_key(self.private)
        return prepared.public_key()

    def public_jwk(self) -> dict[str, Any]:
        """This key's public part as a JWK (RFC 7517); never called for an HMAC key."""
        if self.is_hmac:
            raise ValueError("HMAC keys are secret: they have no public JWK.")
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        material = self.verifying_material()
        if isinstance(material, str | bytes):
            material = algorithm.prepare_key(material)
        jwk: dict[str, Any] = algorithm.to_jwk(material, as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": self.algorithm})
        return jwk


def _derived_kid(material: str | bytes) -> str:
    raw = material.encode() if isinstance(material, str) else material
    digest = hashlib.sha256(b"django-app-delegation:kid:" + raw).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")


def uses_key_list() -> bool:
    """Whether ``SIGNING_KEYS`` configures the keys (else the single-key form does)."""
    return bool(delegation_settings.SIGNING_KEYS)


def key_from_entry(entry: Mapping[str, Any]) -> SigningKey:
    """A :class:`SigningKey` from one ``SIGNING_KEYS`` entry (validated by the system checks)."""
    algorithm = entry.get("ALGORITHM", "HS256")
    private = entry.get("SECRET") if algorithm in HMAC_ALGORITHMS else entry.get("PRIVATE_KEY")
    return SigningKey(
        kid=str(entry["KID"]),
        algorithm=algorithm,
        private=private,
        public=None if algorithm in HMAC_ALGORITHMS else entry.get("PUBLIC_KEY"),
        retired=bool(entry.get("RETIRED", False)),
        verify_until=entry.get("VERIFY_UNTIL"),
    )


def single_key() -> SigningKey:
    """The key of the single-key form (``SIGNING_KEY``, ``VERIFYING_KEY``, ``ALGORITHM``)."""
    algorithm = delegation_settings.ALGORITHM
    private = delegation_settings.SIGNING_KEY
    if not private:
        raise ImproperlyConfigured(f"{setting_name('SIGNING_KEY')} is required.")
    if algorithm in HMAC_ALGORITHMS:
        public = None
        verifying: str | bytes = private
    else:
        public = delegation_settings.VERIFYING_KEY
        if not public:
            raise ImproperlyConfigured(
                f"{setting_name('VERIFYING_KEY')} is required with an asymmetric ALGORITHM."
            )
        verifying = public
    kid = delegation_settings.KEY_ID or _derived_kid(verifying)
    return SigningKey(kid=str(kid), algorithm=algorithm, private=private, public=public)


def configured_keys() -> list[SigningKey]:
    """Every configured key, retired ones included, in the settings' order."""
    if uses_key_list():
        return [key_from_entry(entry) for entry in delegation_settings.SIGNING_KEYS or ()]
    return [single_key()]


def current_key() -> SigningKey:
    """The key that signs new tokens: the first one that may sign."""
    for key in configured_keys():
        if key.may_sign:
            return key
    raise ImproperlyConfigured(
        f"{setting_name('SIGNING_KEYS')}: no key may sign (each is retired, retiring, or has no "
        "private key)."
    )


def verifying_key_for(kid: object) -> SigningKey | None:
    """The key that verifies a token whose header names ``kid``; None when no key does.

    In the single-key form the one key verifies every token, whatever its ``kid``.
    """
    if not uses_key_list():
        return single_key()
    if not isinstance(kid, str):
        return None
    now = timezone.now()
    for key in configured_keys():
        if key.kid == kid and key.verifies(now):
            return key
    return None


def published_keys() -> list[SigningKey]:
    """The keys of the JWKS: every asymmetric key that still verifies (HMAC keys never)."""
    now = timezone.now()
    return [key for key in configured_keys() if not key.is_hmac and key.verifies(now)]


def jwks() -> dict[str, list[dict[str, Any]]]:
    """The JWK Set (RFC 7517 §5) of the public keys that verify our tokens."""
    return {"keys": [key.public_jwk() for key in published_keys()]}
