"""E-mail domains (``django_app_delegation.domains``): one spelling per mailbox, and the token
endpoint's decisions made on the domain of the user found.

Databases compare e-mails their own way: MariaDB's default collation (``utf8mb4_general_ci``)
ignores accents and folds a dotless i into ``i``; PostgreSQL's ``UPPER()`` turned a dotless i into
``I`` while the default hook used ``iexact``, which ``LOWER()`` (its lookup now) does not. The
token endpoint must never act for a user of another domain than the one asked for, whatever the
database folded.
"""

from __future__ import annotations

import pytest
from django.db import connection

from django_app_delegation.domains import email_domain, email_lookup_forms, normalize_email
from django_app_delegation.hooks import _find_users
from tests.doubles import recording_can_delegate
from tests.helpers import request_token, subject

DOMAIN_REFUSED = {
    "error": "invalid_scope",
    "error_description": "This application is not authorized for this email domain.",
}


def database_folds(requested):
    """Tell whether the default hook's lookup, on this database, finds another user for
    ``requested``."""
    return bool(_find_users(normalize_email(requested)))


# (allowed domain, existing victim, e-mail requested, databases known to fold the two together)
LOOKALIKES = [
    # PostgreSQL folded these too under ``UPPER()``; ``LOWER()`` keeps the dotless i apart from
    # i, which is safer: two domains, two mailboxes (the domain check refused the fold anyway).
    pytest.param("evıl.com", "victim@evil.com", "victim@evıl.com", {"mysql"}, id="dotless-i"),
    pytest.param("société.fr", "boss@societe.fr", "boss@société.fr", {"mysql"}, id="accent"),
    pytest.param("evİl.com", "victim@evil.com", "VICTIM@EVİL.COM", set(), id="dotted-capital-i"),
    pytest.param("еvil.com", "victim@evil.com", "victim@еvil.com", set(), id="cyrillic-e"),
    pytest.param("straße.de", "x@strasse.de", "x@straße.de", set(), id="sharp-s"),
]


@pytest.mark.parametrize(("allowed", "victim_email", "requested", "folding"), LOOKALIKES)
def test_lookalike_domain_never_reaches_its_ascii_twin(
    make_application, django_user_model, allowed, victim_email, requested, folding
):
    victim = django_user_model.objects.create_user(username="victim", email=victim_email)
    application = make_application(domains=[allowed])
    folds = database_folds(requested)
    # The test exercises the fold wherever the database is known to make it.
    assert folds == (connection.vendor in folding)

    response = request_token(application, requested)

    if folds:
        assert response.status_code == 403, response.content
        assert response.json() == DOMAIN_REFUSED
    else:
        assert response.status_code == 404, response.content
        assert response.json()["error"] == "invalid_grant"
    assert django_user_model.objects.count() == 1
    assert victim.email == victim_email


@pytest.mark.parametrize(("allowed", "victim_email", "requested", "folding"), LOOKALIKES)
def test_lookalike_domain_provisions_nobody_in_place_of_its_ascii_twin(
    make_application, delegation, django_user_model, allowed, victim_email, requested, folding
):
    delegation(ALLOW_USER_CREATION=True)
    victim = django_user_model.objects.create_user(username="victim", email=victim_email)
    application = make_application(domains=[allowed])

    response = request_token(application, requested)

    if connection.vendor in folding:
        assert response.status_code == 403, response.content
        assert response.json() == DOMAIN_REFUSED
        assert list(django_user_model.objects.all()) == [victim]
    else:
        # Another domain, another mailbox: its own new account, never the victim's.
        assert response.status_code == 200, response.content
        created = django_user_model.objects.exclude(pk=victim.pk).get()
        assert subject(response) == str(created.pk)
        assert email_domain(created.email) == email_domain(requested)


def test_hook_returning_a_user_of_another_domain_is_refused(
    make_application, delegation, django_user_model
):
    other = django_user_model.objects.create_user(username="other", email="ceo@bank.example")
    delegation(GET_DELEGATED_USER=lambda **kwargs: other)
    application = make_application(domains=["example.com"])

    response = request_token(application, "alice@example.com")

    assert response.status_code == 403
    assert response.json() == DOMAIN_REFUSED


def test_hook_returning_a_user_without_email_is_refused(
    make_application, delegation, django_user_model
):
    nobody = django_user_model.objects.create_user(username="nobody", email="")
    delegation(GET_DELEGATED_USER=lambda **kwargs: nobody)

    response = request_token(make_application(domains=["example.com"]), "alice@example.com")

    assert response.status_code == 403
    assert response.json() == DOMAIN_REFUSED


