"""The introspection endpoint (RFC 7662): who may introspect what, the active answer, and
``{"active": false}`` for everything that would not authenticate."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from django_app_delegation.revocation import revoke_delegation
from tests.helpers import FORM, delegated_claims, sign, token_for

pytestmark = pytest.mark.django_db

INTROSPECT_URL = "/external-api/v1.0/application/introspect/"
INACTIVE = {"active": False}


def introspect(application, token, **extra):
    body = {"client_id": application.client_id, "client_secret": application.secret}
    if token is not None:
        body["token"] = token
    return APIClient().post(INTROSPECT_URL, urlencode({**body, **extra}), content_type=FORM)


def answer(response):
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    return response.json()


@pytest.fixture
def resource_server(make_application):
    """An application allowed to introspect every application's tokens."""
    server = make_application(name="Resource server", scopes=[], domains=())
    server.can_introspect_all_tokens = True
    server.save()
    return server


def test_application_introspects_its_own_token(access_token, application, user):
    claims = delegated_claims(application, user)

    body = answer(introspect(application, access_token))

    assert body == {
        "active": True,
        "scope": "rooms:list rooms:retrieve rooms:create rooms:update rooms:delete",
        "client_id": application.client_id,
        "username": user.get_username(),
        "token_type": "Bearer",
        "sub": str(user.pk),
        "iss": claims["iss"],
        "aud": claims["aud"],
        "exp": body["exp"],
        "iat": body["iat"],
        "jti": body["jti"],
    }
    assert body["exp"] > body["iat"]


def test_introspection_costs_one_query_after_client_authentication(
    access_token, application, django_assert_max_num_queries
):
    # Client authentication reads the application; the token's state is one more query.
    with django_assert_max_num_queries(2):
        body = answer(introspect(application, access_token))
    assert body["active"] is True


def test_scope_lists_only_what_the_application_still_grants(access_token, application):
    application.scopes = ["rooms:list"]
    application.save()

    assert answer(introspect(application, access_token))["scope"] == "rooms:list"


def test_scope_is_present_even_when_empty(make_application, user):
    bare = make_application(name="Bare", scopes=[])

    body = answer(introspect(bare, token_for(bare)))

    assert body["active"] is True
    assert body["scope"] == ""


def test_another_applications_token_is_inactive(make_application, access_token):
    other = make_application(name="Other")

    assert answer(introspect(other, access_token)) == INACTIVE


def test_resource_server_introspects_every_applications_tokens(
    resource_server, access_token, application
):
    body = answer(introspect(resource_server, access_token))

    assert body["active"] is True
    assert body["client_id"] == application.client_id


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 9000])
def test_invalid_token_is_inactive(application, token):
    assert answer(introspect(application, token)) == INACTIVE


def test_expired_token_is_inactive(application, user):
    now = int(time.time())
    token = sign(delegated_claims(application, user, iat=now - 7200, exp=now - 3600))

    assert answer(introspect(application, token)) == INACTIVE


def test_revoked_token_is_inactive(access_token, application):
    APIClient().post(
        "/external-api/v1.0/application/revoke/",
        urlencode(
            {
                "token": access_token,
                "client_id": application.client_id,
                "client_secret": application.secret,
            }
        ),
        content_type=FORM,
    )

    assert answer(introspect(application, access_token)) == INACTIVE


def test_token_of_a_revoked_pair_is_inactive(access_token, application, user):
    revoke_delegation(application=application, user=user)

    assert answer(introspect(application, access_token)) == INACTIVE


def test_token_of_an_inactive_application_is_inactive(resource_server, access_token, application):
    application.is_active = False
    application.save()

    assert answer(introspect(resource_server, access_token)) == INACTIVE


def test_token_of_an_inactive_user_is_inactive(access_token, application, user):
    user.is_active = False
    user.save()

    assert answer(introspect(application, access_token)) == INACTIVE


def test_token_type_hint_is_ignored(access_token, application):
    body = answer(introspect(application, access_token, token_type_hint="refresh_token"))

    assert body["active"] is True


def test_subject_field_names_what_the_answer_carries_as_sub(
    delegation, access_token, application, user
):
    delegation(INTROSPECTION_SUBJECT_FIELD="username")

    assert answer(introspect(application, access_token))["sub"] == "alice"


def test_an_empty_subject_field_leaves_sub_out(delegation, access_token, application, user):
    delegation(INTROSPECTION_SUBJECT_FIELD="first_name")

    assert "sub" not in answer(introspect(application, access_token))


def test_missing_token_is_an_invalid_request(application):
    response = introspect(application, None)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_introspection_needs_client_authentication(access_token):
    response = APIClient().post(
        INTROSPECT_URL, urlencode({"token": access_token}), content_type=FORM
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic")


def test_disabled_app_answers_404(delegation, access_token, application):
    delegation(ENABLED=False)

    assert introspect(application, access_token).status_code == 404
