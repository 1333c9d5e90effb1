"""Figures: the drawing helpers draw what they claim and refuse bad input clearly."""

import json
import pathlib
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from packviz import palette  # noqa: E402
from packviz.draw import (  # noqa: E402
    OKABE_ITO,
    PAD_COLOR,
    padded_grid,
    padded_vs_packed,
    waste_curves,
)
from packviz.widgets import MaskView, PackingView, StateView, WasteView  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def rectangles(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_padded_grid_draws_one_cell_per_step_with_pads_hatched():
    fig = padded_grid([4, 6, 8, 5, 4, 3, 7, 8])
    cells = rectangles(fig.axes[0])
    pads = [c for c in cells if c.get_hatch()]
    assert len(cells) == 64 and len(pads) == 19
    assert all(matplotlib.colors.to_hex(c.get_facecolor()) == PAD_COLOR.lower()
               for c in pads)
    plt.close(fig)


def test_padded_vs_packed_lays_out_batch_sizes_as_rows():
    fig = padded_vs_packed([9, 8, 6, 4, 3, 2])
    left, right = fig.axes
    assert len(rectangles(left)) == 54
    packed_cells = rectangles(right)
    assert len(packed_cells) == 32
    rows = {}
    for c in packed_cells:
        rows[c.get_y()] = rows.get(c.get_y(), 0) + 1
    assert [rows[y] for y in sorted(rows)] == [6, 6, 5, 4, 3, 3, 2, 2, 1]
    plt.close(fig)


def test_figures_have_a_white_background_for_dark_pages():
    fig = padded_vs_packed([5, 2])
    assert matplotlib.colors.to_hex(fig.get_facecolor()) == "#ffffff"
    plt.close(fig)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: padded_grid([]), "empty"),
        (lambda: padded_grid([3, 0]), "at least 1"),
        (lambda: padded_grid([9], total_length=4), "longer than the padded tensor"),
        (lambda: padded_vs_packed("5,2"), "parse_lengths"),
        (lambda: waste_curves([], {4: []}), "skews is empty"),
        (lambda: waste_curves([0, 1], {}), "fractions is empty"),
        (lambda: waste_curves([0, 1], {4: [0.1]}), "1 fractions for 2 skews"),
    ],
)
def test_drawing_helpers_explain_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_committed_figures_are_what_the_script_draws_today(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "figures/make_figures.py"), str(tmp_path)],
                   check=True, capture_output=True)
    made = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in (ROOT / "figures").glob("*.svg"))
    assert made == committed
    for name in made:
        assert (tmp_path / name).read_bytes() == (ROOT / "figures" / name).read_bytes(), (
            f"figures/{name} is stale: run `make figures`")


# ---- one palette, readable text on every fill ----------------------------------------

WCAG_AA = 4.5  # normal text (the cell labels are 8 to 12 px)


def wcag_contrast(a, b) -> float:
    """WCAG 2 contrast ratio of two colours, written here apart from packviz.palette."""

    def luminance(colour):
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                   for c in matplotlib.colors.to_rgb(colour))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_gives_the_published_values():
    assert wcag_contrast("black", "white") == pytest.approx(21.0)
    assert wcag_contrast("#777777", "white") == pytest.approx(4.48, abs=0.01)
    # The pair the figures used to draw: white on vermillion, below AA.
    assert wcag_contrast("white", "#D55E00") == pytest.approx(3.87, abs=0.01)
    for fill in [*OKABE_ITO, PAD_COLOR]:
        for ink in ("#000000", "#FFFFFF"):
            assert palette.contrast_ratio(fill, ink) == pytest.approx(
                wcag_contrast(fill, ink))


def _fill_under(text: Text, fig) -> str:
    """The colour under a text: the cell it sits in, else the figure's white face."""
    ax = text.axes
    if ax is not None and text.get_transform() == ax.transData:
        x, y = text.get_position()
        for cell in rectangles(ax):
            x0, y0 = cell.get_xy()
            if x0 <= x <= x0 + cell.get_width() and y0 <= y <= y0 + cell.get_height():
                return matplotlib.colors.to_hex(cell.get_facecolor())
    return matplotlib.colors.to_hex(fig.get_facecolor())


def test_every_text_in_the_figures_meets_wcag_aa():
    # Eight sequences: every colour of the palette carries labels.
    fig = padded_vs_packed([4, 6, 8, 5, 4, 3, 7, 8])
    pairs = set()
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip():
            pairs.add((_fill_under(text, fig), matplotlib.colors.to_hex(text.get_color())))
    fills = {fill for fill, _ in pairs}
    assert {c.lower() for c in OKABE_ITO} <= fills
    low = sorted((fill, ink, round(wcag_contrast(fill, ink), 2)) for fill, ink in pairs
                 if wcag_contrast(fill, ink) < WCAG_AA)
    assert not low, f"text below {WCAG_AA}:1 (fill, text, ratio): {low}"
    plt.close(fig)


def _widget_palette(view_class) -> dict:
    match = re.search(r"^const PALETTE = (\{.*\});$", view_class._esm, re.M)
    assert match, f"{view_class.__name__}: no PALETTE line in its JavaScript"
    return json.loads(match.group(1))


@pytest.mark.parametrize("view_class", [PackingView, WasteView, StateView, MaskView])
def test_widgets_draw_with_the_figures_palette_and_readable_text(view_class):
    js = _widget_palette(view_class)
    assert js["sequences"] == OKABE_ITO and js["pad"] == PAD_COLOR
    assert len(js["inks"]) == len(js["sequences"])
    for fill, ink in zip(js["sequences"], js["inks"], strict=True):
        assert wcag_contrast(fill, ink) >= WCAG_AA, (fill, ink, wcag_contrast(fill, ink))


def test_the_palette_is_written_once():
    # No colour literal in the widgets' JavaScript: view.js reads PALETTE.
    for path in (ROOT / "packviz" / "js").glob("*.js"):
        found = re.findall(r"#[0-9A-Fa-f]{6}\b", path.read_text(encoding="utf-8"))
        assert not found, f"{path.name} writes colours itself: {found}"
    draw_source = (ROOT / "packviz" / "draw.py").read_text(encoding="utf-8")
    assert not set(re.findall(r"#[0-9A-Fa-f]{6}", draw_source)) & set(OKABE_ITO)


@pytest.mark.parametrize("colour", ["red", "#12345", "#GGGGGG", None])
def test_contrast_ratio_explains_bad_colours(colour):
    with pytest.raises(ValueError, match="#RRGGBB"):
        palette.contrast_ratio(colour, "#000000")
