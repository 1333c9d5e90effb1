"""The batching recipe of chapter 6, and the stored benchmark results that test it.

`recommend` is the rule the chapter teaches and `benchmarks/run.py` marks in every
row it stores (column `recommended`): it exists here once, so that the chapter, the
benchmark and its tests read the same function. It looks at correctness flags, the
layer, the device and the mode, never at a timing.

`stored_results` reads the benchmark runs shipped as package data
(`packviz/data/benchmarks/`), so that a reader who installs packviz, in Colab say, has
the numbers the chapter quotes without fetching anything. Plain Python: no torch needed.

`cudnn_algorithm` restates, branch by branch, how torch picks cuDNN's RNN algorithm on a
GPU (`get_algo` in torch's `aten/src/ATen/native/cudnn/RNN.cpp`); `GET_ALGO_LINES`
quotes the lines it follows, and `tests/test_benchmark.py` holds the two together.
"""

from __future__ import annotations

import csv
import json
from importlib import resources

MODES = ("forward", "forward_backward")
# Stored runs: name -> (folder under packviz/data/benchmarks/, file stem).
RUN_FILES = {"full": ("", "full"), "recheck": ("recheck", "full"),
             "sweep": ("sweep", "sweep")}
RUNS = tuple(RUN_FILES)
# Columns that hold numbers; stored_results turns them into floats (empty stays None).
NUMBER_COLUMNS = ("ideal_speedup", "step_speedup", "measured_speedup",
                  "fraction_of_ideal", "median_ms", "iqr_ms", "min_ms", "max_abs_diff",
                  "loadavg_1m")
COUNT_COLUMNS = ("batch_size", "hidden_size", "input_size", "n_sequences", "max_length",
                 "threads", "pool_batches", "n_batches", "steps", "tokens_real",
                 "tokens_computed", "tokens_global", "repeats")


# --- cuDNN's algorithm on a GPU ------------------------------------------------------
GET_ALGO_SOURCE = ("pytorch/pytorch", "aten/src/ATen/native/cudnn/RNN.cpp",
                   "00fc08aa616fbdec70496aebee034ac90b083ff4")
# The lines of get_algo and use_rnn_persist_small_h that cudnn_algorithm follows,
# quoted from GET_ALGO_SOURCE ("..." marks lines left out). An older version
# (commit 357b8267a5eb) has the same branches inside `CUDNN_VERSION >= 8201` guards.
GET_ALGO_LINES = """\
use_rnn_persist_small_h(rnn, tensors, forward):
  if (prop->major < 6)
    return false;
  if (forward) {
    if (rnn.mode == CUDNN_RNN_RELU || rnn.mode == CUDNN_RNN_TANH) {
      return rnn.hidden_size <= 384;
    if (rnn.mode == CUDNN_LSTM || rnn.mode == CUDNN_GRU) {
      return rnn.hidden_size <= 192;
  } else /* backward */ {
    if (rnn.mode == CUDNN_RNN_RELU || rnn.mode == CUDNN_RNN_TANH) {
      return rnn.hidden_size <= 256;
    if (rnn.mode == CUDNN_LSTM || rnn.mode == CUDNN_GRU) {
      return rnn.hidden_size <= 128;
get_algo(rnn, tensors, input, forward):
  if (rnn.proj_size != 0) {
    return CUDNN_RNN_ALGO_STANDARD;
  if (!tensors.is_input_packed()) {
    if (cudnnDataType != CUDNN_DATA_DOUBLE) {
      if (use_rnn_persist_small_h(rnn, tensors, forward)) {
        return CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H;
    if (cudnnDataType == CUDNN_DATA_HALF) {
      if (use_persist_common_heuristics(rnn, tensors) &&
          use_persist_device_heuristics(rnn, tensors)) {
        return CUDNN_RNN_ALGO_PERSIST_STATIC;
  ...
  return CUDNN_RNN_ALGO_STANDARD;
"""
CUDNN_MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")  # the values of nn.RNNBase.mode
CUDNN_DTYPES = ("float16", "bfloat16", "float32", "float64")
ALGORITHMS = ("STANDARD", "PERSIST_STATIC", "PERSIST_STATIC_SMALL_H")


