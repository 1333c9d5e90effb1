"""ReversedBidirectional and reverse_padded: bidirectional outputs without packing."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from packviz.reversal import ReversedBidirectional, reversal_index, reverse_padded

LAYERS = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}
lengths_st = st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=6)


def packed_run(layer: nn.RNNBase, x: torch.Tensor, lengths: list[int]) -> torch.Tensor:
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True,
                                  enforce_sorted=False)
    return pad_packed_sequence(layer(packed)[0], batch_first=True,
                               total_length=x.shape[1])[0]


def real_steps(lengths: list[int], steps: int) -> torch.Tensor:
    return (torch.arange(steps) < torch.tensor(lengths)[:, None]).unsqueeze(-1)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(LAYERS)), st.integers(min_value=1, max_value=2),
       lengths_st, st.integers(min_value=0, max_value=3), st.integers(0, 2**16))
def test_outputs_and_gradients_equal_the_packed_run_on_real_steps(
        name, num_layers, lengths, extra_pads, seed):
    torch.manual_seed(seed)
    layer = LAYERS[name](3, 4, num_layers=num_layers, batch_first=True,
                         bidirectional=True, dtype=torch.float64)
    steps = max(lengths) + extra_pads
    x = torch.randn(len(lengths), steps, 3, dtype=torch.float64)
    mask = real_steps(lengths, steps)
    weights = torch.randn(len(lengths), steps, 8, dtype=torch.float64)

    expected = packed_run(layer, x, lengths)
    (expected * weights * mask).sum().backward()
    expected_grads = [p.grad.clone() for p in layer.parameters()]
    layer.zero_grad()

    got = ReversedBidirectional(layer)(x, lengths)
    assert got.shape == (len(lengths), steps, 8)
    assert torch.allclose(got * mask, expected * mask, atol=1e-10)
    (got * weights * mask).sum().backward()
    for p, g in zip(layer.parameters(), expected_grads):
        assert torch.allclose(p.grad, g, atol=1e-10)


def test_plain_padding_is_wrong_where_the_wrapper_is_right():
    torch.manual_seed(0)
    layer = nn.GRU(3, 4, batch_first=True, bidirectional=True)
    x, lengths = torch.randn(2, 5, 3), [5, 2]
    mask = real_steps(lengths, 5)
    expected = packed_run(layer, x, lengths) * mask
    assert not torch.allclose(layer(x)[0] * mask, expected, atol=1e-4)
    assert torch.allclose(ReversedBidirectional(layer)(x, lengths) * mask, expected,
                          atol=1e-6)


def test_the_wrapper_shares_the_layers_parameters():
    layer = nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)
    wrapper = ReversedBidirectional(layer)
    ids = {id(p) for p in layer.parameters()}
    assert {id(p) for p in wrapper.parameters()} == ids
    forward_one, backward_one = wrapper.directions[1]
    assert forward_one.weight_hh_l0 is layer.weight_hh_l1
    assert backward_one.weight_ih_l0 is layer.weight_ih_l1_reverse
    with torch.no_grad():
        layer.weight_hh_l0_reverse.zero_()  # a change to the layer reaches the wrapper
    assert not wrapper.directions[0][1].weight_hh_l0.any()


@settings(max_examples=100, deadline=None)
@given(lengths_st, st.integers(min_value=0, max_value=3), st.booleans())
def test_reverse_padded_reverses_real_steps_and_leaves_pads(lengths, extra, batch_first):
    steps = max(lengths) + extra
    x = torch.arange(len(lengths) * steps).view(len(lengths), steps, 1)
    got = reverse_padded(x if batch_first else x.transpose(0, 1), lengths,
                         batch_first=batch_first)
    if not batch_first:
        got = got.transpose(0, 1)
    for b, n in enumerate(lengths):
        assert got[b, :n].flatten().tolist() == x[b, :n].flip(0).flatten().tolist()
        assert torch.equal(got[b, n:], x[b, n:])
    again = reverse_padded(got, lengths)
    assert torch.equal(again, x)  # its own inverse


@settings(max_examples=25, deadline=None)
@given(lengths_st, st.integers(min_value=0, max_value=2), st.booleans(),
       st.integers(min_value=0, max_value=2))
def test_reverse_padded_gradients_are_reversed_the_same_way(lengths, extra, batch_first,
                                                          trailing):
    """Its backward pass reuses the forward reordering (the index is its own inverse):
    gradcheck and gradgradcheck compare it with finite differences, for any layout."""
    steps = max(lengths) + extra
    shape = (len(lengths), steps) if batch_first else (steps, len(lengths))
    x = torch.randn(*shape, *([2] * trailing), dtype=torch.float64, requires_grad=True)

    def fn(t: torch.Tensor) -> torch.Tensor:
        return reverse_padded(t, lengths, batch_first=batch_first)

    assert torch.autograd.gradcheck(fn, (x,))
    assert torch.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("layout", ["contiguous", "time_major", "strided"])
def test_input_gradients_equal_the_packed_runs(layout):
    """Any memory layout of x: batch-major, a transposed time-major tensor, strided."""
    torch.manual_seed(1)
    layer = nn.GRU(3, 4, num_layers=2, batch_first=True, bidirectional=True,
                   dtype=torch.float64)
    lengths = [6, 1, 4, 6, 3]
    if layout == "contiguous":
        x = torch.randn(5, 7, 3, dtype=torch.float64)
    elif layout == "time_major":
        x = torch.randn(7, 5, 3, dtype=torch.float64).transpose(0, 1)
    else:
        x = torch.randn(5, 7, 6, dtype=torch.float64)[..., ::2]
    x.requires_grad_()
    mask = real_steps(lengths, 7)
    weights = torch.randn(5, 7, 8, dtype=torch.float64)
    (packed_run(layer, x, lengths) * weights * mask).sum().backward()
    expected, x.grad = x.grad.clone(), None
    (ReversedBidirectional(layer)(x, lengths) * weights * mask).sum().backward()
    assert torch.allclose(x.grad, expected, atol=1e-10)
    assert not x.grad[1, 1:].any()  # pads of a length-1 sequence get no gradient


def test_reversal_index_of_the_docstring_example():
    assert reversal_index(torch.tensor([4]), 6).tolist() == [[3, 2, 1, 0, 4, 5]]


@pytest.mark.parametrize(("layer", "message"), [
    (nn.GRU(3, 4, batch_first=True), "not bidirectional"),
    (nn.GRU(3, 4, bidirectional=True), "batch_first=True"),
    (nn.LSTM(3, 4, num_layers=2, dropout=0.5, batch_first=True, bidirectional=True),
     "dropout"),
    (nn.LSTM(3, 4, proj_size=2, batch_first=True, bidirectional=True), "proj_size"),
    (nn.Linear(3, 4), "nn.RNN, nn.GRU or nn.LSTM"),
])
def test_unsupported_layers_are_refused_with_a_reason(layer, message):
    with pytest.raises(ValueError, match=message):
        ReversedBidirectional(layer)


@pytest.mark.parametrize(("lengths", "message"), [
    ([3], "give one length per sequence"),
    ([3, 0], "every length must be at least 1"),
    ([3, 5], "longer than the padded tensor \\(4 time steps\\)"),
    (torch.tensor([2.0, 3.0]), "not a whole number"),
    ("34", "not the string '34'"),
    ([[1, 2]], "one-dimensional"),
    (object(), "sequence of integers"),
])
def test_bad_lengths_raise_value_error_saying_what_is_wrong(lengths, message):
    wrapper = ReversedBidirectional(nn.RNN(3, 4, batch_first=True, bidirectional=True))
    with pytest.raises(ValueError, match=message):
        wrapper(torch.randn(2, 4, 3), lengths)
    with pytest.raises(ValueError, match=message):
        reverse_padded(torch.randn(2, 4, 3), lengths)


def test_bad_inputs_raise_value_error():
    wrapper = ReversedBidirectional(nn.RNN(3, 4, batch_first=True, bidirectional=True))
    with pytest.raises(ValueError, match="shape \\(B, T, features\\)"):
        wrapper(torch.randn(4, 3), [1, 2, 3, 4])
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        reverse_padded(torch.randn(4), [1])
