"""Running the layer: the model, padded, packed or reversed batches, one epoch, and the
fingerprint that decides whether a variant's outputs are correct."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from packviz.reversal import ReversedBidirectional

from .data import Batch
from .variants import HOWS, LAYERS, Setting


def make_model(setting: Setting) -> nn.RNNBase:
    """The layer under test, with seeded weights, on the setting's device."""
    torch.manual_seed(setting.seed)
    layer = LAYERS[setting.layer](setting.input_size, setting.hidden_size,
                                  batch_first=True, bidirectional=setting.bidirectional)
    return layer.to(setting.device)



def runner_for(model: nn.RNNBase, how: str) -> nn.Module:
    """The module that runs a batch: the layer, or its ReversedBidirectional wrapper
    (which shares the layer's parameters)."""
    if how not in HOWS:
        raise ValueError(f"how must be one of {HOWS}, got {how!r}")
    return ReversedBidirectional(model) if how == "reversed" else model


def forward(model: nn.Module, batch: Batch, how: str) -> torch.Tensor:
    """Run one batch; return the outputs (packed data, or the padded tensor).

    packed: pack_padded_sequence, sorting first unless the batch is longest first;
    reversed: `model` is a ReversedBidirectional, which takes the lengths too.
    """
    if how == "packed":
        inputs = pack_padded_sequence(batch.x, batch.lengths, batch_first=True,
                                      enforce_sorted=batch.longest_first)
        return model(inputs)[0].data
    if how == "reversed":
        return model(batch.x, batch.lengths)
    return model(batch.x)[0]


def run_epoch(model: nn.Module, batches: Sequence[Batch], how: str,
              backward: bool, device: str) -> None:
    """One pass over the dataset; with `backward`, the loss sums real-step outputs."""
    if backward:
        model.zero_grad(set_to_none=True)
        for batch in batches:
            out = forward(model, batch, how)
            loss = out.sum() if how == "packed" else (out * batch.mask).sum()
            loss.backward()
    else:
        with torch.no_grad():
            for batch in batches:
                forward(model, batch, how)
    if device.startswith("cuda"):
        torch.cuda.synchronize()  # the Timer synchronises too; be explicit


def fingerprint(model: nn.Module, batches: Sequence[Batch], how: str,
                n_sequences: int) -> torch.Tensor:
    """Per-sequence sums of the outputs over real steps, (N, D*H), in dataset order."""
    result = None
    with torch.no_grad():
        for batch in batches:
            if how == "packed":
                inputs = pack_padded_sequence(batch.x, batch.lengths, batch_first=True,
                                              enforce_sorted=batch.longest_first)
                out, _ = pad_packed_sequence(model(inputs)[0], batch_first=True,
                                             total_length=batch.x.shape[1])
            else:
                out = forward(model, batch, how)
            sums = (out * batch.mask).sum(dim=1).cpu()
            if result is None:
                result = torch.zeros(n_sequences, sums.shape[1])
            result[batch.index] = sums
    return result


def try_nested(model: nn.RNNBase, sequences: Sequence[torch.Tensor], device: str
               ) -> str | None:
    """Feed a jagged torch.nested tensor to the layer; return the error, or None."""
    nt = torch.nested.nested_tensor([s.to(device) for s in sequences[:4]],
                                    layout=torch.jagged)
    try:
        with torch.no_grad():
            model(nt)
    except Exception as err:  # noqa: BLE001 - we record whatever torch raises
        return f"{type(err).__name__}: {str(err).splitlines()[0]}"
    return None

