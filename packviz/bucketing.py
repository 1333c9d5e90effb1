"""A batch sampler that groups sequences of similar length (torch has none built in).

Used by the benchmark (`benchmarks/`) and chapter 5. Pass it to a DataLoader as
`batch_sampler=`: every batch then holds indices from one length bucket, so padding
each batch to its own maximum wastes little. Buckets are either of equal width
(`bucket_width`) or bounded by explicit edges (`boundaries`), for instance the
powers of two from `geometric_boundaries`, which suit long-tailed lengths.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterator, Sequence

from torch.utils.data import Sampler

from packviz.core import check_lengths

__all__ = ["BucketBatchSampler", "geometric_boundaries"]


def _check_int(name: str, value: object, minimum: int, hint: str) -> int:
    """Return `value` if it is an int >= minimum, else raise ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r} ({hint})")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value} ({hint})")
    return value


def _check_bool(name: str, value: object) -> bool:
    """Return `value` if it is a bool, else raise ValueError naming it."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def geometric_boundaries(max_length: int, ratio: float = 2.0) -> list[int]:
    """Bucket edges 1, ratio, ratio**2, ... below max_length (each at least one more)."""
    _check_int("max_length", max_length, 1, "the longest sequence length, e.g. 48")
    if not (isinstance(ratio, (int, float)) and not isinstance(ratio, bool)
            and math.isfinite(ratio) and ratio > 1):
        raise ValueError(f"ratio must be a number greater than 1, got {ratio!r} "
                         "(2 doubles the bucket width from one bucket to the next)")
    edges = [1]
    while edges[-1] * ratio < max_length:
        edges.append(max(edges[-1] + 1, math.floor(edges[-1] * ratio)))
    return [e for e in edges if e < max_length] or [1]


def _check_boundaries(boundaries: object) -> list[int]:
    """Return boundaries as a strictly increasing list of positive ints, or raise."""
    try:
        edges = list(boundaries)  # type: ignore[call-overload]
    except TypeError:
        raise ValueError(f"boundaries must be a list of lengths such as [8, 16, 32], "
                         f"got {type(boundaries).__name__}") from None
    if not edges:
        raise ValueError("boundaries is empty: give at least one edge, e.g. [8, 16, 32]")
    for i, e in enumerate(edges):
        _check_int(f"boundaries[{i}]", e, 1, "each edge is a length, e.g. [8, 16, 32]")
    if any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f"boundaries must increase strictly, got {edges}")
    return edges


class BucketBatchSampler(Sampler[list[int]]):
    """Yield batches of indices that all come from one bucket of similar lengths."""

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        bucket_width: int | None = None,
        *,
        boundaries: Sequence[int] | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        """Bucket indices 0..len(lengths)-1 by `bucket_width` or by `boundaries`."""
        # Exactly one of the two: bucket_width w puts lengths k*w+1 .. (k+1)*w in
        # bucket k (lengths in a batch differ by less than w); increasing boundaries
        # e_0 < e_1 < ... put lengths in (e_{k-1}, e_k] in bucket k, and everything
        # above the last edge in one last bucket.
        self.lengths = check_lengths(lengths)
        self.batch_size = _check_int(
            "batch_size", batch_size, 1, "the number of sequences per batch, e.g. 32"
        )
        if (bucket_width is None) == (boundaries is None):
            raise ValueError(
                "give exactly one of bucket_width (e.g. 8) and boundaries "
                "(e.g. geometric_boundaries(max(lengths)))"
            )
        self.bucket_width = None if bucket_width is None else _check_int(
            "bucket_width", bucket_width, 1,
            "lengths in one batch differ by less than this; 1 means equal lengths",
        )
        self.boundaries = None if boundaries is None else _check_boundaries(boundaries)
        self.shuffle = _check_bool("shuffle", shuffle)
        self.drop_last = _check_bool("drop_last", drop_last)
        self.seed = _check_int("seed", seed, 0, "any non-negative integer, e.g. 0")
        self.epoch = 0
        buckets: dict[int, list[int]] = {}
        for i, n in enumerate(self.lengths):
            buckets.setdefault(self.bucket_of(n), []).append(i)
        self.buckets: list[list[int]] = [buckets[k] for k in sorted(buckets)]

    def bucket_of(self, length: int) -> int:
        """Index of the bucket that a sequence of this length goes to."""
        if self.boundaries is not None:
            return bisect.bisect_left(self.boundaries, length)
        return (length - 1) // self.bucket_width

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch, so that each epoch shuffles differently but reproducibly."""
        self.epoch = _check_int("epoch", epoch, 0, "count epochs from 0")

    def __iter__(self) -> Iterator[list[int]]:
        """Yield lists of indices: shuffled within buckets, batches in shuffled order."""
        rng = random.Random(f"{self.seed}:{self.epoch}")  # str seeds are stable
        batches = []
        for bucket in self.buckets:
            order = list(bucket)
            if self.shuffle:
                rng.shuffle(order)
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                if len(batch) == self.batch_size or not self.drop_last:
                    batches.append(batch)
        if self.shuffle:
            rng.shuffle(batches)
        yield from batches

    def __len__(self) -> int:
        """Number of batches per epoch."""
        if self.drop_last:
            return sum(len(b) // self.batch_size for b in self.buckets)
        return sum(-(-len(b) // self.batch_size) for b in self.buckets)

    def __repr__(self) -> str:
        """Show the settings and the resulting number of buckets and batches."""
        if self.boundaries is None:
            buckets = f"bucket_width={self.bucket_width}"
        else:
            buckets = f"boundaries={self.boundaries}"
        return (
            f"BucketBatchSampler({len(self.lengths)} sequences, "
            f"batch_size={self.batch_size}, {buckets}, shuffle={self.shuffle}, "
            f"seed={self.seed}, drop_last={self.drop_last}: "
            f"{len(self.buckets)} buckets, {len(self)} batches)"
        )
