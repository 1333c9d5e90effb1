"""The batching recipe of chapter 6, and the stored benchmark results that test it.

`recommend` is the rule the chapter teaches and `benchmarks/run.py` marks in every
row it stores (column `recommended`): it exists here once, so that the chapter, the
benchmark and its tests read the same function. It looks at correctness flags, the
layer, the device and the mode, never at a timing.

`stored_results` reads the benchmark runs shipped as package data
(`packviz/data/benchmarks/`), so that a reader who installs packviz, in Colab say, has
the numbers the chapter quotes without fetching anything. Plain Python: no torch needed.
"""

from __future__ import annotations

import csv
import json
from importlib import resources

MODES = ("forward", "forward_backward")
RUNS = ("full", "recheck")
# Columns that hold numbers; stored_results turns them into floats (empty stays None).
NUMBER_COLUMNS = ("ideal_speedup", "step_speedup", "measured_speedup",
                  "fraction_of_ideal", "median_ms", "iqr_ms", "min_ms", "max_abs_diff",
                  "loadavg_1m")
COUNT_COLUMNS = ("batch_size", "hidden_size", "input_size", "n_sequences", "max_length",
                 "threads", "pool_batches", "n_batches", "steps", "tokens_real",
                 "tokens_computed", "tokens_global", "repeats")


def reversal_beats_packing(layer: str, device: str, mode: str) -> bool:
    """Whether a bidirectional layer should reverse its padded batches within lengths
    (`packviz.reversal.ReversedBidirectional`) rather than pack them.

    On a CPU: for an LSTM, whose padded run is one oneDNN call per direction and whose
    packed run is a loop over the steps; and in training for any layer, because the
    packed loop cuts its inputs at every step (and its hidden state each time the batch
    shrinks), and the backward pass turns each cut into a zero-filled gradient the size
    of the whole tensor. A GRU's or plain RNN's forward pass loops over the steps
    either way, and there the reversal's extra call and copies cost more than packing.
    On a GPU cuDNN runs padded and packed batches alike, and the reversal would split
    one bidirectional call into two: pack. This is reasoning; the stored benchmark
    runs check it (column `fastest_correct`).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return device.split(":")[0] == "cpu" and (layer == "LSTM"
                                              or mode == "forward_backward")


def recommend(correct: dict[str, bool], layer: str = "", device: str = "cpu",
              mode: str = "forward") -> str:
    """The recipe: bucket by length; if padding gives wrong outputs, pack, or reverse
    within lengths where that beats packing.

    `correct` maps the bucketed variants ("bucketed", "bucketed_packed",
    "bucketed_reversed") to whether their outputs on real steps matched a packed run.
    A unidirectional layer is right on real steps when padded, so the answer is
    "bucketed" (take its last state with a gather at `lengths - 1`). A bidirectional
    layer's backward direction starts on the pads: "bucketed_reversed" where
    `reversal_beats_packing` and that run was correct, else "bucketed_packed".
    """
    if correct.get("bucketed", False):
        return "bucketed"
    if reversal_beats_packing(layer, device, mode) and correct.get("bucketed_reversed",
                                                                   False):
        return "bucketed_reversed"
    return "bucketed_packed"


def _results_dir(run: str):
    """The folder of one stored run inside the installed package."""
    if run not in RUNS:
        raise ValueError(f"run must be one of {RUNS}, got {run!r}")
    folder = resources.files("packviz") / "data" / "benchmarks"
    return folder if run == "full" else folder / run


def stored_results(run: str = "full") -> list[dict[str, object]]:
    """Rows of a stored benchmark run ("full" or "recheck"), numbers as float or int.

    Empty cells (a row that was not timed) become None; text columns stay strings.
    """
    text = (_results_dir(run) / "full.csv").read_text()
    rows = []
    for row in csv.DictReader(text.splitlines()):
        parsed: dict[str, object] = dict(row)
        for key in NUMBER_COLUMNS:
            parsed[key] = float(row[key]) if row[key] else None
        for key in COUNT_COLUMNS:
            parsed[key] = int(row[key]) if row[key] else None
        rows.append(parsed)
    return rows


def stored_metadata(run: str = "full") -> dict[str, object]:
    """The JSON metadata of a stored run: machine, torch, date, threads, clock, grid."""
    return json.loads((_results_dir(run) / "full.json").read_text())
