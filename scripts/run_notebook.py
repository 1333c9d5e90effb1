"""Execute notebooks in place, the way the book build and nbval run them.

Usage: python scripts/run_notebook.py chapters/02_what_packing_produces.ipynb [...]

Runs each notebook top to bottom in a fresh kernel from its own folder, stores the
outputs and the widget state, and prints how long it took.
"""

from __future__ import annotations

import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient


def run(path: pathlib.Path, timeout: int = 300) -> float:
    """Execute one notebook in place and return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for name in sys.argv[1:]:
        print(f"{name}: {run(pathlib.Path(name)):.1f} s", flush=True)
