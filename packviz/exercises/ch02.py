"""Checks for the exercises of chapter 2, "What packing produces"."""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pack_sequence, unpack_sequence

from packviz.exercises import as_plain, exercise
from packviz.packing import pack_by_hand

BATCH = [3, 1, 3]  # ch02-ex-batch-sizes
WORDS = ["hi", "yes", "a"]  # ch02-ex-letters
SIZES = [3, 3, 2, 1, 1]  # ch02-ex-inverse


def _whole_numbers(got) -> bool:
    """Whether `got` (a plain value) is a non-empty list of ints (bools excluded)."""
    return (isinstance(got, list) and len(got) > 0
            and all(isinstance(v, int) and not isinstance(v, bool) for v in got))


def _batch_sizes_of(lengths: list[int]) -> list[int]:
    """torch's batch_sizes for sequences of these lengths, in any order."""
    dummies = [torch.zeros(n) for n in lengths]
    return pack_sequence(dummies, enforce_sorted=False).batch_sizes.tolist()


@exercise("ch02-ex-batch-sizes", variable="answer_batch_sizes",
          form="a list of whole numbers, one per time step",
          section="'batch_sizes is not the list of lengths' and 'From lengths to "
                  "batch_sizes and back'",
          answer=lambda: _batch_sizes_of(BATCH),
          mistakes=[[3, 1, 3], [3, 3, 1], [3, 1, 1], [3, 2]])
def _batch_sizes(answer):
    got = as_plain(answer)
    if not _whole_numbers(got):
        return "Give batch_sizes as a list of whole numbers, such as [4, 4, 1]."
    if sorted(got) == sorted(BATCH):
        return ["Those are the lengths (one entry per sequence), perhaps reordered. "
                "batch_sizes has one entry per time step: how many sequences are "
                "still running at that step.",
                "batch_sizes[t] counts the lengths greater than t. The two lists only "
                "look alike; the chapter's six-sequence batch shows the difference."]
    if len(got) != max(BATCH):
        return ["batch_sizes has one entry per time step, up to the end of the longest "
                "sequence.",
                "Count the time steps: as many as the longest sequence is long."]
    if got[0] != len(BATCH):
        return "At step 0 every sequence is running, so batch_sizes[0] is the batch size."
    if any(later > earlier for earlier, later in zip(got, got[1:])):
        return "batch_sizes never grows: a sequence that has ended does not restart."
    if sum(got) != sum(BATCH):
        return ["batch_sizes add up to the number of real steps, the sum of the "
                "lengths.",
                "For each step t, count the lengths greater than t (not greater or "
                "equal)."]
    if got != _batch_sizes_of(BATCH):
        return "For each step t, count the lengths greater than t."
    return None


def _letters_answer() -> str:
    codes = [torch.tensor([ord(ch) for ch in word]) for word in WORDS]
    packed = pack_sequence(codes, enforce_sorted=False)
    return "".join(chr(c) for c in packed.data.tolist())


def _interleave(words: list[str]) -> str:
    """The letters of `words` step by step, in the order given (no sorting)."""
    return "".join(w[t] for t in range(max(map(len, words))) for w in words if t < len(w))


@exercise("ch02-ex-letters", variable="answer_letters",
          form="a string: the letters of data in order",
          section="'Packing: pack_padded_sequence' (how data interleaves, and what "
                  "enforce_sorted=False does)",
          answer=_letters_answer,
          mistakes=["hyaies", "yeshia", "hiyesa", "ahyies"])
def _letters(answer):
    if not isinstance(answer, str):
        return "Give the packed data as one string of letters, such as \"abc\"."
    got = "".join(answer.split()).replace(",", "").strip("\"'")
    if sorted(got) != sorted("".join(WORDS)):
        return ("Packing keeps every real step once and adds nothing: your string "
                "should use exactly the letters of the three words.")
    if got == _interleave(WORDS):
        return ["You interleaved the words in the order given. With "
                "enforce_sorted=False, packing first sorts the sequences.",
                "enforce_sorted=False sorts the sequences longest first, then "
                "interleaves them."]
    if got == _interleave(sorted(WORDS, key=len)):
        return "Sorted the right way? Packing puts the longest sequence first."
    if got in {"".join(WORDS), "".join(sorted(WORDS, key=len, reverse=True))}:
        return ["That is the words one after another. data interleaves the "
                "sequences time step by time step.",
                "data holds every sequence's step 0 first, then every step 1 of the "
                "sequences still running, and so on."]
    if got != _letters_answer():
        return ("Sort the words longest first, then read off step 0 of each, step 1 of "
                "each still running, and so on.")
    return None


