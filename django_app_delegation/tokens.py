"""Minting and decoding of delegated access tokens (RFC 9068-shaped JWTs, signed with PyJWT)."""

from __future__ import annotations

import binascii
import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

import jwt
from django.utils import timezone
from jwt.utils import base64url_decode

from .conf import delegation_settings
from .exceptions import ForeignToken as ForeignToken  # also imported from here
from .exceptions import MalformedClaims as MalformedClaims  # also imported from here
from .exceptions import WrongTokenType as WrongTokenType  # also imported from here
from .keys import ASYMMETRIC_ALGORITHMS as ASYMMETRIC_ALGORITHMS  # also imported from here
from .keys import HMAC_ALGORITHMS as HMAC_ALGORITHMS  # also imported from here
from .keys import SUPPORTED_ALGORITHMS as SUPPORTED_ALGORITHMS  # also imported from here
from .keys import current_key, verifying_key_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest
    from rest_framework.request import Request

    from .models import Application

#: JOSE ``typ`` of access tokens (RFC 9068 §2.1); ``application/at+jwt`` is accepted too.
TOKEN_TYPE_HEADER = "at+jwt"
#: Claims whose absence can be tolerated through ``REQUIRED_CLAIMS`` (for tokens minted by La
#: Suite Meet's built-in external API before a project switched to this app).
RELAXABLE_CLAIMS = frozenset({"iat", "jti", "sub", "nbf", "client_id", "scope"})


@dataclass(frozen=True)
class IssuedToken:
    """A freshly minted token and the figures the token response needs."""

    access_token: str
    expires_in: int
    scopes: tuple[str, ...]
    claims: dict[str, Any] = field(repr=False)


def signing_key() -> str | bytes:
    """The private key (or HMAC secret) that signs new tokens."""
    key = current_key().private
    assert key is not None  # a key that may sign has one
    return key


def key_id() -> str:
    """The ``kid`` of new tokens: the signing key's (``KEY_ID``, or a digest of the verifying
    key, in the single-key form)."""
    return current_key().kid


def _as_timedelta(value: timedelta | float) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def max_access_token_lifetime() -> timedelta:
    """The longest any access token lasts: ``MAX_ACCESS_TOKEN_LIFETIME``, or
    ``ACCESS_TOKEN_LIFETIME`` when it is None."""
    maximum = delegation_settings.MAX_ACCESS_TOKEN_LIFETIME
    if maximum is None:
        return _as_timedelta(delegation_settings.ACCESS_TOKEN_LIFETIME)
    return _as_timedelta(maximum)


def access_token_lifetime(application: Application | None = None) -> timedelta:
    """How long a token issued now to ``application`` lasts: its own lifetime, or
    ``ACCESS_TOKEN_LIFETIME``, and never more than :func:`max_access_token_lifetime` (the
    settings may have shrunk since the application's lifetime was saved)."""
    lifetime = getattr(application, "access_token_lifetime", None)
    if lifetime is None:
        lifetime = _as_timedelta(delegation_settings.ACCESS_TOKEN_LIFETIME)
    return min(lifetime, max_access_token_lifetime())


def lifetime_seconds(application: Application | None = None) -> int:
    """:func:`access_token_lifetime` in whole seconds (``expires_in``)."""
    return int(access_token_lifetime(application).total_seconds())


def issue_token(
    *,
    application: Application,
    user: AbstractBaseUser,
    scopes: tuple[str, ...],
    request: Request | HttpRequest | None = None,
) -> IssuedToken:
    """Mint a signed access token for ``application`` acting as ``user`` with ``scopes``."""
    now = int(timezone.now().timestamp())
    expires_in = lifetime_seconds(application)
    user_id = str(user.pk)
    claims: dict[str, Any] = {
        "sub": user_id,
        "user_id": user_id,
        "client_id": application.client_id,
        "act": {"sub": application.client_id},
        "delegated": True,
        "iat": now,
        "exp": now + expires_in,
        "jti": uuid.uuid4().hex,
    }
    if scopes:
        claims["scope"] = " ".join(scopes)
    if delegation_settings.ISSUER:
        claims["iss"] = delegation_settings.ISSUER
    if delegation_settings.AUDIENCE:
        claims["aud"] = delegation_settings.AUDIENCE
    claims = delegation_settings.GET_TOKEN_CLAIMS(
        claims=claims, application=application, user=user, request=request
    )
    key = current_key()
    token = jwt.encode(
        claims,
        signing_key(),
        algorithm=key.algorithm,
        headers={"typ": TOKEN_TYPE_HEADER, "kid": key.kid},
    )
    return IssuedToken(access_token=token, expires_in=expires_in, scopes=scopes, claims=claims)


