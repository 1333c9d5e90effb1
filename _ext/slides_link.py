"""A "Slides" link near the top of every chapter page that has a slide deck.

`make slides` (scripts/slides.py) builds one reveal.js deck per notebook with cells
tagged `slide`, `subslide` or `fragment` (CONTRIBUTING.md, "Slides"); this extension puts
a link to that deck under the page's title. Which pages get one is decided by the
same rule, from the notebook's tags, so the link and the deck always agree; the book
and the decks are built by separate commands, so the link points to where the deck
will be once `make slides` has run.

Config (`sphinx: config:` in _config.yml):
- `slides_link_url` (default "slides/{stem}.slides.html"): where a chapter's deck is,
  relative to the root of the published site; `{stem}` is the notebook's file name
  without `.ipynb`. The link in each page is relative to that page, so the site works
  from any address, and from the file system: `make slides` copies the decks into
  `_build/html/slides/`, and a published site puts `slides/` beside `chapters/`.
  An absolute address (`https://...` or `/...`) is used as it is.
- `slides_link_text` (default "Slides"): the link's text.

scripts/slides.py imports `slide_type`, `deck_cells` and `DECK_SUFFIX` from here.
"""

from __future__ import annotations

import json
import pathlib

SLIDE_TAGS = ("slide", "subslide", "fragment")  # reveal.js slide types, by cell tag
DECK_SUFFIX = ".slides.html"
DEFAULT_URL = "slides/{stem}" + DECK_SUFFIX


def slide_type(cell) -> str | None:
    """The slide type a cell's tags give it (`slide`, `subslide`, `fragment`), or None."""
    tags = cell.get("metadata", {}).get("tags", [])
    return next((t for t in SLIDE_TAGS if t in tags), None)


def deck_cells(nb) -> list[int]:
    """Indices of the cells tagged for slides (a notebook read with json or nbformat)."""
    return [i for i, cell in enumerate(nb["cells"]) if slide_type(cell)]


def has_deck(path: pathlib.Path) -> bool:
    """True if the notebook at `path` has a slide deck (at least one tagged cell)."""
    if path.suffix != ".ipynb" or not path.is_file():
        return False
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(deck_cells(nb))


def deck_href(page_uri: str, url_template: str, stem: str) -> str:
    """The link from a page (its URI from the site root) to the deck of notebook `stem`."""
    from sphinx.util.osutil import relative_uri

    if "{stem}" not in url_template:
        raise ValueError(f"slides_link_url must contain {{stem}}, got {url_template!r}")
    target = url_template.format(stem=stem)
    if "://" in target or target.startswith("/"):
        return target  # an absolute address is used as it is
    return relative_uri(page_uri, target)


def _add_link(app, doctree, docname: str) -> None:
    from docutils import nodes

    if app.builder.format != "html":
        return
    source = pathlib.Path(app.env.doc2path(docname))
    if not has_deck(source):
        return
    title = next(iter(doctree.findall(nodes.title)), None)
    if title is None:
        return
    here = app.builder.get_target_uri(docname)
    href = deck_href(here, app.config.slides_link_url, source.stem)
    link = nodes.reference("", app.config.slides_link_text, refuri=href, internal=False)
    link["classes"].append("slides-link")
    paragraph = nodes.paragraph("", "", link, classes=["slides-link-line"])
    paragraph += nodes.Text(": this chapter as a slide deck (reveal.js)")
    section = title.parent
    section.insert(section.index(title) + 1, paragraph)


def setup(app):
    app.add_config_value("slides_link_url", DEFAULT_URL, "html", types=[str])
    app.add_config_value("slides_link_text", "Slides", "html", types=[str])
    app.connect("doctree-resolved", _add_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
