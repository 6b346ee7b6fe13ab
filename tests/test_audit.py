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
from django_app_delegation.signals import event_recorded
from tests.conftest import TOKEN_URL
from tests.viewset_helpers import NOTE_SCOPES, NOTES, WIDGET_SCOPES, WIDGETS, Partner, widget_url

pytestmark = pytest.mark.django_db

AGENT = "PartnerBot/2.1 (+https://partner.example)"
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


@pytest.fixture
def ask(api_client):
    """POST a token request from 192.0.2.10 with a User-Agent; return the response."""

    def post(client_id, secret, scope="alice@example.com"):
        body = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": scope,
        }
        return api_client.post(
            TOKEN_URL, body, format="json", REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT=AGENT
        )

    return post


def by(application):
    return {"application_id": application.pk, "client_id": application.client_id}


def test_the_trail_goes_to_the_database_by_default_without_emails_or_reads():
    assert DEFAULTS["AUDIT_DESTINATIONS"] == ("database",)
    assert DEFAULTS["AUDIT_RECORD_EMAIL"] is False
    assert DEFAULTS["AUDIT_READS"] is False


# -- the token endpoint ------------------------------------------------------------------------


def test_an_issued_token_is_recorded(application, user, ask):
    assert ask(application.client_id, application.secret).status_code == 200

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
    ("scope", "status", "error"),
    [
        ("alice@elsewhere.org", 403, "invalid_scope"),
        ("nobody@example.com", 404, "invalid_grant"),
        ("alice@example.com widgets:list", 400, "invalid_scope"),
    ],
)
def test_a_refused_token_is_recorded_with_its_error_code(
    application, user, ask, scope, status, error
):
    assert ask(application.client_id, application.secret, scope).status_code == status

    domain = scope.split()[0].split("@")[1]
    assert events() == [
        expected(
            action="issue_token",
            outcome="failure",
            error=error,
            email_domain=domain,
            **by(application),
        )
    ]


def test_a_wrong_secret_is_recorded_against_the_application_it_named(application, ask):
    assert ask(application.client_id, "wrong").status_code == 401

    assert events() == [
        expected(action="issue_token", outcome="failure", error="invalid_client", **by(application))
    ]


def test_an_unknown_client_id_is_not_recorded_as_it_was_sent(application, ask, user):
    """An integrator who swapped client_id and client_secret must not leave the secret here."""
    assert ask(application.secret, application.client_id).status_code == 401

    assert events() == [expected(action="issue_token", outcome="failure", error="invalid_client")]


def test_an_inactive_application_is_recorded_as_refused(make_application, ask, user):
    inactive, secret = make_application(is_active=False)

    assert ask(inactive.client_id, secret).status_code == 401

    assert events() == [
        expected(action="issue_token", outcome="failure", error="invalid_client", **by(inactive))
    ]


def test_malformed_and_throttled_token_requests_are_not_recorded(
    application, user, ask, api_client, delegation
):
    delegation(TOKEN_RATE_PER_APPLICATION="1/minute")
    api_client.post(TOKEN_URL, {"grant_type": "password"}, format="json")
    ask(application.client_id, application.secret)

    assert ask(application.client_id, application.secret).status_code == 429

    assert [event["outcome"] for event in events()] == ["success"]


def test_a_provisioned_user_and_its_token_are_recorded_in_one_insert(
    application, ask, delegation, django_user_model
):
    delegation(ALLOW_USER_CREATION=True)

    with CaptureQueriesContext(connection) as captured:
        assert (
            ask(application.client_id, application.secret, "newcomer@example.com").status_code
            == 200
        )

    newcomer = django_user_model.objects.get(email="newcomer@example.com")
    assert events() == [
        expected(action=action, user_id=newcomer.pk, email_domain="example.com", **by(application))
        for action in ("provision_user", "issue_token")
    ]
    inserts = [q["sql"] for q in captured.captured_queries if "delegationevent" in q["sql"]]
    assert len(inserts) == 1


def test_the_full_email_is_recorded_only_when_the_host_opts_in(application, user, ask, delegation):
    ask(application.client_id, application.secret)
    delegation(AUDIT_RECORD_EMAIL=True)
    ask(application.client_id, application.secret)

    assert [event["email"] for event in events()] == ["", "alice@example.com"]


def test_the_token_endpoint_costs_one_insert_more_with_the_trail(
    application, user, ask, delegation
):
    ask(application.client_id, application.secret)  # last_used_at is now recent.
    counts = {}
    for destinations in ((), ("database",)):
        delegation(AUDIT_DESTINATIONS=destinations)
        with CaptureQueriesContext(connection) as captured:
            assert ask(application.client_id, application.secret).status_code == 200
        counts[destinations] = [q["sql"].split()[0] for q in captured.captured_queries]

    assert counts[()] == ["SELECT", "SELECT", "SELECT"]
    assert counts[("database",)] == ["SELECT", "SELECT", "SELECT", "INSERT"]


def test_no_event_holds_a_secret_or_a_token(application, user, ask, delegation):
    delegation(AUDIT_RECORD_EMAIL=True)
    token = ask(application.client_id, application.secret).json()["access_token"]
    ask(application.client_id, "a-wrong-secret-that-must-not-be-kept")
    ask(application.secret, "swapped")
    stored_hash = Application.objects.values_list("client_secret", flat=True).get()

    for event in DelegationEvent.objects.values():
        for value in map(str, event.values()):
            for secret in (application.secret, stored_hash, token, "a-wrong-secret"):
                assert secret not in value


