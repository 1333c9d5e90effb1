"""The slide decks (scripts/slides.py, `make slides`) and the book's links to them.

Without a browser: how MyST becomes slide Markdown, which cells may go on a slide
(every chapter's tags are checked), the deck of chapter 1 as the exporter gets it, a
scan of every built deck for anything loaded from outside or missing, the widget
picture, and the "Slides" link of _ext/slides_link.py in the built book. The browser
checks (fit at 1280x720, requests, MathJax) are in tests/browser/test_slides.py.
"""

from __future__ import annotations

import base64
import html.parser
import importlib.util
import io
import json
import os
import pathlib
import re
import sys

import nbformat
import pytest
from support import HTML, ROOT, python_notebook, toc_files

sys.path.insert(0, str(ROOT / "_ext"))
import slides_link  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "book_slides", ROOT / "scripts" / "slides.py"
)
slides = sys.modules["book_slides"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(slides)

SLIDES = pathlib.Path(os.environ.get("SLIDES_HTML") or ROOT / "_build" / "slides").resolve()
CHAPTER_1 = ROOT / "chapters" / "01_why_padding_wastes.ipynb"
NOTEBOOKS = [
    ROOT / f"{name}.ipynb" for name in toc_files() if (ROOT / f"{name}.ipynb").exists()
]


def myst(
    text: str, glue: dict | None = None, path: pathlib.Path = CHAPTER_1
) -> tuple[str, list]:
    converter = slides.Myst(path, glue or {}, slides.Book.read())
    return converter.block(text), converter.warnings


# ---- MyST -> slide Markdown ----------------------------------------------------------


def test_an_admonition_becomes_a_titled_box_with_its_markdown_inside():
    out, warnings = myst(
        ":::{admonition} What you will learn\n:class: tip\n- one\n- *two*\n:::"
    )
    assert out.strip().startswith('<div class="admonition tip">')
    assert '<p class="admonition-title"><strong>What you will learn</strong></p>' in out
    assert "\n- one\n- *two*\n" in out and ":class:" not in out and ":::" not in out
    assert warnings == []


def test_named_boxes_nested_boxes_and_exercises():
    out, _ = myst("::::{note}\nOuter.\n:::{warning}\nInner.\n:::\n::::")
    assert out.count('<div class="admonition') == 2 and "Outer." in out and "Inner." in out
    assert (
        out.index("Note") < out.index("Outer.") < out.index("Warning") < out.index("Inner.")
    )
    out, _ = myst("```{exercise}\n:label: ch01-ex-x\nPredict the count.\n```")
    assert '<div class="admonition exercise">' in out and ">Exercise</strong></p>" in out
    assert "ch01-ex-x" not in out and "Predict the count." in out


def test_solutions_targets_and_comments_leave_nothing():
    out, _ = myst(
        "(ch07-label)=\n## Heading\n% a comment\n```{solution-start} x\n"
        ":class: dropdown\n```\n```{solution-end}\n```\nAfter."
    )
    assert out.split() == ["##", "Heading", "After."]


def test_glue_roles_show_the_stored_value_formatted_as_the_book_does():
    glue = {
        "ratio": {"text/plain": "4.775494631274868"},
        "n": {"text/plain": "1369"},
        "flag": {"text/plain": "True"},
    }
    out, warnings = myst(
        "{glue:text}`ratio:.2f` times, {glue:text}`n` steps, {glue}`flag`.", glue
    )
    assert out == "4.78 times, 1369 steps, True."
    assert warnings == []
    out, warnings = myst("{glue:text}`missing:.1f`", glue)
    assert out == "missing:.1f" and "no glued value 'missing'" in warnings[0]


def test_glue_values_are_read_from_the_scrapbook_outputs():
    nb = python_notebook([nbformat.v4.new_code_cell("glue('x', 2.5)")])
    nb.cells[0].outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/papermill.record/text/plain": "2.5"},
            metadata={
                "scrapbook": {"name": "x", "mime_prefix": "application/papermill.record/"}
            },
        )
    ]
    assert slides.glue_values(nb) == {"x": {"text/plain": "2.5"}}


