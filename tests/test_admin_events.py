"""The admin's audit trail (read-only for everyone, filterable, no query per row) and each
application's usage (last use, tokens in 24 h and 30 days, denied requests) on the applications'
list and form, without a query per row either.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from django_app_delegation.models import Application, DelegationEvent
from tests.helpers import CHANGELIST_URL, add_form_data, change_url

pytestmark = pytest.mark.django_db

EVENTS_URL = reverse("admin:django_app_delegation_delegationevent_changelist")


def event_url(event: DelegationEvent, view: str = "change") -> str:
    return reverse(f"admin:django_app_delegation_delegationevent_{view}", args=[event.pk])


def make_event(application=None, *, ago=timedelta(0), **fields):
    fields.setdefault("action", "issue_token")
    fields.setdefault("outcome", "success")
    return DelegationEvent.objects.create(
        application=application,
        client_id=application.client_id if application else "",
        timestamp=timezone.now() - ago,
        **fields,
    )


def listed(response) -> list[DelegationEvent]:
    assert response.status_code == 200, response.content
    return list(response.context["cl"].result_list)


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# -- the audit trail ---------------------------------------------------------------------------


def test_events_are_listed_newest_first(admin_client, partner, user):
    old = make_event(partner, ago=timedelta(days=2))
    new = make_event(partner, user=user, email_domain="example.com")

    response = admin_client.get(EVENTS_URL)

    assert listed(response) == [new, old]
    content = response.content.decode()
    assert "Partner A" in content
    assert "example.com" in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action__exact=rotate_secret", ["rotated"]),
        ("outcome__exact=failure", ["denied", "old denied"]),
        ("application__id__exact={partner_b}", ["partner B"]),
        ("{past_7_days}", ["partner B", "rotated", "denied", "issued"]),
        ("outcome__exact=failure&{past_7_days}", ["denied"]),
    ],
)
def test_events_filter_by_application_action_outcome_and_date(
    admin_client, partner, partner_b, query, expected
):
    names = {
        make_event(partner): "issued",
        make_event(partner, outcome="failure", error="invalid_client"): "denied",
        make_event(partner, action="rotate_secret"): "rotated",
        make_event(partner_b): "partner B",
        make_event(partner, outcome="failure", ago=timedelta(days=20)): "old denied",
    }
    changelist = admin_client.get(EVENTS_URL).context["cl"]
    [dates] = [spec for spec in changelist.filter_specs if spec.title == "timestamp"]
    [past_7_days] = [
        choice["query_string"].lstrip("?")
        for choice in dates.choices(changelist)
        if choice["display"] == "Past 7 days"
    ]

    url = f"{EVENTS_URL}?" + query.format(partner_b=partner_b.pk, past_7_days=past_7_days)

    assert [names[event] for event in listed(admin_client.get(url))] == expected


def filter_specs(client):
    return client.get(EVENTS_URL).context["cl"].filter_specs


def test_the_event_filters_are_offered(admin_client, partner, partner_b):
    titles = [spec.title for spec in filter_specs(admin_client)]

    assert titles == ["action", "outcome", "timestamp", "application"]


def test_the_event_list_costs_the_same_queries_for_5_or_50_events(
    admin_client, partner, partner_b, user
):
    counts = []
    for total in (5, 50):
        DelegationEvent.objects.all().delete()
        for index in range(total):
            make_event((partner, partner_b)[index % 2], user=user, object_type="testapp.note")
        counts.append(queries(admin_client, EVENTS_URL))

    assert counts[0] == counts[1]


def test_events_are_read_only_even_for_superusers(admin_client, partner):
    event = make_event(partner)

    detail = admin_client.get(event_url(event))
    posted = admin_client.post(event_url(event), {"action": "revoke", "outcome": "failure"})
    changelist = admin_client.get(EVENTS_URL)

    assert (
        admin_client.get(reverse("admin:django_app_delegation_delegationevent_add")).status_code
        == 403
    )
    assert detail.status_code == 200
    assert detail.context["has_change_permission"] is False
    assert 'name="_save"' not in detail.content.decode()
    assert posted.status_code == 403
    assert admin_client.get(event_url(event, "delete")).status_code == 403
    assert admin_client.post(event_url(event, "delete"), {"post": "yes"}).status_code == 403
    assert "delete_selected" not in changelist.content.decode()
    assert DelegationEvent.objects.get(pk=event.pk).action == "issue_token"


def test_staff_need_the_view_permission_to_read_events(client, django_user_model, partner):
    staff = django_user_model.objects.create_user(
        username="staff", email="staff@example.com", password="pw", is_staff=True
    )
    client.force_login(staff)
    assert client.get(EVENTS_URL).status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_delegationevent"))
    make_event(partner)

    assert len(listed(client.get(EVENTS_URL))) == 1


# -- usage of each application -----------------------------------------------------------------


@pytest.fixture
def usage(partner, partner_b):
    """Partner A: 2 tokens today, 3 ten days ago, 1 forty days ago; 2 refusals five days ago
    and one forty days ago; events of other kinds. Partner B: one token today."""
    for ago, count in ((timedelta(hours=1), 2), (timedelta(days=10), 3), (timedelta(days=40), 1)):
        for _ in range(count):
            make_event(partner, ago=ago)
    for ago, count in ((timedelta(days=5), 2), (timedelta(days=40), 1)):
        for _ in range(count):
            make_event(partner, ago=ago, outcome="failure", error="invalid_client")
    make_event(partner, action="create")
    make_event(partner, action="provision_user")
    make_event(partner_b)


def usage_of(application: Application) -> tuple[int, int, int]:
    return (
        getattr(application, "tokens_last_24_hours", None),
        getattr(application, "tokens_last_30_days", None),
        getattr(application, "denied_last_30_days", None),
    )


def test_each_application_shows_its_usage_in_the_list(admin_client, partner, partner_b, usage):
    response = admin_client.get(CHANGELIST_URL)

    rows = {application.name: usage_of(application) for application in listed(response)}
    assert rows == {"Partner A": (2, 5, 2), "Partner B": (1, 1, 0)}
    # Under the last use, in the same column: three more would not fit a 1400-pixel window.
    content = response.content.decode()
    assert "Last used at".lower() in content.lower()
    assert '<span class="usage-figure">2 tokens in 24 h</span>' in content
    assert '<span class="usage-figure">5 in 30 days</span>' in content
    assert '<span class="usage-figure">2 denied in 30 days</span>' in content
    assert '<span class="usage-figure">1 token in 24 h</span>' in content


def test_the_application_form_shows_its_usage(admin_client, partner, usage):
    response = admin_client.get(change_url(partner))

    assert response.status_code == 200
    assert usage_of(response.context["original"]) == (2, 5, 2)
    content = response.content.decode()
    assert "Tokens (30 days)" in content
    assert "Denied (30 days)" in content


def test_the_application_list_costs_the_same_queries_for_3_or_20_applications(
    admin_client, make_application
):
    counts = []
    for total in (3, 20):
        while Application.objects.count() < total:
            application = make_application(name=f"Partner {Application.objects.count()}")
            make_event(application)
            make_event(application, outcome="failure")
        counts.append(queries(admin_client, CHANGELIST_URL))

    assert counts[0] == counts[1]


def test_without_a_stored_trail_the_usage_is_not_queried(admin_client, partner, delegation):
    delegation(AUDIT_DESTINATIONS=["logging"])

    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(CHANGELIST_URL)

    assert [usage_of(application) for application in listed(response)] == [(None,) * 3]
    assert not [q for q in captured.captured_queries if "delegationevent" in q["sql"]]


# -- what the admin records --------------------------------------------------------------------


def test_the_admin_records_a_regenerated_secret_with_the_staff_user(
    admin_client, admin_user, partner
):
    response = admin_client.post(
        CHANGELIST_URL,
        {"action": "regenerate_secret", "_selected_action": [str(partner.pk)]},
        REMOTE_ADDR="198.51.100.4",
    )

    assert response.status_code in (200, 302)
    event = DelegationEvent.objects.get(action="rotate_secret")
    assert (event.application, event.user, event.client_ip) == (partner, admin_user, "198.51.100.4")


def test_the_admin_records_a_deactivation_with_the_staff_user(admin_client, admin_user, partner):
    data = add_form_data(name=partner.name, scopes=partner.scopes, domains=[])
    del data["is_active"]
    data.update(
        {
            "allowed_domains-TOTAL_FORMS": "1",
            "allowed_domains-INITIAL_FORMS": "1",
            "allowed_domains-0-id": str(partner.allowed_domains.get().pk),
            "allowed_domains-0-application": str(partner.pk),
            "allowed_domains-0-domain": "example.com",
        }
    )

    response = admin_client.post(change_url(partner), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = DelegationEvent.objects.get()
    assert (event.action, event.application, event.user) == ("deactivate", partner, admin_user)


@pytest.mark.parametrize(
    ("action", "recorded", "initially_active"),
    [
        ("deactivate_applications", "deactivate", True),
        ("reactivate_applications", "activate", False),
    ],
)
def test_the_activation_actions_record_one_event_per_application_changed_with_the_staff_user(
    admin_client, admin_user, make_application, action, recorded, initially_active
):
    changed = [make_application(name=name, is_active=initially_active) for name in ("One", "Two")]
    unchanged = make_application(name="Unchanged", is_active=not initially_active)

    response = admin_client.post(
        CHANGELIST_URL,
        {"action": action, "_selected_action": [app.pk for app in [*changed, unchanged]]},
        REMOTE_ADDR="198.51.100.4",
    )

    assert response.status_code == 302
    events = DelegationEvent.objects.order_by("pk")
    assert sorted(event.application_id for event in events) == sorted(app.pk for app in changed)
    assert {(event.action, event.user, event.client_ip) for event in events} == {
        (recorded, admin_user, "198.51.100.4")
    }
