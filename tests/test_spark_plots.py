"""Notebook 11's picture, checked on what it drew (nbval does not compare images): each
engine's fit time and peak memory against the customers in millions, Spark's start-up line,
the labels; and the benchmark table it is drawn from."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from segmentation.viz.spark import (
    ENGINE_COLOURS,
    SCALE_COLUMNS,
    STARTUP,
    plot_scale_out,
    scale_results,
)

#: A table in the benchmark's layout, small enough to read every drawn value off by hand.
TABLE = pd.DataFrame(
    [
        (1_000_000, "course", 2.0, 20, 1.0, 500.0),
        (1_000_000, "spark", 30.0, 21, 1.0, 1500.0),
        (1_000_000, "spark k-means", 12.0, None, None, None),
        (1_000_000, STARTUP, 7.0, None, None, None),
        (3_000_000, "course", 6.0, 20, 1.0, 900.0),
        (3_000_000, "spark", 50.0, 21, 1.0, 1700.0),
        (3_000_000, "spark k-means", 30.0, None, None, None),
        (3_000_000, STARTUP, 9.0, None, None, None),
    ],
    columns=list(SCALE_COLUMNS),
)


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_each_engine_is_a_line_of_its_times_and_its_memory_in_millions():
    fig = plot_scale_out(TABLE)
    left, right = fig.axes
    drawn = lines_by_label(left)
    assert drawn["course"].get_xdata().tolist() == [1.0, 3.0]
    assert drawn["course"].get_ydata().tolist() == [2.0, 6.0]
    assert drawn["spark"].get_ydata().tolist() == [30.0, 50.0]
    assert drawn["spark k-means"].get_ydata().tolist() == [12.0, 30.0]
    assert drawn["spark k-means"].get_linestyle() == "--"
    # engines absent from the table are not drawn
    assert "scikit-learn" not in drawn
    assert drawn["course"].get_color() == ENGINE_COLOURS["course"]
    memory = lines_by_label(right)
    # the k-means stage has no memory of its own: only the whole fits are drawn
    assert set(memory) == {"course", "spark"}
    assert memory["course"].get_ydata().tolist() == [500.0, 900.0]
    assert memory["spark"].get_ydata().tolist() == [1500.0, 1700.0]


def test_spark_start_up_is_a_flat_line_at_its_mean():
    left = plot_scale_out(TABLE).axes[0]
    startup = next(line for label, line in lines_by_label(left).items() if STARTUP in label)
    assert np.unique(startup.get_ydata()).tolist() == [8.0]  # (7 + 9) / 2
    assert startup.get_linestyle() == ":"


def test_the_axes_say_what_they_show():
    left, right = plot_scale_out(TABLE).axes
    assert left.get_ylabel() == "fit time (s)" and right.get_ylabel() == "peak memory (MB)"
    for ax in (left, right):
        assert ax.get_xlabel() == "customers (millions)"
        assert ax.get_xticks().tolist() == [1.0, 3.0]
        assert ax.get_ylim()[0] == 0
    legend = [text.get_text() for text in left.get_legend().get_texts()]
    assert legend[:3] == ["course", "spark", "spark k-means"]
    assert any(STARTUP in text for text in legend)


def test_it_draws_on_the_figure_it_is_given():
    fig = plt.figure()
    assert plot_scale_out(TABLE, fig=fig) is fig and len(fig.axes) == 2


def test_the_shipped_table_has_every_engine_at_each_size():
    table = scale_results()
    assert list(table.columns[: len(SCALE_COLUMNS)]) == list(SCALE_COLUMNS)
    # one run of the benchmark at each of its three sizes
    assert sorted(table["customers"].unique()) == [1_000_000, 5_000_000, 20_000_000]
    engines = {*ENGINE_COLOURS, STARTUP}
    for _, rows in table.groupby("customers"):
        assert set(rows["engine"]) == engines
    whole = table[table["engine"].isin(["course", "scikit-learn", "spark"])]
    assert (whole["seconds"] > 0).all() and (whole["peak_mb"] > 0).all()
    # the three engines ran the same k-means from the same start: the same objective (Spark's
    # as its progress line prints it, to 6 significant digits)
    for _, rows in whole.groupby("customers"):
        assert rows["J"].max() / rows["J"].min() - 1 < 1e-5


def test_a_table_without_the_benchmark_columns_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("customers,seconds\n1,2\n")
    with pytest.raises(ValueError, match=r"lacks the column.*engine.*--out"):
        scale_results(path)
