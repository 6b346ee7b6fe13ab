"""django-lasuite's OIDC resource server beside delegated tokens, with the real package and a
provider answering introspection over loopback HTTP: ``ExternalAPIPermission`` on a Drive-shaped
``external_api`` viewset, ``request.resource_server_token_audience`` for delegated tokens, and the
resource viewset authenticating resource-server tokens (scopes, provenance, OpenAPI).

Skipped when django-lasuite is not installed (``pip install "django-app-delegation[lasuite]"``).
"""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from django_app_delegation.models import DelegationEvent, ResourceProvenance
from tests.doubles import OURS
from tests.helpers import (
    NOTES,
    WIDGETS,
    assert_insufficient_scope,
    bearer,
    client_for,
    create_note,
    widget_url,
)
from tests.identity_provider import ALLOWED_SERVICE, OTHER_SERVICE, RS_SCOPE
from tests.testapp.models import Note, Widget

pytest.importorskip("lasuite.oidc_resource_server.authentication")

RS = "lasuite.oidc_resource_server.authentication.ResourceServerAuthentication"
EXTERNAL = "/external_api/v1.0/widgets/"

pytestmark = pytest.mark.django_db


def external_url(widget, suffix=""):
    return f"{EXTERNAL}{widget.pk}/{suffix}"


def rs_client(token):
    client = APIClient()
    client.credentials(**bearer(token))
    return client


@pytest.fixture
def external_api(settings, identity_provider, vocabulary):
    """Drive's settings for the Drive-shaped viewset: the actions it opens, attributes per
    audience; ``widgets:members`` joins the scope vocabulary (the ``members`` action's scope)."""
    vocabulary("widgets:members")
    settings.EXTERNAL_API = {"widgets": {"actions": ["list", "retrieve", "create", "members"]}}
    settings.EXTERNAL_API_AUD_WIDGET_ATTRIBUTES = {ALLOWED_SERVICE: ["member_count"]}
    return identity_provider


@pytest.fixture
def lamp(user):
    widget = Widget.objects.create(name="Lamp")
    widget.members.add(user)
    return widget


def names(response):
    assert response.status_code == 200, response.content
    body = response.json()
    items = body["results"] if isinstance(body, dict) else body
    return [item.get("name", item.get("text")) for item in items]


# -- ExternalAPIPermission: resource-server tokens, as ResourceServerClientPermission ----------

#: The Drive-shaped viewset's URLs.
drive_urls = pytest.mark.urls("tests.lasuite_urls")


@drive_urls
def test_resource_server_token_of_an_allowed_audience_is_served(external_api, lamp):
    token = external_api.issue()

    response = rs_client(token).get(EXTERNAL)

    assert response.status_code == 200, response.content
    assert response.json() == [{"id": str(lamp.pk), "name": "Lamp", "member_count": 1}]
    assert external_api.introspected == [token]


@drive_urls
def test_resource_server_token_of_an_audience_not_allowed_is_refused(external_api, lamp):
    response = rs_client(external_api.issue(audience=OTHER_SERVICE)).get(EXTERNAL)

    assert response.status_code == 403


@drive_urls
def test_resource_server_token_is_refused_actions_the_view_does_not_open(external_api, lamp):
    response = rs_client(external_api.issue()).delete(external_url(lamp))

    assert response.status_code == 403
    assert Widget.objects.filter(pk=lamp.pk).exists()


@drive_urls
def test_resource_server_token_of_an_inactive_introspection_is_unauthenticated(external_api, lamp):
    response = rs_client(external_api.issue(active=False)).get(EXTERNAL)

    assert response.status_code == 401


@drive_urls
def test_resource_server_token_of_a_disabled_user_is_unauthenticated(external_api, lamp, user):
    user.is_active = False
    user.save()

    response = rs_client(external_api.issue()).get(EXTERNAL)

    assert response.status_code == 401


@drive_urls
def test_object_permissions_still_apply_to_resource_server_tokens(external_api, user, bob):
    bobs = Widget.objects.create(name="Bob's")
    bobs.members.add(bob)

    response = rs_client(external_api.issue()).get(external_url(bobs))

    assert response.status_code == 403


