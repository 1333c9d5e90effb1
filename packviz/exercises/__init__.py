"""Self-checks for the chapters' exercises: a wrong try gets a hint, never the answer.

Each chapter's exercises live in `packviz.exercises.chNN`, registered by label (the
`:label:` of the exercise in the chapter). A chapter's check cell calls

    check("ch01-ex-predict", answer_predict)

which prints one of three things:

- the answer is still `None`: how to fill it in;
- it is right: "Correct.";
- it is wrong: a hint that names what to look at (a concept, a section of the
  chapter), and on later tries a more specific one. No hint contains the answer.

A check never raises, so "Run all" goes past a wrong answer. `is_correct` gives the
same verdict as a bool (the grader and the tests use it), `EXERCISES` lists every
registered exercise, and `open_questions()` the exercises that have no check because
their answer is an argument, not a value.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EXERCISES",
    "Exercise",
    "as_plain",
    "check",
    "exercise",
    "is_correct",
    "open_question",
    "open_questions",
    "same_value",
]

Verdict = str | list[str] | None
"""What a verify function returns: None when right, else a hint (or hints, general
first, each try showing the next one)."""


@dataclass
class Exercise:
    """One checked exercise: where its answer lives and how to judge it."""

    label: str
    variable: str  # the name of the answer in the chapter, e.g. "answer_predict"
    verify: Callable[..., Verdict]  # answer (and context) -> None or hint(s)
    form: str  # what kind of answer, as the reader is told: "a tuple (padded, real)"
    section: str  # where in the chapter the idea is taught, for the hints
    # Computes the right answer (a value answer), or None where the answer is code
    # judged by its behaviour. The tests use it to show that no hint contains it.
    answer: Callable[[], Any] | None = None
    mistakes: list[Any] = field(default_factory=list)  # typical wrong answers (tests)
    points: int = 1


@dataclass
class OpenQuestion:
    """An exercise whose answer is an argument or a demonstration: no check."""

    label: str
    why: str  # one line: what the reader should show, and why a value can't say it


EXERCISES: dict[str, Exercise] = {}
OPEN_QUESTIONS: dict[str, OpenQuestion] = {}
_tries: dict[str, int] = {}


def exercise(label: str, *, variable: str, form: str, section: str,
             answer: Callable[[], Any] | None = None,
             mistakes: list[Any] | None = None, points: int = 1):
    """Register the decorated verify function as the check of exercise `label`."""

    def register(verify: Callable[..., Verdict]) -> Callable[..., Verdict]:
        if label in EXERCISES or label in OPEN_QUESTIONS:
            raise ValueError(f"exercise {label!r} is registered twice")
        EXERCISES[label] = Exercise(label, variable, verify, form, section, answer,
                                    list(mistakes or []), points)
        return verify

    return register


def open_question(label: str, why: str) -> None:
    """Record that exercise `label` is an open question (counted, not checked)."""
    if label in EXERCISES or label in OPEN_QUESTIONS:
        raise ValueError(f"exercise {label!r} is registered twice")
    OPEN_QUESTIONS[label] = OpenQuestion(label, why)


def open_questions() -> dict[str, OpenQuestion]:
    """Every exercise registered as an open question, by label."""
    _load_chapters()
    return dict(OPEN_QUESTIONS)


def _load_chapters() -> None:
    """Import every chNN module once, so that all exercises are registered."""
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("ch"):
            importlib.import_module(f"{__name__}.{info.name}")


def _find(label: str) -> Exercise:
    _load_chapters()
    if not isinstance(label, str) or label not in EXERCISES:
        known = ", ".join(sorted(EXERCISES)) or "none"
        extra = " (an open question: compare with the solution)" \
            if label in OPEN_QUESTIONS else ""
        raise ValueError(f"no check for exercise {label!r}{extra}; known: {known}")
    return EXERCISES[label]


def _verdict(ex: Exercise, answer: Any, context: dict[str, Any]) -> list[str] | None:
    """None if `answer` is right, else the hints in order (never empty)."""
    try:
        result = ex.verify(answer, **context)
    except Exception as err:  # noqa: BLE001 (a student's answer can raise anything)
        name = type(err).__name__
        return [f"Checking your answer raised {name}: {err}. The answer should be "
                f"{ex.form}."]
    if result is None:
        return None
    hints = [result] if isinstance(result, str) else list(result)
    return hints or [f"Not quite; the answer should be {ex.form}."]


def is_correct(label: str, answer: Any, **context: Any) -> bool:
    """Whether `answer` is right for exercise `label` (None counts as not answered)."""
    ex = _find(label)
    return answer is not None and _verdict(ex, answer, context) is None


def check(label: str, answer: Any, **context: Any) -> None:
    """Print whether `answer` is right for exercise `label`, with a hint if not."""
    ex = _find(label)
    if answer is None:
        print(f"Fill in `{ex.variable}` above ({ex.form}), then run this cell again.")
        return
    hints = _verdict(ex, answer, context)
    if hints is None:
        _tries.pop(label, None)
        print("Correct.")
        return
    tries = _tries.get(label, 0)
    _tries[label] = tries + 1
    hint = hints[min(tries, len(hints) - 1)]
    more = " (Try again for another hint.)" if tries + 1 < len(hints) else ""
    print(f"Not yet. {hint}{more}\nLook again at: {ex.section}.")


# --- helpers for verify functions -------------------------------------------------
def as_plain(value: Any) -> Any:
    """Tensors, arrays and tuples as plain (nested) lists, so that == compares values."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list):
        return [as_plain(v) for v in value]
    return value


def same_value(answer: Any, expected: Any, *, tol: float = 0.0) -> bool:
    """Whether two answers are equal as plain values; floats within `tol`."""
    got, want = as_plain(answer), as_plain(expected)
    if isinstance(want, list):
        return (isinstance(got, list) and len(got) == len(want)
                and all(same_value(g, w, tol=tol) for g, w in zip(got, want)))
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return math.isclose(got, want, rel_tol=0.0, abs_tol=tol) if tol else got == want
    return got == want
