"""Provenance of objects created through the resource API, and ``OBJECT_VISIBILITY``: which
application sees, retrieves, updates and deletes what.
"""

from __future__ import annotations

import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField
from django.db.models.functions import Cast

from django_app_delegation.models import ResourceProvenance, pk_as_text
from tests.doubles import CreateHookFailed
from tests.helpers import (
    NOTES,
    WIDGETS,
    client_for,
    create_note,
    create_widget,
    note_url,
    provenance_of,
    widget_url,
)
from tests.testapp.models import Note, Widget

pytestmark = pytest.mark.django_db


def outside_widget(name, *members):
    """A widget created without the API (admin, another view, a data migration)."""
    widget = Widget.objects.create(name=name)
    widget.members.add(*members)
    return widget


def names(response):
    assert response.status_code == 200, response.content
    return [item.get("name", item.get("text")) for item in response.json()["results"]]


# -- provenance records ------------------------------------------------------------------------


def test_create_records_which_application_created_the_object_for_which_user(partner, user):
    widget = create_widget(partner, "Lamp")

    record = ResourceProvenance.objects.get()
    assert record.application == partner
    assert record.user == user
    assert record.content_type == ContentType.objects.get_for_model(Widget)
    assert record.object_id == pk_as_text(widget)
    assert record.created_at is not None


def test_create_records_the_audience_the_application_is_known_by(partner, delegation, user):
    create_widget(partner, "Lamp")
    delegation(GET_APPLICATION_AUDIENCE=lambda *, token, **kwargs: f"app-{token.client_id[:4]}")
    create_widget(partner, "Desk")

    audiences = ResourceProvenance.objects.order_by("created_at").values_list("audience", flat=True)
    assert list(audiences) == [partner.client_id, f"app-{partner.client_id[:4]}"]


