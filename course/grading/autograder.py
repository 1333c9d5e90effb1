"""Otter tests and autograder zips, written from the exercise registry (packviz.exercises).

One test file per checked exercise, in otter-grader's exception-based format (otter
injects the notebook's global variables: `env` is all of them):

- public case `answered` (0 points): the answer variable exists and is not None;
- hidden case `correct` (the exercise's points): `packviz.exercises.is_correct(label,
  answer, **context)`, the verdict the chapter's own check cell prints. For a code answer
  the registry's verify function already runs the reader's function on its cases, edge
  cases included, so this one call covers behaviour too. It runs under a time limit, so
  that a function that never returns costs that exercise only.

The tests name labels, variables and the context the chapter's check cell passes; they
never contain an answer (tests/test_grading.py checks). They exist only here and in the
zips under _build/grading/, never in a student notebook.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import pathlib
import pkgutil
import re
import shutil
import warnings

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHAPTERS = ROOT / "chapters"
BUILD = ROOT / "_build" / "grading"
CHECK_SECONDS = 10  # time limit of one hidden check (a reader's function may loop)
PYTHON_VERSION = "3.11"  # for Gradescope's image (otter generate); local runs use .venv

# Markers in the tests' failure messages; the grader reads them back (grader.py).
MISSING, UNANSWERED, WRONG, SLOW, CONTEXT = (
    "[missing]", "[unanswered]", "[wrong]", "[slow]", "[context]")


@dataclasses.dataclass(frozen=True)
class Item:
    """One gradable exercise, as the grader needs it."""

    label: str
    chapter: str  # "ch01"
    variable: str  # "answer_predict"
    points: int
    context: dict[str, str]  # keyword -> expression, evaluated in the notebook


def _chapter_of(label: str, module: str) -> str:
    match = re.match(r"(ch\d+)-", label)
    return match.group(1) if match else module.rsplit(".", 1)[-1]


def load_registry() -> tuple[dict[str, list[Item]], dict[str, str]]:
    """Every checked exercise by chapter ("ch01": [...], in registry order), and the
    chapters whose module failed to import (chapter -> error), which cannot be graded."""
    from packviz import exercises

    broken: dict[str, str] = {}
    for info in pkgutil.iter_modules(exercises.__path__):
        if info.name.startswith("ch"):
            try:
                importlib.import_module(f"{exercises.__name__}.{info.name}")
            except Exception as err:  # noqa: BLE001 (a chapter being written may not import)
                broken[info.name] = f"{type(err).__name__}: {err}"
    by_chapter: dict[str, list[Item]] = {}
    for label, ex in exercises.EXERCISES.items():
        chapter = _chapter_of(label, ex.verify.__module__)
        if chapter in broken:
            continue
        context = _context(chapter, label, ex.verify)
        by_chapter.setdefault(chapter, []).append(
            Item(label, chapter, ex.variable, ex.points, context))
    return dict(sorted(by_chapter.items())), broken


def chapter_notebook(chapter: str) -> pathlib.Path | None:
    """chapters/NN_*.ipynb for "chNN", if there is one."""
    found = sorted(CHAPTERS.glob(f"{chapter[2:]}_*.ipynb"))
    return found[0] if found else None


def check_calls(nb: dict) -> dict[str, dict[str, str]]:
    """label -> {keyword: expression} of every `check("label", answer, k=expr)` call in
    the code cells of a notebook (the first call of each label)."""
    calls: dict[str, dict[str, str]] = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        tree = parse_cell("".join(cell.get("source", "")))
        for node in ast.walk(tree) if tree else ():
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "check" and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                calls.setdefault(node.args[0].value, {
                    kw.arg: ast.unparse(kw.value) for kw in node.keywords if kw.arg})
    return calls


def parse_cell(source: str) -> ast.Module | None:
    """A code cell as Python (IPython magics and shell lines blanked), or None."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line
             for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


_CALLS: dict[str, dict[str, dict[str, str]]] = {}


def _context(chapter: str, label: str, verify) -> dict[str, str]:
    """The keyword context a check passes: as in the chapter's check cell, else each
    keyword-only parameter of the verify function by its own name."""
    if chapter not in _CALLS:
        path = chapter_notebook(chapter)
        _CALLS[chapter] = check_calls(json.loads(path.read_text("utf-8"))) if path else {}
    if label in _CALLS[chapter]:
        return _CALLS[chapter][label]
    params = inspect.signature(verify).parameters.values()
    return {p.name: p.name for p in params
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is p.empty}


