"""Test doubles: what a project would plug into the app, standing in for its own code.

A second authenticator (an OIDC resource server after ours), hooks for ``APP_DELEGATION`` and
its resources (some failing halfway), a serializer and a pagination class to swap in, throttles,
the limits' stopped clock, a fast legacy password hasher, a database router and querysets.
Settings name them by dotted path (``tests.doubles.<name>``), as a project's settings would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.db import IntegrityError
from django.db.models import QuerySet
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from django_app_delegation.hooks import get_token_scopes
from django_app_delegation.models import ResourceProvenance, pk_as_text
from django_app_delegation.views import DelegationTokenView
from tests.testapp.models import Note

# -- a second authenticator -----------------------------------------------------------------------

OURS = "django_app_delegation.authentication.DelegatedTokenAuthentication"
THEIRS = "tests.doubles.OtherProviderAuthentication"

#: The key of the "other provider"; a JWT signed with it is not one of ours.
OTHER_PROVIDER_KEY = "another-provider-signing-key-0123456789abcdefghijklmnopqrstuv"


class DjangoOAuthToolkitLikeToken:
    """Shaped like django-oauth-toolkit's ``AccessToken``: ``scope`` string, ``scopes`` dict."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    @property
    def scopes(self) -> dict[str, str]:
        return {name: name.title() for name in self.scope.split()}


#: Opaque tokens the other provider knows, with the ``request.auth`` it returns for them.
OTHER_PROVIDER_TOKENS: dict[str, Callable[[], Any]] = {
    "other-token": lambda: {"scope": "rooms:list"},
    "other-token-list": lambda: {"scope": ["ROOMS:LIST", "rooms:list", "rooms:create"]},
    "other-token-scp": lambda: {"scp": ["rooms:list"]},
    "other-token-prefixed": lambda: {"scope": "meet:rooms:list meet:rooms:create"},
    "other-token-no-scope": lambda: {"client_id": "service-provider"},
    "dot-token": lambda: DjangoOAuthToolkitLikeToken("rooms:list rooms:create"),
}


def other_provider_jwt(**claims: Any) -> str:
    """A JWT of the other provider for alice, valid for a minute, with ``claims``."""
    now = int(time.time())
    return jwt.encode(
        {"sub": "alice", "iat": now, "exp": now + 60, **claims}, OTHER_PROVIDER_KEY, "HS256"
    )


class OtherProviderAuthentication(BaseAuthentication):
    """Stands in for an OIDC resource server placed after ours in the authenticator list.

    It knows the opaque tokens of :data:`OTHER_PROVIDER_TOKENS` and JWTs signed with
    :data:`OTHER_PROVIDER_KEY` (whose claims become ``request.auth``); the user is always alice.
    """

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        token = parts[1].decode("latin-1")
        if token in OTHER_PROVIDER_TOKENS:
            auth = OTHER_PROVIDER_TOKENS[token]()
        else:
            try:
                auth = jwt.decode(token, OTHER_PROVIDER_KEY, algorithms=["HS256"])
            except jwt.InvalidTokenError:
                return None
        return get_user_model().objects.get(username="alice"), auth

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="other"'


# -- APP_DELEGATION hooks -------------------------------------------------------------------------


def add_tenant_claim(*, claims: dict[str, Any], application: Any, user: Any, **kwargs: Any) -> Any:
    """``GET_TOKEN_CLAIMS`` hook adding the tenant of the application."""
    return {**claims, "tenant": f"tenant-of-{application.name.lower()}"}


ROLE_SCOPES = {"room-reader": ("rooms:list", "rooms:retrieve"), "room-admin": ("rooms:delete",)}


def scopes_from_roles(*, auth: Any, request: Any = None, **kwargs: Any) -> Any:
    """``GET_TOKEN_SCOPES`` hook mapping a provider's ``roles`` claim to scopes."""
    if isinstance(auth, dict) and "roles" in auth:
        return [scope for role in auth["roles"] for scope in ROLE_SCOPES.get(role, ())]
    return get_token_scopes(auth=auth, request=request, **kwargs)


