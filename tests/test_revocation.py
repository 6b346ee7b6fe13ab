"""Revocation: one token at the RFC 7009 endpoint, every token of an (application, user) pair
(Python API, HTTP endpoint), refused at the next request within the one-query budget, on the join
and on the ORM fallback."""

from __future__ import annotations

import base64
import time
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from django_app_delegation import authentication
from django_app_delegation.models import DelegationEvent, RevokedDelegation, RevokedToken
from django_app_delegation.revocation import revoke_delegation, revoke_token
from django_app_delegation.signals import token_revoked
from tests.helpers import FORM, delegated_claims, sign, token_for, whoami

pytestmark = pytest.mark.django_db

REVOKE_URL = "/external-api/v1.0/application/revoke/"
REVOKE_USER_URL = "/external-api/v1.0/application/revoke-user/"


def post_form(url, data, **extra):
    """POST ``data`` form-url-encoded, as OAuth clients do."""
    return APIClient().post(url, urlencode(data), content_type=FORM, **extra)


def revoke(application, token, **extra):
    body = {"client_id": application.client_id, "client_secret": application.secret}
    if token is not None:
        body["token"] = token
    return post_form(REVOKE_URL, {**body, **extra})


def revoke_user(application, email):
    body = {
        "client_id": application.client_id,
        "client_secret": application.secret,
        "email": email,
    }
    return post_form(REVOKE_USER_URL, body)


def assert_revoked_answer(response):
    assert response.status_code == 200, response.content
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"


def assert_revoked_token(response):
    assert response.status_code == 401, response.content
    assert response.json() == {"detail": "Token revoked."}
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_urls_are_named_as_the_metadata_reverses_them():
    assert reverse("app_delegation:revoke") == REVOKE_URL
    assert reverse("app_delegation:introspect") == "/external-api/v1.0/application/introspect/"
    assert reverse("app_delegation:revoke_user") == REVOKE_USER_URL


# -- the revocation endpoint (RFC 7009) ------------------------------------------------------------


def test_revoked_token_is_refused_at_the_next_request_in_one_query(
    access_token, application, django_assert_num_queries
):
    assert whoami(access_token).status_code == 200

    assert_revoked_answer(revoke(application, access_token))

    with django_assert_num_queries(1):
        response = whoami(access_token)
    assert_revoked_token(response)


def test_revocation_stores_the_jti_with_the_tokens_expiry(access_token, application):
    claims = authentication.decode_token(access_token)

    revoke(application, access_token)

    entry = RevokedToken.objects.get()
    assert entry.jti == claims["jti"]
    assert entry.application == application
    assert int(entry.expires_at.timestamp()) == claims["exp"]


def test_other_tokens_of_the_same_user_keep_working(access_token, application):
    other = token_for(application)

    revoke(application, access_token)

    assert whoami(other).status_code == 200


def test_revocation_accepts_http_basic_client_authentication(access_token, application):
    credentials = base64.b64encode(f"{application.client_id}:{application.secret}".encode())

    response = post_form(
        REVOKE_URL, {"token": access_token}, HTTP_AUTHORIZATION=f"Basic {credentials.decode()}"
    )

    assert_revoked_answer(response)
    assert_revoked_token(whoami(access_token))


def test_revocation_accepts_a_json_body(access_token, application):
    body = {
        "token": access_token,
        "client_id": application.client_id,
        "client_secret": application.secret,
    }

    assert_revoked_answer(APIClient().post(REVOKE_URL, body, format="json"))
    assert_revoked_token(whoami(access_token))


@pytest.mark.parametrize("token", ["not-a-token", "a.b.c", "x" * 9000])
def test_unknown_or_malformed_token_is_answered_200(application, token):
    assert_revoked_answer(revoke(application, token))
    assert not RevokedToken.objects.exists()


def test_expired_token_is_answered_200_and_not_stored(application, user):
    now = int(time.time())
    token = sign(delegated_claims(application, user, iat=now - 7200, exp=now - 3600))

    assert_revoked_answer(revoke(application, token))
    assert not RevokedToken.objects.exists()


def test_token_of_another_application_is_left_alone_without_saying_so(
    make_application, access_token
):
    other = make_application(name="Other")

    response = revoke(other, access_token)

    assert_revoked_answer(response)
    assert not RevokedToken.objects.exists()
    assert whoami(access_token).status_code == 200


@pytest.mark.parametrize("hint", ["access_token", "refresh_token", "something_else"])
def test_token_type_hint_is_accepted_and_ignored(access_token, application, hint):
    assert_revoked_answer(revoke(application, access_token, token_type_hint=hint))
    assert_revoked_token(whoami(access_token))


