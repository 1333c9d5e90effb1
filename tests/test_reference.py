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
    fix = rows["Unpacked bidirectional RNN: the backward direction starts on the pads of "
               "every sequence shorter than `T`"]
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
    # "Among equal lengths the order is unspecified: on a CPU, torch 2.13 keeps ties in
    # their order up to 16 sequences and can mix them beyond" (tested below)
    assert ("on a CPU, torch 2.13 keeps ties in their order up to 16 sequences and can "
            "mix them beyond") in entry
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


def _sorted_order(lengths: list[int]) -> list[int]:
    packed = rnn.pack_padded_sequence(torch.zeros(len(lengths), max(lengths), 1), lengths,
                                      batch_first=True, enforce_sorted=False)
    return packed.sorted_indices.tolist()


def _stable_order(lengths: list[int]) -> list[int]:
    return sorted(range(len(lengths)), key=lambda i: -lengths[i])


@pytest.mark.skipif(not torch.__version__.startswith("2.13."),
                    reason="the glossary states the order of ties for torch 2.13")
def test_glossary_ties_keep_their_order_up_to_16_sequences_on_a_cpu():
    import random

    rng = random.Random(0)
    for n in range(2, 17):  # kept: random lengths with many ties, 1 to 4 steps
        for _ in range(40):
            lengths = [rng.randint(1, 4) for _ in range(n)]
            assert _sorted_order(lengths) == _stable_order(lengths), lengths
    for n in range(17, 65):  # mixed: the same patterns from 17 sequences on
        for lengths in (([3, 2] * n)[:n], [1] * n):
            assert _sorted_order(lengths) != _stable_order(lengths), (n, lengths)
    assert _sorted_order([3, 2] * 10)[:3] == [0, 2, 18]  # the example in SOURCES.md