def test_doc_and_ref_roles_become_plain_text():
    chapter_6 = ROOT / "chapters" / "06_does_packing_pay.ipynb"
    title = slides.first_heading(
        nbformat.read(ROOT / "reference" / "benchmark_details.ipynb", as_version=4)
        .cells[0]
        .source
    )
    out, warnings = myst("See {doc}`../reference/benchmark_details`.", path=chapter_6)
    assert out == f'See <span class="doc-link">{slides.plain(title)}</span>.'
    assert warnings == []
    out, _ = myst(
        "See {doc}`the appendix <../reference/benchmark_details>`.", path=chapter_6
    )
    assert out == 'See <span class="doc-link">the appendix</span>.'
    out, _ = myst("{ref}`this section <ch07-too-long>`, {math}`x^2`, {kbd}`S`")
    assert out == "this section, $x^2$, <kbd>S</kbd>"
    out, warnings = myst("{doc}`nowhere`")
    assert "nowhere" in out and "no such page" in warnings[0]


def test_code_is_left_as_it_is():
    text = "Write `{doc}` roles and `(x)=` targets.\n\n```python\n{glue}`x`\n:::\n```"
    out, warnings = myst(text)
    assert out == text and warnings == []


def test_an_unknown_directive_warns_and_keeps_its_text():
    out, warnings = myst(":::{mystery} arg\nStill shown.\n:::")
    assert "Still shown." in out and "{mystery}" not in out
    assert "has no slide form" in warnings[0]


# ---- which cells go on slides --------------------------------------------------------


def test_chapter_1_hidden_cells_are_the_setup_cell_and_the_solutions():
    nb = nbformat.read(CHAPTER_1, as_version=4)
    hidden = slides.hidden_cells(nb)
    assert hidden.pop(1) == "the setup cell" and "REPO_URL" in nb.cells[1].source
    starts = [i for i, c in enumerate(nb.cells) if "{solution-start}" in c.source]
    ends = [i for i, c in enumerate(nb.cells) if "{solution-end}" in c.source]
    assert len(starts) == len(ends) == 4
    expected = {i for a, b in zip(starts, ends) for i in range(a, b)}
    assert hidden == dict.fromkeys(expected, "part of a solution")
    assert any("answer_predict = (9, 7)" in nb.cells[i].source for i in hidden)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_setup_solution_or_removed_cell_is_tagged_for_a_slide(path):
    """CONTRIBUTING.md, "Slides": such tags would be silently dropped from the deck."""
    nb = nbformat.read(path, as_version=4)
    hidden = slides.hidden_cells(nb)
    wrong = [
        f"cell {i} ({hidden[i]}): {nb.cells[i].source[:50]!r}"
        for i in slides_link.deck_cells(nb)
        if i in hidden
    ]
    assert not wrong, f"{path.name}: tagged for slides but never shown:\n" + "\n".join(
        wrong
    )


def test_chapter_1_deck_as_the_exporter_gets_it():
    deck = slides.prepare(CHAPTER_1, slides.Book.read(), pictures=None)
    nb = nbformat.read(CHAPTER_1, as_version=4)
    tagged = slides_link.deck_cells(nb)
    assert deck.slides == 15 and deck.title == "Why padding wastes compute"
    for i, (cell, original) in enumerate(zip(deck.nb.cells, nb.cells)):
        kind = cell.metadata.slideshow.slide_type
        assert kind == (slides_link.slide_type(original) or "skip"), i
    assert [deck.nb.cells[i].metadata.slideshow.slide_type for i in tagged].count(
        "slide"
    ) == 15
    # remove-input cells show their output only; the figure keeps its alt text.
    figure = deck.nb.cells[6]
    assert figure.metadata.transient == {"remove_source": True}
    assert (
        figure.outputs[0].metadata["packviz_alt"].startswith("Eight rows of coloured cells")
    )
    # Without pictures, the widget is shown as its text; nothing of it is left.
    widget = deck.nb.cells[49]
    assert widget.outputs[0].output_type == "stream"
    assert "waste_explorer(batch_size=8" in widget.outputs[0].text
    assert "widgets" not in deck.nb.metadata
    # The Summary's trailing "## Exercises" heading opens cells that are not slides.
    assert deck.nb.cells[50].source.rstrip().endswith("batch size.")
    assert deck.warnings == []


