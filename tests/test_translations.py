"""French: the token endpoint, the resource API, the admin, the system checks and the commands speak
the request's language (``Accept-Language``) or the active one; error codes stay RFC English.
"""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command, load_command_class
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

import django_app_delegation
from django_app_delegation import checks
from django_app_delegation.authentication import DelegatedTokenAuthentication
from django_app_delegation.conf import renamed_message
from django_app_delegation.models import Application
from tests.helpers import WIDGETS, client_for, delegated_claims, request_token, sign

pytestmark = pytest.mark.django_db

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}
#: French puts a no-break space before a colon or a semicolon.
NBSP = "\u00a0"


#: The same, as ``request_token``'s ``headers``.
FRENCH_HEADERS = {"Accept-Language": FRENCH["HTTP_ACCEPT_LANGUAGE"]}


CHANGELIST_URL = reverse("admin:django_app_delegation_application_changelist")
LOCALE = Path(django_app_delegation.__file__).parent / "locale"


def test_the_package_ships_the_french_catalogue_compiled():
    folder = LOCALE / "fr" / "LC_MESSAGES"
    assert (folder / "django.po").is_file()
    assert (folder / "django.mo").is_file()
    with translation.override("fr"):
        assert translation.gettext("Invalid credentials") == "Identifiants invalides"


# -- the token endpoint ----------------------------------------------------------------------


def test_token_endpoint_describes_errors_in_french_with_rfc_codes(application):
    response = request_token(application, client_secret="wrong-secret", headers=FRENCH_HEADERS)
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Identifiants invalides",
    }
    assert response["Content-Language"] == "fr"


def test_token_endpoint_refuses_a_domain_in_french(application):
    response = request_token(application, "bob@elsewhere.org", headers=FRENCH_HEADERS)
    assert response.status_code == 403
    assert response.json() == {
        "error": "invalid_scope",
        # RFC 6749 §5.2 allows printable ASCII only: the words are French, the accents dropped.
        "error_description": "Cette application n'est pas autorisee pour ce domaine de messagerie.",
    }


def test_token_endpoint_lockout_answers_in_french_within_rfc_6749s_characters(
    application, delegation, clock
):
    delegation(TOKEN_LOCKOUT_FAILURES=1)
    request_token(application, client_secret="wrong-secret")

    response = request_token(application, headers=FRENCH_HEADERS)

    assert response.status_code == 429
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Requete ralentie. Disponible a nouveau dans 900 secondes.",
    }


def test_token_endpoint_formats_french_messages(application):
    response = request_token(application, grant_type="password", headers=FRENCH_HEADERS)
    assert response.json() == {
        "error": "unsupported_grant_type",
        "error_description": (
            "grant_type 'password' non pris en charge ; utilisez 'client_credentials' ou "
            "'urn:ietf:params:oauth:grant-type:jwt-bearer'."
        ),
    }


def test_token_endpoint_stays_in_english_without_accept_language(application):
    response = request_token(application, client_secret="wrong-secret")
    assert response.json()["error_description"] == "Invalid credentials"
    response = request_token(
        application, client_secret="wrong-secret", headers={"Accept-Language": "en"}
    )
    assert response.json()["error_description"] == "Invalid credentials"


# -- the resource API ------------------------------------------------------------------------


def test_resource_api_describes_a_missing_scope_in_french(make_application, user):
    application = make_application(scopes=["widgets:list"])
    response = client_for(application).post(WIDGETS, {"name": "Board"}, format="json", **FRENCH)
    assert response.status_code == 403
    assert response.json() == {
        "detail": f"Permissions insuffisantes. Portée requise{NBSP}: widgets:create"
    }
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", scope="widgets:create"'
    )


def test_resource_api_rejects_a_token_in_french_but_challenges_in_ascii(
    api_client, application, user
):
    token = sign(delegated_claims(application, user, exp=1, iat=0))
    response = api_client.get(WIDGETS, HTTP_AUTHORIZATION=f"Bearer {token}", **FRENCH)
    assert response.status_code == 401
    assert response.json() == {"detail": "Jeton expiré."}
    # RFC 6750 §3 allows only ASCII in error_description: the challenge stays in English.
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api", error="invalid_token", error_description="Token expired."'
    )


def test_resource_api_keeps_its_own_words_where_drf_has_a_translation_too(
    api_client, application, user
):
    """DRF, usually listed first in INSTALLED_APPS, says "Token non valide." for its own tokens."""
    token = sign(delegated_claims(application, user, iss="someone-else"))
    response = api_client.get(WIDGETS, HTTP_AUTHORIZATION=f"Bearer {token}", **FRENCH)
    assert response.json() == {"detail": "Jeton invalide."}
    assert 'error_description="Invalid token."' in response["WWW-Authenticate"]


