"""Revoking delegated access tokens before they expire, and forgetting revocations once useless.

Two kinds of entries, both read by the query that authenticates a token (``authentication.py``),
so a revoked token is refused at its next request at no extra query:

* :class:`~.models.RevokedToken`: one token, by its ``jti`` (the revocation endpoint, RFC 7009);
  useless once the token has expired.
* :class:`~.models.RevokedDelegation`: every token of one application for one user issued up to
  now (tokens issued afterwards work); useless once the longest-lived of them has expired.

Each revocation is recorded in the audit trail (``revoke``) and reported by ``token_revoked``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import connections, router, transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import audit
from .conf import delegation_settings
from .domains import mailbox_of
from .hooks import users_by_email
from .models import (
    JTI_MAX_LENGTH,
    Application,
    EventAction,
    RevokedDelegation,
    RevokedToken,
)
from .signals import token_revoked
from .tokens import max_access_token_lifetime

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from .audit import AnyRequest

__all__ = [
    "ExpiredRevocations",
    "can_revoke_jti",
    "expired_revocations",
    "expiry_of",
    "longest_token_lifetime",
    "revoke_delegation",
    "revoke_delegations_for_email",
    "revoke_token",
]


def longest_token_lifetime() -> timedelta:
    """How long after its ``iat`` a token can still authenticate: the longest lifetime any
    application's tokens may have (``MAX_ACCESS_TOKEN_LIFETIME``) plus ``LEEWAY``.

    A pair's revocation is kept that long after it was made, so that it outlives every token it
    refuses.
    """
    return max_access_token_lifetime() + delegation_settings.LEEWAY


def can_revoke_jti(jti: object) -> bool:
    """Whether a token with this ``jti`` claim can be revoked on its own (it has a usable one)."""
    return isinstance(jti, str) and 0 < len(jti) <= JTI_MAX_LENGTH


def revoke_token(
    *,
    application: Application,
    jti: str,
    expires_at: datetime,
    user: AbstractBaseUser | None = None,
    request: AnyRequest | None = None,
) -> bool:
    """Refuse the token ``jti`` of ``application`` from its next request until ``expires_at``.

    Returns whether it was revoked now (False: it already was). ``user`` is the token's, for the
    audit trail and the ``token_revoked`` signal.
    """
    if not can_revoke_jti(jti):
        raise ValueError("A token is revoked by its jti: a non-empty string of 255 at most.")
    _entry, created = RevokedToken.objects.get_or_create(
        jti=jti, defaults={"application": application, "expires_at": expires_at}
    )
    if created:
        _revoked(request, application=application, user=user, jti=jti)
    return created


def revoke_delegation(
    *,
    application: Application,
    user: AbstractBaseUser,
    request: AnyRequest | None = None,
) -> RevokedDelegation:
    """Refuse every token ``application`` holds for ``user`` now; tokens issued later work.

    Tokens carry ``iat`` in whole seconds: those of the current second are refused too (the safe
    side), so a token asked for right after the revocation may be refused for up to a second.
    The application stays active, for its other users.
    """
    now = timezone.now()
    # One upsert: requests revoking the same pair at once neither fail on the unique constraint
    # nor deadlock (a SELECT ... FOR UPDATE of a missing row takes gap locks on MariaDB).
    # The plugin types ``user`` with the checked settings' user model, not AUTH_USER_MODEL's.
    entry = RevokedDelegation(  # type: ignore[misc]
        application=application, user=user, revoked_iat=int(now.timestamp()), revoked_at=now
    )
    database = router.db_for_write(RevokedDelegation, instance=application)
    # MySQL/MariaDB's ON DUPLICATE KEY UPDATE names no target: the pair is its only unique key.
    targeted = connections[database].features.supports_update_conflicts_with_target
    RevokedDelegation.objects.using(database).bulk_create(
        [entry],
        update_conflicts=True,
        unique_fields=["application", "user"] if targeted else None,
        update_fields=["revoked_iat", "revoked_at"],
    )
    _revoked(request, application=application, user=user, jti=None)
    # The row as stored (MySQL/MariaDB return no primary key from an upsert).
    pair = {"application": application, "user_id": user.pk}
    return RevokedDelegation.objects.using(database).get(**pair)


def revoke_delegations_for_email(
    *, application: Application, email: str, request: AnyRequest | None = None
) -> int:
    """:func:`revoke_delegation` for each user whose e-mail is ``email``; returns how many.

    ``email`` is matched as the token endpoint matches it (any case, Unicode or ASCII domain),
    and what the database found is decided on again with the user's own address, as the token
    endpoint does: a collation that folds accents never widens the match to another mailbox. An
    address of no user revokes nothing, and callers must not tell it apart.
    """
    wanted = email.lower()
    with transaction.atomic():
        users = [user for user in users_by_email(email) if mailbox_of(user).lower() == wanted]
        for user in users:
            revoke_delegation(application=application, user=user, request=request)
    return len(users)


def _revoked(
    request: AnyRequest | None,
    *,
    application: Application,
    user: AbstractBaseUser | None,
    jti: str | None,
) -> None:
    audit.record(
        request, action=EventAction.REVOKE, application=application, user=user, object_id=jti
    )
    token_revoked.send(
        sender=Application, application=application, user=user, jti=jti, request=request
    )


@dataclass(frozen=True)
class ExpiredRevocations:
    """The entries no token needs any more, as of ``now``."""

    tokens: QuerySet[RevokedToken]
    delegations: QuerySet[RevokedDelegation]
    now: datetime


def expired_revocations(now: datetime | None = None) -> ExpiredRevocations:
    """Entries that refuse nothing any more: a token's once it has expired (with ``LEEWAY``), a
    pair's once :func:`longest_token_lifetime` has passed since it was made."""
    now = now or timezone.now()
    leeway = delegation_settings.LEEWAY
    return ExpiredRevocations(
        tokens=RevokedToken.objects.filter(expires_at__lt=now - leeway),
        delegations=RevokedDelegation.objects.filter(revoked_at__lt=now - longest_token_lifetime()),
        now=now,
    )


def expiry_of(claims: dict[str, object]) -> datetime:
    """The ``exp`` claim of verified ``claims`` as an aware datetime."""
    exp = claims["exp"]
    assert isinstance(exp, int | float)
    try:
        return datetime.fromtimestamp(exp, tz=UTC)
    except (OverflowError, ValueError, OSError):  # Beyond what datetime holds: kept for ever.
        return datetime.max.replace(tzinfo=UTC)
