"""axe-core finds no serious or critical accessibility violation on any page of the book.

axe-core comes from npm (node_modules, pinned by package-lock.json) and runs in
Chromium on every HTML page of the built book with its default rules, in the theme's
light mode, with every collapsed block (solutions, hidden inputs) opened
(conftest.prepare_page);
tests/browser/test_dark_mode.py checks contrast in dark mode. Violations the theme
brings by default are fixed in _templates/ (and _static/a11y.css); see
_templates/README.md.
"""

from __future__ import annotations

from conftest import HTML, axe_everything, book_pages, describe_axe, open_book_page

BLOCKING = ("serious", "critical")
MENUS = (
    ".dropdown-launch-buttons",
    ".dropdown-download-buttons",
    ".dropdown-source-buttons",
)


def _blocking(results: dict) -> list[dict]:
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def test_page_has_no_serious_or_critical_axe_violations(shared_page, book_page, axe):
    blocking = _blocking(axe_everything(shared_page, axe))
    assert not blocking, f"{book_page}:\n{describe_axe(blocking)}"


def test_open_header_menus_have_no_serious_or_critical_violations(page, book_url, axe):
    """The launch (Colab, Binder), download and repository menus, each opened."""
    with_menus = [
        p for p in book_pages() if "dropdown-launch-buttons" in (HTML / p).read_text()
    ]
    assert with_menus, "no page of the book has launch buttons (Colab, Binder)"
    open_book_page(page, book_url, with_menus[0], "light")
    found = 0
    for menu in MENUS:
        button = page.locator(f"{menu} > button")
        if not button.count():
            continue
        found += 1
        button.first.click()
        page.locator(f"{menu} .dropdown-menu").first.wait_for(state="visible")
        blocking = _blocking(axe(page, [[menu]]))
        assert not blocking, f"{menu} open:\n{describe_axe(blocking)}"
        page.keyboard.press("Escape")
    assert found, "the chapter page has no launch, download or repository menu"
