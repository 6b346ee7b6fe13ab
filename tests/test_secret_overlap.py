"""Client-secret rotation with overlap: the old secret works beside the new one until its expiry,
then never; one previous secret at most; a bound on the overlap; the command, the admin and the
audit trail; constant-time verification; the lockout unchanged.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError
from django.utils import timezone

from django_app_delegation import audit
from django_app_delegation import secrets as client_secrets
from django_app_delegation.admin import SESSION_KEY
from django_app_delegation.checks import check_settings
from django_app_delegation.conf import DEFAULTS
from django_app_delegation.models import Application, DelegationEvent, EventAction
from tests.helpers import (
    CHANGELIST_URL,
    MAY_SEE_SECRETS,
    ROLES,
    SECRET_MARKUP,
    SECRET_URL,
    TOKEN_URL,
    change_url,
    request_token,
    run,
    shown_credentials,
    stored_secret,
    text_credentials,
)

pytestmark = pytest.mark.django_db

INVALID_CLIENT = {"error": "invalid_client", "error_description": "Invalid credentials"}


def rotate_keeping(application, keep_old_for=timedelta(hours=24)):
    """Rotate ``application``'s secret keeping the old one; its ``.secret`` becomes the new one and
    ``.old_secret`` the old one."""
    application.old_secret = application.secret
    application.secret = application.rotate_secret(keep_old_for=keep_old_for)
    return application


def accepts(application, secret, *, now=None):
    """Whether the stored application accepts ``secret`` (at ``now``)."""
    fresh = Application.objects.get(pk=application.pk)
    return fresh.check_client_secret(secret, now=now)


def previous_hash(application) -> str:
    return Application.objects.values_list("previous_client_secret", flat=True).get(
        pk=application.pk
    )


@pytest.fixture
def frozen_now(monkeypatch):
    """Stop ``timezone.now()`` at a given time: ``frozen_now(moment)``."""

    def freeze(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


# -- the model -----------------------------------------------------------------------------------


def test_the_old_secret_works_beside_the_new_one_until_its_expiry_and_never_after(application):
    before = timezone.now()
    rotate_keeping(application, timedelta(hours=24))
    expires_at = Application.objects.get(pk=application.pk).previous_secret_expires_at

    assert before + timedelta(hours=24) <= expires_at <= timezone.now() + timedelta(hours=24)
    assert accepts(application, application.secret) is True
    assert accepts(application, application.old_secret) is True
    assert accepts(application, application.old_secret, now=expires_at - timedelta(seconds=1))
    assert accepts(application, application.old_secret, now=expires_at) is False
    assert accepts(application, application.old_secret, now=expires_at + timedelta(days=1)) is False
    assert accepts(application, application.secret, now=expires_at + timedelta(days=1)) is True


def test_a_rotation_without_overlap_stops_the_old_secret_at_once(application):
    old = application.secret
    new = application.rotate_secret()
    assert accepts(application, new) is True
    assert accepts(application, old) is False
    assert previous_hash(application) == ""


def test_keeping_the_old_secret_for_zero_is_a_rotation_without_overlap(application):
    old = application.secret
    application.rotate_secret(keep_old_for=timedelta(0))
    assert accepts(application, old) is False
    assert Application.objects.get(pk=application.pk).previous_secret_expires_at is None


def test_a_rotation_during_an_overlap_replaces_the_previous_secret(application):
    first = application.secret
    rotate_keeping(application)
    second = application.secret
    rotate_keeping(application)

    assert accepts(application, first) is False
    assert accepts(application, second) is True
    assert accepts(application, application.secret) is True


def test_a_rotation_without_overlap_during_one_ends_it(application):
    rotate_keeping(application)
    middle = application.secret
    newest = application.rotate_secret()
    assert accepts(application, application.old_secret) is False
    assert accepts(application, middle) is False
    assert accepts(application, newest) is True


def test_a_rotation_keeps_the_secret_stored_not_the_one_loaded(application):
    stale = Application.objects.get(pk=application.pk)
    rotated_elsewhere = application.rotate_secret()

    newest = stale.rotate_secret(keep_old_for=timedelta(hours=1))

    assert accepts(application, rotated_elsewhere) is True
    assert accepts(application, newest) is True
    assert accepts(application, application.secret) is False


def test_ending_the_overlap_stops_the_old_secret_now(application):
    rotate_keeping(application)

    assert application.end_secret_overlap() is True

    assert accepts(application, application.old_secret) is False
    assert accepts(application, application.secret) is True
    stored = Application.objects.get(pk=application.pk)
    assert (stored.previous_client_secret, stored.previous_secret_expires_at) == ("", None)
    assert application.end_secret_overlap() is False


def test_ending_an_expired_overlap_clears_it_and_says_none_was_running(application):
    rotate_keeping(application)
    Application.objects.filter(pk=application.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    application.refresh_from_db()
    assert application.end_secret_overlap() is False
    assert previous_hash(application) == ""


@pytest.mark.parametrize(
    ("keep_old_for", "code"),
    [
        (timedelta(days=7, seconds=1), "overlap_too_long"),
        (timedelta(days=30), "overlap_too_long"),
        (timedelta(seconds=-1), "negative_overlap"),
    ],
)
def test_keeping_the_old_secret_beyond_the_bound_is_refused_and_changes_nothing(
    application, keep_old_for, code
):
    stored = stored_secret(application)
    with pytest.raises(ValidationError) as raised:
        application.rotate_secret(keep_old_for=keep_old_for)
    assert raised.value.code == code
    assert stored_secret(application) == stored
    assert previous_hash(application) == ""


def test_the_bound_is_the_setting_in_force(application, delegation):
    delegation(CLIENT_SECRET_OVERLAP_MAX_LIFETIME=timedelta(hours=1))
    with pytest.raises(ValidationError, match=r"at most 1h \(CLIENT_SECRET_OVERLAP_MAX_LIFETIME\)"):
        application.rotate_secret(keep_old_for=timedelta(hours=2))
    application.rotate_secret(keep_old_for=timedelta(hours=1))


def test_a_bound_of_zero_turns_keeping_old_secrets_off(application, delegation):
    delegation(CLIENT_SECRET_OVERLAP_MAX_LIFETIME=timedelta(0))
    with pytest.raises(ValidationError, match="turned off") as raised:
        application.rotate_secret(keep_old_for=timedelta(minutes=1))
    assert raised.value.code == "overlap_off"


def test_the_default_bound_is_seven_days():
    assert DEFAULTS["CLIENT_SECRET_OVERLAP_MAX_LIFETIME"] == timedelta(days=7)


def test_a_plaintext_assigned_as_previous_secret_is_hashed_on_save(application):
    application.previous_client_secret = "a-plaintext-that-must-not-be-stored"
    application.previous_secret_expires_at = timezone.now() + timedelta(hours=1)
    application.save()
    assert previous_hash(application).startswith("md5$")  # The tests' password hasher.
    assert accepts(application, "a-plaintext-that-must-not-be-stored") is True


# -- constant time -------------------------------------------------------------------------------


def test_both_hashes_are_always_verified_whichever_matches(application, fast_verifications):
    rotate_keeping(application)
    stored = Application.objects.get(pk=application.pk)
    current, previous = stored.client_secret, stored.previous_client_secret

    for secret in (application.secret, application.old_secret, "wrong"):
        fast_verifications.clear()
        stored.check_client_secret(secret)
        assert fast_verifications == [(secret, current), (secret, previous)]


def test_without_a_valid_previous_secret_the_second_check_is_a_dummy(
    application,
    fast_verifications,
):
    fast_verifications.clear()
    application.check_client_secret("wrong")
    assert fast_verifications == [
        ("wrong", application.client_secret),
        ("wrong", client_secrets._DUMMY_HASH),
    ]

    rotate_keeping(application)
    stored = Application.objects.get(pk=application.pk)
    fast_verifications.clear()
    # An expired previous hash is never verified: the dummy stands in for it.
    stored.check_client_secret(application.old_secret, now=stored.previous_secret_expires_at)
    assert fast_verifications == [
        (application.old_secret, stored.client_secret),
        (application.old_secret, client_secrets._DUMMY_HASH),
    ]


def test_an_outdated_previous_hash_is_rehashed_on_use(application, legacy_hashers):
    old = application.secret
    Application.objects.filter(pk=application.pk).update(client_secret=make_password(old))
    application.refresh_from_db()
    application.secret = old
    rotate_keeping(application)
    assert previous_hash(application).startswith("pbkdf2_sha256$")

    assert accepts(application, old) is True

    assert previous_hash(application).startswith("hmac_sha256$")
    assert accepts(application, old) is True
    assert stored_secret(application).startswith("hmac_sha256$")


def test_an_outdated_current_hash_is_still_rehashed_during_an_overlap(application, legacy_hashers):
    rotate_keeping(application)
    new = application.secret
    Application.objects.filter(pk=application.pk).update(client_secret=make_password(new))

    assert accepts(application, new) is True

    assert stored_secret(application).startswith("hmac_sha256$")
    assert accepts(application, application.old_secret) is True


# -- the token endpoint --------------------------------------------------------------------------


def test_the_token_endpoint_accepts_the_old_and_the_new_secret_during_the_overlap(
    application, user
):
    rotate_keeping(application)
    for secret in (application.old_secret, application.secret):
        response = request_token(application, client_secret=secret)
        assert response.status_code == 200, response.content


@pytest.mark.parametrize("after", [timedelta(0), timedelta(microseconds=1), timedelta(days=1)])
def test_the_token_endpoint_refuses_the_old_secret_at_and_after_its_expiry(
    application, user, frozen_now, after
):
    rotate_keeping(application)
    expires_at = Application.objects.get(pk=application.pk).previous_secret_expires_at

    frozen_now(expires_at - timedelta(microseconds=1))
    assert request_token(application, client_secret=application.old_secret).status_code == 200
    frozen_now(expires_at + after)
    response = request_token(application, client_secret=application.old_secret)
    assert (response.status_code, response.json()) == (401, INVALID_CLIENT)
    assert request_token(application, client_secret=application.secret).status_code == 200


def test_the_token_endpoint_refuses_the_old_secret_once_the_overlap_is_ended(application, user):
    rotate_keeping(application)
    Application.objects.get(pk=application.pk).end_secret_overlap()

    response = request_token(application, client_secret=application.old_secret)

    assert (response.status_code, response.json()) == (401, INVALID_CLIENT)
    assert request_token(application, client_secret=application.secret).status_code == 200


def live_token_request(live_server, application, secret):
    """POST a token request over HTTP, the client authenticating with HTTP Basic."""
    credentials = base64.b64encode(f"{application.client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        live_server.url + TOKEN_URL,
        data=urlencode({"grant_type": "client_credentials", "scope": "alice@example.com"}).encode(),
        headers={"Authorization": f"Basic {credentials}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_live_server_accepts_both_secrets_during_the_overlap_and_only_the_new_after(
    application, user, live_server
):
    rotate_keeping(application)

    old_status, old_body = live_token_request(live_server, application, application.old_secret)
    new_status, _ = live_token_request(live_server, application, application.secret)
    assert (old_status, new_status) == (200, 200)
    assert old_body["token_type"] == "Bearer"

    Application.objects.get(pk=application.pk).end_secret_overlap()
    assert live_token_request(live_server, application, application.old_secret) == (
        401,
        INVALID_CLIENT,
    )


def test_the_lockout_counts_an_expired_old_secret_as_any_wrong_secret(
    application, user, delegation, clock
):
    delegation(TOKEN_LOCKOUT_FAILURES=3, TOKEN_RATE_PER_IP=None)
    rotate_keeping(application)
    Application.objects.filter(pk=application.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )

    failures = [request_token(application, client_secret=application.old_secret) for _ in "abc"]

    assert [response.status_code for response in failures] == [401, 401, 401]
    assert request_token(application).status_code == 429


def test_a_success_with_the_old_secret_clears_the_failures_as_the_new_one_does(
    application, user, delegation, clock
):
    delegation(TOKEN_LOCKOUT_FAILURES=3, TOKEN_RATE_PER_IP=None)
    rotate_keeping(application)

    for _round in range(2):
        assert request_token(application, client_secret="wrong").status_code == 401
        assert request_token(application, client_secret="wrong").status_code == 401
        assert request_token(application, client_secret=application.old_secret).status_code == 200
    assert request_token(application, client_secret=application.secret).status_code == 200


# -- the command ---------------------------------------------------------------------------------


def test_rotate_command_keeps_the_old_secret_and_prints_its_expiry(application):
    before = timezone.now()
    stdout, stderr = run(
        "rotate_application_secret", application.client_id, "--keep-old-for", "24h"
    )

    printed = text_credentials(stdout)
    valid_until = timezone.datetime.fromisoformat(printed["previous_secret_valid_until"])
    stored = Application.objects.get(pk=application.pk)
    assert valid_until == stored.previous_secret_expires_at.replace(microsecond=0)
    assert before + timedelta(hours=24) - timedelta(seconds=1) <= valid_until
    assert accepts(application, printed["client_secret"]) is True
    assert accepts(application, application.secret) is True
    assert "keeps working until" in stderr
    assert stdout.count(printed["client_secret"]) == 1


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("3600", timedelta(hours=1)),
        ("90s", timedelta(seconds=90)),
        ("1 00:00:00", timedelta(days=1)),
    ],
)
def test_rotate_command_reads_durations(application, text, duration):
    before = timezone.now()
    stdout, _ = run(
        "rotate_application_secret", application.client_id, "--keep-old-for", text, "--json"
    )
    printed = json.loads(stdout)
    expires_at = Application.objects.get(pk=application.pk).previous_secret_expires_at
    assert before + duration <= expires_at <= timezone.now() + duration
    assert set(printed) == {"client_id", "client_secret", "previous_secret_valid_until"}
    assert printed["previous_secret_valid_until"] == timezone.localtime(expires_at).isoformat(
        timespec="seconds"
    )


def test_rotate_command_json_without_overlap_says_the_old_secret_stopped(application):
    stdout, _ = run("rotate_application_secret", application.client_id, "--json")
    assert json.loads(stdout)["previous_secret_valid_until"] is None
    assert accepts(application, application.secret) is False


@pytest.mark.parametrize("text", ["24 hours", "-5m", "1.5h", "soon", "", "5w"])
def test_rotate_command_refuses_what_is_not_a_duration(application, text):
    stored = stored_secret(application)
    with pytest.raises(CommandError, match="is not a duration: use 30m, 24h, 7d or a number"):
        run("rotate_application_secret", application.client_id, f"--keep-old-for={text}")
    assert stored_secret(application) == stored


def test_rotate_command_refuses_to_keep_the_old_secret_beyond_the_bound(application):
    stored = stored_secret(application)
    with pytest.raises(CommandError, match=r"at most 7d \(CLIENT_SECRET_OVERLAP_MAX_LIFETIME\)"):
        run("rotate_application_secret", application.client_id, "--keep-old-for", "8d")
    assert stored_secret(application) == stored
    assert not DelegationEvent.objects.filter(action=EventAction.ROTATE_SECRET).exists()


def test_rotate_command_end_overlap_stops_the_old_secret(application):
    rotate_keeping(application)

    stdout, _ = run("rotate_application_secret", application.client_id, "--end-overlap")

    assert (
        stdout.strip()
        == f"The previous secret of Partner ({application.client_id}) no longer works."
    )
    assert accepts(application, application.old_secret) is False
    assert accepts(application, application.secret) is True
    again, _ = run("rotate_application_secret", application.client_id, "--end-overlap", "--json")
    assert json.loads(again) == {"client_id": application.client_id, "ended": False}


def test_rotate_command_end_overlap_without_one_says_so_and_generates_nothing(application):
    stored = stored_secret(application)
    stdout, _ = run("rotate_application_secret", application.client_id, "--end-overlap")
    assert stdout.strip() == (
        f"Partner ({application.client_id}) has no previous secret that still works."
    )
    assert stored_secret(application) == stored


def test_rotate_command_refuses_keep_old_for_with_end_overlap(application):
    with pytest.raises(CommandError, match="not allowed with argument"):
        run(
            "rotate_application_secret",
            application.client_id,
            "--keep-old-for",
            "1h",
            "--end-overlap",
        )


def test_list_applications_shows_until_when_the_previous_secret_works(application):
    rotate_keeping(application)
    stdout, _ = run("list_applications", "--json")
    [listed] = json.loads(stdout)
    stored = Application.objects.get(pk=application.pk)
    assert listed["previous_secret_valid_until"] == stored.previous_secret_expires_at.isoformat()
    assert stored.previous_client_secret not in stdout
    assert application.old_secret not in stdout


# -- the admin -----------------------------------------------------------------------------------

KEEP = "regenerate_secret_keeping_old"
END = "end_secret_overlap"


def post_action(client, action, applications, **data):
    return client.post(
        CHANGELIST_URL,
        {"action": action, "_selected_action": [app.pk for app in applications], **data},
        follow=True,
    )


def test_admin_keep_action_asks_how_long_before_rotating(admin_client, application):
    stored = stored_secret(application)

    response = post_action(admin_client, KEEP, [application])

    assert response.status_code == 200
    assert response.redirect_chain == []
    content = response.content.decode()
    assert 'name="keep_old_for"' in content
    assert 'value="1d"' in content
    assert application.client_id in content
    assert stored_secret(application) == stored


def test_admin_keep_action_rotates_shows_the_secret_once_and_keeps_the_old_one(
    admin_client, make_application
):
    first, second = make_application(name="One"), make_application(name="Two")

    response = post_action(admin_client, KEEP, [first, second], apply="yes", keep_old_for="2h")

    assert response.redirect_chain == [(SECRET_URL, 302)]
    shown = dict((app.client_id, secret) for app, secret in shown_credentials(response))
    for application in (first, second):
        assert accepts(application, shown[application.client_id]) is True
        assert accepts(application, application.secret) is True
        stored = Application.objects.get(pk=application.pk)
        remaining = stored.previous_secret_expires_at - timezone.now()
        assert timedelta(hours=2) - timedelta(minutes=1) < remaining <= timedelta(hours=2)
    assert SESSION_KEY not in admin_client.session


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("8d", "at most 7d (CLIENT_SECRET_OVERLAP_MAX_LIFETIME)"),
        ("soon", "Enter a duration such as 30m, 24h, 7d, or a number of seconds."),
        ("0", "Keep it for some time"),
        ("", "This field is required."),
    ],
)
def test_admin_keep_action_refuses_a_bad_duration_and_rotates_nothing(
    admin_client, application, value, message
):
    stored = stored_secret(application)

    response = post_action(admin_client, KEEP, [application], apply="yes", keep_old_for=value)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].errors
    assert stored_secret(application) == stored
    assert SECRET_MARKUP not in response.content.decode()


def test_admin_keep_action_offers_at_most_the_bound(admin_client, application, delegation):
    delegation(CLIENT_SECRET_OVERLAP_MAX_LIFETIME=timedelta(hours=1))
    response = post_action(admin_client, KEEP, [application])
    assert 'value="1h"' in response.content.decode()


def test_admin_keep_action_is_not_offered_when_keeping_is_off(
    admin_client, application, delegation
):
    delegation(CLIENT_SECRET_OVERLAP_MAX_LIFETIME=timedelta(0))
    content = admin_client.get(CHANGELIST_URL).content.decode()
    assert f'value="{KEEP}"' not in content
    assert 'value="regenerate_secret"' in content


def test_admin_end_action_stops_the_old_secrets_and_says_how_many(admin_client, make_application):
    running = rotate_keeping(make_application(name="Running"))
    idle = make_application(name="Idle")

    response = post_action(admin_client, END, [running, idle])

    assert [str(m) for m in response.context["messages"]] == ["1 previous secret no longer works."]
    assert accepts(running, running.old_secret) is False
    assert accepts(running, running.secret) is True
    assert accepts(idle, idle.secret) is True
    again = post_action(admin_client, END, [running])
    assert [str(m) for m in again.context["messages"]] == ["No previous secret worked any more."]


def test_admin_shows_until_when_the_previous_secret_works(admin_client, application):
    assert "Previous secret valid until" not in admin_client.get(CHANGELIST_URL).content.decode()
    rotate_keeping(application)

    listed = admin_client.get(CHANGELIST_URL).content.decode()
    change = admin_client.get(change_url(application))

    assert "Previous secret valid until" in listed
    assert "previous secret valid until" in change.content.decode().lower()
    field = change.context["adminform"].form.fields
    assert "previous_client_secret" not in field
    assert "previous_secret_expires_at" not in field
    stored = Application.objects.get(pk=application.pk)
    for content in (listed, change.content.decode()):
        assert stored.previous_client_secret not in content
        assert stored.previous_client_secret.rsplit("$", 1)[-1] not in content


@pytest.mark.parametrize("role", sorted(set(ROLES) - MAY_SEE_SECRETS))
@pytest.mark.parametrize("action", [KEEP, END])
def test_admin_overlap_actions_are_refused_without_change_permission(
    staff_client,
    application,
    role,
    action,
):
    rotate_keeping(application)
    client = staff_client(role)
    stored = (stored_secret(application), previous_hash(application))

    response = post_action(client, action, [application], apply="yes", keep_old_for="1h")

    # A viewer gets the changelist back (the actions are not on offer); the others a 403.
    assert response.status_code == (200 if role == "view_only" else 403)
    assert response.redirect_chain == []
    assert (stored_secret(application), previous_hash(application)) == stored
    assert SECRET_MARKUP not in response.content.decode()
    assert SESSION_KEY not in client.session
    if role == "view_only":
        assert f'value="{action}"' not in response.content.decode()


@pytest.mark.parametrize("role", sorted(MAY_SEE_SECRETS))
def test_admin_overlap_actions_work_with_change_permission(
    staff_client,
    application,
    role,
):
    client = staff_client(role)
    content = client.get(CHANGELIST_URL).content.decode()
    assert f'value="{KEEP}"' in content
    assert f'value="{END}"' in content

    response = post_action(client, KEEP, [application], apply="yes", keep_old_for="1h")
    [(_shown, secret)] = shown_credentials(response)
    assert accepts(application, secret) is True
    assert accepts(application, application.secret) is True

    post_action(client, END, [application])
    assert accepts(application, application.secret) is False
    assert accepts(application, secret) is True


# -- the audit trail -----------------------------------------------------------------------------


def recorded(action):
    return list(
        DelegationEvent.objects.filter(action=action)
        .order_by("pk")
        .values_list("client_id", "previous_secret_expires_at")
    )


def test_a_rotation_records_until_when_the_old_secret_works(application):
    rotate_keeping(application)
    expires_at = Application.objects.get(pk=application.pk).previous_secret_expires_at
    application.rotate_secret()

    assert recorded(EventAction.ROTATE_SECRET) == [
        (application.client_id, expires_at),
        (application.client_id, None),
    ]


def test_ending_the_overlap_is_recorded_once(application):
    rotate_keeping(application)
    application.end_secret_overlap()
    application.end_secret_overlap()
    assert recorded(EventAction.END_SECRET_OVERLAP) == [(application.client_id, None)]


def test_the_admin_records_rotation_and_end_with_the_staff_user(
    admin_client, admin_user, application
):
    post_action(admin_client, KEEP, [application], apply="yes", keep_old_for="1h")
    post_action(admin_client, END, [application])

    events = DelegationEvent.objects.order_by("pk")
    assert [(e.action, e.user_id) for e in events] == [
        ("rotate_secret", admin_user.pk),
        ("end_secret_overlap", admin_user.pk),
    ]
    remaining = events[0].previous_secret_expires_at - events[0].timestamp
    assert timedelta(minutes=59) < remaining <= timedelta(hours=1)


def test_a_rotation_keeping_the_old_secret_is_logged_with_its_expiry(
    application, delegation, caplog
):
    delegation(AUDIT_DESTINATIONS=(audit.LOGGING,))
    with caplog.at_level(logging.INFO, logger="django_app_delegation.audit"):
        rotate_keeping(application)
    [record] = caplog.records
    stored = Application.objects.get(pk=application.pk)
    assert record.delegation_action == "rotate_secret"
    assert record.delegation_previous_secret_expires_at == (
        stored.previous_secret_expires_at.isoformat()
    )


# -- check E029 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, 86400, "7d", timedelta(seconds=-1)])
def test_e029_the_overlap_bound_is_a_timedelta_of_zero_or_more(delegation, value):
    delegation(CLIENT_SECRET_OVERLAP_MAX_LIFETIME=value)
    assert [message.id for message in check_settings()] == ["django_app_delegation.E029"]


@pytest.mark.parametrize("value", [timedelta(0), timedelta(hours=1), timedelta(days=30)])
def test_e029_accepts_zero_or_a_positive_timedelta(delegation, value):
    delegation(CLIENT_SECRET_OVERLAP_MAX_LIFETIME=value)
    assert check_settings() == []
