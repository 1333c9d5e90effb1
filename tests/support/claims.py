"""The grid that tests/test_claims.py sweeps, and one cached run of each case.

- `KINDS`: every recurrent layer kind the book names (`nn.RNN` with tanh and with relu,
  `nn.GRU`, `nn.LSTM`, and `nn.LSTM` with `proj_size`);
- `BATCHES`: small, medium and large batches, with and without tied lengths (two with
  more than 16 sequences of one length), in both layouts;
- `DTYPES`: float32, float64 and, where oneDNN can run it on this CPU, bfloat16;
- `recurrent_runs(...)`: one layer run on a padded batch and on the same batch packed,
  with the outputs in batch-first order; cached, so every rule that reads the same case
  reuses one run.

The helpers here compute; the tests assert. Nothing imports pytest.
"""

from __future__ import annotations

import functools
import warnings
import zlib
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode


@dataclass(frozen=True)
class Kind:
    """A recurrent layer kind: its class, constructor options and weight blocks."""

    cls: type
    options: tuple[tuple[str, object], ...] = ()
    gates: int = 1  # blocks of weights: 1 RNN, 3 GRU, 4 LSTM
    projected: bool = False  # proj_size = H // 2

    @property
    def has_cell(self) -> bool:
        return self.cls is nn.LSTM


KINDS = {
    "rnn_tanh": Kind(nn.RNN, (("nonlinearity", "tanh"),)),
    "rnn_relu": Kind(nn.RNN, (("nonlinearity", "relu"),)),
    "gru": Kind(nn.GRU, gates=3),
    "lstm": Kind(nn.LSTM, gates=4),
    "lstm_proj": Kind(nn.LSTM, gates=4, projected=True),
}


@dataclass(frozen=True)
class Batch:
    """A batch of lengths, its sizes and its layout. T is the longest length."""

    name: str
    lengths: tuple[int, ...]
    F: int
    H: int
    batch_first: bool

    @property
    def B(self) -> int:
        return len(self.lengths)

    @property
    def T(self) -> int:
        return max(self.lengths)


def _shuffled(lengths: list[int], seed: int) -> tuple[int, ...]:
    order = torch.randperm(len(lengths), generator=torch.Generator().manual_seed(seed))
    return tuple(lengths[i] for i in order.tolist())


def _tied(B: int, T: int, tied: int, at: int, seed: int) -> tuple[int, ...]:
    """B lengths: one of T, `tied` of `at`, the rest drawn from 1..T; shuffled."""
    rest = torch.randint(1, T + 1, (B - 1 - tied,),
                         generator=torch.Generator().manual_seed(seed)).tolist()
    return _shuffled([T] + [at] * tied + rest, seed)


# (B, T, H) = (3, 5, 4), (17-18, 12, 16), (30-40, 30, 32): small, medium, large.
BATCHES = {
    b.name: b
    for b in [
        Batch("small", (3, 5, 1), F=2, H=4, batch_first=True),
        Batch("small_tied", (2, 5, 2), F=2, H=4, batch_first=False),
        Batch("medium", _shuffled(list(range(1, 13)) + [12, 6, 3, 9, 1], 1),
              F=5, H=16, batch_first=False),
        Batch("medium_17_tied", _tied(18, 12, tied=17, at=7, seed=2),
              F=5, H=16, batch_first=True),
        Batch("large", _shuffled(list(range(1, 31)), 3), F=8, H=32, batch_first=True),
        Batch("large_20_tied", _tied(40, 30, tied=20, at=11, seed=4),
              F=8, H=32, batch_first=False),
    ]
}


