"""The audit trail: which events are recorded and with what, what it never holds, what it costs
(one insert per request, none on reads), and where it goes (database, logging, signal, nowhere).
"""

from __future__ import annotations

import json
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_app_delegation import audit
from django_app_delegation.conf import DEFAULTS
from django_app_delegation.models import Application, DelegationEvent, EventAction
from django_app_delegation.secrets import CLIENT_ID_MAX_LENGTH
from django_app_delegation.signals import event_recorded
from tests.helpers import NOTES, WIDGETS, client_for, post_token, request_token, widget_url

pytestmark = pytest.mark.django_db

AGENT = "PartnerBot/2.1 (+https://partner.example)"
ADDRESS = "192.0.2.10"
#: Fields compared in most tests: what an event says, without its id and time.
FIELDS = (
    "action",
    "outcome",
    "error",
    "application_id",
    "client_id",
    "user_id",
    "email_domain",
    "email",
    "object_type",
    "object_id",
    "client_ip",
    "user_agent",
)


def events(**filters):
    return [
        {name: getattr(event, name) for name in FIELDS}
        for event in DelegationEvent.objects.filter(**filters).order_by("pk")
    ]


def expected(**values):
    """An event's fields: those given, the defaults of a successful request from 192.0.2.10."""
    base = {
        "outcome": "success",
        "error": "",
        "application_id": None,
        "client_id": "",
        "user_id": None,
        "email_domain": "",
        "email": "",
        "object_type": "",
        "object_id": "",
        "client_ip": "192.0.2.10",
        "user_agent": AGENT,
    }
    return {**base, **values}


def ask(application, email="alice@example.com", **overrides):
    """A token request (see ``request_token``) from 192.0.2.10 with a User-Agent."""
    return request_token(
        application, email, address=ADDRESS, headers={"User-Agent": AGENT}, **overrides
    )


def by(application):
    return {"application_id": application.pk, "client_id": application.client_id}


def test_the_trail_goes_to_the_database_by_default_without_emails_or_reads():
    assert DEFAULTS["AUDIT_DESTINATIONS"] == ("database",)
    assert DEFAULTS["AUDIT_RECORD_EMAIL"] is False
    assert DEFAULTS["AUDIT_READS"] is False


# -- the token endpoint ------------------------------------------------------------------------


def test_an_issued_token_is_recorded(application, user):
    assert ask(application).status_code == 200

    [event] = DelegationEvent.objects.all()
    assert events() == [
        expected(
            action="issue_token",
            user_id=user.pk,
            email_domain="example.com",
            **by(application),
        )
    ]
    assert event.timestamp is not None


@pytest.mark.parametrize(
    ("email", "scopes", "status", "error"),
    [
        ("alice@elsewhere.org", [], 403, "invalid_scope"),
        ("nobody@example.com", [], 404, "invalid_grant"),
        ("alice@example.com", ["widgets:list"], 400, "invalid_scope"),
    ],
)
def test_a_refused_token_is_recorded_with_its_error_code(
    application, user, email, scopes, status, error
):
    assert ask(application, email, scopes=scopes).status_code == status

    domain = email.split("@")[1]
    assert events() == [
        expected(
            action="issue_token",
            outcome="failure",
            error=error,
            email_domain=domain,
            **by(application),
        )
    ]


def test_a_wrong_secret_is_recorded_against_the_application_it_named(application):
    assert ask(application, client_secret="wrong").status_code == 401

    assert events() == [
        expected(action="issue_token", outcome="failure", error="invalid_client", **by(application))
    ]


def test_an_unknown_client_id_is_not_recorded_as_it_was_sent(application, user):
    """An integrator who swapped client_id and client_secret must not leave the secret here."""
    assert (
        ask(
            application, client_id=application.secret, client_secret=application.client_id
        ).status_code
        == 401
    )

    assert events() == [expected(action="issue_token", outcome="failure", error="invalid_client")]


def test_an_inactive_application_is_recorded_as_refused(make_application, user):
    inactive = make_application(is_active=False)

    assert ask(inactive).status_code == 401

    assert events() == [
        expected(action="issue_token", outcome="failure", error="invalid_client", **by(inactive))
    ]


