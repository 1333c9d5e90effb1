"""The live widgets in Chromium: on a built book served from 127.0.0.1 (no kernel), and
in JupyterLab with a live kernel (the last test).

(Named test_widgets_browser.py, not test_widgets.py: pytest's default import mode
refuses two test modules with one basename, and tests/test_widgets.py exists.)

Every test runs on two targets:
- "fixture": a small book this module builds once per session (jupyter-book, the real
  _config.yml with its widget settings) with all four widgets on one page, so the
  widgets are tested even before a chapter shows them;
- "chapter": the chapter page of the real book (_build/html) that shows the widget;
  a test fails if that page is missing or carries no widget of its kind (`chapter_url`).

The module overrides `book_url` so that conftest's `page` fixture (requests confined to
the local server, console errors recorded) serves whichever target a test runs on.
Expected values come from torch (pack_padded_sequence, computed in this process) and
from packviz.core.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import random
import re
import subprocess
import sys

import nbformat
import pytest
import torch
from playwright.sync_api import expect

# conftest.py has put tests/ on sys.path (for `support`); widget_book is in scripts/.
from support import HTML, python_notebook
from support.browser import CONTRAST_JS, confine, record_console_errors, serve
from support.torch_reference import attention_mask, random_lengths, torch_packing
from torch.nn.utils.rnn import pack_padded_sequence

from packviz.core import parse_lengths, skewed_lengths, waste

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from widget_book import build_widget_book  # noqa: E402

CHAPTER_PAGES = {
    "waste": "chapters/01_why_padding_wastes.html",
    "packing": "chapters/02_what_packing_produces.html",
    "state": "chapters/03_recurrent_layers.html",
    "mask": "chapters/08_beyond_rnns.html",
}
VIEW_CLASS = {
    "packing": "PackingView",
    "waste": "WasteView",
    "state": "StateView",
    "mask": "MaskView",
}
FIXTURE_CELLS = [
    "from packviz.widgets import (mask_explorer, packing_explorer, state_explorer,\n"
    "                             waste_explorer)",
    "packing_explorer([9, 8, 6, 4, 3, 2])",
    "packing_explorer([5, 2], batch_first=False, enforce_sorted=True)",
    "waste_explorer(batch_size=8, max_length=12, skew=1.0)",
    "state_explorer((5, 2))",
    "mask_explorer((3, 2, 4), causal=False)",
]
ASSETS = ROOT / "_widget_assets" / "_static" / "packviz-assets"


# ---- the two targets -----------------------------------------------------------------


@pytest.fixture(scope="session")
def fixture_book_html(tmp_path_factory):
    """Build a one-page book with every widget (about 10 s) and return its HTML folder."""
    if not (ASSETS / "require.js").exists():
        pytest.fail("the widget assets are not built: run `make assets`")
    book = tmp_path_factory.mktemp("widget_book")
    return build_widget_book(book, FIXTURE_CELLS, "Widget test book")


@pytest.fixture(scope="session")
def fixture_book_url(fixture_book_html):
    with serve(fixture_book_html) as url:
        yield url


@pytest.fixture(scope="session")
def chapter_book_url():
    with serve(HTML) as url:
        yield url


@pytest.fixture(params=["fixture", "chapter"])
def target(request):
    return request.param


@pytest.fixture
def book_url(request, target):
    """The server conftest's `page` is confined to: the fixture book or the real one."""
    if target == "fixture":
        return request.getfixturevalue("fixture_book_url")
    return request.getfixturevalue("chapter_book_url")


def chapter_url(kind: str) -> str:
    """The chapter page that teaches with the `kind` widget (it must show it)."""
    path = CHAPTER_PAGES[kind]
    html = HTML / path
    if not html.exists():
        pytest.fail(f"{path} is not built: run `make book` first (make test does it)")
    if f"packviz.widgets.{VIEW_CLASS[kind]}" not in html.read_text(encoding="utf-8"):
        pytest.fail(f"{path} should show the {kind} widget, and does not")
    return path


# The text of every [data-field] inside a widget's root (the first of each name; an
# input's value).
FIELDS_JS = """(root) => {
  const out = {};
  for (const el of root.querySelectorAll('[data-field]')) {
    const name = el.dataset.field;
    if (!(name in out)) out[name] = el.tagName === 'INPUT' ? el.value : el.textContent;
  }
  return out;
}"""


