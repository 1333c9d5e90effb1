"""The student edition (`make book-student`) keeps the exercises, drops every solution.

The mechanism is checked on a tiny fixture book (one notebook with a gated solution in
the form CONTRIBUTING.md prescribes, and one plain `{solution}`), built both ways.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import subprocess
import sys

import nbformat
import pytest
from support import python_notebook

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "student_edition.py"
JB = pathlib.Path(sys.executable).with_name("jupyter-book")

# Distinctive words (stemming leaves them whole) that mark each part of the fixture.
EXERCISE_TEXT = "Quokka"
SECOND_EXERCISE_TEXT = "Narwhal"
CHECK_TEXT = "Pangolin"
AFTER_TEXT = "Axolotl"
SOLUTION_PROSE = "Capybara"
SOLUTION_CODE = "wombat"
SOLUTION_OUTPUT = "Okapi"
PLAIN_SOLUTION = "Tapir"
SOLUTION_MARKERS = (SOLUTION_PROSE, SOLUTION_CODE, SOLUTION_OUTPUT, PLAIN_SOLUTION)
KEPT_MARKERS = (EXERCISE_TEXT, SECOND_EXERCISE_TEXT, CHECK_TEXT, AFTER_TEXT)


def _load_script():
    spec = importlib.util.spec_from_file_location("student_edition", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fixture_book(root: pathlib.Path) -> pathlib.Path:
    """A one-chapter book shaped like ours: exercise, gated solution, check cell."""
    root.mkdir()
    (root / "_config.yml").write_text(
        "title: Fixture\n"
        "execute:\n  execute_notebooks: force\n"
        "sphinx:\n  extra_extensions: [sphinx_exercise]\n"
        "  config:\n    hide_solutions: false\n"
    )
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: chapter\n"
    )
    (root / "intro.md").write_text("# Fixture\n\nA tiny book.\n")
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = python_notebook([
        md("# Chapter\n\n## Exercises"),
        md(f"```{{exercise}}\n:label: fx-ex-sum\n{EXERCISE_TEXT}: what is 40 + 2?\n```"),
        md(
            "```{solution-start} fx-ex-sum\n:class: dropdown\n```\n"
            f"{SOLUTION_PROSE}: run it."
        ),
        code(f"{SOLUTION_CODE} = 40 + 2\nprint('{SOLUTION_OUTPUT}', {SOLUTION_CODE})"),
        md(f"```{{solution-end}}\n```\n\n{AFTER_TEXT}."),
        code(f"your_answer = None\nprint('{CHECK_TEXT}', your_answer)"),
        md(
            f"```{{exercise}}\n:label: fx-ex-two\n{SECOND_EXERCISE_TEXT}\n```\n\n"
            f"```{{solution}} fx-ex-two\n:class: dropdown\n{PLAIN_SOLUTION}\n```"
        ),
    ])
    nbformat.write(nb, root / "chapter.ipynb")
    return root


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The fixture book built as the full edition and as the student edition."""
    tmp = tmp_path_factory.mktemp("student")
    book = _fixture_book(tmp / "book")
    full = subprocess.run(
        [str(JB), "build", str(book), "--path-output", str(tmp / "full"), "-W", "-q"],
        capture_output=True,
        text=True,
    )
    assert full.returncode == 0, full.stdout[-3000:] + full.stderr[-3000:]
    student = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--source",
            str(book),
            "--output",
            str(tmp / "student"),
        ],
        capture_output=True,
        text=True,
    )
    assert student.returncode == 0, student.stdout[-3000:] + student.stderr[-3000:]
    return tmp / "full" / "_build" / "html", tmp / "student"


def test_full_edition_shows_solutions(builds):
    html = (builds[0] / "chapter.html").read_text()
    for marker in KEPT_MARKERS + SOLUTION_MARKERS:
        assert marker in html, f"{marker} missing from the full edition"
    assert 'class="solution' in html


def test_student_edition_keeps_exercises_and_drops_solutions(builds):
    html = (builds[1] / "chapter.html").read_text()
    for marker in KEPT_MARKERS:
        assert marker in html, f"{marker} missing from the student edition"
    for marker in SOLUTION_MARKERS:
        assert marker not in html, f"{marker} leaked into the student edition"
    assert 'class="solution' not in html, "a solution block is still on the page"


def test_student_search_index_has_no_solution_text(builds):
    index = (builds[1] / "searchindex.js").read_text().lower()
    for marker in KEPT_MARKERS:
        assert f'"{marker.lower()}"' in index, f"{marker} not in the search index"
    for marker in SOLUTION_MARKERS:
        assert f'"{marker.lower()}"' not in index, f"{marker} in the search index"


def test_downloadable_student_notebook_has_no_solutions(builds):
    nb = json.loads((builds[1] / "_sources" / "chapter.ipynb").read_text())
    text = json.dumps(nb)
    for marker in KEPT_MARKERS:
        assert marker in text
    for marker in SOLUTION_MARKERS + ("solution-start", "solution-end"):
        assert marker not in text, f"{marker} left in the downloadable notebook"


def test_strip_solutions_keeps_text_around_solutions():
    strip = _load_script().strip_solutions
    source = (
        "Before.\n\n```{solution} ex\n:class: dropdown\nAnswer.\n```\n"
        "Between.\n````{solution-start} ex2\n````\nHidden.\n"
        "```{solution-end}\n```\nAfter.\n"
    )
    assert strip(source) == "Before.\n\nBetween.\nAfter.\n"
