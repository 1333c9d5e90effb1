"""Book invariants: every chapter listed, run and checked; the built pages self-hosted."""

import json
import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
HTML = ROOT / "_build" / "html"


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return files


def code_cells(path):
    nb = json.loads(path.read_text())
    return [c for c in nb["cells"]
            if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def markdown(path):
    nb = json.loads(path.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "markdown"]
    return "\n".join("".join(c["source"]) for c in cells)


def test_there_are_chapters():
    assert len(CHAPTERS) >= 4


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
        pytest.fail("the book is not built: run `make book` first (make test does it)")
    return HTML


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
@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_the_build_executed_each_chapter(built, nb):
    page = (built / "chapters" / f"{nb.stem}.html").read_text()
    assert page.count("cell_output") >= 3, f"{nb.stem}.html shows no cell outputs"
    assert "Traceback" not in page or "raises-exception" in page
