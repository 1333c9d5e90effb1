"""Scaffolding the tests share, written once.

- here: ROOT (the repository), HTML (the built book the book and browser tests read;
  BOOK_HTML overrides it), `python_notebook` (a notebook for the python3 kernel), and
  `toc_files` / `toc_notebooks` (the pages _toc.yml lists);
- `support.torch_reference`: what torch itself says about a batch of lengths (packing,
  the attention mask of transformer-style packing) and the random lengths the tests
  draw; the tests compare packviz (Python and JavaScript) with it;
- `support.colab`: Colab, simulated (a stand-in `google.colab`, a kernel that imports
  it at start, a clone to install packviz from); used by tests/test_setup_cells.py and
  scripts/colab_compat.py;
- `support.browser`: Chromium, a folder served on 127.0.0.1, pages confined to that
  server, console errors recorded, and the colour-contrast script; used by
  tests/browser and by benchmarks/widget_latency.py.

tests/*.py import it as `support` (pytest puts tests/ on sys.path); tests/browser/
conftest.py, benchmarks/widget_latency.py and scripts/colab_compat.py put tests/ on
sys.path first. It imports
no conftest and no pytest.
"""

import os
import pathlib

import nbformat
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The built book the book and browser tests read: BOOK_HTML (an environment variable)
# points them at another build, e.g. a scratch one: BOOK_HTML=/tmp/b/_build/html.
HTML = pathlib.Path(os.environ.get("BOOK_HTML") or ROOT / "_build" / "html").resolve()
# The student edition (make book-student); STUDENT_HTML points at another build.
STUDENT_HTML = pathlib.Path(
    os.environ.get("STUDENT_HTML") or ROOT / "_build" / "student" / "html").resolve()


def python_notebook(cells: list) -> nbformat.NotebookNode:
    """A notebook of `cells` (nbformat cells) for the python3 kernel."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = list(cells)
    return nb


def toc_files() -> list[str]:
    """Every page _toc.yml lists, root first, in reading order (paths without suffix)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return files


def toc_notebooks(under: str = "") -> list[pathlib.Path]:
    """The notebooks _toc.yml lists below `under` (e.g. "chapters/"), in reading order.

    Every chapter is a notebook, so a chapter entry whose file is missing is returned
    too (for the test that says so); elsewhere only entries that are notebooks count.
    """
    return [
        ROOT / f"{name}.ipynb"
        for name in toc_files()
        if name.startswith(under)
        and (name.startswith("chapters/") or (ROOT / f"{name}.ipynb").exists())
    ]
