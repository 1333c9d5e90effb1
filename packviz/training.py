"""The figure of chapter 5: validation accuracy per epoch, one line per way of training.

The chapter trains the same model several ways, each with a few seeds, and passes the
accuracies here as `{name: [[accuracy per epoch] per seed]}`. The figure draws each
way's mean over the seeds as a line, the range from the worst to the best seed as a
band around it, and states the final mean and spread in the legend.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from packviz.palette import SEQUENCE_COLORS

__all__ = ["accuracy_curves", "final_summary"]

# The book's palette (Okabe-Ito): blue, vermillion, bluish green, orange, reddish
# purple, distinct for every colour-vision type; each line also has its own marker
# and dash, so nothing depends on colour alone.
_COLOURS = [SEQUENCE_COLORS[i] for i in (4, 5, 2, 0, 6)]
_MARKERS = "osD^v"
_DASHES = ["-", "--", ":", "-.", (0, (5, 1, 1, 1))]


def _check_runs(runs: object) -> dict[str, list[list[float]]]:
    """Return runs as {name: [[accuracy per epoch] per seed]} once checked, or raise."""
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError("runs must be a non-empty dict {name: [[accuracy per epoch] per "
                         f"seed]}}, got {runs!r}")
    if len(runs) > len(_COLOURS):
        raise ValueError(f"at most {len(_COLOURS)} ways of training fit one figure, "
                         f"got {len(runs)}")
    checked: dict[str, list[list[float]]] = {}
    for name, seeds in runs.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"each key must be a non-empty name, got {name!r}")
        if not isinstance(seeds, Sequence) or isinstance(seeds, str) or not seeds:
            raise ValueError(f"{name!r}: give a list with one list of accuracies per seed")
        curves = []
        for k, curve in enumerate(seeds):
            if not isinstance(curve, Sequence) or isinstance(curve, str) or not curve:
                raise ValueError(f"{name!r}, seed {k}: give one accuracy per epoch")
            for a in curve:
                if (isinstance(a, bool) or not isinstance(a, (int, float))
                        or not math.isfinite(a) or not 0 <= a <= 1):
                    raise ValueError(f"{name!r}, seed {k}: accuracies are fractions "
                                     f"between 0 and 1, got {a!r}")
            curves.append([float(a) for a in curve])
        if len({len(c) for c in curves}) != 1:
            raise ValueError(f"{name!r}: every seed needs the same number of epochs, got "
                             f"{[len(c) for c in curves]}")
        checked[name] = curves
    return checked


def final_summary(
    runs: Mapping[str, Sequence[Sequence[float]]],
) -> dict[str, tuple[float, float, float]]:
    """Per name: (mean, lowest, highest) of the last epoch's accuracy over the seeds."""
    summary = {}
    for name, curves in _check_runs(runs).items():
        last = [c[-1] for c in curves]
        summary[name] = (sum(last) / len(last), min(last), max(last))
    return summary


def accuracy_curves(runs: Mapping[str, Sequence[Sequence[float]]], *,
                    chance: float | None = None) -> Figure:
    """Plot mean validation accuracy per epoch with a min-max band over seeds, per way."""
    checked = _check_runs(runs)
    if chance is not None and (isinstance(chance, bool)
                               or not isinstance(chance, (int, float))
                               or not 0 <= chance <= 1):
        raise ValueError(f"chance must be a fraction between 0 and 1 or None, "
                         f"got {chance!r}")
    fig, ax = plt.subplots(figsize=(6.4, 3.8), facecolor="white")
    ax.set_facecolor("white")
    summary = final_summary(checked)
    for k, (name, curves) in enumerate(checked.items()):
        epochs = range(1, len(curves[0]) + 1)
        columns = list(zip(*curves))
        mean = [sum(c) / len(c) for c in columns]
        mean_last, low, high = summary[name]
        label = (f"{name}: final {mean_last:.2f} "
                 f"(seeds {low:.2f} to {high:.2f}, n={len(curves)})")
        ax.fill_between(epochs, [min(c) for c in columns], [max(c) for c in columns],
                        color=_COLOURS[k], alpha=0.2, linewidth=0)
        ax.plot(epochs, mean, color=_COLOURS[k], marker=_MARKERS[k], linestyle=_DASHES[k],
                label=label)
    if chance is not None:
        ax.axhline(chance, color="#555555", linewidth=1, linestyle=":")
        ax.text(1, chance + 0.01, "chance", color="#555555", fontsize=8, va="bottom")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    ax.set_ylim(0, 1.02)
    ax.set_xticks(list(range(1, max(len(c[0]) for c in checked.values()) + 1)))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
