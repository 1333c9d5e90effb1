"""Checks for the exercises of chapter 6, "Does packing pay?"."""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import pack_padded_sequence

from packviz.exercises import as_plain, exercise

EIGHT = [4, 6, 8, 5, 4, 3, 7, 8]  # chapter 1's batch
HALVES = [[4, 6, 4, 3], [8, 5, 7, 8]]  # ch06-ex-per-batch
TOL = 0.006  # "round to two decimals": 1.4222 and its rounding both pass


def _number(answer) -> str | None:
    """A hint if `answer` is not a plain number, else None."""
    got = as_plain(answer)
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return f"Give one number (a float), not {type(answer).__name__}."
    return None


def _padded_updates(batches: list[list[int]]) -> int:
    """Cell updates when each batch is padded to its own longest sequence."""
    lengths = [torch.tensor(b) for b in batches]
    return sum(len(b) * int(b.max()) for b in lengths)


def _real_updates(batches: list[list[int]]) -> int:
    return sum(sum(b) for b in batches)


def _ideal_answer() -> float:
    return round(_padded_updates([EIGHT]) / _real_updates([EIGHT]), 2)


def _per_batch_answer() -> float:
    return round(_padded_updates(HALVES) / _real_updates(HALVES), 2)


def _steps_answer() -> int:
    packed = pack_padded_sequence(torch.zeros(len(EIGHT), max(EIGHT), 1),
                                  torch.tensor(EIGHT), batch_first=True,
                                  enforce_sorted=False)
    return len(packed.batch_sizes)


def _close(got: float, exact: float) -> bool:
    return abs(got - exact) <= TOL


@exercise("ch06-ex-ideal", variable="answer_ideal",
          form="a number with two decimals: packing's ideal speedup over padding to 8",
          section="'What packing could save' (the ideal speedup)",
          answer=_ideal_answer, mistakes=[0.7, 1.0, 1.24, 64])
def _ideal(answer):
    hint = _number(answer)
    if hint:
        return hint
    got = float(as_plain(answer))
    padded, real = _padded_updates([EIGHT]), _real_updates([EIGHT])
    if _close(got, padded / real):
        return None
    if _close(got, real / padded):
        return ("That is the fraction of useful cell updates. The ideal speedup is "
                "the other way up: the padded run's updates over the packed run's.")
    if _close(got, _padded_updates(HALVES) / real):
        return ("That is the ideal over two batches padded each to its own longest. "
                "Here all eight form one batch, padded to the longest length.")
    if got > 10:
        return ("That looks like a count of cell updates. The ideal speedup is a "
                "ratio of two counts.")
    return ["The ideal speedup is the padded run's cell updates over the packed "
            "run's: count both.",
            "Padded: B sequences times the longest length. Packed: the sum of the "
            "lengths."]


@exercise("ch06-ex-steps", variable="answer_steps",
          form="a whole number: the sequential steps of the packed batch",
          section="'What packing could save' (sequential steps)",
          answer=_steps_answer, mistakes=[45, 6, 3, 64])
def _steps(answer):
    got = as_plain(answer)
    if isinstance(got, bool) or not isinstance(got, int):
        return f"Give a whole number (an int), not {type(answer).__name__}."
    want = _steps_answer()
    if got == want:
        return None
    if got == sum(EIGHT):
        return ("That counts cell updates, one per real step of each sequence. A "
                "sequential step advances every sequence still running at once.")
    if got == round(sum(EIGHT) / len(EIGHT)) or got == min(EIGHT):
        return ("Packing does not shorten the batch to a typical length: step t "
                "still waits for step t - 1 of the longest sequence.")
    if got == len(EIGHT) * max(EIGHT):
        return "That is the padded batch's cell updates, not its steps."
    return ["Look at `batch_sizes`: it has one entry per sequential step.",
            "A packed batch takes as many steps as its longest sequence."]


@exercise("ch06-ex-per-batch", variable="answer_per_batch",
          form="a number with two decimals: packing's ideal speedup over per-batch "
               "padding of the two batches",
          section="'What packing could save' (per-batch padding, the baseline)",
          answer=_per_batch_answer, mistakes=[1.42, 0.8, 1.14, 56])
def _per_batch(answer):
    hint = _number(answer)
    if hint:
        return hint
    got = float(as_plain(answer))
    padded, real = _padded_updates(HALVES), _real_updates(HALVES)
    if _close(got, padded / real):
        return None
    if _close(got, _padded_updates([EIGHT]) / real):
        return ("That is the ideal over padding all eight to the longest length. "
                "Pad each batch of four to its own longest sequence instead.")
    if _close(got, real / padded):
        return ("That is the useful fraction of the per-batch padded updates; the "
                "speedup is the padded updates over the packed ones.")
    if _close(got, _padded_updates([EIGHT]) / padded):
        return ("That compares the two paddings with each other. The question is "
                "packing against per-batch padding.")
    if got > 10:
        return "That looks like a count; the ideal speedup is a ratio of two counts."
    return ["Count the cell updates of each batch padded to its own longest, add "
            "them, and divide by the real updates.",
            "A batch of four padded to its longest length n costs 4 times n cell "
            "updates."]
