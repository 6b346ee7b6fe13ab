"""An administrator registers an application in the admin and gets its secret exactly once."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest

from django_app_delegation.models import Application
from users.models import User

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "browser-test-password-4x"
TOKEN_PATH = "/external-api/v1.0/application/token/"
CHANGELIST = re.compile(r"/admin/django_app_delegation/application/$")
SECRET_WARNING = "Copy the client secret now: it is stored hashed and will never be shown again."


def token_status(live_server, client_id: str, client_secret: str, email: str) -> int:
    """POST a client-credentials token request to the live server; return the status code."""
    body = urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": email,
        }
    ).encode()
    request = Request(f"{live_server.url}{TOKEN_PATH}", data=body, method="POST")
    try:
        with urlopen(request, timeout=10) as response:
            assert json.load(response)["access_token"]
            return response.status
    except HTTPError as error:
        error.close()
        return error.code


@pytest.fixture
def admin_page(page, live_server, transactional_db):
    """The browser, logged in to the admin as a superuser through the login form."""
    User.objects.create_superuser(ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Admin email address").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    return page


def shown_credentials(page) -> tuple[str, str]:
    """The client_id and client_secret on the page that shows a secret once."""
    expect(page.locator(".errornote")).to_have_text(SECRET_WARNING)
    row = page.locator("#content tbody tr")
    expect(row).to_have_count(1)
    client_id = row.locator("td code").first.inner_text()
    return client_id, row.locator("code.client-secret").inner_text()


def add_application(page) -> tuple[str, str]:
    """Fill the add form (a name, one scope, one allowed domain), save, read the credentials."""
    page.get_by_role("link", name="Applications", exact=True).click()
    page.get_by_role("link", name=re.compile("Add application")).click()
    page.get_by_label("Name").fill("Partner calendar")
    page.get_by_role("checkbox", name=re.compile(r"^rooms:create\b")).check()
    page.get_by_text("Add another Allowed domain").click()
    page.locator("input[name$='-0-domain']").fill("partner.example")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Application created")).to_be_visible()
    return shown_credentials(page)


def test_admin_shows_a_new_secret_once_and_regenerates_it(admin_page, live_server):
    page = admin_page
    User.objects.create_user(email="alice@partner.example", sub="alice")

    client_id, secret = add_application(page)
    application = Application.objects.get()
    assert client_id == application.client_id
    assert application.name == "Partner calendar"
    assert application.scopes == ["rooms:create"]
    assert list(application.allowed_domains.values_list("domain", flat=True)) == ["partner.example"]
    assert secret not in application.client_secret
    assert token_status(live_server, client_id, secret, "alice@partner.example") == 200

    # The secret is never shown again: not on the change page, not in the list.
    page.get_by_role("link", name="I have stored the secret").click()
    expect(page).to_have_url(CHANGELIST)
    expect(page.locator("#result_list")).to_contain_text(client_id)
    assert secret not in page.content()
    page.get_by_role("link", name="Partner calendar").click()
    expect(page.locator(".field-client_id")).to_contain_text(client_id)
    assert secret not in page.content()
    page.reload()
    expect(page.locator(".field-client_id")).to_contain_text(client_id)
    assert secret not in page.content()

    # Regenerate it from the list: a new secret, shown once; the old one stops working.
    page.locator(".breadcrumbs").get_by_role("link", name="Applications").click()
    page.locator(f"input.action-select[value='{application.pk}']").check()
    page.get_by_label("Action:").select_option(
        label="Regenerate the client secret of the selected applications"
    )
    # "Go" up to Django 5.2, "Run" from 6.0: the actions form's submit button either way.
    page.locator(".actions button[type=submit]").click()

    expect(page.get_by_role("heading", name="Client secret regenerated")).to_be_visible()
    same_client_id, new_secret = shown_credentials(page)
    assert same_client_id == client_id
    assert new_secret != secret
    assert token_status(live_server, client_id, secret, "alice@partner.example") == 401
    assert token_status(live_server, client_id, new_secret, "alice@partner.example") == 200
    page.get_by_role("link", name="I have stored the secret").click()
    expect(page).to_have_url(CHANGELIST)
    expect(page.locator("#result_list")).to_contain_text(client_id)
    assert new_secret not in page.content()


def test_reloading_the_new_secret_page_creates_no_second_application(admin_page):
    page = admin_page
    _, secret = add_application(page)

    page.reload()

    assert secret not in page.content()
    expect(page.locator("#content")).to_contain_text("shown only once")
    assert Application.objects.count() == 1

    page.go_back()
    page.go_forward()

    assert secret not in page.content()
    assert Application.objects.count() == 1


# -- layout: readable at 1400 px -------------------------------------------------------------

#: A laptop-sized window: the admin must fit it without scrolling sideways.
WIDE = {"width": 1400, "height": 900}
#: Applications as an operator of La Suite Meet might register them, each with every room scope.
REALISTIC_APPLICATIONS = [
    (
        "Agenda partagé de la Direction interministérielle du numérique",
        ["agenda.numerique.gouv.fr"],
    ),
    ("Partner calendar integration (production)", ["partner.example", "*.partner.example"]),
    ("Webinaires et classes virtuelles", []),
]
#: Lines taken by the text of an element: the distinct line boxes of its text nodes.
COUNT_LINES = """element => {
    const lines = new Set();
    for (const node of element.childNodes) {
        if (node.nodeType !== Node.TEXT_NODE || !node.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const rect of range.getClientRects()) {
            if (rect.width > 0) lines.add(Math.round(rect.bottom));
        }
    }
    return lines.size;
}"""


def widths(locator) -> dict[str, int]:
    return locator.evaluate(
        "element => ({scroll: element.scrollWidth, client: element.clientWidth})"
    )


def assert_no_horizontal_overflow(page, *selectors: str) -> None:
    """Neither the page nor any of ``selectors`` scrolls sideways."""
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDE["width"]
    for selector in selectors:
        found = widths(page.locator(selector).first)
        assert found["scroll"] <= found["client"], (selector, found)


@pytest.fixture
def screenshot(page, tmp_path):
    """Save a full-page screenshot under ``SCREENSHOT_DIR`` (default: the test's tmp folder)."""

    def save(name: str) -> Path:
        folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.read_bytes().startswith(b"\x89PNG")
        return path

    return save


@pytest.fixture(params=["en", "fr"])
def wide_admin_page(request, admin_page, settings):
    """The logged-in admin in a 1400x900 window, with realistic applications (all used once), in
    English and in French (longer words: "Dernière utilisation", "Identifiant client").
    """
    scopes = list(settings.APP_DELEGATION["SCOPES"])
    assert len(scopes) >= 5
    for name, domains in REALISTIC_APPLICATIONS:
        application, _ = Application.objects.create_application(
            name=name, scopes=scopes, domains=domains
        )
        application.mark_used()
    admin_page.set_viewport_size(WIDE)
    admin_page.set_extra_http_headers({"Accept-Language": request.param})
    admin_page.language = request.param
    return admin_page


def test_application_list_fits_1400_pixels(wide_admin_page, live_server, screenshot):
    page = wide_admin_page
    page.goto(f"{live_server.url}/admin/django_app_delegation/application/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(len(REALISTIC_APPLICATIONS))

    assert_no_horizontal_overflow(page, "#changelist .results")
    # Each header is shown whole, and each client id (one 40-character word) on two lines at most.
    for header in page.locator("#result_list thead th").all():
        found = widths(header)
        assert found["scroll"] <= found["client"], header.inner_text()
    for application in Application.objects.all():
        cell = rows.locator("td.field-client_credentials", has_text=application.client_id)
        expect(cell).to_be_visible()
        assert cell.evaluate(COUNT_LINES) <= 2
    # The audit trail's usage figures fit under the last use, in the same column.
    for row in rows.all():
        expect(row.locator("td.field-last_use .usage-figure")).to_have_count(3)
    # The filters stay beside the list, not pushed under it.
    filters = page.locator("#changelist-filter").bounding_box()
    results = page.locator("#changelist .results").bounding_box()
    assert filters["x"] >= results["x"] + results["width"] - 1
    expect(page.locator("html")).to_have_attribute("lang", re.compile(f"^{page.language}"))
    screenshot(f"admin-application-list-1400-{page.language}")


def test_application_form_fits_1400_pixels_one_line_per_scope(
    wide_admin_page, live_server, settings, screenshot
):
    page = wide_admin_page
    application = Application.objects.get(name=REALISTIC_APPLICATIONS[1][0])
    page.goto(f"{live_server.url}/admin/django_app_delegation/application/{application.pk}/change/")

    for scope, description in settings.APP_DELEGATION["SCOPES"].items():
        checkbox = page.get_by_role("checkbox", name=f"{scope} ({description})", exact=True)
        expect(checkbox).to_be_visible()
        expect(checkbox).to_be_checked()
        label = page.locator("#id_scopes label", has=checkbox)
        assert label.evaluate(COUNT_LINES) == 1, scope
    assert_no_horizontal_overflow(page, "#content-main", ".field-scopes", "#allowed_domains-group")
    expect(page.locator("html")).to_have_attribute("lang", re.compile(f"^{page.language}"))
    screenshot(f"admin-application-form-1400-{page.language}")
