"""A bearer token we did not issue (garbled, forged, signed with another key): deferred to the next
authenticator when there is one; otherwise 401 ``invalid_token``, never "not provided".
"""

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from django_app_delegation.authentication import DelegatedTokenAuthentication
from tests.doubles import OURS, THEIRS
from tests.helpers import bearer, delegated_claims, sign

INVALID = 'Bearer realm="api", error="invalid_token", error_description="Invalid token."'
FOREIGN = {
    "garbled": lambda application, user: "garbled-token",
    "three segments": lambda application, user: "abc.def.ghi",
    "another key": lambda application, user: sign(
        delegated_claims(application, user), key="a-key-this-service-does-not-use-" * 2
    ),
}


@pytest.fixture
def chain(settings):
    def use(*classes):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_AUTHENTICATION_CLASSES": list(classes),
        }

    return use


def authenticate_in_chain(token, *authenticators):
    """Run our authenticator the way DRF does, inside a request holding the whole chain."""
    request = Request(APIRequestFactory().get("/", **bearer(token)), authenticators=authenticators)
    return authenticators[0].authenticate(request), request


@pytest.mark.urls("tests.authenticator_urls")
@pytest.mark.parametrize("make_token", FOREIGN.values(), ids=FOREIGN.keys())
def test_alone_in_the_chain_a_foreign_token_is_401_invalid_token(
    api_client, application, user, chain, make_token
):
    chain(OURS)

    response = api_client.get("/live/scoped/", **bearer(make_token(application, user)))

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert response["WWW-Authenticate"] == INVALID


@pytest.mark.parametrize("make_token", FOREIGN.values(), ids=FOREIGN.keys())
def test_with_a_later_authenticator_a_foreign_token_is_deferred(application, user, make_token):
    from tests.doubles import OtherProviderAuthentication

    ours = DelegatedTokenAuthentication()
    result, request = authenticate_in_chain(
        make_token(application, user), ours, OtherProviderAuthentication()
    )

    assert result is None
    assert ours.authenticate_header(request) == INVALID


@pytest.mark.urls("tests.authenticator_urls")
def test_a_later_authenticator_still_takes_its_own_tokens(api_client, user, chain):
    chain(OURS, THEIRS)

    response = api_client.get("/live/scoped/", **bearer("other-token"))

    assert response.status_code == 200, response.content


@pytest.mark.urls("tests.authenticator_urls")
def test_when_no_later_authenticator_takes_it_the_answer_says_invalid_token(api_client, db, chain):
    chain(OURS, THEIRS)

    response = api_client.get("/live/scoped/", **bearer("nobody-issued-this"))

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert response["WWW-Authenticate"] == INVALID


@pytest.mark.urls("tests.authenticator_urls")
def test_no_token_at_all_is_still_not_provided(api_client, db, chain):
    chain(OURS, THEIRS)

    response = api_client.get("/live/scoped/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_called_outside_a_chain_it_defers_as_before(application, user):
    request = Request(APIRequestFactory().get("/", **bearer("garbled-token")))

    assert DelegatedTokenAuthentication().authenticate(request) is None
