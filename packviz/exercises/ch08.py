"""Checks for the exercises of chapter 8, "Beyond RNNs"."""

from __future__ import annotations

import torch

from packviz.exercises import as_plain, exercise

POSITIONS_LENGTHS = [2, 3, 1]  # the packed row of ch08-ex-positions
NESTED_LENGTHS = [2, 3, 1]  # the nested tensor of ch08-ex-nested-is-packed


def _list_of_whole_numbers(answer, count: int, what: str) -> str | None:
    """A hint if `answer` is not a list of `count` whole numbers, else None."""
    got = as_plain(answer)
    if not (isinstance(got, list)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in got)):
        return f"Give {what} as a list of whole numbers."
    if len(got) != count:
        return f"Give {count} numbers: {what}."
    return None


# --- ch08-ex-positions: a value ----------------------------------------------------
def _positions_answer() -> list[int]:
    lengths = torch.tensor(POSITIONS_LENGTHS)
    doc_ids = torch.repeat_interleave(torch.arange(len(lengths)), lengths)
    starts = torch.cumsum(lengths, dim=0) - lengths
    return (torch.arange(int(lengths.sum())) - starts[doc_ids]).tolist()


@exercise("ch08-ex-positions", variable="answer_positions",
          form="a list of 6 whole numbers, one position id per token of the row",
          section="'Transformer \"packing\": one row, many sequences' (position_ids)",
          answer=_positions_answer,
          mistakes=[[0, 1, 2, 3, 4, 5], [1, 2, 1, 2, 3, 1], [0, 0, 1, 1, 1, 2],
                    [0, 1, 2, 0, 1, 0]])
def _positions(answer):
    hint = _list_of_whole_numbers(answer, sum(POSITIONS_LENGTHS),
                                  "one position id per token of the packed row")
    if hint:
        return hint
    got, want = as_plain(answer), _positions_answer()
    if got == want:
        return None
    if got == list(range(len(want))):
        return ("Those ids count straight through the row. Each sequence's ids "
                "restart at the token where that sequence starts.")
    if got == [p + 1 for p in want]:
        return "Position ids count from 0, not from 1."
    lengths = torch.tensor(POSITIONS_LENGTHS)
    if got == torch.repeat_interleave(torch.arange(len(lengths)), lengths).tolist():
        return ("Those are doc_ids, the sequence each token belongs to. A position id "
                "is the token's step within its own sequence.")
    return ["Follow the sequences in the order given, and restart the count for "
            "each one.",
            "Compute them as the chapter does: each token's index in the row minus "
            "the index where its own sequence starts (starts[doc_ids])."]


# --- ch08-ex-causal: a function causal_documents(doc_ids) -> mask_mod --------------
# (lengths, what the case is about)
_CAUSAL_CASES = [
    ([3, 2, 4], "the chapter's row, lengths 3, 2, 4"),
    ([5], "a single sequence"),
    ([1, 1, 1], "sequences of one token each"),
    ([2, 4, 1, 3], "four sequences"),
]


def _causal_expected(doc_ids: torch.Tensor) -> torch.Tensor:
    N = len(doc_ids)
    same = doc_ids[:, None] == doc_ids[None, :]
    return same & torch.ones(N, N, dtype=torch.bool).tril()


def _causal_hint(got: torch.Tensor, doc_ids: torch.Tensor, case: str) -> list[str]:
    """What is wrong with the dense mask `got`, compared with the right one."""
    N = len(doc_ids)
    later = torch.ones(N, N, dtype=torch.bool).triu(1)
    other_doc = doc_ids[:, None] != doc_ids[None, :]
    if (got & later).any():
        return [f"Your mask lets a token attend to later tokens. Case: {case}.",
                "Causal means kv_idx <= q_idx: a query sees the keys at or before it."]
    if (got & other_doc).any():
        return [f"Your mask lets tokens attend across sequences. Case: {case}.",
                "Combine the causal condition with the document condition, "
                "doc_ids[q_idx] == doc_ids[kv_idx], using &."]
    if not got.diagonal().all():
        return [f"Your mask hides each token from itself. Case: {case}.",
                "is_causal=True lets a token attend to itself: compare with <=, not <."]

    return [f"Your mask hides some earlier tokens of the same sequence. Case: {case}.",
            "Allow every pair with the same doc_ids and kv_idx <= q_idx, nothing more "
            "and nothing less."]


