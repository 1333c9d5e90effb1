"""The accuracy figure of chapter 5 (packviz.training) draws what it is given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from packviz.training import accuracy_curves, final_summary  # noqa: E402

RUNS = {
    "packed": [[0.5, 0.9, 1.0], [0.6, 0.95, 0.98]],
    "bug": [[0.3, 0.3, 0.35], [0.25, 0.3, 0.31]],
}


def test_final_summary_is_mean_lowest_highest_of_the_last_epoch():
    summary = final_summary(RUNS)
    assert summary["packed"] == pytest.approx((0.99, 0.98, 1.0))
    assert summary["bug"] == pytest.approx((0.33, 0.31, 0.35))


def test_accuracy_curves_draws_a_mean_line_and_a_band_per_way():
    fig = accuracy_curves(RUNS, chance=0.25)
    ax = fig.axes[0]
    lines = [line for line in ax.get_lines() if line.get_label() in
             {t.get_text() for t in ax.get_legend().get_texts()}]
    assert len(lines) == 2
    assert list(lines[0].get_ydata()) == pytest.approx([0.55, 0.925, 0.99])
    assert len(ax.collections) == 2  # one min-max band per way
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "packed: final 0.99 (seeds 0.98 to 1.00, n=2)"
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    plt.close(fig)


@pytest.mark.parametrize(
    ("runs", "message"),
    [
        ({}, "non-empty dict"),
        ([[0.5]], "non-empty dict"),
        ({"a": []}, "one list of accuracies per seed"),
        ({"a": [[]]}, "one accuracy per epoch"),
        ({"a": [[0.5, 1.5]]}, "between 0 and 1"),
        ({"a": [[0.5, float("nan")]]}, "between 0 and 1"),
        ({"a": [[0.5, True]]}, "between 0 and 1"),
        ({"a": [[0.5, 0.6], [0.5]]}, "same number of epochs"),
        ({"": [[0.5]]}, "non-empty name"),
        ({str(k): [[0.5]] for k in range(6)}, "at most 5"),
    ],
)
def test_bad_runs_raise_value_error_saying_what_is_wrong(runs, message):
    with pytest.raises(ValueError, match=message):
        final_summary(runs)
    with pytest.raises(ValueError, match=message):
        accuracy_curves(runs)


def test_bad_chance_raises_value_error():
    with pytest.raises(ValueError, match="chance"):
        accuracy_curves(RUNS, chance=2)
