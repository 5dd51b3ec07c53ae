"""The pair plot of notebook 5 (seaborn): what it drew, read back from the figure, since nbval
does not compare pictures."""

import itertools
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import load_customers
from segmentation.model.pipeline import SegmentationModel
from segmentation.preprocessing.spending import log_spending
from segmentation.viz.plots import CLUSTER_COLOURS, plot_pairs

# Six customers, three features, three segments; every pair of values is distinct, so each
# drawn point can be traced back to its customer.
FRAME = pd.DataFrame(
    {"a": [1.0, 2, 3, 4, 5, 6], "b": [5.5, 3.5, 4.5, 0.5, 2.5, 1.5], "c": [1.0, 1, 2, 2, 3, 3]},
    index=[10, 11, 12, 13, 14, 15],
)
LABELS = np.array([0, 1, 2, 0, 1, 2])


@pytest.fixture
def close_figures():
    yield
    plt.close("all")


def scatters(fig):
    """The scatter plots of the figure, as (axes, points drawn, their colours)."""
    found = []
    for ax in fig.axes:
        for collection in ax.collections:
            if type(collection).__name__ == "PathCollection":
                found.append(
                    (ax, collection.get_offsets().data, collection.get_facecolors()[:, :3])
                )
    return found


def diagonals(fig):
    return [
        ax for ax in fig.axes if any("PolyCollection" in type(c).__name__ for c in ax.collections)
    ]


def test_every_pair_once_each_point_in_its_segments_colour(close_figures):
    fig = plot_pairs(FRAME, LABELS, ["north", "south", "east"])
    drawn = scatters(fig)
    pairs = set()
    for ax, points, colours in drawn:
        assert len(points) == len(FRAME)
        # Which two columns are these points? Exactly one pair fits them.
        fitting = [
            (x, y)
            for x, y in itertools.permutations(FRAME.columns, 2)
            if sorted(map(tuple, points)) == sorted(map(tuple, FRAME[[x, y]].to_numpy()))
        ]
        assert len(fitting) == 1
        x, y = fitting[0]
        pairs.add((x, y))
        assert ax.get_xlabel() in ("", x) and ax.get_ylabel() in ("", y)
        for point, colour in zip(points, colours, strict=True):
            row = np.flatnonzero((FRAME[x] == point[0]) & (FRAME[y] == point[1]))
            assert len(row) == 1
            np.testing.assert_allclose(colour, CLUSTER_COLOURS[LABELS[row[0]]], atol=1 / 255)
    # The lower triangle: each column against every later one, once.
    assert pairs == {("a", "b"), ("a", "c"), ("b", "c")}


def test_the_diagonal_shows_one_histogram_per_segment(close_figures):
    fig = plot_pairs(FRAME, LABELS, ["north", "south", "east"])
    diagonal = diagonals(fig)
    assert sorted(ax.get_xlabel() for ax in diagonal) == ["a", "b", "c"]
    for ax in diagonal:
        fills = [c for c in ax.collections if "PolyCollection" in type(c).__name__]
        # seaborn layers them last segment first; the colours are the three segments'.
        assert sorted(tuple(np.round(f.get_facecolor()[0][:3], 3)) for f in fills) == sorted(
            tuple(np.round(CLUSTER_COLOURS[j], 3)) for j in range(3)
        )


def test_axis_labels_name_the_columns(close_figures):
    fig = plot_pairs(FRAME, LABELS, ["north", "south", "east"])
    xlabels = {ax.get_xlabel() for ax in fig.axes} - {""}
    ylabels = {ax.get_ylabel() for ax in fig.axes if ax.get_ylabel() != "Count"} - {""}
    assert xlabels == ylabels == {"a", "b", "c"}


def test_a_unit_is_added_to_every_axis_label(close_figures):
    fig = plot_pairs(FRAME, LABELS, ["north", "south", "east"], unit="log")
    xlabels = {ax.get_xlabel() for ax in fig.axes} - {""}
    ylabels = {ax.get_ylabel() for ax in fig.axes if ax.get_ylabel() != "Count"} - {""}
    assert xlabels == ylabels == {"a (log)", "b (log)", "c (log)"}
    # The points are the values given, not transformed again.
    points = {tuple(p) for _, drawn, _ in scatters(fig) for p in drawn}
    assert (1.0, 5.5) in points and (5.5, 1.0) in points
    assert list(FRAME.columns) == ["a", "b", "c"]  # the caller's table is unchanged


def test_the_legend_lists_the_segments_by_number_and_name(close_figures):
    fig = plot_pairs(FRAME, LABELS, ["north", "south", "east"])
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["0. north", "1. south", "2. east"]
    assert [to_rgb(h.get_color()) for h in legend.legend_handles] == [
        pytest.approx(CLUSTER_COLOURS[j]) for j in range(3)
    ]
    unnamed = plot_pairs(FRAME, LABELS)
    assert [t.get_text() for t in unnamed.legends[0].get_texts()] == [
        "0. segment 0",
        "1. segment 1",
        "2. segment 2",
    ]


def test_labels_of_another_length_are_refused(close_figures):
    with pytest.raises(ValueError, match=r"one segment per row of the table \(6\)"):
        plot_pairs(FRAME, LABELS[:4])


def test_the_course_pair_plot_draws_all_customers_without_a_warning(close_figures):
    customers = load_customers()
    model = SegmentationModel(k=3, evaluate=False).fit(customers)
    labels = model.predict(customers)["segment"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plot_pairs(log_spending(customers), labels, model.names, unit="log")
        fig.canvas.draw()
    drawn = scatters(fig)
    assert len(drawn) == 15 and len(diagonals(fig)) == 6  # 6 features: 15 pairs
    assert {ax.get_xlabel() for ax in fig.axes} - {""} == {f"{c} (log)" for c in SPENDING_COLUMNS}
    assert all(len(points) == 440 for _, points, _ in drawn)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        f"{j}. {name}" for j, name in enumerate(model.names)
    ]
    # Every customer once per picture, in its segment's colour.
    _, _, colours = drawn[0]
    np.testing.assert_allclose(colours, np.array(CLUSTER_COLOURS)[labels], atol=1 / 255)
