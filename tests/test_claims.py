"""Every general statement the book makes about torch, swept over the cases behind it.

A chapter shows a rule on one batch; this module checks it on the grid of
`tests/support/claims.py`: the layer kinds the book names (`nn.RNN` tanh and relu,
`nn.GRU`, `nn.LSTM`, `nn.LSTM` with `proj_size`), 1 and 2 layers, one and two
directions, both layouts, float32, float64 and bfloat16, oneDNN on and off, small,
medium and large batches with and without ties (two with more than 16 tied lengths),
and lengths given as int64, int32 or float tensors and as lists. Where a rule holds only
in part, its test asserts both sides: where it holds and where it does not, so a
sentence the book scopes to some cases is checked in its scope and beyond it.

`RULES` below maps each test (one per rule) to the sentences it guards: a few words of
each, and the file. CONTRIBUTING.md says how to add a case or a rule.
"""

from __future__ import annotations

import inspect
import sys
import warnings

import pytest
import torch
from support.claims import (
    BATCHES,
    DIFFERS,
    DTYPES,
    KINDS,
    PATH_DTYPES,
    TOL,
    bf16_supported,
    flops_per_row,
    fp16_supported,
    make_layer,
    measure_path,
    padded_input,
    recurrent_runs,
    seed_of,
    to_layout,
)
from torch import nn
from torch.nn.functional import scaled_dot_product_attention as sdpa
from torch.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)

CH = "chapters/"
CH1 = CH + "01_why_padding_wastes.ipynb"
CH2 = CH + "02_what_packing_produces.ipynb"
CH3 = CH + "03_recurrent_layers.ipynb"
CH4 = CH + "04_last_state_sort_unsort.ipynb"
CH5 = CH + "05_training_loop.ipynb"
CH6 = CH + "06_does_packing_pay.ipynb"
CH7 = CH + "07_when_packing_goes_wrong.ipynb"
CH8 = CH + "08_beyond_rnns.ipynb"
GLOSSARY, CHEATSHEET = "reference/glossary.md", "reference/cheatsheet.md"
RULES: dict[str, list[tuple[str, str]]] = {
    # --- packing -------------------------------------------------------------------
    "test_pad_sequence_stacks_to_the_longest_in_either_layout_and_on_either_side": [
        (CH2, "`padding_side=\"left\"` (added in recent"),
        (GLOSSARY, "Padding side"),
    ],
    "test_batch_sizes_count_the_sequences_longer_than_each_step": [
        (CH2, "`batch_sizes[t]` says how many sequences"),
        (CH6, "Packing makes the steps narrower, never fewer"),
        (GLOSSARY, "`batch_sizes[t]` is the number of sequences longer"),
        (CHEATSHEET, "`batch_sizes`: how many sequences are still running"),
    ],
    "test_packed_data_interleaves_the_sequences_time_step_by_time_step": [
        (CH2, "`data` interleaves the sequences time step"),
        (GLOSSARY, "Packed data ... `sum(lengths)` rows"),
        (CHEATSHEET, "`data`: the real steps, **time step by time step**"),
    ],
    "test_lengths_and_batch_sizes_determine_each_other": [
        (CH2, "The two descriptions carry the same"),
    ],
    "test_sorted_indices_are_none_only_with_enforce_sorted_true": [
        (CH2, "With `enforce_sorted=False` packing always"),
        (GLOSSARY, "Both are `None` with `enforce_sorted=True`"),
        (CHEATSHEET, "`None` if you packed sorted input"),
    ],
    "test_ties_keep_their_order_up_to_16_sequences_and_may_mix_past_16": [
        (CH2, "small batches (up to 16 sequences in our"),
        (GLOSSARY, "torch 2.13 can mix ties past 16 sequences"),
    ],
    "test_packing_keeps_every_sequence_whatever_the_order_of_ties": [
        (CH2, "What packing promises is the same in both"),
    ],
    "test_pad_packed_sequence_inverts_packing_and_returns_the_lengths": [
        (CH2, "`pad_packed_sequence` inverts packing"),
        (CH7, "pads back to the longest sequence, or to"),
        (GLOSSARY, "Unpacking ... returns a padded tensor and the lengths"),
    ],
    "test_pack_sequence_is_pad_sequence_then_pack_padded_sequence": [
        (CH2, "its source pads the list with"),
    ],
    "test_unpack_sequence_and_unpad_sequence_give_the_same_pieces": [
        (CH2, "Two more inverses work on lists"),
    ],
    "test_lengths_may_be_int64_int32_float_or_a_list_and_floats_are_truncated": [
        (GLOSSARY, "a list or a 1-D CPU int64 tensor of `B` numbers"),
        (CH5, "The lengths stay a CPU int64 tensor, as"),
    ],
    "test_packing_takes_the_first_lengths_steps_so_a_left_padded_batch_packs_pads": [
        (CH2, "never pack a left-padded batch"),
        (CH7, "Packing then takes the *first*"),
        (CHEATSHEET, "Left padding (`padding_side='left'`) then packing"),
    ],
    "test_packed_sequence_to_moves_data_and_indices_and_leaves_batch_sizes_on_the_cpu": [
        (CH5, "`.to(device)` moves `data`,"),
        (CH7, "Data on another device with lengths on"),
        (CHEATSHEET, "`packed.to(device)` moves `data`"),
    ],
    # --- what torch catches, and what it does not ----------------------------------
    "test_zero_lengths_are_refused_even_with_enforce_sorted_false": [
        (CH7, "Packing refuses it, even with"),
        (CHEATSHEET, "`Length of all samples has to be greater than 0`"),
    ],
    "test_unsorted_lengths_are_refused_only_with_enforce_sorted_true": [
        (CH4, "It is still true of the *default*"),
        (CH7, "The default `enforce_sorted=True` wants"),
    ],
    "test_lengths_off_the_cpu_or_not_1d_are_refused": [
        (CH7, "The check only asks \"is it on the CPU?\""),
        (CH5, "torch 2.13 refuses a CUDA tensor with"),
    ],
    "test_a_lengths_count_that_misses_the_batch_axis_is_refused_with_enforce_sorted": [
        (CH7, "The check only compares counts"),
    ],
    "test_total_length_shorter_than_the_longest_is_refused": [
        (CH7, "It must be at least the longest length"),
    ],
    "test_lengths_longer_than_t_pass_packing_and_fail_later_in_every_layer": [
        (CH7, "Packing does **not** check this"),
        (CH7, "from the LSTM or from unpacking"),
        (CHEATSHEET, "A length larger than `T`: no error at packing"),
    ],
    "test_an_integer_input_is_refused_by_every_recurrent_layer": [
        (CH3, "with integers the LSTM refuses"),
        (CHEATSHEET, "`RNN input dtype (torch.int64) does not match"),
    ],
    "test_only_recurrent_layers_take_a_packed_sequence": [
        (CH7, "Only the recurrent layers understand"),
        (CH7, "`nn.Linear` and every other layer say"),
        (GLOSSARY, "`nn.RNN`, `nn.LSTM` and `nn.GRU` accept"),
    ],
    "test_a_per_step_layer_maps_over_packed_data": [
        (CH7, "The second form works for any per-step"),
        (CHEATSHEET, "`packed._replace(data=f(packed.data))`"),
    ],
    # --- recurrent layers padded and packed ----------------------------------------
    "test_padded_and_packed_outputs_agree_on_real_steps_for_one_direction_at_any_depth": [
        (CH3, "agree on every real step of a unidirectional"),
        (CH3, "every layer's outputs on real steps agree"),
        (CH6, "A unidirectional layer is then right on"),
    ],
    "test_without_packing_the_backward_direction_is_wrong_right_after_the_pads": [
        (CH3, "the backward direction of a short sequence"),
        (CH3, "from layer 2 on even the forward half"),
        (CHEATSHEET, "the backward direction starts on the pads"),
    ],
    "test_packed_outputs_at_pad_steps_are_the_padding_value": [
        (CH3, "a packed run outputs the padding value"),
        (GLOSSARY, "writes it into the outputs at padded steps"),
    ],
    "test_padded_h_n_is_the_output_at_the_last_padded_step_and_backward_at_step_0": [
        (CH3, "padded `h_n[-1][b]` is the output at the"),
        (CH3, "Without packing, `h` is always the state"),
    ],
    "test_padded_h_n_and_c_n_are_right_for_the_longest_sequences": [
        (CH3, "right for the longest sequences"),
    ],
    "test_padded_forward_h_n_is_off_for_shorter_sequences_unless_a_relu_state_is_0": [
        (CH3, "wrong for every shorter one"),
        (CH3, "so the state moves on at every pad step"),
    ],
    "test_a_relu_state_at_zero_stays_there_over_the_pads": [
        (CH3, "wrong for every shorter one"),
    ],
    "test_padded_backward_h_n_is_off_for_short_sequences_but_fades_over_long_ones": [
        (CH3, "both rows of `h_n` are off for short"),
        (CH3, "all its outputs for a short sequence are off"),
        (GLOSSARY, "its state at step 0, right only with packing"),
    ],
    "test_packed_h_n_is_the_output_at_the_last_real_step_for_one_direction": [
        (CH3, "packed `h_n[-1][b]` equals the output at step"),
        (CH4, "That shortcut holds for one direction"),
        (CHEATSHEET, "Packed, one direction: `h_n[-1][b]` equals"),
        (GLOSSARY, "Last state ... `h_n[-1]` of a packed run"),
    ],
    "test_packed_bidirectional_h_n_is_forward_at_the_last_real_step_and_backward_at_0": [
        (CH3, "With it, `h_n[-2]` is `out[b, len_b - 1, :H]`"),
        (CH3, "at the last step the backward direction has"),
        (CHEATSHEET, "Packed, bidirectional: `h_n[-2][b]` (forward)"),
        (GLOSSARY, "With two directions `h_n[-1]` is the backward"),
    ],
    "test_h_n_is_dl_by_b_by_h_and_proj_size_replaces_h_in_h_n_and_out_not_in_c_n": [
        (CH3, "`h_n` has shape `(num_layers * num_directions"),
        (CH3, "`h_n.view(L, 2, B, H)` makes that explicit"),
        (CHEATSHEET, "| `h_n`, `c_n` | `(D*L, B, H)`"),
        (GLOSSARY, "h_n ... shape `(D*L, B, H)`; c_n ... shaped like"),
    ],
    "test_padded_output_at_lengths_minus_1_is_the_last_state_for_one_direction": [
        (CH3, "a plain gather at `lengths - 1` gives the last"),
        (CH4, "Three equal ways to the last real state"),
        (CH7, "This works for a **unidirectional** RNN"),
    ],
    "test_out_at_the_last_step_after_unpacking_is_padding_for_every_shorter_sequence": [
        (CH4, "`out[:, -1]` is the last real state only"),
        (CHEATSHEET, "`out[:, -1]` is all zeros for the shorter"),
    ],
    "test_sorting_by_hand_gives_what_enforce_sorted_false_gives": [
        (CH4, "The results equal those of the"),
        (CH4, "unsort outputs on dim 0 and `h_n`/`c_n` on"),
    ],
    "test_h_0_goes_in_batch_order_and_a_pre_sorted_h_0_moves_the_moved_sequences": [
        (CH5, "So do not sort `h_0` yourself"),
        (CH4, "the RNN applies `sorted_indices` to an"),
        (CHEATSHEET, "`h_0` goes in your batch's own order"),
    ],
    "test_padding_idx_zeros_the_pad_embedding_but_the_state_still_moves_on_pads": [
        (CH3, "`padding_idx` only keeps the pad's embedding"),
        (CH5, "`padding_idx=0` makes the pad's embedding"),
    ],
    "test_ignore_index_loss_on_padded_output_equals_the_loss_on_packed_data": [
        (CH5, "The two losses agree because `ignore_index`"),
        (CHEATSHEET, "A loss per token: `nn.CrossEntropyLoss()`"),
    ],
    "test_a_mean_over_real_steps_divides_by_the_lengths_not_by_t": [
        (CH5, "`out.mean(dim=1)` divides by `T` instead"),
        (CHEATSHEET, "A mean over real steps: `out.sum(dim=1)"),
    ],
    # --- oneDNN, FlopCounterMode and the CPU's loops ---------------------------------
    "test_only_a_padded_lstm_without_proj_size_in_float32_or_bf16_is_fused_by_onednn": [
        (CH1, "torch takes it for float32 input on the"),
        (CH1, "A packed `nn.LSTM` on a CPU runs in"),
        (CH6, "with oneDNN it runs the whole sequence in one"),
        (GLOSSARY, "It runs a padded `nn.LSTM` as one fused call"),
    ],
    "test_the_flop_counter_counts_every_row_except_inside_a_fused_call": [
        (CH1, "The counter was blind only to the fused"),
        (CH1, "`FlopCounterMode` counts a packed `nn.LSTM`"),
    ],
    "test_the_flop_counter_has_no_formula_for_the_fused_rnn_calls": [
        (CH1, "The counter has formulas for matrix"),
        (GLOSSARY, "cuDNN ... `FlopCounterMode` has no formula"),
    ],
    "test_one_cell_row_costs_2_g_h_times_f_plus_h_flops": [
        (CH1, "Each row costs $4H \\times (F + H)$"),
        (CH1, "$2 \\times 3H \\times (F + H) = 90$ FLOPs"),
    ],
    "test_proj_size_warns_only_where_onednn_would_take_the_lstm_and_once": [
        (CH1, "with `proj_size` torch warns that oneDNN"),
    ],
    "test_a_cpu_layer_projects_every_input_row_in_one_product_before_its_loop": [
        (CH6, "a padded layer computes the input projection"),
    ],
    # --- tracing, compiling, exporting -----------------------------------------------
    "test_jit_trace_bakes_in_list_lengths_and_follows_tensor_lengths": [
        (CH7, "`torch.jit.trace` bakes in lengths"),
        (CH7, "the traced `PackedEncoder` follows new"),
    ],
    "test_compile_fullgraph_refuses_packing_and_every_recurrent_layer": [
        (CH7, "Dynamo refuses the recurrent layer itself"),
        (GLOSSARY, "Dynamo ... as with `nn.LSTM` and packing"),
    ],
    "test_export_fails_on_packing_and_exports_a_padded_run_with_a_gather": [
        (CH7, "The padded model with a gather at"),
        (CH7, "`torch.export` fail on packing"),
    ],
    # --- attention and nested tensors ------------------------------------------------
    "test_key_padding_mask_hides_pad_keys_and_leaves_pad_queries_nonzero": [
        (CH8, "The mask hides pads as *keys*"),
        (GLOSSARY, "`True` on each pad key, which attention then"),
    ],
    "test_sdpa_attn_mask_true_means_attend_and_an_all_false_row_gives_zeros": [
        (CH8, "SDPA returns zeros for such a row"),
        (CH8, "Passing `key_padding_mask` itself raises no"),
        (GLOSSARY, "the wrong one raises no error"),
    ],
    "test_transformer_packing_with_a_block_diagonal_mask_equals_each_sequence_alone": [
        (CH8, "With that mask, SDPA over the packed row"),
        (CH8, "With ids that restart per sequence the packed"),
    ],
    "test_nested_tensors_work_with_linear_and_sdpa_and_not_with_recurrent_layers": [
        (CH8, "`nn.LSTM` does not accept a nested tensor"),
        (GLOSSARY, "it works with `nn.Linear` and attention, not"),
    ],
    "test_every_rule_maps_to_the_sentences_it_guards": [],
}

