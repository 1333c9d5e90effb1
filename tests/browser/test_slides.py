"""The slide decks of `make slides` in Chromium, at 1280x720, as a projector shows them.

Each deck in the slides folder (SLIDES_HTML, default `_build/slides`; `make slides`
builds it) is opened at 1280x720 on a local server and walked slide by slide with the
Reveal API. Checked for every deck:

- it loads nothing from another host (such requests are aborted and recorded), nothing
  local is missing, and the console stays free of errors;
- every slide fits: its content is no taller and no wider than the 1280x720 slide, and
  nothing in it is cut (no box that scrolls or clips its content). A failure lists each
  slide that does not fit: chapter, slide number, measured size and its first words;
- MathJax typeset every `$math$`, and no MyST syntax is left in the text;
- widgets are static pictures that fit the slide (chapter 1's waste explorer);
- axe-core finds nothing serious on the page or on any slide.
The checks of a deck that only read it share one load of it (`shared_deck`); the checks
of chapter 1's deck that look at one slide or change one load it for themselves.
"""

from __future__ import annotations

import os
import pathlib
import re

import pytest
from support.browser import confine, record_console_errors, serve

ROOT = pathlib.Path(__file__).resolve().parents[2]
SLIDES = pathlib.Path(os.environ.get("SLIDES_HTML") or ROOT / "_build" / "slides").resolve()
WIDTH, HEIGHT = 1280, 720
CHAPTER_1 = "01_why_padding_wastes.slides.html"


def decks() -> list[str]:
    return sorted(p.name for p in SLIDES.glob("*.slides.html")) or [CHAPTER_1]


@pytest.fixture(scope="module")
def slides_url():
    if not (SLIDES / CHAPTER_1).exists():
        pytest.fail(
            f"no slide decks in {SLIDES}: run `make slides` first, or set SLIDES_HTML"
        )
    with serve(SLIDES) as url:
        yield url


def new_deck_page(browser, slides_url: str):
    """A 1280x720 page confined to the slides server; records what failed to load."""
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    page.outside_requests = confine(context, slides_url)
    page.console_errors = record_console_errors(page)
    page.missing = []
    page.on(
        "response", lambda r: r.status >= 400 and page.missing.append(f"{r.status} {r.url}")
    )
    page.base_url = slides_url
    return page


@pytest.fixture
def deck_page(browser, slides_url):
    page = new_deck_page(browser, slides_url)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def open_decks(browser, slides_url):
    """Each deck opened once for the tests that only read it: {deck: page}."""
    pages: dict = {}
    yield pages
    for page in pages.values():
        page.context.close()


@pytest.fixture
def shared_deck(open_decks, browser, slides_url, deck):
    """`deck`, opened once for every test of it that only reads it (the page records
    what went wrong from its load on; `page.measured` is `walk` of it, done once)."""
    if deck not in open_decks:
        page = new_deck_page(browser, slides_url)
        open_deck(page, deck)
        # Every slide shown once, so anything loaded on demand is loaded.
        page.measured = walk(page)
        page.wait_for_load_state("networkidle")
        open_decks[deck] = page
    return open_decks[deck]


def open_deck(page, deck: str) -> None:
    """Open a deck and wait until Reveal, MathJax and the fonts are ready.

    Sets `page.mathjax` to whether MathJax started (a missing MathJax is reported by
    the tests that need it, with what failed to load)."""
    page.goto(f"{page.base_url}/{deck}", wait_until="load")
    try:
        page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=20_000)
    except Exception:
        pytest.fail(
            f"{deck}: reveal.js did not start (missing: {page.missing}, "
            f"outside: {page.outside_requests}, errors: {page.console_errors})"
        )
    page.mathjax = page.evaluate(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
        "  ? MathJax.startup.promise.then(() => true) : false"
    )
    page.evaluate("document.fonts.ready.then(() => true)")
    page.evaluate(
        "Promise.all([...document.images].map((i) => i.decode().catch(() => null)))"
    )