class Widget:
    """One widget on a page: its root element (data-packviz) and ways to drive it."""

    def __init__(self, page, kind: str, index: int = 0):
        self.page = page
        self.root = page.locator(f'[data-packviz="{kind}"]').nth(index)
        expect(self.root).to_be_visible(timeout=20_000)
        expect(self.root.locator("[role=img]").first).to_be_visible()

    def fields(self) -> dict:
        """Text of every [data-field] inside the widget (the first of each name)."""
        return self.root.evaluate(FIELDS_JS)

    def type_lengths(self, text: str) -> None:
        self.root.locator("[data-field=lengths_input]").fill(text)

    def message(self):
        return self.root.locator("[data-field=input_message]")

    def check(self, name: str, value: bool) -> None:
        self.root.get_by_role("checkbox", name=name, exact=True).set_checked(value)

    def slider(self, name: str):
        return self.root.get_by_role("slider", name=name, exact=True)

    def slider_value(self, name: str) -> float:
        return float(self.slider(name).get_attribute("aria-valuenow"))

    def set_readout(self, name: str, value) -> None:
        """Type a value into a slider's readout (its editable number) and press Enter."""
        readout = self.root.get_by_role("textbox", name=f"{name} (type a value)")
        readout.fill(str(value))
        readout.press("Enter")


def open_widget(page, request, target: str, kind: str, index: int = 0) -> Widget:
    base = request.getfixturevalue("book_url")
    path = "widgets.html" if target == "fixture" else chapter_url(kind)
    # A reader who has picked a colour mode. On a first visit (nothing stored) the
    # theme (pydata-sphinx-theme 0.17) logs "Got invalid theme mode: ." as a console
    # error on every page; that is the theme's, not the widgets'.
    page.context.add_init_script(
        "if (!localStorage.getItem('mode')) localStorage.setItem('mode', 'light');"
    )
    page.goto(f"{base}/{path}")
    return Widget(page, kind, index)


def assert_clean(page) -> None:
    assert page.outside_requests == [], page.outside_requests
    assert page.console_errors == [], page.console_errors


# ---- what torch says -----------------------------------------------------------------


def torch_expected(lengths, enforce_sorted):
    """torch's packing of `lengths`, as the packing explorer's fields print it."""
    want = torch_packing(lengths, enforce_sorted)
    if want["error"]:
        return {"error": want["error"]}
    return {
        "error": "",
        "batch_sizes": str(want["batch_sizes"]),
        "data_order": "[" + ", ".join(f"({b}, {t})" for b, t in want["order"]) + "]",
        "sorted_indices": str(want["sorted"]),
        "unsorted_indices": str(want["unsorted"]),
    }


# ---- tests ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["packing", "waste", "state", "mask"])
def test_widget_renders_offline_with_a_described_figure(page, request, target, kind):
    w = open_widget(page, request, target, kind)
    labels = w.root.locator("[role=img]").evaluate_all(
        "(svgs) => svgs.map((s) => s.getAttribute('aria-label'))"
    )
    assert labels and all(len(label) > 20 for label in labels)
    if kind == "packing":  # the packed figure's label names the batch sizes
        sizes = json.loads(w.fields()["batch_sizes"])
        assert f"batch_sizes {', '.join(map(str, sizes))}." in labels[1]
    assert_clean(page)


def test_packing_matches_torch_for_60_random_configurations(page, request, target):
    w = open_widget(page, request, target, "packing")
    rng = random.Random(2026)
    configs = [random_lengths(rng) for _ in range(60)] + [[1], [3, 3, 3], [2, 5, 5, 1]]
    batch_first = enforce = None
    for k, lengths in enumerate(configs):
        want_bf, want_es = rng.random() < 0.5, rng.random() < 0.4
        if want_bf != batch_first:
            w.check("batch_first", want_bf)
            batch_first = want_bf
        if want_es != enforce:
            w.check("enforce_sorted", want_es)
            enforce = want_es
        sep = rng.choice([", ", ",", " ; ", "  ,  "])
        w.type_lengths(sep.join(map(str, lengths)))
        got = w.fields()
        B, T = len(lengths), max(lengths)
        context = (
            f"config {k}: lengths={lengths} batch_first={batch_first} "
            f"enforce_sorted={enforce}"
        )
        assert got["lengths"] == str(lengths), context
        assert got["shape"] == (
            f"(B, T) = ({B}, {T})" if batch_first else f"(T, B) = ({T}, {B})"
        ), context
        assert (got["real"], got["padded"], got["wasted"]) == (
            str(sum(lengths)),
            str(B * T),
            str(B * T - sum(lengths)),
        ), context
        want = torch_expected(lengths, enforce)
        if want["error"]:
            assert got["error"] == want["error"], context
            assert got["batch_sizes"] == "(no PackedSequence)", context
        else:
            for name, value in want.items():
                assert got[name] == value, f"{context}: {name}"
        assert got["input_message"] == "", context
        if k % 10 == 0:  # the text box moved the sliders too
            assert w.slider_value("sequences") == B, context
            assert [w.slider_value(f"lengths[{i}]") for i in range(B)] == lengths, context
    assert_clean(page)


