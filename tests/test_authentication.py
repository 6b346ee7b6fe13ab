"""``DelegatedTokenAuthentication``: which tokens it accepts, refuses (401) or leaves to others."""

from __future__ import annotations

import time

import jwt
import pytest
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from django_app_delegation import authentication
from django_app_delegation.authentication import DelegatedToken, DelegatedTokenAuthentication
from tests.doubles import (
    OTHER_PROVIDER_KEY,
    AddsMethods,
    OverridesFilterThroughAMixin,
    OverridesIteration,
    other_provider_jwt,
)
from tests.helpers import (
    ALL_SCOPES,
    LONG_KEY,
    WHOAMI_URL,
    bearer,
    delegated_claims,
    sign,
    sign_by_hand,
    whoami,
)
from tests.testapp.models import Account, MemberAccount, ProxyUser, SoftDeleteUser, User

NOT_PROVIDED = {"detail": "Authentication credentials were not provided."}
PLAIN_CHALLENGE = 'Bearer realm="api"'


def assert_deferred(response):
    """Nobody authenticated the request: DRF's 401 with the bare challenge, no error code."""
    assert response.status_code == 401, response.content
    assert response.json() == NOT_PROVIDED
    assert response["WWW-Authenticate"] == PLAIN_CHALLENGE


def assert_invalid_token(response, description):
    assert response.status_code == 401, response.content
    assert response.json() == {"detail": description}
    assert response["WWW-Authenticate"] == (
        f'Bearer realm="api", error="invalid_token", error_description="{description}"'
    )


# The Authorization header -----------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_bearer_scheme_is_case_insensitive(access_token, scheme):
    response = whoami(authorization=f"{scheme} {access_token}")

    assert response.status_code == 200, response.content
    assert response.json()["user"] == "alice@example.com"


def test_request_without_credentials_gets_401_with_a_bare_bearer_challenge(db):
    assert_deferred(whoami())


@pytest.mark.parametrize("authorization", ["Basic YWxpY2U6c2VjcmV0", "Token abc", "JWT abc"])
def test_other_schemes_are_left_to_other_authenticators(db, authorization):
    assert_deferred(whoami(authorization=authorization))


@pytest.mark.parametrize("authorization", ["Bearer a b", "Bearer", "bearer  a  b  c"])
def test_malformed_bearer_header_is_401_invalid_token(db, authorization):
    assert_invalid_token(whoami(authorization=authorization), "Invalid token header.")


def test_disabled_app_leaves_even_its_own_valid_tokens_to_others(access_token, delegation):
    delegation(ENABLED=False)

    assert_deferred(whoami(access_token))


# Tokens that are not ours defer ---------------------------------------------------------------


def _other_key(application, user):
    return sign(delegated_claims(application, user), key="another-key-" * 4)


def _other_algorithm(application, user):
    return sign(delegated_claims(application, user), key=LONG_KEY, algorithm="HS512")


def _unsigned(application, user):
    return jwt.encode(delegated_claims(application, user), None, algorithm="none")


def _expired_with_other_key(application, user):
    now = int(time.time())
    claims = delegated_claims(application, user, iat=now - 3660, exp=now - 60)
    return sign(claims, key="another-key-" * 4)


FOREIGN_TOKENS = {
    "signed with another key": _other_key,
    "another algorithm": _other_algorithm,
    "unsigned (alg none)": _unsigned,
    "expired and signed with another key": _expired_with_other_key,
    "garbage": lambda application, user: "not-a-jwt",
    "three garbage segments": lambda application, user: "abc.def.ghi",
    "opaque OIDC access token": lambda application, user: "other-token",
    "non-ASCII": lambda application, user: "t\xf6k\xe9n.\xe9.\xe9",
}


@pytest.mark.parametrize("make_token", FOREIGN_TOKENS.values(), ids=FOREIGN_TOKENS.keys())
def test_tokens_that_are_not_ours_defer(application, user, make_token, delegation):
    if make_token is _other_algorithm:
        # Our own key, long enough for HS512: only the algorithm differs from ours (HS256).
        delegation(SIGNING_KEY=LONG_KEY)
    token = make_token(application, user)
    request = APIRequestFactory().get(WHOAMI_URL, **bearer(token))

    assert DelegatedTokenAuthentication().authenticate(Request(request)) is None
    # Alone in the view's chain, nobody else can take it: invalid, not "not provided".
    assert_invalid_token(whoami(token), "Invalid token.")


