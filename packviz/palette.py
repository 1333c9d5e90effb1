"""The book's colours, defined once for the figures and the widgets.

packviz.draw (matplotlib) reads them from here, and packviz.widgets puts them in front
of the widgets' JavaScript (`const PALETTE = {...}`, read by packviz/js/view.js), so the
static book carries them without a kernel.

Sequence colours are Okabe & Ito's (2008, colour-blind safe). The text on a sequence's
cells is black or white, whichever contrasts more with the fill; every pair reaches
WCAG AA for normal text (4.5:1), which tests/test_draw.py checks.
"""

from __future__ import annotations

import json
import re

__all__ = [
    "PAD_COLOR",
    "SEQUENCE_COLORS",
    "SEQUENCE_INKS",
    "contrast_ratio",
    "ink_on",
    "javascript",
]

# Black is last so that it is used least.
SEQUENCE_COLORS = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#000000",  # black
)
PAD_COLOR = "#DDDDDD"
BLACK = "#000000"
WHITE = "#FFFFFF"

_HEX = re.compile(r"#[0-9A-Fa-f]{6}")


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #RRGGBB colour."""
    if not isinstance(colour, str) or not _HEX.fullmatch(colour):
        raise ValueError(f"colour must be written #RRGGBB, got {colour!r}")
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #RRGGBB colours, from 1 (none) to 21."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ink_on(fill: str) -> str:
    """Black or white: the text colour that contrasts more with `fill`."""
    return BLACK if contrast_ratio(fill, BLACK) >= contrast_ratio(fill, WHITE) else WHITE


SEQUENCE_INKS = tuple(ink_on(c) for c in SEQUENCE_COLORS)


def javascript() -> str:
    """The palette as one line of JavaScript, for the front of the widgets' module."""
    palette = {"sequences": SEQUENCE_COLORS, "inks": SEQUENCE_INKS, "pad": PAD_COLOR}
    return f"const PALETTE = {json.dumps(palette)};"
