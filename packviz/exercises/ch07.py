"""Checks for the exercises of chapter 7, "When packing goes wrong"."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from packviz.exercises import as_plain, exercise


# --- ch07-ex-too-long: a value ----------------------------------------------------
def _too_long_answer() -> tuple[int, int]:
    """(sum of batch_sizes, rows of data) for a (2, 4, 1) batch packed with lengths 6, 2."""
    probe = pack_padded_sequence(torch.zeros(2, 4, 1), torch.tensor([6, 2]),
                                 batch_first=True)
    return int(probe.batch_sizes.sum()), probe.data.shape[0]


@exercise("ch07-ex-too-long", variable="answer_too_long",
          form="a tuple (sum of batch_sizes, rows of data) of two whole numbers",
          section="'Lengths longer than the tensor'", answer=_too_long_answer,
          mistakes=[(6, 8), (6, 6), (8, 8), (4, 4)])
def _too_long(answer):
    got = as_plain(answer)
    if not (isinstance(got, list) and len(got) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in got)):
        return ("Give two whole numbers in a tuple, the sum of batch_sizes first: "
                "(sum, rows).")
    want = list(_too_long_answer())
    if got == want:
        return None
    if got == want[::-1]:
        return ("The two numbers are the wrong way round: the sum of batch_sizes comes "
                "first.")
    hints = []
    if got[0] != want[0]:
        hints += ["Your sum of batch_sizes is off. Packing does not compare the lengths "
                  "with the tensor: batch_sizes follows the lengths you pass, all of it.",
                  "Your sum of batch_sizes is off: batch_sizes[t] counts the sequences "
                  "whose claimed length is greater than t, for every t below the "
                  "longest claimed length."]
    if got[1] != want[1]:
        hints += ["Your row count is off. data can only hold the steps that exist in "
                  "the (2, 4, 1) tensor: a sequence cannot give more rows than T.",
                  "Your row count is off: count, for each sequence, the steps that are "
                  "both claimed by its length and present in the tensor."]
    return hints


# --- ch07-ex-safe-pack: a function last_states(encoder, padded, lengths) -----------
class _Encoder(nn.Module):
    """The chapter's PackedEncoder: pack, run an LSTM, return each last real state."""

    def __init__(self, F: int, H: int):
        super().__init__()
        self.rnn = nn.LSTM(F, H, batch_first=True)

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(padded, lengths, batch_first=True,
                                      enforce_sorted=False)
        _, (h_n, _) = self.rnn(packed)
        return h_n[-1]


# (F, H, lengths, what the case is about): the cases the chapter teaches
_SAFE_PACK_CASES = [
    (2, 3, [0, 5, 0], "empty sequences around a long one (the chapter's example)"),
    (2, 3, [2, 0, 4, 0, 1], "empty sequences between unsorted ones"),
    (3, 5, [0, 0, 0], "every sequence empty"),
    (2, 3, [4], "a single sequence"),
    (3, 5, [1, 0, 3], "another encoder, with a hidden size other than 3"),
]


def _safe_pack_expected(encoder, padded, lengths):
    states = torch.zeros(len(lengths), encoder.rnn.hidden_size)
    for b, n in enumerate(lengths.tolist()):
        if n > 0:
            states[b] = encoder(padded[b:b + 1, :n], torch.tensor([n]))[0]
    return states


def _safe_pack_error(err: Exception, lengths: torch.Tensor, case: str) -> str | list[str]:
    """A hint for a last_states that raised `err` on `lengths`."""
    if "greater than 0" in str(err):
        return ["Your function still packs a sequence of length 0, which torch "
                f"refuses. Case: {case}.",
                "Pack only the rows whose length is positive (padded[keep], "
                "lengths[keep] with keep = lengths > 0), and fill the other rows "
                "yourself."]
    if not bool((lengths > 0).any()):
        return [f"Your function raised {type(err).__name__} when every sequence is "
                "empty. There is nothing to pack then: skip the encoder and return "
                "the zeros.",
                "Guard the encoder call with keep.any()."]
    return f"Your function raised {type(err).__name__} ({err}). Case: {case}."


@exercise("ch07-ex-safe-pack", variable="answer_safe_pack",
          form="a function last_states(encoder, padded, lengths) that returns a "
               "(B, H) tensor",
          section="'A zero length' (pack only the non-empty sequences)",
          mistakes=[
              lambda encoder, padded, lengths: encoder(padded, lengths),
              lambda encoder, padded, lengths: encoder(padded, lengths.clamp(min=1)),
              lambda encoder, padded, lengths: encoder(padded[lengths > 0],
                                                       lengths[lengths > 0]),
          ])
