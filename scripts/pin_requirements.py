"""Rewrite requirements.txt and requirements-test.txt from the current venv (pip freeze).

Usage: .venv/bin/python scripts/pin_requirements.py
Every installed package is pinned exactly; those used only by tests and linting go to
requirements-test.txt. Run after installing or upgrading a package on purpose.
"""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
TEST_ONLY = {
    "pytest", "pytest-xdist", "execnet", "iniconfig", "pluggy", "hypothesis",
    "sortedcontainers", "nbval", "coverage", "playwright", "greenlet", "pyee", "ruff",
    "jupytext",
}

frozen = subprocess.run(
    [sys.executable, "-m", "pip", "freeze", "--exclude-editable", "--all"],
    capture_output=True, text=True, check=True,
).stdout.split()
book, test = [], []
for line in sorted(frozen, key=str.lower):
    name = line.split("==")[0].lower().replace("_", "-")
    if "==" not in line or name == "pip":
        continue
    if name == "torch":
        line = line.split("+")[0]  # torch==2.13.0 picks the CPU wheel on our machines
    (test if name in TEST_ONLY else book).append(line)

(ROOT / "requirements.txt").write_text(
    "# The book: build and run the notebooks. Every package pinned exactly\n"
    "# (scripts/pin_requirements.py). torch==2.13.0 resolves to the CPU wheel here.\n"
    + "\n".join(book) + "\n")
(ROOT / "requirements-test.txt").write_text(
    "# Tests and linting, on top of requirements.txt. Pinned exactly.\n"
    "-r requirements.txt\n" + "\n".join(test) + "\n")
print(f"pinned {len(book)} book and {len(test)} test packages")
