"""Pictures of the lifetime-value models for notebook 8: predicted against actual purchases in
a holdout period, and the probability that a customer is still active."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from segmentation.clv.bgnbd import BGNBD
from segmentation.viz.plots import CLUSTER_COLOURS, _axes

#: The series of :func:`plot_holdout_purchases`: column, legend label, line style.
_HOLDOUT_LINES = (
    ("actual", "actual", "-"),
    ("predicted", "BG/NBD prediction", "--"),
    ("naive", "same as last period", ":"),
)


def plot_holdout_purchases(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Mean purchases per customer in the holdout period, actual and forecast, by the number
    of repeat purchases in the calibration period.

    Parameters
    ----------
    table : DataFrame
        The result of :func:`~segmentation.clv.value.holdout_by_frequency` (its last row
        holds the customers with that many calibration purchases or more).
    ax : Axes, optional
        Where to draw; a new figure when None.
    """
    ax = _axes(ax, figsize=(6.5, 4))
    positions = np.arange(len(table))
    for j, (column, label, style) in enumerate(_HOLDOUT_LINES):
        ax.plot(
            positions,
            table[column].to_numpy(),
            style,
            marker="o",
            color=CLUSTER_COLOURS[j],
            label=label,
        )
    labels = [str(x) for x in table.index]
    labels[-1] += "+"
    ax.set_xticks(positions, labels)
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("mean purchases in the holdout period")
    ax.set_title("Holdout purchases: actual and forecast")
    ax.legend()
    return ax


def plot_probability_alive(
    model: BGNBD,
    T: float,
    x_values: Sequence[int] = (1, 3, 6, 10),
    ax: Axes | None = None,
    unit: str = "weeks",
) -> Axes:
    """P(still active) of customers observed for ``T`` periods, against the time of their last
    purchase t_x, one line per number of repeat purchases x.

    ``unit`` names the period of t_x and T on the x-axis: weeks, as
    :func:`~segmentation.clv.summary.customer_summary` counts them, unless the model was
    fitted on another unit. Both are counted from the customer's first purchase.

    The picture to read: the longer a customer has been silent (t_x far from T), the less
    likely they are active, and the faster so for customers who used to buy often.
    """
    ax = _axes(ax, figsize=(6.5, 4))
    t_x = np.linspace(0.0, T, 101)
    for j, x in enumerate(x_values):
        alive = model.probability_alive(x, t_x, T)
        ax.plot(t_x, alive, color=CLUSTER_COLOURS[j % len(CLUSTER_COLOURS)], label=f"x = {x}")
    ax.set_xlim(0, T)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"last purchase t_x, {unit} after the first (observed for T = {T:g} {unit})")
    ax.set_ylabel("P(still active)")
    ax.set_title("Probability that a customer is still active")
    ax.legend(title="repeat purchases")
    return ax
