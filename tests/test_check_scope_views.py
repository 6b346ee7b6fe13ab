"""System check W004: a view that checks scopes but whose authenticators exclude ours."""

import pytest

from django_app_delegation.checks import check_scope_views_authentication

pytestmark = pytest.mark.urls("tests.check_urls")


def warned_views():
    messages = check_scope_views_authentication()
    assert {message.id for message in messages} <= {"django_app_delegation.W004"}
    return {message.obj.__name__: message for message in messages}


def test_views_checking_scopes_without_our_authenticator_are_warned_about():
    assert set(warned_views()) == {
        "SessionOnlyScopedView",
        "SessionOrScopeView",
        "SessionOnlyRoomViewSet",
    }


def test_the_warning_names_the_view_its_route_and_permission():
    message = warned_views()["SessionOnlyScopedView"]

    assert message.msg == (
        "tests.check_urls.SessionOnlyScopedView (/session-only/) checks scopes with HasScope but "
        "its authentication classes do not include DelegatedTokenAuthentication: delegated "
        "tokens are never accepted there."
    )
    assert "DelegatedTokenAuthentication" in message.hint
    assert (
        warned_views()["SessionOnlyRoomViewSet"]
        .msg.split(" checks scopes with ")[1]
        .startswith("HasActionScope")
    )


def test_resource_routes_and_the_default_chain_are_fine(settings):
    """The app's own routes authenticate with RESOURCE_AUTHENTICATION_CLASSES: no warning."""
    names = set(warned_views())

    assert not names & {"WidgetsViewSet", "NotesViewSet", "DelegationTokenView", "TokenScopedView"}


def test_resource_routes_without_our_authenticator_are_warned_about(delegation):
    delegation(
        RESOURCE_AUTHENTICATION_CLASSES=["rest_framework.authentication.SessionAuthentication"]
    )

    assert {"WidgetsViewSet", "NotesViewSet"} <= set(warned_views())


@pytest.mark.urls("tests.urls")
def test_the_test_projects_urls_are_fine():
    assert check_scope_views_authentication() == []