def test_padded_grid_draws_real_cells_and_hatched_pads(page, request, target):
    w = open_widget(page, request, target, "packing")
    w.check("batch_first", True)
    w.type_lengths("5, 2, 2, 1")
    grid = w.root.locator("[role=img]").first
    assert grid.locator(".pv-real").count() == 10
    assert grid.locator(".pv-pad").count() == 4 * 5 - 10
    box_bf = grid.bounding_box()
    pad_style = grid.locator(".pv-pad").first.evaluate(
        "(e) => [getComputedStyle(e).backgroundImage, getComputedStyle(e).borderStyle]"
    )
    assert pad_style[0].startswith("repeating-linear-gradient")  # hatched, not a colour
    assert "dashed" in pad_style[1]
    w.check("batch_first", False)
    assert w.fields()["shape"] == "(T, B) = (5, 4)"
    box = w.root.locator("[role=img]").first.bounding_box()
    assert box["height"] > box_bf["height"]  # 5 rows of steps instead of 4 of sequences
    assert_clean(page)


def test_enforce_sorted_shows_torch_error_text(page, request, target):
    w = open_widget(page, request, target, "packing")
    w.type_lengths("2, 5")
    w.check("enforce_sorted", True)
    with pytest.raises(RuntimeError) as err:
        pack_padded_sequence(torch.zeros(2, 5, 1), torch.tensor([2, 5]), batch_first=True)
    expect(w.root.locator("[data-field=error]")).to_have_text(str(err.value))
    expect(w.root.get_by_role("alert")).to_contain_text("RuntimeError")
    w.check("enforce_sorted", False)
    fields = w.fields()
    assert (fields["error"], fields["sorted_indices"], fields["unsorted_indices"]) == (
        "",
        "[1, 0]",
        "[1, 0]",
    )
    w.type_lengths("5, 2")
    w.check("enforce_sorted", True)
    fields = w.fields()
    assert (fields["error"], fields["sorted_indices"]) == ("", "None")
    assert_clean(page)


# ---- the keyboard (ARIA slider pattern) ------------------------------------------------

# What a key does to a slider's value (APG slider pattern; PageUp/PageDown are five
# steps, as noUiSlider's in JupyterLab): from `now` on [low, high] with `step`.
KEY_MOVES = {
    "ArrowRight": lambda now, low, high, step: now + step,
    "ArrowUp": lambda now, low, high, step: now + step,
    "ArrowLeft": lambda now, low, high, step: now - step,
    "ArrowDown": lambda now, low, high, step: now - step,
    "PageUp": lambda now, low, high, step: now + 5 * step,
    "PageDown": lambda now, low, high, step: now - 5 * step,
    "Home": lambda now, low, high, step: low,
    "End": lambda now, low, high, step: high,
}
KEYS = ["End", "ArrowLeft", "PageDown", "Home", "ArrowRight", "ArrowUp", "PageUp",
        "ArrowDown", "End", "ArrowRight", "PageUp", "Home", "ArrowLeft", "PageDown"]
SLIDER_STEP = {"skew": 0.05}  # every other slider steps by 1
SLIDERS = {
    "packing": ["sequences", *(f"lengths[{i}]" for i in range(8))],
    "waste": ["batch size", "max length", "skew", "draw (seed)"],
    "state": ["time step t"],
}


# One round trip per key: the slider's ARIA state, whether it kept the focus, and what
# the widget's view shows (its fields and its title).
SLIDER_STATE_JS = """(slider) => {
  const root = slider.closest('[data-packviz]');
  const fields = (__FIELDS_JS__)(root);
  const title = root.querySelector('.pv-title');
  return {
    low: slider.getAttribute('aria-valuemin'),
    high: slider.getAttribute('aria-valuemax'),
    now: slider.getAttribute('aria-valuenow'),
    role: slider.getAttribute('role'),
    focused: document.activeElement === slider,
    fields,
    title: title ? title.textContent : '',
  };
}""".replace("__FIELDS_JS__", FIELDS_JS)


