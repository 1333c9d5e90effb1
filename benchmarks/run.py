"""Does packing pay? Time padded, packed and bucketed RNN batches over whole datasets.

    python benchmarks/run.py --quick   # about a minute; writes benchmarks/scratch/
    python benchmarks/run.py --full    # about 40 minutes; writes packviz/data/benchmarks/
    python benchmarks/run.py --sweep   # about 20 minutes; B and H varied one at a time,
                                       # writes packviz/data/benchmarks/sweep/

Each variant processes the same dataset (every sequence once, in batches); the time
of that epoch is measured with torch.utils.benchmark, interleaved across variants,
and stored as one CSV row per measurement plus a JSON file with the machine, torch
version, date, thread count and load averages. See benchmarks/README.md.

The stored full run ships as package data of packviz (packviz/data/benchmarks/), so the
chapter reads it with packviz.recipe.stored_results wherever packviz is installed.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import itertools
import json
import os
import pathlib
import platform
import sys
import time

import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import packbench  # noqa: E402  (the package next to this file)

SIZES = {"small": (16, 64), "medium": (32, 96), "large": (64, 128)}  # name: (B, H)
# The sweep varies one of B and H at a time (the full grid grows them together):
# B in 16, 32, 64 at H = 128, and H in 64, 96, 128 at B = 64.
SWEEP_SIZES = {"B16_H128": (16, 128), "B32_H128": (32, 128), "B64_H128": (64, 128),
               "B64_H64": (64, 64), "B64_H96": (64, 96)}


def size_of(name: str) -> tuple[int, int]:
    """(B, H) of a named size of the full grid or of the sweep."""
    sizes = {**SIZES, **SWEEP_SIZES}
    if name not in sizes:
        raise ValueError(f"size must be one of {tuple(sizes)}, got {name!r}")
    return sizes[name]


GRIDS = {
    "full": dict(
        layers=("RNN", "GRU", "LSTM"), bidirectional=(False, True),
        distributions=packbench.DISTRIBUTIONS, sizes=("small", "medium", "large"),
        batches=32, max_length=48, budget_s=0.2, min_repeats=6, rounds=2,
        out=HERE.parent / "packviz" / "data" / "benchmarks", name="full",
    ),
    "quick": dict(
        layers=("GRU", "LSTM"), bidirectional=(False, True),
        distributions=packbench.DISTRIBUTIONS, sizes=("small",),
        batches=8, max_length=48, budget_s=0.05, min_repeats=3, rounds=2,
        out=HERE / "scratch", name="quick",
    ),
    "sweep": dict(
        layers=("RNN", "GRU", "LSTM"), bidirectional=(False, True),
        distributions=("skewed",), sizes=tuple(SWEEP_SIZES),
        batches=32, max_length=48, budget_s=0.2, min_repeats=6, rounds=2,
        out=HERE.parent / "packviz" / "data" / "benchmarks" / "sweep", name="sweep",
    ),
}


def machine() -> str:
    """CPU model and core count, e.g. 'AMD EPYC, 2 cores'."""
    model = platform.processor() or platform.machine()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def devices(requested: str) -> tuple[list[str], str]:
    """The devices to run and a sentence on CUDA for the log and the metadata."""
    have_cuda = torch.cuda.is_available()
    if have_cuda:
        note = (f"CUDA: {torch.cuda.get_device_name(0)}, cuDNN "
                f"{torch.backends.cudnn.version()} (enabled: "
                f"{torch.backends.cudnn.enabled})")
    else:
        note = ("CUDA: no GPU found (torch.cuda.is_available() is False): "
                "skipping the CUDA (cuDNN) runs")
    if requested == "cpu":
        return ["cpu"], note
    if requested == "cuda" and not have_cuda:
        sys.exit(note)
    if requested == "cuda":
        return ["cuda"], note
    return (["cpu", "cuda"] if have_cuda else ["cpu"]), note


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the grid, write CSV and JSON; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--full", action="store_true", help="the stored full run")
    which.add_argument("--quick", action="store_true", help="a small run (< 2 min)")
    which.add_argument("--sweep", action="store_true",
                       help="long-tailed lengths, B and H varied one at a time")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads, fixed for every measurement (default 1)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="cpu: process CPU time, robust on a shared machine "
                             "(default); wall: wall clock. GPU runs always use wall")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="auto: the CPU, plus CUDA when a GPU is present")
    parser.add_argument("--out", type=pathlib.Path, help="folder for the CSV and JSON")
    parser.add_argument("--layers", nargs="+", help="restrict to these layers")
    parser.add_argument("--distributions", nargs="+", help="restrict distributions")
    parser.add_argument("--sizes", nargs="+", help="restrict sizes")
    parser.add_argument("--rounds", type=int,
                        help="interleaved timing rounds per setting (full: 2); more "
                             "rounds and repeats make the medians steadier between runs")
    parser.add_argument("--min-repeats", type=int,
                        help="timed calls per variant at least (full: 6, quick: 3)")
    args = parser.parse_args(argv)

    grid = dict(GRIDS["full" if args.full else "sweep" if args.sweep else "quick"])
    for key in ("layers", "distributions", "sizes"):
        if getattr(args, key):
            grid[key] = tuple(getattr(args, key))
    for size in grid["sizes"]:
        try:
            size_of(size)
        except ValueError as err:
            parser.error(str(err))
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    for key, least in (("rounds", 1), ("min_repeats", 1)):
        value = getattr(args, key)
        if value is not None:
            if value < least:
                parser.error(f"--{key.replace('_', '-')} must be at least {least}")
            grid[key] = value
    out_dir = args.out or grid["out"]
    run_devices, cuda_note = devices(args.device)
    print(cuda_note, file=sys.stderr)

    settings = [
        packbench.Setting(layer=layer, bidirectional=bi, distribution=dist, size=size,
                          batch_size=size_of(size)[0], hidden_size=size_of(size)[1],
                          n_sequences=grid["batches"] * size_of(size)[0],
                          max_length=grid["max_length"], device=device)
        for device, size, layer, bi, dist in itertools.product(
            run_devices, grid["sizes"], grid["layers"], grid["bidirectional"],
            grid["distributions"])
    ]
    started = datetime.datetime.now(datetime.UTC)
    load_start = os.getloadavg()
    common = {"date": started.date().isoformat(), "machine": machine(),
              "torch": torch.__version__}
    costs = {s: packbench.estimated_cost(s, packbench.MODES) for s in settings}
    progress = packbench.Progress(sum(costs.values()), sys.stderr)
    rows, loads = [], [load_start[0]]
    t0 = time.perf_counter()
    # Warm up the process (thread pools, allocator, oneDNN caches, CPU clock) on the
    # first setting and throw the result away: the first measurements of a fresh
    # process are slower.
    packbench.run_setting(settings[0], modes=("forward",), threads=args.threads,
                          budget_s=0.5, min_repeats=3, clock=args.clock)
    for s in settings:
        def done(mode: str, s: packbench.Setting = s) -> None:
            share = 1 / 4 if mode == "forward" else 3 / 4
            loads.append(os.getloadavg()[0])
            progress.update(costs[s] * share,
                            f"{s.device} {s.layer} {'bi' if s.bidirectional else 'uni'} "
                            f"{s.distribution} {s.size} {mode}")
        rows += packbench.run_setting(
            s, threads=args.threads, budget_s=grid["budget_s"],
            min_repeats=grid["min_repeats"], rounds=grid["rounds"], clock=args.clock,
            common=common, on_mode=done)
    wall = time.perf_counter() - t0
    layer = packbench.make_model(settings[0])  # what every setting runs, as recorded
    dtype = str(next(layer.parameters()).dtype).removeprefix("torch.")

    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"{grid['name']}.csv"
    with csv_path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=packbench.COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    meta = {
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(), "platform": platform.platform(),
        "python": platform.python_version(), "torch": torch.__version__,
        "threads": args.threads, "cpu_count": os.cpu_count(),
        "clock": {"cpu": "time.process_time (CPU time of this process)",
                  "wall": "wall clock"}[args.clock] + " on the CPU; wall clock "
                 "with synchronisation on a GPU",
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "loadavg_1m_max_seen": round(max(loads), 2),
        "wall_s": round(wall, 1), "cuda": cuda_note, "devices": run_devices,
        "grid": {k: (v if not isinstance(v, pathlib.Path) else str(v.name))
                 for k, v in grid.items()},
        "sizes": {k: {"batch_size": size_of(k)[0], "hidden_size": size_of(k)[1],
                      "input_size": size_of(k)[1],
                      "n_sequences": grid["batches"] * size_of(k)[0]}
                  for k in grid["sizes"]},
        "layer": {"dtype": dtype, "num_layers": layer.num_layers,
                  "proj_size": layer.proj_size, "batch_first": layer.batch_first},
        "pool_batches": packbench.POOL_BATCHES,
        "command": " ".join([pathlib.Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "rows": len(rows), "csv": csv_path.name,
    }
    json_path = out_dir / f"{grid['name']}.json"
    json_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"{len(rows)} rows in {wall:.0f} s -> {csv_path} and {json_path.name}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