# -- ExternalAPIPermission: delegated tokens ---------------------------------------------------


@drive_urls
def test_delegated_token_with_the_actions_scope_is_served(external_api, partner, lamp):
    response = client_for(partner, scopes=["widgets:list"]).get(EXTERNAL)

    assert names(response) == ["Lamp"]


@drive_urls
def test_delegated_tokens_are_never_sent_to_the_identity_provider(external_api, partner, lamp):
    client_for(partner).get(EXTERNAL)
    client_for(partner, scopes=["widgets:retrieve"]).get(EXTERNAL)

    assert external_api.requests == []


@drive_urls
def test_delegated_token_without_the_actions_scope_is_refused(external_api, partner, lamp):
    response = client_for(partner, scopes=["widgets:retrieve"]).get(EXTERNAL)

    assert_insufficient_scope(response, "widgets:list")


@drive_urls
def test_delegated_token_is_refused_actions_the_view_does_not_open(external_api, partner, lamp):
    response = client_for(partner).delete(external_url(lamp))

    assert response.status_code == 403
    assert Widget.objects.filter(pk=lamp.pk).exists()


@drive_urls
def test_extra_actions_need_the_basename_and_action_scope(external_api, make_application, lamp):
    granted = make_application(scopes=["widgets:members"])
    refused = make_application(name="Other", scopes=["widgets:retrieve"])

    allowed = client_for(granted).get(external_url(lamp, "members/"))
    denied = client_for(refused).get(external_url(lamp, "members/"))

    assert allowed.status_code == 200, allowed.content
    assert allowed.json() == {"members": ["alice@example.com"]}
    assert_insufficient_scope(denied, "widgets:members")


@drive_urls
def test_delegated_create_then_object_permissions(external_api, partner, user):
    client = client_for(partner)

    created = client.post(EXTERNAL, {"name": "Desk"}, format="json")
    fetched = client.get(f"{EXTERNAL}{created.json()['id']}/")

    assert created.status_code == 201, created.content
    assert fetched.status_code == 200
    assert list(Widget.objects.get(name="Desk").members.all()) == [user]


@drive_urls
def test_delegated_audience_is_the_client_id_by_default(settings, external_api, partner, lamp):
    settings.EXTERNAL_API_AUD_WIDGET_ATTRIBUTES = {partner.client_id: ["member_count"]}

    response = client_for(partner).get(EXTERNAL)

    assert response.json()[0]["member_count"] == 1


@drive_urls
def test_a_hook_maps_applications_to_the_audience_of_a_service(
    external_api, delegation, partner, lamp
):
    delegation(GET_APPLICATION_AUDIENCE=lambda *, token, **kwargs: ALLOWED_SERVICE)

    response = client_for(partner).get(EXTERNAL)

    assert response.json() == [{"id": str(lamp.pk), "name": "Lamp", "member_count": 1}]


@drive_urls
def test_methods_the_view_does_not_route_answer_405_to_both_kinds(external_api, partner, lamp):
    delegated = client_for(partner).put(external_url(lamp), {}, format="json")
    resource_server = rs_client(external_api.issue()).put(external_url(lamp), {}, format="json")

    assert delegated.status_code == 405
    assert resource_server.status_code == 405


# -- ExternalAPIPermission: everything else is refused -----------------------------------------


@drive_urls
def test_sessions_are_refused(external_api, api_client, user, lamp):
    api_client.force_login(user)

    response = api_client.get(EXTERNAL)

    assert response.status_code == 403