def drawn_value(state: dict, name: str) -> float:
    """The value of slider `name` that the view has drawn (`state`: SLIDER_STATE_JS)."""
    fields = state["fields"]
    if name == "sequences":
        return len(json.loads(fields["lengths"]))
    if name.startswith("lengths["):
        return json.loads(fields["lengths"])[int(name[8:-1])]
    if name == "time step t":
        return int(fields["t"])
    title = state["title"]  # skewed_lengths(...)
    args = title[title.index("(") + 1 : -1].replace("seed=", "").split(", ")
    return float(args[["batch size", "max length", "skew", "draw (seed)"].index(name)])


def check_keys(w: Widget, kind: str, name: str, keys: list[str]) -> list[tuple]:
    """Press `keys` on slider `name`, focused once as a reader would: after each, the
    handle still has the focus, its ARIA value is the key's valid move from the last one,
    and the view draws it. Returns the (key, value) pairs."""
    slider = w.slider(name)
    step = SLIDER_STEP.get(name, 1)
    slider.focus()
    state = slider.evaluate(SLIDER_STATE_JS)
    seen = []
    for key in keys:
        low, high, now = (float(state[k]) for k in ("low", "high", "now"))
        want = min(high, max(low, KEY_MOVES[key](now, low, high, step)))
        w.page.keyboard.press(key)
        state = slider.evaluate(SLIDER_STATE_JS)
        got = float(state["now"])
        where = f"{kind} {name!r}: {key} from {now} on [{low}, {high}]"
        assert state["focused"], f"{where}: the slider lost the focus"
        assert math.isclose(got, want, abs_tol=1e-9), f"{where} gave {got}, not {want}"
        on_grid = (got - low) / step
        assert math.isclose(on_grid, round(on_grid), abs_tol=1e-9), f"{where}: {got}"
        assert state["role"] == "slider"
        drawn = drawn_value(state, name)
        assert math.isclose(drawn, got, abs_tol=1e-9), (
            f"{where}: the view draws {drawn}, the slider says {got}")
        seen.append((key, got))
    return seen


@pytest.mark.parametrize("kind", ["packing", "waste", "state"])
def test_every_slider_answers_the_keys_with_a_valid_value_the_view_draws(
        page, request, target, kind):
    w = open_widget(page, request, target, kind)
    if kind == "state":
        w.type_lengths("9, 3, 5")
    names = SLIDERS[kind]
    for name in names:
        check_keys(w, kind, name, KEYS)
        if name == "sequences":  # all eight lengths sliders show from here on
            w.slider(name).press("End")
    assert_clean(page)


def test_end_reaches_a_maximum_that_changed(page, request, target):
    """The time step's maximum follows the lengths (a jsdlink): End, Home and the other
    keys use the new range (noUiSlider's End used the range it was created with)."""
    w = open_widget(page, request, target, "state")
    w.type_lengths("2, 1")
    step = w.slider("time step t")
    expect(step).to_have_attribute("aria-valuemax", re.compile(r"^1(\.0)?$"))
    w.type_lengths("9, 3")
    expect(step).to_have_attribute("aria-valuemax", re.compile(r"^8(\.0)?$"))
    seen = check_keys(w, "state", "time step t",
                      ["End", "Home", "PageUp", "ArrowRight", "End", "ArrowRight",
                       "PageDown", "Home", "ArrowLeft"])
    assert seen == [("End", 8), ("Home", 0), ("PageUp", 5), ("ArrowRight", 6),
                    ("End", 8), ("ArrowRight", 8), ("PageDown", 3), ("Home", 0),
                    ("ArrowLeft", 0)]
    assert_clean(page)


def test_sliders_move_from_the_keyboard_and_redraw(page, request, target):
    w = open_widget(page, request, target, "packing")
    w.type_lengths("5, 2")
    count = w.slider("sequences")
    count.focus()
    count.press("ArrowRight")
    third = w.slider("lengths[2]")
    expect(third).to_be_visible()
    assert w.slider_value("sequences") == 3
    lengths = [5, 2, int(w.slider_value("lengths[2]"))]
    assert w.fields()["lengths"] == str(lengths)
    first = w.slider("lengths[0]")
    first.focus()
    first.press("ArrowLeft")
    first.press("ArrowLeft")
    lengths[0] = 3
    fields = w.fields()
    assert fields["lengths"] == str(lengths)
    assert fields["batch_sizes"] == torch_expected(lengths, False)["batch_sizes"]
    expect(w.root.locator("[data-field=lengths_input]")).to_have_value(
        ", ".join(map(str, lengths))
    )
    count.focus()
    count.press("Home")
    expect(third).to_be_hidden()
    assert w.fields()["lengths"] == "[3]"
    # A pointer works too: click the far right end of the lengths[0] slider's track.
    named = page.get_by_role("slider", name="lengths[0]", exact=True)
    track = w.root.locator(".widget-slider").filter(has=named).locator(".slider-container")
    box = track.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 1, box["y"] + box["height"] / 2)
    expect(w.root.locator("[data-field=lengths]")).to_have_text("[12]")
    assert_clean(page)


