"""pack_by_hand (chapter 2, kept in packviz.packing) against torch's packing."""

import inspect
import json
import pathlib

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence, unpack_sequence

from packviz.packing import pack_by_hand

ROOT = pathlib.Path(__file__).resolve().parents[1]


def assert_same_packing(mine, theirs):
    for field in theirs._fields:
        a, b = getattr(mine, field), getattr(theirs, field)
        if b is None:
            assert a is None, field
        else:
            assert torch.equal(a, b), field


def assert_same_sequences(mine, theirs, lengths):
    """What packing specifies, whatever order torch gives equal lengths (unspecified)."""
    assert torch.equal(mine.batch_sizes, theirs.batch_sizes)
    if theirs.sorted_indices is None:  # enforce_sorted=True: no sort, every field fixed
        assert_same_packing(mine, theirs)
        return
    by_length = sorted(lengths, reverse=True)
    for packed in (mine, theirs):
        assert sorted(packed.sorted_indices.tolist()) == list(range(len(lengths)))
        assert [lengths[i] for i in packed.sorted_indices.tolist()] == by_length
        assert torch.equal(packed.sorted_indices[packed.unsorted_indices],
                           torch.arange(len(lengths)))
    for a, b in zip(unpack_sequence(mine), unpack_sequence(theirs), strict=True):
        assert torch.equal(a, b)


@settings(max_examples=300, deadline=None)
@given(
    # Past 16 sequences torch 2.13 no longer keeps ties in their original order.
    lengths=st.lists(st.integers(1, 12), min_size=1, max_size=40),
    batch_first=st.booleans(),
    enforce_sorted=st.booleans(),
    extra_steps=st.integers(0, 3),
    features=st.integers(1, 3),
)
def test_pack_by_hand_matches_torch_with_ties_and_length_one(
    lengths, batch_first, enforce_sorted, extra_steps, features
):
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    B, T = len(lengths), max(lengths) + extra_steps
    padded = torch.randn(B, T, features) if batch_first else torch.randn(T, B, features)
    theirs = pack_padded_sequence(padded, torch.tensor(lengths), batch_first=batch_first,
                                  enforce_sorted=enforce_sorted)
    mine = pack_by_hand(padded, lengths, batch_first, enforce_sorted)
    assert_same_sequences(mine, theirs, lengths)
    # Ours is a stable sort: equal lengths keep their original order.
    if mine.sorted_indices is not None:
        order = mine.sorted_indices.tolist()
        assert order == sorted(range(B), key=lambda i: -lengths[i])


def test_pack_by_hand_and_torch_may_order_ties_differently_past_16():
    lengths = [3, 2] * 10
    padded = torch.randn(20, 3, 2)
    theirs = pack_padded_sequence(padded, torch.tensor(lengths), batch_first=True,
                                  enforce_sorted=False)
    mine = pack_by_hand(padded, lengths, batch_first=True, enforce_sorted=False)
    assert_same_sequences(mine, theirs, lengths)  # both correct
    if torch.__version__.startswith("2.13."):  # chapter 2 shows this version's order
        assert theirs.sorted_indices.tolist()[:6] == [0, 2, 18, 4, 6, 16]
        assert not torch.equal(mine.sorted_indices, theirs.sorted_indices)
        assert not torch.equal(mine.data, theirs.data)


def test_pack_by_hand_rejects_unsorted_lengths_when_enforce_sorted():
    with pytest.raises(ValueError, match="sorted longest first"):
        pack_by_hand(torch.zeros(2, 5, 1), [2, 5], batch_first=True)


@pytest.mark.parametrize(
    ("shape", "lengths", "message"),
    [
        ((2, 5, 1), [], "empty"),
        ((2, 5, 1), [5, 0], "at least 1"),
        ((2, 5, 1), [5, -1], "at least 1"),
        ((2, 5, 1), [7, 2], "longer than the padded tensor"),
        ((2, 5, 1), [5, 2, 1], "one length per sequence"),
    ],
)
def test_pack_by_hand_explains_bad_lengths(shape, lengths, message):
    with pytest.raises(ValueError, match=message):
        pack_by_hand(torch.zeros(shape), lengths, batch_first=True, enforce_sorted=False)


def test_chapter_two_shows_the_same_pack_by_hand_as_the_package():
    nb = json.loads((ROOT / "chapters/02_what_packing_produces.ipynb").read_text())
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    shown = [s for s in sources if s.startswith("def pack_by_hand(")]
    assert len(shown) == 1, "chapter 2 should define pack_by_hand in one cell"
    assert shown[0].strip() == inspect.getsource(pack_by_hand).strip()
