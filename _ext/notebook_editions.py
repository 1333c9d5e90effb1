"""The notebooks readers open: generated from the chapters, in plain Markdown.

The chapters are written in MyST (admonitions, `{exercise}` blocks, gated solutions,
`{glue:text}` numbers, `{doc}` links) for the HTML book. Jupyter, JupyterLab and Colab
show MyST as raw fences, so the notebooks behind the launch and download buttons are
generated from the chapters:

- **full**: every cell, with MyST turned into CommonMark. Each exercise is a bold
  "Exercise N.k" paragraph; its solution (prose, code and the code's stored outputs)
  is one Markdown cell folded in a `<details>` block that the reader opens on purpose.
- **student**: the same, with every solution left out.

In both, the code cells are the chapter's own code cells outside solutions, with their
stored outputs, so a student notebook runs exactly as the full one does. Glued numbers
become the values the chapter stored; `{doc}` links point to the published book.

`edition_notebook` converts one notebook; `write_tree` writes a whole branch (the
notebooks and what Binder needs to run them) for the deploy workflow to push. Nothing
here depends on Sphinx: `_ext/edition_buttons.py` (the Sphinx side) and
`scripts/editions.py` (the command line) both call it.
"""

from __future__ import annotations

import copy
import json
import pathlib
import re
import shutil
from ast import literal_eval
from dataclasses import dataclass, field

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
EDITIONS = ("full", "student")
# The branches the deploy workflow pushes and the launch buttons open.
BRANCHES = {"full": "notebooks", "student": "student-notebooks"}
# What a branch holds besides the generated notebooks: what Binder and the setup cell
# need to run them (binder/ installs the pins and packviz from the branch itself).
RUNTIME_FILES = ("binder", "packviz", "pyproject.toml", "requirements.txt",
                 "requirements-lab.txt", "LICENSE", "LICENSE-CODE", "LICENSE-TEXT")

_FENCE_OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|:{3,})\s*\{(?P<name>[\w:-]+)\}"
                         r"\s*(?P<arg>.*)$")
_OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*)$")
_GLUE = re.compile(r"\{glue(?::text)?\}`(?P<key>[^`:]+)(?::(?P<fmt>[^`]*))?`")
_DOC = re.compile(r"\{doc\}`(?:(?P<title>[^`<]*?)\s*<(?P<target>[^`>]+)>|(?P<bare>[^`]+))`")
_TEXT_ROLE = re.compile(r"\{(?:ref|numref|term|eq|abbr)\}`(?:(?P<title>[^`<]*?)\s*<[^`>]+>|"
                        r"(?P<bare>[^`]+))`")
_TARGET = re.compile(r"^\((?P<label>[\w-]+)\)=\s*$")


@dataclass
class Context:
    """What a conversion needs besides the notebook itself."""

    edition: str  # "full" or "student"
    docname: str  # e.g. "chapters/01_why_padding_wastes"
    number: str | None  # chapter number as the book shows it ("1"), None if unnumbered
    book_url: str  # published HTML book, ending in "/"
    titles: dict[str, str] = field(default_factory=dict)  # docname -> page title
    glue: dict[str, str] = field(default_factory=dict)  # glue key -> text/plain
    exercises: int = 0  # exercises seen so far in this notebook


# --- reading the book's configuration ----------------------------------------------
def book_config(root: pathlib.Path = ROOT) -> dict:
    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))


def repository_url(root: pathlib.Path = ROOT) -> str:
    """`repository.url` of _config.yml, the one place the book's address is written."""
    return book_config(root)["repository"]["url"].rstrip("/")


def published_url(root: pathlib.Path = ROOT) -> str:
    """Where the HTML book is published: `html.baseurl`, else GitHub Pages of the repo."""
    config = book_config(root)
    base = (config.get("html") or {}).get("baseurl")
    if base:
        return base.rstrip("/") + "/"
    match = re.match(r"https://github\.com/([^/]+)/([^/]+)", repository_url(root))
    if not match:
        raise ValueError("set html.baseurl in _config.yml: repository.url is not GitHub")
    owner, repo = match.groups()
    return f"https://{owner.lower()}.github.io/{repo}/"