BAD_INPUTS = [
    "",
    "   ",
    "a, 2",
    "5,,2",
    "0, 3",
    "-1",
    "2.5",
    "1,1,1,1,1,1,1,1,1",
    "13",
    "99999999999999999999",
    "<img src=x onerror=window.__pwned=1>",
]


@pytest.mark.parametrize("kind", ["packing", "state", "mask"])
def test_bad_lengths_show_a_message_and_keep_the_last_view(page, request, target, kind):
    w = open_widget(page, request, target, kind)
    w.type_lengths("4, 4, 1")
    before = w.fields()
    before.pop("lengths_input")
    drawing = w.root.locator("[role=img]").first.get_attribute("aria-label")
    for text in BAD_INPUTS:
        w.type_lengths(text)
        try:
            parse_lengths(text)
        except ValueError as err:
            expected = str(err)
        expect(w.message()).to_have_text(expected)
        after = w.fields()
        assert after.pop("lengths_input") == text  # the box keeps what was typed
        after.pop("input_message")
        assert {k: v for k, v in before.items() if k != "input_message"} == after, text
        assert w.root.locator("[role=img]").first.get_attribute("aria-label") == drawing
    assert w.root.locator("img").count() == 0
    assert page.evaluate("window.__pwned") is None
    w.type_lengths("3, 3")
    expect(w.message()).to_have_text("")
    assert w.fields()["lengths"] == "[3, 3]"
    assert_clean(page)


def test_waste_explorer_mirrors_skewed_lengths(page, request, target):
    w = open_widget(page, request, target, "waste")
    for batch, max_length, skew, seed in [
        (8, 12, 1.0, 0),
        (20, 50, 2.35, 17),
        (64, 100, 3.0, 99),
        (1, 1, 0.0, 5),
        (33, 7, 0.45, 42),
    ]:
        w.set_readout("batch size", batch)
        w.set_readout("max length", max_length)
        w.set_readout("skew", f"{skew:.2f}")
        w.set_readout("draw (seed)", seed)
        title = w.root.locator(".pv-title").first.text_content()
        args = title[title.index("(") + 1 : -1].replace("seed=", "").split(", ")
        used = (int(args[0]), int(args[1]), float(args[2]), int(args[3]))
        assert used[:2] == (batch, max_length) and used[3] == seed, title
        assert math.isclose(used[2], skew, abs_tol=1e-9), title
        lengths = skewed_lengths(used[0], used[1], used[2], seed=used[3])
        stats = waste(lengths)
        got = w.fields()
        assert got["lengths"] == str(lengths), title
        assert (got["padded"], got["real"], got["wasted"]) == (
            str(stats.padded),
            str(stats.real),
            str(stats.wasted),
        ), title
        assert got["wasted_fraction"] == f"{100 * stats.wasted / stats.padded:.1f} %"
    slider = w.slider("skew")
    slider.focus()
    before = w.fields()["lengths"]
    slider.press("Home")
    assert w.fields()["lengths"] == str([7] * 33) != before  # skew 0: all max_length
    assert_clean(page)


def test_state_explorer_steps_through_time(page, request, target):
    w = open_widget(page, request, target, "state")
    lengths = [5, 2, 4, 2]
    w.type_lengths(", ".join(map(str, lengths)))
    step = w.slider("time step t")
    expect(step).to_have_attribute("aria-valuemax", re.compile(r"^4(\.0)?$"))
    packed = pack_padded_sequence(
        torch.zeros(4, 5, 1), torch.tensor(lengths), batch_first=True, enforce_sorted=False
    )
    sizes = packed.batch_sizes.tolist()
    order = packed.sorted_indices.tolist()
    step.focus()
    step.press("Home")
    for t in range(5):
        got = w.fields()
        offset = sum(sizes[:t])
        assert got["t"] == str(t)
        assert got["packed_active"] == str(order[: sizes[t]])
        assert (
            got["packed_rows"] == f"data[{offset}:{offset + sizes[t]}] "
            f"(batch_sizes[{t}] = {sizes[t]})"
        )
        assert got["padded_active"] == str(list(range(4)))
        assert got["padded_on_pads"] == str([b for b, n in enumerate(lengths) if n <= t])
        assert got["h_n_packed"] == str([n - 1 for n in lengths])
        assert got["h_n_padded"] == str([4] * 4)
        step.press("ArrowRight")
    w.type_lengths("2, 1")  # t was 4: it moves to the new last step
    expect(step).to_have_attribute("aria-valuemax", re.compile(r"^1(\.0)?$"))
    expect(w.root.locator("[data-field=t]")).to_have_text("1")
    assert w.slider_value("time step t") == 1
    assert_clean(page)


