"""The course's pictures, one function each.

Every helper draws on the ``ax`` (or ``fig``) it is given, or on a new one, and returns what it
drew on, so a notebook can add to it and a test can read back what was drawn. Nothing here
calls ``plt.show()``: the notebook does.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, cast

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from sklearn.decomposition import PCA

from segmentation.cluster.kmeans import FitHistory
from segmentation.preprocessing.spending import (
    GRADES,
    HAND_THRESHOLDS,
    grade_by_hand,
    total_spending,
)

#: One colour per cluster, the same in every picture of the course.
#: (tab10's ten colours, as (r, g, b): a colormap does not promise a list of them)
CLUSTER_COLOURS: tuple[tuple[float, float, float], ...] = tuple(
    (float(r), float(g), float(b)) for r, g, b, _ in plt.get_cmap("tab10")(range(10))
)
#: Noise points (label -1: no cluster) are grey in every picture.
NOISE_COLOUR = "#9e9e9e"
#: How the centres are drawn: black crosses outlined in white.
CENTRE_SIZE = 160.0
CENTRE_STYLE: dict[str, Any] = {
    "marker": "X",
    "s": CENTRE_SIZE,
    "c": "black",
    "edgecolors": "white",
    "linewidths": 1.5,
}


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
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * 0.8 * nrows), squeeze=False
    )
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, axes.flat[:count]


def _log_bins(low: float, high: float, edges: Sequence[float], count: int) -> list[float]:
    """About ``count`` bins of equal width on a log scale from ``low`` to ``high``, with every
    one of ``edges`` that falls inside as a bin edge: no bar then straddles one."""
    if not 0 < low < high:
        return [low - 0.5, high + 0.5]
    cuts = [low, *sorted(e for e in edges if low < e < high), high]
    step = np.log(high / low) / count
    bins: list[float] = [low]
    for a, b in itertools.pairwise(cuts):
        n = max(1, round(np.log(b / a) / step))
        inner = np.geomspace(a, b, n + 1)[1:-1].tolist()
        bins += [*inner, b]  # the cuts themselves, not 10**log10(cut)
    return bins


def plot_hand_grades(customers: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Total spending of every customer on a log scale, coloured by the hand rule's grade,
    with its thresholds. The thresholds are bin edges, so each bar holds one grade only."""
    ax = _axes(ax, (7, 3))
    total = total_spending(customers)
    grades = grade_by_hand(customers)
    bins = _log_bins(total.min(), total.max(), list(HAND_THRESHOLDS.values()), 39)
    for j, grade in enumerate(GRADES):
        ax.hist(total[grades == grade], bins=bins, color=CLUSTER_COLOURS[j], label=grade)
    for threshold in HAND_THRESHOLDS.values():
        ax.axvline(threshold, color="black", linestyle="--", linewidth=1)
        ax.text(
            threshold,
            0.97,
            f" {threshold:,} ",
            rotation=90,
            ha="right",
            va="top",
            transform=ax.get_xaxis_transform(),
            fontsize=8,
        )
    ax.set_xscale("log")
    ax.set_xlabel("total annual spending (m.u., log scale)")
    ax.set_ylabel("customers")
    ax.legend(title="grade by hand")
    ax.set_title("Grading by hand: one number, two thresholds")
    return ax


def plot_distributions(
    frame: pd.DataFrame, *, title: str = "", xlabel: str = "", ncols: int = 3
) -> Figure:
    """A histogram of each column of ``frame`` (one row per customer): ``xlabel`` names what
    the values are, the height of a bar is a number of customers."""
    fig, axes = _grid(frame.shape[1], ncols)
    for ax, column in zip(axes, frame.columns, strict=True):
        ax.hist(frame[column], bins=30, color="tab:blue")
        ax.set_title(column)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("customers")
        # few ticks, with thousands separated: "25000500007500010000" reads as one number
        ax.locator_params(axis="x", nbins=4)
        ax.xaxis.set_major_formatter("{x:,g}")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_correlations(
    frame: pd.DataFrame, ax: Axes | None = None, *, title: str = "Correlation between categories"
) -> Axes:
    """The correlation of every pair of columns, as a colour-coded table. Name what was
    correlated in ``title`` (raw or log spending): the two give different numbers."""
    ax = _axes(ax, (6, 5))
    corr = frame.corr()
    image = ax.imshow(corr.to_numpy(), vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_xticks(range(len(corr)), corr.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(corr)), corr.columns)
    for i in range(len(corr)):
        for j in range(len(corr)):
            ax.text(
                j,
                i,
                f"{corr.iat[i, j]:.2f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if abs(corr.iat[i, j]) > 0.6 else "black",
            )
    ax.figure.colorbar(image, ax=ax, label="correlation")
    ax.set_title(title)
    return ax


