"""Checks for the exercises of chapter 3, "Recurrent layers with packed input"."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

from packviz.exercises import as_plain, exercise

H = 3  # the chapter's hidden size
LENGTHS = torch.tensor([5, 2])


def _example() -> torch.Tensor:
    """The chapter's running example as a float batch-first batch, (2, 5, 2)."""
    long_seq = torch.tensor([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]])
    short_seq = torch.tensor([[10, 10], [20, 20]])
    return pad_sequence([long_seq, short_seq], batch_first=True).float()


def _seeded(make):
    """Build a layer with weights from a fixed seed, leaving the global RNG as it was."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return make()


def _random_batch(seed: int = 0) -> torch.Tensor:
    """Random inputs on the real steps of lengths 5 and 2, zeros on the pads."""
    g = torch.Generator().manual_seed(seed)
    real = torch.arange(5) < LENGTHS.unsqueeze(1)
    return torch.randn(2, 5, 2, generator=g) * real.unsqueeze(-1)


def _numbers(got) -> bool:
    return isinstance(got, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in got)


def _pad_value_answer() -> list[float]:
    lstm = _seeded(lambda: nn.LSTM(2, H, batch_first=True))
    out_packed, _ = lstm(pack_padded_sequence(_example(), LENGTHS, batch_first=True))
    out, _ = pad_packed_sequence(out_packed, batch_first=True, padding_value=-1.0)
    return out[1, 4].tolist()


@exercise("ch03-ex-pad-value", variable="answer_pad_value",
          form="a list of three numbers",
          section="'Pad steps differ'",
          answer=_pad_value_answer,
          mistakes=[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [-1.0, -1.0],
                    [0.2, -0.1, 0.05]])
def _pad_value(answer):
    got = as_plain(answer)
    if not _numbers(got):
        return "Give the three numbers as a list, such as [0.5, 0.5, 0.5]."
    if len(got) != H:
        return ("Row [1, 4] of the padded output is one time step of one sequence: it "
                "has H = 3 features.")
    want = _pad_value_answer()
    if all(math.isclose(g, w) for g, w in zip(got, want)):
        return None
    if all(v == 0 for v in got):
        return ["Zero is what pad_packed_sequence puts at pad steps by default. Read "
                "the call again: it asks for something else.",
                "Look at the padding_value argument of this call."]
    if len(set(got)) > 1:
        return ["Is step 4 a real step of sequence 1? Its length is 2.",
                "The packed run computes nothing after a sequence's last real step; "
                "pad_packed_sequence fills those steps with one value."]
    return "Every feature of a pad step gets the same value: padding_value."


def _three_layer_rows(num_layers: int = 3) -> tuple[int, int]:
    """Rows of h_n that match the last layer's forward and backward outputs."""
    gru = _seeded(lambda: nn.GRU(2, H, num_layers=num_layers, batch_first=True,
                                 bidirectional=True))
    out_packed, h_n = gru(pack_padded_sequence(_example(), LENGTHS, batch_first=True))
    out, _ = pad_packed_sequence(out_packed, batch_first=True)
    forward = out[torch.arange(2), LENGTHS - 1, :H]
    backward = out[:, 0, H:]
    rows = range(h_n.shape[0])
    fwd = [r for r in rows if torch.allclose(h_n[r], forward)]
    bwd = [r for r in rows if torch.allclose(h_n[r], backward)]
    assert len(fwd) == len(bwd) == 1, (fwd, bwd)
    return fwd[0], bwd[0]


@exercise("ch03-ex-three-layers", variable="answer_three_layers",
          form="a tuple of two row indices (forward, backward)",
          section="'Several layers' (the order of h_n's rows)",
          answer=_three_layer_rows,
          mistakes=[(5, 4), (0, 1), (2, 3), (-1, -2)])
def _three_layers(answer):
    got = as_plain(answer)
    if not (isinstance(got, list) and len(got) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in got)):
        return "Give two row indices in a tuple, forward first: (forward, backward)."
    rows = 3 * 2  # num_layers * num_directions
    if not all(-rows <= v < rows for v in got):
        return ("h_n has num_layers * num_directions rows: your index is outside "
                "them.")
    fwd, bwd = (v % rows for v in got)
    want = _three_layer_rows()
    if (fwd, bwd) == want:
        return None
    if (bwd, fwd) == want:
        return "Those are the right rows the wrong way round: forward comes first."
    if fwd // 2 == bwd // 2 and fwd % 2 == 0:
        return ["Those are one layer's two directions, but not the last layer's. "
                "h_n is ordered layer by layer.",
                "h_n.view(num_layers, 2, B, H) puts the layers first: the last "
                "layer's rows come last."]
    return ["Within a layer, forward comes before backward; the layers follow one "
            "another, first to last.",
            "Try h_n.view(num_layers, 2, B, H)[-1] and find which rows of h_n it "
            "holds."]


def _gather_matches(bidirectional: bool, num_layers: int, seed: int = 0) -> bool:
    """Whether a gather from the padded run equals the packed run's final state."""
    gru = _seeded(lambda: nn.GRU(2, H, num_layers=num_layers, batch_first=True,
                                 bidirectional=bidirectional))
    padded = _random_batch(seed)
    out, _ = gru(padded)
    _, h_n = gru(pack_padded_sequence(padded, LENGTHS, batch_first=True))
    at_last = out[torch.arange(2), LENGTHS - 1]
    if not bidirectional:
        return torch.allclose(at_last, h_n[-1])
    gathered = torch.cat([at_last[:, :H], out[:, 0, H:]], dim=1)
    return torch.allclose(gathered, torch.cat([h_n[-2], h_n[-1]], dim=1))


def _no_pack_answer() -> tuple[bool, bool, bool]:
    return (_gather_matches(False, 1), _gather_matches(True, 1),
            _gather_matches(True, 2))


@exercise("ch03-ex-no-pack", variable="answer_no_pack",
          form="a tuple of three bools: (unidirectional, bidirectional with 1 layer, "
               "bidirectional with 2 layers)",
          section="'The final states' and 'Bidirectional layers: padding breaks the "
                  "real steps too'",
          answer=_no_pack_answer,
          mistakes=[(True, True, True), (True, True, False), (False, False, False),
                    (True, False, True)])
def _no_pack(answer):
    got = as_plain(answer)
    if not (isinstance(got, list) and len(got) == 3
            and all(isinstance(v, bool) for v in got)):
        return ("Give three bools in a tuple, one per layer: (unidirectional, "
                "bidirectional with 1 layer, bidirectional with 2 layers).")
    uni, bi1, bi2 = got
    want_uni, want_bi1, want_bi2 = _no_pack_answer()
    if uni != want_uni:
        return ("Start with the unidirectional GRU: compare its padded output at step "
                "lengths - 1 with packed h_n[-1], as 'The final states' does.")
    if bi1 != want_bi1:
        return ["Look at each half of the bidirectional vector separately: which "
                "direction reads the pads before the real steps?",
                "The forward half at lengths - 1 is right. The backward half has to "
                "come from step 0, where a padded run's backward direction arrives "
                "after starting on the pads."]
    if bi2 != want_bi2:
        return ["In a stack, layer 2 reads all of layer 1's outputs, both halves.",
                "Layer 2's forward direction reads layer 1's backward half, which "
                "started on the pads."]
    return None
