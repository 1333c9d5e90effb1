"""A bidirectional recurrent layer on padded batches, correct without packing.

A bidirectional layer's backward direction reads each sequence from its last step to
its first. On a padded batch, `nn.LSTM(bidirectional=True)` starts that direction on
the pads instead (chapter 3), which is why the usual fix is packing. The other fix is
to hand the backward direction each sequence reversed *within its length*:

    x          a0 a1 a2 a3 .  .        reverse_padded(x, 4)   a3 a2 a1 a0 .  .

A unidirectional layer run over the reversed batch starts on a real step and only
reaches the pads after the last real one, exactly like the forward direction over
`x`. Reversing its outputs the same way puts them back in time order. The result
equals the packed bidirectional run on every real step, and both directions stay
padded batches: on a CPU, a padded LSTM is one oneDNN call, a packed one a loop over
steps, and in training a padded loop skips the packed loop's per-step slices, whose
gradients grow with steps times batch (chapter 6).

`ReversedBidirectional` wraps an existing bidirectional `nn.RNN`, `nn.GRU` or
`nn.LSTM` and uses its parameters (the same tensors, not copies), so it can replace the
packed call in a training loop.
"""

from __future__ import annotations

import torch
from torch import nn

from packviz.core import check_lengths

__all__ = ["ReversedBidirectional", "reverse_padded", "reversal_index"]


def _lengths_tensor(lengths: object, batch: int, steps: int) -> torch.Tensor:
    """Check lengths with packviz's rules (one per sequence, 1..steps) as a CPU tensor."""
    return torch.tensor(check_lengths(lengths, total_length=steps, batch_size=batch))


def reversal_index(lengths: torch.Tensor, steps: int) -> torch.Tensor:
    """(B, steps) index that reverses each row's first `length` steps, pads untouched.

    Row b maps step t to lengths[b] - 1 - t while t < lengths[b], and to t after.
    The index is its own inverse.
    """
    t = torch.arange(steps)
    ends = lengths.to(torch.int64).unsqueeze(1)
    return torch.where(t < ends, ends - 1 - t, t)


def _row_index(index: torch.Tensor, device: torch.device, time_major: bool = False
               ) -> torch.Tensor:
    """A (B, T) `reversal_index` as rows of a padded batch flattened over its first two
    dimensions: (B, T) flattened to B * T rows, or (T, B) with `time_major`, the
    layout a recurrent layer computes in."""
    batch, steps = index.shape
    if time_major:
        rows = index.t() * batch + torch.arange(batch)
    else:
        rows = index + steps * torch.arange(batch).unsqueeze(1)
    return rows.reshape(-1).to(device)


