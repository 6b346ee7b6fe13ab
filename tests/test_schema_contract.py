"""The OpenAPI document is a contract generators, validators and Swagger UI can use: legal OAS 3.0
security requirements, an OAuth 2.0 client-credentials scheme, JSON request bodies, every answer
of the resource API documented, links between operations, and plain-language texts.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import patched_settings

pytestmark = pytest.mark.urls("tests.schema_urls")

TOKEN_PATH = "/external-api/v1.0/application/token/"
WIDGETS = "/external-api/v1.0/widgets/"
WIDGET = "/external-api/v1.0/widgets/{id}/"
NOTES = "/external-api/v1.0/notes/"


@pytest.fixture
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def split_schema():
    with patched_settings({"COMPONENT_SPLIT_REQUEST": True}):
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def test_bearer_requirements_list_no_scopes_as_oas_3_0_requires(schema):
    """OAS 3.0: scopes only on oauth2 (and openIdConnect) schemes; others take an empty list."""
    schemes = schema["components"]["securitySchemes"]
    for _path, _method, operation in operations(schema):
        for requirement in operation.get("security", []):
            for name, scopes in requirement.items():
                if schemes[name]["type"] != "oauth2":
                    assert scopes == [], (name, operation["operationId"])


def test_oauth2_scheme_offers_client_credentials_at_the_token_url(schema):
    scheme = schema["components"]["securitySchemes"]["OAuth2"]

    assert scheme["type"] == "oauth2"
    flow = scheme["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == TOKEN_PATH
    assert flow["scopes"]["widgets:create"] == "Create widgets"
    assert set(flow["scopes"]) >= {"rooms:list", "widgets:list", "notes:create"}
    assert "`scope` is the e-mail of the user to act for" in scheme["description"]
    assert "alice@example.com rooms:list" in scheme["description"]


@pytest.mark.parametrize(
    ("path", "method", "scope"),
    [(WIDGETS, "get", "widgets:list"), (WIDGET, "delete", "widgets:delete")],
)
def test_resource_operations_accept_either_scheme(schema, path, method, scope):
    operation = schema["paths"][path][method]

    assert operation["security"] == [{"OAuth2": [scope]}, {"BearerAuth": []}]


def test_token_url_follows_the_prefix_the_project_includes_the_app_under(settings):
    settings.ROOT_URLCONF = "tests.check_urls"

    from django_app_delegation.schema import token_url

    assert token_url() == "/partner-api/application/token/"


def test_resource_request_bodies_are_json_only(schema):
    for path in (WIDGETS, WIDGET):
        for method, operation in schema["paths"][path].items():
            if "requestBody" in operation:
                assert list(operation["requestBody"]["content"]) == ["application/json"], method


def test_split_components_do_not_ask_clients_for_read_only_fields(split_schema):
    components = split_schema["components"]["schemas"]
    body = split_schema["paths"][WIDGETS]["post"]["requestBody"]["content"]["application/json"]

    assert body["schema"] == {"$ref": "#/components/schemas/WidgetRequest"}
    assert "id" not in components["WidgetRequest"]["properties"]
    assert "id" in components["Widget"]["properties"]
    # The token request keeps its name.
    token_body = split_schema["paths"][TOKEN_PATH]["post"]["requestBody"]["content"]
    form = token_body["application/x-www-form-urlencoded"]
    assert form["schema"] == {"$ref": "#/components/schemas/TokenRequest"}


def test_every_resource_answer_has_a_description(schema):
    for path in (WIDGETS, WIDGET):
        for method, operation in schema["paths"][path].items():
            for code, response in operation["responses"].items():
                assert response["description"].strip(), (method, code)
    assert schema["paths"][WIDGETS]["post"]["responses"]["201"]["description"] == (
        "The widget created."
    )
    assert schema["paths"][WIDGETS]["get"]["responses"]["200"]["description"] == (
        "A page of the widgets the token may reach."
    )


def test_bad_requests_are_field_errors_or_a_parse_error(schema):
    response = schema["paths"][WIDGETS]["post"]["responses"]["400"]
    body = response["content"]["application/json"]["schema"]

    assert body == {
        "oneOf": [
            {"$ref": "#/components/schemas/ValidationError"},
            {"$ref": "#/components/schemas/ErrorDetail"},
        ]
    }
    assert schema["components"]["schemas"]["ErrorDetail"]["required"] == ["detail"]


def test_list_documents_its_parameters_bad_values_and_pages_past_the_end(schema):
    listing = schema["paths"][WIDGETS]["get"]
    parameters = {parameter["name"]: parameter for parameter in listing["parameters"]}

    assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1}
    assert "at most 100" in parameters["page_size"]["description"]
    assert listing["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationError"
    }
    assert "404" in listing["responses"]


def test_pagination_examples_point_at_the_resource(schema):
    page = schema["components"]["schemas"]["PaginatedWidgetList"]

    assert page["required"] == ["count", "next", "previous", "results"]
    assert page["properties"]["next"]["example"].endswith(f"{WIDGETS}?page=3")
    assert "api.example.org/accounts/" not in str(schema)


def test_created_and_listed_objects_link_to_the_operations_on_them(schema):
    links = schema["paths"][WIDGETS]["post"]["responses"]["201"]["links"]

    assert links["RetrieveWidget"] == {
        "operationId": "retrieveWidget",
        "parameters": {"id": "$response.body#/id"},
    }
    assert set(links) == {"RetrieveWidget", "UpdateWidget", "PartialUpdateWidget", "DeleteWidget"}
    listed = schema["paths"][WIDGETS]["get"]["responses"]["200"]["links"]
    assert listed["DeleteWidget"]["parameters"] == {"id": "$response.body#/results/0/id"}
    # Notes allow retrieve only among the detail actions.
    assert set(schema["paths"][NOTES]["post"]["responses"]["201"]["links"]) == {"RetrieveNote"}


def test_examples_have_plain_language_titles(schema):
    token = schema["paths"][TOKEN_PATH]["post"]["responses"]
    titles = [
        example["summary"]
        for response in token.values()
        for example in response.get("content", {})
        .get("application/json", {})
        .get("examples", {})
        .values()
    ]

    assert "A token narrowed to two scopes" in titles
    assert "A parameter is missing" in titles
    assert all(" " in title for title in titles), titles


def test_description_does_not_repeat_the_projects_opening():
    with patched_settings({"DESCRIPTION": "Lets partners manage widgets for their users."}):
        schema = SchemaGenerator().get_schema(request=None, public=True)

    description = schema["info"]["description"]

    assert description.startswith("Lets partners manage widgets for their users.\n\n1. Get a token")
    assert "act on behalf of a user" not in description
    assert f"`POST {TOKEN_PATH}`" in description


def test_description_opens_with_what_the_api_is_for_when_the_project_says_nothing(schema):
    assert schema["info"]["description"].startswith(
        "This API lets a registered **application** act on behalf of a user."
    )
