"""Grading students' notebooks (course/grading/, `make grade`): the fixture class grades
to the CSV written by hand, the otter tests hold no answer, the student notebooks no
test, and the parts that decide a row (chapter, newest file, reasons) on their own.
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
import zipfile

import psutil
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.grading import autograder, grader, make_fixtures  # noqa: E402
from packviz.exercises import EXERCISES, exercise  # noqa: E402

FIXTURES = ROOT / "course" / "grading" / "fixtures"
# The class gets a limit it never reaches, however busy the machine; the notebook that
# never ends is graded apart, at the same time, with a short one (expected-timeout.csv
# says 30 s), long enough that it reaches its first code cell and starts a process.
CASES = {"class": ("submissions", "expected.csv", 600),
         "timeout": ("timeout", "expected-timeout.csv", 30)}
SAME_TIME = 1_700_000_000  # every fixture file's mtime, but one


@pytest.fixture(scope="module")
def registry():
    found, broken = autograder.load_registry()
    assert "ch01" in found and "ch01" not in broken
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Both fixture folders graded at once, with the command `make grade` runs."""
    tmp = tmp_path_factory.mktemp("grading")
    runs = {}
    start = time.perf_counter()
    for case, (folder, _, timeout) in CASES.items():
        subs = tmp / case / "submissions"
        shutil.copytree(FIXTURES / folder, subs)
        for path in subs.rglob("*"):
            os.utime(path, (SAME_TIME, SAME_TIME))
        if case == "class":  # newer, though its name sorts before ch1_old's
            newer = SAME_TIME + 60
            os.utime(subs / "cleo" / "ch1_final.ipynb", (newer, newer))
        work = tmp / case / "work"  # the grader's TMPDIR: each notebook's folder
        work.mkdir()
        runs[case] = subprocess.Popen(
            [sys.executable, "-m", "course.grading", "grade", str(subs), "--out",
             str(tmp / case / "grades.csv"), "--timeout", str(timeout), "--jobs", "2",
             "--build", str(tmp / case / "build")],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "TMPDIR": str(work)})
    logs = {case: run.communicate(timeout=900) for case, run in runs.items()}
    seconds = time.perf_counter() - start
    for case, run in runs.items():
        assert run.returncode == 0, logs[case][1]
    print(f"fixtures graded in {seconds:.1f} s")
    return tmp, logs


@pytest.mark.parametrize("case", CASES)
def test_the_fixture_grades_to_the_expected_csv(graded, case):
    tmp, logs = graded
    got = (tmp / case / "grades.csv").read_text("utf-8")
    want = (FIXTURES / CASES[case][1]).read_text("utf-8")
    assert got == want, f"CSV differs:\n{got}\nstderr:\n{logs[case][1]}"


def test_every_student_has_a_row_and_a_zip_was_built(graded):
    tmp, _ = graded
    subs = tmp / "class" / "submissions"
    students = {p.relative_to(subs).parts[0].split(".")[0]
                for p in subs.rglob("*") if p.is_file()}
    rows = (tmp / "class" / "grades.csv").read_text("utf-8").splitlines()[1:]
    assert sorted(r.split(",")[0] for r in rows) == sorted(students)
    assert (tmp / "class" / "build" / "ch01-autograder.zip").is_file()


def test_the_timed_out_notebook_left_no_process(graded):
    tmp, _ = graded
    left = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if proc.cwd().startswith(str(tmp)):
                left.append((proc.pid, proc.info["cmdline"]))
        except (psutil.Error, OSError):
            continue
    assert not left, left
    for case in CASES:
        assert not list((tmp / case / "work").iterdir())


# --- what the zip and the student notebooks hold -------------------------------------
def _solution_lines(path: pathlib.Path) -> set[str]:
    """Every line of the chapter's solutions (gated between solution-start and -end)."""
    nb = json.loads(path.read_text("utf-8"))
    lines, inside = set(), False
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if "{solution-start}" in text:
            inside = True
        if inside:
            lines |= {line.strip() for line in text.splitlines()
                      if len(line.strip()) > 12 and "{solution" not in line
                      and not line.strip().startswith(("```", ":class:", "check("))}
        if "{solution-end}" in text:
            inside = False
    return lines


def test_the_autograder_zip_holds_every_test_and_no_solution(tmp_path, registry):
    items = registry["ch01"]
    zip_path = autograder.build_chapter("ch01", items, tmp_path)
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        texts = {n: zf.read(n).decode("utf-8") for n in names}
    assert sorted(n for n in names if n.startswith("tests/")) == \
        sorted(f"tests/{i.label}.py" for i in items)
    solution = _solution_lines(autograder.chapter_notebook("ch01"))
    assert len(solution) > 10  # the chapter has solutions to look for
    for name, text in texts.items():
        leaked = [line for line in solution if line in text]
        assert not leaked, f"{name} holds solution lines {leaked}"
    for item in items:
        test = texts[f"tests/{item.label}.py"]
        answer = EXERCISES[item.label].answer()
        values = answer if isinstance(answer, tuple) else (answer,)
        assert f"({', '.join(map(str, values))})" not in test
        for value in values:
            assert not re.search(rf"(?<![\w.]){value}(?![\w.])", test), (item.label, value)


