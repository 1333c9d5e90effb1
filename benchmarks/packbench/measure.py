"""One setting of the grid: every variant in every mode, measured, checked and written
as CSV rows (the columns of `benchmarks/README.md`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial

import torch

from packviz.recipe import recommend

from .counts import ideal_speedup, step_speedup, work
from .data import POOL_BATCHES, batches_for, make_batches, make_lengths, make_sequences
from .runners import fingerprint, make_model, run_epoch, runner_for, try_nested
from .timing import CLOCKS, time_variants
from .variants import (
    BASELINE,
    MODES,
    REVERSED_VARIANTS,
    TIMED_VARIANTS,
    VARIANTS,
    Setting,
    how_for,
)

COLUMNS = (
    "date", "machine", "torch", "device", "threads", "clock",
    "layer", "bidirectional", "distribution", "size", "batch_size", "hidden_size",
    "input_size", "n_sequences", "max_length", "pool_batches", "mode", "variant",
    "status", "n_batches", "steps", "tokens_real", "tokens_computed", "tokens_global",
    "ideal_speedup", "step_speedup", "repeats", "median_ms", "iqr_ms", "min_ms",
    "measured_speedup", "fraction_of_ideal", "correct", "max_abs_diff",
    "recommended", "fastest_correct", "loadavg_1m", "note",
)


def _fmt(x: float | None, digits: int = 4) -> str:
    """Round to `digits` significant digits for a small CSV; '' for missing."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    return f"{x:.{digits}g}"


def run_setting(setting: Setting, *, modes: Sequence[str] = MODES, threads: int = 1,
                budget_s: float = 1.0, min_repeats: int = 5, rounds: int = 2,
                clock: str = "cpu",
                common: dict[str, str] | None = None,
                on_mode: Callable[[str], None] | None = None) -> list[dict[str, str]]:
    """Measure every variant of one setting in each mode; return CSV rows (strings).

    On a GPU the clock is always the wall clock (with synchronisation): CPU time
    would miss the kernels running on the device.
    """
    torch.set_num_threads(threads)
    if setting.device != "cpu":
        clock = "wall"
    lengths = make_lengths(setting.distribution, setting.n_sequences,
                           setting.max_length, setting.seed)
    batches = {v: batches_for(v, lengths, setting.batch_size, setting.seed)
               for v in VARIANTS}
    works = {v: work(v, lengths, batches[v]) for v in VARIANTS}
    sequences = make_sequences(lengths, setting.input_size, setting.seed)
    model = make_model(setting)
    timed = [v for v in TIMED_VARIANTS
             if setting.bidirectional or v not in REVERSED_VARIANTS]
    inputs = {v: make_batches(v, sequences, batches[v], setting.device) for v in timed}
    runners = {how: runner_for(model, how)
               for how in {how_for(v) for v in timed}}

    # Correctness: outputs on real steps against the packed run (shuffled batches).
    prints, seconds = {}, {}
    read_clock = CLOCKS[clock]
    for v in timed:  # also the first warm-up of each variant
        start = read_clock()
        prints[v] = fingerprint(runners[how_for(v)], inputs[v], how_for(v), len(lengths))
        seconds[v] = read_clock() - start
    tol = 1e-4 if setting.device == "cpu" else 1e-2  # cuDNN may use TF32
    diffs = {v: (prints[v] - prints["packed"]).abs().max().item() for v in timed}
    correct = {v: torch.allclose(prints[v], prints["packed"], rtol=tol, atol=tol)
               for v in timed}
    nested_error = try_nested(model, sequences, setting.device)

    rows = []
    for mode in modes:
        backward = mode == "forward_backward"
        fns = {v: partial(run_epoch, runners[how_for(v)], inputs[v], how_for(v),
                          backward, setting.device) for v in timed}
        label = (f"{setting.layer} bi={setting.bidirectional} {setting.distribution} "
                 f"{setting.size} {mode}")
        scale = 3.0 if backward else 1.0  # backward costs about twice the forward
        timings = time_variants(fns, {v: scale * seconds[v] for v in fns},
                                threads=threads, label=label, budget_s=budget_s,
                                min_repeats=min_repeats, rounds=rounds, clock=clock)
        load = _loadavg()
        base = timings[BASELINE].median
        fastest = min((v for v in timed if correct[v]),
                      key=lambda v: timings[v].median)
        chosen = recommend(correct, setting.layer, setting.device, mode)
        for v in VARIANTS:
            ideal = ideal_speedup(works[BASELINE], works[v])
            row = {
                **(common or {}),
                "device": setting.device, "threads": str(threads), "clock": clock,
                "layer": setting.layer, "bidirectional": str(setting.bidirectional),
                "distribution": setting.distribution, "size": setting.size,
                "batch_size": str(setting.batch_size),
                "hidden_size": str(setting.hidden_size),
                "input_size": str(setting.input_size),
                "n_sequences": str(setting.n_sequences),
                "max_length": str(setting.max_length),
                "pool_batches": str(POOL_BATCHES),
                "mode": mode, "variant": v, "n_batches": str(works[v].n_batches),
                "steps": str(works[v].steps), "tokens_real": str(sum(lengths)),
                "tokens_computed": str(works[v].tokens),
                "tokens_global": str(works[BASELINE].tokens),
                "ideal_speedup": _fmt(ideal),
                "recommended": str(v == chosen), "loadavg_1m": _fmt(load, 3),
            }
            if v in REVERSED_VARIANTS and v not in timed:
                row.update(status="not_applicable",
                           note="unidirectional layer: nothing to reverse, its padded "
                                "outputs are already correct on real steps")
                rows.append({c: row.get(c, "") for c in COLUMNS})
                continue
            if v == "nested":
                if nested_error is None:
                    row.update(status="not_measured",
                               note=f"nn.{setting.layer} accepted a jagged nested "
                                    "tensor; timing it is not implemented")
                else:
                    row.update(status="not_applicable",
                               note=f"nn.{setting.layer} on a jagged nested tensor: "
                                    f"{nested_error}")
                rows.append({c: row.get(c, "") for c in COLUMNS})
                continue
            t = timings[v]
            measured = base / t.median
            row.update(
                status="ok", step_speedup=_fmt(step_speedup(works[BASELINE], works[v])),
                repeats=str(t.repeats), median_ms=_fmt(t.median * 1e3),
                iqr_ms=_fmt(t.iqr * 1e3), min_ms=_fmt(t.minimum * 1e3),
                measured_speedup=_fmt(measured), fraction_of_ideal=_fmt(measured / ideal),
                correct=str(correct[v]), max_abs_diff=_fmt(diffs[v], 2),
                fastest_correct=str(v == fastest),
            )
            rows.append({c: row.get(c, "") for c in COLUMNS})
        if on_mode is not None:
            on_mode(mode)
    return rows


def _loadavg() -> float | None:
    """The 1-minute load average, or None where the OS has none."""
    try:
        import os

        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None
