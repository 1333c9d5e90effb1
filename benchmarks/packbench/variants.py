"""The grid's names: layers, length distributions, modes and batching variants, and
`Setting`, one dataset and layer of the grid."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from packviz.recipe import MODES

__all__ = ["BASELINE", "BUCKETED_VARIANTS", "DISTRIBUTIONS", "HOWS", "LAYERS", "MODES",
           "PACKED_VARIANTS", "REVERSED_VARIANTS", "TIMED_VARIANTS", "VARIANTS",
           "Setting", "how_for"]

LAYERS: dict[str, type[nn.RNNBase]] = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}
DISTRIBUTIONS = ("nearly_equal", "uniform", "skewed")
BASELINE = "padded_global"
# Timed variants, in the order the results list them; "nested" is tried, not timed,
# and "bucketed_reversed" is timed for bidirectional layers only.
TIMED_VARIANTS = ("padded_global", "padded_batch", "packed", "bucketed", "bucketed_packed",
                  "bucketed_reversed")
VARIANTS = (*TIMED_VARIANTS, "nested")
PACKED_VARIANTS = ("packed", "bucketed_packed", "nested")
REVERSED_VARIANTS = ("bucketed_reversed",)
BUCKETED_VARIANTS = ("bucketed", "bucketed_packed", "bucketed_reversed")


@dataclass(frozen=True)
class Setting:
    """One dataset and layer: everything except the timed mode and the variant."""

    layer: str
    bidirectional: bool
    distribution: str
    size: str
    batch_size: int
    hidden_size: int
    n_sequences: int
    max_length: int
    device: str = "cpu"
    seed: int = 0

    @property
    def input_size(self) -> int:
        """Features per time step (F); the benchmark uses F = H."""
        return self.hidden_size



HOWS = ("padded", "packed", "reversed")


def how_for(variant: str) -> str:
    """How a variant runs its batches: "padded", "packed" or "reversed"."""
    if variant in PACKED_VARIANTS:
        return "packed"
    return "reversed" if variant in REVERSED_VARIANTS else "padded"

