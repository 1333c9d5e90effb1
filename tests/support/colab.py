"""Colab, simulated: what tests/test_setup_cells.py and scripts/colab_compat.py share.

- a stand-in `google.colab` package whose `output.enable_custom_widget_manager()` writes
  a line to the file named by $COLAB_SIM_LOG;
- a kernelspec whose kernel imports modules at start (Colab's imports `google.colab`
  and `ipywidgets` before the first cell runs);
- a git clone of this repository with the working tree's package on top, whose file://
  URL the chapter's setup cell installs packviz from (`with_repo_url`).
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess

import nbformat

from support import ROOT

REPO_URL_LINE = re.compile(r'^REPO_URL = "([^"]*)"$', re.M)

FAKE_COLAB_OUTPUT = '''\
"""Stand-in for google.colab.output: records that the widget manager was enabled."""
import os


def enable_custom_widget_manager():
    with open(os.environ["COLAB_SIM_LOG"], "a") as log:
        log.write("enable_custom_widget_manager\\n")
'''
ENABLED = "enable_custom_widget_manager"


def write_fake_colab(dest: pathlib.Path) -> pathlib.Path:
    """Write the stand-in `google.colab` package under dest; return dest (for sys.path)."""
    (dest / "google" / "colab").mkdir(parents=True)
    (dest / "google" / "__init__.py").write_text("")
    (dest / "google" / "colab" / "__init__.py").write_text("from . import output\n")
    (dest / "google" / "colab" / "output.py").write_text(FAKE_COLAB_OUTPUT)
    return dest


def write_kernelspec(
    kernels: pathlib.Path, name: str, python: pathlib.Path, imports: list[str]
) -> pathlib.Path:
    """A kernelspec under kernels/name whose kernel imports `imports` at start."""
    spec = kernels / name
    spec.mkdir(parents=True)
    launcher = (
        "".join(f"import {module}; " for module in imports)
        + "from ipykernel import kernelapp; kernelapp.launch_new_instance()"
    )
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(python), "-c", launcher, "-f", "{connection_file}"],
                "display_name": "Colab (simulated)",
                "language": "python",
            }
        )
    )
    return spec


def _git(*args: str, cwd: pathlib.Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def clone_with_working_tree_package(dest: pathlib.Path) -> pathlib.Path:
    """Clone this repo's HEAD; commit the working tree's package files on top.

    In CI (a clean checkout) this is HEAD itself; on a work in progress, the chapter
    under test needs the packviz it was written against.
    """
    _git("clone", "--quiet", "--no-hardlinks", str(ROOT), str(dest), cwd=ROOT)
    shutil.rmtree(dest / "packviz")
    shutil.copytree(
        ROOT / "packviz", dest / "packviz", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    _git("add", "-A", "packviz", "pyproject.toml", cwd=dest)
    if _git("status", "--porcelain", cwd=dest).strip():
        _git(
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@localhost",
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            "working tree package",
            cwd=dest,
        )
    return dest


def setup_cell(nb) -> nbformat.NotebookNode:
    """The chapter's setup cell: its first code cell."""
    return next(cell for cell in nb.cells if cell.cell_type == "code")


def with_repo_url(nb, url: str) -> nbformat.NotebookNode:
    """Point the setup cell's REPO_URL at url (in place); return the setup cell."""
    cell = setup_cell(nb)
    cell.source = REPO_URL_LINE.sub(f'REPO_URL = "{url}"', cell.source)
    assert url in cell.source, "the setup cell has no REPO_URL line"
    return cell


def printed(cell) -> str:
    """Everything a cell printed (streams and error tracebacks), as one string."""
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts.extend(out.get("traceback", []))
    return "".join(parts)
