"""Checks for the exercises of chapter 5, "Training on variable-length batches"."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

from packviz.bucketing import LengthGroupedBatchSampler
from packviz.exercises import as_plain, exercise

NUM_TOKENS, NUM_CLASSES, MAX_LEN = 17, 4, 16  # the chapter's data set
PROBE = [6, 2, 6, 3]  # ch05-ex-real-rows
TAG_LENGTHS = [4, 1, 2]  # ch05-ex-ignore-count
POOLS = (1, 2, 4)  # ch05-ex-pool
POOL_TOL = 0.0025  # the shares rounded to two decimals pass


def _whole_number(answer, what: str) -> str | None:
    """A hint if `answer` is not a whole number, else None."""
    if isinstance(answer, bool) or not isinstance(as_plain(answer), int):
        return f"Give {what} as a whole number (an int), not {type(answer).__name__}."
    return None


def _seeded(make):
    """Build a module with weights from a fixed seed, leaving the global RNG alone."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return make()


# --- ch05-ex-real-rows ------------------------------------------------------------
def _real_rows_answer() -> int:
    lengths = torch.tensor(PROBE)
    lstm = _seeded(lambda: nn.LSTM(2, 3, batch_first=True))
    g = torch.Generator().manual_seed(1)
    padded = torch.randn(len(PROBE), max(PROBE), 2, generator=g)
    with torch.no_grad():
        packed = pack_padded_sequence(padded, lengths, batch_first=True,
                                      enforce_sorted=False)
        out, _ = pad_packed_sequence(lstm(packed)[0], batch_first=True)
    return int(out[:, -1].ne(0).any(dim=1).sum())


@exercise("ch05-ex-real-rows", variable="answer_real_rows",
          form="a whole number: how many of the four sequences reach fc with a real state",
          section="'What the padding bugs cost' (why fc(out[:, -1]) is above chance)",
          answer=_real_rows_answer, mistakes=[4, 1, 3, 0])
def _real_rows(answer):
    hint = _whole_number(answer, "the number of sequences")
    if hint:
        return hint
    got = as_plain(answer)
    if got == _real_rows_answer():
        return None
    if got == len(PROBE):
        return ("Not every row of out[:, -1] is real: after pad_packed_sequence the "
                "steps past a sequence's length hold the padding value, zeros.")
    if got == 1:
        return ("Several sequences can share the longest length; each of them has a "
                "real output at the last step.")
    if got == 0:
        return "The longest sequence of the batch does reach its last step for real."
    return ["out[:, -1] is real only for the sequences whose length equals the "
            "longest in the batch.",
            "Count the sequences as long as the longest one."]


# --- ch05-ex-ignore-count ---------------------------------------------------------
def _ignore_count_answer() -> int:
    tags = pad_sequence([torch.zeros(n, dtype=torch.long) for n in TAG_LENGTHS],
                        batch_first=True, padding_value=-100)
    logits = torch.zeros(tags.numel(), NUM_CLASSES)
    logits[:, 1] = 1.0  # any logits with a nonzero loss will do
    total = nn.CrossEntropyLoss(ignore_index=-100, reduction="sum")(logits, tags.flatten())
    mean = nn.CrossEntropyLoss(ignore_index=-100)(logits, tags.flatten())
    return round(float(total / mean))


@exercise("ch05-ex-ignore-count", variable="answer_ignore_count",
          form="a whole number: the targets the mean is taken over",
          section="'Tagging: a loss per token that ignores the pads'",
          answer=_ignore_count_answer, mistakes=[12, 4, 3, 5])
def _ignore_count(answer):
    hint = _whole_number(answer, "the number of targets")
    if hint:
        return hint
    got = as_plain(answer)
    if got == _ignore_count_answer():
        return None
    if got == len(TAG_LENGTHS) * max(TAG_LENGTHS):
        return ("That counts every cell of the padded batch. ignore_index drops the "
                "pads from the sum and from the count the mean divides by.")
    if got == len(TAG_LENGTHS):
        return "The loss is per token, not per sequence: every real token is a target."
    if got == max(TAG_LENGTHS):
        return "Every sequence contributes its real tokens, not just the longest one."
    return ["The mean runs over the targets that are not -100.",
            "Add up the real tokens of the three sequences."]


# --- ch05-ex-gather: the reader's classifier ------------------------------------
class _Base(nn.Module):
    """The chapter's Classifier, for the typical mistakes the tests try."""

    def __init__(self, F=8, H=16):
        super().__init__()
        self.embed = nn.Embedding(NUM_TOKENS, F, padding_idx=0)
        self.rnn = nn.LSTM(F, H, batch_first=True)
        self.fc = nn.Linear(H, NUM_CLASSES)


class _LastPadded(_Base):
    def forward(self, padded, lengths):
        packed = pack_padded_sequence(self.embed(padded), lengths, batch_first=True,
                                      enforce_sorted=False)
        out, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True)
        return self.fc(out[:, -1])


class _NoMinusOne(_Base):
    def forward(self, padded, lengths):
        packed = pack_padded_sequence(self.embed(padded), lengths, batch_first=True,
                                      enforce_sorted=False)
        out, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True)
        return self.fc(out[torch.arange(len(lengths)), lengths])


class _Sorted(_Base):
    def forward(self, padded, lengths):
        packed = pack_padded_sequence(self.embed(padded), lengths, batch_first=True)
        out, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True)
        return self.fc(out[torch.arange(len(lengths)), lengths - 1])