# Measures the current slide in slide pixels (before reveal.js scales the deck):
# the box of everything in it relative to the slide area, its scroll size, and every
# element that clips or scrolls its content (cut).
MEASURE_JS = """
() => {
  const slide = Reveal.getCurrentSlide();
  const area = document.querySelector('.reveal .slides').getBoundingClientRect();
  const scale = Reveal.getScale();
  let top = Infinity, left = Infinity, bottom = -Infinity, right = -Infinity;
  const cut = [];
  const describe = (el) => {
    const cls = (el.className && el.className.baseVal === undefined) ? el.className : '';
    const classes = cls ? '.' + String(cls).trim().split(/\\s+/).join('.') : '';
    return el.tagName.toLowerCase() + classes;
  };
  for (const el of [slide, ...slide.querySelectorAll('*')]) {
    // MathJax's copy for screen readers is clipped on purpose.
    if (el.closest('mjx-assistive-mml')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    top = Math.min(top, (r.top - area.top) / scale);
    left = Math.min(left, (r.left - area.left) / scale);
    bottom = Math.max(bottom, (r.bottom - area.top) / scale);
    right = Math.max(right, (r.right - area.left) / scale);
    if (el === slide) continue;
    const style = getComputedStyle(el);
    const clipsX = style.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1;
    const clipsY = style.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1;
    if (clipsX || clipsY) {
      cut.push(`${describe(el)} shows ${el.clientWidth}x${el.clientHeight} of ` +
               `${el.scrollWidth}x${el.scrollHeight}`);
    }
  }
  const indices = Reveal.getIndices();
  return {
    number: Reveal.getSlidePastCount() + 1,
    total: Reveal.getTotalSlides(),
    h: indices.h, v: indices.v,
    top, left, bottom, right,
    width: right - left, height: bottom - top,
    scrollWidth: slide.scrollWidth, scrollHeight: slide.scrollHeight,
    cut,
    words: slide.innerText.replace(/\\s+/g, ' ').trim().slice(0, 70),
  };
}
"""


def walk(page) -> list[dict]:
    """Go to every slide (each with all its fragments shown) and measure it."""
    slides = page.evaluate(
        "Reveal.getSlides().map((s) => {"
        "  const i = Reveal.getIndices(s); return [i.h, i.v || 0]; })"
    )
    measured = []
    for h, v in slides:
        page.evaluate(f"Reveal.slide({h}, {v}, 1000)")  # 1000: past the last fragment
        measured.append(page.evaluate(MEASURE_JS))
    return measured


def misfits(measured: list[dict], tolerance: float = 1.0) -> list[str]:
    """One line per slide that does not fit 1280x720 or cuts something."""
    lines = []
    for m in measured:
        problems = []
        if m["top"] < -tolerance or m["bottom"] > HEIGHT + tolerance:
            problems.append(
                f"content {m['height']:.0f} px tall (from y={m['top']:.0f} to "
                f"{m['bottom']:.0f}; the slide is {HEIGHT})"
            )
        if m["left"] < -tolerance or m["right"] > WIDTH + tolerance:
            problems.append(
                f"content {m['width']:.0f} px wide (from x={m['left']:.0f} to "
                f"{m['right']:.0f}; the slide is {WIDTH})"
            )
        if m["scrollHeight"] > HEIGHT + tolerance or m["scrollWidth"] > WIDTH + tolerance:
            problems.append(f"scrolls: {m['scrollWidth']}x{m['scrollHeight']}")
        if m["cut"]:
            problems.append("cut: " + "; ".join(m["cut"]))
        if problems:
            lines.append(
                f"slide {m['number']}/{m['total']} (#/{m['h']}/{m['v']}, "
                f'"{m["words"]}"): ' + ", ".join(problems)
            )
    return lines


@pytest.mark.parametrize("deck", decks())
def test_deck_loads_nothing_from_outside_and_nothing_is_missing(shared_deck, deck):
    deck_page = shared_deck  # every slide shown once, the network idle
    assert deck_page.outside_requests == [], f"{deck} asked other hosts"
    assert deck_page.missing == [], f"{deck}: missing files"
    assert deck_page.console_errors == [], f"{deck}: console errors"


@pytest.mark.parametrize("deck", decks())
def test_every_slide_fits_1280x720_without_scrolling(shared_deck, deck):
    deck_page = shared_deck
    config = deck_page.evaluate("[Reveal.getConfig().width, Reveal.getConfig().height]")
    assert config == [WIDTH, HEIGHT], f"{deck} is laid out for {config}, not 1280x720"
    measured = deck_page.measured
    assert len(measured) == deck_page.evaluate("Reveal.getTotalSlides()") > 0
    index = (SLIDES / "index.html").read_text(encoding="utf-8")
    listed = re.search(rf'href="{re.escape(deck)}">.*?\((\d+) slides\)', index)
    assert listed and int(listed[1]) == len(measured), f"index.html miscounts {deck}"
    bad = misfits(measured)
    assert not bad, (
        f"{deck}: {len(bad)} of {len(measured)} slides do not fit 1280x720:\n"
        + ("\n".join(bad))
    )


