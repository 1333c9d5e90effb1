"""The notebooks readers open are plain Markdown, and the student ones hold no solution.

`_ext/notebook_editions.py` generates, from each chapter, the notebook that the launch
buttons (Colab, Binder) and the download button serve: the full edition with every
solution folded in a <details> block, the student edition without solutions. These
tests generate both trees (as the deploy workflow pushes them), render their Markdown
with a plain CommonMark renderer, look for every solution's text, and follow every
launch and download link of the built books to the notebook it names.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys
import tomllib
from urllib.parse import parse_qs, urlparse

import pytest
from markdown_it import MarkdownIt
from support import HTML, ROOT, STUDENT_HTML

sys.path.insert(0, str(ROOT / "_ext"))
import notebook_editions as editions  # noqa: E402

PAGES = editions.notebook_pages()
FENCE = re.compile(r"^\s*(`{3,}|:{3,})\s*\{(solution-start|solution-end|solution)\}")
# What MyST leaves behind when a CommonMark renderer sees it.
MYST_LEFTOVERS = {
    "a directive fence": re.compile(r'<code class="language-\{'),
    "a colon fence": re.compile(r"(?m)^<p>:{3,}|\n:{3,}\{"),
    "a role": re.compile(r"\{[a-z][\w:-]*\}<code>"),
    "a directive option": re.compile(r"(?m)^<p>:(label|class|alt|width|name):"),
    "a target": re.compile(r"(?m)^<p>\([\w-]+\)=</p>"),
}


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    out = tmp_path_factory.mktemp("editions")
    return {edition: editions.write_tree(out, edition) for edition in editions.EDITIONS}


def source_cells(docname: str) -> list[dict]:
    return json.loads((ROOT / f"{docname}.ipynb").read_text(encoding="utf-8"))["cells"]


def solution_lines(docname: str) -> set[str]:
    """Lines of the chapter's solutions (prose and code) that appear nowhere else in it."""
    inside, outside = [], []
    in_solution = False
    for cell in source_cells(docname):
        for line in "".join(cell["source"]).split("\n"):
            match = FENCE.match(line)
            if match:
                in_solution = match.group(2) != "solution-end"
                continue
            (inside if in_solution else outside).append(line.strip())
    elsewhere = set(outside)
    return {line for line in inside if len(line) >= 20 and line not in elsewhere
            and not line.startswith((":class:", "```", ":::"))}


def lines_of(text: str) -> set[str]:
    return {line.strip() for line in text.split("\n")}


def text_of(nb: dict) -> str:
    """Every source and stored text output of a notebook, as one string."""
    parts = []
    for cell in nb["cells"]:
        parts.append("".join(cell["source"]))
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            parts.append("".join(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def load(path: pathlib.Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_page_with_a_notebook_is_generated(trees):
    assert "chapters/01_why_padding_wastes" in PAGES
    for tree in trees.values():
        assert sorted(str(p.relative_to(tree).with_suffix(""))
                      for p in tree.rglob("*.ipynb")) == sorted(PAGES)
        project = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))
        needed = ["binder", "packviz", "requirements.txt", "requirements-lab.txt",
                  project["project"]["readme"], *project["project"]["license-files"]]
        for name in needed:  # binder/postBuild installs packviz from the branch
            assert (tree / name).exists(), f"{tree.name} lacks {name} (Binder needs it)"


@pytest.mark.parametrize("edition", editions.EDITIONS)
@pytest.mark.parametrize("docname", PAGES)
def test_notebooks_read_as_plain_markdown(trees, edition, docname):
    nb = load(trees[edition] / f"{docname}.ipynb")
    render = MarkdownIt("commonmark").render
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        html = render("".join(cell["source"]))
        for what, pattern in MYST_LEFTOVERS.items():
            assert not pattern.search(html), (
                f"{edition} {docname} cell {i} shows {what} as raw text:\n{html[:600]}")


@pytest.mark.parametrize("docname", PAGES)
def test_the_student_notebook_holds_no_solution(trees, docname):
    text = text_of(load(trees["student"] / f"{docname}.ipynb"))
    leaked = sorted(solution_lines(docname) & lines_of(text))
    assert not leaked, f"student {docname} contains solution text: {leaked[:3]}"
    assert "<details>" not in text and "Solution to Exercise" not in text


@pytest.mark.parametrize("docname", PAGES)
def test_the_full_notebook_folds_each_solution_away(trees, docname):
    nb = load(trees["full"] / f"{docname}.ipynb")
    source = "\n".join("".join(c["source"]) for c in source_cells(docname))
    solutions = len(re.findall(r"\{solution(?:-start)?\}", source))
    folded = [c for c in nb["cells"] if "".join(c["source"]).startswith("<details>")]
    assert len(folded) == solutions
    assert all("</details>" in "".join(c["source"]) for c in folded)
    missing = sorted(solution_lines(docname) - lines_of(text_of(nb)))
    assert not missing, f"full {docname} lost solution text: {missing[:3]}"


def code_outside_solutions(cells: list[dict]) -> list[str]:
    """Sources of the chapter's code cells that are not part of a gated solution."""
    kept, in_solution = [], False
    for cell in cells:
        text = "".join(cell["source"])
        if cell["cell_type"] == "code":
            if not in_solution:
                kept.append(text)
            continue
        for line in text.split("\n"):
            match = FENCE.match(line)
            if match and match.group(2) != "solution":
                in_solution = match.group(2) == "solution-start"
    return kept


@pytest.mark.parametrize("docname", PAGES)
def test_both_editions_run_the_chapters_code_without_the_solutions(trees, docname):
    full, student = (load(trees[e] / f"{docname}.ipynb") for e in ("full", "student"))

    def code(nb):
        return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]

    assert code(full) == code(student) == code_outside_solutions(source_cells(docname))


