"""Notebook 10's pictures, checked on what they drew (nbval does not compare images): the
data on the axes, the lines that mark the changes, the threshold lines, the labels."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from segmentation.viz.fresh import (
    CHANGE_COLOUR,
    THRESHOLD_COLOUR,
    mark_changes,
    plot_monitor,
    plot_monitors,
    plot_policies,
    plot_stream,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


CHANGES = pd.DataFrame({"change": ["mix", "drift"], "month": [2, 3], "description": ["", ""]})


class TinyStream:
    """Three months of two customers: medians worked by hand."""

    def __init__(self):
        def month(fresh, milk):
            return pd.DataFrame({"Fresh": fresh, "Milk": milk})

        self.reference = month([10, 30], [100, 100])  # medians 20, 100
        self.batches = [month([10, 10], [50, 150]), month([40, 60], [1, 999])]  # 10, 100; 50, 500
        self.changes = CHANGES


def vertical_lines(ax):
    """The x of each vertical line drawn in the colour of the change marks."""
    return [
        line.get_xdata()[0]
        for line in ax.get_lines()
        if line.get_color() == CHANGE_COLOUR and line.get_xdata()[0] == line.get_xdata()[1]
    ]


def change_axis(ax):
    """The month axis at the top of ``ax`` that names the changes."""
    (top,) = ax.child_axes
    return top


def texts(ax):
    """The names of the changes written on ``ax``'s top axis, at the months they mark."""
    top = change_axis(ax)
    return [t.get_text() for t in top.get_xticklabels()]


def extent(artist):
    artist.figure.canvas.draw()
    return artist.get_window_extent()


def above_the_data(ax):
    """True when every change name is drawn above the axes, where no data is."""
    top = extent(ax).y1
    return all(extent(label).y0 >= top for label in change_axis(ax).get_xticklabels())


def off_every_panel(legend, fig):
    """True when the legend covers no visible panel of ``fig`` (so none of its data)."""
    box = extent(legend)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    return not any(box.overlaps(ax.get_window_extent()) for ax in panels)


def test_mark_changes_draws_a_labelled_line_at_each_change_month():
    _, ax = plt.subplots()
    mark_changes(ax, CHANGES)
    assert vertical_lines(ax) == [2, 3]
    assert texts(ax) == ["mix", "drift"]
    assert change_axis(ax).get_xticks().tolist() == [2, 3]
    assert above_the_data(ax)


def test_a_change_name_is_written_with_spaces_as_in_the_text():
    _, ax = plt.subplots()
    mark_changes(ax, pd.DataFrame({"change": ["new_group"], "month": [7]}))
    assert texts(ax) == ["new group"]


def test_plot_stream_draws_the_monthly_median_of_each_feature_on_a_log_scale():
    ax = plot_stream(TinyStream(), ("Fresh", "Milk"))
    lines = {line.get_label(): line for line in ax.get_lines() if line.get_label()[0] != "_"}
    assert list(lines) == ["Fresh", "Milk"]
    assert lines["Fresh"].get_xdata().tolist() == [0, 1, 2]
    assert lines["Fresh"].get_ydata().tolist() == [20, 10, 50]
    assert lines["Milk"].get_ydata().tolist() == [100, 100, 500]
    assert ax.get_yscale() == "log"
    assert vertical_lines(ax) == [2, 3] and texts(ax) == ["mix", "drift"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Fresh", "Milk"]
    assert ax.get_xlabel() == "month" and "median" in ax.get_ylabel()
    # the legend and the change names stay off the data
    assert off_every_panel(ax.get_legend(), ax.figure) and above_the_data(ax)


MONITOR_TABLE = pd.DataFrame(
    {
        "month": [1, 1, 1, 2, 2, 2],
        "monitor": ["psi", "psi", "ks_p_value"] * 2,
        "item": ["Fresh", "Milk", "Fresh"] * 2,
        "value": [0.01, 0.02, 0.9, 0.5, 0.03, 1e-30],
        "threshold": [0.25, 0.25, 0.05 / 6] * 2,
        "crossed": [False, False, False, True, False, True],
    }
)


def threshold_lines(ax):
    return [
        line.get_ydata()[0]
        for line in ax.get_lines()
        if line.get_color() == THRESHOLD_COLOUR and line.get_ydata()[0] == line.get_ydata()[1]
    ]


def test_plot_monitor_draws_a_line_per_item_its_threshold_and_the_changes():
    _, ax = plt.subplots()
    plot_monitor(MONITOR_TABLE, "psi", CHANGES, ax)
    items = {line.get_label(): line for line in ax.get_lines() if line.get_label()[0] != "_"}
    assert list(items) == ["Fresh", "Milk", "threshold"]
    assert items["Fresh"].get_xdata().tolist() == [1, 2]
    assert items["Fresh"].get_ydata().tolist() == [0.01, 0.5]
    assert items["Milk"].get_ydata().tolist() == [0.02, 0.03]
    assert threshold_lines(ax) == [0.25]
    assert ax.get_yscale() == "linear" and "fires above 0.25" in ax.get_title()
    assert vertical_lines(ax) == [2, 3]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2"]


def test_a_p_value_is_drawn_on_a_log_scale_with_its_small_threshold():
    _, ax = plt.subplots()
    plot_monitor(MONITOR_TABLE, "ks_p_value", CHANGES, ax)
    assert ax.get_yscale() == "log"
    assert threshold_lines(ax) == [pytest.approx(0.05 / 6)]
    assert "fires below 0.00833" in ax.get_title()
    # the tiny p-value is on the axes, below the floor of the panel
    line = next(line for line in ax.get_lines() if line.get_label() == "Fresh")
    assert line.get_ydata().tolist() == [0.9, 1e-30]
    assert ax.get_ylim()[0] > 1e-30


def test_plot_monitor_of_a_monitor_not_in_the_table_says_what_to_give():
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="no rows of the monitor 'share_psi'"):
        plot_monitor(MONITOR_TABLE, "share_psi", CHANGES, ax)


