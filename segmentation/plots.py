"""The course's pictures, one function each.

Every helper draws on the ``ax`` (or ``fig``) it is given, or on a new one, and returns what it
drew on, so a notebook can add to it and a test can read back what was drawn. Nothing here
calls ``plt.show()``: the notebook does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from segmentation.features import GRADES, HAND_THRESHOLDS, grade_by_hand, total_spending
from segmentation.kmeans import FitHistory

#: One colour per cluster, the same in every picture of the course.
CLUSTER_COLOURS = plt.get_cmap("tab10").colors
CENTRE_STYLE = {"marker": "X", "s": 160, "c": "black", "edgecolors": "white", "linewidths": 1.5}


def cluster_colour(j: int) -> str:
    """Cluster ``j``'s colour as #rrggbb, for HTML and for matplotlib alike."""
    rgb = CLUSTER_COLOURS[j % len(CLUSTER_COLOURS)]
    return "#" + "".join(f"{round(255 * c):02x}" for c in rgb)


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6, 4)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _grid(count: int, ncols: int, size: float = 3.0) -> tuple[Figure, np.ndarray]:
    nrows = -(-count // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * 0.8 * nrows),
                             squeeze=False)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, axes.flat[:count]


def plot_hand_grades(customers: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Total spending of every customer on a log scale, coloured by the hand rule's grade,
    with its thresholds."""
    ax = _axes(ax, (7, 3))
    total = total_spending(customers)
    grades = grade_by_hand(customers)
    bins = np.logspace(np.log10(total.min()), np.log10(total.max()), 40)
    bins[[0, -1]] = total.min(), total.max()  # so that rounding leaves nobody out
    for j, grade in enumerate(GRADES):
        ax.hist(total[grades == grade], bins=bins, color=CLUSTER_COLOURS[j], label=grade)
    for threshold in HAND_THRESHOLDS.values():
        ax.axvline(threshold, color="black", linestyle="--", linewidth=1)
        ax.text(threshold, 0.97, f" {threshold:,} ", rotation=90, ha="right", va="top",
                transform=ax.get_xaxis_transform(), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("total annual spending (m.u., log scale)")
    ax.set_ylabel("customers")
    ax.legend(title="grade by hand")
    ax.set_title("Grading by hand: one number, two thresholds")
    return ax


def plot_distributions(frame: pd.DataFrame, *, title: str = "", ncols: int = 3) -> Figure:
    """A histogram of each column of ``frame``."""
    fig, axes = _grid(frame.shape[1], ncols)
    for ax, column in zip(axes, frame.columns, strict=True):
        ax.hist(frame[column], bins=30, color="tab:blue")
        ax.set_title(column)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_correlations(frame: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """The correlation of every pair of columns, as a colour-coded table."""
    ax = _axes(ax, (6, 5))
    corr = frame.corr()
    image = ax.imshow(corr.to_numpy(), vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_xticks(range(len(corr)), corr.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(corr)), corr.columns)
    for i in range(len(corr)):
        for j in range(len(corr)):
            ax.text(j, i, f"{corr.iat[i, j]:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if abs(corr.iat[i, j]) > 0.6 else "black")
    ax.figure.colorbar(image, ax=ax, label="correlation")
    ax.set_title("Correlation between categories")
    return ax


def plot_by_group(frame: pd.DataFrame, groups: pd.Series, ax: Axes | None = None) -> Axes:
    """Box plots of each column, side by side for each group (a Channel, a Region)."""
    ax = _axes(ax, (9, 4))
    names = list(groups.cat.categories) if hasattr(groups, "cat") else sorted(groups.unique())
    width = 0.8 / len(names)
    for g, name in enumerate(names):
        values = [frame.loc[groups == name, column].to_numpy() for column in frame.columns]
        positions = np.arange(frame.shape[1]) + (g - (len(names) - 1) / 2) * width
        parts = ax.boxplot(values, positions=positions, widths=width * 0.9, patch_artist=True,
                           flierprops={"markersize": 2}, manage_ticks=False)
        for box in parts["boxes"]:
            box.set_facecolor(CLUSTER_COLOURS[g])
        parts["boxes"][0].set_label(str(name))
    ax.set_xticks(range(frame.shape[1]), frame.columns)
    ax.set_ylabel("log spending")
    ax.legend(title=groups.name)
    ax.set_title(f"Spending by {groups.name}")
    return ax


def plot_outliers(frame: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """A box plot of each column; the points beyond the whiskers are Tukey's outliers."""
    ax = _axes(ax, (8, 4))
    ax.boxplot([frame[c].to_numpy() for c in frame.columns], flierprops={"markersize": 3,
               "markerfacecolor": "tab:red"})
    ax.set_xticks(range(1, frame.shape[1] + 1), frame.columns)
    ax.set_title("Outliers: points beyond the whiskers (1.5 interquartile ranges)")
    return ax


def plot_clusters(
    X: Any,
    labels: Any,
    centres: Any | None = None,
    *,
    paths: Any | None = None,
    feature_names: Sequence[str] = ("feature 0", "feature 1"),
    ax: Axes | None = None,
    title: str = "",
) -> Axes:
    """Samples coloured by cluster, the centres as black crosses, and optionally the path
    each centre has travelled (``paths``: shape (steps, k, 2)). Uses the first two columns."""
    ax = _axes(ax, (5, 4))
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    for j in np.unique(labels):
        members = X[labels == j]
        ax.scatter(members[:, 0], members[:, 1], s=12, alpha=0.7,
                   color=CLUSTER_COLOURS[j % len(CLUSTER_COLOURS)], label=f"cluster {j}")
    if paths is not None:
        paths = np.asarray(paths, dtype=float)
        for j in range(paths.shape[1]):
            ax.plot(paths[:, j, 0], paths[:, j, 1], color="black", linewidth=1, marker=".")
    if centres is not None:
        centres = np.asarray(centres, dtype=float)
        ax.scatter(centres[:, 0], centres[:, 1], label="centres", **CENTRE_STYLE)
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    if title:
        ax.set_title(title)
    ax.legend(fontsize=7, loc="best")
    return ax


def plot_iterations(
    X: Any,
    history: FitHistory,
    *,
    steps: Sequence[int] | None = None,
    feature_names: Sequence[str] = ("feature 0", "feature 1"),
    ncols: int = 3,
) -> Figure:
    """One picture per iteration: the assignment to the centres of that step, the centres,
    the path each has travelled so far, and J."""
    assignments = history.assignments(X)
    steps = list(range(len(history.centres))) if steps is None else list(steps)
    fig, axes = _grid(len(steps), ncols, size=3.4)
    for ax, t in zip(axes, steps, strict=True):
        plot_clusters(X, assignments[t], history.centres[t], paths=history.centres[: t + 1],
                      feature_names=feature_names, ax=ax,
                      title=f"step {t}: J = {history.objective[t]:.1f}")
        ax.get_legend().remove()
    fig.tight_layout()
    return fig


def plot_objective(objective: Sequence[float], ax: Axes | None = None) -> Axes:
    """J after each assignment step: it never goes up."""
    ax = _axes(ax, (5, 3))
    ax.plot(range(len(objective)), objective, marker="o")
    ax.set_xlabel("step")
    ax.set_ylabel("J (sum of squared distances)")
    ax.set_title("The objective J falls with every iteration")
    return ax


def plot_k_scores(table: pd.DataFrame) -> Figure:
    """J (the elbow) and the silhouette against k, from :func:`segmentation.selection.scan_k`."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.plot(table["k"], table["J"], marker="o")
    left.set_xlabel("k")
    left.set_ylabel("J")
    left.set_title("Elbow: J against k")
    scored = table.dropna(subset=["silhouette"])
    right.plot(scored["k"], scored["silhouette"], marker="o", color="tab:green")
    right.set_xlabel("k")
    right.set_ylabel("silhouette")
    right.set_title("Silhouette against k (higher is better)")
    fig.tight_layout()
    return fig


def plot_grade_mix(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Stacked bars: how the customers of each hand grade spread over the segments."""
    ax = _axes(ax, (6, 3))
    bottom = np.zeros(len(table))
    for j, column in enumerate(table.columns):
        ax.bar([str(i) for i in table.index], table[column], bottom=bottom,
               color=CLUSTER_COLOURS[j % len(CLUSTER_COLOURS)], label=str(column))
        bottom += table[column].to_numpy()
    ax.set_ylabel("customers")
    ax.legend(title=table.columns.name, fontsize=8)
    ax.set_title("Each hand grade, split by segment")
    return ax


__all__ = [
    "plot_by_group",
    "plot_clusters",
    "plot_correlations",
    "plot_distributions",
    "plot_grade_mix",
    "plot_hand_grades",
    "plot_iterations",
    "plot_k_scores",
    "plot_objective",
    "plot_outliers",
]
