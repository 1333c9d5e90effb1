"""Timing with torch.utils.benchmark: interleaved rounds, a chosen clock, fixed threads."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from torch.utils.benchmark import Measurement, Timer
from torch.utils.benchmark.utils.timer import timer as benchmark_timer

CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time,
                                          "wall": benchmark_timer}


@dataclass
class Timing:
    """Median, spread and count of one variant's epoch times, in seconds."""

    median: float
    iqr: float
    minimum: float
    repeats: int


def time_variants(fns: dict[str, Callable[[], None]], estimates: dict[str, float], *,
                  threads: int, label: str, budget_s: float, min_repeats: int,
                  rounds: int = 2, clock: str = "cpu") -> dict[str, Timing]:
    """Time each function with torch.utils.benchmark, in interleaved rounds.

    Each round calls Timer.blocked_autorange once per variant (a warm-up call, then
    timed calls), in an order that reverses from round to round, so that a burst of
    load from elsewhere on the machine hits every variant rather than one. A variant
    gets at least `min_repeats` timed calls in all, more if they fit in `budget_s`.
    `estimates` (seconds per call) sizes the first round; later rounds use what the
    earlier ones measured.

    clock "cpu" times with the process's CPU time (time.process_time), which leaves
    out the time the OS gives to other programs on a shared machine; "wall" uses
    torch.utils.benchmark's default clock, which synchronises a GPU before reading.
    """
    if clock not in CLOCKS:
        raise ValueError(f"clock must be one of {tuple(CLOCKS)}, got {clock!r}")
    timers = {v: Timer("fn()", globals={"fn": fn}, timer=CLOCKS[clock],
                       num_threads=threads, label=label, description=v)
              for v, fn in fns.items()}
    measured: dict[str, list[Measurement]] = {v: [] for v in fns}
    names = list(fns)
    for r in range(rounds):
        for v in (names if r % 2 == 0 else names[::-1]):
            done = [t for m in measured[v] for t in m.times]
            per_call = sorted(done)[len(done) // 2] if done else estimates[v]
            wanted = max(math.ceil(budget_s / max(per_call, 1e-9)), min_repeats)
            calls = max(1, math.ceil((wanted - len(done)) / (rounds - r)))
            # blocked_autorange times calls until their sum reaches min_run_time.
            run_time = (calls - 0.5) * per_call
            measured[v].append(timers[v].blocked_autorange(min_run_time=run_time))
    for v in names:  # top up a variant that came out faster than its estimate
        while sum(len(m.times) for m in measured[v]) < min_repeats:
            measured[v].append(timers[v].blocked_autorange(min_run_time=0))
    out = {}
    for v, ms in measured.items():
        merged = Measurement.merge(ms)[0]
        out[v] = Timing(median=merged.median, iqr=merged.iqr, minimum=min(merged.times),
                        repeats=len(merged.times))
    return out

