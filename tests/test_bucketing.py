"""The batch samplers: batches of similar lengths, every index once, reproducible.

The properties every sampler must have run on BucketBatchSampler (by bucket width and
by boundaries) and on LengthGroupedBatchSampler alike; the tests of each sampler's own
promises follow."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from torch.utils.data import DataLoader

from packviz.bucketing import (
    BucketBatchSampler,
    LengthGroupedBatchSampler,
    geometric_boundaries,
)

lengths_st = st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=200)
edges_st = st.lists(st.integers(min_value=1, max_value=70), min_size=1, max_size=8,
                    unique=True).map(sorted)


def args_with(**grouping) -> st.SearchStrategy[dict]:
    """Sampler arguments: lengths, batch size, shuffle and seed, plus how to group."""
    return st.fixed_dictionaries({
        "lengths": lengths_st,
        "batch_size": st.integers(min_value=1, max_value=20),
        **grouping,
        "shuffle": st.booleans(),
        "seed": st.integers(min_value=0, max_value=2**32),
    })


sampler_args = args_with(bucket_width=st.integers(min_value=1, max_value=25))
boundary_args = args_with(boundaries=edges_st)
grouped_args = args_with(pool_batches=st.integers(min_value=1, max_value=12))


def bucket_by_edges(n: int, edges: list[int]) -> int:
    """Bucket k holds lengths in (edges[k-1], edges[k]]; the last, everything above."""
    return sum(1 for e in edges if n > e)


any_args = st.one_of(sampler_args, boundary_args, grouped_args)


def make(args: dict, **overrides) -> BucketBatchSampler | LengthGroupedBatchSampler:
    """The sampler the arguments describe: length-grouped if they give pool_batches."""
    kwargs = {**args, **overrides}
    lengths = kwargs.pop("lengths")
    batch_size = kwargs.pop("batch_size")
    if "pool_batches" in kwargs:
        return LengthGroupedBatchSampler(lengths, batch_size, **kwargs)
    return BucketBatchSampler(lengths, batch_size, **kwargs)


@settings(max_examples=300, deadline=None)
@given(any_args, st.integers(min_value=0, max_value=5))
def test_every_index_exactly_once_per_epoch(args, epoch):
    sampler = make(args, drop_last=False)
    sampler.set_epoch(epoch)
    seen = [i for batch in sampler for i in batch]
    assert sorted(seen) == list(range(len(args["lengths"])))


@settings(max_examples=200, deadline=None)
@given(sampler_args)
def test_batches_stay_within_bucket_width_and_batch_size(args):
    sampler = make(args)
    lengths, width = args["lengths"], args["bucket_width"]
    for batch in sampler:
        batch_lengths = [lengths[i] for i in batch]
        assert 1 <= len(batch) <= args["batch_size"]
        assert max(batch_lengths) - min(batch_lengths) < width
        # and all from one bucket: lengths k*w+1 .. (k+1)*w
        assert len({(n - 1) // width for n in batch_lengths}) == 1


@settings(max_examples=200, deadline=None)
@given(boundary_args, st.booleans())
def test_with_boundaries_every_index_once_and_batches_in_one_bucket(args, drop_last):
    sampler = make(args, drop_last=drop_last)
    lengths, edges = args["lengths"], args["boundaries"]
    seen = [i for batch in sampler for i in batch]
    assert len(seen) == len(set(seen))
    per_bucket = Counter(bucket_by_edges(n, edges) for n in lengths)
    b = args["batch_size"]
    if drop_last:
        assert len(seen) == sum(c - c % b for c in per_bucket.values())
    else:
        assert sorted(seen) == list(range(len(lengths)))
    for batch in sampler:
        assert len({bucket_by_edges(lengths[i], edges) for i in batch}) == 1
        assert len(batch) == b or not drop_last


@settings(max_examples=200, deadline=None)
@given(sampler_args)
def test_drop_last_drops_only_each_buckets_short_remainder(args):
    kept = [i for batch in make(args, drop_last=True) for i in batch]
    full = make(args, drop_last=True)
    assert all(len(batch) == args["batch_size"] for batch in full)
    assert len(kept) == len(set(kept))
    width, b = args["bucket_width"], args["batch_size"]
    per_bucket = Counter((n - 1) // width for n in args["lengths"])
    assert len(kept) == sum(count - count % b for count in per_bucket.values())


@settings(max_examples=200, deadline=None)
@given(any_args, st.booleans())
def test_len_matches_the_batches_yielded(args, drop_last):
    sampler = make(args, drop_last=drop_last)
    assert len(sampler) == len(list(sampler))


@settings(max_examples=100, deadline=None)
@given(any_args, st.integers(min_value=0, max_value=5))
def test_same_seed_and_epoch_give_the_same_batches(args, epoch):
    a, b = make(args), make(args)
    a.set_epoch(epoch)
    b.set_epoch(epoch)
    assert list(a) == list(b)
    assert list(a) == list(a)  # iterating again repeats the epoch


@pytest.mark.parametrize("make_sampler", [
    lambda lengths, seed: BucketBatchSampler(lengths, 8, 5, seed=seed),
    lambda lengths, seed: LengthGroupedBatchSampler(lengths, 8, pool_batches=10,
                                                    seed=seed),
], ids=["buckets", "length-grouped"])
def test_epochs_and_seeds_shuffle_differently(make_sampler):
    lengths = [1 + i % 40 for i in range(400)]
    sampler = make_sampler(lengths, 3)
    first = list(sampler)
    sampler.set_epoch(1)
    assert list(sampler) != first
    assert list(make_sampler(lengths, 4)) != first


def test_without_shuffle_batches_come_in_length_order():
    lengths = [5, 1, 9, 2, 6, 10]
    sampler = BucketBatchSampler(lengths, 2, 4, shuffle=False)
    assert list(sampler) == [[1, 3], [0, 4], [2, 5]]


def test_bucket_width_one_gives_equal_lengths():
    lengths = [3, 1, 3, 2, 1, 3]
    for batch in BucketBatchSampler(lengths, 4, 1, seed=0):
        assert len({lengths[i] for i in batch}) == 1


def test_accepts_a_lengths_tensor():
    sampler = BucketBatchSampler(torch.tensor([4, 2, 4, 1]), 2, 2, shuffle=False)
    assert list(sampler) == [[1, 3], [0, 2]]


def test_works_as_a_dataloader_batch_sampler():
    sequences = [torch.full((n, 1), float(n)) for n in (7, 2, 8, 3, 7, 2, 8, 3)]
    lengths = [len(s) for s in sequences]
    loader = DataLoader(
        sequences,
        batch_sampler=BucketBatchSampler(lengths, 2, 1, seed=0),
        collate_fn=lambda batch: pad_sequence(batch, batch_first=True),
    )
    padded = list(loader)
    assert len(padded) == 4
    for batch in padded:  # width 1: equal lengths, so no padding at all
        assert (batch != 0).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lengths": [], "batch_size": 2, "bucket_width": 2}, "lengths is empty"),
        ({"lengths": [3, 0], "batch_size": 2, "bucket_width": 2}, "at least 1"),
        ({"lengths": [3, 2.5], "batch_size": 2, "bucket_width": 2}, "whole number"),
        ({"lengths": [3], "batch_size": 0, "bucket_width": 2}, "batch_size must be at"),
        ({"lengths": [3], "batch_size": 2.0, "bucket_width": 2}, "batch_size must be an"),
        ({"lengths": [3], "batch_size": True, "bucket_width": 2}, "batch_size must be an"),
        ({"lengths": [3], "batch_size": 2, "bucket_width": 0}, "bucket_width must be"),
        ({"lengths": [3], "batch_size": 2, "bucket_width": 2, "seed": -1}, "seed must"),
        ({"lengths": [3], "batch_size": 2, "bucket_width": 2, "shuffle": 1}, "shuffle"),
        ({"lengths": [3], "batch_size": 2, "bucket_width": 2, "drop_last": "no"},
         "drop_last"),
        ({"lengths": [3], "batch_size": 2}, "exactly one of bucket_width"),
        ({"lengths": [3], "batch_size": 2, "bucket_width": 2, "boundaries": [4]},
         "exactly one of bucket_width"),
        ({"lengths": [3], "batch_size": 2, "boundaries": []}, "boundaries is empty"),
        ({"lengths": [3], "batch_size": 2, "boundaries": [4, 4]}, "increase strictly"),
        ({"lengths": [3], "batch_size": 2, "boundaries": [0, 4]}, "boundaries\\[0\\]"),
        ({"lengths": [3], "batch_size": 2, "boundaries": 8}, "list of lengths"),
    ],
)
def test_bad_arguments_raise_value_error_saying_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BucketBatchSampler(**kwargs)


def test_bad_epoch_raises_value_error():
    sampler = BucketBatchSampler([1, 2], 1, 1)
    with pytest.raises(ValueError, match="epoch must be at least 0"):
        sampler.set_epoch(-1)


def test_boundaries_put_each_length_in_its_bucket():
    sampler = BucketBatchSampler([1, 2, 3, 4, 5, 8, 9, 40], 8, boundaries=[1, 2, 4, 8])
    assert [sampler.bucket_of(n) for n in (1, 2, 3, 4, 5, 8, 9, 40)] == [
        0, 1, 2, 2, 3, 3, 4, 4]
    assert sampler.buckets == [[0], [1], [2, 3], [4, 5], [6, 7]]


def test_geometric_boundaries_double_up_to_the_longest_length():
    assert geometric_boundaries(48) == [1, 2, 4, 8, 16, 32]
    assert geometric_boundaries(64) == [1, 2, 4, 8, 16, 32]
    assert geometric_boundaries(20, 1.5) == [1, 2, 3, 4, 6, 9, 13, 19]
    assert geometric_boundaries(1) == [1]


@settings(max_examples=100, deadline=None)
@given(lengths_st)
def test_geometric_buckets_never_double_a_sequence(lengths):
    edges = geometric_boundaries(max(lengths))
    for batch in BucketBatchSampler(lengths, 4, boundaries=edges, seed=1):
        batch_lengths = [lengths[i] for i in batch]
        assert max(batch_lengths) < 2 * min(batch_lengths)


@pytest.mark.parametrize(("args", "message"), [
    ((0,), "max_length must be at least 1"),
    ((10, 1.0), "ratio must be a number greater than 1"),
    ((10, float("inf")), "ratio must be"),
])
def test_geometric_boundaries_reject_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        geometric_boundaries(*args)


def test_repr_says_how_many_buckets_and_batches():
    text = repr(BucketBatchSampler([1, 2, 9, 10], 2, 4, shuffle=False))
    assert "2 buckets, 2 batches" in text


# --- LengthGroupedBatchSampler ---------------------------------------------------


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


def test_grouped_accepts_a_lengths_tensor():
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
def test_grouped_bad_arguments_raise_value_error_saying_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LengthGroupedBatchSampler(**kwargs)


def test_bad_epoch_raises_value_error_and_keeps_the_last_epoch():
    sampler = LengthGroupedBatchSampler([1, 2], 1)
    sampler.set_epoch(2)
    with pytest.raises(ValueError, match="epoch must be at least 0"):
        sampler.set_epoch(-1)
    assert sampler.epoch == 2


def test_grouped_repr_says_how_many_batches():
    text = repr(LengthGroupedBatchSampler([1, 2, 9, 10, 3], 2, shuffle=False))
    assert "5 sequences" in text and "3 batches" in text