def required_claims() -> list[str]:
    required = {"exp", *delegation_settings.REQUIRED_CLAIMS}
    if delegation_settings.ISSUER:
        required.add("iss")
    if delegation_settings.AUDIENCE:
        required.add("aud")
    return sorted(required)


#: What decoding raises for a token that is not ours: unparsable, a header we cannot use, or
#: signed with another key or algorithm; that is, any failure before the signature is verified.
#: Anything else raised by :func:`decode_token` concerns a token we signed.
FOREIGN_TOKEN_ERRORS = (
    ForeignToken,
    jwt.DecodeError,
    jwt.InvalidSignatureError,
    jwt.InvalidAlgorithmError,
    jwt.InvalidKeyError,
)


#: Claim failures PyJWT raises only once the signature is verified: the token is ours.
_CLAIM_ERRORS = (
    jwt.ExpiredSignatureError,
    jwt.ImmatureSignatureError,
    jwt.InvalidIssuerError,
    jwt.InvalidAudienceError,
    jwt.InvalidIssuedAtError,
    jwt.MissingRequiredClaimError,
)


def _unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header of ``token``, unverified: only to choose the key by its ``kid``."""
    try:
        header = json.loads(base64url_decode(token.partition(".")[0]))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ForeignToken("Invalid header.") from exc
    if not isinstance(header, dict):
        raise ForeignToken("Invalid header.")
    return header


def _check_token_type(header: dict[str, Any]) -> None:
    if delegation_settings.VERIFY_TOKEN_TYPE:
        typ = str(header.get("typ", "")).lower()
        if typ not in (TOKEN_TYPE_HEADER, "application/" + TOKEN_TYPE_HEADER):
            raise WrongTokenType("Invalid token type.")


def decode_token(token: str) -> dict[str, Any]:
    """Verify ``token`` and return its claims.

    Raises one of :data:`FOREIGN_TOKEN_ERRORS` when the token is not ours, and other
    ``InvalidTokenError`` subclasses for our tokens that fail validation (expired, wrong issuer or
    audience, missing or malformed claims, wrong ``typ``).

    A valid token costs one PyJWT decode (signature and claims together); a failure PyJWT does
    not say happened after the signature check is classified by verifying the signature alone,
    so only refused tokens pay twice.
    """
    # The key is chosen among the configured ones by ``kid``, never taken from the header; each
    # key verifies its own algorithm only (RFC 8725 §3.1).
    signing = verifying_key_for(_unverified_header(token).get("kid"))
    if signing is None:
        raise ForeignToken("No configured key has this token's kid.")
    key = signing.verifying_material()
    algorithms = [signing.algorithm]
    leeway = delegation_settings.LEEWAY
    try:
        # PyJWT refuses a payload that is not a JSON object.
        decoded = jwt.api_jwt.decode_complete(
            token,
            key,
            algorithms=algorithms,
            issuer=delegation_settings.ISSUER or None,
            audience=delegation_settings.AUDIENCE or None,
            leeway=leeway.total_seconds() if isinstance(leeway, timedelta) else leeway,
            options={
                "verify_signature": True,
                "verify_exp": True,
                "verify_nbf": True,
                "verify_iat": True,
                "verify_iss": True,
                "verify_aud": True,
                "require": required_claims(),
            },
        )
    except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError, jwt.InvalidKeyError):
        raise
    except _CLAIM_ERRORS:
        # The signature is ours: the type is checked first, as for a token with valid claims.
        _check_token_type(_unverified_header(token))
        raise
    except jwt.PyJWTError as exc:
        _classify_failure(token, key, algorithms, exc)
        raise  # pragma: no cover - _classify_failure always raises
    # The signature is ours from here on: every failure is a 401, never a deferral.
    _check_token_type(decoded["header"])
    claims: dict[str, Any] = decoded["payload"]
    return claims


def _classify_failure(token: str, key: Any, algorithms: list[str], exc: jwt.PyJWTError) -> NoReturn:
    """Raise what a failed decode means: before the signature, the token is someone else's."""
    try:
        signed = jwt.api_jws.decode_complete(token, key, algorithms=algorithms)
    except FOREIGN_TOKEN_ERRORS:
        raise
    except jwt.PyJWTError as header_error:
        # Header checks (``kid``, ``crit``, ``b64``) run before the signature: we issue no such
        # header, so the token is someone else's whatever key signed it.
        raise ForeignToken(str(header_error)) from header_error
    _check_token_type(signed["header"])
    if isinstance(exc, jwt.DecodeError):
        raise MalformedClaims(str(exc)) from exc
    raise exc
