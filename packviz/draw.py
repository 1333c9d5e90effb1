"""Figures of padded and packed batches (matplotlib, Okabe-Ito colours, white background).

Every function returns a matplotlib Figure and checks its inputs; the figure has a white
face so that it reads on light and dark pages alike. The colours, and the text colour on
each, come from packviz.palette, which the widgets use too.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from packviz.core import batch_sizes_from_lengths, check_lengths, pack_order, waste
from packviz.palette import PAD_COLOR, SEQUENCE_COLORS, ink_on

__all__ = [
    "OKABE_ITO",
    "PAD_COLOR",
    "padded_grid",
    "padded_vs_packed",
    "sequence_color",
    "waste_curves",
]

# Okabe & Ito (2008), colour-blind safe; black is last so that it is used least.
OKABE_ITO = list(SEQUENCE_COLORS)


def sequence_color(i: int) -> str:
    """Colour of sequence `i` (cycles through the Okabe-Ito palette)."""
    return OKABE_ITO[i % len(OKABE_ITO)]


def _cell(ax, x: float, y: float, colour: str | None, label: str = "") -> None:
    if colour is None:  # a pad: grey, hatched, so it differs without colour too
        ax.add_patch(
            Rectangle((x, y), 1, 1, facecolor=PAD_COLOR, edgecolor="#888888",
                      hatch="///", linewidth=0.8)
        )
        return
    ax.add_patch(Rectangle((x, y), 1, 1, facecolor=colour, edgecolor="white",
                           linewidth=1.5))
    if label:
        ax.text(x + 0.5, y + 0.5, label, ha="center", va="center", fontsize=8,
                color=ink_on(colour))


def _frame(ax, width: int, height: int) -> None:
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_aspect("equal")
    for side in ax.spines.values():
        side.set_visible(False)


def padded_grid(lengths: Sequence[int], ax=None, *, total_length: int | None = None):
    """Draw a batch padded to the longest sequence: one row per sequence, pads hatched."""
    lengths = check_lengths(lengths, total_length=total_length)
    T = total_length or max(lengths)
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.45 * T + 1.2, 0.45 * len(lengths) + 0.9),
                               facecolor="white")
    for b, n in enumerate(lengths):
        for t in range(T):
            _cell(ax, t, b, sequence_color(b) if t < n else None, str(t) if t < n else "")
    _frame(ax, T, len(lengths))
    ax.set_xticks([t + 0.5 for t in range(T)], [str(t) for t in range(T)])
    ax.set_yticks([b + 0.5 for b in range(len(lengths))],
                  [f"seq {b} (len {n})" for b, n in enumerate(lengths)])
    ax.tick_params(length=0)
    ax.set_xlabel("time step t")
    stats = waste(lengths, T)
    ax.set_title(f"padded: {stats.padded} steps, {stats.real} real", fontsize=10)
    return ax.figure


def padded_vs_packed(lengths: Sequence[int]) -> Figure:
    """Draw the padded grid next to the packed data, one row per time step."""
    lengths = check_lengths(lengths)
    order = pack_order(lengths)
    batch_sizes = batch_sizes_from_lengths(lengths)
    T, B = max(lengths), len(lengths)
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(0.5 * (T + B) + 3.6, 0.5 * max(T, B) + 1.4),
        gridspec_kw={"width_ratios": [T, B]}, facecolor="white",
    )
    padded_grid(lengths, ax=left)
    left.set_title("padded (number = time step t)", fontsize=10)
    # Row t holds the batch_sizes[t] rows of PackedSequence.data for step t;
    # the number in a cell is the row's index in data, so data reads row by row.
    k = 0
    for t, size in enumerate(batch_sizes):
        for j in range(size):
            b, _ = order[k]
            _cell(right, j, t, sequence_color(b), str(k))
            k += 1
        right.text(B + 0.2, t + 0.5, f"{size}", va="center", fontsize=9)
    _frame(right, B + 1, T)
    right.set_xticks([])
    right.set_yticks([t + 0.5 for t in range(T)], [f"t={t}" for t in range(T)])
    right.tick_params(length=0)
    right.set_title(f"packed data: {len(order)} rows\n(number = row in data)",
                    fontsize=10)
    right.text(B + 0.2, -0.3, "batch_sizes", fontsize=8, ha="left")
    fig.tight_layout()
    return fig


def waste_curves(
    skews: Sequence[float],
    fractions: dict[int, Sequence[float]],
) -> Figure:
    """Plot the wasted fraction of cell updates against skew, one line per batch size."""
    skews = list(skews)
    if not skews:
        raise ValueError("skews is empty: give the skew values on the x axis")
    if not fractions:
        raise ValueError("fractions is empty: give {batch_size: [fraction per skew]}")
    fig, ax = plt.subplots(figsize=(6, 3.6), facecolor="white")
    markers = "osD^v<>p"
    for k, (batch_size, ys) in enumerate(sorted(fractions.items())):
        ys = list(ys)
        if len(ys) != len(skews):
            raise ValueError(
                f"batch size {batch_size}: {len(ys)} fractions for {len(skews)} skews"
            )
        ax.plot(skews, ys, marker=markers[k % len(markers)], color=sequence_color(k + 4),
                label=f"batch of {batch_size}")
    ax.set_xlabel("skew of the length distribution (0 = all equal)")
    ax.set_ylabel("wasted fraction of cell updates")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig
