"""The admin: scopes as checkboxes, domains inline, secrets shown once and never again."""

from __future__ import annotations

import pytest
from django.urls import reverse

from django_app_delegation.models import Application

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:django_app_delegation_application_add")
CHANGELIST_URL = reverse("admin:django_app_delegation_application_changelist")
SECRET_URL = reverse("admin:django_app_delegation_application_secret")


def change_url(application: Application) -> str:
    return reverse("admin:django_app_delegation_application_change", args=[application.pk])


def stored_secret(application: Application) -> str:
    return Application.objects.values_list("client_secret", flat=True).get(pk=application.pk)


def add_form_data(*, name="Partner", scopes=("rooms:list",), domains=("example.com",), **extra):
    data = {
        "name": name,
        "scopes": list(scopes),
        "is_active": "on",
        "allowed_domains-TOTAL_FORMS": str(len(domains)),
        "allowed_domains-INITIAL_FORMS": "0",
        "allowed_domains-MIN_NUM_FORMS": "0",
        "allowed_domains-MAX_NUM_FORMS": "1000",
    }
    for index, domain in enumerate(domains):
        data[f"allowed_domains-{index}-domain"] = domain
    data.update(extra)
    return data


def cache_control(response) -> set[str]:
    return {directive.strip() for directive in response["Cache-Control"].split(",")}


def shown_credentials(response) -> list[tuple[Application, str]]:
    return list(response.context["credentials"])


@pytest.fixture
def admin_client(client, django_user_model):
    django_user_model.objects.create_superuser(
        username="admin", email="admin@example.com", password="pw"
    )
    assert client.login(username="admin", password="pw")
    return client


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
    first, first_secret = make_application(name="One")
    second, second_secret = make_application(name="Two")

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
    for application, old_secret in ((first, first_secret), (second, second_secret)):
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
    selected, _ = make_application(name="Selected")
    untouched, untouched_secret = make_application(name="Untouched")
    admin_client.post(
        CHANGELIST_URL, {"action": "regenerate_secret", "_selected_action": [selected.pk]}
    )
    untouched.refresh_from_db()
    assert untouched.check_client_secret(untouched_secret) is True


def test_admin_requires_staff(client, application):
    response = client.get(change_url(application))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_with_cookie_sessions_the_secret_is_shown_without_a_redirect(admin_client, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    admin_client.cookies.clear()
    admin_client.login(username="admin", password="pw")

    response = admin_client.post(ADD_URL, add_form_data())

    assert response.status_code == 200
    [(application, secret)] = shown_credentials(response)
    assert application.check_client_secret(secret) is True
    assert all(secret not in cookie.value for cookie in admin_client.cookies.values())
