"""Hostile request bodies get a JSON 400, never an HTML page or a 500: JSON nested past Python's
recursion limit, and the bodies Django refuses to read (``DATA_UPLOAD_MAX_MEMORY_SIZE``,
``DATA_UPLOAD_MAX_NUMBER_FIELDS``). The token endpoint answers RFC 6749's ``invalid_request``,
the resource API DRF's ``{"detail": ...}``.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.helpers import FORM, WIDGETS, client_for, post_token, token_params, widget_url
from tests.testapp.models import Widget

pytestmark = pytest.mark.django_db

JSON = "application/json"
# Levels of nesting past the recursion limit of every supported Python: 3.11 and 3.12 stop at
# about 1,000, 3.13 parses 3,000 and stops near 10,000. 200 kB, under the upload limit.
DEPTH = 100_000
NESTED = {
    "arrays": "[" * DEPTH + "]" * DEPTH,
    "objects": '{"a":' * DEPTH + "1" + "}" * DEPTH,
}
NESTED_DETAIL = "JSON parse error - the document is nested too deeply."
LIMIT = 1024  # DATA_UPLOAD_MAX_MEMORY_SIZE lowered for the tests, in bytes
FIELD_LIMIT = 10  # DATA_UPLOAD_MAX_NUMBER_FIELDS lowered for the tests


def encode(params, content_type):
    return json.dumps(params) if content_type == JSON else urlencode(params)


def assert_invalid_request(response, description):
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {"error": "invalid_request", "error_description": description}


def assert_parse_error(response, detail):
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": detail}


@pytest.fixture
def server_client():
    """A client that answers like a server: exceptions become responses, not test errors."""
    return APIClient(raise_request_exception=False)


@pytest.fixture
def partner_client(partner, user):
    """A client for alice holding every scope of :func:`partner`, answering like a server."""
    return client_for(partner, raise_request_exception=False)


# -- the token endpoint ---------------------------------------------------------------------------


@pytest.mark.parametrize("body", NESTED.values(), ids=NESTED.keys())
def test_token_view_answers_deeply_nested_json_with_invalid_request(server_client, body):
    response = post_token(body, content_type=JSON, client=server_client)

    assert_invalid_request(response, f"Malformed request body: {NESTED_DETAIL}")


@pytest.mark.parametrize("content_type", [JSON, FORM])
def test_token_view_answers_a_body_over_the_upload_limit_with_invalid_request(
    server_client, application, user, settings, content_type
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    body = encode(
        {**token_params(application), "scope": "alice@example.com " + "x" * LIMIT}, content_type
    )

    response = post_token(body, content_type=content_type, client=server_client)

    assert_invalid_request(response, f"The request body is larger than {LIMIT} bytes.")


@pytest.mark.parametrize("content_type", [JSON, FORM])
def test_token_view_issues_a_token_for_a_body_exactly_at_the_upload_limit(
    server_client, application, user, settings, content_type
):
    body = encode(token_params(application), content_type)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body.encode())

    response = post_token(body, content_type=content_type, client=server_client)

    assert response.status_code == 200, response.content
    assert "access_token" in response.json()


def test_token_view_answers_a_form_with_too_many_fields_with_invalid_request(
    server_client, application, user, settings
):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = FIELD_LIMIT
    extra = {f"extra{i}": "1" for i in range(FIELD_LIMIT)}

    response = post_token(
        encode({**token_params(application), **extra}, FORM),
        content_type=FORM,
        client=server_client,
    )

    assert_invalid_request(response, f"The request has more than {FIELD_LIMIT} fields.")


def test_token_view_logs_a_refused_body_on_djangos_security_logger(
    server_client, application, user, settings, caplog
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    body = encode({**token_params(application), "scope": "x" * LIMIT}, JSON)

    with caplog.at_level(logging.ERROR, logger="django.security"):
        post_token(body, content_type=JSON, client=server_client)

    [record] = [r for r in caplog.records if r.name.startswith("django.security")]
    assert record.name == "django.security.RequestDataTooBig"
    assert record.status_code == 400


# -- the resource API -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", NESTED.values(), ids=NESTED.keys())
@pytest.mark.parametrize("method", ["post", "patch"])
def test_resource_api_answers_deeply_nested_json_with_a_parse_error(partner_client, method, body):
    created = partner_client.post(WIDGETS, {"name": "Lamp"}, format="json")
    assert created.status_code == 201, created.content
    url = WIDGETS if method == "post" else widget_url(created.json()["id"])

    response = getattr(partner_client, method)(url, body, content_type=JSON)

    assert_parse_error(response, NESTED_DETAIL)
    assert list(Widget.objects.values_list("name", flat=True)) == ["Lamp"]


@pytest.mark.parametrize("content_type", [JSON, FORM, "multipart"])
def test_resource_api_answers_a_body_over_the_upload_limit_with_a_parse_error(
    partner_client, settings, content_type
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    data = {"name": "x" * (LIMIT + 1)}

    if content_type == "multipart":
        response = partner_client.post(WIDGETS, data, format="multipart")
    else:
        response = partner_client.post(
            WIDGETS, encode(data, content_type), content_type=content_type
        )

    assert_parse_error(response, f"The request body is larger than {LIMIT} bytes.")
    assert not Widget.objects.exists()


@pytest.mark.parametrize("content_type", [FORM, "multipart"])
def test_resource_api_answers_too_many_fields_with_a_parse_error(
    partner_client, settings, content_type
):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = FIELD_LIMIT
    data = {"name": "Lamp", **{f"extra{i}": "1" for i in range(FIELD_LIMIT)}}

    if content_type == "multipart":
        response = partner_client.post(WIDGETS, data, format="multipart")
    else:
        response = partner_client.post(WIDGETS, encode(data, FORM), content_type=FORM)

    assert_parse_error(response, f"The request has more than {FIELD_LIMIT} fields.")
    assert not Widget.objects.exists()


def test_resource_api_answers_too_many_files_with_a_parse_error(partner_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = [SimpleUploadedFile(f"{i}.txt", b"x") for i in range(3)]

    response = partner_client.post(WIDGETS, {"name": "Lamp", "files": files}, format="multipart")

    assert_parse_error(response, "The request has more than 2 files.")
    assert not Widget.objects.exists()


@pytest.mark.parametrize("content_type", [JSON, FORM, "multipart"])
def test_resource_api_still_accepts_each_default_media_type(partner_client, content_type):
    data = {"name": "Lamp"}

    if content_type == "multipart":
        response = partner_client.post(WIDGETS, data, format="multipart")
    else:
        response = partner_client.post(
            WIDGETS, encode(data, content_type), content_type=content_type
        )

    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Lamp"