def _dense(mask_mod, N: int) -> torch.Tensor:
    """The (N, N) mask that a mask_mod describes, as FlexAttention evaluates it."""
    from torch.nn.attention.flex_attention import create_mask

    return create_mask(mask_mod, None, None, N, N, device="cpu")[0, 0]


@exercise("ch08-ex-causal", variable="answer_causal",
          form="a function causal_documents(doc_ids) that returns a mask_mod "
               "(b, h, q_idx, kv_idx) -> bool tensor",
          section="'FlexAttention document masks' (same_document)",
          mistakes=[
              lambda doc_ids: lambda b, h, q, k: doc_ids[q] == doc_ids[k],
              lambda doc_ids: lambda b, h, q, k: k <= q,
              lambda doc_ids: lambda b, h, q, k: (doc_ids[q] == doc_ids[k]) & (k < q),
              lambda doc_ids: lambda b, h, q, k: (doc_ids[q] == doc_ids[k]) and (k <= q),
          ])
def _causal(answer):
    if not callable(answer):
        return ("Give the function itself, causal_documents (no parentheses): it takes "
                "doc_ids and returns a mask_mod.")
    for lengths, case in _CAUSAL_CASES:
        lengths = torch.tensor(lengths)
        doc_ids = torch.repeat_interleave(torch.arange(len(lengths)), lengths)
        try:
            mask_mod = answer(doc_ids)
        except Exception as err:  # noqa: BLE001 (the reader's code can raise anything)
            return f"causal_documents(doc_ids) raised {type(err).__name__}: {err}."
        if not callable(mask_mod):
            return ("causal_documents(doc_ids) must return a function, the mask_mod "
                    f"(b, h, q_idx, kv_idx); it returned {type(mask_mod).__name__}.")
        try:
            got = _dense(mask_mod, len(doc_ids))
        except Exception as err:  # noqa: BLE001
            if "data-dependent control flow" in str(err) or "ambiguous" in str(err):
                return ["FlexAttention calls your mask_mod on tensors of indices "
                        "(with vmap), so Python's `and`, `or` and `if` cannot decide "
                        "on them.",
                        "Combine the two conditions with the tensor operator &, as "
                        "in (condition_1) & (condition_2)."]
            return (f"Evaluating your mask_mod raised {type(err).__name__}: {err}. "
                    f"Case: {case}.")
        if got.dtype != torch.bool:
            return "A mask_mod returns True/False: build it from comparisons (==, <=)."
        if not torch.equal(got, _causal_expected(doc_ids)):
            return _causal_hint(got, doc_ids, case)
    return None


# --- ch08-ex-nested-is-packed: a value ---------------------------------------------
def _nested_answer() -> list[int]:
    seqs = [torch.zeros(n, 2) for n in NESTED_LENGTHS]
    return torch.nested.nested_tensor(seqs, layout=torch.jagged).offsets().tolist()


@exercise("ch08-ex-nested-is-packed", variable="answer_nested_is_packed",
          form="a list of whole numbers: the offsets() of the nested tensor",
          section="'Nested tensors: no pads at all' (values() and offsets())",
          answer=_nested_answer,
          mistakes=[[2, 3, 1], [0, 2, 5], [2, 5, 6], [0, 1, 2, 3]])
def _nested(answer):
    got = as_plain(answer)
    if not (isinstance(got, list)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in got)):
        return "Give the offsets as a list of whole numbers."
    want = _nested_answer()
    if got == want:
        return None
    if got == NESTED_LENGTHS:
        return ("Those are the lengths. offsets() says where each sequence starts in "
                "values(), and ends with where the last one stops.")
    if got == want[:-1]:
        return ("Those are the starts only. offsets() has one more entry: the end of "
                "the last sequence, the number of rows of values().")
    if got == want[1:]:
        return ("Those are the ends of the sequences. offsets() begins with the start "
                "of the first one.")
    return ["offsets() has one entry more than there are sequences: the start of "
            "each sequence in values(), then the end of the last one.",
            "In the chapter, nt.offsets() was starts followed by N."]
