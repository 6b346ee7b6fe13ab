"""Projects can subclass the resource viewset and mount it themselves: the subclasses are in
``testapp/views.py``, their routes in ``viewset_urls.py``."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.helpers import assert_insufficient_scope, client_for, provenance_of
from tests.testapp.models import Note, Widget
from tests.testapp.views import CountedNoteViewSet

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.viewset_urls")]


# -- a subclass naming a configured resource ---------------------------------------------------


def test_a_subclass_with_resource_name_serves_the_resource_under_its_own_route(partner, user):
    client = client_for(partner)

    created = client.post("/gadgets/", {"name": "Lamp"}, format="json")
    widget = Widget.objects.get()
    url = f"/gadgets/{widget.pk}/"

    assert created.status_code == 201
    assert created.json() == {"id": str(widget.pk), "name": "Lamp"}
    assert list(widget.members.all()) == [user]
    assert client.get("/gadgets/").json()["results"] == [{"id": str(widget.pk), "name": "Lamp"}]
    assert client.get(url).json() == {"id": str(widget.pk), "name": "Lamp"}
    assert client.put(url, {"name": "Desk lamp"}, format="json").json()["name"] == "Desk lamp"
    assert client.patch(url, {"name": "Floor lamp"}, format="json").json()["name"] == "Floor lamp"
    assert client.delete(url).status_code == 204
    assert not Widget.objects.exists()


def test_a_subclass_records_provenance_and_applies_the_list_scope(partner, partner_b, user):
    client_for(partner).post("/gadgets/", {"name": "Lamp"}, format="json")
    widget = Widget.objects.get()

    assert provenance_of(widget).application == partner
    assert client_for(partner_b).get("/gadgets/").json()["results"] == []
    assert client_for(partner_b).get(f"/gadgets/{widget.pk}/").status_code == 404
    # The same object through the settings-configured route.
    assert client_for(partner).get(f"/external-api/v1.0/widgets/{widget.pk}/").status_code == 200


def test_a_subclass_checks_the_resources_scopes(partner, user):
    response = client_for(partner, scopes=["widgets:retrieve"]).get("/gadgets/")

    assert_insufficient_scope(response, "widgets:list")


def test_a_subclass_registered_on_a_drf_router_serves_list_and_detail(partner, user):
    client = client_for(partner)

    created = client.post("/routed-gadgets/", {"name": "Lamp"}, format="json")
    widget_id = created.json()["id"]

    assert created.status_code == 201
    assert client.get("/routed-gadgets/").json()["results"] == [{"id": widget_id, "name": "Lamp"}]
    assert client.get(f"/routed-gadgets/{widget_id}/").json() == {"id": widget_id, "name": "Lamp"}
    assert client.delete(f"/routed-gadgets/{widget_id}/").status_code == 204


def test_a_subclass_can_override_a_method(partner, user):
    client = client_for(partner)
    client.post("/counted-notes/", {"text": "one"}, format="json")
    client.post("/counted-notes/", {"text": "two"}, format="json")

    response = client.get("/counted-notes/")

    assert response.status_code == 200
    assert [note["text"] for note in response.json()["results"]] == ["one", "two"]
    assert response["X-Note-Count"] == "2"


@pytest.mark.parametrize("resource", ["widgets", "notes"])
def test_resource_urlpatterns_mounts_every_resource_on_a_subclass(partner, user, resource):
    body = {"name": "Lamp"} if resource == "widgets" else {"text": "memo"}
    client = client_for(partner)

    created = client.post(f"/tagged/{resource}/", body, format="json")
    listed = client.get(f"/tagged/{resource}/")
    detail = client.get(f"/tagged/{resource}/{created.json()['id']}/")

    assert created.status_code == 201
    assert listed.json()["results"] == [created.json()]
    assert detail.json() == created.json()
    # TaggedViewSet's own code ran, in the subclass made for the resource.
    assert {created["X-Served-By"], listed["X-Served-By"], detail["X-Served-By"]} == {
        f"{resource.title()}ViewSet"
    }


def test_a_subclass_mounted_for_every_resource_keeps_each_resources_actions(partner, user):
    client = client_for(partner)
    note_id = client.post("/tagged/notes/", {"text": "memo"}, format="json").json()["id"]

    response = client.delete(f"/tagged/notes/{note_id}/")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert Note.objects.filter(pk=note_id).exists()


def test_a_subclass_mounted_by_hand_routes_only_its_resources_actions(partner, user):
    client = client_for(partner)
    note_id = client.post("/counted-notes/", {"text": "memo"}, format="json").json()["id"]

    assert client.get(f"/counted-notes/{note_id}/").json() == {"id": note_id, "text": "memo"}
    response = client.delete(f"/counted-notes/{note_id}/")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert Note.objects.filter(pk=note_id).exists()


def test_a_subclass_cannot_be_mounted_for_actions_its_resource_does_not_allow():
    with pytest.raises(ImproperlyConfigured, match="'notes' allows none of these actions"):
        CountedNoteViewSet.as_view({"put": "update", "delete": "destroy"})


# -- a subclass configured like any DRF viewset (no resource_name) -----------------------------
# The viewset's docstring: "Subclasses may instead set queryset, serializer_class, scope_map and
# permission_classes like any DRF viewset [...]; provenance and OBJECT_VISIBILITY still apply."


def test_a_subclass_without_resource_name_creates_lists_and_retrieves(partner, user):
    client = client_for(partner)

    created = client.post("/plain-notes/", {"text": "memo"}, format="json")

    assert created.status_code == 201, created.content
    note = Note.objects.get()
    assert created.json() == {"id": note.pk, "text": "memo"}
    assert client.get("/plain-notes/").json()["results"] == [{"id": note.pk, "text": "memo"}]
    assert client.get(f"/plain-notes/{note.pk}/").json() == {"id": note.pk, "text": "memo"}


def test_a_subclass_without_resource_name_applies_its_scope_map(partner, user):
    response = client_for(partner, scopes=["notes:retrieve"]).get("/plain-notes/")

    assert_insufficient_scope(response, "notes:list")


def test_a_subclass_without_resource_name_applies_its_permission_classes(partner, user):
    client = client_for(partner)
    created = client.post("/plain-notes/", {"text": "secret plans"}, format="json")
    assert created.status_code == 201, created.content

    response = client.get(f"/plain-notes/{created.json()['id']}/")

    assert response.status_code == 403


def test_a_subclass_without_resource_name_records_provenance_and_applies_the_list_scope(
    partner, partner_b, user
):
    created = client_for(partner).post("/plain-notes/", {"text": "memo"}, format="json")
    assert created.status_code == 201, created.content
    note = Note.objects.get()

    assert provenance_of(note).application == partner
    assert client_for(partner_b).get("/plain-notes/").json()["results"] == []
    assert client_for(partner_b).get(f"/plain-notes/{note.pk}/").status_code == 404
