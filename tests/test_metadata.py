"""Authorization server metadata (RFC 8414): the document's shape, absolute URLs, the endpoints
left out when they are not mounted, the route of an issuer with a path, caching, the OpenAPI
schema, and checks E032 and W006."""

from __future__ import annotations

import importlib
import sys

import pytest
from django.test import RequestFactory, override_settings
from django.urls import clear_url_caches
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from django_app_delegation import urls_wellknown
from django_app_delegation.checks import check_issuer_for_discovery, check_settings
from django_app_delegation.metadata import authorization_server_metadata, metadata_route
from tests import settings as test_settings

ID = "django_app_delegation"
METADATA_URL = "/.well-known/oauth-authorization-server"
API = "http://testserver/external-api/v1.0"
VOCABULARY = list(test_settings.APP_DELEGATION["SCOPES"])
METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]


def get_metadata(url=METADATA_URL, **extra):
    response = APIClient().get(url, **extra)
    return response, (response.json() if response.status_code == 200 else None)


# -- the document --------------------------------------------------------------------------------


def test_metadata_describes_the_token_endpoint_keys_grants_and_scopes():
    response, document = get_metadata()

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert document == {
        "issuer": "tests",
        "token_endpoint": f"{API}/application/token/",
        "jwks_uri": "http://testserver/.well-known/jwks.json",
        "scopes_supported": VOCABULARY,
        "response_types_supported": [],
        "grant_types_supported": [
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
        ],
        "token_endpoint_auth_methods_supported": METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ALGORITHMS,
        "revocation_endpoint": f"{API}/application/revoke/",
        "revocation_endpoint_auth_methods_supported": METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": ALGORITHMS,
        "introspection_endpoint": f"{API}/application/introspect/",
        "introspection_endpoint_auth_methods_supported": METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": ALGORITHMS,
    }
    # The fields in the order of RFC 8414 §2.
    assert list(document) == list(
        dict.fromkeys(["issuer", "token_endpoint", "jwks_uri", *document])
    )


def test_metadata_is_a_public_document_caches_may_keep():
    response, _ = get_metadata()
    directives = {item.strip() for item in response["Cache-Control"].split(",")}
    assert directives == {"public", "max-age=3600"}


def test_metadata_urls_are_absolute_for_the_host_and_scheme_of_the_request():
    _, document = get_metadata(HTTP_HOST="auth.example.org", secure=True)
    assert document["token_endpoint"] == (
        "https://auth.example.org/external-api/v1.0/application/token/"
    )
    assert document["jwks_uri"] == "https://auth.example.org/.well-known/jwks.json"


@pytest.mark.urls("tests.discovery_urls")
def test_metadata_leaves_out_revocation_and_introspection_when_they_are_not_mounted():
    _, document = get_metadata()
    assert document["token_endpoint"] == f"{API}/application/token/"
    assert not [field for field in document if field.startswith(("revocation", "introspection"))]


def test_metadata_lists_revocation_and_introspection_last_when_they_are_mounted():
    _, document = get_metadata()
    assert document["revocation_endpoint"] == f"{API}/application/revoke/"
    assert document["introspection_endpoint"] == f"{API}/application/introspect/"
    assert list(document)[-6:-3] == [
        "revocation_endpoint",
        "revocation_endpoint_auth_methods_supported",
        "revocation_endpoint_auth_signing_alg_values_supported",
    ]


@pytest.mark.urls("tests.schema_urls")
def test_metadata_leaves_out_the_jwks_when_it_is_not_mounted():
    document = authorization_server_metadata(RequestFactory().get("/"))
    assert "jwks_uri" not in document
    assert document["token_endpoint"] == f"{API}/application/token/"


def test_metadata_follows_the_settings_in_force(delegation):
    delegation(ISSUER=None, SCOPES={"rooms:list": "List rooms"})
    _, document = get_metadata()
    assert "issuer" not in document
    assert document["scopes_supported"] == ["rooms:list"]


@pytest.mark.parametrize(
    ("value", "published"),
    [
        ("https://docs.example.org/api/", "https://docs.example.org/api/"),
        ("/api/docs/", "http://testserver/api/docs/"),
    ],
)
def test_metadata_publishes_the_service_documentation_when_set(delegation, value, published):
    _, document = get_metadata()
    assert "service_documentation" not in document
    delegation(SERVICE_DOCUMENTATION_URL=value)
    _, document = get_metadata()
    assert document["service_documentation"] == published


def test_metadata_advertises_only_grant_types_the_token_endpoint_accepts():
    from django_app_delegation.oauth import GRANT_TYPES

    _, document = get_metadata()
    assert document["grant_types_supported"] == list(GRANT_TYPES)
    for grant_type in document["grant_types_supported"]:
        response = APIClient().post(
            document["token_endpoint"], {"grant_type": grant_type}, format="json"
        )
        assert response.json()["error"] != "unsupported_grant_type", grant_type
    refused = APIClient().post(
        document["token_endpoint"],
        {"grant_type": "password", "scope": "a@b.fr", "client_id": "x", "client_secret": "s"},
        format="json",
    )
    assert refused.json()["error"] == "unsupported_grant_type"


