"""The pictures of notebook 10 (keeping segments fresh): the simulated year, the drift
monitors month by month, and the retraining policies over the months.

Each marks the months of the stream's known changes with a dotted vertical line labelled with
the change's name, so that what a picture shows can be read against what happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from segmentation.viz.plots import _axes

#: The colour of every threshold line.
THRESHOLD_COLOUR = "tab:red"
#: The colour of the lines that mark a change.
CHANGE_COLOUR = "0.4"
#: The lowest p-value a panel shows (see :func:`plot_monitor`).
P_VALUE_FLOOR = 1e-12
#: What each monitor's panel is called, and whether its value fires above or below the line.
MONITOR_TITLES = {
    "psi": "PSI per feature",
    "ks_p_value": "KS test p-value per feature",
    "share_psi": "PSI of the segment shares",
    "share_p_value": "chi-squared p-value of the shares",
    "distance_ratio": "mean distance to the nearest centre, ratio",
    "centre_movement": "centre movement in a refit",
}


def mark_changes(ax: Axes, changes: pd.DataFrame) -> None:
    """A dotted vertical line at the month of each change (``changes``: the ``change`` and
    ``month`` columns of ``Stream.changes``), its name ("new_group" as "new group") written
    above the axes, on a second month axis at the top, so that no name covers the data."""
    for month in changes["month"]:
        ax.axvline(month, color=CHANGE_COLOUR, linestyle=":", linewidth=1.2)
    top = ax.secondary_xaxis("top")
    top.set_xticks(
        list(changes["month"]), [str(name).replace("_", " ") for name in changes["change"]]
    )
    top.tick_params(labelsize=7, labelcolor=CHANGE_COLOUR, color=CHANGE_COLOUR, length=3, pad=1)


def _legend_outside(ax: Axes, handles: Sequence[Any] | None = None, **options: Any) -> None:
    """The legend of ``ax`` (or of ``handles``) to the right of its axes, off the data."""
    if handles is not None:
        options["handles"] = handles
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **options)


def _monthly_ticks(ax: Axes, months: Sequence[int]) -> None:
    ax.set_xticks(list(months))
    ax.set_xlabel("month")


def plot_stream(
    stream: Any, features: Sequence[str] = ("Fresh", "Delicassen"), ax: Axes | None = None
) -> Axes:
    """The median of each of ``features`` month by month (month 0: the reference, the training
    data), on a log scale, with the stream's changes marked."""
    ax = _axes(ax, (7, 3.8))
    tables = [stream.reference, *stream.batches]
    months = list(range(len(tables)))
    for feature in features:
        ax.plot(months, [t[feature].median() for t in tables], marker="o", label=feature)
    ax.set_yscale("log")
    ax.set_ylabel("median annual spending (m.u., log scale)")
    _monthly_ticks(ax, months)
    mark_changes(ax, stream.changes)
    _legend_outside(ax, title="category", fontsize=8)
    ax.set_title("The simulated year, month by month")
    return ax


def plot_monitor(table: pd.DataFrame, monitor: str, changes: pd.DataFrame, ax: Axes) -> Axes:
    """One monitor of ``table`` (the rows of :func:`~segmentation.monitor.policies.monitor_table`)
    over the months: one line per item (feature or segment), its threshold as a dashed red line,
    the changes marked. A p-value is drawn on a log scale, since it fires when it falls
    below a small threshold (values under :data:`P_VALUE_FLOOR` run off the bottom)."""
    rows = table[table["monitor"] == monitor]
    if rows.empty:
        raise ValueError(
            f"the table has no rows of the monitor {monitor!r}; give the table of "
            "monitor_table and one of its monitors."
        )
    for item, group in rows.groupby("item", sort=False):
        ax.plot(group["month"], group["value"], marker=".", label=str(item))
    threshold = float(rows["threshold"].iloc[0])
    below = monitor.endswith("p_value")
    ax.axhline(threshold, color=THRESHOLD_COLOUR, linestyle="--", label="threshold")
    if below:
        # p-values span a hundred orders of magnitude; what matters is where they cross
        # the threshold, so smaller ones run off the bottom of the panel
        ax.set_yscale("log")
        ax.set_ylim(P_VALUE_FLOOR, 3.0)
    ax.set_title(
        f"{MONITOR_TITLES.get(monitor, monitor)}\nfires {'below' if below else 'above'}"
        f" {threshold:.3g}",
        fontsize=9,
    )
    _monthly_ticks(ax, sorted(set(rows["month"])))
    mark_changes(ax, changes)
    return ax


