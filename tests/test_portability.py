"""Every notebook in _toc.yml runs top to bottom with oneDNN off, and its asserts hold.

A torch build without oneDNN (or a CPU where it is not used) takes other kernels for
the same layers: outputs may differ in rounding, but no claim the chapter asserts may
depend on oneDNN. scripts/run_notebook.py --no-mkldnn turns it off at kernel start;
--no-write leaves the notebook as it was. `make test` runs these (marker portability)
in their own pytest run, spread over both cores.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _toc_chapters() -> list[pathlib.Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [entry["file"] for part in toc["parts"] for entry in part.get("chapters", [])]
    # every chapter is a notebook; a reference page may be one too (the benchmark appendix)
    return [
        ROOT / f"{name}.ipynb"
        for name in files
        if name.startswith("chapters/") or (ROOT / f"{name}.ipynb").exists()
    ]


CHAPTERS = _toc_chapters()


def test_toc_lists_chapters_that_exist():
    assert CHAPTERS, "_toc.yml lists no chapter under chapters/"
    missing = [p.name for p in CHAPTERS if not p.exists()]
    assert not missing, f"_toc.yml lists chapters that do not exist: {missing}"


@pytest.mark.portability
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
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
