"""Execute notebooks in place, the way the book build and nbval run them.

Usage: python scripts/run_notebook.py [--no-mkldnn] [--no-write] chapters/NN_x.ipynb [...]

Runs each notebook top to bottom in a fresh kernel from its own folder, stores the
outputs and the widget state, and prints how long it took.

--no-mkldnn  sets `torch.backends.mkldnn.enabled = False` at kernel start (an IPython
             startup file), as a torch build without oneDNN would run: the chapter's
             asserts must hold there too, though its outputs may differ.
--no-write   leaves the notebook file as it was (a check, not a re-run to commit).
A cell that raises fails the run, unless it is tagged `raises-exception`.
"""

from __future__ import annotations

import os
import pathlib
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

NO_MKLDNN_STARTUP = "import torch\ntorch.backends.mkldnn.enabled = False\n"
# Appended to the run (never written): fails if the startup file did not take effect.
NO_MKLDNN_PROBE = (
    "import torch\n"
    "assert not torch.backends.mkldnn.enabled, 'oneDNN is still on: --no-mkldnn failed'"
)


def run(
    path: pathlib.Path, timeout: int = 300, *, no_mkldnn: bool = False, write: bool = True
) -> float:
    """Execute one notebook (in place unless write=False) and return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as ipython_dir:
        env = None
        if no_mkldnn:
            startup = pathlib.Path(ipython_dir, "profile_default", "startup")
            startup.mkdir(parents=True)
            (startup / "00-no-mkldnn.py").write_text(NO_MKLDNN_STARTUP)
            env = {**os.environ, "IPYTHONDIR": ipython_dir}
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
            store_widget_state=True,
        )
        if no_mkldnn:
            nb.cells.append(nbformat.v4.new_code_cell(NO_MKLDNN_PROBE))
        start = time.perf_counter()
        if env is None:
            client.execute()
        else:
            client.execute(env=env)
        seconds = time.perf_counter() - start
        if no_mkldnn:
            nb.cells.pop()
    if write:
        nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> None:
    """Run the notebooks named on the command line."""
    flags = {a for a in argv if a.startswith("--")}
    unknown = flags - {"--no-mkldnn", "--no-write"}
    names = [a for a in argv if not a.startswith("--")]
    if unknown or not names:
        sys.exit(__doc__)
    for name in names:
        no_mkldnn = "--no-mkldnn" in flags
        write = "--no-write" not in flags
        seconds = run(pathlib.Path(name), no_mkldnn=no_mkldnn, write=write)
        print(f"{name}: {seconds:.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
