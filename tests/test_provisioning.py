"""Provisional users: the default ``GET_DELEGATED_USER`` hook seen through the token endpoint."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from django_app_delegation import hooks
from django_app_delegation.signals import user_provisioned
from tests.helpers import request_token, subject


@pytest.fixture
def provisioned(receive):
    """The calls of ``user_provisioned`` during the test."""
    return receive(user_provisioned)


@pytest.mark.django_db
def test_unknown_user_is_not_created_when_creation_is_off(
    application, django_user_model, provisioned
):
    response = request_token(application, "newcomer@example.com")

    assert response.status_code == 404
    assert response.json() == {"error": "invalid_grant", "error_description": "User not found."}
    assert not django_user_model.objects.exists()
    assert provisioned == []


@pytest.mark.django_db
def test_unknown_user_is_created_when_creation_is_on(
    application, delegation, django_user_model, provisioned
):
    delegation(ALLOW_USER_CREATION=True)

    response = request_token(application, "Newcomer@Example.com")

    assert response.status_code == 200, response.content
    user = django_user_model.objects.get()
    # Normalised: the domain is lower-cased, the local part keeps its case.
    assert user.email == "Newcomer@example.com"
    assert user.username is None
    assert user.is_active
    assert not user.has_usable_password()
    assert subject(response) == str(user.pk)
    assert len(provisioned) == 1
    call = provisioned[0]
    assert call.pop("request") is not None
    assert call == {"sender": django_user_model, "user": user, "application": application}


@pytest.mark.django_db
def test_provisioned_user_is_reused_by_later_requests(
    application, delegation, django_user_model, provisioned
):
    delegation(ALLOW_USER_CREATION=True)

    first = request_token(application, "newcomer@example.com")
    second = request_token(application, "NEWCOMER@example.com")

    assert first.status_code == second.status_code == 200
    user = django_user_model.objects.get()
    assert subject(first) == subject(second) == str(user.pk)
    assert len(provisioned) == 1


@pytest.mark.django_db
def test_existing_user_is_found_case_insensitively_instead_of_created(
    application, user, delegation, django_user_model, provisioned
):
    delegation(ALLOW_USER_CREATION=True)

    response = request_token(application, "ALICE@example.COM")

    assert response.status_code == 200, response.content
    assert subject(response) == str(user.pk)
    assert django_user_model.objects.count() == 1
    assert provisioned == []


@pytest.mark.django_db
def test_inactive_user_is_refused_even_when_creation_is_on(
    application, user, delegation, django_user_model
):
    delegation(ALLOW_USER_CREATION=True)
    user.is_active = False
    user.save()

    response = request_token(application, "alice@example.com")

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "User account is disabled.",
    }
    assert django_user_model.objects.count() == 1


@pytest.mark.django_db
def test_no_user_is_created_for_a_domain_the_application_may_not_use(
    application, delegation, django_user_model, provisioned
):
    delegation(ALLOW_USER_CREATION=True)

    response = request_token(application, "newcomer@elsewhere.org")

    assert response.status_code == 403
    assert response.json() == {
        "error": "invalid_scope",
        "error_description": "This application is not authorized for this email domain.",
    }
    assert not django_user_model.objects.exists()
    assert provisioned == []


@pytest.mark.django_db
def test_no_user_is_created_for_a_client_that_failed_authentication(
    application, delegation, django_user_model
):
    delegation(ALLOW_USER_CREATION=True)

    response = request_token(application, "newcomer@example.com", client_secret="wrong")

    assert response.status_code == 401
    assert not django_user_model.objects.exists()


@pytest.mark.django_db
def test_email_too_long_to_store_is_refused_without_creating_a_user(
    application, delegation, django_user_model, provisioned
):
    # Django's validate_email accepts up to 320 characters; an e-mail column holds 254 (RFC 5321
    # limits a path to 256 octets with its brackets). Such a scope cannot name a storable user.
    delegation(ALLOW_USER_CREATION=True)
    email = "a" * 290 + "@example.com"

    response = request_token(application, email)

    assert response.status_code == 400, response.content
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Scope should be a valid email address.",
    }
    assert not django_user_model.objects.exists()
    assert provisioned == []


THREADS = 50
#: Spellings of one mailbox, all normalised to one address before the lookup.
SPELLINGS = (
    "newcomer@example.com",
    "Newcomer@Example.com",
    '"newcomer"@example.com',
    "newcomer@ｅxample.com",
    "NEWCOMER@EXAMPLE.COM.",
)


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="needs real concurrent transactions (PostgreSQL, MariaDB)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_a_new_email_create_exactly_one_user(
    application, delegation, django_user_model, provisioned, monkeypatch
):
    """50 first requests at once create one user, on PostgreSQL and on MariaDB alike.

    MariaDB cannot index ``LOWER(email)`` (the test user model's constraint is not created
    there), so only the provisioning lock keeps the e-mail to one account.
    """
    delegation(ALLOW_USER_CREATION=True)
    # Force the race instead of hoping for it: every thread looks the e-mail up (and finds
    # nobody) before any of them tries to create it.
    looked_up = threading.Barrier(THREADS)
    seen = threading.local()
    lookups = []
    find_users = hooks._find_users

    def find_users_then_wait(email, using=None):
        users = find_users(email, using=using)
        lookups.append(len(users))
        if not getattr(seen, "first_lookup_done", False):
            seen.first_lookup_done = True
            looked_up.wait(timeout=60)
        return users

    monkeypatch.setattr(hooks, "_find_users", find_users_then_wait)
    started = threading.Barrier(THREADS)
    responses = [None] * THREADS
    errors = []

    def request(index):
        try:
            started.wait(timeout=60)
            responses[index] = request_token(application, SPELLINGS[index % len(SPELLINGS)])
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert [response.status_code for response in responses] == [200] * THREADS, [
        response.content for response in responses if response.status_code != 200
    ]
    user = django_user_model.objects.get()
    # The first request to win the lock gave the spelling (local parts keep their case).
    assert user.email.lower() == "newcomer@example.com"
    assert {subject(response) for response in responses} == {str(user.pk)}
    assert len(provisioned) == 1
    # Every thread found nobody at first; under the lock, the first found nobody and created
    # the user, and the THREADS - 1 others read its row.
    assert sorted(lookups) == [0] * (THREADS + 1) + [1] * (THREADS - 1)
