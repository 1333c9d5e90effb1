"""BucketBatchSampler: batches of similar lengths, every index once, reproducible.

LengthGroupedBatchSampler has its own file; tests shared by both samplers are here."""

from __future__ import annotations

from collections import Counter

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader

from packviz.bucketing import (
    BucketBatchSampler,
    LengthGroupedBatchSampler,
    geometric_boundaries,
)

lengths_st = st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=200)
sampler_args = st.fixed_dictionaries({
    "lengths": lengths_st,
    "batch_size": st.integers(min_value=1, max_value=20),
    "bucket_width": st.integers(min_value=1, max_value=25),
    "shuffle": st.booleans(),
    "seed": st.integers(min_value=0, max_value=2**32),
})


edges_st = st.lists(st.integers(min_value=1, max_value=70), min_size=1, max_size=8,
                    unique=True).map(sorted)
boundary_args = st.fixed_dictionaries({
    "lengths": lengths_st,
    "batch_size": st.integers(min_value=1, max_value=20),
    "boundaries": edges_st,
    "shuffle": st.booleans(),
    "seed": st.integers(min_value=0, max_value=2**32),
})


def bucket_by_edges(n: int, edges: list[int]) -> int:
    """Bucket k holds lengths in (edges[k-1], edges[k]]; the last, everything above."""
    return sum(1 for e in edges if n > e)


def make(args: dict, **overrides) -> BucketBatchSampler:
    kwargs = {**args, **overrides}
    lengths = kwargs.pop("lengths")
    batch_size = kwargs.pop("batch_size")
    return BucketBatchSampler(lengths, batch_size, **kwargs)


@settings(max_examples=200, deadline=None)
@given(sampler_args, st.integers(min_value=0, max_value=5))
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
@given(st.one_of(sampler_args, boundary_args), st.booleans())
def test_len_matches_the_batches_yielded(args, drop_last):
    sampler = make(args, drop_last=drop_last)
    assert len(sampler) == len(list(sampler))


@settings(max_examples=100, deadline=None)
@given(st.one_of(sampler_args, boundary_args), st.integers(min_value=0, max_value=5))
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