def bf16_supported() -> bool:
    """True when oneDNN can run bfloat16 on this CPU (torch's own check)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


DTYPES = {"float32": torch.float32, "float64": torch.float64, "bfloat16": torch.bfloat16}

# Agreement within TOL[dtype]; "differs" means by more than DIFFERS[dtype].
TOL = {torch.float64: 1e-10, torch.float32: 2e-5, torch.bfloat16: 4e-2}
DIFFERS = {torch.float64: 1e-6, torch.float32: 1e-4, torch.bfloat16: 1.5e-1}


def seed_of(*key: object) -> int:
    """A seed fixed by the case, the same in every process and on every run."""
    return zlib.crc32(repr(key).encode())


def make_layer(kind: str, batch: Batch, num_layers: int, bidirectional: bool,
               dtype: torch.dtype) -> nn.RNNBase:
    """The layer of one case, seeded by the case."""
    spec = KINDS[kind]
    torch.manual_seed(seed_of(kind, batch.name, num_layers, bidirectional))
    options = dict(spec.options)
    if spec.projected:
        options["proj_size"] = batch.H // 2
    layer = spec.cls(batch.F, batch.H, num_layers=num_layers, bidirectional=bidirectional,
                     batch_first=batch.batch_first, **options)
    return layer.to(dtype).eval()


def padded_input(batch: Batch, dtype: torch.dtype) -> torch.Tensor:
    """A (B, T, F) batch of random steps with zeros on the pads, seeded by the batch."""
    gen = torch.Generator().manual_seed(seed_of(batch.name))
    x = torch.randn(batch.B, batch.T, batch.F, generator=gen)
    real = torch.arange(batch.T) < torch.tensor(batch.lengths)[:, None]
    return (x * real.unsqueeze(-1)).to(dtype)


def to_layout(x: torch.Tensor, batch_first: bool) -> torch.Tensor:
    """A batch-first tensor in the given layout (a view)."""
    return x if batch_first else x.transpose(0, 1)


@dataclass(frozen=True)
class Runs:
    """One layer run padded and packed; `out_*` batch first, (B, T, D * P)."""

    lengths: torch.Tensor
    P: int  # features per direction in out and h_n: proj_size or H
    out_pad: torch.Tensor
    h_pad: torch.Tensor
    c_pad: torch.Tensor | None
    out_packed: torch.Tensor  # pad_packed_sequence of the packed output
    h_packed: torch.Tensor
    c_packed: torch.Tensor | None
    packed_out: PackedSequence  # the packed output as the layer returned it
    layer: nn.RNNBase


def _split(state):
    return state if isinstance(state, tuple) else (state, None)


def recurrent_runs(kind: str, batch_name: str, num_layers: int, bidirectional: bool,
                   dtype: torch.dtype) -> Runs:
    """Run one case padded and packed (enforce_sorted=False) with oneDNN as it is set."""
    return _runs(kind, batch_name, num_layers, bidirectional, dtype,
                 torch.backends.mkldnn.enabled)


@functools.cache
def _runs(kind: str, batch_name: str, num_layers: int, bidirectional: bool,
          dtype: torch.dtype, onednn: bool) -> Runs:
    batch = BATCHES[batch_name]
    layer = make_layer(kind, batch, num_layers, bidirectional, dtype)
    x = padded_input(batch, dtype)
    lengths = torch.tensor(batch.lengths)
    assert torch.backends.mkldnn.enabled == onednn  # the cache key is the setting
    with torch.no_grad():
        out_pad, state_pad = layer(to_layout(x, batch.batch_first))
        packed = pack_padded_sequence(to_layout(x, batch.batch_first), lengths,
                                      batch_first=batch.batch_first, enforce_sorted=False)
        packed_out, state_packed = layer(packed)
    out_packed, _ = pad_packed_sequence(packed_out, batch_first=True)
    h_pad, c_pad = _split(state_pad)
    h_packed, c_packed = _split(state_packed)
    return Runs(lengths, layer.proj_size or batch.H,
                to_layout(out_pad, batch.batch_first), h_pad, c_pad,
                out_packed, h_packed, c_packed, packed_out, layer)


# --- what torch runs: fused oneDNN calls, FLOPs, matrix products ----------------------
def fp16_supported() -> bool:
    """True when oneDNN can run float16 on this CPU (torch's own check)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_fp16_supported())
    except (AttributeError, RuntimeError):
        return False


# (dtype, grad mode) of the path cases: float16 is fused only without autograd.
PATH_DTYPES = {
    "float32": (torch.float32, True),
    "float64": (torch.float64, True),
    "bfloat16": (torch.bfloat16, True),
    "float16": (torch.float16, True),
    "float16_no_grad": (torch.float16, False),
}


class OpLog(TorchDispatchMode):
    """Notes every operation torch runs inside the `with` block, with its output."""

    def __init__(self):
        super().__init__()
        self.ops: list[tuple[object, tuple[int, ...]]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else ()
        self.ops.append((func.overloadpacket, shape))
        return out

    def count(self, packet) -> int:
        return sum(op is packet for op, _ in self.ops)

    def product_rows(self) -> list[int]:
        """Rows of the output of every matrix product, in the order they ran."""
        products = (torch.ops.aten.mm, torch.ops.aten.addmm)
        return [shape[0] for op, shape in self.ops if op in products]


@dataclass(frozen=True)
class Path:
    """What one forward pass ran: fused calls, counted FLOPs, warnings, products."""

    fused_calls: int
    flops: int
    warnings: tuple[str, ...]
    product_rows: tuple[int, ...]


def measure_path(kind: str, batch_name: str, num_layers: int, bidirectional: bool,
                 dtype_name: str, packed: bool) -> Path:
    """One forward pass of a case under OpLog and FlopCounterMode, oneDNN as it is set."""
    return _path(kind, batch_name, num_layers, bidirectional, dtype_name, packed,
                 torch.backends.mkldnn.enabled)


@functools.cache
def _path(kind, batch_name, num_layers, bidirectional, dtype_name, packed, onednn) -> Path:
    batch = BATCHES[batch_name]
    dtype, grad = PATH_DTYPES[dtype_name]
    layer = make_layer(kind, batch, num_layers, bidirectional, dtype)
    x = to_layout(padded_input(batch, dtype), batch.batch_first)
    if packed:
        x = pack_padded_sequence(x, torch.tensor(batch.lengths),
                                 batch_first=batch.batch_first, enforce_sorted=False)
    assert torch.backends.mkldnn.enabled == onednn  # the cache key is the setting
    warn_always = torch.is_warn_always_enabled()
    torch.set_warn_always(True)  # TORCH_WARN_ONCE warns on every call, not once
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with torch.set_grad_enabled(grad), OpLog() as log, \
                    FlopCounterMode(display=False) as counter:
                layer(x)
    finally:
        torch.set_warn_always(warn_always)
    return Path(log.count(torch.ops.aten.mkldnn_rnn_layer), counter.get_total_flops(),
                tuple(str(w.message) for w in caught), tuple(log.product_rows()))


def flops_per_row(kind: str, batch: Batch, num_layers: int, bidirectional: bool) -> int:
    """FLOPs of the matrix products of one row (one sequence, one step), all layers.

    Each direction of layer l multiplies its input (F, or D * P from layer l - 1) and its
    hidden state (P) by G blocks of H weights, and an LSTM with proj_size projects H to P:
    2 * (G * H * (input + P) + P * H) FLOPs (two per multiply-add).
    """
    spec = KINDS[kind]
    D = 2 if bidirectional else 1
    P = batch.H // 2 if spec.projected else batch.H
    total = 0
    for layer in range(num_layers):
        width = batch.F if layer == 0 else D * P
        per_direction = spec.gates * batch.H * (width + P)
        if spec.projected:
            per_direction += P * batch.H
        total += D * 2 * per_direction
    return total
