"""Grade a folder of students' notebooks into one CSV (make grade SUBMISSIONS=dir/).

Layout: SUBMISSIONS/<student>.ipynb, or SUBMISSIONS/<student>/<anything>.ipynb for
several chapters per student (any depth below the student's folder; hidden files and
folders such as .ipynb_checkpoints are skipped). Every other file counts too, so that no
student is lost: it gets a row that says why it was not graded.

A notebook's chapter comes from its content: the exercise labels its cells name (the
check cells, the exercise text), the answer variables it assigns and the chapter the
student edition records in its metadata, counted per chapter; the file name decides
only when the content names no chapter at all. Two
notebooks of one student for one chapter: the newest (modification time) is graded, the
later name breaking a tie, and the reason says which was ignored.

Each notebook runs in a process of its own (worker.py: otter-grader's `run`, with the
installed packviz), in its own temporary folder, `jobs` at a time, and is killed with
every process it started once it runs past `timeout` seconds.

CSV: student, one column per exercise of the chapters present (the points earned; empty
where the student sent no notebook of that chapter), total, reason (everything not
graded normally, "; "-separated; empty when all went normally).
"""

from __future__ import annotations

import concurrent.futures
import csv
import dataclasses
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

from course.grading import autograder
from course.grading.autograder import Item

WORKER = pathlib.Path(__file__).with_name("worker.py")
LABEL = re.compile(r"\bch\d+-ex-[A-Za-z0-9_-]*[A-Za-z0-9]")


@dataclasses.dataclass
class Submission:
    """One file of one student."""

    path: pathlib.Path
    rel: str  # path below SUBMISSIONS, with "/"
    student: str
    mtime: float
    nb: dict | None = None
    chapter: str | None = None
    problem: str | None = None  # why this file is not graded


@dataclasses.dataclass
class Outcome:
    """What grading one notebook gave: points per label and reasons."""

    points: dict[str, float]
    reasons: list[str]
    seconds: float = 0.0


# --- finding and reading submissions ---------------------------------------------
def find_submissions(root: pathlib.Path) -> list[Submission]:
    """Every visible file below `root`, with its student (file stem or first folder)."""
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        student = rel.parts[0] if len(rel.parts) > 1 else path.stem
        found.append(Submission(path, rel.as_posix(), student, path.stat().st_mtime))
    return found


def read_notebook(path: pathlib.Path) -> tuple[dict | None, str | None]:
    """The notebook as JSON (a dict with cells), or None and why it is not one."""
    if path.suffix.lower() != ".ipynb":
        return None, f"not a notebook (a {path.suffix or 'suffix-less'} file)"
    try:
        nb = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not a notebook (not UTF-8 text)"
    except json.JSONDecodeError as err:
        where = f"line {err.lineno}, column {err.colno}"
        return None, f"not a notebook (not valid JSON: {where})"
    if not isinstance(nb, dict) or "nbformat" not in nb:
        return None, "not a notebook (JSON without nbformat)"
    try:
        import nbformat

        nb = json.loads(nbformat.writes(nbformat.from_dict(nb), version=4)) \
            if nb.get("nbformat") != 4 else nb
    except Exception as err:  # noqa: BLE001 (any malformed notebook)
        return None, f"not a readable notebook ({type(err).__name__})"
    cells = nb.get("cells")
    if not isinstance(cells, list) or not all(
            isinstance(c, dict) and c.get("cell_type") in ("code", "markdown", "raw")
            for c in cells):
        return None, "not a readable notebook (cells missing or malformed)"
    return nb, None


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def assigned_names(nb: dict) -> set[str]:
    """Names that some code cell of `nb` assigns (statically; a cell that is not Python
    is searched for `name =`)."""
    import ast

    names: set[str] = set()
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        source = _source(cell)
        tree = autograder.parse_cell(source)
        if tree is None:
            names |= set(re.findall(r"(?m)^\s*([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)",
                                    source))
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return names


def recognise(nb: dict, filename: str, registry: dict[str, list[Item]]
              ) -> tuple[str | None, str | None]:
    """The chapter of a notebook, or None and why not."""
    text = "\n".join(_source(c) for c in nb["cells"])
    labels = set(LABEL.findall(text))
    names = assigned_names(nb)
    meta = nb.get("metadata", {}).get("packing_book", {})  # the editions' own record
    said = meta.get("chapter", "") if isinstance(meta, dict) else ""
    stems = {chapter: (autograder.chapter_notebook(chapter) or pathlib.Path("-")).stem
             for chapter in registry}
    scores = {chapter: sum(i.label in labels for i in items)
              + sum(i.variable in names for i in items) + (said == stems[chapter])
              for chapter, items in registry.items()}
    best = max(scores.values(), default=0)
    if best > 0:
        top = sorted(c for c, s in scores.items() if s == best)
        if len(top) > 1:
            return None, (f"exercises of {' and '.join(top)} equally; not graded (one "
                          "notebook per chapter)")
        return top[0], None
    for chapter, stem in stems.items():
        if stem in filename:
            return chapter, None
    return None, "no exercise of a graded chapter in it"


