"""Run every chapter in a Colab-like runtime (`make test-compat`); fail on any error.

Usage: .venv/bin/python scripts/colab_compat.py [--dir DIR] [--python PY] [chapter ...]

The runtime, built once under DIR (default .compat/, about 6 GB):
- a venv of Python 3.12 (the newest 3.12 that pyenv has, or --python), as Colab runs;
- requirements-colab.txt: the newest torch on PyPI (the CUDA build, running on CPU),
  ipywidgets 7.7.1, IPython 7.34 and the ipykernel of that era; PIP_CONSTRAINT points
  at an empty file, so no constraint of this machine caps torch;
- a stand-in `google.colab` (tests/support/colab.py) and a kernel that imports
  `google.colab` and `ipywidgets` at start, as Colab's does.

Then, for each chapter in _toc.yml (or those named): the runtime is put back as built
(what an earlier setup cell added is uninstalled: each Colab notebook has a runtime of
its own), the chapter's setup cell gets REPO_URL = the file:// URL of a clone of this
checkout, and the whole notebook runs from an empty folder (like Colab's /content).
A chapter fails on any error, if the setup cell did not enable the widget manager, or
if pip changed or removed any package that was there before (`pip freeze` before and
after); packages it added (packviz and what Colab lacks) are listed.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from support import toc_notebooks  # noqa: E402
from support.colab import (  # noqa: E402
    ENABLED,
    clone_with_working_tree_package,
    printed,
    with_repo_url,
    write_fake_colab,
    write_kernelspec,
)

REQUIREMENTS = ROOT / "requirements-colab.txt"
KERNEL_IMPORTS = ["google.colab", "ipywidgets"]


def _pyenv_312() -> str | None:
    root = subprocess.run(
        ["pyenv", "root"], capture_output=True, text=True, check=False
    ).stdout.strip() if shutil.which("pyenv") else ""
    found = sorted(
        glob.glob(f"{root}/versions/3.12.*/bin/python") if root else [],
        key=lambda p: [int(x) for x in p.split("/")[-3].split(".")],
    )
    return found[-1] if found else shutil.which("python3.12")


def _pip_env(base: pathlib.Path) -> dict[str, str]:
    """Colab's pip reads no config of this machine: no index mirror, no constraint."""
    empty = base / "no-constraints.txt"
    empty.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    if "PIP_CERT" in os.environ:
        env["PIP_CERT"] = os.environ["PIP_CERT"]
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_CONSTRAINT=str(empty),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_DEFAULT_TIMEOUT="180",
    )
    return env


def build_runtime(base: pathlib.Path, python: str, env: dict[str, str]) -> pathlib.Path:
    """The venv under base/venv with requirements-colab.txt (kept while it is current)."""
    venv = base / "venv"
    stamp = venv / ".colab-installed"
    lines = REQUIREMENTS.read_text(encoding="utf-8").splitlines()
    wanted = "\n".join(x for x in lines if x.strip() and not x.startswith("#"))
    digest = hashlib.sha256(wanted.encode()).hexdigest()  # comments do not count
    if stamp.exists() and stamp.read_text() == digest:
        return venv / "bin" / "python"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True, env=env)
    purelib = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    fake = base / "fake_colab"
    shutil.rmtree(fake, ignore_errors=True)
    write_fake_colab(fake)
    pathlib.Path(purelib, "google_colab_standin.pth").write_text(f"{fake}\n")
    built = freeze(venv / "bin" / "python", env)
    (venv / ".colab-freeze.json").write_text(json.dumps(built))
    stamp.write_text(digest)
    return venv / "bin" / "python"


def freeze(python: pathlib.Path, env: dict[str, str]) -> dict[str, str]:
    """name -> version (or URL) of every installed distribution."""
    out = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--all"],
        check=True, capture_output=True, text=True, env=env,
    ).stdout
    pins = {}
    for line in out.splitlines():
        sep = "==" if "==" in line else " @ "
        name, _, version = line.partition(sep)
        pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def reset(python: pathlib.Path, env: dict[str, str], built: dict[str, str]) -> dict:
    """Put the runtime back as built; return its freeze."""
    before = freeze(python, env)
    pip = [str(python), "-m", "pip"]
    extra = sorted(set(before) - set(built))
    if extra:  # what an earlier chapter's setup cell added
        subprocess.run([*pip, "uninstall", "--quiet", "--yes", *extra], check=True, env=env)
    changed = sorted(k for k in built if before.get(k) != built[k])
    if changed:  # what an earlier (failing) setup cell changed
        pins = [f"{k}=={built[k]}" for k in changed]
        subprocess.run([*pip, "install", "-q", "--no-deps", *pins], check=True, env=env)
    if extra or changed:
        before = freeze(python, env)
    assert before == built, "the runtime differs from the one built"
    return before