@pytest.mark.parametrize("overrides", [{"exp": "tomorrow"}, {"nbf": "yesterday"}], ids=str)
def test_own_token_with_a_malformed_time_claim_is_401_not_deferred(application, user, overrides):
    """Signed with our key, so it is ours: a broken time claim is invalid, not foreign."""
    token = sign(delegated_claims(application, user, **overrides))

    response = whoami(token)

    assert response.status_code == 401, response.content
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


UNKNOWN_CRIT = {"crit": ["urn:x"], "urn:x": 1}
#: JOSE headers PyJWT refuses before it verifies the signature.
UNUSABLE_HEADERS = {
    "kid not a string": {"alg": "HS256", "typ": "at+jwt", "kid": 123},
    "unknown crit": {"alg": "HS256", "typ": "at+jwt", **UNKNOWN_CRIT},
}


@pytest.mark.urls("tests.authenticator_urls")
class TestDeferralReachesTheNextAuthenticator:
    @pytest.mark.parametrize("token", ["other-token", "other-token-list"])
    def test_opaque_token_is_authenticated_by_the_next_one(
        self, api_client, user, second_authenticator, token
    ):
        response = api_client.get("/live/scoped/", **bearer(token))

        assert response.status_code == 200, response.content
        assert response.json()["user"] == "alice"
        assert "rooms:list" in response.json()["scopes"]

    def test_jwt_signed_with_another_key_is_authenticated_by_the_next_one(
        self, api_client, user, second_authenticator
    ):
        token = other_provider_jwt(scope="rooms:list")

        response = api_client.get("/live/scoped/", **bearer(token))

        assert response.status_code == 200, response.content
        assert response.json() == {"user": "alice", "scopes": ["rooms:list"]}

    def test_our_tokens_are_still_ours(self, api_client, access_token, second_authenticator):
        response = api_client.get("/live/scoped/", **bearer(access_token))

        assert response.status_code == 200, response.content
        assert response.json() == {"user": "alice", "scopes": sorted(ALL_SCOPES)}

    def test_our_refused_token_stops_the_chain(
        self, api_client, application, user, second_authenticator
    ):
        now = int(time.time())
        token = sign(delegated_claims(application, user, iat=now - 3660, exp=now - 60))

        response = api_client.get("/live/scoped/", **bearer(token))

        assert_invalid_token(response, "Token expired.")

    def test_unknown_token_is_401_with_the_first_authenticators_challenge(
        self, api_client, db, second_authenticator
    ):
        response = api_client.get("/live/scoped/", **bearer("nobody-knows-me"))

        assert_invalid_token(response, "Invalid token.")

    @pytest.mark.parametrize("key", [OTHER_PROVIDER_KEY, None], ids=["their key", "our key"])
    @pytest.mark.parametrize("header", UNUSABLE_HEADERS.values(), ids=UNUSABLE_HEADERS.keys())
    def test_token_whose_header_we_cannot_use_is_left_to_the_next_one(
        self, api_client, application, user, second_authenticator, header, key
    ):
        """A non-string ``kid`` or an unknown ``crit`` extension is refused before the signature
        is checked, so even with our key the token is not one we issued (we never emit ``crit``,
        and our ``kid`` is a string): the next authenticator decides.
        """
        token = sign_by_hand(delegated_claims(application, user), header, key=key)
        request = APIRequestFactory().get("/live/scoped/", **bearer(token))

        assert DelegatedTokenAuthentication().authenticate(Request(request)) is None
        assert_invalid_token(api_client.get("/live/scoped/", **bearer(token)), "Invalid token.")

    @pytest.mark.parametrize("key", [OTHER_PROVIDER_KEY, None], ids=["their key", "our key"])
    def test_token_with_an_unknown_critical_extension_built_by_pyjwt_is_left_to_the_next_one(
        self, api_client, application, user, second_authenticator, key
    ):
        """The same token as above, minted by PyJWT itself rather than by hand."""
        token = sign(delegated_claims(application, user), key=key, headers=UNKNOWN_CRIT)

        assert_invalid_token(api_client.get("/live/scoped/", **bearer(token)), "Invalid token.")


# Tokens of ours that cannot be used: 401 invalid_token --------------------------------------------

NOW = int(time.time())

