"""Swagger UI's Authorize button gets a token with the OAuth 2.0 client-credentials scheme of the
document, then "Try it out" calls ``listRooms`` with it: the way an integrator explores the API.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from django.conf import settings

from django_app_delegation.models import Application
from rooms.models import ResourceAccess, RoleChoices, Room
from users.models import User

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

TOKEN_PATH = "/external-api/v1.0/application/token/"
ROOMS_PATH = "/external-api/v1.0/rooms/"
#: The e-mail Swagger UI puts first in ``scope`` (``SWAGGER_UI_OAUTH2_CONFIG``).
EMAIL = settings.SPECTACULAR_SETTINGS["SWAGGER_UI_OAUTH2_CONFIG"]["scopes"][0]


@pytest.fixture
def partner(transactional_db):
    user = User.objects.create_user(email=EMAIL, sub="swagger-user")
    room = Room.objects.create(name="Swagger room")
    ResourceAccess.objects.create(room=room, user=user, role=RoleChoices.OWNER)
    application, secret = Application.objects.create_application(
        name="Swagger partner", scopes=["rooms:list", "rooms:retrieve"]
    )
    return application, secret, room


def test_authorize_gets_a_token_and_list_rooms_uses_it(page, live_server, request_log, partner):
    application, secret, room = partner
    token_requests = []
    page.on("request", lambda r: token_requests.append(r) if TOKEN_PATH in r.url else None)
    page.goto(f"{live_server.url}/api/docs/")

    page.locator(".swagger-ui .auth-wrapper .authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    oauth2 = dialog.locator(".auth-container", has_text="clientCredentials")
    expect(oauth2.locator("h4")).to_contain_text("OAuth2")
    expect(oauth2).to_contain_text(TOKEN_PATH)
    expect(oauth2).to_contain_text("List the rooms the user has access to.")
    oauth2.locator("input#client_id_clientCredentials").fill(application.client_id)
    oauth2.locator("input#client_secret_clientCredentials").fill(secret)
    oauth2.locator("label[for='rooms:list-clientCredentials-checkbox-OAuth2']").click()
    oauth2.locator("button.authorize").click()

    expect(oauth2.locator("button", has_text="Logout")).to_be_visible()
    assert len(token_requests) == 1
    sent = parse_qs(token_requests[0].post_data or "")
    assert sent["grant_type"] == ["client_credentials"]
    assert sent["scope"] == [f"{EMAIL} rooms:list"]
    oauth2.locator("button", has_text="Close").click()

    operation = page.locator("#operations-Rooms-listRooms")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()

    response = operation.locator(".live-responses-table .response")
    expect(response.locator(".response-col_status")).to_have_text(re.compile(r"^\s*200"))
    expect(response.locator(".response-col_description")).to_contain_text(str(room.pk))
    expect(operation.locator(".curl-command")).to_contain_text("Authorization: Bearer ey")
    assert request_log.external == []
    assert request_log.failures == []
