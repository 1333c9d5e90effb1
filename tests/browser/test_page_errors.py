"""Every page of both editions loads without a single error.

For each HTML page of the full book (BOOK_HTML) and of the student edition
(STUDENT_HTML, or built by the `student_html` fixture), in Chromium: the page is
opened, its widgets drawn, every collapsed block opened and the page scrolled to its
end (so that anything loaded late loads too: conftest.prepare_page), and then
- the console holds no error and no uncaught exception, whatever it says;
- no request failed: no response with status 400 or more, none without a response;
- nothing was asked of another host (an offline book).
No message is exempt: a library's noise is fixed where it comes from (e.g. the doubled
THEBE_JS_URL script, _ext/page_assets.py).

The browser tests drive Chromium's headless shell (tests/support/browser.py); the
pages with widgets are loaded once more in the full Chromium that readers run, with
the same checks and every widget drawn.
"""

from __future__ import annotations

import pytest
from conftest import confined_page, expected_packviz_widgets, prepare_page, widget_pages

WIDGET_PAGES = widget_pages()


def problems_of(page) -> dict:
    return {
        "console errors": page.console_errors,
        "failed requests": page.failed_requests,
        "requests to another host": page.outside_requests,
    }


def test_page_loads_without_an_error(shared_page, book_page):
    """The full edition: the page as prepare_page leaves it (shared with the other
    tests that only read it: what went wrong is recorded from its load on)."""
    problems = problems_of(shared_page)
    assert not any(problems.values()), f"full edition, {book_page}: {problems}"


def test_student_page_loads_without_an_error(browser, student_html, student_url, book_page):
    assert (student_html / book_page).exists(), f"the student edition has no {book_page}"
    page = confined_page(browser, student_url)
    try:
        prepare_page(page, student_url, book_page, root=student_html)
        problems = problems_of(page)
        assert not any(problems.values()), f"student edition, {book_page}: {problems}"
    finally:
        page.context.close()


@pytest.mark.parametrize("widget_page", WIDGET_PAGES)
def test_widget_page_loads_in_the_full_browser(full_browser, book_url, widget_page):
    page = confined_page(full_browser, book_url)
    try:
        prepare_page(page, book_url, widget_page)  # waits for every widget to draw
        drawn = page.locator("[data-packviz]").count()
        assert drawn == expected_packviz_widgets(widget_page), (widget_page, drawn)
        problems = problems_of(page)
        assert not any(problems.values()), f"full Chromium, {widget_page}: {problems}"
    finally:
        page.context.close()


def test_requests_for_another_host_are_recorded_and_never_answered(page, book_url):
    """What the checks above rely on (support/browser.py, confine): a request for any
    other host, by name or by address, is recorded and fails; the book's own pass."""
    page.goto(f"{book_url}/intro.html", wait_until="load")
    outcomes = page.evaluate(
        """async (urls) => Promise.all(urls.map((u) => fetch(u).then(
             (r) => `answered ${r.status}`, () => 'failed')))""",
        ["https://example.com/x.js", "http://203.0.113.7/y.png", f"{book_url}/intro.html"],
    )
    assert outcomes == ["failed", "failed", "answered 200"], outcomes
    assert page.outside_requests == ["https://example.com/x.js", "http://203.0.113.7/y.png"]
    assert len([f for f in page.failed_requests if "PROXY" in f]) == 2, page.failed_requests