def _persist_small_h(mode: str, hidden_size: int, forward: bool,
                     capability: tuple[int, int],
                     cudnn_version: tuple[int, int, int] | None) -> bool:
    """use_rnn_persist_small_h: compute capability 6 or more, a small hidden size."""
    if cudnn_version is not None and tuple(cudnn_version) < (8, 2, 1):
        return False  # the older source's guard
    if capability[0] < 6:
        return False
    plain = mode in ("RNN_TANH", "RNN_RELU")
    if forward:
        return hidden_size <= (384 if plain else 192)
    return hidden_size <= (256 if plain else 128)


def _persist_static(mode: str, hidden_size: int, *, num_layers: int, bidirectional: bool,
                    input_size: int, batch_size: int, seq_length: int,
                    capability: tuple[int, int], multiprocessors: int) -> bool:
    """use_persist_common_heuristics and use_persist_device_heuristics (float16 only)."""
    common = (num_layers == 1 and not bidirectional and hidden_size <= 1024
              and hidden_size % 128 == 0 and input_size % 128 == 0)
    if not common:
        return False
    major, minor = capability
    b = batch_size
    if major == 7:
        if minor == 5:  # Turing: never
            return False
        return (((b % 16 == 0 and b not in (80, 112)) or b == 8)
                and ((seq_length >= 40 and b <= 128) or (seq_length >= 20 and b <= 96)
                     or (seq_length >= 10 and b <= 32)))
    if major >= 8 and multiprocessors >= 98 and minor != 6:
        if mode == "GRU":
            return False
        if mode == "LSTM":
            return b % 8 == 0 and b <= 128
        return b % 8 == 0 and b <= 128 and (b < 96 or hidden_size < 896)
    return False


def cudnn_algorithm(mode: str, hidden_size: int, *, packed: bool,
                    dtype: str = "float32", forward: bool = True, proj_size: int = 0,
                    capability: tuple[int, int] = (9, 0), multiprocessors: int = 132,
                    cudnn_version: tuple[int, int, int] | None = None,
                    num_layers: int = 1, bidirectional: bool = False,
                    input_size: int | None = None, batch_size: int | None = None,
                    seq_length: int | None = None) -> str:
    """The cuDNN RNN algorithm torch's `get_algo` picks, as "STANDARD",
    "PERSIST_STATIC" or "PERSIST_STATIC_SMALL_H" (GET_ALGO_LINES quotes the source).

    `mode` is the layer's `mode` attribute ("LSTM", "GRU", "RNN_TANH", "RNN_RELU");
    `packed` whether it runs a PackedSequence; `forward` False for the backward pass.
    The defaults describe an H100-class GPU (compute capability 9.0, 132 multi-
    processors); `cudnn_version` None means a cuDNN the newer source builds with. Only
    float16 needs `input_size`, `batch_size` and `seq_length` (for PERSIST_STATIC).
    Read from the source, not measured: no GPU ran this.
    """
    dtype = str(dtype).removeprefix("torch.")
    if mode not in CUDNN_MODES:
        raise ValueError(f"mode must be one of {CUDNN_MODES} (the layer's .mode), "
                         f"got {mode!r}")
    if dtype not in CUDNN_DTYPES:
        raise ValueError(f"dtype must be one of {CUDNN_DTYPES}, got {dtype!r}")
    if isinstance(hidden_size, bool) or not isinstance(hidden_size, int) or hidden_size < 1:
        raise ValueError(f"hidden_size must be a positive int, got {hidden_size!r}")
    if proj_size != 0:
        return "STANDARD"
    if not packed:
        if dtype != "float64" and _persist_small_h(mode, hidden_size, forward,
                                                   capability, cudnn_version):
            return "PERSIST_STATIC_SMALL_H"
        if dtype == "float16":
            if None in (input_size, batch_size, seq_length):
                raise ValueError("float16 needs input_size, batch_size and seq_length "
                                 "to decide on PERSIST_STATIC")
            if _persist_static(mode, hidden_size, num_layers=num_layers,
                               bidirectional=bidirectional, input_size=input_size,
                               batch_size=batch_size, seq_length=seq_length,
                               capability=capability, multiprocessors=multiprocessors):
                return "PERSIST_STATIC"
    return "STANDARD"


