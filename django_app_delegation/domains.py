"""E-mail domain normalisation and allow-list matching (IDNA-aware, wildcard-aware)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import DomainNameValidator
from django.utils.translation import gettext_lazy as _

#: Longest domain name (RFC 1035); a schema constant.
DOMAIN_MAX_LENGTH = 253
WILDCARD_PREFIX = "*."

_validate_ascii_domain = DomainNameValidator(accept_idna=False, message=_("Enter a valid domain."))


def to_ascii(domain: str) -> str:
    """Lower-case, strip and IDNA-encode ``domain``; raise ``ValueError`` if it cannot be."""
    domain = domain.strip().lower().rstrip(".")
    if not domain:
        raise ValueError("empty domain")
    try:
        return domain.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise ValueError(str(exc)) from exc


def normalize_domain(value: str) -> str:
    """Return the stored form of an allow-list entry or raise ``ValidationError``.

    ``"  Bücher.Example.  "`` becomes ``"xn--bcher-kva.example"``; ``"*.Example.com"`` becomes
    ``"*.example.com"`` (any subdomain of example.com, not example.com itself).
    """
    raw = (value or "").strip()
    wildcard = raw.startswith(WILDCARD_PREFIX)
    base = raw[len(WILDCARD_PREFIX) :] if wildcard else raw
    try:
        ascii_domain = to_ascii(base)
    except ValueError:
        raise ValidationError(_("Enter a valid domain."), code="invalid") from None
    if (
        "*" in ascii_domain
        or len(ascii_domain) > DOMAIN_MAX_LENGTH - len(WILDCARD_PREFIX) * wildcard
    ):
        raise ValidationError(_("Enter a valid domain."), code="invalid")
    _validate_ascii_domain(ascii_domain)
    return WILDCARD_PREFIX + ascii_domain if wildcard else ascii_domain


def email_domain(email: str) -> str | None:
    """Return the ASCII, lower-cased domain of ``email``, or None if there is none."""
    local, sep, domain = (email or "").rpartition("@")
    if not sep or not local or not domain:
        return None
    try:
        ascii_domain = to_ascii(domain)
        _validate_ascii_domain(ascii_domain)
    except (ValueError, ValidationError):
        return None
    return ascii_domain


def domain_matches(domain: str | None, allowed: Iterable[str]) -> bool:
    """Tell whether ``domain`` (normalised) is covered by any normalised allow-list entry.

    Matching is exact, except ``*.example.com`` which matches every strict subdomain of
    example.com. ``allowed.com.evil.com`` never matches ``allowed.com``.
    """
    if not domain:
        return False
    for entry in allowed:
        if entry.startswith(WILDCARD_PREFIX):
            if domain.endswith(entry[1:]):  # ".example.com"
                return True
        elif domain == entry:
            return True
    return False