def _column_ticks(ax: Axes, positions: Any, names: Sequence[str]) -> None:
    # Slanted, so that long names such as Detergents_Paper do not run into their neighbours.
    ax.set_xticks(positions, names, rotation=45, ha="right", rotation_mode="anchor")


def plot_by_group(frame: pd.DataFrame, groups: pd.Series, ax: Axes | None = None) -> Axes:
    """Box plots of each column, side by side for each group (a Channel, a Region).

    The legend sits outside the axes, on the right: inside, it would hide boxes, whiskers or
    outliers in one column or another.
    """
    own_figure = ax is None
    ax = _axes(ax, (9, 4))
    names = list(groups.cat.categories) if hasattr(groups, "cat") else sorted(groups.unique())
    width = 0.8 / len(names)
    for g, name in enumerate(names):
        values = [frame.loc[groups == name, column].to_numpy() for column in frame.columns]
        positions = np.arange(frame.shape[1]) + (g - (len(names) - 1) / 2) * width
        parts = ax.boxplot(
            values,
            positions=positions,
            widths=width * 0.9,
            patch_artist=True,
            flierprops={"markersize": 2},
            manage_ticks=False,
        )
        for box in parts["boxes"]:
            box.set_facecolor(CLUSTER_COLOURS[g])
        parts["boxes"][0].set_label(str(name))
    _column_ticks(ax, range(frame.shape[1]), frame.columns)
    ax.set_ylabel("log spending")
    ax.legend(title=groups.name, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    ax.set_title(f"Spending by {groups.name}")
    if own_figure:
        cast(Figure, ax.figure).tight_layout()  # makes room for the legend beside the axes
    return ax


def plot_outliers(
    frame: pd.DataFrame, ax: Axes | None = None, *, ylabel: str = "log spending"
) -> Axes:
    """A box plot of each column; the points beyond the whiskers are Tukey's outliers. A
    point that stands for several customers with the same value says how many ("×2")."""
    ax = _axes(ax, (9, 4))
    parts = ax.boxplot(
        [frame[c].to_numpy() for c in frame.columns],
        flierprops={"markersize": 3, "markerfacecolor": "tab:red"},
    )
    # equal values draw one dot, so the dots alone undercount the outliers printed beside
    for position, fliers in enumerate(parts["fliers"], start=1):
        values, counts = np.unique(fliers.get_ydata(), return_counts=True)
        for value, count in zip(values[counts > 1], counts[counts > 1], strict=True):
            ax.annotate(
                f"×{count}",
                (position, value),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color="tab:red",
            )
    _column_ticks(ax, range(1, frame.shape[1] + 1), frame.columns)
    ax.set_ylabel(ylabel)
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
    name: str = "cluster",
    centre_label: str = "centres",
    centre_size: float = CENTRE_SIZE,
    zoom: tuple[float, float, float, float] | None = None,
    legend_outside: bool = False,
) -> Axes:
    """Samples coloured by cluster, the centres as black crosses, and optionally the path
    each centre has travelled (``paths``: shape (steps, k, 2)). Uses the first two columns.

    ``name`` and ``centre_label`` are what the legend calls a group and the crosses ("cluster"
    for k-means' own numbering; "segment" for the course's numbered segments, whose centres
    are the segment means). ``centre_size`` is the crosses' area in points squared. ``zoom``,
    a region (x_min, x_max, y_min, y_max) of the data, is drawn again, enlarged and with
    smaller crosses, in an inset at the lower right, and outlined in the main picture: for
    groups squeezed into a corner by far-away points. ``legend_outside`` puts the legend to the
    right of the picture, where it can hide no point (for points spread everywhere, as noise).
    """
    from matplotlib.ticker import MaxNLocator

    ax = _axes(ax, (5, 4))
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    centres = None if centres is None else np.asarray(centres, dtype=float)
    _draw_groups(ax, X, labels, centres, paths, name, centre_label, centre_size)
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    if title:
        ax.set_title(title)
    # fewer x ticks than matplotlib's default, under which labels such as "-3000" run together
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
    if legend_outside:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
    else:
        ax.legend(fontsize=7, loc="best" if zoom is None else "upper left")
    if zoom is not None:
        # high enough above the main picture's bottom edge for the inset's own tick labels
        inset = ax.inset_axes((0.53, 0.17, 0.44, 0.44))
        _draw_groups(inset, X, labels, centres, paths, name, centre_label, centre_size / 2)
        inset.set_xlim(zoom[0], zoom[1])
        inset.set_ylim(zoom[2], zoom[3])
        for axis in (inset.xaxis, inset.yaxis):
            axis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
        inset.tick_params(labelsize=8, pad=2)
        ax.indicate_inset_zoom(inset, edgecolor="0.4")
    return ax


