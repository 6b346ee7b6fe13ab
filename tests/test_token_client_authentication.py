"""A token request without client authentication is ``invalid_client`` (RFC 6749 §5.2: "no client
authentication included"), 401 with a Basic challenge, as the OpenAPI document says.
"""

import pytest

TOKEN_URL = "/external-api/v1.0/application/token/"
CHALLENGE = 'Basic realm="token", charset="UTF-8"'


@pytest.fixture
def post(api_client, db):
    def send(body, **extra):
        return api_client.post(TOKEN_URL, body, format="json", **extra)

    return send


@pytest.mark.parametrize(
    ("credentials", "missing"),
    [
        ({}, "client_id, client_secret"),
        ({"client_id": "abc"}, "client_secret"),
        ({"client_secret": "abc"}, "client_id"),
        ({"client_id": " ", "client_secret": ""}, "client_id, client_secret"),
    ],
)
def test_missing_client_credentials_are_401_invalid_client(post, credentials, missing):
    body = {"grant_type": "client_credentials", "scope": "alice@example.com", **credentials}

    response = post(body)

    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": f"Missing client credentials: {missing}",
    }
    assert response["WWW-Authenticate"] == CHALLENGE
    assert response["Cache-Control"] == "no-store"


def test_missing_grant_type_and_scope_are_named_first(post):
    response = post({})

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Missing parameter: grant_type, scope",
    }


def test_basic_credentials_need_no_body_credentials(post, application, user):
    import base64

    basic = base64.b64encode(f"{application.client_id}:{application.secret}".encode()).decode()

    response = post(
        {"grant_type": "client_credentials", "scope": "alice@example.com"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )

    assert response.status_code == 200, response.content
