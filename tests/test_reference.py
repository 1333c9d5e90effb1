"""The cheat sheet and the glossary state what torch really does.

Facts are read out of reference/cheatsheet.md where they have a regular form (its code
block, the call signatures, the shape table, the error messages) and checked against
torch; the rest are restated here as asserts next to the sentence they check.
"""

from __future__ import annotations

import inspect
import pathlib
import re

import pytest
import torch
from torch.nn.utils import rnn

from packviz.reversal import ReversedBidirectional

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHEATSHEET = (ROOT / "reference" / "cheatsheet.md").read_text(encoding="utf-8")
GLOSSARY = (ROOT / "reference" / "glossary.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    """The text of one `## title` section of the cheat sheet."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", CHEATSHEET, re.M | re.S)
    assert match, f"cheat sheet has no section {title!r}"
    return match.group(1)


def _table_rows(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [[c.strip() for c in row.strip("|").split("|")] for row in rows[2:]]


def _code(cell: str) -> list[str]:
    """The inline code spans of a table cell or line (single or double backticks)."""
    return [m.group(2).strip() for m in re.finditer(r"(``?)(.+?)\1", cell)]


# --- the example at the top --------------------------------------------------------
def test_cheatsheet_example_runs_and_its_comments_hold():
    block = re.search(r"```python\n(.*?)```", CHEATSHEET, re.S).group(1)
    scope: dict = {}
    torch.manual_seed(0)
    exec(compile(block, "cheatsheet.md", "exec"), scope)  # noqa: S102
    lengths, padded, out = scope["lengths"], scope["padded"], scope["out"]
    assert lengths.tolist() == [3, 5, 2] and lengths.dtype == torch.int64
    assert lengths.device.type == "cpu"
    assert padded.shape == (3, 5, 2)
    assert scope["h_n"].shape == (1, 3, 4) and scope["c_n"].shape == (1, 3, 4)
    assert out.shape == (3, 5, 4)
    assert torch.equal(scope["out_lengths"], lengths)
    # "h_n: original batch order" and "last: the state after the last real step"
    last_real = out[torch.arange(3), lengths - 1]
    assert torch.allclose(scope["last"], last_real)
    assert scope["last"].shape == (3, 4)


# --- the calls ---------------------------------------------------------------------
def _signature_text(func) -> str:
    params = []
    for p in inspect.signature(func).parameters.values():
        params.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return f"{func.__name__}({', '.join(params)})"


def test_cheatsheet_signatures_match_torch():
    rows = _table_rows(_section("The calls"))
    stated = [_code(row[0])[0] for row in rows]
    assert len(stated) == 6
    for text in stated:
        name = text.split("(")[0]
        assert text == _signature_text(getattr(rnn, name)), f"{name} signature"


def test_cheatsheet_return_types():
    seqs = [torch.ones(3, 2), torch.ones(1, 2)]
    padded = rnn.pad_sequence(seqs)
    packed = rnn.pack_padded_sequence(padded, [3, 1])
    assert isinstance(packed, rnn.PackedSequence)
    assert isinstance(rnn.pack_sequence(seqs), rnn.PackedSequence)
    again, lengths = rnn.pad_packed_sequence(packed)
    assert torch.equal(again, padded) and lengths.tolist() == [3, 1]
    assert all(torch.equal(a, b) for a, b in zip(rnn.unpack_sequence(packed), seqs))
    unpadded = rnn.unpad_sequence(padded, torch.tensor([3, 1]))
    assert all(torch.equal(a, b) for a, b in zip(unpadded, seqs))
    gru_out, h_n = torch.nn.GRU(2, 3)(packed)
    assert isinstance(gru_out, rnn.PackedSequence) and h_n.shape == (1, 2, 3)
    lstm_out, (h_n, c_n) = torch.nn.LSTM(2, 3)(packed)
    assert isinstance(lstm_out, rnn.PackedSequence) and c_n.shape == (1, 2, 3)


# --- shapes ------------------------------------------------------------------------
SIZES = {"T": 5, "B": 3, "F": 2, "H": 4, "L": 2, "D": 2}


def _shape(text: str, lengths: list[int]) -> tuple[int, ...]:
    scope = dict(SIZES, sum=sum, lengths=lengths)
    value = eval(text, {"__builtins__": {}}, scope)  # noqa: S307 (our own table)
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("batch_first", [False, True])
def test_cheatsheet_shape_table_matches_torch(batch_first):
    T, B, F, H, L = (SIZES[k] for k in "TBFHL")
    lengths = [5, 3, 2]
    seqs = [torch.randn(n, F) for n in lengths]
    padded = rnn.pad_sequence(seqs, batch_first=batch_first)
    lstm = torch.nn.LSTM(F, H, num_layers=L, bidirectional=True, batch_first=batch_first)
    packed = rnn.pack_padded_sequence(padded, lengths, batch_first=batch_first)
    packed_out, (h_n, c_n) = lstm(packed)
    out, out_lengths = rnn.pad_packed_sequence(packed_out, batch_first=batch_first)
    actual = {
        "padded input": padded.shape,
        "`out` after `pad_packed_sequence`": out.shape,
        "`h_n`, `c_n`": h_n.shape,
        "`lengths`": out_lengths.shape,
        "packed `data`": packed.data.shape,
        "packed `batch_sizes`": packed.batch_sizes.shape,
    }
    assert c_n.shape == h_n.shape
    rows = _table_rows(_section("Shapes"))
    assert {row[0] for row in rows} == set(actual)
    column = 2 if batch_first else 1
    for row in rows:
        stated = _shape(_code(row[column])[0], lengths)
        assert tuple(actual[row[0]]) == stated, f"{row[0]}, batch_first={batch_first}"


# --- PackedSequence fields and h_n -------------------------------------------------
def test_packed_fields_as_stated():
    fields = _section("`PackedSequence` fields")
    assert rnn.PackedSequence._fields == (
        "data",
        "batch_sizes",
        "sorted_indices",
        "unsorted_indices",
    )
    for name in rnn.PackedSequence._fields:
        assert f"`{name}`" in fields
    a = torch.tensor([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]])
    b = torch.tensor([[10, 10], [20, 20]])
    packed = rnn.pack_sequence([a, b])
    assert "Lengths 5 and 2 give 7 rows, not 10" in fields
    assert packed.data.shape[0] == 7 and rnn.pad_sequence([a, b]).shape[:2] == (5, 2)
    # time step by time step
    assert packed.data[:, 0].tolist() == [1, 10, 2, 20, 3, 4, 5]
    assert "give `[2, 2, 1, 1, 1]`" in fields
    assert packed.batch_sizes.tolist() == [2, 2, 1, 1, 1]
    assert packed.batch_sizes.dtype == torch.int64
    assert packed.batch_sizes.device.type == "cpu"
    assert packed.sorted_indices is None and packed.unsorted_indices is None
    unsorted = rnn.pack_sequence([b, a], enforce_sorted=False)
    assert unsorted.sorted_indices.tolist() == [1, 0]
    assert unsorted.unsorted_indices.tolist() == [1, 0]


