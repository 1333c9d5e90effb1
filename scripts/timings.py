"""Report how long the book takes: each chapter's execution and a clean build.

Usage: python scripts/timings.py [--no-build] [--with-tests]

Targets on the 2-core reference machine (packages installed): each chapter <= 20 s,
clean build of the book <= 90 s, `make test` after setup <= 5 min. This script
measures and reports; it fails (exit 1) only when a target is missed, so it can gate
a release without being a timed test.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTER_TARGET_S = 20.0
BUILD_TARGET_S = 90.0
TEST_TARGET_S = 300.0


def time_notebook(path: pathlib.Path) -> float:
    """Execute a copy of the notebook in a fresh kernel; return wall seconds."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def time_command(cmd: list[str], env: dict | None = None) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.STDOUT)
    return time.perf_counter() - start, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="skip the book build")
    parser.add_argument("--with-tests", action="store_true",
                        help="also time the pytest run of `make test` (book already built)")
    args = parser.parse_args()
    missed = []
    print(f"{'what':<44} {'seconds':>8}  target")
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        seconds = time_notebook(nb)
        flag = "" if seconds <= CHAPTER_TARGET_S else "  MISSED"
        missed += [nb.name] if flag else []
        print(f"{nb.name:<44} {seconds:8.1f}  <= {CHAPTER_TARGET_S:.0f}{flag}", flush=True)
    if not args.no_build:
        jb = str(pathlib.Path(sys.executable).parent / "jupyter-book")
        out = pathlib.Path(tempfile.mkdtemp(prefix="timings-build-"))
        try:
            seconds, rc = time_command([jb, "build", ".", "--all", "--warningiserror",
                                        "--path-output", str(out)])
        finally:
            shutil.rmtree(out, ignore_errors=True)
        flag = "" if rc == 0 and seconds <= BUILD_TARGET_S else "  MISSED"
        missed += ["build"] if flag else []
        status = "" if rc == 0 else f" (build FAILED, exit {rc})"
        label = "clean book build" + status
        print(f"{label:<44} {seconds:8.1f}  <= {BUILD_TARGET_S:.0f}{flag}")
    if args.with_tests:
        pytest = str(pathlib.Path(sys.executable).parent / "pytest")
        seconds, rc = time_command(
            [pytest, "tests", "chapters", "--nbval", "--nbval-current-env",
             "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-q"],
            env={**os.environ, "CI": "true"})
        flag = "" if rc == 0 and seconds <= TEST_TARGET_S else "  MISSED"
        missed += ["tests"] if flag else []
        print(f"{'pytest of make test (exit ' + str(rc) + ')':<44} {seconds:8.1f}  "
              f"<= {TEST_TARGET_S:.0f}{flag}")
    print(f"cores: {os.cpu_count()} | load average: "
          + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
