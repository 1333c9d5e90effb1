"""Packing a padded batch by hand, with torch.

`pack_by_hand` is written out and explained in chapter 2 ("What packing produces");
the chapter's copy and this one are kept identical by tests/test_packing.py.
It sorts ties stably; torch's order among equal lengths is unspecified (torch 2.13 can mix
them past 16 sequences), so the two agree on batch_sizes, the sorted lengths and every
sequence's steps, and on the order of ties only where torch's sort happens to be stable.
"""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import PackedSequence

from packviz.core import check_lengths

__all__ = ["pack_by_hand"]


def pack_by_hand(padded, lengths, batch_first=False, enforce_sorted=True):
    """Pack `padded` step by step, as pack_padded_sequence does (ties in a stable order)."""
    if batch_first:
        padded = padded.transpose(0, 1)  # from (B, T, *) to (T, B, *)
    T, B = padded.shape[:2]
    lengths = torch.tensor(check_lengths(lengths, total_length=T, batch_size=B))
    if enforce_sorted and (lengths[:-1] < lengths[1:]).any():
        raise ValueError("lengths must be sorted longest first when enforce_sorted=True")
    # Longest first. Ties keep their original order here; torch leaves theirs unspecified.
    sorted_lengths, sorted_indices = torch.sort(lengths, descending=True, stable=True)
    batch_sizes = [int((sorted_lengths > t).sum()) for t in range(sorted_lengths[0])]
    # Step t contributes the first batch_sizes[t] sequences (in sorted order).
    rows = [padded[t, sorted_indices[:b]] for t, b in enumerate(batch_sizes)]
    if enforce_sorted:
        sorted_indices = unsorted_indices = None
    else:
        unsorted_indices = torch.argsort(sorted_indices)
    return PackedSequence(
        torch.cat(rows), torch.tensor(batch_sizes), sorted_indices, unsorted_indices
    )
