"""Client secrets: generation, fast hashing, constant-time verification, legacy Django hashes.

Timing is not asserted here (it depends on the machine); it is measured in ``benchmarks/``.
"""

from __future__ import annotations

import hmac
import math
import re
from unittest import mock

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher, get_hasher, identify_hasher

from django_app_delegation import secrets as client_secrets
from django_app_delegation.secrets import (
    MAX_PRESENTED_SECRET_LENGTH,
    generate_client_secret,
    hash_secret,
    is_hashed,
    needs_rehash,
    verify_secret,
)
from tests.doubles import meet_hash
from tests.helpers import twice_after_seeding_random

URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")
FAST_HASH = re.compile(r"hmac_sha256\$(?P<salt>[0-9a-f]+)\$(?P<digest>[0-9a-f]{64})")
HUMAN_SECRET = "hunter2"


@pytest.fixture
def secret():
    return generate_client_secret()


# -- generation ------------------------------------------------------------------------------


def test_generated_secret_carries_at_least_256_bits():
    secret = generate_client_secret()
    # URL-safe base64: 6 bits per character.
    assert URL_SAFE.fullmatch(secret)
    assert len(secret) * math.log2(64) >= 256


def test_generated_secrets_differ():
    assert generate_client_secret() != generate_client_secret()


def test_generated_secrets_do_not_depend_on_the_random_module_seed():
    first, second = twice_after_seeding_random(generate_client_secret)

    assert first != second


# -- hashing ---------------------------------------------------------------------------------


def test_generated_secret_is_hashed_in_the_fast_salted_form(secret):
    encoded = hash_secret(secret)
    match = FAST_HASH.fullmatch(encoded)
    assert match, encoded
    assert secret not in encoded
    assert len(match["salt"]) >= 16


def test_hashing_the_same_secret_twice_uses_different_salts(secret):
    assert hash_secret(secret) != hash_secret(secret)


def test_short_human_secret_is_hashed_with_djangos_password_hasher():
    encoded = hash_secret(HUMAN_SECRET)
    assert not encoded.startswith("hmac_sha256$")
    assert identify_hasher(encoded).algorithm == get_hasher().algorithm
    assert HUMAN_SECRET not in encoded


def test_hashed_values_fit_the_secret_column(secret):
    assert len(hash_secret(secret)) <= client_secrets.CLIENT_SECRET_MAX_LENGTH


# -- verification ----------------------------------------------------------------------------


def test_verify_accepts_the_right_generated_secret(secret):
    assert verify_secret(secret, hash_secret(secret)) is True


def test_verify_refuses_a_wrong_secret(secret):
    assert verify_secret(generate_client_secret(), hash_secret(secret)) is False


def test_verify_refuses_a_secret_differing_in_one_character(secret):
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert verify_secret(tampered, hash_secret(secret)) is False


def test_verify_accepts_the_right_human_secret_and_refuses_others():
    encoded = hash_secret(HUMAN_SECRET)
    assert verify_secret(HUMAN_SECRET, encoded) is True
    assert verify_secret("hunter3", encoded) is False


def test_verify_compares_digests_with_hmac_compare_digest(secret):
    encoded = hash_secret(secret)
    with mock.patch.object(hmac, "compare_digest", wraps=hmac.compare_digest) as compare:
        assert verify_secret(secret, encoded) is True
    compare.assert_called_once()


def test_verify_with_no_stored_hash_runs_a_dummy_verification(secret):
    """An unknown client costs the same as a wrong secret: a full digest and comparison."""
    with mock.patch.object(hmac, "compare_digest", wraps=hmac.compare_digest) as compare:
        assert verify_secret(secret, None) is False
    compare.assert_called_once()


def test_verify_with_an_empty_stored_hash_is_refused_after_a_dummy_verification(secret):
    with mock.patch.object(hmac, "compare_digest", wraps=hmac.compare_digest) as compare:
        assert verify_secret(secret, "") is False
    compare.assert_called_once()


def test_verify_refuses_the_encoded_hash_presented_as_the_secret(secret):
    encoded = hash_secret(secret)
    assert verify_secret(encoded, encoded) is False


