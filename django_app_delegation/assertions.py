"""JWTs an application signs with its own key (RFC 7523): the JWT-bearer grant's ``assertion``
and ``private_key_jwt``'s ``client_assertion``.

An assertion is verified with the public keys registered on the application its ``iss`` names,
and with nothing else: the key is picked by the header's ``kid`` among them (every key of a fitting
type is tried when there is no ``kid``), never fetched (``jku``, ``x5u``) nor read from the header
(``jwk``, ``x5c``). Only :data:`~.client_keys.ASSERTION_ALGORITHMS` are accepted. ``exp``, ``iss``,
``sub`` and ``aud`` are required; ``exp`` is at most ``ASSERTION_MAX_LIFETIME`` after ``iat`` (or
now); ``iat`` and ``nbf`` are honoured with ``ASSERTION_LEEWAY``. Each assertion is used once:
:func:`record_use` stores its ``jti``, with a unique constraint, until the assertion expires. An
assertion without a ``jti`` (RFC 7523 makes it optional; oauthlib's ``ServiceApplicationClient``
sends none by default) is recorded by the SHA-256 digest of its text instead, so that the very
same assertion is refused the second time too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import jwt
from django.db import IntegrityError, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jwt.exceptions import InvalidJTIError

from .client_keys import ASSERTION_ALGORITHMS, key_algorithms, load_key
from .conf import delegation_settings
from .exceptions import InvalidAssertion
from .models import ASSERTION_JTI_MAX_LENGTH, Application, UsedAssertion

#: Claims every assertion carries (``jti`` is optional: see :func:`replay_key`).
REQUIRED_CLAIMS = ("exp", "iss", "sub", "aud")
#: Prefix of the replay key of an assertion without ``jti``.
DIGEST_PREFIX = "sha256:"
#: Longest assertion read (a JWT of a few claims signed with a 4096-bit RSA key is ~1 KB).
MAX_ASSERTION_LENGTH = 8192


def unverified_claims(assertion: str) -> dict[str, Any]:
    """The claims of ``assertion`` before any check (to find the application ``iss`` names)."""
    if len(assertion) > MAX_ASSERTION_LENGTH:
        raise InvalidAssertion(_("The assertion is not a signed JWT."))
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidAssertion(_("The assertion is not a signed JWT.")) from None
    return claims


def unverified_issuer(assertion: str) -> str:
    """The ``iss`` of ``assertion``, unverified; ``InvalidAssertion`` when it has none."""
    issuer = unverified_claims(assertion).get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise InvalidAssertion(_("The assertion lacks the claim %(claim)s.") % {"claim": "iss"})
    return issuer


def verify_assertion(
    assertion: str, *, application: Application, audiences: Iterable[str]
) -> dict[str, Any]:
    """The verified claims of ``assertion``, signed by ``application`` for one of ``audiences``.

    Raises :class:`~.exceptions.InvalidAssertion` with a stable description otherwise. The
    ``jti`` is not recorded: call :func:`record_use` once every other check has passed.
    """
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise InvalidAssertion(_("The assertion is not a signed JWT.")) from None
    algorithm = header.get("alg")
    if algorithm not in ASSERTION_ALGORITHMS:
        raise InvalidAssertion(
            _("The assertion's algorithm is not accepted; use %(algorithms)s.")
            % {"algorithms": ", ".join(ASSERTION_ALGORITHMS)}
        )
    kid = header.get("kid")
    candidates = [
        jwk
        for jwk in application.public_jwks
        if algorithm in key_algorithms(jwk) and (kid is None or jwk.get("kid") == kid)
    ]
    leeway = delegation_settings.ASSERTION_LEEWAY
    for jwk in candidates:
        key = load_key(jwk)
        if key is None:  # A stored key that does not load verifies nothing.
            continue
        try:
            claims: dict[str, Any] = jwt.decode(
                assertion,
                key,
                algorithms=[algorithm],
                audience=list(audiences),
                issuer=application.client_id,
                leeway=leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as exc:
            raise InvalidAssertion(claim_error(exc)) from None
        check_claims(claims)
        return claims
    raise InvalidAssertion(_("No public key of the application verifies the assertion."))


def claim_error(exc: jwt.PyJWTError) -> str:
    """The stable description of a claim PyJWT refused once the signature was verified."""
    if isinstance(exc, jwt.ExpiredSignatureError):
        return _("The assertion has expired.")
    if isinstance(exc, jwt.ImmatureSignatureError):
        return _("The assertion is not valid yet (iat or nbf is in the future).")
    if isinstance(exc, jwt.InvalidAudienceError):
        return _("The assertion's audience (aud) is not this endpoint.")
    if isinstance(exc, jwt.InvalidIssuerError):
        return _("The assertion's issuer (iss) is not the application.")
    if isinstance(exc, InvalidJTIError):
        return jti_error()
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return _("The assertion lacks the claim %(claim)s.") % {"claim": exc.claim}
    return _("The assertion's claims are malformed.")


def jti_error() -> str:
    return _("The assertion's jti must be a string of 1 to %(length)d characters.") % {
        "length": ASSERTION_JTI_MAX_LENGTH
    }


def check_claims(claims: dict[str, Any]) -> None:
    """``jti`` (when sent) and ``sub`` are non-empty strings; ``exp`` is soon enough."""
    jti = claims.get("jti")
    if "jti" in claims and (
        not isinstance(jti, str) or not jti or len(jti) > ASSERTION_JTI_MAX_LENGTH
    ):
        raise InvalidAssertion(jti_error())
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise InvalidAssertion(_("The assertion's claims are malformed."))
    now = timezone.now().timestamp()
    longest = delegation_settings.ASSERTION_MAX_LIFETIME.total_seconds()
    leeway = delegation_settings.ASSERTION_LEEWAY.total_seconds()
    issued_at = claims.get("iat")
    start = issued_at if isinstance(issued_at, int | float) else now
    if claims["exp"] - start > longest or claims["exp"] - now > longest + leeway:
        raise InvalidAssertion(
            _("The assertion lives too long: exp may be at most %(seconds)d seconds ahead.")
            % {"seconds": int(longest)}
        )


def replay_key(assertion: str, claims: dict[str, Any]) -> str:
    """What identifies the assertion among the application's: its ``jti``, or the SHA-256 digest
    of its text when it has none (the same assertion sent twice is then refused too; two
    assertions signed in the same second with the same claims are the same assertion, so a client
    that asks more than once a second sends a ``jti``)."""
    jti = claims.get("jti")
    if isinstance(jti, str) and jti:
        return jti
    return DIGEST_PREFIX + hashlib.sha256(assertion.encode()).hexdigest()


def record_use(application: Application, claims: dict[str, Any], assertion: str) -> None:
    """Store the assertion's :func:`replay_key` until it expires; ``InvalidAssertion`` when it
    was used.

    The unique constraint on (application, jti) decides, so two processes racing with the same
    assertion cannot both pass.
    """
    leeway = delegation_settings.ASSERTION_LEEWAY
    expires_at = datetime.fromtimestamp(claims["exp"], tz=UTC) + leeway
    using = router.db_for_write(UsedAssertion, instance=application)
    try:
        with transaction.atomic(using=using):
            UsedAssertion.objects.using(using).create(
                application=application,
                jti=replay_key(assertion, claims),
                expires_at=expires_at,
            )
    except IntegrityError:
        raise InvalidAssertion(_("The assertion has already been used.")) from None
