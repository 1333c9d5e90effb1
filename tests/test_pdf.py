"""The book as one PDF (scripts/pdf.py, `make pdf`), checked with poppler-utils.

The PDF is printed once for this module from the built book in BOOK_HTML (default
_build/html) into a temporary folder; BOOK_PDF (an environment variable) checks an
already printed one instead. What is expected comes from _toc.yml and the built HTML,
never from the script: every page _toc.yml lists, in its order, each starting a sheet
of its own at the page the contents give; every figure (its alt text in the tagged
PDF, its pixels for raster ones) and every widget's initial drawing; a number in the
footer of every page; only embedded fonts; no word beyond the margins and every line
of code and output in the text; none of the site's navigation.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
from collections import Counter

import pytest
from bs4 import BeautifulSoup
from support import HTML, ROOT, toc_files

pytestmark = pytest.mark.browser

POPPLER = ("pdftotext", "pdfinfo", "pdffonts", "pdfimages", "pdftohtml")
PT_PER_MM = 72 / 25.4
# Glyph boxes may stand a little past the box their line was laid out in.
SLACK_PT = 2.0


def load_script():
    spec = importlib.util.spec_from_file_location("book_pdf", ROOT / "scripts" / "pdf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pdf_script = load_script()


def norm(text: str) -> str:
    return " ".join(text.split())


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def book_pdf(tmp_path_factory) -> pathlib.Path:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{missing} missing: apt-get install -y poppler-utils")
    given = os.environ.get("BOOK_PDF")
    if given:
        return pathlib.Path(given)
    if not (HTML / "index.html").exists():
        pytest.fail(f"the book is not built in {HTML}: run `make book`, or set BOOK_HTML")
    out = tmp_path_factory.mktemp("pdf") / "book.pdf"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "pdf.py"), "--html", str(HTML),
         "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"scripts/pdf.py failed:\n{proc.stdout}\n{proc.stderr}"
    return out


@pytest.fixture(scope="module")
def pages_text(book_pdf) -> list[str]:
    """The text of every page (pdftotext), the first page at index 0."""
    pages = run("pdftotext", "-layout", str(book_pdf), "-").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


@pytest.fixture(scope="module")
def word_boxes(book_pdf, tmp_path_factory) -> list[dict]:
    """Every page's size and word boxes (pdftotext -bbox), in points."""
    out = tmp_path_factory.mktemp("bbox") / "words.html"
    run("pdftotext", "-bbox", str(book_pdf), str(out))
    pages = []
    page_re = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
    word_re = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                         r'yMax="([\d.]+)">(.*?)</word>')
    for width, height, body in page_re.findall(out.read_text(encoding="utf-8")):
        words = [(*map(float, m[:4]), m[4]) for m in word_re.findall(body)]
        pages.append({"width": float(width), "height": float(height), "words": words})
    return pages


def built_page(name: str) -> BeautifulSoup:
    path = HTML / f"{name}.html"
    assert path.exists(), f"{path} is missing: _toc.yml lists {name}, the build has no page"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def article(name: str):
    found = built_page(name).select_one("article.bd-article")
    assert found is not None, f"{name}.html has no article"
    return found


def page_title(name: str) -> str:
    h1 = article(name).find("h1")
    assert h1 is not None, f"{name}.html has no h1"
    for link in h1.select("a.headerlink"):
        link.decompose()
    return norm(h1.get_text(" "))


def expected_titles() -> list[str]:
    return [page_title(name) for name in toc_files()]


def first_pages(pages_text: list[str]) -> list[int]:
    """The page (1-based) each _toc.yml entry starts on: the first page after the last
    one found whose text begins with the entry's title (page 1 is the title page)."""
    found, last = [], 1
    for title in expected_titles():
        page = next((i for i in range(last + 1, len(pages_text) + 1)
                     if norm(pages_text[i - 1]).startswith(title)), None)
        assert page is not None, f"no page after page {last} begins with {title!r}"
        found.append(page)
        last = page
    return found


def test_title_page_and_every_page_of_the_toc_in_order(pages_text):
    root = built_page(toc_files()[0])
    book_title = norm(root.select_one(".logo__title").get_text(" "))
    assert norm(pages_text[0]).startswith(book_title), "page 1 is not the title page"
    names = toc_files()
    assert any(n.startswith("reference/") for n in names), "no reference pages in _toc.yml"
    starts = first_pages(pages_text)
    assert starts == sorted(set(starts)), f"pages out of _toc.yml order: {starts}"