def test_verify_refuses_the_encoded_django_hash_presented_as_the_secret():
    encoded = hash_secret(HUMAN_SECRET)
    assert verify_secret(encoded, encoded) is False


def test_verify_never_compares_a_plaintext_column(secret):
    """A column holding a plaintext (not a hash) never verifies, even against itself."""
    assert verify_secret(secret, secret) is False
    assert verify_secret(HUMAN_SECRET, HUMAN_SECRET) is False


def test_verify_refuses_an_over_long_presented_secret(secret):
    encoded = hash_secret(secret)
    over_long = secret + "x" * MAX_PRESENTED_SECRET_LENGTH
    assert verify_secret(over_long, encoded) is False


def test_verify_refuses_an_over_long_secret_whose_prefix_is_the_right_one():
    secret = "a" * MAX_PRESENTED_SECRET_LENGTH
    encoded = hash_secret(secret)
    assert verify_secret(secret, encoded) is True
    assert verify_secret(secret + "a", encoded) is False


def test_verify_does_not_run_the_slow_hasher_on_an_over_long_secret():
    encoded = hash_secret(HUMAN_SECRET)
    with mock.patch.object(client_secrets, "check_password") as check_password:
        assert verify_secret("x" * (MAX_PRESENTED_SECRET_LENGTH + 1), encoded) is False
    check_password.assert_not_called()


def test_verify_refuses_a_malformed_fast_hash(secret):
    assert verify_secret(secret, "hmac_sha256$only-one-part") is False
    assert verify_secret(secret, "hmac_sha256$a$b$c") is False


# -- legacy Django hashes (e.g. rows imported from La Suite Meet) ------------------------------


@pytest.mark.usefixtures("legacy_hashers")
def test_pbkdf2_hashed_secret_verifies(secret):
    encoded = meet_hash(secret)
    assert verify_secret(secret, encoded) is True
    assert verify_secret(generate_client_secret(), encoded) is False


@pytest.mark.usefixtures("legacy_hashers")
def test_md5_hashed_secret_verifies(secret):
    encoded = MD5PasswordHasher().encode(secret, "oldsalt")
    assert verify_secret(secret, encoded) is True
    assert verify_secret(generate_client_secret(), encoded) is False


@pytest.mark.usefixtures("legacy_hashers")
def test_high_entropy_secret_under_a_django_hash_needs_rehash_to_the_fast_form(secret):
    assert needs_rehash(secret, meet_hash(secret)) is True
    assert needs_rehash(secret, MD5PasswordHasher().encode(secret, "oldsalt")) is True


def test_fast_hash_never_needs_rehash(secret):
    assert needs_rehash(secret, hash_secret(secret)) is False


def test_human_secret_under_the_current_django_hasher_needs_no_rehash():
    assert needs_rehash(HUMAN_SECRET, hash_secret(HUMAN_SECRET)) is False


@pytest.mark.usefixtures("legacy_hashers")
def test_human_secret_under_an_outdated_django_hasher_needs_rehash():
    """With PBKDF2 preferred, an MD5 hash of a human secret is upgraded, as Django does."""
    md5 = MD5PasswordHasher()
    assert needs_rehash(HUMAN_SECRET, md5.encode(HUMAN_SECRET, md5.salt())) is True


# -- is_hashed -------------------------------------------------------------------------------


def test_is_hashed_recognises_fast_hashes(secret):
    assert is_hashed(hash_secret(secret)) is True


@pytest.mark.usefixtures("legacy_hashers")
def test_is_hashed_recognises_django_hashes(secret):
    assert is_hashed(meet_hash(secret)) is True
    assert is_hashed(MD5PasswordHasher().encode(secret, "oldsalt")) is True


@pytest.mark.parametrize(
    "value",
    ["", "hunter2", "hmac_sha256$missing-digest", "unknownalgo$1$2$3"],
)
def test_is_hashed_rejects_plaintexts_and_malformed_values(value):
    assert is_hashed(value) is False


def test_is_hashed_rejects_a_generated_plaintext(secret):
    assert is_hashed(secret) is False