def test_a_tagged_solution_is_left_out_with_a_warning(tmp_path):
    nb = nbformat.read(CHAPTER_1, as_version=4)
    solution = next(
        i for i, c in enumerate(nb.cells) if "answer_predict = (9, 7)" in c.source
    )
    nb.cells[solution].metadata.setdefault("tags", []).append("slide")
    path = tmp_path / CHAPTER_1.name
    nbformat.write(nb, path)
    original = slides.ROOT
    slides.ROOT = tmp_path  # warnings name the notebook relative to ROOT
    try:
        deck = slides.prepare(path, slides.Book(), pictures=None)
    finally:
        slides.ROOT = original
    assert deck.nb.cells[solution].metadata.slideshow.slide_type == "skip"
    assert any(
        f"cell {solution} is tagged 'slide' but is part of a solution" in w
        for w in deck.warnings
    )


# ---- the built decks -----------------------------------------------------------------


class _Loads(html.parser.HTMLParser):
    """Every address an HTML page loads (not the ones it links to), and its CSS."""

    LOADING = {
        ("script", "src"),
        ("img", "src"),
        ("iframe", "src"),
        ("source", "src"),
        ("audio", "src"),
        ("video", "src"),
        ("embed", "src"),
        ("track", "src"),
        ("object", "data"),
        ("video", "poster"),
        ("input", "src"),
        ("link", "href"),
    }

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if (tag, name) in self.LOADING and value:
                if tag == "link" and values.get("rel") in ("canonical", "alternate"):
                    continue
                self.urls.append(value)
            if name == "srcset" and value:
                self.urls += [part.split()[0] for part in value.split(",") if part.strip()]
            if name == "style" and value:
                self.css.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.css.append(data)


CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)|@import\s+['\"]([^'\"]+)['\"]")


def loads(page: str) -> list[str]:
    """The addresses an HTML page loads: tags that fetch, and url()/@import in its CSS."""
    parser = _Loads()
    parser.feed(page)
    urls = list(parser.urls)
    for css in parser.css:
        urls += [a or b for a, b in CSS_URL.findall(CSS_COMMENT.sub("", css))]
    return urls


def css_loads(css: str) -> list[str]:
    return [a or b for a, b in CSS_URL.findall(CSS_COMMENT.sub("", css))]


def outside(urls: list[str]) -> list[str]:
    return [
        u
        for u in urls
        if re.match(r"^([a-z][\w+.-]*:|//)", u, re.I)
        and not u.startswith(("data:", "blob:"))
    ]


def test_the_scan_finds_what_a_page_loads_from_outside():
    page = """<html><head><script src="https://cdn.example/require.js"></script>
    <link rel="stylesheet" href="//cdn.example/x.css"><link rel="canonical" href="https://b/">
    <style>/* https://not-loaded.example/ */
    .a { background: url("http://e.example/i.png") }
    @import "https://fonts.example/f.css";</style></head>
    <body><a href="https://docs.example/">a link is not a load</a>
    <img src="data:image/png;base64,AAAA"><img src="local.png"></body></html>"""
    assert outside(loads(page)) == [
        "https://cdn.example/require.js",
        "//cdn.example/x.css",
        "http://e.example/i.png",
        "https://fonts.example/f.css",
    ]
    assert "local.png" in loads(page)


@pytest.fixture(scope="module")
def built_slides():
    if not (SLIDES / "index.html").exists():
        pytest.fail(
            f"no slide decks in {SLIDES}: run `make slides` first, or set SLIDES_HTML"
        )
    return SLIDES


