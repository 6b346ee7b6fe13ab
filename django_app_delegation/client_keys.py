"""The public keys an application registers to sign its assertions (RFC 7523), as a JWK Set.

An application may hold, beside or instead of a secret, up to :data:`MAX_KEYS` public keys: RSA
(at least 2048 bits; RS256 or PS256), P-256 (ES256) or Ed25519/Ed448 (EdDSA). They are given as
PEM (public keys or certificates, one or several) or as a JWK Set (RFC 7517 §5) or a single JWK,
and stored as a JWK Set of public members only: ``kty``, the key's own members, ``kid`` (the
RFC 7638 thumbprint when none is given), and ``alg`` and ``use`` when given. Members that point
elsewhere (``jku``, ``x5u``...) are dropped: keys are never fetched from a URL, nor taken from an
assertion's header. A private key is refused, never stored.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

#: The algorithms an assertion may be signed with (no HS*, no ``none``).
ASSERTION_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
#: The algorithms each key type verifies.
ALGORITHMS_BY_KEY_TYPE = {"RSA": ("RS256", "PS256"), "EC": ("ES256",), "OKP": ("EdDSA",)}
#: Public members kept, per key type (RFC 7518 §6, RFC 8037 §2).
PUBLIC_MEMBERS = {"RSA": ("n", "e"), "EC": ("crv", "x", "y"), "OKP": ("crv", "x")}
#: Members of a JWK that only a private key has.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
CURVES = {"EC": ("P-256",), "OKP": ("Ed25519", "Ed448")}
MIN_RSA_BITS = 2048
#: Most keys an application may hold (each may be tried on an assertion without ``kid``).
MAX_KEYS = 10
KID_MAX_LENGTH = 200
#: Longest text accepted as keys (a few PEM certificates).
MAX_KEYS_TEXT_LENGTH = 64 * 1024

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", re.DOTALL)


def thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK, base64url without padding."""
    members = {name: jwk[name] for name in ("kty", *PUBLIC_MEMBERS[jwk["kty"]])}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def parse_public_keys(text: str) -> dict[str, list[dict[str, Any]]]:
    """A JWK Set from PEM text or a JWK (Set) document; ``ValidationError`` when unfit.

    A blank text is the empty set.
    """
    text = (text or "").strip()
    if not text:
        return {}
    if len(text) > MAX_KEYS_TEXT_LENGTH:
        raise ValidationError(_("Too much text for public keys."), code="too_long")
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            raise ValidationError(
                _("Not a JSON document: paste PEM public keys or a JWK Set."), code="invalid"
            ) from None
        keys = document.get("keys") if isinstance(document, dict) and "keys" in document else None
        entries = keys if keys is not None else [document]
        return key_set(entries)
    blocks = [(match[1], match[0]) for match in _PEM_BLOCK.finditer(text)]
    if not blocks:
        raise ValidationError(
            _("No PEM block found: paste PEM public keys or a JWK Set."), code="invalid"
        )
    return key_set(jwk_from_pem(label, block) for label, block in blocks)


def jwk_from_pem(label: str, block: str) -> dict[str, Any]:
    """The public JWK of one PEM block: a public key or a certificate, never a private key."""
    if "PRIVATE" in label:
        raise ValidationError(
            _("This is a private key: register the public key only. Nothing was stored."),
            code="private_key",
        )
    try:
        if label == "CERTIFICATE":
            key: Any = x509.load_pem_x509_certificate(block.encode()).public_key()
        else:
            key = serialization.load_pem_public_key(block.encode())
    except ValueError:
        raise ValidationError(_("A PEM block is not a valid public key."), code="invalid") from None
    if isinstance(key, rsa.RSAPublicKey):
        algorithm: Any = jwt.algorithms.RSAAlgorithm
    elif isinstance(key, ec.EllipticCurvePublicKey):
        algorithm = jwt.algorithms.ECAlgorithm
    elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        algorithm = jwt.algorithms.OKPAlgorithm
    else:
        raise ValidationError(
            _("Unsupported key type: use RSA, EC P-256 or Ed25519 keys."), code="key_type"
        )
    jwk: dict[str, Any] = algorithm.to_jwk(key, as_dict=True)
    return jwk


