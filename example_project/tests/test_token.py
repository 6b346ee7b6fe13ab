"""The token endpoint with Meet's settings and user model (reference §2): the claims Meet's
issuer and lifetime give, provisional users, the provisioning race on Meet's e-mail constraint, and
an application without domains acting for anybody. The endpoint itself is specified by the app's
own tests (``tests/test_token_view.py``, ``tests/test_provisioning.py``)."""

from __future__ import annotations

import threading

import jwt
import pytest
from django.conf import settings
from django.db import connection, connections

from django_app_delegation import hooks
from users.models import User

from .helpers import ALL_SCOPES, TOKEN_URL


def decode(token: str) -> dict:
    conf = settings.APP_DELEGATION
    return jwt.decode(token, conf["SIGNING_KEY"], algorithms=["HS256"], audience=conf["AUDIENCE"])


def test_token_claims_name_the_user_and_the_application(request_token, application, user):
    claims = decode(request_token(application).json()["access_token"])

    assert claims["user_id"] == str(user.pk)
    assert claims["sub"] == str(user.pk)
    assert claims["client_id"] == application.client_id
    assert claims["delegated"] is True
    assert claims["iss"] == "lasuite-meet"
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["scope"] == " ".join(ALL_SCOPES)


def test_unknown_user_is_provisioned_when_user_creation_is_on(
    request_token, application, user_creation, db
):
    response = request_token(application, "Bob@Example.com")

    assert response.status_code == 200, response.content
    bob = User.objects.get(email__iexact="bob@example.com")
    # Normalised: the domain is lower-cased, the local part keeps its case.
    assert bob.email == "Bob@example.com"
    assert bob.sub is None
    assert bob.admin_email is None
    assert not bob.has_usable_password()
    assert decode(response.json()["access_token"])["user_id"] == str(bob.pk)


@pytest.mark.django_db(transaction=True)
def test_concurrent_provisioning_creates_one_user(
    make_application, request_token, user_creation, monkeypatch
):
    """Two simultaneous first requests for an e-mail, both past their first lookup: one user."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
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
            results.append(request_token(application, "Newcomer@example.com"))
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


def test_application_without_domains_acts_for_anybody(request_token, application, make_user):
    make_user("erin@elsewhere.org")

    assert request_token(application, "erin@elsewhere.org").status_code == 200


def test_errors_are_described_in_the_language_of_the_request(api_client, application, user):
    """French comes from the compiled catalogue shipped with the app (this suite also runs
    against the built wheel); the error codes stay those of RFC 6749."""
    body = {
        "grant_type": "client_credentials",
        "client_id": application.client_id,
        "client_secret": "not-the-secret",
        "scope": user.email,
    }
    response = api_client.post(TOKEN_URL, body, format="json", HTTP_ACCEPT_LANGUAGE="fr-FR,fr")

    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Identifiants invalides",
    }
    assert response["Content-Language"] == "fr-fr"

    response = api_client.post(TOKEN_URL, body, format="json")
    assert response.json()["error_description"] == "Invalid credentials"
