"""Tests of packviz.attention, the mask figure of chapter 8."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.colors import to_rgb
from support.torch_reference import attention_mask

from packviz.attention import LEAK_COLOR, mask_figure, token_labels
from packviz.draw import PAD_COLOR, sequence_color


def block_diagonal(lengths):
    return attention_mask(lengths)["mask"]


def pixels(fig):
    (image,) = fig.axes[0].get_images()
    return image.get_array()


def test_token_labels_name_sequence_and_position():
    assert token_labels([3, 2]) == ["a0", "a1", "a2", "b0", "b1"]


def test_allowed_cells_take_their_sequence_colour_and_masked_cells_are_grey():
    fig = mask_figure(block_diagonal([3, 2, 4]), [3, 2, 4])
    img = pixels(fig)
    assert img.shape[:2] == (9, 9)
    assert tuple(img[0, 2][:3]) == pytest.approx(to_rgb(sequence_color(0)))
    assert tuple(img[4, 3][:3]) == pytest.approx(to_rgb(sequence_color(1)))
    assert tuple(img[8, 5][:3]) == pytest.approx(to_rgb(sequence_color(2)))
    assert tuple(img[0, 3][:3]) == pytest.approx(to_rgb(PAD_COLOR))
    assert fig.axes[0].get_title() == "29 of 81 scores allowed"
    plt.close(fig)


def test_cells_allowed_across_sequences_are_drawn_as_leaks():
    causal_only = torch.ones(5, 5, dtype=torch.bool).tril()
    fig = mask_figure(causal_only, [3, 2])
    assert tuple(pixels(fig)[3, 0][:3]) == pytest.approx(to_rgb(LEAK_COLOR))
    plt.close(fig)


def test_accepts_nested_lists():
    fig = mask_figure([[True, False], [False, True]], [1, 1], title="two")
    assert fig.axes[0].get_title() == "two"
    plt.close(fig)


@pytest.mark.parametrize(
    ("mask", "lengths", "words"),
    [
        (torch.ones(4, 4, dtype=torch.bool), [3, 2], "add up to 5 tokens"),
        (torch.ones(5, 4, dtype=torch.bool), [3, 2], "must be 5 x 5"),
        (torch.ones(5, 5), [3, 2], "True/False"),
        ([[1, 0], [0, 1]], [1, 1], "True/False"),
        (7, [1], "square table"),
        (torch.ones(5, 5, dtype=torch.bool), [5, 0], "at least 1"),
        (torch.ones(60, 60, dtype=torch.bool), [30, 30], "too many to draw"),
    ],
)
def test_bad_input_raises_value_error_saying_what_to_fix(mask, lengths, words):
    with pytest.raises(ValueError, match=words):
        mask_figure(mask, lengths)


@pytest.mark.parametrize(("seed", "block"), [(0, 16), (1, 16), (2, 32), (3, 64)])
def test_block_mask_computes_only_needed_scores_when_documents_fill_whole_tiles(
    seed, block
):
    # Chapter 8's claim for its batch, in general: when every length is a multiple of
    # BLOCK_SIZE, the document mask keeps exactly sum(n**2) scores' worth of tiles.
    from torch.nn.attention.flex_attention import create_block_mask

    generator = torch.Generator().manual_seed(seed)
    lengths = block * torch.randint(1, 5, (6,), generator=generator)
    doc_ids = torch.repeat_interleave(torch.arange(len(lengths)), lengths)
    N = int(lengths.sum())
    mask = create_block_mask(lambda b, h, q, k: doc_ids[q] == doc_ids[k], None, None,
                             N, N, device="cpu", BLOCK_SIZE=block)
    assert int(mask.to_dense().sum()) * block**2 == int((lengths**2).sum())
    assert torch.equal(mask.to_dense()[0, 0].bool().repeat_interleave(block, 0)
                       .repeat_interleave(block, 1), block_diagonal(lengths.tolist()))