def test_h_n_layout_as_stated():
    text = _section("`h_n` layout")
    assert "h_n.view(L, D, B, H)[layer, direction]" in text
    torch.manual_seed(0)
    lengths = torch.tensor([2, 5, 3])
    L, H, B = 2, 4, 3
    padded = rnn.pad_sequence([torch.randn(int(n), 2) for n in lengths], batch_first=True)
    packed = rnn.pack_padded_sequence(
        padded, lengths, batch_first=True, enforce_sorted=False
    )
    bi = torch.nn.LSTM(2, H, num_layers=L, bidirectional=True, batch_first=True)
    packed_out, (h_n, _) = bi(packed)
    out, _ = rnn.pad_packed_sequence(packed_out, batch_first=True)
    layered = h_n.view(L, 2, B, H)
    assert torch.equal(layered[L - 1, 1], h_n[-1])  # last layer, last direction
    assert torch.equal(layered[L - 1, 0], h_n[-2])
    assert torch.equal(layered[0, 1], h_n[1])
    for b in range(B):
        assert torch.allclose(h_n[-2][b], out[b, lengths[b] - 1, :H])
        assert torch.allclose(h_n[-1][b], out[b, 0, H:])
    uni = torch.nn.GRU(2, H, batch_first=True)
    packed_out, h_n = uni(packed)
    out, _ = rnn.pad_packed_sequence(packed_out, batch_first=True)
    for b in range(B):
        assert torch.allclose(h_n[-1][b], out[b, lengths[b] - 1])