# -- the resource API --------------------------------------------------------------------------


@pytest.fixture
def partner(make_application, user):
    return Partner.register(make_application, "Widgets", WIDGET_SCOPES + NOTE_SCOPES)


@pytest.fixture
def client(partner):
    client = partner.client()
    client.defaults.update(REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT=AGENT)
    DelegationEvent.objects.all().delete()  # The token's event.
    return client


def test_writes_through_the_api_are_recorded_with_the_object(client, partner, user):
    widget = client.post(WIDGETS, {"name": "lamp"}, format="json").json()
    client.put(widget_url(widget["id"]), {"name": "desk lamp"}, format="json")
    client.patch(widget_url(widget["id"]), {"name": "lamp"}, format="json")
    client.delete(widget_url(widget["id"]))

    assert events() == [
        expected(
            action=action,
            user_id=user.pk,
            email_domain="example.com",
            object_type="testapp.widget",
            object_id=str(widget["id"]),
            **by(partner.application),
        )
        for action in ("create", "update", "update", "delete")
    ]


def test_a_refused_write_is_not_recorded(client):
    assert client.post(WIDGETS, {"name": ""}, format="json").status_code == 400
    assert client.delete(widget_url(999_999)).status_code == 404
    assert events() == []


def test_reads_are_not_recorded_and_cost_nothing_by_default(client, delegation):
    note = client.post(NOTES, {"text": "memo"}, format="json").json()
    DelegationEvent.objects.all().delete()
    counts = {}
    for destinations in ((), ("database",)):
        delegation(AUDIT_DESTINATIONS=destinations)
        for url in (NOTES, f"{NOTES}{note['id']}/"):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts[destinations, url] = len(captured)

    assert events() == []
    for url in (NOTES, f"{NOTES}{note['id']}/"):
        assert counts[("database",), url] == counts[(), url]


def test_writes_cost_one_insert_more_with_the_trail(client, delegation):
    counts = {}
    for destinations in ((), ("database",)):
        delegation(AUDIT_DESTINATIONS=destinations)
        with CaptureQueriesContext(connection) as captured:
            assert client.post(NOTES, {"text": "memo"}, format="json").status_code == 201
        counts[destinations] = [q["sql"] for q in captured.captured_queries]

    extra = counts[("database",)][len(counts[()]) - 1 : -1]
    assert len(counts[("database",)]) == len(counts[()]) + 1
    assert len(extra) == 1
    assert extra[0].startswith("INSERT") and "delegationevent" in extra[0]


def test_reads_are_recorded_with_audit_reads(client, delegation, partner, user):
    note = client.post(NOTES, {"text": "memo"}, format="json").json()
    DelegationEvent.objects.all().delete()
    delegation(AUDIT_READS=True)

    with CaptureQueriesContext(connection) as captured:
        client.get(NOTES)
    listing = [query["sql"] for query in captured.captured_queries]
    client.get(f"{NOTES}{note['id']}/")
    client.get(f"{NOTES}999999/")

    assert events() == [
        expected(
            action=action,
            user_id=user.pk,
            email_domain="example.com",
            object_id=object_id,
            **by(partner.application),
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


def test_an_address_that_is_not_one_ip_is_not_recorded(application, user, api_client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": None}
    body = {
        "grant_type": "client_credentials",
        "client_id": application.client_id,
        "client_secret": application.secret,
        "scope": "alice@example.com",
    }
    api_client.post(TOKEN_URL, body, format="json", HTTP_X_FORWARDED_FOR="203.0.113.1, unknown")

    assert DelegationEvent.objects.get().client_ip is None


# -- destinations ------------------------------------------------------------------------------


@pytest.fixture
def sent():
    calls = []

    def receiver(signal, sender, **kwargs):
        calls.append(kwargs)

    event_recorded.connect(receiver, weak=False)
    yield calls
    event_recorded.disconnect(receiver)


def test_the_trail_can_be_switched_off(application, user, ask, delegation, sent, caplog):
    delegation(AUDIT_DESTINATIONS=())

    with caplog.at_level(logging.INFO, logger="django_app_delegation.audit"):
        ask(application.client_id, application.secret)
        application.rotate_secret()

    assert DelegationEvent.objects.count() == 0
    assert sent == []
    assert [r for r in caplog.records if r.name == "django_app_delegation.audit"] == []


def test_events_can_go_to_the_signal_only(application, user, ask, delegation, sent):
    delegation(AUDIT_DESTINATIONS=["signal"])

    ask(application.client_id, application.secret)

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
    application, user, ask, delegation, caplog
):
    delegation(AUDIT_DESTINATIONS=["logging"])

    with caplog.at_level(logging.INFO, logger="django_app_delegation.audit"):
        ask(application.client_id, "wrong")

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


def test_events_can_go_everywhere_at_once(application, user, ask, delegation, sent, caplog):
    delegation(AUDIT_DESTINATIONS=["database", "logging", "signal"])

    with caplog.at_level(logging.INFO, logger="django_app_delegation.audit"):
        ask(application.client_id, application.secret)

    [stored] = DelegationEvent.objects.all()
    assert [call["event"].action for call in sent] == [stored.action]
    assert len([r for r in caplog.records if r.name == "django_app_delegation.audit"]) == 1
