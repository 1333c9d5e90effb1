"""Live widgets: sliders that change the packing, in Jupyter, in Colab and in the HTML book.

Each builder returns one ipywidgets container: ipywidgets controls (sliders, a text box,
checkboxes) linked with `jslink` to an anywidget view whose JavaScript (packviz/js/)
draws the picture. The links and the drawing run in the browser, so the widgets stay
live in the static book, where no Python kernel runs; with a kernel, the same traits
sync to Python as usual.

The JavaScript mirrors packviz.core (which the tests check against torch); see
packviz/js/core.js.
"""

from __future__ import annotations

import math
import numbers
import pathlib
from collections.abc import Iterable

import anywidget
import ipywidgets as widgets
import traitlets

from packviz import palette
from packviz.core import check_lengths, parse_lengths, skewed_lengths

__all__ = [
    "MaskView",
    "PackingView",
    "StateView",
    "WasteView",
    "mask_explorer",
    "packing_explorer",
    "state_explorer",
    "waste_explorer",
]

JS_DIR = pathlib.Path(__file__).with_name("js")
MAX_COUNT = 8  # sequences (the lengths sliders)
MAX_LENGTH = 12  # steps per sequence
MAX_BATCH = 64  # waste explorer
MAX_MAX_LENGTH = 100
MAX_SKEW = 3.0


def _module_source(kind: str) -> str:
    """Return the ES module of one view: the palette, shared logic, DOM helpers, the view.

    The palette is packviz.palette's, as one line of JavaScript (`const PALETTE`), so
    the figures and the widgets draw with the same colours.
    """
    parts = ["core.js", "view.js", f"{kind}.js"]
    sources = [(JS_DIR / p).read_text(encoding="utf-8") for p in parts]
    return "\n".join([palette.javascript(), *sources])


_CSS = (JS_DIR / "packviz.css").read_text(encoding="utf-8")


def _length_trait(i: int) -> traitlets.Int:
    return traitlets.Int(1, min=1, max=MAX_LENGTH, help=f"lengths[{i}]").tag(sync=True)


def _display_trait(i: int) -> traitlets.Unicode:
    help_ = f"'' or 'none': shows or hides the slider of lengths[{i}]"
    return traitlets.Unicode("", help=help_).tag(sync=True)


class _LengthsView(anywidget.AnyWidget):
    """Traits shared by the views that take lengths (the JS reads n and l0..l7)."""

    _css = traitlets.Unicode(_CSS).tag(sync=True)
    n = traitlets.Int(1, min=1, max=MAX_COUNT, help="number of sequences").tag(sync=True)
    l0, l1, l2, l3 = (_length_trait(i) for i in range(4))
    l4, l5, l6, l7 = (_length_trait(i) for i in range(4, 8))
    d0, d1, d2, d3 = (_display_trait(i) for i in range(4))
    d4, d5, d6, d7 = (_display_trait(i) for i in range(4, 8))
    text = traitlets.Unicode("", help="the lengths text box").tag(sync=True)
    message = traitlets.Unicode("", help="why the text is not valid, or ''").tag(sync=True)

    def __init__(self, lengths: Iterable[int] = (1,), **kwargs) -> None:
        state = _length_state(_check_lengths_arg(lengths))
        super().__init__(**{**state, **kwargs})

    @property
    def lengths(self) -> list[int]:
        """The lengths the view draws (the last valid ones)."""
        return [getattr(self, f"l{i}") for i in range(self.n)]


def _length_state(lengths: list[int]) -> dict:
    """Trait values for `lengths`: n, l0..l7 (unused ones keep 1), d0..d7, text."""
    state = {"n": len(lengths), "text": ", ".join(map(str, lengths)), "message": ""}
    for i in range(MAX_COUNT):
        state[f"l{i}"] = lengths[i] if i < len(lengths) else 1
        state[f"d{i}"] = "" if i < len(lengths) else "none"
    return state


class PackingView(_LengthsView):
    """Draws the padded batch and the PackedSequence for the lengths it holds."""

    _esm = _module_source("packing")
    batch_first = traitlets.Bool(True).tag(sync=True)
    enforce_sorted = traitlets.Bool(False).tag(sync=True)


class StateView(_LengthsView):
    """Shows what a packed and a padded RNN update at time step t."""

    _esm = _module_source("state")
    t = traitlets.Int(0, min=0, help="the time step shown").tag(sync=True)
    tmax = traitlets.Int(0, min=0, help="T - 1, the time slider's maximum").tag(sync=True)


class MaskView(_LengthsView):
    """Draws the block-diagonal attention mask of transformer-style packing."""

    _esm = _module_source("mask")
    causal = traitlets.Bool(False).tag(sync=True)