def test_glossary_lengths_dtypes_int32_works_and_floats_are_truncated():
    import warnings

    from packviz.core import check_lengths

    entry = _glossary_entry("Lengths")
    assert "1-D CPU tensor of `B` whole numbers" in entry
    assert "int32 lengths work as well" in entry
    assert "`[4.7, 3.2, 1.9]` packs as `[4, 3, 1]`" in entry
    assert "(`check_lengths` refuses floats)" in entry
    row = _section("Pitfalls")
    assert ("| Float lengths: no error, truncated (`[4.7, 3.2, 1.9]` packs as `[4, 3, 1]`) "
            "| integer lengths; `check_lengths` refuses floats |") in row
    assert "int32 is fine too: packing converts the dtype, not the device" in row
    torch.manual_seed(0)
    x = torch.randn(3, 5, 2)
    as_int64 = rnn.pack_padded_sequence(x, torch.tensor([5, 3, 2]), batch_first=True)
    for dtype in (torch.int32, torch.int16, torch.uint8):
        other = rnn.pack_padded_sequence(x, torch.tensor([5, 3, 2], dtype=dtype),
                                         batch_first=True)
        assert torch.equal(other.data, as_int64.data), dtype
        assert torch.equal(other.batch_sizes, as_int64.batch_sizes), dtype
    for floats in ([4.7, 3.2, 1.9], torch.tensor([4.7, 3.2, 1.9]),
                   torch.tensor([4.7, 3.2, 1.9], dtype=torch.float64)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            packed = rnn.pack_padded_sequence(x, floats, batch_first=True)
        assert caught == [], "float lengths now warn: update the glossary"
        _, lengths = rnn.pad_packed_sequence(packed, batch_first=True)
        assert lengths.tolist() == [4, 3, 1]
    # the device is what the message's check still catches after the conversion
    with pytest.raises(RuntimeError, match="but got 1D meta Long tensor"):
        rnn.pack_padded_sequence(x, torch.tensor([5, 3, 2], dtype=torch.int32,
                                                 device="meta"), batch_first=True)
    for floats in ([4.7, 3.2, 1.9], [4.0, 3.0, 2.0], torch.tensor([4.0, 3.0, 2.0])):
        with pytest.raises(ValueError, match="is not a whole number"):
            check_lengths(floats)


def test_glossary_batch_first_names_the_functions_that_have_it():
    entry = _glossary_entry("`batch_first`")
    have = ["pad_sequence", "pack_padded_sequence", "pad_packed_sequence", "unpad_sequence"]
    for name in have:
        assert f"`{name}`" in entry
        assert "batch_first" in inspect.signature(getattr(rnn, name)).parameters, name
    assert "(`pack_sequence` takes a list and has none)" in entry
    assert "batch_first" not in inspect.signature(rnn.pack_sequence).parameters
    for layer in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
        assert f"`nn.{layer.__name__}`" in entry and layer(1, 1).batch_first is False


def _fed_packed(layer: torch.nn.Module, packed, ids):
    """(exception name or None, message or the returned object) for layer(packed)."""
    given = ids if isinstance(layer, torch.nn.Embedding) else packed
    try:
        return None, layer(given)
    except Exception as err:  # noqa: BLE001 (each layer fails its own way)
        return type(err).__name__, str(err)


def test_other_layers_fed_a_packed_sequence_fail_as_stated():
    assert ("Other layers do not: most raise, and `nn.Identity` passes it on unchanged"
            in _glossary_entry("PackedSequence"))
    row = next(r for r in _table_rows(_section("Pitfalls"))
               if r[0].startswith("`must be Tensor, not PackedSequence`"))
    x = torch.randn(3, 5, 2)
    packed = rnn.pack_padded_sequence(x, [5, 3, 2], batch_first=True)
    ids = rnn.pack_padded_sequence(torch.randint(1, 9, (3, 5)), [5, 3, 2],
                                   batch_first=True)
    nn = torch.nn
    for layer in (nn.Embedding(9, 3), nn.Linear(2, 3), nn.Dropout(), nn.ReLU(),
                  nn.LayerNorm(2)):
        assert f"`nn.{type(layer).__name__}`" in row[0]
        name, message = _fed_packed(layer, packed, ids)
        assert name == "TypeError" and message.endswith(
            "must be Tensor, not PackedSequence"), type(layer).__name__
    assert "`nn.Softmax` and `nn.BatchNorm1d` raise an `AttributeError`" in row[0]
    for layer, attribute in ((nn.Softmax(dim=-1), "softmax"), (nn.BatchNorm1d(2), "dim")):
        assert _fed_packed(layer, packed, ids) == (
            "AttributeError", f"'PackedSequence' object has no attribute '{attribute}'")
    assert '`nn.Conv1d` an "invalid combination of arguments"' in row[0]
    name, message = _fed_packed(nn.Conv1d(2, 3, 1), packed, ids)
    assert name == "TypeError" and "invalid combination of arguments" in message
    assert "`nn.Identity` nothing" in row[0]
    assert _fed_packed(nn.Identity(), packed, ids) == (None, packed)
    assert nn.Identity()(packed) is packed
    # "packed._replace(data=f(packed.data)) for a per-step layer"
    assert "for a per-step layer" in row[1]
    for layer in (nn.Linear(2, 3), nn.ReLU(), nn.LayerNorm(2)):
        mapped = packed._replace(data=layer(packed.data))
        direct = rnn.pack_padded_sequence(layer(x), [5, 3, 2], batch_first=True)
        assert torch.allclose(mapped.data, direct.data, atol=1e-6)


def test_proj_size_replaces_h_in_out_and_h_n_not_in_c_n():
    assert ("An\n`nn.LSTM` with `proj_size=P > 0` puts `P` in place of `H` in `out` and "
            "`h_n`; `c_n`\nkeeps `H`.") in _section("Shapes")
    assert "(`H` is `proj_size` for an `nn.LSTM` with `proj_size > 0`)" in (
        _glossary_entry("h_n"))
    assert "(`proj_size` in place of `H` if set)" in _glossary_entry("Output")
    B, T, F, H, P = 3, 5, 2, 4, 3
    for L, D in ((1, 1), (2, 2)):
        lstm = torch.nn.LSTM(F, H, num_layers=L, bidirectional=D == 2, batch_first=True,
                             proj_size=P)
        packed = rnn.pack_padded_sequence(torch.randn(B, T, F), [5, 3, 2],
                                          batch_first=True)
        packed_out, (h_n, c_n) = lstm(packed)
        out, _ = rnn.pad_packed_sequence(packed_out, batch_first=True)
        assert out.shape == (B, T, D * P)
        assert h_n.shape == (D * L, B, P) and c_n.shape == (D * L, B, H)


def test_unpacked_states_are_wrong_only_for_sequences_shorter_than_t():
    assert "which\n  differs for every sequence shorter than `T`" in GLOSSARY
    assert "state at step 0: for a sequence shorter than `T`, right only with packing" in (
        _glossary_entry("h_n"))
    entry = _glossary_entry("Bidirectional")
    assert "For a sequence shorter than `T`, the backward direction starts at its last" in (
        entry)
    assert "A sequence of length `T` has no pads and needs neither." in entry
    torch.manual_seed(0)
    lengths = torch.tensor([5, 3, 5, 1])
    T, H = 5, 3
    x = rnn.pad_sequence([torch.randn(int(n), 2) for n in lengths], batch_first=True)
    full = (lengths == T).tolist()
    for layer in (torch.nn.GRU, torch.nn.LSTM):
        bi = layer(2, H, bidirectional=True, batch_first=True)
        padded_out, padded_state = bi(x)
        packed_out, packed_state = bi(rnn.pack_padded_sequence(
            x, lengths, batch_first=True, enforce_sorted=False))
        out, _ = rnn.pad_packed_sequence(packed_out, batch_first=True)
        h_padded = padded_state[0] if layer is torch.nn.LSTM else padded_state
        h_packed = packed_state[0] if layer is torch.nn.LSTM else packed_state
        for direction in (0, 1):  # forward h_n[-2], backward h_n[-1]
            same = [torch.allclose(h_padded[direction, b], h_packed[direction, b],
                                   atol=1e-6) for b in range(len(lengths))]
            assert same == full, (layer.__name__, direction)
        real = (torch.arange(T) < lengths[:, None])
        backward_same = [torch.allclose(padded_out[b, real[b], H:], out[b, real[b], H:],
                                        atol=1e-6) for b in range(len(lengths))]
        assert backward_same == full, layer.__name__


def _mkldnn_rnn_calls(module: torch.nn.Module, x) -> int:
    """How many fused oneDNN RNN calls one forward pass of `module` on `x` makes."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        calls = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if func is torch.ops.aten.mkldnn_rnn_layer.default:
                Count.calls += 1
            return func(*args, **(kwargs or {}))

    with Count():
        module(x)
    return Count.calls


@pytest.mark.skipif(not (torch.backends.mkldnn.is_available()
                         and torch.backends.mkldnn.enabled),
                    reason="oneDNN is not in this torch build, or turned off")
def test_onednn_runs_only_a_padded_lstm_fused_in_the_dtypes_stated():
    from torch.utils.flop_counter import FlopCounterMode

    entry = _glossary_entry("oneDNN")
    assert ("It runs a padded `nn.LSTM` in float32 (in bfloat16 too, and in float16 "
            "without autograd, where the CPU supports them) and without `proj_size` as "
            "fused calls, one per layer and direction") in entry
    assert ("A packed `nn.LSTM`, an `nn.LSTM` in float64 or with `proj_size`, and "
            "`nn.GRU` and `nn.RNN` run in PyTorch's own step loop, which it counts"
            ) in entry
    torch.manual_seed(0)
    x = torch.randn(4, 6, 2)
    nn = torch.nn
    for L, D in ((1, 1), (2, 1), (2, 2), (3, 2)):
        lstm = nn.LSTM(2, 3, num_layers=L, bidirectional=D == 2, batch_first=True)
        assert _mkldnn_rnn_calls(lstm, x) == L * D, (L, D)
        with FlopCounterMode(display=False) as counter:
            lstm(x)
        assert counter.get_total_flops() == 0
    lstm = nn.LSTM(2, 3, batch_first=True)
    packed = rnn.pack_padded_sequence(x, [6, 4, 3, 1], batch_first=True)
    not_fused = [(lstm, packed), (nn.LSTM(2, 3, batch_first=True).double(), x.double()),
                 (nn.LSTM(2, 3, batch_first=True, proj_size=2), x),
                 (nn.GRU(2, 3, batch_first=True), x), (nn.RNN(2, 3, batch_first=True), x)]
    for module, given in not_fused:
        assert _mkldnn_rnn_calls(module, given) == 0, module
        with FlopCounterMode(display=False) as counter:
            module(given)
        assert counter.get_total_flops() > 0, module
    bf16 = torch.ops.mkldnn._is_mkldnn_bf16_supported()
    assert _mkldnn_rnn_calls(nn.LSTM(2, 3).bfloat16(), x.bfloat16()) == int(bf16)
    half = nn.LSTM(2, 3).half()
    assert _mkldnn_rnn_calls(half, x.half()) == 0  # autograd on: never fused
    with torch.no_grad():
        fp16 = torch.ops.mkldnn._is_mkldnn_fp16_supported()
        assert _mkldnn_rnn_calls(half, x.half()) == int(fp16)
    torch.backends.mkldnn.enabled = False
    try:
        assert _mkldnn_rnn_calls(lstm, x) == 0
    finally:
        torch.backends.mkldnn.enabled = True


def test_dynamo_compiles_the_lstm_to_one_graph_with_allow_rnn():
    from torch import _dynamo

    assert "with `nn.LSTM` unless `torch._dynamo.config.allow_rnn` is\n  set" in GLOSSARY
    _dynamo.reset()
    lstm = torch.nn.LSTM(2, 3)
    x = torch.randn(4, 1, 2)
    with _dynamo.config.patch(allow_rnn=True), torch.no_grad():
        out, _ = torch.compile(lstm, fullgraph=True, backend="eager")(x)
        assert torch.allclose(out, lstm(x)[0])