# --- the grid ------------------------------------------------------------------------
BF16 = pytest.mark.skipif(not bf16_supported(),
                          reason="oneDNN cannot run bfloat16 on this CPU")


def _runs_cases(with_bf16: bool, with_onednn: bool = True) -> list:
    """(batch, dtype[, oneDNN]) cases: every batch with every dtype, oneDNN paired.

    bfloat16 runs on the small and medium batches only: its rounding (about 1e-2) does
    not change with the size, and its runs are slow. oneDNN is paired rather than
    crossed: float32 has it on for every other batch and off for the rest, bfloat16 the
    other way round, so each size and each of these dtypes sees it both on and off;
    float64 runs with it on, as oneDNN takes no float64 work (the fused-path test checks
    that on every layer kind).
    """
    cases = []
    for i, name in enumerate(BATCHES):
        for dtype_name, dtype in DTYPES.items():
            if dtype_name == "bfloat16" and (not with_bf16 or name.startswith("large")):
                continue
            marks = [BF16] if dtype_name == "bfloat16" else []
            if not with_onednn:
                cases.append(pytest.param(name, dtype, id=f"{name}-{dtype_name}",
                                          marks=marks))
                continue
            on = {"float32": i % 2 == 0, "bfloat16": i % 2 == 1, "float64": True}
            on = on[dtype_name]
            cases.append(pytest.param(
                name, dtype, on, marks=marks,
                id=f"{name}-{dtype_name}-onednn_{'on' if on else 'off'}"))
    return cases


KIND = pytest.mark.parametrize("kind", list(KINDS))
DEPTH = pytest.mark.parametrize("num_layers", [1, 2], ids=["1layer", "2layers"])
DIRECTION = pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
# Rules that say two runs agree are checked in bfloat16 too; rules that say they differ
# are not: bfloat16 rounds by about as much as some of the differences.
RUNS = pytest.mark.parametrize(("batch", "dtype", "onednn"),
                               _runs_cases(with_bf16=True), indirect=["onednn"])
RUNS_EXACT = pytest.mark.parametrize(("batch", "dtype", "onednn"),
                                     _runs_cases(with_bf16=False), indirect=["onednn"])
# Rules about packed runs alone: a packed run never takes oneDNN's fused path (the
# fused-path test shows it), so these run with oneDNN as it is set.
PACKED_RUNS = pytest.mark.parametrize(("batch", "dtype"),
                                      _runs_cases(with_bf16=True, with_onednn=False))
BATCH = pytest.mark.parametrize("batch", list(BATCHES))


def grid(*marks):
    """Apply several parametrize marks at once."""
    def apply(test):
        for mark in reversed(marks):
            test = mark(test)
        return test
    return apply


RECURRENT = grid(KIND, DEPTH, DIRECTION)

LENGTH_TYPES = {
    "int64": lambda lengths: torch.tensor(lengths),
    "int32": lambda lengths: torch.tensor(lengths, dtype=torch.int32),
    "float": lambda lengths: torch.tensor(lengths, dtype=torch.float32),
    "list": list,
    "float_list": lambda lengths: [float(n) for n in lengths],
}
AS_LENGTHS = pytest.mark.parametrize("as_lengths", list(LENGTH_TYPES))


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One thread per test process: under pytest -n 2 two threads each oversubscribe."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(params=[True, False], ids=["onednn_on", "onednn_off"])
def onednn(request):
    """torch.backends.mkldnn.enabled set for the test, and put back after it."""
    before = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = request.param
    yield request.param
    torch.backends.mkldnn.enabled = before
    assert torch.backends.mkldnn.enabled == before


def close(a: torch.Tensor, b: torch.Tensor, dtype: torch.dtype) -> bool:
    """Equal within the tolerance of dtype."""
    return torch.allclose(a.double(), b.double(), atol=TOL[dtype], rtol=TOL[dtype])


def differs(a: torch.Tensor, b: torch.Tensor, dtype: torch.dtype) -> bool:
    """Different by more than dtype's rounding could make them."""
    return (a.double() - b.double()).abs().max().item() > DIFFERS[dtype]


def labelled(batch) -> torch.Tensor:
    """A (B, T, 1) int64 batch whose entry (b, t) is 100 * b + t, zero on the pads."""
    lengths = torch.tensor(batch.lengths)
    steps = torch.arange(batch.T)
    real = steps < lengths[:, None]
    return ((100 * torch.arange(batch.B)[:, None] + steps + 1) * real).unsqueeze(-1)


def token_ids(batch) -> torch.Tensor:
    """(B, T) token ids below 500, 0 on the pads."""
    return labelled(batch).squeeze(-1) % 500


def pack(batch, x, as_lengths="int64", enforce_sorted=False, lengths=None):
    """Pack the batch-first x in the batch's own layout."""
    lengths = batch.lengths if lengths is None else lengths
    return pack_padded_sequence(to_layout(x, batch.batch_first),
                                LENGTH_TYPES[as_lengths](lengths),
                                batch_first=batch.batch_first,
                                enforce_sorted=enforce_sorted)


