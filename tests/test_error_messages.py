"""Chapter 7 quotes torch's own error messages; these tests fail when torch rewords one.

Each pitfall is triggered again here and its message compared word for word with the
text the chapter teaches (torch 2.13, the pinned release). Where the chapter names a
newer wording (torch 2.15), the check on that release compares the words the chapter
says are stable and the first line it names. Further tests check that the committed
chapter (its table, what it prints and its prose) shows exactly these messages,
and that no stored output of chapters 7 and 8 shows a path of the machine that ran it.
"""

from __future__ import annotations

import json
import pathlib
import re
import warnings

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

CHAPTER = pathlib.Path(__file__).parent.parent / "chapters/07_when_packing_goes_wrong.ipynb"

RECORDED_ON_GPU = (
    "'lengths' argument should be a 1D CPU int64 tensor, but got 1D cuda:0 Long tensor"
)

# Dynamo's messages as the chapter shows them: installation paths shortened and the
# user-code stack (which names this machine's files) cut off.
COMPILE_PACKING = """\
Attempted to call function marked as skipped
  Explanation: Dynamo developers have intentionally marked that the function \
`pack_padded_sequence` in file `.../site-packages/torch/nn/utils/rnn.py` should not be \
traced.
  Hint: Avoid calling the function `pack_padded_sequence`.
  Hint: Apply `@torch._dynamo.dont_skip_tracing` to the function `pack_padded_sequence` \
to force tracing into the function. More graph breaks may occur as a result of \
attempting to trace into the function.
  Hint: Please file an issue to PyTorch.

  Developer debug context: module: torch.nn.utils.rnn, qualname: pack_padded_sequence, \
skip reason: file matches MOD_SKIPLIST (.../site-packages/torch/nn)

 For more details about this graph break, please visit: \
https://meta-pytorch.github.io/compile-graph-break-site/gb/gb0007.html"""

COMPILE_LSTM = """\
Attempted to wrap RNN, GRU, or LSTM
  Explanation: Dynamo does not support RNN, GRU, or LSTM.
  Hint: Set torch._dynamo.config.allow_rnn=True to enable experimental support for RNN, \
GRU, and LSTM in Dynamo
  Hint: It may be possible to write Dynamo tracing rules for this code. Please report \
an issue to PyTorch if you encounter this graph break often and it is causing \
performance issues.

  Developer debug context: LSTM(2, 3, batch_first=True)

 For more details about this graph break, please visit: \
https://meta-pytorch.github.io/compile-graph-break-site/gb/gb0014.html"""

EXPECTED = {  # pitfall: (exception type, the whole message)
    "zero-length": (
        "RuntimeError",
        "Length of all samples has to be greater than 0, but found an element in "
        "'lengths' that is <= 0",
    ),
    "unsorted": (
        "RuntimeError",
        "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
        "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
        "pack_sequence to sidestep this requirement if you do not need ONNX "
        "exportability.",
    ),
    "lengths-on-meta": (
        "RuntimeError",
        "'lengths' argument should be a 1D CPU int64 tensor, but got 1D meta Long tensor",
    ),
    "layout": (
        "RuntimeError",
        "Expected `len(lengths)` to be equal to batch_size, but got 3 (batch_size=5)",
    ),
    "total-length": (
        "ValueError",
        "Expected total_length to be at least the length of the longest sequence in "
        "input, but got total_length=4 and max sequence length being 5",
    ),
    "too-long-lstm": (
        "RuntimeError",
        "start (10) + length (1) exceeds dimension size (10).",
    ),
    "too-long-unpack": (
        "RuntimeError",
        "shape '[4, 1, 2]' is invalid for input of size 4",
    ),
    "embedding": (
        "TypeError",
        "embedding(): argument 'indices' (position 2) must be Tensor, not PackedSequence",
    ),
    "linear": (
        "TypeError",
        "linear(): argument 'input' (position 1) must be Tensor, not PackedSequence",
    ),
    "jit-trace-list": (
        "UserWarning",
        "pack_padded_sequence has been called with a Python list of sequence lengths. "
        "The tracer cannot track the data flow of Python values, and it will treat them "
        "as constants, likely rendering the trace incorrect for any other combination "
        "of lengths.",
    ),
    "compile-packing": ("Unsupported", COMPILE_PACKING),
    "compile-lstm": ("Unsupported", COMPILE_LSTM),
    "export": (
        "TypeError",
        "zeros(): argument 'size' failed to unpack the object at pos 2 with error "
        '"type must be tuple of ints,but got FakeTensor"',
    ),
}

