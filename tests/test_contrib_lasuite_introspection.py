"""A La Suite service accepts our tokens by configuration alone: the real django-lasuite resource
server (``ResourceServerAuthentication`` with a ``ResourceServerBackend``) introspects them at our
introspection endpoint on a live server, and stops accepting one once it is revoked.

Skipped when django-lasuite is not installed (``pip install "django-app-delegation[lasuite]"``).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from django_app_delegation.revocation import revoke_delegation
from tests.helpers import token_for

lasuite_authentication = pytest.importorskip("lasuite.oidc_resource_server.authentication")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def drive(settings, delegation, live_server, make_application):
    """A La Suite service (Drive, say) registered here as a resource server, with its
    django-lasuite settings pointing at our introspection endpoint."""
    server = make_application(name="Drive", scopes=[], domains=())
    server.can_introspect_all_tokens = True
    server.save()
    # Drive maps users by their OIDC subject; here the test user's is its username.
    delegation(INTROSPECTION_SUBJECT_FIELD="username")
    settings.OIDC_RS_BACKEND_CLASS = "tests.testapp.resource_server.UsernameSubjectBackend"
    settings.OIDC_RS_CLIENT_ID = server.client_id
    settings.OIDC_RS_CLIENT_SECRET = server.secret
    settings.OIDC_RS_SCOPES = ["rooms:list"]
    settings.OIDC_RS_AUDIENCE_CLAIM = "client_id"
    settings.OIDC_RS_ENCRYPTION_ENCODING = "A256GCM"
    settings.OIDC_RS_ENCRYPTION_ALGO = "RSA-OAEP"
    settings.OIDC_RS_SIGNING_ALGO = "ES256"
    # The backend checks the answer's ``iss`` against it: our ISSUER.
    settings.OIDC_OP_URL = settings.APP_DELEGATION["ISSUER"]
    settings.OIDC_OP_INTROSPECTION_ENDPOINT = live_server.url + reverse("app_delegation:introspect")
    settings.OIDC_VERIFY_SSL = True
    settings.OIDC_TIMEOUT = 5
    settings.OIDC_PROXY = None
    lasuite_authentication.get_resource_server_backend.cache_clear()
    yield server
    lasuite_authentication.get_resource_server_backend.cache_clear()


def authenticate(token):
    """What django-lasuite's DRF authentication makes of ``Authorization: Bearer <token>``."""
    request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))
    result = lasuite_authentication.ResourceServerAuthentication().authenticate(request)
    return request, result


def test_lasuite_resource_server_accepts_our_token_through_introspection(drive, application, user):
    token = token_for(application)

    request, (authenticated, info) = authenticate(token)

    assert authenticated == user
    assert info["active"] is True
    assert "rooms:list" in info["scope"].split()
    # The calling service, as django-lasuite names it (OIDC_RS_AUDIENCE_CLAIM).
    assert request.resource_server_token_audience == application.client_id


def test_lasuite_resource_server_refuses_a_revoked_token(drive, application, user):
    token = token_for(application)
    authenticate(token)

    revoke_delegation(application=application, user=user)

    with pytest.raises(AuthenticationFailed):
        authenticate(token)


def test_lasuite_resource_server_refuses_a_token_without_its_scopes(drive, make_application, user):
    narrow = make_application(name="Narrow", scopes=["rooms:retrieve"])

    # django-lasuite's way of refusing it (Django answers 400).
    with pytest.raises(SuspiciousOperation, match="missing required scopes"):
        authenticate(token_for(narrow))


def test_lasuite_resource_server_with_wrong_credentials_is_refused(
    settings, drive, application, user
):
    settings.OIDC_RS_CLIENT_SECRET = "wrong"
    lasuite_authentication.get_resource_server_backend.cache_clear()

    # Our 401 invalid_client, as django-lasuite reports it (Django answers 400).
    with pytest.raises(SuspiciousOperation, match="Could not fetch introspection"):
        authenticate(token_for(application))
