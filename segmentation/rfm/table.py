"""The RFM table: recency, frequency and monetary value of each customer, as of a date.

Everything here starts from a cleaned log (``clean_transactions(log)``, or any object with
its ``purchases`` and ``cancellations`` frames) and a reference date ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from segmentation.rfm.numbering import number_lines
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
        """Whole calendar days from each date to ``as_of``, counted in days: nanoseconds
        between dates centuries apart would overflow 64 bits."""
        day = np.datetime64(self.as_of.normalize().date(), "D")
        days = day - np.asarray(dates, dtype="datetime64[ns]").astype("datetime64[D]")
        return np.asarray(days, dtype=np.int64)


def default_as_of(
    purchases: pd.DataFrame, cancellations: pd.DataFrame | None = None
) -> pd.Timestamp:
    """The day after the last line of the log, purchase or cancellation, at midnight: every
    line counts (a cancellation the day after the last purchase too), and a customer who
    bought on the last day has a recency of 1 day."""
    if purchases.empty:
        raise ValueError("The log has no purchases: there is no customer to describe.")
    last = pd.Timestamp(purchases[DATE].max())
    if cancellations is not None and not cancellations.empty:
        last = max(last, pd.Timestamp(cancellations[DATE].max()))
    if last.normalize() >= _LATEST_AS_OF - pd.Timedelta(days=1):
        raise ValueError(
            f"The last line of the log is dated {last:%Y-%m-%d}: the day after it is beyond "
            f"the dates pandas can hold ({_LATEST_AS_OF:%Y-%m-%d}). Check the year of the "
            "last lines, or give an earlier as_of."
        )
    return last.normalize() + pd.Timedelta(days=1)


#: The last midnight a pandas timestamp holds (2262-04-11): a later as_of cannot be had.
_LATEST_AS_OF = pd.Timestamp.max.normalize()


def _as_of(as_of: Any) -> pd.Timestamp:
    """``as_of`` as a timestamp, or a ValueError saying which dates can be used."""
    try:
        when = pd.Timestamp(as_of)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(
            f"as_of={as_of!r} is not a date pandas can hold: give a date from "
            f"{pd.Timestamp.min:%Y-%m-%d} to {_LATEST_AS_OF:%Y-%m-%d}, such as 2026-01-01."
        ) from exc
    if pd.isna(when):
        raise ValueError("as_of is missing: give a date such as 2026-01-01, or leave it out.")
    return when


def _before(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    keep = (frame[DATE] < as_of).to_numpy()
    # copying millions of rows costs more than the test: copy only when some line goes
    return frame if keep.all() else frame[keep]


def lines_before(log: Any, as_of: Any = None) -> Lines:
    """The lines of ``log`` (a CleanLog) dated before ``as_of`` (default:
    :func:`default_as_of`), with each line's customer numbered."""
    purchases, cancellations = log.purchases, log.cancellations
    as_of = default_as_of(purchases, cancellations) if as_of is None else _as_of(as_of)
    # Lines on or after as_of are in the future of the reference date: an RFM table taken
    # at an earlier date must not see them.
    purchases = _before(purchases, as_of)
    cancellations = _before(cancellations, as_of)
    if purchases.empty:
        raise ValueError(f"No purchase is dated before as_of={as_of.date()}: pick a later date.")
    codes, customers, cancel_codes = number_lines(purchases[CUSTOMER], cancellations[CUSTOMER])
    return Lines(purchases, cancellations, as_of, customers, codes, cancel_codes)


def first_and_last(lines: Lines) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's first and last purchase time (datetime64 arrays)."""
    stamps = lines.purchases[DATE].to_numpy().astype("datetime64[ns]").view(np.int64)
    # NumPy's unbuffered minimum and maximum per code: many times quicker than a groupby.
    # Every customer has a purchase line, so every start value is replaced.
    first = np.full(len(lines.customers), np.iinfo(np.int64).max)
    np.minimum.at(first, lines.codes, stamps)
    last = np.full(len(lines.customers), np.iinfo(np.int64).min)
    np.maximum.at(last, lines.codes, stamps)
    return first.view("datetime64[ns]"), last.view("datetime64[ns]")


def invoice_counts(lines: Lines) -> np.ndarray:
    """Distinct purchase invoices per customer."""
    runs = _invoice_runs(lines.purchases[INVOICE].to_numpy(), lines.codes)
    if runs is not None:  # each run is an invoice of its own
        return np.bincount(lines.codes[runs], minlength=len(lines.customers))
    invoices, uniques = pd.factorize(lines.purchases[INVOICE].to_numpy())
    owner = np.full(len(uniques) + 1, -1, dtype=np.int64)  # the last place: no invoice (NaN)
    owner[invoices] = lines.codes
    if len(invoices) and (invoices >= 0).all() and (owner[invoices] == lines.codes).all():
        # every invoice is one customer's (as in any real log): count invoices per owner
        return np.bincount(owner[:-1], minlength=len(lines.customers))
    # one integer per (customer, invoice) pair: hashing integers is much faster than pairs
    pairs = pd.unique(lines.codes.astype(np.int64) * max(len(uniques), 1) + invoices)
    return np.bincount(pairs // max(len(uniques), 1), minlength=len(lines.customers))


_PACKED = 8  # texts of at most this many ASCII characters fit in 64 bits


def _packed(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Each text as a 64-bit integer, and its length, when every text is ASCII, at most
    ``_PACKED`` characters and free of NUL; else None. Different texts give different
    integers, which order as the texts do (big-endian bytes, then NUL bytes)."""
    try:
        lengths = np.fromiter(map(len, texts), np.int64, len(texts))
        if len(texts) == 0 or lengths.max() > _PACKED:
            return None
        packed = np.asarray(texts, dtype=object).astype(f"S{_PACKED}")
    except (TypeError, UnicodeEncodeError):  # a missing value, or not ASCII
        return None
    if not (np.char.str_len(packed) == lengths).all():  # a NUL character, which packing drops
        return None
    return packed.view(f">u{_PACKED}").astype(np.uint64), lengths


def _invoice_runs(invoices: np.ndarray, codes: np.ndarray) -> np.ndarray | None:
    """The first line of each run of lines of one invoice and one customer, when every run
    is a different invoice: proved by the runs' invoice numbers rising strictly (by length,
    then as text; or as numbers), as in a log written in invoice order. Else None (the
    invoices are then hashed)."""
    if invoices.dtype.kind in "iu":  # numbers (as the rfm command reads them): one length
        keys, lengths = invoices, np.zeros(len(invoices), dtype=np.int64)
    else:
        packed = _packed(invoices)
        if packed is None:
            return None
        keys, lengths = packed
    start = np.ones(len(keys), dtype=bool)
    start[1:] = (keys[1:] != keys[:-1]) | (codes[1:] != codes[:-1])
    key, length = keys[start], lengths[start]
    rising = (length[1:] > length[:-1]) | ((length[1:] == length[:-1]) & (key[1:] > key[:-1]))
    return np.flatnonzero(start) if rising.all() else None


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
        taken at an earlier date. Default: the day after the last line of the log,
        purchase or cancellation (see :func:`default_as_of`).

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
