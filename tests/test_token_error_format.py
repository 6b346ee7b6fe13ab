"""``TOKEN_ERROR_FORMAT``: the token endpoint answers integrators in RFC 6749's shape (default) or
in La Suite Meet's (reference §2.3: statuses, ``{"detail": ...}`` or ``{"error": ...}`` per case,
DRF field errors); and ``TOKEN_VIEW_CLASS``, a host's own token view without re-mounting URLs."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from django_app_delegation import hooks
from tests.doubles import UnsavableUser
from tests.helpers import FORM, TOKEN_URL, post_token, request_token, token_params

pytestmark = pytest.mark.django_db


@pytest.fixture
def meet_format(delegation):
    delegation(TOKEN_ERROR_FORMAT="meet")


def assert_body(response, status, body):
    assert response.status_code == status, response.content
    assert response.json() == body
    assert response["Cache-Control"] == "no-store"


# -- Meet's shapes --------------------------------------------------------------------------------


def test_missing_fields_are_field_errors(meet_format):
    response = post_token({"grant_type": "client_credentials"})

    assert_body(
        response,
        400,
        {
            "client_id": ["This field is required."],
            "client_secret": ["This field is required."],
            "scope": ["This field is required."],
        },
    )


def test_blank_fields_and_an_unknown_grant_type_are_reported_together(meet_format, application):
    body = {**token_params(application), "client_secret": "  ", "grant_type": "password"}

    response = post_token(body, content_type=FORM)

    assert_body(
        response,
        400,
        {
            "client_secret": ["This field may not be blank."],
            "grant_type": ['"password" is not a valid choice.'],
        },
    )


def test_an_unknown_grant_type_alone_is_a_field_error(meet_format, application, user):
    response = request_token(application, grant_type="authorization_code")

    assert_body(response, 400, {"grant_type": ['"authorization_code" is not a valid choice.']})


def test_a_field_that_is_not_a_string_is_a_field_error(meet_format, application):
    response = post_token({**token_params(application), "scope": None, "client_id": ["a"]})

    assert_body(
        response,
        400,
        {"client_id": ["Not a valid string."], "scope": ["This field is required."]},
    )


def test_http_basic_credentials_need_no_body_fields(meet_format, application):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==")

    response = client.post(TOKEN_URL, {"grant_type": "client_credentials"}, format="json")

    assert_body(response, 400, {"scope": ["This field is required."]})


def test_missing_client_credentials_are_field_errors_without_a_challenge(meet_format, application):
    body = {"grant_type": "client_credentials", "scope": "alice@example.com"}

    response = post_token({**body, "client_id": application.client_id})

    assert_body(response, 400, {"client_secret": ["This field is required."]})
    assert "WWW-Authenticate" not in response


def test_malformed_json_is_a_detail(meet_format):
    response = post_token('{"grant_type": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")


@pytest.mark.parametrize("secret", ["wrong-secret", None])
def test_bad_credentials_are_401_details(meet_format, application, user, secret):
    overrides = {"client_secret": secret} if secret else {"client_id": "unknown-client-id"}

    response = request_token(application, **overrides)

    assert_body(response, 401, {"detail": "Invalid credentials"})


def test_an_inactive_application_is_a_401_detail(meet_format, make_application, user):
    application = make_application(is_active=False)

    assert_body(request_token(application), 401, {"detail": "Application is inactive"})


def test_an_invalid_email_is_an_error(meet_format, application):
    response = request_token(application, "not-an-email")

    assert_body(response, 400, {"error": "Scope should be a valid email address."})


def test_a_domain_not_allowed_is_a_403_error(meet_format, application, django_user_model):
    django_user_model.objects.create_user(username="eve", email="eve@elsewhere.org")

    response = request_token(application, "eve@elsewhere.org")

    assert_body(
        response, 403, {"error": "This application is not authorized for this email domain."}
    )


def test_an_unknown_user_is_a_404_detail(meet_format, application):
    response = request_token(application, "nobody@example.com")

    assert_body(response, 404, {"detail": "User not found."})


def test_a_failed_provisioning_is_a_409_error(meet_format, delegation, application, monkeypatch):
    delegation(ALLOW_USER_CREATION=True)
    monkeypatch.setattr(hooks, "_build_provisional_user", lambda email: UnsavableUser())

    response = request_token(application, "newcomer@example.com")

    assert_body(response, 409, {"error": "Failed to create or retrieve provisional user."})


def test_several_users_sharing_an_email_is_a_400_error(meet_format, application, django_user_model):
    for name in ("dup1", "dup2"):
        django_user_model.objects.create_user(username=name, email="dup@example.com")

    response = request_token(application, "dup@example.com")

    assert_body(response, 400, {"error": "Several user accounts share this email address."})


def test_transport_errors_keep_drfs_detail(meet_format):
    unsupported = post_token("scope=x", content_type="text/plain")
    not_allowed = APIClient().get(TOKEN_URL)

    assert_body(unsupported, 415, {"detail": 'Unsupported media type "text/plain" in request.'})
    assert_body(not_allowed, 405, {"detail": 'Method "GET" not allowed.'})


# -- limits, lockout and an unreachable cache: DRF's details, as Meet's other endpoints answer --


def throttled_in(seconds):
    return {"detail": f"Request was throttled. Expected available in {seconds} seconds."}


def test_the_limit_per_client_ip_is_a_429_detail(meet_format, delegation, application, user, clock):
    delegation(TOKEN_RATE_PER_IP="1/minute")

    responses = [request_token(application) for _ in range(2)]

    assert responses[0].status_code == 200
    assert_body(responses[1], 429, throttled_in(60))
    assert responses[1]["Retry-After"] == "60"


def test_the_limit_per_application_is_a_429_detail(
    meet_format, delegation, application, user, clock
):
    delegation(TOKEN_RATE_PER_APPLICATION="1/minute")

    responses = [request_token(application) for _ in range(2)]

    assert responses[0].status_code == 200
    assert_body(responses[1], 429, throttled_in(60))
    assert responses[1]["Retry-After"] == "60"


def test_a_locked_out_client_id_is_a_429_detail(meet_format, delegation, application, user, clock):
    delegation(TOKEN_LOCKOUT_FAILURES=2, TOKEN_RATE_PER_IP=None)

    failures = [request_token(application, client_secret="wrong") for _ in range(2)]
    locked_out = request_token(application)

    assert [response.json() for response in failures] == [{"detail": "Invalid credentials"}] * 2
    assert_body(locked_out, 429, throttled_in(900))
    assert locked_out["Retry-After"] == "900"


def test_limits_that_cannot_be_checked_are_a_503_detail(meet_format, delegation, application):
    delegation(THROTTLE_CACHE="unreachable", THROTTLE_CACHE_FAILURE="deny")

    response = request_token(application)

    assert_body(
        response, 503, {"detail": "Request limits cannot be checked right now; try again later."}
    )
    assert response["Retry-After"] == "5"


def test_the_disabled_endpoint_is_a_404_detail(meet_format, delegation):
    delegation(ENABLED=False)

    assert post_token({}).json() == {"detail": "Not found."}


def test_a_token_is_answered_the_same_in_both_formats(meet_format, application, user):
    response = request_token(application)

    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "token_type", "expires_in", "scope"}


def test_failed_provisioning_is_an_rfc6749_error_by_default(delegation, application, monkeypatch):
    delegation(ALLOW_USER_CREATION=True)
    monkeypatch.setattr(hooks, "_build_provisional_user", lambda email: UnsavableUser())

    response = request_token(application, "newcomer@example.com")

    assert_body(
        response,
        409,
        {
            "error": "invalid_grant",
            "error_description": "Failed to create or retrieve provisional user.",
        },
    )


def test_e051_for_an_unknown_format(delegation):
    delegation(TOKEN_ERROR_FORMAT="xml")

    assert "django_app_delegation.E051" in [message.id for message in run_checks()]


# -- TOKEN_VIEW_CLASS -----------------------------------------------------------------------------


@pytest.fixture
def audited_view(delegation, rebuild_urls):
    delegation(TOKEN_VIEW_CLASS="tests.doubles.AuditedTokenView")
    rebuild_urls()


def test_a_host_token_view_serves_the_endpoint_without_remounting_urls(
    audited_view, application, user
):
    response = request_token(application)

    assert response.status_code == 200, response.content
    assert response.json()["application"] == "Partner"


@pytest.mark.urls("tests.schema_urls")
def test_a_host_token_view_is_documented_like_the_default_one(audited_view):
    schema = SchemaGenerator().get_schema(request=None, public=True)

    operation = schema["paths"]["/external-api/v1.0/application/token/"]["post"]
    assert operation["operationId"] == "generateToken"


def test_e052_for_a_view_that_is_not_a_token_view(delegation):
    delegation(TOKEN_VIEW_CLASS="tests.doubles.NotATokenView")

    assert "django_app_delegation.E052" in [message.id for message in run_checks()]


@pytest.mark.urls("tests.schema_urls")
def test_openapi_documents_meets_bodies_in_the_meet_format(meet_format, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    schema = SchemaGenerator().get_schema(request=None, public=True)

    responses = schema["paths"]["/external-api/v1.0/application/token/"]["post"]["responses"]
    examples = {
        code: [
            example["value"] for example in body["content"]["application/json"]["examples"].values()
        ]
        for code, body in responses.items()
        if code != "200"
    }
    assert {"detail": "Invalid credentials"} in examples["401"]
    assert {"detail": "User not found."} in examples["404"]
    assert {"error": "Scope should be a valid email address."} in examples["400"]
    assert {"error": "This application is not authorized for this email domain."} in examples["403"]
    assert {"client_secret": ["This field is required."]} in examples["400"]
    assert examples["429"] == [
        {"detail": "Request was throttled. Expected available in 42 seconds."}
    ]
    assert examples["503"] == [
        {"detail": "Request limits cannot be checked right now; try again later."}
    ]
    for code in ("429", "503"):
        assert "Retry-After" in responses[code]["headers"]