@pytest.mark.parametrize("deck", decks())
def test_math_is_typeset_and_no_myst_syntax_is_left(shared_deck, deck):
    deck_page = shared_deck
    assert deck_page.mathjax, (
        f"{deck}: MathJax did not start (missing: {deck_page.missing})"
    )
    text = deck_page.evaluate(
        """() => {
          const parts = [];
          const cells = document.querySelectorAll('.reveal .slides .jp-MarkdownCell');
          for (const cell of cells) {
            const copy = cell.cloneNode(true);
            copy.querySelectorAll('mjx-container, code, pre').forEach((e) => e.remove());
            parts.push(copy.textContent);
          }
          return parts.join('\\n');
        }"""
    )
    leftovers = re.findall(
        r"\$[^$\n]+\$|:::|```|\{[a-z][\w:-]*\}`|\([\w-]+\)=|\{(?:admonition|exercise|note|tip)\}",
        text,
    )
    assert leftovers == [], f"{deck}: MyST or TeX left untouched on the slides"
    if "$" in "".join(
        c.get("source", "")
        if isinstance(c.get("source"), str)
        else "".join(c.get("source", []))
        for c in _tagged_markdown(deck)
    ):
        assert deck_page.evaluate("document.querySelectorAll('mjx-container').length") > 0


def _tagged_markdown(deck: str) -> list[dict]:
    import json

    stem = deck.removesuffix(".slides.html")
    for path in ROOT.glob(f"**/{stem}.ipynb"):
        nb = json.loads(path.read_text(encoding="utf-8"))
        tags = ("slide", "subslide", "fragment")
        return [
            c
            for c in nb["cells"]
            if c["cell_type"] == "markdown"
            and any(t in c.get("metadata", {}).get("tags", []) for t in tags)
        ]
    return []


def test_chapter_1_title_slide_shows_its_boxes_and_math(deck_page):
    open_deck(deck_page, CHAPTER_1)
    first = deck_page.evaluate(
        """() => {
          const s = Reveal.getSlides()[0];
          return {
            h1: s.querySelector('h1').textContent.replace('¶', '').trim(),
            boxes: [...s.querySelectorAll('.admonition > .admonition-title')]
              .map((t) => t.textContent.trim()),
            items: s.querySelectorAll('.admonition li').length,
            math: s.querySelectorAll('mjx-container').length,
          };
        }"""
    )
    assert first == {
        "h1": "Why padding wastes compute",
        "boxes": ["What you will learn", "Prerequisites"],
        "items": 6,
        "math": 2,
    }


def test_chapter_1_exercise_is_a_titled_box_without_its_solution(deck_page):
    open_deck(deck_page, CHAPTER_1)
    text = deck_page.evaluate("document.querySelector('.reveal .slides').textContent")
    titles = deck_page.evaluate(
        "[...document.querySelectorAll('.admonition.exercise > .admonition-title')]"
        ".map((t) => t.textContent.trim())"
    )
    assert titles == ["Exercise"]
    assert "How many cell updates does a padded run" in text
    assert "Correct." not in text and "answer_predict = (9, 7)" not in text
    assert "REPO_URL" not in text  # the setup cell


def test_chapter_1_widget_is_a_picture_that_fits(deck_page):
    open_deck(deck_page, CHAPTER_1)
    assert (
        deck_page.evaluate(
            "document.querySelectorAll('script[type^=\"application/vnd.jupyter.widget\"]').length"
        )
        == 0
    ), "the deck carries widget code; it should show pictures"
    pictures = deck_page.evaluate(
        """() => [...document.querySelectorAll('img[alt^="Picture of the widget"]')]
           .map((img) => {
             const i = Reveal.getIndices(img.closest('section'));
             return {alt: img.alt, h: i.h, v: i.v || 0};
           })"""
    )
    assert len(pictures) == 1, pictures
    picture = pictures[0]
    assert picture["alt"].startswith("Picture of the widget waste_explorer(batch_size=8")
    deck_page.evaluate(f"Reveal.slide({picture['h']}, {picture['v']})")
    shown = deck_page.evaluate(
        """() => { const img = Reveal.getCurrentSlide().querySelector('img');
                   return [img.naturalWidth, img.offsetWidth, img.offsetHeight]; }"""
    )
    assert shown[0] > 0 and 0 < shown[1] <= WIDTH and 0 < shown[2] <= HEIGHT
    assert misfits([deck_page.evaluate(MEASURE_JS)]) == []


