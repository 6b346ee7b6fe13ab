"""The rooms endpoints with Meet's rules (reference §1.6, §1.7, §4, §5), through HTTP."""

from __future__ import annotations

import re
import uuid

import pytest

from rooms.models import ResourceAccess, RoleChoices, Room

from .helpers import ROOMS_URL, room_url

ROOM_NAME = re.compile(r"^[a-z]{3}-[a-z]{4}-[a-z]{3}$")
FORBIDDEN = {"detail": "You do not have permission to perform this action."}


@pytest.fixture
def bob(make_user):
    return make_user("bob@example.com")


# -- create ------------------------------------------------------------------------------------


def test_create_generates_name_and_slug_and_makes_the_user_owner(alice, user):
    response = alice.post(ROOMS_URL, {}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["id", "name", "slug", "access_level", "configuration"]
    assert ROOM_NAME.match(body["name"])
    assert body["slug"] == body["name"]
    assert body["access_level"] == "trusted"
    assert body["configuration"] == {}
    room = Room.objects.get(pk=body["id"])
    assert room.get_role(user) == RoleChoices.OWNER
    assert room.pin_code is None


def test_create_accepts_an_empty_body(alice):
    response = alice.post(ROOMS_URL)

    assert response.status_code == 201
    assert response.json()["access_level"] == "trusted"


def test_each_created_room_gets_its_own_name(alice):
    names = {alice.post(ROOMS_URL, {}, format="json").json()["name"] for _ in range(5)}

    assert len(names) == 5


def test_create_ignores_read_only_fields(alice):
    chosen_id = str(uuid.uuid4())

    response = alice.post(
        ROOMS_URL,
        {"id": chosen_id, "name": "My room", "slug": "my-room", "pin_code": "1234567890"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["id"] != chosen_id
    assert ROOM_NAME.match(body["name"])
    assert Room.objects.get(pk=body["id"]).pin_code is None


def test_default_access_level_comes_from_the_setting(alice, settings):
    settings.EXTERNAL_API_DEFAULT_ACCESS_LEVEL = "restricted"

    assert alice.post(ROOMS_URL, {}, format="json").json()["access_level"] == "restricted"


@pytest.mark.parametrize("access_level", ["trusted", "restricted"])
def test_create_with_an_explicit_access_level(alice, access_level):
    response = alice.post(ROOMS_URL, {"access_level": access_level}, format="json")

    assert response.status_code == 201
    assert response.json()["access_level"] == access_level


def test_public_rooms_are_refused_by_default(alice):
    response = alice.post(ROOMS_URL, {"access_level": "public"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"access_level": ["Public rooms are disabled for the external API."]}
    assert not Room.objects.exists()


def test_public_rooms_are_allowed_by_the_setting(alice, settings):
    settings.EXTERNAL_API_ALLOW_PUBLIC_ACCESS = True

    response = alice.post(ROOMS_URL, {"access_level": "public"}, format="json")

    assert response.status_code == 201
    assert response.json()["access_level"] == "public"


def test_public_rooms_are_allowed_when_public_is_already_the_default(alice, settings):
    settings.EXTERNAL_API_DEFAULT_ACCESS_LEVEL = "public"

    explicit = alice.post(ROOMS_URL, {"access_level": "public"}, format="json")
    implicit = alice.post(ROOMS_URL, {}, format="json")

    assert explicit.status_code == implicit.status_code == 201
    assert explicit.json()["access_level"] == implicit.json()["access_level"] == "public"


def test_unknown_access_level_is_400(alice):
    response = alice.post(ROOMS_URL, {"access_level": "secret"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"access_level": ['"secret" is not a valid choice.']}


# -- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "configuration",
    [
        {},
        {"everyone_can_mute": False},
        {"can_publish_sources": []},
        {
            "can_publish_sources": ["camera", "microphone", "screen_share", "screen_share_audio"],
            "everyone_can_mute": True,
        },
        {"can_publish_sources": None, "everyone_can_mute": None},
    ],
)
def test_valid_configuration_is_stored_and_returned(alice, configuration):
    response = alice.post(ROOMS_URL, {"configuration": configuration}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["configuration"] == configuration
    assert Room.objects.get(pk=response.json()["id"]).configuration == configuration


@pytest.mark.parametrize("value", ["yes", "true", 0, 1, "false"])
def test_booleans_must_be_json_booleans(alice, value):
    """The document says boolean: what DRF's lax field would take is refused."""
    response = alice.post(ROOMS_URL, {"configuration": {"everyone_can_mute": value}}, "json")

    assert response.status_code == 400
    assert response.json() == {"configuration": {"everyone_can_mute": ["Must be a valid boolean."]}}
    assert not Room.objects.exists()


def test_unknown_configuration_keys_are_400_naming_them(alice):
    response = alice.post(
        ROOMS_URL,
        {"configuration": {"unsupported_flag": True, "everyone_can_mute": True, "color": "red"}},
        format="json",
    )

    assert response.status_code == 400
    message = "Unknown key. Allowed keys: can_publish_sources, everyone_can_mute."
    assert response.json() == {"configuration": {"unsupported_flag": [message], "color": [message]}}
    assert not Room.objects.exists()


def test_unknown_source_is_400(alice):
    response = alice.post(
        ROOMS_URL, {"configuration": {"can_publish_sources": ["camera", "hologram"]}}, "json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "configuration": {"can_publish_sources": {"1": ['"hologram" is not a valid choice.']}}
    }


def test_non_boolean_everyone_can_mute_is_400(alice):
    response = alice.post(ROOMS_URL, {"configuration": {"everyone_can_mute": "maybe"}}, "json")

    assert response.status_code == 400
    assert response.json() == {"configuration": {"everyone_can_mute": ["Must be a valid boolean."]}}


def test_errors_of_known_and_unknown_keys_are_reported_together(alice):
    response = alice.post(
        ROOMS_URL, {"configuration": {"everyone_can_mute": "maybe", "extra": 1}}, "json"
    )

    assert response.status_code == 400
    assert set(response.json()["configuration"]) == {"everyone_can_mute", "extra"}


@pytest.mark.parametrize("configuration", ["camera", ["camera"], 3])
def test_configuration_that_is_not_an_object_is_400(alice, configuration):
    response = alice.post(ROOMS_URL, {"configuration": configuration}, format="json")

    assert response.status_code == 400
    assert list(response.json()["configuration"]) == ["non_field_errors"]


def test_null_configuration_is_400(alice):
    response = alice.post(ROOMS_URL, {"configuration": None}, format="json")

    assert response.status_code == 400
    assert response.json() == {"configuration": ["This field may not be null."]}


# -- representation: url and telephony -------------------------------------------------------


def test_url_is_added_when_a_base_url_is_set(alice, settings):
    settings.APPLICATION_BASE_URL = "https://meet.example.org"

    response = alice.post(ROOMS_URL, {}, format="json")

    body = response.json()
    assert list(body) == ["id", "name", "slug", "access_level", "configuration", "url"]
    assert body["url"] == f"https://meet.example.org/{body['slug']}"
    assert response["Location"] == body["url"]


def test_url_has_no_double_slash_when_the_base_url_ends_with_one(alice, settings):
    settings.APPLICATION_BASE_URL = "https://meet.example.org/"

    body = alice.post(ROOMS_URL, {}, format="json").json()

    assert body["url"] == f"https://meet.example.org/{body['slug']}"


def test_telephony_block_and_pin_when_telephony_is_on(alice, settings):
    settings.ROOM_TELEPHONY_ENABLED = True
    settings.ROOM_TELEPHONY_PHONE_NUMBER = "+33 1 23 45 67 89"
    settings.ROOM_TELEPHONY_DEFAULT_COUNTRY = "FR"

    response = alice.post(ROOMS_URL, {}, format="json")

    body = response.json()
    assert list(body) == ["id", "name", "slug", "access_level", "configuration", "telephony"]
    telephony = body["telephony"]
    assert set(telephony) == {"enabled", "phone_number", "pin_code", "default_country"}
    assert telephony["enabled"] is True
    assert telephony["phone_number"] == "+33 1 23 45 67 89"
    assert telephony["default_country"] == "FR"
    assert re.fullmatch(r"\d{10}", telephony["pin_code"])
    assert Room.objects.get(pk=body["id"]).pin_code == telephony["pin_code"]
    assert "pin_code" not in body


def test_pin_length_comes_from_the_setting(alice, settings):
    settings.ROOM_TELEPHONY_ENABLED = True
    settings.ROOM_TELEPHONY_PIN_LENGTH = 6

    pin = alice.post(ROOMS_URL, {}, format="json").json()["telephony"]["pin_code"]

    assert re.fullmatch(r"\d{6}", pin)


def test_pin_is_retried_until_unique(alice, settings, make_room, monkeypatch):
    settings.ROOM_TELEPHONY_ENABLED = True
    settings.ROOM_TELEPHONY_PIN_LENGTH = 4
    make_room("Taken", pin_code="0042")
    draws = iter([42, 42, 7])
    monkeypatch.setattr("rooms.models.secrets.randbelow", lambda upper: next(draws))

    pin = alice.post(ROOMS_URL, {}, format="json").json()["telephony"]["pin_code"]

    assert pin == "0007"


def test_room_gets_no_pin_when_every_try_is_taken(alice, settings, make_room, monkeypatch):
    settings.ROOM_TELEPHONY_ENABLED = True
    settings.ROOM_TELEPHONY_PIN_LENGTH = 4
    make_room("Taken", pin_code="0042")
    monkeypatch.setattr("rooms.models.secrets.randbelow", lambda upper: 42)

    response = alice.post(ROOMS_URL, {}, format="json")

    assert response.status_code == 201
    assert response.json()["telephony"]["pin_code"] is None


def test_rooms_created_while_telephony_was_off_have_a_null_pin(alice, alices_room, settings):
    settings.ROOM_TELEPHONY_ENABLED = True

    telephony = alice.get(room_url(alices_room)).json()["telephony"]

    assert telephony["pin_code"] is None


# -- list --------------------------------------------------------------------------------------


def test_list_shows_every_room_the_user_has_a_role_on_ordered_by_name(alice, user, bob, make_room):
    make_room("b owned", {user: RoleChoices.OWNER})
    make_room("c member", {user: RoleChoices.MEMBER, bob: RoleChoices.OWNER})
    make_room("a administrator", {user: RoleChoices.ADMIN})
    make_room("d bob's only", {bob: RoleChoices.OWNER})
    make_room("e nobody's")

    response = alice.get(ROOMS_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [room["name"] for room in body["results"]] == ["a administrator", "b owned", "c member"]


def test_list_includes_rooms_other_applications_created_for_the_user(client_for, user):
    """Meet's mode (``OBJECT_VISIBILITY = "user"``): the user's rooms, whichever application made
    them."""
    first, second = client_for(user), client_for(user)
    created = first.post(ROOMS_URL, {}, format="json").json()

    assert [room["id"] for room in second.get(ROOMS_URL).json()["results"]] == [created["id"]]


def test_list_is_paginated_by_twenty(alice, user, make_room):
    for index in range(23):
        make_room(f"room {index:02d}", {user: RoleChoices.MEMBER})

    first = alice.get(ROOMS_URL).json()
    second = alice.get(ROOMS_URL, {"page": 2}).json()

    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 23
    assert len(first["results"]) == 20
    assert first["next"] == f"http://testserver{ROOMS_URL}?page=2"
    assert first["previous"] is None
    assert len(second["results"]) == 3
    assert second["next"] is None
    assert second["previous"] == f"http://testserver{ROOMS_URL}"


def test_list_shows_the_same_representation(alice, alices_room, settings):
    settings.APPLICATION_BASE_URL = "https://meet.example.org"

    listed = alice.get(ROOMS_URL).json()["results"][0]

    assert listed == alice.get(room_url(alices_room)).json()
    assert listed["url"] == "https://meet.example.org/alices-room"


# -- retrieve ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [RoleChoices.MEMBER, RoleChoices.ADMIN, RoleChoices.OWNER])
def test_any_role_may_retrieve_the_room(client_for, user, make_room, role):
    room = make_room("Shared", {user: role}, configuration={"everyone_can_mute": True})

    response = client_for(user).get(room_url(room))

    assert response.status_code == 200
    assert response.json() == {
        "id": str(room.pk),
        "name": "Shared",
        "slug": "shared",
        "access_level": "trusted",
        "configuration": {"everyone_can_mute": True},
    }


def test_someone_elses_room_is_403_not_404(alice, bob, make_room):
    room = make_room("Bob's room", {bob: RoleChoices.OWNER})

    response = alice.get(room_url(room))

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


# -- update ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [RoleChoices.ADMIN, RoleChoices.OWNER])
def test_administrators_and_owners_may_update(client_for, user, make_room, role):
    room = make_room("Shared", {user: role})

    response = client_for(user).patch(
        room_url(room),
        {"access_level": "restricted", "configuration": {"can_publish_sources": ["camera"]}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["access_level"] == "restricted"
    assert response.json()["configuration"] == {"can_publish_sources": ["camera"]}
    room.refresh_from_db()
    assert room.access_level == "restricted"
    assert room.configuration == {"can_publish_sources": ["camera"]}


def test_members_may_not_update(client_for, user, make_room):
    room = make_room("Shared", {user: RoleChoices.MEMBER})

    response = client_for(user).patch(room_url(room), {"access_level": "restricted"}, "json")

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    room.refresh_from_db()
    assert room.access_level == "trusted"


def test_someone_elses_room_may_not_be_updated(alice, bob, make_room):
    room = make_room("Bob's room", {bob: RoleChoices.OWNER})

    assert alice.patch(room_url(room), {"access_level": "restricted"}, "json").status_code == 403


def test_put_replaces_the_writable_fields(alice, alices_room):
    response = alice.put(
        room_url(alices_room),
        {"access_level": "restricted", "configuration": {"everyone_can_mute": False}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["access_level"] == "restricted"
    assert response.json()["configuration"] == {"everyone_can_mute": False}


def test_update_keeps_name_and_slug(alice, alices_room):
    response = alice.patch(
        room_url(alices_room),
        {"name": "Renamed", "slug": "renamed", "id": str(uuid.uuid4())},
        "json",
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Alice's room"
    assert response.json()["slug"] == "alices-room"
    assert response.json()["id"] == str(alices_room.pk)


def test_update_to_public_is_refused_like_create(alice, alices_room):
    response = alice.patch(room_url(alices_room), {"access_level": "public"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"access_level": ["Public rooms are disabled for the external API."]}


def test_update_validates_the_configuration(alice, alices_room):
    response = alice.patch(room_url(alices_room), {"configuration": {"mute_all": True}}, "json")

    assert response.status_code == 400
    assert "mute_all" in response.json()["configuration"]


def test_update_does_not_change_the_pin(alice, alices_room, settings):
    settings.ROOM_TELEPHONY_ENABLED = True
    alices_room.pin_code = "1234567890"
    alices_room.save()

    response = alice.patch(room_url(alices_room), {"access_level": "restricted"}, "json")

    assert response.json()["telephony"]["pin_code"] == "1234567890"


# -- delete ------------------------------------------------------------------------------------


def test_owner_may_delete(alice, alices_room):
    response = alice.delete(room_url(alices_room))

    assert response.status_code == 204
    assert not Room.objects.filter(pk=alices_room.pk).exists()
    assert not ResourceAccess.objects.filter(room_id=alices_room.pk).exists()


@pytest.mark.parametrize("role", [RoleChoices.MEMBER, RoleChoices.ADMIN])
def test_only_the_owner_may_delete(client_for, user, make_room, role):
    room = make_room("Shared", {user: role})

    response = client_for(user).delete(room_url(room))

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert Room.objects.filter(pk=room.pk).exists()


def test_someone_elses_room_may_not_be_deleted(alice, bob, make_room):
    room = make_room("Bob's room", {bob: RoleChoices.OWNER})

    assert alice.delete(room_url(room)).status_code == 403
    assert Room.objects.filter(pk=room.pk).exists()
