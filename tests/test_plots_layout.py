"""The pictures of notebook 2 are readable: measured on what was drawn, not by eye.

Each figure is drawn (Agg backend, set in conftest) and the window extents of its parts are
compared: no two x tick labels may touch, and a legend may cover no box, whisker or outlier.
"""

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pytest

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.preprocessing.spending import iqr_outliers, log_spending, spending
from segmentation.viz import plots

#: Closer than this (in points, 1/72 inch), two labels read as one word
#: ("Detergents_PaperDelicassen"); a space of the tick font is about 3 points.
MIN_GAP = 5.0


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def drawn(ax, dpi):
    """Draw ``ax``'s figure at ``dpi`` so that every extent is final."""
    ax.figure.set_dpi(dpi)
    ax.figure.canvas.draw()
    return ax


def apart(a, b, gap=0.0):
    """True when boxes ``a`` and ``b`` are at least ``gap`` pixels apart on some axis."""
    return a.x1 + gap <= b.x0 or b.x1 + gap <= a.x0 or a.y1 + gap <= b.y0 or b.y1 + gap <= a.y0


def text_rectangle(text):
    """A drawn text's own rectangle, turned with it: (corner, along, across, length, height),
    in pixels. ``get_window_extent`` gives the upright box around a slanted label, which is
    far wider than the label and would make neighbours overlap that do not touch."""
    renderer = text.figure.canvas.get_renderer()
    angle = np.deg2rad(text.get_rotation())
    upright = text.get_rotation()
    text.set_rotation(0)
    length, height = text.get_window_extent(renderer).size
    text.set_rotation(upright)
    box = text.get_window_extent(renderer)
    along = np.array([np.cos(angle), np.sin(angle)])
    across = np.array([-np.sin(angle), np.cos(angle)])
    # for 0 <= angle < 90 degrees the lowest corner is the start of the baseline
    corner = np.array([box.x0 + height * np.sin(angle), box.y0])
    return corner, along, across, length, height


def labels_apart(first, second, gap):
    """True when two labels turned alike are at least ``gap`` pixels apart, along their
    baseline or across it (for two rectangles turned alike, one of these separates them
    whenever anything does)."""
    c1, along, across, l1, h1 = first
    c2, _, _, l2, h2 = second
    for axis, size1, size2 in ((along, l1, l2), (across, h1, h2)):
        a, b = c1 @ axis, c2 @ axis
        if a + size1 + gap <= b or b + size2 + gap <= a:
            return True
    return False


def tick_labels(ax):
    return [(t.get_text(), text_rectangle(t)) for t in ax.get_xticklabels() if t.get_text()]


PICTURES = {
    "by Channel": lambda c: plots.plot_by_group(log_spending(c), c["Channel"]),
    "by Region": lambda c: plots.plot_by_group(log_spending(c), c["Region"]),
    "outliers": lambda c: plots.plot_outliers(log_spending(c)),
    "correlations": lambda c: plots.plot_correlations(log_spending(c)),
}


@pytest.mark.parametrize("dpi", [72, 100])
@pytest.mark.parametrize("name", PICTURES)
def test_x_tick_labels_do_not_run_into_each_other(customers, name, dpi):
    ax = drawn(PICTURES[name](customers), dpi)
    labels = tick_labels(ax)
    assert [text for text, _ in labels] == list(SPENDING_COLUMNS)
    assert len({round(t.get_rotation()) for t in ax.get_xticklabels()}) == 1
    gap = MIN_GAP * dpi / 72
    for (first, a), (second, b) in itertools.combinations(labels, 2):
        assert labels_apart(a, b, gap), f"{name}: '{first}' and '{second}' touch or overlap"


@pytest.mark.parametrize("dpi", [72, 100])
@pytest.mark.parametrize("scale", ["raw", "log"])
def test_histogram_ticks_do_not_run_into_each_other(customers, scale, dpi):
    """Notebook 2's histograms: each panel's x tick labels stay apart (raw spending once
    printed "25000500007500010000"), and the axes say what they count."""
    frame = spending(customers) if scale == "raw" else log_spending(customers)
    fig = plots.plot_distributions(frame, xlabel="m.u.")
    fig.set_dpi(dpi)
    fig.canvas.draw()
    for ax in fig.axes:
        low, high = ax.get_xlim()
        visible = [
            (tick.label1.get_text(), text_rectangle(tick.label1))
            for tick in ax.xaxis.get_major_ticks()
            if low <= tick.get_loc() <= high and tick.label1.get_text()
        ]
        assert len(visible) >= 2
        for (first, a), (second, b) in itertools.combinations(visible, 2):
            assert labels_apart(a, b, MIN_GAP * dpi / 72), f"'{first}' and '{second}' touch"
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("m.u.", "customers")


