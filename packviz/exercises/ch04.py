"""Checks for the exercises of chapter 4, "The last real state, sort and unsort"."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from packviz.exercises import as_plain, exercise

INDICES = [2, 7, 4]  # ch04-ex-indices


def _indices_answer() -> tuple[list[int], list[int]]:
    probe = pack_padded_sequence(torch.zeros(3, 7, 1), torch.tensor(INDICES),
                                 batch_first=True, enforce_sorted=False)
    return probe.sorted_indices.tolist(), probe.unsorted_indices.tolist()


def _ints(v) -> bool:
    return isinstance(v, list) and all(
        isinstance(x, int) and not isinstance(x, bool) for x in v)


@exercise("ch04-ex-indices", variable="answer_indices",
          form="a pair of lists (sorted_indices, unsorted_indices)",
          section="'Sort and unsort by hand'",
          answer=_indices_answer,
          mistakes=[([2, 0, 1], [1, 2, 0]), ([7, 4, 2], [2, 0, 1]),
                    ([0, 2, 1], [0, 2, 1]), ([1, 2, 0], [1, 2, 0])])
def _indices(answer):
    got = as_plain(answer)
    if not (isinstance(got, list) and len(got) == 2 and all(map(_ints, got))):
        return ("Give two lists in a tuple, sorted_indices first: "
                "([...], [...]).")
    order, inverse = got
    want_order, want_inverse = _indices_answer()
    if sorted(order) == sorted(INDICES):
        return ("sorted_indices holds batch positions (0, 1, 2), not the lengths "
                "themselves.")
    if (order, inverse) == (want_inverse, want_order):
        return "The two lists are the wrong way round: sorted_indices comes first."
    if sorted(order) != [0, 1, 2] or sorted(inverse) != [0, 1, 2]:
        return "Each list is a permutation of the batch positions 0, 1 and 2."
    if order != want_order:
        return ["sorted_indices lists the batch positions in the order packing puts "
                "them: longest sequence first.",
                "sorted_indices[0] is the position of the longest sequence."]
    if inverse == order:
        return ["unsorted_indices is the inverse permutation of sorted_indices, not a "
                "copy.",
                "unsorted_indices = sorted_indices.argsort(): entry i says where "
                "batch position i went in the sorted order."]
    if inverse != want_inverse:
        return "unsorted_indices = sorted_indices.argsort()."
    return None


# --- ch04-ex-time-first: the reader's gather for (T, B, H) outputs ---------------
def _coded(T: int, B: int) -> torch.Tensor:
    """(T, B, 2) outputs whose entries are their own (t, b), to see what was picked."""
    t = torch.arange(T).view(T, 1).expand(T, B)
    b = torch.arange(B).view(1, B).expand(T, B)
    return torch.stack([t, b], dim=-1).float()


def _time_first_run(lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A time-first packed LSTM run: its unpacked (T, B, H) outputs and h_n[-1]."""
    g = torch.Generator().manual_seed(4)
    padded = torch.randn(int(lengths.max()), len(lengths), 2, generator=g)
    with torch.random.fork_rng():
        torch.manual_seed(4)
        lstm = nn.LSTM(2, 3)
    with torch.no_grad():
        out, (h_n, _) = lstm(pack_padded_sequence(padded, lengths, enforce_sorted=False))
        out, _ = pad_packed_sequence(out)
    return out, h_n[-1]


def _which_picked(result: torch.Tensor, lengths: torch.Tensor) -> str:
    """A hint naming what a wrong gather picked from the coded outputs."""
    T, B = int(lengths.max()), len(lengths)
    if result.shape == (T, 2):
        return ("Your result has one row per time step, (T, H): out[:, -1] on a "
                "time-first tensor picks the last sequence at every step. You want "
                "one row per sequence, (B, H).")
    if result.shape != (B, 2):
        return f"Your result has shape {tuple(result.shape)}; it should be (B, H)."
    t, b = result[:, 0].long(), result[:, 1].long()
    if not torch.equal(b, torch.arange(B)):
        return ("Row b of your result should come from sequence b: index the batch "
                "axis (dim 1 of a time-first tensor) with torch.arange(B).")
    if torch.equal(t, torch.full((B,), T - 1)):
        return ("You picked the last padded step for every sequence. Each sequence "
                "needs its own last real step: lengths - 1.")
    if torch.equal(t, lengths - 2):
        return "Off by one: the last real step of a sequence of length n is n - 1."
    return "Index the time axis (dim 0) with lengths - 1."


@exercise("ch04-ex-time-first", variable="answer_time_first",
          form="a function of (out, lengths) for a time-first out, (T, B, H), that "
               "returns the (B, H) last real states",
          section="'A gather at lengths - 1'",
          mistakes=[
              lambda out, lengths: out[-1],
              lambda out, lengths: out[torch.arange(len(lengths)), lengths - 1],
              lambda out, lengths: out[lengths, torch.arange(len(lengths))],
              lambda out, lengths: out[:, -1],
          ])
