"""Two years of SIMULATED invoices for the course's 440 wholesale customers, whose first year
adds up exactly to their real annual spending.

Customer ``id`` k of ``load_customers()`` has Customer ID ``str(10000 + k)`` ("10001" to
"10440"). In 2024 (1 January to 31 December) each customer's net spending per category (sale
lines plus cancellation lines, without guest rows and exact duplicates) equals the course
data's annual spending exactly, in cents: only the timing and the split into invoices are
simulated. In 2025 the customer goes on buying as a BG/NBD customer (Poisson purchases at its
rate, dropping out for good with probability p after each 2025 purchase), with orders like
its 2024 ones; some stop, and the truth says who and when.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.transactions.generate import (
    COUNTRIES,
    SimulatedLog,
    TransactionParams,
    add_dirt,
    repeat_purchases,
    reporter,
)
from segmentation.transactions.generate_dirt import add_duplicates, keep_invoices
from segmentation.transactions.generate_lines import (
    PRICE_CENTS,
    PRODUCTS_PER_CATEGORY,
    Invoices,
    log_frame,
    merge_lines,
    minutes,
    season,
    stochastic_round,
)

#: The wholesale log's parameters: about one order every 2.5 weeks (mean lambda 0.4 per
#: week), a small dropout probability per 2025 purchase (mean 0.03), guests' orders of about
#: 200 m.u., every invoice from Portugal.
WHOLESALE_PARAMS = TransactionParams(
    r=2.0,
    alpha=5.0,
    a=0.5,
    b=16.0,
    p_spend=4.0,
    q=4.0,
    gamma=150.0,
    seasonality=0.2,
    lines_per_invoice=3.0,
    country_shares=(1.0, 0.0, 0.0, 0.0, 0.0),
)

FIRST_YEAR, SECOND_YEAR, END = "2024-01-01", "2025-01-01", "2026-01-01"


def first_year_times(
    rng: np.random.Generator, counts: np.ndarray, params: TransactionParams
) -> np.ndarray:
    """Order times in 2024 for each customer (``counts`` orders each), sorted per customer.

    A month is drawn with probability proportional to its days times its seasonal
    multiplier, then a minute uniformly within it.
    """
    bounds = np.arange("2024-01", "2025-02", dtype="datetime64[M]").astype("datetime64[m]")
    bounds = bounds.astype(np.int64)
    weight = np.diff(bounds) * season(bounds[:-1], params.seasonality, params.peak_month)
    month = rng.choice(12, counts.sum(), p=weight / weight.sum())
    time = bounds[month] + np.floor(rng.random(month.size) * np.diff(bounds)[month])
    customer = np.repeat(np.arange(counts.size), counts)
    sort = np.lexsort((time, customer))
    return time.astype(np.int64)[sort]


def first_year_lines(
    rng: np.random.Generator, cents: np.ndarray, counts: np.ndarray, product: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Lines whose sums per customer and category are exactly ``cents``.

    Each customer-category total is whole units of the customer's product in that category
    at the catalogue price, each unit on one of the customer's orders at random, plus one
    remainder line (quantity 1, unit price the remaining cents, below the catalogue price)
    when the total is not a whole number of units.
    Returns the order, product, quantity and price (cents) of each line.
    """
    n, k = cents.shape
    price = PRICE_CENTS[product]
    units = cents // price
    remainder = cents - units * price
    offset = np.cumsum(counts) - counts
    cell = np.repeat(np.arange(n * k), units.ravel())
    owner = cell // k
    order = offset[owner] + np.floor(rng.random(cell.size) * counts[owner]).astype(np.int64)
    order, line_product, quantity = merge_lines(order, product.ravel()[cell], np.ones_like(cell))
    rest = np.flatnonzero(remainder.ravel() > 0)
    rest_owner = rest // k
    rest_order = offset[rest_owner] + np.floor(rng.random(rest.size) * counts[rest_owner])
    return (
        np.r_[order, rest_order.astype(np.int64)],
        np.r_[line_product, product.ravel()[rest]],
        np.r_[quantity, np.ones(rest.size, np.int64)],
        np.r_[PRICE_CENTS[line_product], remainder.ravel()[rest]],
    )


def second_year_lines(
    rng: np.random.Generator, cents: np.ndarray, counts: np.ndarray, product: np.ndarray, who
) -> tuple[np.ndarray, ...]:
    """Lines of 2025 orders (``who``: the customer of each): in each category the
    customer bought, its 2024 average per order times a Gamma(4, rate 4) factor (mean 1),
    in whole units at the catalogue price."""
    k = cents.shape[1]
    per_order = cents / counts[:, None]
    order = np.repeat(np.arange(who.size), k)
    category = np.tile(np.arange(k), who.size)
    customer = who[order]
    amount = per_order[customer, category] * rng.gamma(4.0, 0.25, order.size)
    line_product = product[customer, category]
    quantity = stochastic_round(rng, amount / PRICE_CENTS[line_product])
    # every order buys at least one unit of the customer's largest category
    largest = category == np.argmax(cents, axis=1)[customer]
    quantity[largest] = np.maximum(quantity[largest], 1)
    order, line_product, quantity = merge_lines(order, line_product, quantity)
    return order, line_product, quantity, PRICE_CENTS[line_product]


