"""DRF authentication for delegated access tokens (``Authorization: Bearer <jwt>``)."""

from __future__ import annotations

import functools
import json
import logging
import math
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import jwt
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections, models, router
from django.db.models import Exists, OuterRef, Value
from django.db.models.query import ModelIterable
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .callers import AUDIENCE_ATTRIBUTE
from .conf import delegation_settings
from .exceptions import InvalidToken as InvalidToken  # also imported from here
from .exceptions import WrongTokenType
from .models import Application, RevokedDelegation, RevokedToken
from .scopes import normalize_scopes
from .tokens import FOREIGN_TOKEN_ERRORS, decode_token

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.utils.functional import Promise

logger = logging.getLogger("django_app_delegation")


@dataclass(frozen=True)
class ApplicationState:
    """What authenticating a token reads of its application: one row, no model instance."""

    id: uuid.UUID
    is_active: bool
    #: The application's scopes now, normalised: the most its tokens' scopes can grant.
    scopes: frozenset[str]
    #: Whether the token was revoked: by its ``jti``, or with every token of its (application,
    #: user) pair issued up to its ``iat``.
    revoked: bool = False


@dataclass(frozen=True, eq=False)
class DelegatedToken(Mapping[str, Any]):
    """What ``request.auth`` holds: the verified claims, scopes and the application behind them.

    It is also a read-only mapping over the claims, so code written for La Suite Meet's
    ``request.auth.get("client_id")`` keeps working.
    """

    claims: dict[str, Any] = field(repr=False)
    scopes: frozenset[str]
    application_id: uuid.UUID
    client_id: str
    user_id: str
    token: str = field(repr=False, default="")

    @property
    def jti(self) -> str | None:
        return self.claims.get("jti")

    def __getitem__(self, key: str) -> Any:
        return self.claims[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.claims)

    def __len__(self) -> int:
        return len(self.claims)

    __hash__ = object.__hash__


#: Backends the hand-written join below is written and tested for.
_JOIN_VENDORS = frozenset({"sqlite", "postgresql", "mysql"})
#: ``iat`` values are clamped into this range before they reach a ``BIGINT`` comparison.
_IAT_RANGE = (-(2**62), 2**62)


@dataclass(frozen=True)
class RevocationKey:
    """What revocation entries are looked up by: the token's ``jti`` and its ``iat`` in whole
    seconds (floored: a token of the revocation's second is refused, the safe side)."""

    jti: str
    iat: int

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> RevocationKey:
        """A token without ``jti`` matches no revoked token; one without ``iat`` (accepted only
        when ``REQUIRED_CLAIMS`` drops it) is refused by any revocation of its pair."""
        jti = claims.get("jti")
        iat = claims.get("iat")
        if isinstance(iat, int | float) and not isinstance(iat, bool) and math.isfinite(iat):
            seconds = min(max(math.floor(iat), _IAT_RANGE[0]), _IAT_RANGE[1])
        else:
            seconds = _IAT_RANGE[0]
        return cls(jti="" if jti is None else str(jti), iat=seconds)


class _PlainQuerySet(models.QuerySet[models.Model]):
    """A subclass that adds nothing: what Python puts in every class body (``__module__``...)."""


#: What a ``QuerySet`` subclass overrides when its body redefines one of these names.
_QUERYSET_ATTRIBUTES = frozenset(vars(models.QuerySet)) - frozenset(vars(_PlainQuerySet))


def _overrides_queryset(queryset_class: type) -> bool:
    """Whether ``queryset_class`` is no ``QuerySet`` or redefines one of its attributes."""
    mro = queryset_class.__mro__
    if models.QuerySet not in mro:
        return True
    return any(
        _QUERYSET_ATTRIBUTES & vars(klass).keys() for klass in mro[: mro.index(models.QuerySet)]
    )


def _join_is_equivalent(user_model: type[models.Model], database: str) -> bool:
    """Whether the one-query join reads ``user_model`` from ``database`` as its default manager.

    The join reads the user's own table directly, so it is used only when that gives the same
    user, with the same fields, as ``user_model._default_manager``; see
    :func:`_reads_like_default_manager`. The application must also be read from the same
    database, as the router says (asked on every call, so router changes apply at once).
    """
    if any(
        router.db_for_read(model) != database
        for model in (Application, RevokedToken, RevokedDelegation)
    ):
        return False
    return _reads_like_default_manager(user_model, database)


