"""System checks of ``APP_DELEGATION["RESOURCES"]`` and ``OBJECT_VISIBILITY``, each under its stable
id."""

from __future__ import annotations

import pytest
from django.core.checks import ERROR, WARNING

from django_app_delegation.checks import _check_resources, check_settings
from django_app_delegation.conf import RENAMED_RESOURCE_OPTIONS
from django_app_delegation.resources import RESOURCE_OPTIONS
from tests import settings as test_settings

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
    # The test settings' widgets (model, serializer, queryset and create hooks, permissions),
    # then every other option.
    options = {
        **test_settings.APP_DELEGATION["RESOURCES"]["widgets"],
        "PERFORM_UPDATE": "django_app_delegation.hooks.perform_update",
        "PERFORM_DESTROY": "django_app_delegation.hooks.perform_destroy",
        "ACTIONS": ["list", "retrieve", "create", "update", "partial_update", "destroy"],
        "LOOKUP_FIELD": "pk",
        "ACTION_SCOPES": {"list": "widgets:list"},
        "OBJECT_VISIBILITY": "user",
        "ACTION_RATES_PER_APPLICATION": {"create": "10/minute", "list": None},
        "ACTION_RATES_PER_USER": {"destroy": "1/second"},
        "FILTERSET_FIELDS": ["name"],
        "FILTERSET_CLASS": "tests.testapp.filters.WidgetFilter",
        "EXTRA_ACTIONS": {"rename": {"METHODS": ["post"], "HOOK": "tests.doubles.rename_widget"}},
    }
    assert set(options) == RESOURCE_OPTIONS
    resources({"widgets": options})

    assert _check_resources() == []


def test_resource_errors_are_reported_by_check_settings(resources):
    resources({"notes": {**VALID, "COLOUR": "blue"}})

    assert f"{ID}.E017" in [message.id for message in check_settings()]


def test_resource_messages_are_errors(resources):
    resources({"notes": {**VALID, "COLOUR": "blue"}})

    assert [message.level for message in _check_resources()] == [ERROR]


# -- E012: the shape of RESOURCES -------------------------------------------------------------


@pytest.mark.parametrize("value", [["notes"], "notes"])
def test_e012_resources_that_are_not_a_mapping(resources, value):
    resources(value)

    assert messages() == [
        (f"{ID}.E012", 'APP_DELEGATION["RESOURCES"] must map route names to dicts of options.')
    ]


@pytest.mark.parametrize("options", [["testapp.Note"], "testapp.Note", None])
def test_e012_a_resource_whose_options_are_not_a_mapping(resources, options):
    resources({"notes": options})

    assert messages() == [
        (
            f"{ID}.E012",
            """APP_DELEGATION["RESOURCES"]: 'notes' must be a route name mapped to a dict of """
            "options.",
        )
    ]


def test_e012_an_empty_route_name(resources):
    resources({"": VALID})

    assert ids() == [f"{ID}.E012"]


# -- E016: the token endpoint's route name -----------------------------------------------------


def test_e016_the_token_endpoints_route_name(resources):
    resources({"application": VALID})

    assert messages() == [
        (
            f"{ID}.E016",
            """APP_DELEGATION["RESOURCES"]["application"]: 'application' is the token """
            "endpoint's route.",
        )
    ]


# -- E017: unknown options ---------------------------------------------------------------------


def test_e017_an_unknown_option(resources):
    resources({"notes": {**VALID, "SERIALIZER": "tests.testapp.delegation.NoteSerializer"}})

    assert messages() == [
        (
            f"{ID}.E017",
            """APP_DELEGATION["RESOURCES"]["notes"] has an unknown option 'SERIALIZER'.""",
        )
    ]


# -- E018: required options --------------------------------------------------------------------


def test_e018_a_missing_model(resources):
    resources({"notes": {"SERIALIZER_CLASS": VALID["SERIALIZER_CLASS"]}})

    assert messages() == [(f"{ID}.E018", 'APP_DELEGATION["RESOURCES"]["notes"] needs MODEL.')]


def test_e018_a_missing_serializer_class(resources):
    resources({"notes": {"MODEL": "testapp.Note"}})

    assert messages() == [
        (f"{ID}.E018", 'APP_DELEGATION["RESOURCES"]["notes"] needs SERIALIZER_CLASS.')
    ]


# -- E019: the model ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["testapp.Gadget", "nowhere.Note", "Note", "testapp.Note.x"])
def test_e019_an_unknown_model(resources, model):
    resources({"notes": {**VALID, "MODEL": model}})

    assert messages() == [
        (
            f"{ID}.E019",
            f'APP_DELEGATION["RESOURCES"]["notes"]["MODEL"]: no installed model {model!r}.',
        )
    ]


# -- E020, E021: actions -----------------------------------------------------------------------


def test_e020_an_empty_actions_list(resources):
    resources({"notes": {**VALID, "ACTIONS": []}})

    assert messages() == [
        (
            f"{ID}.E020",
            'APP_DELEGATION["RESOURCES"]["notes"]["ACTIONS"] must allow at least one action.',
        )
    ]


def test_e021_an_unknown_action(resources):
    resources({"notes": {**VALID, "ACTIONS": ["list", "delete"]}})

    assert messages() == [
        (
            f"{ID}.E021",
            'APP_DELEGATION["RESOURCES"]["notes"]["ACTIONS"]: unknown action(s) delete.',
        )
    ]


