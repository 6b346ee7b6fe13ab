"""Limits of delegated API calls: per application and per (application, user), for each action of
each resource, set globally and overridden per action in the resource's options.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from django_app_delegation.conf import DEFAULTS
from tests.helpers import NOTES, client_for, note_url

# Alice is the user the partners act for unless a test says otherwise.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("user")]

THROTTLED = {"detail": "Request was throttled. Expected available in 60 seconds."}


def listing(client, times):
    return [client.get(NOTES).status_code for _ in range(times)]


def test_delegated_calls_are_not_limited_by_default(partner):
    assert DEFAULTS["RESOURCE_RATE_PER_APPLICATION"] is None
    assert DEFAULTS["RESOURCE_RATE_PER_USER"] is None
    assert set(listing(client_for(partner), 30)) == {200}


def test_calls_per_application_are_limited_with_429_and_retry_after(
    partner, partner_b, bob, delegation, clock
):
    delegation(RESOURCE_RATE_PER_APPLICATION="3/minute")
    alice, bob_client = client_for(partner), client_for(partner, "bob@example.com")

    statuses = listing(alice, 2) + listing(bob_client, 1)
    refused = alice.get(NOTES)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json() == THROTTLED
    assert listing(client_for(partner_b), 1) == [200]


def test_calls_per_application_and_user_are_limited(partner, partner_b, bob, delegation, clock):
    delegation(RESOURCE_RATE_PER_USER="2/minute")

    alice = listing(client_for(partner), 3)
    bob_calls = listing(client_for(partner, "bob@example.com"), 2)
    alice_through_another_application = listing(client_for(partner_b), 2)

    assert alice == [200, 200, 429]
    assert bob_calls == [200, 200]
    assert alice_through_another_application == [200, 200]


def test_each_action_is_counted_on_its_own(partner, delegation, clock):
    delegation(RESOURCE_RATE_PER_APPLICATION="2/minute")
    client = client_for(partner)

    created = [client.post(NOTES, {"text": f"note {i}"}, format="json") for i in range(3)]
    listed = listing(client, 2)

    assert [response.status_code for response in created] == [201, 201, 429]
    assert listed == [200, 200]


def test_an_action_rate_overrides_the_global_one(partner, resource_options, delegation, clock):
    delegation(RESOURCE_RATE_PER_APPLICATION="5/minute")
    resource_options("notes", ACTION_RATES_PER_APPLICATION={"create": "1/minute"})
    client = client_for(partner)

    created = [client.post(NOTES, {"text": "n"}, format="json").status_code for _ in range(2)]

    assert created == [201, 429]
    assert listing(client, 5) == [200] * 5


def test_an_action_rate_of_none_lifts_the_global_limit_for_that_action(
    partner, resource_options, delegation, clock
):
    delegation(RESOURCE_RATE_PER_USER="1/minute")
    resource_options("notes", ACTION_RATES_PER_USER={"list": None})
    client = client_for(partner)
    note = client.post(NOTES, {"text": "n"}, format="json").json()

    retrieved = [client.get(note_url(note["id"])).status_code for _ in range(2)]

    assert listing(client, 4) == [200] * 4
    assert retrieved == [200, 429]


def test_a_user_rate_of_an_action_applies_without_a_global_one(
    partner, bob, resource_options, clock
):
    resource_options("notes", ACTION_RATES_PER_USER={"list": "2/minute"})

    assert listing(client_for(partner), 3) == [200, 200, 429]
    assert listing(client_for(partner, "bob@example.com"), 2) == [200, 200]


def test_resource_limits_end_with_their_window(partner, delegation, clock):
    delegation(RESOURCE_RATE_PER_APPLICATION="1/minute")
    client = client_for(partner)
    assert listing(client, 2) == [200, 429]

    clock.advance(60)

    assert listing(client, 1) == [200]


def test_unauthenticated_calls_are_refused_before_any_limit(partner, delegation, clock):
    delegation(RESOURCE_RATE_PER_APPLICATION="1/minute")

    assert [APIClient().get(NOTES).status_code for _ in range(3)] == [401, 401, 401]
    assert listing(client_for(partner), 1) == [200]
