"""Fixtures of the browser tests: Debian's Chromium driven by Playwright against ``live_server``.

Run them with ``make test-browser``. Without Chromium (``/usr/bin/chromium``, or ``CHROMIUM_PATH``)
or the ``playwright`` package they are skipped, except under CI (``CI`` set), where that fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request, Response, Route

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# No sandbox (root), no GPU (no screen), and none of Chromium's own calls home: the tests assert
# that the pages make no request outside the live server, and this machine has no internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = (
    "apt-get install chromium chromium-driver (Debian/Ubuntu, as root), "
    "or set CHROMIUM_PATH to a Chromium or Chrome binary"
)


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests: {INSTALL_HINT}")
    pytest.skip(f"{reason}: {INSTALL_HINT}")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the browser tests of this folder."""
    executable = shutil.which(CHROMIUM_PATH)
    if executable is None:
        _unavailable(f"no Chromium at {CHROMIUM_PATH}")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[demo]')")
    expect.set_options(timeout=10_000)
    # Playwright's sync API keeps an event loop running in this thread, so Django's async-safety
    # check would refuse the ORM calls that the tests make between two browser calls.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()


class RequestLog:
    """Every URL a page asked for, and which of them left for another host than the live server."""

    def __init__(self, live_server_url: str) -> None:
        self.origin = urlsplit(live_server_url).netloc
        self.urls: list[str] = []
        self.failures: list[str] = []
        self.blocked_by_page: list[str] = []

    def is_local(self, url: str) -> bool:
        parts = urlsplit(url)
        # data: and blob: URLs are made by the page itself and never leave the browser.
        return parts.scheme in {"data", "blob"} or parts.netloc == self.origin

    def on_request_failed(self, request: Request) -> None:
        if request.failure == "csp":
            # Refused by the page's own Content-Security-Policy before any connection.
            self.blocked_by_page.append(request.url)
        else:
            self.failures.append(f"{request.url}: {request.failure}")

    def on_response(self, response: Response) -> None:
        # Chromium asks for /favicon.ico by itself when a page names none.
        if response.status >= 400 and urlsplit(response.url).path != "/favicon.ico":
            self.failures.append(f"{response.url}: HTTP {response.status}")

    @property
    def external(self) -> list[str]:
        """Requests for another host that the page did not block itself (the tests cut them)."""
        return [
            url for url in self.urls if not self.is_local(url) and url not in self.blocked_by_page
        ]


@pytest.fixture
def request_log(live_server) -> RequestLog:
    return RequestLog(live_server.url)


@pytest.fixture
def page(browser: Browser, request_log: RequestLog) -> Iterator[Page]:
    """A fresh browser context and page; requests outside the live server are logged, then cut."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)

    def guard(route: Route) -> None:
        if request_log.is_local(route.request.url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    page = context.new_page()
    page.on("request", lambda request: request_log.urls.append(request.url))
    page.on("requestfailed", request_log.on_request_failed)
    page.on("response", request_log.on_response)
    yield page
    context.close()
