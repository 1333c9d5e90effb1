"""Book invariants: every chapter listed, run and checked; the built pages self-hosted."""

import json
import pickle
import re
import sys

import pytest
import yaml
from support import HTML, ROOT, STUDENT_HTML, toc_files

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
# What Sphinx recorded while it built HTML (myst-nb keeps each notebook's execution there).
ENVIRONMENT = HTML.parent / ".doctrees" / "environment.pickle"


def code_cells(path):
    nb = json.loads(path.read_text())
    return [c for c in nb["cells"]
            if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def markdown(path):
    nb = json.loads(path.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "markdown"]
    return "\n".join("".join(c["source"]) for c in cells)


def test_the_table_of_contents_lists_every_chapter_once_in_number_order():
    listed = [entry for entry in toc_files() if entry.startswith("chapters/")]
    assert CHAPTERS, "chapters/ holds no notebook"
    assert listed == [f"chapters/{nb.stem}" for nb in CHAPTERS], (
        "_toc.yml must list every chapter notebook once, in the order of their numbers")
    numbers = [nb.stem.split("_")[0] for nb in CHAPTERS]
    assert all(n.isdigit() for n in numbers) and len(set(numbers)) == len(numbers), numbers


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_is_in_the_table_of_contents(nb):
    assert f"chapters/{nb.stem}" in toc_files()


def test_every_toc_entry_exists():
    for entry in toc_files():
        matches = list(ROOT.glob(entry + ".*"))
        assert matches, f"_toc.yml lists {entry}, which does not exist"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_every_code_cell_has_stored_outputs_from_one_run_in_order(nb):
    cells = code_cells(nb)
    counts = [c.get("execution_count") for c in cells]
    assert None not in counts, f"{nb.name}: a code cell was never run"
    assert counts == list(range(1, len(cells) + 1)), (
        f"{nb.name}: cells were not run once, top to bottom (run scripts/run_notebook.py)")


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_has_the_house_shape(nb):
    text = markdown(nb)
    for heading in ["What you will learn", "Prerequisites", "## Summary", "## Exercises",
                    "## Further reading"]:
        assert heading in text, f"{nb.name} lacks '{heading}'"
    assert text.count("{exercise}") >= 3, f"{nb.name} has fewer than three exercises"
    assert text.count("{exercise}") == text.count("{solution-start}"), (
        f"{nb.name}: every exercise needs a solution")
    assert any("assert " in "".join(c["source"]) for c in code_cells(nb))


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_no_stored_output_is_an_unexpected_error(nb):
    for cell in code_cells(nb):
        tags = cell.get("metadata", {}).get("tags", [])
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                assert "raises-exception" in tags, (
                    f"{nb.name}: a cell not tagged raises-exception stored an error")
            if out["output_type"] == "stream" and out["name"] == "stderr":
                text = "".join(out["text"])[:200]
                pytest.fail(f"{nb.name}: stderr output stored: {text}")


# --- the built book ----------------------------------------------------------------

def built_pages():
    return sorted(HTML.rglob("*.html"))


@pytest.fixture(scope="module")
def built():
    if not (HTML / "index.html").exists():
        pytest.fail(f"the book is not built in {HTML}: run `make book` first "
                    "(make test does it), or set BOOK_HTML")
    return HTML


@pytest.fixture(scope="module")
def executions(built):
    """myst-nb's record of each notebook the build executed: {docname: exec_data}.

    exec_data has "method" (the execute_notebooks mode), "succeeded", "error" and
    "traceback"; a notebook the build did not execute has none.
    """
    if not ENVIRONMENT.exists():
        pytest.fail(f"{ENVIRONMENT} is missing: build the book with jupyter-book")
    sys.path.insert(0, str(ROOT / "_ext"))  # the book's local Sphinx extension
    try:
        with ENVIRONMENT.open("rb") as f:
            env = pickle.load(f)  # noqa: S301 (our own build's file)
    finally:
        sys.path.remove(str(ROOT / "_ext"))
    metadata = getattr(env, "nb_metadata", {})
    return {doc: data.get("exec_data") for doc, data in metadata.items()}


EXTERNAL_TAG = re.compile(
    r"<(?:script|img|iframe|source)[^>]+src=[\"'](?:https?:)?//|"
    r"<link[^>]+href=[\"'](?:https?:)?//[^\"']+[\"'][^>]*rel=[\"']?(?:stylesheet|preload|"
    r"modulepreload|icon)|<link[^>]+rel=[\"']?(?:stylesheet|preload|modulepreload)[^>]+"
    r"href=[\"'](?:https?:)?//",
    re.IGNORECASE,
)
EXTERNAL_CSS = re.compile(r"(?:url\(\s*[\"']?(?:https?:)?//|@import\s+[\"']?(?:url\()?"
                          r"[\"']?https?:)", re.IGNORECASE)


@pytest.mark.book
def test_every_toc_page_was_built(built):
    for entry in toc_files():
        assert (built / f"{entry}.html").exists(), f"{entry}.html missing from the build"


@pytest.mark.book
def test_built_pages_load_no_script_style_or_font_from_outside(built):
    offenders = []
    for page in built_pages():
        for match in EXTERNAL_TAG.finditer(page.read_text(errors="ignore")):
            offenders.append(f"{page.relative_to(built)}: {match.group(0)[:120]}")
    for css in built.rglob("*.css"):
        for match in EXTERNAL_CSS.finditer(css.read_text(errors="ignore")):
            offenders.append(f"{css.relative_to(built)}: {match.group(0)[:120]}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.book
def test_the_book_renders_stored_outputs_and_executes_nothing(executions):
    """`make book` renders what the notebooks store; strict nbval (make test) proves
    those outputs are what the code prints today."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["execute"]["execute_notebooks"] == "off"
    ran = {doc: data for doc, data in executions.items() if data}
    assert not ran, f"the build executed {sorted(ran)}"


@pytest.mark.book
@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_the_page_shows_every_stored_output_and_only_tagged_errors(built, nb):
    """Each stored output (but glue's hidden records) reaches the page, and each cell
    that shows a traceback there is one the chapter tags raises-exception."""
    page = (built / "chapters" / f"{nb.stem}.html").read_text()
    # Cells are sibling <div class="cell ..."> blocks; an error shows as a traceback.
    starts = [m.start() for m in re.finditer(r'<div class="cell[ "]', page)]
    raised, with_output = [], 0
    for start, end in zip(starts, [*starts[1:], len(page)]):
        cell = page[start:end]
        with_output += 'class="cell_output' in cell
        if 'class="output traceback' in cell:
            raised.append("tag_raises-exception" in cell[: cell.index(">")])
    tagged = sum(
        "raises-exception" in c.get("metadata", {}).get("tags", []) for c in code_cells(nb)
    )
    shown = [c for c in code_cells(nb)
             if any("scrapbook" not in o.get("metadata", {}) for o in c.get("outputs", []))
             and not {"remove-cell", "remove-output"} & set(c["metadata"].get("tags", []))]
    assert with_output >= len(shown), (
        f"{nb.stem}.html shows outputs of {with_output} cells; the notebook stores "
        f"{len(shown)} (is execute_notebooks off, and the notebook executed?)")
    assert all(raised), f"{nb.stem}.html: a cell not tagged raises-exception raised"
    assert len(raised) == tagged, (
        f"{nb.stem}.html: {len(raised)} cells show a traceback, {tagged} are tagged "
        "raises-exception")


@pytest.mark.book
def test_no_page_but_search_loads_the_search_index_before_its_widgets():
    """The theme's search scripts are deferred (_ext/page_assets.py): no page's parser
    waits for the 60 KB search index before it reaches the page's widgets."""
    pattern = re.compile(r'<script ([^>]*)src="[^"]*(searchtools\.js|language_data\.js|'
                         r'searchindex\.js)"')
    for name in toc_files():
        found = pattern.findall((HTML / f"{name}.html").read_text(encoding="utf-8"))
        assert len(found) == 3, f"{name}: the theme's search scripts changed: {found}"
        assert all("defer" in attrs for attrs, _ in found), f"{name}: {found}"


EDITIONS = {  # every build make test makes, each built once there
    "full": HTML, "student": STUDENT_HTML,
    "es": ROOT / "_build" / "es" / "html", "ko": ROOT / "_build" / "ko" / "html",
}


@pytest.mark.book
@pytest.mark.parametrize("edition", EDITIONS)
def test_every_page_links_one_stylesheet_that_holds_the_books_own(edition):
    """_ext/page_assets.py bundles the page's stylesheets into one file: one request
    in front of the first paint instead of sixteen. The bundle holds the theme's and
    the book's stylesheets as the build left them (pygments.css as the theme rewrote
    it), and each url() in it names a file."""
    sys.path.insert(0, str(ROOT / "_ext"))
    import page_assets

    built = EDITIONS[edition]
    if not (built / "intro.html").exists():
        pytest.fail(f"the {edition} edition is not built in {built} (make test builds it)")

    linked = set()
    pages = [p for p in sorted(built.rglob("*.html"))  # not the slide decks copied in
             if not any(part.startswith("_") or part == "slides"
                        for part in p.relative_to(built).parts[:-1])]
    for page in pages:
        head = page.read_text(encoding="utf-8").split("</head>", 1)[0]
        if 'http-equiv="refresh"' in head.lower():
            continue  # the redirect stub index.html
        sheets = re.findall(r'<link\b[^>]*\brel="stylesheet"[^>]*>', head)
        assert len(sheets) == 1, f"{page.relative_to(built)}: {sheets}"
        href = re.search(r'href="([^"?]+)', sheets[0]).group(1)
        linked.add((page.parent / href).resolve())
    assert len(linked) == 1, linked  # every page the same file: cached after the first
    bundle = linked.pop()
    css = bundle.read_text(encoding="utf-8")
    files = page_assets.bundle_files(css)
    ours = [f"_static/{p.name}" for p in sorted((ROOT / "_static").glob("*.css"))]
    for needed in ["_static/styles/theme.css", "_static/styles/pydata-sphinx-theme.css",
                   *ours, "_static/page-icons.css"]:
        assert needed in files, f"{needed} is not in {bundle.name}: {files}"
    for rel in files:
        assert f"/* {rel} */\n{page_assets.stylesheet_text(built, rel)}" in css, rel
    assert "@import" not in css
    for target in re.findall(r"""url\(\s*['"]?([^'")]+)""", css):
        if not target.startswith(("data:", "#")):
            path = built / "_static" / target.split("?")[0].split("#")[0]
            assert path.is_file(), f"{bundle.name}: url({target}) names no file"
