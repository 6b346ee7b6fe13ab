"""Resource lists are paginated: ``RESOURCE_PAGE_SIZE`` and ``RESOURCE_MAX_PAGE_SIZE``, pages past
the last, and a pagination class read at request time. ``?page`` and ``?page_size`` answer as the
OpenAPI document says: positive integers, 400 naming the parameter otherwise, 404 past the last
page, sizes capped."""

import pytest

from tests.helpers import NOTES, WIDGETS, client_for, create_note

pytestmark = pytest.mark.django_db


@pytest.fixture
def widgets(partner, user):
    """A client of ``partner`` for alice, who has five widgets, ``w0`` to ``w4``."""
    client = client_for(partner)
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


def test_pagination_class_is_read_at_request_time(partner, user, delegation):
    create_note(partner, "memo")
    client = client_for(partner)
    client.post(NOTES, {"text": "second"}, format="json")
    assert [note["text"] for note in client.get(NOTES).json()["results"]] == ["memo", "second"]

    delegation(RESOURCE_PAGINATION_CLASS="rest_framework.pagination.LimitOffsetPagination")

    body = client.get(f"{NOTES}?limit=1").json()
    assert body["count"] == 2
    assert [note["text"] for note in body["results"]] == ["memo"]
    assert body["next"].endswith("/external-api/v1.0/notes/?limit=1&offset=1")


# -- ?page and ?page_size as documented ---------------------------------------------------

NOT_POSITIVE = ["0", "-1", "null", "", "1.5", "abc", " 2", "last", "+1"]


@pytest.mark.parametrize("value", NOT_POSITIVE)
def test_page_that_is_not_a_positive_integer_is_400_naming_it(widgets, value):
    response = widgets.get(WIDGETS, {"page": value})

    assert response.status_code == 400, response.content
    assert response.json() == {"page": ["A positive integer is required."]}


@pytest.mark.parametrize("value", NOT_POSITIVE)
def test_page_size_that_is_not_a_positive_integer_is_400_naming_it(widgets, value):
    response = widgets.get(WIDGETS, {"page_size": value})

    assert response.status_code == 400, response.content
    assert response.json() == {"page_size": ["A positive integer is required."]}


def test_valid_pages_and_sizes_are_served(widgets, delegation):
    delegation(RESOURCE_MAX_PAGE_SIZE=2)

    first = widgets.get(WIDGETS, {"page": "1", "page_size": "1"}).json()
    capped = widgets.get(WIDGETS, {"page_size": "50"}).json()

    assert [w["name"] for w in first["results"]] == ["w0"]
    assert first["next"].endswith(f"{WIDGETS}?page=2&page_size=1")
    assert len(capped["results"]) == 2