# --- pitfalls ----------------------------------------------------------------------
def _error(call) -> str:
    with pytest.raises((RuntimeError, ValueError, TypeError)) as info:
        call()
    return str(info.value)


def _real_errors() -> list[str]:
    x = torch.zeros(3, 5, 2)
    packed = rnn.pack_padded_sequence(x, [5, 3, 2], batch_first=True)
    return [
        _error(lambda: rnn.pack_padded_sequence(x, [5, 2, 0], batch_first=True)),
        _error(lambda: rnn.pack_padded_sequence(x, [2, 5, 3], batch_first=True)),
        # on a GPU the message ends "but got 1D cuda:0 Long tensor"; CPU reaches the
        # same check with 2-D lengths
        _error(lambda: torch._pack_padded_sequence(x, torch.tensor([[5, 3, 2]]), True)),
        _error(lambda: rnn.pack_padded_sequence(x, [5, 3, 2])),  # layout mix-up
        _error(lambda: rnn.pad_packed_sequence(packed, batch_first=True, total_length=4)),
        _error(lambda: torch.nn.Linear(2, 3)(packed)),
        _error(lambda: torch.nn.Embedding(9, 3)(packed)),
        _error(lambda: torch.nn.LSTM(2, 3)(x.long())),
    ]


def test_every_quoted_error_message_is_what_torch_says():
    rows = _table_rows(_section("Pitfalls"))
    quoted = [_code(row[0])[0] for row in rows if row[0].startswith("`")]
    quoted = [q for q in quoted if len(q.split()) >= 4]  # messages, not code
    assert len(quoted) >= 7
    real = _real_errors()
    for message in quoted:
        assert any(message in error for error in real), f"not raised: {message!r}"


def test_error_messages_mentioned_in_sources_match_torch():
    real = _real_errors()
    assert "but got 3 (batch_size=5)" in real[3]
    assert "but got 2D cpu Long tensor" in real[2]
    if torch.cuda.is_available():
        on_gpu = _error(
            lambda: rnn.pack_padded_sequence(
                torch.zeros(3, 5, 2), torch.tensor([5, 3, 2], device="cuda"), True
            )
        )
        assert "'lengths' argument should be a 1D CPU int64 tensor" in on_gpu


