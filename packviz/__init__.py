"""packviz: the helper package of the book on padding and packing sequences in PyTorch.

Teaching code lives in the chapters. This package holds what the chapters reuse:
plain-Python packing arithmetic (`packviz.core`), from-scratch packing with torch
(`packviz.packing`, first written out in chapter 2), figures (`packviz.draw`), the
live widgets (`packviz.widgets`), length-grouping batch samplers (`packviz.bucketing`),
bidirectional layers on padded batches without packing (`packviz.reversal`), and
chapter 6's recipe with the stored benchmark runs it reads (`packviz.recipe`, data in
`packviz/data/benchmarks`); the colours of every figure and widget (`packviz.palette`);
the accuracy figure of chapter 5 (`packviz.training`).
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