def test_a_provenance_record_names_an_application_or_an_audience(partner, user):
    widget = Widget.objects.create(name="Lamp")

    with pytest.raises(ValueError, match="names an application or an audience"):
        ResourceProvenance.objects.record(widget, user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourceProvenance.objects.create(
            content_type=ContentType.objects.get_for_model(widget), object_id=pk_as_text(widget)
        )


def test_a_service_known_by_its_audience_alone_can_be_recorded(user):
    widget = Widget.objects.create(name="Lamp")

    ResourceProvenance.objects.record(widget, user=user, audience="drive-service")

    record = provenance_of(widget)
    assert (record.application, record.audience) == (None, "drive-service")
    assert str(record).endswith(" by drive-service")


def test_provenance_of_a_uuid_key_is_its_text_form(partner, user):
    widget = create_widget(partner, "Lamp")

    # PostgreSQL renders a uuid with dashes; SQLite and MySQL store it as 32 hex digits.
    assert ResourceProvenance.objects.get().object_id in {str(widget.pk), widget.pk.hex}


def test_provenance_of_an_integer_key_is_its_decimal_text(partner, user):
    first = create_note(partner, "first")
    second = create_note(partner, "second")

    assert provenance_of(first).object_id == str(first.pk)
    assert provenance_of(second).object_id == str(second.pk)
    assert provenance_of(second).content_type == ContentType.objects.get_for_model(Note)


def test_a_create_hook_that_returns_nothing_still_gets_provenance(partner, user, resource_options):
    resource_options("widgets", PERFORM_CREATE="tests.doubles.save_without_returning")

    widget = create_widget(partner, "Lamp")

    assert provenance_of(widget).application == partner
    assert client_for(partner).get(widget_url(widget)).status_code == 200


def test_an_invalid_create_records_nothing(partner, user):
    response = client_for(partner).post(NOTES, {"text": ""}, format="json")

    assert response.status_code == 400
    assert not Note.objects.exists()
    assert not ResourceProvenance.objects.exists()


def test_a_create_hook_refusing_after_saving_leaves_no_object_and_no_provenance(
    partner, user, resource_options
):
    resource_options("widgets", PERFORM_CREATE="tests.doubles.save_then_refuse")

    response = client_for(partner).post(WIDGETS, {"name": "Lamp"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["Refused after saving."]}
    assert not Widget.objects.exists()
    assert not Widget.members.through.objects.exists()
    assert not ResourceProvenance.objects.exists()


@pytest.mark.parametrize(
    "in_test_transaction",
    [
        pytest.param(True, id="in-the-test-transaction"),
        # Without the test case's wrapping transaction: the viewset's own atomic block is the
        # transaction, not a savepoint inside ours.
        pytest.param(
            False,
            id="outside-any-test-transaction",
            marks=pytest.mark.django_db(transaction=True),
        ),
    ],
)
def test_a_create_hook_crashing_after_saving_leaves_no_object_and_no_provenance(
    partner, user, resource_options, in_test_transaction
):
    resource_options("widgets", PERFORM_CREATE="tests.doubles.save_then_crash")
    client = client_for(partner)

    with pytest.raises(CreateHookFailed):
        client.post(WIDGETS, {"name": "Lamp"}, format="json")

    assert connection.in_atomic_block is in_test_transaction
    assert not Widget.objects.exists()
    assert not Widget.members.through.objects.exists()
    assert not ResourceProvenance.objects.exists()


def test_an_object_whose_provenance_cannot_be_recorded_is_not_created(partner, user, monkeypatch):
    # Recording provenance fails after the create hook saved the widget: the widget goes too.
    def fail(*args, **kwargs):
        raise IntegrityError("provenance could not be recorded")

    monkeypatch.setattr(ResourceProvenance.objects, "bulk_create", fail)
    client = client_for(partner)

    with pytest.raises(IntegrityError):
        client.post(WIDGETS, {"name": "Lamp"}, format="json")

    assert not Widget.objects.exists()
    assert not ResourceProvenance.objects.exists()


def test_a_stale_provenance_record_is_replaced_by_the_new_creator(partner, user, resource_options):
    # The hook leaves a record for the new widget (as a deleted object's record would): the
    # viewset's record replaces it rather than failing or keeping the stale owner.
    resource_options("widgets", PERFORM_CREATE="tests.doubles.save_and_claim_provenance")

    response = client_for(partner).post(WIDGETS, {"name": "Lamp"}, format="json")

    assert response.status_code == 201, response.content
    record = ResourceProvenance.objects.get()
    assert record.application_id == partner.pk
    assert record.user == user  # The hook's record had no user; the viewset's replaced it.


def test_destroy_deletes_the_provenance_record_with_the_object(partner, user):
    widget = create_widget(partner, "Lamp")

    response = client_for(partner).delete(widget_url(widget))

    assert response.status_code == 204
    assert not ResourceProvenance.objects.exists()


# -- OBJECT_VISIBILITY = "application" (the default) -------------------------------------------


def test_an_application_lists_only_the_objects_it_created(partner, partner_b, user):
    create_widget(partner, "From A")
    create_widget(partner_b, "From B")

    assert names(client_for(partner).get(WIDGETS)) == ["From A"]
    assert names(client_for(partner_b).get(WIDGETS)) == ["From B"]


def test_another_application_cannot_reach_an_object_created_for_the_same_user(
    partner, partner_b, user
):
    widget = create_widget(partner, "From A")
    url = widget_url(widget)
    client = client_for(partner_b)

    assert names(client.get(WIDGETS)) == []
    assert client.get(url).status_code == 404
    assert client.put(url, {"name": "Taken"}, format="json").status_code == 404
    assert client.patch(url, {"name": "Taken"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    widget.refresh_from_db()
    assert widget.name == "From A"


def test_another_applications_object_answers_the_same_404_as_an_unknown_id(
    partner, partner_b, user
):
    widget = create_widget(partner, "From A")
    client = client_for(partner_b)

    assert client.get(widget_url(widget)).json() == client.get(widget_url(uuid.uuid4())).json()


def test_the_creating_application_reaches_its_object_for_any_call(partner, user):
    widget = create_widget(partner, "From A")
    client = client_for(partner)  # a new token: provenance outlives the token

    assert client.get(widget_url(widget)).json() == {"id": str(widget.pk), "name": "From A"}
    assert client.patch(widget_url(widget), {"name": "A2"}, format="json").status_code == 200
    assert client.delete(widget_url(widget)).status_code == 204


def test_objects_created_outside_the_api_are_invisible_in_application_mode(partner, user):
    widget = outside_widget("Outside", user)
    client = client_for(partner)

    assert names(client.get(WIDGETS)) == []
    assert client.get(widget_url(widget)).status_code == 404
    assert client.delete(widget_url(widget)).status_code == 404
    assert Widget.objects.filter(pk=widget.pk).exists()


def test_notes_of_another_application_are_invisible_in_application_mode(partner, partner_b, user):
    note = create_note(partner, "from A")

    assert names(client_for(partner_b).get(NOTES)) == []
    assert client_for(partner_b).get(note_url(note)).status_code == 404
    assert names(client_for(partner).get(NOTES)) == ["from A"]


# -- OBJECT_VISIBILITY = "user" ----------------------------------------------------------------


def test_user_mode_lists_every_object_the_queryset_hook_gives(
    partner, partner_b, user, bob, delegation
):
    delegation(OBJECT_VISIBILITY="user")
    create_widget(partner, "From A")
    create_widget(partner_b, "From B")
    outside_widget("Outside, shared", user, bob)
    outside_widget("Outside, Bob's", bob)
    create_widget(partner, "A for Bob", "bob@example.com")

    assert names(client_for(partner_b).get(WIDGETS)) == ["From A", "From B", "Outside, shared"]
    assert names(client_for(partner, "bob@example.com").get(WIDGETS)) == [
        "A for Bob",
        "Outside, Bob's",
        "Outside, shared",
    ]


def test_user_mode_lets_another_application_act_on_the_users_objects(
    partner, partner_b, user, delegation
):
    delegation(OBJECT_VISIBILITY="user")
    widget = create_widget(partner, "From A")
    url = widget_url(widget)
    client = client_for(partner_b)

    assert client.get(url).json() == {"id": str(widget.pk), "name": "From A"}
    assert client.put(url, {"name": "By B"}, format="json").json()["name"] == "By B"
    assert client.delete(url).status_code == 204
    assert not Widget.objects.exists()


def test_user_mode_reaches_objects_created_outside_the_api(partner, user, delegation):
    delegation(OBJECT_VISIBILITY="user")
    widget = outside_widget("Outside", user)

    response = client_for(partner).get(widget_url(widget))

    assert response.status_code == 200
    assert response.json() == {"id": str(widget.pk), "name": "Outside"}


def test_user_mode_answers_403_for_a_widget_the_user_is_not_a_member_of(
    partner, user, bob, delegation
):
    delegation(OBJECT_VISIBILITY="user")
    widget = outside_widget("Bob's", bob)
    client = client_for(partner)

    response = client.get(widget_url(widget))

    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}
    assert client.patch(widget_url(widget), {"name": "x"}, format="json").status_code == 403
    assert client.delete(widget_url(widget)).status_code == 403
    assert Widget.objects.get().name == "Bob's"


@pytest.mark.parametrize("lookup", [str(uuid.UUID(int=1)), "not-a-uuid"])
def test_user_mode_answers_404_for_an_unknown_or_malformed_id(partner, user, delegation, lookup):
    delegation(OBJECT_VISIBILITY="user")

    assert client_for(partner).get(f"{WIDGETS}{lookup}/").status_code == 404


# -- the default hooks (notes) -----------------------------------------------------------------


@pytest.mark.parametrize("visibility", ["application", "user"])
def test_default_hooks_show_only_notes_created_through_the_api_for_the_user(
    partner, user, bob, delegation, visibility
):
    delegation(OBJECT_VISIBILITY=visibility)
    mine = create_note(partner, "for alice")
    bobs = create_note(partner, "for bob", "bob@example.com")
    outside = Note.objects.create(text="outside the API")
    client = client_for(partner)

    assert names(client.get(NOTES)) == ["for alice"]
    assert client.get(note_url(mine)).status_code == 200
    assert client.get(note_url(bobs)).status_code == 404
    assert client.get(note_url(outside)).status_code == 404
    assert names(client_for(partner, "bob@example.com").get(NOTES)) == ["for bob"]


def test_default_hooks_in_user_mode_share_the_users_notes_across_applications(
    partner, partner_b, user, bob, delegation
):
    delegation(OBJECT_VISIBILITY="user")
    mine = create_note(partner, "for alice, by A")
    create_note(partner, "for bob, by A", "bob@example.com")

    client = client_for(partner_b)

    assert names(client.get(NOTES)) == ["for alice, by A"]
    assert client.get(note_url(mine)).json() == {"id": mine.pk, "text": "for alice, by A"}


# -- per-resource OBJECT_VISIBILITY ------------------------------------------------------------


def test_a_resource_can_widen_the_global_application_scope(
    partner, partner_b, user, resource_options
):
    resource_options("widgets", OBJECT_VISIBILITY="user")
    outside_widget("Outside", user)
    create_widget(partner, "From A")
    create_note(partner, "note from A")

    client = client_for(partner_b)

    assert names(client.get(WIDGETS)) == ["From A", "Outside"]
    assert names(client.get(NOTES)) == []


def test_a_resource_can_narrow_the_global_user_scope(
    partner, partner_b, user, delegation, resource_options
):
    delegation(OBJECT_VISIBILITY="user")
    resource_options("widgets", OBJECT_VISIBILITY="application")
    outside_widget("Outside", user)
    widget = create_widget(partner, "From A")
    create_note(partner, "note from A")

    client = client_for(partner_b)

    assert names(client.get(WIDGETS)) == []
    assert client.get(widget_url(widget)).status_code == 404
    assert names(client.get(NOTES)) == ["note from A"]


def test_a_deleted_objects_provenance_grants_nothing_to_a_later_object_with_its_key(partner, user):
    widget = create_widget(partner, "Lamp")
    client = client_for(partner)
    assert client.delete(widget_url(widget)).status_code == 204

    # Restored from a backup, outside the API, with the same key: not the application's object.
    outside_widget_with_key = Widget.objects.create(pk=widget.pk, name="Restored")
    outside_widget_with_key.members.add(user)

    assert names(client.get(WIDGETS)) == []
    assert client.get(widget_url(widget)).status_code == 404


def test_create_writes_its_provenance_in_one_statement(partner, user, django_assert_num_queries):
    client = client_for(partner)
    client.post(NOTES, {"text": "warm-up"}, format="json")  # content types cached

    with django_assert_num_queries(6) as captured:
        # The token's user and application; SAVEPOINT; INSERT the note; INSERT its provenance
        # (ON CONFLICT ... DO UPDATE, no SELECT first); INSERT the audit event. The
        # transaction's own BEGIN/COMMIT are not queries Django records.
        response = client.post(NOTES, {"text": "one"}, format="json")

    assert response.status_code == 201, response.content
    statements = [query["sql"].split()[0] for query in captured.captured_queries]
    provenance = [q["sql"] for q in captured.captured_queries if "resourceprovenance" in q["sql"]]
    assert len(provenance) == 1 and provenance[0].startswith("INSERT"), statements
    assert ResourceProvenance.objects.filter(object_id=str(response.json()["id"])).exists()


@pytest.mark.parametrize("model", [Note, Widget])
def test_object_ids_computed_in_python_are_what_the_database_renders(model):
    instance = model.objects.create(**({"text": "t"} if model is Note else {"name": "n"}))
    rendered = (
        model.objects.filter(pk=instance.pk)
        .annotate(text_pk=Cast("pk", CharField()))
        .values_list("text_pk", flat=True)
        .get()
    )
    assert pk_as_text(instance) == rendered
