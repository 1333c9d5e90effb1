"""Fixtures for browser tests: the built book served on 127.0.0.1, Debian's Chromium.

Every test gets a `page` whose requests are confined to the local server: any request
for another host is aborted and recorded in `page.outside_requests`; console errors
and uncaught exceptions go to `page.console_errors`, and failed requests (status 400
or more, or no response) to `page.failed_requests`. No error is exempt.

BOOK_HTML (an environment variable) points the fixtures at another built book, e.g. a
scratch build: `BOOK_HTML=/tmp/b/_build/html pytest tests/browser`. STUDENT_HTML does
the same for the student edition (the `student_html` fixture builds it into a temporary
folder when it is not set). A test that takes a `book_page` argument runs once for every
HTML page of the book (see `book_pages`).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))
from support import HTML  # noqa: E402
from support.browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    FULL_CHROMIUM,
    confine,
    record_console_errors,
    record_failed_requests,
    serve,
)

AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def book_pages(html: pathlib.Path = HTML) -> list[str]:
    """Every HTML page of the built book in `html`, relative to its root.

    Left out: files under `_static/`, `_sources/` and other `_` folders (not pages),
    redirect stubs (JB's index.html is a meta refresh to the root page), and the slide
    decks that `make slides` copies into `slides/` (not pages of the book: the slide
    tests check them, tests/browser/test_slides.py).
    """
    pages = []
    for path in sorted(html.rglob("*.html")):
        rel = path.relative_to(html)
        if any(part.startswith("_") for part in rel.parts[:-1]):
            continue
        if rel.parts[0] == "slides":
            continue
        head = path.read_text(encoding="utf-8", errors="replace")[:2000].lower()
        if 'http-equiv="refresh"' in head:
            continue
        pages.append(rel.as_posix())
    return pages


def pytest_generate_tests(metafunc):
    """Parametrize `book_page` with every page of the built book."""
    if "book_page" in metafunc.fixturenames:
        pages = book_pages() or ["index.html"]  # not built: book_url fails clearly
        metafunc.parametrize("book_page", pages)


@pytest.fixture(scope="session")
def book_url():
    """Serve the built book (HTML) on a free port of 127.0.0.1 and return its base URL."""
    if not (HTML / "index.html").exists():
        pytest.fail(f"the book is not built in {HTML}: run `make book` first "
                    "(make test does it), or set BOOK_HTML")
    with serve(HTML) as url:
        yield url


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_driver):
    """Chromium's headless shell where it is installed (support/browser.py: CHROMIUM)."""
    b = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture(scope="session")
def full_browser(playwright_driver):
    """The full Chromium that readers run (support/browser.py: FULL_CHROMIUM)."""
    if not pathlib.Path(FULL_CHROMIUM).exists():
        pytest.fail(f"{FULL_CHROMIUM} is missing: run `make setup-test` (it installs "
                    "Debian's chromium and chromium-headless-shell)")
    b = playwright_driver.chromium.launch(executable_path=FULL_CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


def confined_page(browser, url: str, **context_options):
    """A page of a fresh context that may only talk to `url`'s server, and records what
    went wrong: `outside_requests`, `console_errors`, `failed_requests`."""
    context = browser.new_context(**context_options)
    pg = context.new_page()
    pg.outside_requests = confine(context, url)
    pg.console_errors = record_console_errors(pg)
    pg.failed_requests = record_failed_requests(pg)
    return pg


@pytest.fixture
def page(browser, book_url):
    """A fresh page that may only talk to the local book server."""
    pg = confined_page(browser, book_url)
    yield pg
    pg.context.close()


class SharedPages:
    """Pages of the book kept open for the tests that only look at them.

    `open(url, book_page, viewport=None)` gives the page as `prepare_page` leaves it:
    opened in light mode, its widgets drawn, every collapsed block opened, scrolled to
    its end (so that anything loaded late has loaded) and back to the top. The first
    test to ask loads it; the tests after it get the same page, as long as they only
    read it (make test runs a page's such tests one after another on one worker:
    tests/conftest.py). `page.console_errors` and the others hold what happened since
    the load. The `keep` pages asked for last stay open.
    """

    def __init__(self, browser, keep: int = 2):
        self.browser, self.keep, self.pages = browser, keep, {}

    def open(self, url: str, book_page: str, viewport: dict | None = None):
        key = (url, book_page, tuple(sorted((viewport or {}).items())))
        page = self.pages.pop(key, None)
        if page is None:
            page = confined_page(self.browser, url)
            if viewport:
                page.set_viewport_size(viewport)
            prepare_page(page, url, book_page)
        self.pages[key] = page  # the newest last
        while len(self.pages) > self.keep:
            self.pages.pop(next(iter(self.pages))).context.close()
        return page

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()
        self.pages.clear()


@pytest.fixture(scope="session")
def shared_pages(browser):
    pages = SharedPages(browser)
    yield pages
    pages.close()


@pytest.fixture
def shared_page(shared_pages, book_url, book_page):
    """`book_page` of the full book as `prepare_page` leaves it, shared with the other
    tests of that page that only read it (SharedPages)."""
    return shared_pages.open(book_url, book_page)


def axe_everything(page, axe) -> dict:
    """axe-core with its default rules on the whole `page`, run once per page."""
    if getattr(page, "axe_results", None) is None:
        page.axe_results = axe(page)
    return page.axe_results


@pytest.fixture(scope="session")
def student_html(tmp_path_factory) -> pathlib.Path:
    """The student edition's HTML folder: STUDENT_HTML, or built now (about 10 s)."""
    given = os.environ.get("STUDENT_HTML")
    if given:
        html = pathlib.Path(given).resolve()
        if not (html / "index.html").exists():
            pytest.fail(f"STUDENT_HTML={given} holds no built book")
        return html
    out = tmp_path_factory.mktemp("student") / "html"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "student_edition.py"),
         "--output", str(out)],
        capture_output=True, text=True, timeout=900, check=False, cwd=ROOT,
    )
    if result.returncode != 0 or not (out / "index.html").exists():
        pytest.fail("the student edition did not build:\n"
                    + (result.stdout + result.stderr)[-3000:])
    return out