def test_resource_api_refuses_a_deactivated_application_in_french(make_application, user):
    application = make_application(scopes=["widgets:list"])
    client = client_for(application)
    Application.objects.filter(pk=application.pk).set_active(False)
    response = client.get(WIDGETS, **FRENCH)
    assert response.status_code == 401
    assert response.json() == {"detail": "L'application est désactivée."}
    assert 'error_description="Application is disabled."' in response["WWW-Authenticate"]


def test_challenge_keeps_non_ascii_descriptions_out(rf):
    request = rf.get("/")
    request._delegation_auth_error = 'Jeton "expiré" \\ ok'
    header = DelegatedTokenAuthentication().authenticate_header(request)
    assert (
        header
        == 'Bearer realm="api", error="invalid_token", error_description="Jeton \'expir?\'  ok"'
    )


# -- the admin -------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, django_user_model):
    django_user_model.objects.create_superuser(
        username="admin", email="admin@example.com", password="pw"
    )
    assert client.login(username="admin", password="pw")
    return client


def test_admin_list_is_in_french(admin_client, make_application):
    make_application(name="Partner", domains=[])
    content = admin_client.get(CHANGELIST_URL, **FRENCH).content.decode()
    for text in (
        "Délégation d&#x27;applications",
        "Portées",
        "Identifiant client",
        "Désactiver les applications sélectionnées",
        "Réactiver les applications sélectionnées",
        "Régénérer le secret client des applications sélectionnées",
        "Aucun (n&#x27;agit pour personne)",
        "domaines autorisés",
    ):
        assert text in content, text


def test_admin_actions_report_in_french(admin_client, make_application):
    one = make_application(name="One")
    two = make_application(name="Two", is_active=False)
    response = admin_client.post(
        CHANGELIST_URL,
        {"action": "deactivate_applications", "_selected_action": [one.pk, two.pk]},
        follow=True,
        **FRENCH,
    )
    assert [str(message) for message in response.context["messages"]] == [
        f"1 application désactivée{NBSP}: ses jetons cessent de fonctionner immédiatement. "
        "1 l'était déjà."
    ]


def test_admin_form_and_secret_page_are_in_french(admin_client):
    add_url = reverse("admin:django_app_delegation_application_add")
    content = admin_client.get(add_url, **FRENCH).content.decode()
    assert "Le maximum que peuvent faire les jetons de cette application." in content
    assert "Domaine de messagerie pour lequel cette application peut agir" in content
    # "active" agrees with "application" (feminine), not with auth's "actif" for users.
    assert '<label class="vCheckboxLabel" for="id_is_active">Active</label>' in content

    response = admin_client.post(
        add_url,
        {
            "name": "Partner",
            "scopes": ["calendar:read"],
            "is_active": "on",
            "allowed_domains-TOTAL_FORMS": "0",
            "allowed_domains-INITIAL_FORMS": "0",
        },
        **FRENCH,
    )
    assert "calendar:read" in str(response.context["adminform"].form.errors["scopes"])

    response = admin_client.post(
        add_url,
        {
            "name": "Partner",
            "scopes": ["rooms:list"],
            "is_active": "on",
            "allowed_domains-TOTAL_FORMS": "0",
            "allowed_domains-INITIAL_FORMS": "0",
        },
        follow=True,
        **FRENCH,
    )
    content = response.content.decode()
    assert "Application créée" in content
    assert f"Copiez le secret client maintenant{NBSP}: il est stocké haché" in content
    assert "ai conservé le secret" in content


# -- system checks and commands (the active language: LANGUAGE_CODE, or an override) ---------


def test_system_checks_speak_french_with_the_same_ids():
    with (
        override_settings(APP_DELEGATION={"SIGNING_KEY": None, "THROTTLE_CACHE_FAILURE": "x"}),
        translation.override("fr"),
    ):
        messages = {message.id: message for message in checks.check_settings()}
    assert messages["django_app_delegation.E001"].msg == (
        'APP_DELEGATION["SIGNING_KEY"] n\'est pas défini.'
    )
    assert messages["django_app_delegation.E001"].hint == (
        "Définissez-le depuis l'environnement avec une valeur aléatoire d'au moins 32 octets."
    )
    assert messages["django_app_delegation.E014"].msg == (
        'APP_DELEGATION["THROTTLE_CACHE_FAILURE"] doit valoir "allow" ou "deny".'
    )
    assert messages["django_app_delegation.W001"].msg == (
        f'APP_DELEGATION["AUDIENCE"] n\'est pas défini{NBSP}: '
        "les jetons ne sont pas liés à ce service."
    )


