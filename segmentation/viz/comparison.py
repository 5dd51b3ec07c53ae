"""The pictures of notebook 6, one teaching picture each: partitions with their noise, the
k-distance plot that chooses DBSCAN's eps, BIC and AIC against the number of mixture
components, a dendrogram with the cut that chooses the clusters, and the comparison table
drawn as bars.

As in :mod:`segmentation.viz.plots`, every helper draws on the ``ax`` it is given (or on a new
figure) and returns what it drew on; nothing here calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.transforms import ScaledTranslation

from segmentation.cluster.compare import (
    AGREEMENT,
    CLUSTERS,
    DAVIES_BOULDIN,
    NOISE,
    NOISE_SHARE,
    SILHOUETTE,
    STABILITY,
)
from segmentation.viz.plots import CLUSTER_COLOURS, NOISE_COLOUR, _axes, _grid

#: Cluster colours in pictures with noise: the course's colours without tab10's grey (its
#: eighth), which would read as the grey of noise; clusters 0 to 6 keep their course colour.
PARTITION_COLOURS: tuple[tuple[float, float, float], ...] = tuple(
    colour for colour in CLUSTER_COLOURS if len(set(colour)) > 1
)
#: One marker per round of those colours, so that the first 45 clusters each look different;
#: noise alone is drawn as crosses.
PARTITION_MARKERS = ("o", "s", "^", "v", "D")
#: The legend's text size in points: readable in a grid of small pictures.
LEGEND_SIZE = 7
#: The names of a shape's two axes in notebook 6 and its widget: each shape is standardised.
SHAPE_AXES = ("feature 1 (standardised)", "feature 2 (standardised)")

#: The scores :func:`plot_comparison` draws, each with how to read it.
COMPARED = {
    CLUSTERS: "clusters found",
    NOISE_SHARE: "share marked noise",
    SILHOUETTE: "silhouette (higher is better)",
    DAVIES_BOULDIN: "Davies-Bouldin (lower is better)",
    AGREEMENT: "agreement with Channel (ARI)",
    STABILITY: "stability (mean ARI)",
}


def partition_style(j: int) -> tuple[str, str]:
    """Cluster ``j``'s colour (#rrggbb, for matplotlib and HTML) and marker in a picture with
    noise: clusters 0 to 6 in the course's colours, never the grey of noise."""
    colours = len(PARTITION_COLOURS)
    marker = PARTITION_MARKERS[(j // colours) % len(PARTITION_MARKERS)]
    return to_hex(PARTITION_COLOURS[j % colours]), marker


def draw_partition(
    ax: Axes,
    points: Any,
    labels: Any,
    *,
    title: str = "",
    axis_names: Sequence[str] = ("feature 0", "feature 1"),
) -> Axes:
    """One partition on two axes: each cluster in its colour (:func:`partition_style`), noise
    (label -1) as grey crosses; the legend gives each group's size ("cluster 0 (143)",
    "noise (27)")."""
    points, labels = np.asarray(points, dtype=float), np.asarray(labels)
    if points.ndim != 2 or points.shape[1] < 2 or labels.shape != (len(points),):
        raise ValueError(
            f"points must be one row of two coordinates per sample and labels one number per "
            f"sample; got shapes {points.shape} and {labels.shape}"
        )
    for j in np.unique(labels[labels != NOISE]):
        members = points[labels == j]
        colour, marker = partition_style(int(j))
        ax.scatter(
            members[:, 0],
            members[:, 1],
            s=10,
            alpha=0.7,
            color=colour,
            marker=marker,
            label=f"cluster {j} ({len(members)})",
        )
    noise = points[labels == NOISE]
    if len(noise):
        ax.scatter(
            noise[:, 0],
            noise[:, 1],
            s=14,
            marker="x",
            linewidths=0.8,
            color=NOISE_COLOUR,
            label=f"noise ({len(noise)})",
            zorder=0.9,  # beneath the clusters, which it would hide where they are small
        )
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.set_title(title, fontsize=9)
    _legend_below(ax)
    return ax


def _legend_below(ax: Axes) -> None:
    """The legend under the picture, beneath the tick labels and the x-axis name, in two
    columns: inside the axes no corner is free of points in every partition (the moons'
    DBSCAN pieces, a far-away customer)."""
    rc = plt.rcParams
    ticks = FontProperties(size=rc["xtick.labelsize"]).get_size_in_points()
    name = FontProperties(size=rc["axes.labelsize"]).get_size_in_points()
    # points from the bottom of the axes to below its x-axis name (text is ~1.2 lines high)
    drop = rc["xtick.major.size"] + rc["xtick.major.pad"] + rc["axes.labelpad"]
    drop += 1.2 * (ticks + name) + 2
    inches = cast(Figure, ax.figure).dpi_scale_trans
    below = ax.transAxes + ScaledTranslation(0, -drop / 72, inches)
    ax.legend(
        fontsize=LEGEND_SIZE,
        loc="upper center",
        bbox_to_anchor=(0.5, 0),
        bbox_transform=below,
        ncols=2,
        handletextpad=0.2,
        columnspacing=1.0,
        borderpad=0.3,
    )


def plot_partitions(
    points: Any,
    partitions: Mapping[str, Any],
    *,
    axis_names: Sequence[str] = ("feature 0", "feature 1"),
    ncols: int = 4,
    size: float = 3.4,
    title: str = "",
) -> Figure:
    """Several partitions of the same points side by side, on the same two axes (for the
    course data: the first two principal components), one picture per entry of
    ``partitions`` (title -> labels), noise as grey crosses."""
    if not partitions:
        raise ValueError("partitions is empty: pass a dict of title -> labels")
    fig, axes = _grid(len(partitions), min(ncols, len(partitions)), size=size)
    # room for the legends under the pictures, so that the pictures keep their size
    fig.set_figheight(fig.get_figheight() * 1.35)
    for ax, (name, labels) in zip(axes, partitions.items(), strict=True):
        draw_partition(ax, points, labels, title=name, axis_names=axis_names)
    if title:
        fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def plot_k_distances(
    distances: Any, *, min_samples: int, eps: float, ax: Axes | None = None
) -> Axes:
    """DBSCAN's k-distance plot: each sample's distance to its ``min_samples``-th nearest
    neighbour (itself counted, as DBSCAN counts it), sorted, with ``eps`` as a dashed line.
    Samples above the line are in no dense neighbourhood of their own."""
    distances = np.sort(np.asarray(distances, dtype=float).ravel())
    ax = _axes(ax, (6, 3.5))
    ax.plot(np.arange(len(distances)), distances, color="tab:blue", label="k-distance")
    above = int((distances > eps).sum())
    ax.axhline(
        eps, color="black", linestyle="--", linewidth=1, label=f"eps = {eps:.2f} ({above} above)"
    )
    ax.set_xlabel("samples, sorted by their k-distance")
    ax.set_ylabel(f"distance to neighbour {min_samples}")
    ax.set_title(f"k-distance plot, min_samples = {min_samples}")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_information_criteria(table: pd.DataFrame) -> Figure:
    """BIC and AIC against the number of components, one picture per covariance type, the
    lowest of each circled. ``table``: one row per fit, with columns ``covariance``,
    ``components``, ``BIC`` and ``AIC``."""
    missing = {"covariance", "components", "BIC", "AIC"} - set(table.columns)
    if missing:
        raise ValueError(f"table lacks the columns {sorted(missing)}: one row per fitted mixture")
    kinds = list(dict.fromkeys(table["covariance"]))
    fig, axes = plt.subplots(1, len(kinds), figsize=(5 * len(kinds), 3.4), squeeze=False)
    for ax, kind in zip(axes[0], kinds, strict=True):
        rows = table[table["covariance"] == kind].sort_values("components")
        for name, colour in (("BIC", "tab:blue"), ("AIC", "tab:orange")):
            ax.plot(rows["components"], rows[name], marker="o", color=colour, label=name)
            best = rows.loc[rows[name].idxmin()]
            ax.scatter(
                [best["components"]],
                [best[name]],
                s=160,
                facecolors="none",
                edgecolors="black",
                zorder=3,
            )
        ax.set_xticks(rows["components"])
        ax.set_xlabel("components")
        ax.set_ylabel("criterion (lower is better)")
        ax.set_title(f"{kind} covariance")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_dendrogram(
    linkage_matrix: Any, *, cut: float, shown: int = 30, ax: Axes | None = None, title: str = ""
) -> Axes:
    """The dendrogram of an agglomerative clustering (a SciPy linkage matrix), its last
    ``shown`` merges drawn, and the cut as a dashed line: the branches it crosses are the
    clusters. A leaf shows how many samples it holds when it holds more than one, "(n)"."""
    from scipy.cluster.hierarchy import dendrogram  # only here: importing the plots stays light

    linkage_matrix = np.asarray(linkage_matrix, dtype=float)
    heights = linkage_matrix[:, 2]
    clusters = int((heights > cut).sum()) + 1
    ax = _axes(ax, (7, 3.5))
    dendrogram(
        linkage_matrix,
        truncate_mode="lastp",
        p=shown,
        ax=ax,
        color_threshold=cut,
        above_threshold_color="0.5",
        no_labels=False,
    )
    ax.axhline(
        cut,
        color="black",
        linestyle="--",
        linewidth=1,
        label=f"cut at {cut:.2f}: {clusters} clusters",
    )
    ax.set_xlabel("customers (a leaf in brackets holds that many)")
    ax.set_ylabel("merge height")
    ax.set_title(title or f"The last {shown} merges")
    # headroom above the last merge, for the legend: on the tree it sat on the top bar
    ax.set_ylim(0, 1.25 * heights.max())
    ax.legend(fontsize=8, loc="upper right")
    return ax


def plot_comparison(table: pd.DataFrame) -> Figure:
    """The comparison table (:func:`~segmentation.cluster.compare.compare_clusterers`) drawn
    as bars: one picture per score, one bar per algorithm; an undefined score is marked "–"."""
    missing = [c for c in COMPARED if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks the columns {missing}: pass compare_clusterers' table")
    fig, axes = _grid(len(COMPARED), 3, size=4.2)
    names = [str(name) for name in table.index]
    positions = np.arange(len(names))
    for i, (ax, (column, reading)) in enumerate(zip(axes, COMPARED.items(), strict=True)):
        values = table[column].to_numpy(dtype=float)
        colours = [CLUSTER_COLOURS[j % len(CLUSTER_COLOURS)] for j in positions]
        ax.barh(positions, np.nan_to_num(values), color=colours)
        for y, value in zip(positions, values, strict=True):
            shown = "–" if np.isnan(value) else f"{value:g}"
            # the value at the end of its bar (an undefined one at 0)
            ax.annotate(
                shown,
                (0.0 if np.isnan(value) else value, y),
                xytext=(3 if np.isnan(value) or value >= 0 else -3, 0),
                textcoords="offset points",
                ha="left" if np.isnan(value) or value >= 0 else "right",
                va="center",
                fontsize=7,
            )
        # the names once per row of pictures, at its left
        ax.set_yticks(positions, names if i % 3 == 0 else [""] * len(names), fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.8)
        ax.margins(x=0.25)
        ax.set_title(reading, fontsize=9)
    fig.tight_layout()
    return fig