def test_malformed_and_throttled_token_requests_are_not_recorded(application, user, delegation):
    delegation(TOKEN_RATE_PER_APPLICATION="1/minute")
    post_token({"grant_type": "password"})
    ask(application)

    assert ask(application).status_code == 429

    assert [event["outcome"] for event in events()] == ["success"]


def test_a_provisioned_user_and_its_token_are_recorded_in_one_insert(
    application, delegation, django_user_model
):
    delegation(ALLOW_USER_CREATION=True)

    with CaptureQueriesContext(connection) as captured:
        assert ask(application, "newcomer@example.com").status_code == 200

    newcomer = django_user_model.objects.get(email="newcomer@example.com")
    assert events() == [
        expected(action=action, user_id=newcomer.pk, email_domain="example.com", **by(application))
        for action in ("provision_user", "issue_token")
    ]
    inserts = [q["sql"] for q in captured.captured_queries if "delegationevent" in q["sql"]]
    assert len(inserts) == 1


def test_the_full_email_is_recorded_only_when_the_host_opts_in(application, user, delegation):
    ask(application)
    delegation(AUDIT_RECORD_EMAIL=True)
    ask(application)

    assert [event["email"] for event in events()] == ["", "alice@example.com"]


def test_the_token_endpoint_costs_one_insert_more_with_the_trail(application, user, delegation):
    ask(application)  # last_used_at is now recent.
    counts = {}
    for destinations in ((), ("database",)):
        delegation(AUDIT_DESTINATIONS=destinations)
        with CaptureQueriesContext(connection) as captured:
            assert ask(application).status_code == 200
        counts[destinations] = [q["sql"].split()[0] for q in captured.captured_queries]

    assert counts[()] == ["SELECT", "SELECT"]
    assert counts[("database",)] == ["SELECT", "SELECT", "INSERT"]


def test_no_event_holds_a_secret_or_a_token(application, user, delegation):
    delegation(AUDIT_RECORD_EMAIL=True)
    token = ask(application).json()["access_token"]
    ask(application, client_secret="a-wrong-secret-that-must-not-be-kept")
    ask(application, client_id=application.secret, client_secret="swapped")
    stored_hash = Application.objects.values_list("client_secret", flat=True).get()

    for event in DelegationEvent.objects.values():
        for value in map(str, event.values()):
            for secret in (application.secret, stored_hash, token, "a-wrong-secret"):
                assert secret not in value


# -- the resource API --------------------------------------------------------------------------


@pytest.fixture
def partner_client(partner, user):
    """An API client of :func:`partner` for alice, from 192.0.2.10 with a User-Agent."""
    client = client_for(partner, REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT)
    DelegationEvent.objects.all().delete()  # The token's event.
    return client


def test_writes_through_the_api_are_recorded_with_the_object(partner_client, partner, user):
    widget = partner_client.post(WIDGETS, {"name": "lamp"}, format="json").json()
    partner_client.put(widget_url(widget["id"]), {"name": "desk lamp"}, format="json")
    partner_client.patch(widget_url(widget["id"]), {"name": "lamp"}, format="json")
    partner_client.delete(widget_url(widget["id"]))

    assert events() == [
        expected(
            action=action,
            user_id=user.pk,
            email_domain="example.com",
            object_type="testapp.widget",
            object_id=str(widget["id"]),
            **by(partner),
        )
        for action in ("create", "update", "update", "delete")
    ]


def test_a_refused_write_is_not_recorded(partner_client):
    assert partner_client.post(WIDGETS, {"name": ""}, format="json").status_code == 400
    assert partner_client.delete(widget_url(999_999)).status_code == 404
    assert events() == []


def test_reads_are_not_recorded_and_cost_nothing_by_default(partner_client, delegation):
    note = partner_client.post(NOTES, {"text": "memo"}, format="json").json()
    DelegationEvent.objects.all().delete()
    counts = {}
    for destinations in ((), ("database",)):
        delegation(AUDIT_DESTINATIONS=destinations)
        for url in (NOTES, f"{NOTES}{note['id']}/"):
            with CaptureQueriesContext(connection) as captured:
                assert partner_client.get(url).status_code == 200
            counts[destinations, url] = len(captured)

    assert events() == []
    for url in (NOTES, f"{NOTES}{note['id']}/"):
        assert counts[("database",), url] == counts[(), url]


