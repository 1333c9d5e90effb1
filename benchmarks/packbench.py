"""Core of the packing benchmark: datasets, batching variants, work counts, timing.

`benchmarks/run.py` is the command line around this module; chapter 6 reads what it
stores; `tests/test_benchmark.py` runs it on a tiny grid. Everything that decides a
number in the results (the work counts behind `ideal_speedup`, the recommendation
rule) is a small function here, documented in `benchmarks/README.md`.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
from torch.utils.benchmark import Measurement, Timer
from torch.utils.benchmark.utils.timer import timer as benchmark_timer
from torch.utils.data import BatchSampler, RandomSampler

from packviz.bucketing import LengthGroupedBatchSampler
from packviz.reversal import ReversedBidirectional

LAYERS: dict[str, type[nn.RNNBase]] = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}
# Relative cost of a setting per layer on a CPU (measured roughly on the reference
# machine; only the progress bar's time estimate uses it).
LAYER_COST = {"RNN": 0.4, "GRU": 1.1, "LSTM": 1.0}
DISTRIBUTIONS = ("nearly_equal", "uniform", "skewed")
MODES = ("forward", "forward_backward")
BASELINE = "padded_global"
# Timed variants, in the order the results list them; "nested" is tried, not timed,
# and "bucketed_reversed" is timed for bidirectional layers only.
TIMED_VARIANTS = ("padded_global", "padded_batch", "packed", "bucketed", "bucketed_packed",
                  "bucketed_reversed")
VARIANTS = (*TIMED_VARIANTS, "nested")
PACKED_VARIANTS = ("packed", "bucketed_packed", "nested")
REVERSED_VARIANTS = ("bucketed_reversed",)
BUCKETED_VARIANTS = ("bucketed", "bucketed_packed", "bucketed_reversed")

COLUMNS = (
    "date", "machine", "torch", "device", "threads", "clock",
    "layer", "bidirectional", "distribution", "size", "batch_size", "hidden_size",
    "input_size", "n_sequences", "max_length", "pool_batches", "mode", "variant",
    "status", "n_batches", "steps", "tokens_real", "tokens_computed", "tokens_global",
    "ideal_speedup", "step_speedup", "repeats", "median_ms", "iqr_ms", "min_ms",
    "measured_speedup", "fraction_of_ideal", "correct", "max_abs_diff",
    "recommended", "fastest_correct", "loadavg_1m", "note",
)


@dataclass(frozen=True)
class Setting:
    """One dataset and layer: everything except the timed mode and the variant."""

    layer: str
    bidirectional: bool
    distribution: str
    size: str
    batch_size: int
    hidden_size: int
    n_sequences: int
    max_length: int
    device: str = "cpu"
    seed: int = 0

    @property
    def input_size(self) -> int:
        """Features per time step (F); the benchmark uses F = H."""
        return self.hidden_size


# --- datasets and batches ------------------------------------------------------


def make_lengths(distribution: str, n: int, max_length: int, seed: int = 0) -> list[int]:
    """Draw `n` sequence lengths in 1..max_length from a named distribution.

    nearly_equal: uniform on [0.9 max_length, max_length]; uniform: uniform on
    [1, max_length]; skewed: log-normal with median max_length / 8 and sigma 0.9,
    capped at max_length (about 1 % of draws hit the cap, as a tokenizer's
    maximum length would cut them).
    """
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {DISTRIBUTIONS}, "
                         f"got {distribution!r}")
    if n < 1 or max_length < 2:
        raise ValueError(f"need n >= 1 and max_length >= 2, got n={n}, "
                         f"max_length={max_length}")
    rng = random.Random(f"{distribution}:{n}:{max_length}:{seed}")
    if distribution == "nearly_equal":
        low = max(1, round(0.9 * max_length))
        return [rng.randint(low, max_length) for _ in range(n)]
    if distribution == "uniform":
        return [rng.randint(1, max_length) for _ in range(n)]
    median = max_length / 8
    return [max(1, min(max_length, round(rng.lognormvariate(math.log(median), 0.9))))
            for _ in range(n)]


# Batches sorted together by the length-grouped sampler (its default, as in
# Hugging Face's group_by_length): with 32 batches per epoch, the whole dataset.
POOL_BATCHES = 50


def random_batches(n: int, batch_size: int, seed: int = 0) -> list[list[int]]:
    """Shuffled batches, as DataLoader(shuffle=True) makes them."""
    generator = torch.Generator().manual_seed(seed)
    sampler = BatchSampler(RandomSampler(range(n), generator=generator), batch_size,
                           drop_last=False)
    return [list(b) for b in sampler]


def bucketed_batches(lengths: Sequence[int], batch_size: int, seed: int = 0,
                     pool_batches: int = POOL_BATCHES) -> list[list[int]]:
    """Full batches of neighbouring lengths from packviz's LengthGroupedBatchSampler."""
    return list(LengthGroupedBatchSampler(lengths, batch_size, pool_batches=pool_batches,
                                          seed=seed))


