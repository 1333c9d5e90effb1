"""The command line's progress bar and its rough estimate of each setting's cost."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from .variants import Setting

# Relative cost of a setting per layer on a CPU (measured roughly on the reference
# machine; only the progress bar's time estimate uses it).
LAYER_COST = {"RNN": 0.4, "GRU": 1.1, "LSTM": 1.0}


def estimated_cost(setting: Setting, modes: Sequence[str]) -> float:
    """A rough relative cost of a setting (for the progress bar's time estimate)."""
    directions = 2 if setting.bidirectional else 1
    factor = sum(3.0 if m == "forward_backward" else 1.0 for m in modes)
    size = 0.75 + setting.hidden_size / 256  # per-step costs dominate small sizes
    return (setting.n_sequences * setting.max_length * LAYER_COST[setting.layer]
            * directions * factor * size)


class Progress:
    """A one-line progress bar with elapsed time and an estimate of the time left."""

    def __init__(self, total: float, stream, width: int = 28) -> None:
        """Track `total` units of (estimated) work, drawing to `stream`."""
        self.total, self.done, self.stream, self.width = total, 0.0, stream, width
        self.start = time.perf_counter()
        self.interactive = hasattr(stream, "isatty") and stream.isatty()

    def update(self, amount: float, text: str) -> None:
        """Add `amount` units of finished work and redraw with `text`."""
        self.done += amount
        elapsed = time.perf_counter() - self.start
        frac = min(1.0, self.done / self.total) if self.total else 1.0
        left = elapsed / frac - elapsed if frac > 0 else float("nan")
        bar = "#" * round(frac * self.width)
        line = (f"[{bar:<{self.width}}] {frac:4.0%}  {_clock(elapsed)} elapsed, "
                f"~{_clock(left)} left  {text}")
        end = "\r" if self.interactive and frac < 1 else "\n"
        self.stream.write(line.ljust(110)[:160] + end)
        self.stream.flush()


def _clock(seconds: float) -> str:
    """Format seconds as m:ss."""
    if not math.isfinite(seconds):
        return "?:??"
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
