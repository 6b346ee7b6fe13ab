"""Default implementations of the hooks named in ``APP_DELEGATION`` and in its ``RESOURCES``.

Each hook is called with keyword arguments only and must accept ``**kwargs``, so that new
arguments can be passed in later releases without breaking projects' own hooks. Replace one by
pointing its setting at a dotted path, e.g.
``APP_DELEGATION = {"GET_DELEGATED_USER": "myproject.delegation.get_user"}``, or, for a resource,
``"RESOURCES": {"rooms": {"PERFORM_CREATE": "rooms.delegation.perform_create", ...}}``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Exists, Field, Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.throttling import BaseThrottle

from .conf import delegation_settings
from .domains import email_lookup_forms, normalize_email, to_ascii
from .exceptions import (
    InvalidGrant,
    MultipleUsers,
    ProvisioningFailed,
    TokenRequestError,
    UserInactive,
    UserNotFound,
)
from .models import ResourceProvenance
from .scopes import normalize_scopes
from .signals import user_provisioned

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request
    from rest_framework.serializers import BaseSerializer

    from .authentication import DelegatedToken
    from .models import Application

logger = logging.getLogger("django_app_delegation")

# What each hook setting holds, to annotate a project's own hooks. Hooks are called with keyword
# arguments only (see the module), hence the ``...``.
GetDelegatedUserHook: TypeAlias = Callable[..., AbstractBaseUser]
CanDelegateHook: TypeAlias = Callable[..., bool]
GetTokenClaimsHook: TypeAlias = Callable[..., dict[str, Any]]
GetTokenScopesHook: TypeAlias = Callable[..., Iterable[str]]
GetClientIPHook: TypeAlias = Callable[..., str | None]
GetApplicationAudienceHook: TypeAlias = Callable[..., str]
GetQuerysetHook: TypeAlias = Callable[..., QuerySet[Model]]
#: Returns the instance created, or None for ``serializer.instance``.
PerformCreateHook: TypeAlias = Callable[..., Model | None]
#: The return values of these two are not used.
PerformUpdateHook: TypeAlias = Callable[..., object]
PerformDestroyHook: TypeAlias = Callable[..., object]

_M = TypeVar("_M", bound=Model)


def users_with_email(email: str, using: str | None = None) -> QuerySet[AbstractBaseUser]:
    """Users whose e-mail is ``email`` (normalised) in any case, Unicode or ASCII domain."""
    user_model = get_user_model()
    lookup = f"{user_model.get_email_field_name()}__iexact"
    condition = Q()
    for form in email_lookup_forms(email):
        condition |= Q(**{lookup: form})
    return user_model._default_manager.db_manager(using).filter(condition)


def _find_users(email: str, using: str | None = None) -> list[AbstractBaseUser]:
    return list(users_with_email(email, using)[:2])


#: How long a provisioning request waits for another one creating the same user (MySQL/MariaDB).
PROVISIONING_LOCK_TIMEOUT = 10


def _lock_key(email: str) -> str:
    local, _sep, domain = email.rpartition("@")
    return hashlib.sha256(f"{local.lower()}@{to_ascii(domain)}".encode()).hexdigest()


@contextmanager
def _provisioning_lock(email: str, using: str) -> Iterator[None]:
    """Serialise the creation of one e-mail's user across processes, in one transaction.

    PostgreSQL takes a transaction-level advisory lock and MySQL/MariaDB a named lock released
    after the commit, so a waiting request reads the winner's row instead of inserting a
    duplicate, even where the user table has no unique constraint on the e-mail (MariaDB cannot
    index ``LOWER(email)``). Elsewhere (SQLite) the transaction alone applies.
    """
    connection = connections[using]
    key = _lock_key(email)
    if connection.vendor == "mysql" and not connection.in_atomic_block:
        name = f"app_delegation:{key[:48]}"  # Lock names are at most 64 characters.
        with connection.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, %s)", [name, PROVISIONING_LOCK_TIMEOUT])
            (acquired,) = cursor.fetchone()
        if acquired != 1:
            raise TokenRequestError(
                _("Another request is creating this user; try again."),
                error="temporarily_unavailable",
                status=503,
                headers={"Retry-After": "1"},
            )
        try:
            with transaction.atomic(using=using):
                yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT RELEASE_LOCK(%s)", [name])
        return
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(key[:16], 16) - (1 << 63)])
        yield


def _one(users: list[AbstractBaseUser]) -> AbstractBaseUser | None:
    if len(users) > 1:
        raise MultipleUsers()
    return users[0] if users else None


def _build_provisional_user(email: str) -> AbstractBaseUser:
    user_model = get_user_model()
    user = user_model()
    setattr(user, user_model.get_email_field_name(), email)
    username_field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    assert isinstance(username_field, Field)
    if username_field.name != user_model.get_email_field_name() and not (
        username_field.null or username_field.blank
    ):
        # A required login name (e.g. ``auth.User.username``) gets the e-mail, which also makes
        # its unique constraint guard against duplicate provisioning.
        if username_field.max_length and len(email) > username_field.max_length:
            raise InvalidGrant(_("This email address is too long for a new user account."))
        setattr(user, username_field.name, email)
    user.set_unusable_password()
    return user


def get_delegated_user(
    *,
    email: str,
    application: Application,
    request: Request | None = None,
    allow_creation: bool | None = None,
    **kwargs: Any,
) -> AbstractBaseUser:
    """Return the active user to act for, creating a provisional one when allowed.

    Contract: return a user, or raise :class:`~django_app_delegation.exceptions.UserNotFound`,
    :class:`~.UserInactive`, :class:`~.MultipleUsers` (or any other
    :class:`~.TokenRequestError`) to refuse. The default looks the e-mail up case-insensitively
    (normalised, see :func:`~django_app_delegation.domains.normalize_email`; Unicode or ASCII
    domain) and, when ``ALLOW_USER_CREATION`` is on, creates a user with that e-mail and an
    unusable password. Creation is race-safe: on PostgreSQL and MySQL/MariaDB concurrent requests
    for one e-mail are serialised by a database lock, and elsewhere a unique constraint on the
    lower-cased e-mail (see the docs) makes the losing request read the winner's row.
    ``allow_creation``, when given, stands for ``ALLOW_USER_CREATION`` (for hooks built on this
    one, such as :func:`django_app_delegation.contrib.lasuite.provisioning.get_delegated_user`).
    """
    email = normalize_email(email)
    user = _one(_find_users(email))
    if user is None:
        if allow_creation is None:
            allow_creation = delegation_settings.ALLOW_USER_CREATION
        if not allow_creation:
            raise UserNotFound()
        created = False
        database = router.db_for_write(get_user_model())
        try:
            with _provisioning_lock(email, using=database):
                # Whoever held the lock before us may have created the user.
                user = _one(_find_users(email, using=database))
                if user is None:
                    user = _build_provisional_user(email)
                    user.save()
                    created = True
        except IntegrityError:
            logger.info(
                "Concurrent provisioning for application %s; reading the winner's row",
                application.client_id,
            )
            user = _one(_find_users(email))
            if user is None:
                raise ProvisioningFailed() from None
        if created:
            logger.info(
                "Provisional user %s created for application %s", user.pk, application.client_id
            )
            user_provisioned.send(
                sender=type(user), user=user, application=application, request=request
            )
    if not user.is_active:
        raise UserInactive()
    return user


def can_delegate(
    *, application: Application, email: str, request: Request | None = None, **kwargs: Any
) -> bool:
    """Tell whether ``application`` may act for ``email``.

    Contract: return True to allow, False to refuse with 403 ``invalid_scope``. The default
    applies the application's domain allow-list; an empty list refuses everybody unless
    ``EMPTY_DOMAIN_LIST_ALLOWS_ALL`` is on.
    """
    return application.can_delegate_email(email)


def get_token_claims(
    *,
    claims: dict[str, Any],
    application: Application,
    user: AbstractBaseUser,
    request: Request | HttpRequest | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Return the claims to sign, given the ones the app computed.

    Contract: return a dict (add claims, never remove ``exp``, ``iss``, ``aud`` or ``sub``).
    The default returns ``claims`` unchanged.
    """
    return claims