def test_mask_explorer_matches_torch(page, request, target):
    w = open_widget(page, request, target, "mask")
    rng = random.Random(11)
    causal = None
    for lengths in [random_lengths(rng) for _ in range(15)] + [[12] * 8]:
        want_causal = rng.random() < 0.5
        if want_causal != causal:
            w.check("causal", want_causal)
            causal = want_causal
        w.type_lengths(", ".join(map(str, lengths)))
        want = attention_mask(lengths, causal)
        mask = want["mask"]
        got = w.fields()
        rows = "\n".join("".join(map(str, row)) for row in mask.int().tolist())
        assert got["mask_rows"] == rows, lengths
        assert got["position_ids"] == str(want["position_ids"])
        assert got["cu_seqlens"] == str(want["cu_seqlens"])
        assert got["allowed_count"] == str(int(mask.sum()))
    assert_clean(page)


def test_two_widgets_on_a_page_are_independent(page, request, target):
    if target == "chapter":
        pytest.skip("the fixture book has two packing explorers on one page")
    first = open_widget(page, request, target, "packing", 0)
    second = Widget(page, "packing", 1)
    before = second.fields()
    first.type_lengths("7, 7")
    assert first.fields()["lengths"] == "[7, 7]"
    assert second.fields() == before
    assert before["error"] == "" and before["sorted_indices"] == "None"
    assert_clean(page)


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_widgets_are_readable_and_accessible_in_both_modes(page, request, target, mode):
    kinds = ["packing", "waste", "state", "mask"] if target == "fixture" else ["packing"]
    page.context.add_init_script(
        f"localStorage.setItem('mode', '{mode}');localStorage.setItem('theme', '{mode}');"
    )
    page.emulate_media(color_scheme=mode)
    w = open_widget(page, request, target, kinds[0])
    assert page.evaluate("document.documentElement.dataset.theme") == mode
    w.type_lengths("x")  # show the message too
    expect(w.message()).not_to_have_text("")
    # Contrast of every text in the widgets against the colour actually behind it.
    page.evaluate(CONTRAST_JS)
    low = page.evaluate(
        """() => {
          const {parse, background, contrast} = window.__pv;
          const out = [];
          const selector = '.pv-field, .pv-title, .pv-hint, .widget-label, .widget-readout,'
            + ' .packviz-message, .widget-label-basic span, input[type=text], .pv-error';
          const texts = document.querySelectorAll(`[data-packviz] :is(${selector})`);
          let checked = 0;
          for (const el of texts) {
            if (!el.textContent.trim() && el.tagName !== 'INPUT') continue;
            if (!el.getClientRects().length) continue;
            checked += 1;
            const ratio = contrast(parse(getComputedStyle(el).color), background(el));
            if (ratio < 4.5) out.push(`${el.className || el.tagName}: ${ratio.toFixed(2)}`);
          }
          return {checked, low: out};
        }"""
    )
    assert low["checked"] >= 10 * len(kinds), low  # the texts were found
    low = low["low"]
    assert low == []
    axe = request.getfixturevalue("axe")
    results = axe(
        page,
        {"include": [[f'[data-packviz="{k}"]'] for k in kinds]},
        {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}},
    )
    assert results["violations"] == [], json.dumps(results["violations"], indent=1)[:3000]
    for k in kinds:  # every slider handle is named after its visible label
        root = page.locator(f'[data-packviz="{k}"]').first
        for control in root.locator(".widget-slider").all():
            if control.is_visible():
                label = control.locator(".widget-label").text_content()
                assert control.get_by_role("slider").get_attribute("aria-label") == label
    assert_clean(page)