def test_metadata_is_not_found_when_the_app_is_disabled(delegation):
    delegation(ENABLED=False)
    response, _ = get_metadata()
    assert response.status_code == 404


def test_metadata_answers_get_only():
    assert APIClient().post(METADATA_URL).status_code == 405


def test_metadata_needs_no_credentials_and_ignores_them():
    response, document = get_metadata(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 200
    assert document["issuer"] == "tests"


# -- the route of an issuer with a path (RFC 8414 §3.1) ------------------------------------------


@pytest.mark.parametrize(
    ("issuer", "route"),
    [
        ("tests", ".well-known/oauth-authorization-server"),
        (None, ".well-known/oauth-authorization-server"),
        ("https://auth.example.org", ".well-known/oauth-authorization-server"),
        ("https://auth.example.org/", ".well-known/oauth-authorization-server"),
        ("https://auth.example.org/meet", ".well-known/oauth-authorization-server/meet"),
        ("https://example.org/tenants/a/", ".well-known/oauth-authorization-server/tenants/a"),
    ],
)
def test_the_route_inserts_the_well_known_path_before_the_issuers_path(delegation, issuer, route):
    delegation(ISSUER=issuer)
    assert metadata_route() == route


def _rebuild_wellknown():
    for name in ("django_app_delegation.urls_wellknown", "tests.urls"):
        importlib.reload(sys.modules[name])
    clear_url_caches()


@pytest.fixture
def rebuilt_wellknown():
    """Rebuild the well-known URLs from the settings in force: ``rebuilt_wellknown()``."""
    yield _rebuild_wellknown
    with override_settings(APP_DELEGATION=test_settings.APP_DELEGATION):
        _rebuild_wellknown()


def test_an_issuer_with_a_path_gets_its_metadata_under_that_path(delegation, rebuilt_wellknown):
    delegation(ISSUER="https://auth.example.org/meet")
    rebuilt_wellknown()

    response, document = get_metadata(f"{METADATA_URL}/meet")

    assert response.status_code == 200
    assert document["issuer"] == "https://auth.example.org/meet"
    assert get_metadata(METADATA_URL)[0].status_code == 404
    assert urls_wellknown.urlpatterns[1].name == "oauth-authorization-server"


# -- the OpenAPI schema --------------------------------------------------------------------------


def test_the_schema_describes_the_metadata_under_discovery(delegation):
    schema = SchemaGenerator(urlconf="django_app_delegation.urls_wellknown").get_schema(
        request=None, public=True
    )

    operation = schema["paths"][f"{METADATA_URL}"]["get"]
    assert operation["tags"] == ["discovery"]
    assert operation["operationId"] == "authorizationServerMetadata"
    content = operation["responses"]["200"]["content"]["application/json"]
    assert content["schema"] == {"$ref": "#/components/schemas/AuthorizationServerMetadata"}
    properties = schema["components"]["schemas"]["AuthorizationServerMetadata"]["properties"]
    # Every field the fullest document has (every endpoint mounted, the documentation set).
    delegation(SERVICE_DOCUMENTATION_URL="/docs/")
    _, document = get_metadata()
    assert set(properties) == set(document)
    assert schema["paths"]["/.well-known/jwks.json"]["get"]["tags"] == ["discovery"]


# -- checks: E032, W006 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["docs.example.org", "ftp://docs.example.org", "//evil.example/docs", "javascript:x", 42, ""],
)
def test_e032_service_documentation_is_an_http_url_or_a_site_path(delegation, value):
    delegation(SERVICE_DOCUMENTATION_URL=value)
    assert [message.id for message in check_settings()] == [f"{ID}.E032"]


@pytest.mark.parametrize("value", [None, "https://docs.example.org/api/", "/api/docs/"])
def test_e032_accepts_none_an_url_or_a_path(delegation, value):
    delegation(SERVICE_DOCUMENTATION_URL=value)
    assert check_settings() == []


@pytest.mark.parametrize(
    "issuer", ["tests", None, "http://auth.example.org", "https://auth.example.org/?tenant=a"]
)
def test_w006_the_served_metadata_needs_an_https_issuer(delegation, issuer):
    delegation(ISSUER=issuer)
    assert [message.id for message in check_issuer_for_discovery()] == [f"{ID}.W006"]


def test_w006_is_satisfied_by_an_https_issuer(delegation):
    delegation(ISSUER="https://auth.example.org/meet")
    assert check_issuer_for_discovery() == []


@pytest.mark.urls("tests.schema_urls")
def test_w006_says_nothing_when_the_metadata_is_not_served():
    assert check_issuer_for_discovery() == []


def test_w006_is_a_deployment_check():
    from django.core.checks import registry

    assert check_issuer_for_discovery in registry.registry.get_checks(
        include_deployment_checks=True
    )
    assert check_issuer_for_discovery not in registry.registry.get_checks()