# Messages the chapter says newer releases word differently: the words all releases
# share, and each named release's first line (EXPECTED holds the 2.13 one).
REWORDED = {
    "compile-lstm": {
        "stable": ["Dynamo does not support RNN, GRU, or LSTM",
                   "torch._dynamo.config.allow_rnn=True"],
        "first line": {"2.15": "Unsupported function call (delayed)"},
    },
}
PINNED = "2.13"
RELEASE = ".".join(torch.__version__.split(".")[:2])


class PackedEncoder(nn.Module):
    """The chapter's encoder: pack, run an LSTM, return each last real state."""

    def __init__(self, F: int = 2, H: int = 3):
        super().__init__()
        self.rnn = nn.LSTM(F, H, batch_first=True)

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(padded, lengths, batch_first=True,
                                      enforce_sorted=False)
        _, (h_n, _) = self.rnn(packed)
        return h_n[-1]


class PaddedEncoder(PackedEncoder):
    """The chapter's padded encoder: LSTM over the pads, gather at lengths - 1."""

    def forward(self, padded, lengths):
        out, _ = self.rnn(padded)
        return out[torch.arange(out.shape[0]), lengths - 1]


def without_local_paths(text: str) -> str:
    """Shorten a message the way the chapter does (see its compile section)."""
    text = text.split("\nfrom user code:")[0].rstrip()
    return re.sub(r"/\S*?/(site|dist)-packages/", ".../site-packages/", text)


def batch():
    torch.manual_seed(0)
    lengths = torch.tensor([5, 3, 2])
    padded = pad_sequence([torch.randn(int(n), 2) for n in lengths], batch_first=True)
    return padded, lengths


def trigger(pitfall: str) -> None:
    """Make the mistake the chapter's section on `pitfall` makes."""
    padded, lengths = batch()
    too_long = pack_padded_sequence(padded, torch.tensor([7, 3, 2]), batch_first=True)
    if pitfall == "zero-length":
        pack_padded_sequence(padded, torch.tensor([5, 0, 2]), batch_first=True,
                             enforce_sorted=False)
    elif pitfall == "unsorted":
        pack_padded_sequence(padded, torch.tensor([3, 5, 2]), batch_first=True)
    elif pitfall == "lengths-on-meta":
        pack_padded_sequence(padded, lengths.to("meta"), batch_first=True)
    elif pitfall == "layout":
        pack_padded_sequence(padded, lengths)
    elif pitfall == "total-length":
        packed = pack_padded_sequence(padded, lengths, batch_first=True)
        pad_packed_sequence(packed, batch_first=True, total_length=4)
    elif pitfall == "too-long-lstm":
        nn.LSTM(2, 3, batch_first=True)(too_long)
    elif pitfall == "too-long-unpack":
        pad_packed_sequence(too_long, batch_first=True)
    elif pitfall == "embedding":
        ids = torch.randint(1, 10, (3, 5))
        nn.Embedding(10, 4)(pack_padded_sequence(ids, lengths, batch_first=True))
    elif pitfall == "linear":
        nn.Linear(2, 4)(pack_padded_sequence(padded, lengths, batch_first=True))
    elif pitfall == "jit-trace-list":
        encoder = PackedEncoder().eval()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.filterwarnings("error", message="pack_padded_sequence has been")
            torch.jit.trace(lambda p, n: encoder(p, n.tolist()), (padded, lengths))
    elif pitfall == "compile-packing":
        torch.compile(PackedEncoder(), fullgraph=True, backend="eager")(padded, lengths)
    elif pitfall == "compile-lstm":
        torch.compile(PaddedEncoder(), fullgraph=True, backend="eager")(padded, lengths)
    elif pitfall == "export":
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The tensor attributes self.rnn")
            torch.export.export(PackedEncoder(), (padded, lengths))
    else:
        raise KeyError(pitfall)


