"""``django_app_delegation.scopes``: how scope strings and lists are normalised."""

import pytest

from django_app_delegation.scopes import normalize_scopes


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
