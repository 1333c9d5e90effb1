"""Build one reveal.js slide deck per chapter from the chapter notebooks (`make slides`).

Usage: .venv/bin/python scripts/slides.py [--out _build/slides] [--copy-to DIR ...]
                                          [--no-widget-pictures] [--cache DIR]
                                          [--rise DIR] [NOTEBOOK ...]

Without NOTEBOOK arguments it takes every notebook that _toc.yml lists and that has at
least one slide tag. It writes `<out>/<stem>.slides.html` for each, `<out>/index.html`
(the list of decks) and the files the decks load, then copies the whole folder to each
--copy-to folder (make slides: `_build/html/slides`, so that the book's "Slides" links,
_ext/slides_link.py, work locally).

What goes on a slide is chosen by cell tags in the notebook itself (CONTRIBUTING.md,
"Slides"); no cell is copied. The script converts a copy of each notebook in memory:

- `slide`, `subslide`, `fragment` set the cell's `slideshow.slide_type`; every other
  cell becomes `skip`. The setup cell (the first code cell), `remove-cell`/`hide-cell`
  cells and solutions (from `{solution-start}` to `{solution-end}`) never appear, even
  if tagged; the script warns about such tags (tests/test_slide_decks.py fails on them).
- `remove-input`/`hide-input` cells show their output only; `remove-output`/
  `hide-output` cells their code only. Glue outputs (metadata "scrapbook") are dropped.
- MyST in markdown cells becomes what nbconvert's Markdown renders: admonitions and
  other boxes (`{note}`, `{exercise}`, ...) a titled box, `{glue:text}` roles the value
  stored in the notebook's glue outputs (formatted as myst-nb does), `{doc}` and
  `{ref}` roles the title of what they point to, `(label)=` targets and `%` comments
  nothing. `$math$` is left to MathJax.
- Figures keep the alt text and caption the book gives them (cell metadata `mystnb`).
- Widgets become a static picture of their first state: the book's self-hosted widget
  manager renders each one from the stored widget state in Chromium, and the
  screenshot replaces the widget on the slide (scaled down by CSS if it is too big).
  The decks therefore run no widget code; the live widget is in the book. Pictures
  are kept in --cache (`_build/.slides-cache`) by a hash of everything they depend on,
  so Chromium starts only when a widget, its state or the widget manager changed.

The deck is nbconvert's SlidesExporter (`jupyter nbconvert --to slides`) with the
book's template (scripts/slides_template/packviz_slides): nbconvert's reveal template
minus what it loads from CDNs (jQuery, require.js, mermaid, MathJax 2; nbconvert issue
296), plus reveal.js 5.2.1 and MathJax 3.2.2 from node_modules (package-lock.json),
copied next to the decks: `reveal.js/` (SlidesExporter.reveal_url_prefix) and `assets/`.
A deck loads nothing from another host, and works from the file system too.

--rise DIR also writes each chapter into DIR for presenting live with a kernel in
JupyterLab (jupyterlab-rise): the same tags as `slideshow` metadata (`rise_notebook`).
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import html
import json
import pathlib
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "_ext"))
from build_widget_assets import MATHJAX, MATHJAX_PARTS  # noqa: E402
from build_widget_assets import version_of as npm_version  # noqa: E402
from slides_link import DECK_SUFFIX, deck_cells, slide_type  # noqa: E402
from support.browser import SETTLE_JS  # noqa: E402

NODE = ROOT / "node_modules"
REVEAL = NODE / "reveal.js"
REVEAL_VERSION = "5.2.1"
TEMPLATE_DIR = ROOT / "scripts" / "slides_template"
TEMPLATE = "packviz_slides"
WIDGET_ASSETS = ROOT / "_widget_assets" / "_static" / "packviz-assets"
CACHE = ROOT / "_build" / ".slides-cache"  # widget pictures, by what they depend on
REVEAL_PREFIX = "reveal.js"  # SlidesExporter.reveal_url_prefix, relative to the deck
ASSETS = "assets"  # MathJax and licenses, relative to the deck
WIDTH, HEIGHT = 1280, 720

NEVER_TAGS = ("remove-cell", "hide-cell")
NO_INPUT_TAGS = ("remove-input", "hide-input")
NO_OUTPUT_TAGS = ("remove-output", "hide-output")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

FENCE = re.compile(
    r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})[ \t]*(?P<info>.*?)\s*$"
)
DIRECTIVE = re.compile(r"^\{(?P<name>[A-Za-z][\w:.+-]*)\}[ \t]*(?P<arg>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
TARGET = re.compile(r"^\s*\((?P<label>[^()\s]+)\)=\s*$")
ROLE_BEFORE = re.compile(r"\{(?P<name>[A-Za-z][\w:.+-]*)\}$")
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
# Headings that end a cell open what follows it, which is not on the slide.
TRAILING_HEADINGS = re.compile(r"(?:\n[ \t]*#{1,6}[ \t][^\n]*\s*)+$")
SOLUTION_START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}", re.M)
SOLUTION_END = re.compile(
    r"^(`{3,}|:{3,})\{solution-end\}[^\n]*\n(?:.*?\n)??\1[ \t]*$", re.M | re.S
)

BOXES = {  # directive -> title of its box
    "note": "Note",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
    "margin": "",
    "sidebar": "",
    "aside": "",
    "topic": "",
    "epigraph": "",
    "dropdown": "",
    "card": "",
    "exercise": "Exercise",
}
DROPPED = {
    "solution",
    "solution-start",
    "solution-end",
    "toctree",
    "tableofcontents",
    "bibliography",
    "glossary",
    "only",
}


class SlideError(ValueError):
    """A chapter cannot be turned into slides (says which and why)."""


# ---- MyST markdown -> plain Markdown with HTML ----------------------------------------


def first_heading(text: str) -> str | None:
    """The text of the first `# ` heading in Markdown, or None."""
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None


def plain(markdown: str) -> str:
    """Markdown inline text without its markup, for <title> and the index."""
    return re.sub(r"[`*_]", "", markdown).strip()


def glue_values(nb) -> dict[str, dict]:
    """The notebook's glued outputs by name: {mimetype: data}, mime prefix removed."""
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook")
            if not scrap:
                continue
            prefix = scrap.get("mime_prefix", "")
            data = output.get("data", {})
            values[scrap["name"]] = {
                k[len(prefix) :]: v for k, v in data.items() if k.startswith(prefix)
            }
    return values


