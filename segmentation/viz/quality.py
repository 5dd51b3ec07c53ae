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
    mechanism (MCAR, MNAR), on a shared y axis."""
    mechanisms = list(dict.fromkeys(table["mechanism"]))
    if fig is None:
        fig = plt.figure(figsize=(4.0 * len(mechanisms), 3.6))
    axes = fig.subplots(1, len(mechanisms), sharey=True, squeeze=False)[0]
    for ax, mechanism in zip(axes, mechanisms, strict=True):
        rows = table[table["mechanism"] == mechanism]
        for imputer, group in rows.groupby("imputer", sort=False):
            ax.plot(group["share hidden"], group[measure], marker="o", label=str(imputer))
        ax.set_title(f"{mechanism}")
        ax.set_xlabel("share of values hidden")
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        if measure == "moved":
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes[0].set_ylabel("customers who changed segment" if measure == "moved" else measure)
    axes[-1].legend(title="imputer")
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


def plot_few_label_curve(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """The table of ``few_label_curve``: accuracy on the unlabelled customers against the
    labelled share, one line per method, each with a band of one standard deviation."""
    ax = _axes(ax)
    for method, group in table.groupby("method", sort=False):
        share, accuracy, spread = group["labelled share"], group["accuracy"], group["accuracy sd"]
        (line,) = ax.plot(share, accuracy, marker="o", label=str(method))
        ax.fill_between(
            share, accuracy - spread, accuracy + spread, color=line.get_color(), alpha=0.2
        )
    ax.set_xlabel("share of customers labelled")
    ax.set_ylabel("accuracy on the unlabelled rest")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title("Learning from a few labels")
    ax.legend(title="method (band: ± 1 sd)")
    return ax
