"""The admin: scopes as checkboxes, domains inline, secrets shown once and never again."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from django_app_delegation.admin import SESSION_KEY
from django_app_delegation.models import Application, DelegationEvent, RevokedDelegation
from tests.helpers import (
    ADD_URL,
    CHANGELIST_URL,
    MAY_ADD,
    MAY_SEE_SECRETS,
    ROLES,
    SECRET_MARKUP,
    SECRET_URL,
    add_form_data,
    change_url,
    request_token,
    shown_credentials,
    stored_secret,
    token_for,
    whoami,
)

pytestmark = pytest.mark.django_db


def cache_control(response) -> set[str]:
    return {directive.strip() for directive in response["Cache-Control"].split(",")}


# -- add -------------------------------------------------------------------------------------


def test_add_form_shows_scopes_as_checkboxes_from_the_vocabulary(admin_client, settings):
    response = admin_client.get(ADD_URL)
    assert response.status_code == 200
    content = response.content.decode()
    for scope in settings.APP_DELEGATION["SCOPES"]:
        assert f'type="checkbox" name="scopes" value="{scope}"' in content
    assert "List rooms" in content


def test_add_form_follows_the_current_vocabulary(admin_client, delegation):
    delegation(SCOPES={"calendar:read": "Read calendars"})
    content = admin_client.get(ADD_URL).content.decode()
    assert 'type="checkbox" name="scopes" value="calendar:read"' in content
    assert 'value="rooms:list"' not in content


def test_add_form_does_not_offer_to_type_a_secret_or_client_id(admin_client):
    content = admin_client.get(ADD_URL).content.decode()
    assert 'name="client_secret"' not in content
    assert 'name="client_id"' not in content


def test_adding_an_application_creates_it_with_its_scopes_and_domains(admin_client):
    response = admin_client.post(
        ADD_URL,
        add_form_data(scopes=["rooms:list", "rooms:create"], domains=["example.com"]),
        follow=True,
    )
    assert response.status_code == 200, response.content
    application = Application.objects.get()
    assert application.name == "Partner"
    assert sorted(application.scopes) == ["rooms:create", "rooms:list"]
    assert application.is_active is True
    assert application.allowed_domain_names() == ["example.com"]


def test_adding_an_application_shows_its_secret_once_and_not_cacheable(admin_client):
    response = admin_client.post(ADD_URL, add_form_data(), follow=True)

    # Post/redirect/get: reloading the page that shows the secret re-posts nothing.
    assert response.redirect_chain == [(SECRET_URL, 302)]
    assert response.status_code == 200
    assert "no-store" in cache_control(response)
    [(application, secret)] = shown_credentials(response)
    content = response.content.decode()
    assert secret in content
    assert application.client_id in content
    assert stored_secret(application) not in content
    assert Application.objects.get().check_client_secret(secret) is True


def test_secret_shown_on_creation_is_not_shown_again(admin_client):
    response = admin_client.post(ADD_URL, add_form_data(), follow=True)
    [(application, secret)] = shown_credentials(response)

    for url in (SECRET_URL, change_url(application), CHANGELIST_URL, ADD_URL):
        content = admin_client.get(url).content.decode()
        assert secret not in content


def test_reloading_the_secret_page_shows_nothing_and_creates_nothing(admin_client):
    first = admin_client.post(ADD_URL, add_form_data(), follow=True)
    [(_application, secret)] = shown_credentials(first)

    again = admin_client.get(SECRET_URL)

    assert again.status_code == 200
    assert list(again.context["credentials"]) == []
    assert secret not in again.content.decode()
    assert "shown only once" in again.content.decode()
    assert Application.objects.count() == 1


def test_add_form_rejects_a_scope_outside_the_vocabulary(admin_client):
    response = admin_client.post(ADD_URL, add_form_data(scopes=["calendar:read"]))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["scopes"]
    assert not Application.objects.exists()


def test_add_form_rejects_an_invalid_domain(admin_client):
    response = admin_client.post(ADD_URL, add_form_data(domains=["example..com"]))
    assert response.status_code == 200
    assert "credentials" not in response.context
    assert not Application.objects.exists()


# -- change ----------------------------------------------------------------------------------


def test_change_page_never_shows_the_secret_or_its_hash(admin_client, application):
    response = admin_client.get(change_url(application))
    assert response.status_code == 200
    content = response.content.decode()
    assert application.client_id in content
    assert application.secret not in content
    assert stored_secret(application) not in content
    assert 'name="client_secret"' not in content


def test_saving_the_change_form_keeps_the_secret(admin_client, application):
    domain = application.allowed_domains.get()
    data = add_form_data(name="Renamed", domains=[])
    data.update(
        {
            "allowed_domains-TOTAL_FORMS": "1",
            "allowed_domains-INITIAL_FORMS": "1",
            "allowed_domains-0-id": str(domain.pk),
            "allowed_domains-0-application": str(application.pk),
            "allowed_domains-0-domain": domain.domain,
        }
    )
    response = admin_client.post(change_url(application), data)
    assert response.status_code == 302, response.content
    application.refresh_from_db()
    assert application.name == "Renamed"
    assert application.scopes == ["rooms:list"]
    assert application.check_client_secret(application.secret) is True


def test_domain_inline_normalises_the_domain(admin_client):
    response = admin_client.post(
        ADD_URL, add_form_data(domains=["  Bücher.Example. ", "*.EX.com"]), follow=True
    )
    assert response.status_code == 200, response.content
    application = Application.objects.get()
    assert sorted(application.allowed_domain_names()) == ["*.ex.com", "xn--bcher-kva.example"]


def test_domain_inline_rejects_two_rows_that_normalise_to_the_same_domain(admin_client):
    """A form error, not a database IntegrityError (500)."""
    response = admin_client.post(ADD_URL, add_form_data(domains=["example.com", "EXAMPLE.com."]))
    assert response.status_code == 200
    assert "credentials" not in response.context
    assert not Application.objects.exists()


def test_domain_inline_rejects_a_domain_already_allowed(admin_client, application):
    domain = application.allowed_domains.get()
    data = add_form_data(domains=[])
    data.update(
        {
            "allowed_domains-TOTAL_FORMS": "2",
            "allowed_domains-INITIAL_FORMS": "1",
            "allowed_domains-0-id": str(domain.pk),
            "allowed_domains-0-application": str(application.pk),
            "allowed_domains-0-domain": domain.domain,
            "allowed_domains-1-application": str(application.pk),
            "allowed_domains-1-domain": "Example.COM",
        }
    )
    response = admin_client.post(change_url(application), data)
    assert response.status_code == 200
    assert application.allowed_domain_names() == ["example.com"]


# -- changelist and the regenerate action ----------------------------------------------------


def test_changelist_lists_applications(admin_client, application):
    response = admin_client.get(CHANGELIST_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert application.name in content
    assert application.client_id in content
    assert application.secret not in content
    assert stored_secret(application) not in content


def test_changelist_searches_by_domain(admin_client, make_application):
    make_application(name="Wanted", domains=["wanted.org"])
    make_application(name="Other", domains=["other.org"])
    response = admin_client.get(CHANGELIST_URL, {"q": "wanted.org"})
    assert response.status_code == 200
    assert [app.name for app in response.context["cl"].result_list] == ["Wanted"]


def test_regenerate_secret_action_shows_new_secrets_once(admin_client, make_application):
    first = make_application(name="One")
    second = make_application(name="Two")

    response = admin_client.post(
        CHANGELIST_URL,
        {"action": "regenerate_secret", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert response.redirect_chain == [(SECRET_URL, 302)]
    assert response.status_code == 200
    assert "no-store" in cache_control(response)
    credentials = dict(
        (application.client_id, secret) for application, secret in shown_credentials(response)
    )
    assert set(credentials) == {first.client_id, second.client_id}
    content = response.content.decode()
    for application in (first, second):
        old_secret = application.secret
        new_secret = credentials[application.client_id]
        assert new_secret in content
        assert new_secret != old_secret
        application.refresh_from_db()
        assert application.check_client_secret(new_secret) is True
        assert application.check_client_secret(old_secret) is False
        assert admin_client.get(change_url(application)).content.decode().count(new_secret) == 0


def test_regenerate_secret_action_leaves_unselected_applications_alone(
    admin_client, make_application
):
    selected = make_application(name="Selected")
    untouched = make_application(name="Untouched")
    admin_client.post(
        CHANGELIST_URL, {"action": "regenerate_secret", "_selected_action": [selected.pk]}
    )
    untouched.refresh_from_db()
    assert untouched.check_client_secret(untouched.secret) is True


def test_admin_requires_staff(client, application):
    response = client.get(change_url(application))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_with_cookie_sessions_the_secret_is_shown_without_a_redirect(
    admin_client, admin_user, settings
):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    admin_client.cookies.clear()
    admin_client.force_login(admin_user)

    response = admin_client.post(ADD_URL, add_form_data())

    assert response.status_code == 200
    [(application, secret)] = shown_credentials(response)
    assert application.check_client_secret(secret) is True
    assert all(secret not in cookie.value for cookie in admin_client.cookies.values())


# -- permissions: writing or showing a secret takes the change permission --------------------


def keep_pending_secret(client, application, secret):
    """Leave ``secret`` in the session as the regenerate action does, waiting for its page."""
    session = client.session
    session[SESSION_KEY] = {
        "title": "Client secret regenerated",
        "credentials": [[str(application.pk), secret]],
    }
    session.save()


@pytest.mark.parametrize("role", sorted(set(ROLES) - MAY_SEE_SECRETS))
def test_regenerate_secret_action_is_refused_without_change_permission(
    staff_client, application, role
):
    client = staff_client(role)
    stored = stored_secret(application)

    response = client.post(
        CHANGELIST_URL,
        {"action": "regenerate_secret", "_selected_action": [application.pk]},
        follow=True,
    )

    # A viewer gets the changelist back (the action is not on offer); the others a 403.
    assert response.status_code == (200 if role == "view_only" else 403)
    assert response.redirect_chain == []
    assert stored_secret(application) == stored
    assert SECRET_MARKUP not in response.content.decode()
    assert SESSION_KEY not in client.session


def test_regenerate_secret_action_is_not_offered_to_a_viewer(staff_client, application):
    response = staff_client("view_only").get(CHANGELIST_URL)
    assert response.status_code == 200
    assert application.client_id in response.content.decode()
    assert 'value="regenerate_secret"' not in response.content.decode()


@pytest.mark.parametrize("role", sorted(MAY_SEE_SECRETS))
def test_regenerate_secret_action_works_with_change_permission(staff_client, application, role):
    client = staff_client(role)
    assert 'value="regenerate_secret"' in client.get(CHANGELIST_URL).content.decode()

    response = client.post(
        CHANGELIST_URL,
        {"action": "regenerate_secret", "_selected_action": [application.pk]},
        follow=True,
    )

    assert response.redirect_chain == [(SECRET_URL, 302)]
    [(shown, secret)] = shown_credentials(response)
    assert shown == application
    assert secret in response.content.decode()
    application.refresh_from_db()
    assert application.check_client_secret(secret) is True
    assert application.check_client_secret(application.secret) is False


@pytest.mark.parametrize("role", sorted(set(ROLES) - MAY_ADD))
def test_adding_an_application_is_refused_without_add_and_change_permissions(staff_client, role):
    client = staff_client(role)

    assert client.get(ADD_URL).status_code == 403
    response = client.post(ADD_URL, add_form_data(domains=()), follow=True)

    assert response.status_code == 403
    assert SECRET_MARKUP not in response.content.decode()
    assert SESSION_KEY not in client.session
    assert not Application.objects.exists()


@pytest.mark.parametrize("role", sorted(MAY_ADD))
def test_adding_an_application_works_with_add_and_change_permissions(staff_client, role):
    client = staff_client(role)
    assert client.get(ADD_URL).status_code == 200

    response = client.post(ADD_URL, add_form_data(domains=()), follow=True)

    assert response.redirect_chain == [(SECRET_URL, 302)]
    [(_application, secret)] = shown_credentials(response)
    assert secret in response.content.decode()
    assert Application.objects.get().check_client_secret(secret) is True


@pytest.mark.parametrize("role", sorted(set(ROLES) - MAY_SEE_SECRETS))
def test_secret_page_is_refused_and_forgets_the_secret_without_change_permission(
    staff_client, application, role
):
    client = staff_client(role)
    keep_pending_secret(client, application, application.secret)

    response = client.get(SECRET_URL)

    assert response.status_code == 403
    assert application.secret not in response.content.decode()
    assert SESSION_KEY not in client.session
    # Being granted the permission afterwards does not bring the secret back.
    assert application.secret not in client.get(SECRET_URL).content.decode()


@pytest.mark.parametrize("role", sorted(MAY_SEE_SECRETS))
def test_secret_page_shows_the_pending_secret_with_change_permission(
    staff_client, application, role
):
    client = staff_client(role)
    keep_pending_secret(client, application, application.secret)

    response = client.get(SECRET_URL)

    assert response.status_code == 200
    assert shown_credentials(response) == [(application, application.secret)]
    assert application.secret in response.content.decode()
    assert SESSION_KEY not in client.session


# -- the stored hash is neither filterable nor shown -----------------------------------------


def hash_probe(lookup: str, stored: str) -> str:
    """A value with which ``lookup`` would match the stored hash ``stored``."""
    if lookup.endswith("regex"):
        return "^" + re.escape(stored[:16])
    if lookup.endswith("isnull"):
        return "False"
    if lookup.endswith(("startswith", "__gt")):
        return stored[:16]
    return stored


@pytest.mark.parametrize(
    "lookup",
    [
        "client_secret__regex",
        "client_secret__iregex",
        "client_secret__startswith",
        "client_secret__exact",
        "client_secret",
        "client_secret__isnull",
        "client_secret__gt",
        "previous_client_secret__regex",
        "previous_client_secret__startswith",
        "previous_client_secret__exact",
        "previous_client_secret",
        "previous_client_secret__isnull",
        "allowed_domains__application__previous_client_secret__startswith",
    ],
)
def test_changelist_refuses_to_filter_on_the_stored_hash(admin_client, make_application, lookup):
    target = make_application(name="Target")
    target.rotate_secret(keep_old_for=timedelta(hours=1))  # Both hashes stored.
    make_application(name="Other")
    field = next(name for name in lookup.split("__") if name.endswith("client_secret"))
    stored = Application.objects.values_list(field, flat=True).get(pk=target.pk)

    response = admin_client.get(CHANGELIST_URL, {lookup: hash_probe(lookup, stored)})

    assert response.status_code == 400
    assert "cl" not in (response.context or {})
    assert "Target" not in response.content.decode()


def test_changelist_refuses_to_filter_on_the_stored_hash_through_a_relation(
    admin_client, application
):
    lookup = "allowed_domains__application__client_secret__startswith"
    response = admin_client.get(CHANGELIST_URL, {lookup: stored_secret(application)[:16]})
    assert response.status_code == 400


def test_changelist_still_filters_on_listed_fields(admin_client, make_application):
    make_application(name="Active")
    make_application(name="Inactive", is_active=False)
    response = admin_client.get(CHANGELIST_URL, {"is_active__exact": "0"})
    assert response.status_code == 200
    assert [app.name for app in response.context["cl"].result_list] == ["Inactive"]


def test_admin_pages_never_render_the_stored_hash(admin_client):
    added = admin_client.post(ADD_URL, add_form_data(), follow=True)
    [(application, _secret)] = shown_credentials(added)
    assert stored_secret(application) not in added.content.decode()
    renamed = add_form_data(name="Renamed", domains=())
    assert admin_client.post(change_url(application), renamed).status_code == 302
    regenerated = admin_client.post(
        CHANGELIST_URL,
        {
            "action": "regenerate_secret_keeping_old",
            "_selected_action": [application.pk],
            "apply": "yes",
            "keep_old_for": "1h",
        },
        follow=True,
    )
    application.refresh_from_db()
    stored, previous = application.client_secret, application.previous_client_secret
    assert previous.startswith("hmac_sha256$")
    assert regenerated.status_code == 200
    assert stored not in regenerated.content.decode()
    assert previous not in regenerated.content.decode()

    info = "admin:django_app_delegation_application"
    for url in (
        CHANGELIST_URL,
        change_url(application),
        reverse(f"{info}_history", args=[application.pk]),
        reverse(f"{info}_delete", args=[application.pk]),
        ADD_URL,
        SECRET_URL,
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        for stored_hash in (stored, previous):
            assert stored_hash not in content, url
            assert stored_hash.rsplit("$", 1)[-1] not in content, url
            assert stored_hash.split("$")[1] not in content, url  # The salt.


# -- deactivate and reactivate ---------------------------------------------------------------


def run_action(client, action, applications, **params):
    return client.post(
        CHANGELIST_URL + (f"?{urlencode(params)}" if params else ""),
        {"action": action, "_selected_action": [app.pk for app in applications]},
        follow=True,
    )


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_deactivate_action_deactivates_the_selection_only(admin_client, make_application):
    one = make_application(name="One")
    two = make_application(name="Two")
    untouched = make_application(name="Untouched")

    response = run_action(admin_client, "deactivate_applications", [one, two])

    assert response.status_code == 200
    assert response.redirect_chain == [(CHANGELIST_URL, 302)]
    assert shown_messages(response) == [
        "2 applications deactivated: their tokens stop working at once."
    ]
    assert set(Application.objects.filter(is_active=False)) == {one, two}
    untouched.refresh_from_db()
    assert untouched.is_active is True


def test_deactivated_application_gets_no_token_and_its_tokens_stop_working(
    admin_client, application, user, api_client
):
    token = request_token(application).json()["access_token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get("/whoami/").status_code == 200

    run_action(admin_client, "deactivate_applications", [application])

    assert api_client.get("/whoami/").status_code == 401
    response = request_token(application)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"

    run_action(admin_client, "reactivate_applications", [application])

    assert api_client.get("/whoami/").status_code == 200
    assert request_token(application).status_code == 200


def test_reactivate_action_reports_those_already_active(admin_client, make_application):
    inactive = make_application(name="Off", is_active=False)
    active = make_application(name="On")

    response = run_action(admin_client, "reactivate_applications", [inactive, active])

    assert shown_messages(response) == ["1 application reactivated. 1 was already active."]
    assert Application.objects.filter(is_active=True).count() == 2


def test_deactivate_action_on_inactive_applications_changes_nothing(admin_client, make_application):
    inactive = make_application(name="Off", is_active=False)
    before = Application.objects.values_list("updated_at", flat=True).get()

    response = run_action(admin_client, "deactivate_applications", [inactive])

    assert shown_messages(response) == [
        "0 applications deactivated: their tokens stop working at once. 1 was already inactive."
    ]
    assert Application.objects.values_list("updated_at", flat=True).get() == before
    assert not LogEntry.objects.exists()


def test_deactivate_action_counts_the_selection_before_a_filter_on_active_hides_it(
    admin_client, make_application
):
    one = make_application(name="One")
    two = make_application(name="Two")

    response = run_action(admin_client, "deactivate_applications", [one, two], is_active__exact=1)

    assert shown_messages(response) == [
        "2 applications deactivated: their tokens stop working at once."
    ]


def test_deactivate_action_records_the_change_in_the_history(admin_client, application):
    run_action(admin_client, "deactivate_applications", [application])

    entry = LogEntry.objects.get()
    assert entry.object_id == str(application.pk)
    assert entry.get_change_message() == "Changed active."
    application.refresh_from_db()
    assert application.updated_at > application.created_at


ACTIVATION_ACTIONS = {"deactivate_applications": True, "reactivate_applications": False}


@pytest.mark.parametrize("action", sorted(ACTIVATION_ACTIONS))
@pytest.mark.parametrize("role", sorted(set(ROLES) - MAY_SEE_SECRETS))
def test_activation_actions_are_refused_without_change_permission(
    staff_client, make_application, role, action
):
    client = staff_client(role)
    application = make_application(is_active=ACTIVATION_ACTIONS[action])

    response = run_action(client, action, [application])

    # A viewer gets the changelist back (the action is not on offer); the others a 403.
    assert response.status_code == (200 if role == "view_only" else 403)
    assert response.redirect_chain == []
    application.refresh_from_db()
    assert application.is_active is ACTIVATION_ACTIONS[action]


def test_activation_actions_are_not_offered_to_a_viewer(staff_client, application):
    content = staff_client("view_only").get(CHANGELIST_URL).content.decode()
    assert application.client_id in content
    for action in ACTIVATION_ACTIONS:
        assert f'value="{action}"' not in content


@pytest.mark.parametrize("action", sorted(ACTIVATION_ACTIONS))
@pytest.mark.parametrize("role", sorted(MAY_SEE_SECRETS))
def test_activation_actions_work_with_change_permission(
    staff_client, make_application, role, action
):
    client = staff_client(role)
    application = make_application(is_active=ACTIVATION_ACTIONS[action])
    assert f'value="{action}"' in client.get(CHANGELIST_URL).content.decode()

    response = run_action(client, action, [application])

    assert response.redirect_chain == [(CHANGELIST_URL, 302)]
    application.refresh_from_db()
    assert application.is_active is not ACTIVATION_ACTIONS[action]


# -- list filters and search -----------------------------------------------------------------


def listed(client, **params) -> list[str]:
    response = client.get(CHANGELIST_URL, params)
    assert response.status_code == 200
    return sorted(app.name for app in response.context["cl"].result_list)


def test_changelist_filters_by_active_flag(admin_client, make_application):
    make_application(name="On")
    make_application(name="Off", is_active=False)
    assert listed(admin_client, is_active__exact=0) == ["Off"]
    assert listed(admin_client, is_active__exact=1) == ["On"]


def test_changelist_filters_by_scope(admin_client, make_application):
    make_application(name="Lister", scopes=["rooms:list"])
    make_application(name="Both", scopes=["rooms:create", "rooms:list"])
    make_application(name="Creator", scopes=["rooms:create"])
    make_application(name="None", scopes=[])

    assert listed(admin_client, scope="rooms:list") == ["Both", "Lister"]
    assert listed(admin_client, scope="rooms:create") == ["Both", "Creator"]
    assert listed(admin_client, scope="rooms:delete") == []


def test_scope_filter_matches_whole_scopes_whatever_the_stored_case(admin_client, make_application):
    make_application(name="Upper", scopes=["Rooms:List"])
    make_application(name="Longer", scopes=["widgets:list"])
    assert listed(admin_client, scope="rooms:list") == ["Upper"]


def test_scope_filter_offers_the_vocabulary(admin_client, settings):
    content = admin_client.get(CHANGELIST_URL).content.decode()
    for scope in settings.APP_DELEGATION["SCOPES"]:
        assert f"?scope={scope.replace(':', '%3A')}" in content


def test_changelist_filters_by_allowed_domains(admin_client, make_application, delegation):
    make_application(name="Some", domains=["example.com", "example.org"])
    make_application(name="Nobody", domains=[])

    assert listed(admin_client, domains="some") == ["Some"]
    assert listed(admin_client, domains="none") == ["Nobody"]
    assert "None (acts for nobody)" in admin_client.get(CHANGELIST_URL).content.decode()
    delegation(EMPTY_DOMAIN_LIST_ALLOWS_ALL=True)
    assert "None (acts for anybody)" in admin_client.get(CHANGELIST_URL).content.decode()


def test_changelist_filters_by_last_use(admin_client, make_application):
    used = make_application(name="Used")
    make_application(name="Never")
    used.mark_used()
    assert listed(admin_client, last_used_at__isnull="False") == ["Used"]
    assert listed(admin_client, last_used_at__isnull="True") == ["Never"]


def test_changelist_searches_by_name(admin_client, make_application):
    make_application(name="Partner calendar")
    make_application(name="Other")
    assert listed(admin_client, q="calendar") == ["Partner calendar"]


def test_changelist_searches_by_client_id(admin_client, make_application):
    wanted = make_application(name="Wanted")
    make_application(name="Other")
    assert listed(admin_client, q=wanted.client_id) == ["Wanted"]


def test_list_and_forms_load_the_layout_stylesheet(admin_client, application):
    for url in (CHANGELIST_URL, ADD_URL, change_url(application)):
        assert "django_app_delegation/admin.css" in admin_client.get(url).content.decode()


# -- revoking a user's tokens (the change permission) -----------------------------------------


def revoke_user_tokens(client, applications, email):
    return client.post(
        CHANGELIST_URL,
        {
            "action": "revoke_user_tokens",
            "_selected_action": [app.pk for app in applications],
            "email": email,
            "revoke": "Revoke the tokens",
        },
        follow=True,
    )


def test_revoke_user_tokens_action_asks_for_the_users_email(admin_client, application):
    response = run_action(admin_client, "revoke_user_tokens", [application])

    assert response.status_code == 200
    assert response.redirect_chain == []
    content = response.content.decode()
    assert 'name="email"' in content
    assert application.client_id in content
    assert not RevokedDelegation.objects.exists()


def test_revoke_user_tokens_action_revokes_the_pair_and_records_it(
    admin_client, make_application, user
):
    selected, other = make_application(name="Selected"), make_application(name="Other")
    selected_token, other_token = token_for(selected), token_for(other)

    response = revoke_user_tokens(admin_client, [selected], "Alice@Example.com")

    assert response.redirect_chain == [(CHANGELIST_URL, 302)]
    assert shown_messages(response) == [
        "The tokens of Alice@example.com were revoked for 1 application."
    ]
    assert whoami(selected_token).status_code == 401
    assert whoami(other_token).status_code == 200
    event = DelegationEvent.objects.get(action="revoke")
    assert (event.application, event.user) == (selected, user)
    assert LogEntry.objects.get(object_id=str(selected.pk)).change_message == (
        "Revoked the tokens of a user."
    )


def test_revoke_user_tokens_action_with_an_unknown_email_revokes_nothing(admin_client, application):
    response = revoke_user_tokens(admin_client, [application], "nobody@example.com")

    assert shown_messages(response) == [
        "No user has the e-mail nobody@example.com: nothing was revoked."
    ]
    assert not RevokedDelegation.objects.exists()


def test_revoke_user_tokens_action_refuses_an_invalid_email(admin_client, application):
    response = revoke_user_tokens(admin_client, [application], "not an address")

    assert response.redirect_chain == []
    assert "Enter a valid email address." in response.content.decode()


@pytest.mark.parametrize("role", sorted(set(ROLES) - MAY_SEE_SECRETS))
def test_revoke_user_tokens_action_is_refused_without_change_permission(
    staff_client, application, user, role
):
    client = staff_client(role)
    token = token_for(application)

    response = revoke_user_tokens(client, [application], "alice@example.com")

    # A viewer gets the changelist back (the action is not on offer); the others a 403.
    assert response.status_code == (200 if role == "view_only" else 403)
    assert not RevokedDelegation.objects.exists()
    assert whoami(token).status_code == 200


@pytest.mark.parametrize("role", sorted(MAY_SEE_SECRETS))
def test_revoke_user_tokens_action_works_with_change_permission(
    staff_client, application, user, role
):
    client = staff_client(role)
    assert 'value="revoke_user_tokens"' in client.get(CHANGELIST_URL).content.decode()

    response = revoke_user_tokens(client, [application], "alice@example.com")

    assert response.redirect_chain == [(CHANGELIST_URL, 302)]
    assert RevokedDelegation.objects.get().user == user
