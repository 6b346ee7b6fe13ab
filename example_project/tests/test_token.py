"""The token endpoint as Meet's integrators use it (reference §2), with this app's RFC bodies."""

from __future__ import annotations

import base64
import threading
from urllib.parse import urlencode

import jwt
import pytest
from django.conf import settings
from django.db import connection, connections
from rest_framework.test import APIClient

from django_app_delegation import hooks
from users.models import User

from .helpers import ALL_SCOPES, TOKEN_URL


def decode(token: str) -> dict:
    conf = settings.APP_DELEGATION
    return jwt.decode(token, conf["SIGNING_KEY"], algorithms=["HS256"], audience=conf["AUDIENCE"])


def test_token_for_an_existing_user_carries_every_scope_of_the_application(
    request_token, application, user
):
    response = request_token(application)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == " ".join(ALL_SCOPES)
    assert response["Cache-Control"] == "no-store"


def test_token_claims_name_the_user_and_the_application(request_token, application, user):
    claims = decode(request_token(application).json()["access_token"])

    assert claims["user_id"] == str(user.pk)
    assert claims["sub"] == str(user.pk)
    assert claims["client_id"] == application.client_id
    assert claims["delegated"] is True
    assert claims["iss"] == "lasuite-meet"
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["scope"] == " ".join(ALL_SCOPES)


def test_form_encoded_token_request_is_accepted(request_token, application, user):
    response = request_token(application, format="form")

    assert response.status_code == 200, response.content


def test_http_basic_client_authentication_is_accepted(api_client, application, user):
    basic = base64.b64encode(f"{application.client_id}:{application.secret}".encode()).decode()

    response = api_client.post(
        TOKEN_URL,
        urlencode({"grant_type": "client_credentials", "scope": "alice@example.com"}),
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )

    assert response.status_code == 200, response.content


def test_token_can_be_narrowed_to_some_scopes_of_the_application(request_token, application, user):
    response = request_token(application, "alice@example.com rooms:list")

    assert response.status_code == 200
    assert response.json()["scope"] == "rooms:list"


def test_unknown_client_id_is_401_invalid_credentials(request_token, application, user):
    response = request_token(application, client_id="no-such-client")

    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Invalid credentials",
    }


def test_wrong_secret_is_401_invalid_credentials(request_token, application, user):
    response = request_token(application, client_secret="wrong-secret")

    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Invalid credentials",
    }


def test_inactive_application_is_told_only_to_holders_of_the_right_secret(
    request_token, make_application, user
):
    application = make_application(is_active=False)

    right = request_token(application)
    wrong = request_token(application, client_secret="wrong-secret")

    assert right.status_code == 401
    assert right.json() == {
        "error": "invalid_client",
        "error_description": "Application is inactive",
    }
    assert wrong.status_code == 401
    assert wrong.json()["error_description"] == "Invalid credentials"


@pytest.mark.parametrize("scope", ["not-an-email", "alice@", "@example.com"])
def test_scope_that_is_not_an_email_is_400(request_token, application, user, scope):
    response = request_token(application, scope)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Scope should be a valid email address.",
    }


def test_grant_type_other_than_client_credentials_is_400(request_token, application, user):
    response = request_token(application, grant_type="authorization_code")

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("missing", ["grant_type", "scope"])
def test_missing_parameter_is_400_invalid_request(request_token, application, user, missing):
    response = request_token(application, **{missing: None})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert missing in response.json()["error_description"]


@pytest.mark.parametrize("missing", ["client_id", "client_secret"])
def test_missing_client_credentials_are_401_invalid_client(
    request_token, application, user, missing
):
    """No client authentication is invalid_client (RFC 6749 §5.2), with a Basic challenge."""
    response = request_token(application, **{missing: None})

    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": f"Missing client credentials: {missing}",
    }
    assert response["WWW-Authenticate"].startswith('Basic realm="token"')


def test_token_endpoint_only_accepts_post(api_client, db):
    assert api_client.get(TOKEN_URL).status_code == 405


def test_token_endpoint_refuses_other_content_types(api_client, db):
    response = api_client.generic("POST", TOKEN_URL, "scope=x", content_type="text/plain")

    assert response.status_code == 415