def test_revoking_twice_answers_200_and_records_once(access_token, application):
    revoke(application, access_token)

    assert_revoked_answer(revoke(application, access_token))
    assert RevokedToken.objects.count() == 1
    assert DelegationEvent.objects.filter(action="revoke").count() == 1


def test_revocation_is_recorded_and_signalled(access_token, application, receive):
    calls = receive(token_revoked)
    jti = authentication.decode_token(access_token)["jti"]

    revoke(application, access_token)

    event = DelegationEvent.objects.get(action="revoke")
    assert (event.outcome, event.client_id, event.object_id) == (
        "success",
        application.client_id,
        jti,
    )
    assert [(call["application"], call["jti"]) for call in calls] == [(application, jti)]


def test_token_without_jti_is_an_unsupported_token_type(delegation, application, user):
    delegation(REQUIRED_CLAIMS=("iat",))
    token = sign(delegated_claims(application, user, jti=None))

    response = revoke(application, token)

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_token_type"
    assert response["Cache-Control"] == "no-store"


def test_missing_token_is_an_invalid_request(application):
    response = revoke(application, None)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Missing parameter: token",
    }


def test_wrong_secret_is_invalid_client_and_revokes_nothing(access_token, application):
    application.secret = "wrong"

    response = revoke(application, access_token)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert whoami(access_token).status_code == 200


def test_missing_client_credentials_get_a_basic_challenge(access_token):
    response = post_form(REVOKE_URL, {"token": access_token})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic")


def test_inactive_application_cannot_revoke(access_token, application):
    application.is_active = False
    application.save()

    response = revoke(application, access_token)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_errors_keep_the_rfc_format_when_the_token_endpoint_speaks_meets(delegation, application):
    delegation(TOKEN_ERROR_FORMAT="meet")

    response = revoke(application, None)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_revoked_token_is_not_passed_to_the_next_authenticator(
    second_authenticator, access_token, application
):
    revoke(application, access_token)

    assert_revoked_token(whoami(access_token))


# -- every token of one (application, user) pair -----------------------------------------------


def test_revoking_a_pair_refuses_its_tokens_in_one_query(
    access_token, application, user, django_assert_num_queries
):
    application.revoke_tokens_for(user)

    with django_assert_num_queries(1):
        response = whoami(access_token)
    assert_revoked_token(response)
    application.refresh_from_db()
    assert application.is_active


def test_pair_revocation_spares_other_users_and_other_applications(
    make_application, application, user, bob
):
    other = make_application(name="Other")
    alice_other = token_for(other)
    bob_token = token_for(application, "bob@example.com")
    alice_token = token_for(application)

    revoke_delegation(application=application, user=user)

    assert_revoked_token(whoami(alice_token))
    assert whoami(bob_token).status_code == 200
    assert whoami(alice_other).status_code == 200


def revoke_pair_earlier(application, user, seconds=10):
    """Revoke the pair, then move the revocation ``seconds`` back (tokens may not be issued in
    the future: ``iat`` is checked)."""
    entry = revoke_delegation(application=application, user=user)
    entry.revoked_iat -= seconds
    entry.save()
    return entry


def test_tokens_issued_after_the_revocations_second_work(application, user):
    entry = revoke_pair_earlier(application, user)
    same_second = sign(delegated_claims(application, user, iat=entry.revoked_iat))
    next_second = sign(delegated_claims(application, user, iat=entry.revoked_iat + 1))

    assert_revoked_token(whoami(same_second))
    assert whoami(next_second).status_code == 200


def test_a_fractional_iat_is_floored_to_the_safe_side(application, user):
    entry = revoke_pair_earlier(application, user)
    token = sign(delegated_claims(application, user, iat=entry.revoked_iat + 0.5))

    assert_revoked_token(whoami(token))


def test_revoking_a_pair_again_moves_its_time(application, user):
    first = revoke_delegation(application=application, user=user)
    RevokedDelegation.objects.filter(pk=first.pk).update(revoked_iat=first.revoked_iat - 100)

    second = revoke_delegation(application=application, user=user)

    assert RevokedDelegation.objects.count() == 1
    assert second.revoked_iat >= first.revoked_iat


def test_token_without_iat_is_refused_by_any_revocation_of_its_pair(delegation, application, user):
    delegation(REQUIRED_CLAIMS=("jti",))
    token = sign(delegated_claims(application, user, iat=None))
    assert whoami(token).status_code == 200

    revoke_delegation(application=application, user=user)

    assert_revoked_token(whoami(token))