def recording_can_delegate(decisions: list[str], *, refused: Any = ()) -> Callable[..., bool]:
    """A ``CAN_DELEGATE`` hook appending each e-mail it decides on to ``decisions``; it refuses
    the e-mails in ``refused``."""

    def can_delegate(*, email: str, **kwargs: Any) -> bool:
        decisions.append(email)
        return email not in refused

    return can_delegate


def inactive_user_hook(*, email: str, **kwargs: Any) -> Any:
    """A ``GET_DELEGATED_USER`` hook that (wrongly) returns a disabled account."""
    return get_user_model().objects.create_user(username="ghost", email=email, is_active=False)


def first_forwarded_address(*, request: Any, **kwargs: Any) -> str | None:
    """A ``GET_CLIENT_IP`` hook of a host that knows its proxies: the first forwarded address."""
    return request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[0] or None


# -- resource hooks -------------------------------------------------------------------------------


class CreateHookFailed(Exception):
    """Raised by :func:`save_then_crash` after the object was saved."""


def save_then_refuse(*, request: Any, serializer: Any, **kwargs: Any) -> Any:
    """A create hook that saves the object, makes the user a member, then refuses (400)."""
    widget = serializer.save()
    widget.members.add(request.user)
    raise exceptions.ValidationError({"name": ["Refused after saving."]})


def save_then_crash(*, request: Any, serializer: Any, **kwargs: Any) -> Any:
    """A create hook that saves the object, makes the user a member, then crashes."""
    widget = serializer.save()
    widget.members.add(request.user)
    raise CreateHookFailed("the hook failed after saving")


def save_and_claim_provenance(*, request: Any, serializer: Any, **kwargs: Any) -> Any:
    """A create hook that saves the object and leaves a provenance record without a user."""
    widget = serializer.save()
    ResourceProvenance.objects.create(
        application_id=request.auth.application_id,
        content_type=ContentType.objects.get_for_model(widget),
        object_id=pk_as_text(widget),
    )
    return widget


def save_without_returning(*, request: Any, serializer: Any, **kwargs: Any) -> None:
    """A create hook that returns nothing (the viewset falls back to ``serializer.instance``)."""
    widget = serializer.save()
    widget.members.add(request.user)


def recording_update(updates: list[tuple[str, str, str]]) -> Callable[..., Any]:
    """A ``PERFORM_UPDATE`` hook saving the change and appending who changed what to ``updates``:
    ``(resource name, user's e-mail, new name)``."""

    def perform_update(*, request: Any, serializer: Any, resource: Any, **kwargs: Any) -> Any:
        instance = serializer.save()
        updates.append((resource.name, request.user.email, instance.name))
        return instance

    return perform_update


def refuse_destroy(*, instance: Any, **kwargs: Any) -> None:
    """A ``PERFORM_DESTROY`` hook enforcing a host rule (Meet: keep at least one owner)."""
    raise exceptions.PermissionDenied("This widget must be kept.")


class NoteWithLengthSerializer(serializers.ModelSerializer):
    """A note serializer with an extra read-only field, swapped in through settings."""

    length = serializers.SerializerMethodField()

    class Meta:
        model = Note
        fields = ["id", "text", "length"]

    def get_length(self, note: Note) -> int:
        return len(note.text)


class RequestTimePageSizePagination(PageNumberPagination):
    """Page-number pagination reading ``REST_FRAMEWORK["PAGE_SIZE"]`` at request time.

    DRF's own class reads ``PAGE_SIZE`` once, when ``rest_framework.pagination`` is imported.
    """

    def get_page_size(self, request: Any) -> int | None:
        return api_settings.PAGE_SIZE


# -- throttles ------------------------------------------------------------------------------------