def format_glue_text(text: str, spec: str) -> str:
    """Format a glued text/plain value as `{glue:text}` does in the book (myst-nb)."""
    from myst_nb.core.variables import format_plain_text

    return format_plain_text(text, spec)


@dataclass
class Book:
    """What roles point to: document titles and labelled headings, read once."""

    titles: dict[str, str] = field(default_factory=dict)  # "chapters/01_x" -> title
    labels: dict[str, str] = field(default_factory=dict)  # label -> heading text

    @classmethod
    def read(cls, root: pathlib.Path = ROOT) -> Book:
        book = cls()
        for path in sorted(root.glob("**/*.ipynb")) + sorted(root.glob("**/*.md")):
            rel = path.relative_to(root)
            if rel.parts[0].startswith((".", "_")) or rel.parts[0] == "node_modules":
                continue
            if path.suffix == ".ipynb":
                try:
                    nb = nbformat.read(path, as_version=4)
                except Exception:  # not a notebook this script needs
                    continue
                text = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
            else:
                text = path.read_text(encoding="utf-8", errors="replace")
            title = first_heading(text)
            if title:
                book.titles[rel.with_suffix("").as_posix()] = title
            lines = text.splitlines()
            for i, line in enumerate(lines):
                m = TARGET.match(line)
                if m:
                    after = next((x for x in lines[i + 1 :] if x.strip()), "")
                    book.labels[m["label"]] = after.lstrip("#").strip() or m["label"]
                m = OPTION.match(line)
                if m and m["key"] == "label" and m["value"].strip():
                    book.labels.setdefault(m["value"].strip(), "the exercise")
        return book


