"""Clean a raw transaction log before RFM: keep the sale lines, keep the cancellations aside,
and count every other line set aside, by rule.

The rules apply in this order, each to the lines the ones before it left, so that every
line of the log is counted exactly once:

1. exact duplicate rows: a line equal in every column to one before it (the first stays);
2. missing customer id: a guest's line, sale or cancellation, cannot belong to a customer;
3. cancellations: lines of invoices whose number starts with "C" (or "c": the letters of
   the prefixes are read in either case) that take units back at a price, that is with a
   quantity below 0 and a price above 0; they are kept aside, in
   :attr:`CleanLog.cancellations`, for net spending and the cancellation rate;
4. bad-debt adjustments: invoices whose number starts with "A" or "a" (the UCI file's
   "Adjust bad debt" lines, which record accounting, not sales);
5. quantity or price of the wrong sign: a sale line whose quantity or price is 0 or below (the
   UCI file's stock write-offs and free samples), and a cancellation line of the wrong
   sign (a quantity of 0 or above, or a price of 0 or below), which would add to what a
   customer spent instead of taking from it.

What is left are the purchases. Net spending of a customer is the sum of AMOUNT over their
purchases and their cancellations (whose quantities and amounts are negative).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.transactions.layout import (
    AMOUNT,
    CANCELLATION_PREFIX,
    CATEGORY,
    CATEGORY_OF_STOCK_CODE,
    TRANSACTION_COLUMNS,
)
from segmentation.transactions.read_compiled import (
    ADJUSTMENT_FLAG,
    CANCELLATION_FLAG,
    CODED_TEXTS,
    CodedLog,
)

#: An invoice number starting with this letter is a bad-debt adjustment (UCI data).
ADJUSTMENT_PREFIX = "A"

#: The rules, in the order they apply, and why each sets lines aside.
RULES: tuple[tuple[str, str], ...] = (
    ("exact duplicate rows", "the same line twice is one purchase recorded twice"),
    ("missing customer id", "a guest's line cannot be given to a customer"),
    ("cancellations", "kept aside for net spending and the cancellation rate"),
    ("bad-debt adjustments", "invoices starting with A record accounting, not sales"),
    (
        "quantity or price of the wrong sign",
        "a sale sells units at a price; a cancellation takes units back at a price",
    ),
)


@dataclass(frozen=True)
class CleanLog:
    """A cleaned log.

    ``purchases`` and ``cancellations`` have the columns of the log plus AMOUNT (Quantity x
    Price, to the cent) and CATEGORY (from the catalogue; missing when unknown), in log
    order. ``set_aside`` has one row per rule, in the order the rules apply: ``rule``,
    ``rows`` (lines it set aside) and ``why``; its cancellations row counts the
    ``cancellations`` frame. Purchases plus all set-aside rows make up the whole log.
    """

    purchases: pd.DataFrame
    cancellations: pd.DataFrame
    set_aside: pd.DataFrame


def clean_transactions(log: pd.DataFrame) -> CleanLog:
    """Split a raw log into purchases, cancellations and counted set-aside lines.

    Parameters
    ----------
    log
        A raw log with the columns of
        :data:`~segmentation.transactions.layout.TRANSACTION_COLUMNS` (as
        :func:`~segmentation.transactions.reader.read_transactions` returns it).

    Returns
    -------
    CleanLog
        See :class:`CleanLog`; the rules and their order are in this module's docstring.

    Examples
    --------
    >>> log = pd.DataFrame({
    ...     "Invoice": ["1", "1", "C2", "3"], "StockCode": ["10001"] * 4,
    ...     "Description": [""] * 4, "Quantity": [2, 2, -1, 5],
    ...     "InvoiceDate": pd.to_datetime(["2010-01-04"] * 4), "Price": [1.5] * 4,
    ...     "Customer ID": ["7", "7", "7", None], "Country": ["UK"] * 4})
    >>> clean = clean_transactions(log)
    >>> clean.set_aside["rows"].tolist()
    [1, 1, 1, 0, 0]
    >>> float(clean.purchases["Amount"].sum() + clean.cancellations["Amount"].sum())
    1.5
    """
    if tuple(log.columns) != TRANSACTION_COLUMNS:  # a copy only when there is something to drop
        log = log.loc[:, list(TRANSACTION_COLUMNS)]
    # each invoice number's first letter, cut by NumPy: no Python call per line
    first_letter = log["Invoice"].astype(str).to_numpy(dtype=object).astype("U1")
    left, cancelled, set_aside = _apply_rules(
        _exact_duplicates(log),
        log["Customer ID"].isna().to_numpy(),
        _starts_with(first_letter, CANCELLATION_PREFIX),
        _starts_with(first_letter, ADJUSTMENT_PREFIX),
        log["Quantity"].to_numpy(),
        log["Price"].to_numpy(),
    )
    return CleanLog(_with_amounts(log[left]), _with_amounts(log[cancelled]), set_aside)


def clean_coded(coded: CodedLog) -> CleanLog:
    """:func:`clean_transactions` of a log read as numbers (the ``rfm`` command's way on
    millions of lines): the same rules, the same counts, the same lines kept.

    ``purchases`` and ``cancellations`` hold the columns RFM needs, numbers where the log
    has text: Invoice (as :class:`~segmentation.transactions.read_compiled.CodedLog` keeps
    it), Customer ID (an integer), InvoiceDate, AMOUNT and CATEGORY (a categorical of the
    spending categories, missing when the catalogue does not know the stock code).
    """
    stock, description, country = (coded.texts[c][0] for c in CODED_TEXTS)
    columns = pd.DataFrame(
        {
            "Invoice": coded.invoice,
            "StockCode": stock,
            "Description": description,
            "Quantity": coded.quantity,
            "InvoiceDate": coded.date.view("datetime64[ns]"),
            "Price": coded.price,
            "Customer ID": coded.customer,
            "Country": country,
        },
        copy=False,
    )
    # distinct texts have distinct codes: lines equal in codes are equal in texts
    left, cancelled, set_aside = _apply_rules(
        _exact_duplicates(columns),
        coded.customer < 0,
        (coded.invoice & CANCELLATION_FLAG) != 0,
        (coded.invoice & ADJUSTMENT_FLAG) != 0,
        coded.quantity,
        coded.price,
    )
    codes, stock_codes = coded.texts["StockCode"]
    place = {name: at for at, name in enumerate(SPENDING_COLUMNS)}
    # each stock code's category found once (-1: not in the catalogue), then taken per line
    of_code = [place.get(CATEGORY_OF_STOCK_CODE.get(c, ""), -1) for c in stock_codes]
    category = np.array(of_code, dtype=np.int8)[codes]
    return CleanLog(
        _coded_lines(coded, category, left), _coded_lines(coded, category, cancelled), set_aside
    )


def _apply_rules(
    duplicate: np.ndarray,
    missing_id: np.ndarray,
    cancellation: np.ndarray,
    adjustment: np.ndarray,
    quantity: np.ndarray,
    price: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """The rules applied in order, from what each line is: the lines left (the purchases),
    the cancellations kept aside, and the set-aside table."""
    left = np.ones(len(quantity), dtype=bool)
    counts = []
    cancelled = np.zeros_like(left)
    for rule, _ in RULES:
        if rule == "exact duplicate rows":
            hit = duplicate
        elif rule == "missing customer id":
            hit = missing_id
        elif rule == "cancellations":
            hit = cancellation & (quantity < 0) & (price > 0)
            cancelled = left & hit
        elif rule == "bad-debt adjustments":
            hit = adjustment
        else:  # what is left of the cancellations has the wrong sign
            hit = cancellation | ~((quantity > 0) & (price > 0))
        counts.append(int(np.count_nonzero(left & hit)))
        left &= ~hit
    set_aside = pd.DataFrame(
        {"rule": [r for r, _ in RULES], "rows": counts, "why": [w for _, w in RULES]}
    )
    return left, cancelled, set_aside


def _starts_with(first_letter: np.ndarray, prefix: str) -> np.ndarray:
    """Whether each first letter is ``prefix``, in either case."""
    return (first_letter == prefix.upper()) | (first_letter == prefix.lower())


def _exact_duplicates(log: pd.DataFrame) -> np.ndarray:
    """Whether each line equals one before it in every column. Lines whose date, quantity
    and price give the same key (numbers, quick to hash) are the only candidates: only
    those are compared in every column."""
    key = _number_key(log)
    if key is None:  # columns of other types: compare every line in every column
        return log.duplicated(keep="first").to_numpy()
    candidates = _repeated(key, log["InvoiceDate"].to_numpy().view(np.int64))
    hit = np.zeros(len(log), dtype=bool)
    hit[candidates] = log[candidates].duplicated(keep="first").to_numpy()
    return hit


_CHUNK = 1 << 16  # lines of a chunk: the hash table of their keys fits the processor's cache


def _repeated(key: np.ndarray, stamps: np.ndarray) -> np.ndarray:
    """Whether each line's key is another line's too, among the lines of its date (equal
    lines have equal dates). In a log whose dates never go back (as logs are written),
    the lines of a date are neighbours: the keys are then taken a chunk of lines at a time,
    cut where the date changes, and each chunk's hash table stays in the cache (many
    times quicker than one table of millions of keys)."""
    if len(key) <= _CHUNK or not (stamps[1:] >= stamps[:-1]).all():
        return pd.Series(key).duplicated(keep=False).to_numpy()
    # each cut moved back to the first line of its date, so no date is split
    cuts = np.unique(np.searchsorted(stamps, stamps[::_CHUNK], side="left")).tolist()
    return np.concatenate(
        [
            pd.Series(key[begin:end]).duplicated(keep=False).to_numpy()
            for begin, end in pairwise([*cuts, len(key)])
        ]
    )


_MIX = np.uint64(0x9E3779B97F4A7C15)  # an odd constant: multiplying by it mixes the bits


def _number_key(log: pd.DataFrame) -> np.ndarray | None:
    """One 64-bit number per line from its date, quantity and price, the same for lines
    that pandas finds equal (NaN and -0.0 made alike first); None unless the columns are
    dates, whole numbers and floats. Different lines may share a number: it only picks
    candidates."""
    date, quantity, price = (log[c].to_numpy() for c in ("InvoiceDate", "Quantity", "Price"))
    if date.dtype.kind != "M" or quantity.dtype.kind not in "iu" or price.dtype.kind != "f":
        return None
    price = price.astype(np.float64)
    price = np.where(np.isnan(price), np.nan, price + 0.0)
    # multiplied and combined in place, and mixed once at the end: a few passes over the
    # lines (hashing each column first took three times as long)
    key = date.view(np.int64).astype(np.uint64)
    for part in (quantity.astype(np.uint64), price.view(np.uint64)):
        key *= _MIX
        key ^= part
    key ^= key >> np.uint64(29)
    key *= _MIX
    key ^= key >> np.uint64(32)
    return key


def _with_amounts(lines: pd.DataFrame) -> pd.DataFrame:
    """The lines with AMOUNT (to the cent) and CATEGORY added, Customer ID as text."""
    lines = lines.reset_index(drop=True)
    amount = line_amounts(lines["Quantity"].to_numpy(), lines["Price"].to_numpy())
    codes, stock_codes = pd.factorize(lines["StockCode"])
    categories = pd.Index(stock_codes).map(CATEGORY_OF_STOCK_CODE.get).to_numpy(dtype=object)
    # each stock code's category made text once, then taken per line (-1, no code: missing)
    category = pd.array(categories, dtype="str").take(codes, allow_fill=True)
    return lines.assign(
        **{
            "Customer ID": lines["Customer ID"].astype(str),
            AMOUNT: amount,
            CATEGORY: category,
        }
    )


def line_amounts(quantity: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Each line's amount, Quantity x Price rounded to cents (no -0.0)."""
    return np.round(quantity.astype(np.float64) * price, 2) + 0.0


def _coded_lines(coded: CodedLog, category: np.ndarray, keep: np.ndarray) -> pd.DataFrame:
    """The lines ``keep`` of a log read as numbers, in the columns of :func:`clean_coded`
    (``category``: each line's place in SPENDING_COLUMNS, -1 for none)."""
    return pd.DataFrame(
        {
            "Invoice": coded.invoice[keep],
            "Customer ID": coded.customer[keep],
            "InvoiceDate": coded.date[keep].view("datetime64[ns]"),
            AMOUNT: line_amounts(coded.quantity[keep], coded.price[keep]),
            CATEGORY: pd.Categorical.from_codes(category[keep], categories=list(SPENDING_COLUMNS)),
        },
        copy=False,
    )
