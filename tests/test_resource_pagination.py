"""``?page`` and ``?page_size`` of resource lists answer as the OpenAPI document says: positive
integers, 400 naming the parameter otherwise, 404 past the last page, sizes capped.
"""

import pytest

from tests.viewset_helpers import WIDGET_SCOPES, WIDGETS, Partner

NOT_POSITIVE = ["0", "-1", "null", "", "1.5", "abc", " 2", "last", "+1"]


@pytest.fixture
def widgets(make_application, user):
    client = Partner.register(make_application, "Partner A", WIDGET_SCOPES).client()
    for index in range(3):
        assert client.post(WIDGETS, {"name": f"w{index}"}, format="json").status_code == 201
    return client


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


def test_a_page_past_the_last_is_404(widgets):
    response = widgets.get(WIDGETS, {"page": "2"})

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_valid_pages_and_sizes_are_served(widgets, delegation):
    delegation(RESOURCE_MAX_PAGE_SIZE=2)

    first = widgets.get(WIDGETS, {"page": "1", "page_size": "1"}).json()
    capped = widgets.get(WIDGETS, {"page_size": "50"}).json()

    assert [w["name"] for w in first["results"]] == ["w0"]
    assert first["next"].endswith(f"{WIDGETS}?page=2&page_size=1")
    assert len(capped["results"]) == 2