def run_chapter(
    path: pathlib.Path, python: pathlib.Path, base: pathlib.Path, repo_url: str,
    env: dict[str, str], built: dict[str, str],
) -> tuple[list[str], dict[str, str]]:
    """Run one chapter; return (problems, packages its setup cell added)."""
    before = reset(python, env, built)
    content = base / "content"  # an empty folder, like Colab's /content
    shutil.rmtree(content, ignore_errors=True)
    content.mkdir()
    log = base / "colab.log"
    log.unlink(missing_ok=True)
    nb = nbformat.read(path, as_version=4)
    setup = with_repo_url(nb, repo_url)
    kernels = base / "kernels"
    shutil.rmtree(kernels, ignore_errors=True)
    write_kernelspec(kernels, "colab", python, KERNEL_IMPORTS)
    client = NotebookClient(
        nb, timeout=900, kernel_name="colab",
        resources={"metadata": {"path": str(content)}},
    )
    specs = KernelSpecManager(kernel_dirs=[str(kernels)])
    client.km = client.kernel_manager_class(kernel_name="colab", kernel_spec_manager=specs)
    problems = []
    try:
        client.execute(env={**env, "COLAB_SIM_LOG": str(log)})
    except Exception as err:  # the first failing cell, as nbclient reports it
        problems.append(f"error: {str(err).strip()[-3000:]}")
    after = freeze(python, env)
    changed = sorted(k for k in before if after.get(k) != before[k])
    problems += [f"pip changed {k}: {before[k]} -> {after.get(k, 'gone')}" for k in changed]
    if not (log.exists() and ENABLED in log.read_text()):
        problems.append("the setup cell did not enable the custom widget manager")
    # IPython's %pip always adds "you may need to restart the kernel"; what matters is
    # whether a package was changed under the running kernel (the freeze check above).
    setup_text = printed(setup)
    if "error" in setup_text.lower():
        problems.append(f"the setup cell printed an error:\n{setup_text}")
    added = {k: v for k, v in after.items() if k not in before}
    if "packviz" not in added:
        problems.append("the setup cell did not install packviz")
    return problems, added


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=str(ROOT / ".compat"))
    parser.add_argument("--python", default=None, help="a Python 3.12 interpreter")
    parser.add_argument("chapters", nargs="*")
    args = parser.parse_args(argv)
    python = args.python or _pyenv_312()
    if not python:
        sys.exit("no Python 3.12 found: install one (pyenv install 3.12) or pass --python")
    base = pathlib.Path(args.dir).resolve()
    base.mkdir(parents=True, exist_ok=True)
    env = _pip_env(base)
    print(f"runtime: {base / 'venv'} from {python} (pip install -r {REQUIREMENTS.name})",
          flush=True)
    kernel_python = build_runtime(base, python, env)
    built = json.loads((base / "venv" / ".colab-freeze.json").read_text())
    reset(kernel_python, env, built)
    versions = subprocess.run(
        [str(kernel_python), "-c",
         "import sys, torch, ipywidgets, IPython, ipykernel; print(sys.version.split()[0],"
         " torch.__version__, ipywidgets.__version__, IPython.__version__,"
         " ipykernel.__version__)"],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    print("Python {} torch {} ipywidgets {} IPython {} ipykernel {}".format(*versions))
    repo = base / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    clone_with_working_tree_package(repo)
    named = [pathlib.Path(c).resolve() for c in args.chapters]
    chapters = named or toc_notebooks("chapters/")
    failed = 0
    for path in chapters:
        start = time.perf_counter()
        problems, added = run_chapter(path, kernel_python, base, repo.as_uri(), env, built)
        seconds = time.perf_counter() - start
        verdict = "FAILED" if problems else "passed"
        extra = ", ".join(f"{k}=={v}" for k, v in sorted(added.items()) if k != "packviz")
        print(f"{verdict} {path.name} ({seconds:.0f} s); setup cell added packviz"
              + (f", {extra}" if extra else ""), flush=True)
        for problem in problems:
            print("    " + problem.replace("\n", "\n    "), flush=True)
        failed += bool(problems)
    print(f"{len(chapters) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
