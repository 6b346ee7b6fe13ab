"""The delegation token endpoint, specified by its answers: statuses, bodies and headers."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from urllib.parse import quote_plus, urlencode

import jwt
import pytest
from django.contrib.auth.hashers import make_password
from django.test.client import MULTIPART_CONTENT
from django.urls import reverse
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient

from django_app_delegation import secrets as client_secrets
from django_app_delegation.models import Application
from django_app_delegation.signals import delegation_denied, token_issued
from django_app_delegation.tokens import key_id
from tests.helpers import (
    FORM,
    TOKEN_URL,
    post_token,
    request_token,
    token_claims,
    token_params,
)

pytestmark = pytest.mark.django_db

ALL_SCOPES = "rooms:list rooms:retrieve rooms:create rooms:update rooms:delete"
INVALID_CREDENTIALS = {"error": "invalid_client", "error_description": "Invalid credentials"}
BASIC_CHALLENGE = 'Basic realm="token", charset="UTF-8"'


@pytest.fixture
def body(application):
    """A valid JSON/form body for ``application`` acting for alice@example.com."""
    return token_params(application)


def basic(client_id, client_secret):
    """An RFC 6749 §2.3.1 ``Authorization`` value: form-url-encode each part, then base64."""
    raw = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(raw.encode()).decode()


def assert_no_store(response):
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"


def assert_error(response, status, error, description):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": error, "error_description": description}
    assert_no_store(response)


def assert_token(response, scope=ALL_SCOPES):
    assert response.status_code == 200, response.content
    data = response.json()
    expected = {"access_token": data.get("access_token"), "token_type": "Bearer"}
    expected["expires_in"] = 3600
    if scope is not None:
        expected["scope"] = scope
    assert data == expected
    assert isinstance(data["access_token"], str)
    assert data["access_token"].count(".") == 2
    assert_no_store(response)
    return data


# -- success ---------------------------------------------------------------------------------


def test_token_view_issues_token_for_json_body(body, user):
    assert_token(post_token(body))


def test_token_view_issues_token_for_form_body(body, user):
    assert_token(post_token(body, content_type=FORM))


def test_token_view_accepts_json_with_charset(body, user):
    response = post_token(json.dumps(body), content_type="application/json; charset=utf-8")
    assert_token(response)


def test_token_view_trims_parameters(body, user):
    padded = {name: f"  {value}\t" for name, value in body.items()}
    assert_token(post_token(padded))


def test_token_view_ignores_unknown_parameters(body, user):
    assert_token(post_token({**body, "audience": "elsewhere", "resource": "x"}))


def test_token_view_narrows_token_to_requested_scope(body, user):
    response = post_token({**body, "scope": "alice@example.com rooms:list"})
    data = assert_token(response, scope="rooms:list")
    assert token_claims(data["access_token"])["scope"] == "rooms:list"


def test_token_view_reads_requested_scopes_case_insensitively(body, user):
    response = post_token({**body, "scope": "alice@example.com ROOMS:List Rooms:Create rooms:list"})
    assert_token(response, scope="rooms:list rooms:create")


def test_token_view_strips_scope_prefix_from_requested_scopes(body, user, delegation):
    delegation(SCOPE_PREFIX="meet")
    response = post_token({**body, "scope": "alice@example.com meet:rooms:list rooms:create"})
    assert_token(response, scope="rooms:list rooms:create")


def test_token_view_lists_narrowed_scopes_in_application_order(body, user):
    response = post_token({**body, "scope": "alice@example.com rooms:delete rooms:list"})
    assert_token(response, scope="rooms:list rooms:delete")


def test_token_view_grants_all_application_scopes_when_none_requested(make_application, user):
    app = make_application(scopes=["rooms:create", "rooms:list"])
    response = post_token(token_params(app))
    assert_token(response, scope="rooms:create rooms:list")


def test_token_view_omits_scope_when_application_has_none(make_application, user):
    app = make_application(scopes=[])
    response = post_token(token_params(app))
    data = assert_token(response, scope=None)
    assert "scope" not in token_claims(data["access_token"])


def test_token_view_finds_user_by_email_case_insensitively(body, user):
    data = assert_token(post_token({**body, "scope": "ALICE@Example.COM"}))
    assert token_claims(data["access_token"])["sub"] == str(user.pk)


def test_token_carries_meet_and_rfc9068_claims(body, application, user):
    before = int(time.time())
    data = assert_token(post_token(body))
    after = int(time.time())

    claims = token_claims(data["access_token"])

    assert before <= claims["iat"] <= after
    jti = claims["jti"]
    assert isinstance(jti, str)
    assert len(jti) >= 16
    assert claims == {
        "iss": "tests",
        "aud": "https://api.tests.example/",
        "iat": claims["iat"],
        "exp": claims["iat"] + 3600,
        "jti": jti,
        "sub": str(user.pk),
        "user_id": str(user.pk),
        "client_id": application.client_id,
        "act": {"sub": application.client_id},
        "delegated": True,
        "scope": ALL_SCOPES,
    }


def test_token_header_declares_at_jwt_type_and_key_id(body, user):
    data = assert_token(post_token(body))
    header = jwt.get_unverified_header(data["access_token"])
    assert header == {"alg": "HS256", "typ": "at+jwt", "kid": key_id()}
    assert header["kid"]


def test_token_header_uses_configured_key_id(body, user, delegation):
    delegation(KEY_ID="2026-01")
    data = assert_token(post_token(body))
    assert jwt.get_unverified_header(data["access_token"])["kid"] == "2026-01"


def test_each_token_has_its_own_jti(body, user):
    first = token_claims(assert_token(post_token(body))["access_token"])
    second = token_claims(assert_token(post_token(body))["access_token"])
    assert first["jti"] != second["jti"]


def test_token_lifetime_follows_setting(body, user, delegation):
    delegation(ACCESS_TOKEN_LIFETIME=timedelta(minutes=5))
    response = post_token(body)
    assert response.status_code == 200, response.content
    assert response.json()["expires_in"] == 300
    claims = token_claims(response.json()["access_token"])
    assert claims["exp"] - claims["iat"] == 300


def test_token_view_records_last_use(body, application, user):
    assert application.last_used_at is None
    before = application.updated_at
    assert_token(post_token(body))
    application.refresh_from_db()
    assert application.last_used_at is not None
    assert application.last_used_at >= before


def test_token_view_issues_its_first_token_in_four_queries(body, user, django_assert_num_queries):
    with django_assert_num_queries(4) as captured:
        # 1. SELECT the application by client_id LEFT JOIN its allowed domains (the secret is
        #    verified in Python; the default CAN_DELEGATE hook reads the domains loaded).
        # 2. SELECT users whose lower-cased e-mail matches, LIMIT 2 (GET_DELEGATED_USER).
        # 3. UPDATE the application's last_used_at (never recorded before).
        # 4. INSERT the audit event.
        response = post_token(body)
    assert response.status_code == 200, response.content
    sql = [query["sql"] for query in captured.captured_queries]
    assert sql[0].startswith("SELECT") and "client_id" in sql[0]
    assert "LEFT OUTER JOIN" in sql[0] and "applicationdomain" in sql[0]
    assert sql[1].startswith("SELECT") and "testapp_user" in sql[1] and "LOWER(" in sql[1]
    assert sql[2].startswith("UPDATE") and "last_used_at" in sql[2]
    assert sql[3].startswith("INSERT") and "delegationevent" in sql[3]


def test_consecutive_tokens_write_last_used_at_once_per_interval(
    body, application, user, django_assert_num_queries
):
    """Like La Suite Messages: ``last_used_at`` is precise to LAST_USED_UPDATE_INTERVAL."""
    assert_token(post_token(body))
    first_use = Application.objects.get(pk=application.pk).last_used_at

    for _ in range(3):
        with django_assert_num_queries(3) as captured:  # Two SELECTs and the audit INSERT.
            assert_token(post_token(body))
        assert not [q for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert Application.objects.get(pk=application.pk).last_used_at == first_use

    # Five minutes later, the next token records the time again.
    Application.objects.filter(pk=application.pk).update(
        last_used_at=first_use - timedelta(minutes=5)
    )
    with django_assert_num_queries(4):
        assert_token(post_token(body))
    assert Application.objects.get(pk=application.pk).last_used_at > first_use


def test_last_used_interval_follows_its_setting(body, application, user, delegation):
    delegation(LAST_USED_UPDATE_INTERVAL=timedelta(0))
    used_at = []
    for _ in range(2):
        assert_token(post_token(body))
        used_at.append(Application.objects.get(pk=application.pk).last_used_at)
    assert used_at[1] > used_at[0]


@pytest.mark.parametrize("destinations", [(), ("logging",), ("signal",)])
def test_without_the_database_trail_a_repeated_token_costs_two_selects_and_no_write(
    body, user, delegation, django_assert_num_queries, destinations
):
    delegation(AUDIT_DESTINATIONS=destinations)
    assert_token(post_token(body))
    with django_assert_num_queries(2) as captured:
        assert_token(post_token(body))
    assert all(query["sql"].startswith("SELECT") for query in captured.captured_queries)


def test_with_the_database_trail_a_repeated_token_adds_one_insert(
    body, user, delegation, django_assert_num_queries
):
    delegation(AUDIT_DESTINATIONS=("database", "logging"))
    assert_token(post_token(body))
    with django_assert_num_queries(3) as captured:
        assert_token(post_token(body))
    sql = [query["sql"] for query in captured.captured_queries]
    assert [statement.split()[0] for statement in sql] == ["SELECT", "SELECT", "INSERT"]


def test_domains_loaded_with_the_application_decide_without_a_query(
    body, application, user, django_assert_num_queries
):
    found = Application.objects.get_with_domains(application.client_id)
    with django_assert_num_queries(0):
        assert found.allowed_domain_names() == ["example.com"]
        assert found.can_delegate_email("someone@example.com")
        assert not found.can_delegate_email("someone@example.org")


def test_domains_loaded_with_the_application_are_all_of_them_in_order(make_application):
    application = make_application(domains=["b.example", "*.a.example", "c.example"])
    make_application(name="Other", domains=["other.example"])
    found = Application.objects.get_with_domains(application.client_id)
    assert found == application
    assert found.allowed_domain_names() == ["*.a.example", "b.example", "c.example"]
    assert Application.objects.get_with_domains("no-such-client") is None


def test_application_without_domains_loads_with_none(make_application):
    application = make_application(domains=[])
    found = Application.objects.get_with_domains(application.client_id)
    assert found == application
    assert found.allowed_domain_names() == []


def test_domain_removed_applies_at_the_next_request(body, application, user):
    assert_token(post_token(body))
    application.allowed_domains.all().delete()
    response = post_token(body)
    assert response.status_code == 403, response.content
    assert response.json()["error"] == "invalid_scope"


def test_deactivation_applies_at_the_next_token_request(body, application, user):
    assert_token(post_token(body))
    Application.objects.filter(pk=application.pk).set_active(False)
    response = post_token(body)
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"


def test_scope_withdrawn_applies_at_the_next_token_request(body, application, user):
    assert_token(
        post_token({**body, "scope": body["scope"].split()[0] + " rooms:list"}), "rooms:list"
    )
    Application.objects.filter(pk=application.pk).update(scopes=[])
    response = post_token({**body, "scope": body["scope"].split()[0] + " rooms:list"})
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_scope"


# -- the endpoint itself ---------------------------------------------------------------------


def test_token_view_answers_404_when_disabled(body, user, delegation):
    delegation(ENABLED=False)
    response = post_token(body)
    assert response.status_code == 404
    assert "access_token" not in response.json()
    assert_no_store(response)


def test_token_view_answers_404_when_disabled_before_reading_the_body(delegation):
    delegation(ENABLED=False)
    response = post_token("{not json", content_type="application/json")
    assert response.status_code == 404


def test_token_view_is_routed_as_app_delegation_token():
    assert reverse("app_delegation:token") == TOKEN_URL


def test_token_view_rejects_get():
    response = APIClient().get(TOKEN_URL)
    assert_error(response, 405, "invalid_request", "Method 'GET' not allowed.")
    assert "POST" in response["Allow"]


# -- request bodies --------------------------------------------------------------------------


def test_token_view_rejects_text_plain(body):
    response = post_token(urlencode(body), content_type="text/plain")
    assert_error(
        response, 415, "invalid_request", "Unsupported media type 'text/plain' in request."
    )


def test_token_view_rejects_multipart(body):
    response = APIClient().post(TOKEN_URL, body, format="multipart")
    assert_error(
        response,
        415,
        "invalid_request",
        f"Unsupported media type '{MULTIPART_CONTENT}; charset=utf-8' in request.",
    )


def test_token_view_rejects_malformed_json():
    response = post_token('{"grant_type": "client_credentials",', content_type="application/json")
    assert response.status_code == 400
    data = response.json()
    assert set(data) == {"error", "error_description"}
    assert data["error"] == "invalid_request"
    assert data["error_description"].startswith("Malformed request body: JSON parse error")
    assert_no_store(response)


@pytest.mark.parametrize("payload", ["[]", '["client_credentials"]', "null", '"scope"', "42"])
def test_token_view_rejects_json_that_is_not_an_object(payload):
    response = post_token(payload, content_type="application/json")
    assert_error(response, 400, "invalid_request", "The request body must be an object.")


@pytest.mark.parametrize("name", ["grant_type", "client_id", "client_secret", "scope"])
@pytest.mark.parametrize("value", [42, True, ["alice@example.com"], {"a": "b"}])
def test_token_view_rejects_non_string_parameter(body, name, value):
    response = post_token({**body, name: value})
    assert_error(response, 400, "invalid_request", f"Invalid parameter: {name}")


@pytest.mark.parametrize("name", ["grant_type", "client_id", "client_secret", "scope"])
def test_token_view_rejects_duplicate_form_parameter(body, name):
    response = post_token({**body, name: [body[name], body[name]]}, content_type=FORM)
    assert_error(response, 400, "invalid_request", f"Duplicate parameter: {name}")


def test_token_view_names_every_missing_parameter_in_order():
    response = post_token({})
    assert_error(response, 400, "invalid_request", "Missing parameter: grant_type, scope")


def test_token_view_treats_empty_json_body_as_missing_parameters():
    response = post_token("", content_type="application/json")
    assert_error(response, 400, "invalid_request", "Missing parameter: grant_type, scope")


def test_token_view_names_missing_parameters(body):
    response = post_token(
        {"grant_type": "client_credentials", "client_secret": body["client_secret"]}
    )
    assert_error(response, 400, "invalid_request", "Missing parameter: scope")


def test_token_view_names_missing_form_parameters(body):
    response = post_token({"client_id": body["client_id"], "scope": "x"}, content_type=FORM)
    assert_error(response, 400, "invalid_request", "Missing parameter: grant_type")


@pytest.mark.parametrize("blank", ["", "   ", "\t\n", None])
def test_token_view_counts_blank_parameters_as_missing(body, blank):
    response = post_token({**body, "client_id": blank, "scope": blank})
    assert_error(response, 400, "invalid_request", "Missing parameter: scope")


def test_token_view_counts_blank_form_parameters_as_missing(body):
    response = post_token({**body, "client_secret": " ", "grant_type": ""}, content_type=FORM)
    assert_error(response, 400, "invalid_request", "Missing parameter: grant_type")


def test_token_view_rejects_oversized_scope(body):
    response = post_token({**body, "scope": "alice@example.com " + "rooms:list " * 500})
    assert_error(response, 400, "invalid_request", "Invalid parameter: scope")


@pytest.mark.parametrize("grant_type", ["authorization_code", "password", "CLIENT_CREDENTIALS"])
def test_token_view_rejects_other_grant_types(body, grant_type):
    response = post_token({**body, "grant_type": grant_type})
    assert_error(
        response,
        400,
        "unsupported_grant_type",
        f"Unsupported grant_type '{grant_type}'; use 'client_credentials' or "
        "'urn:ietf:params:oauth:grant-type:jwt-bearer'.",
    )


# -- client authentication -------------------------------------------------------------------


def test_token_view_rejects_unknown_client(body):
    response = post_token({**body, "client_id": "unknown-client"})
    assert_error(response, 401, *INVALID_CREDENTIALS.values())
    assert "WWW-Authenticate" not in response


def test_token_view_rejects_wrong_secret(body, user):
    response = post_token({**body, "client_secret": body["client_secret"] + "x"})
    assert_error(response, 401, *INVALID_CREDENTIALS.values())
    assert "WWW-Authenticate" not in response


def test_token_view_client_id_is_case_sensitive(body, user):
    response = post_token({**body, "client_id": body["client_id"].swapcase()})
    assert_error(response, 401, *INVALID_CREDENTIALS.values())


def test_token_view_treats_overlong_client_id_as_unknown(body):
    response = post_token({**body, "client_id": "x" * 5000})
    assert_error(response, 401, *INVALID_CREDENTIALS.values())


def test_token_view_treats_client_id_with_nul_character_as_unknown(body):
    # PostgreSQL cannot hold NUL in text: the id must never reach the query as is (no 500).
    response = post_token({**body, "client_id": body["client_id"] + "\x00"})
    assert_error(response, 401, *INVALID_CREDENTIALS.values())


def test_token_view_treats_basic_client_id_with_nul_character_as_unknown(application):
    response = post_token(
        {"grant_type": "client_credentials", "scope": "alice@example.com"},
        HTTP_AUTHORIZATION=basic(application.client_id + "\x00", application.secret),
    )
    assert_error(response, 401, *INVALID_CREDENTIALS.values())
    assert response["WWW-Authenticate"] == BASIC_CHALLENGE


def test_token_view_treats_overlong_secret_as_wrong(body):
    response = post_token({**body, "client_secret": "s" * 100_000})
    assert_error(response, 401, *INVALID_CREDENTIALS.values())


def test_token_view_rejects_inactive_application(make_application, user):
    app = make_application(is_active=False)
    response = post_token(token_params(app))
    assert_error(response, 401, "invalid_client", "Application is inactive")
    assert "WWW-Authenticate" not in response


def test_token_view_hides_inactive_state_from_wrong_secret(make_application, user):
    app = make_application(is_active=False)
    response = post_token(token_params(app) | {"client_secret": "wrong-" + app.secret})
    assert_error(response, 401, *INVALID_CREDENTIALS.values())


def test_token_view_checks_credentials_before_scope(body):
    response = post_token({**body, "client_secret": "wrong", "scope": "not-an-email"})
    assert_error(response, 401, *INVALID_CREDENTIALS.values())


# -- HTTP Basic (RFC 6749 §2.3.1) ------------------------------------------------------------


def test_token_view_accepts_http_basic(application, user):
    response = post_token(
        {"grant_type": "client_credentials", "scope": "alice@example.com"},
        HTTP_AUTHORIZATION=basic(application.client_id, application.secret),
    )
    assert_token(response)


def test_token_view_accepts_http_basic_with_form_body(application, user):
    response = post_token(
        {"grant_type": "client_credentials", "scope": "alice@example.com"},
        content_type=FORM,
        HTTP_AUTHORIZATION=basic(application.client_id, application.secret),
    )
    assert_token(response)


def test_token_view_reads_basic_scheme_case_insensitively(application, user):
    value = basic(application.client_id, application.secret).replace("Basic", "bAsIc")
    response = post_token(
        {"grant_type": "client_credentials", "scope": "alice@example.com"},
        HTTP_AUTHORIZATION=value,
    )
    assert_token(response)


def test_token_view_form_url_decodes_basic_credentials(application, user):
    Application.objects.filter(pk=application.pk).update(client_id="partner:1 é+x")
    application.refresh_from_db()
    application.set_client_secret("p@ss:w rd+x")
    application.save()

    response = post_token(
        {"grant_type": "client_credentials", "scope": "alice@example.com"},
        HTTP_AUTHORIZATION=basic("partner:1 é+x", "p@ss:w rd+x"),
    )
    assert_token(response)


def test_token_view_refuses_basic_credentials_that_were_not_form_url_encoded(application, user):
    application.set_client_secret("p@ss:w rd+x")
    application.save()
    raw = f"{application.client_id}:p@ss:w rd+x".encode()

    response = post_token(
        {"grant_type": "client_credentials", "scope": "alice@example.com"},
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(raw).decode(),
    )
    # Decoded as form data, "+" is a space: the secret no longer matches.
    assert_error(response, 401, *INVALID_CREDENTIALS.values())
    assert response["WWW-Authenticate"] == BASIC_CHALLENGE


def test_token_view_accepts_human_chosen_secret_in_body(application, user):
    application.set_client_secret("p@ss:w rd+x")
    application.save()
    assert application.client_secret.startswith("md5$")
    response = post_token(
        {
            "grant_type": "client_credentials",
            "client_id": application.client_id,
            "client_secret": "p@ss:w rd+x",
            "scope": "alice@example.com",
        }
    )
    assert_token(response)


def test_token_view_challenges_basic_with_unknown_client(application):
    response = post_token(
        {"grant_type": "client_credentials", "scope": "alice@example.com"},
        HTTP_AUTHORIZATION=basic("unknown-client", application.secret),
    )
    assert_error(response, 401, *INVALID_CREDENTIALS.values())
    assert response["WWW-Authenticate"] == BASIC_CHALLENGE


def test_token_view_challenges_basic_with_wrong_secret(application):
    response = post_token(
        {"grant_type": "client_credentials", "scope": "alice@example.com"},
        HTTP_AUTHORIZATION=basic(application.client_id, "wrong"),
    )
    assert_error(response, 401, *INVALID_CREDENTIALS.values())
    assert response["WWW-Authenticate"] == BASIC_CHALLENGE


def test_token_view_challenges_basic_with_inactive_application(make_application):
    app = make_application(is_active=False)
    response = post_token(
        {"grant_type": "client_credentials", "scope": "alice@example.com"},
        HTTP_AUTHORIZATION=basic(app.client_id, app.secret),
    )
    assert_error(response, 401, "invalid_client", "Application is inactive")
    assert response["WWW-Authenticate"] == BASIC_CHALLENGE


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic",
        "Basic ",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b":secret-without-id").decode(),
        "Basic " + base64.b64encode(b"id-without-secret:").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xfd").decode(),
    ],
    ids=["no-value", "empty", "not-base64", "no-colon", "no-id", "no-secret", "not-utf8"],
)
def test_token_view_rejects_malformed_basic_credentials(authorization):
    response = post_token(
        {"grant_type": "client_credentials", "scope": "alice@example.com"},
        HTTP_AUTHORIZATION=authorization,
    )
    assert_error(response, 401, *INVALID_CREDENTIALS.values())
    assert response["WWW-Authenticate"] == BASIC_CHALLENGE


@pytest.mark.parametrize("name", ["client_id", "client_secret"])
def test_token_view_rejects_basic_together_with_body_credentials(body, application, name):
    response = post_token(
        {"grant_type": "client_credentials", "scope": "alice@example.com", name: body[name]},
        HTTP_AUTHORIZATION=basic(application.client_id, application.secret),
    )
    assert_error(
        response,
        400,
        "invalid_request",
        "Use either HTTP Basic or body parameters to authenticate the client, not both.",
    )


def test_token_view_with_basic_names_only_missing_grant_and_scope(application):
    response = post_token({}, HTTP_AUTHORIZATION=basic(application.client_id, application.secret))
    assert_error(response, 400, "invalid_request", "Missing parameter: grant_type, scope")


def test_token_view_ignores_bearer_authorization(body, user):
    assert_token(post_token(body, HTTP_AUTHORIZATION="Bearer some.other.token"))


# -- the scope parameter ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "scope",
    [
        "not-an-email",
        "alice@",
        "@example.com",
        "alice@example..com",
        "rooms:list alice@example.com",
        "alice@example.com\x00",
    ],
)
def test_token_view_requires_an_email_first_in_scope(body, scope):
    response = post_token({**body, "scope": scope})
    assert_error(response, 400, "invalid_request", "Scope should be a valid email address.")


def test_token_view_rejects_scope_not_granted_to_application(make_application, user):
    app = make_application(scopes=["rooms:list"])
    response = post_token(token_params(app, scopes=["rooms:list", "rooms:delete", "Rooms:Create"]))
    assert_error(
        response,
        400,
        "invalid_scope",
        "Scope not granted to this application: rooms:delete rooms:create",
    )


def test_token_view_rejects_unknown_scope(body, user):
    response = post_token({**body, "scope": "alice@example.com admin:everything"})
    assert_error(
        response, 400, "invalid_scope", "Scope not granted to this application: admin:everything"
    )


def test_token_view_rejects_malformed_scope_token(body, user):
    response = post_token({**body, "scope": 'alice@example.com rooms:list "quoted"'})
    # RFC 6749 §5.2 allows no double quote in error_description: the echoed one is made single.
    assert_error(response, 400, "invalid_scope", "Malformed scope: 'quoted'")


# -- domains ---------------------------------------------------------------------------------

DOMAIN_DENIED = (
    403,
    "invalid_scope",
    "This application is not authorized for this email domain.",
)


@pytest.mark.parametrize(
    ("domain", "email"),
    [
        ("example.org", "bob@example.org"),
        ("example.org", "bob@EXAMPLE.Org"),
        ("Example.ORG", "bob@example.org"),
        ("*.example.org", "bob@team.example.org"),
        ("*.example.org", "bob@a.b.example.org"),
        ("bücher.example", "bob@bücher.example"),
        ("bücher.example", "bob@xn--bcher-kva.example"),
    ],
)
def test_token_view_allows_listed_domain(make_application, django_user_model, domain, email):
    django_user_model.objects.create_user(username="bob", email=email)
    app = make_application(domains=[domain])
    response = post_token(token_params(app, email))
    assert_token(response)


@pytest.mark.parametrize(
    ("domain", "email"),
    [
        ("example.org", "bob@example.com"),
        ("example.org", "bob@team.example.org"),
        ("example.org", "bob@example.org.evil.com"),
        ("example.org", "bob@evilexample.org"),
        ("*.example.org", "bob@example.org"),
        ("*.example.org", "bob@evilexample.org"),
        ("*.example.org", "bob@example.org.evil.com"),
    ],
)
def test_token_view_rejects_unlisted_domain(make_application, django_user_model, domain, email):
    django_user_model.objects.create_user(username="bob", email=email)
    app = make_application(domains=[domain])
    response = post_token(token_params(app, email))
    assert_error(response, *DOMAIN_DENIED)


def test_token_view_denies_everybody_when_domain_list_is_empty(make_application, user):
    app = make_application(domains=())
    response = post_token(token_params(app))
    assert_error(response, *DOMAIN_DENIED)


def test_token_view_allows_everybody_with_empty_domain_list_when_configured(
    make_application, user, delegation
):
    delegation(EMPTY_DOMAIN_LIST_ALLOWS_ALL=True)
    app = make_application(domains=())
    response = post_token(token_params(app))
    assert_token(response)


def test_token_view_applies_domain_list_even_when_empty_list_allows_all(
    make_application, django_user_model, delegation
):
    delegation(EMPTY_DOMAIN_LIST_ALLOWS_ALL=True)
    django_user_model.objects.create_user(username="bob", email="bob@other.org")
    app = make_application(domains=["example.com"])
    response = post_token(token_params(app, "bob@other.org"))
    assert_error(response, *DOMAIN_DENIED)


def test_token_view_checks_domain_before_looking_up_user(body):
    response = post_token({**body, "scope": "nobody@elsewhere.org"})
    assert_error(response, *DOMAIN_DENIED)


# -- users -----------------------------------------------------------------------------------


def test_token_view_rejects_unknown_user(body):
    response = post_token(body)
    assert_error(response, 404, "invalid_grant", "User not found.")


def test_token_view_rejects_inactive_user(body, user):
    user.is_active = False
    user.save()
    response = post_token(body)
    assert_error(response, 400, "invalid_grant", "User account is disabled.")


def test_token_view_rejects_email_shared_by_several_users(body, user, django_user_model):
    django_user_model.objects.create_user(username="alice2", email="ALICE@example.com")
    response = post_token(body)
    assert_error(response, 409, "invalid_grant", "Several user accounts share this email address.")


# -- no-store on every answer ----------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"grant_type": "password"},
        {"client_secret": "wrong"},
        {"scope": "not-an-email"},
        {"scope": "alice@example.com nope"},
        {"scope": "alice@elsewhere.org"},
    ],
)
def test_token_view_forbids_caching_of_errors(body, overrides):
    response = post_token({**body, **overrides})
    assert response.status_code >= 400
    assert_no_store(response)


# -- client secrets --------------------------------------------------------------------------


LEGACY_HASHERS = {
    "md5": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "pbkdf2_sha256": [
        "tests.doubles.QuickPBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ],
}


@pytest.fixture(params=sorted(LEGACY_HASHERS))
def meet_application(request, settings, application):
    """``application`` with a 128-character secret hashed by Django, as Meet stores it."""
    settings.PASSWORD_HASHERS = LEGACY_HASHERS[request.param]
    secret = get_random_string(128)  # Meet's APPLICATION_CLIENT_SECRET_LENGTH, alphanumeric
    encoded = make_password(secret)
    assert encoded.startswith(request.param + "$")
    Application.objects.filter(pk=application.pk).update(client_secret=encoded)
    application.refresh_from_db()
    application.secret = secret
    application.legacy_hash = encoded
    return application


def test_meet_hashed_secret_verifies_and_is_rehashed_to_fast_form(body, meet_application, user):
    response = post_token(body | {"client_secret": meet_application.secret})
    assert_token(response)

    meet_application.refresh_from_db()
    assert meet_application.client_secret.startswith("hmac_sha256$")
    assert meet_application.client_secret != meet_application.legacy_hash
    assert_token(post_token(body | {"client_secret": meet_application.secret}))


def test_meet_hashed_secret_is_not_rehashed_on_failure(body, meet_application, user):
    response = post_token(body | {"client_secret": meet_application.secret[:-1]})
    assert_error(response, 401, *INVALID_CREDENTIALS.values())
    meet_application.refresh_from_db()
    assert meet_application.client_secret == meet_application.legacy_hash


def test_token_view_refuses_the_stored_legacy_hash_as_secret(body, meet_application):
    response = post_token(body | {"client_secret": meet_application.legacy_hash})
    assert_error(response, 401, *INVALID_CREDENTIALS.values())


def test_token_view_refuses_the_stored_fast_hash_as_secret(body, application):
    application.refresh_from_db()
    assert application.client_secret.startswith("hmac_sha256$")
    response = post_token(body | {"client_secret": application.client_secret})
    assert_error(response, 401, *INVALID_CREDENTIALS.values())


def test_generated_secret_is_stored_in_fast_form_and_never_in_plaintext(application):
    application.refresh_from_db()
    assert application.client_secret.startswith("hmac_sha256$")
    assert application.secret not in application.client_secret
    assert len(application.secret) >= 43


def test_unknown_client_runs_the_same_verification_as_a_wrong_secret(
    body, application, fast_verifications
):
    unknown = post_token({**body, "client_id": "unknown-client", "client_secret": "guess"})
    assert_error(unknown, 401, *INVALID_CREDENTIALS.values())
    # Two: the secret, and the previous one an application may hold.
    assert fast_verifications == [("guess", client_secrets._DUMMY_HASH)] * 2

    fast_verifications.clear()
    wrong = post_token({**body, "client_secret": "guess"})
    assert_error(wrong, 401, *INVALID_CREDENTIALS.values())
    application.refresh_from_db()
    assert fast_verifications == [
        ("guess", application.client_secret),
        ("guess", client_secrets._DUMMY_HASH),
    ]


def test_overlong_client_id_runs_the_dummy_verification(body, fast_verifications):
    response = post_token({**body, "client_id": "x" * 500, "client_secret": "guess"})
    assert_error(response, 401, *INVALID_CREDENTIALS.values())
    assert fast_verifications == [("guess", client_secrets._DUMMY_HASH)] * 2


# -- signals ---------------------------------------------------------------------------------


def test_token_view_sends_token_issued(body, application, user, receive):
    calls = receive(token_issued)
    data = assert_token(post_token({**body, "scope": "alice@example.com rooms:list"}), "rooms:list")

    assert len(calls) == 1
    call = calls[0]
    request = call.pop("request")
    assert request.method == "POST"
    assert call == {
        "sender": Application,
        "application": application,
        "user": user,
        "scopes": ("rooms:list",),
        "jti": token_claims(data["access_token"])["jti"],
    }


def test_token_view_sends_no_token_issued_on_failure(body, receive):
    calls = receive(token_issued)
    post_token({**body, "client_secret": "wrong"})
    assert calls == []


def _denials(calls):
    """The recorded calls, each with its request checked and left out."""
    denials = []
    for call in calls:
        call = dict(call)
        assert call.pop("request") is not None
        denials.append(call)
    return denials


@pytest.mark.parametrize(
    "override",
    [{"client_id": "unknown-client"}, {"client_secret": "wrong"}],
    ids=["unknown_client", "wrong_secret"],
)
def test_delegation_denied_reports_failed_client_authentication_without_application(
    body, receive, override
):
    calls = receive(delegation_denied)
    post_token({**body, **override})
    assert _denials(calls) == [
        {
            "sender": Application,
            "application": None,
            "email": None,
            "reason": "invalid_client",
        }
    ]


def test_delegation_denied_reports_inactive_application(make_application, receive):
    app = make_application(is_active=False)
    calls = receive(delegation_denied)
    post_token(token_params(app))
    assert _denials(calls) == [
        {
            "sender": Application,
            "application": app,
            "email": None,
            "reason": "invalid_client",
        }
    ]


@pytest.mark.parametrize(
    ("scope", "reason"),
    [
        ("alice@example.com admin:everything", "invalid_scope"),
        ("alice@elsewhere.org", "invalid_scope"),
        ("nobody@example.com", "invalid_grant"),
    ],
    ids=["scope-not-granted", "domain-not-allowed", "user-not-found"],
)
def test_delegation_denied_reports_refusals_with_reason(body, application, receive, scope, reason):
    calls = receive(delegation_denied)
    post_token({**body, "scope": scope})
    assert _denials(calls) == [
        {
            "sender": Application,
            "application": application,
            "email": scope.split()[0],
            "reason": reason,
        }
    ]


def test_delegation_denied_reports_inactive_user(body, application, user, receive):
    user.is_active = False
    user.save()
    calls = receive(delegation_denied)
    post_token(body)
    assert _denials(calls) == [
        {
            "sender": Application,
            "application": application,
            "email": "alice@example.com",
            "reason": "invalid_grant",
        }
    ]


def test_delegation_denied_is_not_sent_on_success(body, user, receive):
    calls = receive(delegation_denied)
    assert_token(post_token(body))
    assert calls == []


def test_token_view_refuses_an_inactive_user_returned_by_a_custom_hook(application, delegation):
    delegation(GET_DELEGATED_USER="tests.doubles.inactive_user_hook")

    response = request_token(application, "ghost@example.com")

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "User account is disabled.",
    }