def _take_rows(x: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """Rows `rows` of `x` flattened over its first two dimensions, in x's shape."""
    return x.reshape(x.shape[0] * x.shape[1], -1).index_select(0, rows).view(x.shape)


class _ReverseWithinLengths(torch.autograd.Function):
    """Reorder whole time steps by a row index that is its own inverse.

    The reordering is a permutation P with P = P^-1, so the gradient P^T g is P g:
    the backward pass reorders the same way. Copying whole rows with index_select is
    far cheaper on a CPU than `gather` with an expanded index, and the backward pass
    avoids gather's scatter_add.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(rows)
        return _take_rows(x, rows)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (rows,) = ctx.saved_tensors
        return _ReverseWithinLengths.apply(grad, rows), None


def reverse_padded(x: torch.Tensor, lengths: object, batch_first: bool = True
                   ) -> torch.Tensor:
    """Reverse each sequence of a padded batch within its length; pads stay in place.

    `x` is (B, T, ...) with batch_first (the default) or (T, B, ...) without. Applying
    it twice gives `x` back. Gradients flow through it (reversed the same way).
    """
    if not isinstance(x, torch.Tensor) or x.dim() < 2:
        raise ValueError("x must be a padded batch, a tensor with at least 2 dimensions")
    batch, steps = x.shape[:2] if batch_first else x.shape[1::-1]
    lengths = _lengths_tensor(lengths, batch, steps)
    rows = _row_index(reversal_index(lengths, steps), x.device, time_major=not batch_first)
    return _ReverseWithinLengths.apply(x, rows)


class ReversedBidirectional(nn.Module):
    """Run a bidirectional RNN/GRU/LSTM on a padded batch, correct on every real step.

    Each layer runs as two unidirectional layers that share the wrapped layer's
    parameters: the forward one over the padded batch, the backward one over the
    batch reversed within each length (`reverse_padded`), its outputs reversed back.
    Inside, both run time-major, the order a recurrent layer computes in, so the
    reversals copy whole rows and never transpose.
    `forward(x, lengths)` returns the (B, T, 2H) outputs, equal on real steps to
    `pad_packed_sequence(layer(pack_padded_sequence(x, lengths, ...)))`; steps past a
    sequence's length hold values computed from pads, so mask them. States are not
    returned: take the forward direction's last state at `lengths - 1` and the backward
    direction's at step 0 of the outputs.
    """

    def __init__(self, layer: nn.RNNBase) -> None:
        """Share the parameters of `layer`, a bidirectional nn.RNN, nn.GRU or nn.LSTM."""
        super().__init__()
        if not isinstance(layer, (nn.RNN, nn.GRU, nn.LSTM)):
            raise ValueError(f"layer must be an nn.RNN, nn.GRU or nn.LSTM, got "
                             f"{type(layer).__name__}")
        if not layer.bidirectional:
            raise ValueError("layer is not bidirectional: a unidirectional layer is "
                             "already correct on the real steps of a padded batch")
        if not layer.batch_first:
            raise ValueError("layer must have batch_first=True")
        if layer.dropout or getattr(layer, "proj_size", 0):
            raise ValueError("layers with dropout between layers or proj_size are not "
                             "supported")
        self.layer = layer
        self.directions = nn.ModuleList()
        for k in range(layer.num_layers):
            pair = nn.ModuleList()
            for suffix in ("", "_reverse"):
                width = layer.input_size if k == 0 else 2 * layer.hidden_size
                kwargs = {"nonlinearity": layer.nonlinearity} if isinstance(
                    layer, nn.RNN) else {}
                one = type(layer)(width, layer.hidden_size, bias=layer.bias,
                                  **kwargs).to(
                    device=layer.weight_ih_l0.device, dtype=layer.weight_ih_l0.dtype)
                for name in one._flat_weights_names:
                    setattr(one, name, getattr(layer, f"{name[:-1]}{k}{suffix}"))
                pair.append(one)
            self.directions.append(pair)

    def forward(self, x: torch.Tensor, lengths: object) -> torch.Tensor:
        """(B, T, 2H) outputs of the bidirectional layer on the padded batch `x`."""
        if not isinstance(x, torch.Tensor) or x.dim() != 3:
            raise ValueError("x must be a padded batch of shape (B, T, features)")
        lengths = _lengths_tensor(lengths, x.shape[0], x.shape[1])
        # The layers compute in time-major (T, B, ...) order, as nn.RNN does inside
        # with batch_first: reordering rows of that layout needs no transposing copy.
        index = reversal_index(lengths, x.shape[1])
        rows = _row_index(index, x.device, time_major=True)
        batch_rows = _row_index(index, x.device)

        def reverse(t: torch.Tensor) -> torch.Tensor:  # t is (T, B, ...)
            if t.is_contiguous() or not t.transpose(0, 1).is_contiguous():
                return _ReverseWithinLengths.apply(t, rows)
            batch_major = _ReverseWithinLengths.apply(t.transpose(0, 1), batch_rows)
            return batch_major.transpose(0, 1)

        out = x.transpose(0, 1)
        for forward_layer, backward_layer in self.directions:
            ahead = forward_layer(out)[0]
            back = backward_layer(reverse(out))[0]
            out = torch.cat([ahead, reverse(back)], dim=-1)
        return out.transpose(0, 1)