@functools.cache
def _reads_like_default_manager(user_model: type[models.Model], database: str) -> bool:
    """Whether ``SELECT * FROM <user table>`` on ``database`` is what the default manager reads.

    Decided once per model and alias from what does not change at run time (the caller
    re-checks the filter on every call, for a manager that filters only at times). It takes no
    ``_meta.parents`` (multi-table inheritance keeps fields in the parents' tables; proxies), a
    backend of ``_JOIN_VENDORS``, and a default queryset that compiles to the SQL of a bare
    ``QuerySet``, yields model instances without prefetching and whose class redefines nothing
    of ``QuerySet``. Comparing compiled SQL catches whatever a manager can add (filter,
    annotation, ``extra``, ``select_related``, ``distinct``, ``only``...) in any Django version
    without listing ``Query`` attributes; refusing any override, even of ``delete``, is coarse
    but safe: at worst such a queryset loses the join. Querysets that only add methods keep it.
    """
    if user_model._meta.parents or connections[database].vendor not in _JOIN_VENDORS:
        return False
    users = user_model._default_manager.using(database)
    if (
        _overrides_queryset(type(users))
        or users._iterable_class is not ModelIterable
        # Private, like ``_iterable_class``, and missing from django-stubs.
        or users._prefetch_related_lookups  # type: ignore[attr-defined]
    ):
        return False
    plain: models.QuerySet[models.Model] = models.QuerySet(model=user_model, using=database)
    try:
        return bool(
            users.query.get_compiler(database).as_sql()
            == plain.query.get_compiler(database).as_sql()
        )
    except EmptyResultSet:  # A manager returning .none().
        return False


def _load_user_with_application(
    users: models.QuerySet[AbstractBaseUser],
    pk: object,
    client_id: str,
    revocation: RevocationKey | None = None,
) -> tuple[AbstractBaseUser, ApplicationState | None] | None:
    """Return the user with ``pk`` and the state of its token's application, or None.

    A hand-written ``LEFT JOIN`` keeps authentication at one query and is several times cheaper
    to build than the equivalent ORM subqueries (see ``benchmarks/``), on a path every API call
    takes. Only for ``users`` (the default manager's queryset) that :func:`_join_is_equivalent`
    accepts. The state is None when no application has ``client_id``. Two ``EXISTS`` columns
    say whether the token is revoked (``revocation``), on the unique index of each table.
    """
    revocation = revocation or RevocationKey(jti="", iat=_IAT_RANGE[0])
    user_model = users.model
    connection = connections[users.db]
    quote = connection.ops.quote_name
    meta = Application._meta
    application_column = {
        name: quote(_column(meta.get_field(name))) for name in _APPLICATION_FIELDS
    }
    pk_field = user_model._meta.pk
    if not _pk_in_range(user_model, pk, users.db):
        return None
    token_meta, pair_meta = RevokedToken._meta, RevokedDelegation._meta
    pair_column = {
        name: quote(_column(pair_meta.get_field(name)))
        for name in ("application", "user", "revoked_iat")
    }
    user_pk = quote(_column(pk_field))
    # Identifiers come from model metadata, quoted; values are parameters.
    sql = (
        "SELECT u.*, "  # noqa: S608
        f"a.{application_column['id']} AS _delegation_app_id, "
        f"a.{application_column['is_active']} AS _delegation_app_active, "
        f"a.{application_column['scopes']} AS _delegation_app_scopes, "
        f"EXISTS (SELECT 1 FROM {quote(token_meta.db_table)} r "
        f"WHERE r.{quote(_column(token_meta.get_field('jti')))} = %s) "
        "AS _delegation_token_revoked, "
        f"EXISTS (SELECT 1 FROM {quote(pair_meta.db_table)} d "
        f"WHERE d.{pair_column['application']} = a.{application_column['id']} "
        f"AND d.{pair_column['user']} = u.{user_pk} "
        f"AND d.{pair_column['revoked_iat']} >= %s) AS _delegation_pair_revoked "
        f"FROM {quote(user_model._meta.db_table)} u "
        f"LEFT JOIN {quote(meta.db_table)} a ON a.{application_column['client_id']} = %s "
        f"WHERE u.{user_pk} = %s"
    )
    params = [
        revocation.jti,
        revocation.iat,
        client_id,
        pk_field.get_db_prep_value(pk, connection),
    ]
    rows = list(users.raw(sql, params))
    if not rows:
        return None
    user = rows[0]
    # ``raw()`` set the application's columns on the user: take them off.
    columns = vars(user)
    application_id = columns.pop("_delegation_app_id")
    is_active = columns.pop("_delegation_app_active")
    scopes = columns.pop("_delegation_app_scopes")
    token_revoked = columns.pop("_delegation_token_revoked")
    pair_revoked = columns.pop("_delegation_pair_revoked")
    if application_id is None:
        return user, None
    if isinstance(scopes, str):
        scopes = json.loads(scopes)
    application = ApplicationState(
        id=meta.pk.to_python(application_id),
        is_active=bool(is_active),
        scopes=frozenset(normalize_scopes(scopes)),
        revoked=bool(token_revoked or pair_revoked),
    )
    return user, application