def test_the_setup_cell_carries_the_configured_address(trees):
    url = editions.repository_url()
    for tree in trees.values():
        for path in tree.rglob("*.ipynb"):
            setup = next(c for c in load(path)["cells"] if c["cell_type"] == "code")
            if "REPO_URL" in "".join(setup["source"]):
                assert f'REPO_URL = "{url}"' in "".join(setup["source"]), path


# --- the built books: every launch and download link ----------------------------------
LINK = re.compile(r'href="([^"]+)"')


def _launch_targets(page: str) -> list[tuple[str, str]]:
    """(branch, path in the repository) of every Colab and Binder link on a page."""
    found = []
    for url in LINK.findall(page):
        url = url.replace("&amp;", "&")
        parsed = urlparse(url)
        if parsed.netloc == "colab.research.google.com":
            parts = parsed.path.split("/")  # /github/org/repo/blob/branch/path...
            found.append((parts[5], "/".join(parts[6:])))
        elif parsed.netloc == "mybinder.org":
            branch = parsed.path.rstrip("/").split("/")[-1]
            path = parse_qs(parsed.query)["urlpath"][0]
            assert path.startswith("lab/tree/"), f"Binder opens {path}, not JupyterLab"
            found.append((branch, path.removeprefix("lab/tree/")))
    return found


def _built(html: pathlib.Path, what: str) -> pathlib.Path:
    if not (html / "index.html").exists():
        pytest.fail(f"the {what} is not built in {html}: run `make test` (or set "
                    "BOOK_HTML / STUDENT_HTML)")
    return html


@pytest.mark.book
@pytest.mark.parametrize("edition", editions.EDITIONS)
def test_every_launch_and_download_link_opens_that_editions_notebook(trees, edition):
    html = _built(HTML if edition == "full" else STUDENT_HTML, f"{edition} edition")
    branch = editions.BRANCHES[edition]
    for docname in PAGES:
        page = (html / f"{docname}.html").read_text(encoding="utf-8")
        launches = _launch_targets(page)
        assert len(launches) == 2, f"{docname}: expected a Colab and a Binder link"
        for link_branch, path in launches:
            assert link_branch == branch, f"{docname}: a launch link opens {link_branch}"
            assert path == f"{docname}.ipynb"
            opened = load(trees[edition] / path)
            assert opened["metadata"]["packing_book"]["edition"] == edition
        downloads = [u for u in LINK.findall(page) if "_sources/" in u
                     and u.endswith(".ipynb")]
        assert downloads, f"{docname}: no .ipynb download link"
        for url in downloads:
            target = (html / docname).parent / url
            assert load(target) == load(trees[edition] / f"{docname}.ipynb"), (
                f"{docname}: the download is not the generated {edition} notebook")
        if edition == "student":
            assert not solution_lines(docname) & lines_of(text_of(load(target)))


@pytest.mark.book
def test_the_student_repository_button_opens_the_student_branch():
    html = _built(STUDENT_HTML, "student edition")
    url = editions.repository_url()
    for docname in PAGES:
        page = (html / f"{docname}.html").read_text(encoding="utf-8")
        repo_links = [u for u in LINK.findall(page) if u.rstrip("/") == url
                      or u.startswith(f"{url}/tree/") or u.startswith(f"{url}/blob/")]
        assert repo_links == [f"{url}/tree/{editions.BRANCHES['student']}"], (
            docname, repo_links)
