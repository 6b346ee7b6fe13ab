"""The README quickstart, end to end over real HTTP.

Create an application with the management command, request a token the way the README's
``curl`` does (a form-encoded POST), then call a scope-protected view with the Bearer token.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tests.helpers import TOKEN_URL, WHOAMI_URL

pytestmark = pytest.mark.usefixtures("transactional_db")


def create_application(*args: str) -> dict[str, str]:
    stdout = StringIO()
    call_command("create_application", "--name", "Partner", *args, "--json", stdout=stdout)
    return json.loads(stdout.getvalue())


def http(
    method: str,
    url: str,
    *,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), json.load(error)


def token_over_http(live_server, credentials: dict[str, str], scope: str) -> dict[str, Any]:
    # curl -X POST $URL -d grant_type=client_credentials -d client_id=... -d client_secret=...
    #      -d scope=alice@example.com
    status, headers, body = http(
        "POST",
        live_server.url + TOKEN_URL,
        form={
            "grant_type": "client_credentials",
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
            "scope": scope,
        },
    )
    assert status == 200, body
    assert headers["Cache-Control"] == "no-store"
    return body


def whoami_over_http(live_server, access_token: str) -> tuple[int, dict[str, str], Any]:
    return http(
        "GET",
        live_server.url + WHOAMI_URL,
        headers={"Authorization": f"Bearer {access_token}"},
    )


def test_quickstart_token_then_scope_protected_view(live_server, user):
    credentials = create_application("--scope", "rooms:list", "--domain", "example.com")

    token = token_over_http(live_server, credentials, scope="alice@example.com")
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "rooms:list"
    assert token["expires_in"] == 3600

    status, _headers, body = whoami_over_http(live_server, token["access_token"])
    assert status == 200, body
    assert body == {
        "user": "alice@example.com",
        "client_id": credentials["client_id"],
        "scopes": ["rooms:list"],
    }


def test_quickstart_with_http_basic_client_authentication(live_server, user):
    credentials = create_application("--scope", "rooms:list", "--domain", "example.com")
    basic = base64.b64encode(
        f"{credentials['client_id']}:{credentials['client_secret']}".encode()
    ).decode()

    status, _headers, token = http(
        "POST",
        live_server.url + TOKEN_URL,
        form={"grant_type": "client_credentials", "scope": "alice@example.com"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert status == 200, token

    status, _headers, body = whoami_over_http(live_server, token["access_token"])
    assert status == 200, body
    assert body["user"] == "alice@example.com"


def test_quickstart_without_the_required_scope_is_forbidden(live_server, user):
    credentials = create_application("--scope", "rooms:create", "--domain", "example.com")

    token = token_over_http(live_server, credentials, scope="alice@example.com")
    assert token["scope"] == "rooms:create"

    status, headers, body = whoami_over_http(live_server, token["access_token"])
    assert status == 403
    assert body == {"detail": "Insufficient permissions. Required scope: rooms:list"}
    assert 'error="insufficient_scope"' in headers["WWW-Authenticate"]
    assert 'scope="rooms:list"' in headers["WWW-Authenticate"]
