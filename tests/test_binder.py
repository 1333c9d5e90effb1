"""The pins: compiled from the short .in lists, layered, and reused by Binder.

requirements.txt (the book), requirements-test.txt and requirements-lab.txt are compiled
by scripts/pin_requirements.py (pip-compile) from their .in files; the test and lab
layers are compiled with requirements.txt as a constraint, so a package pinned in two
files has one version. Binder (repo2docker) looks in binder/ first: its requirements.txt
reads the book's and the lab's pins with -r and only narrows torch to the CPU build;
runtime.txt picks the Python; postBuild installs packviz from the checkout.
"""

from __future__ import annotations

import os
import pathlib
import re
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
LAYERS = ("requirements", "requirements-test", "requirements-lab")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lines(path: pathlib.Path) -> list[str]:
    lines = (line.split("#")[0].strip() for line in path.read_text("utf-8").splitlines())
    return [line for line in lines if line]


def _pins(path: pathlib.Path) -> dict[str, str]:
    """name -> version of every `name==version` line (names normalised as pip does)."""
    pins = {}
    for line in _lines(path):
        if line.startswith("-"):
            continue
        assert "==" in line, f"{path.name}: not pinned exactly: {line!r}"
        name, version = line.split("==")
        pins[_norm(name)] = version.strip()
    return pins


def _names_in(path: pathlib.Path) -> set[str]:
    """The package names an .in file asks for."""
    return {
        _norm(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0])
        for line in _lines(path)
        if not line.startswith("-")
    }


@pytest.mark.parametrize("layer", LAYERS)
def test_each_pin_file_is_compiled_from_its_in_file(layer):
    txt = ROOT / f"{layer}.txt"
    assert txt.read_text("utf-8").startswith(f"# Compiled from {layer}.in"), (
        f"{txt.name} was not written by scripts/pin_requirements.py"
    )
    missing = sorted(_names_in(ROOT / f"{layer}.in") - set(_pins(txt)))
    assert not missing, (
        f"{layer}.in asks for {missing}, which {txt.name} does not pin: "
        "re-run scripts/pin_requirements.py"
    )


@pytest.mark.parametrize("layer", ["requirements-test", "requirements-lab"])
def test_layers_agree_with_the_book_pins(layer):
    assert "-c requirements.txt" in _lines(ROOT / f"{layer}.in")
    book, pins = _pins(ROOT / "requirements.txt"), _pins(ROOT / f"{layer}.txt")
    differ = sorted(
        (name, pins[name], book[name]) for name in set(pins) & set(book)
        if pins[name] != book[name]
    )
    assert not differ, f"{layer}.txt disagrees with requirements.txt: {differ}"


def test_the_book_pins_leave_out_the_lab_and_the_tests():
    book = set(_pins(ROOT / "requirements.txt"))
    for name in ("jupyterlab", "jupyter-server", "notebook", "pytest", "playwright"):
        assert name not in book, f"requirements.txt pins {name}; the book build does not"


def test_torch_is_pinned_without_a_local_label():
    # `torch==X` takes X+cpu from TORCH_INDEX_URL and the default build elsewhere.
    version = _pins(ROOT / "requirements.txt")["torch"]
    assert re.fullmatch(r"[0-9.]+", version), f"torch=={version}: drop the +label"


def test_binder_reuses_the_book_and_lab_pins():
    lines = _lines(BINDER / "requirements.txt")
    included = [line.split(maxsplit=1)[1] for line in lines if line.startswith("-r ")]
    assert included == ["../requirements.txt", "../requirements-lab.txt"]
    for rel in included:  # pip reads -r paths relative to the file that names them
        assert (BINDER / rel).resolve() == ROOT / pathlib.Path(rel).name


def test_binder_narrows_torch_to_the_cpu_build_and_pins_nothing_else():
    assert f"--extra-index-url {CPU_INDEX}" in _lines(BINDER / "requirements.txt")
    torch = _pins(ROOT / "requirements.txt")["torch"]
    assert _pins(BINDER / "requirements.txt") == {"torch": f"{torch}+cpu"}, (
        "binder/requirements.txt pins only torch (X+cpu, X as in requirements.txt)"
    )


def test_binder_installs_packviz_from_the_checkout():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "binder/postBuild must be executable"
    text = post_build.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash")
    assert re.search(r"pip install .*--no-deps.* -e \.$", text, re.M)


def test_binder_python_matches_ci_and_is_supported():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    workflow = (ROOT / ".github" / "workflows" / "book.yml").read_text(encoding="utf-8")
    version = re.search(r"python-version:\s*['\"]?([0-9.]+)", workflow).group(1)
    assert runtime == f"python-{version}"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    low = re.search(r"^PYTHON_MIN := ([0-9.]+)$", makefile, re.M).group(1)
    high = re.search(r"^PYTHON_MAX := ([0-9.]+)$", makefile, re.M).group(1)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["requires-python"] == f">={low}"

    def key(v: str) -> tuple[int, ...]:
        return tuple(map(int, v.split(".")))

    assert key(low) <= key(version) <= key(high)


def _imported_modules(path: pathlib.Path) -> set[str]:
    """Top-level modules the code cells of a notebook import."""
    import ast
    import json

    found = set()
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        lines = "".join(cell["source"]).splitlines()
        source = "\n".join(  # IPython magics as `pass`, at their indentation
            line[: len(line) - len(line.lstrip())] + "pass"
            if line.lstrip().startswith(("%", "!")) else line for line in lines)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_binder_installs_what_the_chapters_import_at_the_pinned_versions():
    """Every module a chapter imports comes from the standard library, packviz (which
    postBuild installs), Colab's own stand-in, or a distribution requirements.txt pins,
    which binder/requirements.txt reads."""
    import importlib.metadata as metadata
    import sys

    notebooks = [*ROOT.glob("chapters/*.ipynb"), *ROOT.glob("reference/*.ipynb")]
    modules = set().union(*map(_imported_modules, notebooks))
    assert {"torch", "packviz"} <= modules
    pins = _pins(ROOT / "requirements.txt")
    owners = metadata.packages_distributions()
    for module in sorted(modules - set(sys.stdlib_module_names) - {"packviz", "google"}):
        dists = owners.get(module)
        assert dists, f"a chapter imports {module}, which no installed package provides"
        pinned = [d for d in dists if _norm(d) in pins]
        assert pinned, f"{module} ({dists}) is not pinned in requirements.txt"
        for dist in pinned:  # what runs here is what Binder installs
            installed = metadata.version(dist).split("+")[0]
            assert installed == pins[_norm(dist)], (dist, installed, pins[_norm(dist)])