@drive_urls
def test_requests_without_credentials_are_unauthenticated(external_api, api_client, lamp):
    response = api_client.get(EXTERNAL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@drive_urls
def test_tokens_of_an_inactive_application_are_unauthenticated(external_api, partner, lamp):
    client = client_for(partner)
    partner.is_active = False
    partner.save()

    response = client.get(EXTERNAL)

    assert response.status_code == 401
    assert external_api.requests == []


@drive_urls
def test_tokens_the_identity_provider_does_not_know_are_refused(external_api, lamp):
    response = rs_client("forged-token").get(EXTERNAL)

    assert response.status_code == 401
    assert external_api.introspected == ["forged-token"]


# -- ResourceViewSet with ResourceServerAuthentication ------------------------------------------


@pytest.fixture
def both_authenticators(delegation, identity_provider):
    delegation(RESOURCE_AUTHENTICATION_CLASSES=[OURS, RS])
    return identity_provider


def test_resource_viewset_serves_resource_server_tokens_with_the_scope(
    both_authenticators, resource_options, lamp
):
    resource_options("widgets", OBJECT_VISIBILITY="user")  # The lamp was made outside the API.
    token = both_authenticators.issue(scope=f"{RS_SCOPE} widgets:list")

    assert names(rs_client(token).get(WIDGETS)) == ["Lamp"]


def test_resource_viewset_refuses_resource_server_tokens_without_the_scope(
    both_authenticators, lamp
):
    token = both_authenticators.issue(scope=f"{RS_SCOPE} widgets:retrieve")

    assert_insufficient_scope(rs_client(token).get(WIDGETS), "widgets:list")


def test_scope_prefix_is_stripped_from_introspected_scopes(both_authenticators, delegation, user):
    delegation(SCOPE_PREFIX="lasuite")
    token = both_authenticators.issue(scope=f"{RS_SCOPE} lasuite:widgets:create")

    response = rs_client(token).post(WIDGETS, {"name": "Desk"}, format="json")

    assert response.status_code == 201, response.content


def test_provenance_records_the_calling_audience(both_authenticators, user):
    token = both_authenticators.issue(scope=f"{RS_SCOPE} notes:create")

    response = rs_client(token).post(NOTES, {"text": "from drive"}, format="json")

    assert response.status_code == 201, response.content
    record = ResourceProvenance.objects.get()
    assert (record.application, record.audience, record.user) == (None, ALLOWED_SERVICE, user)


def test_audit_trail_records_a_services_writes_by_its_audience_without_application(
    both_authenticators, user
):
    scope = f"{RS_SCOPE} widgets:create widgets:update widgets:delete"
    client = rs_client(both_authenticators.issue(scope=scope))
    widget = client.post(WIDGETS, {"name": "Lamp"}, format="json").json()
    client.patch(widget_url(widget["id"]), {"name": "Desk lamp"}, format="json")
    client.delete(widget_url(widget["id"]))

    recorded = DelegationEvent.objects.order_by("pk").values_list(
        "action", "application_id", "client_id", "user_id", "object_type", "object_id"
    )
    assert list(recorded) == [
        (action, None, ALLOWED_SERVICE, user.pk, "testapp.widget", str(widget["id"]))
        for action in ("create", "update", "delete")
    ]


def test_audit_trail_still_names_the_application_of_a_delegated_token(
    both_authenticators, delegation, partner, user
):
    delegation(GET_APPLICATION_AUDIENCE=lambda *, token, **kwargs: ALLOWED_SERVICE)
    DelegationEvent.objects.all().delete()

    create_note(partner, "by the application")

    event = DelegationEvent.objects.get(action="create")
    assert (event.application_id, event.client_id) == (partner.pk, partner.client_id)


def test_resource_limits_do_not_count_service_calls(
    both_authenticators, delegation, partner, user, clock
):
    delegation(RESOURCE_RATE_PER_APPLICATION="1/minute", RESOURCE_RATE_PER_USER="1/minute")
    service = rs_client(both_authenticators.issue(scope=f"{RS_SCOPE} notes:list"))
    application = client_for(partner)

    services_calls = [service.get(NOTES).status_code for _ in range(3)]
    applications_calls = [application.get(NOTES).status_code for _ in range(2)]

    assert services_calls == [200, 200, 200]
    assert applications_calls == [200, 429]


def test_each_caller_reaches_only_what_it_created(both_authenticators, partner, user):
    scope = f"{RS_SCOPE} notes:create notes:list"
    drive = rs_client(both_authenticators.issue("drive", scope=scope))
    other = rs_client(both_authenticators.issue("other", audience=OTHER_SERVICE, scope=scope))
    drive.post(NOTES, {"text": "by drive"}, format="json")
    create_note(partner, "by the application")

    assert names(drive.get(NOTES)) == ["by drive"]
    assert names(other.get(NOTES)) == []
    assert names(client_for(partner).get(NOTES)) == ["by the application"]


def test_an_application_mapped_to_a_services_audience_still_reaches_only_its_own(
    both_authenticators, delegation, partner, user
):
    delegation(GET_APPLICATION_AUDIENCE=lambda *, token, **kwargs: ALLOWED_SERVICE)
    drive = rs_client(both_authenticators.issue(scope=f"{RS_SCOPE} notes:create notes:list"))
    drive.post(NOTES, {"text": "by drive"}, format="json")
    create_note(partner, "by the application")

    assert names(client_for(partner).get(NOTES)) == ["by the application"]
    assert names(drive.get(NOTES)) == ["by drive"]
    assert Note.objects.count() == 2


@pytest.mark.urls("tests.schema_urls")
def test_openapi_shows_both_security_schemes(both_authenticators):
    schema = SchemaGenerator().get_schema(request=None, public=True)

    schemes = schema["components"]["securitySchemes"]
    assert schemes["ResourceServerAuth"]["type"] == "http"
    assert schemes["ResourceServerAuth"]["scheme"] == "bearer"
    assert schema["paths"]["/external-api/v1.0/widgets/"]["get"]["security"] == [
        {"OAuth2": ["widgets:list"]},
        {"BearerAuth": []},
        {"ResourceServerAuth": []},
    ]


# -- system checks -----------------------------------------------------------------------------


def check_ids():
    return [message.id for message in run_checks()]


def test_no_message_when_the_resource_server_follows_delegated_tokens(both_authenticators):
    ids = check_ids()

    assert not [id_ for id_ in ids if id_.split(".")[-1] in {"W050", "W051", "E050"}]


def test_w050_when_the_resource_server_comes_first(identity_provider, delegation):
    delegation(RESOURCE_AUTHENTICATION_CLASSES=[RS, OURS])

    assert "django_app_delegation.W050" in check_ids()


def test_e050_when_a_setting_of_django_lasuite_is_missing(settings, both_authenticators):
    del settings.OIDC_PROXY

    assert "django_app_delegation.E050" in check_ids()


def test_w051_when_the_resource_server_has_no_credentials(settings, both_authenticators):
    settings.OIDC_RS_CLIENT_SECRET = ""

    assert "django_app_delegation.W051" in check_ids()


def test_an_audience_too_long_to_record_creates_nothing(both_authenticators, user):
    token = both_authenticators.issue(audience="s" * 256, scope=f"{RS_SCOPE} notes:create")

    response = rs_client(token).post(NOTES, {"text": "lost"}, format="json")

    assert response.status_code == 403
    assert not Note.objects.exists()


# -- the scope of an action --------------------------------------------------------------------


class View:
    def __init__(self, action, **attributes):
        self.action = action
        self.__dict__.update(attributes)


@pytest.mark.parametrize(
    ("view", "scopes"),
    [
        (View("list", basename="items"), ["items:list"]),
        (View("partial_update", basename="items"), ["items:update"]),
        (View("destroy", basename="items"), ["items:delete"]),
        (View("children", basename="items"), ["items:children"]),
        (View("list", basename="items", scope_map={"list": "files:read"}), ["files:read"]),
        (View("destroy", scope_map={"list": "files:read"}), None),
        (View("list"), None),
    ],
)
def test_the_scope_of_an_action_comes_from_the_scope_map_or_the_basename(view, scopes):
    from django_app_delegation.contrib.lasuite import ExternalAPIPermission

    assert ExternalAPIPermission().get_required_scopes(None, view) == scopes
