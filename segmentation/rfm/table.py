"""The RFM table: recency, frequency and monetary value of each customer, as of a date.

Everything here starts from a cleaned log (``clean_transactions(log)``, or any object with
its ``purchases`` and ``cancellations`` frames) and a reference date ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from segmentation.transactions.layout import AMOUNT

CUSTOMER = "Customer ID"
INVOICE = "Invoice"
DATE = "InvoiceDate"

#: The columns of :func:`rfm_table`, in order.
RFM_COLUMNS: tuple[str, ...] = ("recency", "frequency", "monetary")


@dataclass(frozen=True)
class Lines:
    """The purchase and cancellation lines before ``as_of``, and the customers they give.

    ``codes`` numbers each purchase line's customer by its place in ``customers`` (sorted
    Customer IDs); ``cancel_codes`` does the same for the cancellations (-1: a customer with
    no purchase before ``as_of``, who has no row in an RFM table).
    """

    purchases: pd.DataFrame
    cancellations: pd.DataFrame
    as_of: pd.Timestamp
    customers: pd.Index
    codes: np.ndarray
    cancel_codes: np.ndarray

    def per_customer(self, values: Any, cancellations: bool = False) -> np.ndarray:
        """The sum of ``values`` over each customer's lines (purchases, or cancellations)."""
        codes = self.cancel_codes if cancellations else self.codes
        keep = codes >= 0
        weights = np.asarray(values, dtype=float)[keep]
        return np.bincount(codes[keep], weights=weights, minlength=len(self.customers))

    def by_customer(self, values: Any) -> Any:
        """``values`` (one per purchase line) grouped by customer, every customer a group.

        The grouper is a categorical made from the codes, so pandas does not hash the
        customers a second time.
        """
        grouper = pd.Categorical.from_codes(self.codes, categories=range(len(self.customers)))
        return pd.Series(np.asarray(values)).groupby(grouper, observed=False)

    def net_spending(self) -> np.ndarray:
        """Purchases minus cancellations per customer, rounded to cents."""
        spent = self.per_customer(self.purchases[AMOUNT])
        refunded = self.per_customer(self.cancellations[AMOUNT], cancellations=True)
        return np.round(spent + refunded, 2) + 0.0

    def days_before_as_of(self, dates: np.ndarray) -> np.ndarray:
        """Whole calendar days from each date to ``as_of``."""
        days = (self.as_of.normalize() - pd.DatetimeIndex(dates).normalize()).days
        return np.asarray(days, dtype=np.int64)


def default_as_of(purchases: pd.DataFrame) -> pd.Timestamp:
    """The day after the last purchase of the log, at midnight: every purchase counts, and the
    most recent customer has a recency of 1 day."""
    if purchases.empty:
        raise ValueError("The log has no purchases: there is no customer to describe.")
    return pd.Timestamp(purchases[DATE].max()).normalize() + pd.Timedelta(days=1)


def _before(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    keep = (frame[DATE] < as_of).to_numpy()
    # copying millions of rows costs more than the test: copy only when some line goes
    return frame if keep.all() else frame[keep]


def lines_before(log: Any, as_of: Any = None) -> Lines:
    """The lines of ``log`` (a CleanLog) dated before ``as_of`` (default:
    :func:`default_as_of`), with each line's customer numbered."""
    purchases, cancellations = log.purchases, log.cancellations
    as_of = default_as_of(purchases) if as_of is None else pd.Timestamp(as_of)
    # Lines on or after as_of are in the future of the reference date: an RFM table taken
    # at an earlier date must not see them.
    purchases = _before(purchases, as_of)
    cancellations = _before(cancellations, as_of)
    if purchases.empty:
        raise ValueError(f"No purchase is dated before as_of={as_of.date()}: pick a later date.")
    codes, customers = sorted_codes(purchases[CUSTOMER].astype(str).to_numpy())
    cancel_codes = customers.get_indexer(cancellations[CUSTOMER].astype(str))
    return Lines(purchases, cancellations, as_of, customers, codes, cancel_codes)


def sorted_codes(ids: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Number ``ids`` by their place among the sorted distinct ids (hashing first and sorting
    only the distinct ids is faster than ``pd.factorize(sort=True)`` on millions of rows)."""
    codes, uniques = pd.factorize(ids)
    order = np.argsort(uniques, kind="stable")
    place = np.empty_like(order)
    place[order] = np.arange(len(order))
    return place[codes], pd.Index(uniques[order], name=CUSTOMER)


def first_and_last(lines: Lines) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's first and last purchase time (datetime64 arrays)."""
    stamps = lines.purchases[DATE].to_numpy().astype("datetime64[ns]").view(np.int64)
    grouped = lines.by_customer(stamps)
    first = grouped.min().to_numpy().view("datetime64[ns]")
    last = grouped.max().to_numpy().view("datetime64[ns]")
    return first, last


def invoice_counts(lines: Lines) -> np.ndarray:
    """Distinct purchase invoices per customer."""
    invoices, uniques = pd.factorize(lines.purchases[INVOICE].to_numpy())
    # one integer per (customer, invoice) pair: hashing integers is much faster than pairs
    pairs = pd.unique(lines.codes.astype(np.int64) * max(len(uniques), 1) + invoices)
    return np.bincount(pairs // max(len(uniques), 1), minlength=len(lines.customers))


def rfm_table(log: Any, as_of: Any = None) -> pd.DataFrame:
    """One row per customer (index ``Customer ID``, sorted): ``recency``, ``frequency`` and
    ``monetary`` as of ``as_of``.

    Parameters
    ----------
    log : CleanLog
        A cleaned log, or any object with ``purchases`` and ``cancellations`` frames in the
        layout of :func:`~segmentation.transactions.cleaning.clean_transactions`.
    as_of : date-like, optional
        The reference date. Lines dated on or after it are ignored, so the table can be
        taken at an earlier date. Default: the day after the last purchase of the log.

    Returns
    -------
    DataFrame
        ``recency``: whole calendar days from the customer's last purchase to ``as_of``
        (1 = bought the day before). ``frequency``: distinct purchase invoices.
        ``monetary``: net spending, purchases plus cancellations (which are negative),
        rounded to cents.

    Notes
    -----
    A customer is anyone with a purchase before ``as_of``. A customer whose cancellations
    cancel all their purchases has ``monetary`` 0 or below: they are **kept**. They did
    buy, and when; dropping them would make the customer counts disagree with the cleaning
    summary, and they are exactly the customers a shop wants to see. Their M score is the
    lowest (ranking puts them at the bottom), and :func:`~segmentation.rfm.compare.rfm_kmeans`
    counts their spending as 0 before taking logs.
    """
    lines = lines_before(log, as_of)
    _, last = first_and_last(lines)
    table = pd.DataFrame(
        {
            "recency": lines.days_before_as_of(last),
            "frequency": invoice_counts(lines),
            "monetary": lines.net_spending(),
        },
        index=lines.customers,
    )
    return table
