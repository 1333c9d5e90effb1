"""Chromium on the built book: the server, the confined page, what went wrong, contrast.

Used by tests/browser (conftest.py and the test modules) and by
benchmarks/widget_latency.py. Plain functions, no pytest: the benchmark runs outside
pytest.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import pathlib
import sys
import threading
from collections.abc import Iterator
from urllib.parse import urlparse

# Two builds of Debian's Chromium 156, the same Blink and V8: the full browser that
# readers run (`chromium`), and its headless shell (`chromium-headless-shell`: no
# browser window layer), which Playwright itself drives by default for headless runs.
# The tests, the PDF and the slides' widget pictures use the shell where it is
# installed (make setup-test installs both): on these 2-core machines it loads every
# page of the book with about 40 % of the full browser's CPU time (18 s against 46 s;
# scripts/timings.py --browsers). The widget benchmark times the full browser, as
# readers see it, and tests/browser/test_page_errors.py loads every widget page in it
# too. BOOK_CHROMIUM names another binary for both.
FULL_CHROMIUM = os.environ.get("BOOK_CHROMIUM") or "/usr/bin/chromium"
HEADLESS_SHELL = os.environ.get("BOOK_CHROMIUM") or "/usr/bin/chromium-headless-shell"
CHROMIUM = HEADLESS_SHELL if os.path.exists(HEADLESS_SHELL) else FULL_CHROMIUM
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Offline: every request for another host goes to a proxy that is not there (port 9
    # of this machine, where nothing listens) and fails at once
    # (net::ERR_PROXY_CONNECTION_FAILED). Chromium never sends a loopback request
    # through a proxy, so the local server answers as usual. confine() records them.
    "--proxy-server=http://127.0.0.1:9",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    # HTTP/1.1 keeps connections open as any web server does (the default, HTTP/1.0,
    # opens one connection per file: page loads then measure Python's thread start-up).
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test and benchmark output readable
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A browser that drops a connection it no longer needs (a closed page) is not
        # an error of the book: say nothing. Anything else is printed as usual.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(directory: pathlib.Path) -> Iterator[str]:
    """Serve `directory` on a free port of 127.0.0.1; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def confine(context, base_url: str) -> list[str]:
    """Record every request of a Playwright `context` for another host than `base_url`'s.

    data: and blob: URLs are not requests for a host. Each other URL is appended to the
    returned list (a test asserts that it stays empty). The browser itself refuses to
    fetch them (CHROMIUM_ARGS: the proxy that is not there), so they fail as well and
    the page sees no answer, as it would offline. (Playwright's own interception,
    context.route, would stop every request of the page in this process and turn the
    HTTP cache off: a tenth more CPU time per page load here.)
    """
    local = urlparse(base_url).netloc
    outside: list[str] = []

    def seen(request):
        parsed = urlparse(request.url)
        if parsed.scheme not in ("data", "blob") and parsed.netloc != local:
            outside.append(request.url)

    context.on("request", seen)
    return outside


def record_failed_requests(page) -> list[str]:
    """Collect every request of `page` that failed in the returned list.

    A response with status 400 or more, and a request that got none (refused, aborted,
    e.g. by `confine`) are failures: each is appended as "STATUS URL" or "failed URL
    (reason)".
    """
    failed: list[str] = []

    def on_response(response):
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    def on_failed(request):
        failed.append(f"failed {request.url} ({request.failure})")

    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    return failed


def record_console_errors(page, ignore: tuple[str, ...] = ()) -> list[str]:
    """Collect the page's console errors and uncaught exceptions in the returned list.

    Errors that contain a string of `ignore` are left out. A "Failed to load resource"
    error gets the address it is about (the message alone does not say which).
    """
    errors: list[str] = []

    def add(text: str, url: str | None = None) -> None:
        if not any(n in text for n in ignore):
            errors.append(f"{text} ({url})" if url else text)

    def on_console(msg):
        if msg.type == "error":
            add(msg.text, (getattr(msg, "location", None) or {}).get("url"))

    page.on("console", on_console)
    page.on("pageerror", lambda err: add(str(err)))
    return errors


# Installs window.__pv = {parse, lum, background, contrast} in a page: a CSS colour
# parsed to {r, g, b, a}, its relative luminance, an element's effective background
# (the first ancestor with an opaque background colour) and the WCAG contrast ratio.
CONTRAST_JS = """
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = (c) => {
    const ch = [c.r, c.g, c.b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.9) return c;
    }
    return parse(getComputedStyle(document.body).backgroundColor) ||
      {r: 255, g: 255, b: 255, a: 1};
  };
  const contrast = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  window.__pv = {parse, lum, background, contrast};
}
"""


# Resolves once the DOM has not changed for `quiet` ms (at most `limit` ms):
# page.evaluate(SETTLE_JS, [quiet, limit]). The PDF, the slides' widget pictures and the
# browser tests wait with it.
SETTLE_JS = """
([quiet, limit]) => new Promise((resolve) => {
  const start = performance.now();
  let last = start;
  const seen = new MutationObserver(() => { last = performance.now(); });
  seen.observe(document.body, {subtree: true, childList: true, attributes: true});
  const tick = () => {
    const now = performance.now();
    if (now - last >= quiet || now - start >= limit) {
      seen.disconnect();
      resolve();
    } else {
      setTimeout(tick, 50);
    }
  };
  setTimeout(tick, 50);
})
"""


def settle(page, quiet_ms: int = 400, limit_ms: int = 8000) -> None:
    """Wait until the page's DOM has not changed for `quiet_ms` (at most `limit_ms`)."""
    page.evaluate(SETTLE_JS, [quiet_ms, limit_ms])