class Myst:
    """Converts one notebook's MyST Markdown into Markdown that nbconvert renders."""

    def __init__(self, path: pathlib.Path, glue: dict[str, dict], book: Book):
        self.path = path
        self.glue = glue
        self.book = book
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(f"{self.path.relative_to(ROOT)}: {message}")

    # -- blocks ---------------------------------------------------------------------

    def block(self, text: str) -> str:
        lines = text.split("\n")
        out: list[str] = []
        para: list[str] = []

        def flush() -> None:
            if para:
                out.append(self.inline("\n".join(para)))
                para.clear()

        i = 0
        while i < len(lines):
            line = lines[i]
            m = FENCE.match(line)
            if m:
                flush()
                fence, info = m["fence"], m["info"]
                close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
                j = i + 1
                while j < len(lines) and not close.match(lines[j]):
                    j += 1
                body = lines[i + 1 : j]
                directive = DIRECTIVE.match(info)
                if fence[0] != ":" and not directive:  # a code block: as it is
                    out.append("\n".join([line, *body, fence]))
                else:
                    name = directive["name"] if directive else "div"
                    arg = directive["arg"] if directive else info
                    options, body = self.options(body)
                    out.append(self.directive(name, arg.strip(), options, "\n".join(body)))
                i = j + 1
                continue
            if TARGET.match(line) or line.lstrip().startswith("%") or line.strip() == "+++":
                flush()
                i += 1
                continue
            para.append(line)
            i += 1
        flush()
        return "\n".join(out)

    @staticmethod
    def options(body: list[str]) -> tuple[dict[str, str], list[str]]:
        """Split a directive's `:key: value` lines (or YAML block) from its content."""
        options: dict[str, str] = {}
        if body and body[0].strip() == "---" and "---" in [b.strip() for b in body[1:]]:
            end = 1 + [b.strip() for b in body[1:]].index("---")
            for line in body[1:end]:
                key, _, value = line.partition(":")
                options[key.strip()] = value.strip()
            return options, body[end + 1 :]
        n = 0
        while n < len(body) and OPTION.match(body[n]):
            m = OPTION.match(body[n])
            options[m["key"]] = m["value"].strip()
            n += 1
        return options, body[n:]

    def box(self, classes: str, title: str, body: str) -> str:
        title_html = ""
        if title:
            strong = f"<strong>{self.inline_html(title)}</strong>"
            title_html = f'<p class="admonition-title">{strong}</p>\n'
        return (
            f'\n<div class="admonition {html.escape(classes)}">\n{title_html}\n'
            f"{self.block(body)}\n\n</div>\n"
        )

    def directive(self, name: str, arg: str, options: dict[str, str], body: str) -> str:
        classes = options.get("class", "")
        if name in DROPPED:
            return ""
        if name == "admonition":
            return self.box(f"{classes or 'note'}", arg, body)
        if name in BOXES:
            title = BOXES[name]
            if name == "exercise":
                return self.box(
                    f"exercise {classes}".strip(),
                    "Exercise" + (f": {arg}" if arg else ""),
                    body,
                )
            if not title:
                return self.box(f"{name} {classes}".strip(), arg, body)
            text = f"{arg}\n\n{body}" if arg else body
            return self.box(f"{name} {classes}".strip(), title, text)
        if name in ("code-block", "code", "sourcecode", "code-cell"):
            return f"```{arg}\n{body}\n```"
        if name == "math":
            return f"$$\n{body}\n$$"
        if name in ("figure", "image"):
            return self.image(arg, options, body if name == "figure" else "")
        if name == "raw":
            return body if arg.strip() == "html" else ""
        if name.startswith("glue"):
            return self.glue_block(arg, name)
        if name != "div":
            self.warn(
                f"the directive {{{name}}} has no slide form: its content is shown as text"
            )
        div = html.escape(f"{name} {classes}".strip())
        return f'\n<div class="{div}">\n\n{self.block(body)}\n\n</div>\n'

    def image(self, target: str, options: dict[str, str], caption: str) -> str:
        path = (self.path.parent / target).resolve()
        if not path.is_file():
            self.warn(f"the image {target!r} is missing: left out")
            return ""
        mime = {
            ".png": "image/png",
            ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg",
            ".svg": "image/svg+xml",
            ".gif": "image/gif",
        }.get(path.suffix.lower())
        if mime is None:
            self.warn(f"the image {target!r} is not PNG, JPEG, SVG or GIF: left out")
            return ""
        data = base64.b64encode(path.read_bytes()).decode()
        alt = html.escape(options.get("alt", ""))
        cap = (
            f"<figcaption>{self.inline_html(caption)}</figcaption>"
            if caption.strip()
            else ""
        )
        return (
            f'\n<figure class="slide-figure"><img src="data:{mime};base64,{data}" '
            f'alt="{alt}">{cap}</figure>\n'
        )

    def glue_block(self, key: str, name: str) -> str:
        data = self.glued(key)
        if data is None:
            return ""
        if "image/png" in data:
            return (
                f'\n<figure class="slide-figure"><img src="data:image/png;base64,'
                f'{data["image/png"]}" alt=""></figure>\n'
            )
        if "text/markdown" in data:
            return self.block(data["text/markdown"])
        if "text/html" in data:
            return f"\n{data['text/html']}\n"
        if "text/latex" in data:
            return f"$$\n{data['text/latex'].strip().strip('$')}\n$$"
        return f"\n<pre>{html.escape(data.get('text/plain', ''))}</pre>\n"

    # -- inline ---------------------------------------------------------------------

    def inline(self, text: str) -> str:
        """Replace roles ({name}`content`) outside code spans; leave the rest as it is."""
        out: list[str] = []
        pos = 0
        for m in re.finditer(r"`+", text):
            if m.start() < pos:
                continue
            ticks = m.group()
            end = re.compile(rf"(?<!`){ticks}(?!`)").search(text, m.end())
            if end is None:
                continue
            before = text[pos : m.start()]
            role = ROLE_BEFORE.search(before)
            content = text[m.end() : end.start()]
            if role:
                out.append(before[: role.start()])
                out.append(self.role(role["name"], content))
            else:
                out.append(before + text[m.start() : end.end()])
            pos = end.end()
        out.append(text[pos:])
        return "".join(out)

    def inline_html(self, text: str) -> str:
        """A title or caption: roles replaced, HTML escaped, `code` kept."""
        text = html.escape(self.inline(text), quote=False)
        return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)

    def glued(self, key: str) -> dict | None:
        glue = self.glue
        if "::" in key:
            doc, key = key.split("::", 1)
            path = (self.path.parent / doc).with_suffix(".ipynb")
            glue = glue_values(nbformat.read(path, as_version=4)) if path.exists() else {}
        if key not in glue:
            self.warn(f"no glued value {key!r}: left out")
            return None
        return glue[key]

    def role(self, name: str, content: str) -> str:
        explicit = EXPLICIT.match(content)
        text, target = (explicit["text"], explicit["target"]) if explicit else ("", content)
        if name in ("glue", "glue:", "glue:any", "glue:text", "glue:md"):
            key, spec = target, ""
            if name == "glue:text":
                key, _, spec = (
                    target.rpartition(":")
                    if ":" in target.split("::")[-1]
                    else (target, "", "s")
                )
            data = self.glued(key)
            if data is None:
                return html.escape(target)
            if name == "glue:md" and "text/markdown" in data:
                return data["text/markdown"]
            value = data.get("text/plain", "")
            try:
                return html.escape(
                    format_glue_text(value, spec or "s") if name == "glue:text" else value
                )
            except (TypeError, ValueError) as err:
                self.warn(f"glue {key!r} cannot be formatted with {spec!r}: {err}")
                return html.escape(value)
        if name == "doc":
            if text:
                return f'<span class="doc-link">{html.escape(text)}</span>'
            doc = (
                target
                if target.startswith("/")
                else (self.path.parent.relative_to(ROOT) / target).as_posix()
            )
            doc = pathlib.PurePosixPath(re.sub(r"^/", "", doc))
            parts: list[str] = []
            for part in (
                doc.with_suffix("").parts if doc.suffix in (".md", ".ipynb") else doc.parts
            ):
                if part == "..":
                    parts.pop() if parts else None
                elif part != ".":
                    parts.append(part)
            title = self.book.titles.get("/".join(parts))
            if title is None:
                self.warn(f"{{doc}}`{content}`: no such page; shown as its name")
                title = target
            return f'<span class="doc-link">{html.escape(plain(title))}</span>'
        if name in ("ref", "numref", "eq"):
            if name == "eq":
                return f"({html.escape(target)})"
            if text:
                return html.escape(
                    re.sub(r"\s*(%s|\{number\}|\{name\})\s*", " ", text).strip()
                )
            title = self.book.labels.get(target)
            if title is None:
                self.warn(f"{{{name}}}`{content}`: no such label; shown as the label")
                title = target
            return html.escape(plain(title))
        if name == "math":
            return f"${content}$"
        if name in ("kbd", "sub", "sup"):
            tag = "kbd" if name == "kbd" else name
            return f"<{tag}>{html.escape(content)}</{tag}>"
        if name in (
            "code",
            "literal",
            "samp",
            "file",
            "command",
            "py:func",
            "py:class",
            "func",
            "class",
            "meth",
            "mod",
            "attr",
            "obj",
        ):
            return f"`{text or target}`"
        if name == "abbr":
            return html.escape(re.sub(r"\s*\(.*\)$", "", content))
        return html.escape(text or target)


