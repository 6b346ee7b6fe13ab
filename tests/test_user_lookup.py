"""The default ``GET_DELEGATED_USER`` hook's lookup: ``LOWER(email) = LOWER(%s)``, served by an
index on ``Lower("email")`` (PostgreSQL's ``EXPLAIN``), and check W040 telling the host to create
that index.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection, models
from django.db.models.functions import Lower

from django_app_delegation.checks import ID, check_user_email_index, has_lower_index
from django_app_delegation.hooks import users_by_email
from tests.testapp.models import SoftDeleteUser, User

pytestmark = pytest.mark.django_db


def test_lookup_compares_lower_cased_emails(django_user_model):
    alice = django_user_model.objects.create_user(username="alice", email="Alice@Example.com")

    assert list(users_by_email("ALICE@example.com")) == [alice]
    assert list(users_by_email("alice@example.org")) == []
    sql = str(users_by_email("alice@example.com").query)
    assert "LOWER(" in sql
    assert "UPPER(" not in sql


def test_lookup_finds_the_ascii_spelling_of_a_unicode_domain(django_user_model):
    zoe = django_user_model.objects.create_user(username="zoe", email="zoe@xn--vil-9la.com")

    assert list(users_by_email("Zoe@évil.com")) == [zoe]


# -- W040 -----------------------------------------------------------------------------------------


@pytest.fixture
def on_postgresql(monkeypatch):
    """Make the check believe the user model's database is PostgreSQL (it reads the vendor)."""
    from django.db import connections

    monkeypatch.setattr(connections["default"], "vendor", "postgresql")


def test_user_model_with_a_lower_email_index_passes(on_postgresql):
    assert has_lower_index(User, "email")
    assert check_user_email_index() == []


def test_user_model_without_a_lower_email_index_is_warned_on_postgresql(settings, on_postgresql):
    settings.AUTH_USER_MODEL = "testapp.SoftDeleteUser"

    messages = check_user_email_index()

    assert [message.id for message in messages] == [f"{ID}.W040"]
    assert 'Lower("email")' in messages[0].msg
    assert messages[0].obj is SoftDeleteUser


def test_no_warning_on_other_databases(settings):
    settings.AUTH_USER_MODEL = "testapp.SoftDeleteUser"
    if connection.vendor == "postgresql":
        pytest.skip("the other databases")
    assert check_user_email_index() == []


def test_no_warning_for_a_project_hook(settings, delegation, on_postgresql):
    settings.AUTH_USER_MODEL = "testapp.SoftDeleteUser"
    delegation(GET_DELEGATED_USER="tests.doubles.recording_can_delegate")
    assert check_user_email_index() == []
    delegation(GET_DELEGATED_USER=lambda **kwargs: None)
    assert check_user_email_index() == []


def test_the_lasuite_hook_needs_the_index_too(settings, delegation, on_postgresql):
    settings.AUTH_USER_MODEL = "testapp.SoftDeleteUser"
    delegation(
        GET_DELEGATED_USER="django_app_delegation.contrib.lasuite.provisioning.get_delegated_user"
    )
    assert [message.id for message in check_user_email_index()] == [f"{ID}.W040"]


class _Meta:
    """A model's ``_meta`` reduced to what the check reads."""

    def __init__(self, indexes=(), constraints=()):
        self.indexes, self.constraints = list(indexes), list(constraints)


@pytest.mark.parametrize(
    ("indexes", "constraints", "served"),
    [
        ([models.Index(Lower("email"), name="i")], [], True),
        ([models.Index(Lower("email").desc(), "username", name="i")], [], True),
        ([], [models.UniqueConstraint(Lower("email"), name="u")], True),
        # A partial index serves only queries that repeat its condition.
        (
            [],
            [models.UniqueConstraint(Lower("email"), condition=models.Q(sub=None), name="u")],
            False,
        ),
        ([models.Index(fields=["email"], name="i")], [], False),
        ([models.Index("username", Lower("email"), name="i")], [], False),
        ([models.Index(Lower("username"), name="i")], [], False),
    ],
    ids=[
        "index",
        "leading-desc",
        "unique",
        "partial",
        "plain-column",
        "not-leading",
        "other-field",
    ],
)
def test_which_indexes_serve_the_lookup(indexes, constraints, served):
    model = type("Model", (), {"_meta": _Meta(indexes, constraints)})
    assert has_lower_index(model, "email") is served


# -- the plan at 10,000 users (PostgreSQL) --------------------------------------------------------


def plan_nodes(plan):
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans of PostgreSQL")
def test_lookup_at_10k_users_reads_the_lower_email_index(django_user_model):
    password = make_password(None)
    django_user_model.objects.bulk_create(
        django_user_model(username=f"user{i}", email=f"User{i}@example.com", password=password)
        for i in range(10_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    users = users_by_email("USER4242@example.com")[:2]

    plan = json.loads(users.explain(format="json"))[0]["Plan"]

    table = django_user_model._meta.db_table
    scans = [node for node in plan_nodes(plan) if node.get("Relation Name") == table]
    assert scans, plan
    assert all(node["Node Type"] != "Seq Scan" for node in scans), plan
    indexes = {child.get("Index Name") for node in scans for child in plan_nodes(node)} - {None}
    assert indexes == {"testapp_user_lower_email"}, plan
    assert [user.username for user in users] == ["user4242"]