def _inverse_answer() -> list[int]:
    sizes = torch.tensor(SIZES)
    positions = torch.arange(int(sizes[0]))
    return (sizes.unsqueeze(0) > positions.unsqueeze(1)).sum(dim=1).tolist()


@exercise("ch02-ex-inverse", variable="answer_inverse",
          form="a list of whole numbers: the lengths, longest first",
          section="'From lengths to batch_sizes and back'",
          answer=_inverse_answer,
          mistakes=[[3, 3, 2, 1, 1], [2, 3, 5], 3, [5, 5, 3]])
def _inverse(answer):
    got = as_plain(answer)
    if isinstance(got, int) and not isinstance(got, bool):
        return ("Give the lengths as a list, one entry per sequence; how many "
                "sequences there are is how many entries your list has.")
    if not _whole_numbers(got):
        return "Give the lengths as a list of whole numbers, such as [4, 1]."
    if got == SIZES:
        return ["That is batch_sizes itself: one entry per time step. The lengths "
                "have one entry per sequence.",
                "Sequence i (longest first) is as long as the number of steps at "
                "which more than i sequences are running."]
    if any(later > earlier for earlier, later in zip(got, got[1:])):
        return "Give the lengths longest first, as packing sorts them."
    if len(got) != SIZES[0]:
        return ("How many sequences? Every sequence runs at step 0, so the first "
                "entry of batch_sizes is their number.")
    if got[0] != len(SIZES):
        return ("The longest sequence runs at every step: its length is the number "
                "of entries of batch_sizes.")
    if sum(got) != sum(SIZES):
        return ["The lengths add up to the number of real steps, which is also the "
                "sum of batch_sizes.",
                "Sequence i is as long as the number of steps t with "
                "batch_sizes[t] > i: more than i, not at least i."]
    if _batch_sizes_of(got) != SIZES:
        return "Pack sequences of your lengths and compare their batch_sizes."
    return None


# --- ch02-ex-time-first: the reader's pack_by_hand, judged by what it returns -------
def _cases():
    """(what, padded, lengths, batch_first, enforce_sorted) for the reader's function."""
    g = torch.Generator().manual_seed(2)
    cases = [
        ("a time-first (T, B, F) batch, sorted lengths as a tensor",
         torch.randn(4, 3, 2, generator=g), torch.tensor([4, 3, 1]), False, True),
        ("a time-first batch, unsorted lengths with a tie and a length 1, "
         "enforce_sorted=False",
         torch.randn(5, 4, 2, generator=g), torch.tensor([2, 5, 1, 2]), False, False),
        ("a batch-first (B, T, F) batch, unsorted lengths, enforce_sorted=False",
         torch.randn(3, 4, 2, generator=g), torch.tensor([1, 4, 3]), True, False),
        ("a time-first batch with lengths as an int32 tensor",
         torch.randn(3, 2, 2, generator=g), torch.tensor([2, 3], dtype=torch.int32),
         False, False),
        ("a time-first batch with lengths as a list",
         torch.randn(3, 3, 2, generator=g), [3, 3, 2], False, True),
        ("a time-first batch with no feature axis, (T, B)",
         torch.randn(4, 3, generator=g), torch.tensor([3, 4, 2]), False, False),
        ("a batch-first batch with two feature axes, (B, T, 2, 2)",
         torch.randn(2, 3, 2, 2, generator=g), torch.tensor([2, 3]), True, False),
    ]
    if torch.cuda.is_available():  # a tensor of lengths on a GPU, as the exercise asks
        cases.append(("a time-first batch with lengths on the GPU",
                      torch.randn(3, 2, 2, generator=g), torch.tensor([1, 3]).cuda(),
                      False, False))
    return cases


def _same_tensor(a, b) -> bool:
    return isinstance(a, torch.Tensor) and a.shape == b.shape and torch.equal(a, b)


