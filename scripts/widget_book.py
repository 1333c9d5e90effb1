"""Build a one-page book of widget cells with the book's own _config.yml.

Used by the browser tests (tests/browser/test_widgets_browser.py) and the widget
benchmark (benchmarks/widget_latency.py), so both see the widgets exactly as the book
serves them: same assets, templates and extensions.
"""

from __future__ import annotations

import pathlib
import subprocess

import nbformat
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def book_config() -> dict:
    """The book's _config.yml with every path made absolute, for a book built elsewhere."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config["sphinx"]["config"]
    for key in ("html_extra_path", "templates_path"):
        if key in sphinx:
            sphinx[key] = [str(ROOT / p) for p in sphinx[key]]
    for key in ("html_favicon", "html_logo"):
        if sphinx.get(key) and "://" not in sphinx[key]:
            sphinx[key] = str(ROOT / sphinx[key])
    # Jupyter Book resolves these against the config file's folder.
    local = config["sphinx"].get("local_extensions") or {}
    for name, path in local.items():
        local[name] = str(ROOT / path)
    return config


def build_widget_book(book: pathlib.Path, cells: list[str], title: str) -> pathlib.Path:
    """Write a book of `cells` into `book`, build it with -W, and return its HTML folder."""
    if not cells:
        raise ValueError("cells is empty: give the code cells that show the widgets")
    book.mkdir(parents=True, exist_ok=True)
    config = book_config()
    # The book renders stored outputs; this one has none stored: run its cells.
    config.setdefault("execute", {})["execute_notebooks"] = "force"
    (book / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False),
                                      encoding="utf-8")
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: index\nchapters:\n  - file: widgets\n", encoding="utf-8")
    (book / "index.md").write_text(f"# {title}\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    # Some math on the page, so MathJax loads next to the widgets as in the chapters.
    nb.cells = [nbformat.v4.new_markdown_cell("# Widgets\n\nMath on the page: $T - 1$.")]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, book / "widgets.ipynb")
    jb = ROOT / ".venv" / "bin" / "jupyter-book"
    result = subprocess.run(
        [str(jb if jb.exists() else "jupyter-book"), "build", str(book), "--all",
         "--warningiserror", "--keep-going"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError("the widget book did not build:\n"
                           + (result.stdout + result.stderr)[-4000:])
    return book / "_build" / "html"
