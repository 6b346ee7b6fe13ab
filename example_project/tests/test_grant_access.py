"""``POST rooms/<id>/grant-access/`` (scope ``rooms:grant-access``) and the lookup of a room by its
slug (``GET rooms/?slug=``): what an integrator asked Meet for, declared in settings."""

from __future__ import annotations

import pytest

from rooms.models import ResourceAccess, RoleChoices, Room
from users.models import User

from .helpers import ROOMS_URL, room_url


def grant_url(room):
    return room_url(room) + "grant-access/"


@pytest.fixture
def bob(make_user):
    return make_user("bob@example.com")


def role_of(room, user):
    return (
        ResourceAccess.objects.filter(room=room, user=user).values_list("role", flat=True).first()
    )


def test_an_owner_gives_a_user_a_role_by_email(alice, alices_room, bob):
    response = alice.post(
        grant_url(alices_room), {"email": "Bob@Example.com", "role": "administrator"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "room": str(alices_room.pk),
        "email": "bob@example.com",
        "role": "administrator",
    }
    assert role_of(alices_room, bob) == RoleChoices.ADMIN


def test_the_role_defaults_to_member_and_can_be_changed(alice, alices_room, bob):
    first = alice.post(grant_url(alices_room), {"email": "bob@example.com"}, format="json")
    second = alice.post(
        grant_url(alices_room), {"email": "bob@example.com", "role": "owner"}, format="json"
    )

    assert first.json()["role"] == "member"
    assert second.json()["role"] == "owner"
    assert ResourceAccess.objects.filter(room=alices_room, user=bob).count() == 1


def test_the_scope_is_required(client_for, user, alices_room, bob):
    client = client_for(user, scopes=["rooms:list", "rooms:retrieve"])

    response = client.post(grant_url(alices_room), {"email": "bob@example.com"}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Insufficient permissions. Required scope: rooms:grant-access"
    }


@pytest.mark.parametrize(("role", "status"), [(None, 403), ("member", 403), ("administrator", 200)])
def test_the_caller_must_administer_the_room(alice, make_room, user, bob, role, status):
    room = make_room("Board", {bob: RoleChoices.OWNER} | ({user: role} if role else {}))
    carol = User.objects.create_user(email="carol@example.com", sub="carol")

    response = alice.post(grant_url(room), {"email": "carol@example.com"}, format="json")

    assert response.status_code == status, response.content
    assert (role_of(room, carol) is not None) == (status == 200)


def test_only_owners_give_the_owner_role(alice, make_room, user, bob):
    room = make_room("Board", {bob: RoleChoices.OWNER, user: RoleChoices.ADMIN})

    response = alice.post(
        grant_url(room), {"email": "alice@example.com", "role": "owner"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Only owners can give the owner role."}


def test_a_room_keeps_at_least_one_owner(alice, alices_room):
    response = alice.post(
        grant_url(alices_room), {"email": "alice@example.com", "role": "member"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "A resource should keep at least one owner."}
    assert role_of(alices_room, alices_room.users.get()) == RoleChoices.OWNER


def test_an_unknown_email_is_a_field_error_without_user_creation(alice, alices_room):
    response = alice.post(grant_url(alices_room), {"email": "new@example.com"}, format="json")

    # Not 404: that says the room does not exist.
    assert (response.status_code, response.json()) == (400, {"email": ["User not found."]})
    assert not User.objects.filter(email="new@example.com").exists()


def test_an_inactive_user_is_a_field_error(alice, alices_room):
    User.objects.create_user(email="gone@example.com", sub="gone", is_active=False)

    response = alice.post(grant_url(alices_room), {"email": "gone@example.com"}, format="json")

    assert (response.status_code, response.json()) == (
        400,
        {"email": ["User account is disabled."]},
    )


def test_an_unknown_email_gets_a_provisional_user_when_allowed(alice, alices_room, user_creation):
    response = alice.post(grant_url(alices_room), {"email": "new@example.com"}, format="json")

    assert response.status_code == 200, response.content
    newcomer = User.objects.get(email="new@example.com")
    assert newcomer.sub is None
    assert role_of(alices_room, newcomer) == RoleChoices.MEMBER


def test_the_applications_email_domains_apply(make_application, request_token, user, make_room):
    from rest_framework.test import APIClient

    application = make_application(domains=("example.com",))
    room = make_room("Board", {user: RoleChoices.OWNER})
    User.objects.create_user(email="eve@elsewhere.org", sub="eve")
    token = request_token(application).json()["access_token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.post(grant_url(room), {"email": "eve@elsewhere.org"}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This application is not authorized for this email domain."
    }


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "not-an-email"}, {"email": "bob@example.com", "role": "janitor"}],
)
def test_an_invalid_body_is_400(alice, alices_room, bob, body):
    response = alice.post(grant_url(alices_room), body, format="json")

    assert response.status_code == 400


def test_an_unknown_room_is_404(alice):
    response = alice.post(
        grant_url("00000000-0000-0000-0000-000000000000"), {"email": "a@b.c"}, format="json"
    )

    assert response.status_code == 404


# -- lookup by slug --------------------------------------------------------------------------------


def test_a_room_is_found_by_its_slug_among_the_users_rooms(alice, make_room, user, bob):
    mine = make_room("Weekly sync", {user: RoleChoices.MEMBER})
    make_room("Other sync", {user: RoleChoices.MEMBER})
    make_room("Secret sync", {bob: RoleChoices.OWNER})

    found = alice.get(ROOMS_URL, {"slug": mine.slug})
    hidden = alice.get(ROOMS_URL, {"slug": "secret-sync"})

    assert [room["id"] for room in found.json()["results"]] == [str(mine.pk)]
    assert hidden.json()["results"] == []  # Someone else's room: not found, not forbidden.


@pytest.mark.parametrize("slug", ["not a slug", "nul\x00", "x" * 101])
def test_a_value_that_cannot_be_a_slug_is_a_field_error(alice, slug):
    response = alice.get(ROOMS_URL, {"slug": slug})

    assert response.status_code == 400
    assert list(response.json()) == ["slug"]


def test_rooms_are_filtered_by_access_level(alice, make_room, user):
    make_room("Open", {user: RoleChoices.MEMBER}, access_level="public")
    make_room("Closed", {user: RoleChoices.MEMBER}, access_level="restricted")

    response = alice.get(ROOMS_URL, {"access_level": "restricted"})

    assert [room["name"] for room in response.json()["results"]] == ["Closed"]
    assert alice.get(ROOMS_URL, {"access_level": "secret"}).status_code == 400


def test_a_slug_is_not_an_identifier(alice, alices_room):
    assert alice.get(room_url(alices_room.slug)).status_code == 404
    assert Room.objects.filter(slug=alices_room.slug).exists()