def test_contents_give_the_page_each_entry_starts_on(pages_text):
    starts = first_pages(pages_text)
    contents = norm(" ".join(pages_text[1:starts[0] - 1]))
    assert contents, "no contents between the title page and the first page of the book"
    position = 0
    for title, start in zip(expected_titles(), starts):
        match = re.compile(re.escape(title) + r" (\d+)\b").search(contents, position)
        assert match, f"the contents do not list {title!r} with a page number"
        assert int(match.group(1)) == start, (
            f"the contents put {title!r} on page {match.group(1)}; it starts on {start}")
        position = match.end()


def test_outline_has_every_page_of_the_toc(book_pdf, pages_text):
    xml = run("pdftohtml", "-xml", "-stdout", "-i", "-q", str(book_pdf))
    outline = xml[xml.find("<outline>"):]
    items = [(int(p), squash(BeautifulSoup(t, "html.parser").get_text()))
             for p, t in re.findall(r'<item page="(\d+)">(.*?)</item>', outline, re.S)]
    assert items, "the PDF has no outline (bookmarks)"
    for title, start in zip(expected_titles(), first_pages(pages_text)):
        assert (start, squash(title)) in items, f"no bookmark for {title!r} on page {start}"


def test_every_page_has_its_number_in_the_footer(word_boxes):
    assert word_boxes, "no pages"
    bottom_pt = pdf_script.MARGIN_MM["bottom"] * PT_PER_MM
    for number, page in enumerate(word_boxes, 1):
        footer = [w[4] for w in page["words"] if w[1] > page["height"] - bottom_pt]
        assert footer == [str(number)], f"page {number}: footer says {footer}"


def test_fonts_are_embedded(book_pdf):
    lines = run("pdffonts", str(book_pdf)).splitlines()
    assert len(lines) > 2, "pdffonts lists no fonts"
    header = lines[0].split()
    emb = header.index("emb")
    # Font names have no spaces, types may ("CID TrueType"): count columns from the end.
    rows = [line.split() for line in lines[2:]]
    not_embedded = [r[0] for r in rows if r[emb - len(header)] != "yes"]
    assert not not_embedded, f"fonts not embedded: {not_embedded}"


def test_no_word_beyond_the_margins(word_boxes):
    left_pt = pdf_script.MARGIN_MM["left"] * PT_PER_MM
    right_pt = pdf_script.MARGIN_MM["right"] * PT_PER_MM
    beyond = []
    for number, page in enumerate(word_boxes, 1):
        for x0, _, x1, _, word in page["words"]:
            if x1 > page["width"] - right_pt + SLACK_PT or x0 < left_pt - SLACK_PT:
                beyond.append((number, word, round(x0), round(x1)))
    assert not beyond, f"words beyond the margins (page, word, x from, x to): {beyond[:10]}"


def test_every_line_of_code_and_output_is_printed(pages_text):
    # Without the page numbers: a line of code may run on over a page break.
    printed = squash("".join(re.sub(rf"\s{n}\s*$", "", text)
                             for n, text in enumerate(pages_text, 1)))
    lost = []
    for name in toc_files():
        for pre in article(name).select("pre"):
            for line in pre.get_text().splitlines():
                if squash(line) and squash(line) not in printed:
                    lost.append(f"{name}: {line.strip()[:80]}")
    assert not lost, f"{len(lost)} lines of code or output missing from the PDF: {lost[:8]}"


def pdf_figures(book_pdf: pathlib.Path) -> list[str]:
    """The alternative text of every figure in the tagged PDF's structure tree."""
    raw = book_pdf.read_bytes()
    strings = re.findall(rb"/S /Figure\s*/Alt (\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>)", raw,
                         re.S)
    return [pdf_string(s) for s in strings]


def pdf_string(token: bytes) -> str:
    """A PDF string object (literal or hex; PDFDocEncoding or UTF-16) as text."""
    if token.startswith(b"<"):
        data = bytes.fromhex(re.sub(rb"\s", b"", token[1:-1]).decode())
    else:
        escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
        data = re.sub(
            rb"\\([0-7]{1,3}|.)",
            lambda m: (bytes([int(m.group(1), 8)]) if m.group(1)[:1].isdigit()
                       else escapes.get(m.group(1), m.group(1))),
            token[1:-1], flags=re.S)
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be")
    return data.decode("latin-1")


