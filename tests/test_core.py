"""packviz.core restates torch's packing rules in plain Python; check it against torch."""

import inspect

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from support.torch_reference import torch_pack

import packviz
import packviz.core
from packviz.core import (
    batch_sizes_from_lengths,
    check_lengths,
    lengths_from_batch_sizes,
    pack_order,
    parse_lengths,
    skewed_lengths,
    sort_order,
    waste,
)

lengths_lists = st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(lengths_lists)
def test_batch_sizes_match_torch_including_ties(lengths):
    assert batch_sizes_from_lengths(lengths) == torch_pack(lengths).batch_sizes.tolist()


@settings(max_examples=300, deadline=None)
@given(lengths_lists)
def test_sort_order_matches_torch_sorted_and_unsorted_indices(lengths):
    packed = torch_pack(lengths)
    assert sort_order(lengths) == (packed.sorted_indices.tolist(),
                                   packed.unsorted_indices.tolist())


@settings(max_examples=300, deadline=None)
@given(lengths_lists)
def test_pack_order_names_the_rows_of_packed_data(lengths):
    rows = torch_pack(lengths).data.squeeze(-1).tolist()
    assert [100 * b + t for b, t in pack_order(lengths)] == rows


@settings(max_examples=300, deadline=None)
@given(lengths_lists)
def test_lengths_from_batch_sizes_inverts_batch_sizes(lengths):
    assert lengths_from_batch_sizes(batch_sizes_from_lengths(lengths)) == sorted(
        lengths, reverse=True)


def test_lengths_from_batch_sizes_rejects_growing_batch_sizes():
    with pytest.raises(ValueError, match="grows"):
        lengths_from_batch_sizes([2, 3, 1])


def test_waste_counts_the_books_examples():
    assert (waste([4, 6, 8, 5, 4, 3, 7, 8]).padded, waste([4, 6, 8, 5, 4, 3, 7, 8]).real) \
        == (64, 45)
    assert waste([6, 5, 4, 7, 2, 3, 8, 7]).real == 42
    assert (waste([9, 8, 6, 4, 3, 2]).padded, waste([9, 8, 6, 4, 3, 2]).real) == (54, 32)
    assert waste([5, 2], total_length=8).padded == 16
    assert waste([4, 4]).useful_fraction == 1.0 and waste([4, 4]).wasted == 0


def test_check_lengths_accepts_tensors_arrays_and_lists():
    assert check_lengths(torch.tensor([3, 2])) == [3, 2]
    assert check_lengths(np.array([3, 2])) == [3, 2]
    assert check_lengths((3, 2)) == [3, 2]


@pytest.mark.parametrize(
    ("bad", "kwargs", "message"),
    [
        ([], {}, "empty"),
        ([3, 0], {}, "at least 1"),
        ([3, -2], {}, "at least 1"),
        ([2.5], {}, "whole number"),
        ([True, 2], {}, "whole number"),
        ("5, 2", {}, "parse_lengths"),
        ([[1, 2]], {}, "one-dimensional"),
        (None, {}, "sequence of integers"),
        ([9, 2], {"total_length": 5}, "longer than the padded tensor"),
        ([3, 2, 1], {"batch_size": 2}, "one length per sequence"),
        ([1] * 9, {"max_count": 8}, "at most 8"),
    ],
)
def test_check_lengths_explains_bad_input(bad, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_lengths(bad, **kwargs)


def test_parse_lengths_reads_text_and_explains_errors():
    assert parse_lengths(" 5, 2 ,7") == [5, 2, 7]
    for text, message in [("", "at least one"), ("5,,2", "empty"), ("5, x", "not a whole"),
                          ("0, 2", "at least 1"), ("1,1,1,1,1,1,1,1,1", "at most 8"),
                          ("13", "too long"), ("-3", "at least 1")]:
        with pytest.raises(ValueError, match=message):
            parse_lengths(text)


def test_skewed_lengths_are_deterministic_in_range_and_skew_zero_is_flat():
    a = skewed_lengths(64, 20, 1.5, seed=3)
    assert a == skewed_lengths(64, 20, 1.5, seed=3)
    assert all(1 <= n <= 20 for n in a)
    assert skewed_lengths(8, 12, 0.0) == [12] * 8
    more_skew = sum(skewed_lengths(256, 100, 3.0, seed=1))
    assert more_skew < sum(skewed_lengths(256, 100, 0.5, seed=1))


@pytest.mark.parametrize("args", [(0, 5, 1.0), (4, 0, 1.0), (4, 5, -1.0),
                                  (4, 5, float("nan")), (2.5, 5, 1.0)])
def test_skewed_lengths_rejects_bad_arguments(args):
    with pytest.raises(ValueError):
        skewed_lengths(*args)


def test_package_exports_every_public_name_of_core():
    """`import packviz` gives every public function and class of packviz.core, and
    packviz.core.__all__ names them all (a new helper must be added to both)."""
    defined = {
        name
        for name, obj in vars(packviz.core).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == "packviz.core"
    }
    assert set(packviz.core.__all__) == defined
    assert set(packviz.__all__) >= defined
    for name in defined:
        assert getattr(packviz, name) is getattr(packviz.core, name), name
