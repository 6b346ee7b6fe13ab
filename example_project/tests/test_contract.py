"""The rooms API answers as its OpenAPI document says: each disagreement schemathesis found, fixed
on the side that was wrong (``make test-contract`` runs schemathesis itself against a live server).
"""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft4Validator

from .helpers import ROOMS_URL, TOKEN_URL


@pytest.fixture
def schema(db):
    return SchemaGenerator().get_schema(request=None, public=True)


def validator(schema, fragment):
    """A JSON Schema validator for ``fragment``, its references resolved in the document."""
    return Draft4Validator({**fragment, "components": schema["components"]})


def request_enum(schema):
    component = schema["components"]["schemas"]["RoomRequest"]["properties"]["access_level"]
    ref = component["allOf"][0]["$ref"] if "allOf" in component else component["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"]


def test_access_levels_a_request_may_set_leave_public_out_by_default(schema, alice):
    assert request_enum(schema) == ["trusted", "restricted"]
    # Responses still name every level: rooms made public in Meet itself are listed as such.
    response_level = schema["components"]["schemas"]["Room"]["properties"]["access_level"]
    assert schema["components"]["schemas"]["AccessLevelEnum"]["enum"] == [
        "public",
        "trusted",
        "restricted",
    ]
    assert response_level == {"$ref": "#/components/schemas/AccessLevelEnum"}
    assert alice.post(ROOMS_URL, {"access_level": "public"}, format="json").status_code == 400


def test_access_levels_include_public_where_the_settings_allow_it(settings, alice):
    settings.EXTERNAL_API_ALLOW_PUBLIC_ACCESS = True

    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert request_enum(schema) == ["public", "trusted", "restricted"]
    assert alice.post(ROOMS_URL, {"access_level": "public"}, format="json").status_code == 201


def test_a_body_that_does_not_parse_answers_the_documented_400(schema, alice):
    documented = schema["paths"][ROOMS_URL]["post"]["responses"]["400"]
    body_schema = documented["content"]["application/json"]["schema"]

    response = alice.post(ROOMS_URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    validator(schema, body_schema).validate(response.json())


def test_field_errors_answer_the_documented_400(schema, alice):
    body_schema = schema["paths"][ROOMS_URL]["post"]["responses"]["400"]["content"][
        "application/json"
    ]["schema"]

    response = alice.post(ROOMS_URL, {"configuration": {"colour": "red"}}, format="json")

    assert response.status_code == 400
    validator(schema, body_schema).validate(response.json())


def test_configuration_requests_allow_no_other_keys(schema, alice):
    request = schema["components"]["schemas"]["RoomConfigurationRequest"]
    response = schema["components"]["schemas"]["RoomConfiguration"]

    assert request["additionalProperties"] is False
    assert "additionalProperties" not in response
    assert alice.post(ROOMS_URL, {"configuration": {"x": 1}}, format="json").status_code == 400


@pytest.mark.parametrize(("name", "value"), [("page", "0"), ("page_size", "null")])
def test_list_parameters_outside_the_schema_are_400(alice, name, value):
    response = alice.get(ROOMS_URL, {name: value})

    assert response.status_code == 400
    assert response.json() == {name: ["A positive integer is required."]}


def test_a_token_request_without_credentials_is_a_documented_401(schema, api_client):
    documented = schema["paths"][TOKEN_URL]["post"]["responses"]["401"]

    response = api_client.post(
        TOKEN_URL, {"grant_type": "client_credentials", "scope": "a@example.com"}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "MissingCredentials" in documented["content"]["application/json"]["examples"]