def test_unknown_user_is_404_when_user_creation_is_off(request_token, application, db):
    response = request_token(application, "bob@example.com")

    assert response.status_code == 404
    assert response.json() == {"error": "invalid_grant", "error_description": "User not found."}
    assert not User.objects.filter(email__iexact="bob@example.com").exists()


def test_unknown_user_is_provisioned_when_user_creation_is_on(
    request_token, application, delegation, db
):
    delegation(ALLOW_USER_CREATION=True)

    response = request_token(application, "Bob@Example.com")

    assert response.status_code == 200, response.content
    bob = User.objects.get(email__iexact="bob@example.com")
    # Normalised: the domain is lower-cased, the local part keeps its case.
    assert bob.email == "Bob@example.com"
    assert bob.sub is None
    assert bob.admin_email is None
    assert not bob.has_usable_password()
    assert decode(response.json()["access_token"])["user_id"] == str(bob.pk)


def test_provisioning_reuses_the_user_whatever_the_case_of_the_email(
    request_token, application, delegation, user
):
    delegation(ALLOW_USER_CREATION=True)

    first = request_token(application, "ALICE@example.com")
    second = request_token(application, "alice@EXAMPLE.com")

    assert first.status_code == second.status_code == 200
    assert User.objects.count() == 1
    assert decode(second.json()["access_token"])["user_id"] == str(user.pk)


@pytest.mark.django_db(transaction=True)
def test_concurrent_provisioning_creates_one_user(make_application, delegation, monkeypatch):
    """Two simultaneous first requests for an e-mail, both past their first lookup: one user."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    delegation(ALLOW_USER_CREATION=True)
    application = make_application()
    both_looked_up = threading.Barrier(2, timeout=10)
    find_users = hooks._find_users
    first_lookup = threading.local()

    def find_users_together(email, using=None):
        users = find_users(email, using=using)
        if not getattr(first_lookup, "done", False):
            first_lookup.done = True
            both_looked_up.wait()
        return users

    def request(results):
        try:
            results.append(
                APIClient().post(
                    TOKEN_URL,
                    {
                        "grant_type": "client_credentials",
                        "client_id": application.client_id,
                        "client_secret": application.secret,
                        "scope": "Newcomer@example.com",
                    },
                    format="json",
                )
            )
        finally:
            connections.close_all()

    results = []
    monkeypatch.setattr(hooks, "_find_users", find_users_together)
    threads = [threading.Thread(target=request, args=(results,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [response.status_code for response in results] == [200, 200]
    newcomer = User.objects.get(email__iexact="newcomer@example.com")
    assert {decode(response.json()["access_token"])["user_id"] for response in results} == {
        str(newcomer.pk)
    }


def test_email_shared_by_several_users_is_409(request_token, application, make_user):
    make_user("dave@example.com", sub="dave-1")
    make_user("DAVE@example.com", sub="dave-2")

    response = request_token(application, "dave@example.com")

    assert response.status_code == 409
    assert response.json()["error"] == "invalid_grant"


def test_inactive_user_gets_no_token(request_token, application, user):
    user.is_active = False
    user.save()

    response = request_token(application)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "User account is disabled.",
    }


def test_application_without_domains_acts_for_anybody(request_token, application, make_user):
    make_user("erin@elsewhere.org")

    assert request_token(application, "erin@elsewhere.org").status_code == 200


def test_application_with_domains_acts_only_for_them(request_token, make_application, make_user):
    application = make_application(domains=("example.com", "*.example.org"))
    make_user("frank@example.com")
    make_user("grace@team.example.org")
    make_user("heidi@elsewhere.org")

    refused = request_token(application, "heidi@elsewhere.org")

    assert request_token(application, "frank@example.com").status_code == 200
    assert request_token(application, "grace@team.example.org").status_code == 200
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "invalid_scope",
        "error_description": "This application is not authorized for this email domain.",
    }


def test_empty_domain_list_refuses_everybody_outside_meets_mode(
    request_token, application, user, delegation
):
    delegation(EMPTY_DOMAIN_LIST_ALLOWS_ALL=False)

    assert request_token(application).status_code == 403