def sorted_batch(batch):
    """The same batch with its sequences sorted longest first (for enforce_sorted=True)."""
    order = sorted(range(batch.B), key=lambda b: -batch.lengths[b])
    return order, tuple(batch.lengths[b] for b in order)


ENFORCE = pytest.mark.parametrize("enforce_sorted", [False, True],
                                  ids=["any_order", "enforce_sorted"])


def packed_case(batch_name, as_lengths, enforce_sorted):
    """(batch, x batch-first, packed): sorted first when enforce_sorted."""
    batch = BATCHES[batch_name]
    x = labelled(batch)
    lengths = batch.lengths
    if enforce_sorted:
        order, lengths = sorted_batch(batch)
        x = x[order]
    return batch, x, lengths, pack(batch, x, as_lengths, enforce_sorted, lengths)


# --- packing -------------------------------------------------------------------------
@BATCH
def test_pad_sequence_stacks_to_the_longest_in_either_layout_and_on_either_side(batch):
    batch = BATCHES[batch]
    seqs = [torch.randn(n, 2) for n in batch.lengths]
    for batch_first in (False, True):
        padded = pad_sequence(seqs, batch_first=batch_first, padding_value=-1.0)
        assert padded.shape == ((batch.B, batch.T, 2) if batch_first
                                else (batch.T, batch.B, 2))
        padded = to_layout(padded, batch_first)  # batch first from here
        left = to_layout(pad_sequence(seqs, batch_first=batch_first, padding_side="left"),
                         batch_first)
        for b, (seq, n) in enumerate(zip(seqs, batch.lengths)):
            assert torch.equal(padded[b, :n], seq) and padded[b, n:].eq(-1).all()
            assert torch.equal(left[b, batch.T - n:], seq)
            assert left[b, :batch.T - n].eq(0).all()


@BATCH
@AS_LENGTHS
@ENFORCE
def test_batch_sizes_count_the_sequences_longer_than_each_step(batch, as_lengths,
                                                               enforce_sorted):
    batch, _, lengths, packed = packed_case(batch, as_lengths, enforce_sorted)
    expected = [sum(n > t for n in lengths) for t in range(batch.T)]
    assert packed.batch_sizes.tolist() == expected
    assert len(packed.batch_sizes) == batch.T  # one entry per step: narrower, not fewer
    assert packed.batch_sizes.dtype == torch.int64
    assert packed.batch_sizes.device.type == "cpu"
    assert int(packed.batch_sizes.sum()) == sum(lengths) == len(packed.data)
    assert len(packed.batch_sizes) != len(lengths) or batch.B == batch.T  # not lengths


@BATCH
@AS_LENGTHS
@ENFORCE
def test_packed_data_interleaves_the_sequences_time_step_by_time_step(batch, as_lengths,
                                                                      enforce_sorted):
    batch, x, _, packed = packed_case(batch, as_lengths, enforce_sorted)
    order = (torch.arange(batch.B) if packed.sorted_indices is None
             else packed.sorted_indices)
    rows = [x[order[j], t] for t, size in enumerate(packed.batch_sizes.tolist())
            for j in range(size)]
    assert torch.equal(packed.data, torch.stack(rows))
    assert packed.data.ne(0).all()  # real steps only: the pads (zeros) are gone


@BATCH
def test_lengths_and_batch_sizes_determine_each_other(batch):
    batch = BATCHES[batch]
    lengths = torch.tensor(batch.lengths)
    packed = pack_padded_sequence(torch.zeros(batch.B, batch.T, 1), lengths,
                                  batch_first=True, enforce_sorted=False)
    sizes = packed.batch_sizes
    back = (sizes[None, :] > torch.arange(int(sizes[0]))[:, None]).sum(dim=1)
    assert back.tolist() == sorted(batch.lengths, reverse=True)
    assert torch.equal(back[packed.unsorted_indices], lengths)  # your order, by the index


@BATCH
@AS_LENGTHS
@ENFORCE
def test_sorted_indices_are_none_only_with_enforce_sorted_true(batch, as_lengths,
                                                               enforce_sorted):
    batch, _, lengths, packed = packed_case(batch, as_lengths, enforce_sorted)
    if enforce_sorted:
        assert packed.sorted_indices is None and packed.unsorted_indices is None
        return
    order = packed.sorted_indices
    assert sorted(order.tolist()) == list(range(batch.B))
    by_order = [lengths[i] for i in order.tolist()]
    assert by_order == sorted(lengths, reverse=True)  # longest first
    assert torch.equal(order[packed.unsorted_indices], torch.arange(batch.B))  # inverse
    # set even when the lengths already come sorted
    _, sorted_lengths = sorted_batch(batch)
    again = pack(batch, torch.zeros(batch.B, batch.T, 1), as_lengths, False, sorted_lengths)
    assert again.sorted_indices is not None and again.unsorted_indices is not None


STABLE_UP_TO = 16


@pytest.mark.parametrize("B", [1, 2, 3, 5, 8, 13, 16, 17, 20, 40])
@pytest.mark.parametrize("top", [2, 3, 12], ids=["1to2", "1to3", "1to12"])
@pytest.mark.parametrize("as_lengths", ["int64", "int32", "float_list"])
def test_ties_keep_their_order_up_to_16_sequences_and_may_mix_past_16(B, top, as_lengths):
    stable_everywhere = True
    for seed in range(10):
        gen = torch.Generator().manual_seed(seed_of(B, top, seed))
        lengths = torch.randint(1, top + 1, (B,), generator=gen).tolist()
        packed = pack_padded_sequence(torch.zeros(B, max(lengths), 1),
                                      LENGTH_TYPES[as_lengths](lengths), batch_first=True,
                                      enforce_sorted=False)
        stable = sorted(range(B), key=lambda b: -lengths[b])
        stable_everywhere &= packed.sorted_indices.tolist() == stable
    if not torch.__version__.startswith("2.13."):
        pytest.skip("the order of ties is what torch 2.13's sort gives")
    # up to 16 sequences: the stable order, every time; past 16, with ties, not always
    assert stable_everywhere == (B <= STABLE_UP_TO)


@BATCH
@AS_LENGTHS
def test_packing_keeps_every_sequence_whatever_the_order_of_ties(batch, as_lengths):
    batch, x, lengths, packed = packed_case(batch, as_lengths, False)
    pieces = unpack_sequence(packed)
    assert len(pieces) == batch.B
    for b, n in enumerate(lengths):
        assert torch.equal(pieces[b], x[b, :n])
    # the batches with more than 16 ties really are packed in another order than stable
    stable = sorted(range(batch.B), key=lambda b: -lengths[b])
    if batch.name.endswith("tied") and batch.B > STABLE_UP_TO and \
            torch.__version__.startswith("2.13."):
        assert packed.sorted_indices.tolist() != stable


@BATCH
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16,
                                   torch.int64], ids=str)
@pytest.mark.parametrize("padding_value", [0.0, -1.0], ids=["pad0", "pad-1"])
def test_pad_packed_sequence_inverts_packing_and_returns_the_lengths(batch, dtype,
                                                                      padding_value):
    batch = BATCHES[batch]
    x = labelled(batch).to(dtype)
    packed = pack(batch, x)
    real = (torch.arange(batch.T) < torch.tensor(batch.lengths)[:, None]).unsqueeze(-1)
    for total_length in (None, batch.T + 3):
        back, lengths = pad_packed_sequence(packed, batch_first=batch.batch_first,
                                            padding_value=padding_value,
                                            total_length=total_length)
        back = to_layout(back, batch.batch_first)
        assert back.shape[1] == (total_length or batch.T)  # the longest, or total_length
        assert torch.equal(back[:, :batch.T] * real, x)  # the real steps, in your order
        assert back[:, :batch.T][~real.expand_as(x)].eq(padding_value).all()
        assert back[:, batch.T:].eq(padding_value).all()
        assert lengths.tolist() == list(batch.lengths) and lengths.dtype == torch.int64


@BATCH
@pytest.mark.parametrize("enforce_sorted", [False, True], ids=["any_order", "enforce"])
def test_pack_sequence_is_pad_sequence_then_pack_padded_sequence(batch, enforce_sorted):
    batch = BATCHES[batch]
    lengths = sorted_batch(batch)[1] if enforce_sorted else batch.lengths
    seqs = [torch.randn(n, 3) for n in lengths]
    by_list = pack_sequence(seqs, enforce_sorted=enforce_sorted)
    by_two = pack_padded_sequence(pad_sequence(seqs), [len(s) for s in seqs],
                                  enforce_sorted=enforce_sorted)
    for field in PackedSequence._fields:
        a, b = getattr(by_list, field), getattr(by_two, field)
        assert (a is None and b is None) or torch.equal(a, b), field
    if torch.__version__.startswith("2.13."):
        assert "pad_sequence(sequences)" in inspect.getsource(pack_sequence)


@BATCH
@AS_LENGTHS
def test_unpack_sequence_and_unpad_sequence_give_the_same_pieces(batch, as_lengths):
    batch = BATCHES[batch]
    x = labelled(batch)
    packed = pack(batch, x, as_lengths)
    lengths = LENGTH_TYPES[as_lengths](batch.lengths)
    if isinstance(lengths, list):
        lengths = torch.tensor(lengths)
    from_padded = unpad_sequence(to_layout(x, batch.batch_first), lengths.long(),
                                 batch_first=batch.batch_first)
    for a, b, n, row in zip(unpack_sequence(packed), from_padded, batch.lengths, x):
        assert torch.equal(a, b) and torch.equal(a, row[:n])