def test_silent_pitfalls_as_stated():
    rows = {row[0]: row[1] for row in _table_rows(_section("Pitfalls"))}
    x = torch.randn(3, 5, 2)
    # A length larger than T: no error at packing, a cryptic one later.
    assert (
        "check `max(lengths) <= T`"
        in rows["A length larger than `T`: no error at packing, a cryptic one later"]
    )
    too_long = rnn.pack_padded_sequence(x, [7, 3, 2], batch_first=True)
    _error(lambda: torch.nn.LSTM(2, 3)(too_long))
    # out[:, -1] is all zeros for the shorter sequences; the fix picks lengths - 1.
    lengths = torch.tensor([5, 3, 2])
    lstm = torch.nn.LSTM(2, 3, batch_first=True)
    packed_out, (h_n, _) = lstm(rnn.pack_padded_sequence(x, lengths, batch_first=True))
    out, _ = rnn.pad_packed_sequence(packed_out, batch_first=True)
    assert out[1:, -1].eq(0).all() and not out[0, -1].eq(0).all()
    assert torch.allclose(out[torch.arange(3), lengths - 1], h_n[-1])
    # Left padding then packing keeps the pads, drops real steps.
    seqs = [torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0])]
    left = rnn.pad_sequence(seqs, batch_first=True, padding_side="left")
    kept = rnn.unpack_sequence(rnn.pack_padded_sequence(left, [3, 1], batch_first=True))
    assert kept[1].tolist() == [0.0]
    # packed._replace(data=f(packed.data)) applies a layer to a PackedSequence.
    packed = rnn.pack_padded_sequence(x, lengths, batch_first=True)
    mapped = packed._replace(data=torch.nn.Linear(2, 6)(packed.data))
    assert isinstance(mapped, rnn.PackedSequence) and mapped.data.shape == (10, 6)
    lstm(mapped._replace(data=mapped.data[:, :2]))  # an RNN accepts it
    # Unpacked bidirectional: the backward direction of a short sequence is wrong.
    bi = torch.nn.GRU(2, 3, bidirectional=True, batch_first=True)
    padded_out, _ = bi(x)
    packed_out, _ = bi(rnn.pack_padded_sequence(x, lengths, batch_first=True))
    out, _ = rnn.pad_packed_sequence(packed_out, batch_first=True)
    assert torch.allclose(padded_out[0], out[0], atol=1e-6)  # full length: same
    assert not torch.allclose(padded_out[2, 0, 3:], out[2, 0, 3:])  # short: differs
    # The fix stated next to it: reversing within lengths gives the packed outputs.
    fix = rows["Unpacked bidirectional RNN: the backward direction starts on the pads"]
    assert "`ReversedBidirectional(bi)(padded, lengths)`" in fix
    real = (torch.arange(5) < lengths[:, None]).unsqueeze(-1)
    assert torch.allclose(ReversedBidirectional(bi)(x, lengths) * real, out * real,
                          atol=1e-6)


# --- a training loop ---------------------------------------------------------------
def _loop_setup():
    """A small batch and the modules the training-loop recipe refers to."""
    torch.manual_seed(0)
    seqs = [torch.tensor([3, 1, 4]), torch.tensor([1, 5, 9, 2, 6]), torch.tensor([5])]
    scope = {
        "torch": torch,
        "pad_sequence": rnn.pad_sequence,
        "pack_padded_sequence": rnn.pack_padded_sequence,
        "embed": torch.nn.Embedding(10, 2, padding_idx=0),
        "lstm": torch.nn.LSTM(2, 4, batch_first=True),
        "fc": torch.nn.Linear(4, 3),
        "padded": rnn.pad_sequence(seqs, batch_first=True),
        "lengths": torch.tensor([3, 5, 1]),
    }
    return seqs, scope


def test_training_loop_recipe_runs_and_its_comments_hold():
    block = re.search(r"```python\n(.*?)```", _section("A training loop"), re.S).group(1)
    seqs, scope = _loop_setup()
    exec(compile(block, "cheatsheet.md", "exec"), scope)  # noqa: S102
    # collate pads, returns CPU int64 lengths and the labels
    padded, lengths, labels = scope["collate"](list(zip(seqs, [0, 1, 2])))
    assert torch.equal(padded, scope["padded"]) and torch.equal(lengths, scope["lengths"])
    assert lengths.dtype == torch.int64 and lengths.device.type == "cpu"
    assert labels.tolist() == [0, 1, 2]
    # "pads embed to zeros"
    assert scope["x"][padded == 0].eq(0).all()
    # logits = fc(last real state); fc(out[:, -1]) after unpacking sees zeros
    out, _ = rnn.pad_packed_sequence(scope["packed_out"], batch_first=True)
    last_real = out[torch.arange(3), lengths - 1]
    assert torch.allclose(scope["logits"], scope["fc"](last_real))
    assert out[:, -1].eq(0).all(dim=1).tolist() == (lengths < lengths.max()).tolist()


