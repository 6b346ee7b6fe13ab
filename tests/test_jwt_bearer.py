"""The JWT-bearer grant (RFC 7523 §2.1): an application signs an assertion naming the user in
``sub`` and gets a delegated token, under the rules of the client-credentials grant."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from django_app_delegation.models import DelegationEvent, UsedAssertion
from django_app_delegation.signals import delegation_denied, token_issued
from tests.helpers import (
    FORM,
    TOKEN_ENDPOINT,
    assertion_claims,
    jwt_bearer_request,
    pem_pair,
    post_token,
    sign_assertion,
    token_claims,
)

pytestmark = pytest.mark.django_db


def assert_invalid_grant(response, description, status=400):
    assert response.status_code == status, response.content
    assert response.json() == {"error": "invalid_grant", "error_description": description}


@pytest.fixture
def key_pairs(rsa_keys, ec_keys, ed25519_keys):
    return {"RS256": rsa_keys, "PS256": rsa_keys, "ES256": ec_keys, "EdDSA": ed25519_keys}


# -- a token for the user of sub ----------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256", "EdDSA"])
def test_jwt_bearer_grant_issues_a_token_for_an_assertion_signed_with_each_algorithm(
    make_application, user, key_pairs, algorithm
):
    private, public = key_pairs[algorithm]
    application = make_application(public_keys=public, with_secret=False)

    response = jwt_bearer_request(sign_assertion(application, private, algorithm))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == " ".join(application.scopes)
    claims = token_claims(body["access_token"])
    assert claims["sub"] == str(user.pk)
    assert claims["client_id"] == application.client_id


def test_jwt_bearer_grant_narrows_the_token_to_the_scope_parameter(keyed_application, user):
    assertion = sign_assertion(keyed_application, keyed_application.private_key)

    response = jwt_bearer_request(assertion, scope="rooms:list")

    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "rooms:list"


def test_jwt_bearer_grant_refuses_a_scope_the_application_lacks(keyed_application, user):
    assertion = sign_assertion(keyed_application, keyed_application.private_key)

    response = jwt_bearer_request(assertion, scope="widgets:list")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_jwt_bearer_grant_accepts_a_json_body_and_a_matching_client_id(keyed_application, user):
    assertion = sign_assertion(keyed_application, keyed_application.private_key)
    body = {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": assertion,
        "client_id": keyed_application.client_id,
    }

    assert post_token(body).status_code == 200


def test_jwt_bearer_grant_accepts_an_audience_list_and_the_issuer(keyed_application, user):
    key = keyed_application.private_key
    listed = sign_assertion(keyed_application, key, aud=["https://other.example", TOKEN_ENDPOINT])
    issuer = sign_assertion(keyed_application, key, aud="tests")  # ISSUER of the test settings

    assert jwt_bearer_request(listed).status_code == 200
    assert jwt_bearer_request(issuer).status_code == 200


def test_jwt_bearer_grant_picks_the_key_named_by_kid(make_application, user, rsa_keys, ec_keys):
    keys = rsa_keys[1] + ec_keys[1]
    application = make_application(public_keys=keys, with_secret=False)
    ec_kid = application.public_jwks[1]["kid"]

    assertion = sign_assertion(application, ec_keys[0], "ES256", headers={"kid": ec_kid})

    assert jwt_bearer_request(assertion).status_code == 200


def test_jwt_bearer_grant_sends_token_issued_and_records_the_token(
    keyed_application, user, receive
):
    calls = receive(token_issued)

    response = jwt_bearer_request(sign_assertion(keyed_application, keyed_application.private_key))

    assert response.status_code == 200
    assert [call["application"] for call in calls] == [keyed_application]
    event = DelegationEvent.objects.get()
    assert (event.action, event.outcome, event.user) == ("issue_token", "success", user)


def test_jwt_bearer_grant_costs_a_bounded_number_of_queries(
    keyed_application, user, django_assert_max_num_queries
):
    assertion = sign_assertion(keyed_application, keyed_application.private_key)

    # The application, the jti (in a savepoint), the domains, the user, last_used_at, the event.
    with django_assert_max_num_queries(9):
        response = jwt_bearer_request(assertion)

    assert response.status_code == 200


# -- replays ------------------------------------------------------------------------------------


def test_jwt_bearer_grant_refuses_a_replayed_assertion(keyed_application, user):
    assertion = sign_assertion(keyed_application, keyed_application.private_key)
    assert jwt_bearer_request(assertion).status_code == 200

    response = jwt_bearer_request(assertion)

    assert_invalid_grant(response, "The assertion has already been used.")


def test_an_assertion_without_jti_is_used_once_by_its_digest(keyed_application, user):
    key = keyed_application.private_key
    assertion = sign_assertion(keyed_application, key, jti=None)
    assert "jti" not in jwt.decode(assertion, options={"verify_signature": False})
    assert jwt_bearer_request(assertion).status_code == 200
    digest = hashlib.sha256(assertion.encode()).hexdigest()
    assert UsedAssertion.objects.get().jti == f"sha256:{digest}"

    assert_invalid_grant(jwt_bearer_request(assertion), "The assertion has already been used.")
    # Another assertion without jti (other claims, so other text) is another assertion.
    other = sign_assertion(keyed_application, key, jti=None, exp=int(time.time()) + 200)
    assert jwt_bearer_request(other).status_code == 200


def test_jwt_bearer_grant_refuses_a_reused_jti_in_another_assertion(keyed_application, user):
    key = keyed_application.private_key
    assert jwt_bearer_request(sign_assertion(keyed_application, key, jti="once")).status_code == 200

    response = jwt_bearer_request(sign_assertion(keyed_application, key, jti="once", scope="x"))

    assert_invalid_grant(response, "The assertion has already been used.")


def test_jwt_bearer_grant_keeps_the_jti_until_the_assertion_expires(keyed_application, user):
    exp = int(time.time()) + 120
    jwt_bearer_request(sign_assertion(keyed_application, keyed_application.private_key, exp=exp))

    used = UsedAssertion.objects.get()
    # Kept for the leeway past exp, while PyJWT would still accept the assertion.
    assert used.expires_at.timestamp() == exp + 30


def test_the_same_jti_may_be_used_by_two_applications(make_application, user, rsa_keys):
    first = make_application(name="First", public_keys=rsa_keys[1], with_secret=False)
    second = make_application(name="Second", public_keys=rsa_keys[1], with_secret=False)

    for application in (first, second):
        response = jwt_bearer_request(sign_assertion(application, rsa_keys[0], jti="shared"))
        assert response.status_code == 200, response.content


# -- invalid_grant: the assertion ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        ({"exp": int(time.time()) - 3600}, "The assertion has expired."),
        (
            {"aud": "https://elsewhere.example/token"},
            "The assertion's audience (aud) is not this endpoint.",
        ),
        ({"aud": None}, "The assertion lacks the claim aud."),
        ({"exp": None}, "The assertion lacks the claim exp."),
        ({"sub": None}, "The assertion lacks the claim sub."),
        ({"jti": 12}, "The assertion's jti must be a string of 1 to 200 characters."),
        ({"jti": "x" * 201}, "The assertion's jti must be a string of 1 to 200 characters."),
    ],
    ids=["expired", "aud", "no-aud", "no-exp", "no-sub", "jti-int", "jti-long"],
)
def test_jwt_bearer_grant_refuses_bad_claims(keyed_application, user, overrides, description):
    assertion = sign_assertion(keyed_application, keyed_application.private_key, **overrides)

    assert_invalid_grant(jwt_bearer_request(assertion), description)
    assert not UsedAssertion.objects.exists()


def test_jwt_bearer_grant_refuses_an_assertion_from_the_future(keyed_application, user):
    later = int(time.time()) + 600
    key = keyed_application.private_key
    issued_later = sign_assertion(keyed_application, key, iat=later, exp=later + 60)
    not_before = sign_assertion(keyed_application, key, nbf=later)

    for assertion in (issued_later, not_before):
        assert_invalid_grant(
            jwt_bearer_request(assertion),
            "The assertion is not valid yet (iat or nbf is in the future).",
        )


def test_jwt_bearer_grant_honours_the_leeway_on_iat(keyed_application, user):
    soon = int(time.time()) + 10  # Within ASSERTION_LEEWAY (30 s).
    assertion = sign_assertion(keyed_application, keyed_application.private_key, iat=soon)

    assert jwt_bearer_request(assertion).status_code == 200


@pytest.mark.parametrize("lifetime", ["iat", "now"])
def test_jwt_bearer_grant_refuses_an_assertion_living_too_long(
    keyed_application, user, delegation, lifetime
):
    delegation(ASSERTION_MAX_LIFETIME=timedelta(minutes=5))
    now = int(time.time())
    # exp - iat too long, or (without iat) exp - now too long.
    overrides = {"iat": now, "exp": now + 301} if lifetime == "iat" else {"iat": None}
    overrides.setdefault("exp", now + 400)
    assertion = sign_assertion(keyed_application, keyed_application.private_key, **overrides)

    assert_invalid_grant(
        jwt_bearer_request(assertion),
        "The assertion lives too long: exp may be at most 300 seconds ahead.",
    )


def test_jwt_bearer_grant_refuses_an_unknown_issuer(keyed_application, user):
    assertion = sign_assertion(keyed_application, keyed_application.private_key, iss="nobody")

    assert_invalid_grant(
        jwt_bearer_request(assertion), "The assertion's issuer (iss) is not a known application."
    )


def test_jwt_bearer_grant_refuses_an_issuer_differing_in_case_only(keyed_application, user):
    iss = keyed_application.client_id.swapcase()
    assertion = sign_assertion(keyed_application, keyed_application.private_key, iss=iss)

    assert_invalid_grant(
        jwt_bearer_request(assertion), "The assertion's issuer (iss) is not a known application."
    )


def test_jwt_bearer_grant_refuses_a_key_the_application_did_not_register(
    keyed_application, user, other_rsa_keys
):
    assertion = sign_assertion(keyed_application, other_rsa_keys[0])

    assert_invalid_grant(
        jwt_bearer_request(assertion), "No public key of the application verifies the assertion."
    )


def test_jwt_bearer_grant_never_uses_a_key_from_the_assertion_header(
    keyed_application, user, other_rsa_keys
):
    rsa_algorithm = jwt.get_algorithm_by_name("RS256")
    attacker = rsa_algorithm.to_jwk(rsa_algorithm.prepare_key(other_rsa_keys[1]), as_dict=True)
    headers = {"jwk": attacker, "jku": "https://attacker.example/jwks", "kid": "attacker"}
    assertion = sign_assertion(keyed_application, other_rsa_keys[0], headers=headers)

    assert_invalid_grant(
        jwt_bearer_request(assertion), "No public key of the application verifies the assertion."
    )


def test_jwt_bearer_grant_refuses_a_kid_naming_no_key(keyed_application, user):
    headers = {"kid": "unknown"}
    key = keyed_application.private_key
    assertion = sign_assertion(keyed_application, key, headers=headers)

    assert_invalid_grant(
        jwt_bearer_request(assertion), "No public key of the application verifies the assertion."
    )


@pytest.mark.parametrize("algorithm", ["HS256", "none", "RS512"])
def test_jwt_bearer_grant_refuses_other_algorithms(keyed_application, user, algorithm):
    claims = assertion_claims(keyed_application)
    if algorithm == "RS512":
        assertion = jwt.encode(claims, keyed_application.private_key, algorithm="RS512")
    elif algorithm == "HS256":
        # The public key as an HMAC secret: the classic algorithm confusion.
        assertion = jwt.encode(claims, "k" * 32, algorithm="HS256")
    else:
        assertion = jwt.encode(claims, None, algorithm="none")

    assert_invalid_grant(
        jwt_bearer_request(assertion),
        "The assertion's algorithm is not accepted; use RS256, PS256, ES256, EdDSA.",
    )


@pytest.mark.parametrize("assertion", ["not-a-jwt", "a.b.c", "x" * 9000])
def test_jwt_bearer_grant_refuses_a_malformed_assertion(keyed_application, assertion):
    assert_invalid_grant(jwt_bearer_request(assertion), "The assertion is not a signed JWT.")


def test_jwt_bearer_grant_requires_the_assertion(db):
    response = post_token(
        {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"}, content_type=FORM
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Missing parameter: assertion",
    }


def test_jwt_bearer_grant_refuses_an_inactive_application(keyed_application, user):
    keyed_application.is_active = False
    keyed_application.save()

    response = jwt_bearer_request(sign_assertion(keyed_application, keyed_application.private_key))

    assert_invalid_grant(response, "Application is inactive")


def test_jwt_bearer_grant_refuses_an_issuer_other_than_client_id(keyed_application, application):
    assertion = sign_assertion(keyed_application, keyed_application.private_key)

    response = jwt_bearer_request(assertion, client_id=application.client_id)

    assert_invalid_grant(response, "The assertion's issuer (iss) is not client_id.")


# -- invalid_grant: the user --------------------------------------------------------------------


def test_jwt_bearer_grant_refuses_a_subject_that_is_not_an_e_mail(keyed_application, user):
    assertion = sign_assertion(keyed_application, keyed_application.private_key, sub="alice")

    assert_invalid_grant(
        jwt_bearer_request(assertion),
        "The assertion's subject (sub) is not a valid e-mail address.",
    )


def test_jwt_bearer_grant_refuses_a_domain_not_allowed_as_invalid_grant(keyed_application, receive):
    denied = receive(delegation_denied)
    key = keyed_application.private_key
    assertion = sign_assertion(keyed_application, key, sub="eve@elsewhere.example")

    response = jwt_bearer_request(assertion)

    assert_invalid_grant(response, "This application is not authorized for this email domain.")
    assert [(call["application"], call["reason"]) for call in denied] == [
        (keyed_application, "invalid_grant")
    ]
    event = DelegationEvent.objects.get()
    assert (event.outcome, event.error) == ("failure", "invalid_grant")


def test_jwt_bearer_grant_refuses_an_unknown_user_as_invalid_grant(keyed_application, db):
    key = keyed_application.private_key
    assertion = sign_assertion(keyed_application, key, sub="nobody@example.com")

    assert_invalid_grant(jwt_bearer_request(assertion), "User not found.")


def test_jwt_bearer_grant_provisions_users_as_client_credentials_does(
    keyed_application, delegation, django_user_model
):
    delegation(ALLOW_USER_CREATION=True)
    key = keyed_application.private_key
    assertion = sign_assertion(keyed_application, key, sub="new@example.com")

    assert jwt_bearer_request(assertion).status_code == 200
    assert django_user_model.objects.filter(email="new@example.com").exists()


# -- client authentication beside the assertion -------------------------------------------------


def test_jwt_bearer_grant_accepts_client_authentication_as_well(make_application, rsa_keys, user):
    application = make_application(public_keys=rsa_keys[1])
    assertion = sign_assertion(application, rsa_keys[0])

    response = jwt_bearer_request(
        assertion, client_id=application.client_id, client_secret=application.secret
    )

    assert response.status_code == 200, response.content


def test_jwt_bearer_grant_refuses_a_wrong_secret_beside_the_assertion(
    make_application, rsa_keys, user
):
    application = make_application(public_keys=rsa_keys[1])
    assertion = sign_assertion(application, rsa_keys[0])

    response = jwt_bearer_request(assertion, client_id=application.client_id, client_secret="wrong")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_jwt_bearer_grant_refuses_an_assertion_of_another_client(
    make_application, keyed_application, rsa_keys, user
):
    other = make_application(name="Other")
    assertion = sign_assertion(keyed_application, keyed_application.private_key)

    response = post_token(
        {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
        content_type=FORM,
        HTTP_AUTHORIZATION="Basic "
        + base64.b64encode(f"{other.client_id}:{other.secret}".encode()).decode(),
    )

    assert_invalid_grant(response, "The assertion's issuer (iss) is not the authenticated client.")


# -- applications without a secret --------------------------------------------------------------


def test_an_application_without_a_secret_never_authenticates_with_one(
    keyed_application, user, monkeypatch
):
    from django_app_delegation import secrets as client_secrets

    verified = []
    original = client_secrets._verify_fast
    monkeypatch.setattr(
        client_secrets,
        "_verify_fast",
        lambda secret, encoded: verified.append(encoded) or original(secret, encoded),
    )
    stored = keyed_application.client_secret

    for secret in ("", stored, stored[1:], "anything"):
        response = post_token(
            {
                "grant_type": "client_credentials",
                "client_id": keyed_application.client_id,
                "client_secret": secret or "x",
                "scope": "alice@example.com",
            }
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
    # Each check ran against the dummy hash, as for an unknown client (same cost): twice per
    # request, for the current secret and a previous one.
    assert verified == [client_secrets._DUMMY_HASH] * 8


def test_rsa_keys_shorter_than_2048_bits_are_refused(make_application):
    from django.core.exceptions import ValidationError

    _private, public = pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=1024))

    with pytest.raises(ValidationError, match="at least 2048 bits"):
        make_application(public_keys=public, with_secret=False)
