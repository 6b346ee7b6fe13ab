"""The ``GET_DELEGATED_USER`` hook of La Suite Meet-like services
(``contrib.lasuite.provisioning``): a user is created from an e-mail only when the OIDC login will
reconcile it (reference §2.6). It needs no django-lasuite package."""

from __future__ import annotations

import pytest

from django_app_delegation import hooks
from tests.doubles import UnsavableUser
from tests.helpers import request_token, subject

pytestmark = pytest.mark.django_db

HOOK = "django_app_delegation.contrib.lasuite.provisioning.get_delegated_user"


@pytest.fixture
def meet_hook(delegation):
    delegation(GET_DELEGATED_USER=HOOK, ALLOW_USER_CREATION=True)


@pytest.fixture
def reconciled(settings):
    """django-lasuite's OIDC login finds users by e-mail and may fill in their ``sub``."""
    settings.OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION = True
    settings.OIDC_USER_SUB_FIELD_IMMUTABLE = False


def test_creates_a_provisional_user_when_the_login_will_reconcile_it(
    meet_hook, reconciled, application, django_user_model
):
    response = request_token(application, "newcomer@example.com")

    assert response.status_code == 200, response.content
    newcomer = django_user_model.objects.get(email="newcomer@example.com")
    assert subject(response) == str(newcomer.pk)
    assert not newcomer.has_usable_password()


@pytest.mark.parametrize(
    ("fallback", "immutable"),
    [(False, False), (True, True), (None, None)],
    ids=["no e-mail fallback", "immutable sub", "settings unset (django-lasuite's defaults)"],
)
def test_creates_nobody_when_the_login_would_not_reconcile(
    meet_hook, settings, application, django_user_model, fallback, immutable
):
    for name, value in (
        ("OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION", fallback),
        ("OIDC_USER_SUB_FIELD_IMMUTABLE", immutable),
    ):
        if value is None:
            if hasattr(settings, name):
                delattr(settings, name)
        else:
            setattr(settings, name, value)

    response = request_token(application, "newcomer@example.com")

    assert response.status_code == 404
    assert response.json()["error_description"] == "User not found."
    assert not django_user_model.objects.filter(email="newcomer@example.com").exists()


def test_creates_nobody_without_allow_user_creation(delegation, reconciled, application):
    delegation(GET_DELEGATED_USER=HOOK, ALLOW_USER_CREATION=False)

    assert request_token(application, "newcomer@example.com").status_code == 404


def test_finds_existing_users_whatever_the_flags(meet_hook, application, user):
    response = request_token(application, "ALICE@example.com")

    assert response.status_code == 200
    assert subject(response) == str(user.pk)


def test_a_lost_race_without_a_winner_is_409(meet_hook, reconciled, application, monkeypatch):
    monkeypatch.setattr(hooks, "_build_provisional_user", lambda email: UnsavableUser())

    response = request_token(application, "newcomer@example.com")

    assert response.status_code == 409
    assert response.json()["error_description"] == "Failed to create or retrieve provisional user."
