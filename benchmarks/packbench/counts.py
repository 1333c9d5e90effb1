"""The work each variant does per epoch (cell updates and sequential steps): the basis of
`ideal_speedup` and `step_speedup`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .variants import BASELINE, PACKED_VARIANTS, VARIANTS


@dataclass(frozen=True)
class Work:
    """Cell updates (tokens) and sequential time steps a variant runs per epoch."""

    tokens: int
    steps: int
    n_batches: int


def work(variant: str, lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> Work:
    """Count cell updates and sequential steps for one epoch of a variant.

    padded_global pads every batch to the longest length in the dataset; the other
    padded variants pad each batch to its own longest; packed variants run each
    sequence's real steps only. A packed batch still takes max(lengths) sequential
    steps, because step t waits for step t - 1.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    global_max = max(lengths)
    tokens = steps = 0
    for batch in batches:
        batch_lengths = [lengths[i] for i in batch]
        t = global_max if variant == BASELINE else max(batch_lengths)
        steps += t
        tokens += sum(batch_lengths) if variant in PACKED_VARIANTS else len(batch) * t
    return Work(tokens=tokens, steps=steps, n_batches=len(batches))


def ideal_speedup(baseline: Work, variant: Work) -> float:
    """Padded tokens over computed tokens: the gain if time followed the work skipped."""
    return baseline.tokens / variant.tokens


def step_speedup(baseline: Work, variant: Work) -> float:
    """Sequential steps of the baseline over those of the variant."""
    return baseline.steps / variant.steps