def _safe_pack(answer):
    if not callable(answer):
        return ("Give the function itself, last_states (no parentheses), that takes "
                "(encoder, padded, lengths).")
    for seed, (F, H, lengths, case) in enumerate(_SAFE_PACK_CASES):
        with torch.random.fork_rng(devices=[]):  # leave the reader's seed alone
            torch.manual_seed(seed)
            encoder = _Encoder(F, H).eval()
            lengths = torch.tensor(lengths)
            padded = torch.randn(len(lengths), 5, F)
        padded[torch.arange(5) >= lengths[:, None]] = 0.0
        with torch.no_grad():
            want = _safe_pack_expected(encoder, padded, lengths)
            try:
                got = answer(encoder, padded, lengths)
            except Exception as err:  # noqa: BLE001 (the reader's code can raise anything)
                return _safe_pack_error(err, lengths, case)
        if not isinstance(got, torch.Tensor):
            return (f"Return a tensor of shape (B, H), one row per sequence; got "
                    f"{type(got).__name__}. Case: {case}.")
        if tuple(got.shape) != tuple(want.shape):
            return [f"Return one row per sequence, empty ones included: shape (B, H) = "
                    f"{tuple(want.shape)} here, not {tuple(got.shape)}. Case: {case}.",
                    "Start from zeros of shape (len(lengths), H), with H the encoder's "
                    "hidden size (encoder.rnn.hidden_size), and write the kept rows "
                    "into it."]
        empty = lengths == 0
        if not torch.equal(got[empty], want[empty]):
            return (f"The rows of the empty sequences must be all zeros. Case: {case}.")
        if not torch.allclose(got[~empty], want[~empty], atol=1e-6):
            return [f"The states of the non-empty sequences differ from the encoder's "
                    f"last real states. Case: {case}.",
                    "Keep the batch order: the state of sequence b goes into row b. "
                    "Select the kept rows with a mask and write them back with the "
                    "same mask."]
    return None


# --- ch07-ex-left-gather: a function right_pad(left, lengths) ----------------------
def _left_and_right(lengths: list[int], F: int, T: int | None, seed: int):
    """A left-padded batch, its lengths and the right-padded batch it should become."""
    generator = torch.Generator().manual_seed(seed)
    T = T or max(lengths)
    seqs = [torch.randn(n, F, generator=generator) for n in lengths]
    right = torch.zeros(len(lengths), T, F)
    left = torch.zeros(len(lengths), T, F)
    for b, seq in enumerate(seqs):
        n = len(seq)
        right[b, :n] = seq
        left[b, T - n:] = seq
    return left, torch.tensor(lengths), right


# (lengths, F, T or None for max(lengths), what the case is about)
_LEFT_GATHER_CASES = [
    ([5, 3, 2], 2, None, "the chapter's batch, lengths 5, 3, 2"),
    ([1, 4, 2, 4], 3, None, "unsorted lengths, a length-1 sequence"),
    ([3, 3], 2, None, "no pads at all"),
    ([4], 2, None, "a single sequence"),
    ([2, 0, 3], 2, None, "a row with no real steps, all pads"),
    ([4, 2], 2, 6, "a batch padded beyond its longest sequence (T = 6)"),
]


@exercise("ch07-ex-left-gather", variable="answer_left_gather",
          form="a function right_pad(left, lengths) that returns the right-padded "
               "batch",
          section="'Packing a left-padded batch'",
          mistakes=[
              lambda left, lengths: left,
              lambda left, lengths: left.flip(1),
              lambda left, lengths: left[
                  torch.arange(len(lengths))[:, None],
                  (torch.arange(left.shape[1]) + left.shape[1] - lengths[:, None] - 1)
                  % left.shape[1]],
              lambda left, lengths: left[
                  torch.arange(len(lengths))[:, None],
                  (torch.arange(left.shape[1]) + int(lengths.max()) - lengths[:, None])
                  % int(lengths.max())],
          ])
def _left_gather(answer):
    if not callable(answer):
        return ("Give the function itself, right_pad (no parentheses), that takes "
                "(left, lengths).")
    for seed, (lengths, F, T, case) in enumerate(_LEFT_GATHER_CASES):
        left, lengths_t, right = _left_and_right(lengths, F, T, seed)
        before = left.clone()
        try:
            got = answer(left, lengths_t)
        except Exception as err:  # noqa: BLE001 (the reader's code can raise anything)
            return (f"Your function raised {type(err).__name__} ({err}). "
                    f"Case: {case}.")
        if not torch.equal(left, before):
            return (f"Your function changed `left` in place; return a new tensor. "
                    f"Case: {case}.")
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(right.shape):
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got)
            return (f"Return a tensor shaped like `left`, {tuple(right.shape)} here; "
                    f"got {shape}. Case: {case}.")
        if torch.equal(got, right):
            continue
        if torch.equal(got, left):
            return "That is the left-padded batch unchanged: shift each row by its pads."
        if torch.equal(got, left.flip(1)):
            return ("Flipping reverses the order of the real steps. A right-padded row "
                    "keeps them in time order and only moves them to the front.")
        shifted = [torch.equal(got[b, :n], left[b, left.shape[1] - n:])
                   for b, n in enumerate(lengths)]
        if all(shifted):
            return [f"The real steps are in place, but the pads are not the padding "
                    f"value (zeros). Case: {case}.",
                    "Steps at or past lengths[b] must read one of the row's own pads: "
                    "let the shifted index wrap around instead of running past the "
                    "end."]
        return [f"Row b, step t should read left[b, t + T - lengths[b]]. Case: {case}.",
                "Count the pads of each row, T - lengths[b], with T the tensor's own "
                "number of steps (left.shape[1]): off by one, or a longest length "
                "shorter than T, shifts every row."]
    return None