def test_pair_revocation_is_recorded_and_signalled(application, user, receive):
    calls = receive(token_revoked)

    revoke_delegation(application=application, user=user)

    event = DelegationEvent.objects.get(action="revoke")
    assert (event.user_id, event.object_id) == (user.pk, "")
    assert [(call["user"], call["jti"]) for call in calls] == [(user, None)]


# -- the ORM fallback (two queries) ----------------------------------------------------------------


@pytest.fixture
def without_join(monkeypatch):
    """Authenticate through the ORM fallback: the application's row, then the user."""
    monkeypatch.setattr(authentication, "_join_is_equivalent", lambda *args: False)


def test_fallback_refuses_a_revoked_token_in_two_queries(
    without_join, access_token, application, django_assert_num_queries
):
    with django_assert_num_queries(2):
        assert whoami(access_token).status_code == 200
    revoke(application, access_token)

    with django_assert_num_queries(1):  # Refused on the application's row.
        response = whoami(access_token)
    assert_revoked_token(response)


def test_fallback_refuses_a_revoked_pair(
    without_join, access_token, application, user, django_assert_num_queries
):
    revoke_delegation(application=application, user=user)

    with django_assert_num_queries(1):
        response = whoami(access_token)
    assert_revoked_token(response)


def test_fallback_accepts_a_token_issued_after_the_pair_revocation(without_join, application, user):
    entry = revoke_pair_earlier(application, user)

    token = sign(delegated_claims(application, user, iat=entry.revoked_iat + 1))

    assert whoami(token).status_code == 200


def test_fallback_with_a_user_id_beyond_the_key_range_is_user_not_found(
    without_join, application, user
):
    token = sign(delegated_claims(application, user, sub=str(2**70), user_id=str(2**70)))

    response = whoami(token)

    assert response.status_code == 401
    assert response.json() == {"detail": "User not found."}


# -- the HTTP endpoint for a pair ----------------------------------------------------------------


def test_application_revokes_a_users_tokens_by_email(access_token, application, user):
    response = revoke_user(application, "Alice@Example.com")

    assert_revoked_answer(response)
    assert_revoked_token(whoami(access_token))
    assert RevokedDelegation.objects.get().user == user


def test_unknown_email_gets_the_same_answer(application):
    response = revoke_user(application, "nobody@example.com")

    assert_revoked_answer(response)
    assert not RevokedDelegation.objects.exists()


def test_revoking_a_user_spares_other_applications(make_application, application, user):
    other = make_application(name="Other")
    token = token_for(other)

    revoke_user(application, "alice@example.com")

    assert whoami(token).status_code == 200


def test_malformed_email_is_an_invalid_request(application):
    response = revoke_user(application, "not an address")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_missing_email_is_an_invalid_request(application):
    response = post_form(
        REVOKE_USER_URL,
        {"client_id": application.client_id, "client_secret": application.secret},
    )

    assert response.status_code == 400
    assert response.json()["error_description"] == "Missing parameter: email"


def test_revoking_a_user_needs_client_authentication(access_token, application):
    application.secret = "wrong"

    response = revoke_user(application, "alice@example.com")

    assert response.status_code == 401
    assert whoami(access_token).status_code == 200


def test_revoke_token_refuses_an_unusable_jti(application):
    with pytest.raises(ValueError, match="jti"):
        revoke_token(application=application, jti="", expires_at=None)


def test_a_user_outside_the_applications_domains_is_neither_looked_up_nor_recorded(
    application, django_user_model, django_assert_num_queries
):
    outsider = django_user_model.objects.create_user(username="eve", email="eve@elsewhere.org")
    client_id, secret = application.client_id, application.secret

    with django_assert_num_queries(1):  # The application (and its domains); no user lookup.
        response = post_form(
            REVOKE_USER_URL,
            {"client_id": client_id, "client_secret": secret, "email": outsider.email},
        )

    assert_revoked_answer(response)
    assert not RevokedDelegation.objects.exists()
    assert not DelegationEvent.objects.filter(user_id=str(outsider.pk)).exists()


def test_revoking_an_accented_look_alike_never_revokes_another_mailbox(make_application, user):
    # MariaDB's default collation finds alice@example.com for alice@exámple.com: the address of
    # the user found decides again, as at the token endpoint.
    application = make_application(domains=("example.com", "exámple.com"))
    token = token_for(application, "alice@example.com")

    assert_revoked_answer(revoke_user(application, "alice@exámple.com"))

    assert not RevokedDelegation.objects.exists()
    assert whoami(token).status_code == 200
