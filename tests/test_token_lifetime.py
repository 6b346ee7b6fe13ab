"""Per-application access-token lifetime, bounded by ``MAX_ACCESS_TOKEN_LIFETIME``: validation,
issuance (``expires_in`` and ``exp - iat``), the commands, the admin and the checks."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from django_app_delegation.checks import check_application_lifetimes, check_settings
from django_app_delegation.conf import DEFAULTS
from django_app_delegation.models import Application
from django_app_delegation.tokens import access_token_lifetime, max_access_token_lifetime
from tests.helpers import ADD_URL, add_form_data, change_url, request_token, run, token_claims

pytestmark = pytest.mark.django_db

ID = "django_app_delegation"


def lifetime_of(application, value):
    """Give ``application`` its own lifetime, bypassing validation (as an older maximum allowed)."""
    Application.objects.filter(pk=application.pk).update(access_token_lifetime=value)
    application.access_token_lifetime = value
    return application


def issued(application):
    """``expires_in`` and ``exp - iat`` of a token issued to ``application`` for alice."""
    response = request_token(application)
    assert response.status_code == 200, response.content
    claims = token_claims(response.json()["access_token"])
    return response.json()["expires_in"], claims["exp"] - claims["iat"]


# -- the maximum ---------------------------------------------------------------------------------


def test_the_maximum_defaults_to_the_default_lifetime(delegation):
    assert DEFAULTS["MAX_ACCESS_TOKEN_LIFETIME"] is None
    assert max_access_token_lifetime() == timedelta(hours=1)
    delegation(ACCESS_TOKEN_LIFETIME=timedelta(minutes=10))
    assert max_access_token_lifetime() == timedelta(minutes=10)
    delegation(MAX_ACCESS_TOKEN_LIFETIME=timedelta(days=1))
    assert max_access_token_lifetime() == timedelta(days=1)


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lifetime", "code"),
    [
        (timedelta(0), "too_short"),
        (timedelta(seconds=-60), "too_short"),
        (timedelta(milliseconds=500), "too_short"),
        (timedelta(hours=1, seconds=1), "too_long"),
    ],
)
def test_validation_refuses_a_lifetime_out_of_bounds(application, lifetime, code):
    application.access_token_lifetime = lifetime
    with pytest.raises(ValidationError) as raised:
        application.full_clean()
    [error] = raised.value.error_dict["access_token_lifetime"]
    assert error.code == code


@pytest.mark.parametrize("lifetime", [None, timedelta(seconds=1), timedelta(hours=1)])
def test_validation_accepts_none_or_a_lifetime_up_to_the_maximum(application, lifetime):
    application.access_token_lifetime = lifetime
    application.full_clean()


def test_validation_follows_the_maximum_in_force(application, delegation):
    delegation(MAX_ACCESS_TOKEN_LIFETIME=timedelta(days=1))
    application.access_token_lifetime = timedelta(hours=12)
    application.full_clean()
    application.access_token_lifetime = timedelta(days=1, seconds=1)
    with pytest.raises(ValidationError, match=r"at most 1d \(MAX_ACCESS_TOKEN_LIFETIME\)"):
        application.full_clean()


# -- issuance ------------------------------------------------------------------------------------


def test_tokens_last_the_default_lifetime_without_one_of_their_own(application, user):
    assert issued(application) == (3600, 3600)


def test_tokens_last_the_applications_own_lifetime(application, user):
    lifetime_of(application, timedelta(minutes=15))
    assert issued(application) == (900, 900)


def test_a_longer_lifetime_works_under_a_higher_maximum(application, user, delegation):
    delegation(MAX_ACCESS_TOKEN_LIFETIME=timedelta(days=1))
    lifetime_of(application, timedelta(hours=8))
    assert issued(application) == (28800, 28800)


def test_the_maximum_cuts_a_lifetime_saved_under_a_higher_one(application, user, delegation):
    lifetime_of(application, timedelta(hours=8))  # Saved when the maximum was higher.
    assert issued(application) == (3600, 3600)
    delegation(MAX_ACCESS_TOKEN_LIFETIME=timedelta(hours=2))
    assert issued(application) == (7200, 7200)


def test_the_maximum_cuts_the_default_lifetime_too(application, user, delegation):
    # A misconfiguration that check E031 reports: tokens still never outlast the maximum.
    delegation(MAX_ACCESS_TOKEN_LIFETIME=timedelta(minutes=30))
    assert issued(application) == (1800, 1800)


def test_the_lifetime_read_at_issuance_is_the_one_stored(application, user, make_application):
    short = lifetime_of(make_application(name="Short"), timedelta(minutes=5))
    assert issued(short) == (300, 300)
    assert issued(application) == (3600, 3600)
    assert access_token_lifetime(None) == timedelta(hours=1)


# -- commands ------------------------------------------------------------------------------------


def test_create_application_takes_an_access_token_lifetime():
    stdout, _ = run(
        "create_application", "--name", "Partner", "--access-token-lifetime", "15m", "--json"
    )
    application = Application.objects.get(client_id=json.loads(stdout)["client_id"])
    assert application.access_token_lifetime == timedelta(minutes=15)


def test_create_application_refuses_a_lifetime_beyond_the_maximum():
    with pytest.raises(CommandError, match=r"at most 1h \(MAX_ACCESS_TOKEN_LIFETIME\)"):
        run("create_application", "--name", "Partner", "--access-token-lifetime", "2h")
    assert not Application.objects.exists()


@pytest.mark.parametrize("text", ["15 minutes", "soon", "1.5h"])
def test_create_application_refuses_what_is_not_a_duration(text):
    with pytest.raises(CommandError, match="is not a duration"):
        run("create_application", "--name", "Partner", f"--access-token-lifetime={text}")
    assert not Application.objects.exists()


def test_list_applications_shows_each_lifetime(make_application, delegation):
    lifetime_of(make_application(name="A default"), None)
    lifetime_of(make_application(name="B short"), timedelta(minutes=15))
    lifetime_of(make_application(name="C cut"), timedelta(hours=3))
    delegation(MAX_ACCESS_TOKEN_LIFETIME=timedelta(hours=2))

    table, _ = run("list_applications")
    listed, _ = run("list_applications", "--json")

    rows = table.splitlines()[1:]
    assert "1h (default)" in rows[0]
    assert " 15m " in rows[1]
    assert "2h (maximum)" in rows[2]
    assert [(item["access_token_lifetime"], item["expires_in"]) for item in json.loads(listed)] == [
        (None, 3600),
        (900, 900),
        (10800, 7200),
    ]


# -- the admin -----------------------------------------------------------------------------------


def test_admin_add_form_takes_a_lifetime_in_short_form(admin_client):
    response = admin_client.post(ADD_URL, add_form_data(access_token_lifetime="15m"))
    assert response.status_code == 302
    assert Application.objects.get().access_token_lifetime == timedelta(minutes=15)


def test_admin_change_form_shows_the_lifetime_and_the_bounds(admin_client, application):
    lifetime_of(application, timedelta(minutes=90))
    content = admin_client.get(change_url(application)).content.decode()
    assert 'name="access_token_lifetime"' in content
    assert 'value="90m"' in content
    assert "Empty: 1h (ACCESS_TOKEN_LIFETIME); at most 1h (MAX_ACCESS_TOKEN_LIFETIME)." in content


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2h", "An access token lifetime may be at most 1h (MAX_ACCESS_TOKEN_LIFETIME)."),
        ("0", "An access token lifetime must be at least one second."),
        ("soon", "Enter a duration such as 30m, 24h, 7d, or a number of seconds."),
    ],
)
def test_admin_change_form_refuses_a_lifetime_out_of_bounds(
    admin_client, application, value, message
):
    data = add_form_data(domains=(), access_token_lifetime=value)
    response = admin_client.post(change_url(application), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Application.objects.get(pk=application.pk).access_token_lifetime is None


def test_admin_change_form_clears_the_lifetime(admin_client, application):
    lifetime_of(application, timedelta(minutes=15))
    data = add_form_data(domains=(), access_token_lifetime="")
    assert admin_client.post(change_url(application), data).status_code == 302
    assert Application.objects.get(pk=application.pk).access_token_lifetime is None


# -- checks: E030, E031, W007 --------------------------------------------------------------------


def setting_ids() -> list[str]:
    return [message.id for message in check_settings()]


@pytest.mark.parametrize("value", [3600, "1d", timedelta(0), timedelta(seconds=-1)])
def test_e030_the_maximum_is_none_or_a_positive_timedelta(delegation, value):
    delegation(MAX_ACCESS_TOKEN_LIFETIME=value)
    assert setting_ids() == [f"{ID}.E030"]


def test_e031_the_maximum_is_at_least_the_default_lifetime(delegation):
    delegation(MAX_ACCESS_TOKEN_LIFETIME=timedelta(minutes=30))
    assert setting_ids() == [f"{ID}.E031"]
    delegation(MAX_ACCESS_TOKEN_LIFETIME=timedelta(hours=1))
    assert setting_ids() == []


def test_w007_reports_applications_whose_lifetime_the_maximum_cuts(make_application, delegation):
    cut = lifetime_of(make_application(name="Cut"), timedelta(hours=3))
    lifetime_of(make_application(name="Fine"), timedelta(minutes=30))

    [warning] = check_application_lifetimes(databases=["default"])

    assert warning.id == f"{ID}.W007"
    assert cut.client_id in warning.msg
    assert "3h" in warning.msg
    delegation(MAX_ACCESS_TOKEN_LIFETIME=timedelta(hours=3))
    assert check_application_lifetimes(databases=["default"]) == []
    assert check_application_lifetimes(databases=None) == []


def test_w007_runs_with_the_database_checks_and_does_not_stop_them(make_application):
    lifetime_of(make_application(), timedelta(hours=3))
    output = StringIO()
    call_command("check", "--database", "default", stdout=output, stderr=output)
    assert f"{ID}.W007" in output.getvalue()
