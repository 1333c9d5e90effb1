"""The live widgets (packviz.widgets) without a browser.

Three layers:
- the builders: argument checks, and the trait state the JavaScript reads (the view's
  traits, the controls' values and the jslinks between them);
- the JavaScript packing logic (packviz/js/core.js), run in node and compared with torch
  and with packviz.core: batch_sizes, data order, sort/unsort indices, the
  enforce_sorted error, parse errors, skewed_lengths, the attention mask;
- the state explorer's view (packviz/js/state.js), run in node on a minimal DOM: the
  sequences and rows it says a packed RNN updates at each step, and the step each h_n
  comes from, compared with what torch's RNN does;
- a live kernel: the widgets in a real ipykernel, values set from Python reach the
  state a front end receives, and updates a front end sends reach the Python traits.
The browser itself is tested in tests/browser/test_widgets_browser.py.
"""

from __future__ import annotations

import json
import pathlib
import random
import re
import shutil
import subprocess
import textwrap

import nbformat
import pytest
import torch
from nbclient import NotebookClient
from support.torch_reference import (
    attention_mask,
    random_lengths,
    torch_pack,
    torch_packing,
)
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from packviz import widgets as pw
from packviz.core import parse_lengths, skewed_lengths

JS = pathlib.Path(pw.__file__).with_name("js")
NODE = shutil.which("node")


# ---- builders and their trait state --------------------------------------------------


def linked(explorer, source, target):
    """True if a jslink/jsdlink connects (widget, trait) source and target."""
    return any(
        (link.source, link.target) in ((source, target), (target, source))
        for link in explorer.links
    )


def test_packing_explorer_state_is_what_the_javascript_reads():
    w = pw.packing_explorer([9, 8, 6, 4, 3, 2], batch_first=False, enforce_sorted=True)
    v = w.view
    assert (v.n, v.lengths, v.text) == (6, [9, 8, 6, 4, 3, 2], "9, 8, 6, 4, 3, 2")
    assert [v.l6, v.l7] == [1, 1]  # unused slots hold a valid length
    assert [getattr(v, f"d{i}") for i in range(8)] == [""] * 6 + ["none"] * 2
    assert (v.batch_first, v.enforce_sorted, v.message) == (False, True, "")
    c = w.controls
    assert c["count"].value == 6 and c["text"].value == v.text
    assert [s.value for s in c["lengths"][:6]] == [9, 8, 6, 4, 3, 2]
    assert [s.layout.display for s in c["lengths"]] == [""] * 6 + ["none"] * 2
    assert linked(w, (c["count"], "value"), (v, "n"))
    assert linked(w, (c["text"], "value"), (v, "text"))
    assert linked(w, (v, "message"), (c["message"], "value"))
    assert linked(w, (c["batch_first"], "value"), (v, "batch_first"))
    assert linked(w, (c["enforce_sorted"], "value"), (v, "enforce_sorted"))
    for i, slider in enumerate(c["lengths"]):
        assert linked(w, (slider, "value"), (v, f"l{i}"))
        assert linked(w, (v, f"d{i}"), (slider.layout, "display"))
    assert w.view in w.children and "packviz-widget" in w._dom_classes
    assert repr(w) == (
        "packing_explorer(lengths=[9, 8, 6, 4, 3, 2], batch_first=False, "
        "enforce_sorted=True)"
    )


def test_every_control_has_a_visible_label():
    for w in (
        pw.packing_explorer(),
        pw.waste_explorer(),
        pw.state_explorer(),
        pw.mask_explorer(),
    ):
        for name, control in w.controls.items():
            for c in control if isinstance(control, list) else [control]:
                if name != "message":
                    assert c.description, (w.kind, name)