# ---- which cells, and the notebook the exporter sees ---------------------------------


def hidden_cells(nb) -> dict[int, str]:
    """Cells that never go on a slide, by index, with the reason."""
    hidden: dict[int, str] = {}
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    if code:
        hidden[code[0]] = "the setup cell"
    in_solution = False
    for i, cell in enumerate(nb.cells):
        src = cell.source if cell.cell_type == "markdown" else ""
        if in_solution:
            if SOLUTION_END.search(src):
                in_solution = False  # what follows {solution-end} in this cell is shown
            else:
                hidden[i] = "part of a solution"
                continue
        if SOLUTION_START.search(src):
            hidden[i] = "part of a solution"
            in_solution = not SOLUTION_END.search(src)
            continue
        for tag in NEVER_TAGS:
            if tag in cell.metadata.get("tags", []):
                hidden.setdefault(i, f"tagged {tag}")
    return hidden


@dataclass
class Deck:
    """One chapter's deck: where it came from, what it shows."""

    path: pathlib.Path
    title: str
    nb: nbformat.NotebookNode
    slides: int  # horizontal slides and sub-slides
    warnings: list[str]

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def filename(self) -> str:
        return f"{self.stem}{DECK_SUFFIX}"


def widget_jobs(nb, cells: list[int]) -> list[tuple[int, dict]]:
    """(cell index, widget view data) for every widget shown on the slides."""
    jobs = []
    for i in cells:
        for output in nb.cells[i].get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view:
                jobs.append((i, output))
    return jobs


