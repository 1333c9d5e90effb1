"""Every exercise is checked or counted as an open question; checks hint, never tell.

The chapters' exercises are sphinx-exercise blocks with a `:label:`. Each label is
registered in `packviz.exercises` either with a check (a verify function, the name of
the reader's answer variable and, for value answers, the computation of the right
answer) or as an open question. These tests hold the chapters and the registry
together and try each check with its typical mistakes.
"""

from __future__ import annotations

import contextlib
import io
import json
import re

import pytest
from support import ROOT

from packviz import exercises
from packviz.exercises import EXERCISES, as_plain, check, is_correct, open_questions

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
LABEL = re.compile(r"^[`:]{3,}\{exercise\}[^\n]*\n(?P<options>(?::[^\n]*\n)*)", re.M)


def chapter_exercises() -> dict[str, tuple[str, list[dict], int, str]]:
    """{label: (chapter stem, cells, index of the exercise cell, options text)}."""
    found = {}
    for path in CHAPTERS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] != "markdown":
                continue
            for match in LABEL.finditer("".join(cell["source"])):
                label = re.search(r":label:\s*(\S+)", match.group("options")).group(1)
                assert label not in found, f"exercise label {label} used twice"
                found[label] = (path.stem, cells, i, match.group("options"))
    return found


FOUND = chapter_exercises()
exercises._load_chapters()
OPEN = open_questions()


def printed(*args, **kwargs) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check(*args, **kwargs)
    return out.getvalue()


def test_every_exercise_is_checked_or_an_open_question_and_nothing_else():
    assert FOUND, "no exercise found in the chapters"
    registered = set(EXERCISES) | set(OPEN)
    assert set(FOUND) - registered == set(), "exercises with no check and not open"
    assert registered - set(FOUND) == set(), "registered labels no chapter has"
    assert not set(EXERCISES) & set(OPEN)


@pytest.mark.parametrize("label", sorted(FOUND))
def test_open_questions_say_so_in_the_chapter(label):
    options = FOUND[label][3]
    marked = re.search(r":class:.*\bopen-question\b", options) is not None
    assert marked == (label in OPEN), (
        f"{label}: an open question carries `:class: open-question`, a checked "
        "exercise does not")


def _source(cell) -> str:
    return "".join(cell["source"])


def _solution_span(cells, label) -> tuple[int, int]:
    start = next(i for i, c in enumerate(cells)
                 if f"{{solution-start}} {label}" in _source(c))
    end = next(i for i in range(start, len(cells))
               if "{solution-end}" in _source(cells[i]))
    return start, end


@pytest.mark.parametrize("label", sorted(EXERCISES))
def test_the_chapter_asks_for_the_answer_then_checks_it(label):
    ex = EXERCISES[label]
    stem, cells, at, _ = FOUND[label]
    assert label.startswith(f"ch{stem[:2]}-"), f"{label} is not named after {stem}"
    start, end = _solution_span(cells, label)
    before = [_source(c) for c in cells[at + 1:start] if c["cell_type"] == "code"]
    blank = re.compile(rf"^{re.escape(ex.variable)} = None\b", re.M)
    call = f'check("{label}", {ex.variable}'
    assert any(blank.search(s) for s in before), (
        f"{stem}: after {label}, a code cell must start the answer as "
        f"`{ex.variable} = None`")
    assert any(call in s for s in before), f"{stem}: no `{call}...)` before the solution"
    solution = [c for c in cells[start:end] if c["cell_type"] == "code"]
    verdicts = ["".join(o.get("text", "")) for c in solution if call in _source(c)
                for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    assert any("Correct." in v for v in verdicts), (
        f"{stem}: the solution of {label} must call {call}...) and print Correct. "
        "(strict nbval proves the stored output current)")


@pytest.mark.parametrize("label", sorted(EXERCISES))
def test_an_unanswered_check_says_how_to_answer(label):
    text = printed(label, None)
    assert EXERCISES[label].variable in text and "Not yet" not in text


@pytest.mark.parametrize("label", sorted(EXERCISES))
def test_the_right_answer_passes(label):
    ex = EXERCISES[label]
    if ex.answer is None:
        pytest.skip("judged by behaviour; the chapter's solution cell shows it passing")
    assert is_correct(label, ex.answer())
    assert printed(label, ex.answer()).strip() == "Correct."


def _leaks(text: str, answer) -> bool:
    """Whether `text` states `answer` (a number as a word, a sequence in any brackets)."""
    plain = as_plain(answer)
    if isinstance(plain, bool):
        return False  # True/False may appear in any hint
    if isinstance(plain, (int, float, str)):
        word = rf"(?<![\w.]){re.escape(str(plain))}(?![\w]|\.\d)"
        return re.search(word, text) is not None
    flat = ", ".join(str(v) for v in plain)
    return flat in text


@pytest.mark.parametrize("label", sorted(EXERCISES))
def test_wrong_answers_get_a_hint_that_never_gives_the_answer(label):
    ex = EXERCISES[label]
    tries = [*ex.mistakes, "not an answer", {"a": 1}, -1, 3.5, [1, 2, 3]]
    exercises._tries.clear()
    for wrong in tries:
        if ex.answer is not None and is_correct(label, wrong):
            continue  # a generic try that happens to be right (e.g. -1 for some answer)
        for _ in range(3):  # later tries show the more specific hints
            text = printed(label, wrong)
            assert text.startswith("Not yet."), (label, wrong, text)
            assert "Look again at:" in text
            if ex.answer is not None:
                assert not _leaks(text, ex.answer()), (
                    f"{label}: the hint for {wrong!r} gives the answer away: {text}")
    assert ex.mistakes or ex.answer is None, f"{label}: list its typical mistakes"


def test_an_unknown_label_is_a_clear_error():
    with pytest.raises(ValueError, match="no check for exercise"):
        check("ch99-ex-none", 1)


def test_the_readme_reports_how_many_exercises_have_a_check():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    claim = f"{len(EXERCISES)} of the {len(FOUND)} exercises have a check"
    assert claim in text, f"README.md must say: {claim}"