def _draw_groups(
    ax: Axes,
    X: np.ndarray,
    labels: np.ndarray,
    centres: np.ndarray | None,
    paths: Any,
    name: str,
    centre_label: str,
    centre_size: float,
) -> None:
    for j in np.unique(labels):
        members = X[labels == j]
        ax.scatter(
            members[:, 0],
            members[:, 1],
            s=12,
            alpha=0.7,
            color=CLUSTER_COLOURS[j % len(CLUSTER_COLOURS)],
            label=f"{name} {j}",
        )
    if paths is not None:
        paths = np.asarray(paths, dtype=float)
        for j in range(paths.shape[1]):
            ax.plot(paths[:, j, 0], paths[:, j, 1], color="black", linewidth=1, marker=".")
    if centres is not None:
        ax.scatter(
            centres[:, 0], centres[:, 1], label=centre_label, **{**CENTRE_STYLE, "s": centre_size}
        )


def plot_iterations(
    X: Any,
    history: FitHistory,
    *,
    iterations: Sequence[int] | None = None,
    feature_names: Sequence[str] = ("feature 0", "feature 1"),
    ncols: int = 3,
) -> Figure:
    """One picture per iteration ``t`` (0 is the start): the centres after ``t`` iterations,
    each sample coloured by its nearest of them, the path each centre has travelled so far,
    and J. All iterations when ``iterations`` is None."""
    assignments = history.assignments(X)
    iterations = list(range(len(history.centres))) if iterations is None else list(iterations)
    fig, axes = _grid(len(iterations), ncols, size=3.4)
    for ax, t in zip(axes, iterations, strict=True):
        when = "start" if t == 0 else f"iteration {t}"
        plot_clusters(
            X,
            assignments[t],
            history.centres[t],
            paths=history.centres[: t + 1],
            feature_names=feature_names,
            ax=ax,
            title=f"{when}: J = {history.objective[t]:.1f}",
        )
        ax.get_legend().remove()
    fig.tight_layout()
    return fig


def plot_objective(objective: Sequence[float], ax: Axes | None = None) -> Axes:
    """J after each iteration (0 is the start): it never goes up."""
    ax = _axes(ax, (5, 3))
    ax.plot(range(len(objective)), objective, marker="o")
    ax.set_xlabel("iteration (0 = start)")
    ax.set_ylabel("J (sum of squared distances)")
    ax.set_title("The objective J never rises")
    return ax


def plot_k_scores(table: pd.DataFrame) -> Figure:
    """J (the elbow) and the silhouette against k, from
    :func:`~segmentation.cluster.choosing.scan_k`."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.plot(table["k"], table["J"], marker="o")
    left.set_xticks(table["k"])
    left.set_xlabel("k")
    left.set_ylabel("J")
    left.set_title("Elbow: J against k")
    scored = table.dropna(subset=["silhouette"])
    right.plot(scored["k"], scored["silhouette"], marker="o", color="tab:green")
    right.set_xticks(scored["k"])
    right.set_xlabel("k")
    right.set_ylabel("silhouette")
    right.set_title("Silhouette against k (higher is better)")
    fig.tight_layout()
    return fig


def plot_pca(X: Any, segmentations: Mapping[str, Any], *, size: float = 4.5) -> Figure:
    """Many features seen at once: principal component analysis (PCA, 主成分分析).

    The principal components are the directions along which the samples spread most, each at
    right angles to the ones before; the first two give the flat picture that keeps the most
    of the spread. Left: the percentage of the total variance each component explains (bars)
    and the running total (line). Then one picture per entry of ``segmentations``: the samples
    on the first two components, coloured by segment, each segment's mean a black cross.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        The features as clustered (in the course: the scaled log spending); at least two.
    segmentations : mapping of str to array of shape (n_samples,)
        Segment labels by title, such as ``{"k = 2": labels2, "k = 3": labels3}``.
    size : float
        Height of each picture, in inches, over 0.8.

    Returns
    -------
    matplotlib.figure.Figure
        The variance explained first, then one axes per segmentation.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] < 2:
        raise ValueError(f"plot_pca needs a table of at least two features; got shape {X.shape}.")
    pca = PCA().fit(X)
    share = 100 * pca.explained_variance_ratio_
    scores = pca.transform(X)[:, :2]
    fig, axes = plt.subplots(
        1,
        1 + len(segmentations),
        squeeze=False,
        figsize=(size * (1 + len(segmentations)), size * 0.8),
    )
    _draw_variance_explained(axes[0, 0], share)
    axis_names = [f"PC {i + 1} ({share[i]:.0f}% of the variance)" for i in range(2)]
    for ax, (title, labels) in zip(axes[0, 1:], segmentations.items(), strict=True):
        labels = np.asarray(labels)
        means = np.array([scores[labels == j].mean(axis=0) for j in np.unique(labels)])
        plot_clusters(
            scores,
            labels,
            means,
            feature_names=axis_names,
            ax=ax,
            title=title,
            name="segment",
            centre_label="segment means",
        )
    fig.tight_layout()
    return fig


