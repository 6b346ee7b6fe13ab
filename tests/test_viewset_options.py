"""Resource options added after the first release: page sizes, update/destroy hooks, the URL id."""

import pytest

from django_app_delegation.models import ResourceProvenance
from tests.testapp.models import Widget
from tests.viewset_helpers import AUDIT, WIDGET_SCOPES, WIDGETS, Partner, widget_url


@pytest.fixture
def partner(make_application):
    return Partner.register(make_application, "Partner A", WIDGET_SCOPES)


@pytest.fixture
def widgets(partner, user):
    client = partner.client()
    for index in range(5):
        response = client.post(WIDGETS, {"name": f"w{index}"}, format="json")
        assert response.status_code == 201, response.content
    return client


def test_lists_are_paginated_by_resource_page_size_by_default(widgets, delegation):
    delegation(RESOURCE_PAGE_SIZE=2)

    body = widgets.get(WIDGETS).json()

    assert body["count"] == 5
    assert [w["name"] for w in body["results"]] == ["w0", "w1"]
    assert body["next"].endswith(f"{WIDGETS}?page=2")
    assert body["previous"] is None


def test_page_size_parameter_is_bounded_by_resource_max_page_size(widgets, delegation):
    delegation(RESOURCE_MAX_PAGE_SIZE=3)

    assert len(widgets.get(f"{WIDGETS}?page_size=4").json()["results"]) == 3
    assert len(widgets.get(f"{WIDGETS}?page_size=1").json()["results"]) == 1


def test_a_page_beyond_the_last_is_404(widgets):
    response = widgets.get(f"{WIDGETS}?page=9")

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_perform_update_hook_saves_the_change(partner, user, resource_options):
    resource_options("widgets", PERFORM_UPDATE="tests.viewset_helpers.audited_update")
    client = partner.client()
    widget_id = client.post(WIDGETS, {"name": "Lamp"}, format="json").json()["id"]
    AUDIT.clear()

    response = client.patch(widget_url(widget_id), {"name": "Desk lamp"}, format="json")

    assert response.status_code == 200
    assert Widget.objects.get().name == "Desk lamp"
    assert AUDIT == [("update", ("widgets", "alice@example.com", "Desk lamp"))]


def test_perform_destroy_hook_can_refuse_and_nothing_is_deleted(partner, user, resource_options):
    resource_options("widgets", PERFORM_DESTROY="tests.viewset_helpers.refuse_destroy")
    client = partner.client()
    widget_id = client.post(WIDGETS, {"name": "Lamp"}, format="json").json()["id"]

    response = client.delete(widget_url(widget_id))

    assert response.status_code == 403
    assert response.json() == {"detail": "This widget must be kept."}
    assert Widget.objects.count() == 1
    assert ResourceProvenance.objects.count() == 1  # Rolled back with the refusal.


def test_detail_routes_name_the_primary_key_id(partner, user):
    from django.urls import resolve

    match = resolve(f"{WIDGETS}00000000-0000-0000-0000-000000000000/")

    assert match.kwargs == {"id": "00000000-0000-0000-0000-000000000000"}