def _student_texts() -> dict[str, str]:
    texts = {}
    for chapter in autograder.load_registry()[0]:
        path = autograder.chapter_notebook(chapter)
        if path:
            texts[path.name] = json.dumps(make_fixtures.student_edition(path))
    for path in (FIXTURES / "submissions").rglob("*.ipynb"):
        texts[path.name] = path.read_text("utf-8", "replace")
    return texts


def test_the_student_notebooks_hold_no_test():
    words = ("otter", "is_correct", "test_case", "OK_FORMAT", "CHECK_SECONDS",
             autograder.MISSING, autograder.WRONG)
    for name, text in _student_texts().items():
        assert not [w for w in words if w in text], name


# --- the parts on their own (no notebook runs) ---------------------------------------
def _notebook(*sources: str, metadata: dict | None = None) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata or {},
            "cells": [{"cell_type": "code", "source": s, "metadata": {}, "outputs": []}
                      for s in sources]}


def test_the_chapter_comes_from_the_content_not_the_name(registry):
    labels = grader.recognise(_notebook('check("ch01-ex-gru", answer_gru)'),
                              "02_what_packing_produces.ipynb", registry)
    assert labels == ("ch01", None)
    answers = grader.recognise(_notebook("answer_predict = (1, 2)\nanswer_gru = 3"),
                               "homework.ipynb", registry)
    assert answers == ("ch01", None)
    said = {"packing_book": {"chapter": "01_why_padding_wastes"}}
    assert grader.recognise(_notebook("x = 1", metadata=said), "a.ipynb", registry) \
        == ("ch01", None)
    assert grader.recognise(_notebook("x = 1"), "01_why_padding_wastes (1).ipynb",
                            registry) == ("ch01", None)
    chapter, why = grader.recognise(_notebook("x = 1"), "notes.ipynb", registry)
    assert chapter is None and "no exercise of a graded chapter" in why


def test_two_chapters_named_equally_are_not_guessed():
    one = autograder.Item("ch01-ex-a", "ch01", "answer_a", 1, {})
    two = autograder.Item("ch02-ex-b", "ch02", "answer_b", 1, {})
    chapter, why = grader.recognise(_notebook("answer_a = 1\nanswer_b = 2"), "x.ipynb",
                                    {"ch01": [one], "ch02": [two]})
    assert chapter is None and "ch01 and ch02 equally" in why


def test_the_newest_file_wins_then_the_later_name(tmp_path):
    for name, mtime in (("v1.ipynb", 10), ("v2.ipynb", 10), ("old.ipynb", 5)):
        (tmp_path / "sam").mkdir(exist_ok=True)
        (tmp_path / "sam" / name).write_text("{}")
        os.utime(tmp_path / "sam" / name, (mtime, mtime))
    subs = grader.find_submissions(tmp_path)
    for sub in subs:
        sub.chapter = "ch01"
    chosen, reasons = grader.choose(subs)
    assert chosen[("sam", "ch01")].rel == "sam/v2.ipynb"
    assert reasons["sam"] == [
        "ch01: graded sam/v2.ipynb (newer), ignored sam/old.ipynb",
        "ch01: graded sam/v2.ipynb (same time, later name), ignored sam/v1.ipynb"]


def test_hidden_files_are_skipped_and_other_files_count(tmp_path):
    (tmp_path / "amy" / ".ipynb_checkpoints").mkdir(parents=True)
    (tmp_path / "amy" / ".ipynb_checkpoints" / "x-checkpoint.ipynb").write_text("{}")
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    (tmp_path / "amy" / "ch1.ipynb").write_text("{}")
    (tmp_path / "bo.docx").write_bytes(b"PK")
    subs = grader.find_submissions(tmp_path)
    assert [(s.student, s.rel) for s in subs] == [("amy", "amy/ch1.ipynb"),
                                                   ("bo", "bo.docx")]
    assert grader.read_notebook(tmp_path / "bo.docx") == (
        None, "not a notebook (a .docx file)")


@pytest.fixture
def fake_exercises():
    """Two registered exercises of a chapter "ch99": a reader's function that never
    returns, and a check that needs the chapter's context."""

    @exercise("ch99-ex-loop", variable="answer_loop", form="a function", section="-")
    def _loop(answer):
        answer()
        return None

    @exercise("ch99-ex-context", variable="answer_context", form="a number", section="-")
    def _context(answer, *, table):
        return None if answer == len(table) else "no"

    yield
    for label in ("ch99-ex-loop", "ch99-ex-context"):
        EXERCISES.pop(label)


