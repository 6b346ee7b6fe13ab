"""Client identifiers and client secrets: generation, hashing and constant-time verification.

Generated secrets carry 384 bits from a CSPRNG, so a slow password KDF adds nothing but CPU
cost: they are stored as a salted HMAC-SHA256 (``hmac_sha256$<salt>$<hex digest>``) and verified
in microseconds with :func:`hmac.compare_digest`. A short, human-chosen secret is hashed with
Django's password hashers instead (``PASSWORD_HASHERS``), and secrets already hashed by Django
(for example ``pbkdf2_sha256$...`` rows imported from La Suite Meet) keep verifying; callers
re-hash them on first successful use (:func:`needs_rehash`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from django.contrib.auth.hashers import (
    UNUSABLE_PASSWORD_PREFIX,
    check_password,
    get_hasher,
    identify_hasher,
    make_password,
)

#: Length of generated client ids (alphanumeric, ~238 bits).
CLIENT_ID_LENGTH = 40
#: Bytes of entropy in generated client secrets (encoded as 64 URL-safe characters).
CLIENT_SECRET_BYTES = 48
#: Column sizes (schema constants, not settings).
CLIENT_ID_MAX_LENGTH = 100
CLIENT_SECRET_MAX_LENGTH = 255
#: Longest secret accepted from a request; longer ones are rejected without hashing.
MAX_PRESENTED_SECRET_LENGTH = 1024

FAST_ALGORITHM = "hmac_sha256"
_SALT_BYTES = 16
_ALPHANUMERIC = string.ascii_letters + string.digits

#: A secret is considered machine-generated (hence fit for the fast digest) when it is at least
#: this long and uses at least this many distinct characters.
HIGH_ENTROPY_MIN_LENGTH = 43
HIGH_ENTROPY_MIN_DISTINCT = 20


def generate_client_id() -> str:
    """Return a new 40-character alphanumeric client id drawn from a CSPRNG."""
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(CLIENT_ID_LENGTH))


def is_plausible_client_id(value: str) -> bool:
    """Tell whether ``value`` could be stored as a client id (worth a database lookup)."""
    return 0 < len(value) <= CLIENT_ID_MAX_LENGTH and value.isprintable()


def generate_client_secret() -> str:
    """Return a new client secret with 384 bits of entropy (64 URL-safe characters)."""
    return secrets.token_urlsafe(CLIENT_SECRET_BYTES)


def is_high_entropy(secret: str) -> bool:
    """Tell whether ``secret`` looks machine-generated (long, many distinct characters)."""
    return len(secret) >= HIGH_ENTROPY_MIN_LENGTH and len(set(secret)) >= HIGH_ENTROPY_MIN_DISTINCT


def _fast_digest(salt: str, secret: str) -> str:
    return hmac.new(salt.encode(), secret.encode(), hashlib.sha256).hexdigest()


def _fast_hash(secret: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(_SALT_BYTES)
    return f"{FAST_ALGORITHM}${salt}${_fast_digest(salt, secret)}"


def hash_secret(secret: str) -> str:
    """Hash a plaintext secret: fast keyed digest if high-entropy, Django's hasher otherwise."""
    if is_high_entropy(secret):
        return _fast_hash(secret)
    return make_password(secret)


def make_unusable_secret() -> str:
    """A stored value no secret verifies against (``!`` and random text, as Django's unusable
    passwords): the application authenticates otherwise, with its public keys."""
    return make_password(None)


def is_usable_secret(encoded: str) -> bool:
    """Tell whether a stored value may verify a secret (it is not an unusable one)."""
    return bool(encoded) and not encoded.startswith(UNUSABLE_PASSWORD_PREFIX)


def is_hashed(value: str) -> bool:
    """Tell whether ``value`` is already an encoded hash (ours or a Django hasher's)."""
    if not value:
        return False
    if value.startswith(FAST_ALGORITHM + "$"):
        return value.count("$") == 2
    try:
        identify_hasher(value)
    except ValueError:
        return False
    return True


#: Hash verified when the client id is unknown, so that both cases cost the same.
_DUMMY_HASH = _fast_hash(generate_client_secret())


def verify_secret(secret: str, encoded: str | None) -> bool:
    """Check ``secret`` against ``encoded`` in constant time; ``None`` means "unknown client".

    An unknown client verifies against a dummy fast hash so that it takes as long as a wrong
    secret. The encoded value itself is never accepted as a secret.
    """
    if len(secret) > MAX_PRESENTED_SECRET_LENGTH:
        secret = secret[:MAX_PRESENTED_SECRET_LENGTH]
        encoded = None
    if not encoded:
        _verify_fast(secret, _DUMMY_HASH)
        return False
    if encoded.startswith(FAST_ALGORITHM + "$"):
        return _verify_fast(secret, encoded)
    try:
        identify_hasher(encoded)
    except ValueError:
        # Not a hash: never compare plaintext columns.
        _verify_fast(secret, _DUMMY_HASH)
        return False
    return check_password(secret, encoded)


def verify_current_and_previous(
    secret: str, current: str | None, previous: str | None
) -> tuple[bool, bool]:
    """Check ``secret`` against an application's secret and its previous one (None when none is
    valid); return whether each matched.

    Both checks always run, an absent hash against the dummy one (see :func:`verify_secret`):
    the time taken tells neither which one matched, nor whether a previous secret is valid,
    nor (with ``current`` None too) whether the client exists.
    """
    return verify_secret(secret, current), verify_secret(secret, previous)


def _verify_fast(secret: str, encoded: str) -> bool:
    try:
        _algorithm, salt, digest = encoded.split("$")
    except ValueError:
        return False
    return hmac.compare_digest(_fast_digest(salt, secret), digest)


def needs_rehash(secret: str, encoded: str) -> bool:
    """Tell whether a verified ``secret`` should be re-hashed (to the fast form, or upgraded)."""
    if encoded.startswith(FAST_ALGORITHM + "$"):
        return False
    if is_high_entropy(secret):
        return True
    try:
        hasher = identify_hasher(encoded)
    except ValueError:  # pragma: no cover - verified values are always identifiable
        return True
    return hasher.algorithm != get_hasher().algorithm or hasher.must_update(encoded)