@pytest.mark.book
def test_every_chapter_with_slide_tags_has_a_deck_and_the_index_lists_it(built_slides):
    expected = [p.stem for p in NOTEBOOKS if slides_link.has_deck(p)]
    found = sorted(
        p.name.removesuffix(".slides.html") for p in built_slides.glob("*.slides.html")
    )
    assert found == sorted(expected)
    index = (built_slides / "index.html").read_text(encoding="utf-8")
    decks, footer = index.split("<footer>")  # the footer links the licences
    assert re.findall(r'href="([^"]+)"', decks) == [f"{s}.slides.html" for s in expected]
    assert "creativecommons.org/licenses/by/4.0/" in footer


@pytest.mark.book
def test_decks_load_nothing_from_outside_and_every_local_file_exists(built_slides):
    problems = []
    for page in sorted(built_slides.glob("*.html")):
        for url in loads(page.read_text(encoding="utf-8")):
            if outside([url]):
                problems.append(f"{page.name} loads {url}")
            elif not url.startswith(("data:", "#")):
                target = (page.parent / url.split("#")[0].split("?")[0]).resolve()
                if not target.is_file():
                    problems.append(f"{page.name}: {url} is missing")
    for css in sorted(built_slides.rglob("*.css")):
        for url in css_loads(css.read_text(encoding="utf-8", errors="replace")):
            if outside([url]):
                problems.append(f"{css.relative_to(built_slides)} loads {url}")
    assert problems == []
    decks = list(built_slides.glob("*.slides.html"))
    assert decks, "no decks"
    for deck in decks:
        text = deck.read_text(encoding="utf-8")
        assert 'src="reveal.js/dist/reveal.js"' in text and "tex-chtml.js" in text
        assert "require.js" not in text and "jquery" not in text.lower()