def _run_test(item: autograder.Item, env: dict, seconds: float = 10) -> dict:
    from otter.test_files import ExceptionTestFile

    test = ExceptionTestFile.from_string(autograder.test_source(item, seconds),
                                         path=f"{item.label}.py")
    test.run(env)
    return {"tests": {item.label: {
        "score": test.score, "possible": test.possible,
        "cases": [{"name": r.test_case.name, "hidden": r.test_case.hidden,
                   "passed": r.passed, "message": r.message}
                  for r in test.test_case_results]}}, "errors": []}


def test_the_generated_test_grades_each_kind_of_answer(registry):
    item = next(i for i in registry["ch01"] if i.label == "ch01-ex-predict")
    nb = _notebook("answer_predict = None")
    right = EXERCISES[item.label].answer()
    for env, points, reasons in (
            ({"answer_predict": right}, {item.label: 1}, []),
            ({"answer_predict": (right[1], right[0])}, {item.label: 0}, []),
            ({"answer_predict": None}, {item.label: 0}, []),
            ({}, {item.label: 0}, ["ch01-ex-predict: answer_predict was never set"]),
    ):
        outcome = grader.interpret(_run_test(item, env), [item], nb)
        assert (outcome.points, outcome.reasons) == (points, reasons), env
    gone = grader.interpret(_run_test(item, {}), [item], _notebook("x = 1"))
    assert gone.reasons == ["ch01-ex-predict: answer cell missing"]


def test_a_function_that_never_returns_costs_its_exercise_only(fake_exercises):
    item = autograder.Item("ch99-ex-loop", "ch99", "answer_loop", 1, {})

    def forever():
        while True:
            try:
                time.sleep(0.01)
            except Exception:  # a reader's catch-all must not swallow the limit  # noqa: BLE001
                pass

    start = time.perf_counter()
    outcome = grader.interpret(_run_test(item, {"answer_loop": forever}, 0.5), [item],
                               _notebook("answer_loop = f"))
    assert time.perf_counter() - start < 5
    assert outcome.points == {"ch99-ex-loop": 0}
    assert outcome.reasons == ["ch99-ex-loop: the check ran past 0.5 s"]


def test_a_check_with_context_takes_it_from_the_notebook(fake_exercises):
    verify = EXERCISES["ch99-ex-context"].verify
    assert autograder._context("ch99", "ch99-ex-context", verify) == {"table": "table"}
    item = autograder.Item("ch99-ex-context", "ch99", "answer_context", 2,
                           {"table": "rows[:3]"})
    nb = _notebook("answer_context = 3")
    ok = grader.interpret(_run_test(item, {"answer_context": 3, "rows": "abcdef"}),
                          [item], nb)
    assert (ok.points, ok.reasons) == ({"ch99-ex-context": 2}, [])
    lost = grader.interpret(_run_test(item, {"answer_context": 3}), [item], nb)
    assert lost.points == {"ch99-ex-context": 0}
    assert lost.reasons == ["ch99-ex-context: could not check: table=rows[:3]: NameError: "
                            "name 'rows' is not defined"]


def test_check_calls_are_read_with_their_context():
    nb = _notebook('check("ch03-ex-x", answer_x, out_packed=out_packed, n=len(lengths))',
                   "%matplotlib inline\ncheck('ch03-ex-y', answer_y)\n", "def f(:\n")
    assert autograder.check_calls(nb) == {
        "ch03-ex-x": {"out_packed": "out_packed", "n": "len(lengths)"},
        "ch03-ex-y": {}}


def test_a_timed_out_or_crashed_run_zeroes_its_chapter(registry):
    items = registry["ch01"]
    nb = _notebook()
    late = grader.interpret({"timeout": 7}, items, nb)
    assert set(late.points.values()) == {0} and len(late.points) == len(items)
    assert late.reasons == ["ch01: stopped after 7 s (the time limit); nothing graded"]
    crash = grader.interpret({"crash": "DeadKernelError: Kernel died"}, items, nb)
    assert crash.reasons == ["ch01: grading failed (DeadKernelError: Kernel died); "
                             "nothing graded"]


def test_a_changed_notebook_format_is_still_read(tmp_path):
    nb = copy.deepcopy(_notebook("answer_gru = 90"))
    del nb["nbformat_minor"]
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    got, why = grader.read_notebook(path)
    assert why is None and got["cells"][0]["source"] == "answer_gru = 90"
    path.write_text(json.dumps({"nbformat": 4, "cells": [{"cell_type": "picture"}]}))
    assert grader.read_notebook(path) == (
        None, "not a readable notebook (cells missing or malformed)")
