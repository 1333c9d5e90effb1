"""Figures: the drawing helpers draw what they claim and refuse bad input clearly."""

import pathlib
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from packviz.draw import PAD_COLOR, padded_grid, padded_vs_packed, waste_curves  # noqa: E402

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
