"""Every way an API call's token is refused (reference §3), seen through the rooms endpoint."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from .helpers import ROOMS_URL, forge_token


def get_rooms(token: str | None = None, *, authorization: str | None = None):
    client = APIClient()
    if token is not None:
        authorization = f"Bearer {token}"
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    return client.get(ROOMS_URL)


def assert_invalid_token(response, description: str) -> None:
    assert response.status_code == 401
    assert response.json() == {"detail": description}
    assert response["WWW-Authenticate"] == (
        f'Bearer realm="api", error="invalid_token", error_description="{description}"'
    )


def assert_not_authenticated(response) -> None:
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_valid_token_is_accepted(get_token, application, user):
    assert get_rooms(get_token(application)).status_code == 200


def test_request_without_a_token_is_401_with_a_bearer_challenge(db):
    assert_not_authenticated(get_rooms())


@pytest.mark.parametrize("authorization", ["Basic YTpi", "Token abc", "Session xyz"])
def test_other_authorization_schemes_are_not_authenticated(db, authorization):
    assert_not_authenticated(get_rooms(authorization=authorization))


@pytest.mark.parametrize("authorization", ["Bearer", "Bearer a b"])
def test_malformed_bearer_header_is_401(db, authorization):
    assert_invalid_token(get_rooms(authorization=authorization), "Invalid token header.")


def test_expired_token_is_401(application, user):
    now = int(time.time())
    token = forge_token(application, user, iat=now - 7200, exp=now - 3600)

    assert_invalid_token(get_rooms(token), "Token expired.")


def test_token_from_another_issuer_is_401(application, user):
    assert_invalid_token(get_rooms(forge_token(application, user, iss="other")), "Invalid token.")


def test_token_for_another_audience_is_401(application, user):
    token = forge_token(application, user, aud="https://other.example/")

    assert_invalid_token(get_rooms(token), "Invalid token.")


@pytest.mark.parametrize("claim", ["exp", "iss", "aud", "jti"])
def test_token_without_a_required_claim_is_401(application, user, claim):
    token = forge_token(application, user, **{claim: None})

    assert_invalid_token(get_rooms(token), f"Invalid token claims: missing {claim}.")


def test_token_not_issued_by_delegation_is_401(application, user):
    token = forge_token(application, user, delegated=None)

    assert_invalid_token(get_rooms(token), "Invalid token type.")


def test_token_signed_with_another_key_is_401_invalid_token(application, user):
    """The rooms API has no other authenticator that could take it: the token is invalid."""
    token = forge_token(application, user, key="another-service-key-0123456789abcdefghij")

    assert_invalid_token(get_rooms(token), "Invalid token.")


@pytest.mark.parametrize("token", ["opaque-token-from-an-oidc-provider", "abc.def.ghi", "e30"])
def test_garbled_token_is_401_invalid_token(db, token):
    assert_invalid_token(get_rooms(token), "Invalid token.")


def test_deactivating_the_application_revokes_its_tokens_at_once(get_token, application, user):
    token = get_token(application)
    application.is_active = False
    application.save()

    assert_invalid_token(get_rooms(token), "Application is disabled.")


def test_deleting_the_application_revokes_its_tokens(get_token, application, user):
    token = get_token(application)
    application.delete()

    assert_invalid_token(get_rooms(token), "Application not found.")


def test_token_of_a_deactivated_user_is_401(get_token, application, user):
    token = get_token(application)
    user.is_active = False
    user.save()

    assert_invalid_token(get_rooms(token), "User account is disabled.")


def test_token_of_a_deleted_user_is_401(get_token, application, user):
    token = get_token(application)
    user.delete()

    assert_invalid_token(get_rooms(token), "User not found.")


def test_token_naming_no_user_is_401(application, user):
    token = forge_token(application, user, sub=None, user_id=None)

    assert_invalid_token(get_rooms(token), "Invalid token claims.")