_APPLICATION_FIELDS = ("id", "is_active", "scopes", "client_id")


def _pk_in_range(user_model: type[models.Model], pk: object, database: str) -> bool:
    """Whether ``pk`` fits the primary key's integer column on ``database`` (or is no integer)."""
    connection = connections[database]
    internal_type = user_model._meta.pk.get_internal_type()
    if isinstance(pk, int) and internal_type in connection.ops.integer_field_ranges:
        low, high = connection.ops.integer_field_range(internal_type)
        if (low is not None and pk < low) or (high is not None and pk > high):
            return False
    return True


def _format(description: str | Promise, params: dict[str, object]) -> str:
    """``description`` as text in the active language, formatted with ``params`` if any."""
    return str(description) % params if params else str(description)


def _column(field: object) -> str:
    """The database column of a concrete ``field``."""
    column = getattr(field, "column", None)
    assert isinstance(column, str)
    return column


class DelegatedTokenAuthentication(BaseAuthentication):
    """Authenticate ``Bearer`` JWTs issued by the delegation token endpoint.

    Tokens that are not ours (other key, other algorithm, not a JWT) make it return None, so that
    the next authenticator (an OIDC resource server, say) can try them; when no authenticator
    follows it in the view's chain, nobody else can take them, and it answers 401
    ``invalid_token`` ("Invalid token.") itself. Put it first in ``authentication_classes``: DRF
    takes the ``WWW-Authenticate`` challenge from the first one.
    """

    keyword = "bearer"

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, DelegatedToken] | None:
        if not delegation_settings.ENABLED:
            return None
        raw = self.get_raw_token(request)
        if raw is None:
            return None
        try:
            claims = decode_token(raw)
        except FOREIGN_TOKEN_ERRORS:
            self.defer_foreign_token(request)
            return None
        except jwt.ExpiredSignatureError:
            self.fail(request, _("Token expired."))
        except (jwt.InvalidIssuerError, jwt.InvalidAudienceError):
            # In context: DRF's catalogue has its own "Invalid token." (French "Token non valide.").
            self.fail(request, pgettext_lazy("delegated token", "Invalid token."))
        except jwt.MissingRequiredClaimError as exc:
            self.fail(request, _("Invalid token claims: missing %(claim)s."), claim=exc.claim)
        except WrongTokenType:
            self.fail(request, _("Invalid token type."))
        except jwt.ImmatureSignatureError:
            self.fail(request, _("Token is not yet valid."))
        except jwt.InvalidTokenError:
            self.fail(request, _("Invalid token claims."))
        return self.authenticate_claims(request, raw, claims)

    def get_raw_token(self, request: Request) -> str | None:
        """Return the token from ``Authorization: Bearer <token>``, or None to defer."""
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.encode():
            return None
        if len(parts) != 2:
            self.fail(request, _("Invalid token header."))
        try:
            return parts[1].decode("ascii")
        except UnicodeDecodeError:
            self.defer_foreign_token(request)
            return None

    def defer_foreign_token(self, request: Request) -> None:
        """Leave a token we did not issue to the next authenticator; 401 when there is none.

        Without a later authenticator (the view's chain as DRF's ``Request`` holds it), the token
        can only be garbled, forged, or signed with a key this service does not use: say so with
        ``invalid_token`` rather than "credentials were not provided". When later authenticators
        all pass, the challenge still says ``invalid_token`` (see :meth:`authenticate_header`).
        """
        authenticators = list(getattr(request, "authenticators", None) or ())
        position = next((i for i, auth in enumerate(authenticators) if auth is self), None)
        if position is not None and position == len(authenticators) - 1:
            self.fail(request, pgettext_lazy("delegated token", "Invalid token."))
        request._delegation_foreign_token = True  # type: ignore[attr-defined]

    def authenticate_claims(
        self, request: Request, raw: str, claims: dict[str, Any]
    ) -> tuple[AbstractBaseUser, DelegatedToken]:
        """Check the delegation claims, the application and the user."""
        client_id = claims.get("client_id")
        user_id = claims.get("sub") or claims.get("user_id")
        if not isinstance(client_id, str) or not client_id or not user_id:
            self.fail(request, _("Invalid token claims."))
        if claims.get("delegated") is not True:
            self.fail(request, _("Invalid token type."))
        user, application = self.get_user_and_application(
            request, str(user_id), client_id, revocation=RevocationKey.from_claims(claims)
        )
        scopes = frozenset(normalize_scopes(claims.get("scope")))
        # The application's current ceiling applies at once: scopes withdrawn from it stop working.
        scopes &= application.scopes
        token = DelegatedToken(
            claims=claims,
            scopes=scopes,
            application_id=application.id,
            client_id=client_id,
            user_id=str(user.pk),
            token=raw,
        )
        # Named as django-lasuite's resource server names the calling service.
        audience = delegation_settings.GET_APPLICATION_AUDIENCE(token=token, request=request)
        setattr(request, AUDIENCE_ATTRIBUTE, str(audience or client_id))
        return user, token

    def get_user_and_application(
        self,
        request: Request,
        user_id: str,
        client_id: str,
        *,
        revocation: RevocationKey | None = None,
    ) -> tuple[AbstractBaseUser, ApplicationState]:
        """Load the user (through its default manager) and the application's liveness and scopes,
        and whether the token is revoked (``revocation`` says by what; None: not looked up).

        One query where a join reads the user as the default manager would, two otherwise.
        """
        user_model = get_user_model()
        try:
            pk = user_model._meta.pk.to_python(user_id)
        except ValidationError:
            self.fail(request, _("Invalid token claims."))
        database = router.db_for_read(user_model)
        users = user_model._default_manager.using(database)
        joined = _join_is_equivalent(user_model, database) and not users.query.where
        found = _load_user_with_application(users, pk, client_id, revocation) if joined else None
        user: AbstractBaseUser | None = None
        application: ApplicationState | None = None
        if found is not None:
            user, application = found
        else:
            # Without the join, or when it found no user: the application is checked first.
            applications = Application.objects.filter(client_id=client_id).order_by()
            if revocation is not None:
                # The same two EXISTS as the join's, on the application's row.
                applications = applications.annotate(
                    _token_revoked=Exists(RevokedToken.objects.filter(jti=revocation.jti)),
                    # No user has a primary key beyond its column's range (nor a revocation).
                    _pair_revoked=Exists(
                        RevokedDelegation.objects.filter(
                            application=OuterRef("pk"),
                            user_id=pk,
                            revoked_iat__gte=revocation.iat,
                        )
                    )
                    if _pk_in_range(user_model, pk, router.db_for_read(RevokedDelegation))
                    else Value(False),
                )
            fields = ["id", "is_active", "scopes"]
            if revocation is not None:
                fields += ["_token_revoked", "_pair_revoked"]
            row = applications.values(*fields).first()
            if row is not None:
                application = ApplicationState(
                    id=row["id"],
                    is_active=row["is_active"],
                    scopes=frozenset(normalize_scopes(row["scopes"])),
                    revoked=bool(row.get("_token_revoked") or row.get("_pair_revoked")),
                )
        self.check_application(request, application)
        assert application is not None  # check_application refuses None.
        if application.revoked:
            self.fail(request, _("Token revoked."))
        if not joined:
            user = users.filter(pk=pk).first()
        if user is None:
            self.fail(request, _("User not found."))
        if not user.is_active:
            self.fail(request, _("User account is disabled."))
        return user, application

    def check_application(self, request: Request, application: ApplicationState | None) -> None:
        if application is None:
            self.fail(request, _("Application not found."))
        if not application.is_active:
            self.fail(request, _("Application is disabled."))

    def fail(self, request: Request, description: str | Promise, **params: object) -> NoReturn:
        """Raise 401 ``invalid_token`` with ``description`` (``% params`` when given).

        The response body says it in the request's language; the challenge and the log say it in
        English, as RFC 6750 §3 allows ASCII only in ``error_description``.
        """
        detail = _format(description, params)
        with translation.override("en"):
            english = _format(description, params)
        logger.warning("Delegated token rejected: %s", english)
        # Read back by ``authenticate_header``; DRF's Request declares no such attribute.
        request._delegation_auth_error = english  # type: ignore[attr-defined]
        raise InvalidToken(detail)

    def authenticate_header(self, request: Request) -> str:
        realm = delegation_settings.WWW_AUTHENTICATE_REALM
        params = [f'realm="{realm}"'] if realm else []
        error = getattr(request, "_delegation_auth_error", None)
        if not error and getattr(request, "_delegation_foreign_token", False):
            # Reached only when no authenticator took the token (the answer is a 401). The
            # challenge is ASCII, hence English (RFC 6750 §3).
            error = "Invalid token."
        if error:
            # RFC 6750 §3: %x20-21 / %x23-5B / %x5D-7E only.
            description = "".join(
                char if " " <= char <= "~" else "?" for char in error.replace('"', "'")
            ).replace("\\", "")
            params += ['error="invalid_token"', f'error_description="{description}"']
        return "Bearer " + ", ".join(params) if params else "Bearer"