def test_no_asset_comes_from_outside(page, request, target):
    w = open_widget(page, request, target, "packing")
    page.wait_for_load_state("networkidle")
    urls = page.evaluate("performance.getEntriesByType('resource').map((e) => e.name)")
    base = request.getfixturevalue("book_url")
    assert all(u.startswith((base, "blob:", "data:")) for u in urls), urls
    # packviz's own widget manager (written into the page, or linked) drew the page;
    # html-manager stayed unloaded.
    inline = page.locator("script[data-packviz-assets]").count()
    linked = [u for u in urls if u.split("?")[0].endswith("packviz-assets/embed.js")]
    assert inline + len(linked) == 1, (inline, linked)
    assert not [u for u in urls if "html-manager" in u or "require.js" in u], urls
    assert w.root.is_visible()
    assert_clean(page)


@pytest.fixture(scope="session")
def fallback_book_url(tmp_path_factory):
    """A one-page book with a widget packviz's embed.js does not draw (a Dropdown)."""
    book = tmp_path_factory.mktemp("fallback_book")
    html = build_widget_book(book, [
        "import ipywidgets as widgets\nfrom packviz.widgets import packing_explorer",
        "widgets.Dropdown(options=['packed', 'padded'], description='layout')",
        "packing_explorer([4, 2])",
    ], "Fallback test book")
    with serve(html) as url:
        yield url


def test_a_page_with_other_widgets_gets_html_manager(browser, fallback_book_url):
    """embed.js draws only the models it knows; a page with any other widget is drawn by
    html-manager (loaded on demand), packviz's widgets included."""
    from conftest import confined_page

    page = confined_page(browser, fallback_book_url)
    page.context.add_init_script("localStorage.setItem('mode', 'light')")
    page.goto(f"{fallback_book_url}/widgets.html")
    expect(page.locator(".widget-dropdown select")).to_be_visible(timeout=30_000)
    w = Widget(page, "packing")
    assert w.fields()["lengths"] == "[4, 2]"
    w.type_lengths("5, 5, 1")
    expect(w.root.locator("[data-field=batch_sizes]")).to_have_text("[3, 2, 2, 2, 2]")
    urls = page.evaluate("performance.getEntriesByType('resource').map((e) => e.name)")
    assert any("html-manager/embed-amd.js" in u for u in urls), urls
    assert page.console_errors == [] and page.failed_requests == [], (
        page.console_errors, page.failed_requests)
    assert page.outside_requests == []
    page.context.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


# ---- JupyterLab with a live kernel -----------------------------------------------------