def test_training_loop_bullets_as_stated():
    text = _section("A training loop")
    _, scope = _loop_setup()
    padded, lengths, lstm = scope["padded"], scope["lengths"], scope["lstm"]
    x = scope["embed"](padded)
    packed = rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    packed_out, _ = lstm(packed)
    out, _ = rnn.pad_packed_sequence(packed_out, batch_first=True)
    # a loss per token: ignore_index -100 on padded output == loss on packed .data
    assert "targets set to -100 (its `ignore_index`)" in text
    assert torch.nn.CrossEntropyLoss().ignore_index == -100
    targets = rnn.pad_sequence([torch.arange(n) % 3 for n in lengths.tolist()],
                               batch_first=True, padding_value=-100)
    fc = torch.nn.Linear(4, 3)
    loss_padded = torch.nn.CrossEntropyLoss()(fc(out).flatten(0, 1), targets.flatten())
    packed_targets = rnn.pack_padded_sequence(targets, lengths, batch_first=True,
                                              enforce_sorted=False)
    loss_packed = torch.nn.CrossEntropyLoss()(fc(packed_out.data), packed_targets.data)
    assert torch.allclose(loss_padded, loss_packed)
    # a mean over real steps: out.sum(dim=1) / lengths, not out.mean(dim=1)
    assert "`out.sum(dim=1) / lengths.unsqueeze(1)`" in text
    real_mean = torch.stack([out[b, :n].mean(dim=0) for b, n in enumerate(lengths)])
    assert torch.allclose(out.sum(dim=1) / lengths.unsqueeze(1), real_mean)
    assert not torch.allclose(out.mean(dim=1), real_mean)
    # h_0 in the batch's own order: torch reorders it
    assert "`h_0` goes in your batch's own order" in text
    h_0, c_0 = torch.randn(1, 3, 4), torch.randn(1, 3, 4)
    _, (h_n, _) = lstm(packed, (h_0, c_0))
    for b, n in enumerate(lengths.tolist()):
        _, (h_b, _) = lstm(x[b : b + 1, :n], (h_0[:, b : b + 1], c_0[:, b : b + 1]))
        assert torch.allclose(h_n[:, b], h_b[:, 0], atol=1e-6)
    # .to(device) moves data and indices; batch_sizes stays on the CPU
    moved = packed.to("meta")
    assert moved.data.device.type == "meta"
    assert moved.sorted_indices.device.type == moved.unsorted_indices.device.type == "meta"
    assert moved.batch_sizes.device.type == "cpu"


# --- glossary ----------------------------------------------------------------------
def test_glossary_is_a_myst_glossary_with_the_core_terms():
    block = re.search(r"```\{glossary\}\n(.*?)```", GLOSSARY, re.S)
    assert block, "glossary.md needs a {glossary} directive"
    terms = {line.strip("`") for line in block.group(1).splitlines() if line[:1].strip()}
    for term in (
        "Padding",
        "Packing",
        "PackedSequence",
        "batch_sizes",
        "h_n",
        "c_n",
        "Lengths",
        "enforce_sorted",
        "total_length",
        "sorted_indices",
        "Bidirectional",
        "Padding side",
        "Batch first",
        "Last state",
        "Mask",
        "key_padding_mask",
        "SDPA",
        "FlexAttention",
        "oneDNN",
        "cuDNN",
        "Dynamo",
    ):
        assert term in terms, f"glossary lacks {term!r}"