def prepare(path: pathlib.Path, book: Book, pictures: dict | None = None) -> Deck:
    """Read a chapter and return the notebook its deck is made from (a converted copy).

    `pictures` maps (path, cell index, model id) to (PNG bytes, width, height) in CSS
    pixels; a widget without one is shown as its text (a note says where it is live).
    """
    nb = nbformat.read(path, as_version=4)
    glue = glue_values(nb)
    myst = Myst(path, glue, book)
    hidden = hidden_cells(nb)
    title = (
        first_heading(next((c.source for c in nb.cells if c.cell_type == "markdown"), ""))
        or path.stem
    )
    out = copy.deepcopy(nb)
    out.metadata.pop("widgets", None)
    out.metadata["title"] = plain(title)
    slides = 0
    shown = []
    for i, cell in enumerate(out.cells):
        kind = slide_type(cell)
        tags = cell.metadata.get("tags", [])
        if kind and i in hidden:
            myst.warn(f"cell {i} is tagged {kind!r} but is {hidden[i]}: never on a slide")
            kind = None
        cell.metadata["slideshow"] = {"slide_type": kind or "skip"}
        if not kind:
            continue
        # A new (sub-)slide; the first cell shown always starts one (nbconvert).
        slides += kind in ("slide", "subslide") or not shown
        shown.append(i)
        if cell.cell_type == "markdown":
            cell.source = slide_markdown(myst, cell.source)
            continue
        if cell.cell_type != "code":
            continue
        if any(t in tags for t in NO_INPUT_TAGS):
            cell.metadata["transient"] = {"remove_source": True}
        if any(t in tags for t in NO_OUTPUT_TAGS):
            cell.outputs = []
        figure = cell.metadata.get("mystnb", {})
        outputs = []
        for output in cell.outputs:
            if output.get("metadata", {}).get("scrapbook"):
                continue
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                outputs.append(widget_output(path, i, output, pictures))
                continue
            if "image/png" in data:
                output.metadata["packviz_alt"] = figure.get("image", {}).get("alt", "")
                output.metadata["packviz_caption"] = figure.get("figure", {}).get(
                    "caption", ""
                )
            outputs.append(output)
        cell.outputs = outputs
    if not shown:
        raise SlideError(f"{path.relative_to(ROOT)} has no cell tagged for a slide")
    return Deck(path, title, out, slides, myst.warnings)


def slide_markdown(myst: Myst, source: str) -> str:
    """A tagged Markdown cell as a slide shows it: what follows a {solution-end}, MyST
    converted, without the headings that end the cell (they open what is not on it)."""
    end = SOLUTION_END.search(source)
    if end:
        source = source[end.end() :]
    converted = myst.block(source).strip()
    return TRAILING_HEADINGS.sub("", converted).strip() or converted


RISE = {"theme": "white", "transition": "none", "width": WIDTH, "height": HEIGHT}


def rise_notebook(path: pathlib.Path, book: Book) -> nbformat.NotebookNode:
    """The chapter for presenting live in JupyterLab with RISE (jupyterlab-rise).

    Every cell, output and the widget state stay (run the notebook, then open it with
    RISE); the tags become the `slideshow.slide_type` metadata RISE reads, tagged
    Markdown cells get the slides' Markdown (RISE renders CommonMark, not MyST), inputs
    hidden in the book are collapsed, and `metadata.rise` picks the white theme (the
    default one loads fonts from Google) at 1280x720.
    """
    nb = nbformat.read(path, as_version=4)
    myst = Myst(path, glue_values(nb), book)
    hidden = hidden_cells(nb)
    for i, cell in enumerate(nb.cells):
        kind = None if i in hidden else slide_type(cell)
        cell.metadata["slideshow"] = {"slide_type": kind or "skip"}
        if kind and cell.cell_type == "markdown":
            cell.source = slide_markdown(myst, cell.source)
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and any(t in tags for t in NO_INPUT_TAGS):
            cell.metadata["jupyter"] = {"source_hidden": True}
    nb.metadata["rise"] = dict(RISE)
    return nb