INVALID_CLAIMS = {
    "expired": ({"iat": NOW - 3660, "exp": NOW - 60}, "Token expired."),
    "wrong issuer": ({"iss": "someone-else"}, "Invalid token."),
    "wrong audience": ({"aud": "https://other.example/"}, "Invalid token."),
    "audience list without ours": ({"aud": ["https://other.example/"]}, "Invalid token."),
    "missing exp": ({"exp": None}, "Invalid token claims: missing exp."),
    "missing iss": ({"iss": None}, "Invalid token claims: missing iss."),
    "missing aud": ({"aud": None}, "Invalid token claims: missing aud."),
    "missing iat": ({"iat": None}, "Invalid token claims: missing iat."),
    "missing jti": ({"jti": None}, "Invalid token claims: missing jti."),
    "issued in the future": ({"iat": NOW + 3600, "exp": NOW + 7200}, "Token is not yet valid."),
    "not valid before later": ({"nbf": NOW + 3600}, "Token is not yet valid."),
    "missing client_id": ({"client_id": None}, "Invalid token claims."),
    "client_id not a string": ({"client_id": 42}, "Invalid token claims."),
    "missing sub and user_id": ({"sub": None, "user_id": None}, "Invalid token claims."),
    "delegated missing": ({"delegated": None}, "Invalid token type."),
    "delegated false": ({"delegated": False}, "Invalid token type."),
    "delegated the string true": ({"delegated": "true"}, "Invalid token type."),
    "delegated 1": ({"delegated": 1}, "Invalid token type."),
    "sub not a valid pk": ({"sub": "alice"}, "Invalid token claims."),
    "user_id not a valid pk": ({"sub": None, "user_id": "not-a-number"}, "Invalid token claims."),
    "user_id a UUID": (
        {"sub": None, "user_id": "1c1ae5a4-5c4c-4bd5-9a4e-0c0a0f6a2d3e"},
        "Invalid token claims.",
    ),
    "unknown application": ({"client_id": "unknown-client-id"}, "Application not found."),
}


@pytest.mark.parametrize(
    ("overrides", "description"), INVALID_CLAIMS.values(), ids=INVALID_CLAIMS.keys()
)
def test_unusable_token_of_ours_is_401_invalid_token(application, user, overrides, description):
    token = sign(delegated_claims(application, user, **overrides))

    assert_invalid_token(whoami(token), description)


@pytest.mark.parametrize("typ", ["JWT", None])
def test_token_of_ours_without_the_at_jwt_type_is_401(application, user, typ):
    token = sign(delegated_claims(application, user), typ=typ)

    assert_invalid_token(whoami(token), "Invalid token type.")


def test_user_id_beyond_the_primary_key_range_is_401_user_not_found(application, user):
    token = sign(delegated_claims(application, user, sub=str(2**70), user_id=str(2**70)))

    assert_invalid_token(whoami(token), "User not found.")


def test_user_is_read_from_user_id_when_sub_is_absent(application, user, bob):
    token = sign(delegated_claims(application, user, sub=None, user_id=str(bob.pk)))

    response = whoami(token)

    assert response.status_code == 200, response.content
    assert response.json()["user"] == "bob@example.com"


def test_sub_wins_over_user_id(application, user, bob):
    token = sign(delegated_claims(application, user, sub=str(user.pk), user_id=str(bob.pk)))

    assert whoami(token).json()["user"] == "alice@example.com"


# Revocation takes effect at once ------------------------------------------------------------------


def test_deactivating_the_application_revokes_its_tokens_at_once(access_token, application):
    assert whoami(access_token).status_code == 200
    application.is_active = False
    application.save()

    assert_invalid_token(whoami(access_token), "Application is disabled.")


def test_deleting_the_application_revokes_its_tokens(access_token, application):
    application.delete()

    assert_invalid_token(whoami(access_token), "Application not found.")


def test_token_for_a_deleted_user_is_401(access_token, user):
    user.delete()

    assert_invalid_token(whoami(access_token), "User not found.")


def test_token_for_a_deactivated_user_is_401(access_token, user):
    user.is_active = False
    user.save()

    assert_invalid_token(whoami(access_token), "User account is disabled.")


def test_application_check_comes_before_the_user_check(access_token, application, user):
    user.delete()
    application.is_active = False
    application.save()

    assert_invalid_token(whoami(access_token), "Application is disabled.")


def test_scopes_withdrawn_from_the_application_stop_working_at_once(
    access_token, application, api_client
):
    assert whoami(access_token).status_code == 200
    application.scopes = ["rooms:retrieve"]
    application.save()

    response = whoami(access_token)

    assert response.status_code == 403, response.content
    assert response.json() == {"detail": "Insufficient permissions. Required scope: rooms:list"}
    assert api_client.get("/rooms/1/", **bearer(access_token)).status_code == 200


