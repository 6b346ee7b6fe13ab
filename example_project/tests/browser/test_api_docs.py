"""Swagger UI and ReDoc render in a real browser from the project's own static files only."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

TOKEN_PATH = "/external-api/v1.0/application/token/"


def test_swagger_ui_renders_the_api_without_internet(page, live_server, request_log, tmp_path):
    page.goto(f"{live_server.url}/api/docs/")

    tags = page.locator(".swagger-ui .opblock-tag")
    expect(tags.filter(has_text="Authentication")).to_be_visible()
    expect(tags.filter(has_text="Rooms")).to_be_visible()
    token = page.locator(".opblock-post", has=page.locator(f"[data-path='{TOKEN_PATH}']"))
    expect(token).to_be_visible()
    expect(token.locator(".opblock-summary-description")).to_have_text(
        "Get an access token acting as a user"
    )
    expect(page.locator(".opblock-summary-description", has_text="Create a room")).to_be_visible()
    token.locator(".opblock-summary").click()
    # Deep links name the operation by its id.
    expect(page).to_have_url(re.compile(r"#/Authentication/generateToken$"))
    expect(token.get_by_role("button", name="Try it out")).to_be_visible()
    page.wait_for_load_state("networkidle")

    screenshot = tmp_path / "swagger-ui.png"
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.stat().st_size > 10_000
    assert f"{live_server.url}/api/schema/" in request_log.urls
    assert request_log.external == []
    assert request_log.failures == []


def test_redoc_renders_the_api_without_internet(page, live_server, request_log, tmp_path):
    page.goto(f"{live_server.url}/api/redoc/")

    expect(page.get_by_role("heading", name="Meet External API")).to_be_visible()
    expect(page.get_by_role("heading", name="Get an access token acting as a user")).to_be_visible()
    menu = page.locator(".menu-content")
    expect(menu.get_by_text("Rooms", exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")

    screenshot = tmp_path / "redoc.png"
    page.screenshot(path=screenshot)
    assert screenshot.stat().st_size > 10_000
    assert f"{live_server.url}/api/schema/" in request_log.urls
    assert request_log.external == []
    assert request_log.failures == []