class _NoArange(_Base):
    def forward(self, padded, lengths):
        packed = pack_padded_sequence(self.embed(padded), lengths, batch_first=True,
                                      enforce_sorted=False)
        out, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True)
        return self.fc(out[:, lengths - 1])  # (B, B, H): every sequence at every index


def _reference(model: nn.Module, padded, lengths) -> torch.Tensor:
    """Classifier's logits with the reader's weights: fc(h_n[-1]) of a packed run."""
    packed = pack_padded_sequence(model.embed(padded), lengths, batch_first=True,
                                  enforce_sorted=False)
    _, (h_n, _) = model.rnn(packed)
    return model.fc(h_n[-1])


def _probe_batches(num_tokens: int):
    g = torch.Generator().manual_seed(3)
    for lengths in ([3, 5, 1, 4], [4, 4, 4], [2], [1, 6, 6, 2, 5]):
        seqs = [torch.randint(1, num_tokens, (n,), generator=g) for n in lengths]
        yield pad_sequence(seqs, batch_first=True), torch.tensor(lengths)


@exercise("ch05-ex-gather", variable="answer_gather",
          form="a class, a subclass of Classifier whose forward(padded, lengths) "
               "classifies the gather at lengths - 1",
          section="'What the padding bugs cost' (way 1) and chapter 4's gather",
          mistakes=[_LastPadded, _NoMinusOne, _Sorted, _NoArange])
def _gather(answer):
    if not isinstance(answer, type) or not issubclass(answer, nn.Module):
        return ("Give the class itself (answer_gather = MyClassifier), a subclass of "
                "Classifier, not an instance or a function.")
    try:
        model = _seeded(answer)
    except Exception as err:  # noqa: BLE001 (the reader's code can raise anything)
        return f"Making your class with no arguments raised {type(err).__name__}: {err}"
    if not all(hasattr(model, name) for name in ("embed", "rnn", "fc")):
        return "Subclass Classifier, so that your model has its embed, rnn and fc."
    model.eval()
    with torch.no_grad():
        for padded, lengths in _probe_batches(model.embed.num_embeddings):
            try:
                got = model(padded, lengths)
            except IndexError as err:
                return [f"Your forward raised IndexError: {err}.",
                        "A sequence of length n ends at step n - 1: gather at "
                        "lengths - 1."]
            except RuntimeError as err:
                if "sorted in decreasing order" in str(err):
                    return ("Your forward refuses unsorted lengths: pack with "
                            "enforce_sorted=False.")
                return f"Your forward raised RuntimeError: {err}"
            except Exception as err:  # noqa: BLE001
                return f"Your forward raised {type(err).__name__}: {err}"
            want = _reference(model, padded, lengths)
            if not isinstance(got, torch.Tensor) or got.shape != want.shape:
                shape = tuple(got.shape) if isinstance(got, torch.Tensor) else None
                return (f"Your forward returned shape {shape}; it should be "
                        f"(B, NUM_CLASSES), one row of logits per sequence.")
            if not torch.allclose(got, want, atol=1e-5):
                if len(set(lengths.tolist())) > 1:
                    return ["Your logits differ from h_n[-1]'s for a batch of unequal "
                            "lengths. out[:, -1] is the padding value for all but the "
                            "longest sequences.",
                            "Pick row b at step lengths[b] - 1: out[torch.arange(B), "
                            "lengths - 1]."]
                return "Your logits differ from those of h_n[-1] with the same weights."
    return None


# --- ch05-ex-pool -------------------------------------------------------------------
def _train_lengths() -> list[int]:
    """The lengths of the chapter's training set, LastTokenClass(512, seed=1)."""
    gen = torch.Generator().manual_seed(1)
    return torch.randint(1, MAX_LEN + 1, (512,), generator=gen).tolist()


def _pool_answer() -> list[float]:
    lengths = _train_lengths()
    shares = []
    for pool in POOLS:
        sampler = LengthGroupedBatchSampler(lengths, batch_size=128, pool_batches=pool)
        ties = sum(sum(lengths[i] == max(lengths[j] for j in b) for i in b)
                   for b in sampler)
        shares.append(ties / len(lengths))
    return shares


@exercise("ch05-ex-pool", variable="answer_pool",
          form="a list of three fractions, for pool_batches 1, 2 and 4",
          section="'What the padding bugs cost' (the cap) and LengthGroupedBatchSampler",
          answer=_pool_answer,
          mistakes=[[4.0, 8.0, 9.0], [0.09, 0.08, 0.04], [1 / 128] * 3, [0.25] * 3])
def _pool(answer):
    got = as_plain(answer)
    if not (isinstance(got, list) and len(got) == len(POOLS) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in got)):
        return "Give a list of three numbers, for pool_batches 1, 2 and 4 in that order."
    want = _pool_answer()
    if all(abs(g - w) <= POOL_TOL for g, w in zip(got, want)):
        return None
    if any(g > 1 for g in got):
        return "Give fractions between 0 and 1, not percentages."
    if all(abs(g - w) <= POOL_TOL for g, w in zip(got[::-1], want)):
        return "The order is pool_batches 1, 2, 4: the tightest grouping last."
    if all(abs(g - 1 / 128) <= 0.003 for g in got):
        return ("Count every sequence whose length equals its batch's longest, not "
                "one per batch: ties count too.")
    return ["Build the sampler as make_loader does (batch_size=128) with each "
            "pool_batches, and count the sequences as long as their batch's longest.",
            "Divide by the 512 training sequences."]