def cudnn_algorithm_for(layer, input, *, forward: bool = True, **gpu) -> str:
    """`cudnn_algorithm` for an nn.RNN, nn.GRU or nn.LSTM and the input it would run:
    a padded tensor or a PackedSequence (torch hands cuDNN `batch_sizes` exactly for
    the latter). `gpu` takes capability, multiprocessors and cudnn_version."""
    from torch.nn import RNNBase
    from torch.nn.utils.rnn import PackedSequence

    if not isinstance(layer, RNNBase):
        raise ValueError(f"layer must be an nn.RNN, nn.GRU or nn.LSTM, got "
                         f"{type(layer).__name__}")
    packed = isinstance(input, PackedSequence)
    data = input.data if packed else input
    if not packed and data.dim() != 3:
        raise ValueError("give a batched (3-D) padded input or a PackedSequence, got "
                         f"{data.dim()} dimensions")
    batch_size = seq_length = None
    if not packed:
        batch_size, seq_length = (data.shape[:2] if layer.batch_first
                                  else data.shape[1::-1])
    return cudnn_algorithm(layer.mode, layer.hidden_size, packed=packed,
                           dtype=str(data.dtype), forward=forward,
                           proj_size=layer.proj_size, num_layers=layer.num_layers,
                           bidirectional=layer.bidirectional,
                           input_size=layer.input_size, batch_size=batch_size,
                           seq_length=seq_length, **gpu)


def reversal_beats_packing(layer: str, device: str, mode: str) -> bool:
    """Whether a bidirectional layer should reverse its padded batches within lengths
    (`packviz.reversal.ReversedBidirectional`) rather than pack them.

    On a CPU: for an LSTM, whose padded run (float32, one layer, no `proj_size`, as in
    the benchmark) is one fused oneDNN call per direction and whose packed run is a loop
    over the steps; and in training for any layer, because the packed loop cuts its
    inputs at every step (and its hidden state each time the batch shrinks), and the
    backward pass turns each cut into a zero-filled gradient the size of the whole
    tensor. A GRU's or plain RNN's forward pass loops over the steps either way, and
    there the reversal's extra call and copies cost more than packing. The stored
    benchmark runs check this half (column `fastest_correct`).

    On a GPU nothing was measured, and the rule packs. Padded and packed batches do not
    run alike there: torch gives a padded batch, so also each of the reversal's two
    calls, a persistent cuDNN kernel at small hidden sizes that a packed batch never
    gets (`cudnn_algorithm`). That could make reversing pay on a GPU too; whether it
    beats one packed bidirectional call is unmeasured, so the rule keeps packing, which
    is correct on every device.
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


def _results_file(run: str, suffix: str):
    """The CSV or JSON file of one stored run inside the installed package."""
    if run not in RUNS:
        raise ValueError(f"run must be one of {RUNS}, got {run!r}")
    folder, stem = RUN_FILES[run]
    path = resources.files("packviz") / "data" / "benchmarks"
    return (path / folder if folder else path) / f"{stem}{suffix}"


def stored_results(run: str = "full") -> list[dict[str, object]]:
    """Rows of a stored benchmark run ("full", "recheck" or "sweep"), numbers as float
    or int.

    Empty cells (a row that was not timed) become None; text columns stay strings.
    """
    text = _results_file(run, ".csv").read_text()
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
    return json.loads(_results_file(run, ".json").read_text())