# --- running one notebook ----------------------------------------------------------
def _kill_tree(pid: int) -> None:
    """SIGKILL a process and every process below it (the kernel runs in a session of
    its own, so killing the worker's process group would leave it running)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for proc in family:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)


def run_notebook(zip_path: pathlib.Path, notebook: pathlib.Path, timeout: float,
                 threads: int | None = None) -> tuple[dict, float]:
    """Grade one notebook in a worker process of its own; its JSON result and seconds.
    A notebook past `timeout` gives {"timeout": timeout}."""
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        out = pathlib.Path(tmp, "result.json")
        env = {**os.environ, "TMPDIR": tmp, "PYTHONDONTWRITEBYTECODE": "1"}
        if threads:
            env.setdefault("OMP_NUM_THREADS", str(threads))
        start = time.perf_counter()
        with open(pathlib.Path(tmp, "worker.log"), "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, str(WORKER), str(pathlib.Path(zip_path).resolve()),
                 str(pathlib.Path(notebook).resolve()), str(out)],
                cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_tree(proc.pid)
                proc.wait()
                return {"timeout": timeout}, time.perf_counter() - start
        seconds = time.perf_counter() - start
        if out.exists():
            return json.loads(out.read_text("utf-8")), seconds
        tail = pathlib.Path(tmp, "worker.log").read_text("utf-8", "replace").strip()
        last = tail.splitlines()[-1] if tail else f"exit status {proc.returncode}"
        return {"crash": last}, seconds


# --- from otter's results to points and reasons ------------------------------------
def _seconds(value: float) -> str:
    return f"{value:g} s"


def interpret(result: dict, items: list[Item], nb: dict) -> Outcome:
    """Points per exercise and the reasons, from a worker's result."""
    chapter = items[0].chapter
    if "timeout" in result:
        return Outcome({i.label: 0 for i in items},
                       [f"{chapter}: stopped after {_seconds(result['timeout'])} (the time "
                        "limit); nothing graded"])
    if "crash" in result:
        return Outcome({i.label: 0 for i in items},
                       [f"{chapter}: grading failed ({result['crash']}); nothing graded"])
    reasons = []
    errors = result.get("errors", [])
    for error in errors[:3]:  # the rest of the notebook is graded
        line = error["first_line"]
        line = line if len(line) <= 40 else line[:37] + "..."
        message = f"{error['ename']}: {error['evalue']}".strip().rstrip(":")
        reasons.append(f"{chapter}: cell {error['cell']} (`{line}`) raised {message}")
    if len(errors) > 3:
        reasons.append(f"{chapter}: {len(errors) - 3} more cells raised")
    names = assigned_names(nb)
    error_cells = {e["cell"]: e["ename"] for e in errors}
    points = {}
    for item in items:
        test = result.get("tests", {}).get(item.label)
        if test is None:
            points[item.label] = 0
            reasons.append(f"{item.label}: its test did not run")
            continue
        points[item.label] = test["score"]
        cases = {c["name"]: c for c in test["cases"]}
        answered, correct = cases.get("answered"), cases.get("correct")
        reason = None
        missing = answered and not answered["passed"] and \
            autograder.MISSING in answered["message"]
        if missing:
            if item.variable not in names:
                reason = "answer cell missing"
            else:
                raised = sorted({ename for cell, ename in error_cells.items()
                                 if _assigns(nb, cell, item.variable)})
                reason = (f"{item.variable} was never set"
                          + (f" (its cell raised {', '.join(raised)})" if raised else ""))
        elif correct and not correct["passed"]:
            message = correct["message"]
            if autograder.SLOW in message:
                reason = _after(message, autograder.SLOW)
            elif autograder.CONTEXT in message:
                reason = "could not check: " + _after(message, autograder.CONTEXT)
            elif autograder.WRONG not in message and autograder.UNANSWERED not in message:
                lines = [line for line in message.strip().splitlines() if line.strip()]
                reason = "the check failed: " + (lines[-1].strip() if lines else "?")
        if reason:
            reasons.append(f"{item.label}: {reason}")
    return Outcome(points, reasons)


