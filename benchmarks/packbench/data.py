"""Datasets and batches: sequence lengths, shuffled and length-grouped batches, and the
padded tensors each variant receives."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import BatchSampler, RandomSampler

from packviz.bucketing import LengthGroupedBatchSampler

from .variants import BASELINE, BUCKETED_VARIANTS, DISTRIBUTIONS, VARIANTS


def make_lengths(distribution: str, n: int, max_length: int, seed: int = 0) -> list[int]:
    """Draw `n` sequence lengths in 1..max_length from a named distribution.

    nearly_equal: uniform on [0.9 max_length, max_length]; uniform: uniform on
    [1, max_length]; skewed: log-normal with median max_length / 8 and sigma 0.9,
    capped at max_length (about 1 % of draws hit the cap, as a tokenizer's
    maximum length would cut them).
    """
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {DISTRIBUTIONS}, "
                         f"got {distribution!r}")
    if n < 1 or max_length < 2:
        raise ValueError(f"need n >= 1 and max_length >= 2, got n={n}, "
                         f"max_length={max_length}")
    rng = random.Random(f"{distribution}:{n}:{max_length}:{seed}")
    if distribution == "nearly_equal":
        low = max(1, round(0.9 * max_length))
        return [rng.randint(low, max_length) for _ in range(n)]
    if distribution == "uniform":
        return [rng.randint(1, max_length) for _ in range(n)]
    median = max_length / 8
    return [max(1, min(max_length, round(rng.lognormvariate(math.log(median), 0.9))))
            for _ in range(n)]


# Batches sorted together by the length-grouped sampler (its default, as in
# Hugging Face's group_by_length): with 32 batches per epoch, the whole dataset.
POOL_BATCHES = 50


def random_batches(n: int, batch_size: int, seed: int = 0) -> list[list[int]]:
    """Shuffled batches, as DataLoader(shuffle=True) makes them."""
    generator = torch.Generator().manual_seed(seed)
    sampler = BatchSampler(RandomSampler(range(n), generator=generator), batch_size,
                           drop_last=False)
    return [list(b) for b in sampler]


def bucketed_batches(lengths: Sequence[int], batch_size: int, seed: int = 0,
                     pool_batches: int = POOL_BATCHES) -> list[list[int]]:
    """Full batches of neighbouring lengths from packviz's LengthGroupedBatchSampler."""
    return list(LengthGroupedBatchSampler(lengths, batch_size, pool_batches=pool_batches,
                                          seed=seed))


def batches_for(variant: str, lengths: Sequence[int], batch_size: int,
                seed: int = 0) -> list[list[int]]:
    """The batches a variant processes: bucketed ones, or the shuffled ones."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if variant in BUCKETED_VARIANTS:
        return bucketed_batches(lengths, batch_size, seed)
    return random_batches(len(lengths), batch_size, seed)


@dataclass
class Batch:
    """One batch ready to run: padded input, CPU lengths, a (B, T, 1) mask, indices.

    `longest_first` is True when the lengths never increase along the batch (the
    length-grouped sampler's batches), so packing needs no sort: enforce_sorted=True.
    """

    x: torch.Tensor
    lengths: torch.Tensor
    mask: torch.Tensor
    index: torch.Tensor
    longest_first: bool = False


def make_sequences(lengths: Sequence[int], input_size: int, seed: int = 0
                   ) -> list[torch.Tensor]:
    """Random float features, one (length, input_size) tensor per sequence."""
    generator = torch.Generator().manual_seed(seed)
    flat = torch.randn(sum(lengths), input_size, generator=generator)
    return list(flat.split(list(lengths)))


def make_batches(variant: str, sequences: Sequence[torch.Tensor],
                 batches: Sequence[Sequence[int]], device: str) -> list[Batch]:
    """Pad each batch (to the dataset maximum for padded_global), ready on `device`.

    Bucketed batches arrive longest first from the sampler; they are marked so.
    """
    global_max = max(len(s) for s in sequences)
    out = []
    for batch in batches:
        x = pad_sequence([sequences[i] for i in batch], batch_first=True)
        if variant == BASELINE and x.shape[1] < global_max:
            x = nn.functional.pad(x, (0, 0, 0, global_max - x.shape[1]))
        lengths = torch.tensor([len(sequences[i]) for i in batch])
        mask = (torch.arange(x.shape[1]) < lengths[:, None]).unsqueeze(-1).float()
        longest_first = variant in BUCKETED_VARIANTS
        if longest_first and bool((lengths[1:] > lengths[:-1]).any()):
            raise ValueError("a bucketed batch is not sorted longest first")
        out.append(Batch(x.to(device), lengths, mask.to(device),
                         torch.tensor(list(batch)), longest_first))
    return out