def widget_output(path, index: int, output, pictures: dict | None):
    """The static stand-in for a widget output: its picture, or its text."""
    view = output["data"][WIDGET_VIEW]
    label = output["data"].get("text/plain", "a widget")
    if isinstance(label, list):
        label = "".join(label)
    picture = (pictures or {}).get((path, index, view["model_id"]))
    if picture is None:
        text = f"{label}\n(a live widget in the book and in Jupyter)"
        return nbformat.v4.new_output("stream", name="stdout", text=text)
    png, width, height = picture
    return nbformat.v4.new_output(
        "display_data",
        data={"image/png": base64.b64encode(png).decode(), "text/plain": label},
        metadata={
            "image/png": {"width": width, "height": height},
            "packviz_alt": f"Picture of the widget {label} in its first state.",
            "packviz_caption": "A picture of the widget's first state: in the book and "
            "in Jupyter it is live, so move its controls there.",
        },
    )


# ---- widget pictures (Chromium) ------------------------------------------------------

SHOT_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>widget pictures</title>
<style>
body {{ margin: 0; background: #fff; font-family: "Source Sans Pro", Helvetica, sans-serif;
       font-size: 16px; }}
.shot {{ width: {width}px; padding: 12px; background: #fff; }}
</style>
<script src="packviz-assets/require.js"></script>
<script src="packviz-assets/widgets-config.js"></script>
<script src="packviz-assets/html-manager/embed-amd.js"></script>
</head><body>
<script type="{state_mime}">{state}</script>
{shots}
</body></html>
"""


# The box around everything a widget drew (its container is wider than the widget),
# with a margin of 8 px: the picture is cropped to it.
CONTENT_BOX_JS = """
(selector) => {
  const root = document.querySelector(selector);
  let top = Infinity, left = Infinity, bottom = -Infinity, right = -Infinity;
  for (const el of root.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    top = Math.min(top, r.top); left = Math.min(left, r.left);
    bottom = Math.max(bottom, r.bottom); right = Math.max(right, r.right);
  }
  const x = Math.max(left + window.scrollX - 8, 0);
  const y = Math.max(top + window.scrollY - 8, 0);
  return {x, y, width: right + window.scrollX + 8 - x,
          height: bottom + window.scrollY + 8 - y};
}
"""


# The widgets have drawn once the page's DOM has not changed for 300 ms (at most 5 s).
SETTLED = [300, 5000]


def _picture_key(state: dict, view: dict, width: int) -> str:
    """What a widget's picture depends on: its state (which carries the widgets' own
    JavaScript and CSS), the widget manager's files (their hashes, manifest.json), the
    page and the scripts that take the picture, and its width."""
    manifest = (WIDGET_ASSETS / "manifest.json").read_bytes()
    parts = json.dumps(
        [state, view, width, SHOT_PAGE, CONTENT_BOX_JS, SETTLE_JS, SETTLED], sort_keys=True
    )
    return hashlib.sha256(parts.encode() + manifest).hexdigest()


def widget_pictures(
    paths: list[pathlib.Path], width: int = 960, cache: pathlib.Path | None = CACHE
) -> dict:
    """Pictures of every tagged widget of `paths` in its stored state.

    A picture is taken in Chromium unless `cache` holds one with the same key
    (`_picture_key`); new pictures are stored there.
    """
    if not (WIDGET_ASSETS / "manifest.json").exists():
        raise SlideError(
            "the widget manager is missing from _widget_assets: run `make assets`"
        )
    todo, pictures = [], {}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        hidden = hidden_cells(nb)
        jobs = widget_jobs(nb, [i for i in deck_cells(nb) if i not in hidden])
        if not jobs:
            continue
        state = nb.metadata.get("widgets", {}).get(WIDGET_STATE)
        if not state:
            raise SlideError(
                f"{path.relative_to(ROOT)}: widgets without stored state; "
                "re-run it with scripts/run_notebook.py"
            )
        keys = [
            _picture_key(state, output["data"][WIDGET_VIEW], width) for _, output in jobs
        ]
        cached = [cache and (cache / f"{key}.json").exists() for key in keys]
        for key, (index, output), hit in zip(keys, jobs, cached):
            if hit:
                size = json.loads((cache / f"{key}.json").read_text())
                pictures[(path, index, output["data"][WIDGET_VIEW]["model_id"])] = (
                    (cache / f"{key}.png").read_bytes(),
                    size["width"],
                    size["height"],
                )
        if not all(cached):
            todo.append((path, state, jobs, keys))
    if todo:
        taken = _take_pictures([(p, s, j) for p, s, j, _ in todo], width)
        pictures.update(taken)
        if cache:
            cache.mkdir(parents=True, exist_ok=True)
            for path, _, jobs, keys in todo:
                for key, (index, output) in zip(keys, jobs):
                    png, w, h = taken[
                        (path, index, output["data"][WIDGET_VIEW]["model_id"])
                    ]
                    (cache / f"{key}.png").write_bytes(png)
                    (cache / f"{key}.json").write_text(
                        json.dumps({"width": w, "height": h})
                    )
    return pictures


def _take_pictures(todo: list, width: int) -> dict:
    """Render the widgets of `todo` ((path, state, jobs) per notebook) in Chromium and
    screenshot each one, cropped to what it drew."""
    from playwright.sync_api import sync_playwright
    from support.browser import (
        CHROMIUM,
        CHROMIUM_ARGS,
        confine,
        record_console_errors,
        serve,
    )

    pictures = {}
    with tempfile.TemporaryDirectory() as tmp:
        site = pathlib.Path(tmp)
        shutil.copytree(
            WIDGET_ASSETS, site / "packviz-assets", ignore=shutil.ignore_patterns("mathjax")
        )
        for n, (_, state, jobs) in enumerate(todo):
            shots = "\n".join(
                f'<div class="shot" id="shot-{k}"><script type="{WIDGET_VIEW}">'
                f"{json.dumps(output['data'][WIDGET_VIEW])}</script></div>"
                for k, (_, output) in enumerate(jobs)
            )
            page = SHOT_PAGE.format(
                width=width,
                state_mime=WIDGET_STATE,
                state=json.dumps(state).replace("</", "<\\/"),
                shots=shots,
            )
            (site / f"page{n}.html").write_text(page, encoding="utf-8")
        with serve(site) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(
                viewport={"width": width + 40, "height": 800}, device_scale_factor=2
            )
            outside = confine(context, url)
            for n, (path, _, jobs) in enumerate(todo):
                page = context.new_page()
                errors = record_console_errors(page)
                page.goto(f"{url}/page{n}.html", wait_until="load")
                drawn = f"document.querySelectorAll('[data-packviz]').length >= {len(jobs)}"
                try:
                    page.wait_for_function(drawn, timeout=30_000)
                except Exception as err:
                    raise SlideError(
                        f"{path.relative_to(ROOT)}: the widgets did not render "
                        f"in Chromium ({errors or err})"
                    ) from err
                page.evaluate(SETTLE_JS, SETTLED)  # let the views finish drawing
                for k, (index, output) in enumerate(jobs):
                    box = page.evaluate(CONTENT_BOX_JS, f"#shot-{k}")
                    pictures[(path, index, output["data"][WIDGET_VIEW]["model_id"])] = (
                        page.screenshot(clip=box, full_page=True),
                        round(box["width"]),
                        round(box["height"]),
                    )
                if errors:
                    raise SlideError(
                        f"{path.relative_to(ROOT)}: errors while rendering the "
                        f"widgets: {errors}"
                    )
                page.close()
            browser.close()
            if outside:
                raise SlideError(f"the widget pictures asked for other hosts: {outside}")
    return pictures


# ---- export and assets ---------------------------------------------------------------


def exporter():
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    config.SlidesExporter.reveal_url_prefix = REVEAL_PREFIX
    config.SlidesExporter.reveal_theme = "white"
    config.SlidesExporter.reveal_transition = "none"
    config.SlidesExporter.reveal_width = str(WIDTH)
    config.SlidesExporter.reveal_height = str(HEIGHT)
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    config.SlidesExporter.extra_template_basedirs = [str(TEMPLATE_DIR)]
    config.SlidesExporter.template_name = TEMPLATE
    return SlidesExporter(config=config)


def render(deck: Deck, slides_exporter, licence: str = "") -> str:
    resources = {"slides": {"assets": ASSETS, "licence": licence},
                 "metadata": {"name": plain(deck.title)}}
    body, _ = slides_exporter.from_notebook_node(deck.nb, resources=resources)
    return body


def copy_assets(out: pathlib.Path) -> None:
    """reveal.js (dist, the notes plugin, the white theme's fonts) and MathJax 3."""
    found = npm_version(REVEAL)
    if found != REVEAL_VERSION:
        raise SlideError(
            f"node_modules/reveal.js is {found}, expected {REVEAL_VERSION}: "
            "run `npm ci` (package-lock.json pins it)"
        )
    reveal = out / REVEAL_PREFIX
    dist = REVEAL / "dist"
    for name in ("reveal.js", "reveal.css", "reset.css", "theme/white.css"):
        (reveal / "dist" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dist / name, reveal / "dist" / name)
    fonts = dist / "theme" / "fonts" / "source-sans-pro"
    (reveal / "dist/theme/fonts/source-sans-pro").mkdir(parents=True, exist_ok=True)
    for font in fonts.iterdir():
        if font.suffix in (".woff", ".css") or font.name == "LICENSE":
            shutil.copyfile(font, reveal / "dist/theme/fonts/source-sans-pro" / font.name)
    (reveal / "plugin/notes").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REVEAL / "plugin/notes/notes.js", reveal / "plugin/notes/notes.js")
    shutil.copyfile(REVEAL / "LICENSE", reveal / "LICENSE")
    assets = out / ASSETS
    for part in MATHJAX_PARTS:
        src, dst = MATHJAX / "es5" / part, assets / "mathjax" / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)
    shutil.copyfile(MATHJAX / "LICENSE", assets / "mathjax" / "LICENSE")


INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Slides: {book}</title>
<style>
body {{ font-family: "Source Sans Pro", Helvetica, Arial, sans-serif; max-width: 46rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #1a1a1a; }}
a {{ color: #0b5394; }}
ul {{ list-style: none; padding: 0; }}
li {{ margin: 0.4rem 0; }}
.count {{ color: #555; }}
</style>
</head>
<body>
<main>
<h1>Slides: {book}</h1>
<p>One reveal.js deck per chapter, made from the chapter's notebook. Keys: arrows or
space to move, <kbd>S</kbd> for speaker notes, <kbd>F</kbd> for full screen,
<kbd>Esc</kbd> for an overview. Widgets show as pictures; they are live in the book.</p>
<ul>
{items}
</ul>
</main>
<footer>{licence}</footer>
</body>
</html>
"""


def write_index(out: pathlib.Path, decks: list[Deck], book_title: str,
                licence: str = "") -> None:
    def name(deck: Deck) -> str:
        number = re.match(r"(\d+)_", deck.stem)
        title = html.escape(plain(deck.title))
        if deck.path.parent.name == "chapters" and number:
            return f"Chapter {int(number[1])}: {title}"
        return title

    items = "\n".join(
        f'<li><a href="{d.filename}">{name(d)}</a> '
        f'<span class="count">({d.slides} slides)</span></li>'
        for d in decks
    )
    (out / "index.html").write_text(
        INDEX.format(book=html.escape(book_title), items=items, licence=licence),
        encoding="utf-8"
    )


def book_notebooks() -> list[pathlib.Path]:
    """The notebooks _toc.yml lists, in reading order, that have a slide tag."""
    from support import toc_files

    paths = []
    for name in toc_files():
        path = ROOT / f"{name}.ipynb"
        if path.exists() and deck_cells(nbformat.read(path, as_version=4)):
            paths.append(path)
    return paths


def build(
    out: pathlib.Path,
    paths: list[pathlib.Path],
    *,
    pictures: bool = True,
    copy_to: tuple[pathlib.Path, ...] = (),
    cache: pathlib.Path | None = CACHE,
) -> list[Deck]:
    """Write the decks of `paths`, the index and the assets into `out`."""
    import yaml

    book = Book.read()
    shots = widget_pictures(paths, cache=cache) if pictures else {}
    slides_exporter = exporter()
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    # The book's licence line (every page's footer) goes on every deck and the index.
    licence = config.get("html", {}).get("extra_footer", "")
    decks = [prepare(path, book, shots) for path in paths]
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for deck in decks:
        (out / deck.filename).write_text(render(deck, slides_exporter, licence),
                                         encoding="utf-8")
    copy_assets(out)
    write_index(out, decks, config.get("title", "the book"), licence)
    for target in copy_to:
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(out, target)
    return decks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "_build" / "slides")
    parser.add_argument("--copy-to", type=pathlib.Path, action="append", default=[])
    parser.add_argument(
        "--no-widget-pictures",
        action="store_true",
        help="show widgets as text (no Chromium needed)",
    )
    parser.add_argument(
        "--rise",
        type=pathlib.Path,
        help="also write each chapter, tagged for RISE (jupyterlab-rise), into this folder",
    )
    parser.add_argument(
        "--cache",
        type=pathlib.Path,
        default=CACHE,
        help="folder of widget pictures kept between builds (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    paths = [p.resolve() for p in args.notebooks] or book_notebooks()
    if not paths:
        print("no notebook has a slide tag: no decks", file=sys.stderr)
        return 1
    try:
        decks = build(
            args.out,
            paths,
            pictures=not args.no_widget_pictures,
            cache=args.cache,
            copy_to=tuple(args.copy_to),
        )
    except SlideError as err:
        print(f"slides: {err}", file=sys.stderr)
        return 1
    if args.rise:
        args.rise.mkdir(parents=True, exist_ok=True)
        book = Book.read()
        for path in paths:
            nbformat.write(rise_notebook(path, book), args.rise / path.name)
    for deck in decks:
        for warning in deck.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"{args.out / deck.filename}: {deck.slides} slides")
    seconds = time.perf_counter() - start
    print(f"{len(decks)} decks and index.html in {args.out} ({seconds:.1f} s)")
    for target in args.copy_to:
        print(f"copied to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