def toc_numbers(root: pathlib.Path = ROOT) -> dict[str, str | None]:
    """docname -> chapter number ("1", "2", ...) for numbered parts, else None."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    numbers: dict[str, str | None] = {toc["root"]: None}
    count = 0
    for part in toc.get("parts", []):
        for entry in part.get("chapters", []):
            if part.get("numbered"):
                count += 1
                numbers[entry["file"]] = str(count)
            else:
                numbers[entry["file"]] = None
    return numbers


def page_titles(root: pathlib.Path = ROOT) -> dict[str, str]:
    """docname -> the page's first heading, for the text of `{doc}` links."""
    titles = {}
    for docname in toc_numbers(root):
        for suffix in (".ipynb", ".md"):
            path = root / f"{docname}{suffix}"
            if not path.exists():
                continue
            if suffix == ".ipynb":
                cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
                text = "\n".join("".join(c["source"]) for c in cells
                                 if c["cell_type"] == "markdown")
            else:
                text = path.read_text(encoding="utf-8")
            heading = re.search(r"^# (.+)$", text, re.M)
            titles[docname] = heading.group(1).strip() if heading else docname
    return titles


def glue_values(nb: dict) -> dict[str, str]:
    """Glue key -> stored text/plain of every `glue(...)` output in the notebook."""
    values = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            scrap = out.get("metadata", {}).get("scrapbook")
            if scrap:
                data = out.get("data", {})
                text = data.get(scrap.get("mime_prefix", "") + "text/plain")
                if text is not None:
                    values[scrap["name"]] = "".join(text)
    return values


def format_glue(text: str, fmt: str) -> str:
    """The glued value as `{glue:text}` shows it (myst-nb's rule: format the literal)."""
    try:
        value = literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not fmt:
        return str(value)
    kind = fmt[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, fmt)


# --- Markdown ------------------------------------------------------------------------
def _resolve_doc(target: str, ctx: Context) -> str:
    """A `{doc}` target, relative to the current page, as a docname."""
    base = pathlib.PurePosixPath(ctx.docname).parent
    parts = []
    for part in (base / target).parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def inline(text: str, ctx: Context) -> str:
    """Roles to CommonMark: glued values, links to the book, plain text for the rest."""

    def glue(match: re.Match) -> str:
        key = match.group("key").split("::")[-1]
        if key not in ctx.glue:
            raise KeyError(f"{ctx.docname}: no stored glue value {key!r}: execute "
                           "the notebook (scripts/run_notebook.py)")
        return format_glue(ctx.glue[key], match.group("fmt") or "")

    def doc(match: re.Match) -> str:
        target = _resolve_doc(match.group("target") or match.group("bare"), ctx)
        title = match.group("title") or ctx.titles.get(target, target)
        return f"[{title}]({ctx.book_url}{target}.html)"

    def text_role(match: re.Match) -> str:
        return match.group("title") or match.group("bare")

    text = _GLUE.sub(glue, text)
    text = _DOC.sub(doc, text)
    return _TEXT_ROLE.sub(text_role, text)


@dataclass
class Block:
    """A MyST directive found in Markdown: its name, argument, options and body."""

    name: str
    arg: str
    options: dict[str, str]
    body: str


def split_blocks(text: str) -> list[str | Block]:
    """Markdown text as plain runs and (top-level) MyST directives, in order."""
    lines = text.split("\n")
    out: list[str | Block] = []
    plain: list[str] = []
    i = 0
    while i < len(lines):
        match = _FENCE_OPEN.match(lines[i])
        if not match:
            plain.append(lines[i])
            i += 1
            continue
        fence = match.group("fence")
        closing = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        j, options = i + 1, {}
        while j < len(lines) and (opt := _OPTION.match(lines[j])):
            options[opt.group("key")] = opt.group("value").strip()
            j += 1
        body_start = j
        while j < len(lines) and not closing.match(lines[j]):
            j += 1
        if plain:
            out.append("\n".join(plain))
            plain = []
        out.append(Block(match.group("name"), match.group("arg").strip(), options,
                         "\n".join(lines[body_start:j]).strip("\n")))
        i = j + 1
    if plain:
        out.append("\n".join(plain))
    return out


def _quote(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.split("\n"))


def _admonition(block: Block, ctx: Context) -> str:
    title = block.arg or block.name.capitalize()
    return _quote(f"**{inline(title, ctx)}**\n\n{convert_markdown(block.body, ctx)}")


def _exercise(block: Block, ctx: Context) -> str:
    ctx.exercises += 1
    number = f"{ctx.number}.{ctx.exercises}" if ctx.number else str(ctx.exercises)
    label = block.options.get("label", "")
    title = f" ({inline(block.arg, ctx)})" if block.arg else ""
    kind = " (open question)" if "open-question" in block.options.get("class", "") else ""
    anchor = f'<a id="{label}"></a>\n\n' if label else ""
    body = convert_markdown(block.body, ctx)
    return f"{anchor}**Exercise {number}**{title}{kind}. {body}"


