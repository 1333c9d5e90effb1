"""Checks for the exercises of chapter 1, "Why padding wastes compute"."""

from __future__ import annotations

from itertools import combinations

from packviz.core import waste
from packviz.exercises import as_plain, exercise

EIGHT = [4, 6, 8, 5, 4, 3, 7, 8]  # the chapter's batch


def _whole_number(answer, what: str) -> str | None:
    """A hint if `answer` is not a whole number, else None."""
    if isinstance(answer, bool) or not isinstance(as_plain(answer), int):
        return f"Give {what} as a whole number (an int), not {type(answer).__name__}."
    return None


def _predict_answer() -> tuple[int, int]:
    stats = waste([3, 3, 1])
    return stats.padded, stats.real


@exercise("ch01-ex-predict", variable="answer_predict",
          form="a tuple (padded, real) of two whole numbers",
          section="'A batch is a rectangle'", answer=_predict_answer,
          mistakes=[(7, 9), (9, 9), (3, 7), (6, 7)])
def _predict(answer):
    want_padded, want_real = _predict_answer()
    got = as_plain(answer)
    if not (isinstance(got, list) and len(got) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in got)):
        return "Give two whole numbers in a tuple, padded updates first: (padded, real)."
    padded, real = got
    if (padded, real) == (want_real, want_padded):
        return "The two numbers are the wrong way round: padded updates come first."
    if padded != want_padded:
        return ["Your padded count is off. A padded run updates every sequence at "
                "every step up to the longest one.",
                "Your padded count is off: it is the number of sequences B times the "
                "padded length T."]
    if real != want_real:
        return ["Your real count is off. Each sequence contributes one real update "
                "per step it really has.",
                "Your real count is off: add up the lengths."]
    return None


@exercise("ch01-ex-sorting", variable="answer_sorting",
          form="a whole number: the padded run's rows for the sorted batch",
          section="'Measure, don't multiply' (run_padded and the rows_seen hook)",
          answer=lambda: waste(sorted(EIGHT, reverse=True)).padded,
          mistakes=[45, 56, 32])
def _sorting(answer):
    hint = _whole_number(answer, "the number of rows")
    if hint:
        return hint
    if as_plain(answer) == sum(EIGHT):
        return ("That counts only the real steps. A padded run processes every row of "
                "the rectangle, pads included: count with run_padded and rows_seen.")
    if as_plain(answer) != waste(sorted(EIGHT, reverse=True)).padded:
        return ["Run run_padded(cell, padded[order]) after rows_seen.clear(), then "
                "add up rows_seen.",
                "Sorting changes the order of the rows, not the rectangle's height or "
                "width."]
    return None


def _best_split_cost(lengths: list[int]) -> int:
    """The fewest padded updates of two batches of len(lengths) // 2 each."""
    half = len(lengths) // 2
    costs = []
    for part in combinations(range(len(lengths)), half):
        first = [lengths[i] for i in part]
        rest = [lengths[i] for i in range(len(lengths)) if i not in part]
        costs.append(waste(first).padded + waste(rest).padded)
    return min(costs)


@exercise("ch01-ex-buckets", variable="answer_buckets",
          form="a whole number: the padded updates of both batches together",
          section="'Waste grows with skew' (the batch's longest sequence sets its length)",
          answer=lambda: _best_split_cost(EIGHT), mistakes=[64, 45, 56])
def _buckets(answer):
    hint = _whole_number(answer, "the updates of both batches")
    if hint:
        return hint
    got = as_plain(answer)
    if got == waste(EIGHT).padded:
        return ("That is what one batch of all eight costs. Each batch of four pads "
                "only to its own longest sequence: which four belong together?")
    if got == sum(EIGHT):
        return "That counts only real steps; each batch also pays for its pads."
    best = _best_split_cost(EIGHT)
    if got < best:
        return ("No split of these eight lengths into two batches of four costs that "
                "little: each batch costs 4 times its longest length.")
    if got > best:
        return ["A cheaper split exists. Sort the lengths and cut the sorted list in "
                "the middle.",
                "Each batch costs 4 times its own longest length: keep the long "
                "sequences together so that only one batch pays for them."]
    return None


def _gru_flops_per_row(features: int = 2, hidden: int = 3) -> int:
    """FLOPs that FlopCounterMode counts for one row through an nn.GRUCell."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    cell = torch.nn.GRUCell(features, hidden)
    with FlopCounterMode(display=False) as counter:
        cell(torch.zeros(1, features))
    return counter.get_total_flops()


@exercise("ch01-ex-gru", variable="answer_gru",
          form="a whole number: FLOPs per row of nn.GRUCell(F, H), F = 2, H = 3",
          section="'Measure, don't multiply' (FLOPs per row)",
          answer=_gru_flops_per_row, mistakes=[120, 45, 60])
def _gru(answer):
    hint = _whole_number(answer, "the FLOPs per row")
    if hint:
        return hint
    got = as_plain(answer)
    want = _gru_flops_per_row()
    if got == 120:
        return ("120 is the LSTM's count. Measure the GRU cell itself with "
                "FlopCounterMode around one call on one row.")
    if got * 2 == want:
        return ("You counted multiply-adds. FlopCounterMode counts two FLOPs for "
                "each multiply-add.")
    if got != want:
        return ["Measure it: wrap one call of nn.GRUCell(F, H) on a (1, F) input in "
                "FlopCounterMode and read get_total_flops().",
                "A GRU has two gates (reset and update) and a candidate state: three "
                "blocks of weights where an LSTM has four."]
    return None
