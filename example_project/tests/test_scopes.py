"""Meet's scope table (reference §4): each rooms operation needs its scope, and Meet's roles still
apply. How scopes are checked is specified by the app's own tests (``tests/test_viewsets.py``)."""

from __future__ import annotations

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

EACH_OPERATION = pytest.mark.parametrize(
    ("method", "detail", "body", "scope", "status"),
    [operation[1:] for operation in OPERATIONS],
    ids=[operation[0] for operation in OPERATIONS],
)


def call(client, method, detail, body, room):
    url = room_url(room) if detail else ROOMS_URL
    return getattr(client, method)(url, body, format="json")


@EACH_OPERATION
def test_operation_is_allowed_by_its_scope_alone(
    client_for, user, alices_room, method, detail, body, scope, status
):
    client = client_for(user, scopes=[scope])

    assert call(client, method, detail, body, alices_room).status_code == status


@EACH_OPERATION
def test_operation_without_its_scope_is_403(
    client_for, user, alices_room, method, detail, body, scope, status
):
    client = client_for(user, scopes=[s for s in ALL_SCOPES if s != scope])

    response = call(client, method, detail, body, alices_room)

    assert response.status_code == 403
    assert response.json() == {"detail": f"Insufficient permissions. Required scope: {scope}"}
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert f'scope="{scope}"' in response["WWW-Authenticate"]


def test_roles_still_apply_with_every_scope(client_for, make_user, make_room):
    bob = make_user("bob@example.com")
    room = make_room("Bob is a member", {bob: RoleChoices.MEMBER})

    assert client_for(bob).delete(room_url(room)).status_code == 403