TEST_TEMPLATE = '''\
"""Otter test of exercise {label} (written by course/grading/autograder.py from
packviz.exercises; do not edit). Public: the answer is there. Hidden: its check."""

import contextlib
import signal
import threading

from otter.test_files import test_case

OK_FORMAT = False

name = {label!r}
VARIABLE = {variable!r}
CONTEXT = {context!r}  # keyword -> expression, as the chapter's check cell passes them
CHECK_SECONDS = {seconds!r}


class _TooSlow(BaseException):
    """Raised by the alarm; a BaseException, so that no `except Exception` in a
    reader's function or in the verify function swallows it."""


@contextlib.contextmanager
def _time_limit(seconds):
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@test_case(name="answered", points=0, hidden=False)
def answered(env):
    assert VARIABLE in env, f"{missing} {{VARIABLE}} is not defined"
    assert env[VARIABLE] is not None, f"{unanswered} {{VARIABLE}} is still None"


@test_case(name="correct", points={points!r}, hidden=True)
def correct(env):
    answer = env.get(VARIABLE)
    assert answer is not None, f"{unanswered} {{VARIABLE}} is missing or None"
    from packviz.exercises import is_correct

    try:
        with _time_limit(CHECK_SECONDS):
            context = {{}}
            for key, expression in CONTEXT.items():
                try:
                    context[key] = eval(expression, env)
                except Exception as err:
                    raise AssertionError(
                        f"{context_marker} {{key}}={{expression}}: "
                        f"{{type(err).__name__}}: {{err}}") from None
            right = is_correct(name, answer, **context)
    except _TooSlow:
        raise AssertionError(f"{slow} the check ran past {{CHECK_SECONDS}} s") from None
    assert right, f"{wrong} {{VARIABLE}} is not right"
'''


def test_source(item: Item, seconds: float = CHECK_SECONDS) -> str:
    """The otter test file of one exercise."""
    return TEST_TEMPLATE.format(
        label=item.label, variable=item.variable, context=item.context, seconds=seconds,
        points=item.points, missing=MISSING, unanswered=UNANSWERED, wrong=WRONG,
        slow=SLOW, context_marker=CONTEXT)


def repo_url() -> str:
    """Where Gradescope's image installs packviz from (_config.yml's repository.url)."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text("utf-8"))
    return str((config.get("repository") or {}).get("url", "")).rstrip("/")


def torch_pin() -> str:
    match = re.search(r"^torch==\S+", (ROOT / "requirements.txt").read_text("utf-8"), re.M)
    return match.group(0) if match else "torch"


def build_chapter(chapter: str, items: list[Item], build: pathlib.Path = BUILD,
                  seconds: float = CHECK_SECONDS) -> pathlib.Path:
    """Write build/chNN/tests/*.py and build/chNN-autograder.zip; return the zip."""
    import otter.generate

    folder = build / chapter
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "tests").mkdir(parents=True)
    for item in items:
        test = folder / "tests" / f"{item.label}.py"
        test.write_text(test_source(item, seconds), "utf-8")
    config = folder / "otter_config.json"
    config.write_text(json.dumps({"lang": "python", "show_hidden": False}, indent=2) + "\n")
    # Only Gradescope's image uses these (otter run grades with the installed packages).
    requirements = folder / "requirements.txt"
    requirements.write_text(
        "--extra-index-url https://download.pytorch.org/whl/cpu\n"
        f"{torch_pin()}\npackviz @ git+{repo_url()}\n", "utf-8")
    zip_path = build / f"{chapter}-autograder.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        otter.generate.main(
            tests_dir=str(folder / "tests"), output_path=str(zip_path), config=str(config),
            requirements=str(requirements), no_environment=True,
            python_version=PYTHON_VERSION)
    return zip_path


def build_all(build: pathlib.Path = BUILD, chapters: list[str] | None = None
              ) -> dict[str, pathlib.Path]:
    """The autograder zip of every chapter with checked exercises (or of `chapters`)."""
    registry, _ = load_registry()
    build.mkdir(parents=True, exist_ok=True)
    return {chapter: build_chapter(chapter, items, build)
            for chapter, items in registry.items()
            if chapters is None or chapter in chapters}