def _draw_variance_explained(ax: Axes, share: np.ndarray) -> None:
    """The percentage of the variance each principal component explains (``share``, in
    order), as bars, and their running total, as a line."""
    number = np.arange(1, len(share) + 1)
    ax.bar(number, share, color="tab:blue", label="each component")
    ax.plot(number, np.cumsum(share), marker="o", color="black", label="running total")
    ax.set_xticks(number)
    ax.set_ylim(0, 105)
    ax.set_xlabel("principal component")
    ax.set_ylabel("% of the variance explained")
    ax.legend(fontsize=8, loc="center right")
    ax.set_title(f"Two components keep {share[:2].sum():.0f}% of the variance")


def plot_grade_mix(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Stacked bars: how the customers of each hand grade spread over the segments."""
    ax = _axes(ax, (6, 3))
    bottom = np.zeros(len(table))
    for j, column in enumerate(table.columns):
        ax.bar(
            [str(i) for i in table.index],
            table[column],
            bottom=bottom,
            color=CLUSTER_COLOURS[j % len(CLUSTER_COLOURS)],
            label=str(column),
        )
        bottom += table[column].to_numpy()
    ax.set_ylabel("customers")
    ax.legend(title=table.columns.name, fontsize=8)
    ax.set_title("Each hand grade, split by segment")
    return ax


def plot_pairs(
    frame: pd.DataFrame,
    labels: Any,
    names: Sequence[str] | None = None,
    *,
    unit: str | None = None,
    height: float = 1.7,
) -> Figure:
    """Every pair of columns of ``frame`` in a scatter plot, and each column's histogram on
    the diagonal, coloured by segment: seaborn's pair plot, the view of a segmentation that
    analysts expect, in the course's segment colours.

    Only the lower triangle is drawn (the upper one would repeat it, mirrored); the legend
    sits in the empty upper right.

    Parameters
    ----------
    frame : DataFrame
        The features, one column each (in the course: the log spending).
    labels : array of shape (n_samples,)
        Each row's segment, 0 to k - 1.
    names : sequence of str, optional
        The segments' names, shown in the legend as "0. name"; by default "segment 0", ...
    unit : str, optional
        What the values are, added to each axis label in brackets: ``unit="log"`` labels the
        log spending "Milk (log)", so that nobody reads its axes as money.
    height : float
        Height of each small picture, in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of the pair plot (its axes: ``fig.axes``).
    """
    import seaborn as sns  # only here: importing the plots must stay light

    labels = np.asarray(labels)
    if labels.shape != (len(frame),):
        raise ValueError(
            f"labels must give one segment per row of the table ({len(frame)}); "
            f"got shape {labels.shape}."
        )
    k = len(names) if names is not None else int(labels.max()) + 1
    names = list(names) if names is not None else [f"segment {j}" for j in range(k)]
    shown = [f"{j}. {name}" for j, name in enumerate(names)]
    if unit:
        frame = frame.rename(columns=lambda column: f"{column} ({unit})")
    data = frame.assign(segment=pd.Categorical.from_codes(labels, categories=shown))
    palette = {name: cluster_colour(j) for j, name in enumerate(shown)}
    grid = sns.PairGrid(data, hue="segment", palette=palette, corner=True, height=height)
    grid.map_diag(sns.histplot, element="step")
    grid.map_lower(sns.scatterplot, s=8, alpha=0.6, linewidth=0)
    _segment_legend(grid.figure, shown, palette)
    grid.figure.suptitle("Every pair of features, coloured by segment", x=0.02, y=1.0, ha="left")
    return grid.figure


def _segment_legend(fig: Figure, shown: Sequence[str], palette: Mapping[str, str]) -> None:
    """A legend of the segments, named as in ``shown``, each a dot in its colour.

    It goes in the empty upper triangle of a pair plot, not beside the grid (where seaborn's
    own add_legend would widen the figure for it).
    """
    markers = [Line2D([], [], marker="o", linestyle="", color=palette[name]) for name in shown]
    fig.legend(
        markers,
        shown,
        title="segment",
        loc="upper right",
        bbox_to_anchor=(0.99, 0.9),
        frameon=False,
    )
