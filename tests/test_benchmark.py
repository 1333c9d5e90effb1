"""The packing benchmark's core on tiny settings: columns, work counts, ideal_speedup,
correctness flags and the recommendation rule. No timing is asserted.

Work counts and ideal speedups are checked against values counted by hand or from the
lengths alone (sorted and cut into batches here), never with the benchmark's own formula.
"""

from __future__ import annotations

import copy
import csv
import json
import math
import pathlib
import re
import sys
import warnings
from collections import defaultdict

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import packbench  # noqa: E402
import run as bench_run  # noqa: E402

from packviz import recipe  # noqa: E402

STORED = ROOT / "packviz" / "data" / "benchmarks" / "full.csv"


def tiny(layer: str = "LSTM", bidirectional: bool = False,
         distribution: str = "skewed") -> packbench.Setting:
    return packbench.Setting(layer=layer, bidirectional=bidirectional,
                             distribution=distribution, size="tiny", batch_size=4,
                             hidden_size=3, n_sequences=16, max_length=12)


def run_tiny(setting: packbench.Setting) -> list[dict[str, str]]:
    return packbench.run_setting(setting, budget_s=0.0, min_repeats=2)


@pytest.fixture(scope="module")
def lstm_rows() -> dict[bool, list[dict[str, str]]]:
    return {bi: run_tiny(tiny(bidirectional=bi, distribution="uniform"))
            for bi in (False, True)}


def test_work_counts_for_the_eight_lengths_of_the_sources():
    lengths = [4, 6, 8, 5, 4, 3, 7, 8]  # 45 real steps of 64
    batches = [[0, 1, 4, 5], [2, 3, 6, 7]]  # batch maxima 6 and 8
    assert packbench.work("padded_global", lengths, batches) == packbench.Work(64, 16, 2)
    assert packbench.work("padded_batch", lengths, batches) == packbench.Work(56, 14, 2)
    assert packbench.work("packed", lengths, batches) == packbench.Work(45, 14, 2)
    base = packbench.work("padded_global", lengths, batches)
    packed = packbench.work("packed", lengths, batches)
    assert packbench.ideal_speedup(base, packed) == 64 / 45
    assert packbench.step_speedup(base, packed) == 16 / 14
    # sorted longest first and cut in fours: [8, 8, 7, 6] and [5, 4, 4, 3]
    grouped = [[2, 7, 6, 1], [3, 0, 4, 5]]
    assert packbench.work("bucketed", lengths, grouped) == packbench.Work(52, 13, 2)
    assert packbench.work("bucketed_packed", lengths, grouped) == packbench.Work(45, 13, 2)
    bucketed = packbench.work("bucketed", lengths, grouped)
    assert packbench.ideal_speedup(base, bucketed) == pytest.approx(1.2308, abs=1e-4)


def expected_tokens(lengths: list[int], batch_size: int) -> dict[str, int]:
    """Cell updates per variant, counted from the lengths alone (full batches)."""
    ordered = sorted(lengths, reverse=True)
    chunks = [ordered[i:i + batch_size] for i in range(0, len(ordered), batch_size)]
    return {"padded_global": len(lengths) * max(lengths), "packed": sum(lengths),
            "bucketed": sum(len(c) * c[0] for c in chunks),
            "bucketed_packed": sum(lengths), "nested": sum(lengths)}


def test_ideal_speedups_match_counts_from_the_lengths_alone(lstm_rows):
    lengths = packbench.make_lengths("uniform", 16, 12)
    tokens = expected_tokens(lengths, 4)
    for row in lstm_rows[False] + lstm_rows[True]:
        assert int(row["tokens_real"]) == sum(lengths)
        assert int(row["tokens_global"]) == tokens["padded_global"]
        variant = row["variant"]
        want = tokens.get(variant, tokens["bucketed"] if "bucketed" in variant else None)
        if variant == "padded_batch":  # shuffled: between the real and the global count
            assert sum(lengths) <= int(row["tokens_computed"]) <= tokens["padded_global"]
            continue
        assert int(row["tokens_computed"]) == want, variant
        ideal = tokens["padded_global"] / want
        assert float(row["ideal_speedup"]) == pytest.approx(ideal, rel=1e-3)
    baseline = [r for r in lstm_rows[False] if r["variant"] == "padded_global"]
    assert all(r["ideal_speedup"] == r["measured_speedup"] == "1" for r in baseline)


