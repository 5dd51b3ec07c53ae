"""Per-customer summaries of a purchases frame for the BG/NBD and gamma-gamma models.

A customer's history is cut down to the four numbers the models need:

- ``x``: the number of REPEAT purchase occasions (after the first one);
- ``t_x``: when the last purchase occasion happened, counted from the first;
- ``T``: how long the customer has been observed, from the first purchase to the end;
- ``monetary_value``: the mean amount of the repeat occasions (0 when ``x`` is 0).

A purchase occasion is a calendar DAY with at least one purchase, not an invoice: the BG/NBD
model counts purchases in time periods (Fader, Hardie & Lee 2005 count CDNOW's purchases per
day), and a customer who splits one shopping trip into two invoices has not bought twice.
The day's invoices are added up into the occasion's amount. Times are in weeks by default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.transactions.layout import AMOUNT

CUSTOMER = "Customer ID"
DATE = "InvoiceDate"

#: The columns of :func:`customer_summary`.
SUMMARY_COLUMNS: tuple[str, ...] = ("x", "t_x", "T", "monetary_value")

#: How many days each time unit holds.
_DAYS_PER_UNIT = {"D": 1.0, "W": 7.0}


class CLVDataError(ValueError):
    """The data cannot be used for a lifetime-value model; the message says why and what to do."""


class CLVFitError(RuntimeError):
    """A lifetime-value model could not be fitted; the message says what to do."""


def _days_per_unit(time_unit: str) -> float:
    if time_unit not in _DAYS_PER_UNIT:
        raise CLVDataError(f"time_unit {time_unit!r} is not known: use 'W' (weeks) or 'D' (days).")
    return _DAYS_PER_UNIT[time_unit]


def _occasions(purchases: pd.DataFrame, end: pd.Timestamp, start=None) -> pd.DataFrame:
    """One row per customer and purchase day in (start, end]: its total amount."""
    missing = [c for c in (CUSTOMER, DATE, AMOUNT) if c not in purchases.columns]
    if missing:
        raise CLVDataError(
            f"the purchases frame has no column {missing[0]!r}: pass the `purchases` frame "
            "of clean_transactions (columns Customer ID, Invoice, InvoiceDate, Amount)."
        )
    day = pd.to_datetime(purchases[DATE]).dt.normalize()
    keep = (day <= end) & purchases[CUSTOMER].notna()
    if start is not None:
        keep &= day > start
    frame = pd.DataFrame({CUSTOMER: purchases.loc[keep, CUSTOMER].astype(str), "day": day[keep]})
    frame[AMOUNT] = purchases.loc[keep, AMOUNT].astype(float)
    return frame.groupby([CUSTOMER, "day"], sort=True)[AMOUNT].sum().reset_index()


def _as_day(moment, name: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(moment).normalize()
    except (TypeError, ValueError) as error:
        raise CLVDataError(
            f"{name} {moment!r} is not a date: pass a date such as '2011-12-09'."
        ) from error


def customer_summary(
    purchases: pd.DataFrame, observation_end, time_unit: str = "W"
) -> pd.DataFrame:
    """The BG/NBD and gamma-gamma summary of each customer, from purchases up to a date.

    Parameters
    ----------
    purchases : DataFrame
        Sale lines with columns ``Customer ID``, ``InvoiceDate`` and ``Amount`` (the
        ``purchases`` of :func:`~segmentation.transactions.cleaning.clean_transactions`).
        Lines after ``observation_end`` are ignored.
    observation_end : date-like
        The last day observed (included).
    time_unit : {"W", "D"}
        Weeks (default) or days.

    Returns
    -------
    DataFrame
        Indexed by Customer ID (str, sorted), columns ``x`` (int), ``t_x``, ``T``,
        ``monetary_value`` (the mean amount of the repeat purchase days; 0 when x is 0).
        The names are the literature's; write ``summary["T"]``, since ``summary.T`` is
        pandas' transpose of the whole table.

    Example
    -------
    >>> log = pd.DataFrame({"Customer ID": ["1", "1", "1"], "Amount": [10.0, 5.0, 7.0],
    ...     "InvoiceDate": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-08"])})
    >>> customer_summary(log, "2024-01-15").round(2).to_dict("records")
    [{'x': 1, 't_x': 1.0, 'T': 2.0, 'monetary_value': 12.0}]
    """
    unit = _days_per_unit(time_unit)
    end = _as_day(observation_end, "observation_end")
    days = _occasions(purchases, end)
    if days.empty:
        raise CLVDataError(
            f"no purchase on or before {end.date()}: choose a later observation_end."
        )
    by_customer = days.groupby(CUSTOMER, sort=True)
    first = by_customer["day"].transform("min")
    is_repeat = days["day"] > first
    summary = pd.DataFrame(
        {
            "x": by_customer.size() - 1,
            "t_x": (by_customer["day"].max() - by_customer["day"].min()).dt.days / unit,
            "T": (end - by_customer["day"].min()).dt.days / unit,
            "monetary_value": days[is_repeat].groupby(CUSTOMER)[AMOUNT].mean(),
        }
    )
    summary["monetary_value"] = summary["monetary_value"].fillna(0.0)
    summary["x"] = summary["x"].astype(np.int64)
    summary.index.name = CUSTOMER
    return summary[list(SUMMARY_COLUMNS)]


def calibration_holdout(
    purchases: pd.DataFrame, calibration_end, observation_end, time_unit: str = "W"
) -> pd.DataFrame:
    """The calibration summary of each customer, plus what they did in the holdout period.

    Parameters
    ----------
    purchases : DataFrame
        As for :func:`customer_summary`.
    calibration_end : date-like
        The last day of the calibration period (included); the models are fitted on it.
    observation_end : date-like
        The last day of the holdout period (included); must be after ``calibration_end``.
    time_unit : {"W", "D"}
        Weeks (default) or days.

    Returns
    -------
    DataFrame
        The columns of :func:`customer_summary` over the calibration period (only customers
        who bought in it), plus ``x_holdout`` (purchase days in the holdout period, the
        actual number to predict), ``T_holdout`` (the holdout's length, the same for all) and
        ``x_previous`` (purchase days in the last stretch of the calibration period as long as
        the holdout: the naive "same as last period" forecast).
    """
    unit = _days_per_unit(time_unit)
    cal_end = _as_day(calibration_end, "calibration_end")
    obs_end = _as_day(observation_end, "observation_end")
    if obs_end <= cal_end:
        raise CLVDataError(
            f"observation_end {obs_end.date()} is not after calibration_end "
            f"{cal_end.date()}: the holdout period must have at least one day."
        )
    summary = customer_summary(purchases, cal_end, time_unit)
    length = obs_end - cal_end
    holdout = _occasions(purchases, obs_end, start=cal_end).groupby(CUSTOMER).size()
    previous = _occasions(purchases, cal_end, start=cal_end - length).groupby(CUSTOMER).size()
    summary["x_holdout"] = holdout.reindex(summary.index, fill_value=0).astype(np.int64)
    summary["T_holdout"] = length.days / unit
    summary["x_previous"] = previous.reindex(summary.index, fill_value=0).astype(np.int64)
    return summary


def historic_value(
    purchases: pd.DataFrame, cancellations: pd.DataFrame | None = None, as_of=None
) -> pd.Series:
    """Each customer's net spending to date: purchases minus what they cancelled.

    Parameters
    ----------
    purchases, cancellations : DataFrame
        The frames of a CleanLog (cancellation amounts are negative). ``cancellations`` may be
        None (no cancellations known).
    as_of : date-like, optional
        Count only lines on or before this day (default: all).

    Returns
    -------
    Series
        ``historic_value`` per Customer ID (str, sorted), of customers with a purchase.
    """
    end = pd.Timestamp.max if as_of is None else _as_day(as_of, "as_of")
    bought = _occasions(purchases, end).groupby(CUSTOMER)[AMOUNT].sum()
    if cancellations is not None and len(cancellations):
        cancelled = _occasions(cancellations, end).groupby(CUSTOMER)[AMOUNT].sum()
        bought = bought.add(cancelled.reindex(bought.index, fill_value=0.0))
    return bought.sort_index().rename("historic_value")
