"""Meet's user model details that provisioning relies on (reference §1.8)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from users.models import User


def test_users_without_sub_cannot_share_an_email_whatever_its_case(db):
    features = connection.features
    if not (features.supports_partial_indexes and features.supports_expression_indexes):
        pytest.skip("MariaDB cannot create a partial unique index on an expression")
    User.objects.create_user(email="bob@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="BOB@example.com")


def test_user_without_sub_may_share_an_email_with_users_who_have_one(db):
    User.objects.create_user(email="bob@example.com", sub="bob-oidc")
    User.objects.create_user(email="bob@example.com", sub="bob-other-oidc")

    User.objects.create_user(email="Bob@example.com")

    assert User.objects.filter(email__iexact="bob@example.com").count() == 3


def test_users_without_email_do_not_collide(db):
    User.objects.create_user()
    User.objects.create_user()

    assert User.objects.count() == 2


@pytest.mark.parametrize("sub", ["has space", "semi;colon", "slash/"])
def test_sub_allows_only_word_characters_and_a_few_signs(db, sub):
    user = User(sub=sub, email="bob@example.com")

    with pytest.raises(ValidationError) as error:
        user.full_clean()

    assert "sub" in error.value.message_dict


def test_sub_accepts_oidc_identifiers(db):
    User(sub="a1b2-c3.d4@idp+x_y", email="bob@example.com").full_clean(exclude=["password"])


def test_superusers_log_in_with_admin_email(db):
    admin = User.objects.create_superuser("Admin@Example.com", "a-long-password-4-tests")

    assert admin.admin_email == "Admin@example.com"
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password("a-long-password-4-tests")
    assert User.USERNAME_FIELD == "admin_email"
