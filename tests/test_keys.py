"""Signing keys: asymmetric algorithms, several keys named by ``kid``, rotation without downtime,
the JWK Set other services verify our tokens with, and the ``generate_signing_key`` command."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_app_delegation.checks import check_settings
from django_app_delegation.tokens import ForeignToken, decode_token
from tests.helpers import WHOAMI_URL, bearer, token_for

ID = "django_app_delegation"
JWKS_URL = "/.well-known/jwks.json"


def generated_key(algorithm: str, kid: str | None = None) -> dict[str, str]:
    """A ``SIGNING_KEYS`` entry from ``generate_signing_key --json``."""
    out = StringIO()
    arguments = ["--algorithm", algorithm, "--json"] + (["--kid", kid] if kid else [])
    call_command("generate_signing_key", *arguments, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def keys_by_algorithm():
    """One generated key per algorithm, shared by the module (RSA keys are slow to make)."""
    return {
        algorithm: generated_key(algorithm, kid=f"{algorithm.lower()}-1")
        for algorithm in ("RS256", "PS256", "ES256", "EdDSA", "HS256")
    }


@pytest.fixture
def signing_keys(delegation):
    """Use a key list (the single-key settings removed): ``signing_keys(entry, ...)``."""

    def use(*entries):
        delegation(SIGNING_KEY=None, SIGNING_KEYS=list(entries))

    return use


def errors() -> list[str]:
    return [message.id for message in check_settings() if message.id.endswith(tuple("0123456789"))]


def whoami_status(api_client, token: str) -> int:
    return api_client.get(WHOAMI_URL, **bearer(token)).status_code


# -- signing with each algorithm --------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256", "EdDSA", "HS256"])
def test_a_token_signed_with_each_algorithm_authenticates(
    algorithm, keys_by_algorithm, signing_keys, application, user, api_client
):
    signing_keys(keys_by_algorithm[algorithm])
    assert errors() == []

    token = token_for(application)

    header = jwt.get_unverified_header(token)
    assert header == {"alg": algorithm, "typ": "at+jwt", "kid": f"{algorithm.lower()}-1"}
    assert whoami_status(api_client, token) == 200


def test_a_public_key_alone_verifies_but_does_not_sign(keys_by_algorithm, signing_keys):
    ec_key = keys_by_algorithm["ES256"]
    signing_keys(keys_by_algorithm["HS256"], {**ec_key, "PRIVATE_KEY": None})
    assert errors() == []
    claims = {
        "exp": 2**32,
        "iat": 0,
        "jti": "x",
        "iss": "tests",
        "aud": "https://api.tests.example/",
    }
    private = load_pem_private_key(ec_key["PRIVATE_KEY"].encode(), None)
    token = jwt.encode(
        claims, private, algorithm="ES256", headers={"kid": ec_key["KID"], "typ": "at+jwt"}
    )
    assert decode_token(token)["jti"] == "x"


# -- choosing the key by kid, among configured keys only -------------------------------------


def test_a_token_with_an_unknown_kid_is_not_ours(
    keys_by_algorithm, signing_keys, application, user
):
    signing_keys(keys_by_algorithm["ES256"])
    token = token_for(application)
    signing_keys({**keys_by_algorithm["ES256"], "KID": "renamed"})

    with pytest.raises(ForeignToken):
        decode_token(token)


def test_a_token_without_kid_is_not_ours_with_a_key_list(keys_by_algorithm, signing_keys):
    signing_keys(keys_by_algorithm["HS256"])
    token = jwt.encode({"exp": 2**32}, keys_by_algorithm["HS256"]["SECRET"], algorithm="HS256")

    with pytest.raises(ForeignToken):
        decode_token(token)


def test_a_header_key_is_never_used_to_verify(keys_by_algorithm, signing_keys):
    """A token carrying its own key (``jwk``, ``jku``) and an HS256 signature made with our public
    key as the secret (algorithm confusion) is refused: the kid's key verifies its own alg only."""
    es = keys_by_algorithm["ES256"]
    signing_keys(es)
    forged = jwt.encode(
        {"exp": 2**32},
        "attacker-secret-of-at-least-thirty-two-bytes",
        algorithm="HS256",
        headers={"kid": es["KID"], "jku": "https://attacker.example/jwks.json"},
    )

    with pytest.raises(jwt.InvalidAlgorithmError):
        decode_token(forged)


# -- rotation, end to end ---------------------------------------------------------------------