def test_glossary_facts():
    # "batch_sizes[t] is the number of sequences longer than t"
    lengths = torch.tensor([6, 5, 4, 7, 2, 3, 8, 7])
    packed = rnn.pack_padded_sequence(
        torch.zeros(8, 8, 1), lengths, batch_first=True, enforce_sorted=False
    )
    expected = [int((lengths > t).sum()) for t in range(int(lengths.max()))]
    assert packed.batch_sizes.tolist() == expected
    # "padding_value, 0.0 by default" and "padding_side ... 'right' the default"
    sig = inspect.signature(rnn.pad_sequence).parameters
    assert sig["padding_value"].default == 0.0 and sig["padding_side"].default == "right"
    assert "`0.0` by default" in GLOSSARY and "`'right'`" in GLOSSARY
    # "batch_first ... False (the default)"
    assert torch.nn.LSTM(1, 1).batch_first is False
    # "enforce_sorted ... True (the default) demands lengths in decreasing order"
    assert (
        inspect.signature(rnn.pack_padded_sequence).parameters["enforce_sorted"].default
        is True
    )
    # nested tensors: work with nn.Linear, not with nn.LSTM
    nt = torch.nested.nested_tensor(
        [torch.randn(3, 2), torch.randn(1, 2)], layout=torch.jagged
    )
    assert torch.nn.Linear(2, 4)(nt).is_nested
    with pytest.raises(Exception):  # noqa: B017 (any error: it is not supported)
        torch.nn.LSTM(2, 4, batch_first=True)(nt)


def _glossary_entry(term: str) -> str:
    """The definition text of one glossary term (its indented lines)."""
    match = re.search(rf"^{re.escape(term)}\n((?:  .*\n|\n)+)", GLOSSARY, re.M)
    assert match, f"glossary lacks {term!r}"
    return " ".join(match.group(1).split())


def test_glossary_indices_and_last_state():
    entry = _glossary_entry("unsorted_indices")
    assert "Both are `None` with `enforce_sorted=True`" in entry
    assert "even for lengths already sorted" in entry
    x = torch.zeros(2, 5, 1)
    assert rnn.pack_padded_sequence(x, [5, 2], batch_first=True).sorted_indices is None
    already = rnn.pack_padded_sequence(x, [5, 2], batch_first=True, enforce_sorted=False)
    assert already.sorted_indices.tolist() == [0, 1]
    assert already.unsorted_indices.tolist() == [0, 1]
    # "Among equal lengths the order is unspecified: torch 2.13 can mix ties past 16"
    assert "torch 2.13 can mix ties past 16 sequences" in entry
    ties = rnn.pack_padded_sequence(
        torch.zeros(20, 3, 1), [3, 2] * 10, batch_first=True, enforce_sorted=False
    )
    if torch.__version__.startswith("2.13."):
        assert ties.sorted_indices.tolist()[:3] == [0, 2, 18]
    # "Last state": h_n[-1] only for one direction; with two, backward; forward h_n[-2]
    entry = _glossary_entry("Last state")
    assert "For a unidirectional layer" in entry and "forward one is `h_n[-2]`" in entry
    torch.manual_seed(0)
    lengths = torch.tensor([2, 5, 3])
    padded = rnn.pad_sequence([torch.randn(int(n), 2) for n in lengths], batch_first=True)
    packed = rnn.pack_padded_sequence(padded, lengths, batch_first=True,
                                      enforce_sorted=False)
    H = 4
    bi = torch.nn.GRU(2, H, bidirectional=True, batch_first=True)
    packed_out, h_n = bi(packed)
    out, _ = rnn.pad_packed_sequence(packed_out, batch_first=True)
    last = torch.arange(3), lengths - 1
    assert torch.allclose(h_n[-2], out[last][:, :H])  # forward: the last real step
    assert torch.allclose(h_n[-1], out[:, 0, H:])  # backward: ends at step 0
    assert not torch.allclose(h_n[-1], out[last][:, H:])
    assert torch.allclose(torch.cat([h_n[-2], h_n[-1]], dim=1),
                          torch.cat([out[last][:, :H], out[:, 0, H:]], dim=1))