@pytest.mark.parametrize("as_lengths", ["float", "float_list"])
@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.9], ids=["x.2", "x.5", "x.9"])
@pytest.mark.parametrize("enforce_sorted", [False, True], ids=["any_order", "enforce"])
def test_lengths_may_be_int64_int32_float_or_a_list_and_floats_are_truncated(
        as_lengths, fraction, enforce_sorted):
    whole = [4, 3, 1] if enforce_sorted else [3, 4, 1]
    x = torch.randn(3, 5, 2)
    reference = pack_padded_sequence(x, torch.tensor(whole), batch_first=True,
                                     enforce_sorted=enforce_sorted)
    for kind in ("int32", "list", as_lengths):
        given = [n + fraction for n in whole] if kind == as_lengths else whole
        packed = pack_padded_sequence(x, LENGTH_TYPES[kind](given), batch_first=True,
                                      enforce_sorted=enforce_sorted)
        for field in PackedSequence._fields:  # silently the same as the whole numbers
            a, b = getattr(packed, field), getattr(reference, field)
            assert (a is None and b is None) or torch.equal(a, b), (kind, field)
    assert "1D CPU int64 tensor" in _error(lambda: torch._pack_padded_sequence(
        x, torch.tensor(whole, dtype=torch.int32), True))  # the C++ call wants int64


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("batch", [b for b in BATCHES if b.startswith(("small", "medium"))])
def test_packing_takes_the_first_lengths_steps_so_a_left_padded_batch_packs_pads(kind,
                                                                                 batch):
    batch = BATCHES[batch]
    seqs = [padded_input(batch, torch.float32)[b, :n] for b, n in enumerate(batch.lengths)]
    left = pad_sequence(seqs, batch_first=True, padding_side="left")
    right = pad_sequence(seqs, batch_first=True)
    packed_left = pack_padded_sequence(left, batch.lengths, batch_first=True,
                                       enforce_sorted=False)  # no error
    for b, (piece, n) in enumerate(zip(unpack_sequence(packed_left), batch.lengths)):
        assert torch.equal(piece, left[b, :n])  # the first n steps: pads for short ones
        assert piece.eq(0).all(dim=1).sum() == min(n, batch.T - n)  # its pads, first
    layer = make_layer(kind, batch, 1, False, torch.float32)  # packed: layout unused
    with torch.no_grad():
        h_left = layer(packed_left)[1]
        h_right = layer(pack_padded_sequence(right, batch.lengths, batch_first=True,
                                             enforce_sorted=False))[1]
    h_left = h_left[0] if isinstance(h_left, tuple) else h_left
    h_right = h_right[0] if isinstance(h_right, tuple) else h_right
    longest = torch.tensor(batch.lengths) == batch.T
    assert torch.allclose(h_left[:, longest], h_right[:, longest])
    for b in (~longest).nonzero().flatten().tolist():
        assert not torch.allclose(h_left[:, b], h_right[:, b]), b
    # the fix: take each row's last n steps
    repacked = pack_sequence([row[batch.T - n:] for row, n in zip(left, batch.lengths)],
                             enforce_sorted=False)
    assert torch.equal(repacked.data, pack_padded_sequence(
        right, batch.lengths, batch_first=True, enforce_sorted=False).data)


@BATCH
@ENFORCE
@pytest.mark.parametrize("as_lengths", ["int64", "float", "list"])
def test_packed_sequence_to_moves_data_and_indices_and_leaves_batch_sizes_on_the_cpu(
        batch, enforce_sorted, as_lengths):
    batch, x, lengths, packed = packed_case(batch, as_lengths, enforce_sorted)
    moved = packed.to("meta")
    assert moved.data.device.type == "meta" and moved.batch_sizes.device.type == "cpu"
    there = pack(batch, x.float().to("meta"), as_lengths, enforce_sorted, lengths)
    assert there.data.device.type == "meta" and there.batch_sizes.device.type == "cpu"
    assert torch.equal(there.batch_sizes, packed.batch_sizes)
    if enforce_sorted:
        assert moved.sorted_indices is None and there.sorted_indices is None
    else:
        assert moved.sorted_indices.device.type == "meta"
        assert moved.unsorted_indices.device.type == "meta"
        assert there.sorted_indices.device.type == "meta"  # on the data's device
    assert packed.to("cpu") is packed


# --- what torch catches, and what it does not ----------------------------------------
def _error(call, kinds=(RuntimeError, ValueError, TypeError)) -> str:
    with pytest.raises(kinds) as info:
        call()
    return str(info.value)


@pytest.mark.parametrize(("as_lengths", "bad"), [
    (as_lengths, bad) for as_lengths in LENGTH_TYPES for bad in (0, -1, 0.5)
    if isinstance(bad, int) or as_lengths.startswith("float")])  # fractions need floats
@ENFORCE
def test_zero_lengths_are_refused_even_with_enforce_sorted_false(as_lengths, bad,
                                                                 enforce_sorted):
    lengths = [5, 3, bad]  # sorted, so only the bad length can be refused
    message = _error(lambda: pack_padded_sequence(
        torch.randn(3, 5, 2), LENGTH_TYPES[as_lengths](lengths), batch_first=True,
        enforce_sorted=enforce_sorted))
    assert message.startswith("Length of all samples has to be greater than 0")


@BATCH
@AS_LENGTHS
def test_unsorted_lengths_are_refused_only_with_enforce_sorted_true(batch, as_lengths):
    batch = BATCHES[batch]
    x = to_layout(torch.zeros(batch.B, batch.T, 1), batch.batch_first)
    lengths = LENGTH_TYPES[as_lengths](batch.lengths)
    if list(batch.lengths) == sorted(batch.lengths, reverse=True):  # sorted: accepted
        pack_padded_sequence(x, lengths, batch_first=batch.batch_first)
        return
    message = _error(lambda: pack_padded_sequence(x, lengths,
                                                  batch_first=batch.batch_first))
    assert message.startswith("`lengths` array must be sorted in decreasing order when "
                              "`enforce_sorted` is True.")
    assert "ONNX exportability" in message
    pack_padded_sequence(x, lengths, batch_first=batch.batch_first, enforce_sorted=False)
    assert "only necessary for ONNX export" in pack_padded_sequence.__doc__


@pytest.mark.parametrize("as_lengths", ["int64", "int32", "float"])
@ENFORCE
def test_lengths_off_the_cpu_or_not_1d_are_refused(as_lengths, enforce_sorted):
    x = torch.randn(3, 5, 2)
    lengths = LENGTH_TYPES[as_lengths]([5, 3, 2])
    on_meta = _error(lambda: pack_padded_sequence(x, lengths.to("meta"), batch_first=True,
                                                  enforce_sorted=enforce_sorted))
    if enforce_sorted:  # converted to int64 first: the message says Long for any dtype
        assert on_meta.startswith("'lengths' argument should be a 1D CPU int64 tensor, "
                                  "but got 1D meta Long tensor")
    else:  # sorting first moves the order to the data's device: meta cannot be copied
        assert on_meta == "Cannot copy out of meta tensor; no data!"
    two_d = _error(lambda: pack_padded_sequence(x, lengths[None], batch_first=True))
    assert "should be a 1D CPU int64 tensor, but got 2D cpu Long tensor" in two_d


@BATCH
@ENFORCE
def test_a_lengths_count_that_misses_the_batch_axis_is_refused_with_enforce_sorted(
        batch, enforce_sorted):
    batch = BATCHES[batch]
    lengths = sorted(batch.lengths, reverse=True) if enforce_sorted else batch.lengths
    x = to_layout(torch.randn(batch.B, batch.T, 2), batch.batch_first)

    def mixed_up():  # the batch read in the other layout: B and T swap
        return pack_padded_sequence(x, lengths, batch_first=not batch.batch_first,
                                    enforce_sorted=enforce_sorted)

    if batch.B == batch.T:  # the count cannot tell the axes apart
        wrong = mixed_up()  # no error
        right = pack_padded_sequence(x, lengths, batch_first=batch.batch_first,
                                     enforce_sorted=enforce_sorted)
        assert not torch.equal(wrong.data, right.data)
    elif enforce_sorted:
        assert _error(mixed_up) == ("Expected `len(lengths)` to be equal to batch_size, "
                                    f"but got {batch.B} (batch_size={batch.T})")
    elif batch.B < batch.T:
        # the sort picks B entries of the time axis first: the counts then agree, and
        # nothing is refused; batch_sizes promise rows that data do not hold
        wrong = mixed_up()
        assert int(wrong.batch_sizes.sum()) > len(wrong.data)
    else:  # B > T: the sort's index_select runs off the time axis, and says only that
        message = _error(mixed_up, (RuntimeError, IndexError))
        assert message.startswith(("INDICES element is out of DATA bounds",
                                   "index out of range in self"))


@BATCH
def test_total_length_shorter_than_the_longest_is_refused(batch):
    batch = BATCHES[batch]
    packed = pack(batch, padded_input(batch, torch.float32))
    message = _error(lambda: pad_packed_sequence(packed, total_length=batch.T - 1))
    assert message.startswith("Expected total_length to be at least the length of the "
                              "longest sequence in input")
    assert pad_packed_sequence(packed, total_length=batch.T)[0].shape[0] == batch.T


@RECURRENT
@pytest.mark.parametrize("extra", [1, 4], ids=["T+1", "T+4"])
def test_lengths_longer_than_t_pass_packing_and_fail_later_in_every_layer(
        kind, num_layers, bidirectional, extra, onednn):
    batch = BATCHES["small"]
    layer = make_layer(kind, batch, num_layers, bidirectional, torch.float32)
    claimed = [n + extra if n == batch.T else n for n in batch.lengths]
    packed = pack(batch, padded_input(batch, torch.float32), lengths=claimed)  # no error
    assert packed.batch_sizes.tolist() == [sum(n > t for n in claimed)
                                           for t in range(max(claimed))]
    assert int(packed.batch_sizes.sum()) > len(packed.data) == sum(batch.lengths)
    for call in (lambda: layer(packed), lambda: pad_packed_sequence(packed)):
        message = _error(call, RuntimeError)
        assert "lengths" not in message and "pack" not in message.lower()


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32], ids=str)
@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
def test_an_integer_input_is_refused_by_every_recurrent_layer(kind, dtype, packed):
    batch = BATCHES["small"]
    layer = make_layer(kind, batch, 1, False, torch.float32)
    x = to_layout(labelled(batch).expand(-1, -1, batch.F).to(dtype), batch.batch_first)
    if packed:
        x = pack_padded_sequence(x, batch.lengths, batch_first=batch.batch_first,
                                 enforce_sorted=False)
    if packed and KINDS[kind].has_cell:
        # the LSTM's packed path checks no dtype: a matrix product refuses the integers
        message = _error(lambda: layer(x), RuntimeError)
        name = {torch.int64: "Long", torch.int32: "Int"}[dtype]
        assert message == ("mat1 and mat2 must have the same dtype, but got "
                           f"{name} and Float")
        return
    message = _error(lambda: layer(x), ValueError)
    assert message.startswith(f"RNN input dtype ({dtype}) does not match weight dtype "
                              "(torch.float32)")


