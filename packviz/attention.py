"""Figures of attention masks for sequences packed into one row (chapter 8).

The chapter builds every mask with torch; this module only draws one. Like
`packviz.draw`, it uses the Okabe-Ito colours and a white figure background.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from packviz.core import check_lengths
from packviz.draw import PAD_COLOR, sequence_color

__all__ = ["LEAK_COLOR", "MAX_TOKENS", "mask_figure", "token_labels"]

LEAK_COLOR = "#000000"  # allowed, but across two sequences
MAX_TOKENS = 48  # beyond this the cells get too small to read


def token_labels(lengths: Sequence[int]) -> list[str]:
    """Name each token of the packed row by its sequence and position: a0, a1, b0, ..."""
    lengths = check_lengths(lengths, max_count=len(string.ascii_lowercase))
    return [f"{string.ascii_lowercase[i]}{t}" for i, n in enumerate(lengths)
            for t in range(n)]


def _as_bool_rows(mask: Any) -> list[list[bool]]:
    if hasattr(mask, "tolist"):  # torch tensors and numpy arrays
        mask = mask.tolist()
    try:
        rows = [list(row) for row in mask]
    except TypeError:
        raise ValueError(
            f"mask must be a square table of True/False, got {type(mask).__name__}"
        ) from None
    for row in rows:
        for v in row:
            if not isinstance(v, bool):
                raise ValueError(
                    f"mask must hold True/False values, found {v!r}; "
                    "compare with == to build a boolean mask"
                )
    return rows


def mask_figure(mask: Any, lengths: Sequence[int], *, title: str | None = None) -> Figure:
    """Draw an (N, N) attention mask over a packed row; allowed cells take their colour."""
    lengths = check_lengths(lengths, max_count=len(string.ascii_lowercase))
    rows = _as_bool_rows(mask)
    N = sum(lengths)
    if N > MAX_TOKENS:
        raise ValueError(f"{N} tokens are too many to draw; use at most {MAX_TOKENS}")
    if len(rows) != N or any(len(row) != N for row in rows):
        shape = f"{len(rows)} x {len(rows[0]) if rows else 0}"
        raise ValueError(
            f"mask is {shape}, but lengths {lengths} add up to {N} tokens: "
            f"the mask must be {N} x {N} (query x key)"
        )
    doc = [i for i, n in enumerate(lengths) for _ in range(n)]
    pixels = [
        [to_rgb(sequence_color(doc[q]) if doc[q] == doc[k] else LEAK_COLOR)
         if rows[q][k] else to_rgb(PAD_COLOR) for k in range(N)]
        for q in range(N)
    ]
    size = 0.32 * N + 1.6
    fig, ax = plt.subplots(figsize=(size, size), facecolor="white")
    ax.imshow(pixels, interpolation="nearest")
    # thin white lines between cells, thicker ones between sequences
    for i in range(1, N):
        ax.axhline(i - 0.5, color="white", linewidth=0.6)
        ax.axvline(i - 0.5, color="white", linewidth=0.6)
    edge = 0
    for n in lengths[:-1]:
        edge += n
        ax.axhline(edge - 0.5, color="#555555", linewidth=1.6)
        ax.axvline(edge - 0.5, color="#555555", linewidth=1.6)
    labels = token_labels(lengths)
    ax.set_xticks(range(N), labels, fontsize=8)
    ax.set_yticks(range(N), labels, fontsize=8)
    ax.tick_params(length=0)
    ax.set_xlabel("key (the token attended to)")
    ax.set_ylabel("query (the token attending)")
    allowed = sum(map(sum, rows))
    ax.set_title(title or f"{allowed} of {N * N} scores allowed", fontsize=10)
    fig.tight_layout()
    return fig
