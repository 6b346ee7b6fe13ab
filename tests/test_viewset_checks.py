"""System checks of ``APP_DELEGATION["RESOURCES"]`` and ``LIST_SCOPE``, each under its stable id."""

from __future__ import annotations

import pytest
from django.core.checks import ERROR

from django_app_delegation.checks import _check_resources, check_settings

ID = "django_app_delegation"
VALID = {
    "MODEL": "testapp.Note",
    "SERIALIZER_CLASS": "tests.testapp.delegation.NoteSerializer",
}


@pytest.fixture
def resources(delegation):
    """Replace ``RESOURCES`` for one test."""

    def replace(value):
        delegation(RESOURCES=value)

    return replace


def messages():
    return [(message.id, message.msg) for message in _check_resources()]


def ids():
    return [message.id for message in _check_resources()]


def test_the_test_resources_pass_the_checks():
    assert _check_resources() == []


def test_every_option_of_a_resource_passes_when_valid(resources):
    resources(
        {
            "widgets": {
                "MODEL": "testapp.Widget",
                "SERIALIZER_CLASS": "tests.testapp.delegation.WidgetSerializer",
                "GET_QUERYSET": "tests.testapp.delegation.get_widget_queryset",
                "PERFORM_CREATE": "tests.testapp.delegation.create_widget",
                "PERMISSION_CLASSES": ["tests.testapp.delegation.IsWidgetMember"],
                "ACTIONS": ["list", "retrieve", "create", "update", "partial_update", "destroy"],
                "LOOKUP_FIELD": "pk",
                "SCOPES": {"list": "widgets:list"},
                "LIST_SCOPE": "user",
            }
        }
    )

    assert _check_resources() == []


def test_resource_errors_are_reported_by_check_settings(resources):
    resources({"notes": {**VALID, "COLOUR": "blue"}})

    assert f"{ID}.E012" in [message.id for message in check_settings()]


def test_resource_messages_are_errors(resources):
    resources({"notes": {**VALID, "COLOUR": "blue"}})

    assert [message.level for message in _check_resources()] == [ERROR]


# -- E012: the shape of RESOURCES --------------------------------------------------------------


def test_e012_an_unknown_option(resources):
    resources({"notes": {**VALID, "SERIALIZER": "tests.testapp.delegation.NoteSerializer"}})

    assert messages() == [
        (f"{ID}.E012", "APP_DELEGATION['RESOURCES']: 'notes' has an unknown option 'SERIALIZER'.")
    ]


def test_e012_a_missing_model(resources):
    resources({"notes": {"SERIALIZER_CLASS": VALID["SERIALIZER_CLASS"]}})

    assert messages() == [(f"{ID}.E012", "APP_DELEGATION['RESOURCES']: 'notes' needs MODEL.")]


def test_e012_a_missing_serializer_class(resources):
    resources({"notes": {"MODEL": "testapp.Note"}})

    assert messages() == [
        (f"{ID}.E012", "APP_DELEGATION['RESOURCES']: 'notes' needs SERIALIZER_CLASS.")
    ]


@pytest.mark.parametrize("model", ["testapp.Gadget", "nowhere.Note", "Note", "testapp.Note.x"])
def test_e012_an_unknown_model(resources, model):
    resources({"notes": {**VALID, "MODEL": model}})

    assert messages() == [
        (f"{ID}.E012", f"APP_DELEGATION['RESOURCES']: 'notes': no model {model!r}.")
    ]


def test_e012_an_unknown_action(resources):
    resources({"notes": {**VALID, "ACTIONS": ["list", "delete"]}})

    assert messages() == [
        (f"{ID}.E012", "APP_DELEGATION['RESOURCES']: 'notes': unknown action(s) delete.")
    ]


def test_e012_a_scope_override_for_an_unknown_action(resources):
    resources({"notes": {**VALID, "SCOPES": {"read": "notes:read", "lst": "notes:list"}}})

    assert messages() == [
        (f"{ID}.E012", "APP_DELEGATION['RESOURCES']: 'notes': unknown action(s) lst, read.")
    ]


@pytest.mark.parametrize("scope", ["", "notes read", None])
def test_e012_a_scope_override_that_is_not_a_scope(resources, scope):
    # An empty override would otherwise let any token through: no scope is required at all.
    resources({"notes": {**VALID, "SCOPES": {"list": scope}}})

    assert ids() == [f"{ID}.E012"]


def test_e012_the_token_endpoints_route_name(resources):
    resources({"application": VALID})

    assert messages() == [
        (
            f"{ID}.E012",
            "APP_DELEGATION['RESOURCES']: 'application' is the token endpoint's route; "
            "pick another name.",
        )
    ]