NOT_FOR_PACKED = {  # layer: (error, start of its message); None: returns its input
    "Linear": (TypeError, "linear(): argument 'input' (position 1) must be Tensor, not "
                          "PackedSequence"),
    "Embedding": (TypeError, "embedding(): argument 'indices' (position 2) must be "
                             "Tensor, not PackedSequence"),
    "Dropout": (TypeError, "dropout(): argument 'input' (position 1) must be Tensor"),
    "ReLU": (TypeError, "relu(): argument 'input' (position 1) must be Tensor"),
    "GELU": (TypeError, "gelu(): argument 'input' (position 1) must be Tensor"),
    "LayerNorm": (TypeError, "layer_norm(): argument 'input' (position 1) must be Tensor"),
    "Conv1d": (TypeError, "conv1d() received an invalid combination of arguments"),
    "Softmax": (AttributeError, "'PackedSequence' object has no attribute 'softmax'"),
    "Flatten": (AttributeError, "'PackedSequence' object has no attribute 'flatten'"),
    "BatchNorm1d": (AttributeError, "'PackedSequence' object has no attribute 'dim'"),
    "Identity": None,
}


def _other_layer(name: str, F: int) -> nn.Module:
    return {"Linear": lambda: nn.Linear(F, 3), "Embedding": lambda: nn.Embedding(500, 3),
            "Dropout": nn.Dropout, "ReLU": nn.ReLU, "GELU": nn.GELU,
            "LayerNorm": lambda: nn.LayerNorm(F), "Conv1d": lambda: nn.Conv1d(F, 3, 1),
            "Softmax": lambda: nn.Softmax(dim=-1), "Flatten": nn.Flatten,
            "BatchNorm1d": lambda: nn.BatchNorm1d(F), "Identity": nn.Identity}[name]()


@pytest.mark.parametrize("layer", list(NOT_FOR_PACKED) + list(KINDS))
@pytest.mark.parametrize("batch", ["small", "medium_17_tied"])
def test_only_recurrent_layers_take_a_packed_sequence(layer, batch):
    batch = BATCHES[batch]
    x = padded_input(batch, torch.float32)
    if layer == "Embedding":
        x = token_ids(batch)
    packed = pack(batch, x)
    if layer in KINDS:
        out = make_layer(layer, batch, 1, False, torch.float32)(packed)[0]
        assert isinstance(out, PackedSequence)
        return
    module = _other_layer(layer, batch.F)
    if NOT_FOR_PACKED[layer] is None:
        assert module(packed) is packed  # passes it through untouched
        return
    error, start = NOT_FOR_PACKED[layer]
    with pytest.raises(error) as info:
        module(packed)
    assert str(info.value).startswith(start)
    # "every other layer says the same" holds for the TypeError ones only
    assert ("must be Tensor, not PackedSequence" in str(info.value)) == (
        layer in ("Linear", "Embedding", "Dropout", "ReLU", "GELU", "LayerNorm"))


@pytest.mark.parametrize("layer", ["Linear", "Embedding", "Dropout", "ReLU", "GELU",
                                   "LayerNorm", "Softmax"])
@BATCH
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_a_per_step_layer_maps_over_packed_data(layer, batch, dtype):
    batch = BATCHES[batch]
    x = padded_input(batch, dtype)
    if layer == "Embedding":
        x = token_ids(batch)
    module = _other_layer(layer, batch.F).to(dtype).eval()
    packed = pack(batch, x)
    mapped = packed._replace(data=module(packed.data))
    expected = pack(batch, module(x))
    assert torch.equal(mapped.batch_sizes, expected.batch_sizes)
    assert torch.equal(mapped.sorted_indices, expected.sorted_indices)
    assert torch.allclose(mapped.data, expected.data, atol=TOL[dtype], rtol=TOL[dtype])


# --- recurrent layers padded and packed ----------------------------------------------
def _real(runs, T: int) -> torch.Tensor:
    """(B, T) True on real steps."""
    return torch.arange(T) < runs.lengths[:, None]


def _short(runs, T: int) -> list[int]:
    """The batch positions of the sequences shorter than T."""
    return (runs.lengths < T).nonzero().flatten().tolist()


def _rows(runs, num_layers: int, bidirectional: bool, state: torch.Tensor):
    """h_n (or c_n) as (layers, directions, B, size)."""
    D = 2 if bidirectional else 1
    return state.view(num_layers, D, state.shape[1], state.shape[2])


@RECURRENT
@RUNS
def test_padded_and_packed_outputs_agree_on_real_steps_for_one_direction_at_any_depth(
        kind, num_layers, bidirectional, batch, dtype, onednn):
    runs = recurrent_runs(kind, batch, num_layers, bidirectional, dtype)
    T, P = BATCHES[batch].T, runs.P
    real = _real(runs, T)
    longest = runs.lengths == T
    if not bidirectional:  # every layer, every real step
        assert close(runs.out_pad[real], runs.out_packed[real], dtype)
        return
    # two directions: only a sequence without pads agrees everywhere ...
    assert close(runs.out_pad[longest], runs.out_packed[longest], dtype)
    # ... and with one layer the forward half, which never reads a pad before a real step
    if num_layers == 1:
        assert close(runs.out_pad[..., :P][real], runs.out_packed[..., :P][real], dtype)


@KIND
@DEPTH
@RUNS_EXACT
def test_without_packing_the_backward_direction_is_wrong_right_after_the_pads(
        kind, num_layers, batch, dtype, onednn):
    runs = recurrent_runs(kind, batch, num_layers, True, dtype)
    T, P = BATCHES[batch].T, runs.P
    for b in _short(runs, T):
        n = int(runs.lengths[b])  # step n - 1: the backward direction has read only pads
        assert differs(runs.out_pad[b, n - 1, P:], runs.out_packed[b, n - 1, P:], dtype), b
        # layer 2 reads layer 1's backward half: its forward half is wrong there too
        forward_wrong = differs(runs.out_pad[b, n - 1, :P], runs.out_packed[b, n - 1, :P],
                                dtype)
        assert forward_wrong == (num_layers == 2), b


@RECURRENT
@PACKED_RUNS
def test_packed_outputs_at_pad_steps_are_the_padding_value(kind, num_layers,
                                                           bidirectional, batch, dtype):
    runs = recurrent_runs(kind, batch, num_layers, bidirectional, dtype)
    T = BATCHES[batch].T
    real = _real(runs, T)
    assert runs.out_packed[~real].eq(0).all()
    again, _ = pad_packed_sequence(runs.packed_out, batch_first=True, padding_value=-1.0,
                                   total_length=T + 2)
    assert again[:, :T][~real].eq(-1).all() and again[:, T:].eq(-1).all()
    assert torch.equal(again[:, :T][real], runs.out_packed[real])


@RECURRENT
@RUNS
def test_padded_h_n_is_the_output_at_the_last_padded_step_and_backward_at_step_0(
        kind, num_layers, bidirectional, batch, dtype, onednn):
    runs = recurrent_runs(kind, batch, num_layers, bidirectional, dtype)
    P = runs.P
    last_layer = _rows(runs, num_layers, bidirectional, runs.h_pad)[-1]
    assert close(last_layer[0], runs.out_pad[:, -1, :P], dtype)  # after the last pad
    if bidirectional:
        assert close(last_layer[1], runs.out_pad[:, 0, P:], dtype)  # it ends at step 0


@RECURRENT
@RUNS
def test_padded_h_n_and_c_n_are_right_for_the_longest_sequences(kind, num_layers,
                                                                bidirectional, batch,
                                                                dtype, onednn):
    runs = recurrent_runs(kind, batch, num_layers, bidirectional, dtype)
    longest = runs.lengths == BATCHES[batch].T
    assert longest.any()
    assert close(runs.h_pad[:, longest], runs.h_packed[:, longest], dtype)
    if KINDS[kind].has_cell:
        assert close(runs.c_pad[:, longest], runs.c_packed[:, longest], dtype)


@RECURRENT
@RUNS_EXACT
def test_padded_forward_h_n_is_off_for_shorter_sequences_unless_a_relu_state_is_0(
        kind, num_layers, bidirectional, batch, dtype, onednn):
    runs = recurrent_runs(kind, batch, num_layers, bidirectional, dtype)
    states = [("h_n", runs.h_pad, runs.h_packed)]
    if KINDS[kind].has_cell:
        states.append(("c_n", runs.c_pad, runs.c_packed))
    for name, padded, packed in states:
        padded = _rows(runs, num_layers, bidirectional, padded)[:, 0]  # forward rows
        packed = _rows(runs, num_layers, bidirectional, packed)[:, 0]
        for layer in range(num_layers):
            for b in _short(runs, BATCHES[batch].T):
                if differs(padded[layer, b], packed[layer, b], dtype):
                    continue
                # the one exception: a ReLU state of zeros, which zero inputs keep at zero
                assert kind == "rnn_relu" and packed[layer, b].eq(0).all(), (name, layer, b)
                assert padded[layer, b].eq(0).all()


def test_a_relu_state_at_zero_stays_there_over_the_pads():
    torch.manual_seed(0)
    for nonlinearity, same in (("relu", True), ("tanh", False)):
        layer = nn.RNN(2, 4, nonlinearity=nonlinearity, batch_first=True)
        with torch.no_grad():
            layer.bias_ih_l0.fill_(-1.0)  # no input below this lifts a unit above zero
            layer.bias_hh_l0.zero_()
            layer.weight_ih_l0.clamp_(-0.1, 0.1)
        real = torch.tensor([[1.0] * 5, [1.0] * 2 + [0.0] * 3])
        x = torch.rand(2, 5, 2) * real[..., None]
        _, h_pad = layer(x)
        _, h_packed = layer(pack_padded_sequence(x, [5, 2], batch_first=True))
        assert torch.equal(h_pad[0, 1], h_packed[0, 1]) == same
        assert h_packed[0, 1].eq(0).all() == same


FADED_AFTER, OFF_UP_TO = 25, 8  # real steps