# One query per request --------------------------------------------------------------------------


def test_authenticated_request_costs_exactly_one_query(access_token, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = whoami(access_token)

    assert response.status_code == 200, response.content


def test_authenticated_request_decodes_its_token_once(
    access_token, django_assert_num_queries, monkeypatch
):
    parsed = []
    real_load = jwt.api_jws.PyJWS._load
    monkeypatch.setattr(
        jwt.api_jws.PyJWS, "_load", lambda *a, **k: parsed.append(1) or real_load(*a, **k)
    )
    with django_assert_num_queries(1):
        response = whoami(access_token)

    assert response.status_code == 200, response.content
    assert len(parsed) == 1


def test_viewset_request_costs_exactly_one_query(
    api_client, access_token, django_assert_num_queries
):
    with django_assert_num_queries(1):
        response = api_client.get("/rooms/", **bearer(access_token))

    assert response.status_code == 200, response.content


@pytest.mark.parametrize("revoke", ["application", "user"])
def test_revoked_token_is_refused_in_one_query(
    access_token, application, user, django_assert_num_queries, revoke
):
    target = application if revoke == "application" else user
    target.is_active = False
    target.save()

    with django_assert_num_queries(1):
        response = whoami(access_token)

    assert response.status_code == 401


# User models the join cannot read: the default manager's way is used -------------------------


@pytest.fixture
def user_model(monkeypatch):
    """Make authentication load users from another model than ``AUTH_USER_MODEL``."""

    def use(model):
        monkeypatch.setattr(authentication, "get_user_model", lambda: model)

    return use


@pytest.fixture
def soft_delete_user(db, user_model):
    user_model(SoftDeleteUser)
    return SoftDeleteUser.objects.create(email="sam@example.com")


@pytest.fixture
def member_account(db, user_model):
    user_model(MemberAccount)
    return MemberAccount.objects.create(email="mia@example.com", member_number="M-1")


def test_token_of_a_soft_deleted_user_is_401_user_not_found(application, soft_delete_user):
    token = sign(delegated_claims(application, soft_delete_user))
    soft_delete_user.deleted_at = timezone.now()
    soft_delete_user.save()

    assert_invalid_token(whoami(token), "User not found.")


def test_user_is_loaded_through_the_default_manager_when_it_filters(
    application, soft_delete_user, django_assert_num_queries
):
    token = sign(delegated_claims(application, soft_delete_user))

    with django_assert_num_queries(2) as captured:
        response = whoami(token)

    assert response.status_code == 200, response.content
    assert response.json()["user"] == "sam@example.com"
    user_query = captured.captured_queries[-1]["sql"].lower()
    assert "deleted_at" in user_query
    assert "is null" in user_query


def test_application_check_comes_before_the_user_check_without_the_join(
    application, soft_delete_user
):
    token = sign(delegated_claims(application, soft_delete_user))
    soft_delete_user.delete()
    application.is_active = False
    application.save()

    assert_invalid_token(whoami(token), "Application is disabled.")


def test_scopes_are_within_the_applications_without_the_join(application, soft_delete_user):
    token = sign(delegated_claims(application, soft_delete_user))
    application.scopes = ["rooms:list"]
    application.save()

    response = whoami(token)

    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["rooms:list"]


def test_user_id_beyond_the_primary_key_range_is_401_user_not_found_without_the_join(
    application, soft_delete_user
):
    token = sign(delegated_claims(application, soft_delete_user, sub=str(2**70)))

    assert_invalid_token(whoami(token), "User not found.")


def test_token_of_a_deactivated_multi_table_user_is_401(application, member_account):
    token = sign(delegated_claims(application, member_account))
    Account.objects.filter(pk=member_account.pk).update(is_active=False)

    assert_invalid_token(whoami(token), "User account is disabled.")


def test_multi_table_user_is_loaded_with_its_parents_fields(
    application, member_account, django_assert_num_queries
):
    token = sign(delegated_claims(application, member_account))

    with django_assert_num_queries(2):
        response = whoami(token)

    assert response.status_code == 200, response.content
    assert response.json()["user"] == "mia@example.com"


def test_multi_table_user_comes_with_every_field_of_its_tables(application, member_account):
    token = sign(delegated_claims(application, member_account))
    request = Request(APIRequestFactory().get(WHOAMI_URL, **bearer(token)))

    authenticated_user, auth = DelegatedTokenAuthentication().authenticate(request)

    assert isinstance(authenticated_user, MemberAccount)
    assert authenticated_user.get_deferred_fields() == set()
    assert (authenticated_user.pk, authenticated_user.email) == (
        member_account.pk,
        member_account.email,
    )
    assert authenticated_user.member_number == "M-1"
    assert auth.user_id == str(member_account.pk)


@pytest.fixture
def fresh_join_decision():
    """Forget the cached decisions, before and after: the test changes what they depend on."""
    authentication._reads_like_default_manager.cache_clear()
    yield authentication._join_is_equivalent
    authentication._reads_like_default_manager.cache_clear()


def test_join_is_used_for_a_plain_user_model(fresh_join_decision):
    assert fresh_join_decision(User, "default") is True


@pytest.mark.parametrize(
    "model",
    [SoftDeleteUser, MemberAccount, ProxyUser],
    ids=["default manager filters", "multi-table inheritance", "proxy"],
)
def test_join_is_not_used_for_a_user_model_it_would_read_differently(fresh_join_decision, model):
    assert fresh_join_decision(model, "default") is False


def test_join_is_not_used_when_applications_are_read_from_another_database(
    fresh_join_decision, settings
):
    settings.DATABASE_ROUTERS = ["tests.doubles.ApplicationsElsewhereRouter"]

    assert fresh_join_decision(User, "default") is False


def test_join_is_not_used_on_a_database_it_was_not_written_for(fresh_join_decision, monkeypatch):
    monkeypatch.setattr(connections["default"], "vendor", "oracle")

    assert fresh_join_decision(User, "default") is False


@pytest.mark.parametrize(
    ("queryset_class", "overrides"),
    [
        (QuerySet, False),
        (AddsMethods, False),
        (OverridesIteration, True),
        (OverridesFilterThroughAMixin, True),
        (object, True),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else str(value),
)
def test_join_is_kept_only_for_querysets_that_redefine_nothing(queryset_class, overrides):
    assert authentication._overrides_queryset(queryset_class) is overrides


def test_filter_the_default_manager_adds_after_the_decision_still_applies(
    access_token, user, monkeypatch
):
    assert whoami(access_token).status_code == 200
    manager_class = type(User._default_manager)
    get_queryset = manager_class.get_queryset
    monkeypatch.setattr(
        manager_class, "get_queryset", lambda self: get_queryset(self).exclude(pk=user.pk)
    )

    assert_invalid_token(whoami(access_token), "User not found.")


# request.auth -----------------------------------------------------------------------------------


def test_request_auth_holds_claims_scopes_and_application(access_token, application, user):
    request = Request(APIRequestFactory().get(WHOAMI_URL, **bearer(access_token)))

    authenticated_user, auth = DelegatedTokenAuthentication().authenticate(request)

    claims = jwt.decode(access_token, options={"verify_signature": False})
    assert authenticated_user == user
    assert isinstance(auth, DelegatedToken)
    assert auth.claims == claims
    assert auth.scopes == frozenset(ALL_SCOPES)
    assert isinstance(auth.scopes, frozenset)
    assert auth.application_id == application.pk
    assert auth.client_id == application.client_id
    assert auth.user_id == str(user.pk)
    assert auth.jti == claims["jti"]
    assert auth.token == access_token


def test_request_auth_reads_like_meets_claims_dict(access_token, application):
    request = Request(APIRequestFactory().get(WHOAMI_URL, **bearer(access_token)))

    _, auth = DelegatedTokenAuthentication().authenticate(request)

    assert auth["client_id"] == application.client_id
    assert auth["delegated"] is True
    assert set(auth.get("scope").split()) == set(ALL_SCOPES)
    assert auth.get("no-such-claim") is None
    assert "jti" in auth
    assert dict(auth) == auth.claims
    with pytest.raises(KeyError):
        auth["no-such-claim"]


def test_request_auth_scopes_are_the_tokens_within_the_applications(application, user):
    token = sign(delegated_claims(application, user, scope="rooms:list rooms:fly ROOMS:LIST"))

    response = whoami(token)

    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["rooms:list"]


def test_whoami_reports_user_client_and_scopes(access_token, application):
    response = whoami(access_token)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "user": "alice@example.com",
        "client_id": application.client_id,
        "scopes": sorted(ALL_SCOPES),
    }


def test_challenge_without_realm_is_well_formed(application, user, delegation):
    delegation(WWW_AUTHENTICATE_REALM="")
    token = sign(delegated_claims(application, user, exp=int(time.time()) - 10))

    response = whoami(token)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == (
        'Bearer error="invalid_token", error_description="Token expired."'
    )
