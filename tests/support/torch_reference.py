"""What torch says about a batch of lengths: the reference the tests compare packviz with.

Every padded batch here is labelled: entry (b, t) holds 100*b + t, so a row of packed
data names the sequence and step it came from.
"""

from __future__ import annotations

import random

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence


def labelled_batch(lengths: list[int]) -> torch.Tensor:
    """A (B, T, 1) batch whose entry (b, t) is 100*b + t."""
    B, T = len(lengths), max(lengths)
    return (100 * torch.arange(B).unsqueeze(1) + torch.arange(T)).unsqueeze(-1)


def torch_pack(lengths: list[int], enforce_sorted: bool = False) -> PackedSequence:
    """pack_padded_sequence of the labelled batch (batch_first); raises as torch does."""
    return pack_padded_sequence(
        labelled_batch(lengths),
        torch.tensor(lengths),
        batch_first=True,
        enforce_sorted=enforce_sorted,
    )


def torch_packing(lengths: list[int], enforce_sorted: bool) -> dict:
    """What the packing explorer must show, from torch.

    {"error": torch's message} when torch refuses the batch; otherwise "error": None,
    "batch_sizes", "order" ([sequence, step] of each row of packed data), "sorted" and
    "unsorted" (the index lists, or None when torch keeps none).
    """
    try:
        packed = torch_pack(lengths, enforce_sorted)
    except RuntimeError as err:
        return {"error": str(err)}
    rows = packed.data.squeeze(-1).tolist()
    index = packed.sorted_indices
    return {
        "error": None,
        "batch_sizes": packed.batch_sizes.tolist(),
        "order": [[v // 100, v % 100] for v in rows],
        "sorted": None if index is None else index.tolist(),
        "unsorted": None if index is None else packed.unsorted_indices.tolist(),
    }


def attention_mask(lengths: list[int], causal: bool = False) -> dict:
    """The block-diagonal mask of sequences packed into one row, and its companions.

    Returns {"mask": a (N, N) bool tensor, True where query q may attend to key k;
    "position_ids": each token's step in its own sequence; "cu_seqlens": [0, running
    totals of the lengths]}, built from torch operations.
    """
    lens = torch.tensor(lengths)
    seq = torch.repeat_interleave(torch.arange(len(lengths)), lens)
    mask = seq[:, None] == seq[None, :]
    if causal:
        mask &= torch.ones_like(mask).tril()
    cu = torch.cat([torch.zeros(1, dtype=torch.long), lens.cumsum(0)])
    positions = torch.arange(len(seq)) - torch.repeat_interleave(cu[:-1], lens)
    return {"mask": mask, "position_ids": positions.tolist(), "cu_seqlens": cu.tolist()}


def random_lengths(rng: random.Random) -> list[int]:
    """1 to 8 lengths in 1..12 (the widgets' range).

    Half the time the lengths come from a narrow range (1, 1..2 or 1..3), so ties,
    all-equal batches and length-1 sequences are common.
    """
    n = rng.randint(1, 8)
    top = rng.choice([1, 2, 3, 12, 12, 12])
    return [rng.randint(1, top) for _ in range(n)]