def test_bucketed_work_uses_the_samplers_batches():
    lengths = packbench.make_lengths("skewed", 64, 32)
    batches = packbench.batches_for("bucketed", lengths, 8)
    assert sorted(i for b in batches for i in b) == list(range(64))
    assert [len(b) for b in batches] == [8] * 8  # full batches
    # one pool holds the whole dataset: the batches are runs of the sorted lengths
    ranges = sorted((min(lengths[i] for i in b), max(lengths[i] for i in b))
                    for b in batches)
    assert all(high <= low for (_, high), (low, _) in zip(ranges, ranges[1:]))
    shuffled = packbench.batches_for("padded_batch", lengths, 8)
    assert (packbench.work("bucketed", lengths, batches).steps
            < packbench.work("padded_batch", lengths, shuffled).steps)
    w = packbench.work("bucketed", lengths, batches)
    assert w.tokens == sum(len(b) * max(lengths[i] for i in b) for b in batches)
    assert w.steps == sum(max(lengths[i] for i in b) for b in batches)


def test_rows_have_the_columns_one_per_variant_and_mode(lstm_rows):
    rows = lstm_rows[False]
    assert all(tuple(r) == packbench.COLUMNS for r in rows)
    for required in ("variant", "ideal_speedup", "measured_speedup", "recommended"):
        assert required in packbench.COLUMNS
    pairs = [(r["mode"], r["variant"]) for r in rows]
    assert pairs == [(m, v) for m in packbench.MODES for v in packbench.VARIANTS]


def test_measured_speedup_and_fraction_of_ideal_are_consistent(lstm_rows):
    for row in lstm_rows[False]:
        if row["status"] != "ok":
            continue
        assert float(row["median_ms"]) > 0 and float(row["iqr_ms"]) >= 0
        assert int(row["repeats"]) >= 2
        fraction = float(row["measured_speedup"]) / float(row["ideal_speedup"])
        assert float(row["fraction_of_ideal"]) == pytest.approx(fraction, rel=2e-3)


def test_nested_rows_record_why_nested_tensors_do_not_apply(lstm_rows):
    nested = [r for r in lstm_rows[False] if r["variant"] == "nested"]
    assert len(nested) == len(packbench.MODES)
    for row in nested:
        assert row["status"] == "not_applicable"
        assert "nested" in row["note"] and "Error" in row["note"]
        assert row["measured_speedup"] == "" and row["recommended"] == "False"


def test_padding_is_wrong_only_for_bidirectional_layers(lstm_rows):
    for bi, rows in lstm_rows.items():
        correct = {r["variant"]: r["correct"] == "True" for r in rows
                   if r["status"] == "ok"}
        assert correct["packed"] and correct["bucketed_packed"]
        for v in ("padded_global", "padded_batch", "bucketed"):
            assert correct[v] is (not bi), (bi, v)
        if bi:  # reversing within lengths makes the padded batches right again
            assert correct["bucketed_reversed"]
        else:
            assert "bucketed_reversed" not in correct


def test_reversed_rows_are_timed_for_bidirectional_layers_only(lstm_rows):
    for bi, rows in lstm_rows.items():
        reversed_rows = [r for r in rows if r["variant"] == "bucketed_reversed"]
        assert len(reversed_rows) == len(packbench.MODES)
        for row in reversed_rows:
            assert row["status"] == ("ok" if bi else "not_applicable")
            assert row["tokens_computed"] == next(
                r["tokens_computed"] for r in rows if r["variant"] == "bucketed")
            if not bi:
                assert "nothing to reverse" in row["note"]