def test_user_found_under_another_address_of_the_domain_must_pass_can_delegate_itself(
    make_application, delegation, django_user_model
):
    jose = django_user_model.objects.create_user(username="jose", email="jose@example.com")
    decided = []
    delegation(
        GET_DELEGATED_USER=lambda **kwargs: jose,
        CAN_DELEGATE=recording_can_delegate(decided, refused={"jose@example.com"}),
    )

    response = request_token(make_application(domains=["example.com"]), "j.ose@example.com")

    assert response.status_code == 403
    assert response.json() == DOMAIN_REFUSED
    assert decided == ["j.ose@example.com", "jose@example.com"]


def test_same_address_in_another_case_is_issued_without_a_second_decision(
    make_application, delegation, django_user_model
):
    alice = django_user_model.objects.create_user(username="alice", email="Alice@Example.com")
    decided = []
    delegation(CAN_DELEGATE=recording_can_delegate(decided))

    response = request_token(make_application(domains=["example.com"]), "alice@EXAMPLE.com")

    assert response.status_code == 200, response.content
    assert subject(response) == str(alice.pk)
    assert decided == ["alice@example.com"]


# One spelling per mailbox ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("alice@example.com", "alice@example.com"),
        ("Alice@EXAMPLE.COM", "Alice@example.com"),
        ("alice@ａllowed.com", "alice@allowed.com"),
        ("ａｌｉｃｅ@allowed.com", "alice@allowed.com"),
        ('"alice"@allowed.com', "alice@allowed.com"),
        ('"al\\ice"@allowed.com', "alice@allowed.com"),
        ('"first.last"@allowed.com', "first.last@allowed.com"),
        ('"a b"@allowed.com', '"a b"@allowed.com'),
        ('"a..b"@allowed.com', '"a..b"@allowed.com'),
        ("zoe@xn--vil-9la.com", "zoe@évil.com"),
        ("zoe@ÉVIL.com", "zoe@évil.com"),
        ("zoe@évil.com.", "zoe@évil.com"),
        ("zoe@évil。com", "zoe@évil.com"),
    ],
)
def test_normalize_email(raw, normalised):
    assert normalize_email(raw) == normalised


@pytest.mark.parametrize("raw", ["", "alice", "@example.com", "alice@", "alice@xn--zz.com"])
def test_normalize_email_rejects_what_is_not_an_address(raw):
    with pytest.raises(ValueError):
        normalize_email(raw)


def test_lookup_forms_cover_the_unicode_and_ascii_domain():
    assert email_lookup_forms("zoe@évil.com") == ("zoe@évil.com", "zoe@xn--vil-9la.com")
    assert email_lookup_forms("zoe@example.com") == ("zoe@example.com",)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("alice@ａllowed.com", "alice@allowed.com"),
        ('"alice"@allowed.com', "alice@allowed.com"),
        ("zoe@évil.com", "zoe@xn--vil-9la.com"),
        ("zoe@xn--vil-9la.com", "ZOE@ÉVIL.COM"),
    ],
)
def test_spellings_of_one_mailbox_provision_one_account(
    make_application, delegation, django_user_model, first, second
):
    delegation(ALLOW_USER_CREATION=True)
    application = make_application(domains=["allowed.com", "évil.com"])

    responses = [request_token(application, first), request_token(application, second)]

    assert [response.status_code for response in responses] == [200, 200]
    user = django_user_model.objects.get()
    assert {subject(response) for response in responses} == {str(user.pk)}
    assert user.email == normalize_email(first)


def test_account_stored_with_an_ascii_domain_is_found_by_its_unicode_spelling(
    make_application, django_user_model
):
    zoe = django_user_model.objects.create_user(username="zoe", email="zoe@xn--vil-9la.com")

    response = request_token(make_application(domains=["évil.com"]), "zoe@évil.com")

    assert response.status_code == 200, response.content
    assert subject(response) == str(zoe.pk)


def test_full_width_at_sign_cannot_smuggle_another_domain(make_application, django_user_model):
    django_user_model.objects.create_user(username="victim", email="victim@evil.com")

    response = request_token(
        make_application(domains=["allowed.com"]), "victim＠evil.com@allowed.com"
    )

    # NFKC turns the full-width sign into "@": the address is refused as malformed.
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