LAB_CELLS = [
    "from packviz.widgets import packing_explorer\nw = packing_explorer([5, 2])\nw",
    "w.controls['count'].value = 3\nw.controls['lengths'][2].value = 4",
    "print('VIEW', w.view.lengths, repr(w.view.text))",
    "print('VIEW', w.view.lengths, w.controls['count'].value, "
    "[s.value for s in w.controls['lengths'][:4]])",
    "from packviz.widgets import state_explorer, waste_explorer\n"
    "s = state_explorer((2, 1))\nwst = waste_explorer()\ndisplay(s, wst)",
    "print('KEYS', s.view.t, s.view.tmax, s.controls['t'].max, s.controls['t'].value, "
    "wst.view.skew, wst.controls['skew'].value)",
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):
    """JupyterLab on 127.0.0.1 (a fresh config), a notebook of LAB_CELLS, a page on it.

    One server, kernel and page for the module's tests (starting JupyterLab takes about
    8 s here): each test runs cells of its own, so neither reads what the other set."""
    import shutil
    import socket
    import time
    import urllib.request

    jupyter = ROOT / ".venv" / "bin" / "jupyter-lab"
    if not jupyter.exists() and shutil.which("jupyter-lab") is None:
        # make test installs it (requirements-lab.txt); only a hand-made venv may lack it
        if os.environ.get("CI"):
            pytest.fail("JupyterLab is not installed: make setup-test installs it")
        pytest.skip("JupyterLab is not installed")
    tmp_path = tmp_path_factory.mktemp("lab")
    nb = python_notebook([nbformat.v4.new_code_cell(c) for c in LAB_CELLS])
    nbformat.write(nb, tmp_path / "live.ipynb")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ)
    for name in (
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_RUNTIME_DIR",
        "JUPYTERLAB_SETTINGS_DIR",
        "JUPYTERLAB_WORKSPACES_DIR",
    ):
        env[name] = str(tmp_path / name.lower())
    command = [
        str(jupyter if jupyter.exists() else "jupyter-lab"),
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--IdentityProvider.token=packviz",
        f"--ServerApp.root_dir={tmp_path}",
        "--LabApp.news_url=",
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(tmp_path / "lab.log", "w")  # noqa: SIM115
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token=packviz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start: " + (tmp_path / "lab.log").read_text())
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.outside_requests = confine(context, base)
        pg.console_errors = record_console_errors(pg)
        pg.goto(f"{base}/lab/tree/live.ipynb?token=packviz")
        expect(pg.locator(".jp-Notebook .jp-Cell").first).to_be_visible(timeout=90_000)
        # The kernel has started when the status bar says so.
        idle = pg.get_by_text(re.compile(r"\| Idle$")).first
        expect(idle).to_be_visible(timeout=90_000)
        yield pg
        context.close()
    finally:
        server.terminate()
        server.wait(20)
        log.close()


def run_cell(page, index: int) -> None:
    """Select cell `index`, run it with Shift+Enter and wait for a new execution count."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    prompt = cell.locator(".jp-InputPrompt")
    before = prompt.text_content().strip()
    done = re.compile(r"\[\d+\]:")
    for _ in range(3):  # a keypress can be lost while JupyterLab is still settling
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        try:
            expect(prompt).not_to_have_text(before, timeout=20_000)
            expect(prompt).to_have_text(done, timeout=60_000)
            return
        except AssertionError:
            if prompt.text_content().strip() == "[*]:":
                expect(prompt).to_have_text(done, timeout=60_000)
                return
    raise AssertionError(f"cell {index} did not run: {prompt.text_content()}")


def run_cell_until(page, index: int, text: str, tries: int = 20) -> None:
    """Run cell `index` until its output reads `text`.

    ipywidgets' front end holds back a model's updates while an earlier message to the
    kernel is unanswered and sends them when the kernel is idle, so the view's state
    reaches Python a moment after the browser shows it. The cell only prints, so running
    it again is harmless; the state must arrive within a few seconds or the test fails."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    output = cell.locator(".jp-OutputArea-output")
    for _ in range(tries):
        run_cell(page, index)
        if output.text_content().strip() == text:
            return
        page.wait_for_timeout(250)
    expect(output).to_have_text(text, timeout=1)


def test_live_kernel_in_jupyterlab_python_and_browser_move_the_same_view(lab):
    """With a kernel, a value set from Python reaches the view (jslink in the browser)
    and the view's new state syncs back to Python; so does what the reader types."""
    run_cell(lab, 0)
    w = Widget(lab, "packing")
    assert w.fields()["lengths"] == "[5, 2]"
    run_cell(lab, 1)  # Python moves two sliders; the browser links them to the view
    expect(w.root.locator("[data-field=lengths]")).to_have_text("[5, 2, 4]")
    run_cell_until(lab, 2, "VIEW [5, 2, 4] '5, 2, 4'")  # ... and came back to the kernel
    w.type_lengths("7, 3, 3, 1")  # the reader types; sliders and Python follow
    expect(w.root.locator("[data-field=batch_sizes]")).to_have_text("[4, 3, 3, 1, 1, 1, 1]")
    run_cell_until(lab, 3, "VIEW [7, 3, 3, 1] 4 [7, 3, 3, 1]")
    assert lab.outside_requests == []
    assert [
        e
        for e in lab.console_errors
        if "packviz" in e or "anywidget" in e or "widget" in e.lower()
    ] == []


def test_live_kernel_in_jupyterlab_sliders_answer_the_keys(lab):
    """JupyterLab's sliders (ipywidgets 8, noUiSlider) with a kernel: every key gives a
    valid value the view draws and Python receives; End reaches a maximum that a jsdlink
    changed (noUiSlider alone stopped at the old one) and a step of 0.05 reads exactly."""
    run_cell(lab, 4)
    w = Widget(lab, "state")
    w.type_lengths("9, 3")
    step = w.slider("time step t")
    expect(step).to_have_attribute("aria-valuemax", re.compile(r"^8(\.0)?$"))
    seen = check_keys(w, "state", "time step t",
                      ["End", "Home", "PageUp", "ArrowRight", "End", "ArrowRight",
                       "PageDown", "Home", "ArrowLeft", "End"])
    assert seen[-1] == ("End", 8) and seen[:4] == [("End", 8), ("Home", 0),
                                                   ("PageUp", 5), ("ArrowRight", 6)]
    waste = Widget(lab, "waste")
    seen = check_keys(waste, "waste", "skew",
                      ["Home", "ArrowRight", "PageUp", "End", "ArrowLeft"])
    assert [v for _, v in seen] == [0, 0.05, 0.3, 3, 2.95]
    run_cell_until(lab, 5, "KEYS 8 8 8 8 2.95 2.95")
    assert lab.outside_requests == []
    assert [e for e in lab.console_errors
            if "packviz" in e or "anywidget" in e or "widget" in e.lower()] == []
