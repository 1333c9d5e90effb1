"""Binder builds the same environment as requirements.txt, with the CPU build of torch.

Binder (repo2docker) looks in binder/ first: binder/requirements.txt, runtime.txt and
postBuild (which installs packviz from the checkout).
"""

from __future__ import annotations

import os
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _pins(path: pathlib.Path) -> dict[str, str]:
    """name -> version of every `name==version` line (names normalised as pip does)."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        assert "==" in line, f"{path.name}: not pinned exactly: {line!r}"
        name, version = line.split("==")
        pins[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    return pins


def _options(path: pathlib.Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip().startswith("-")]


def _expected_binder_pins() -> dict[str, str]:
    pins = _pins(ROOT / "requirements.txt")
    pins["torch"] = pins["torch"].split("+")[0] + "+cpu"
    return pins


def test_binder_pins_agree_with_requirements():
    binder, expected = _pins(BINDER / "requirements.txt"), _expected_binder_pins()
    missing = sorted(set(expected) - set(binder))
    extra = sorted(set(binder) - set(expected))
    differ = sorted(k for k in set(binder) & set(expected) if binder[k] != expected[k])
    assert not (missing or extra or differ), (
        "binder/requirements.txt disagrees with requirements.txt: "
        f"missing {missing}, extra {extra}, "
        f"different {[(k, binder[k], expected[k]) for k in differ]}. "
        "Copy the pins from requirements.txt, keeping torch's +cpu."
    )


def test_binder_installs_the_cpu_build_of_torch():
    assert f"--extra-index-url {CPU_INDEX}" in _options(BINDER / "requirements.txt")
    assert _pins(BINDER / "requirements.txt")["torch"].endswith("+cpu")
    assert not any(
        name.startswith("nvidia-") for name in _pins(BINDER / "requirements.txt")
    )


def test_binder_installs_packviz_from_the_checkout():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "binder/postBuild must be executable"
    text = post_build.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash")
    assert re.search(r"pip install .*--no-deps.* -e \.$", text, re.M)


def test_binder_python_matches_ci():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    workflow = (ROOT / ".github" / "workflows" / "book.yml").read_text(encoding="utf-8")
    version = re.search(r"python-version:\s*['\"]?([0-9.]+)", workflow).group(1)
    assert runtime == f"python-{version}"