def test_writes_cost_one_insert_more_with_the_trail(partner_client, delegation):
    counts = {}
    for destinations in ((), ("database",)):
        delegation(AUDIT_DESTINATIONS=destinations)
        with CaptureQueriesContext(connection) as captured:
            assert partner_client.post(NOTES, {"text": "memo"}, format="json").status_code == 201
        counts[destinations] = [q["sql"] for q in captured.captured_queries]

    extra = counts[("database",)][len(counts[()]) - 1 : -1]
    assert len(counts[("database",)]) == len(counts[()]) + 1
    assert len(extra) == 1
    assert extra[0].startswith("INSERT") and "delegationevent" in extra[0]


def test_reads_are_recorded_with_audit_reads(partner_client, delegation, partner, user):
    note = partner_client.post(NOTES, {"text": "memo"}, format="json").json()
    DelegationEvent.objects.all().delete()
    delegation(AUDIT_READS=True)

    with CaptureQueriesContext(connection) as captured:
        partner_client.get(NOTES)
    listing = [query["sql"] for query in captured.captured_queries]
    partner_client.get(f"{NOTES}{note['id']}/")
    partner_client.get(f"{NOTES}999999/")

    assert events() == [
        expected(
            action=action,
            user_id=user.pk,
            email_domain="example.com",
            object_id=object_id,
            **by(partner),
        )
        for action, object_id in (("list", ""), ("retrieve", str(note["id"])))
    ]
    assert sum("delegationevent" in sql for sql in listing) == 1


# -- applications ------------------------------------------------------------------------------


def test_a_rotated_secret_is_recorded(application):
    application.rotate_secret()

    assert events() == [
        expected(action="rotate_secret", client_ip=None, user_agent="", **by(application))
    ]


def test_deactivation_and_reactivation_are_recorded(application):
    application.name = "Renamed"
    application.save()
    application.is_active = False
    application.save()
    loaded = Application.objects.get(pk=application.pk)
    loaded.is_active = True
    loaded.save(update_fields=["is_active"])
    loaded.save()

    actions = [event["action"] for event in events()]
    assert actions == ["deactivate", "activate"]


def test_set_active_records_one_event_per_application_it_changes(make_application):
    one = make_application(name="One")
    two = make_application(name="Two")
    off = make_application(name="Off", is_active=False)
    every = Application.objects.filter(pk__in=[one.pk, two.pk, off.pk])

    every.set_active(False)
    deactivated = events()
    every.set_active(True)

    def in_application_order(recorded):
        return sorted(recorded, key=lambda event: str(event["application_id"]))

    assert in_application_order(deactivated) == in_application_order(
        [
            expected(action="deactivate", client_ip=None, user_agent="", **by(application))
            for application in (one, two)
        ]
    )
    assert sorted(
        (event["action"], event["application_id"]) for event in events()[len(deactivated) :]
    ) == sorted(("activate", application.pk) for application in (one, two, off))


def test_set_active_records_nothing_when_nothing_changes(application):
    Application.objects.filter(pk=application.pk).set_active(True)

    assert events() == []


def test_set_active_names_the_request_given_with_acting_for(application, rf, admin_user):
    request = rf.post("/admin/", REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="Browser")
    request.user = admin_user

    with audit.acting_for(request):
        Application.objects.filter(pk=application.pk).set_active(False)

    [event] = DelegationEvent.objects.all()
    assert (event.action, event.application, event.user, event.client_ip, event.user_agent) == (
        "deactivate",
        application,
        admin_user,
        "198.51.100.4",
        "Browser",
    )


def test_a_state_set_by_set_active_is_not_recorded_again_on_save(application):
    Application.objects.filter(pk=application.pk).set_active(False)
    [changed] = Application.objects.filter(pk=application.pk).set_active(True)

    changed.save()

    assert [event["action"] for event in events()] == ["deactivate", "activate"]


def test_a_state_change_not_saved_is_not_recorded(application):
    application.is_active = False
    application.save(update_fields=["name"])

    assert events() == []