@pytest.mark.parametrize("pitfall", list(EXPECTED))
def test_torch_still_words_the_message_as_the_chapter_quotes_it(pitfall):
    name, message = EXPECTED[pitfall]
    with pytest.raises(Exception) as info:
        trigger(pitfall)
    assert type(info.value).__name__ == name
    raised = without_local_paths(str(info.value))
    if RELEASE == PINNED or pitfall not in REWORDED:
        assert raised == message
        return
    for words in REWORDED[pitfall]["stable"]:
        assert words in raised, words
    named = REWORDED[pitfall]["first line"].get(RELEASE)
    if named is not None:
        assert raised.splitlines()[0] == named


def test_jit_trace_notice_has_the_category_the_chapter_names():
    padded, lengths = batch()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.jit.trace(PackedEncoder().eval(), (padded, lengths))
    notices = [w.category for w in caught if str(w.message).startswith(
        "`torch.jit.trace` is deprecated. Please switch to `torch.compile`")]
    assert notices, "torch.jit.trace no longer warns that it is deprecated"
    named = {"2.13": DeprecationWarning, "2.15": FutureWarning}
    expected = named.get(RELEASE, (DeprecationWarning, FutureWarning))
    assert all(issubclass(category, expected) for category in notices)


def test_lengths_longer_than_the_tensor_pack_without_error():
    padded, _ = batch()
    packed = pack_padded_sequence(padded, torch.tensor([7, 3, 2]), batch_first=True)
    assert int(packed.batch_sizes.sum()) == 12 and packed.data.shape[0] == 10


def test_left_padded_batch_packs_without_error_but_takes_pads():
    padded, lengths = batch()
    sequences = [padded[b, :n] for b, n in enumerate(lengths)]
    left = pad_sequence(sequences, batch_first=True, padding_side="left")
    packed = pack_padded_sequence(left, lengths, batch_first=True)
    assert int(packed.data.eq(0).all(dim=1).sum()) == 4


def _raised_on_meta_as_on_gpu():
    """What torch raises now for lengths on `meta`, with the device named as on a GPU."""
    padded, lengths = batch()
    with pytest.raises(RuntimeError) as info:
        pack_padded_sequence(padded, lengths.to("meta"), batch_first=True)
    return str(info.value).replace("1D meta ", "1D cuda:0 ")


def test_gpu_message_the_chapter_quotes_is_what_torch_raises_for_another_device():
    # torch formats the device into the message (checkLongTensor in
    # aten/src/ATen/native/PackedSequence.cpp), so meta stands in for a GPU here.
    assert _raised_on_meta_as_on_gpu() == RECORDED_ON_GPU
    cells = _chapter()["cells"]
    prose = [
        line for cell in cells if cell["cell_type"] == "markdown"
        for line in "".join(cell["source"]).splitlines()
        if line.startswith("RuntimeError: 'lengths' argument")
    ]
    assert prose == [f"RuntimeError: {RECORDED_ON_GPU}"]
    code = "".join(
        "".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"
    )
    quoted = re.search(r'recorded_on_gpu = \(("[^)]*")\)', code)
    assert quoted, "the chapter's table no longer records the GPU message"
    assert "".join(re.findall(r'"([^"]*)"', quoted.group(1))) == RECORDED_ON_GPU


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_lengths_on_a_gpu_raise_the_message_the_chapter_records():
    padded, lengths = batch()
    with pytest.raises(RuntimeError) as info:
        pack_padded_sequence(padded.cuda(), lengths.cuda(), batch_first=True)
    assert str(info.value) == RECORDED_ON_GPU


def _chapter():
    return json.loads(CHAPTER.read_text())


def test_chapter_table_lists_each_message_with_its_exception():
    tables = [
        "".join(out["data"]["text/markdown"])
        for cell in _chapter()["cells"]
        for out in cell.get("outputs", [])
        if "text/markdown" in out.get("data", {})
    ]
    assert len(tables) == 1, "chapter 7 should render exactly one table of messages"
    table = tables[0]
    for name, message in list(EXPECTED.values()) + [("RuntimeError", RECORDED_ON_GPU)]:
        first_line = message.splitlines()[0].replace("|", "\\|")
        assert f"| `{name}` | `` {first_line} `` |" in table, first_line


def _printed(path: pathlib.Path = CHAPTER) -> str:
    """Everything the chapter's code cells printed, as one text."""
    return "".join(
        "".join(out.get("text", ""))
        for cell in json.loads(path.read_text())["cells"]
        for out in cell.get("outputs", []) if out.get("output_type") == "stream"
    )


def test_chapter_prints_each_message_in_full():
    printed = _printed()
    # Every pitfall the chapter triggers on the page, printed as "Type: message",
    # except nn.Linear, which the chapter quotes in prose next to nn.Embedding.
    for pitfall, (name, message) in EXPECTED.items():
        if pitfall != "linear":
            assert f"{name}: {message}\n" in printed, pitfall


@pytest.mark.parametrize("path", [CHAPTER, CHAPTER.with_name("08_beyond_rnns.ipynb")],
                         ids=lambda p: p.stem[:2])
def test_no_stored_output_shows_a_path_of_this_machine(path):
    cells = json.loads(path.read_text())["cells"]
    outputs = [out for cell in cells if cell["cell_type"] == "code"
               for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out["output_type"] == "error"]
    text = json.dumps(outputs)
    # the shortened ".../site-packages/" of the compile section names no machine
    local = re.findall(r"(?<!\.\.\.)/[\w.-]+/\S*?(?:site|dist)-packages|/work/|/home/|"
                       r"/tmp/|[A-Z]:\\\\", text)
    assert not local, local[:3]


def test_chapter_prose_names_both_wordings_of_the_lstm_message():
    prose = " ".join(
        " ".join("".join(cell["source"]).split())
        for cell in _chapter()["cells"] if cell["cell_type"] == "markdown"
    )
    assert f'torch 2.13 says "{EXPECTED["compile-lstm"][1].splitlines()[0]}"' in prose
    for release, line in REWORDED["compile-lstm"]["first line"].items():
        assert f'torch {release} "{line}"' in prose
    assert "does not support RNN, GRU, or LSTM" in prose and "`allow_rnn`" in prose


# --- other layers fed a PackedSequence (the chapter's table of ten layers) -----------
LAYERS = {  # layer: (exception type, the first line of its message, or None: no error)
    "Linear": ("TypeError", EXPECTED["linear"][1]),
    "Dropout": ("TypeError",
                "dropout(): argument 'input' (position 1) must be Tensor, not "
                "PackedSequence"),
    "ReLU": ("TypeError",
             "relu(): argument 'input' (position 1) must be Tensor, not PackedSequence"),
    "LayerNorm": ("TypeError",
                  "layer_norm(): argument 'input' (position 1) must be Tensor, not "
                  "PackedSequence"),
    "Embedding": ("TypeError", EXPECTED["embedding"][1]),
    "Softmax": ("AttributeError", "'PackedSequence' object has no attribute 'softmax'"),
    "Flatten": ("AttributeError", "'PackedSequence' object has no attribute 'flatten'"),
    "BatchNorm1d": ("AttributeError", "'PackedSequence' object has no attribute 'dim'"),
    "Conv1d": ("TypeError",
               "conv1d() received an invalid combination of arguments - got "
               "(PackedSequence, Parameter, Parameter, tuple, tuple, tuple, int), but "
               "expected one of:"),
    "Identity": (None, None),
}


