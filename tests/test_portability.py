"""Every notebook in _toc.yml runs top to bottom with oneDNN off, and its asserts hold.

A torch build without oneDNN (or a CPU where it is not used) takes other kernels for
the same layers: outputs may differ in rounding, but no claim the chapter asserts may
depend on oneDNN. scripts/run_notebook.py --no-mkldnn turns it off at kernel start;
--no-write leaves the notebook as it was. `make test` runs these (marker portability)
in its main pytest run, each test on whichever worker is free
(tests/support/xdist_groups.py: ONE_BY_ONE).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from support import ROOT, toc_notebooks

# every chapter, and the benchmark appendix (tests/test_book.py checks the list itself)
NOTEBOOKS = toc_notebooks()


@pytest.mark.portability
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_runs_with_onednn_off(path):
    before = path.read_bytes()
    result = subprocess.run(
        [sys.executable, "scripts/run_notebook.py", "--no-mkldnn", "--no-write", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, (
        f"{path.name} failed with oneDNN off:\n{result.stdout[-4000:]}\n"
        f"{result.stderr[-8000:]}"
    )
    assert path.read_bytes() == before, f"--no-write changed {path.name}"