def test_the_fit_check_catches_a_slide_that_is_too_tall(deck_page):
    """The measurement itself: a slide made too tall or too wide on purpose fails."""
    open_deck(deck_page, CHAPTER_1)
    deck_page.evaluate("Reveal.slide(1, 0)")
    assert misfits([deck_page.evaluate(MEASURE_JS)]) == []
    deck_page.evaluate(
        "Reveal.getCurrentSlide().insertAdjacentHTML('beforeend', "
        "'<div style=\"height: 900px\">tall</div>')"
    )
    deck_page.evaluate("Reveal.layout()")
    assert any("px tall" in line for line in misfits([deck_page.evaluate(MEASURE_JS)]))
    deck_page.evaluate(
        "Reveal.getCurrentSlide().lastElementChild.outerHTML = "
        "'<pre style=\"overflow-x: auto\">' + 'x'.repeat(400) + '</pre>'"
    )
    deck_page.evaluate("Reveal.layout()")
    assert any("cut: pre" in line for line in misfits([deck_page.evaluate(MEASURE_JS)]))


# One round trip per slide: show it (no fades, a moment to draw), take every other slide
# out of the page, run axe-core on the present one, put the others back. The others go
# out because axe-core reads the whole document on every run, and a deck holds every
# slide; what axe checks of the present slide does not depend on them: its colours,
# names and roles come from it and from the deck around it, which stays. Slide 1 is
# checked with every slide in the page: the page as a whole (controls, slide number).
# Only violations are collected in full (axe's resultTypes): the test reads nothing else.
_SLIDE_AXE_JS = """
async ([h, v, alone]) => {
  Reveal.slide(h, v, 1000);
  await new Promise((done) => setTimeout(done, 50));
  const present = Reveal.getCurrentSlide();
  const held = [];
  if (alone) {
    for (const slide of Reveal.getSlides()) {
      if (slide === present) continue;
      const stand = document.createComment('held while axe runs');
      slide.replaceWith(stand);
      held.push([stand, slide]);
    }
  }
  try {
    const context = alone ? '.reveal .slides section.present' : document;
    const result = await axe.run(context, {resultTypes: ['violations']});
    return {held: held.length, violations: result.violations};
  } finally {
    for (const [stand, slide] of held) stand.replaceWith(slide);
  }
}
"""


@pytest.mark.parametrize("deck", [*decks(), "index.html"])
def test_deck_has_no_serious_or_critical_axe_violations(request, axe, deck):
    """axe-core on the page (controls, slide number) and on every slide in turn."""
    from conftest import AXE_JS, describe_axe

    def serious(found):
        return [v for v in found if v["impact"] in ("serious", "critical")]

    if deck == "index.html":
        deck_page = request.getfixturevalue("deck_page")
        deck_page.goto(f"{deck_page.base_url}/index.html", wait_until="load")
        bad = serious(axe(deck_page)["violations"])
        assert not bad, f"{deck}:\n{describe_axe(bad)}"
        return
    # The last test of each deck: it may change the deck (no fades, slides taken out).
    deck_page = request.getfixturevalue("shared_deck")
    # Fragments and slides appear at once (no fade), so each slide is checked as soon as
    # it is shown, in its final colours.
    deck_page.add_style_tag(content=".reveal .slides section, .reveal .slides section "
                                    ".fragment { transition: none !important; }")
    if not deck_page.evaluate("typeof window.axe !== 'undefined'"):
        deck_page.add_script_tag(path=str(AXE_JS))  # the `axe` fixture checked it exists
    total = deck_page.evaluate("Reveal.getTotalSlides()")
    report = []
    for m in deck_page.measured:
        alone = m["number"] != 1
        got = deck_page.evaluate(_SLIDE_AXE_JS, [m["h"], m["v"], alone])
        assert got["held"] == (total - 1 if alone else 0), (
            f"{deck}: {got['held']} slides taken out of {total}")
        bad = serious(got["violations"])
        if bad:
            report.append(f"slide {m['number']}/{m['total']}:\n{describe_axe(bad)}")
    assert deck_page.evaluate("Reveal.getSlides().length") == total
    assert not report, f"{deck}:\n" + "\n".join(report)