def batches_for(variant: str, lengths: Sequence[int], batch_size: int,
                seed: int = 0) -> list[list[int]]:
    """The batches a variant processes: bucketed ones, or the shuffled ones."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if variant in BUCKETED_VARIANTS:
        return bucketed_batches(lengths, batch_size, seed)
    return random_batches(len(lengths), batch_size, seed)


# --- the work each variant does: the basis of ideal_speedup ----------------------


@dataclass(frozen=True)
class Work:
    """Cell updates (tokens) and sequential time steps a variant runs per epoch."""

    tokens: int
    steps: int
    n_batches: int


def work(variant: str, lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> Work:
    """Count cell updates and sequential steps for one epoch of a variant.

    padded_global pads every batch to the longest length in the dataset; the other
    padded variants pad each batch to its own longest; packed variants run each
    sequence's real steps only. A packed batch still takes max(lengths) sequential
    steps, because step t waits for step t - 1.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    global_max = max(lengths)
    tokens = steps = 0
    for batch in batches:
        batch_lengths = [lengths[i] for i in batch]
        t = global_max if variant == BASELINE else max(batch_lengths)
        steps += t
        tokens += sum(batch_lengths) if variant in PACKED_VARIANTS else len(batch) * t
    return Work(tokens=tokens, steps=steps, n_batches=len(batches))


def ideal_speedup(baseline: Work, variant: Work) -> float:
    """Padded tokens over computed tokens: the gain if time followed the work skipped."""
    return baseline.tokens / variant.tokens


def step_speedup(baseline: Work, variant: Work) -> float:
    """Sequential steps of the baseline over those of the variant."""
    return baseline.steps / variant.steps


# --- inputs and one epoch ---------------------------------------------------------


@dataclass
class Batch:
    """One batch ready to run: padded input, CPU lengths, a (B, T, 1) mask, indices.

    `longest_first` is True when the lengths never increase along the batch (the
    length-grouped sampler's batches), so packing needs no sort: enforce_sorted=True.
    """

    x: torch.Tensor
    lengths: torch.Tensor
    mask: torch.Tensor
    index: torch.Tensor
    longest_first: bool = False


def make_sequences(lengths: Sequence[int], input_size: int, seed: int = 0
                   ) -> list[torch.Tensor]:
    """Random float features, one (length, input_size) tensor per sequence."""
    generator = torch.Generator().manual_seed(seed)
    flat = torch.randn(sum(lengths), input_size, generator=generator)
    return list(flat.split(list(lengths)))


def make_batches(variant: str, sequences: Sequence[torch.Tensor],
                 batches: Sequence[Sequence[int]], device: str) -> list[Batch]:
    """Pad each batch (to the dataset maximum for padded_global), ready on `device`.

    Bucketed batches arrive longest first from the sampler; they are marked so.
    """
    global_max = max(len(s) for s in sequences)
    out = []
    for batch in batches:
        x = pad_sequence([sequences[i] for i in batch], batch_first=True)
        if variant == BASELINE and x.shape[1] < global_max:
            x = nn.functional.pad(x, (0, 0, 0, global_max - x.shape[1]))
        lengths = torch.tensor([len(sequences[i]) for i in batch])
        mask = (torch.arange(x.shape[1]) < lengths[:, None]).unsqueeze(-1).float()
        longest_first = variant in BUCKETED_VARIANTS
        if longest_first and bool((lengths[1:] > lengths[:-1]).any()):
            raise ValueError("a bucketed batch is not sorted longest first")
        out.append(Batch(x.to(device), lengths, mask.to(device),
                         torch.tensor(list(batch)), longest_first))
    return out


def make_model(setting: Setting) -> nn.RNNBase:
    """The layer under test, with seeded weights, on the setting's device."""
    torch.manual_seed(setting.seed)
    layer = LAYERS[setting.layer](setting.input_size, setting.hidden_size,
                                  batch_first=True, bidirectional=setting.bidirectional)
    return layer.to(setting.device)


HOWS = ("padded", "packed", "reversed")


def how_for(variant: str) -> str:
    """How a variant runs its batches: "padded", "packed" or "reversed"."""
    if variant in PACKED_VARIANTS:
        return "packed"
    return "reversed" if variant in REVERSED_VARIANTS else "padded"


def runner_for(model: nn.RNNBase, how: str) -> nn.Module:
    """The module that runs a batch: the layer, or its ReversedBidirectional wrapper
    (which shares the layer's parameters)."""
    if how not in HOWS:
        raise ValueError(f"how must be one of {HOWS}, got {how!r}")
    return ReversedBidirectional(model) if how == "reversed" else model