def _layer(name: str) -> nn.Module:
    return {"Linear": nn.Linear(2, 4), "Dropout": nn.Dropout(), "ReLU": nn.ReLU(),
            "LayerNorm": nn.LayerNorm(2), "Embedding": nn.Embedding(10, 4),
            "Softmax": nn.Softmax(dim=-1), "Flatten": nn.Flatten(),
            "BatchNorm1d": nn.BatchNorm1d(2), "Conv1d": nn.Conv1d(2, 4, 1),
            "Identity": nn.Identity()}[name]


@pytest.mark.parametrize("name", list(LAYERS))
def test_each_layer_fed_a_packed_sequence_fails_as_the_chapter_shows(name):
    padded, lengths = batch()
    packed = pack_padded_sequence(padded, lengths, batch_first=True)
    if name == "Embedding":
        packed = pack_padded_sequence(torch.randint(1, 10, (3, 5)), lengths,
                                      batch_first=True)
    kind, first_line = LAYERS[name]
    if kind is None:
        assert _layer(name)(packed) is packed  # passed through, no error
        return
    with pytest.raises(Exception) as info:
        _layer(name)(packed)
    assert type(info.value).__name__ == kind
    assert str(info.value).splitlines()[0] == first_line


def test_chapter_table_of_layers_shows_each_outcome():
    outputs = [
        "".join(out.get("text", ""))
        for cell in _chapter()["cells"] if "outcomes = {}" in "".join(cell["source"])
        for out in cell.get("outputs", []) if out.get("output_type") == "stream"
    ]
    assert len(outputs) == 1, "chapter 7 should print one table of ten layers"
    lines = outputs[0].splitlines()
    assert len(lines) == len(LAYERS)
    for line, (name, (kind, first_line)) in zip(lines, LAYERS.items()):
        if kind is None:
            assert line.split() == [name, "no", "error", "returned", "its", "input:",
                                    "True"]
        else:
            assert line.split()[:2] == [name, kind]
            assert line.endswith(first_line[:80])


def test_float_lengths_pack_without_error_truncated():
    padded, lengths = batch()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        packed = pack_padded_sequence(padded, torch.tensor([4.7, 3.2, 1.9]),
                                      batch_first=True)
    assert pad_packed_sequence(packed, batch_first=True)[1].tolist() == [4, 3, 1]
    as_int32 = pack_padded_sequence(padded, lengths.int(), batch_first=True)
    assert as_int32.batch_sizes.tolist() == [3, 3, 2, 1, 1]


@pytest.mark.skipif(RELEASE != PINNED, reason="the chapter quotes torch 2.13 here")
def test_export_refuses_a_dynamic_time_axis_for_the_padded_lstm():
    padded, lengths = batch()
    model = PaddedEncoder().eval()
    with pytest.raises(Exception) as info:
        torch.export.export(model, (padded, lengths), dynamic_shapes={
            "padded": {1: torch.export.Dim("T")}, "lengths": None})
    assert type(info.value).__name__ == "UserError"
    assert str(info.value).startswith("Constraints violated (T)!")
    assert "specialized it to be a constant (5)" in str(info.value)
    # the batch axis can be freed: the program then follows another B
    batch_axis = torch.export.Dim("B")
    exported = torch.export.export(model, (padded, lengths), dynamic_shapes={
        "padded": {0: batch_axis}, "lengths": {0: batch_axis}})
    other = torch.randn(4, 5, 2), torch.tensor([5, 1, 4, 3])
    with torch.no_grad():
        assert torch.allclose(exported.module()(*other), model(*other))
