"""The pictures of RFM: the cohort retention heatmap and the segment map.

As in :mod:`segmentation.viz.plots`, each helper draws on the ``ax`` it is given (or a new
one) and returns it; the notebook calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.ticker import PercentFormatter

from segmentation.rfm.scores import SEGMENT_GRID, SEGMENT_ORDER
from segmentation.viz.plots import _axes


def plot_cohort_retention(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """The retention table of ``cohort_retention`` as a heatmap: one row per cohort, one
    column per period since the first purchase, each cell annotated with its percentage.
    Cells the log cannot see yet stay blank. The colour scale ends at the largest share after
    period 0 (period 0 is 100% by definition and would leave every later cell pale)."""
    ax = _axes(ax, (1.0 + 0.55 * table.shape[1], 1.0 + 0.35 * table.shape[0]))
    values = table.to_numpy(dtype=float)
    later = values[:, 1:][np.isfinite(values[:, 1:])]
    top = float(later.max()) if later.size and later.max() > 0 else 1.0
    image = ax.imshow(np.ma.masked_invalid(values), cmap="Blues", vmin=0.0, vmax=top)
    image.axes.set_aspect("auto")
    for (i, j), share in np.ndenumerate(values):
        if np.isfinite(share):
            colour = "white" if share > 0.6 * top else "black"
            ax.text(j, i, f"{share:.0%}", ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(table.shape[1]), [str(c) for c in table.columns])
    ax.set_yticks(range(table.shape[0]), [str(c) for c in table.index])
    ax.set_xlabel(str(table.columns.name or "periods since first purchase"))
    named = table.index.name not in (None, "cohort")
    ax.set_ylabel(f"cohort ({table.index.name})" if named else "cohort (first purchase)")
    ax.set_title("Share of each cohort buying again")
    ax.figure.colorbar(image, ax=ax, label="share of the cohort", format=PercentFormatter(1.0))
    return ax


def plot_segment_map(scores: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """The segment grid: R score across, FM score up, each cell coloured by its named
    segment and annotated with the segment's name and the customers in that cell."""
    ax = _axes(ax, (8, 6))
    counts = scores.groupby(["FM", "R"]).size()
    colours = plt.get_cmap("tab20")(np.arange(len(SEGMENT_ORDER)))
    place = np.zeros((5, 5), dtype=int)
    for (r, fm), name in SEGMENT_GRID.items():
        place[fm - 1, r - 1] = SEGMENT_ORDER.index(name)
        count = int(counts.get((fm, r), 0))
        ax.text(r, fm, f"{name}\n{count}", ha="center", va="center", fontsize=7)
    ax.imshow(
        place,
        cmap=ListedColormap(colours),
        vmin=-0.5,
        vmax=len(SEGMENT_ORDER) - 0.5,
        origin="lower",
        extent=(0.5, 5.5, 0.5, 5.5),
        alpha=0.6,
    )
    ax.set_xticks(range(1, 6))
    ax.set_yticks(range(1, 6))
    ax.set_xlabel("R score (5 = bought most recently)")
    ax.set_ylabel("FM score (mean of F and M; 5 = buys most)")
    ax.set_title("RFM segments: customers in each cell")
    return ax


def plot_segment_sizes(sizes: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Horizontal bars of customers per named segment (the table of ``segment_sizes``),
    best segment at the top."""
    ax = _axes(ax, (6, 4))
    names = list(sizes.index)[::-1]
    ax.barh(names, sizes["customers"].to_numpy()[::-1], color="tab:blue")
    ax.set_xlabel("customers")
    ax.set_ylabel("segment")
    ax.set_title("Customers per RFM segment")
    return ax
