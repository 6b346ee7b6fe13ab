"""List filters declared per resource (``FILTERSET_FIELDS``, ``FILTERSET_CLASS``, django-filter):
they narrow the list the token reaches, never beyond it, answer 400 on invalid values and are
documented as query parameters."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.generators import SchemaGenerator

from django_app_delegation import filters
from tests.helpers import WIDGETS, client_for, create_widget, widget_url

pytestmark = pytest.mark.django_db


def names(response):
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


@pytest.fixture
def by_name(resource_options):
    resource_options("widgets", FILTERSET_FIELDS=["name"])


def test_filterset_fields_narrow_the_list(by_name, partner, user):
    create_widget(partner, "Lamp")
    create_widget(partner, "Desk")

    assert names(client_for(partner).get(WIDGETS, {"name": "Lamp"})) == ["Lamp"]
    assert names(client_for(partner).get(WIDGETS)) == ["Desk", "Lamp"]


def test_filters_never_reach_beyond_the_list(by_name, partner, partner_b, user):
    create_widget(partner_b, "Lamp")  # Another application's: OBJECT_VISIBILITY hides it.

    assert names(client_for(partner).get(WIDGETS, {"name": "Lamp"})) == []


def test_a_filterset_class(resource_options, partner, user):
    resource_options("widgets", FILTERSET_CLASS="tests.testapp.filters.WidgetFilter")
    create_widget(partner, "Desk lamp")
    create_widget(partner, "Chair")

    assert names(client_for(partner).get(WIDGETS, {"name": "LAMP"})) == ["Desk lamp"]


def test_an_invalid_filter_value_is_a_400(resource_options, partner, user):
    resource_options("widgets", FILTERSET_FIELDS={"id": ["exact"]})

    response = client_for(partner).get(WIDGETS, {"id": "not-a-uuid"})

    assert response.status_code == 400
    assert list(response.json()) == ["id"]


def test_filters_apply_to_the_list_only(by_name, partner, user):
    widget = create_widget(partner, "Lamp")

    response = client_for(partner).get(widget_url(widget), {"name": "Desk"})

    assert response.status_code == 200


def test_an_empty_filter_value_does_not_filter(by_name, partner, user):
    create_widget(partner, "Lamp")

    assert names(client_for(partner).get(WIDGETS, {"name": ""})) == ["Lamp"]


def test_openapi_documents_the_filters_of_the_list(by_name, settings):
    settings.ROOT_URLCONF = "tests.schema_urls"

    schema = SchemaGenerator().get_schema(request=None, public=True)

    listed = schema["paths"]["/external-api/v1.0/widgets/"]["get"]
    retrieved = schema["paths"]["/external-api/v1.0/widgets/{id}/"]["get"]["parameters"]
    by_name = {parameter["name"]: parameter for parameter in listed["parameters"]}
    assert by_name["name"]["in"] == "query"
    assert by_name["name"]["allowEmptyValue"] is True  # As django-filter reads "?name=".
    assert "allowEmptyValue" not in by_name["page"]
    assert "name" not in [parameter["name"] for parameter in retrieved]
    assert "invalid filter value" in listed["responses"]["400"]["description"]


def test_without_django_filter_a_resource_with_filters_is_refused(
    by_name, partner, user, monkeypatch
):
    client = client_for(partner)
    monkeypatch.setattr(filters, "DjangoFilterBackend", None)

    with pytest.raises(ImproperlyConfigured, match=r"django-app-delegation\[filters\]"):
        client.get(WIDGETS)
    assert "django_app_delegation.E060" in [message.id for message in run_checks()]


def test_resources_without_filters_keep_drfs_default_backends(settings, partner, user):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_FILTER_BACKENDS": ["rest_framework.filters.OrderingFilter"],
    }
    create_widget(partner, "Lamp")
    create_widget(partner, "Desk")

    response = client_for(partner).get(WIDGETS, {"ordering": "-name"})

    assert names(response) == ["Lamp", "Desk"]