@pytest.mark.parametrize("dpi", [72, 100])
@pytest.mark.parametrize("group", ["Channel", "Region"])
def test_plot_by_group_legend_covers_nothing_and_stays_in_the_figure(customers, group, dpi):
    ax = drawn(plots.plot_by_group(log_spending(customers), customers[group]), dpi)
    legend = ax.get_legend().get_window_extent()
    boxes = [patch.get_window_extent() for patch in ax.patches]
    assert len(boxes) == customers[group].nunique() * len(SPENDING_COLUMNS)
    for box in boxes:
        assert apart(legend, box), "the legend covers a box"
    # whiskers, caps, medians and the outliers' markers
    for line in ax.lines:
        assert apart(legend, line.get_window_extent()), "the legend covers a whisker or outlier"
    figure = ax.figure.bbox
    assert (
        figure.x0 <= legend.x0
        and legend.x1 <= figure.x1
        and figure.y0 <= legend.y0
        and legend.y1 <= figure.y1
    ), "the legend is cut off"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        str(name) for name in customers[group].cat.categories
    ]


def test_plot_by_group_leaves_a_given_figure_layout_alone(customers):
    fig, (left, _right) = plt.subplots(1, 2, figsize=(12, 4))
    before = [ax.get_position().bounds for ax in fig.axes]
    plots.plot_by_group(log_spending(customers), customers["Channel"], ax=left)
    assert [ax.get_position().bounds for ax in fig.axes] == before


def test_plot_outliers_draws_every_outlier_it_counts(customers):
    frame = log_spending(customers)
    ax = plots.plot_outliers(frame)
    fliers = [line for line in ax.lines if line.get_marker() == "o"]
    assert [len(line.get_ydata()) for line in fliers] == iqr_outliers(frame).sum().tolist()


def test_plot_correlations_names_what_it_correlates(customers):
    raw = plots.plot_correlations(spending(customers), title="Correlation of raw spending")
    assert raw.get_title() == "Correlation of raw spending"
    # Grocery and Detergents_Paper: 0.92 raw (pandas, independently of the helper)
    shown = {t.get_text() for t in raw.texts}
    assert f"{customers['Grocery'].corr(customers['Detergents_Paper']):.2f}" in shown
    assert plots.plot_correlations(spending(customers)).get_title() == (
        "Correlation between categories"
    )


@pytest.mark.parametrize("rotation", [0, 45])
def test_the_measure_sees_labels_that_collide(rotation):
    """The measure itself: long labels crowded on a narrow axis are caught, slanted or not,
    and its rectangle fits the upright box matplotlib reports."""
    _fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_xlim(-0.5, 9.5)
    ax.set_xticks(
        range(10), ["Detergents_Paper"] * 10, rotation=rotation, ha="right", rotation_mode="anchor"
    )
    labels = tick_labels(drawn(ax, 100))
    assert not all(labels_apart(a, b, 0) for (_, a), (_, b) in itertools.combinations(labels, 2))
    corner, along, across, length, height = labels[0][1]
    corners = np.array(
        [
            corner,
            corner + length * along,
            corner + height * across,
            corner + length * along + height * across,
        ]
    )
    box = ax.get_xticklabels()[0].get_window_extent()
    np.testing.assert_allclose(corners.min(axis=0), [box.x0, box.y0], atol=1.5)
    np.testing.assert_allclose(corners.max(axis=0), [box.x1, box.y1], atol=1.5)


def test_two_heatmaps_side_by_side_keep_their_labels_apart(customers):
    """Notebook 2 shows the raw and the log correlations side by side: the right heatmap's row
    names must not run into the left one's colour bar."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5), layout="constrained")
    plots.plot_correlations(spending(customers), ax=left, title="raw")
    plots.plot_correlations(log_spending(customers), ax=right, title="log")
    fig.canvas.draw()
    upright = [
        (ax, t.get_window_extent()) for ax in fig.axes for t in ax.get_yticklabels() if t.get_text()
    ]
    assert len(fig.axes) == 4  # two heatmaps and their colour bars
    for (ax1, a), (ax2, b) in itertools.combinations(upright, 2):
        assert ax1 is ax2 or apart(a, b, MIN_GAP * fig.dpi / 72)


def test_plot_outliers_says_how_many_customers_a_dot_stands_for(customers):
    """Equal values draw one dot: Detergents_Paper's two outliers (both 3 m.u.) showed as one
    while notebook 2 prints 2. Each such dot carries "×n"; the counts are worked out here with
    NumPy's percentiles on the log of the raw columns, not with the course's functions."""
    frame = log_spending(customers)
    ax = plots.plot_outliers(frame)
    shown = sorted((round(t.xy[0]), round(t.xy[1], 6), t.get_text()) for t in ax.texts)
    expected = []
    for position, column in enumerate(SPENDING_COLUMNS, start=1):
        logs = np.log1p(customers[column].to_numpy(dtype=float))
        q1, q3 = np.percentile(logs, [25, 75])
        out = logs[(logs < q1 - 1.5 * (q3 - q1)) | (logs > q3 + 1.5 * (q3 - q1))]
        values, counts = np.unique(out, return_counts=True)
        expected += [
            (position, round(v, 6), f"×{n}") for v, n in zip(values, counts, strict=True) if n > 1
        ]
    assert shown == sorted(expected)
    # as read off the data by hand: 3 m.u. twice in Fresh and Detergents_Paper, four times
    # in Delicassen, and 18 m.u. twice in Delicassen
    assert [(p, text) for p, _, text in sorted(expected)] == [
        (1, "×2"),
        (5, "×2"),
        (6, "×4"),
        (6, "×2"),
    ]
    for text in ax.texts:  # each note beside its dot, inside the axes
        assert ax.get_ylim()[0] < text.xy[1] < ax.get_ylim()[1]