def test_plot_monitors_gives_a_panel_per_monitor_in_the_table_order():
    fig = plot_monitors(MONITOR_TABLE, CHANGES)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title().splitlines()[0] for ax in shown] == [
        "PSI per feature",
        "KS test p-value per feature",
    ]
    assert sum(not ax.get_visible() for ax in fig.axes) == 1  # a grid of three, one empty
    # one legend of the features, right of the row's last panel, covering neither panel
    assert shown[0].get_legend() is None
    assert [t.get_text() for t in shown[1].get_legend().get_texts()] == [
        "Fresh",
        "Milk",
        "threshold",
    ]
    assert off_every_panel(shown[1].get_legend(), fig)
    assert all(vertical_lines(ax) == [2, 3] for ax in shown)
    assert all(above_the_data(ax) for ax in shown)


def monitor_rows(monitor, items, values, threshold):
    """Rows of one monitor over months 1 and 2, one value pair per item."""
    return pd.DataFrame(
        [
            {"month": month, "monitor": monitor, "item": item, "value": pair[month - 1]}
            for item, pair in zip(items, values, strict=True)
            for month in (1, 2)
        ]
    ).assign(threshold=threshold, crossed=False)


def test_plot_monitors_gives_one_legend_per_kind_of_item_off_every_panel():
    features, segments = ["Fresh", "Milk"], ["segment 0", "segment 1"]
    table = pd.concat(
        [
            monitor_rows("psi", features, [(0.0, 0.1), (0.0, 0.2)], 0.25),
            monitor_rows("ks_p_value", features, [(0.5, 0.6), (0.5, 0.7)], 0.05 / 6),
            monitor_rows("distance_ratio", ["all"], [(1.0, 1.1)], 1.2),
            monitor_rows("share_psi", ["segments"], [(0.0, 0.1)], 0.25),
            monitor_rows("centre_movement", segments, [(0.1, 0.2), (0.1, 0.9)], 0.5),
        ]
    )
    fig = plot_monitors(table, CHANGES)
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert [legend.get_title().get_text() for legend in legends] == ["feature", "segment"]
    assert [[t.get_text() for t in legend.get_texts()] for legend in legends] == [
        [*features, "threshold"],
        [*segments, "threshold"],
    ]
    # each sits to the right of the last panel of its row
    rows = [ax for ax in fig.axes if ax.get_legend() is not None]
    assert [ax.get_title().splitlines()[0] for ax in rows] == [
        "mean distance to the nearest centre, ratio",
        "centre movement in a refit",
    ]
    assert all(off_every_panel(legend, fig) for legend in legends)


def months_of(j_ratio, churn):
    return pd.DataFrame({"month": [1, 2, 3], "J_ratio": j_ratio, "churn": churn})


def test_plot_policies_draws_fit_and_churn_per_policy():
    runs = {
        "never": months_of([1.0, 1.5, 2.0], [0.0, 0.0, 0.0]),
        "monthly": months_of([1.0, 1.1, 1.0], [0.0, 0.3, 0.1]),
    }
    fig = plot_policies(runs, CHANGES)
    left, right = fig.axes
    for ax, column in ((left, "J_ratio"), (right, "churn")):
        drawn = {line.get_label(): line for line in ax.get_lines() if line.get_label()[0] != "_"}
        assert list(drawn) == ["never", "monthly"]
        for policy, months in runs.items():
            np.testing.assert_allclose(drawn[policy].get_ydata(), months[column])
            assert drawn[policy].get_xdata().tolist() == [1, 2, 3]
        assert vertical_lines(ax) == [2, 3]
    assert "J" in left.get_ylabel() and "segment changed" in right.get_ylabel()
    legend = right.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["never", "monthly"]
    assert off_every_panel(legend, fig)
    assert all(above_the_data(ax) for ax in (left, right))
    # the oracle's level, 1, is marked on the fit panel
    assert any(
        list(line.get_ydata()) == [1.0, 1.0] and line.get_linestyle() == "--"
        for line in left.get_lines()
    )


def test_plot_policies_takes_policy_runs_too():
    from segmentation.monitor.policies import PolicyRun

    run = PolicyRun("never", months_of([1.0, 1.2, 1.4], [0.0, 0.1, 0.0]), 0)
    fig = plot_policies({"never": run}, CHANGES)
    line = next(line for line in fig.axes[0].get_lines() if line.get_label() == "never")
    assert line.get_ydata().tolist() == [1.0, 1.2, 1.4]


def test_a_policy_drawn_over_an_equal_one_leaves_it_visible():
    # on_alarm has monthly's values from month 2 on: drawn later, it must not hide monthly
    runs = {
        "never": months_of([1.0, 1.5, 2.0], [0.0, 0.0, 0.0]),
        "monthly": months_of([1.0, 1.1, 1.0], [0.0, 0.3, 0.1]),
        "on_alarm": months_of([1.2, 1.1, 1.0], [0.2, 0.3, 0.1]),
    }
    fig = plot_policies(runs, CHANGES)
    for ax in fig.axes[:2]:
        drawn = [line for line in ax.get_lines() if line.get_label() in runs]
        assert [line.get_label() for line in drawn] == list(runs)  # in order, later on top
        widths = [line.get_linewidth() for line in drawn]
        assert widths == sorted(widths, reverse=True) and len(set(widths)) == 3
        # where the two are equal, monthly shows on both sides of on_alarm
        assert widths[1] >= widths[2] + 0.5
    assert any("wider border" in text.get_text() for text in fig.texts)
