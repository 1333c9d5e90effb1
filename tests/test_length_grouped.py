"""LengthGroupedBatchSampler: full batches of neighbouring lengths, every index once."""

from __future__ import annotations

import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from torch.utils.data import DataLoader

from packviz.bucketing import LengthGroupedBatchSampler

grouped_args = st.fixed_dictionaries({
    "lengths": st.lists(st.integers(min_value=1, max_value=60), min_size=1,
                        max_size=200),
    "batch_size": st.integers(min_value=1, max_value=20),
    "pool_batches": st.integers(min_value=1, max_value=12),
    "shuffle": st.booleans(),
    "seed": st.integers(min_value=0, max_value=2**32),
})


def make(args: dict, **overrides) -> LengthGroupedBatchSampler:
    kwargs = {**args, **overrides}
    return LengthGroupedBatchSampler(kwargs.pop("lengths"), kwargs.pop("batch_size"),
                                     **kwargs)


@settings(max_examples=200, deadline=None)
@given(grouped_args, st.integers(min_value=0, max_value=5))
def test_every_index_exactly_once_per_epoch(args, epoch):
    sampler = make(args)
    sampler.set_epoch(epoch)
    seen = [i for batch in sampler for i in batch]
    assert sorted(seen) == list(range(len(args["lengths"])))


@settings(max_examples=200, deadline=None)
@given(grouped_args)
def test_drop_last_keeps_only_full_batches_and_drops_at_most_one_per_pool(args):
    batches = list(make(args, drop_last=True))
    b, n = args["batch_size"], len(args["lengths"])
    pool = args["pool_batches"] * b
    assert all(len(batch) == b for batch in batches)
    kept = [i for batch in batches for i in batch]
    assert len(kept) == len(set(kept))
    pools = [min(pool, n - start) for start in range(0, n, pool)]
    assert len(kept) == sum(size - size % b for size in pools)


@settings(max_examples=200, deadline=None)
@given(grouped_args, st.booleans())
def test_len_matches_the_batches_yielded(args, drop_last):
    sampler = make(args, drop_last=drop_last)
    assert len(sampler) == len(list(sampler))


@settings(max_examples=200, deadline=None)
@given(grouped_args)
def test_each_batch_runs_from_longest_to_shortest(args):
    lengths = args["lengths"]
    for batch in make(args):
        batch_lengths = [lengths[i] for i in batch]
        assert batch_lengths == sorted(batch_lengths, reverse=True)


@settings(max_examples=200, deadline=None)
@given(grouped_args)
def test_with_one_pool_batches_hold_neighbouring_lengths(args):
    # A pool as large as the dataset: the batches are consecutive runs of the sorted
    # lengths, so their length ranges never interleave.
    lengths = args["lengths"]
    sampler = make(args, pool_batches=len(lengths))
    ranges = sorted((min(lengths[i] for i in b), max(lengths[i] for i in b))
                    for b in sampler)
    for (_, high), (low, _) in zip(ranges, ranges[1:]):
        assert high <= low
    # and only the batch of the shortest sequences can be short
    assert sum(len(b) < args["batch_size"] for b in sampler) <= 1


def fewest_steps(lengths: list[int], batch_size: int) -> int:
    """Brute force: the smallest sum of batch maxima over every way to form the batches
    (as many batches as the sampler makes, each of batch_size but one)."""
    n = len(lengths)
    best = None
    for order in itertools.permutations(range(n)):
        steps = sum(max(lengths[i] for i in order[s : s + batch_size])
                    for s in range(0, n, batch_size))
        best = steps if best is None else min(best, steps)
    return best


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=6),
       st.integers(min_value=1, max_value=3), st.integers(min_value=0, max_value=99))
def test_one_pool_takes_the_fewest_sequential_steps(lengths, batch_size, seed):
    sampler = LengthGroupedBatchSampler(lengths, batch_size,
                                        pool_batches=len(lengths), seed=seed)
    steps = sum(max(lengths[i] for i in batch) for batch in sampler)
    assert steps == fewest_steps(lengths, batch_size)


@settings(max_examples=100, deadline=None)
@given(grouped_args, st.integers(min_value=0, max_value=5))
def test_same_seed_and_epoch_give_the_same_batches(args, epoch):
    a, b = make(args), make(args)
    a.set_epoch(epoch)
    b.set_epoch(epoch)
    assert list(a) == list(b)
    assert list(a) == list(a)  # iterating again repeats the epoch


def test_without_shuffle_pools_are_consecutive_indices():
    lengths = [5, 1, 9, 2, 6, 10]
    sampler = LengthGroupedBatchSampler(lengths, 2, pool_batches=2, shuffle=False)
    assert list(sampler) == [[2, 0], [3, 1], [5, 4]]


def test_batches_pack_with_enforce_sorted_and_feed_a_dataloader():
    sequences = [torch.full((n, 1), float(n)) for n in (7, 2, 8, 3, 7, 2, 8, 3, 5)]
    lengths = [len(s) for s in sequences]
    loader = DataLoader(
        sequences,
        batch_sampler=LengthGroupedBatchSampler(lengths, 4, seed=0),
        collate_fn=lambda batch: (pad_sequence(batch, batch_first=True),
                                  torch.tensor([len(s) for s in batch])),
    )
    steps = 0
    for padded, batch_lengths in loader:
        packed = pack_padded_sequence(padded, batch_lengths, batch_first=True)
        assert packed.sorted_indices is None  # already longest first
        steps += len(packed.batch_sizes)
    assert steps == 8 + 5 + 2  # batches (8, 8, 7, 7), (5, 3, 3, 2), (2)


def test_accepts_a_lengths_tensor():
    sampler = LengthGroupedBatchSampler(torch.tensor([4, 2, 4, 1]), 2, shuffle=False)
    assert list(sampler) == [[0, 2], [1, 3]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lengths": [], "batch_size": 2}, "lengths is empty"),
        ({"lengths": [3, 0], "batch_size": 2}, "at least 1"),
        ({"lengths": [3], "batch_size": 0}, "batch_size must be at least 1"),
        ({"lengths": [3], "batch_size": 2.0}, "batch_size must be an integer"),
        ({"lengths": [3], "batch_size": 2, "pool_batches": 0}, "pool_batches must be"),
        ({"lengths": [3], "batch_size": 2, "pool_batches": None}, "pool_batches must"),
        ({"lengths": [3], "batch_size": 2, "seed": -1}, "seed must"),
        ({"lengths": [3], "batch_size": 2, "shuffle": 1}, "shuffle"),
        ({"lengths": [3], "batch_size": 2, "drop_last": "no"}, "drop_last"),
    ],
)
def test_bad_arguments_raise_value_error_saying_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LengthGroupedBatchSampler(**kwargs)


def test_bad_epoch_raises_value_error_and_keeps_the_last_epoch():
    sampler = LengthGroupedBatchSampler([1, 2], 1)
    sampler.set_epoch(2)
    with pytest.raises(ValueError, match="epoch must be at least 0"):
        sampler.set_epoch(-1)
    assert sampler.epoch == 2


def test_repr_says_how_many_batches():
    text = repr(LengthGroupedBatchSampler([1, 2, 9, 10, 3], 2, shuffle=False))
    assert "5 sequences" in text and "3 batches" in text