def convert_markdown(text: str, ctx: Context) -> str:
    """One Markdown text from MyST to CommonMark (solutions are handled by the caller)."""
    parts = []
    for piece in split_blocks(text):
        if isinstance(piece, str):
            lines = [line for line in piece.split("\n") if not _TARGET.match(line)]
            parts.append(inline("\n".join(lines), ctx))
        elif piece.name in ("admonition", "note", "tip", "warning", "important",
                            "caution", "attention", "hint", "seealso", "danger", "error"):
            parts.append(_admonition(piece, ctx))
        elif piece.name == "exercise":
            parts.append(_exercise(piece, ctx))
        elif piece.name in ("code-cell", "code-block", "code"):
            parts.append(f"```{piece.arg}\n{piece.body}\n```")
        elif piece.name == "math":
            parts.append(f"$$\n{piece.body}\n$$")
        elif piece.name == "tableofcontents":
            continue
        else:
            raise ValueError(f"{ctx.docname}: no plain-Markdown form for the MyST "
                             f"directive {{{piece.name}}}; add one in {__file__}")
    return "\n\n".join(p.strip("\n") for p in parts if p.strip())


# --- solutions ------------------------------------------------------------------------
def _output_markdown(cell: dict, attachments: dict) -> str:
    """A code cell's stored outputs as Markdown (text blocks, images as attachments)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("metadata", {}).get("scrapbook"):
            continue
        if out["output_type"] == "stream":
            parts.append("```text\n" + "".join(out["text"]).rstrip("\n") + "\n```")
        elif out["output_type"] == "error":
            parts.append("```text\n" + f"{out['ename']}: {out['evalue']}" + "\n```")
        else:
            data = out.get("data", {})
            image = next((m for m in ("image/png", "image/jpeg") if m in data), None)
            if image:
                name = f"output{len(attachments) + 1}.{image.split('/')[1]}"
                attachments[name] = {image: "".join(data[image])}  # base64 already
                parts.append(f"![output](attachment:{name})")
            elif "text/plain" in data:
                parts.append("```text\n" + "".join(data["text/plain"]).rstrip("\n")
                             + "\n```")
    return "\n\n".join(parts)


def _solution_cell(cells: list[dict], ctx: Context, label: str) -> dict:
    """The cells of one solution as a single Markdown cell folded in <details>."""
    body, attachments = [], {}
    for cell in cells:
        text = "".join(cell["source"]).strip("\n")
        if cell["cell_type"] == "markdown":
            if text:
                body.append(convert_markdown(text, ctx))
        elif cell["cell_type"] == "code" and text:
            body.append(f"```python\n{text}\n```")
            shown = _output_markdown(cell, attachments)
            if shown:
                body.append(shown)
    number = f"{ctx.number}.{ctx.exercises}" if ctx.number else str(ctx.exercises)
    source = (f"<details>\n<summary>Solution to Exercise {number} (click to open)"
              "</summary>\n\n" + "\n\n".join(body) + "\n\n</details>")
    cell = _markdown_cell(source, f"solution-{label}")
    if attachments:
        cell["attachments"] = attachments
    return cell


def _markdown_cell(source: str, cell_id: str) -> dict:
    return {"cell_type": "markdown", "id": _cell_id(cell_id), "metadata": {},
            "source": source}


def _cell_id(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9-]", "-", text)[:64]
    return cleaned or "cell"


_SOLUTION_START = re.compile(r"^\s*(`{3,}|:{3,})\s*\{solution-start\}\s*(\S+)", re.M)
_SOLUTION_END = re.compile(r"^\s*(`{3,}|:{3,})\s*\{solution-end\}", re.M)
_SOLUTION_PLAIN = re.compile(r"^\s*(`{3,}|:{3,})\s*\{solution\}\s*(\S+)", re.M)


def _split_at(text: str, pattern: re.Pattern) -> tuple[str, str] | None:
    """(before, from the directive on) if `pattern` opens a directive in `text`."""
    match = pattern.search(text)
    return (text[:match.start()], text[match.start():]) if match else None


def _directive_body(text: str) -> tuple[Block, str]:
    """The first directive of `text`, and the text after its closing fence."""
    blocks = split_blocks(text)
    first = next(i for i, b in enumerate(blocks) if isinstance(b, Block))
    rest = "\n\n".join(b for b in blocks[first + 1:] if isinstance(b, str)).strip("\n")
    return blocks[first], rest


# --- whole notebooks ------------------------------------------------------------------
def edition_notebook(nb: dict, ctx: Context) -> dict:
    """The `ctx.edition` notebook of chapter `nb` (a dict as nbformat stores it)."""
    if ctx.edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}, not {ctx.edition!r}")
    ctx.glue = glue_values(nb)
    ctx.exercises = 0
    out = copy.deepcopy(nb)
    cells: list[dict] = []
    solution: list[dict] | None = None  # cells of the gated solution being collected
    label = ""
    for cell in nb["cells"]:
        cell = copy.deepcopy(cell)
        text = "".join(cell["source"])
        if solution is not None:  # inside {solution-start} ... {solution-end}
            split = _split_at(text, _SOLUTION_END) if cell["cell_type"] == "markdown" \
                else None
            if split is None:
                solution.append(cell)
                continue
            before, rest = split
            if before.strip():
                solution.append({**cell, "source": before})
            if ctx.edition == "full":
                cells.append(_solution_cell(solution, ctx, label))
            solution = None
            text = _directive_body(rest)[1]
            if not text.strip():
                continue
            cell["source"] = text
        if cell["cell_type"] != "markdown":
            cells.append(cell)
            continue
        split = _split_at(text, _SOLUTION_START)
        if split:
            before, rest = split
            label = _SOLUTION_START.search(rest).group(2)
            block, after = _directive_body(rest)
            if before.strip():
                cells.append({**cell, "source": convert_markdown(before, ctx)})
            solution = [_markdown_cell(after, "x")] if after.strip() else []
            continue
        split = _split_at(text, _SOLUTION_PLAIN)
        if split:  # a one-cell {solution} directive
            before, rest = split
            block, after = _directive_body(rest)
            if before.strip():
                cells.append({**cell, "source": convert_markdown(before, ctx)})
            if ctx.edition == "full":
                cells.append(_solution_cell([_markdown_cell(block.body, "x")], ctx,
                                            block.arg))
            if after.strip():
                cells.append({**cell, "id": _cell_id(cell.get("id", "") + "-after"),
                              "source": convert_markdown(after, ctx)})
            continue
        cell["source"] = convert_markdown(text, ctx)
        if cell["source"].strip():
            cells.append(cell)
    if solution is not None:
        raise ValueError(f"{ctx.docname}: {{solution-start}} {label} has no "
                         "{solution-end}")
    out["cells"] = cells
    meta = out.setdefault("metadata", {})
    meta["packing_book"] = {"edition": ctx.edition, "source": f"{ctx.docname}.ipynb",
                            "chapter": pathlib.PurePosixPath(ctx.docname).name}
    return out


def context_for(docname: str, edition: str, root: pathlib.Path = ROOT) -> Context:
    return Context(edition=edition, docname=docname, number=toc_numbers(root).get(docname),
                   book_url=edition_url(edition, root), titles=page_titles(root))


def edition_url(edition: str, root: pathlib.Path = ROOT) -> str:
    """The published HTML of an edition: the full book at the root, students' beside."""
    base = published_url(root)
    return base if edition == "full" else f"{base}student/"


