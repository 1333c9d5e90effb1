"""packviz: the helper package of the book on padding and packing sequences in PyTorch.

Teaching code lives in the chapters. This package holds what the chapters reuse:
plain-Python packing arithmetic (`packviz.core`), from-scratch packing with torch
(`packviz.packing`, first written out in chapter 2), figures (`packviz.draw`), the
live widgets (`packviz.widgets`), length-grouping batch samplers (`packviz.bucketing`)
and bidirectional layers on padded batches without packing (`packviz.reversal`), the
last two from chapter 6.
"""

from packviz.core import (
    WasteStats,
    batch_sizes_from_lengths,
    check_lengths,
    lengths_from_batch_sizes,
    pack_order,
    parse_lengths,
    skewed_lengths,
    sort_order,
    waste,
)

__all__ = [
    "WasteStats",
    "batch_sizes_from_lengths",
    "check_lengths",
    "lengths_from_batch_sizes",
    "pack_order",
    "parse_lengths",
    "skewed_lengths",
    "sort_order",
    "waste",
]
__version__ = "0.1.0"
