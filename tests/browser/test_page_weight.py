"""Each page loads only what it shows (issue 20): requests, not timings.

For every page of the built book, opened in Chromium and scrolled to its end with
every block opened:
- a page without a widget loads no widget code at all (no packviz-assets/ script but
  MathJax, no require.js, html-manager or anywidget); a page with packviz widgets loads
  packviz's own manager (embed.js) and not html-manager (3.6 MB);
- no page loads Font Awesome's icon script or its full webfonts (the icons are inline
  SVG, the few webfont glyphs come from the subsets in _static/page-icons/);
- MathJax loads exactly on the pages whose own text has math.
Sizes and times are measured by benchmarks/widget_latency.py (`make widget-bench`),
not here.
"""

from __future__ import annotations

from conftest import HTML, expected_packviz_widgets

WIDGET_CODE = ("packviz-assets/embed.js", "require.js", "widgets-config.js",
               "html-manager/", "anywidget/")
FULL_ICONS = ("scripts/fontawesome.js", "vendor/fontawesome/webfonts/")


def loaded(page) -> list[str]:
    """Every URL the page requested, without the query string."""
    return [u.split("?")[0] for u in page.evaluate(
        "performance.getEntriesByType('resource').map((e) => e.name)")]


def test_page_loads_only_what_it_shows(shared_page, book_page):
    page = shared_page  # scrolled to its end with every block open: conftest.prepare_page
    urls = loaded(page)
    widget_code = [u for u in urls if any(part in u for part in WIDGET_CODE)]
    # packviz's widget manager is written into the page (_ext/page_assets.py).
    inline = page.locator("script[data-packviz-assets]").count()
    if expected_packviz_widgets(book_page):
        assert inline == 1, f"{book_page}: {inline} inline packviz widget managers"
        assert not [u for u in widget_code if "html-manager/" in u or "require.js" in u], (
            f"{book_page} loads html-manager for packviz widgets: {widget_code}")
    else:
        assert widget_code == [], f"{book_page} shows no widget and loads {widget_code}"
        assert inline == 0, f"{book_page} shows no widget and holds the widget manager"
    icons = [u for u in urls if any(part in u for part in FULL_ICONS)]
    assert icons == [], f"{book_page} loads Font Awesome's full icon set: {icons}"
    text = (HTML / book_page).read_text(encoding="utf-8")
    has_math = 'class="math' in text
    mathjax = [u for u in urls if "/mathjax/" in u]
    assert bool(mathjax) == has_math, (
        f"{book_page}: math on the page {has_math}, MathJax loaded {bool(mathjax)}")
