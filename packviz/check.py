"""Checks for "predict the output" exercises: the reader answers, a cell checks it."""

from __future__ import annotations

from typing import Any


def check_answer(answer: Any, expected: Any, *, name: str = "your answer") -> None:
    """Print whether `answer` equals `expected`; an unanswered (None) exercise just says so.

    A wrong answer raises AssertionError with both values, so the reader sees what the
    code really produced. Tensors and numpy arrays are compared by their values.
    """
    if answer is None:
        print(f"Fill in {name} above, then run this cell again.")
        return
    got = _plain(answer)
    want = _plain(expected)
    assert got == want, f"Not quite: {name} is {got!r}, but the code gives {want!r}."
    print(f"Correct: {want!r}")


def _plain(value: Any) -> Any:
    """Turn tensors, arrays and tuples into plain lists so that == compares values."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