def plot_monitors(table: pd.DataFrame, changes: pd.DataFrame, fig: Figure | None = None) -> Figure:
    """Every monitor of ``table`` (see :func:`plot_monitor`) in a grid of panels, three a row,
    in the order of the table; a legend of the features and one of the segments."""
    monitors = list(dict.fromkeys(table["monitor"]))
    if fig is None:
        fig = plt.figure(figsize=(13, 3.3 * -(-len(monitors) // 3)))
    axes = fig.subplots(-(-len(monitors) // 3), 3, squeeze=False).ravel()
    for ax, monitor in zip(axes, monitors, strict=False):
        plot_monitor(table, monitor, changes, ax)
    for ax in axes[len(monitors) :]:
        ax.set_visible(False)
    _row_legends(list(axes[: len(monitors)]))
    fig.suptitle("The drift monitors month by month (model fitted on month 0, never retrained)")
    fig.tight_layout()
    return fig


def _row_legends(axes: Sequence[Axes]) -> None:
    """One legend for each set of items drawn (the features, the segments), to the right of
    the last panel of the row where the set first appears, so that no legend covers data."""
    shown: set[tuple[str, ...]] = set()
    for first in range(0, len(axes), 3):
        row = axes[first : first + 3]
        for ax in row:
            handles, labels = ax.get_legend_handles_labels()
            items = tuple(label for label in labels if label != "threshold")
            if len(items) > 1 and items not in shown:
                shown.add(items)
                title = "segment" if all(i.startswith("segment") for i in items) else "feature"
                _legend_outside(row[-1], handles, title=title, fontsize=7, title_fontsize=8)


def plot_policies(
    runs: Mapping[str, pd.DataFrame], changes: pd.DataFrame, fig: Figure | None = None
) -> Figure:
    """The policies over the months (``runs``: policy name -> its ``PolicyRun.months``): on
    the left J over the oracle's J (1: as good as a refit on that month; a dashed line at 1),
    on the right the share of customers whose segment changed from the month before. The
    changes are marked on both."""
    if fig is None:
        fig = plt.figure(figsize=(12, 4))
    left, right = fig.subplots(1, 2)
    widths = _widths(len(runs))
    for (policy, months), width in zip(runs.items(), widths, strict=True):
        months = getattr(months, "months", months)  # a PolicyRun or its table
        for ax, column in ((left, "J_ratio"), (right, "churn")):
            ax.plot(months["month"], months[column], marker=".", linewidth=width, label=policy)
    left.axhline(1.0, color="0.6", linestyle="--", linewidth=1)
    left.set_ylabel("J / J of a refit on that month")
    left.set_title("How well the segments fit each month")
    right.set_ylabel("share of customers whose segment changed")
    right.set_title("Churn of segments from the month before")
    right.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    for ax in (left, right):
        months = sorted({int(m) for r in runs.values() for m in getattr(r, "months", r)["month"]})
        _monthly_ticks(ax, months)
        mark_changes(ax, changes)
    _legend_outside(right, title="policy", fontsize=8)
    fig.text(0.5, 0.0, SAME_VALUE_NOTE, ha="center", va="bottom", fontsize=8, color="0.3")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


#: The note under :func:`plot_policies`: why a line can show only as a border of another.
SAME_VALUE_NOTE = (
    "Each policy is drawn thinner than the one before it in the legend: where two policies "
    "have the same value, the earlier one shows as a wider border around the later one."
)


def _widths(count: int) -> list[float]:
    """Line widths from 3.2 down to 1.2, one per line, so that a line drawn over an equal
    one leaves the earlier one visible on both sides."""
    if count == 1:
        return [1.5]
    return [3.2 - 2.0 * i / (count - 1) for i in range(count)]
