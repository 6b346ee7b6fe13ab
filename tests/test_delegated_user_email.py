"""The e-mail a token acts for: one spelling per mailbox, and decisions made on the user found.

Databases compare e-mails their own way: PostgreSQL's ``UPPER()`` turns a dotless i into ``I``,
MariaDB's default collation (``utf8mb4_general_ci``) ignores accents. The token endpoint must
never act for a user of another domain than the one asked for, whatever the database folded.
"""

from __future__ import annotations

import jwt
import pytest
from django.db import connection
from django.db.models import Q

from django_app_delegation.domains import email_domain, email_lookup_forms, normalize_email
from tests.conftest import TOKEN_URL

DOMAIN_REFUSED = {
    "error": "invalid_scope",
    "error_description": "This application is not authorized for this email domain.",
}


def subject(response, settings):
    conf = settings.APP_DELEGATION
    claims = jwt.decode(
        response.json()["access_token"],
        conf["SIGNING_KEY"],
        algorithms=["HS256"],
        issuer=conf["ISSUER"],
        audience=conf["AUDIENCE"],
    )
    return claims["sub"]


@pytest.fixture
def ask(api_client):
    """Request a token acting as ``email`` for ``application`` (which carries ``.secret``)."""

    def post(application, email):
        return api_client.post(
            TOKEN_URL,
            {
                "grant_type": "client_credentials",
                "client_id": application.client_id,
                "client_secret": application.secret,
                "scope": email,
            },
            format="json",
        )

    return post


@pytest.fixture
def app_for(make_application):
    def make(*domains):
        application, secret = make_application(domains=domains)
        application.secret = secret
        return application

    return make


def database_folds(django_user_model, requested):
    """Tell whether this database's case-insensitive lookup finds another user for ``requested``."""
    condition = Q()
    for form in email_lookup_forms(normalize_email(requested)):
        condition |= Q(email__iexact=form)
    return django_user_model._default_manager.filter(condition).exists()


# (allowed domain, existing victim, e-mail requested, databases known to fold the two together)
LOOKALIKES = [
    pytest.param(
        "evıl.com", "victim@evil.com", "victim@evıl.com", {"postgresql", "mysql"}, id="dotless-i"
    ),
    pytest.param("société.fr", "boss@societe.fr", "boss@société.fr", {"mysql"}, id="accent"),
    pytest.param("evİl.com", "victim@evil.com", "VICTIM@EVİL.COM", set(), id="dotted-capital-i"),
    pytest.param("еvil.com", "victim@evil.com", "victim@еvil.com", set(), id="cyrillic-e"),
    pytest.param("straße.de", "x@strasse.de", "x@straße.de", set(), id="sharp-s"),
]


@pytest.mark.parametrize(("allowed", "victim_email", "requested", "folding"), LOOKALIKES)
def test_lookalike_domain_never_reaches_its_ascii_twin(
    app_for, ask, django_user_model, allowed, victim_email, requested, folding
):
    victim = django_user_model.objects.create_user(username="victim", email=victim_email)
    application = app_for(allowed)
    folds = database_folds(django_user_model, requested)
    # The test exercises the fold wherever the database is known to make it.
    assert folds == (connection.vendor in folding)

    response = ask(application, requested)

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
    app_for, ask, delegation, django_user_model, settings, allowed, victim_email, requested, folding
):
    delegation(ALLOW_USER_CREATION=True)
    victim = django_user_model.objects.create_user(username="victim", email=victim_email)
    application = app_for(allowed)

    response = ask(application, requested)

    if connection.vendor in folding:
        assert response.status_code == 403, response.content
        assert response.json() == DOMAIN_REFUSED
        assert list(django_user_model.objects.all()) == [victim]
    else:
        # Another domain, another mailbox: its own new account, never the victim's.
        assert response.status_code == 200, response.content
        created = django_user_model.objects.exclude(pk=victim.pk).get()
        assert subject(response, settings) == str(created.pk)
        assert email_domain(created.email) == email_domain(requested)


