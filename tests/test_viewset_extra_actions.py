"""``RESOURCES[name]["EXTRA_ACTIONS"]``: actions declared in settings, routed with the resource,
checked like the built-in ones (scope, object permissions, visibility), run through their hook
and documented in OpenAPI; and their system checks."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from drf_spectacular.generators import SchemaGenerator

from django_app_delegation.extension_checks import check_extra_actions_and_filters
from django_app_delegation.models import DelegationEvent
from tests.helpers import (
    NOTES,
    WIDGETS,
    assert_insufficient_scope,
    client_for,
    create_widget,
    widget_url,
)
from tests.testapp.models import Widget

pytestmark = pytest.mark.django_db

EXTRA_ACTIONS = {
    "rename": {
        "METHODS": ["post"],
        "HOOK": "tests.doubles.rename_widget",
        "REQUEST_SERIALIZER_CLASS": "tests.doubles.RenameSerializer",
        "SUMMARY": "Rename a widget",
    },
    "first_member": {
        "HOOK": "tests.doubles.widget_members",
        "RESPONSE_SERIALIZER_CLASS": "tests.doubles.MemberSerializer",
        "SCOPE": "widgets:retrieve",
    },
    "count": {
        "DETAIL": False,
        "HOOK": "tests.doubles.count_widgets",
        "RESPONSE_SERIALIZER_CLASS": "tests.doubles.CountSerializer",
        "OPERATION_ID": "countWidgets",
    },
    "leave": {
        "METHODS": ["post"],
        "HOOK": "tests.doubles.forget_widget",
        "RESPONSE_SERIALIZER_CLASS": None,
        "SCOPE": "widgets:update",
    },
    "teapot": {"HOOK": "tests.doubles.widget_teapot", "SCOPE": "widgets:list"},
}
EXTRA_SCOPES = ["widgets:rename", "widgets:count"]


@pytest.fixture
def extra_actions(resource_options, vocabulary, rebuild_urls):
    vocabulary(*EXTRA_SCOPES)
    resource_options("widgets", EXTRA_ACTIONS=EXTRA_ACTIONS)
    rebuild_urls()


@pytest.fixture
def agent(make_application, extra_actions):
    """An application with every widget scope, the extra ones included."""
    from tests.helpers import WIDGET_SCOPES

    return make_application(name="Agent", scopes=[*WIDGET_SCOPES, *EXTRA_SCOPES])


def test_a_detail_action_validates_its_body_and_renders_the_object(agent, user):
    widget = create_widget(agent, "Lamp")

    response = client_for(agent).post(
        widget_url(widget) + "rename/", {"name": "Desk"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"id": str(widget.pk), "name": "Desk"}
    assert Widget.objects.get(pk=widget.pk).name == "Desk"


def test_an_invalid_body_is_a_400_with_field_errors(agent, user):
    widget = create_widget(agent, "Lamp")

    response = client_for(agent).post(widget_url(widget) + "rename/", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}


def test_an_extra_action_needs_its_scope(agent, make_application, user):
    widget = create_widget(agent, "Lamp")
    without = make_application(name="Reader", scopes=["widgets:list", "widgets:retrieve"])

    response = client_for(without).post(
        widget_url(widget) + "rename/", {"name": "X"}, format="json"
    )

    assert_insufficient_scope(response, "widgets:rename")
    assert Widget.objects.get(pk=widget.pk).name == "Lamp"


def test_object_permissions_and_visibility_apply(agent, make_application, user, bob):
    widget = create_widget(agent, "Lamp")
    other = make_application(name="Other", scopes=["widgets:rename"])

    not_member = client_for(agent, "bob@example.com").post(
        widget_url(widget) + "rename/", {"name": "X"}, format="json"
    )
    not_created_by_it = client_for(other).post(
        widget_url(widget) + "rename/", {"name": "X"}, format="json"
    )

    assert not_member.status_code == 403
    assert not_created_by_it.status_code == 404  # OBJECT_VISIBILITY "application"


def test_an_unknown_object_is_404(agent, user):
    response = client_for(agent).post(
        widget_url("00000000-0000-0000-0000-000000000000") + "rename/", {"name": "X"}
    )

    assert response.status_code == 404


def test_methods_an_action_does_not_declare_answer_405(agent, user):
    widget = create_widget(agent, "Lamp")

    response = client_for(agent).get(widget_url(widget) + "rename/")

    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_url_path_defaults_to_the_name_with_hyphens(agent, user):
    widget = create_widget(agent, "Lamp")

    response = client_for(agent).get(widget_url(widget) + "first-member/")

    assert response.status_code == 200, response.content
    assert response.json() == {"email": "alice@example.com"}


def test_a_list_action_gets_the_queryset_the_token_reaches(agent, make_application, user):
    create_widget(agent, "Lamp")
    create_widget(agent, "Desk")
    other = make_application(name="Other", scopes=["widgets:create"])
    create_widget(other, "Chair")

    response = client_for(agent).get(f"{WIDGETS}count/")

    assert response.status_code == 200, response.content
    assert response.json() == {"count": 2}


def test_an_action_without_a_response_serializer_answers_204(agent, user):
    widget = create_widget(agent, "Lamp")

    response = client_for(agent).post(widget_url(widget) + "leave/")

    assert response.status_code == 204
    assert not widget.members.exists()


def test_a_hook_may_answer_its_own_response(agent, user):
    widget = create_widget(agent, "Lamp")

    response = client_for(agent).get(widget_url(widget) + "teapot/")

    assert (response.status_code, response.json()) == (418, {"teapot": True})


def test_extra_actions_are_routed_whatever_actions_allows(
    resource_options, vocabulary, rebuild_urls, partner, user
):
    vocabulary("notes:count")
    resource_options(
        "notes",
        ACTIONS=["list"],
        EXTRA_ACTIONS={
            "count": {
                "DETAIL": False,
                "HOOK": "tests.doubles.count_widgets",
                "RESPONSE_SERIALIZER_CLASS": "tests.doubles.CountSerializer",
            }
        },
    )
    rebuild_urls()
    partner.scopes = [*partner.scopes, "notes:count"]
    partner.save()

    response = client_for(partner).get(f"{NOTES}count/")

    assert response.status_code == 200, response.content
    assert response.json() == {"count": 0}


# -- audit trail and limits -----------------------------------------------------------------------


def test_a_write_through_a_detail_action_is_recorded_as_an_update_of_its_object(agent, user):
    widget = create_widget(agent, "Lamp")
    client = client_for(agent)
    DelegationEvent.objects.all().delete()

    client.post(widget_url(widget) + "rename/", {"name": "Desk"}, format="json")
    client.post(widget_url(widget) + "rename/", {}, format="json")  # 400: not recorded
    client.get(widget_url(widget) + "first-member/")  # a read
    client.get(f"{WIDGETS}count/")  # a list action: no object

    recorded = DelegationEvent.objects.values_list(
        "action", "application_id", "user_id", "object_type", "object_id"
    )
    assert list(recorded) == [("update", agent.pk, user.pk, "testapp.widget", str(widget.pk))]


def test_an_extra_action_is_limited_like_the_built_in_ones(
    agent, user, resource_options, delegation, clock
):
    resource_options("widgets", ACTION_RATES_PER_APPLICATION={"rename": "1/minute"})
    widget = create_widget(agent, "Lamp")
    client = client_for(agent)

    renamed = [
        client.post(widget_url(widget) + "rename/", {"name": name}, format="json").status_code
        for name in ("Desk", "Chair")
    ]

    assert renamed == [200, 429]
    assert client.get(widget_url(widget) + "first-member/").status_code == 200
    assert "django_app_delegation.E021" not in [message.id for message in run_checks()]


# -- OpenAPI --------------------------------------------------------------------------------------


@pytest.fixture
def schema(extra_actions, settings):
    settings.ROOT_URLCONF = "tests.schema_urls"
    return SchemaGenerator().get_schema(request=None, public=True)


def test_openapi_documents_extra_actions_like_built_in_ones(schema):
    rename = schema["paths"]["/external-api/v1.0/widgets/{id}/rename/"]["post"]
    count = schema["paths"]["/external-api/v1.0/widgets/count/"]["get"]
    leave = schema["paths"]["/external-api/v1.0/widgets/{id}/leave/"]["post"]

    assert rename["operationId"] == "renameWidget"
    assert rename["summary"] == "Rename a widget"
    assert rename["tags"] == ["Widgets"]
    assert rename["security"] == [{"OAuth2": ["widgets:rename"]}, {"BearerAuth": []}]
    assert rename["requestBody"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Rename"}}
    }
    assert set(rename["responses"]) == {"200", "400", "401", "403", "404", "429", "503"}
    assert rename["responses"]["200"]["description"] == "Done: the action's result."
    assert count["operationId"] == "countWidgets"
    assert set(count["responses"]) == {"200", "401", "403", "429", "503"}
    assert leave["responses"]["204"]["description"] == "Done."
    assert "requestBody" not in leave
    created = schema["paths"]["/external-api/v1.0/widgets/"]["post"]["responses"]["201"]
    assert created["links"]["RenameWidget"] == {
        "operationId": "renameWidget",
        "parameters": {"id": "$response.body#/id"},
    }
    assert "CountWidgets" not in created["links"]  # A list action: no object to link from.


# -- system checks --------------------------------------------------------------------------------


def ids_for(resources, **extra):
    resources(
        {
            "widgets": {
                "MODEL": "testapp.Widget",
                "SERIALIZER_CLASS": "tests.testapp.delegation.WidgetSerializer",
                "EXTRA_ACTIONS": extra,
            }
        }
    )
    return [message.id.rsplit(".", 1)[-1] for message in check_extra_actions_and_filters()]


@pytest.fixture
def resources(delegation):
    def update(value):
        delegation(RESOURCES=value)

    return update


HOOK = {"HOOK": "tests.doubles.rename_widget", "SCOPE": "widgets:update"}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"rename": HOOK}, []),
        ({"list": HOOK}, ["E053"]),
        ({"get_queryset": HOOK}, ["E053"]),
        ({"not-an-identifier": HOOK}, ["E053"]),
        ({"rename": "not a dict"}, ["E053"]),
        ({"rename": {**HOOK, "COLOUR": "blue"}}, ["E054"]),
        ({"rename": {**HOOK, "METHODS": ["fetch"]}}, ["E055"]),
        ({"rename": {**HOOK, "METHODS": []}}, ["E055"]),
        ({"rename": {"SCOPE": "widgets:update"}}, ["E056"]),
        ({"rename": {**HOOK, "HOOK": "tests.doubles.nothing_here"}}, ["E004"]),
        ({"rename": {**HOOK, "SCOPE": "two scopes"}}, ["E057"]),
        ({"rename": {**HOOK, "SCOPE": "widgets:unknown"}}, ["W052"]),
        ({"rename": {**HOOK, "URL_PATH": "a/b"}}, ["E058"]),
        ({"rename": HOOK, "retitle": {**HOOK, "URL_PATH": "rename"}}, ["E058"]),
        ({"rename": {**HOOK, "STATUS": 302}}, ["E059"]),
    ],
)
def test_extra_action_checks(resources, extra, expected):
    assert ids_for(resources, **extra) == expected


def test_extra_actions_must_be_a_dict(resources):
    resources(
        {
            "widgets": {
                "MODEL": "testapp.Widget",
                "SERIALIZER_CLASS": "x.Y",
                "EXTRA_ACTIONS": ["rename"],
            }
        }
    )

    assert "django_app_delegation.E053" in [message.id for message in run_checks()]