def get_token_scopes(
    *, auth: object, request: Request | None = None, **kwargs: Any
) -> Iterable[str]:
    """Return the normalised scopes carried by ``request.auth``, whatever authenticated it.

    Contract: return an iterable of lower-case scope names. The default understands this app's
    tokens, claim dicts with a ``scope`` (string or list) or ``scp`` entry, and objects with a
    ``scope`` attribute (django-oauth-toolkit's ``AccessToken``).
    """
    scopes = getattr(auth, "scopes", None)
    if isinstance(scopes, frozenset | set):
        return scopes
    if isinstance(auth, dict):
        return normalize_scopes(auth.get("scope") or auth.get("scp"))
    return normalize_scopes(getattr(auth, "scope", None))


def get_client_ip(*, request: Request | HttpRequest, **kwargs: Any) -> str | None:
    """Return the address of the client that sent ``request`` (``GET_CLIENT_IP``).

    Contract: return a string identifying the client's address, or None when unknown. The limits
    count by it and the audit trail records it (when it is a valid IP address). The default is
    what DRF's throttles use: ``REMOTE_ADDR``, or the entry of ``X-Forwarded-For`` that
    ``REST_FRAMEWORK["NUM_PROXIES"]`` designates; with ``NUM_PROXIES`` unset, the whole header
    as the client sent it (check ``W002`` warns about that).
    """
    # ``get_ident`` reads only ``request.META``, which Django's request has too.
    return BaseThrottle().get_ident(cast("Request", request)) or None