def test_setting_view_traits_from_python_is_what_the_browser_draws():
    w = pw.packing_explorer([5, 2])
    w.view.n, w.view.l2 = 3, 7
    assert w.view.lengths == [5, 2, 7]
    with pytest.raises(Exception, match="l0"):
        w.view.l0 = 13  # the sliders go up to 12; the trait refuses more
    s = pw.state_explorer([5, 2])
    assert (s.view.t, s.view.tmax, s.controls["t"].max) == (2, 4, 4)
    assert linked(s, (s.controls["t"], "value"), (s.view, "t"))
    assert linked(s, (s.view, "tmax"), (s.controls["t"], "max"))


def test_waste_and_mask_explorers_link_every_control():
    w = pw.waste_explorer(batch_size=16, max_length=40, skew=2.5)
    assert (w.view.batch_size, w.view.max_length, w.view.skew, w.view.seed) == (
        16,
        40,
        2.5,
        0,
    )
    for name in ("batch_size", "max_length", "skew", "seed"):
        assert w.controls[name].value == getattr(w.view, name)
        assert linked(w, (w.controls[name], "value"), (w.view, name))
    m = pw.mask_explorer("3, 3, 1", causal=True)
    assert (m.view.lengths, m.view.causal) == ([3, 3, 1], True)
    assert linked(m, (m.controls["causal"], "value"), (m.view, "causal"))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pw.packing_explorer([]), "empty"),
        (lambda: pw.packing_explorer([3, 0]), "at least 1"),
        (lambda: pw.packing_explorer([1] * 9), "at most 8"),
        (lambda: pw.packing_explorer([13]), "go up to 12"),
        (lambda: pw.packing_explorer([2.5]), "not a whole number"),
        (lambda: pw.packing_explorer("5, x"), "'x' is not a whole number"),
        (lambda: pw.packing_explorer([5, 2], batch_first="yes"), "True or False"),
        (lambda: pw.packing_explorer([5, 2], enforce_sorted=1), "True or False"),
        (lambda: pw.waste_explorer(batch_size=0), "batch_size"),
        (lambda: pw.waste_explorer(batch_size=65), "1 to 64"),
        (lambda: pw.waste_explorer(max_length=101), "1 to 100"),
        (lambda: pw.waste_explorer(skew=-1.0), "skew"),
        (lambda: pw.waste_explorer(skew=3.5), "0 to 3"),
        (lambda: pw.waste_explorer(skew=float("nan")), "skew"),
        (lambda: pw.state_explorer([5, -2]), "at least 1"),
        (lambda: pw.mask_explorer([3, 2], causal=None), "True or False"),
        (lambda: pw.mask_explorer(None), "sequence of integers"),
    ],
)
def test_builders_reject_bad_arguments_with_clear_messages(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_builders_accept_tensors_and_text():
    assert pw.packing_explorer(torch.tensor([4, 4, 1])).view.lengths == [4, 4, 1]
    assert pw.state_explorer(" 3 ; 1 ").view.lengths == [3, 1]


def test_rows_of_controls_wrap_on_a_narrow_page():
    # A phone: rows wrap rather than squeeze sliders (tests/browser/test_phone_width.py
    # measures the tracks); the length sliders take as many columns as fit.
    for w in (pw.packing_explorer(), pw.waste_explorer(), pw.state_explorer(),
              pw.mask_explorer()):
        rows = [c for c in w.children if isinstance(c, pw.widgets.HBox)]
        assert rows and all(r.layout.flex_flow == "row wrap" for r in rows), w.kind
    grid = next(c for c in pw.packing_explorer().children
                if isinstance(c, pw.widgets.GridBox))
    assert "auto-fill" in grid.layout.grid_template_columns


def test_javascript_never_inserts_html_and_has_torch_message(node_core):
    sources = {p.name: p.read_text(encoding="utf-8") for p in JS.glob("*.js")}
    assert set(sources) == {
        "core.js",
        "embed.js",
        "view.js",
        "packing.js",
        "waste.js",
        "state.js",
        "mask.js",
    }
    for name, text in sources.items():
        for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert banned not in text, f"{name} uses {banned}"
    esm = pw.PackingView._esm
    assert esm.count("export default") == 1 and "ENFORCE_SORTED_MESSAGE" in esm
    with pytest.raises(RuntimeError) as err:
        torch_pack([2, 5], enforce_sorted=True)
    js_message = run_core(
        node_core, "console.log(JSON.stringify(core.ENFORCE_SORTED_MESSAGE))", None
    )
    assert js_message == str(err.value)


def embed_known_models() -> set[tuple[str, str]]:
    """The (model module, model name) pairs packviz/js/embed.js draws itself."""
    text = (JS / "embed.js").read_text(encoding="utf-8")
    block = text[text.index("const KNOWN = {"):]
    block = block[: block.index("};")]
    known = set()
    for module, names in re.findall(r'"?([@\w/-]+)"?: \[([^\]]*)\]', block):
        known |= {(module, n) for n in re.findall(r'"(\w+)"', names)}
    return known


def test_the_static_book_draws_every_model_the_explorers_store():
    """Every model in the widget state of the four explorers is one that embed.js draws,
    so a book page never needs html-manager for them (3.6 MB; embed.js falls back to it
    for any other model, tests/browser/test_widgets_browser.py checks that)."""
    import ipywidgets
    from ipywidgets.embed import embed_data

    if ipywidgets.__version__.startswith("7."):
        pytest.skip("the book is built with ipywidgets 8; Colab's 7 has its own manager")
    known = embed_known_models()
    assert ("anywidget", "AnyModel") in known and len(known) > 10
    for build in (pw.packing_explorer, pw.waste_explorer, pw.state_explorer,
                  pw.mask_explorer):
        state = embed_data(views=[build()])["manager_state"]["state"]
        stored = {(m["model_module"], m["model_name"]) for m in state.values()}
        assert stored <= known, (build.__name__, stored - known)
        controls = {m["model_module_version"] for m in state.values()
                    if m["model_module"] == "@jupyter-widgets/controls"}
        assert controls <= {"2.0.0"}, controls  # ipywidgets 8's state (embed.js: 2.x)


# ---- the JavaScript logic, in node -----------------------------------------------------


def node_module(tmp_path_factory, name: str, source: str) -> pathlib.Path:
    """`source` as an .mjs file node can import (the views are ES modules inside a CJS
    tree, so node needs the .mjs name); skips the test where node is missing."""
    if NODE is None:
        pytest.skip("node is not installed")
    path = tmp_path_factory.mktemp("js") / name
    path.write_text(source, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def node_core(tmp_path_factory):
    """core.js, the logic every view shares."""
    return node_module(tmp_path_factory, "core.mjs", (JS / "core.js").read_text("utf-8"))


def run_node(head: str, body: str, data) -> object:
    """Run `head` (imports, helpers), then `body` with `data` (JSON) in node; return what
    `body` prints, read as JSON."""
    script = f"{head}\nconst data = JSON.parse(process.argv[1]);\n{body}\n"
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", script, json.dumps(data)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def run_core(node_core, body: str, data) -> object:
    return run_node(f"import * as core from {json.dumps(node_core.as_uri())};", body, data)


def test_javascript_packing_matches_torch_for_600_configurations_with_ties(node_core):
    rng = random.Random(20260)
    cases = [[random_lengths(rng), rng.random() < 0.4] for _ in range(600)]
    cases += [[[1], True], [[1], False], [[3, 3, 3], True], [[1, 1, 2], False]]
    js = run_core(
        node_core,
        """
        const out = data.map(([lengths, enforce]) => {
          const s = core.packSummary(lengths, enforce);
          return s.error ? {error: s.error} : {error: null, batch_sizes: s.batchSizes,
            order: s.order, sorted: s.sortedIndices, unsorted: s.unsortedIndices};
        });
        console.log(JSON.stringify(out));""",
        cases,
    )
    for (lengths, enforce), got in zip(cases, js):
        assert got == torch_packing(lengths, enforce), (lengths, enforce)
    assert sum(1 for g in js if g["error"]) > 50  # the error path was exercised


def test_javascript_parse_lengths_gives_python_messages(node_core):
    texts = [
        "5, 2",
        " 5 ,2 ,7",
        "5;2",
        "+5, 007",
        "",
        "   ",
        ",",
        "5,",
        "5,,2",
        "x",
        "5, x",
        "0",
        "-0",
        "0, 2",
        "-3",
        "1,1,1,1,1,1,1,1,1",
        "13",
        "12",
        "99999999999999999999",
        "<img src=x onerror=alert(1)>",
        "1e2",
        "0x5",
        "5.0",
        "+-5",
        "--1",
        "²",
        "٣",
        "\t3\n",
        "\u20035",
        "\x1c5",
        "\ufeff5",
        "\u00a05, 2",
        "1_0",
        "8,8,8,8,8,8,8,8",
        "1, -2, 99",
        "-1, 0, 99",
    ]
    rng = random.Random(7)
    alphabet = "0123456789,; +-x\t"
    texts += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(400)
    ]
    js = run_core(
        node_core,
        "console.log(JSON.stringify(data.map((t) => core.parseLengths(t))));",
        texts,
    )
    for text, got in zip(texts, js):
        try:
            want = {"ok": True, "lengths": parse_lengths(text)}
        except ValueError as err:
            want = {"ok": False, "message": str(err)}
        assert got == want, repr(text)


def test_javascript_skewed_lengths_equal_python_exactly(node_core):
    configs = [
        [b, m, k, seed]
        for b in (1, 8, 64)
        for m in (1, 12, 100)
        for k in (0, 0.05, 0.5, 1.0, 1.15, 2.35, 3.0)
        for seed in range(0, 100, 7)
    ]
    js = run_core(
        node_core,
        "console.log(JSON.stringify(data.map(([b, m, k, s]) => "
        "core.skewedLengths(b, m, k, s))));",
        configs,
    )
    for (b, m, k, seed), got in zip(configs, js):
        assert got == skewed_lengths(b, m, k, seed=seed), (b, m, k, seed)


def test_javascript_attention_mask_matches_torch(node_core):
    rng = random.Random(3)
    cases = [[random_lengths(rng), rng.random() < 0.5] for _ in range(60)]
    js = run_core(
        node_core,
        textwrap.dedent("""
        console.log(JSON.stringify(data.map(([lengths, causal]) => {
          const m = core.maskSummary(lengths, causal);
          const rows = [];
          for (let q = 0; q < m.N; q++) {
            const row = [];
            for (let k = 0; k < m.N; k++) row.push(m.allowed(q, k) ? 1 : 0);
            rows.push(row);
          }
          return {rows, pos: m.positionIds, cu: m.cuSeqlens, count: m.allowedCount};
        })));"""),
        cases,
    )
    for (lengths, causal), got in zip(cases, js):
        want = attention_mask(lengths, causal)
        assert got["rows"] == want["mask"].int().tolist()
        assert got["pos"] == want["position_ids"] and got["cu"] == want["cu_seqlens"]
        assert got["count"] == int(want["mask"].sum())


# ---- the state explorer's view (state.js), in node -------------------------------------

# Just enough DOM for the views: elements with attributes, children, text and style.
# The view is never attached (isConnected stays false), so it draws and nothing more.
FAKE_DOM = """
class El {
  constructor(tag) {
    this.tagName = tag.toUpperCase(); this.attrs = {}; this.children = [];
    this.text = ""; this.style = {}; this.isConnected = false;
    this.classList = {add: (...names) => {
      this.attrs.class = [...new Set([...this.classes, ...names])].join(" "); }};
  }
  get classes() { return (this.attrs.class || "").split(/\\s+/).filter(Boolean); }
  setAttribute(k, v) { this.attrs[k] = String(v); }
  getAttribute(k) { return k in this.attrs ? this.attrs[k] : null; }
  append(...nodes) { for (const n of nodes) this.children.push(n); }
  replaceChildren(...nodes) { this.children = []; this.append(...nodes); }
  set textContent(t) { this.children = []; this.text = String(t); }
  get textContent() {
    return this.text + this.children.map((c) => c.textContent ?? String(c)).join("");
  }
  *walk() { yield this; for (const c of this.children) if (c.walk) yield* c.walk(); }
}
globalThis.document = {createElement: (t) => new El(t),
                       createElementNS: (ns, t) => new El(t)};
globalThis.requestAnimationFrame = () => 0;

// anywidget's model, as the views use it: get, set (a name or an object), on, off.
class Model {
  constructor(state) { this.state = {...state}; this.handlers = {}; }
  get(k) { return this.state[k]; }
  set(k, v) {
    const update = typeof k === "object" ? k : {[k]: v};
    const changed = Object.keys(update).filter((n) => this.state[n] !== update[n]);
    Object.assign(this.state, update);
    for (const n of changed) for (const f of this.handlers[`change:${n}`] || []) f();
  }
  on(e, f) { (this.handlers[e] = this.handlers[e] || []).push(f); }
  off(e, f) { this.handlers[e] = (this.handlers[e] || []).filter((g) => g !== f); }
  save_changes() {}
}
const tick = () => new Promise((r) => setTimeout(r, 0));

// What the view shows: its data-field texts, and per figure (role=img) and sequence
// row, the steps drawn with a ring (h_n), as a pad, and as a skipped step.
function shown(el) {
  const fields = {}, figures = [];
  for (const node of el.walk()) {
    const name = node.getAttribute("data-field");
    if (name !== null && !(name in fields)) fields[name] = node.textContent;
    if (node.getAttribute("role") !== "img") continue;
    const cells = node.children;
    const T = cells.slice(1).findIndex((c) => c.classes.includes("pv-blank"));
    const rows = [];
    for (let start = T + 2; start < cells.length; start += T + 2) {
      const steps = cells.slice(start + 1, start + 1 + T);
      const where = (cls) => steps.flatMap((c, i) => (c.classes.includes(cls) ? [i] : []));
      rows.push({ring: where("pv-hn"), pad: where("pv-pad"), skipped: where("pv-skipped"),
                 now: where("pv-now")});
    }
    figures.push({label: node.getAttribute("aria-label"), rows});
  }
  return {fields, figures};
}
"""


@pytest.fixture(scope="module")
def node_state(tmp_path_factory):
    """The state explorer's ES module, exactly as the widget ships it."""
    return node_module(tmp_path_factory, "state.mjs", pw.StateView._esm)


def run_state_view(node_state, body: str, data) -> object:
    head = f"import view from {json.dumps(node_state.as_uri())};\n{FAKE_DOM}"
    return run_node(head, body, data)


def state_traits(lengths: list[int], t: int) -> dict:
    traits = {f"l{i}": lengths[i] if i < len(lengths) else 1 for i in range(8)}
    return {**traits, "n": len(lengths), "t": t, "tmax": max(lengths) - 1,
            "text": ", ".join(map(str, lengths)), "message": ""}


def closest_step(h: torch.Tensor, out: torch.Tensor) -> int:
    """The step whose output `out[t]` is nearest the final state `h`."""
    return int((out - h).abs().amax(dim=-1).argmin())


def test_state_explorer_shows_what_torchs_rnn_does_at_each_step(node_state):
    """state.js, drawn at every step t: the sequences and rows of packed data a packed
    RNN updates, and the step each h_n comes from, packed and padded, are torch's."""
    rng = random.Random(5)
    configs = [[5, 2, 4], [3, 3, 1], [1], [12, 1, 12, 7]]
    configs += [random_lengths(rng) for _ in range(16)]
    cases = [[lengths, t] for lengths in configs for t in range(max(lengths))]
    js = run_state_view(
        node_state,
        """
        const out = [];
        for (const traits of data) {
          const model = new Model(traits);
          const el = new El("div");
          view.initialize({model});
          view.render({model, el});
          out.push(shown(el));
        }
        console.log(JSON.stringify(out));""",
        [state_traits(lengths, t) for lengths, t in cases],
    )
    torch.manual_seed(0)
    rnn = torch.nn.RNN(2, 3, batch_first=True)
    checked = 0
    for (lengths, t), got in zip(cases, js):
        B, T = len(lengths), max(lengths)
        x = torch.randn(B, T, 2)
        with torch.no_grad():
            packed_out, h_packed = rnn(pack_padded_sequence(
                x, torch.tensor(lengths), batch_first=True, enforce_sorted=False))
            out_padded, h_padded = rnn(x)
        unpacked, _ = pad_packed_sequence(packed_out, batch_first=True)
        sizes = packed_out.batch_sizes.tolist()
        order = packed_out.sorted_indices.tolist()
        offset = sum(sizes[:t])
        # torch: which sequences the packed run updates at t, and where each h_n is from
        updated = [b for b in order if unpacked[b, t].any()]
        h_step_packed = [closest_step(h_packed[0, b], out_padded[b]) for b in range(B)]
        h_step_padded = [closest_step(h_padded[0, b], out_padded[b]) for b in range(B)]
        fields, (packed_fig, padded_fig) = got["fields"], got["figures"]
        context = f"lengths={lengths} t={t}: {fields}"
        assert fields["t"] == str(t), context
        assert fields["batch_sizes"] == str(sizes), context
        assert fields["packed_active"] == str(order[: sizes[t]]) == str(updated), context
        assert fields["packed_rows"] == (
            f"data[{offset}:{offset + sizes[t]}] (batch_sizes[{t}] = {sizes[t]})"
        ), context
        assert fields["h_n_packed"] == str(h_step_packed), context
        assert fields["h_n_padded"] == str(h_step_padded), context
        assert fields["padded_active"] == str(list(range(B))), context
        assert fields["padded_on_pads"] == str(
            [b for b in range(B) if not unpacked[b, t].any()]
        ), context
        # The figures mark the same steps: a ring on the step h_n[b] comes from, the
        # steps past a sequence's end skipped (packed) or computed on pads (padded).
        assert len(packed_fig["rows"]) == len(padded_fig["rows"]) == B, context
        for b in range(B):
            after_end = list(range(lengths[b], T))
            assert packed_fig["rows"][b]["ring"] == [h_step_packed[b]], context
            assert padded_fig["rows"][b]["ring"] == [h_step_padded[b]], context
            assert packed_fig["rows"][b]["skipped"] == after_end, context
            assert padded_fig["rows"][b]["pad"] == after_end, context
            assert padded_fig["rows"][b]["now"] == [t], context
            checked += 1
        in_order = ", ".join(map(str, sorted(updated)))
        assert f"updates sequences {in_order};" in packed_fig["label"], context
    assert checked > 200


def test_state_explorer_keeps_its_time_step_inside_the_new_lengths(node_state):
    """Typed lengths that end before t move t (and the slider's maximum) to T - 1."""
    got = run_state_view(
        node_state,
        """
        const model = new Model(data);
        const el = new El("div");
        view.initialize({model});
        view.render({model, el});
        const before = shown(el).fields.t;
        model.set("text", "2, 1");
        await tick();
        console.log(JSON.stringify({before, t: model.get("t"), tmax: model.get("tmax"),
                                    shown: shown(el).fields}));""",
        state_traits([5, 2], 4),
    )
    assert (got["before"], got["t"], got["tmax"]) == ("4", 1, 1)
    assert (got["shown"]["t"], got["shown"]["lengths"]) == ("1", "[2, 1]")
    assert got["shown"]["h_n_padded"] == "[1, 1]"


# ---- a live kernel ---------------------------------------------------------------------

KERNEL_CELLS = [
    "from packviz.widgets import packing_explorer, state_explorer\n"
    "w = packing_explorer([5, 2])\nw",
    "s = state_explorer([5, 2])\ns",
    # What a reader does from Python: move a slider, type lengths, flip a checkbox.
    "w.controls['count'].value = 3\n"
    "w.controls['lengths'][2].value = 7\n"
    "w.view.text = '4, 4, 1'\n"
    "w.controls['batch_first'].value = False\n"
    "s.controls['t'].value = 4\n"
    "print(w.view.lengths, w.view.batch_first, s.view.t)",
]


def test_live_kernel_sends_python_changes_to_the_front_end(tmp_path):
    """Run the widgets in a real kernel; check the widget state a front end receives.

    nbclient records every comm message of the kernel as widget state (the same state
    the HTML book embeds). jslink is front-end code, so in a kernel without a browser a
    slider change does not reach the view: we check that each value set from Python
    reaches the front end on its own model, and that the links a front end needs exist.
    """
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in KERNEL_CELLS]
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    out = nb.cells[-1].outputs[0]["text"]
    # The view kept its values: jslink is browser code and no browser is attached.
    assert out.strip() == "[5, 2] True 2"
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]

    def models(name):
        return [m["state"] for m in state.values() if m["model_name"] == name]

    (packing,) = [
        m for m in models("AnyModel") if m.get("_anywidget_id", "").endswith("PackingView")
    ]
    (view_state,) = [
        m for m in models("AnyModel") if m.get("_anywidget_id", "").endswith("StateView")
    ]
    assert packing["text"] == "4, 4, 1" and packing["batch_first"] is True
    assert "ENFORCE_SORTED_MESSAGE" in packing["_esm"]
    assert view_state["t"] == 2  # the view's own t: the slider moved, the link is JS
    sliders = {m["description"]: m["value"] for m in models("IntSliderModel")}
    assert sliders["sequences"] == 3 and sliders["lengths[2]"] == 7
    assert sliders["time step t"] == 4
    boxes = {m["description"]: m["value"] for m in models("CheckboxModel")}
    assert boxes["batch_first"] is False  # the checkbox moved; the link is JS
    texts = [m["value"] for m in models("TextModel")]
    assert "5, 2" in texts  # the text box itself: view.text changed, not the box
    links = models("LinkModel") + models("DirectionalLinkModel")
    assert len(links) >= 2 * (1 + 8 + 1 + 2) + 1  # packing + state explorers


def test_live_kernel_accepts_what_the_javascript_sends(tmp_path):
    """Send a front end's comm update to a real kernel; the Python traits follow.

    In the browser, the view's JavaScript answers a typed '7, 3, 3' by setting n and
    l0..l7 and calling save_changes(); here the test plays that front end over the
    kernel's comm channel, then reads the traits back in Python.
    """
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")

    def run(code: str) -> str:
        outputs = []
        reply = kc.execute_interactive(code, timeout=60, output_hook=outputs.append)
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")

    try:
        model_id = run(
            "from packviz.widgets import packing_explorer\n"
            "w = packing_explorer([5, 2])\nprint(w.view.model_id)"
        ).strip()
        update = {
            "method": "update",
            "buffer_paths": [],
            "state": {
                "n": 3,
                "l0": 7,
                "l1": 3,
                "l2": 3,
                "d2": "",
                "text": "7, 3, 3",
                "message": "",
            },
        }
        kc.shell_channel.send(
            kc.session.msg("comm_msg", {"comm_id": model_id, "data": update})
        )
        text = run("print(w.view.lengths, repr(w.view.text), repr(w.view.d2))")
        assert text.strip() == "[7, 3, 3] '7, 3, 3' ''"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
