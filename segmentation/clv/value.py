"""Customer lifetime value from the fitted models, and how the BG/NBD predictions compare with
what customers actually did in a holdout period.

Predicted value over a horizon of H periods (weeks when the summary is in weeks):

    value = sum over k = 1..H of  (E[Y(k)] - E[Y(k-1)]) / (1 + d)^(k / periods_per_year)
            x  E[value of a purchase]

where E[Y(k)] is the BG/NBD expected number of purchases in the next k periods given the
customer's history, d the yearly discount rate (the purchases expected in period k are valued
as if paid at its end), and the value of a purchase is the gamma-gamma expected average value.
It is revenue, not profit: multiply by a margin if one is known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.clv._fitting import summary_columns
from segmentation.clv.bgnbd import BGNBD
from segmentation.clv.gammagamma import GammaGamma
from segmentation.clv.summary import CLVDataError


def discounted_purchases(
    bgnbd: BGNBD,
    summary: pd.DataFrame,
    horizon: int,
    discount_rate: float = 0.1,
    periods_per_year: float = 52.0,
) -> pd.Series:
    """Each customer's expected purchases in the next ``horizon`` periods, each period's
    purchases discounted to today at the yearly ``discount_rate``."""
    if int(horizon) != horizon or horizon < 1:
        raise CLVDataError(f"horizon {horizon!r} must be a whole number of periods, 1 or more.")
    if not 0 <= discount_rate < 1:
        raise CLVDataError(
            f"discount_rate {discount_rate!r} must be a yearly rate in [0, 1), e.g. 0.1 for 10%."
        )
    x, t_x, T = summary_columns(summary, ("x", "t_x", "T"), ())
    steps = np.arange(int(horizon) + 1, dtype=float)
    cumulative = bgnbd.conditional_expected_purchases(
        steps[None, :], x[:, None], t_x[:, None], T[:, None]
    )
    per_period = np.diff(cumulative, axis=1)
    factors = (1.0 + discount_rate) ** (-steps[1:] / periods_per_year)
    discounted = (per_period * factors).sum(axis=1)
    return pd.Series(discounted, index=summary.index, name="discounted_purchases")


def predicted_value(
    bgnbd: BGNBD,
    gammagamma: GammaGamma,
    summary: pd.DataFrame,
    horizon: int = 52,
    discount_rate: float = 0.1,
    periods_per_year: float = 52.0,
) -> pd.DataFrame:
    """Each customer's predicted value over the next ``horizon`` periods (see the module).

    Returns
    -------
    DataFrame
        Indexed as ``summary``: ``discounted_purchases``, ``expected_average_value`` and
        ``predicted_value`` (their product), in the amount's units.
    """
    purchases = discounted_purchases(bgnbd, summary, horizon, discount_rate, periods_per_year)
    average = gammagamma.predict(summary)
    return pd.DataFrame(
        {
            "discounted_purchases": purchases,
            "expected_average_value": average,
            "predicted_value": purchases * average,
        }
    )


def holdout_by_frequency(bgnbd: BGNBD, frame: pd.DataFrame, max_x: int = 7) -> pd.DataFrame:
    """Mean actual and predicted holdout purchases, by number of calibration repeat purchases.

    Parameters
    ----------
    bgnbd : BGNBD
        Fitted on the calibration columns of ``frame``.
    frame : DataFrame
        The result of :func:`~segmentation.clv.summary.calibration_holdout`.
    max_x : int
        Customers with ``max_x`` or more calibration purchases share the last row.

    Returns
    -------
    DataFrame
        Indexed by ``x`` (0 .. max_x, the last meaning "max_x or more"): ``customers``,
        ``actual``, ``predicted`` (BG/NBD) and ``naive`` (same as the last period).
    """
    predicted = bgnbd.conditional_expected_purchases(
        frame["T_holdout"], frame["x"], frame["t_x"], frame["T"]
    )
    table = pd.DataFrame(
        {
            "x": np.minimum(frame["x"].to_numpy(), max_x),
            "actual": frame["x_holdout"].to_numpy(),
            "predicted": predicted,
            "naive": frame["x_previous"].to_numpy(),
        }
    )
    grouped = table.groupby("x")
    result = grouped[["actual", "predicted", "naive"]].mean()
    result.insert(0, "customers", grouped.size())
    return result


def holdout_errors(bgnbd: BGNBD, frame: pd.DataFrame) -> pd.DataFrame:
    """Per-customer error of the BG/NBD forecast of holdout purchases, next to the naive
    "same number as in the last period as long" forecast.

    Returns
    -------
    DataFrame
        Rows ``BG/NBD`` and ``naive``; columns ``MAE`` (mean absolute error per customer),
        ``RMSE``, and ``total`` (predicted total purchases; compare with the actual total in
        the row ``actual``).
    """
    actual = frame["x_holdout"].to_numpy(dtype=float)
    forecasts = {
        "BG/NBD": bgnbd.conditional_expected_purchases(
            frame["T_holdout"], frame["x"], frame["t_x"], frame["T"]
        ),
        "naive": frame["x_previous"].to_numpy(dtype=float),
        "actual": actual,
    }
    rows = {
        name: {
            "MAE": float(np.mean(np.abs(values - actual))),
            "RMSE": float(np.sqrt(np.mean((values - actual) ** 2))),
            "total": float(np.sum(values)),
        }
        for name, values in forecasts.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")
