"""A fork changes one line (repository.url in _config.yml) and runs `make fork`.

The places that must carry the address literally (setup cells, CONTRIBUTING's setup
cell, the README's links) agree with _config.yml; and on a copy of the repository,
after `scripts/fork.py --url <another>`, no built page, generated notebook or tracked
file names the old address.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
from support import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import fork  # noqa: E402

NEW = "https://github.com/example-teacher/rnn-course"
JB = pathlib.Path(sys.executable).with_name("jupyter-book")


def test_every_literal_address_agrees_with_the_config():
    url = fork.editions.repository_url()
    for path in fork.notebooks():
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        lines = [m.group(0) for c in cells
                 for m in fork.URL_LINE.finditer("".join(c["source"]))]
        assert lines and all(f'"{url}"' in line for line in lines), (
            f"{path.name}: REPO_URL differs from _config.yml; run `make fork`")
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert f'REPO_URL = "{url}"' in contributing
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert fork.readme_links() in readme, "README's links are stale: run `make fork`"


def old_addresses() -> list[str]:
    url = fork.editions.repository_url()
    owner_repo = "/".join(url.split("/")[-2:])
    site = fork.editions.published_url()
    return [url, site, f"github/{owner_repo}/", f"gh/{owner_repo}/"]


@pytest.fixture(scope="module")
def forked(tmp_path_factory):
    """A copy of the tracked files, forked to NEW, with its book and trees built."""
    copy = tmp_path_factory.mktemp("fork") / "repo"
    listing = ["git", "ls-files", "--cached", "--others", "--exclude-standard"]
    tracked = subprocess.run(listing, cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    for name in tracked:
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    for built in ("_widget_assets", "node_modules"):  # made by the Makefile, not tracked
        if (ROOT / built).exists():
            os.symlink(ROOT / built, copy / built)
    run = [sys.executable, str(copy / "scripts" / "fork.py"), "--url", NEW,
           "--root", str(copy)]
    subprocess.run(run, check=True, capture_output=True)
    out = copy / "out"
    for cmd in ([str(JB), "build", str(copy), "--path-output", str(out), "-q"],
                [sys.executable, str(copy / "scripts" / "student_edition.py"), "--source",
                 str(copy), "--output", str(out / "student"), "--no-strict"],
                [sys.executable, str(copy / "scripts" / "editions.py"), "--out",
                 str(out / "editions")]):
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=copy)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return copy, tracked


def _files(folder: pathlib.Path):
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".ipynb", ".md", ".js", ".txt",
                                              ".yml", ".py", ".cfg", ".toml"}:
            yield path


@pytest.mark.book
def test_a_fork_leaves_the_old_address_nowhere(forked):
    copy, tracked = forked
    old = old_addresses()
    hits = []
    for path in [*_files(copy / "out"), *(copy / t for t in tracked)]:
        if not path.is_file() or {"node_modules", "fixtures"} & set(path.parts):
            continue  # fixtures: students' submissions, made wherever they were made
        text = path.read_text(encoding="utf-8", errors="ignore")
        hits += [f"{path.relative_to(copy)}: {o}" for o in old if o in text]
    assert not hits, "the old address survived the fork:\n" + "\n".join(hits[:20])
    page = (copy / "out" / "_build" / "html" / "chapters"
            / "01_why_padding_wastes.html").read_text(encoding="utf-8")
    assert re.search(r"colab\.research\.google\.com/github/example-teacher/rnn-course/"
                     r"blob/notebooks/", page)
    student = (copy / "out" / "student" / "chapters"
               / "01_why_padding_wastes.html").read_text(encoding="utf-8")
    assert f"{NEW}/tree/student-notebooks" in student