def test_glossary_mask_meanings():
    # "key_padding_mask ... True on each pad key, which attention then ignores"
    assert "`True` on each pad key" in _glossary_entry("key_padding_mask")
    assert "`True` on pads" in _glossary_entry("Mask")
    torch.manual_seed(0)
    B, T, E = 2, 4, 6
    x = torch.randn(B, T, E)
    lengths = torch.tensor([4, 2])
    pads = torch.arange(T) >= lengths[:, None]  # True on pads
    mha = torch.nn.MultiheadAttention(E, 2, batch_first=True).eval()
    with torch.no_grad():
        out, _ = mha(x, x, x, key_padding_mask=pads)
        alone, _ = mha(x[1:, :2], x[1:, :2], x[1:, :2])
    assert torch.allclose(out[1, :2], alone[0], atol=1e-6)
    # "SDPA's boolean attn_mask ('may attend')": True where a query may attend
    assert "SDPA's boolean `attn_mask` (\"may attend\")" in _glossary_entry("Mask")
    q = torch.randn(B, 1, T, E)
    sdpa = torch.nn.functional.scaled_dot_product_attention
    masked = sdpa(q, q, q, attn_mask=~pads[:, None, None, :])
    short_alone = sdpa(q[1:, :, :2], q[1:, :, :2], q[1:, :, :2])
    assert torch.allclose(masked[1, :, :2], short_alone[0], atol=1e-6)
    # "the wrong one raises no error"
    assert "the wrong one raises no error" in _glossary_entry("Mask")
    wrong = sdpa(q, q, q, attn_mask=pads[:, None, None, :])
    assert not torch.allclose(wrong[1, :, :2], short_alone[0], atol=1e-3)


def test_glossary_attention_and_backend_terms():
    from torch.nn.attention import SDPBackend
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    from torch.utils.flop_counter import FlopCounterMode, flop_registry

    # SDPA picks among FlashAttention, memory-efficient, cuDNN and math kernels
    assert "FlashAttention, memory-efficient, cuDNN or a plain math path" in (
        _glossary_entry("SDPA"))
    assert {"FLASH_ATTENTION", "EFFICIENT_ATTENTION", "CUDNN_ATTENTION", "MATH"} <= set(
        SDPBackend.__members__)
    # FlexAttention: a mask_mod function, create_block_mask
    assert "`mask_mod`" in _glossary_entry("FlexAttention") and callable(flex_attention)
    assert "mask_mod" in inspect.signature(create_block_mask).parameters
    # oneDNN: a padded nn.LSTM is one fused call the counter does not count; packed is
    # PyTorch's own loop and counted
    assert "`torch.backends.mkldnn.enabled`" in _glossary_entry("oneDNN")
    assert torch.ops.aten.mkldnn_rnn_layer not in flop_registry
    assert torch.ops.aten._cudnn_rnn not in flop_registry  # "cuDNN ... either"
    lstm = torch.nn.LSTM(2, 3, batch_first=True)
    padded = torch.randn(2, 5, 2)

    def flops(x):
        with FlopCounterMode(display=False) as counter:
            lstm(x)
        return counter.get_total_flops()

    packed = rnn.pack_padded_sequence(padded, [5, 2], batch_first=True)
    assert flops(packed) == 7 * 2 * 4 * 3 * (2 + 3)  # 7 real rows, 120 FLOPs each
    fused = torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled
    assert flops(padded) == (0 if fused else 10 * 120)
    # cuDNN: "torch.backends.cudnn.enabled, on by default"
    assert "on by" in _glossary_entry("cuDNN") and torch.backends.cudnn.enabled is True
    # Dynamo: torch.compile(fullgraph=True) raises on nn.LSTM
    assert "`fullgraph=True` it raises" in _glossary_entry("Dynamo")
    from torch import _dynamo

    _dynamo.reset()
    with pytest.raises(_dynamo.exc.Unsupported):
        lstm = torch.compile(torch.nn.LSTM(2, 3), fullgraph=True, backend="eager")
        lstm(torch.randn(4, 1, 2))
