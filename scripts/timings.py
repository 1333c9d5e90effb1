"""Report how long the book takes, against its targets: a script, never a timed test.

Usage: python scripts/timings.py [--no-build] [--repeat N] [--ci] [--browsers]
(make timings)

Targets on the 2-core reference machine (packages installed):
- each notebook (chapters/ and reference/) executes in <= 5 s (best of --repeat runs),
  from the kernel's start to the end of its last cell (the kernel's shutdown after it is
  printed on its own line);
- a clean `make book` (no build cache) takes <= 30 s, and a rebuild with nothing
  changed <= 10 s;
- with --ci: `make test` on a fresh clone (CI=true, as .ci/run runs it; the pip cache
  as this machine has it) takes <= 5 min. It runs `make setup-test` (the install),
  then `make test` once, as CI does, and splits that run where each of its pytest
  commands starts (make prints a command before it runs it): the build before the
  first (the four editions and the slides), then each pytest run. The tests' time is
  also split by kind from pytest's durations (summed over the workers, so it can
  exceed the wall time).
With --browsers, only this (no target): the wall time, and the CPU time the machine
spent meanwhile (so run it on an idle machine), of loading every page of the built
book once, each in a fresh context as the browser tests do, in the full Chromium and
in its headless shell (tests/support/browser.py), one after the other.
It prints what it measured and exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import collections
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_TARGET_S = 5.0
BUILD_TARGET_S = 30.0
REBUILD_TARGET_S = 10.0
CI_TARGET_S = 300.0
DURATION = re.compile(r"^\s*([\d.]+)s (?:call|setup|teardown)\s+(\S+)", re.M)


def time_notebook(path: pathlib.Path) -> tuple[float, float]:
    """Execute a copy of the notebook in a fresh kernel.

    Returns the seconds from the kernel's start to the end of the last cell (the run the
    target is about), and the seconds the kernel then takes to shut down: Python tearing
    down a process with torch (and Dynamo) loaded takes 1.3-2.5 s here, which no
    reader waits for and no chapter can change, so it is reported beside the run."""
    nb = nbformat.read(path, as_version=4)
    done = []
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            on_cell_executed=lambda **_: done.append(time.perf_counter()))
    start = time.perf_counter()
    client.execute()
    end = time.perf_counter()
    last = done[-1] if done else end
    return last - start, end - last


def time_command(cmd: list[str], cwd: pathlib.Path = ROOT, env: dict | None = None,
                 log: pathlib.Path | None = None) -> tuple[float, int]:
    start = time.perf_counter()
    with open(log or os.devnull, "a", encoding="utf-8") as out:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
    return time.perf_counter() - start, proc.returncode


class Report:
    def __init__(self) -> None:
        self.missed: list[str] = []
        print(f"{'what':<52} {'seconds':>8}  target")

    def row(self, label: str, seconds: float, target: float | None = None,
            ok: bool = True) -> None:
        missed = target is not None and (not ok or seconds > target)
        self.missed += [label] if missed else []
        goal = f"<= {target:.0f}" if target is not None else ""
        print(f"{label:<52} {seconds:8.1f}  {goal}{'  MISSED' if missed else ''}",
              flush=True)


def notebooks() -> list[pathlib.Path]:
    return sorted(ROOT.glob("chapters/*.ipynb")) + sorted(ROOT.glob("reference/*.ipynb"))


def builds(report: Report) -> None:
    jb = str(pathlib.Path(sys.executable).parent / "jupyter-book")
    out = pathlib.Path(tempfile.mkdtemp(prefix="timings-build-"))
    try:
        for label, extra, target in (("clean book build", ["--all"], BUILD_TARGET_S),
                                     ("rebuild, nothing changed", [], REBUILD_TARGET_S)):
            seconds, rc = time_command([jb, "build", ".", "--warningiserror",
                                        "--keep-going", "--path-output", str(out), *extra])
            report.row(label + ("" if rc == 0 else f" (FAILED, exit {rc})"), seconds,
                       target, rc == 0)
        seconds, rc = time_command([sys.executable, "scripts/student_edition.py",
                                    "--output", str(out / "student")])
        report.row("student edition build" + ("" if rc == 0 else " (FAILED)"), seconds)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def kind_of(test_id: str) -> str:
    if test_id.endswith(".ipynb") or ".ipynb::" in test_id:
        return "nbval (notebooks executed and compared)"
    if test_id.startswith("tests/browser/"):
        return "browser tests"
    if "test_portability" in test_id:
        return "notebooks with oneDNN off"
    return "other tests"


# The commands of `make test` after its build, in the order it runs them: a line of
# make's output that matches one starts that part (make prints each command first).
CI_PARTS = [
    ("main tests: pytest tests and nbval, two workers",
     re.compile(r"bin/pytest .* tests .*--dist loadgroup")),
    ("nbval again on generic kernels",
     re.compile(r"^ATEN_CPU_CAPABILITY=default .*pytest")),
    ("widgets under ipywidgets 7.7.1 (its venv, its tests)",
     re.compile(r"ipywidgets7|ipywidgets==7\.7\.1")),
]


def run_logged(cmd: list[str], cwd: pathlib.Path, env: dict, log: pathlib.Path
               ) -> tuple[float, int, list[tuple[str, float]]]:
    """Run `cmd`, appending its output to `log`. Returns the seconds it took, its exit
    status, and (part, seconds from the start) for each of CI_PARTS whose first line
    appeared, in order."""
    marks: list[tuple[str, float]] = []
    start = time.perf_counter()
    with open(log, "a", encoding="utf-8") as out, subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, errors="replace") as proc:
        for line in proc.stdout:
            out.write(line)
            seen = {name for name, _ in marks}
            for name, pattern in CI_PARTS:
                if name not in seen and pattern.search(line):
                    marks.append((name, time.perf_counter() - start))
                    break
    return time.perf_counter() - start, proc.returncode, marks


def fresh_clone_ci(report: Report) -> None:
    clone = pathlib.Path(tempfile.mkdtemp(prefix="timings-ci-")) / "book"
    log = clone.parent / "make.log"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {**os.environ, "CI": "true",
           "PYTEST_ADDOPTS": "--durations=0 --durations-min=0.5"}
    env.pop("VIRTUAL_ENV", None)
    try:
        install, rc, _ = run_logged(["make", "setup-test"], clone, env, log)
        report.row("fresh clone: install (make setup-test)" + (" FAILED" if rc else ""),
                   install)
        if rc:
            report.missed.append("setup-test")
            print(f"  see {log}")
            return
        tests, rc, marks = run_logged(["make", "test"], clone, env, log)
        ends = [at for _, at in marks[1:]] + [tests]
        report.row("fresh clone: build (make test up to its first pytest)",
                   marks[0][1] if marks else tests)
        for (name, at), end in zip(marks, ends):
            report.row(f"  then {name}", end - at)
        report.row("fresh clone: CI=true make test, in all" + (" FAILED" if rc else ""),
                   install + tests, CI_TARGET_S, rc == 0)
        if rc:
            print(f"  see {log}")
        sums = collections.Counter()
        for seconds, test_id in DURATION.findall(log.read_text(encoding="utf-8")):
            sums[kind_of(test_id)] += float(seconds)
        for kind, seconds in sums.most_common():
            report.row(f"  of which {kind} (summed over workers)", seconds)
    finally:
        if not report.missed:
            shutil.rmtree(clone.parent, ignore_errors=True)


def load_pages(binary: str) -> None:
    """Load every page of the built book once in `binary`, each in a fresh context and
    until its network is idle (run in a child process: --load-pages)."""
    sys.path[:0] = [str(ROOT / "tests" / "browser"), str(ROOT / "tests")]
    from conftest import book_pages  # tests/browser's
    from playwright.sync_api import sync_playwright
    from support import HTML
    from support.browser import CHROMIUM_ARGS, serve

    with serve(HTML) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=binary, args=CHROMIUM_ARGS)
        for name in book_pages():
            context = browser.new_context()
            context.new_page().goto(f"{url}/{name}", wait_until="networkidle")
            context.close()
        browser.close()


def browser_costs(report: Report) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from support.browser import FULL_CHROMIUM, HEADLESS_SHELL

    for label, binary in (("full Chromium", FULL_CHROMIUM),
                          ("Chromium's headless shell", HEADLESS_SHELL)):
        if not os.path.exists(binary):
            print(f"{label}: {binary} is not installed")
            continue
        before = busy_seconds()
        seconds, rc = time_command([sys.executable, __file__, "--load-pages", binary])
        cpu = busy_seconds() - before
        failed = "" if rc == 0 else f" (FAILED, exit {rc})"
        report.row(f"every page loaded once, {label}{failed}", seconds)
        report.row("  CPU time the machine spent meanwhile (all cores)", cpu)


def busy_seconds() -> float:
    """CPU seconds this machine has been busy since boot, over all cores (/proc/stat):
    the browser's processes do not all show in this process's rusage (each is reaped
    by its own parent, or not at all)."""
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="skip the book builds")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each notebook N times and keep the fastest")
    parser.add_argument("--ci", action="store_true",
                        help="also time CI=true make test on a fresh clone")
    parser.add_argument("--browsers", action="store_true",
                        help="only time loading every page in both Chromium builds")
    parser.add_argument("--load-pages", metavar="BINARY", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_pages:
        load_pages(args.load_pages)
        return 0
    report = Report()
    if args.browsers:
        browser_costs(report)
        return 0
    for nb in notebooks():
        run, shutdown = min(time_notebook(nb) for _ in range(max(1, args.repeat)))
        report.row(str(nb.relative_to(ROOT)), run, NOTEBOOK_TARGET_S)
        report.row("  then the kernel's shutdown", shutdown)
    if not args.no_build:
        builds(report)
    if args.ci:
        fresh_clone_ci(report)
    print(f"cores: {os.cpu_count()} | load average: "
          + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    return 1 if report.missed else 0


if __name__ == "__main__":
    sys.exit(main())
