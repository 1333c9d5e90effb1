"""Print the built HTML book as one PDF, with Chromium, offline.

Usage: python scripts/pdf.py [--html _build/html] [--out _build/pdf/book.pdf]

How it works:

1. Reading order, title, language, author line and the word for "Contents" all come
   from the built book (`--html`): the root page (where index.html redirects), then
   each page's `<link rel="next">`; the sidebar's captions name the parts. No text is
   written in here (only "Contents" as a fallback), so a translated build prints the
   same way.
2. One HTML document is assembled from those pages: a title page, a table of contents,
   then every page's article in order. Ids are prefixed with the page they come from
   (two pages may both have a `#summary`), links between pages become links inside the
   document, and the `<head>`s are merged (every stylesheet and script, and every
   page's widget state, so the book's own widget JavaScript draws every widget). The
   document is served, next to the built pages, from 127.0.0.1; nothing else is
   fetched (any request for another host is refused and fails the run).
3. Debian's Chromium opens it with print media emulated and at the printed width,
   waits for MathJax, the fonts and every widget view to be drawn (their initial
   state), opens collapsed blocks, and prints it (tagged, with an outline of the
   headings, a page number in every footer). _static/print.css, part of the book,
   hides navigation and buttons and wraps code and outputs.
4. The page each entry starts on is read from the PDF's named destinations
   (`pdfinfo -dests`, poppler-utils), written into the table of contents, and the
   document is printed again, laid out afresh each time, until the pages stay where
   the contents say (the second print, normally; at most PRINTS).

Options: --html (the built book), --out (default: pdf/book.pdf beside --html, so
_build/html gives _build/pdf/book.pdf), --paper (A4 or Letter).
"""

from __future__ import annotations

import argparse
import hashlib
import html as html_lib
import json
import pathlib
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from support.browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    SETTLE_JS,
    confine,
    serve,
)

# The assembled document's name; it is served at the root of the built book (it is
# never written there) so that the root page's relative URLs keep working.
COMBINED = "__book_pdf__.html"
# A4 with these margins (mm); the footer with the page number sits in the bottom one.
PAPER = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
MARGIN_MM = {"top": 15.0, "bottom": 17.0, "left": 17.0, "right": 17.0}
# Content is laid out at 1/SCALE of the printed size: 16 px text prints at about 9.6 pt.
SCALE = 0.8
WIDGET_TIMEOUT_MS = 30_000
# Prints at most: the first finds the pages, the second has them in the contents.
PRINTS = 4

# Attributes holding URLs, resolved against the page they come from.
URL_ATTRS = {"img": ["src"], "source": ["src"], "video": ["src", "poster"],
             "audio": ["src"], "object": ["data"], "embed": ["src"], "link": ["href"],
             "script": ["src"]}
# Attributes that name an id of the same page.
IDREF_ATTRS = ["for", "aria-labelledby", "aria-describedby", "aria-controls",
               "aria-owns", "headers", "list"]

# The parts only the one document has (a title page, the contents) and every book page
# from a new sheet; the last style in its <head>. _static/print.css does the rest.
PDF_CSS = """
@media print {
  .pdf-title-page { break-after: page; display: flex; flex-direction: column;
    justify-content: center; min-height: 220mm; text-align: center; }
  .pdf-title-page .pdf-book-title { font-size: 2.6rem; font-weight: 600;
    line-height: 1.2; margin: 0 0 2rem; color: #000; }
  .pdf-title-page .pdf-byline { font-size: 1.2rem; margin: 0.3rem 0; }
  .pdf-contents { break-after: page; }
  .pdf-contents .pdf-contents-title { font-size: 1.8rem; font-weight: 600;
    margin: 0 0 1.2rem; color: #000; }
  .pdf-contents .pdf-part { font-weight: 600; margin: 1.1rem 0 0.3rem;
    font-size: 1.05rem; }
  .pdf-contents ol { list-style: none; margin: 0; padding: 0; }
  .pdf-contents li a { display: flex; gap: 0.5rem; align-items: baseline;
    padding: 0.15rem 0; color: #000; text-decoration: none; }
  .pdf-contents .pdf-toc-title { flex: 0 1 auto; }
  .pdf-contents .pdf-toc-dots { flex: 1 1 auto; border-bottom: 1px dotted #777;
    min-width: 1rem; }
  .pdf-contents .pdf-toc-page { flex: 0 0 3rem; text-align: right;
    font-variant-numeric: tabular-nums; }
  .pdf-book-page { break-before: page; }
  /* The theme prints each page's title from a header of its own and hides the
     article's first h1; in the one document the h1 is the title of each page. */
  .bd-main .bd-content .bd-article .pdf-book-page h1:first-of-type { display: block; }
}
"""

