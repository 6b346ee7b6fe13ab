"""``HasScope`` and ``HasActionScope``: which scopes open which views, and how refusals look."""

from __future__ import annotations

import time
from types import SimpleNamespace

import jwt
import pytest

from django_app_delegation.permissions import HasActionScope, HasScope, InsufficientScope
from django_app_delegation.scopes import normalize_scopes
from tests.auth_helpers import (
    OTHER_PROVIDER_KEY,
    OURS,
    THEIRS,
    DjangoOAuthToolkitLikeToken,
    bearer,
    delegated_claims,
    sign,
)
from tests.conftest import ALL_SCOPES

# ``tests.auth_helpers`` serves the test app's URLs plus views that follow REST_FRAMEWORK at
# request time and a room viewset that also routes PATCH (``partial_update``).
pytestmark = pytest.mark.urls("tests.auth_helpers")


def assert_insufficient_scope(response, scope):
    assert response.status_code == 403, response.content
    assert response.json() == {"detail": f"Insufficient permissions. Required scope: {scope}"}
    assert response["WWW-Authenticate"] == (
        f'Bearer realm="api", error="insufficient_scope", scope="{scope}"'
    )


@pytest.fixture
def token_for(application, user, request_token):
    """A token from the token endpoint narrowed to ``scopes``."""

    def issue(*scopes):
        response = request_token(application, scope=" ".join(["alice@example.com", *scopes]))
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    return issue


