"""Scaffolding the tests share, written once.

- here: ROOT (the repository), HTML (the built book the book and browser tests read;
  BOOK_HTML overrides it) and `python_notebook` (a notebook for the python3 kernel);
- `support.torch_reference`: what torch itself says about a batch of lengths (packing,
  the attention mask of transformer-style packing) and the random lengths the tests
  draw; the tests compare packviz (Python and JavaScript) with it;
- `support.browser`: Chromium, a folder served on 127.0.0.1, pages confined to that
  server, console errors recorded, and the colour-contrast script; used by
  tests/browser and by benchmarks/widget_latency.py.

tests/*.py import it as `support` (pytest puts tests/ on sys.path); tests/browser/
conftest.py and benchmarks/widget_latency.py put tests/ on sys.path first. It imports
no conftest and no pytest.
"""

import os
import pathlib

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The built book the book and browser tests read: BOOK_HTML (an environment variable)
# points them at another build, e.g. a scratch one: BOOK_HTML=/tmp/b/_build/html.
HTML = pathlib.Path(os.environ.get("BOOK_HTML") or ROOT / "_build" / "html").resolve()


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
