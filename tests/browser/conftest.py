"""Fixtures for browser tests: the built book served on 127.0.0.1, Debian's Chromium.

Every test gets a `page` whose requests are confined to the local server: any request
for another host is aborted and recorded in `page.outside_requests`, and console
errors (except the theme's known THEBE_JS_URL noise) go to `page.console_errors`.
"""

from __future__ import annotations

import functools
import http.server
import pathlib
import threading
from urllib.parse import urlparse

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KNOWN_NOISE = ("THEBE_JS_URL",)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output readable
        pass


@pytest.fixture(scope="session")
def book_url():
    """Serve _build/html on a free port of 127.0.0.1 and return its base URL."""
    if not (HTML / "index.html").exists():
        pytest.fail("the book is not built: run `make book` first (make test does it)")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, book_url):
    """A fresh page that may only talk to the local book server."""
    context = browser.new_context()
    pg = context.new_page()
    pg.outside_requests = []
    pg.console_errors = []
    local = urlparse(book_url).netloc

    def guard(route):
        url = route.request.url
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob") or parsed.netloc == local:
            route.continue_()
        else:
            pg.outside_requests.append(url)
            route.abort()

    context.route("**/*", guard)

    def on_console(msg):
        if msg.type == "error" and not any(n in msg.text for n in KNOWN_NOISE):
            pg.console_errors.append(msg.text)

    pg.on("console", on_console)
    pg.on("pageerror", lambda err: on_console(_PageError(str(err))))
    yield pg
    context.close()


class _PageError:
    type = "error"

    def __init__(self, text: str):
        self.text = text
