"""``private_key_jwt`` client authentication (RFC 7523 §2.2) on the client-authenticated endpoints:
the application signs a client assertion (``iss`` = ``sub`` = its client id) instead of sending a
secret."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest
from django.test import Client
from rest_framework.test import APIClient

from django_app_delegation.models import UsedAssertion
from tests.helpers import (
    CLIENT_ASSERTION_TYPE,
    FORM,
    TOKEN_ENDPOINT,
    post_token,
    sign_assertion,
)

pytestmark = pytest.mark.django_db


def client_assertion(application, key=None, **overrides):
    key = key or application.private_key
    return sign_assertion(application, key, **{"sub": application.client_id, **overrides})


def request_with_assertion(client_assertion_, *, headers=None, **params):
    body = {
        "grant_type": "client_credentials",
        "scope": "alice@example.com",
        "client_assertion_type": CLIENT_ASSERTION_TYPE,
        "client_assertion": client_assertion_,
        **params,
    }
    body = {name: value for name, value in body.items() if value is not None}
    return post_token(body, content_type=FORM, **(headers or {}))


def assert_invalid_client(response, description):
    assert response.status_code == 401, response.content
    assert response.json() == {"error": "invalid_client", "error_description": description}
    assert "WWW-Authenticate" not in response


def assert_invalid_request(response, description):
    assert response.status_code == 400, response.content
    assert response.json() == {"error": "invalid_request", "error_description": description}


def test_client_credentials_with_a_client_assertion_issues_a_token(keyed_application, user):
    response = request_with_assertion(client_assertion(keyed_application))

    assert response.status_code == 200, response.content
    assert UsedAssertion.objects.get().application == keyed_application


def test_a_client_assertion_may_come_with_its_client_id(keyed_application, user):
    response = request_with_assertion(
        client_assertion(keyed_application), client_id=keyed_application.client_id
    )

    assert response.status_code == 200, response.content


def test_a_client_assertion_with_another_client_id_is_refused(keyed_application, application):
    response = request_with_assertion(
        client_assertion(keyed_application), client_id=application.client_id
    )

    assert_invalid_client(response, "The client assertion's issuer (iss) is not client_id.")


def test_a_replayed_client_assertion_is_refused(keyed_application, user):
    assertion = client_assertion(keyed_application)
    assert request_with_assertion(assertion).status_code == 200

    assert_invalid_client(request_with_assertion(assertion), "The assertion has already been used.")


def test_a_client_assertion_whose_subject_is_not_the_client_is_refused(keyed_application, user):
    assertion = client_assertion(keyed_application, sub="alice@example.com")

    assert_invalid_client(
        request_with_assertion(assertion),
        "The client assertion's subject (sub) must be the client_id.",
    )
    assert not UsedAssertion.objects.exists()


def test_a_client_assertion_for_another_audience_is_refused(keyed_application, user):
    assertion = client_assertion(keyed_application, aud="https://elsewhere.example/token")

    assert_invalid_client(
        request_with_assertion(assertion), "The assertion's audience (aud) is not this endpoint."
    )


def test_a_client_assertion_signed_with_another_key_is_refused(
    keyed_application, other_rsa_keys, user
):
    assertion = client_assertion(keyed_application, other_rsa_keys[0])

    assert_invalid_client(
        request_with_assertion(assertion),
        "No public key of the application verifies the assertion.",
    )


def test_a_client_assertion_of_an_unknown_client_is_refused(keyed_application):
    assertion = client_assertion(keyed_application, iss="unknown", sub="unknown")

    assert_invalid_client(
        request_with_assertion(assertion),
        "The assertion's issuer (iss) is not a known application.",
    )


def test_a_malformed_client_assertion_is_refused(db):
    assert_invalid_client(request_with_assertion("garbage"), "The assertion is not a signed JWT.")


def test_a_client_assertion_without_iss_is_refused(keyed_application):
    assertion = client_assertion(keyed_application, iss=None)

    assert_invalid_client(request_with_assertion(assertion), "The assertion lacks the claim iss.")


def test_a_client_assertion_of_an_inactive_application_is_refused(keyed_application, user):
    keyed_application.is_active = False
    keyed_application.save()

    assert_invalid_client(
        request_with_assertion(client_assertion(keyed_application)), "Application is inactive"
    )


def test_a_client_assertion_of_an_application_without_keys_is_refused(application, rsa_keys):
    application.private_key = rsa_keys[0]

    assert_invalid_client(
        request_with_assertion(client_assertion(application)),
        "No public key of the application verifies the assertion.",
    )


def test_a_client_assertion_beside_a_secret_is_invalid_request(make_application, rsa_keys):
    application = make_application(public_keys=rsa_keys[1])
    application.private_key = rsa_keys[0]

    response = request_with_assertion(
        client_assertion(application),
        client_id=application.client_id,
        client_secret=application.secret,
    )

    assert_invalid_request(
        response,
        "Use one client authentication method: HTTP Basic, client_secret or client_assertion, "
        "not several.",
    )


def test_a_client_assertion_beside_http_basic_is_invalid_request(make_application, rsa_keys):
    application = make_application(public_keys=rsa_keys[1])
    application.private_key = rsa_keys[0]
    basic = base64.b64encode(f"{application.client_id}:{application.secret}".encode()).decode()

    response = request_with_assertion(
        client_assertion(application), headers={"HTTP_AUTHORIZATION": f"Basic {basic}"}
    )

    assert_invalid_request(
        response,
        "Use one client authentication method: HTTP Basic, client_secret or client_assertion, "
        "not several.",
    )


def test_a_client_assertion_needs_its_type(keyed_application):
    response = request_with_assertion(
        client_assertion(keyed_application), client_assertion_type=None
    )

    assert_invalid_request(response, "Missing parameter: client_assertion_type")


def test_an_unknown_client_assertion_type_is_invalid_request(keyed_application):
    response = request_with_assertion(
        client_assertion(keyed_application), client_assertion_type="urn:example:saml"
    )

    assert_invalid_request(
        response,
        "Unsupported client_assertion_type; use "
        "'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
    )


def test_the_token_endpoint_url_is_the_audience_of_a_client_assertion(keyed_application, user):
    # The URL the request was sent to, as the client built it (scheme, host and path).
    assertion = client_assertion(keyed_application, aud=TOKEN_ENDPOINT)

    assert request_with_assertion(assertion).status_code == 200


def test_a_client_assertion_also_authenticates_the_jwt_bearer_grant(keyed_application, user):
    grant = sign_assertion(keyed_application, keyed_application.private_key)

    response = request_with_assertion(
        client_assertion(keyed_application),
        grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion=grant,
        scope=None,
    )

    assert response.status_code == 200, response.content
    assert UsedAssertion.objects.count() == 2


# -- the other client-authenticated endpoints ------------------------------------------------------

REVOKE_URL = "/external-api/v1.0/application/revoke/"
INTROSPECT_URL = "/external-api/v1.0/application/introspect/"
WHOAMI_URL = "/whoami/"


def post_with_assertion(url, assertion, **params):
    body = {
        "client_assertion_type": CLIENT_ASSERTION_TYPE,
        "client_assertion": assertion,
        **params,
    }
    return Client().post(url, urlencode(body), content_type=FORM)


@pytest.fixture
def keyed_token(keyed_application, user):
    response = request_with_assertion(client_assertion(keyed_application))
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.mark.parametrize("url", [REVOKE_URL, INTROSPECT_URL])
def test_private_key_jwt_authenticates_at_revocation_and_introspection(
    keyed_application, keyed_token, url
):
    # The endpoint's own URL is the audience, as RFC 7523 §3 wants it.
    assertion = client_assertion(keyed_application, aud=f"http://testserver{url}")

    response = post_with_assertion(url, assertion, token=keyed_token)

    assert response.status_code == 200, response.content


def test_a_token_revoked_with_private_key_jwt_is_refused_at_the_next_request(
    keyed_application, keyed_token
):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {keyed_token}")
    assert api.get(WHOAMI_URL).status_code == 200

    assertion = client_assertion(keyed_application, aud=f"http://testserver{REVOKE_URL}")
    assert post_with_assertion(REVOKE_URL, assertion, token=keyed_token).status_code == 200

    assert api.get(WHOAMI_URL).status_code == 401


def test_introspection_with_private_key_jwt_describes_the_applications_own_token(
    keyed_application, keyed_token
):
    assertion = client_assertion(keyed_application)  # The token endpoint's URL works too.

    response = post_with_assertion(INTROSPECT_URL, assertion, token=keyed_token)

    assert response.status_code == 200, response.content
    assert response.json()["active"] is True
    assert response.json()["client_id"] == keyed_application.client_id


@pytest.mark.parametrize("url", [REVOKE_URL, INTROSPECT_URL])
def test_a_replayed_client_assertion_is_refused_at_revocation_and_introspection(
    keyed_application, keyed_token, url
):
    assertion = client_assertion(keyed_application, aud=f"http://testserver{url}")
    assert post_with_assertion(url, assertion, token=keyed_token).status_code == 200

    response = post_with_assertion(url, assertion, token=keyed_token)

    assert_invalid_client(response, "The assertion has already been used.")


@pytest.mark.parametrize("url", [REVOKE_URL, INTROSPECT_URL])
def test_a_client_assertion_for_another_endpoint_of_another_server_is_refused(
    keyed_application, keyed_token, url
):
    assertion = client_assertion(keyed_application, aud="https://elsewhere.example/revoke/")

    response = post_with_assertion(url, assertion, token=keyed_token)

    assert_invalid_client(response, "The assertion's audience (aud) is not this endpoint.")
