"""Orders into invoice lines, and invoice lines into a log in the UCI layout.

The generators work on plain NumPy arrays: times are whole minutes since 1970-01-01, money is
integer cents, and products are places in ``PRODUCTS`` (the catalogue of
``segmentation.transactions.layout`` in order). Only the last step, ``log_frame``, makes the
strings and dates of a log. Integers keep every amount exact, so the same seed gives the same
bytes on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.transactions.layout import CANCELLATION_PREFIX, CATALOGUE, TRANSACTION_COLUMNS

MINUTES_PER_WEEK = 7 * 24 * 60

#: The catalogue flattened: stock codes, descriptions, unit prices in cents, and category
#: places (0 to 5 in SPENDING_COLUMNS order).
STOCK_CODES = np.array([code for items in CATALOGUE.values() for code, _, _ in items], object)
DESCRIPTIONS = np.array([text for items in CATALOGUE.values() for _, text, _ in items], object)
PRICE_CENTS = np.array(
    [round(price * 100) for items in CATALOGUE.values() for _, _, price in items], np.int64
)
PRODUCTS_PER_CATEGORY = len(next(iter(CATALOGUE.values())))
N_PRODUCTS = len(STOCK_CODES)

#: The first invoice number of a log (as in the UCI Online Retail II file).
FIRST_INVOICE = 489434


@dataclass(frozen=True)
class Invoices:
    """Invoices and their lines as arrays (one entry per invoice; one per line).

    ``customer`` is a place in the customer table, -1 for a guest. ``cancelled_from`` is the
    invoice a cancellation undoes, -1 for a sale. Prices are in cents.
    """

    time: np.ndarray
    customer: np.ndarray
    country: np.ndarray
    cancelled_from: np.ndarray
    line_invoice: np.ndarray
    line_product: np.ndarray
    line_quantity: np.ndarray
    line_price: np.ndarray


def minutes(timestamp: str | pd.Timestamp) -> int:
    """A date or time as whole minutes since 1970-01-01."""
    return int(pd.Timestamp(timestamp).value // 60_000_000_000)


def month_of(time: np.ndarray) -> np.ndarray:
    """The calendar month (1 to 12) of times in minutes since 1970."""
    months = (time.astype("datetime64[m]")).astype("datetime64[M]").astype(np.int64)
    return months % 12 + 1


def season(time: np.ndarray, amplitude: float, peak_month: int) -> np.ndarray:
    """The seasonal multiplier of the purchase rate: 1 + amplitude * cos(2 pi (m - peak) / 12).

    Constant within a calendar month m; its mean over the twelve months is exactly 1, so the
    rate lambda is the customer's average over a year.
    """
    return 1.0 + amplitude * np.cos(2 * np.pi * (month_of(time) - peak_month) / 12)


def stochastic_round(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Round down or up at random, so that the expected result is x itself."""
    low = np.floor(x)
    return (low + (rng.random(x.size) < x - low)).astype(np.int64)


def order_lines(
    rng: np.random.Generator, value: np.ndarray, mix: np.ndarray, mean_lines: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Invoice lines whose amounts add up to about each order's value.

    Each order gets 1 + Poisson(mean_lines - 1) lines; a line's category is drawn from the
    order's category mix (a row of ``mix``), its product uniformly within the category, and
    its share of the value from a flat Dirichlet. Quantities are the share over the unit
    price, rounded at random (so the expected amount is the value); an order that would
    have no units gets one on its first line. Lines for the same product of an order are
    merged, and lines without units dropped.

    Returns the order of each line, its product and its quantity (lines sorted by order,
    then product).
    """
    if value.size == 0:
        return (np.zeros(0, np.int64),) * 3
    n_lines = 1 + rng.poisson(max(mean_lines - 1.0, 0.0), value.size)
    order = np.repeat(np.arange(value.size), n_lines)
    first = np.cumsum(n_lines) - n_lines
    cumulative = np.cumsum(mix, axis=1)[order]
    category = (rng.random(order.size)[:, None] > cumulative[:, :-1]).sum(axis=1)
    product = category * PRODUCTS_PER_CATEGORY + rng.integers(0, PRODUCTS_PER_CATEGORY, order.size)
    weight = rng.exponential(1.0, order.size)
    share = weight / np.add.reduceat(weight, first)[order]
    quantity = stochastic_round(rng, share * value[order] * 100 / PRICE_CENTS[product])
    # an order that rounded to nothing keeps one unit on its first line (this adds a little
    # to the mean order value; rare when orders are several unit prices, as by default)
    empty = np.add.reduceat(quantity, first) == 0
    quantity[first[empty]] = 1
    return merge_lines(order, product, quantity)


def merge_lines(
    order: np.ndarray, product: np.ndarray, quantity: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge the lines of one order for the same product, and drop empty lines."""
    key = order * N_PRODUCTS + product
    sort = np.argsort(key, kind="stable")
    key, quantity = key[sort], quantity[sort]
    starts = np.flatnonzero(np.diff(key, prepend=-1) != 0)
    if starts.size == 0:
        return key, key, quantity
    key, quantity = key[starts], np.add.reduceat(quantity, starts)
    keep = quantity > 0
    return key[keep] // N_PRODUCTS, key[keep] % N_PRODUCTS, quantity[keep]


def invoice_numbers(invoices: Invoices) -> np.ndarray:
    """Invoice numbers as strings, counting up in time ("C" before a cancellation's)."""
    order = np.lexsort((np.arange(invoices.time.size), invoices.time))
    number = np.empty(invoices.time.size, np.int64)
    number[order] = FIRST_INVOICE + np.arange(invoices.time.size)
    text = number.astype(str).astype(object)
    cancel = invoices.cancelled_from >= 0
    text[cancel] = CANCELLATION_PREFIX + text[cancel]
    return text


def log_frame(invoices: Invoices, customer_ids: np.ndarray, countries: np.ndarray) -> pd.DataFrame:
    """The log as a DataFrame in the UCI layout, lines in invoice-number order.

    ``customer_ids`` are the customers' ids as strings; a guest's is missing (None).
    ``countries`` are country names, indexed by ``invoices.country``.
    """
    numbers = invoice_numbers(invoices)
    rank = np.argsort(np.lexsort((np.arange(invoices.time.size), invoices.time)))
    lines = np.lexsort((invoices.line_product, rank[invoices.line_invoice]))
    inv = invoices.line_invoice[lines]
    product = invoices.line_product[lines]
    ids = np.empty(customer_ids.size + 1, object)  # the last place, None, is the guests'
    ids[:-1] = customer_ids
    customer = invoices.customer[inv]
    dates = (invoices.time[inv] * 60_000_000_000).astype("datetime64[ns]")
    frame = {
        "Invoice": numbers[inv],
        "StockCode": STOCK_CODES[product],
        "Description": DESCRIPTIONS[product],
        "Quantity": invoices.line_quantity[lines].astype(np.int64),
        "InvoiceDate": dates,
        "Price": invoices.line_price[lines] / 100,
        "Customer ID": ids[np.where(customer >= 0, customer, ids.size - 1)],
        "Country": countries[invoices.country[inv]],
    }
    return pd.DataFrame(frame, columns=list(TRANSACTION_COLUMNS))
