"""Plain functions and constants of the app's tests: URLs, token requests, tokens minted by hand,
claims, objects made through the resource API, and the admin's forms.

Fixtures live in ``conftest.py``, test doubles (authenticators, hooks, throttles, ...) in
``doubles.py``, views in ``testapp/views.py`` and URLconfs in the ``*urls.py`` modules.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import time
import uuid
from collections.abc import Callable
from io import StringIO
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from django_app_delegation.models import Application, ResourceProvenance
from tests.testapp.models import Note, Widget

# -- URLs and scopes -------------------------------------------------------------------------------

API = "/external-api/v1.0"
TOKEN_URL = f"{API}/application/token/"
WIDGETS = f"{API}/widgets/"
NOTES = f"{API}/notes/"
#: The test app's view needing ``rooms:list`` (``tests.testapp.views.WhoAmIView``).
WHOAMI_URL = "/whoami/"

FORM = "application/x-www-form-urlencoded"

#: The room scopes: what ``make_application`` grants unless told otherwise.
ALL_SCOPES = ["rooms:list", "rooms:retrieve", "rooms:create", "rooms:update", "rooms:delete"]
WIDGET_SCOPES = [
    "widgets:list",
    "widgets:retrieve",
    "widgets:create",
    "widgets:update",
    "widgets:delete",
]
NOTE_SCOPES = ["notes:list", "notes:retrieve", "notes:create"]

#: 64 bytes: long enough for HS512 (RFC 7518 §3.2), so PyJWT does not warn.
LONG_KEY = "tests-hs512-key-" * 4


def widget_url(widget: Any) -> str:
    return f"{WIDGETS}{getattr(widget, 'pk', widget)}/"


def note_url(note: Any) -> str:
    return f"{NOTES}{getattr(note, 'pk', note)}/"


# -- the token endpoint ----------------------------------------------------------------------------


def token_params(
    application: Application, email: str = "alice@example.com", scopes: Any = ()
) -> dict[str, str]:
    """A valid token request of ``application`` (which carries ``.secret``) acting for ``email``,
    narrowed to ``scopes`` when there are any."""
    return {
        "grant_type": "client_credentials",
        "client_id": application.client_id,
        "client_secret": application.secret,
        "scope": " ".join([email, *scopes]),
    }


def post_token(
    data: Any, *, content_type: str | None = None, client: APIClient | None = None, **extra: Any
) -> Any:
    """POST ``data`` to the token endpoint: JSON by default, a form (``content_type=FORM``, a dict
    is encoded) or raw text of any ``content_type``; ``extra`` goes to the request (headers)."""
    client = client or APIClient()
    if content_type == FORM and not isinstance(data, str):
        data = urlencode(data, doseq=True)
    if content_type is None:
        return client.post(TOKEN_URL, data, format="json", **extra)
    return client.post(TOKEN_URL, data, content_type=content_type, **extra)


def request_token(
    application: Application,
    email: str = "alice@example.com",
    *,
    scopes: Any = (),
    headers: dict[str, str] | None = None,
    address: str | None = None,
    **overrides: Any,
) -> Any:
    """Ask the token endpoint (JSON body) for a token of ``application`` acting for ``email``;
    returns the response. ``overrides`` replace parameters (``None`` leaves one out); ``address``
    is the client's (``REMOTE_ADDR``, the test client's 127.0.0.1 otherwise)."""
    body = {**token_params(application, email, scopes), **overrides}
    body = {name: value for name, value in body.items() if value is not None}
    extra = {"REMOTE_ADDR": address} if address is not None else {}
    return post_token(body, headers=headers, **extra)


def token_for(application: Application, email: str = "alice@example.com", scopes: Any = ()) -> str:
    """An access token from the token endpoint: every scope of ``application``, or ``scopes``."""
    response = request_token(application, email, scopes=scopes)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def client_for(
    application: Application,
    email: str = "alice@example.com",
    scopes: Any = (),
    **client_options: Any,
) -> APIClient:
    """An API client sending a bearer token of ``application`` for ``email`` (see
    :func:`token_for`); ``client_options`` go to ``APIClient``."""
    client = APIClient(**client_options)
    client.credentials(**bearer(token_for(application, email, scopes)))
    return client


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def whoami(token: str | None = None, *, authorization: str | None = None) -> Any:
    """GET the scope-protected view with ``token`` (or a raw ``Authorization`` value)."""
    if authorization is None and token is not None:
        authorization = f"Bearer {token}"
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return APIClient().get(WHOAMI_URL, **headers)


def assert_insufficient_scope(response: Any, scope: str) -> None:
    """A 403 naming ``scope`` in the body and in the ``insufficient_scope`` challenge."""
    assert response.status_code == 403, response.content
    assert response.json() == {"detail": f"Insufficient permissions. Required scope: {scope}"}
    assert response["WWW-Authenticate"] == (
        f'Bearer realm="api", error="insufficient_scope", scope="{scope}"'
    )


# -- claims ----------------------------------------------------------------------------------------


def token_claims(token: str, *, key: str | None = None, algorithm: str = "HS256") -> dict[str, Any]:
    """The verified claims of ``token``: signed with the test key (or ``key``), and issued for the
    issuer and audience of the settings in force."""
    conf = settings.APP_DELEGATION
    return jwt.decode(
        token,
        key if key is not None else conf["SIGNING_KEY"],
        algorithms=[algorithm],
        issuer=conf.get("ISSUER"),
        audience=conf.get("AUDIENCE"),
    )


def subject(response: Any) -> str:
    """The ``sub`` of the token a token response carries."""
    return token_claims(response.json()["access_token"])["sub"]


# -- tokens minted by hand -------------------------------------------------------------------------


def delegated_claims(application: Application, user: Any, **overrides: Any) -> dict[str, Any]:
    """Claims as the token endpoint would mint them for the test settings; ``None`` drops one."""
    now = int(time.time())
    conf = settings.APP_DELEGATION
    claims = {
        "iss": conf.get("ISSUER"),
        "aud": conf.get("AUDIENCE"),
        "iat": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
        "sub": str(user.pk),
        "user_id": str(user.pk),
        "client_id": application.client_id,
        "act": {"sub": application.client_id},
        "delegated": True,
        "scope": "rooms:list rooms:retrieve",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(
    claims: dict[str, Any],
    *,
    key: str | None = None,
    algorithm: str = "HS256",
    typ: str | None = "at+jwt",
    headers: dict[str, Any] | None = None,
) -> str:
    """Sign ``claims`` with the test key (or ``key``); ``typ=None`` leaves ``typ`` out.

    ``headers`` adds JOSE header parameters.
    """
    return jwt.encode(
        claims,
        key if key is not None else settings.APP_DELEGATION["SIGNING_KEY"],
        algorithm=algorithm,
        headers={"typ": typ, **(headers or {})},
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign_by_hand(claims: dict[str, Any], header: dict[str, Any], *, key: str | None = None) -> str:
    """An HS256 JWS with exactly ``header``, for headers PyJWT refuses to encode (``kid: 123``) and
    keys it refuses to use (a PEM public key as an HMAC secret)."""
    key = key if key is not None else settings.APP_DELEGATION["SIGNING_KEY"]
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


#: The token endpoint's absolute URL under the test client: the ``aud`` of assertions.
TOKEN_ENDPOINT = f"http://testserver{TOKEN_URL}"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def assertion_claims(application: Application, **overrides: Any) -> dict[str, Any]:
    """The claims of a JWT-bearer assertion of ``application`` acting for alice, for the token
    endpoint, living one minute; ``None`` drops one."""
    now = int(time.time())
    claims = {
        "iss": application.client_id,
        "sub": "alice@example.com",
        "aud": TOKEN_ENDPOINT,
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign_assertion(
    application: Application,
    private_pem: str,
    algorithm: str = "RS256",
    *,
    headers: dict[str, Any] | None = None,
    **overrides: Any,
) -> str:
    """An assertion of ``application`` (:func:`assertion_claims`) signed with ``private_pem``."""
    claims = assertion_claims(application, **overrides)
    return jwt.encode(claims, private_pem, algorithm=algorithm, headers=headers)


def client_assertion_claims(application: Application, **overrides: Any) -> dict[str, Any]:
    """The claims of a ``private_key_jwt`` client assertion: ``iss`` and ``sub`` the client id."""
    return assertion_claims(application, sub=application.client_id, **overrides)


def jwt_bearer_request(assertion: str, **params: Any) -> Any:
    """POST the JWT-bearer grant with ``assertion`` (a form body, as RFC 7523 shows it)."""
    body = {"grant_type": JWT_BEARER, "assertion": assertion, **params}
    body = {name: value for name, value in body.items() if value is not None}
    return post_token(body, content_type=FORM)


def pem_pair(private_key: Any) -> tuple[str, str]:
    """PEM texts (PKCS#8 private key, SubjectPublicKeyInfo public key) of a ``cryptography`` key."""
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


# -- objects made through the resource API ---------------------------------------------------------


def _create(application: Application, url: str, data: dict[str, str], email: str) -> Any:
    """The primary key of an object created at ``url`` by ``application`` for ``email``."""
    response = client_for(application, email).post(url, data, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def create_widget(
    application: Application, name: str = "Lamp", email: str = "alice@example.com"
) -> Widget:
    """A widget created through the API by ``application`` for ``email``."""
    return Widget.objects.get(pk=_create(application, WIDGETS, {"name": name}, email))


def create_note(
    application: Application, text: str = "memo", email: str = "alice@example.com"
) -> Note:
    """A note created through the API by ``application`` for ``email``."""
    return Note.objects.get(pk=_create(application, NOTES, {"text": text}, email))


def provenance_of(instance: Any) -> ResourceProvenance:
    return ResourceProvenance.objects.of(instance).get()


# -- the local Redis -------------------------------------------------------------------------------


def require_redis() -> BaseCache:
    """The ``redis`` cache alias (the local Redis, a key prefix per run).

    Without a Redis server the calling test is skipped, except under CI (``CI`` set), where it
    fails: CI must show the limits shared across processes.
    """
    redis = caches["redis"]
    try:
        redis.get("probe")
    except Exception as exc:
        reason = f"no Redis at {redis._servers[0]}: {type(exc).__name__}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the Redis tests")
        pytest.skip(reason)
    return redis


# -- randomness ------------------------------------------------------------------------------------


def twice_after_seeding_random(generate: Callable[[], str]) -> tuple[str, str]:
    """Two values of ``generate``, each drawn right after ``random.seed(0)`` (the module's state is
    restored afterwards): equal when ``generate`` depends on the ``random`` module."""
    state = random.getstate()
    try:
        random.seed(0)
        first = generate()
        random.seed(0)
        return first, generate()
    finally:
        random.setstate(state)


# -- applications as stored and as the admin shows them --------------------------------------------


def stored_secret(application: Application) -> str:
    """The ``client_secret`` column as the database holds it."""
    return Application.objects.values_list("client_secret", flat=True).get(pk=application.pk)


#: Staff roles and the application permissions they hold (``None``: a superuser); the
#: ``staff_client`` fixture logs one in.
ROLES = {
    "no_permission": (),
    "view_only": ("view_application",),
    "add_only": ("add_application",),
    "change": ("view_application", "change_application"),
    "add_and_change": ("add_application", "change_application"),
    "superuser": None,
}
#: Regenerating a secret, or reading one on the one-time page, takes the change permission.
MAY_SEE_SECRETS = {"change", "add_and_change", "superuser"}
#: Adding creates a secret and shows it: it takes the add and the change permissions.
MAY_ADD = {"add_and_change", "superuser"}
SECRET_MARKUP = 'class="client-secret"'

ADD_URL = reverse("admin:django_app_delegation_application_add")
CHANGELIST_URL = reverse("admin:django_app_delegation_application_changelist")
SECRET_URL = reverse("admin:django_app_delegation_application_secret")


def change_url(application: Application) -> str:
    return reverse("admin:django_app_delegation_application_change", args=[application.pk])


def add_form_data(
    *,
    name: str = "Partner",
    scopes: Any = ("rooms:list",),
    domains: Any = ("example.com",),
    **extra: Any,
) -> dict[str, Any]:
    """The admin's add form for an application, with its inline of allowed domains."""
    data = {
        "name": name,
        "scopes": list(scopes),
        "is_active": "on",
        "allowed_domains-TOTAL_FORMS": str(len(domains)),
        "allowed_domains-INITIAL_FORMS": "0",
        "allowed_domains-MIN_NUM_FORMS": "0",
        "allowed_domains-MAX_NUM_FORMS": "1000",
    }
    for index, domain in enumerate(domains):
        data[f"allowed_domains-{index}-domain"] = domain
    data.update(extra)
    return data


def shown_credentials(response: Any) -> list[tuple[Application, str]]:
    """The applications and plaintext secrets the admin's one-time page shows."""
    return [(application, str(secret)) for application, secret in response.context["credentials"]]


# -- management commands ---------------------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    """Run a management command; return what it wrote on stdout and on stderr."""
    stdout, stderr = StringIO(), StringIO()
    call_command(*args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def text_credentials(output: str) -> dict[str, str]:
    """The ``name: value`` lines a command printed, as a dict."""
    lines = dict(line.split(":", 1) for line in output.splitlines() if line.strip())
    return {key.strip(): value.strip() for key, value in lines.items()}
