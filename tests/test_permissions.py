"""``HasScope`` and ``HasActionScope``: which scopes open which views, and how refusals look."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from django_app_delegation.permissions import HasActionScope, HasScope, InsufficientScope
from tests.doubles import DjangoOAuthToolkitLikeToken, other_provider_jwt
from tests.helpers import (
    ALL_SCOPES,
    assert_insufficient_scope,
    bearer,
    client_for,
    delegated_claims,
    sign,
    token_for,
    whoami,
)

# ``tests.authenticator_urls`` serves the test app's URLs plus views that follow REST_FRAMEWORK at
# request time and a room viewset that also routes PATCH (``partial_update``).
pytestmark = pytest.mark.urls("tests.authenticator_urls")


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
def test_action_is_allowed_with_its_scope_alone(application, user, method, url, scope, status):
    client = client_for(application, scopes=[scope])

    response = getattr(client, method)(url, {}, format="json")

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
    application, user, method, url, scope, status
):
    client = client_for(application, scopes=[other for other in ALL_SCOPES if other != scope])

    response = getattr(client, method)(url, {}, format="json")

    assert_insufficient_scope(response, scope)


@pytest.mark.parametrize(("method", "url", "scope", "status"), ACTIONS.values(), ids=ACTIONS)
def test_action_without_credentials_is_401_not_403(api_client, db, method, url, scope, status):
    response = getattr(api_client, method)(url, {}, format="json")

    assert response.status_code == 401, response.content
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_create_denial_names_the_scope_in_body_and_challenge(application, user):
    client = client_for(application, scopes=["rooms:list"])

    assert_insufficient_scope(client.post("/rooms/", {}, format="json"), "rooms:create")


def test_challenge_leaves_out_the_realm_when_none_is_configured(application, user, delegation):
    delegation(WWW_AUTHENTICATE_REALM=None)

    response = client_for(application, scopes=["rooms:list"]).post("/rooms/", {}, format="json")

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


def test_method_the_viewset_does_not_route_is_405_not_403(application, user):
    response = client_for(application, scopes=["rooms:list"]).put("/rooms/", {}, format="json")

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


def test_scoped_view_is_allowed_with_its_scope(application, user):
    response = whoami(token_for(application, scopes=["rooms:list"]))

    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["rooms:list"]


def test_scoped_view_is_denied_without_its_scope(application, user):
    response = whoami(token_for(application, scopes=["rooms:retrieve", "rooms:create"]))

    assert_insufficient_scope(response, "rooms:list")


def test_scoped_view_without_credentials_is_401_not_403(db):
    response = whoami()

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


def test_token_scopes_are_case_insensitive_and_de_duplicated(application, user):
    token = sign(delegated_claims(application, user, scope="ROOMS:LIST Rooms:List rooms:list"))

    response = whoami(token)

    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["rooms:list"]


def test_scope_prefix_is_stripped_from_token_scopes(application, user, delegation):
    delegation(SCOPE_PREFIX="meet")
    token = sign(delegated_claims(application, user, scope="meet:rooms:list meet:rooms:create"))

    response = whoami(token)

    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["rooms:create", "rooms:list"]


def test_prefixed_scopes_do_not_count_without_scope_prefix(application, user):
    token = sign(delegated_claims(application, user, scope="meet:rooms:list"))

    assert_insufficient_scope(whoami(token), "rooms:list")


def test_token_without_scope_claim_is_denied(application, user):
    token = sign(delegated_claims(application, user, scope=None))

    assert_insufficient_scope(whoami(token), "rooms:list")


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
    delegation(GET_TOKEN_SCOPES="tests.doubles.scopes_from_roles")
    token = other_provider_jwt(roles=["room-reader"])

    response = api_client.get("/live/scoped/", **bearer(token))

    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["rooms:list", "rooms:retrieve"]
