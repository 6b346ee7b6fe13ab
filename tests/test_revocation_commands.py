"""``revoke_delegation`` (every token of an application for a user) and ``prune_revocations``
(entries that refuse nothing any more)."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_app_delegation.models import DelegationEvent, RevokedDelegation, RevokedToken
from tests.helpers import token_for, whoami

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


# -- revoke_delegation -----------------------------------------------------------------------------


def test_revoke_delegation_refuses_the_users_tokens(application, user):
    token = token_for(application)

    output = run(
        "revoke_delegation", "--client-id", application.client_id, "--email", "alice@example.com"
    )

    assert output == (
        f"Revoked the tokens of Partner ({application.client_id}) for 1 user with the e-mail "
        "alice@example.com."
    )
    assert whoami(token).status_code == 401
    assert DelegationEvent.objects.get(action="revoke").user == user


def test_revoke_delegation_prints_json(application, user):
    output = run(
        "revoke_delegation",
        "--client-id",
        application.client_id,
        "--email",
        "alice@example.com",
        "--json",
    )

    assert json.loads(output) == {
        "client_id": application.client_id,
        "email": "alice@example.com",
        "users": 1,
    }


def test_revoke_delegation_of_an_unknown_user_is_an_error(application):
    with pytest.raises(CommandError, match=r"No user has the e-mail 'nobody@example\.com'"):
        run(
            "revoke_delegation",
            "--client-id",
            application.client_id,
            "--email",
            "nobody@example.com",
        )


def test_revoke_delegation_of_an_unknown_application_is_an_error(user):
    with pytest.raises(CommandError, match=r"No application with client_id 'nope'"):
        run("revoke_delegation", "--client-id", "nope", "--email", "alice@example.com")


# -- prune_revocations -----------------------------------------------------------------------------


@pytest.fixture
def entries(application, user, bob):
    """A revoked token expired and one still valid; a user revocation older than the token
    lifetime (one hour in the tests) and a recent one."""
    now = timezone.now()
    RevokedToken.objects.create(
        jti="old", application=application, expires_at=now - timedelta(seconds=1)
    )
    RevokedToken.objects.create(
        jti="live", application=application, expires_at=now + timedelta(minutes=5)
    )
    RevokedDelegation.objects.create(
        application=application,
        user=user,
        revoked_iat=0,
        revoked_at=now - timedelta(hours=1, seconds=1),
    )
    RevokedDelegation.objects.create(
        application=application, user=bob, revoked_iat=0, revoked_at=now - timedelta(minutes=59)
    )


def test_prune_deletes_what_refuses_nothing_any_more(entries):
    output = run("prune_revocations")

    assert output == "Deleted 1 revoked token and 1 user revocation(s) that had expired."
    assert list(RevokedToken.objects.values_list("jti", flat=True)) == ["live"]
    assert list(RevokedDelegation.objects.values_list("user__username", flat=True)) == ["bob"]


def test_prune_dry_run_counts_and_deletes_nothing(entries):
    output = run("prune_revocations", "--dry-run")

    assert output == "1 revoked token and 1 user revocation(s) have expired."
    assert RevokedToken.objects.count() == 2
    assert RevokedDelegation.objects.count() == 2


def test_prune_keeps_a_revoked_token_within_the_leeway(delegation, application):
    delegation(LEEWAY=timedelta(seconds=30))
    RevokedToken.objects.create(
        jti="leeway", application=application, expires_at=timezone.now() - timedelta(seconds=10)
    )

    assert run("prune_revocations") == (
        "Deleted 0 revoked tokens and 0 user revocation(s) that had expired."
    )


def test_prune_follows_the_token_lifetime(delegation, entries):
    delegation(ACCESS_TOKEN_LIFETIME=timedelta(minutes=30))

    run("prune_revocations")

    assert not RevokedDelegation.objects.exists()


def test_prune_keeps_user_revocations_as_long_as_the_longest_application_lifetime(
    delegation, entries
):
    # An application may have tokens of up to MAX_ACCESS_TOKEN_LIFETIME: its revocations must
    # outlive them, even when the default lifetime is shorter.
    delegation(
        ACCESS_TOKEN_LIFETIME=timedelta(minutes=30), MAX_ACCESS_TOKEN_LIFETIME=timedelta(hours=2)
    )

    run("prune_revocations")

    assert RevokedDelegation.objects.count() == 2
