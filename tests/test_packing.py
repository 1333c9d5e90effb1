"""pack_by_hand (chapter 2, kept in packviz.packing) against torch's packing."""

import inspect
import json
import pathlib

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence

from packviz.packing import pack_by_hand

ROOT = pathlib.Path(__file__).resolve().parents[1]


def assert_same_packing(mine, theirs):
    for field in theirs._fields:
        a, b = getattr(mine, field), getattr(theirs, field)
        if b is None:
            assert a is None, field
        else:
            assert torch.equal(a, b), field


@settings(max_examples=300, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 12), min_size=1, max_size=8),
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
    assert_same_packing(pack_by_hand(padded, lengths, batch_first, enforce_sorted), theirs)


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