def _time_first(answer):
    if not callable(answer):
        return ("Give a function of (out, lengths), for example "
                "answer_time_first = lambda out, lengths: ...")
    for lengths in (torch.tensor([3, 5, 2, 4]), torch.tensor([1, 4, 4]),
                    torch.tensor([2])):
        T, B = int(lengths.max()), len(lengths)
        try:
            picked = answer(_coded(T, B), lengths)
        except IndexError as err:
            return [f"Your gather raised IndexError: {err}. Which axis is time in a "
                    "time-first tensor?",
                    "An index ran past its axis: time is dim 0 here, batch dim 1, "
                    "and a sequence of length n ends at step n - 1."]
        except Exception as err:  # noqa: BLE001 (the reader's code can raise anything)
            return f"Your gather raised {type(err).__name__}: {err}"
        if not isinstance(picked, torch.Tensor):
            return f"Return a tensor of shape (B, H), not {type(picked).__name__}."
        t, b = lengths - 1, torch.arange(B)
        if not torch.equal(picked, _coded(T, B)[t, b]):
            return _which_picked(picked, lengths)
        out, last = _time_first_run(lengths)
        mine = answer(out, lengths)
        if not (isinstance(mine, torch.Tensor) and mine.shape == last.shape
                and torch.allclose(mine, last)):
            return ("On a real time-first LSTM run your result is not h_n[-1]; "
                    "index the time axis with lengths - 1.")
    return None


# --- ch04-ex-bidirectional: the reader's features from h_n ----------------------
def _bidirectional_runs():
    """(what, h_n, expected (B, 2P) features) for bidirectional layers."""
    lengths = torch.tensor([3, 5, 2, 4])
    g = torch.Generator().manual_seed(5)
    padded = torch.randn(len(lengths), 5, 2, generator=g)
    layers = [("a 1-layer bidirectional LSTM", lambda: nn.LSTM(2, 3, bidirectional=True,
                                                              batch_first=True)),
              ("a 2-layer bidirectional LSTM",
               lambda: nn.LSTM(2, 3, num_layers=2, bidirectional=True, batch_first=True)),
              ("a 2-layer bidirectional GRU",
               lambda: nn.GRU(2, 3, num_layers=2, bidirectional=True, batch_first=True)),
              ("a 1-layer bidirectional LSTM with proj_size=2",
               lambda: nn.LSTM(2, 3, bidirectional=True, batch_first=True,
                               proj_size=2))]
    runs = []
    for what, make in layers:
        with torch.random.fork_rng():
            torch.manual_seed(5)
            layer = make()
        packed = pack_padded_sequence(padded, lengths, batch_first=True,
                                      enforce_sorted=False)
        with torch.no_grad():
            out, h_n = layer(packed)
            out, _ = pad_packed_sequence(out, batch_first=True)
        h_n = h_n[0] if isinstance(h_n, tuple) else h_n
        P = out.shape[-1] // 2
        want = torch.cat([out[torch.arange(len(lengths)), lengths - 1, :P],
                          out[:, 0, P:]], dim=1)
        runs.append((what, h_n, want))
    return runs


@exercise("ch04-ex-bidirectional", variable="answer_bidirectional",
          form="a function of h_n that returns one (B, 2H) feature vector per "
               "sequence, forward half first",
          section="'3. h_n[-1] of a packed run' (which rows of h_n to take with two "
                  "directions)",
          mistakes=[
              lambda h_n: h_n[-1],
              lambda h_n: torch.cat([h_n[-1], h_n[-2]], dim=1),
              lambda h_n: torch.cat([h_n[0], h_n[1]], dim=1),
              lambda h_n: h_n.transpose(0, 1).reshape(h_n.shape[1], -1),
          ])
def _bidirectional(answer):
    if not callable(answer):
        return ("Give a function of h_n, for example "
                "answer_bidirectional = lambda h_n: ...")
    for what, h_n, want in _bidirectional_runs():
        try:
            got = answer(h_n)
        except Exception as err:  # noqa: BLE001 (the reader's code can raise anything)
            return f"On {what}, your function raised {type(err).__name__}: {err}"
        if not isinstance(got, torch.Tensor):
            return f"Return a tensor of shape (B, 2H), not {type(got).__name__}."
        if got.shape != want.shape:
            one_row = got.shape == (want.shape[0], want.shape[1] // 2)
            why = (" With two directions h_n[-1] is only the backward direction's "
                   "state." if one_row else "")
            return [f"On {what}, your result has shape {tuple(got.shape)}, not "
                    f"(B, 2H).{why}",
                    "Take the last layer's two rows of h_n, forward (h_n[-2]) and "
                    "backward (h_n[-1]), and concatenate them along dim 1."]
        if torch.allclose(got, want):
            continue
        P = want.shape[1] // 2
        if torch.allclose(got, torch.cat([want[:, P:], want[:, :P]], dim=1)):
            return ("The halves are the wrong way round: out has the forward direction "
                    "first, out[..., :H], so the features should too.")
        return [f"On {what}, your features do not match the last layer's final "
                "states.",
                "h_n is ordered layer by layer, forward before backward: the last "
                "layer's rows are h_n[-2] (forward) and h_n[-1] (backward), whatever "
                "the number of layers."]
    return None