def test_recommendation_rule_buckets_and_packs_only_when_needed(lstm_rows):
    right_when_reversed = {"bucketed": False, "bucketed_reversed": True}
    rule = packbench.recommend
    assert rule({"bucketed": True}, "GRU") == "bucketed"
    assert rule({"bucketed": True}, "LSTM", "cpu", "forward_backward") == "bucketed"
    # a GRU or RNN forward pass loops over the steps either way: pack
    assert rule(right_when_reversed, "GRU") == "bucketed_packed"
    assert rule(right_when_reversed, "RNN", "cpu", "forward") == "bucketed_packed"
    # in training on a CPU, the packed loop's backward pass costs more: reverse
    assert rule(right_when_reversed, "GRU", "cpu", "forward_backward") == (
        "bucketed_reversed")
    assert rule(right_when_reversed, "RNN", "cpu", "forward_backward") == (
        "bucketed_reversed")
    # an LSTM on a CPU keeps its fused padded kernel: reverse in both modes
    for mode in packbench.MODES:
        assert rule(right_when_reversed, "LSTM", "cpu", mode) == "bucketed_reversed"
        # cuDNN runs packed batches natively
        assert rule(right_when_reversed, "LSTM", "cuda:0", mode) == "bucketed_packed"
        assert rule(right_when_reversed, "GRU", "cuda", mode) == "bucketed_packed"
    # never a scheme whose outputs were wrong
    assert rule({"bucketed": False, "bucketed_reversed": False},
                "LSTM", "cpu", "forward_backward") == "bucketed_packed"
    with pytest.raises(ValueError, match="mode must be one of"):
        rule(right_when_reversed, "GRU", "cpu", "training")
    for bi, rows in lstm_rows.items():
        for mode in packbench.MODES:
            chosen = [r["variant"] for r in rows
                      if r["mode"] == mode and r["recommended"] == "True"]
            assert chosen == (["bucketed_reversed"] if bi else ["bucketed"])


def test_bucketed_packing_needs_no_sort_and_matches_shuffled_packing():
    setting = tiny("LSTM", bidirectional=True)
    lengths = packbench.make_lengths("uniform", 12, 7)
    sequences = packbench.make_sequences(lengths, setting.input_size)
    model = packbench.make_model(setting)
    prints = {}
    for variant in ("packed", "bucketed_packed", "bucketed_reversed"):
        batches = packbench.make_batches(
            variant, sequences, packbench.batches_for(variant, lengths, 4), "cpu")
        assert all(b.longest_first for b in batches) is (variant != "packed")
        runner = packbench.runner_for(model, packbench.how_for(variant))
        prints[variant] = packbench.fingerprint(runner, batches,
                                                packbench.how_for(variant), 12)
    assert torch.allclose(prints["bucketed_packed"], prints["packed"], atol=1e-5)
    assert torch.allclose(prints["bucketed_reversed"], prints["packed"], atol=1e-5)
    with pytest.raises(ValueError, match="how must be one of"):
        packbench.runner_for(model, "sideways")


def test_fingerprint_of_a_packed_run_matches_running_each_sequence_alone():
    setting = tiny("GRU", bidirectional=True)
    lengths = packbench.make_lengths("uniform", 10, 7)
    sequences = packbench.make_sequences(lengths, setting.input_size)
    model = packbench.make_model(setting)
    batches = packbench.make_batches("packed", sequences,
                                     packbench.random_batches(10, 4), "cpu")
    got = packbench.fingerprint(model, batches, "packed", 10)
    with torch.no_grad():
        alone = torch.stack([model(s.unsqueeze(0))[0][0].sum(0) for s in sequences])
    assert torch.allclose(got, alone, atol=1e-5)


def test_packed_forward_returns_only_real_steps():
    setting = tiny("RNN")
    lengths = [5, 2, 3]
    sequences = packbench.make_sequences(lengths, setting.input_size)
    (batch,) = packbench.make_batches("packed", sequences, [[0, 1, 2]], "cpu")
    out = packbench.forward(packbench.make_model(setting), batch, "packed")
    assert out.shape == (sum(lengths), setting.hidden_size)
    packed = pack_padded_sequence(batch.x, batch.lengths, batch_first=True,
                                  enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 3, 2, 1, 1]


