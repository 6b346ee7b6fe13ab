"""Management commands: ``create_application``, ``rotate_application_secret``,
``list_applications`` and ``deactivate_application``."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import CommandError

from django_app_delegation.models import Application, DelegationEvent
from tests.helpers import request_token, run, stored_secret, text_credentials

pytestmark = pytest.mark.django_db


# -- create_application ----------------------------------------------------------------------


def test_create_application_json_prints_credentials_that_verify():
    stdout, _ = run("create_application", "--name", "Partner", "--scope", "rooms:list", "--json")
    credentials = json.loads(stdout)
    assert set(credentials) == {"client_id", "client_secret"}
    application = Application.objects.get(client_id=credentials["client_id"])
    assert application.name == "Partner"
    assert application.is_active is True
    assert application.check_client_secret(credentials["client_secret"]) is True


def test_create_application_stores_the_secret_hashed():
    stdout, _ = run("create_application", "--name", "Partner", "--json")
    credentials = json.loads(stdout)
    application = Application.objects.get(client_id=credentials["client_id"])
    assert credentials["client_secret"] not in stored_secret(application)


def test_create_application_accepts_repeated_and_separated_scopes():
    stdout, _ = run(
        "create_application",
        "--name",
        "Partner",
        "--scope",
        "rooms:list",
        "--scope",
        "rooms:create,rooms:update rooms:delete",
        "--json",
    )
    application = Application.objects.get(client_id=json.loads(stdout)["client_id"])
    assert application.scopes == ["rooms:list", "rooms:create", "rooms:update", "rooms:delete"]


def test_create_application_accepts_repeated_and_separated_domains():
    stdout, _ = run(
        "create_application",
        "--name",
        "Partner",
        "--domain",
        "Example.COM",
        "--domain",
        "*.example.org,bücher.example",
        "--json",
    )
    application = Application.objects.get(client_id=json.loads(stdout)["client_id"])
    assert sorted(application.allowed_domain_names()) == [
        "*.example.org",
        "example.com",
        "xn--bcher-kva.example",
    ]


def test_create_application_without_domains_allows_none():
    stdout, _ = run("create_application", "--name", "Partner", "--json")
    application = Application.objects.get(client_id=json.loads(stdout)["client_id"])
    assert application.allowed_domain_names() == []


def test_create_application_inactive():
    stdout, _ = run("create_application", "--name", "Partner", "--inactive", "--json")
    application = Application.objects.get(client_id=json.loads(stdout)["client_id"])
    assert application.is_active is False


def test_create_application_text_output_prints_both_lines_and_warns_on_stderr():
    stdout, stderr = run("create_application", "--name", "Partner", "--scope", "rooms:list")
    credentials = text_credentials(stdout)
    assert set(credentials) == {"client_id", "client_secret"}
    application = Application.objects.get(client_id=credentials["client_id"])
    assert application.check_client_secret(credentials["client_secret"]) is True
    assert "secret" in stderr.lower()
    assert credentials["client_secret"] not in stderr


def test_create_application_requires_a_name():
    with pytest.raises(CommandError):
        run("create_application", "--json")


def test_create_application_with_an_unknown_scope_fails_and_creates_nothing():
    with pytest.raises(CommandError, match="calendar:read"):
        run("create_application", "--name", "Partner", "--scope", "calendar:read")
    assert not Application.objects.exists()


@pytest.mark.parametrize("domain", ["not a domain!", "example..com", "*.*.com"])
def test_create_application_with_an_invalid_domain_fails_and_creates_nothing(domain):
    with pytest.raises(CommandError):
        run("create_application", "--name", "Partner", "--domain", "ok.example", "--domain", domain)
    assert not Application.objects.exists()


def test_create_application_with_a_duplicate_domain_fails_and_creates_nothing():
    with pytest.raises(CommandError):
        run("create_application", "--name", "Partner", "--domain", "example.com,EXAMPLE.com.")
    assert not Application.objects.exists()


# -- rotate_application_secret ---------------------------------------------------------------


def test_rotate_secret_json_prints_a_new_secret_and_the_old_one_stops_working(application):
    stdout, _ = run("rotate_application_secret", application.client_id, "--json")
    credentials = json.loads(stdout)
    assert credentials["client_id"] == application.client_id
    assert credentials["client_secret"] != application.secret
    application.refresh_from_db()
    assert application.check_client_secret(credentials["client_secret"]) is True
    assert application.check_client_secret(application.secret) is False


def test_rotate_secret_text_output_prints_both_lines_and_warns(application):
    stdout, stderr = run("rotate_application_secret", application.client_id)
    credentials = text_credentials(stdout)
    assert credentials["client_id"] == application.client_id
    application.refresh_from_db()
    assert application.check_client_secret(credentials["client_secret"]) is True
    assert application.check_client_secret(application.secret) is False
    assert "secret" in stderr.lower()


def test_rotate_secret_keeps_the_rest_of_the_application(application):
    run("rotate_application_secret", application.client_id, "--json")
    application.refresh_from_db()
    assert application.name == "Partner"
    assert application.allowed_domain_names() == ["example.com"]
    assert application.is_active is True


def test_rotate_secret_of_an_unknown_client_id_fails(application):
    with pytest.raises(CommandError, match="no-such-client"):
        run("rotate_application_secret", "no-such-client")
    application.refresh_from_db()
    assert application.check_client_secret(application.secret) is True


def test_rotate_secret_matches_the_client_id_exactly(application):
    with pytest.raises(CommandError, match="No application with client_id"):
        run("rotate_application_secret", application.client_id.swapcase())


# -- create_application: warnings and hints --------------------------------------------------

NOBODY_WARNING = (
    "This application has no allowed domain and EMPTY_DOMAIN_LIST_ALLOWS_ALL is off: it can act "
    "for nobody. Add domains in the admin, or create it again with --domain."
)


def test_create_application_without_domains_warns_that_it_acts_for_nobody():
    stdout, stderr = run("create_application", "--name", "Partner", "--json")
    assert NOBODY_WARNING in stderr
    assert json.loads(stdout)["client_id"]  # stdout stays one JSON document


def test_create_application_with_a_domain_does_not_warn():
    _, stderr = run("create_application", "--name", "Partner", "--domain", "example.com")
    assert "nobody" not in stderr


def test_create_application_without_domains_does_not_warn_when_empty_lists_allow_all(
    delegation,
):
    delegation(EMPTY_DOMAIN_LIST_ALLOWS_ALL=True)
    _, stderr = run("create_application", "--name", "Partner", "--json")
    assert "nobody" not in stderr


def test_create_application_says_nothing_of_domains_under_a_custom_can_delegate(delegation):
    delegation(CAN_DELEGATE=lambda **kwargs: True)
    _, stderr = run("create_application", "--name", "Partner", "--json")
    assert "nobody" not in stderr


def test_create_application_with_an_unknown_scope_lists_the_valid_ones(delegation):
    delegation(SCOPES={"rooms:list": "List rooms", "rooms:create": "Create rooms"})
    with pytest.raises(CommandError) as error:
        run("create_application", "--name", "Partner", "--scope", "rooms:list,calendar:read")
    assert str(error.value) == (
        "Unknown scope(s): calendar:read. Valid scopes: rooms:create, rooms:list."
    )
    assert not Application.objects.exists()


def test_create_application_with_a_scope_but_no_vocabulary_says_to_define_one(delegation):
    delegation(SCOPES={})
    with pytest.raises(CommandError) as error:
        run("create_application", "--name", "Partner", "--scope", "rooms:list")
    assert str(error.value) == (
        'Unknown scope(s): rooms:list. No scope is defined: set APP_DELEGATION["SCOPES"].'
    )


def test_create_application_with_another_error_lists_no_scopes():
    with pytest.raises(CommandError) as error:
        run("create_application", "--name", "Partner", "--domain", "example..com")
    assert "Valid scopes" not in str(error.value)


# -- list_applications -----------------------------------------------------------------------


def test_list_applications_json_describes_each_application_without_secrets(make_application):
    partner = make_application(
        name="Partner", scopes=["rooms:list"], domains=["example.com", "*.example.org"]
    )
    secret = partner.secret
    make_application(name="Archived", scopes=[], domains=[], is_active=False)
    partner.mark_used()
    partner.refresh_from_db()

    stdout, _ = run("list_applications", "--json")

    listed = json.loads(stdout)
    assert [item["name"] for item in listed] == ["Archived", "Partner"]
    assert listed[1] == {
        "client_id": partner.client_id,
        "name": "Partner",
        "is_active": True,
        "scopes": ["rooms:list"],
        "domains": ["*.example.org", "example.com"],
        "created_at": partner.created_at.isoformat(),
        "last_used_at": partner.last_used_at.isoformat(),
        "access_token_lifetime": None,
        "expires_in": 3600,
        "previous_secret_valid_until": None,
    }
    assert listed[0]["is_active"] is False
    assert listed[0]["domains"] == []
    assert listed[0]["last_used_at"] is None
    stored = Application.objects.values_list("client_secret", flat=True).get(pk=partner.pk)
    assert secret not in stdout
    assert stored not in stdout


def test_list_applications_json_is_an_empty_list_without_applications():
    stdout, _ = run("list_applications", "--json")
    assert json.loads(stdout) == []


def test_list_applications_prints_an_aligned_table(make_application):
    partner = make_application(name="Partner calendar", scopes=["rooms:list", "rooms:create"])
    other = make_application(name="Other", scopes=[], is_active=False)

    stdout, stderr = run("list_applications")

    header, *rows = stdout.splitlines()
    assert re.split(r"\s{2,}", header) == [
        "Name",
        "Client ID",
        "Active",
        "Scopes",
        "Allowed domains",
        "Token lifetime",
        "Last used",
    ]
    assert len(rows) == 2
    columns = [header.index(title) for title in ("Client ID", "Active", "Scopes")]
    assert rows[0].startswith("Other ")
    assert rows[0][columns[0] :].startswith(other.client_id)
    assert rows[0][columns[1] :].startswith("no ")
    assert rows[0][columns[2] :].startswith("- ")
    assert rows[1].startswith("Partner calendar ")
    assert rows[1][columns[0] :].startswith(partner.client_id)
    assert rows[1][columns[1] :].startswith("yes ")
    assert rows[1][columns[2] :].startswith("rooms:list rooms:create ")
    assert rows[1].endswith("never")
    assert stderr == ""


def test_list_applications_warns_of_applications_that_act_for_nobody(make_application, delegation):
    make_application(name="Partner")
    make_application(name="Nobody", domains=[])
    make_application(name="Nobody either", domains=[])

    _, stderr = run("list_applications")
    assert stderr.strip() == (
        "2 applications have no allowed domain: they act for nobody "
        "(EMPTY_DOMAIN_LIST_ALLOWS_ALL is off)."
    )
    delegation(EMPTY_DOMAIN_LIST_ALLOWS_ALL=True)
    assert run("list_applications")[1] == ""


def test_list_applications_says_so_when_there_are_none():
    assert run("list_applications") == ("No applications.\n", "")


# -- deactivate_application ------------------------------------------------------------------


def test_deactivate_application_deactivates_and_says_so(application):
    stdout, _ = run("deactivate_application", application.client_id)
    assert stdout == (
        f"Deactivated Partner ({application.client_id}): its tokens stop working at once.\n"
    )
    application.refresh_from_db()
    assert application.is_active is False


def test_deactivate_application_takes_effect_on_tokens_at_once(application, user, api_client):
    token = request_token(application).json()["access_token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get("/whoami/").status_code == 200

    run("deactivate_application", application.client_id)
    assert api_client.get("/whoami/").status_code == 401
    assert request_token(application).json()["error"] == "invalid_client"

    run("deactivate_application", "--reactivate", application.client_id)
    assert api_client.get("/whoami/").status_code == 200


def test_deactivate_application_accepts_several_and_reports_those_already_inactive(
    make_application,
):
    on = make_application(name="On")
    off = make_application(name="Off", is_active=False)

    stdout, _ = run("deactivate_application", on.client_id, off.client_id)

    assert stdout.splitlines() == [
        f"Deactivated On ({on.client_id}): its tokens stop working at once.",
        f"Off ({off.client_id}) was already inactive.",
    ]
    assert not Application.objects.filter(is_active=True).exists()


def test_deactivate_application_reactivate(make_application):
    off = make_application(name="Off", is_active=False)
    on = make_application(name="On")

    stdout, _ = run("deactivate_application", "--reactivate", off.client_id, on.client_id)

    assert stdout.splitlines() == [
        f"Reactivated Off ({off.client_id}).",
        f"On ({on.client_id}) was already active.",
    ]
    assert Application.objects.filter(is_active=True).count() == 2


def test_deactivate_application_records_each_change_in_the_audit_trail(make_application):
    on = make_application(name="On")
    off = make_application(name="Off", is_active=False)

    run("deactivate_application", on.client_id, off.client_id)
    run("deactivate_application", "--reactivate", on.client_id, off.client_id)

    first, *then = DelegationEvent.objects.order_by("pk").values_list("action", "application_id")
    assert first == ("deactivate", on.pk)
    assert sorted(then) == sorted([("activate", on.pk), ("activate", off.pk)])


def test_deactivate_application_with_an_unknown_client_id_changes_nothing(application):
    with pytest.raises(CommandError, match=r"^No application with client_id 'no-such-client'\.$"):
        run("deactivate_application", application.client_id, "no-such-client")
    application.refresh_from_db()
    assert application.is_active is True


def test_deactivate_application_requires_a_client_id():
    with pytest.raises(CommandError):
        run("deactivate_application")
