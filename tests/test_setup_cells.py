"""Every chapter runs in Colab unchanged: its setup cell installs packviz from the repo.

Two checks:
- every chapter's first code cell is the setup cell of CONTRIBUTING.md, tagged
  `remove-cell`, with `REPO_URL` equal to `repository.url` in `_config.yml`;
- Colab simulated: one chapter runs in a kernel where packviz is not installed and
  `google.colab` is imported at start (a fake that records the widget-manager call),
  with `REPO_URL` pointed at a fresh `git clone` of this repository. The setup cell must
  install packviz from that URL and the whole chapter must then run without error.

The simulated kernel is a throwaway venv of the base interpreter that sees the book's
packages (.venv's site-packages, through symlinks) minus packviz (its editable finder
and metadata are left out). pip runs with `--no-index` and without build isolation
(environment variables), so it can only use what is already there: it never fetches
or reinstalls torch, and it fails loudly if packviz's dependencies were missing.
"""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap

import nbformat
import pytest
import yaml
from support.colab import (
    ENABLED,
    REPO_URL_LINE,
    clone_with_working_tree_package,
    printed,
    setup_cell,
    with_repo_url,
    write_fake_colab,
    write_kernelspec,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def _contributing_setup_cell() -> str:
    """The setup cell as CONTRIBUTING.md prints it (the python block after its name)."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    after = text[text.index("The **setup cell**") :]
    block = re.search(r"```python\n(.*?)\n\s*```", after, re.S)
    assert block, "CONTRIBUTING.md: no python block after 'The **setup cell**'"
    return textwrap.dedent(block.group(1)).strip()


def _config_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"]


def _expected_setup_cell(url: str) -> str:
    template = _contributing_setup_cell()
    assert REPO_URL_LINE.search(template), "CONTRIBUTING.md setup cell has no REPO_URL"
    return REPO_URL_LINE.sub(f'REPO_URL = "{url}"', template)


def test_contributing_setup_cell_installs_from_repo_url():
    cell = _contributing_setup_cell()
    assert '%pip install --quiet "packviz @ git+{REPO_URL}"' in cell
    assert "enable_custom_widget_manager()" in cell


@pytest.mark.skipif(not CHAPTERS, reason="no chapter notebooks yet")
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_code_cell_is_the_setup_cell(path):
    cell = setup_cell(nbformat.read(path, as_version=4))
    assert "remove-cell" in cell.metadata.get("tags", []), (
        f"{path.name}: tag the setup cell remove-cell (hidden in the HTML)"
    )
    found = REPO_URL_LINE.search(cell.source)
    assert found, f"{path.name}: the first code cell is not the setup cell"
    assert found.group(1) == _config_url(), (
        f"{path.name}: REPO_URL is {found.group(1)!r} but repository.url in "
        f"_config.yml is {_config_url()!r}; they must agree"
    )
    assert cell.source.strip() == _expected_setup_cell(_config_url()), (
        f"{path.name}: the setup cell differs from CONTRIBUTING.md; copy it exactly"
    )


# --- Colab, simulated --------------------------------------------------------------
REPORT_CELL = """\
import importlib.metadata, json, packviz
print("COLAB-SIM " + json.dumps({
    "file": packviz.__file__,
    "direct_url": importlib.metadata.distribution("packviz").read_text("direct_url.json"),
}))
"""


def _recorded_seconds(path: pathlib.Path) -> float:
    """How long the committed run of a notebook took (nbclient's cell timestamps)."""
    total = 0.0
    for cell in nbformat.read(path, as_version=4).cells:
        ex = cell.get("metadata", {}).get("execution", {})
        start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
        if start and end:
            total += (
                datetime.datetime.fromisoformat(end.replace("Z", "+00:00"))
                - datetime.datetime.fromisoformat(start.replace("Z", "+00:00"))
            ).total_seconds()
    return total or float("inf")


def _fastest_chapter() -> pathlib.Path:
    chosen = os.environ.get("COLAB_SIM_CHAPTER")  # override: a chapter file name
    if chosen:
        return ROOT / "chapters" / chosen
    return min(CHAPTERS, key=lambda p: (_recorded_seconds(p), p.stat().st_size))


def _site_without_packviz(dest: pathlib.Path) -> pathlib.Path:
    """Symlinks to every entry of this venv's site-packages, except packviz's."""
    site = pathlib.Path(sysconfig.get_paths()["purelib"])
    dest.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        if (
            name.startswith(("packviz", "__editable__"))
            or name.endswith(".pth")
            or name == "__pycache__"
        ):
            continue
        (dest / entry.name).symlink_to(entry)
    return dest


def _colab_venv(tmp: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """A venv of the base interpreter that sees the book's packages but not packviz."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    venv = tmp / "venv"
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    fake = write_fake_colab(tmp / "fake_colab")
    book_site = _site_without_packviz(tmp / "book_site")
    pathlib.Path(purelib, "colab_sim.pth").write_text(f"{fake}\n{book_site}\n")
    return python, pathlib.Path(purelib)


@pytest.mark.skipif(not CHAPTERS, reason="no chapter notebooks yet")
def test_chapter_runs_in_simulated_colab(tmp_path):
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient import NotebookClient

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout (pip installs from a git+file URL)")
    repo = clone_with_working_tree_package(tmp_path / "repo")
    python, purelib = _colab_venv(tmp_path)
    log = tmp_path / "colab.log"

    # The kernel imports google.colab at start, as Colab's does.
    kernels = write_kernelspec(tmp_path / "kernels", "colabsim", python, ["google.colab"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env.update(
        COLAB_SIM_LOG=str(log),
        PIP_NO_INDEX="1",  # nothing from the network: torch can never be pulled
        PIP_NO_BUILD_ISOLATION="0",  # pip's inverted spelling: build without isolation
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_CONFIG_FILE=os.devnull,
    )

    chapter = _fastest_chapter()
    nb = nbformat.read(chapter, as_version=4)
    repo_url = repo.as_uri()
    setup = with_repo_url(nb, repo_url)
    nb.cells.append(nbformat.v4.new_code_cell(REPORT_CELL))

    ksm = KernelSpecManager(kernel_dirs=[str(kernels.parent)])
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="colabsim",
        resources={"metadata": {"path": str(chapter.parent)}},
    )
    client.km = client.kernel_manager_class(kernel_name="colabsim", kernel_spec_manager=ksm)
    try:
        client.execute(env=env)
    except Exception as err:  # show what the setup cell (pip) printed, then fail
        pytest.fail(f"the chapter failed; the setup cell printed:\n{printed(setup)}\n{err}")

    setup_text = json.dumps(setup.outputs)
    assert "error" not in setup_text.lower(), f"setup cell output: {setup_text[:2000]}"
    report_line = next(
        line
        for out in nb.cells[-1].outputs
        for line in out.get("text", "").splitlines()
        if line.startswith("COLAB-SIM ")
    )
    report = json.loads(report_line.removeprefix("COLAB-SIM "))
    assert pathlib.Path(report["file"]).resolve().is_relative_to(purelib.resolve()), (
        f"packviz came from {report['file']}, not from the pip install into the venv"
    )
    assert json.loads(report["direct_url"])["url"] == repo_url
    installed = sorted(p.name for p in purelib.glob("*.dist-info"))
    assert len(installed) == 1 and installed[0].startswith("packviz-"), (
        f"pip installed more than packviz: {installed}"
    )
    assert log.exists() and ENABLED in log.read_text(), (
        "the setup cell did not enable Colab's custom widget manager"
    )