@pytest.mark.book
def test_the_widget_picture_shows_what_the_widget_drew(built_slides):
    from PIL import Image

    from packviz import palette

    class Images(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.found: list[dict] = []

        def handle_starttag(self, tag, attrs):
            if tag == "img":
                self.found.append(dict(attrs))

    parser = Images()
    parser.feed(
        (built_slides / "01_why_padding_wastes.slides.html").read_text(encoding="utf-8")
    )
    images = [
        i
        for i in parser.found
        if i.get("alt", "").startswith(
            "Picture of the widget waste_explorer(batch_size=8, max_length=12, skew=1.0, "
            "seed=0)"
        )
    ]
    assert len(images) == 1
    prefix = "data:image/png;base64,"
    assert images[0]["src"].startswith(prefix)
    png = base64.b64decode(images[0]["src"][len(prefix) :])
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    assert picture.width > 400 and picture.height > 300
    colours = {f"#{r:02X}{g:02X}{b:02X}" for _, (r, g, b) in picture.getcolors(1 << 24)}
    drawn = [c for c in palette.SEQUENCE_COLORS[:-1] if c in colours]
    assert drawn, "the picture has none of the sequence colours: the widget did not draw"
    assert len(colours) > 50  # text, sliders and plots, not a blank box


# ---- the "Slides" link in the book ----------------------------------------------------


def test_the_link_is_relative_to_the_page_and_configurable():
    assert slides_link.deck_href("chapters/01_x.html", slides_link.DEFAULT_URL, "01_x") == (
        "../slides/01_x.slides.html"
    )
    assert slides_link.deck_href("intro.html", "decks/{stem}.html", "x") == "decks/x.html"
    assert slides_link.deck_href(
        "chapters/a.html", "https://s.example/{stem}.html", "a"
    ) == ("https://s.example/a.html")
    # The student edition under student/ of the site links to the one set of decks.
    assert slides_link.deck_href(
        "chapters/a.html", "../slides/{stem}.slides.html", "a"
    ) == ("../../slides/a.slides.html")
    with pytest.raises(ValueError, match="must contain"):
        slides_link.deck_href("chapters/a.html", "slides/deck.html", "a")


def test_has_deck_reads_the_tags(tmp_path):
    assert slides_link.has_deck(CHAPTER_1)
    empty = tmp_path / "x.ipynb"
    empty.write_text(
        json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# x"}]})
    )
    assert not slides_link.has_deck(empty)
    assert not slides_link.has_deck(tmp_path / "missing.ipynb")
    (tmp_path / "bad.ipynb").write_text("{not json")
    assert not slides_link.has_deck(tmp_path / "bad.ipynb")


@pytest.mark.book
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_page_with_a_deck_links_to_it_under_its_title(path):
    page_path = HTML / path.relative_to(ROOT).with_suffix(".html")
    if not page_path.exists():
        pytest.fail(f"{page_path} is not built: run `make book`, or set BOOK_HTML")
    page = page_path.read_text(encoding="utf-8")
    links = re.findall(r'<a class="slides-link[^"]*" href="([^"]+)">Slides</a>', page)
    if not slides_link.has_deck(path):
        assert links == []
        return
    assert links == [f"../slides/{path.stem}.slides.html"]
    after_title = page[page.index("</h1>") :]
    first_paragraph = re.search(r"<p[ >]", after_title).start()
    assert after_title.index('<p class="slides-link-line">') == first_paragraph


def test_widget_pictures_come_from_the_cache_when_nothing_they_depend_on_changed(
    tmp_path, monkeypatch
):
    if not (slides.WIDGET_ASSETS / "manifest.json").exists():
        pytest.fail("the widget manager is not in _widget_assets: run `make assets`")
    nb = nbformat.read(CHAPTER_1, as_version=4)
    state = nb.metadata.widgets[slides.WIDGET_STATE]
    ((index, output),) = slides.widget_jobs(nb, slides_link.deck_cells(nb))
    view = output["data"][slides.WIDGET_VIEW]
    key = slides._picture_key(state, view, 960)
    (tmp_path / f"{key}.png").write_bytes(b"png")
    (tmp_path / f"{key}.json").write_text('{"width": 3, "height": 2}')

    def no_browser(*args):
        raise AssertionError("Chromium started although the picture was cached")

    monkeypatch.setattr(slides, "_take_pictures", no_browser)
    assert slides.widget_pictures([CHAPTER_1], cache=tmp_path) == {
        (CHAPTER_1, index, view["model_id"]): (b"png", 3, 2)
    }
    # Any change to the widget's state (its JavaScript travels in it) is another key.
    changed = json.loads(json.dumps(state))
    model = changed["state"][view["model_id"]]
    model["state"]["layout"] = "IPY_MODEL_other"
    assert slides._picture_key(changed, view, 960) != key
    assert slides._picture_key(state, view, 800) != key
    with pytest.raises(AssertionError, match="Chromium started"):
        slides.widget_pictures([CHAPTER_1], cache=tmp_path / "empty")


def test_the_rise_copy_carries_the_tags_as_slideshow_metadata():
    """`--rise`: the chapter as jupyterlab-rise reads it (slide types in metadata)."""
    nb = nbformat.read(CHAPTER_1, as_version=4)
    rise = slides.rise_notebook(CHAPTER_1, slides.Book.read())
    hidden = slides.hidden_cells(nb)
    assert len(rise.cells) == len(nb.cells)
    for i, (cell, original) in enumerate(zip(rise.cells, nb.cells)):
        expected = None if i in hidden else slides_link.slide_type(original)
        assert cell.metadata.slideshow == {"slide_type": expected or "skip"}, i
        if cell.cell_type == "code":
            assert cell.source == original.source and cell.outputs == original.outputs
    assert rise.metadata.rise["theme"] == "white"  # RISE's default loads Google Fonts
    assert rise.metadata.widgets == nb.metadata.widgets
    assert (
        ":::" not in rise.cells[0].source and "What you will learn" in rise.cells[0].source
    )
    assert rise.cells[6].metadata.jupyter == {"source_hidden": True}  # remove-input