@pytest.fixture(scope="session")
def student_url(student_html):
    with serve(student_html) as url:
        yield url


_WIDGET_STATE = re.compile(
    r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', re.S
)
_WIDGET_VIEW = re.compile(
    r'<script type="application/vnd.jupyter.widget-view\+json">(.*?)</script>', re.S
)


def expected_packviz_widgets(book_page: str, root: pathlib.Path = HTML) -> int:
    """How many packviz widgets the page shows (views of a model classed packviz-widget)."""
    html = (root / book_page).read_text(encoding="utf-8")
    state = _WIDGET_STATE.search(html)
    if not state:
        return 0
    models = json.loads(state.group(1))["state"]
    count = 0
    for view in _WIDGET_VIEW.findall(html):
        model = models.get(json.loads(view)["model_id"], {})
        count += "packviz-widget" in model.get("state", {}).get("_dom_classes", [])
    return count


def widget_pages(root: pathlib.Path = HTML) -> list[str]:
    """The pages of the built book in `root` that show a packviz widget."""
    return [p for p in book_pages(root) if expected_packviz_widgets(p, root)]


def open_book_page(page, book_url: str, book_page: str, mode: str = "light",
                   root: pathlib.Path = HTML, idle: bool = True):
    """Open one page of the book in the theme's light or dark mode and wait for it.

    Waits until every packviz widget of the page has rendered (`[data-packviz]`); `root`
    is the built book the page comes from (to count its widgets). `idle=False` skips
    the wait for an idle network after the load (half a second at least), for a
    caller that waits for it later anyway.
    """
    assert mode in ("light", "dark")
    page.context.add_init_script(
        f"localStorage.setItem('mode', '{mode}');localStorage.setItem('theme', '{mode}');"
    )
    page.emulate_media(color_scheme=mode)
    page.goto(f"{book_url}/{book_page}", wait_until="load")
    if idle:
        page.wait_for_load_state("networkidle")
    widgets = expected_packviz_widgets(book_page, root)
    if widgets:
        page.wait_for_function(
            f"document.querySelectorAll('[data-packviz]').length >= {widgets}",
            timeout=20_000,
        )
        # Widgets may draw only once on screen: show each, then let the page settle.
        for widget in page.query_selector_all("[data-packviz]"):
            widget.scroll_into_view_if_needed()
        wait_until_settled(page)
        page.evaluate("window.scrollTo(0, 0)")
    theme = page.evaluate("document.documentElement.dataset.theme")
    assert theme == mode, f"{book_page}: asked for {mode} mode, the page shows {theme!r}"
    return page


def prepare_page(page, book_url: str, book_page: str, root: pathlib.Path = HTML):
    """Open a page in light mode, open every collapsed block, load everything.

    What every check of a whole page starts from: the widgets drawn (open_book_page),
    every collapsed block open (expand_all), the page scrolled to its end until the
    network is idle and the page settled (anything loaded late has loaded), then back
    at the top. Those last waits cover the load and the blocks' reveal too, so neither
    is waited for on its own."""
    open_book_page(page, book_url, book_page, root=root, idle=False)
    expand_all(page, wait=False)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_load_state("networkidle")
    wait_until_settled(page, quiet_ms=300, limit_ms=3000)
    page.evaluate("window.scrollTo(0, 0)")
    return page


def wait_until_settled(page, quiet_ms: int = 400, limit_ms: int = 8000) -> None:
    """Wait until the DOM has not changed for `quiet_ms` (at most `limit_ms`)."""
    from support.browser import settle

    settle(page, quiet_ms, limit_ms)


def expand_all(page, wait: bool = True) -> None:
    """Open every collapsed block (solutions, hidden inputs) so checks see its content;
    then wait for the reveal's animation, unless `wait` is False."""
    page.evaluate(
        """() => {
          document.querySelectorAll('details').forEach((d) => { d.open = true; });
          document.querySelectorAll('.toggle-button-hidden').forEach((b) => b.click());
        }"""
    )
    if wait:
        page.wait_for_timeout(300)  # togglebutton animates the reveal


@pytest.fixture(scope="session")
def axe():
    """A function that runs axe-core (from node_modules) on a page.

    `axe(page, context=None, options=None)`: `context` and `options` go to axe.run as
    they are (axe-core doc/API.md); it returns {"violations": [...], "incomplete": [...]}.
    """
    if not AXE_JS.exists():
        pytest.fail("axe-core is missing: run `make setup-test` (npm ci)")
    source = AXE_JS.read_text(encoding="utf-8")

    def run(page, context=None, options=None):
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=source)
        return page.evaluate(
            "async ([context, options]) => {"
            "  const r = await axe.run(context || document, options || {});"
            "  return {violations: r.violations, incomplete: r.incomplete};"
            "}",
            [context, options],
        )

    return run


def describe_axe(results: list[dict], limit: int = 6) -> str:
    """Readable summary of axe results: rule, impact, help and the first few nodes."""
    lines = []
    for rule in results:
        lines.append(f"- {rule['id']} ({rule['impact']}): {rule['help']}")
        for node in rule["nodes"][:limit]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {node['target']}: {summary[:300]}")
        if len(rule["nodes"]) > limit:
            lines.append(f"    ... and {len(rule['nodes']) - limit} more")
    return "\n".join(lines)
