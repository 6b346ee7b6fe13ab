"""The settings object: defaults, import strings resolved under the setting's name, and keys
renamed since 0.1 still read under their old names with a deprecation warning once per key."""

from __future__ import annotations

import warnings

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.authentication import SessionAuthentication

from django_app_delegation.conf import RemovedInDjangoAppDelegation1Warning, delegation_settings
from django_app_delegation.resources import Resource
from tests.helpers import NOTES, WIDGETS, client_for

RENAMED = [
    # old key, new key, value written, value read
    (
        "AUTHENTICATION_CLASSES",
        "RESOURCE_AUTHENTICATION_CLASSES",
        ["rest_framework.authentication.SessionAuthentication"],
        [SessionAuthentication],
    ),
    ("PAGINATION_CLASS", "RESOURCE_PAGINATION_CLASS", None, None),
    ("PAGE_SIZE", "RESOURCE_PAGE_SIZE", 10, 10),
    ("MAX_PAGE_SIZE", "RESOURCE_MAX_PAGE_SIZE", 50, 50),
    ("LIST_SCOPE", "OBJECT_VISIBILITY", "user", "user"),
]
IDS = [old for old, *_ in RENAMED]


def deprecated(setting, new):
    """``pytest.warns`` for ``setting`` (as messages spell it) renamed to ``new``."""
    message = f'{setting} is deprecated; rename it to "{new}".'
    return pytest.warns(
        RemovedInDjangoAppDelegation1Warning, match=f"^{message}$".replace("[", r"\[")
    )


# -- import strings ----------------------------------------------------------------------------


def test_an_unimportable_setting_names_itself_in_the_error(delegation):
    delegation(GET_TOKEN_CLAIMS="nowhere.claims")

    with pytest.raises(ImproperlyConfigured) as excinfo:
        _ = delegation_settings.GET_TOKEN_CLAIMS

    assert str(excinfo.value) == (
        """APP_DELEGATION["GET_TOKEN_CLAIMS"]: cannot import 'nowhere.claims': """
        "No module named 'nowhere'"
    )


def test_an_unimportable_resource_option_names_the_resource_and_the_option(resource_options):
    resource_options("notes", PERFORM_CREATE="tests.testapp.delegation.no_such_hook")

    with pytest.raises(ImproperlyConfigured) as excinfo:
        Resource.get("notes").load("PERFORM_CREATE")

    assert str(excinfo.value) == (
        """APP_DELEGATION["RESOURCES"]["notes"]["PERFORM_CREATE"]: cannot import """
        "'tests.testapp.delegation.no_such_hook': Module \"tests.testapp.delegation\" does not "
        'define a "no_such_hook" attribute/class'
    )


def test_a_resource_hook_left_unset_is_the_default_of_hooks_py():
    from django_app_delegation import hooks

    assert Resource.get("notes").load("PERFORM_DESTROY") is hooks.perform_destroy


# -- renamed keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "value", "read"), RENAMED, ids=IDS)
def test_a_key_spelt_with_its_old_name_is_read_under_its_new_name(
    delegation, old, new, value, read
):
    delegation(**{old: value})

    with deprecated(f'APP_DELEGATION["{old}"]', new):
        assert getattr(delegation_settings, new) == read


@pytest.mark.parametrize(("old", "new", "value", "read"), RENAMED, ids=IDS)
def test_code_reading_the_old_attribute_gets_the_new_setting(delegation, old, new, value, read):
    delegation(**{new: value})

    with deprecated(f'APP_DELEGATION["{old}"]', new):
        assert getattr(delegation_settings, old) == read


def test_the_warning_is_given_once_per_key_until_the_settings_change(delegation):
    delegation(PAGE_SIZE=5, MAX_PAGE_SIZE=10)
    with pytest.warns(RemovedInDjangoAppDelegation1Warning) as record:
        assert delegation_settings.RESOURCE_PAGE_SIZE == 5
    assert sorted(str(warning.message) for warning in record) == [
        'APP_DELEGATION["MAX_PAGE_SIZE"] is deprecated; rename it to "RESOURCE_MAX_PAGE_SIZE".',
        'APP_DELEGATION["PAGE_SIZE"] is deprecated; rename it to "RESOURCE_PAGE_SIZE".',
    ]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert delegation_settings.RESOURCE_MAX_PAGE_SIZE == 10
        assert delegation_settings.ENABLED is True

    delegation(PAGE_SIZE=6, MAX_PAGE_SIZE=10)
    with pytest.warns(RemovedInDjangoAppDelegation1Warning):
        assert delegation_settings.RESOURCE_PAGE_SIZE == 6


def test_the_new_name_wins_when_both_are_set(delegation):
    delegation(PAGE_SIZE=5, RESOURCE_PAGE_SIZE=7)

    with pytest.warns(RemovedInDjangoAppDelegation1Warning):
        assert delegation_settings.RESOURCE_PAGE_SIZE == 7


def test_settings_with_the_new_names_give_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert delegation_settings.OBJECT_VISIBILITY == "application"
        assert delegation_settings.RESOURCE_PAGE_SIZE == 20


@pytest.mark.parametrize(
    ("old", "new", "value"),
    [
        ("SCOPES", "ACTION_SCOPES", {"list": "notes:list"}),
        ("LIST_SCOPE", "OBJECT_VISIBILITY", "user"),
    ],
)
def test_a_resource_option_spelt_with_its_old_name_is_read_under_its_new_name(
    resource_options, old, new, value
):
    resource_options("notes", **{old: value})

    with deprecated(f'APP_DELEGATION["RESOURCES"]["notes"]["{old}"]', new):
        resource = Resource.get("notes")

    assert resource.options[new] == value
    assert old not in resource.options


def test_resource_list_scope_is_a_deprecated_name_of_object_visibility(resource_options):
    resource_options("notes", OBJECT_VISIBILITY="user")
    resource = Resource.get("notes")

    with pytest.warns(RemovedInDjangoAppDelegation1Warning, match="Resource.list_scope"):
        assert resource.list_scope == "user"


# -- the old names keep working in the API -----------------------------------------------------


def test_the_api_pages_lists_by_the_old_page_size(partner, user, delegation):
    client = client_for(partner)
    for text in ("one", "two", "three"):
        client.post(NOTES, {"text": text}, format="json")
    delegation(PAGE_SIZE=2)

    with deprecated('APP_DELEGATION["PAGE_SIZE"]', "RESOURCE_PAGE_SIZE"):
        body = client.get(NOTES).json()

    assert [note["text"] for note in body["results"]] == ["one", "two"]


def test_the_api_applies_the_old_per_resource_list_scope_and_scopes(
    make_application, partner, user, vocabulary, resource_options
):
    vocabulary("widgets:read")
    client = client_for(make_application(name="Partner B", scopes=["widgets:read"]))
    client_for(partner).post(WIDGETS, {"name": "Lamp"}, format="json")
    resource_options("widgets", LIST_SCOPE="user", SCOPES={"list": "widgets:read"})

    with (
        deprecated('APP_DELEGATION["RESOURCES"]["widgets"]["LIST_SCOPE"]', "OBJECT_VISIBILITY"),
        deprecated('APP_DELEGATION["RESOURCES"]["widgets"]["SCOPES"]', "ACTION_SCOPES"),
    ):
        response = client.get(WIDGETS)

    assert response.status_code == 200, response.content
    assert [widget["name"] for widget in response.json()["results"]] == ["Lamp"]
