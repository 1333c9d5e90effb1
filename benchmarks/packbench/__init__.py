"""The packing benchmark, in findable parts (`benchmarks/run.py` is its command line).

- `variants`: the grid's names (layers, distributions, modes, variants) and `Setting`.
- `data`: sequence lengths, shuffled and length-grouped batches, padded inputs.
- `counts`: cell updates and sequential steps per epoch: `ideal_speedup`.
- `runners`: the layer run padded, packed or reversed; one epoch; the correctness
  fingerprint.
- `timing`: torch.utils.benchmark in interleaved rounds.
- `measure`: one setting, every variant and mode, as CSV rows (`COLUMNS`).
- `progress`: the progress bar and its time estimate.

The recommendation rule is not here: it lives once in `packviz.recipe` (chapter 6
teaches it, and a reader's installed packviz carries it); the benchmark imports it.
Everything is re-exported, so `packbench.work`, `packbench.recommend` and so on work.
"""

from packviz.recipe import recommend, reversal_beats_packing

from .counts import Work, ideal_speedup, step_speedup, work
from .data import (
    POOL_BATCHES,
    Batch,
    batches_for,
    bucketed_batches,
    make_batches,
    make_lengths,
    make_sequences,
    random_batches,
)
from .measure import COLUMNS, run_setting
from .progress import LAYER_COST, Progress, estimated_cost
from .runners import fingerprint, forward, make_model, run_epoch, runner_for, try_nested
from .timing import CLOCKS, Timing, time_variants
from .variants import (
    BASELINE,
    BUCKETED_VARIANTS,
    DISTRIBUTIONS,
    HOWS,
    LAYERS,
    MODES,
    PACKED_VARIANTS,
    REVERSED_VARIANTS,
    TIMED_VARIANTS,
    VARIANTS,
    Setting,
    how_for,
)

__all__ = [
    "BASELINE", "BUCKETED_VARIANTS", "CLOCKS", "COLUMNS", "DISTRIBUTIONS", "HOWS",
    "LAYERS", "LAYER_COST", "MODES", "PACKED_VARIANTS", "POOL_BATCHES",
    "REVERSED_VARIANTS", "TIMED_VARIANTS", "VARIANTS", "Batch", "Progress", "Setting",
    "Timing", "Work", "batches_for", "bucketed_batches", "estimated_cost", "fingerprint",
    "forward", "how_for", "ideal_speedup", "make_batches", "make_lengths", "make_model",
    "make_sequences", "random_batches", "recommend", "reversal_beats_packing",
    "run_epoch", "run_setting", "runner_for", "step_speedup", "time_variants",
    "try_nested", "work",
]