def get_application_audience(
    *, token: DelegatedToken, request: Request | None = None, **kwargs: Any
) -> str:
    """Return the audience that names the application behind a delegated ``token``.

    Contract: called once a delegated token is authenticated, with ``token`` (its
    ``client_id``, ``application_id``, ``claims``) and ``request``; return a non-empty string. It
    becomes ``request.resource_server_token_audience``, the attribute django-lasuite's resource
    server sets to the calling service's client id, so host code keyed on audiences (Drive's
    ``EXTERNAL_API_AUD_ITEM_ATTRIBUTES``, say) treats the application like that service; resource
    provenance records it too. The default is the application's ``client_id``.
    """
    return token.client_id


# -- resource hooks (options of each ``RESOURCES`` entry) ---------------------------------------


def get_queryset(*, request: Request, queryset: QuerySet[_M], **kwargs: Any) -> QuerySet[_M]:
    """Return the objects the delegated user may reach (``GET_QUERYSET``).

    Contract: called with ``request``, ``queryset`` (the model's default manager), ``action`` and
    ``resource``; return a queryset of that model. ``OBJECT_VISIBILITY`` filters it further. The
    default keeps the objects created through the API on behalf of ``request.user`` (none for an
    anonymous request).
    """
    user = request.user
    if not user.is_authenticated:
        return queryset.none()
    records = ResourceProvenance.objects.for_model(queryset.model).correlated()
    return queryset.filter(Exists(records.filter(user=user)))


def perform_create(*, serializer: BaseSerializer[_M], **kwargs: Any) -> _M:
    """Save a new object and return it (``PERFORM_CREATE``).

    Contract: called with ``request``, ``serializer`` (validated) and ``resource``, inside the
    transaction that records the object's provenance; return the instance (None means
    ``serializer.instance``). The default is ``serializer.save()``.
    """
    return serializer.save()


def perform_update(*, serializer: BaseSerializer[_M], **kwargs: Any) -> _M:
    """Save a change (``PERFORM_UPDATE``): called with ``request``, ``serializer``, ``resource``.

    Contract: runs in the request's transaction, holding the row lock of the object. The default
    is ``serializer.save()``.
    """
    return serializer.save()


def perform_destroy(*, instance: Model, **kwargs: Any) -> None:
    """Delete an object (``PERFORM_DESTROY``): called with ``request``, ``instance``, ``resource``.

    Contract: runs in the transaction that deletes the object's provenance record, holding its
    row lock; raise (a DRF exception, say) to refuse. The default is ``instance.delete()``.
    """
    instance.delete()