@KIND
@DEPTH
@BATCH
def test_padded_backward_h_n_is_off_for_short_sequences_but_fades_over_long_ones(
        kind, num_layers, batch):
    dtype = torch.float32
    runs = recurrent_runs(kind, batch, num_layers, True, dtype)
    backward_pad = _rows(runs, num_layers, True, runs.h_pad)[-1, 1]
    backward_packed = _rows(runs, num_layers, True, runs.h_packed)[-1, 1]
    faded = 0
    for b in _short(runs, BATCHES[batch].T):
        n = int(runs.lengths[b])
        if n <= OFF_UP_TO:  # a few real steps after the pads: clearly off
            assert differs(backward_pad[b], backward_packed[b], dtype), b
        if n >= FADED_AFTER:  # many: within float32 tolerance of the packed state
            assert close(backward_pad[b], backward_packed[b], dtype), b
            faded += 1
    assert (faded > 0) == batch.startswith("large")  # the large batches have such ones


@RECURRENT
@PACKED_RUNS
def test_packed_h_n_is_the_output_at_the_last_real_step_for_one_direction(
        kind, num_layers, bidirectional, batch, dtype):
    runs = recurrent_runs(kind, batch, num_layers, bidirectional, dtype)
    B, P = BATCHES[batch].B, runs.P
    last = runs.out_packed[torch.arange(B), runs.lengths - 1]
    if not bidirectional:
        assert close(runs.h_packed[-1], last, dtype)
        return
    # two directions: h_n[-1] is the backward state, at step 0, not at the last real step
    assert close(runs.h_packed[-1], runs.out_packed[:, 0, P:], dtype)
    if dtype is not torch.bfloat16:
        for b in (runs.lengths > 1).nonzero().flatten().tolist():
            assert differs(runs.h_packed[-1, b], last[b, P:], dtype), b


@KIND
@DEPTH
@PACKED_RUNS
def test_packed_bidirectional_h_n_is_forward_at_the_last_real_step_and_backward_at_0(
        kind, num_layers, batch, dtype):
    runs = recurrent_runs(kind, batch, num_layers, True, dtype)
    B, T, P = BATCHES[batch].B, BATCHES[batch].T, runs.P
    forward, backward = _rows(runs, num_layers, True, runs.h_packed)[-1]
    assert torch.equal(forward, runs.h_packed[-2]) and torch.equal(backward,
                                                                   runs.h_packed[-1])
    last = runs.out_packed[torch.arange(B), runs.lengths - 1]
    assert close(forward, last[:, :P], dtype)
    assert close(backward, runs.out_packed[:, 0, P:], dtype)
    both = torch.cat([forward, backward], dim=1)
    longest = runs.lengths == T
    assert runs.out_packed[~longest, -1].eq(0).all()  # out[:, -1]: padding ...
    if num_layers == 1:  # ... or, at the longest, a backward direction one step old
        x = padded_input(BATCHES[batch], dtype)[longest][:, -1:]
        layer = runs.layer
        with torch.no_grad():
            one_step = layer(to_layout(x, layer.batch_first))[0]
        one_step = to_layout(one_step, layer.batch_first)[:, 0, P:]
        assert close(runs.out_packed[longest, -1, P:], one_step, dtype)
    if dtype is not torch.bfloat16 and T > 1:
        assert differs(runs.out_packed[longest, -1], both[longest], dtype)


@RECURRENT
@BATCH
def test_h_n_is_dl_by_b_by_h_and_proj_size_replaces_h_in_h_n_and_out_not_in_c_n(
        kind, num_layers, bidirectional, batch):
    runs = recurrent_runs(kind, batch, num_layers, bidirectional, torch.float32)
    b = BATCHES[batch]
    D = 2 if bidirectional else 1
    P = b.H // 2 if KINDS[kind].projected else b.H
    for h_n in (runs.h_pad, runs.h_packed):
        assert h_n.shape == (D * num_layers, b.B, P)  # batch on dim 1 in both layouts
        assert (h_n.shape[-1] == b.H) == (not KINDS[kind].projected)
    for c_n in (runs.c_pad, runs.c_packed):
        assert c_n is None or c_n.shape == (D * num_layers, b.B, b.H)
    assert runs.out_pad.shape == runs.out_packed.shape == (b.B, b.T, D * P)


@RECURRENT
@RUNS
def test_padded_output_at_lengths_minus_1_is_the_last_state_for_one_direction(
        kind, num_layers, bidirectional, batch, dtype, onednn):
    runs = recurrent_runs(kind, batch, num_layers, bidirectional, dtype)
    B, T, P = BATCHES[batch].B, BATCHES[batch].T, runs.P
    gathered = runs.out_pad[torch.arange(B), runs.lengths - 1]
    if not bidirectional:
        assert close(gathered, runs.h_packed[-1], dtype)
        return
    forward = gathered[:, :P]
    if num_layers == 1:  # one layer: the forward half is right
        assert close(forward, runs.h_packed[-2], dtype)
    elif dtype is not torch.bfloat16:  # two: layer 2 read the backward half of layer 1
        for b in _short(runs, T):
            assert differs(forward[b], runs.h_packed[-2, b], dtype), b


@RECURRENT
@PACKED_RUNS
def test_out_at_the_last_step_after_unpacking_is_padding_for_every_shorter_sequence(
        kind, num_layers, bidirectional, batch, dtype):
    runs = recurrent_runs(kind, batch, num_layers, bidirectional, dtype)
    b = BATCHES[batch]
    shorter = runs.lengths < b.T
    assert runs.out_packed[:, -1][shorter].eq(0).all()
    if not bidirectional:  # the longest get their last real state
        assert close(runs.out_packed[:, -1][~shorter], runs.h_packed[-1][~shorter], dtype)
    time_first = to_layout(runs.out_packed, False)  # (T, B, D * P)
    assert torch.equal(time_first[:, -1], runs.out_packed[-1])  # the last *sequence*


@RECURRENT
@pytest.mark.parametrize("batch", ["small_tied", "medium_17_tied", "large_20_tied"])
@pytest.mark.parametrize("as_lengths", ["int64", "int32"])
def test_sorting_by_hand_gives_what_enforce_sorted_false_gives(kind, num_layers,
                                                               bidirectional, batch,
                                                               as_lengths):
    b = BATCHES[batch]
    layer = make_layer(kind, b, num_layers, bidirectional, torch.float32)
    x = padded_input(b, torch.float32)
    lengths = LENGTH_TYPES[as_lengths](b.lengths)
    sorted_lengths, order = lengths.sort(descending=True)
    inverse = order.argsort()
    with torch.no_grad():
        auto = pack(b, x, as_lengths)
        out_auto, state_auto = layer(auto)
        by_hand = pack_padded_sequence(to_layout(x[order], b.batch_first), sorted_lengths,
                                       batch_first=b.batch_first)
        out_hand, state_hand = layer(by_hand)
    assert torch.equal(auto.sorted_indices, order)
    assert torch.equal(auto.unsorted_indices, inverse)
    out_auto = pad_packed_sequence(out_auto, batch_first=True)[0]
    out_hand = pad_packed_sequence(out_hand, batch_first=True)[0]
    assert torch.equal(out_hand[inverse], out_auto)  # outputs: batch on dim 0
    states_auto = state_auto if isinstance(state_auto, tuple) else (state_auto,)
    states_hand = state_hand if isinstance(state_hand, tuple) else (state_hand,)
    for a, h in zip(states_auto, states_hand):
        assert h.shape[1] == b.B  # h_n, c_n: the batch is on dim 1 (dim 0: layers)
        assert torch.equal(h[:, inverse], a)


@RECURRENT
@pytest.mark.parametrize("batch", ["small_tied", "medium", "large_20_tied"])
def test_h_0_goes_in_batch_order_and_a_pre_sorted_h_0_moves_the_moved_sequences(
        kind, num_layers, bidirectional, batch):
    b = BATCHES[batch]
    layer = make_layer(kind, b, num_layers, bidirectional, torch.float32)
    x = padded_input(b, torch.float32)
    D, P = (2 if bidirectional else 1), layer.proj_size or b.H
    gen = torch.Generator().manual_seed(seed_of("h_0", batch))
    hx = torch.randn(num_layers * D, b.B, P, generator=gen)
    if KINDS[kind].has_cell:
        hx = (hx, torch.randn(num_layers * D, b.B, b.H, generator=gen))

    def take(state, index):
        return tuple(s[:, index] for s in state) if isinstance(state, tuple) else \
            state[:, index]

    packed = pack(b, x)
    order, inverse = packed.sorted_indices, packed.unsorted_indices
    with torch.no_grad():
        out, state = layer(packed, hx)
        by_hand = pack_padded_sequence(to_layout(x[order], b.batch_first),
                                       torch.tensor(b.lengths)[order],
                                       batch_first=b.batch_first)
        out_hand, state_hand = layer(by_hand, take(hx, order))
        out_wrong, _ = layer(packed, take(hx, order))  # sorted twice
    for s, h in zip(*(s if isinstance(s, tuple) else (s,) for s in (state, state_hand))):
        assert torch.equal(s, h[:, inverse])  # in, and out, in the batch's own order
    out = pad_packed_sequence(out, batch_first=True)[0]
    out_wrong = pad_packed_sequence(out_wrong, batch_first=True)[0]
    moved = order != torch.arange(b.B)
    assert moved.any()
    for seq in range(b.B):  # step 0 of the forward direction reads h_0 directly
        assert torch.equal(out_wrong[seq, 0, :P], out[seq, 0, :P]) == (not moved[seq])


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("batch", ["small", "medium_17_tied", "large"])
def test_padding_idx_zeros_the_pad_embedding_but_the_state_still_moves_on_pads(kind,
                                                                                batch):
    b = BATCHES[batch]
    torch.manual_seed(seed_of("embed", batch))
    embed = nn.Embedding(500, b.F, padding_idx=0)
    tokens = token_ids(b)
    x = embed(tokens)
    assert x[tokens == 0].eq(0).all()
    layer = make_layer(kind, b, 1, False, torch.float32)
    out, h_pad = layer(to_layout(x, b.batch_first))
    _, h_packed = layer(pack(b, x))
    out, h_pad = to_layout(out, b.batch_first), h_pad[0] if isinstance(h_pad, tuple) \
        else h_pad
    h_packed = h_packed[0] if isinstance(h_packed, tuple) else h_packed
    lengths = torch.tensor(b.lengths)
    assert torch.allclose(h_pad[-1], out[:, -1])  # after the last pad, zero vectors or not
    assert torch.allclose(h_packed[-1], out[torch.arange(b.B), lengths - 1], atol=2e-5)
    for seq in (lengths < b.T).nonzero().flatten().tolist():
        assert differs(h_pad[0, seq], h_packed[0, seq], torch.float32) or (
            kind == "rnn_relu" and h_packed[0, seq].eq(0).all()), seq
    embed.zero_grad()
    layer(to_layout(embed(tokens), b.batch_first))[0].sum().backward()
    assert embed.weight[0].eq(0).all() and embed.weight.grad[0].eq(0).all()
    assert embed.weight.grad[tokens[0, 0]].ne(0).any()


