"""Each rooms operation needs its scope (reference §4), checked before anything else."""

from __future__ import annotations

import uuid

import pytest

from rooms.models import RoleChoices

from .helpers import ALL_SCOPES, ROOMS_URL, room_url

# (operation, method, detail route?, body, scope, success status)
OPERATIONS = [
    ("list", "get", False, None, "rooms:list", 200),
    ("create", "post", False, {}, "rooms:create", 201),
    ("retrieve", "get", True, None, "rooms:retrieve", 200),
    ("update", "put", True, {"access_level": "restricted"}, "rooms:update", 200),
    ("partial_update", "patch", True, {"access_level": "restricted"}, "rooms:update", 200),
    ("destroy", "delete", True, None, "rooms:delete", 204),
]


def call(client, method, detail, body, room):
    url = room_url(room) if detail else ROOMS_URL
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize(
    ("method", "detail", "body", "scope", "status"),
    [operation[1:] for operation in OPERATIONS],
    ids=[operation[0] for operation in OPERATIONS],
)
def test_operation_is_allowed_by_its_scope_alone(
    client_for, user, alices_room, method, detail, body, scope, status
):
    client = client_for(user, scopes=[scope])

    assert call(client, method, detail, body, alices_room).status_code == status


@pytest.mark.parametrize(
    ("method", "detail", "body", "scope", "status"),
    [operation[1:] for operation in OPERATIONS],
    ids=[operation[0] for operation in OPERATIONS],
)
def test_operation_without_its_scope_is_403(
    client_for, user, alices_room, method, detail, body, scope, status
):
    client = client_for(user, scopes=[s for s in ALL_SCOPES if s != scope])

    response = call(client, method, detail, body, alices_room)

    assert response.status_code == 403
    assert response.json() == {"detail": f"Insufficient permissions. Required scope: {scope}"}
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert f'scope="{scope}"' in response["WWW-Authenticate"]


def test_scope_is_checked_before_the_room_is_looked_up(client_for, user):
    client = client_for(user, scopes=["rooms:list"])

    assert client.get(room_url(uuid.uuid4())).status_code == 403


def test_application_without_scopes_can_do_nothing(client_for, user):
    client = client_for(user, scopes=[])

    response = client.get(ROOMS_URL)

    assert response.status_code == 403
    assert response.json() == {"detail": "Insufficient permissions. Required scope: rooms:list"}


def test_scope_withdrawn_from_the_application_stops_working_at_once(
    make_application, get_token, api_client, user
):
    application = make_application()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {get_token(application)}")
    application.scopes = ["rooms:create"]
    application.save()

    assert api_client.get(ROOMS_URL).status_code == 403
    assert api_client.post(ROOMS_URL, {}, format="json").status_code == 201


def test_options_is_not_an_operation(alice):
    """Meet answers 403 "Required scope: None"; the resource viewset routes no metadata action."""
    response = alice.options(ROOMS_URL)

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "OPTIONS" not allowed.'}


def test_options_without_a_token_is_401(api_client, db):
    assert api_client.options(ROOMS_URL).status_code == 401


@pytest.mark.parametrize(("method", "detail"), [("put", False), ("delete", False), ("post", True)])
def test_methods_not_routed_are_405(alice, alices_room, method, detail):
    url = room_url(alices_room) if detail else ROOMS_URL

    response = getattr(alice, method)(url, {}, format="json")

    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}


def test_roles_still_apply_with_every_scope(client_for, make_user, make_room):
    bob = make_user("bob@example.com")
    room = make_room("Bob is a member", {bob: RoleChoices.MEMBER})

    assert client_for(bob).delete(room_url(room)).status_code == 403