def notebook_pages(root: pathlib.Path = ROOT) -> list[str]:
    """Docnames of every notebook page the table of contents lists."""
    return [d for d in toc_numbers(root) if (root / f"{d}.ipynb").exists()]


def convert_file(source: pathlib.Path, target: pathlib.Path, docname: str, edition: str,
                 root: pathlib.Path = ROOT) -> None:
    nb = json.loads(source.read_text(encoding="utf-8"))
    result = edition_notebook(nb, context_for(docname, edition, root))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", "utf-8")


def branch_readme(edition: str, root: pathlib.Path = ROOT) -> str:
    repo = repository_url(root)
    what = ("with every solution, folded away until you open it" if edition == "full"
            else "without solutions (the student edition)")
    return (f"# Notebooks of the book, {edition} edition\n\n"
            f"Generated from the chapters of {repo} by `scripts/editions.py`: the same "
            f"code and stored outputs, in plain Markdown, {what}. Do not edit here; "
            f"edit the chapters on the main branch.\n\n"
            f"Read the book at {edition_url(edition, root)}. Open a notebook in "
            "JupyterLab, Colab or Binder (the book's launch buttons link here); its first "
            "cell installs the helper package `packviz` if it is missing.\n")


def write_tree(out: pathlib.Path, edition: str, root: pathlib.Path = ROOT) -> pathlib.Path:
    """Write the branch of `edition` (notebooks + what Binder needs) into out/<branch>."""
    tree = out / BRANCHES[edition]
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    for docname in notebook_pages(root):
        convert_file(root / f"{docname}.ipynb", tree / f"{docname}.ipynb", docname,
                     edition, root)
    for name in RUNTIME_FILES:
        path = root / name
        if path.is_dir():
            shutil.copytree(path, tree / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif path.exists():
            shutil.copy2(path, tree / name)
    (tree / "README.md").write_text(branch_readme(edition, root), encoding="utf-8")
    return tree