@BATCH
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_ignore_index_loss_on_padded_output_equals_the_loss_on_packed_data(batch, dtype):
    b = BATCHES[batch]
    runs = recurrent_runs("lstm", batch, 1, False, dtype)
    fc = nn.Linear(runs.P, 4).to(dtype)
    targets = pad_sequence([torch.arange(n) % 4 for n in b.lengths], batch_first=True,
                           padding_value=-100)
    logits = fc(runs.out_packed)
    loss_padded = nn.CrossEntropyLoss()(logits.flatten(0, 1), targets.flatten())
    packed_targets = pack(b, targets.unsqueeze(-1)).data.squeeze(-1)
    loss_packed = nn.CrossEntropyLoss()(fc(runs.packed_out.data), packed_targets)
    assert torch.allclose(loss_padded, loss_packed, atol=TOL[dtype], rtol=TOL[dtype])
    grads = [torch.autograd.grad(loss, fc.weight)[0] for loss in (loss_padded, loss_packed)]
    assert torch.allclose(*grads, atol=TOL[dtype], rtol=TOL[dtype])
    with_pads = nn.CrossEntropyLoss()(logits.flatten(0, 1), targets.flatten().clamp(min=0))
    assert not torch.allclose(with_pads, loss_packed)  # pads counted: another loss


@RECURRENT
@BATCH
def test_a_mean_over_real_steps_divides_by_the_lengths_not_by_t(kind, num_layers,
                                                               bidirectional, batch):
    runs = recurrent_runs(kind, batch, num_layers, bidirectional, torch.float64)
    T = BATCHES[batch].T
    out, lengths = runs.out_packed, runs.lengths
    real_mean = torch.stack([out[b, :n].mean(dim=0) for b, n in enumerate(lengths)])
    assert close(out.sum(dim=1) / lengths.unsqueeze(1), real_mean, torch.float64)
    longest = lengths == T
    assert close(out.mean(dim=1)[longest], real_mean[longest], torch.float64)
    assert close(out.mean(dim=1), real_mean * lengths.unsqueeze(1) / T, torch.float64)
    for b in (~longest).nonzero().flatten().tolist():  # off by n / T
        assert differs(out.mean(dim=1)[b], real_mean[b], torch.float64) or \
            real_mean[b].eq(0).all()


# --- oneDNN, FlopCounterMode and the CPU's loops -------------------------------------
def _path_cases() -> list:
    """(batch, dtype name): every dtype on the small batch, float32 on the large one
    with 20 ties (the medium size adds nothing the two do not show)."""
    marks = {"bfloat16": [BF16], "float16_no_grad": [pytest.mark.skipif(
        not fp16_supported(), reason="oneDNN cannot run float16 on this CPU")]}
    cases = [("small", d) for d in PATH_DTYPES]
    cases += [("large_20_tied", "float32")]
    return [pytest.param(b, d, id=f"{b}-{d}", marks=marks.get(d, [])) for b, d in cases]


PATHS = pytest.mark.parametrize(("batch", "dtype_name"), _path_cases())
INPUT = pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])


def fused_expected(kind: str, dtype_name: str, packed: bool, onednn: bool) -> bool:
    """Where the book says torch hands the layer to oneDNN's fused call."""
    dtype, grad = PATH_DTYPES[dtype_name]
    eligible = (dtype is torch.float32 or (dtype is torch.bfloat16 and bf16_supported())
                or (dtype is torch.float16 and not grad and fp16_supported()))
    spec = KINDS[kind]
    return (spec.has_cell and not spec.projected and not packed and onednn
            and torch.backends.mkldnn.is_available() and eligible)


@RECURRENT
@PATHS
@INPUT
def test_only_a_padded_lstm_without_proj_size_in_float32_or_bf16_is_fused_by_onednn(
        kind, num_layers, bidirectional, batch, dtype_name, packed, onednn):
    path = measure_path(kind, batch, num_layers, bidirectional, dtype_name, packed)
    D = 2 if bidirectional else 1
    fused = fused_expected(kind, dtype_name, packed, onednn)
    # one fused call per layer and direction, or none at all
    assert path.fused_calls == (num_layers * D if fused else 0)


@RECURRENT
@PATHS
@INPUT
def test_the_flop_counter_counts_every_row_except_inside_a_fused_call(
        kind, num_layers, bidirectional, batch, dtype_name, packed, onednn):
    path = measure_path(kind, batch, num_layers, bidirectional, dtype_name, packed)
    b = BATCHES[batch]
    rows = sum(b.lengths) if packed else b.B * b.T
    if path.fused_calls:
        assert path.flops == 0  # blind to the fused call, and only to it
    else:
        assert path.flops == rows * flops_per_row(kind, b, num_layers, bidirectional)


def test_the_flop_counter_has_no_formula_for_the_fused_rnn_calls():
    registry = torch.utils.flop_counter.flop_registry
    aten = torch.ops.aten
    for counted in (aten.mm, aten.addmm, aten.bmm, aten.convolution,
                    aten._scaled_dot_product_flash_attention):
        assert counted in registry
    for blind in (aten.mkldnn_rnn_layer, aten._cudnn_rnn):
        assert blind not in registry


@pytest.mark.parametrize(("cell", "gates"), [("RNNCell", 1), ("GRUCell", 3),
                                             ("LSTMCell", 4)])