@pytest.fixture
def second_authenticator(settings):
    """Our authenticator first, then one standing in for an OIDC resource server."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_AUTHENTICATION_CLASSES": [OURS, THEIRS],
    }


# HasActionScope on every action of the room viewset ---------------------------------------------

ACTIONS = {
    "list": ("get", "/rooms/", "rooms:list", 200),
    "retrieve": ("get", "/rooms/1/", "rooms:retrieve", 200),
    "create": ("post", "/rooms/", "rooms:create", 201),
    "update": ("put", "/rooms/1/", "rooms:update", 200),
    "partial_update": ("patch", "/live/rooms/1/", "rooms:update", 200),
    "destroy": ("delete", "/rooms/1/", "rooms:delete", 204),
}


@pytest.mark.parametrize(("method", "url", "scope", "status"), ACTIONS.values(), ids=ACTIONS)
def test_action_is_allowed_with_its_scope_alone(api_client, token_for, method, url, scope, status):
    response = getattr(api_client, method)(url, {}, format="json", **bearer(token_for(scope)))

    assert response.status_code == status, response.content


@pytest.mark.parametrize(("action", "spec"), ACTIONS.items(), ids=ACTIONS)
def test_action_answers_with_its_own_handler(api_client, access_token, action, spec):
    method, url, _, status = spec

    response = getattr(api_client, method)(url, {}, format="json", **bearer(access_token))

    assert response.status_code == status, response.content
    if status != 204:
        assert response.json() == {"action": action}


@pytest.mark.parametrize(("method", "url", "scope", "status"), ACTIONS.values(), ids=ACTIONS)
def test_action_is_denied_with_every_scope_but_its_own(
    api_client, token_for, method, url, scope, status
):
    token = token_for(*(other for other in ALL_SCOPES if other != scope))

    response = getattr(api_client, method)(url, {}, format="json", **bearer(token))

    assert_insufficient_scope(response, scope)


@pytest.mark.parametrize(("method", "url", "scope", "status"), ACTIONS.values(), ids=ACTIONS)
def test_action_without_credentials_is_401_not_403(api_client, db, method, url, scope, status):
    response = getattr(api_client, method)(url, {}, format="json")

    assert response.status_code == 401, response.content
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_create_denial_names_the_scope_in_body_and_challenge(api_client, token_for):
    response = api_client.post("/rooms/", {}, format="json", **bearer(token_for("rooms:list")))

    assert response.status_code == 403
    assert response.json() == {"detail": "Insufficient permissions. Required scope: rooms:create"}
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", scope="rooms:create"'
    )


def test_challenge_leaves_out_the_realm_when_none_is_configured(api_client, token_for, delegation):
    delegation(WWW_AUTHENTICATE_REALM=None)

    response = api_client.post("/rooms/", {}, format="json", **bearer(token_for("rooms:list")))

    assert response.status_code == 403
    assert response["WWW-Authenticate"] == 'Bearer error="insufficient_scope", scope="rooms:create"'


def test_unmapped_action_is_denied_even_with_every_scope(api_client, access_token):
    response = api_client.options("/rooms/", **bearer(access_token))

    assert response.status_code == 403, response.content
    assert response.json() == {"detail": "Insufficient permissions."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="insufficient_scope"'


def test_unmapped_action_without_credentials_is_401(api_client, db):
    response = api_client.options("/rooms/")

    assert response.status_code == 401, response.content


def test_method_the_viewset_does_not_route_is_405_not_403(api_client, token_for):
    response = api_client.put("/rooms/", {}, format="json", **bearer(token_for("rooms:list")))

    assert response.status_code == 405, response.content
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


def test_get_scope_map_method_takes_precedence_over_the_attribute():
    class View:
        action = "list"
        scope_map = {"list": "rooms:list"}

        def get_scope_map(self):
            return {"list": ["rooms:list", "rooms:retrieve"]}

    assert HasActionScope().get_required_scopes(None, View()) == ["rooms:list", "rooms:retrieve"]


# HasScope ---------------------------------------------------------------------------------------


def test_scoped_view_is_allowed_with_its_scope(api_client, token_for):
    response = api_client.get("/whoami/", **bearer(token_for("rooms:list")))

    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["rooms:list"]


def test_scoped_view_is_denied_without_its_scope(api_client, token_for):
    response = api_client.get("/whoami/", **bearer(token_for("rooms:retrieve", "rooms:create")))

    assert_insufficient_scope(response, "rooms:list")


def test_scoped_view_without_credentials_is_401_not_403(api_client, db):
    response = api_client.get("/whoami/")

    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def _authenticated(auth):
    return SimpleNamespace(auth=auth, user=SimpleNamespace(is_authenticated=True))


def _view(**attributes):
    return SimpleNamespace(**attributes)


@pytest.mark.parametrize(
    "required",
    ["rooms:list", ["rooms:list"], ("ROOMS:LIST",), ["rooms:list", "rooms:list"]],
    ids=repr,
)
def test_has_scope_reads_required_scopes_as_a_string_or_a_list(required):
    view = _view(required_scopes=required)

    assert HasScope().has_permission(_authenticated({"scope": "rooms:list"}), view) is True


def test_has_scope_needs_every_required_scope():
    view = _view(required_scopes=["rooms:list", "rooms:create"])
    permission = HasScope()

    assert permission.has_permission(_authenticated({"scope": "rooms:create rooms:list"}), view)
    with pytest.raises(InsufficientScope) as excinfo:
        permission.has_permission(_authenticated({"scope": "rooms:list"}), view)

    assert excinfo.value.status_code == 403
    assert str(excinfo.value.detail) == (
        "Insufficient permissions. Required scope: rooms:list rooms:create"
    )
    assert excinfo.value.auth_header == (
        'Bearer realm="api", error="insufficient_scope", scope="rooms:list rooms:create"'
    )


def test_has_scope_denies_a_view_that_declares_no_scopes():
    with pytest.raises(InsufficientScope):
        HasScope().has_permission(_authenticated({"scope": "rooms:list"}), _view())


def test_has_scope_returns_false_for_anonymous_requests_so_drf_answers_401():
    anonymous = SimpleNamespace(auth=None, user=None)

    assert HasScope().has_permission(anonymous, _view(required_scopes=["rooms:list"])) is False


# Scopes of our tokens ---------------------------------------------------------------------------


def test_token_scopes_are_case_insensitive_and_de_duplicated(api_client, application, user):
    token = sign(delegated_claims(application, user, scope="ROOMS:LIST Rooms:List rooms:list"))

    response = api_client.get("/whoami/", **bearer(token))

    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["rooms:list"]


def test_scope_prefix_is_stripped_from_token_scopes(api_client, application, user, delegation):
    delegation(SCOPE_PREFIX="meet")
    token = sign(delegated_claims(application, user, scope="meet:rooms:list meet:rooms:create"))

    response = api_client.get("/whoami/", **bearer(token))

    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["rooms:create", "rooms:list"]


def test_prefixed_scopes_do_not_count_without_scope_prefix(api_client, application, user):
    token = sign(delegated_claims(application, user, scope="meet:rooms:list"))

    assert_insufficient_scope(api_client.get("/whoami/", **bearer(token)), "rooms:list")


def test_token_without_scope_claim_is_denied(api_client, application, user):
    token = sign(delegated_claims(application, user, scope=None))

    assert_insufficient_scope(api_client.get("/whoami/", **bearer(token)), "rooms:list")


# Scopes of other token kinds, through GET_TOKEN_SCOPES -------------------------------------------

OTHER_KINDS = {
    "dict with a scope string": ("other-token", ["rooms:list"]),
    "dict with a scope list, mixed case and duplicates": (
        "other-token-list",
        ["rooms:create", "rooms:list"],
    ),
    "dict with scp": ("other-token-scp", ["rooms:list"]),
    "django-oauth-toolkit-like object": ("dot-token", ["rooms:create", "rooms:list"]),
}


@pytest.mark.parametrize(("token", "scopes"), OTHER_KINDS.values(), ids=OTHER_KINDS)
def test_has_scope_reads_scopes_of_other_token_kinds(
    api_client, user, second_authenticator, token, scopes
):
    response = api_client.get("/live/scoped/", **bearer(token))

    assert response.status_code == 200, response.content
    assert response.json() == {"user": "alice", "scopes": scopes}


def test_other_token_without_scopes_is_denied(api_client, user, second_authenticator):
    response = api_client.get("/live/scoped/", **bearer("other-token-no-scope"))

    assert_insufficient_scope(response, "rooms:list")


def test_scope_prefix_is_stripped_from_other_token_kinds(
    api_client, user, second_authenticator, delegation
):
    assert_insufficient_scope(
        api_client.get("/live/scoped/", **bearer("other-token-prefixed")), "rooms:list"
    )

    delegation(SCOPE_PREFIX="meet")
    response = api_client.get("/live/scoped/", **bearer("other-token-prefixed"))

    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["rooms:create", "rooms:list"]


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/live/rooms/", 200),
        ("post", "/live/rooms/", 201),
        ("delete", "/live/rooms/1/", 403),
    ],
)
def test_has_action_scope_reads_an_oauth_toolkit_like_token(
    api_client, user, second_authenticator, method, url, status
):
    response = getattr(api_client, method)(url, {}, format="json", **bearer("dot-token"))

    assert response.status_code == status, response.content
    if status == 403:
        assert_insufficient_scope(response, "rooms:delete")


def test_oauth_toolkit_like_token_scopes_come_from_its_scope_string():
    token = DjangoOAuthToolkitLikeToken("Rooms:List rooms:create")
    assert isinstance(token.scopes, dict)

    view = _view(required_scopes=["rooms:list", "rooms:create"])

    assert HasScope().has_permission(_authenticated(token), view) is True


def test_get_token_scopes_hook_maps_other_claims_to_scopes(
    api_client, user, second_authenticator, delegation
):
    delegation(GET_TOKEN_SCOPES="tests.auth_helpers.scopes_from_roles")
    now = int(time.time())
    token = jwt.encode(
        {"sub": "alice", "roles": ["room-reader"], "iat": now, "exp": now + 60},
        OTHER_PROVIDER_KEY,
        algorithm="HS256",
    )

    response = api_client.get("/live/scoped/", **bearer(token))

    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["rooms:list", "rooms:retrieve"]


# normalize_scopes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ("", ()),
        ("   ", ()),
        ([], ()),
        ("rooms:list", ("rooms:list",)),
        (
            "rooms:list  rooms:create\trooms:delete\n",
            ("rooms:list", "rooms:create", "rooms:delete"),
        ),
        ("ROOMS:List rooms:list Rooms:LIST", ("rooms:list",)),
        (["rooms:create", "ROOMS:LIST", "rooms:create"], ("rooms:create", "rooms:list")),
        (("rooms:list",), ("rooms:list",)),
        (frozenset({"Rooms:List"}), ("rooms:list",)),
        ({"rooms:list": "List rooms", "ROOMS:LIST": "Again"}.keys(), ("rooms:list",)),
        ([" rooms:list ", "", "  "], ("rooms:list",)),
        (["rooms:list", 42, None, b"rooms:create"], ("rooms:list",)),
        (42, ()),
        (b"rooms:list", ()),
    ],
    ids=repr,
)
def test_normalize_scopes(value, expected):
    assert normalize_scopes(value) == expected


def test_normalize_scopes_keeps_first_seen_order():
    assert normalize_scopes("b a c A B") == ("b", "a", "c")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("meet:rooms:list", ("rooms:list",)),
        ("MEET:Rooms:List", ("rooms:list",)),
        ("meet:rooms:list rooms:list", ("rooms:list",)),
        ("rooms:meet:list", ("rooms:meet:list",)),
        ("meeting:list", ("meeting:list",)),
        ("meet:meet:rooms:list", ("meet:rooms:list",)),
        ("meet:", ()),
        (["meet:rooms:create", "meet:rooms:list"], ("rooms:create", "rooms:list")),
    ],
)
def test_normalize_scopes_strips_the_scope_prefix_at_the_start_only(delegation, value, expected):
    delegation(SCOPE_PREFIX="meet")

    assert normalize_scopes(value) == expected


def test_normalize_scopes_matches_the_scope_prefix_case_insensitively(delegation):
    delegation(SCOPE_PREFIX="Meet")

    assert normalize_scopes("meet:rooms:list MEET:rooms:create") == ("rooms:list", "rooms:create")