def _after(message: str, marker: str) -> str:
    """The rest of the line after the last `marker` in a test's failure message (otter
    puts the test's source line, which may hold the marker too, before the error)."""
    return message[message.rindex(marker) + len(marker):].strip().splitlines()[0]


def _assigns(nb: dict, cell_number: int, name: str) -> bool:
    cell = nb["cells"][cell_number - 1]
    return cell.get("cell_type") == "code" and name in assigned_names({"cells": [cell]})


def choose(subs: list[Submission]) -> tuple[dict[tuple[str, str], Submission],
                                             dict[str, list[str]]]:
    """The notebook graded per (student, chapter): the newest, then the later name;
    and, per student, a reason naming each one ignored."""
    chosen, reasons = {}, {}
    for key in sorted({(s.student, s.chapter) for s in subs if s.chapter}):
        group = sorted((s for s in subs if (s.student, s.chapter) == key),
                       key=lambda s: (s.mtime, s.rel))
        chosen[key] = group[-1]
        for other in group[:-1]:
            why = "newer" if other.mtime < group[-1].mtime else "same time, later name"
            reasons.setdefault(key[0], []).append(
                f"{key[1]}: graded {group[-1].rel} ({why}), ignored {other.rel}")
    return chosen, reasons


# --- the whole folder --------------------------------------------------------------
def _number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.4g}"


def grade(submissions: pathlib.Path, out: pathlib.Path | None = None, *,
          timeout: float = 60, jobs: int = 2, build: pathlib.Path = autograder.BUILD,
          log=sys.stderr) -> str:
    """Grade every submission below `submissions`; write the CSV to `out` (if given)
    and return its text."""
    submissions = pathlib.Path(submissions)
    if not submissions.is_dir():
        raise SystemExit(f"grade: {submissions} is not a folder of submissions")
    registry, broken = autograder.load_registry()
    for chapter, error in broken.items():
        print(f"grade: packviz.exercises.{chapter} does not import ({error}); its "
              "notebooks are not graded", file=log)
    subs = find_submissions(submissions)
    if not subs:
        raise SystemExit(f"grade: no files in {submissions}")
    for sub in subs:
        sub.nb, sub.problem = read_notebook(sub.path)
        if sub.nb is not None:
            sub.chapter, sub.problem = recognise(sub.nb, sub.path.name, registry)

    students = sorted({s.student for s in subs})
    chosen, duplicates = choose(subs)
    reasons: dict[str, list[str]] = {s: [] for s in students}
    for sub in subs:
        if sub.problem:
            reasons[sub.student].append(f"{sub.rel}: {sub.problem}")
    for student, why in duplicates.items():
        reasons[student].extend(why)
    chapters = sorted({chapter for _, chapter in chosen})

    zips = {}
    if chosen:
        build.mkdir(parents=True, exist_ok=True)
        zips = {c: autograder.build_chapter(c, registry[c], build) for c in chapters}
    threads = max(1, (os.cpu_count() or 1) // max(1, jobs)) if jobs > 1 else None
    outcomes: dict[tuple[str, str], Outcome] = {}
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(run_notebook, zips[key[1]], sub.path, timeout, threads): key
                   for key, sub in chosen.items()}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            key = futures[future]
            result, seconds = future.result()
            outcome = interpret(result, registry[key[1]], chosen[key].nb)
            outcome.seconds = seconds
            outcomes[key] = outcome
            got = sum(outcome.points.values())
            most = sum(i.points for i in registry[key[1]])
            print(f"[{done}/{len(futures)}] {chosen[key].rel}: {key[1]} "
                  f"{_number(got)}/{most} ({seconds:.1f} s)", file=log, flush=True)

    labels = [i.label for c in chapters for i in registry[c]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *labels, "total", "reason"])
    for student in students:
        row, total, why = {}, 0.0, list(reasons[student])
        for chapter in chapters:
            outcome = outcomes.get((student, chapter))
            if outcome is None:
                why.append(f"{chapter}: no notebook")
                continue
            row.update(outcome.points)
            total += sum(outcome.points.values())
            why.extend(outcome.reasons)
        writer.writerow([student, *(_number(row[label]) if label in row else ""
                                    for label in labels), _number(total), "; ".join(why)])
    text = buffer.getvalue()
    if out is not None:
        pathlib.Path(out).write_text(text, "utf-8")
    print(f"grade: {len(outcomes)} notebooks of {len(students)} students in "
          f"{time.perf_counter() - started:.0f} s" + (f"; wrote {out}" if out else ""),
          file=log)
    return text