def test_e021_a_scope_override_for_an_unknown_action(resources):
    resources({"notes": {**VALID, "ACTION_SCOPES": {"read": "notes:read", "lst": "notes:list"}}})

    assert messages() == [
        (
            f"{ID}.E021",
            'APP_DELEGATION["RESOURCES"]["notes"]["ACTION_SCOPES"]: unknown action(s) lst, read.',
        )
    ]


# -- E022: scope overrides ---------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["", "notes read", None])
def test_e022_a_scope_override_that_is_not_a_scope(resources, scope):
    # An empty override would otherwise let any token through: no scope is required at all.
    resources({"notes": {**VALID, "ACTION_SCOPES": {"list": scope}}})

    assert messages() == [
        (
            f"{ID}.E022",
            'APP_DELEGATION["RESOURCES"]["notes"]["ACTION_SCOPES"]["list"] must be one scope name.',
        )
    ]


def test_each_problem_of_each_resource_is_reported_under_its_id(resources):
    resources(
        {
            "notes": {**VALID, "COLOUR": "blue", "ACTIONS": ["archive"]},
            "widgets": {"SERIALIZER_CLASS": "tests.testapp.delegation.WidgetSerializer"},
        }
    )

    assert messages() == [
        (f"{ID}.E017", """APP_DELEGATION["RESOURCES"]["notes"] has an unknown option 'COLOUR'."""),
        (
            f"{ID}.E021",
            'APP_DELEGATION["RESOURCES"]["notes"]["ACTIONS"]: unknown action(s) archive.',
        ),
        (f"{ID}.E018", 'APP_DELEGATION["RESOURCES"]["widgets"] needs MODEL.'),
    ]


# -- E013: OBJECT_VISIBILITY -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["users", "Application", "", None])
def test_e013_a_global_object_visibility_outside_application_and_user(delegation, value):
    delegation(OBJECT_VISIBILITY=value)

    assert messages() == [
        (f"{ID}.E013", 'APP_DELEGATION["OBJECT_VISIBILITY"] must be "application" or "user".')
    ]


@pytest.mark.parametrize("value", ["application", "user"])
def test_e013_not_raised_for_a_valid_global_object_visibility(delegation, value):
    delegation(OBJECT_VISIBILITY=value)

    assert messages() == []


def test_e013_a_resources_object_visibility_outside_application_and_user(resources):
    resources({"notes": {**VALID, "OBJECT_VISIBILITY": "everyone"}})

    assert messages() == [
        (
            f"{ID}.E013",
            'APP_DELEGATION["RESOURCES"]["notes"]["OBJECT_VISIBILITY"] must be "application" '
            'or "user".',
        )
    ]


# -- E004, E015: import strings ----------------------------------------------------------------


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
        f'APP_DELEGATION["RESOURCES"]["notes"]["SERIALIZER_CLASS"]: cannot import {path!r}: '
    )


@pytest.mark.parametrize(
    "option", ["GET_QUERYSET", "PERFORM_CREATE", "PERFORM_UPDATE", "PERFORM_DESTROY"]
)
def test_e004_an_unimportable_hook(resources, option):
    resources({"notes": {**VALID, option: "tests.testapp.delegation.missing_hook"}})

    [(message_id, message)] = messages()
    assert message_id == f"{ID}.E004"
    assert message.startswith(
        f'APP_DELEGATION["RESOURCES"]["notes"]["{option}"]: cannot import '
        "'tests.testapp.delegation.missing_hook': "
    )


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
    assert message.startswith(
        'APP_DELEGATION["RESOURCES"]["notes"]["PERMISSION_CLASSES"]: cannot import '
        "'tests.testapp.delegation.IsNoteOwner': "
    )


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


@pytest.mark.parametrize(
    ("option", "value"),
    [("PERFORM_CREATE", 42), ("PERMISSION_CLASSES", ["django_app_delegation.conf.SETTINGS_NAME"])],
)
def test_e015_an_option_that_is_not_callable(resources, option, value):
    resources({"notes": {**VALID, option: value}})

    assert messages() == [
        (
            f"{ID}.E015",
            f'APP_DELEGATION["RESOURCES"]["notes"]["{option}"] must be a dotted path or a '
            "callable.",
        )
    ]


# -- W003, E023: renamed options ---------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), RENAMED_RESOURCE_OPTIONS.items())
def test_w003_an_option_spelt_with_its_old_name(resources, old, new):
    valid = {"ACTION_SCOPES": {"list": "notes:list"}, "OBJECT_VISIBILITY": "user"}
    resources({"notes": {**VALID, old: valid[new]}})

    [message] = _check_resources()

    assert (message.id, message.level) == (f"{ID}.W003", WARNING)
    assert message.msg == (
        f'APP_DELEGATION["RESOURCES"]["notes"]["{old}"] is deprecated; rename it to "{new}".'
    )


def test_w003_an_option_spelt_with_its_old_name_is_still_checked(resources):
    resources({"notes": {**VALID, "LIST_SCOPE": "everyone", "SCOPES": {"archive": "notes:list"}}})

    assert ids() == [f"{ID}.W003", f"{ID}.W003", f"{ID}.E021", f"{ID}.E013"]


def test_e023_an_option_set_under_both_names(resources):
    resources({"notes": {**VALID, "LIST_SCOPE": "user", "OBJECT_VISIBILITY": "user"}})

    assert messages() == [
        (
            f"{ID}.E023",
            'APP_DELEGATION["RESOURCES"]["notes"]["LIST_SCOPE"] and '
            'APP_DELEGATION["RESOURCES"]["notes"]["OBJECT_VISIBILITY"] are both set.',
        )
    ]
