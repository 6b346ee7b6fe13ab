"""Management commands: ``create_application`` and ``rotate_application_secret``."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from django_app_delegation.models import Application
from tests.helpers import stored_secret

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command(*args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def text_credentials(output: str) -> dict[str, str]:
    lines = dict(line.split(":", 1) for line in output.splitlines() if line.strip())
    return {key.strip(): value.strip() for key, value in lines.items()}


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