@pytest.mark.parametrize("distribution", packbench.DISTRIBUTIONS)
def test_lengths_are_reproducible_and_in_range(distribution):
    a = packbench.make_lengths(distribution, 300, 50, seed=1)
    assert a == packbench.make_lengths(distribution, 300, 50, seed=1)
    assert a != packbench.make_lengths(distribution, 300, 50, seed=2)
    assert min(a) >= 1 and max(a) <= 50


def test_skewed_lengths_have_a_long_tail():
    lengths = sorted(packbench.make_lengths("skewed", 1000, 200))
    median, mean = lengths[500], sum(lengths) / 1000
    assert median < 0.2 * 200 and mean > median  # most are short, a few very long
    assert lengths[-1] > 5 * median


def test_command_line_writes_csv_and_metadata(tmp_path, monkeypatch):
    grid = dict(bench_run.GRIDS["quick"], layers=("RNN",), bidirectional=(True,),
                distributions=("uniform",), batches=2, max_length=6,
                budget_s=0.0, min_repeats=2)
    monkeypatch.setitem(bench_run.GRIDS, "quick", grid)
    monkeypatch.setitem(bench_run.SIZES, "small", (4, 3))
    assert bench_run.main(["--quick", "--device", "cpu", "--out", str(tmp_path)]) == 0
    rows = list(csv.DictReader((tmp_path / "quick.csv").open()))
    assert len(rows) == len(packbench.MODES) * len(packbench.VARIANTS)
    assert {r["n_sequences"] for r in rows} == {"8"}  # 2 batches of 4
    meta = json.loads((tmp_path / "quick.json").read_text())
    for key in ("machine", "torch", "date", "threads", "loadavg_start", "cuda"):
        assert key in meta
    assert meta["torch"] == torch.__version__ == rows[0]["torch"]
    if not torch.cuda.is_available():
        assert "skipping" in meta["cuda"]


def test_command_line_takes_rounds_and_repeats(tmp_path, monkeypatch, capsys):
    grid = dict(bench_run.GRIDS["quick"], layers=("RNN",), bidirectional=(False,),
                distributions=("uniform",), batches=2, max_length=6, budget_s=0.0)
    monkeypatch.setitem(bench_run.GRIDS, "quick", grid)
    monkeypatch.setitem(bench_run.SIZES, "small", (4, 3))
    argv = ["--quick", "--device", "cpu", "--out", str(tmp_path), "--rounds", "3",
            "--min-repeats", "7"]
    assert bench_run.main(argv) == 0
    rows = [r for r in csv.DictReader((tmp_path / "quick.csv").open())
            if r["status"] == "ok"]
    assert rows and all(int(r["repeats"]) >= 7 for r in rows)
    meta = json.loads((tmp_path / "quick.json").read_text())
    assert (meta["grid"]["rounds"], meta["grid"]["min_repeats"]) == (3, 7)
    with pytest.raises(SystemExit):
        bench_run.main(["--quick", "--rounds", "0"])
    assert "--rounds must be at least 1" in capsys.readouterr().err


def test_command_line_sweeps_batch_and_hidden_size_one_at_a_time(tmp_path, monkeypatch,
                                                                  capsys):
    sizes = {"B4_H3": (4, 3), "B2_H3": (2, 3), "B4_H5": (4, 5)}
    grid = dict(bench_run.GRIDS["sweep"], layers=("LSTM",), bidirectional=(False,),
                sizes=tuple(sizes), batches=2, max_length=6, budget_s=0.0,
                min_repeats=2)
    monkeypatch.setitem(bench_run.GRIDS, "sweep", grid)
    monkeypatch.setattr(bench_run, "SWEEP_SIZES", sizes)
    assert bench_run.main(["--sweep", "--device", "cpu", "--out", str(tmp_path)]) == 0
    rows = list(csv.DictReader((tmp_path / "sweep.csv").open()))
    assert {(r["size"], int(r["batch_size"]), int(r["hidden_size"])) for r in rows} == {
        (name, b, h) for name, (b, h) in sizes.items()}
    assert {r["distribution"] for r in rows} == {"skewed"}
    meta = json.loads((tmp_path / "sweep.json").read_text())
    assert meta["layer"] == {"dtype": "float32", "num_layers": 1, "proj_size": 0,
                             "batch_first": True}
    assert meta["sizes"]["B2_H3"] == {"batch_size": 2, "hidden_size": 3,
                                      "input_size": 3, "n_sequences": 4}
    with pytest.raises(SystemExit):
        bench_run.main(["--sweep", "--sizes", "huge"])
    assert "size must be one of" in capsys.readouterr().err


