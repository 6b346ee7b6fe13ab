"""Stock OAuth client libraries against a live server, with no workaround: oauthlib's
``ServiceApplicationClient`` and Authlib's ``AssertionSession`` (the JWT-bearer grant), Authlib's
``PrivateKeyJWT`` (client credentials authenticated with a client assertion), and the supported
ways to use requests-oauthlib's ``BackendApplicationClient`` (the e-mail in ``scope``)."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from tests.helpers import TOKEN_URL, WHOAMI_URL

pytest.importorskip("authlib")
pytest.importorskip("requests_oauthlib")

from authlib.integrations.requests_client import (
    AssertionSession,
)
from authlib.integrations.requests_client import (
    OAuth2Session as AuthlibSession,
)
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import RSAKey
from oauthlib.oauth2 import BackendApplicationClient, ServiceApplicationClient
from requests_oauthlib import OAuth2Session

# The live server shares the test's connection to SQLite's in-memory database (and sees its
# uncommitted rows); on a server database, it sees committed rows only.
pytestmark = pytest.mark.django_db(transaction=connection.vendor != "sqlite")


@pytest.fixture
def token_url(live_server, monkeypatch):
    """The live token endpoint; oauthlib is told plain HTTP on the loopback is fine."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.delenv("OAUTHLIB_RELAX_TOKEN_SCOPE", raising=False)
    return live_server.url + TOKEN_URL


@pytest.fixture
def whoami_url(live_server):
    return live_server.url + WHOAMI_URL


def test_oauthlib_service_application_client_gets_a_delegated_token(
    keyed_application, user, token_url, whoami_url
):
    client = ServiceApplicationClient(
        keyed_application.client_id,
        private_key=keyed_application.private_key,
        subject="alice@example.com",
        issuer=keyed_application.client_id,
        audience=token_url,
        scope=["rooms:list"],
    )
    session = OAuth2Session(client=client)

    # As is: oauthlib signs no jti, and the assertion is then used once by its digest.
    token = session.fetch_token(token_url)

    assert token["scope"] == ["rooms:list"]
    response = session.get(whoami_url)
    assert response.status_code == 200, response.text
    assert response.json()["user"] == user.email
    # A jti, when the client gives one, is what the replay check keeps.
    session.fetch_token(token_url, jwt_id=uuid.uuid4().hex)


def test_authlib_assertion_session_gets_a_delegated_token(
    keyed_application, user, token_url, whoami_url
):
    session = AssertionSession(
        token_endpoint=token_url,
        issuer=keyed_application.client_id,
        subject="alice@example.com",
        key=RSAKey.import_key(keyed_application.private_key),
        header={"alg": "RS256"},
        scope="rooms:list",
    )

    # The first request fetches the token (a fresh assertion, with its own jti).
    response = session.get(whoami_url)

    assert response.status_code == 200, response.text
    assert response.json()["user"] == user.email
    assert session.token["scope"] == "rooms:list"


def test_authlib_private_key_jwt_authenticates_client_credentials(
    keyed_application, user, token_url, whoami_url
):
    session = AuthlibSession(
        keyed_application.client_id,
        keyed_application.private_key,
        token_endpoint_auth_method=PrivateKeyJWT(token_url),
        scope="alice@example.com rooms:list",
    )

    token = session.fetch_token(token_url, grant_type="client_credentials")

    assert token["scope"] == "rooms:list"
    assert session.get(whoami_url).status_code == 200


# -- requests-oauthlib's BackendApplicationClient: the e-mail in scope --------------------------


def test_backend_application_client_with_the_scope_on_the_session_sees_it_change(
    application, user, token_url
):
    # The e-mail is not among the token's scopes, so oauthlib finds the scope changed.
    session = OAuth2Session(
        client=BackendApplicationClient(
            client_id=application.client_id, scope=["alice@example.com", "rooms:list"]
        )
    )

    with pytest.raises(Warning, match="Scope has changed"):
        session.fetch_token(
            token_url, client_id=application.client_id, client_secret=application.secret
        )


def test_backend_application_client_with_relaxed_token_scope(
    application, user, token_url, whoami_url, monkeypatch
):
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    session = OAuth2Session(
        client=BackendApplicationClient(
            client_id=application.client_id, scope=["alice@example.com", "rooms:list"]
        )
    )

    token = session.fetch_token(
        token_url, client_id=application.client_id, client_secret=application.secret
    )

    assert token["scope"] == ["rooms:list"]
    assert session.get(whoami_url).status_code == 200


def test_backend_application_client_with_the_scope_given_to_fetch_token(
    application, user, token_url, whoami_url
):
    session = OAuth2Session(client=BackendApplicationClient(client_id=application.client_id))

    token = session.fetch_token(
        token_url,
        client_id=application.client_id,
        client_secret=application.secret,
        scope=["alice@example.com", "rooms:list"],
    )

    assert token["scope"] == ["rooms:list"]
    assert session.get(whoami_url).status_code == 200