def test_hook_returning_a_user_of_another_domain_is_refused(
    app_for, ask, delegation, django_user_model, monkeypatch
):
    other = django_user_model.objects.create_user(username="other", email="ceo@bank.example")
    monkeypatch.setattr(
        "tests.test_delegated_user_email.lookalike_hook", lambda **kwargs: other, raising=False
    )
    delegation(GET_DELEGATED_USER="tests.test_delegated_user_email.lookalike_hook")
    application = app_for("example.com")

    response = ask(application, "alice@example.com")

    assert response.status_code == 403
    assert response.json() == DOMAIN_REFUSED


def test_hook_returning_a_user_without_email_is_refused(
    app_for, ask, delegation, django_user_model, monkeypatch
):
    nobody = django_user_model.objects.create_user(username="nobody", email="")
    monkeypatch.setattr(
        "tests.test_delegated_user_email.lookalike_hook", lambda **kwargs: nobody, raising=False
    )
    delegation(GET_DELEGATED_USER="tests.test_delegated_user_email.lookalike_hook")

    response = ask(app_for("example.com"), "alice@example.com")

    assert response.status_code == 403
    assert response.json() == DOMAIN_REFUSED


def test_user_found_under_another_address_of_the_domain_must_pass_can_delegate_itself(
    app_for, ask, delegation, django_user_model, monkeypatch
):
    jose = django_user_model.objects.create_user(username="jose", email="jose@example.com")
    decided = []

    def can_delegate(*, email, **kwargs):
        decided.append(email)
        return email != "jose@example.com"

    monkeypatch.setattr(
        "tests.test_delegated_user_email.lookalike_hook", lambda **kwargs: jose, raising=False
    )
    monkeypatch.setattr(
        "tests.test_delegated_user_email.can_delegate_hook", can_delegate, raising=False
    )
    delegation(
        GET_DELEGATED_USER="tests.test_delegated_user_email.lookalike_hook",
        CAN_DELEGATE="tests.test_delegated_user_email.can_delegate_hook",
    )

    response = ask(app_for("example.com"), "j.ose@example.com")

    assert response.status_code == 403
    assert response.json() == DOMAIN_REFUSED
    assert decided == ["j.ose@example.com", "jose@example.com"]


def test_same_address_in_another_case_is_issued_without_a_second_decision(
    app_for, ask, delegation, django_user_model, settings, monkeypatch
):
    alice = django_user_model.objects.create_user(username="alice", email="Alice@Example.com")
    decided = []

    def can_delegate(*, email, **kwargs):
        decided.append(email)
        return True

    monkeypatch.setattr(
        "tests.test_delegated_user_email.can_delegate_hook", can_delegate, raising=False
    )
    delegation(CAN_DELEGATE="tests.test_delegated_user_email.can_delegate_hook")

    response = ask(app_for("example.com"), "alice@EXAMPLE.com")

    assert response.status_code == 200, response.content
    assert subject(response, settings) == str(alice.pk)
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
    app_for, ask, delegation, django_user_model, settings, first, second
):
    delegation(ALLOW_USER_CREATION=True)
    application = app_for("allowed.com", "évil.com")

    responses = [ask(application, first), ask(application, second)]

    assert [response.status_code for response in responses] == [200, 200]
    user = django_user_model.objects.get()
    assert {subject(response, settings) for response in responses} == {str(user.pk)}
    assert user.email == normalize_email(first)


def test_account_stored_with_an_ascii_domain_is_found_by_its_unicode_spelling(
    app_for, ask, django_user_model, settings
):
    zoe = django_user_model.objects.create_user(username="zoe", email="zoe@xn--vil-9la.com")

    response = ask(app_for("évil.com"), "zoe@évil.com")

    assert response.status_code == 200, response.content
    assert subject(response, settings) == str(zoe.pk)


def test_full_width_at_sign_cannot_smuggle_another_domain(app_for, ask, django_user_model):
    django_user_model.objects.create_user(username="victim", email="victim@evil.com")

    response = ask(app_for("allowed.com"), "victim＠evil.com@allowed.com")

    # NFKC turns the full-width sign into "@": the address is refused as malformed.
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