class WasteView(anywidget.AnyWidget):
    """Draws skewed_lengths(batch_size, max_length, skew, seed=seed) and its waste."""

    _esm = _module_source("waste")
    _css = traitlets.Unicode(_CSS).tag(sync=True)
    batch_size = traitlets.Int(8, min=1, max=MAX_BATCH).tag(sync=True)
    max_length = traitlets.Int(12, min=1, max=MAX_MAX_LENGTH).tag(sync=True)
    skew = traitlets.Float(1.0, min=0.0, max=MAX_SKEW).tag(sync=True)
    seed = traitlets.Int(0, min=0, max=99).tag(sync=True)


class Explorer(widgets.VBox):
    """The container the builders return.

    `.view` is the anywidget that draws, `.controls` the ipywidgets inputs by name, and
    `.links` the jslink/jsdlink widgets that connect them in the browser.
    """

    def __init__(
        self, kind: str, view: anywidget.AnyWidget, controls: dict, rows: list, links: list
    ) -> None:
        super().__init__(children=[*rows, view])
        self.kind = kind
        self.view = view
        self.controls = controls
        self.links = links
        self.add_class("packviz-widget")
        self.add_class(f"packviz-{kind}")

    def __repr__(self) -> str:  # short and free of model ids (nbval compares it)
        names = {
            "packing": ("lengths", "batch_first", "enforce_sorted"),
            "waste": ("batch_size", "max_length", "skew", "seed"),
            "state": ("lengths", "t"),
            "mask": ("lengths", "causal"),
        }[self.kind]
        args = ", ".join(f"{n}={getattr(self.view, n)!r}" for n in names)
        return f"{self.kind}_explorer({args})"


# ---- checking arguments -------------------------------------------------------------


def _check_lengths_arg(lengths: Iterable[int] | str) -> list[int]:
    """Return lengths as a list, or raise ValueError (text goes through parse_lengths)."""
    if isinstance(lengths, str):
        return parse_lengths(lengths, max_count=MAX_COUNT, max_length=MAX_LENGTH)
    values = check_lengths(lengths, max_count=MAX_COUNT)
    for i, v in enumerate(values):
        if v > MAX_LENGTH:
            raise ValueError(
                f"lengths[{i}] = {v} is too long for the explorer: its sliders go up to "
                f"{MAX_LENGTH} steps"
            )
    return values


def _check_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be a whole number from {low} to {high}, got {value!r}"
        )
    if not low <= value <= high:
        raise ValueError(f"{name} = {value} is out of range: use {low} to {high}")
    return int(value)


# ---- controls -------------------------------------------------------------------------

_WIDE = {"description_width": "initial"}
# Narrow screens (a phone is 390 px wide): a row of controls wraps instead of squeezing
# its sliders, and the grid of length sliders has as many columns as fit (one on a
# phone). packviz.css keeps each slider's track at least 120 px wide.
_GRID_COLUMNS = "repeat(auto-fill, minmax(min(100%, 250px), 1fr))"


def _row(children: list) -> widgets.HBox:
    """A row of controls that wraps onto more lines when it does not fit."""
    return widgets.HBox(children, layout=widgets.Layout(flex_flow="row wrap"))


def _lengths_controls(view: _LengthsView, sliders: bool, links: list) -> tuple[dict, list]:
    """The lengths text box (+ message) and, if asked, the count and length sliders."""
    text = widgets.Text(
        value=view.text,
        description="lengths",
        placeholder="e.g. 9, 8, 6, 4, 3, 2",
        continuous_update=True,
        style=_WIDE,
        layout=widgets.Layout(width="290px"),
    )
    text.add_class("packviz-lengths")
    message = widgets.Label(value="")
    message.add_class("packviz-message")
    message.add_class("tex2jax_ignore")  # reader's text: no TeX (JupyterLab, MathJax)
    message.add_class("mathjax_ignore")
    links.append(widgets.jslink((text, "value"), (view, "text")))
    links.append(widgets.jsdlink((view, "message"), (message, "value")))
    controls = {"text": text, "message": message}
    if not sliders:
        return controls, [_row([text, message])]
    count = widgets.IntSlider(
        value=view.n, min=1, max=MAX_COUNT, description="sequences", style=_WIDE
    )
    links.append(widgets.jslink((count, "value"), (view, "n")))
    length_sliders = []
    for i in range(MAX_COUNT):
        slider = widgets.IntSlider(
            value=getattr(view, f"l{i}"),
            min=1,
            max=MAX_LENGTH,
            description=f"lengths[{i}]",
            style=_WIDE,
            layout=widgets.Layout(display=getattr(view, f"d{i}"), width="auto"),
        )
        links.append(widgets.jslink((slider, "value"), (view, f"l{i}")))
        links.append(widgets.jsdlink((view, f"d{i}"), (slider.layout, "display")))
        length_sliders.append(slider)
    controls.update(count=count, lengths=length_sliders)
    grid = widgets.GridBox(
        length_sliders, layout=widgets.Layout(grid_template_columns=_GRID_COLUMNS)
    )
    return controls, [_row([count, text, message]), grid]