@pytest.mark.parametrize("size", [(2, 3), (5, 16), (8, 32)], ids=["F2H3", "F5H16", "F8H32"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_one_cell_row_costs_2_g_h_times_f_plus_h_flops(cell, gates, size, dtype):
    F, H = size
    module = getattr(nn, cell)(F, H).to(dtype)
    with torch.utils.flop_counter.FlopCounterMode(display=False) as counter:
        module(torch.randn(1, F, dtype=dtype))
    assert counter.get_total_flops() == 2 * gates * H * (F + H)


@pytest.mark.parametrize("dtype_name", list(PATH_DTYPES))
@INPUT
def test_proj_size_warns_only_where_onednn_would_take_the_lstm_and_once(
        dtype_name, packed, onednn):
    if dtype_name == "bfloat16" and not bf16_supported():
        pytest.skip("oneDNN cannot run bfloat16 on this CPU")
    path = measure_path("lstm_proj", "small", 1, False, dtype_name, packed)
    warned = any("LSTM with projections is not supported with oneDNN" in w
                 for w in path.warnings)
    assert warned == fused_expected("lstm", dtype_name, packed, onednn)
    # TORCH_WARN_ONCE: without warn_always, a process hears it at most once
    layer = make_layer("lstm_proj", BATCHES["small"], 1, False, torch.float32)
    x = padded_input(BATCHES["small"], torch.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            layer(x)
    assert len(caught) <= 1


@pytest.mark.parametrize("kind", list(KINDS))
@INPUT
@pytest.mark.parametrize("batch", ["small", "medium_17_tied"])
def test_a_cpu_layer_projects_every_input_row_in_one_product_before_its_loop(
        kind, packed, batch, onednn):
    path = measure_path(kind, batch, 1, False, "float32", packed)
    b = BATCHES[batch]
    if path.fused_calls:  # oneDNN's fused LSTM: no products of PyTorch's own
        assert path.product_rows == ()
        return
    first, *steps = path.product_rows
    assert first == (sum(b.lengths) if packed else b.B * b.T)  # every input row at once
    sizes = pack(b, torch.zeros(b.B, b.T, 1)).batch_sizes.tolist() if packed \
        else [b.B] * b.T
    per_step = len(steps) // b.T  # then the step loop: the hidden state's products
    assert [steps[t * per_step] for t in range(b.T)] == sizes


# --- tracing, compiling, exporting ---------------------------------------------------
class Encoder(nn.Module):
    """Pack (lengths a tensor, or a list with as_list), run, return the last state."""

    def __init__(self, kind: str, bidirectional: bool, as_list: bool = False):
        super().__init__()
        self.rnn = make_layer(kind, BATCHES["small"], 1, bidirectional, torch.float32)
        self.rnn.batch_first = True
        self.as_list = as_list

    def forward(self, padded, lengths):
        lengths = lengths.tolist() if self.as_list else lengths
        packed = pack_padded_sequence(padded, lengths, batch_first=True,
                                      enforce_sorted=False)
        _, h_n = self.rnn(packed)
        return (h_n[0] if isinstance(h_n, tuple) else h_n)[-1]


class PaddedEncoder(Encoder):
    """Run over the pads, then gather the output at lengths - 1 (one direction)."""

    def forward(self, padded, lengths):
        out, _ = self.rnn(padded)
        return out[torch.arange(out.shape[0]), lengths - 1]


TRACE_INPUTS = [(torch.randn(3, 5, 2), torch.tensor([5, 3, 2])),
                (torch.randn(3, 5, 2), torch.tensor([2, 5, 4])),
                (torch.randn(4, 7, 2), torch.tensor([7, 1, 4, 6]))]


@pytest.mark.parametrize("kind", list(KINDS))
@DIRECTION
def test_jit_trace_bakes_in_list_lengths_and_follows_tensor_lengths(kind, bidirectional):
    model = Encoder(kind, bidirectional).eval()
    listed = Encoder(kind, bidirectional, as_list=True).eval()
    listed.load_state_dict(model.state_dict())
    (padded, lengths), (_, other), (bigger, bigger_lengths) = TRACE_INPUTS
    with warnings.catch_warnings(record=True) as caught, torch.no_grad():
        warnings.simplefilter("always")
        traced = torch.jit.trace(model, (padded, lengths))
        baked = torch.jit.trace(listed, (padded, lengths))
        assert torch.allclose(traced(padded, other), model(padded, other))
        assert torch.allclose(traced(bigger, bigger_lengths), model(bigger, bigger_lengths))
        assert torch.allclose(baked(padded, other), model(padded, lengths))  # baked in
        assert not torch.allclose(baked(padded, other), model(padded, other))
    messages = [str(w.message) for w in caught]
    assert any(m.startswith("pack_padded_sequence has been called with a Python list")
               for m in messages)
    notices = [w for w in caught if str(w.message).startswith("`torch.jit.trace")]
    assert notices and all(issubclass(w.category, DeprecationWarning) for w in notices)


@pytest.mark.parametrize("kind", list(KINDS))
def test_compile_fullgraph_refuses_packing_and_every_recurrent_layer(kind):
    from torch import _dynamo

    padded, lengths = TRACE_INPUTS[0]
    packed_model = Encoder(kind, False).eval()
    padded_model = PaddedEncoder(kind, False).eval()
    padded_model.load_state_dict(packed_model.state_dict())
    refusals = ((packed_model, "Attempted to call function marked as skipped"),
                (padded_model, "Attempted to wrap RNN, GRU, or LSTM"))
    for model, first_line in refusals:
        _dynamo.reset()
        with pytest.raises(_dynamo.exc.Unsupported) as info:
            torch.compile(model, fullgraph=True, backend="eager")(padded, lengths)
        if torch.__version__.startswith("2.13."):
            assert str(info.value).splitlines()[0] == first_line
    assert "Dynamo does not support RNN, GRU, or LSTM" in str(info.value)
    assert "torch._dynamo.config.allow_rnn=True" in str(info.value)
    _dynamo.reset()
    with _dynamo.config.patch(allow_rnn=True), torch.no_grad():
        one_graph = torch.compile(padded_model, fullgraph=True, backend="eager")
        for x, n in TRACE_INPUTS[:2]:
            assert torch.allclose(one_graph(x, n), packed_model(x, n), atol=1e-6)
    _dynamo.reset()


@pytest.mark.parametrize("kind", list(KINDS))
def test_export_fails_on_packing_and_exports_a_padded_run_with_a_gather(kind):
    (padded, lengths), (_, other), _ = TRACE_INPUTS
    packed_model = Encoder(kind, False).eval()
    padded_model = PaddedEncoder(kind, False).eval()
    padded_model.load_state_dict(packed_model.state_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        message = _error(lambda: torch.export.export(packed_model, (padded, lengths)),
                         TypeError)
        assert message.startswith("zeros(): argument 'size' failed to unpack")
        exported = torch.export.export(padded_model, (padded, lengths))
    with torch.no_grad():
        assert torch.allclose(exported.module()(padded, other), packed_model(padded, other),
                              atol=1e-6)


# --- attention and nested tensors ----------------------------------------------------
ATTENTION_BATCHES = pytest.mark.parametrize("batch", ["small", "medium", "medium_17_tied"])
ATTENTION_DTYPES = pytest.mark.parametrize("dtype", [torch.float32, torch.float64],
                                           ids=str)


def _attention_input(batch, dtype, F=8):
    gen = torch.Generator().manual_seed(seed_of("attention", batch.name))
    seqs = [torch.randn(n, F, generator=gen, dtype=dtype) for n in batch.lengths]
    return seqs, pad_sequence(seqs, batch_first=True)


def _heads(x, heads=2):
    return x.unflatten(-1, (heads, x.shape[-1] // heads)).transpose(-3, -2)


def _merge(y):
    return y.transpose(-3, -2).flatten(-2)


def _attend(x, **kwargs):
    q = _heads(x)
    return _merge(sdpa(q, q, q, **kwargs))


@ATTENTION_BATCHES
@ATTENTION_DTYPES
def test_key_padding_mask_hides_pad_keys_and_leaves_pad_queries_nonzero(batch, dtype):
    b = BATCHES[batch]
    seqs, padded = _attention_input(b, dtype)
    pads = torch.arange(b.T) >= torch.tensor(b.lengths)[:, None]  # True on pads
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=True).to(dtype).eval()
    with torch.no_grad():
        out, weights = mha(padded, padded, padded, key_padding_mask=pads)
        for seq, (s, n) in enumerate(zip(seqs, b.lengths)):
            alone = mha(s[None], s[None], s[None])[0][0]
            assert torch.allclose(out[seq, :n], alone, atol=TOL[dtype] * 50)
    assert weights[pads[:, None, :].expand_as(weights)].eq(0).all()  # pad keys: weight 0
    for seq in pads.any(dim=1).nonzero().flatten().tolist():  # pad queries: not zero
        assert out[seq][pads[seq]].ne(0).any(dim=-1).all()


@ATTENTION_BATCHES
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16,
                                   torch.float16], ids=str)
@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "grad"])
def test_sdpa_attn_mask_true_means_attend_and_an_all_false_row_gives_zeros(batch, dtype,
                                                                          grad):
    b = BATCHES[batch]
    seqs, padded = _attention_input(b, torch.float64)
    seqs, padded = [s.to(dtype) for s in seqs], padded.to(dtype).requires_grad_(grad)
    pads = torch.arange(b.T) >= torch.tensor(b.lengths)[:, None]
    right = _attend(padded, attn_mask=~pads[:, None, None, :])
    wrong = _attend(padded, attn_mask=pads[:, None, None, :])  # raises nothing
    tol = TOL.get(dtype, 1e-2) * 50 if dtype in TOL else 1e-2
    for seq, (s, n) in enumerate(zip(seqs, b.lengths)):
        assert torch.allclose(right[seq, :n], _attend(s), atol=tol, rtol=tol)
    full = ~pads.any(dim=1)  # no pads: the wrong mask's row is all False
    assert full.any()
    assert wrong[full].eq(0).all()  # an all-False row gives zeros, not NaN
    assert not torch.isnan(wrong).any()


@ATTENTION_BATCHES
@ATTENTION_DTYPES
def test_transformer_packing_with_a_block_diagonal_mask_equals_each_sequence_alone(batch,
                                                                                   dtype):
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention

    b = BATCHES[batch]
    seqs, _ = _attention_input(b, dtype)
    lengths = torch.tensor(b.lengths)
    row = torch.cat(seqs)
    N = len(row)
    doc = torch.repeat_interleave(torch.arange(b.B), lengths)
    same_doc = doc[:, None] == doc[None, :]
    alone = torch.cat([_attend(s) for s in seqs])
    tol = TOL[dtype] * 50
    assert torch.allclose(_attend(row, attn_mask=same_doc), alone, atol=tol)
    assert not torch.allclose(_attend(row), alone, atol=tol)  # without the mask: wrong
    starts = torch.cumsum(lengths, 0) - lengths
    positions = torch.arange(N) - starts[doc]
    assert positions.tolist() == torch.cat([torch.arange(n) for n in b.lengths]).tolist()
    embedding = nn.Embedding(N, 8).to(dtype)
    with torch.no_grad():
        by_alone = torch.cat([_attend(s + embedding(torch.arange(len(s)))) for s in seqs])
        restart = _attend(row + embedding(positions), attn_mask=same_doc)
        straight = _attend(row + embedding(torch.arange(N)), attn_mask=same_doc)
    assert torch.allclose(restart, by_alone, atol=tol)
    assert not torch.allclose(straight, by_alone, atol=tol)
    if dtype is not torch.float32:
        return  # FlexAttention: float32 only (its CPU block mask is slow to build)
    block_mask = create_block_mask(lambda _b, _h, q, k: doc[q] == doc[k], B=None, H=None,
                                   Q_LEN=N, KV_LEN=N, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unfused without torch.compile (once a process)
        q = _heads(row)[None]
        flex = _merge(flex_attention(q, q, q, block_mask=block_mask)[0])
    assert torch.allclose(flex, alone, atol=tol)


@pytest.mark.parametrize("kind", list(KINDS))
@ATTENTION_BATCHES
def test_nested_tensors_work_with_linear_and_sdpa_and_not_with_recurrent_layers(kind,
                                                                                batch):
    b = BATCHES[batch]
    seqs, padded = _attention_input(b, torch.float32)
    nt = torch.nested.nested_tensor(seqs, layout=torch.jagged)
    assert nt.values().shape == (sum(b.lengths), 8)
    assert nt.offsets().diff().tolist() == list(b.lengths)
    linear = nn.Linear(8, 4)
    with torch.no_grad():
        for p, s in zip(linear(nt).unbind(), seqs):
            assert torch.allclose(p, linear(s))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the math path's prototype notice, once a process
        nested_out = _attend(nt)
    for o, s in zip(nested_out.unbind(), seqs):
        assert torch.allclose(o, _attend(s), atol=1e-6)
    spec = KINDS[kind]
    for batch_first, error, text in ((True, ValueError, "Transpose is not supported"),
                                     (False, RuntimeError, "concrete integers")):
        layer = spec.cls(8, 4, batch_first=batch_first, **dict(spec.options))
        with pytest.raises(error) as info:
            layer(nt)
        assert text in str(info.value)
    # back to packing: to_padded_tensor pads, the offsets' differences are the lengths
    packed = pack_padded_sequence(nt.to_padded_tensor(0.0), nt.offsets().diff(),
                                  batch_first=True, enforce_sorted=False)
    reference = pack_padded_sequence(padded, b.lengths, batch_first=True,
                                     enforce_sorted=False)
    assert torch.equal(packed.data, reference.data)


# --- the map from rules to sentences -------------------------------------------------
def test_every_rule_maps_to_the_sentences_it_guards():
    tests = {name for name, obj in inspect.getmembers(sys.modules[__name__])
             if name.startswith("test_") and callable(obj)}
    assert tests == set(RULES), (tests ^ set(RULES))
    for name, sentences in RULES.items():
        if name == "test_every_rule_maps_to_the_sentences_it_guards":
            continue
        assert sentences, name
        for path, words in sentences:
            assert path.startswith((CH, "reference/")) and len(words) > 10, (name, path)
