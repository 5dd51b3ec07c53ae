"""What the lifetime-value plot helpers drew."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from segmentation.clv.bgnbd import BGNBD
from segmentation.viz.clv import plot_holdout_purchases, plot_probability_alive


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_holdout_plot_draws_the_three_series():
    table = pd.DataFrame(
        {
            "customers": [5, 3, 2],
            "actual": [0.2, 1.0, 3.5],
            "predicted": [0.25, 0.9, 3.0],
            "naive": [0.0, 1.5, 4.0],
        },
        index=pd.Index([0, 1, 2], name="x"),
    )
    ax = plot_holdout_purchases(table)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"actual", "BG/NBD prediction", "same as last period"}
    assert list(lines["actual"].get_ydata()) == [0.2, 1.0, 3.5]
    assert list(lines["same as last period"].get_ydata()) == [0.0, 1.5, 4.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2+"]
    assert "holdout" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "actual",
        "BG/NBD prediction",
        "same as last period",
    ]


def test_probability_alive_plot_draws_one_falling_line_per_x():
    model = BGNBD()
    model.params_ = {"r": 0.8, "alpha": 6.0, "a": 0.6, "b": 2.5}
    ax = plot_probability_alive(model, T=52.0, x_values=(1, 5))
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["x = 1", "x = 5"]
    for line in lines:
        t_x, alive = line.get_xdata(), line.get_ydata()
        assert t_x[0] == 0 and t_x[-1] == 52
        # Silent since the first purchase is least likely active; a purchase at T, most.
        assert np.all(np.diff(alive) > 0) and np.all((alive > 0) & (alive <= 1))
    # Frequent buyers who fell silent early are the least likely to be active.
    assert lines[1].get_ydata()[0] < lines[0].get_ydata()[0]
    assert "P(still active)" in ax.get_ylabel()
    # The x-axis says its unit: weeks (customer_summary's), counted from the first purchase.
    assert ax.get_xlabel() == "last purchase t_x, weeks after the first (observed for T = 52 weeks)"


def test_probability_alive_plot_names_another_unit():
    model = BGNBD()
    model.params_ = {"r": 0.8, "alpha": 6.0, "a": 0.6, "b": 2.5}
    ax = plot_probability_alive(model, T=365.0, x_values=(1,), unit="days")
    assert ax.get_xlabel().endswith("(observed for T = 365 days)")
    assert ax.get_lines()[0].get_xdata()[-1] == 365