def forward(model: nn.Module, batch: Batch, how: str) -> torch.Tensor:
    """Run one batch; return the outputs (packed data, or the padded tensor).

    packed: pack_padded_sequence, sorting first unless the batch is longest first;
    reversed: `model` is a ReversedBidirectional, which takes the lengths too.
    """
    if how == "packed":
        inputs = pack_padded_sequence(batch.x, batch.lengths, batch_first=True,
                                      enforce_sorted=batch.longest_first)
        return model(inputs)[0].data
    if how == "reversed":
        return model(batch.x, batch.lengths)
    return model(batch.x)[0]


def run_epoch(model: nn.Module, batches: Sequence[Batch], how: str,
              backward: bool, device: str) -> None:
    """One pass over the dataset; with `backward`, the loss sums real-step outputs."""
    if backward:
        model.zero_grad(set_to_none=True)
        for batch in batches:
            out = forward(model, batch, how)
            loss = out.sum() if how == "packed" else (out * batch.mask).sum()
            loss.backward()
    else:
        with torch.no_grad():
            for batch in batches:
                forward(model, batch, how)
    if device.startswith("cuda"):
        torch.cuda.synchronize()  # the Timer synchronises too; be explicit


def fingerprint(model: nn.Module, batches: Sequence[Batch], how: str,
                n_sequences: int) -> torch.Tensor:
    """Per-sequence sums of the outputs over real steps, (N, D*H), in dataset order."""
    result = None
    with torch.no_grad():
        for batch in batches:
            if how == "packed":
                inputs = pack_padded_sequence(batch.x, batch.lengths, batch_first=True,
                                              enforce_sorted=batch.longest_first)
                out, _ = pad_packed_sequence(model(inputs)[0], batch_first=True,
                                             total_length=batch.x.shape[1])
            else:
                out = forward(model, batch, how)
            sums = (out * batch.mask).sum(dim=1).cpu()
            if result is None:
                result = torch.zeros(n_sequences, sums.shape[1])
            result[batch.index] = sums
    return result


def try_nested(model: nn.RNNBase, sequences: Sequence[torch.Tensor], device: str
               ) -> str | None:
    """Feed a jagged torch.nested tensor to the layer; return the error, or None."""
    nt = torch.nested.nested_tensor([s.to(device) for s in sequences[:4]],
                                    layout=torch.jagged)
    try:
        with torch.no_grad():
            model(nt)
    except Exception as err:  # noqa: BLE001 - we record whatever torch raises
        return f"{type(err).__name__}: {str(err).splitlines()[0]}"
    return None


# --- the recommendation rule -------------------------------------------------------


def reversal_beats_packing(layer: str, device: str, mode: str) -> bool:
    """Whether a bidirectional layer's padded batches, reversed within lengths for the
    backward direction, should run faster than the same batches packed.

    On a CPU: always for an LSTM, whose padded run is one oneDNN call per direction
    and whose packed run is a loop over the steps (chapter 6 shows the autograd
    graphs); in training for any layer, because the packed loop cuts its inputs at
    every step, and its hidden state each time the batch shrinks, and the backward
    pass turns each cut into a zero-filled gradient the size of the whole tensor,
    added back; the padded loop splits its inputs with one `unbind`. A GRU's or
    plain RNN's forward pass loops over the steps either way, and there the
    reversal's extra calls and copies cost more than packing. On a GPU, cuDNN runs
    padded and packed batches alike, and the reversal would split one bidirectional
    call into two: pack. The reasoning came first; a pilot run on this machine agreed
    with it, and the stored run checks it (`fastest_correct`).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return device.split(":")[0] == "cpu" and (layer == "LSTM"
                                              or mode == "forward_backward")


def recommend(correct: dict[str, bool], layer: str = "", device: str = "cpu",
              mode: str = "forward") -> str:
    """The chapter's recipe: bucket by length; if padding gives wrong outputs, pack,
    or reverse within lengths where that beats packing.

    `correct` maps each timed variant to whether its outputs on real steps matched the
    packed reference. Unidirectional layers give right outputs on real steps with
    padding (take the last state with a gather at lengths - 1), so the recipe is
    "bucketed". A bidirectional layer's backward direction starts on the pads, so
    padded outputs are wrong: the recipe keeps the padded batches and reverses them
    within their lengths for the backward direction ("bucketed_reversed") where
    `reversal_beats_packing` (on a CPU, an LSTM, or any layer in training), if that run
    was correct, and packs ("bucketed_packed") otherwise. It never reads a timing.
    """
    if correct.get("bucketed", False):
        return "bucketed"
    if reversal_beats_packing(layer, device, mode) and correct.get("bucketed_reversed",
                                                                   False):
        return "bucketed_reversed"
    return "bucketed_packed"


# --- timing ---------------------------------------------------------------------


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


# --- one setting: every mode and variant ---------------------------------------------


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
