"""Packing arithmetic in plain Python, without torch.

The chapters compute everything with torch; these functions restate the same rules
in a few lines so that the widgets (whose JavaScript mirrors this file), the figures
and the tests have one small reference that needs no tensor library. The tests check
every function here against torch.
"""

from __future__ import annotations

import math
import numbers
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "WasteStats",
    "batch_sizes_from_lengths",
    "check_lengths",
    "lengths_from_batch_sizes",
    "pack_order",
    "parse_lengths",
    "skewed_lengths",
    "sort_order",
    "waste",
]


def check_lengths(
    lengths: Iterable[int],
    *,
    total_length: int | None = None,
    batch_size: int | None = None,
    max_count: int | None = None,
) -> list[int]:
    """Return `lengths` as a list of ints, or raise ValueError saying what to fix."""
    if hasattr(lengths, "tolist"):  # torch tensors and numpy arrays
        lengths = lengths.tolist()
    if isinstance(lengths, (str, bytes)):
        raise ValueError(
            f"lengths must be a sequence of integers, not the string {lengths!r}; "
            "use parse_lengths() to read text such as '5, 2'"
        )
    try:
        values = list(lengths)
    except TypeError:
        raise ValueError(
            f"lengths must be a sequence of integers such as [5, 2], "
            f"got {type(lengths).__name__}"
        ) from None
    if not values:
        raise ValueError("lengths is empty: give at least one sequence, e.g. [5, 2]")
    if any(isinstance(v, list) for v in values):
        raise ValueError("lengths must be one-dimensional, e.g. [5, 2], not nested lists")
    out = []
    for i, v in enumerate(values):
        if type(v) is int:  # the common case, without the slower ABC check below
            out.append(v)
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise ValueError(
                f"lengths[{i}] = {v!r} is not a whole number; "
                "every length counts time steps, e.g. [5, 2]"
            )
        out.append(int(v))
    bad = [(i, v) for i, v in enumerate(out) if v <= 0]
    if bad:
        i, v = bad[0]
        raise ValueError(
            f"lengths[{i}] = {v}: every length must be at least 1 "
            "(drop empty sequences before padding; torch rejects them too)"
        )
    if max_count is not None and len(out) > max_count:
        raise ValueError(
            f"{len(out)} sequences given; at most {max_count} are allowed here"
        )
    if total_length is not None and max(out) > total_length:
        i = out.index(max(out))
        raise ValueError(
            f"lengths[{i}] = {out[i]} is longer than the padded tensor "
            f"({total_length} time steps); check the time axis (batch_first?) "
            "or the lengths"
        )
    if batch_size is not None and len(out) != batch_size:
        raise ValueError(
            f"{len(out)} lengths for a batch of {batch_size} sequences: give one length "
            "per sequence, and check that the batch axis is the one you think "
            "(batch_first=True means (B, T, ...))"
        )
    return out


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def parse_lengths(text: str, *, max_count: int = 8, max_length: int = 12) -> list[int]:
    """Read lengths typed as text ('5, 2, 7'); raise ValueError with a readable reason."""
    if not isinstance(text, str):
        raise ValueError(f"expected text such as '5, 2', got {type(text).__name__}")
    parts = [p.strip() for p in text.replace(";", ",").split(",")]
    if text.strip() == "":
        raise ValueError("type at least one length, e.g. 5, 2")
    values = []
    for p in parts:
        if p == "":
            raise ValueError("an entry is empty: separate lengths with single commas")
        # ASCII digits with at most one sign: str.isdigit() would also accept '²' and
        # '+-5', which int() then rejects with a cryptic message.
        if not _WHOLE_NUMBER.fullmatch(p):
            raise ValueError(f"'{p}' is not a whole number")
        values.append(int(p))
    values = check_lengths(values, max_count=max_count)
    too_long = [v for v in values if v > max_length]
    if too_long:
        raise ValueError(f"{too_long[0]} is too long: lengths go up to {max_length} here")
    return values


def sort_order(lengths: Sequence[int]) -> tuple[list[int], list[int]]:
    """Return (sorted_indices, unsorted_indices): longest first, ties in a stable order.

    torch's packing gives the same order for small batches (the widgets take at most 8
    sequences); torch leaves the order among equal lengths unspecified, and torch 2.13
    on a CPU can mix ties past 16 sequences.
    """
    lengths = check_lengths(lengths)
    # Longest first; equal lengths keep their original order (a stable sort).
    sorted_indices = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    unsorted_indices = [0] * len(lengths)
    for position, i in enumerate(sorted_indices):
        unsorted_indices[i] = position
    return sorted_indices, unsorted_indices


def batch_sizes_from_lengths(lengths: Sequence[int]) -> list[int]:
    """Return how many sequences are still running at each time step."""
    lengths = check_lengths(lengths)
    return [sum(1 for n in lengths if n > t) for t in range(max(lengths))]


def lengths_from_batch_sizes(batch_sizes: Sequence[int]) -> list[int]:
    """Invert batch_sizes: lengths in sorted (longest-first) order."""
    sizes = check_lengths(batch_sizes)
    if any(later > earlier for earlier, later in zip(sizes, sizes[1:])):
        raise ValueError(
            f"batch_sizes {sizes} grows somewhere; it can only stay equal or shrink, "
            "because a sequence that has ended never restarts"
        )
    return [sum(1 for b in sizes if b > i) for i in range(sizes[0])]


def pack_order(lengths: Sequence[int]) -> list[tuple[int, int]]:
    """Return the (sequence, time step) of each row of PackedSequence.data, in order."""
    lengths = check_lengths(lengths)
    sorted_indices, _ = sort_order(lengths)
    return [
        (i, t)
        for t in range(max(lengths))
        for i in sorted_indices
        if lengths[i] > t
    ]


@dataclass(frozen=True)
class WasteStats:
    """Cell updates of a padded batch versus the ones that touch real data."""

    padded: int
    real: int

    @property
    def wasted(self) -> int:
        return self.padded - self.real

    @property
    def useful_fraction(self) -> float:
        return self.real / self.padded


def waste(lengths: Sequence[int], total_length: int | None = None) -> WasteStats:
    """Count padded versus real time steps for a batch padded to `total_length`."""
    lengths = check_lengths(lengths, total_length=total_length)
    steps = max(lengths) if total_length is None else total_length
    return WasteStats(padded=len(lengths) * steps, real=sum(lengths))


def skewed_lengths(
    batch_size: int, max_length: int, skew: float, *, seed: int = 0
) -> list[int]:
    """Draw lengths in 1..max_length; skew 0 = all equal, larger = longer tail."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not isinstance(max_length, int) or max_length < 1:
        raise ValueError(f"max_length must be a positive integer, got {max_length!r}")
    if not (isinstance(skew, (int, float)) and math.isfinite(skew) and skew >= 0):
        raise ValueError(f"skew must be a finite number >= 0, got {skew!r}")
    gauss, exp = random.Random(seed).gauss, math.exp
    # A log-normal draw in units of max_length: sigma grows with skew, so most
    # sequences get short while a few stay long. skew=0 gives every sequence max_length.
    return [max(1, min(max_length, round(exp(-skew * abs(gauss(0.0, 1.0))) * max_length)))
            for _ in range(batch_size)]