def test_rotation_keeps_old_tokens_working_until_their_key_is_retired(
    keys_by_algorithm, signing_keys, application, user, api_client
):
    old = generated_key("ES256", kid="2026-01")
    new = generated_key("ES256", kid="2026-07")
    # 0. The old key signs.
    signing_keys(old)
    old_token = token_for(application)
    # 1. Publish the new key beside it (it verifies, it does not sign yet).
    signing_keys(old, new)
    assert jwt.get_unverified_header(token_for(application))["kid"] == "2026-01"
    assert [key["kid"] for key in api_client.get(JWKS_URL).json()["keys"]] == ["2026-01", "2026-07"]
    # 2. The new key signs; the old one verifies until its last token has expired.
    until = timezone.now() + timedelta(hours=1)
    signing_keys(new, {**old, "VERIFY_UNTIL": until})
    new_token = token_for(application)
    assert jwt.get_unverified_header(new_token)["kid"] == "2026-07"
    assert whoami_status(api_client, old_token) == 200
    assert whoami_status(api_client, new_token) == 200
    # 3. Retired: the old key's tokens are not ours any more (401 with no other authenticator).
    signing_keys(new, {**old, "RETIRED": True})
    assert whoami_status(api_client, old_token) == 401
    assert whoami_status(api_client, new_token) == 200
    assert [key["kid"] for key in api_client.get(JWKS_URL).json()["keys"]] == ["2026-07"]


def test_a_key_past_its_verify_until_verifies_nothing(signing_keys, application, user, api_client):
    old = generated_key("ES256", kid="old")
    signing_keys(old)
    token = token_for(application)

    signing_keys(generated_key("ES256"), {**old, "VERIFY_UNTIL": timezone.now()})

    assert whoami_status(api_client, token) == 401


def test_the_single_key_form_still_ignores_the_kid(delegation, application, user, api_client):
    token = token_for(application)
    delegation(KEY_ID="renamed-label")

    assert whoami_status(api_client, token) == 200


# -- the JWK Set ---------------------------------------------------------------------------------


def test_jwks_publishes_public_keys_and_never_hmac_keys(
    keys_by_algorithm, signing_keys, api_client
):
    signing_keys(
        keys_by_algorithm["HS256"],
        keys_by_algorithm["RS256"],
        {**keys_by_algorithm["EdDSA"], "VERIFY_UNTIL": timezone.now() + timedelta(minutes=5)},
        {**keys_by_algorithm["ES256"], "RETIRED": True},
    )

    response = api_client.get(JWKS_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/jwk-set+json"
    published = response.json()["keys"]
    assert [(key["kid"], key["kty"], key["alg"], key["use"]) for key in published] == [
        ("rs256-1", "RSA", "RS256", "sig"),
        ("eddsa-1", "OKP", "EdDSA", "sig"),
    ]
    for key in published:
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(key)


def test_jwks_of_the_single_key_form(delegation, rsa_keys, api_client):
    assert api_client.get(JWKS_URL).json() == {"keys": []}  # HS256 in the test settings
    private, public = rsa_keys
    delegation(ALGORITHM="RS256", SIGNING_KEY=private, VERIFYING_KEY=public, KEY_ID="main")

    [key] = api_client.get(JWKS_URL).json()["keys"]

    assert (key["kid"], key["alg"], key["kty"]) == ("main", "RS256", "RSA")


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "EdDSA"])
def test_another_service_verifies_our_token_from_the_live_jwks_alone(
    algorithm, keys_by_algorithm, signing_keys, application, user, live_server
):
    signing_keys(keys_by_algorithm[algorithm])
    token = token_for(application)

    client = jwt.PyJWKClient(live_server.url + JWKS_URL)
    signing_key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        algorithms=[algorithm],
        audience="https://api.tests.example/",
        issuer="tests",
    )

    assert claims["client_id"] == application.client_id


# -- generate_signing_key -------------------------------------------------------------------------


def test_generate_signing_key_prints_a_pem_pair_and_a_kid():
    out = StringIO()
    call_command("generate_signing_key", "--algorithm", "RS256", "--kid", "k1", stdout=out)
    text = out.getvalue()

    assert "KID: k1\nALGORITHM: RS256\nPRIVATE_KEY:\n-----BEGIN PRIVATE KEY-----" in text
    assert "PUBLIC_KEY:\n-----BEGIN PUBLIC KEY-----" in text


def test_generate_signing_key_defaults_to_es256_and_a_dated_kid():
    key = generated_key("ES256")
    assert key["KID"].startswith(f"{timezone.now():%Y-%m-%d}-")
    assert set(key) == {"KID", "ALGORITHM", "PRIVATE_KEY", "PUBLIC_KEY"}


def test_generate_signing_key_makes_long_enough_hmac_secrets():
    key = generated_key("HS512")
    assert set(key) == {"KID", "ALGORITHM", "SECRET"}
    assert len(key["SECRET"]) >= 64


