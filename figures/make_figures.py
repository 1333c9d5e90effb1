"""Draw the figures in figures/ from code: `make figures` (or run this file).

The SVGs are deterministic (fixed hash salt, no date), so tests/test_figures.py can
redraw them and check that the committed files are what this script makes today.
"""

from __future__ import annotations

import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from packviz.draw import padded_vs_packed  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent

FIGURES = {
    # name: (function, arguments, alt text used by the pages that show it)
    "padded_vs_packed.svg": (
        padded_vs_packed,
        ([4, 6, 8, 5, 4, 3, 7, 8],),
        "Left: eight sequences of lengths 4, 6, 8, 5, 4, 3, 7, 8 padded to 8 steps, "
        "pads hatched. Right: the 45 rows of the packed data, one line per time step.",
    ),
}


def draw_all(out_dir: pathlib.Path = HERE) -> list[pathlib.Path]:
    """Write every figure to `out_dir` and return the paths."""
    plt.rcParams["svg.hashsalt"] = "packing-book"
    paths = []
    for name, (function, args, _alt) in FIGURES.items():
        fig = function(*args)
        path = out_dir / name
        fig.savefig(path, format="svg", metadata={"Date": None}, facecolor="white")
        plt.close(fig)
        paths.append(path)
    return paths


if __name__ == "__main__":
    target = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for p in draw_all(target):
        print("wrote", p)