def _judge_packing(mine, theirs, lengths, enforce_sorted, what) -> str | None:
    """A hint if `mine` does not pack as torch's `theirs` does, else None."""
    if not all(hasattr(mine, f) for f in theirs._fields):
        return (f"On {what}, your function returned {type(mine).__name__}; return a "
                "PackedSequence (data, batch_sizes, sorted_indices, unsorted_indices).")
    sizes = mine.batch_sizes
    if not isinstance(sizes, torch.Tensor) or sizes.dtype != torch.int64 \
            or sizes.device.type != "cpu":
        return (f"On {what}, batch_sizes is not an int64 tensor on the CPU, as torch's "
                "is: build it from plain Python ints with torch.tensor.")
    if not _same_tensor(sizes, theirs.batch_sizes):
        return [f"On {what}, your batch_sizes differ from torch's.",
                f"On {what}, your batch_sizes differ from torch's: check which axis is "
                "time for this layout, and that the lengths are sorted longest first "
                "before you count."]
    if enforce_sorted:
        if mine.sorted_indices is not None or mine.unsorted_indices is not None:
            return (f"On {what} with enforce_sorted=True, torch records no order: "
                    "sorted_indices and unsorted_indices are None.")
        if not _same_tensor(mine.data, theirs.data):
            return f"On {what}, your data differ from torch's."
        return None
    order, inverse = mine.sorted_indices, mine.unsorted_indices
    if not isinstance(order, torch.Tensor) or not isinstance(inverse, torch.Tensor):
        return (f"On {what} with enforce_sorted=False, record the order: "
                "sorted_indices and its inverse unsorted_indices, as tensors.")
    plain = torch.tensor(as_plain(lengths))
    if sorted(order.tolist()) != list(range(len(plain))) \
            or (plain[order.cpu()][:-1] < plain[order.cpu()][1:]).any():
        return (f"On {what}, sorted_indices should list the batch positions longest "
                "first.")
    if not torch.equal(inverse.cpu(), order.cpu().argsort()):
        return f"On {what}, unsorted_indices should be the inverse of sorted_indices."
    try:
        pieces = unpack_sequence(mine)
    except Exception:  # noqa: BLE001 (any inconsistency in the reader's fields)
        pieces = None
    wanted = unpack_sequence(theirs)
    if pieces is None or len(pieces) != len(wanted) \
            or not all(_same_tensor(a, b) for a, b in zip(pieces, wanted)):
        return [f"On {what}, unpacking your result does not give back the sequences.",
                f"On {what}, unpacking your result does not give back the sequences: "
                "step t holds the first batch_sizes[t] sequences in sorted order."]
    return None


@exercise("ch02-ex-time-first", variable="answer_time_first",
          form="your packing function, called as f(padded, lengths, batch_first=..., "
               "enforce_sorted=...)",
          section="'Packing by hand'",
          mistakes=[
              lambda padded, lengths, batch_first=False, enforce_sorted=True:
                  pack_by_hand(padded, lengths, False, enforce_sorted),
              lambda padded, lengths, batch_first=False, enforce_sorted=True:
                  pack_by_hand(padded, lengths, batch_first, True),
              lambda padded, lengths, batch_first=False, enforce_sorted=True:
                  pack_by_hand(padded, lengths, batch_first, enforce_sorted)._replace(
                      batch_sizes=pack_by_hand(padded, lengths, batch_first,
                                               enforce_sorted).batch_sizes.int()),
          ])
def _time_first(answer):
    if not callable(answer):
        return ("Give the function itself, without calling it, for example "
                "answer_time_first = pack_by_hand.")
    for what, padded, lengths, batch_first, enforce_sorted in _cases():
        theirs = pack_padded_sequence(padded, lengths.cpu() if isinstance(
            lengths, torch.Tensor) else lengths, batch_first=batch_first,
            enforce_sorted=enforce_sorted)
        try:
            mine = answer(padded, lengths, batch_first=batch_first,
                          enforce_sorted=enforce_sorted)
        except Exception as err:  # noqa: BLE001 (the reader's code can raise anything)
            return (f"On {what}, your function raised {type(err).__name__}: {err}")
        hint = _judge_packing(mine, theirs, lengths, enforce_sorted, what)
        if hint:
            return hint
    try:
        answer(torch.zeros(3, 2, 1), torch.tensor([1, 3]), batch_first=False,
               enforce_sorted=True)
    except Exception:  # noqa: BLE001 (refusing is what torch does too)
        return None
    return ("Unsorted lengths with enforce_sorted=True should raise an error, as "
            "torch's does; yours packed them.")
