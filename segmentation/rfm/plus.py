"""RFM+X: the RFM table plus what else the log says about each customer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.rfm.table import Lines, first_and_last, invoice_counts, lines_before
from segmentation.transactions.layout import AMOUNT, CATEGORY

#: The behaviour columns :func:`rfm_plus` adds after recency, frequency and monetary.
PLUS_COLUMNS: tuple[str, ...] = (
    "breadth",
    "tenure",
    "average_basket",
    "cancellation_rate",
    "interval",
)


def category_totals(lines: Lines) -> tuple[np.ndarray, np.ndarray]:
    """Per customer and category (columns in ``SPENDING_COLUMNS`` order): the net amount
    (purchases plus cancellations), and the number of purchase lines. Lines of an unknown
    category count in neither."""
    k = len(SPENDING_COLUMNS)
    size = len(lines.customers) * k
    totals, bought = np.zeros(size), np.zeros(size)
    for frame, codes in (
        (lines.purchases, lines.codes),
        (lines.cancellations, lines.cancel_codes),
    ):
        place = pd.Categorical(frame[CATEGORY], categories=list(SPENDING_COLUMNS)).codes
        keep = (codes >= 0) & (place >= 0)
        # one number per (customer, category) cell, so one bincount sums them all
        cell = codes[keep].astype(np.int64) * k + place[keep]
        amounts = frame[AMOUNT].to_numpy(dtype=float)[keep]
        totals += np.bincount(cell, weights=amounts, minlength=size)
        if frame is lines.purchases:
            bought = np.bincount(cell, minlength=size).astype(float)
    return totals.reshape(-1, k), bought.reshape(-1, k)


def category_mix(totals: np.ndarray, customers: pd.Index) -> pd.DataFrame:
    """Each customer's share of net spending per category (columns ``SPENDING_COLUMNS``),
    from the net amounts of :func:`category_totals`.

    Lines whose category is unknown (a stock code the catalogue does not know, as in a
    real log) go to no column, so a row sums to 1 over the known categories, or is all 0
    for a customer with no known category. A category whose cancellations outweigh its
    purchases counts as 0 spending. The result has no NaN.
    """
    return pd.DataFrame(mix_shares(totals), index=customers, columns=list(SPENDING_COLUMNS))


def mix_shares(totals: np.ndarray) -> np.ndarray:
    """The shares of :func:`category_mix`, as an array (one row per customer)."""
    totals = np.clip(np.round(totals, 2), 0.0, None)
    row = totals.sum(axis=1, keepdims=True)
    shares = np.divide(totals, row, out=np.zeros_like(totals), where=row > 0)
    return np.round(shares, 4) + 0.0


def rfm_plus(log: Any, as_of: Any = None) -> pd.DataFrame:
    """The RFM table (see :func:`~segmentation.rfm.table.rfm_table`) plus behaviour, as of
    ``as_of``.

    Added columns:

    - ``breadth``: distinct categories bought (of the six; unknown categories do not count).
    - ``tenure``: whole calendar days from the first purchase to ``as_of``.
    - ``average_basket``: net spending per purchase invoice (monetary / frequency), cents.
    - ``cancellation_rate``: the share of the **value** bought that was cancelled:
      cancelled amount / purchased amount (0 with no cancellations). Value, not invoices,
      because one cancelled crate of ham matters more than one cancelled napkin. It is
      above 1 (and ``monetary`` below 0) for a customer who cancelled more than they
      bought before ``as_of``: cancellations of purchases made before the log began. Such
      values are kept, not clamped: they are what the log says, and worth a look.
    - ``interval``: the mean days between purchases, (last - first purchase day) /
      (frequency - 1); NaN for a customer with one invoice (no repeat yet).
    - the category mix: one column per ``SPENDING_COLUMNS`` name (see :func:`category_mix`).

    No column holds -0.0.
    """
    lines = lines_before(log, as_of)
    first, last = first_and_last(lines)
    frequency = invoice_counts(lines)
    monetary = lines.net_spending()
    bought = lines.per_customer(lines.purchases[AMOUNT])
    # 0.0 minus, not a unary minus: nothing cancelled is 0.0, not -0.0
    cancelled = 0.0 - lines.per_customer(lines.cancellations[AMOUNT], cancellations=True)
    tenure = lines.days_before_as_of(first)
    recency = lines.days_before_as_of(last)
    repeats = np.where(frequency > 1, frequency - 1, np.nan)
    totals, lines_bought = category_totals(lines)
    table = pd.DataFrame(
        {
            "recency": recency,
            "frequency": frequency,
            "monetary": monetary,
            "breadth": (lines_bought > 0).sum(axis=1),
            "tenure": tenure,
            # + 0.0 after rounding: a tiny negative rounds to -0.0, written "-0.0" in a CSV
            "average_basket": np.round(monetary / frequency, 2) + 0.0,
            "cancellation_rate": np.round(
                np.divide(cancelled, bought, out=np.zeros_like(bought), where=bought > 0), 4
            )
            + 0.0,
            "interval": np.round((tenure - recency) / repeats, 1),
            # the category mix (see category_mix), in the same table: no join on the ids
            **dict(zip(SPENDING_COLUMNS, mix_shares(totals).T, strict=True)),
        },
        index=lines.customers,
    )
    return table
