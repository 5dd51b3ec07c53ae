"""The pictures of notebook 9 (data quality): one per study of :mod:`segmentation.quality`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from segmentation.viz.plots import _axes


def plot_imputation_study(
    table: pd.DataFrame, measure: str = "moved", fig: Figure | None = None
) -> Figure:
    """The table of ``imputation_study``: ``measure`` (by default the share of customers who
    changed segment) against the share of values hidden, one line per imputer, one panel per
    mechanism (MCAR, MNAR), on a shared y axis. When the table has ``measure + " sd"``, each
    line gets a band of one standard deviation over seeds, so that a mean that rests on one
    unusual seed shows as a wide band. The x ticks are the shares studied."""
    mechanisms = list(dict.fromkeys(table["mechanism"]))
    if fig is None:
        fig = plt.figure(figsize=(4.0 * len(mechanisms), 3.6))
    axes = fig.subplots(1, len(mechanisms), sharey=True, squeeze=False)[0]
    spread = f"{measure} sd"
    for ax, mechanism in zip(axes, mechanisms, strict=True):
        rows = table[table["mechanism"] == mechanism]
        for imputer, group in rows.groupby("imputer", sort=False):
            share, value = group["share hidden"], group[measure]
            (line,) = ax.plot(share, value, marker="o", label=str(imputer))
            if spread in group:
                band = group[spread].fillna(0.0)
                ax.fill_between(
                    share, value - band, value + band, color=line.get_color(), alpha=0.15
                )
        ax.set_title(f"{mechanism}")
        ax.set_xlabel("share of values hidden")
        ax.set_xticks(sorted(set(rows["share hidden"])))
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        if measure == "moved":
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes[0].set_ylabel("customers who changed segment" if measure == "moved" else measure)
    title = "imputer (band: ± 1 sd)" if spread in table else "imputer"
    axes[-1].legend(title=title)
    fig.suptitle("Segments after filling hidden values, against the full data")
    fig.tight_layout()
    return fig


def plot_noise_study(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """The table of ``noise_study``: the ARI with the full data's segments against the noise
    level, with a band of one standard deviation over seeds."""
    ax = _axes(ax)
    sigma, ari = table["noise sigma"], table["ARI"]
    ax.plot(sigma, ari, marker="o", label="mean over seeds")
    ax.fill_between(sigma, ari - table["ARI sd"], ari + table["ARI sd"], alpha=0.25, label="± 1 sd")
    ax.set_xlabel("noise sigma (on the log scale)")
    ax.set_ylabel("ARI with the full data's segments")
    ax.set_ylim(min(0.0, float(ari.min()) - 0.05), 1.02)
    ax.set_title("Segments of noisy spending")
    ax.legend()
    return ax


def plot_few_label_curve(
    table: pd.DataFrame, ax: Axes | None = None, zoom: tuple[float, float] | None = None
) -> Axes:
    """The table of ``few_label_curve``: accuracy on the unlabelled customers against the
    labelled share, one line per method, each with a band of one standard deviation. The x
    ticks are the shares studied. With ``zoom=(low, high)``, an inset redraws the curves with
    the y axis cut to that range, where close curves overlap in the main picture."""
    ax = _axes(ax)
    _draw_few_label_lines(ax, table, label=True)
    ax.set_xlabel("share of customers labelled")
    ax.set_ylabel("accuracy on the unlabelled rest")
    ax.set_title("Learning from a few labels")
    if zoom is None:
        ax.legend(title="method (band: ± 1 sd)", loc="lower right")
    else:
        # the legend goes outside, the inset where the curves leave room: low on the right
        ax.legend(title="method (band: ± 1 sd)", loc="center left", bbox_to_anchor=(1.02, 0.5))
        inset = ax.inset_axes((0.38, 0.1, 0.58, 0.42))
        _draw_few_label_lines(inset, table, label=False)
        inset.set_ylim(*zoom)
        inset.set_title("zoom", fontsize="small")
        inset.tick_params(labelsize="x-small")
        inset.grid(alpha=0.3)
    return ax


def _draw_few_label_lines(ax: Axes, table: pd.DataFrame, label: bool) -> None:
    for method, group in table.groupby("method", sort=False):
        share, accuracy, spread = group["labelled share"], group["accuracy"], group["accuracy sd"]
        (line,) = ax.plot(share, accuracy, marker="o", label=str(method) if label else None)
        ax.fill_between(
            share, accuracy - spread, accuracy + spread, color=line.get_color(), alpha=0.2
        )
    ax.set_xticks(sorted(set(table["labelled share"])))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