def test_generate_signing_key_refuses_an_unknown_algorithm():
    with pytest.raises(CommandError, match="Unsupported algorithm 'none'"):
        call_command("generate_signing_key", "--algorithm", "none")


# -- system checks of SIGNING_KEYS ----------------------------------------------------------------


@pytest.mark.parametrize("value", [[], "a key", ["a key"]])
def test_e070_signing_keys_must_be_a_list_of_dicts(delegation, value):
    delegation(SIGNING_KEY=None, SIGNING_KEYS=value)
    assert errors() == [f"{ID}.E070"]


def test_e071_signing_keys_and_the_single_key_settings_exclude_each_other(
    delegation, keys_by_algorithm
):
    delegation(SIGNING_KEYS=[keys_by_algorithm["HS256"]])
    assert errors() == [f"{ID}.E071"]


def test_e072_unknown_key_option(signing_keys, keys_by_algorithm):
    signing_keys({**keys_by_algorithm["HS256"], "SIGNS": True})
    assert errors() == [f"{ID}.E072"]


def test_e073_a_key_needs_a_kid(signing_keys, keys_by_algorithm):
    signing_keys({**keys_by_algorithm["HS256"], "KID": ""})
    assert errors() == [f"{ID}.E073"]


def test_e074_kids_are_unique(signing_keys, keys_by_algorithm):
    signing_keys(keys_by_algorithm["HS256"], {**keys_by_algorithm["ES256"], "KID": "hs256-1"})
    assert errors() == [f"{ID}.E074"]


def test_e075_unsupported_algorithm(signing_keys, keys_by_algorithm):
    signing_keys({**keys_by_algorithm["HS256"], "ALGORITHM": "none"})
    assert errors() == [f"{ID}.E075"]


@pytest.mark.parametrize(
    "change", [{"SECRET": "short"}, {"SECRET": None}, {"PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----"}]
)
def test_e076_hmac_keys_need_a_long_secret_and_no_pem(signing_keys, keys_by_algorithm, change):
    signing_keys({**keys_by_algorithm["HS256"], **change})
    assert errors() == [f"{ID}.E076"]


@pytest.mark.parametrize(
    "change",
    [
        {"PRIVATE_KEY": "not a PEM key"},
        {"PRIVATE_KEY": None, "PUBLIC_KEY": None},
        {"SECRET": "k" * 64},
        "mismatched",
    ],
)
def test_e077_asymmetric_keys_load_and_form_a_pair(signing_keys, keys_by_algorithm, change):
    if change == "mismatched":
        change = {"PUBLIC_KEY": generated_key("ES256")["PUBLIC_KEY"]}
    signing_keys({**keys_by_algorithm["ES256"], **change})
    assert errors() == [f"{ID}.E077"]


@pytest.mark.parametrize(
    "change",
    [
        {"RETIRED": "yes"},
        {"VERIFY_UNTIL": "2030-01-01"},
        {"VERIFY_UNTIL": timezone.now().replace(tzinfo=None)},
        {"RETIRED": True, "VERIFY_UNTIL": timezone.now()},
    ],
)
def test_e078_retirement_options(signing_keys, keys_by_algorithm, change):
    signing_keys(keys_by_algorithm["HS256"], {**keys_by_algorithm["ES256"], **change})
    assert errors() == [f"{ID}.E078"]


def test_e079_one_key_must_sign(signing_keys, keys_by_algorithm):
    until = timezone.now() + timedelta(hours=1)
    signing_keys(
        {**keys_by_algorithm["HS256"], "RETIRED": True},
        {**keys_by_algorithm["ES256"], "VERIFY_UNTIL": until},
        {**keys_by_algorithm["EdDSA"], "PRIVATE_KEY": None},
    )
    assert errors() == [f"{ID}.E079"]


def test_w070_a_key_past_its_verify_until(signing_keys, keys_by_algorithm):
    signing_keys(
        keys_by_algorithm["HS256"],
        {**keys_by_algorithm["ES256"], "VERIFY_UNTIL": timezone.now() - timedelta(days=1)},
    )
    assert errors() == [f"{ID}.W070"]


def test_moving_to_a_key_list_keeps_tokens_whose_kid_the_first_entry_takes(
    delegation, signing_keys, application, user, api_client
):
    from django.conf import settings

    secret = settings.APP_DELEGATION["SIGNING_KEY"]
    token = token_for(application)
    kid = jwt.get_unverified_header(token)["kid"]

    signing_keys({"KID": kid, "ALGORITHM": "HS256", "SECRET": secret})

    assert errors() == []
    assert whoami_status(api_client, token) == 200