def test_the_stored_sweep_varies_one_of_batch_and_hidden_size_at_a_time():
    meta = recipe.stored_metadata("sweep")
    pairs = {(v["batch_size"], v["hidden_size"]) for v in meta["sizes"].values()}
    assert pairs == {(16, 128), (32, 128), (64, 128), (64, 64), (64, 96)}
    assert meta["layer"]["dtype"] == "float32" and meta["layer"]["proj_size"] == 0
    assert meta["threads"] == 1 and meta["clock"].startswith("time.process_time")
    rows = recipe.stored_results("sweep")
    assert {(r["batch_size"], r["hidden_size"]) for r in rows} == pairs
    assert {r["distribution"] for r in rows} == {"skewed"}


def test_the_benchmark_lstm_takes_one_fused_onednn_call_per_direction():
    # The case the chapters' oneDNN sentences are about: float32, one layer, no
    # projection. float64 and proj_size take torch's own loop.
    calls = []

    class Fused(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            calls.append(func.overloadpacket is torch.ops.aten.mkldnn_rnn_layer)
            return func(*args, **(kwargs or {}))

    onednn = torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled
    for bi in (False, True):
        layer = packbench.make_model(tiny("LSTM", bidirectional=bi))
        assert next(layer.parameters()).dtype == torch.float32
        assert (layer.num_layers, layer.proj_size) == (1, 0)
        x = torch.randn(4, 6, layer.input_size)
        for model, inputs, fused in ((layer, x, 2 if bi else 1),
                                     (copy.deepcopy(layer).double(), x.double(), 0)):
            calls.clear()
            with Fused():
                model(inputs)
            assert sum(calls) == (fused if onednn else 0), (bi, inputs.dtype)
    calls.clear()
    # torch warns that oneDNN cannot run projections, once per process (TORCH_WARN_ONCE):
    # another test may have seen it first, so it is not asserted here.
    with Fused(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nn.LSTM(3, 4, batch_first=True, proj_size=2)(torch.randn(2, 5, 3))
    assert sum(calls) == 0


def _quoted_limits() -> dict[tuple[str, bool], int]:
    """{(kind, forward): largest hidden size}, read from the quoted get_algo lines."""
    text = recipe.GET_ALGO_LINES
    forward, backward = text.split("} else /* backward */ {")
    limits = {}
    for part, is_forward in ((forward, True), (backward, False)):
        plain, gated = (int(n) for n in re.findall(r"hidden_size <= (\d+)", part))
        limits[("plain", is_forward)], limits[("gated", is_forward)] = plain, gated
    return limits


def test_cudnn_algorithm_follows_the_quoted_get_algo_lines():
    text = recipe.GET_ALGO_LINES
    limits = _quoted_limits()
    assert limits == {("plain", True): 384, ("gated", True): 192,
                      ("plain", False): 256, ("gated", False): 128}
    major = int(re.search(r"prop->major < (\d+)", text).group(1))
    order = [text.index(s) for s in ("proj_size != 0", "is_input_packed()",
                                     "CUDNN_DATA_DOUBLE", "PERSIST_STATIC_SMALL_H",
                                     "CUDNN_DATA_HALF", "ALGO_PERSIST_STATIC;")]
    assert order == sorted(order)  # the branches in the order get_algo takes them
    algo = recipe.cudnn_algorithm
    for mode in recipe.CUDNN_MODES:
        kind = "gated" if mode in ("LSTM", "GRU") else "plain"
        for forward in (True, False):
            limit = limits[(kind, forward)]
            for dtype in ("float16", "bfloat16", "float32"):
                half = dict(input_size=limit, batch_size=6, seq_length=5)  # no STATIC
                assert algo(mode, limit, packed=False, dtype=dtype, forward=forward,
                            **half) == "PERSIST_STATIC_SMALL_H", (mode, forward, dtype)
                assert algo(mode, limit + 1, packed=False, dtype=dtype,
                            forward=forward, **half) == "STANDARD"
                assert algo(mode, limit, packed=False, dtype=dtype, forward=forward,
                            capability=(major - 1, 0), **half) == "STANDARD"
            for h in (1, limit, limit + 1, 4096):  # packed, float64, projections
                for dtype in recipe.CUDNN_DTYPES:
                    assert algo(mode, h, packed=True, dtype=dtype,
                                forward=forward) == "STANDARD"
                assert algo(mode, h, packed=False, dtype="float64",
                            forward=forward) == "STANDARD"
        assert algo(mode, 64, packed=False, proj_size=32) == "STANDARD"
    # the older source's guard: cuDNN 8.2.1 or newer
    assert algo("LSTM", 128, packed=False, cudnn_version=(8, 2, 0)) == "STANDARD"
    assert algo("LSTM", 128, packed=False, cudnn_version=(8, 2, 1)) == (
        "PERSIST_STATIC_SMALL_H")


def test_half_precision_may_get_persist_static_through_the_device_heuristics():
    algo = recipe.cudnn_algorithm
    big = dict(packed=False, dtype="float16", input_size=512, batch_size=64,
               seq_length=48)
    assert algo("LSTM", 512, capability=(7, 0), **big) == "PERSIST_STATIC"  # a V100
    assert algo("LSTM", 512, capability=(7, 5), **big) == "STANDARD"  # Turing: never
    assert algo("LSTM", 512, capability=(8, 0), multiprocessors=108, **big) == (
        "PERSIST_STATIC")  # an A100
    assert algo("LSTM", 512, capability=(8, 6), multiprocessors=112, **big) == (
        "STANDARD")  # sm_86 excluded
    assert algo("GRU", 512, capability=(8, 0), multiprocessors=108, **big) == "STANDARD"
    for dtype in ("bfloat16", "float32"):  # CUDNN_DATA_HALF only
        assert algo("LSTM", 512, capability=(7, 0), **dict(big, dtype=dtype)) == (
            "STANDARD")
    assert algo("LSTM", 500, capability=(7, 0), **big) == "STANDARD"  # H % 128 != 0
    assert algo("LSTM", 512, capability=(7, 0), bidirectional=True, **big) == "STANDARD"
    assert algo("LSTM", 512, capability=(7, 0), **dict(big, packed=True)) == "STANDARD"
    with pytest.raises(ValueError, match="float16 needs"):
        algo("LSTM", 512, packed=False, dtype="float16")


def test_cudnn_algorithm_reads_the_layer_as_torch_hands_it_to_cudnn():
    # On a CPU, torch's Python side shows what get_algo would see: the layer's mode
    # picks the _VF function, and batch_sizes is passed exactly for a PackedSequence
    # (the C++ side's "is_input_packed"); get_algo's other inputs are the layer's.
    seen = []

    class VFCalls(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if getattr(func, "__name__", "") in ("lstm", "gru", "rnn_tanh", "rnn_relu"):
                seen.append((func.__name__, not isinstance(args[2], list)))
            return func(*args, **(kwargs or {}))

    layers = [nn.LSTM(3, 8, batch_first=True), nn.GRU(3, 8, batch_first=True),
              nn.RNN(3, 8, batch_first=True),
              nn.RNN(3, 8, nonlinearity="relu", batch_first=True)]
    x = torch.randn(4, 5, 3)
    for layer in layers:
        assert layer.mode in recipe.CUDNN_MODES
        for inputs in (x, pack_padded_sequence(x, [5, 4, 2, 1], batch_first=True)):
            seen.clear()
            with VFCalls():
                layer(inputs)
            packed = not isinstance(inputs, torch.Tensor)
            assert seen == [(layer.mode.lower(), packed)], (layer.mode, seen)
            want = "STANDARD" if packed else "PERSIST_STATIC_SMALL_H"
            assert recipe.cudnn_algorithm_for(layer, inputs) == want
            assert recipe.cudnn_algorithm_for(layer, inputs, forward=False) == want
    lstm = nn.LSTM(3, 8).double()
    assert recipe.cudnn_algorithm_for(lstm, x.double()) == "STANDARD"
    projected = nn.LSTM(3, 8, proj_size=2)
    assert recipe.cudnn_algorithm_for(projected, x) == "STANDARD"
    with pytest.raises(ValueError, match="nn.RNN, nn.GRU or nn.LSTM"):
        recipe.cudnn_algorithm_for(nn.Linear(3, 8), x)
    with pytest.raises(ValueError, match="batched"):
        recipe.cudnn_algorithm_for(lstm, x[0])
    with pytest.raises(ValueError, match="mode must be one of"):
        recipe.cudnn_algorithm("Transformer", 8, packed=False)
    with pytest.raises(ValueError, match="dtype must be one of"):
        recipe.cudnn_algorithm("LSTM", 8, packed=False, dtype="int8")


RECHECK = STORED.parent / "recheck" / "full.csv"
SWEEP = STORED.parent / "sweep" / "sweep.csv"


@pytest.mark.parametrize("stored", [STORED, RECHECK, SWEEP],
                         ids=["full", "recheck", "sweep"])
def test_stored_results_are_complete_and_follow_the_formulas(stored):
    if not stored.exists():
        pytest.skip(f"no stored results at {stored}")
    rows = list(csv.DictReader(stored.open()))
    assert tuple(rows[0]) == packbench.COLUMNS
    assert stored.stat().st_size < 1_000_000
    meta = json.loads(stored.with_suffix(".json").read_text())
    assert meta["rows"] == len(rows) and meta["torch"] == rows[0]["torch"]
    groups = defaultdict(list)
    counted = {}
    for row in rows:
        key = tuple(row[c] for c in ("device", "layer", "bidirectional", "distribution",
                                     "size", "mode"))
        groups[key].append(row)
        data = (row["distribution"], int(row["n_sequences"]), int(row["max_length"]))
        if data not in counted:
            lengths = packbench.make_lengths(*data)
            counted[data] = (sum(lengths), expected_tokens(lengths,
                                                           int(row["batch_size"])))
        real, tokens = counted[data]
        assert int(row["tokens_real"]) == real
        assert int(row["tokens_global"]) == tokens["padded_global"]
        want = tokens.get(row["variant"])
        if row["variant"] == "bucketed_reversed":
            want = tokens["bucketed"]
        if want is not None:  # padded_batch depends on the shuffle
            ideal = tokens["padded_global"] / want
            assert math.isclose(float(row["ideal_speedup"]), ideal, rel_tol=1e-3)
    for key, group in groups.items():
        assert [r["variant"] for r in group] == list(packbench.VARIANTS), key
        chosen = [r for r in group if r["recommended"] == "True"]
        assert len(chosen) == 1
        correct = {r["variant"]: r["correct"] == "True" for r in group
                   if r["status"] == "ok"}
        assert chosen[0]["variant"] == recipe.recommend(correct, key[1], key[0], key[5])


def test_stored_results_ship_with_packviz():
    rows = recipe.stored_results()
    assert len(rows) == len(list(csv.DictReader(STORED.open())))
    assert isinstance(rows[0]["ideal_speedup"], float)
    assert isinstance(rows[0]["steps"], int)
    assert recipe.stored_metadata("recheck")["torch"] == recipe.stored_results(
        "recheck")[0]["torch"]
    with pytest.raises(ValueError, match="run must be one of"):
        recipe.stored_results("latest")


def test_the_rule_exists_once():
    assert packbench.recommend is recipe.recommend
    assert packbench.MODES is recipe.MODES
    sources = [p for p in (ROOT / "benchmarks").rglob("*.py")
               if "def recommend(" in p.read_text()]
    assert sources == []