def test_events_name_the_request_given_with_acting_for(application, rf, django_user_model):
    staff = django_user_model.objects.create_user(
        username="ops", email="ops@operator.example", password="unused"
    )
    request = rf.post("/admin/", REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="Browser")
    request.user = staff

    with audit.acting_for(request):
        application.rotate_secret()

    assert events() == [
        expected(
            action="rotate_secret",
            user_id=staff.pk,
            email_domain="operator.example",
            client_ip="198.51.100.4",
            user_agent="Browser",
            **by(application),
        )
    ]


def test_revocations_can_be_recorded(application, user):
    """The hook point for revocation: the action exists, a call records it."""
    audit.record(None, action=EventAction.REVOKE, application=application, user=user)

    assert events() == [
        expected(
            action="revoke",
            user_id=user.pk,
            email_domain="example.com",
            client_ip=None,
            user_agent="",
            **by(application),
        )
    ]


def test_an_address_that_is_not_one_ip_is_not_recorded(application, user, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": None}
    request_token(application, headers={"X-Forwarded-For": "203.0.113.1, unknown"})

    assert DelegationEvent.objects.get().client_ip is None


def test_a_service_audience_longer_than_a_client_id_is_cut_to_fit():
    audience = "https://services.example.org/" + "drive/" * 30  # An OIDC client id may be a URL.

    audit.record(None, action=EventAction.CREATE, client_id=audience)

    assert DelegationEvent.objects.get().client_id == audience[:CLIENT_ID_MAX_LENGTH]


# -- destinations ------------------------------------------------------------------------------


def test_the_trail_can_be_switched_off(application, user, delegation, receive, caplog):
    sent = receive(event_recorded)
    delegation(AUDIT_DESTINATIONS=())

    with caplog.at_level(logging.INFO, logger="django_app_delegation.audit"):
        ask(application)
        application.rotate_secret()

    assert DelegationEvent.objects.count() == 0
    assert sent == []
    assert [r for r in caplog.records if r.name == "django_app_delegation.audit"] == []


def test_events_can_go_to_the_signal_only(application, user, delegation, receive):
    sent = receive(event_recorded)
    delegation(AUDIT_DESTINATIONS=["signal"])

    ask(application)

    assert DelegationEvent.objects.count() == 0
    [call] = sent
    assert call["event"].action == "issue_token"
    assert call["event"].client_id == application.client_id
    assert call["event"].pk is None
    assert call["request"].META["HTTP_USER_AGENT"] == AGENT


class JSONFormatter(logging.Formatter):
    """What a JSON log formatter does with ``extra``: every non-standard attribute is a field."""

    STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record):
        fields = {k: v for k, v in vars(record).items() if k not in self.STANDARD}
        return json.dumps({"message": record.getMessage(), **fields})


def test_events_can_go_to_structured_logging_with_stable_field_names(
    application, user, delegation, caplog
):
    delegation(AUDIT_DESTINATIONS=["logging"])

    with caplog.at_level(logging.INFO, logger="django_app_delegation.audit"):
        ask(application, client_secret="wrong")

    assert DelegationEvent.objects.count() == 0
    [record] = [r for r in caplog.records if r.name == "django_app_delegation.audit"]
    printed = json.loads(JSONFormatter().format(record))
    timestamp = printed.pop("delegation_timestamp")
    assert printed == {
        "message": "Delegation event: issue_token failure (invalid_client)",
        "delegation_action": "issue_token",
        "delegation_outcome": "failure",
        "delegation_error": "invalid_client",
        "delegation_client_id": application.client_id,
        "delegation_application_id": str(application.pk),
        "delegation_user_id": None,
        "delegation_email_domain": None,
        "delegation_email": None,
        "delegation_object_type": None,
        "delegation_object_id": None,
        "delegation_client_ip": "192.0.2.10",
        "delegation_user_agent": AGENT,
    }
    assert timestamp.endswith("+00:00")


def test_events_can_go_everywhere_at_once(application, user, delegation, receive, caplog):
    sent = receive(event_recorded)
    delegation(AUDIT_DESTINATIONS=["database", "logging", "signal"])

    with caplog.at_level(logging.INFO, logger="django_app_delegation.audit"):
        ask(application)

    [stored] = DelegationEvent.objects.all()
    assert [call["event"].action for call in sent] == [stored.action]
    assert len([r for r in caplog.records if r.name == "django_app_delegation.audit"]) == 1