def _checkbox(view: anywidget.AnyWidget, name: str, links: list) -> widgets.Checkbox:
    box = widgets.Checkbox(value=getattr(view, name), description=name, indent=False)
    box.layout.width = "auto"
    links.append(widgets.jslink((box, "value"), (view, name)))
    return box


# ---- the four explorers -------------------------------------------------------------


def packing_explorer(
    lengths: Iterable[int] | str = (5, 2),
    batch_first: bool = True,
    enforce_sorted: bool = False,
) -> Explorer:
    """Sliders and a text box for the lengths; shows the padded batch and the packing."""
    values = _check_lengths_arg(lengths)
    view = PackingView(
        values,
        batch_first=_check_flag("batch_first", batch_first),
        enforce_sorted=_check_flag("enforce_sorted", enforce_sorted),
    )
    links: list = []
    controls, rows = _lengths_controls(view, sliders=True, links=links)
    controls["batch_first"] = _checkbox(view, "batch_first", links)
    controls["enforce_sorted"] = _checkbox(view, "enforce_sorted", links)
    rows.append(_row([controls["batch_first"], controls["enforce_sorted"]]))
    return Explorer("packing", view, controls, rows, links)


def waste_explorer(
    batch_size: int = 8, max_length: int = 12, skew: float = 1.0
) -> Explorer:
    """Batch size, maximum length and skew sliders; shows the padded versus real steps."""
    skewed_lengths(batch_size, max_length, skew)  # its ValueErrors explain bad types
    batch_size = _check_int("batch_size", batch_size, 1, MAX_BATCH)
    max_length = _check_int("max_length", max_length, 1, MAX_MAX_LENGTH)
    if not (math.isfinite(skew) and 0 <= skew <= MAX_SKEW):
        raise ValueError(f"skew = {skew} is out of range: use 0 to {MAX_SKEW}")
    view = WasteView(batch_size=batch_size, max_length=max_length, skew=float(skew), seed=0)
    sliders = {
        "batch_size": widgets.IntSlider(
            value=batch_size, min=1, max=MAX_BATCH, description="batch size", style=_WIDE
        ),
        "max_length": widgets.IntSlider(
            value=max_length,
            min=1,
            max=MAX_MAX_LENGTH,
            description="max length",
            style=_WIDE,
        ),
        "skew": widgets.FloatSlider(
            value=float(skew),
            min=0.0,
            max=MAX_SKEW,
            step=0.05,
            description="skew",
            readout_format=".2f",
            style=_WIDE,
        ),
        "seed": widgets.IntSlider(
            value=0, min=0, max=99, description="draw (seed)", style=_WIDE
        ),
    }
    links: list = []
    for name, slider in sliders.items():
        links.append(widgets.jslink((slider, "value"), (view, name)))
    rows = [
        _row([sliders["batch_size"], sliders["max_length"]]),
        _row([sliders["skew"], sliders["seed"]]),
    ]
    return Explorer("waste", view, sliders, rows, links)


def state_explorer(lengths: Iterable[int] | str = (5, 2)) -> Explorer:
    """A time-step slider: what a packed and a padded RNN update at step t, and h_n."""
    values = _check_lengths_arg(lengths)
    last = max(values) - 1
    view = StateView(values, t=min(min(values), last), tmax=last)
    links: list = []
    controls, rows = _lengths_controls(view, sliders=False, links=links)
    step = widgets.IntSlider(
        value=view.t, min=0, max=last, description="time step t", style=_WIDE
    )
    links.append(widgets.jslink((step, "value"), (view, "t")))
    links.append(widgets.jsdlink((view, "tmax"), (step, "max")))
    controls["t"] = step
    rows.append(step)
    return Explorer("state", view, controls, rows, links)


def mask_explorer(
    lengths: Iterable[int] | str = (3, 2, 4), causal: bool = False
) -> Explorer:
    """Lengths in; draws the block-diagonal attention mask of packed sequences."""
    values = _check_lengths_arg(lengths)
    view = MaskView(values, causal=_check_flag("causal", causal))
    links: list = []
    controls, rows = _lengths_controls(view, sliders=False, links=links)
    controls["causal"] = _checkbox(view, "causal", links)
    rows[0].children = (*rows[0].children, controls["causal"])
    return Explorer("mask", view, controls, rows, links)