# Run in the page: how many widget views are there, how many are drawn, and how many
# packviz widgets have marked themselves drawn (data-packviz, once on the page)?
READY_JS = """
() => {
  const views = [...document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]')];
  const drawn = views.filter((s) => s.parentElement &&
    s.parentElement.querySelector('.jupyter-widgets, .widget-subarea, .lm-Widget')).length;
  return {views: views.length, drawn,
          packviz: document.querySelectorAll('[data-packviz]').length};
}
"""

# Lays the whole document out afresh, within one task (no frame is drawn meanwhile, so
# no ResizeObserver sees the body without its size).
RELAYOUT_JS = """
() => {
  document.body.style.display = 'none';
  void document.body.offsetHeight;
  document.body.style.display = '';
  void document.body.offsetHeight;
}
"""
WIDGET_STATE = re.compile(
    r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', re.S)
WIDGET_VIEW = re.compile(
    r'<script type="application/vnd.jupyter.widget-view\+json">(.*?)</script>', re.S)


def die(message: str) -> None:
    sys.exit(f"pdf.py: {message}")


def read_page(html_dir: pathlib.Path, rel: str, head_only: bool = False) -> BeautifulSoup:
    """A built page, parsed (only its <head> with `head_only`: parsing is the slow part)."""
    path = html_dir / rel
    if not path.is_file():
        die(f"{path} is missing: build the book first (make book)")
    text = path.read_text(encoding="utf-8")
    if head_only and "</head>" in text:
        text = text[:text.index("</head>")] + "</head></html>"
    return BeautifulSoup(text, "html.parser")


def root_page(html_dir: pathlib.Path) -> str:
    """The book's root page: where index.html redirects, or index.html itself."""
    soup = read_page(html_dir, "index.html", head_only=True)
    refresh = soup.find("meta", attrs={"http-equiv": re.compile("refresh", re.I)})
    if refresh:
        match = re.search(r"url=(.+)$", refresh.get("content", ""), re.I)
        if match:
            return posixpath.normpath(match.group(1).strip().strip("'\""))
    return "index.html"


def reading_order(html_dir: pathlib.Path) -> list[str]:
    """Every page of the book in reading order: the root page, then rel="next"."""
    pages = [root_page(html_dir)]
    while True:
        soup = read_page(html_dir, pages[-1], head_only=True)
        nxt = soup.find("link", rel="next")
        if not nxt or not nxt.get("href"):
            return pages
        target = resolve(pages[-1], nxt["href"])[0]
        if target in pages:
            die(f"the pages' rel=next links run in a circle at {target}")
        pages.append(target)


def resolve(page: str, url: str) -> tuple[str, str]:
    """A relative URL of `page` as (path from the book's root, fragment)."""
    parts = urlsplit(url)
    if not parts.path:
        return page, parts.fragment
    base = posixpath.dirname(page)
    return posixpath.normpath(posixpath.join(base, parts.path)), parts.fragment


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not (parts.scheme or parts.netloc) and not url.startswith("//")


def slug(page: str) -> str:
    """The id of a page in the assembled document."""
    return "pdf-" + re.sub(r"[^A-Za-z0-9_-]+", "-", page.removesuffix(".html"))


def text_of(tag: Tag | None) -> str:
    return " ".join(tag.get_text(" ").split()) if tag else ""


def book_info(html_dir: pathlib.Path, root: str) -> dict:
    """Title, language, author and copyright lines and the word for Contents."""
    soup = read_page(html_dir, root)
    title = text_of(soup.select_one(".logo__title"))
    if not title:
        title = text_of(soup.find("h1")).removesuffix("#").strip()
    html_tag = soup.find("html")
    onthispage = soup.select_one(".onthispage")
    return {
        "title": title or root,
        "lang": (html_tag.get("lang") if html_tag else None) or "en",
        "bylines": [text_of(p) for p in soup.select(".bd-footer-content p") if text_of(p)],
        "contents": text_of(onthispage) or "Contents",
        "parts": part_captions(soup, root),
    }


def part_captions(soup: BeautifulSoup, root: str) -> dict[str, str]:
    """{first page of a part: the part's caption}, from the sidebar of the root page."""
    captions = {}
    for caption in soup.select("nav.bd-docs-nav p.caption"):
        ul = caption.find_next_sibling("ul")
        link = ul.find("a", href=True) if ul else None
        if link and is_local(link["href"]):
            captions[resolve(root, link["href"])[0]] = text_of(caption)
    return captions


def rewrite_urls(tag: Tag, page: str) -> None:
    """Make the URLs of `tag` (and below) relative to the book's root, not to `page`."""
    for el in [tag, *tag.find_all(True)]:
        for attr in URL_ATTRS.get(el.name, []):
            value = el.get(attr)
            if value and is_local(value) and not value.startswith("#"):
                path, frag = resolve(page, value)
                query = urlsplit(value).query
                el[attr] = (path + (f"?{query}" if query else "")
                            + (f"#{frag}" if frag else ""))
        if el.name in ("img", "source") and el.get("srcset"):
            el["srcset"] = ", ".join(
                " ".join([resolve(page, c.split()[0])[0], *c.split()[1:]])
                if is_local(c.split()[0]) else c
                for c in el["srcset"].split(",") if c.strip())


def article_of(soup: BeautifulSoup, page: str, pages: set[str]) -> Tag:
    """The page's article, with ids, links and URLs fitted into the one document."""
    article = soup.select_one("article.bd-article")
    if article is None:
        die(f"{page} has no <article class='bd-article'>: is it a Jupyter Book page?")
    prefix = slug(page) + "--"
    ids = {el["id"] for el in article.find_all(id=True)}
    for el in article.find_all(id=True):
        el["id"] = prefix + el["id"]
    for el in article.find_all(True):
        for attr in IDREF_ATTRS:
            value = el.get(attr)
            if isinstance(value, list):
                value = " ".join(value)
            if value:
                el[attr] = " ".join(prefix + v if v in ids else v for v in value.split())
    for a in article.find_all("a", href=True):
        href = a["href"]
        if not is_local(href):
            continue  # a link out of the book stays as it is
        target, frag = resolve(page, href)
        if target in pages:
            a["href"] = "#" + (slug(target) + "--" + frag if frag else slug(target))
        else:
            # A file of the built site (an image, a download, the index): no page of
            # the PDF to go to, and a link to the local server would be dead.
            del a["href"]
    rewrite_urls(article, page)
    return article


def head_key(el: Tag, page: str) -> tuple | None:
    """What makes two <head> elements the same (None: leave it out)."""
    if el.name == "title":
        return ("title",)
    if el.name == "link":
        rel = " ".join(el.get("rel", []))
        if rel not in ("stylesheet", "preload"):
            return None  # next, prev, index, search: about one page
        return ("link", rel, resolve(page, el.get("href", ""))[0])
    if el.name == "script":
        if el.get("src"):
            return ("script", resolve(page, el["src"])[0])
        text = el.string or ""
        if "DOCUMENTATION_OPTIONS.pagename" in text:
            return ("pagename",)
        return ("inline", el.get("type", ""), hashlib.sha256(text.encode()).hexdigest())
    return (el.name, str(el))


def merged_head(html_dir: pathlib.Path, pages: list[str]) -> list[Tag]:
    """Every page's <head> elements, each once, in an order that keeps each page's."""
    merged: list[tuple[tuple, Tag]] = []
    for page in pages:
        head = read_page(html_dir, page, head_only=True).head
        last = -1
        for el in head.find_all(True, recursive=False):
            key = head_key(el, page)
            if key is None:
                continue
            keys = [k for k, _ in merged]
            if key in keys:
                last = max(last, keys.index(key))
                continue
            rewrite_urls(el, page)
            merged.insert(last + 1, (key, el))
            last += 1
    return [el for _, el in merged]


def links_print_css(html_dir: pathlib.Path, page: str, doc) -> bool:
    """Whether the page links _static/print.css, itself or in the one stylesheet that
    _ext/page_assets.py bundles the book's into (its first line names its files)."""
    for el in doc.find_all("link", rel="stylesheet"):
        href = (el.get("href") or "").split("?")[0]
        if href.endswith("print.css"):
            return True
        css = (html_dir / posixpath.dirname(page) / href).resolve()
        if css.is_file() and css.name.startswith("styles-"):
            with css.open(encoding="utf-8") as f:
                if "_static/print.css" in f.readline().split():
                    return True
    return False


def assemble(html_dir: pathlib.Path) -> tuple[str, dict, list[dict]]:
    """The one document; the book's info; its entries (page, id, title, part)."""
    pages = reading_order(html_dir)
    root = pages[0]
    info = book_info(html_dir, root)
    doc = read_page(html_dir, root)
    if not links_print_css(html_dir, root, doc):
        die(f"{html_dir} has no _static/print.css: rebuild the book (make book)")
    doc.find("html")["lang"] = info["lang"]
    head = doc.head
    head.clear()
    for el in merged_head(html_dir, pages):
        head.append(el)
    head.title.string = info["title"]
    style = doc.new_tag("style")
    style.string = PDF_CSS
    head.append(style)

    # The theme's print-only page title (each page's h1 is kept instead), and the root
    # page's "on this page" links, whose targets now carry a prefix.
    for el in doc.select("#jb-print-docs-body, nav.page-toc"):
        el.decompose()
    body_article = doc.select_one("article.bd-article")
    body_article.clear()
    entries = []
    page_set = set(pages)
    for page in pages:
        article = article_of(read_page(html_dir, page), page, page_set)
        h1 = article.find("h1")
        title = text_of(h1).removesuffix("#").strip() or page
        entries.append({"page": page, "id": slug(page), "title": title,
                        "part": info["parts"].get(page)})
        box = doc.new_tag("div", attrs={"class": "pdf-book-page", "id": slug(page),
                                        "data-pdf-page": page})
        for child in list(article.contents):
            box.append(child.extract())
        body_article.append(box)
    body_article.insert(0, contents_html(doc, info, entries))
    body_article.insert(0, title_page_html(doc, info))
    return str(doc), info, entries


def title_page_html(doc: BeautifulSoup, info: dict) -> Tag:
    box = doc.new_tag("section", attrs={"class": "pdf-title-page"})
    title = doc.new_tag("p", attrs={"class": "pdf-book-title"})
    title.string = info["title"]
    box.append(title)
    for line in info["bylines"]:
        p = doc.new_tag("p", attrs={"class": "pdf-byline"})
        p.string = line
        box.append(p)
    return box


def contents_html(doc: BeautifulSoup, info: dict, entries: list[dict]) -> Tag:
    nav = doc.new_tag("nav", attrs={"class": "pdf-contents", "id": "pdf-contents"})
    head = doc.new_tag("p", attrs={"class": "pdf-contents-title"})
    head.string = info["contents"]
    nav.append(head)
    ol = doc.new_tag("ol")
    nav.append(ol)
    for entry in entries:
        if entry["part"]:
            part = doc.new_tag("p", attrs={"class": "pdf-part"})
            part.string = entry["part"]
            nav.append(part)
            ol = doc.new_tag("ol")
            nav.append(ol)
        li = doc.new_tag("li")
        a = doc.new_tag("a", href="#" + entry["id"])
        for cls, text in (("pdf-toc-title", entry["title"]), ("pdf-toc-dots", ""),
                          ("pdf-toc-page", "0")):
            span = doc.new_tag("span", attrs={"class": cls})
            span.string = text
            a.append(span)
        a["data-pdf-target"] = entry["id"]
        li.append(a)
        ol.append(li)
    return nav


def packviz_widgets(document: str) -> int:
    """How many packviz widgets the document shows: views of a packviz-widget model."""
    models = {}
    for state in WIDGET_STATE.findall(document):
        models.update(json.loads(state)["state"])
    count = 0
    for view in WIDGET_VIEW.findall(document):
        model = models.get(json.loads(view).get("model_id"), {})
        count += "packviz-widget" in model.get("state", {}).get("_dom_classes", [])
    return count


def footer_template(lang: str) -> str:
    return ('<div style="width:100%;font-size:9pt;text-align:center;'
            'font-family:sans-serif;color:#333">'
            f'<span lang="{html_lib.escape(lang)}" class="pageNumber"></span></div>')


def destinations(pdf: pathlib.Path) -> dict[str, int]:
    """{named destination: page number} of a PDF (pdfinfo -dests)."""
    out = run(["pdfinfo", "-dests", str(pdf)])
    dests = {}
    for line in out.splitlines():
        match = re.match(r'\s*(\d+)\s+\[.*\]\s+"(.*)"\s*$', line)
        if match:
            dests[match.group(2)] = int(match.group(1))
    return dests


def page_count(pdf: pathlib.Path) -> int:
    match = re.search(r"^Pages:\s+(\d+)", run(["pdfinfo", str(pdf)]), re.M)
    return int(match.group(1)) if match else 0


def run(cmd: list[str]) -> str:
    if shutil.which(cmd[0]) is None:
        die(f"{cmd[0]} is missing: apt-get install -y poppler-utils")
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def wait_until_drawn(page, packviz: int) -> dict:
    """Wait until every widget view is drawn (its initial state), MathJax has typeset
    and the fonts are loaded; open every collapsed block."""
    page.wait_for_load_state("networkidle")
    deadline = time.monotonic() + WIDGET_TIMEOUT_MS / 1000
    while True:
        state = page.evaluate(READY_JS)
        if state["drawn"] >= state["views"] and state["packviz"] >= packviz:
            break
        if time.monotonic() > deadline:
            die(f"widgets not drawn after {WIDGET_TIMEOUT_MS / 1000:.0f} s: {state}, "
                f"{packviz} packviz widgets expected")
        page.wait_for_timeout(200)
    page.evaluate("""async () => {
      // Widgets that draw once they are on screen: show each in turn.
      const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
      for (const el of document.querySelectorAll('[data-packviz], .widget-subarea')) {
        el.scrollIntoView({block: 'center'});
        await frame();
        await frame();
      }
      if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        await MathJax.startup.promise;
      }
      await document.fonts.ready;
      // Collapsed blocks (hidden inputs, solutions, dropdowns) print open.
      document.querySelectorAll('details').forEach((d) => { d.open = true; });
      document.querySelectorAll('.toggle-button-hidden').forEach((b) => b.click());
      window.scrollTo(0, 0);
    }""")
    page.evaluate(SETTLE_JS, [500, 10_000])
    return state


def print_book(html_dir: pathlib.Path, out: pathlib.Path, paper: str) -> dict:
    """Print the book in `html_dir` into `out`; return what the run found and took."""
    from playwright.sync_api import sync_playwright

    clock = [("start", time.perf_counter())]
    document, info, entries = assemble(html_dir)
    clock.append(("assembled", time.perf_counter()))
    width_mm, _ = PAPER[paper]
    text_mm = width_mm - MARGIN_MM["left"] - MARGIN_MM["right"]
    # Laid out on screen at the width it prints at: widgets size their drawings to it.
    viewport_w = round(text_mm / 25.4 * 96 / SCALE)
    margin = {k: f"{v}mm" for k, v in MARGIN_MM.items()}
    options = dict(format=paper, margin=margin, scale=SCALE, print_background=True,
                   display_header_footer=True, header_template="<div></div>",
                   footer_template=footer_template(info["lang"]), outline=True,
                   tagged=True)
    with serve(html_dir) as base, sync_playwright() as p, \
            tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": viewport_w, "height": 1200},
                                      color_scheme="light", reduced_motion="reduce",
                                      locale=info["lang"])
        context.add_init_script("localStorage.setItem('mode', 'light');"
                                "localStorage.setItem('theme', 'light');")
        outside = confine(context, base)
        # Registered after confine(), so it answers first (Playwright runs the newest
        # matching route first).
        context.route(f"{base}/{COMBINED}", lambda route: route.fulfill(
            body=document, content_type="text/html; charset=utf-8"))
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda err: errors.append(f"{err} {err.stack}"))
        page.emulate_media(media="print", color_scheme="light")
        page.goto(f"{base}/{COMBINED}", wait_until="load")
        state = wait_until_drawn(page, packviz_widgets(document))
        clock.append(("loaded and drawn", time.perf_counter()))
        if outside:
            die(f"the book asked for something outside it: {outside[:5]}")
        if errors:
            die(f"the page raised errors: {errors[:5]}")
        # Print, read the page each entry starts on, write it into the contents and
        # print again, until the pages stay where the contents say (twice, normally).
        pdf_file = pathlib.Path(tmp) / "book.pdf"
        written = {e["id"]: 0 for e in entries}
        for _ in range(PRINTS):
            # Chromium keeps part of a print's layout for the next one: printed twice
            # as it stands, a heading at the foot of a page goes down a page and back
            # again, print after print. Laid out afresh, every print comes out the same.
            page.evaluate(RELAYOUT_JS)
            page.pdf(path=str(pdf_file), **options)
            clock.append((f"print {len(clock) - 2}", time.perf_counter()))
            dests = destinations(pdf_file)
            missing = [e["id"] for e in entries if e["id"] not in dests]
            if missing:
                die(f"no destination in the PDF for {missing}")
            found = {e["id"]: dests[e["id"]] for e in entries}
            if found == written:
                break
            page.evaluate(
                """(pages) => {
                  for (const a of document.querySelectorAll('a[data-pdf-target]')) {
                    a.querySelector('.pdf-toc-page').textContent =
                      pages[a.dataset.pdfTarget];
                  }
                }""",
                found,
            )
            written = found
        else:
            die(f"the pages kept moving after {PRINTS} prints")
        browser.close()
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(pdf_file), out)
    for entry in entries:
        entry["first_page"] = written[entry["id"]]
    steps = {name: round(t - clock[i][1], 1) for i, (name, t) in enumerate(clock[1:])}
    return {"pages": page_count(out), "entries": entries, "widgets": state,
            "seconds": steps}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=pathlib.Path, default=ROOT / "_build" / "html",
                        help="the built HTML book (default: _build/html)")
    parser.add_argument("--out", type=pathlib.Path, default=None,
                        help="the PDF to write (default: pdf/book.pdf beside --html)")
    parser.add_argument("--paper", choices=sorted(PAPER), default="A4")
    args = parser.parse_args()
    html_dir = args.html.resolve()
    out = (args.out or html_dir.parent / "pdf" / "book.pdf").resolve()
    if not (html_dir / "index.html").is_file():
        die(f"no built book in {html_dir}: run `make book` first, or pass --html")
    start = time.perf_counter()
    result = print_book(html_dir, out, args.paper)
    seconds = time.perf_counter() - start
    for entry in result["entries"]:
        print(f"  p. {entry['first_page']:>3}  {entry['title']}")
    steps = ", ".join(f"{name} {s:.0f} s" for name, s in result["seconds"].items())
    print(f"{out}: {result['pages']} pages, {result['widgets']['views']} widget views "
          f"drawn; {seconds:.0f} s ({steps})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
