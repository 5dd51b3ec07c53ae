"""Cohort retention: of the customers who first bought in a month, how many buy again in each
month after."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from segmentation.rfm.table import lines_before

_AGE = "periods since first purchase"


def cohort_retention(log: Any, period: str = "M", as_of: Any = None) -> pd.DataFrame:
    """The retention table: one row per cohort, one column per period since the first.

    A customer's cohort is the period (by default the calendar month) of their first
    purchase. Cell (cohort, j) is the share of the cohort's customers who bought in the
    j-th period after their first: column 0 is always 1.0, since everyone bought in their
    first period. A cell the log cannot see yet (past the last period before ``as_of``)
    is NaN, not 0: those customers have not had the chance to come back.

    Returns
    -------
    DataFrame
        Index ``cohort`` (periods as strings, e.g. ``"2024-01"``), columns 0, 1, 2, ...
        named ``periods since first purchase``, values shares between 0 and 1 (4 decimals).
    """
    lines = lines_before(log, as_of)
    dates = pd.DatetimeIndex(lines.purchases["InvoiceDate"])
    ordinal = dates.to_period(period).asi8
    frame = pd.DataFrame({"code": lines.codes, "p": ordinal}).drop_duplicates()
    first = frame.groupby("code")["p"].transform("min")
    frame["age"] = frame["p"] - first
    frame["cohort"] = first
    last = int(ordinal.max())
    counts = frame.groupby(["cohort", "age"]).size().unstack(fill_value=0)
    # a period in which no cohort bought must still have its column (of zeros)
    ages = range(last - int(counts.index.min()) + 1)
    counts = counts.reindex(columns=ages, fill_value=0)
    shares = counts.div(counts[0], axis=0)
    seen = (last - counts.index.to_numpy())[:, None] >= counts.columns.to_numpy()[None, :]
    shares = shares.where(seen).round(4)
    shares.index = pd.PeriodIndex.from_ordinals(shares.index, freq=period).astype(str)
    shares.index.name = "cohort"
    shares.columns = pd.Index(np.asarray(shares.columns, dtype=int), name=_AGE)
    return shares
