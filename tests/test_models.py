"""The Application and ApplicationDomain models: identifiers, hashed secrets, scopes, domains."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists

from django_app_delegation.models import Application, ApplicationDomain, ResourceProvenance
from django_app_delegation.secrets import generate_client_id, generate_client_secret, is_hashed
from tests.doubles import meet_hash
from tests.helpers import stored_secret, twice_after_seeding_random
from tests.testapp.models import Note, Widget

pytestmark = pytest.mark.django_db

ALPHANUMERIC_40 = re.compile(r"[A-Za-z0-9]{40}")


# -- identifiers -----------------------------------------------------------------------------


def test_application_primary_key_is_a_uuid(application):
    assert isinstance(application.pk, uuid.UUID)
    assert Application.objects.get(pk=application.pk) == application


def test_client_id_is_40_alphanumeric_characters(application):
    assert ALPHANUMERIC_40.fullmatch(application.client_id)


def test_client_id_is_generated_for_each_application(make_application):
    first = make_application(name="One")
    second = make_application(name="Two")
    assert first.client_id != second.client_id


def test_client_id_is_unique_in_the_database(application):
    duplicate = Application(name="Copy", client_id=application.client_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_client_ids_do_not_depend_on_the_random_module_seed():
    first, second = twice_after_seeding_random(generate_client_id)

    assert first != second


def test_client_ids_do_not_repeat():
    ids = {generate_client_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(ALPHANUMERIC_40.fullmatch(client_id) for client_id in ids)


def test_application_defaults():
    application = Application.objects.create(name="Partner")
    application.refresh_from_db()
    assert application.scopes == []
    assert application.is_active is True
    assert application.last_used_at is None
    assert application.created_at is not None
    assert application.updated_at is not None
    assert str(application) == "Partner"


# -- secrets ---------------------------------------------------------------------------------


def test_create_application_returns_the_application_and_its_plaintext_secret(make_application):
    application = make_application()
    assert isinstance(application, Application)
    assert application.pk is not None
    assert application.check_client_secret(application.secret) is True


def test_create_application_stores_only_a_hash_of_the_secret(make_application):
    application = make_application()
    stored = stored_secret(application)
    assert stored != application.secret
    assert application.secret not in stored
    assert stored.startswith("hmac_sha256$")


def test_application_created_without_a_secret_gets_a_hashed_one():
    application = Application.objects.create(name="Partner")
    assert is_hashed(stored_secret(application))


def test_assigning_a_plaintext_secret_and_saving_stores_its_hash(application):
    application.client_secret = "chosen-by-an-admin"
    application.save()
    stored = stored_secret(application)
    assert stored != "chosen-by-an-admin"
    assert is_hashed(stored)
    application.refresh_from_db()
    assert application.check_client_secret("chosen-by-an-admin") is True
    assert application.check_client_secret(application.secret) is False


def test_assigning_a_generated_plaintext_secret_stores_the_fast_hash(application):
    secret = generate_client_secret()
    application.client_secret = secret
    application.save()
    assert stored_secret(application).startswith("hmac_sha256$")
    application.refresh_from_db()
    assert application.check_client_secret(secret) is True


def test_saving_again_does_not_hash_the_hash(application):
    application.name = "Renamed"
    application.save()
    application.refresh_from_db()
    application.save()
    application.refresh_from_db()
    assert application.check_client_secret(application.secret) is True


def test_rotate_secret_returns_a_new_secret_and_the_old_one_stops_working(application):
    old = application.secret
    new = application.rotate_secret()
    assert new != old
    fresh = Application.objects.get(pk=application.pk)
    assert fresh.check_client_secret(new) is True
    assert fresh.check_client_secret(old) is False
    assert new not in stored_secret(application)


def test_check_client_secret_refuses_the_stored_hash(application):
    assert application.check_client_secret(stored_secret(application)) is False


@pytest.mark.usefixtures("legacy_hashers")
def test_legacy_pbkdf2_secret_verifies_and_is_rehashed_to_the_fast_form(application):
    secret = generate_client_secret()
    legacy = meet_hash(secret)
    Application.objects.filter(pk=application.pk).update(client_secret=legacy)
    application.refresh_from_db()

    assert application.check_client_secret(secret) is True

    assert stored_secret(application).startswith("hmac_sha256$")
    fresh = Application.objects.get(pk=application.pk)
    assert fresh.check_client_secret(secret) is True


@pytest.mark.usefixtures("legacy_hashers")
def test_legacy_secret_is_not_rehashed_after_a_wrong_secret(application):
    secret = generate_client_secret()
    legacy = meet_hash(secret)
    Application.objects.filter(pk=application.pk).update(client_secret=legacy)
    application.refresh_from_db()

    assert application.check_client_secret(generate_client_secret()) is False

    assert stored_secret(application) == legacy


# -- scopes ----------------------------------------------------------------------------------


def test_scopes_are_stored_as_a_json_list(make_application):
    application = make_application(scopes=["rooms:list", "rooms:create"])
    application.refresh_from_db()
    assert application.scopes == ["rooms:list", "rooms:create"]


def test_scopes_from_the_vocabulary_validate(application):
    application.scopes = ["rooms:list", "rooms:delete"]
    application.full_clean()


def test_scope_names_validate_case_insensitively(application):
    application.scopes = ["Rooms:List"]
    application.full_clean()


def test_unknown_scope_is_rejected(application):
    application.scopes = ["rooms:list", "calendar:read"]
    with pytest.raises(ValidationError) as excinfo:
        application.full_clean()
    assert "scopes" in excinfo.value.message_dict
    assert "calendar:read" in excinfo.value.message_dict["scopes"][0]


@pytest.mark.parametrize("value", ["rooms:list", {"rooms:list": True}, [42], ["rooms list"]])
def test_scopes_must_be_a_list_of_scope_names(application, value):
    application.scopes = value
    with pytest.raises(ValidationError) as excinfo:
        application.full_clean()
    assert "scopes" in excinfo.value.message_dict


def test_scopes_are_validated_against_the_current_vocabulary(application, delegation):
    delegation(SCOPES={"rooms:list": "List rooms"})
    application.scopes = ["rooms:create"]
    with pytest.raises(ValidationError):
        application.full_clean()


def test_create_application_with_an_unknown_scope_creates_nothing(db):
    with pytest.raises(ValidationError):
        Application.objects.create_application(name="Partner", scopes=["calendar:read"])
    assert not Application.objects.exists()


# -- domain normalisation and validation -----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("example.com", "example.com"),
        ("  Example.COM  ", "example.com"),
        ("example.com.", "example.com"),
        ("Bücher.Example", "xn--bcher-kva.example"),
        ("*.Example.com", "*.example.com"),
        ("*.bücher.example", "*.xn--bcher-kva.example"),
    ],
)
def test_domain_is_normalised_by_full_clean(make_application, raw, stored):
    entry = ApplicationDomain(application=make_application(domains=[]), domain=raw)
    entry.full_clean()
    assert entry.domain == stored


def test_domain_is_normalised_on_save(make_application):
    application = make_application(domains=[])
    entry = ApplicationDomain.objects.create(application=application, domain=" Bücher.Example. ")
    entry.refresh_from_db()
    assert entry.domain == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "not a domain",
        "example..com",
        "-example.com",
        "example-.com",
        "*.*.com",
        "ex*ample.com",
        "*example.com",
        "*.",
        "user@example.com",
        "example.com/path",
        "a" * 64 + ".com",
    ],
)
def test_invalid_domain_is_rejected(application, raw):
    entry = ApplicationDomain(application=application, domain=raw)
    with pytest.raises(ValidationError) as excinfo:
        entry.full_clean()
    assert "domain" in excinfo.value.message_dict


def test_invalid_domain_is_not_saved(application):
    with pytest.raises(ValidationError):
        ApplicationDomain.objects.create(application=application, domain="example..com")
    assert application.allowed_domain_names() == ["example.com"]


def test_domain_is_unique_per_application_after_normalisation(application):
    duplicate = ApplicationDomain(application=application, domain="EXAMPLE.com.")
    with pytest.raises(ValidationError):
        duplicate.full_clean()


def test_duplicate_domain_is_refused_by_the_database(application):
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationDomain.objects.create(application=application, domain="Example.COM")


def test_two_applications_may_allow_the_same_domain(make_application):
    first = make_application(domains=["example.com"])
    second = make_application(domains=["example.com"])
    assert first.allowed_domain_names() == second.allowed_domain_names() == ["example.com"]


def test_create_application_with_an_invalid_domain_raises(db):
    with pytest.raises(ValidationError):
        Application.objects.create_application(name="Partner", domains=["not a domain"])


# -- domain matching -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("alice@allowed.com", True),
        ("alice@ALLOWED.Com", True),
        ("Alice@Allowed.COM", True),
        ("alice@allowed.com.evil.com", False),
        ("alice@evilallowed.com", False),
        ("alice@sub.allowed.com", False),
        ("alice@allowed.co", False),
        ("alice@other.com", False),
        ("allowed.com", False),
        ("@allowed.com", False),
        ("alice@", False),
        ("", False),
    ],
)
def test_exact_domain_matches_only_that_domain_case_insensitively(make_application, email, allowed):
    application = make_application(domains=["allowed.com"])
    assert application.can_delegate_email(email) is allowed


@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("alice@a.example.com", True),
        ("alice@a.b.example.com", True),
        ("alice@A.EXAMPLE.com", True),
        ("alice@example.com", False),
        ("alice@evilexample.com", False),
        ("alice@a.example.com.evil.com", False),
        ("alice@.example.com", False),
    ],
)
def test_wildcard_domain_matches_strict_subdomains_only(make_application, email, allowed):
    application = make_application(domains=["*.example.com"])
    assert application.can_delegate_email(email) is allowed


def test_wildcard_does_not_match_a_lookalike_without_a_dot(make_application):
    application = make_application(domains=["*.allowed.com"])
    assert application.can_delegate_email("alice@evilallowed.com") is False
    assert application.can_delegate_email("alice@allowed.com") is False


@pytest.mark.parametrize(
    "email",
    [
        "alice@evil.com#.allowed.com",
        "alice@evil.com/.allowed.com",
        "alice@evil.com x.allowed.com",
    ],
)
def test_wildcard_does_not_match_a_malformed_email_domain(make_application, email):
    """Only a real subdomain of allowed.com matches, whoever calls the model method."""
    application = make_application(domains=["*.allowed.com"])
    assert application.can_delegate_email(email) is False


@pytest.mark.parametrize(
    "email", ["alice@bücher.example", "alice@BÜCHER.Example", "alice@xn--bcher-kva.example"]
)
def test_internationalised_domain_matches_in_unicode_and_punycode(make_application, email):
    application = make_application(domains=["Bücher.Example"])
    assert application.can_delegate_email(email) is True


def test_any_entry_of_the_allow_list_may_match(make_application):
    application = make_application(domains=["one.com", "*.two.com"])
    assert application.can_delegate_email("alice@one.com") is True
    assert application.can_delegate_email("alice@x.two.com") is True
    assert application.can_delegate_email("alice@three.com") is False


def test_empty_domain_list_delegates_nobody(make_application):
    application = make_application(domains=[])
    assert application.can_delegate_email("alice@example.com") is False


def test_empty_domain_list_allows_all_when_configured(make_application, delegation):
    delegation(EMPTY_DOMAIN_LIST_ALLOWS_ALL=True)
    application = make_application(domains=[])
    assert application.can_delegate_email("alice@example.com") is True
    assert application.can_delegate_email("bob@anything.org") is True


def test_empty_domain_list_setting_does_not_widen_a_non_empty_list(make_application, delegation):
    delegation(EMPTY_DOMAIN_LIST_ALLOWS_ALL=True)
    application = make_application(domains=["allowed.com"])
    assert application.can_delegate_email("alice@other.com") is False


# -- usage -----------------------------------------------------------------------------------


def test_mark_used_records_the_time(application):
    application.mark_used()
    assert application.last_used_at is not None
    application.refresh_from_db()
    assert application.last_used_at is not None


def test_active_queryset_excludes_inactive_applications(make_application):
    active = make_application(name="On")
    make_application(name="Off", is_active=False)
    assert list(Application.objects.active()) == [active]


# -- resource provenance ---------------------------------------------------------------------


def test_provenance_records_one_object_and_replaces_the_record_of_a_reused_key(
    make_application, user
):
    first = make_application(name="First")
    second = make_application(name="Second")
    note = Note.objects.create(text="memo")

    ResourceProvenance.objects.record(note, application_id=first.pk, user=user)
    ResourceProvenance.objects.record(note, application_id=second.pk, user=None)

    record = ResourceProvenance.objects.of(note).get()
    assert (record.application, record.user, record.object_id) == (second, None, str(note.pk))


def test_provenance_queries_select_by_model_and_correlate_on_the_outer_primary_key(
    application, user
):
    noted, other = Note.objects.create(text="noted"), Note.objects.create(text="other")
    widget = Widget.objects.create(name="Lamp")
    for instance in (noted, widget):
        ResourceProvenance.objects.record(instance, application_id=application.pk, user=user)

    records = ResourceProvenance.objects.for_model(Note)

    assert list(records.values_list("object_id", flat=True)) == [str(noted.pk)]
    assert list(Note.objects.filter(Exists(records.correlated()))) == [noted]
    assert not ResourceProvenance.objects.of(other).exists()