@pytest.mark.parametrize("value", [["notes"], "notes"])
def test_e012_resources_that_are_not_a_mapping(resources, value):
    resources(value)

    assert messages() == [
        (f"{ID}.E012", "APP_DELEGATION['RESOURCES']: must map route names to option dicts.")
    ]


@pytest.mark.parametrize("options", [["testapp.Note"], "testapp.Note", None])
def test_e012_a_resource_whose_options_are_not_a_mapping(resources, options):
    resources({"notes": options})

    assert messages() == [
        (
            f"{ID}.E012",
            "APP_DELEGATION['RESOURCES']: 'notes' must map a route name to a dict of options.",
        )
    ]


def test_e012_an_empty_route_name(resources):
    resources({"": VALID})

    assert ids() == [f"{ID}.E012"]


def test_e012_each_problem_of_each_resource_is_reported(resources):
    resources(
        {
            "notes": {**VALID, "COLOUR": "blue", "ACTIONS": ["archive"]},
            "widgets": {"SERIALIZER_CLASS": "tests.testapp.delegation.WidgetSerializer"},
        }
    )

    assert messages() == [
        (f"{ID}.E012", "APP_DELEGATION['RESOURCES']: 'notes' has an unknown option 'COLOUR'."),
        (f"{ID}.E012", "APP_DELEGATION['RESOURCES']: 'notes': unknown action(s) archive."),
        (f"{ID}.E012", "APP_DELEGATION['RESOURCES']: 'widgets' needs MODEL."),
    ]


# -- E013: LIST_SCOPE --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["users", "Application", "", None])
def test_e013_a_global_list_scope_outside_application_and_user(delegation, value):
    delegation(LIST_SCOPE=value)

    assert messages() == [
        (f"{ID}.E013", "APP_DELEGATION['RESOURCES']: LIST_SCOPE must be one of application, user.")
    ]


@pytest.mark.parametrize("value", ["application", "user"])
def test_e013_not_raised_for_a_valid_global_list_scope(delegation, value):
    delegation(LIST_SCOPE=value)

    assert messages() == []


def test_e013_a_resources_list_scope_outside_application_and_user(resources):
    resources({"notes": {**VALID, "LIST_SCOPE": "everyone"}})

    assert messages() == [
        (
            f"{ID}.E013",
            "APP_DELEGATION['RESOURCES']: 'notes': LIST_SCOPE must be one of application, user.",
        )
    ]


# -- E004: import strings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "tests.testapp.delegation.MissingSerializer",
        "tests.nowhere.NoteSerializer",
        "NoteSerializer",
    ],
)
def test_e004_an_unimportable_serializer_class(resources, path):
    resources({"notes": {**VALID, "SERIALIZER_CLASS": path}})

    [(message_id, message)] = messages()
    assert message_id == f"{ID}.E004"
    assert message.startswith(
        "APP_DELEGATION['RESOURCES']: 'notes': SERIALIZER_CLASS cannot be imported: "
    )


@pytest.mark.parametrize("option", ["GET_QUERYSET", "PERFORM_CREATE"])
def test_e004_an_unimportable_hook(resources, option):
    resources({"notes": {**VALID, option: "tests.testapp.delegation.missing_hook"}})

    [(message_id, message)] = messages()
    assert message_id == f"{ID}.E004"
    assert f"'notes': {option} cannot be imported" in message


def test_e004_an_unimportable_permission_class(resources):
    resources(
        {
            "notes": {
                **VALID,
                "PERMISSION_CLASSES": [
                    "tests.testapp.delegation.IsWidgetMember",
                    "tests.testapp.delegation.IsNoteOwner",
                ],
            }
        }
    )

    [(message_id, message)] = messages()
    assert message_id == f"{ID}.E004"
    assert "'notes': PERMISSION_CLASSES cannot be imported" in message
    assert "IsNoteOwner" in message


def test_e004_callables_instead_of_paths_are_accepted(resources):
    from tests.testapp.delegation import IsWidgetMember, NoteSerializer, get_widget_queryset

    resources(
        {
            "notes": {
                "MODEL": "testapp.Note",
                "SERIALIZER_CLASS": NoteSerializer,
                "GET_QUERYSET": get_widget_queryset,
                "PERMISSION_CLASSES": [IsWidgetMember],
            }
        }
    )

    assert messages() == []


@pytest.mark.parametrize("option", ["PERFORM_UPDATE", "PERFORM_DESTROY"])
def test_e004_an_unimportable_update_or_destroy_hook(resources, option):
    resources(
        {
            "notes": {
                "MODEL": "testapp.Note",
                "SERIALIZER_CLASS": "tests.testapp.delegation.NoteSerializer",
                option: "tests.testapp.delegation.no_such_hook",
            }
        }
    )

    assert ids() == ["django_app_delegation.E004"]