def wholesale_invoices(
    rng: np.random.Generator, cents: np.ndarray, params: TransactionParams
) -> tuple[Invoices, dict[str, np.ndarray]]:
    """The customers' sale invoices of both years, and their true parameters."""
    n, k = cents.shape
    rate = np.asarray(rng.gamma(params.r, 1.0 / params.alpha, n))
    dropout = np.asarray(rng.beta(params.a, params.b, n))
    product = np.arange(k) * PRODUCTS_PER_CATEGORY + rng.integers(0, PRODUCTS_PER_CATEGORY, (n, k))
    weeks = (minutes(SECOND_YEAR) - minutes(FIRST_YEAR)) / (7 * 24 * 60)
    counts = np.maximum(rng.poisson(rate * weeks), 1)
    time1 = first_year_times(rng, counts, params)
    lines1 = first_year_lines(rng, cents, counts, product)
    start2 = np.full(n, minutes(SECOND_YEAR), np.int64)
    who, time2, dropout_time = repeat_purchases(rng, rate, dropout, start2, minutes(END), params)
    lines2 = second_year_lines(rng, cents, counts, product, who)
    customer = np.r_[np.repeat(np.arange(n), counts), who]
    line_invoice = np.r_[lines1[0], lines2[0] + time1.size]
    invoices = Invoices(
        time=np.r_[time1, time2],
        customer=customer,
        country=np.zeros(customer.size, np.int64),
        cancelled_from=np.full(customer.size, -1),
        line_invoice=line_invoice,
        line_product=np.r_[lines1[1], lines2[1]],
        line_quantity=np.r_[lines1[2], lines2[2]],
        line_price=np.r_[lines1[3], lines2[3]],
    )
    truth: dict[str, np.ndarray] = {"rate": rate, "dropout": dropout, "dropout_time": dropout_time}
    used = np.zeros(customer.size, bool)
    used[line_invoice] = True  # a small 2024 customer's units may miss some orders
    return keep_invoices(invoices, used), truth


def wholesale_truth(
    invoices: Invoices, truth: dict[str, np.ndarray], ids: np.ndarray, customers: pd.DataFrame
) -> pd.DataFrame:
    """One row per customer: id, true rate and dropout probability, orders per year, whether
    and when it stopped in 2025, and its last purchase."""
    n = ids.size
    second = invoices.time >= minutes(SECOND_YEAR)
    last = np.full(n, -1, np.int64)
    np.maximum.at(last, invoices.customer, invoices.time)
    stopped = truth["dropout_time"] >= 0
    when = truth["dropout_time"].astype("datetime64[m]").astype("datetime64[ns]")
    when[~stopped] = np.datetime64("NaT")
    return pd.DataFrame(
        {
            "Customer ID": ids,
            "id": customers["id"].to_numpy(np.int64),
            "lambda": truth["rate"],
            "p": truth["dropout"],
            "orders_2024": np.bincount(invoices.customer[~second], minlength=n),
            "orders_2025": np.bincount(invoices.customer[second], minlength=n),
            "dropped_out": stopped,
            "dropout_time": when,
            "last_purchase": last.astype("datetime64[m]").astype("datetime64[ns]"),
        }
    )


def wholesale_transactions(
    customers: pd.DataFrame,
    seed: int = 17,
    *,
    params: TransactionParams = WHOLESALE_PARAMS,
    progress: bool | Callable[[str], None] = False,
) -> SimulatedLog:
    """Two years of invoices (2024 and 2025) for the course's customers.

    Parameters
    ----------
    customers
        The course data as ``load_customers()`` gives it (``id`` and the six spending columns).
    seed
        Seed of ``numpy.random.default_rng``.
    params
        Rates (per week), dropout, seasonality, dirt; ``WHOLESALE_PARAMS`` by default.
    progress
        True to report each stage on stderr, or a function called with each message.

    Returns
    -------
    SimulatedLog
        ``log``: the raw log, Customer ID ``str(10000 + id)``, whose 2024 net spending per
        customer and category (after removing exact duplicates and guest rows) is the
        course data's, exactly. ``truth``: one row per customer (see ``wholesale_truth``).
    """
    report = reporter(progress)
    rng = np.random.default_rng(seed)
    cents = customers[list(SPENDING_COLUMNS)].to_numpy(np.int64) * 100
    invoices, truth = wholesale_invoices(rng, cents, params)
    report(f"{invoices.line_invoice.size} invoice lines of {len(customers)} customers")
    customer_invoices = invoices
    invoices = add_dirt(rng, invoices, params, minutes(FIRST_YEAR), minutes(END), compensate=True)
    ids = (10000 + customers["id"].to_numpy(np.int64)).astype(str).astype(object)
    log = add_duplicates(rng, log_frame(invoices, ids, COUNTRIES), params.duplicate_share)
    report(f"log of {len(log)} rows made")
    return SimulatedLog(log=log, truth=wholesale_truth(customer_invoices, truth, ids, customers))
