"""Batch samplers that group sequences of similar length (torch has none built in).

Used by the benchmark (`benchmarks/`) and chapter 6. Pass one to a DataLoader as
`batch_sampler=`: every batch then holds sequences of similar length, so padding each
batch to its own maximum wastes little.

- `LengthGroupedBatchSampler` shuffles the dataset, cuts it into pools of a few dozen
  batches, sorts each pool by length and cuts it into batches. Every batch is full
  (except the last of a pool) and holds neighbouring lengths: the fewest sequential
  steps per epoch. The benchmark uses this one.
- `BucketBatchSampler` puts lengths into fixed buckets, of equal width
  (`bucket_width`) or between explicit edges (`boundaries`), for instance the powers of
  two from `geometric_boundaries`. A bucket's last batch is usually partly empty, and
  every batch costs its full number of steps.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterator, Sequence

from torch.utils.data import Sampler

from packviz.core import check_lengths

__all__ = ["BucketBatchSampler", "LengthGroupedBatchSampler", "geometric_boundaries"]


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


def _cut(indices: list[int], batch_size: int, drop_last: bool) -> list[list[int]]:
    """Cut indices into batches of batch_size; the last may be short unless drop_last."""
    batches = [indices[i : i + batch_size] for i in range(0, len(indices), batch_size)]
    if drop_last and batches and len(batches[-1]) < batch_size:
        batches.pop()
    return batches


def _batch_count(size: int, batch_size: int, drop_last: bool) -> int:
    """How many batches _cut makes from `size` indices."""
    full, rest = divmod(size, batch_size)
    return full + (1 if rest and not drop_last else 0)


class _LengthSampler(Sampler[list[int]]):
    """What both samplers share: checked settings and a reproducible epoch."""

    def _setup(self, lengths: Sequence[int], batch_size: int, shuffle: bool, seed: int,
               drop_last: bool) -> None:
        """Check and store the settings common to both samplers."""
        self.lengths = check_lengths(lengths)
        self.batch_size = _check_int(
            "batch_size", batch_size, 1, "the number of sequences per batch, e.g. 32"
        )
        self.shuffle = _check_bool("shuffle", shuffle)
        self.drop_last = _check_bool("drop_last", drop_last)
        self.seed = _check_int("seed", seed, 0, "any non-negative integer, e.g. 0")
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch, so that each epoch shuffles differently but reproducibly."""
        self.epoch = _check_int("epoch", epoch, 0, "count epochs from 0")


class BucketBatchSampler(_LengthSampler):
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
        self._setup(lengths, batch_size, shuffle, seed, drop_last)
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
        buckets: dict[int, list[int]] = {}
        for i, n in enumerate(self.lengths):
            buckets.setdefault(self.bucket_of(n), []).append(i)
        self.buckets: list[list[int]] = [buckets[k] for k in sorted(buckets)]

    def bucket_of(self, length: int) -> int:
        """Index of the bucket that a sequence of this length goes to."""
        if self.boundaries is not None:
            return bisect.bisect_left(self.boundaries, length)
        return (length - 1) // self.bucket_width

    def __iter__(self) -> Iterator[list[int]]:
        """Yield lists of indices: shuffled within buckets, batches in shuffled order."""
        rng = random.Random(f"{self.seed}:{self.epoch}")  # str seeds are stable
        batches = []
        for bucket in self.buckets:
            order = list(bucket)
            if self.shuffle:
                rng.shuffle(order)
            batches += _cut(order, self.batch_size, self.drop_last)
        if self.shuffle:
            rng.shuffle(batches)
        yield from batches

    def __len__(self) -> int:
        """Number of batches per epoch."""
        return sum(_batch_count(len(b), self.batch_size, self.drop_last)
                   for b in self.buckets)

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


class LengthGroupedBatchSampler(_LengthSampler):
    """Yield full batches of neighbouring lengths: shuffle, pool, sort, cut, shuffle.

    Each epoch shuffles the indices, cuts them into pools of `pool_batches` batches,
    sorts each pool by length (longest first; ties stay in shuffled order) and cuts it
    into batches of `batch_size`, then shuffles the order of the batches. Inside a
    batch the indices run from the longest sequence to the shortest, so
    `pack_padded_sequence(..., enforce_sorted=True)` accepts the batch as it comes.
    A smaller pool gives more random batches and more padding; a pool as large as the
    dataset gives the least padding. With `shuffle=False` nothing is shuffled: the
    pools are consecutive indices and the batches come in order.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        *,
        pool_batches: int = 50,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        """Group indices 0..len(lengths)-1 into batches of neighbouring lengths."""
        self._setup(lengths, batch_size, shuffle, seed, drop_last)
        self.pool_batches = _check_int(
            "pool_batches", pool_batches, 1,
            "how many batches are sorted together, e.g. 50",
        )

    @property
    def pool_size(self) -> int:
        """Sequences sorted together: pool_batches * batch_size."""
        return self.pool_batches * self.batch_size

    def __iter__(self) -> Iterator[list[int]]:
        """Yield lists of indices, longest sequence first inside each batch."""
        rng = random.Random(f"grouped:{self.seed}:{self.epoch}")  # str seeds are stable
        order = list(range(len(self.lengths)))
        if self.shuffle:
            rng.shuffle(order)
        batches = []
        for start in range(0, len(order), self.pool_size):
            pool = sorted(order[start : start + self.pool_size],
                          key=lambda i: -self.lengths[i])  # stable: ties keep order
            batches += _cut(pool, self.batch_size, self.drop_last)
        if self.shuffle:
            rng.shuffle(batches)
        yield from batches

    def __len__(self) -> int:
        """Number of batches per epoch."""
        n = len(self.lengths)
        return sum(_batch_count(min(self.pool_size, n - start), self.batch_size,
                                self.drop_last) for start in range(0, n, self.pool_size))

    def __repr__(self) -> str:
        """Show the settings and the resulting number of batches."""
        return (
            f"LengthGroupedBatchSampler({len(self.lengths)} sequences, "
            f"batch_size={self.batch_size}, pool_batches={self.pool_batches}, "
            f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last}: "
            f"{len(self)} batches)"
        )
