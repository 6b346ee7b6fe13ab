"""Minting and decoding of delegated access tokens (``django_app_delegation.tokens``)."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from django_app_delegation.tokens import (
    FOREIGN_TOKEN_ERRORS,
    MalformedClaims,
    WrongTokenType,
    decode_token,
    issue_token,
    key_id,
)
from tests.helpers import (
    LONG_KEY,
    delegated_claims,
    pem_pair,
    request_token,
    sign,
    sign_by_hand,
    token_claims,
    whoami,
)

TEST_KEY = "tests-signing-key-that-is-at-least-32-bytes-long"


@pytest.fixture
def issue(application, user):
    def mint(scopes=("rooms:list", "rooms:create")):
        return issue_token(application=application, user=user, scopes=tuple(scopes))

    return mint


# Issuing ----------------------------------------------------------------------------------------


def test_issued_token_carries_meet_claims_and_rfc9068_claims(issue, application, user):
    before = int(time.time())
    issued = issue()
    after = int(time.time())

    claims = token_claims(issued.access_token)
    assert before <= claims["iat"] <= after
    assert claims == {
        "iss": "tests",
        "aud": "https://api.tests.example/",
        "iat": claims["iat"],
        "exp": claims["iat"] + 3600,
        "jti": claims["jti"],
        "sub": str(user.pk),
        "user_id": str(user.pk),
        "client_id": application.client_id,
        "act": {"sub": application.client_id},
        "delegated": True,
        "scope": "rooms:list rooms:create",
    }
    assert issued.claims == claims
    assert issued.expires_in == 3600
    assert issued.scopes == ("rooms:list", "rooms:create")


def test_every_issued_token_has_its_own_jti(issue):
    first, second = token_claims(issue().access_token), token_claims(issue().access_token)

    assert len(first["jti"]) >= 32
    assert first["jti"] != second["jti"]


def test_token_lifetime_follows_access_token_lifetime(issue, delegation):
    delegation(ACCESS_TOKEN_LIFETIME=timedelta(minutes=5))

    issued = issue()

    claims = token_claims(issued.access_token)
    assert issued.expires_in == 300
    assert claims["exp"] - claims["iat"] == 300


def test_issuer_and_audience_claims_are_left_out_when_not_configured(issue, delegation):
    delegation(ISSUER=None, AUDIENCE=None)

    claims = token_claims(issue().access_token)

    assert "iss" not in claims
    assert "aud" not in claims
    assert decode_token(issue().access_token)["client_id"] == claims["client_id"]


def test_issued_token_header_is_typed_at_jwt_and_names_its_key(issue):
    header = jwt.get_unverified_header(issue().access_token)

    assert header == {"alg": "HS256", "typ": "at+jwt", "kid": key_id()}


def test_kid_is_derived_from_the_key_without_revealing_it(issue, delegation):
    kid = jwt.get_unverified_header(issue().access_token)["kid"]
    assert jwt.get_unverified_header(issue().access_token)["kid"] == kid
    assert kid
    assert TEST_KEY not in kid

    delegation(SIGNING_KEY="another-signing-key-also-at-least-32-bytes-long")

    assert jwt.get_unverified_header(issue().access_token)["kid"] != kid


def test_key_id_setting_overrides_the_derived_kid(issue, delegation):
    delegation(KEY_ID="2026-01-signing-key")

    assert jwt.get_unverified_header(issue().access_token)["kid"] == "2026-01-signing-key"


def test_get_token_claims_hook_adds_claims(issue, delegation):
    delegation(GET_TOKEN_CLAIMS="tests.doubles.add_tenant_claim")

    issued = issue()

    assert token_claims(issued.access_token)["tenant"] == "tenant-of-partner"
    assert decode_token(issued.access_token)["tenant"] == "tenant-of-partner"


def test_get_token_claims_hook_applies_to_the_token_endpoint(application, user, delegation):
    delegation(GET_TOKEN_CLAIMS="tests.doubles.add_tenant_claim")

    response = request_token(application)

    assert response.status_code == 200, response.content
    assert token_claims(response.json()["access_token"])["tenant"] == "tenant-of-partner"


# Decoding ---------------------------------------------------------------------------------------


def test_decode_returns_the_claims_of_an_issued_token(issue):
    issued = issue()

    assert decode_token(issued.access_token) == issued.claims


def test_decode_pins_the_configured_algorithm(application, user, delegation):
    delegation(SIGNING_KEY=LONG_KEY, ALGORITHM="HS512")
    token = sign(delegated_claims(application, user), key=LONG_KEY, algorithm="HS256")

    with pytest.raises(jwt.InvalidTokenError, match="alg value is not allowed"):
        decode_token(token)


def test_decode_refuses_an_unsigned_token(application, user):
    token = jwt.encode(delegated_claims(application, user), None, algorithm="none")

    with pytest.raises(jwt.InvalidTokenError, match="alg value is not allowed"):
        decode_token(token)


def test_decode_refuses_an_hmac_token_keyed_with_the_public_key(
    application, user, delegation, rsa_keys
):
    """Algorithm confusion: HS256 signed with the RS256 public key PEM as the HMAC secret."""
    private_pem, public_pem = rsa_keys
    delegation(ALGORITHM="RS256", SIGNING_KEY=private_pem, VERIFYING_KEY=public_pem)
    header = {"alg": "HS256", "typ": "at+jwt"}
    token = sign_by_hand(delegated_claims(application, user), header, key=public_pem)

    with pytest.raises(jwt.InvalidTokenError, match="alg value is not allowed"):
        decode_token(token)


@pytest.mark.parametrize(
    "header",
    [{"kid": 123}, {"crit": ["urn:x"], "urn:x": 1}],
    ids=["kid not a string", "unknown crit"],
)
def test_decode_reports_a_header_it_cannot_use_as_a_foreign_token(application, user, header):
    """Signed with our key, yet refused before the signature: we never issue such headers."""
    token = sign_by_hand(delegated_claims(application, user), {"alg": "HS256", **header})

    with pytest.raises(FOREIGN_TOKEN_ERRORS):
        decode_token(token)


def test_decode_reports_claims_of_our_tokens_as_not_foreign(application, user):
    now = int(time.time())
    token = sign(delegated_claims(application, user, iat=now - 3660, exp=now - 60))

    with pytest.raises(jwt.InvalidTokenError) as excinfo:
        decode_token(token)
    assert not isinstance(excinfo.value, FOREIGN_TOKEN_ERRORS)


def test_decode_verifies_a_valid_token_in_one_pyjwt_pass(issue, monkeypatch):
    """One parse and one signature check: the claims are not decoded a second time."""
    token = issue().access_token
    loads, verifications = [], []
    real_load, real_verify = jwt.api_jws.PyJWS._load, jwt.api_jws.PyJWS._verify_signature
    monkeypatch.setattr(
        jwt.api_jws.PyJWS, "_load", lambda *a, **k: loads.append(1) or real_load(*a, **k)
    )
    monkeypatch.setattr(
        jwt.api_jws.PyJWS,
        "_verify_signature",
        lambda *a, **k: verifications.append(1) or real_verify(*a, **k),
    )

    assert decode_token(token)["sub"]
    assert (len(loads), len(verifications)) == (1, 1)


def test_decode_reports_malformed_claims_of_our_tokens(application, user):
    token = sign(delegated_claims(application, user, exp="tomorrow"))

    with pytest.raises(MalformedClaims):
        decode_token(token)


def test_decode_reports_a_payload_that_is_no_object_as_malformed_claims():
    token = sign_by_hand(["not", "an", "object"], {"alg": "HS256", "typ": "at+jwt"})

    with pytest.raises(MalformedClaims):
        decode_token(token)


def test_decode_reports_a_forged_signature_as_foreign(issue):
    header, payload, _signature = issue().access_token.split(".")

    with pytest.raises(FOREIGN_TOKEN_ERRORS):
        decode_token(f"{header}.{payload}.{'A' * 43}")


@pytest.mark.parametrize("token", ["", "abc", "!!.e30.x", "e30.e30.x", "WzFd.e30.x"])
def test_decode_reports_an_unparsable_token_as_foreign(token):
    with pytest.raises(FOREIGN_TOKEN_ERRORS):
        decode_token(token)


def test_decode_checks_the_type_before_the_claims_of_our_tokens(application, user):
    now = int(time.time())
    token = sign(delegated_claims(application, user, iat=now - 3660, exp=now - 60), typ="JWT")

    with pytest.raises(WrongTokenType):
        decode_token(token)


def test_decode_checks_the_type_of_our_tokens_with_malformed_claims(application, user):
    token = sign(delegated_claims(application, user, exp="tomorrow"), typ="JWT")

    with pytest.raises(WrongTokenType):
        decode_token(token)


def test_decode_always_requires_exp(application, user, delegation):
    delegation(REQUIRED_CLAIMS=(), VERIFY_TOKEN_TYPE=False)
    token = sign(delegated_claims(application, user, exp=None))

    with pytest.raises(jwt.MissingRequiredClaimError) as excinfo:
        decode_token(token)
    assert excinfo.value.claim == "exp"


@pytest.mark.parametrize("claim", ["iss", "aud"])
def test_decode_requires_the_configured_issuer_and_audience(application, user, delegation, claim):
    delegation(REQUIRED_CLAIMS=())
    token = sign(delegated_claims(application, user, **{claim: None}))

    with pytest.raises(jwt.MissingRequiredClaimError) as excinfo:
        decode_token(token)
    assert excinfo.value.claim == claim


def test_decode_does_not_require_issuer_and_audience_when_not_configured(
    application, user, delegation
):
    delegation(ISSUER=None, AUDIENCE=None)
    token = sign(delegated_claims(application, user, iss=None, aud=None))

    assert decode_token(token)["client_id"] == application.client_id


@pytest.mark.parametrize(
    ("claim", "value", "error"),
    [
        ("iss", "someone-else", jwt.InvalidIssuerError),
        ("aud", "https://other.example/", jwt.InvalidAudienceError),
    ],
)
def test_decode_refuses_another_issuer_or_audience(application, user, claim, value, error):
    token = sign(delegated_claims(application, user, **{claim: value}))

    with pytest.raises(error):
        decode_token(token)


def test_decode_refuses_an_expired_token(application, user):
    now = int(time.time())
    token = sign(delegated_claims(application, user, iat=now - 3660, exp=now - 60))

    with pytest.raises(jwt.ExpiredSignatureError):
        decode_token(token)


@pytest.mark.parametrize("claim", ["iat", "jti"])
def test_decode_requires_iat_and_jti_by_default(application, user, claim):
    token = sign(delegated_claims(application, user, **{claim: None}))

    with pytest.raises(jwt.MissingRequiredClaimError) as excinfo:
        decode_token(token)
    assert excinfo.value.claim == claim


@pytest.mark.parametrize("typ", [None, "JWT", "jwt", "at+jwt+x"], ids=repr)
def test_decode_requires_the_at_jwt_type_by_default(application, user, typ):
    token = sign(delegated_claims(application, user), typ=typ)
    assert jwt.get_unverified_header(token).get("typ") == typ

    with pytest.raises(WrongTokenType):
        decode_token(token)


@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt"])
def test_decode_accepts_the_at_jwt_type_in_its_spellings(application, user, typ):
    token = sign(delegated_claims(application, user), typ=typ)

    assert decode_token(token)["client_id"] == application.client_id


# Tokens minted by La Suite Meet's built-in external API -----------------------------------------


@pytest.fixture
def meet_token(application, user):
    """A token exactly as Meet's ``JwtTokenService`` mints it: PyJWT's default header."""
    now = int(time.time())
    return jwt.encode(
        {
            "client_id": application.client_id,
            "delegated": True,
            "iss": "tests",
            "aud": "https://api.tests.example/",
            "scope": "rooms:list rooms:retrieve",
            "iat": now,
            "exp": now + 3600,
            "user_id": str(user.pk),
        },
        TEST_KEY,
        algorithm="HS256",
    )


def test_meet_token_has_pyjwt_default_header_and_no_sub_or_jti(meet_token):
    assert jwt.get_unverified_header(meet_token) == {"alg": "HS256", "typ": "JWT"}
    assert {"sub", "jti"}.isdisjoint(token_claims(meet_token))


def test_meet_token_is_refused_by_default(meet_token):
    with pytest.raises(jwt.InvalidTokenError):
        decode_token(meet_token)

    response = whoami(meet_token)

    # Signed with our key, so a 401 (no ``jti``, ``typ`` JWT), not a deferral.
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="api", error="invalid_token"')


def test_meet_token_is_refused_by_default_for_lack_of_jti(meet_token, delegation):
    delegation(VERIFY_TOKEN_TYPE=False)

    with pytest.raises(jwt.MissingRequiredClaimError) as excinfo:
        decode_token(meet_token)
    assert excinfo.value.claim == "jti"


def test_meet_token_is_accepted_once_claims_and_type_are_relaxed(
    meet_token, delegation, user, application
):
    delegation(REQUIRED_CLAIMS=(), VERIFY_TOKEN_TYPE=False)

    assert decode_token(meet_token)["user_id"] == str(user.pk)
    response = whoami(meet_token)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "user": "alice@example.com",
        "client_id": application.client_id,
        "scopes": ["rooms:list", "rooms:retrieve"],
    }


def test_relaxing_claims_alone_still_refuses_the_meet_token_type(meet_token, delegation):
    delegation(REQUIRED_CLAIMS=())

    with pytest.raises(WrongTokenType):
        decode_token(meet_token)


def test_relaxed_settings_still_refuse_a_meet_token_without_exp(application, user, delegation):
    delegation(REQUIRED_CLAIMS=(), VERIFY_TOKEN_TYPE=False)
    claims = delegated_claims(application, user, exp=None, jti=None, sub=None)
    token = jwt.encode(claims, TEST_KEY, algorithm="HS256")

    response = whoami(token)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token claims: missing exp."}


# Algorithms -------------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_longer_hmac_algorithms_sign_and_verify(algorithm, delegation, application, user):
    delegation(ALGORITHM=algorithm, SIGNING_KEY=LONG_KEY)

    response = request_token(application)
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]

    assert jwt.get_unverified_header(token)["alg"] == algorithm
    assert token_claims(token, key=LONG_KEY, algorithm=algorithm)["sub"] == str(user.pk)
    assert whoami(token).status_code == 200


@pytest.mark.parametrize(("algorithm", "keys"), [("RS256", "rsa_keys"), ("ES256", "ec_keys")])
def test_asymmetric_algorithms_sign_with_the_private_key_and_verify_with_the_public_key(
    algorithm, keys, request, delegation, application, user
):
    private_pem, public_pem = request.getfixturevalue(keys)
    delegation(ALGORITHM=algorithm, SIGNING_KEY=private_pem, VERIFYING_KEY=public_pem)

    response = request_token(application)
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]

    header = jwt.get_unverified_header(token)
    assert header["alg"] == algorithm
    assert header["typ"] == "at+jwt"
    assert token_claims(token, key=public_pem, algorithm=algorithm)["sub"] == str(user.pk)
    response = whoami(token)
    assert response.status_code == 200, response.content
    assert response.json()["user"] == "alice@example.com"


def test_asymmetric_token_signed_by_another_private_key_is_not_ours(
    rsa_keys, delegation, application, user
):
    private_pem, public_pem = rsa_keys
    other_private_pem, _ = pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    delegation(ALGORITHM="RS256", SIGNING_KEY=private_pem, VERIFYING_KEY=public_pem)
    token = sign(delegated_claims(application, user), key=other_private_pem, algorithm="RS256")

    with pytest.raises(jwt.InvalidTokenError, match="Signature verification failed"):
        decode_token(token)
    response = whoami(token)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_asymmetric_kid_identifies_the_key_pair(rsa_keys, ec_keys, delegation, issue):
    delegation(ALGORITHM="RS256", SIGNING_KEY=rsa_keys[0], VERIFYING_KEY=rsa_keys[1])
    rsa_kid = jwt.get_unverified_header(issue().access_token)["kid"]
    delegation(ALGORITHM="ES256", SIGNING_KEY=ec_keys[0], VERIFYING_KEY=ec_keys[1])
    ec_kid = jwt.get_unverified_header(issue().access_token)["kid"]

    assert rsa_kid
    assert ec_kid
    assert rsa_kid != ec_kid