def test_limit_and_audit_checks_speak_french_with_the_same_ids(delegation):
    delegation(TOKEN_RATE_PER_IP="often", THROTTLE_CACHE="nowhere", AUDIT_DESTINATIONS=["syslog"])
    with translation.override("fr"):
        messages = {message.id: message for message in checks.check_settings()}
    assert messages["django_app_delegation.E024"].msg == (
        'APP_DELEGATION["TOKEN_RATE_PER_IP"] n\'est pas un débit.'
    )
    assert messages["django_app_delegation.E024"].hint == (
        f"Un débit s'écrit «{NBSP}<nombre>/<second|minute|hour|day>{NBSP}», "
        f"par exemple «{NBSP}300/minute{NBSP}», ou None."
    )
    assert messages["django_app_delegation.E027"].msg == (
        "APP_DELEGATION[\"THROTTLE_CACHE\"] 'nowhere' n'est pas un alias de CACHES."
    )
    assert messages["django_app_delegation.E028"].msg == (
        'APP_DELEGATION["AUDIT_DESTINATIONS"] doit énumérer des destinations parmi '
        '"database", "logging", "signal" (ou aucune).'
    )


def test_renamed_setting_check_speaks_french_and_the_warning_stays_english():
    with (
        override_settings(APP_DELEGATION={"SIGNING_KEY": "k" * 40, "PAGE_SIZE": 5}),
        translation.override("fr"),
    ):
        [message] = [m for m in checks.check_settings() if m.id.endswith("W003")]
        english = renamed_message('APP_DELEGATION["PAGE_SIZE"]', "RESOURCE_PAGE_SIZE")
    assert message.msg == (
        f'APP_DELEGATION["PAGE_SIZE"] est obsolète{NBSP}; '
        f"renommez-le «{NBSP}RESOURCE_PAGE_SIZE{NBSP}»."
    )
    assert (
        english == 'APP_DELEGATION["PAGE_SIZE"] is deprecated; rename it to "RESOURCE_PAGE_SIZE".'
    )


def test_check_accepts_lazily_translated_scope_descriptions(delegation):
    delegation(SCOPES={"rooms:list": translation.gettext_lazy("Invalid credentials")})
    assert not [m for m in checks.check_settings() if m.id.endswith("E005")]


def run(*args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    with translation.override("fr"):
        call_command(*args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_commands_speak_french_but_keep_their_machine_readable_parts(make_application):
    stdout, stderr = run("create_application", "--name", "Partner", "--json")
    assert set(json.loads(stdout)) == {"client_id", "client_secret"}
    assert "elle ne peut agir pour personne" in stderr

    stdout, stderr = run("create_application", "--name", "Other", "--domain", "example.com")
    assert stdout.startswith("client_id:     ")
    assert stderr.strip() == (
        f"Conservez le secret maintenant{NBSP}: il est haché et ne pourra plus être affiché."
    )

    stdout, _ = run("list_applications")
    header, *rows = stdout.splitlines()
    assert re.split(r"\s{2,}", header) == [
        "Nom",
        "Identifiant client",
        "Active",
        "Portées",
        "Domaines autorisés",
        "Durée des jetons",
        "Dernière utilisation",
    ]
    assert all(row.endswith("jamais") for row in rows)
    assert any(" oui " in row for row in rows)

    application = Application.objects.get(name="Other")
    stdout, _ = run("deactivate_application", application.client_id)
    assert stdout == (
        f"Application Other ({application.client_id}) désactivée{NBSP}: "
        "ses jetons cessent de fonctionner immédiatement.\n"
    )


def test_command_errors_are_in_french(delegation):
    delegation(SCOPES={"rooms:list": "List rooms"})
    with pytest.raises(CommandError) as error:
        run("create_application", "--name", "Partner", "--scope", "calendar:read")
    assert str(error.value) == (
        f"Portée(s) inconnue(s){NBSP}: calendar:read. Portées valides{NBSP}: rooms:list."
    )
    with pytest.raises(CommandError) as error:
        run("deactivate_application", "no-such-client")
    assert str(error.value) == "Aucune application avec le client_id 'no-such-client'."


def test_command_help_is_in_french():
    with translation.override("fr"):
        command = load_command_class("django_app_delegation", "deactivate_application")
        text = command.create_parser("manage.py", "deactivate_application").format_help()
    assert "Désactive des applications" in text
    assert "Réactive les applications à la place." in text


def test_prune_delegation_events_speaks_french():
    stdout, _ = run("prune_delegation_events", "--older-than", "90d", "--dry-run")
    assert re.fullmatch(r"0 événement antérieur au \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.\n", stdout)
    with pytest.raises(CommandError) as error:
        run("prune_delegation_events", "--older-than", "90 days")
    assert str(error.value) == (
        f"--older-than '90 days'{NBSP}: indiquez un nombre et une unité parmi s, m, h, d, w, "
        "par exemple 90d."
    )
    with translation.override("fr"):
        command = load_command_class("django_app_delegation", "prune_delegation_events")
        text = command.create_parser("manage.py", "prune_delegation_events").format_help()
    assert "Supprime les événements du journal d'audit" in text
