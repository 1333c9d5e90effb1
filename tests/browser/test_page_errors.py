"""Every page of both editions loads without a single error.

For each HTML page of the full book (BOOK_HTML) and of the student edition
(STUDENT_HTML, or built by the `student_html` fixture), in Chromium: the page is
opened, its widgets drawn, every collapsed block opened and the page scrolled to its
end (so that anything loaded late loads too), and then
- the console holds no error and no uncaught exception, whatever it says;
- no request failed: no response with status 400 or more, none without a response;
- nothing was asked of another host (an offline book).
No message is exempt: a library's noise is fixed where it comes from (e.g. the doubled
THEBE_JS_URL script, _ext/page_assets.py).
"""

from __future__ import annotations

import pytest
from conftest import HTML, confined_page, expand_all, open_book_page, wait_until_settled


@pytest.mark.parametrize("edition", ["full", "student"])
def test_page_loads_without_an_error(browser, request, edition, book_page):
    if edition == "full":
        root, url = HTML, request.getfixturevalue("book_url")
    else:
        root = request.getfixturevalue("student_html")
        url = request.getfixturevalue("student_url")
    assert (root / book_page).exists(), f"the {edition} edition has no {book_page}"
    page = confined_page(browser, url)
    try:
        open_book_page(page, url, book_page, root=root)
        expand_all(page)
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_load_state("networkidle")
        wait_until_settled(page, quiet_ms=300, limit_ms=3000)
        problems = {
            "console errors": page.console_errors,
            "failed requests": page.failed_requests,
            "requests to another host": page.outside_requests,
        }
        assert not any(problems.values()), f"{edition} edition, {book_page}: {problems}"
    finally:
        page.context.close()