class TwoPerMinuteByClient(SimpleRateThrottle):
    """Keyed by the client id in the body."""

    rate = "2/min"
    scope = "token"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.data.get("client_id")}


class TwoPerMinuteInUnreachableRedis(TwoPerMinuteByClient):
    """Counts in a Redis server that is down."""

    cache = caches["unreachable"]


class TwoPerMinuteInRedis(TwoPerMinuteByClient):
    """Counts in the local Redis."""

    cache = caches["redis"]


class TwoPerMinuteByAddress(AnonRateThrottle):
    rate = "2/min"
    scope = "token-address"


class StoppedClock:
    """The limits' clock (``throttling.clock``), stopped at the start of a day, so at the start of
    every window; ``advance(seconds)`` moves it."""

    def __init__(self) -> None:
        self.now = 20_834 * 86_400.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- storage --------------------------------------------------------------------------------------


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Meet's default hasher (``pbkdf2_sha256$...``) with fewer rounds, to keep tests fast."""

    iterations = 1_000


def meet_hash(secret: str) -> str:
    """``secret`` hashed as La Suite Meet stores client secrets (PBKDF2; few rounds)."""
    return QuickPBKDF2PasswordHasher().encode(secret, "meetsalt")


class ApplicationsElsewhereRouter:
    """Reads applications from another database than users."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return "applications" if model._meta.app_label == "django_app_delegation" else None


class AddsMethods(QuerySet):
    def active(self) -> QuerySet:
        return self.filter(is_active=True)


class OverridesIteration(QuerySet):
    def _fetch_all(self) -> None:
        super()._fetch_all()


class MixinOverridingFilter:
    def filter(self, *args: Any, **kwargs: Any) -> Any:
        return super().filter(*args, **kwargs)


class OverridesFilterThroughAMixin(MixinOverridingFilter, AddsMethods):
    pass


# -- the token view -------------------------------------------------------------------------------


class AuditedTokenView(DelegationTokenView):
    """A host's token view (``TOKEN_VIEW_CLASS``): the answer names the application."""

    def get_token_response(self, issued: Any) -> Any:
        response = super().get_token_response(issued)
        response.data["application"] = self._application.name
        return response


class NotATokenView(APIView):
    """A view that is not a ``DelegationTokenView`` (``TOKEN_VIEW_CLASS`` refuses it: E052)."""


class UnsavableUser:
    """What ``_build_provisional_user`` returns to lose a provisioning race for good."""

    def save(self) -> None:
        raise IntegrityError("duplicate key value violates unique constraint")


# -- extra actions --------------------------------------------------------------------------------


class RenameSerializer(serializers.Serializer):
    """The body of the widgets' ``rename`` action."""

    name = serializers.CharField(max_length=100)


class MemberSerializer(serializers.Serializer):
    """A member of a widget, as the ``members`` action lists them."""

    email = serializers.EmailField()


def rename_widget(*, instance: Any, data: Any, **kwargs: Any) -> Any:
    """``EXTRA_ACTIONS`` hook: rename the widget; the response renders it."""
    instance.name = data["name"]
    instance.save(update_fields=["name"])
    return instance


def widget_members(*, instance: Any, **kwargs: Any) -> Any:
    """``EXTRA_ACTIONS`` hook (GET): the widget's first member."""
    return instance.members.order_by("email").first()


def count_widgets(*, queryset: Any, **kwargs: Any) -> Any:
    """``EXTRA_ACTIONS`` list hook: how many widgets the token reaches."""
    return {"count": queryset.count()}


def forget_widget(*, instance: Any, request: Any, **kwargs: Any) -> None:
    """``EXTRA_ACTIONS`` hook answering 204: the user leaves the widget."""
    instance.members.remove(request.user)


def widget_teapot(**kwargs: Any) -> Any:
    """``EXTRA_ACTIONS`` hook returning its own response."""
    return Response({"teapot": True}, status=418)


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
