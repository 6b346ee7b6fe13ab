"""E-mail and domain normalisation, and allow-list matching (IDNA 2008, wildcard-aware).

Domains are compared in their ASCII form (IDNA 2008 with the UTS #46 mapping, non-transitional:
``straße.de`` and ``strasse.de`` are two domains, as registries and browsers treat them). E-mail
addresses are normalised once, before any lookup, decision or creation (see
:func:`normalize_email`), so that one mailbox has one spelling.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import idna
from django.core.exceptions import ValidationError
from django.core.validators import DomainNameValidator
from django.utils.translation import gettext_lazy as _

#: Longest domain name (RFC 1035); a schema constant.
DOMAIN_MAX_LENGTH = 253
WILDCARD_PREFIX = "*."
ACE_PREFIX = "xn--"

_validate_ascii_domain = DomainNameValidator(accept_idna=False, message=_("Enter a valid domain."))

#: A local part that needs no quotes (RFC 5322 dot-atom, with RFC 6531's non-ASCII characters).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+"
_DOT_ATOM = re.compile(rf"{_ATOM}(?:\.{_ATOM})*\Z")


def _ascii_label(label: str) -> str:
    if not label:
        raise ValueError("empty label")
    if label.isascii():
        if label.startswith(ACE_PREFIX):
            # An A-label must decode; re-encoding gives its one canonical spelling.
            return idna.alabel(idna.ulabel(label)).decode("ascii")
        return label
    return idna.alabel(label).decode("ascii")


def to_ascii(domain: str) -> str:
    """Map, lower-case and IDNA-encode ``domain``; raise ``ValueError`` if it cannot be.

    Full-width letters and dots, upper case and compatibility characters are mapped first
    (UTS #46), so a full-width ``EXAMPLE.com`` is ``example.com``; a trailing dot is dropped.
    """
    domain = domain.strip()
    try:
        if domain.isascii():
            mapped = domain.lower()
        else:
            mapped = idna.uts46_remap(domain, std3_rules=False, transitional=False)
        mapped = mapped.rstrip(".")
        if not mapped:
            raise ValueError("empty domain")
        return ".".join(_ascii_label(label) for label in mapped.split("."))
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(str(exc)) from exc


def to_unicode(ascii_domain: str) -> str:
    """Return the Unicode spelling of a domain returned by :func:`to_ascii`."""
    return ".".join(
        idna.ulabel(label) if label.startswith(ACE_PREFIX) else label
        for label in ascii_domain.split(".")
    )


def _normalize_local_part(local: str) -> str:
    """Drop quotes that change nothing: ``"alice"`` and ``"al\\ice"`` are ``alice``."""
    if len(local) >= 2 and local.startswith('"') and local.endswith('"'):
        unquoted = re.sub(r"\\(.)", r"\1", local[1:-1])
        if _DOT_ATOM.match(unquoted):
            return unquoted
    return local


def normalize_email(email: str) -> str:
    """Return the one spelling of ``email`` used for lookups, decisions and new accounts.

    The address is NFKC-normalised (full-width and compatibility characters become their plain
    forms), quotes that change nothing are dropped from the local part, and the domain is
    lower-cased and mapped to its Unicode (IDNA 2008) spelling: ``"Zoe"@XN--VIL-9LA.com`` and
    ``Zoe@ÉVIL.com`` are both ``Zoe@évil.com``. The local part keeps its case. Raises
    ``ValueError`` when there is no local part or no valid domain.
    """
    email = unicodedata.normalize("NFKC", (email or "").strip())
    local, sep, domain = email.rpartition("@")
    if not sep or not local or not domain:
        raise ValueError("not an e-mail address")
    return f"{_normalize_local_part(local)}@{to_unicode(to_ascii(domain))}"


def mailbox_of(user: object) -> str:
    """The e-mail of ``user`` (its model's e-mail field) in one spelling (:func:`normalize_email`);
    ``""`` when it has none or none that parses.

    What the database found is decided on again with it: collations fold case and accents their
    own way (``exámple.com`` finds ``example.com`` under MariaDB's default collation).
    """
    value = getattr(user, type(user).get_email_field_name(), None) or ""  # type: ignore[attr-defined]
    try:
        return normalize_email(str(value))
    except ValueError:
        return ""


def email_lookup_forms(email: str) -> tuple[str, ...]:
    """Spellings a host may have stored normalised ``email`` under: Unicode or ASCII domain."""
    local, _sep, domain = email.rpartition("@")
    ascii_form = f"{local}@{to_ascii(domain)}"
    return (email,) if ascii_form == email else (email, ascii_form)


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
    local, sep, domain = unicodedata.normalize("NFKC", email or "").rpartition("@")
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
