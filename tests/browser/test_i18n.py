"""The Spanish and Korean editions in Chromium: axe-core, `<html lang>`, Korean glyphs.

The editions come from _build/es/html and _build/ko/html (`make test` builds them
first: mk/i18n.mk), from ES_HTML / KO_HTML, or are built now into a temporary folder.
Korean needs a font with Hangul: Debian's fonts-noto-cjk here (`make fonts`, which
`make browser` runs); readers get the system fonts _static/i18n.css names.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from conftest import ROOT, confined_page, describe_axe, expand_all, open_book_page
from support.browser import serve

PAGES = ["intro.html", "chapters/01_why_padding_wastes.html",
         "chapters/02_what_packing_produces.html", "reference/glossary.html"]
BLOCKING = ("serious", "critical")


def _edition(lang: str, tmp_path_factory) -> pathlib.Path:
    given = os.environ.get(f"{lang.upper()}_HTML")
    html = pathlib.Path(given) if given else ROOT / "_build" / lang / "html"
    if (html / "index.html").exists():
        return html
    if given:
        pytest.fail(f"{lang.upper()}_HTML={given} holds no built book")
    html = tmp_path_factory.mktemp(lang) / "html"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "translations.py"), "build", "--lang", lang,
         "--out", str(html)], capture_output=True, text=True, timeout=900, check=False,
        cwd=ROOT)
    if result.returncode:
        pytest.fail(f"the {lang} edition did not build:\n" + result.stdout[-3000:]
                    + result.stderr[-3000:])
    return html


@pytest.fixture(scope="session", params=["es", "ko"])
def edition(request, tmp_path_factory):
    html = _edition(request.param, tmp_path_factory)
    with serve(html) as url:
        yield request.param, html, url


@pytest.fixture(scope="session")
def korean(tmp_path_factory):
    html = _edition("ko", tmp_path_factory)
    with serve(html) as url:
        yield html, url


@pytest.mark.parametrize("book_page_", PAGES)
def test_translated_page_has_no_serious_axe_violation(browser, edition, book_page_, axe):
    lang, html, url = edition
    page = confined_page(browser, url)
    try:
        open_book_page(page, url, book_page_, "light", root=html)
        assert page.evaluate("document.documentElement.lang") == lang
        expand_all(page)
        blocking = [v for v in axe(page)["violations"] if v["impact"] in BLOCKING]
        assert not blocking, f"{lang}/{book_page_}:\n{describe_axe(blocking)}"
        assert not page.outside_requests, page.outside_requests
        assert not page.failed_requests, page.failed_requests
    finally:
        page.context.close()


def test_language_links_reach_the_same_page_of_each_edition(browser, korean):
    """On the published layout (ko/ beside the English root), each link of the list
    resolves to the same page; here the Korean edition links English and Spanish."""
    html, url = korean
    page = confined_page(browser, url)
    try:
        page.goto(f"{url}/chapters/03_recurrent_layers.html")
        links = page.eval_on_selector_all(
            "nav.book-languages a", "els => els.map(a => [a.lang, a.getAttribute('href')])")
        assert dict(links) == {"en": "../../chapters/03_recurrent_layers.html",
                               "es": "../../es/chapters/03_recurrent_layers.html"}
        current = page.locator("nav.book-languages [aria-current=page]")
        assert current.inner_text() == "한국어" and current.get_attribute("lang") == "ko"
    finally:
        page.context.close()


# A code point no font draws (a private-use one): Chromium shows its tofu box.
TOFU = "\U0010fffd"


def _draw(page, text: str, font: str) -> str:
    """The pixels of `text` drawn on a canvas in `font`, as a data URL."""
    return page.evaluate(
        """([text, font]) => {
          const c = document.createElement('canvas');
          c.width = 400; c.height = 80;
          const g = c.getContext('2d');
          g.font = font; g.fillStyle = '#000'; g.textBaseline = 'top';
          g.fillText(text, 4, 4);
          return c.toDataURL();
        }""",
        [text, font],
    )


def test_korean_heading_is_drawn_with_hangul_glyphs_not_tofu(browser, korean):
    html, url = korean
    page = confined_page(browser, url)
    try:
        page.goto(f"{url}/reference/glossary.html", wait_until="load")
        page.evaluate("document.fonts.ready")
        heading = page.locator("article h1").first
        text = heading.inner_text()
        if not any("\uac00" <= ch <= "\ud7a3" for ch in text):
            text = "용어집"  # the glossary's title, until the catalogs bring it
            heading.evaluate("(h, t) => { h.textContent = t; }", text)
        hangul = [ch for ch in text if "\uac00" <= ch <= "\ud7a3"]
        family = heading.evaluate("h => getComputedStyle(h).fontFamily")
        assert "Apple SD Gothic Neo" in family and "Noto Sans CJK KR" in family, family
        # The heading as shown, against the same heading with every letter a tofu box.
        shown = heading.screenshot()
        heading.evaluate("(h, t) => { h.textContent = t; }", TOFU * len(text))
        boxes = heading.screenshot()
        assert shown != boxes, "the Korean heading is drawn as tofu boxes"
        # Each Hangul syllable has a shape of its own; tofu boxes are all the same.
        font = heading.evaluate(
            "h => { const s = getComputedStyle(h); "
            "return `${s.fontSize} ${s.fontFamily}`; }")
        drawn = {ch: _draw(page, ch, font) for ch in sorted(set(hangul))[:6] + ["가", "힣"]}
        tofu = _draw(page, TOFU, font)
        assert tofu not in drawn.values(), "a Hangul syllable is drawn as a tofu box"
        assert len(set(drawn.values())) == len(drawn), "Hangul syllables look alike"
        assert page.evaluate("f => document.fonts.check(f, '가')", font)
    finally:
        page.context.close()