def key_set(entries: Iterable[object]) -> dict[str, list[dict[str, Any]]]:
    """The normalised JWK Set of ``entries`` (JWK dicts); ``ValidationError`` when one is unfit."""
    keys = [public_jwk(entry) for entry in entries]
    if len(keys) > MAX_KEYS:
        raise ValidationError(
            _("At most %(count)d public keys per application.") % {"count": MAX_KEYS},
            code="too_many",
        )
    kids = [key["kid"] for key in keys]
    duplicates = sorted({kid for kid in kids if kids.count(kid) > 1})
    if duplicates:
        raise ValidationError(
            _("Two keys share the kid %(kid)s: each key needs its own.")
            % {"kid": ", ".join(duplicates)},
            code="duplicate_kid",
        )
    return {"keys": keys} if keys else {}


def public_jwk(entry: object) -> dict[str, Any]:
    """One JWK, checked and reduced to its public members (see the module)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("kty"), str):
        raise ValidationError(_("A key is not a JWK (an object with kty)."), code="invalid")
    if PRIVATE_MEMBERS & set(entry):
        raise ValidationError(
            _("This is a private key: register the public key only. Nothing was stored."),
            code="private_key",
        )
    kty = entry["kty"]
    if kty not in PUBLIC_MEMBERS:
        raise ValidationError(
            _("Unsupported key type %(kty)s: use RSA, EC P-256 or Ed25519 keys.")
            % {"kty": str(kty)[:20]},
            code="key_type",
        )
    members = PUBLIC_MEMBERS[kty]
    if not all(isinstance(entry.get(name), str) and entry[name] for name in members):
        raise ValidationError(
            _("A %(kty)s key lacks one of %(members)s.")
            % {"kty": kty, "members": ", ".join(members)},
            code="invalid",
        )
    if kty in CURVES and entry["crv"] not in CURVES[kty]:
        raise ValidationError(
            _("Unsupported curve %(crv)s: use %(curves)s.")
            % {"crv": str(entry["crv"])[:20], "curves": ", ".join(CURVES[kty])},
            code="curve",
        )
    jwk: dict[str, Any] = {"kty": kty, **{name: entry[name] for name in members}}
    alg = entry.get("alg")
    if alg is not None:
        if alg not in ALGORITHMS_BY_KEY_TYPE[kty]:
            raise ValidationError(
                _("Algorithm %(alg)s is not accepted for a %(kty)s key: use %(algorithms)s.")
                % {
                    "alg": str(alg)[:20],
                    "kty": kty,
                    "algorithms": ", ".join(ALGORITHMS_BY_KEY_TYPE[kty]),
                },
                code="algorithm",
            )
        jwk["alg"] = alg
    use = entry.get("use")
    if use not in (None, "sig"):
        raise ValidationError(_("A key's use must be sig (signature)."), code="use")
    key = load_key(jwk)
    if key is None:
        raise ValidationError(_("A key is not a valid %(kty)s key.") % {"kty": kty}, code="invalid")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise ValidationError(
            _("RSA keys need at least %(bits)d bits; this one has %(size)d.")
            % {"bits": MIN_RSA_BITS, "size": key.key_size},
            code="key_size",
        )
    kid = entry.get("kid")
    if kid is None:
        kid = thumbprint(jwk)
    if not isinstance(kid, str) or not kid or len(kid) > KID_MAX_LENGTH:
        raise ValidationError(
            _("A key's kid must be a non-empty string of at most %(length)d characters.")
            % {"length": KID_MAX_LENGTH},
            code="kid",
        )
    jwk["kid"] = kid
    jwk["use"] = "sig"
    return jwk


def load_key(jwk: dict[str, Any]) -> Any:
    """The cryptography public key of a stored JWK, or None when it does not load."""
    algorithm = ALGORITHMS_BY_KEY_TYPE.get(jwk.get("kty", ""), ("",))[0]
    try:
        return jwt.PyJWK(dict(jwk), algorithm=algorithm).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError):
        return None


def key_algorithms(jwk: dict[str, Any]) -> tuple[str, ...]:
    """The algorithms a stored key verifies: its ``alg``, or those of its type."""
    if jwk.get("alg"):
        return (str(jwk["alg"]),)
    return ALGORITHMS_BY_KEY_TYPE.get(str(jwk.get("kty")), ())


def validate_public_key_set(value: object) -> None:
    """Model validator: an empty value, or a JWK Set of public keys fit for assertions."""
    if value in ({}, None):
        return
    if not isinstance(value, dict) or set(value) != {"keys"} or not isinstance(value["keys"], list):
        raise ValidationError(_('Public keys must be a JWK Set: {"keys": [...]}.'), code="invalid")
    key_set(value["keys"])


def as_text(value: object) -> str:
    """A stored JWK Set as indented JSON (empty when there are no keys)."""
    if not value:
        return ""
    return json.dumps(value, indent=2)
