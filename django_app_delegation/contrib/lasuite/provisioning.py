"""The ``GET_DELEGATED_USER`` hook of a service whose users log in through django-lasuite's OIDC
backend and may be provisioned before their first login, as La Suite Meet's are.

Set it in ``APP_DELEGATION["GET_DELEGATED_USER"]``:
``"django_app_delegation.contrib.lasuite.provisioning.get_delegated_user"``. It needs no
django-lasuite package at run time: it reads the settings of its OIDC login backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from ...conf import delegation_settings
from ...hooks import get_delegated_user as default_get_delegated_user

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from rest_framework.request import Request

    from ...models import Application


def provisional_users_reconcile() -> bool:
    """Whether a user created from an e-mail alone gets its ``sub`` at its first OIDC login.

    django-lasuite's OIDC backend then finds the user by e-mail
    (``OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION``) and may fill in its empty ``sub``
    (``OIDC_USER_SUB_FIELD_IMMUTABLE`` off). Otherwise the login would create a second user and
    the provisional one would be orphaned.
    """
    return bool(getattr(settings, "OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION", False)) and not (
        getattr(settings, "OIDC_USER_SUB_FIELD_IMMUTABLE", True)
    )


def get_delegated_user(
    *, email: str, application: Application, request: Request | None = None, **kwargs: Any
) -> AbstractBaseUser:
    """Return the user to act for, creating a provisional one only as La Suite Meet does.

    Contract: that of :func:`django_app_delegation.hooks.get_delegated_user`. A user is found by
    e-mail whatever its ``sub``; an unknown e-mail gets a new user (the e-mail, no ``sub``, an
    unusable password) only when ``ALLOW_USER_CREATION`` is on **and** the OIDC login will
    reconcile it (:func:`provisional_users_reconcile`); otherwise 404 ``User not found.``. The
    creation is race-safe as in the default hook (a database lock; the
    ``unique_email_when_sub_is_null`` constraint where there is none), and a lost race that
    cannot read the winner's row answers 409 ``Failed to create or retrieve provisional user.``.
    """
    allowed = bool(delegation_settings.ALLOW_USER_CREATION) and provisional_users_reconcile()
    return default_get_delegated_user(
        email=email, application=application, request=request, allow_creation=allowed, **kwargs
    )