def test_every_figure_is_printed(book_pdf):
    images = [img for name in toc_files() for img in article(name).find_all("img")]
    assert images, "the built book has no figures"
    alts = Counter(norm(a) for a in pdf_figures(book_pdf))
    missing = [img.get("alt") for img in images if alts[norm(img.get("alt", ""))] < 1]
    assert not missing, f"figures missing from the PDF (their alt text): {missing}"
    want = Counter(norm(img.get("alt", "")) for img in images)
    short = [alt for alt, n in want.items() if alts[alt] < n]
    assert not short, f"figures printed fewer times than the book shows them: {short}"
    # Raster figures are images in the PDF; an SVG figure prints as vector drawing.
    raster = [img for img in images if not img["src"].split("?")[0].endswith(".svg")]
    listed = run("pdfimages", "-list", str(book_pdf)).splitlines()[2:]
    printed = [row for row in listed if row.split()[2] == "image"]
    assert len(printed) == len(raster), (
        f"{len(printed)} raster images in the PDF, the book's pages show {len(raster)}")


def packviz_views(name: str) -> int:
    """How many packviz widgets a built page shows (views of a packviz-widget model)."""
    text = (HTML / f"{name}.html").read_text(encoding="utf-8")
    models = {}
    for state in re.findall(r'<script type="application/vnd.jupyter.widget-state\+json">'
                            r"(.*?)</script>", text, re.S):
        models.update(json.loads(state)["state"])
    views = re.findall(r'<script type="application/vnd.jupyter.widget-view\+json">'
                       r"(.*?)</script>", text, re.S)
    return sum("packviz-widget" in models.get(json.loads(v)["model_id"], {})
               .get("state", {}).get("_dom_classes", []) for v in views)


# The drawings' labels as the book's pages show them, read in a process of its own:
# Playwright's sync API refuses to start where pytest-playwright (the browser tests, in
# the same worker) already runs an event loop.
LABELS_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from playwright.sync_api import sync_playwright
from support.browser import CHROMIUM, CHROMIUM_ARGS, serve

html, pages = sys.argv[2], json.loads(sys.argv[3])
labels = {}
with serve(html) as base, sync_playwright() as p:
    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page()
    for name, views in pages.items():
        page.goto(f"{base}/{name}.html", wait_until="load")
        page.wait_for_function(
            f"document.querySelectorAll('[data-packviz]').length >= {views}",
            timeout=30_000)
        page.evaluate('''async () => {
          for (const el of document.querySelectorAll('[data-packviz]')) {
            el.scrollIntoView();
            await new Promise((r) => setTimeout(r, 200));
          }
        }''')
        labels[name] = page.evaluate(
            "[...document.querySelectorAll('[data-packviz] [role=img][aria-label]')]"
            ".map((e) => e.getAttribute('aria-label'))")
    browser.close()
print(json.dumps(labels))
"""


def test_every_widget_is_printed_as_drawn(book_pdf):
    """Each packviz widget's drawings (role=img, labelled with what they show), as the
    book's own pages draw them in Chromium, are in the PDF with the same labels."""
    widget_pages = {n: packviz_views(n) for n in toc_files() if packviz_views(n)}
    assert widget_pages, "no page of the book shows a packviz widget"
    proc = subprocess.run(
        [sys.executable, "-c", LABELS_SCRIPT, str(ROOT / "tests"), str(HTML),
         json.dumps(widget_pages)],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout)
    labels = []
    for name, views in widget_pages.items():
        got = len(found[name])
        assert got >= views, f"{name}: {views} widgets, {got} figures"
        labels += found[name]
    alts = Counter(norm(a) for a in pdf_figures(book_pdf))
    missing = [label for label in labels if alts[norm(label)] < 1]
    assert not missing, f"widget drawings missing from the PDF: {json.dumps(missing)[:600]}"


def test_no_navigation_or_buttons(pages_text):
    """What the site shows around the article (skip link, search, launch and download
    buttons, previous/next) is not printed. The strings come from the built page, so
    a translated edition is checked in its language; one that the book's own text also
    uses (a chapter mentions Colab) is left out."""
    page = built_page(toc_files()[1])
    chrome = set()
    for selector in ("#pst-skip-link", "#pst-back-to-top", ".search-button__default-text",
                     ".article-header-buttons .btn__text-container",
                     ".search-button__kbd-shortcut", ".prev-next-subtitle"):
        chrome |= {norm(el.get_text(" ")) for el in page.select(selector)}
    chrome.discard("")
    assert chrome, "found none of the site's navigation in the built page"
    book_text = norm(" ".join(article(n).get_text(" ") for n in toc_files()))
    printed = norm(" ".join(pages_text))
    word = lambda s: re.compile(r"(?<!\w)" + re.escape(s) + r"(?!\w)")  # noqa: E731
    checked = [s for s in chrome if not word(s).search(book_text)]
    assert checked, f"every navigation string also occurs in the book: {chrome}"
    shown = [s for s in checked if word(s).search(printed)]
    assert not shown, f"navigation printed: {shown}"
