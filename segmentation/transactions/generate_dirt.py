"""The dirt of a real log, added to a clean simulated one.

Cancellations (a "C" invoice undoing part or all of an earlier one), guest invoices (no
customer id), sale lines that are not sales (unit price 0, or a negative quantity without the
"C" prefix) and exact duplicate rows. Each comes with its own share, set in
``TransactionParams``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from segmentation.transactions.generate_lines import (
    N_PRODUCTS,
    PRICE_CENTS,
    Invoices,
    order_lines,
    season,
)


def join(first: Invoices, second: Invoices) -> Invoices:
    """Two sets of invoices as one (the second's invoice places shifted after the first's)."""
    shift = first.time.size
    cancelled = np.where(second.cancelled_from >= 0, second.cancelled_from + shift, -1)
    return Invoices(
        time=np.r_[first.time, second.time],
        customer=np.r_[first.customer, second.customer],
        country=np.r_[first.country, second.country],
        cancelled_from=np.r_[first.cancelled_from, cancelled],
        line_invoice=np.r_[first.line_invoice, second.line_invoice + shift],
        line_product=np.r_[first.line_product, second.line_product],
        line_quantity=np.r_[first.line_quantity, second.line_quantity],
        line_price=np.r_[first.line_price, second.line_price],
    )


def year_end(time: np.ndarray) -> np.ndarray:
    """The first minute of the next calendar year, for times in minutes since 1970."""
    years = time.astype("datetime64[m]").astype("datetime64[Y]") + 1
    return years.astype("datetime64[m]").astype(np.int64)


def add_cancellations(
    rng: np.random.Generator,
    invoices: Invoices,
    share: float,
    mean_delay_days: float,
    end: int,
    compensate: bool,
) -> Invoices:
    """Cancel a share of the customers' sale invoices, in whole or in part.

    Half the chosen invoices are cancelled whole (every line, every unit); the others line by
    line, each line by 1 to all of its units (uniform). The cancellation is a new invoice of
    the same customer, an exponential delay (mean ``mean_delay_days``) later, but never in a
    later calendar year or at or after ``end``. With ``compensate``, each cancelled line's
    original quantity is first raised by what is cancelled, so the net quantity is unchanged.
    """
    n = invoices.time.size
    chosen = (invoices.customer >= 0) & (invoices.cancelled_from < 0) & (rng.random(n) < share)
    whole = rng.random(n) < 0.5
    inv, quantity = invoices.line_invoice, invoices.line_quantity
    partial = 1 + (rng.random(inv.size) * quantity).astype(np.int64)
    cancel = np.where(whole[inv], quantity, np.minimum(partial, quantity))
    lines = np.flatnonzero(chosen[inv] & (quantity > 0))
    if compensate:
        quantity = quantity.copy()
        quantity[lines] += cancel[lines]
    source = np.flatnonzero(chosen)
    delay = 1 + np.floor(rng.exponential(mean_delay_days * 1440, source.size)).astype(np.int64)
    limit = np.minimum(year_end(invoices.time[source]), end) - 1
    time = np.maximum(np.minimum(invoices.time[source] + delay, limit), invoices.time[source])
    place = np.full(n, -1)
    place[source] = np.arange(source.size)
    cancellations = Invoices(
        time=time,
        customer=invoices.customer[source],
        country=invoices.country[source],
        cancelled_from=source,
        line_invoice=place[inv[lines]],
        line_product=invoices.line_product[lines],
        line_quantity=-cancel[lines],
        line_price=invoices.line_price[lines],
    )
    return join(replace(invoices, line_quantity=quantity), cancellations)


def guest_invoices(
    rng: np.random.Generator, n_orders: int, params, start: int, end: int, n_countries: int
) -> Invoices:
    """Invoices of one-off shoppers without a customer id.

    Times are uniform over [start, end) thinned by the seasonal multiplier; values are drawn
    from the population's gamma-gamma spend; each order has its own category mix.
    """
    top = 1.0 + params.seasonality
    time = start + np.floor(rng.random(n_orders) * (end - start)).astype(np.int64)
    keep = rng.random(n_orders) * top < season(time, params.seasonality, params.peak_month)
    time = np.sort(time[keep])
    nu = rng.gamma(params.q, 1.0 / params.gamma, time.size)
    value = rng.gamma(params.p_spend, 1.0 / nu)
    mix = rng.dirichlet(np.full(6, params.mix_concentration), time.size)
    order, product, quantity = order_lines(rng, value, mix, params.lines_per_invoice)
    return Invoices(
        time=time,
        customer=np.full(time.size, -1),
        country=rng.choice(n_countries, time.size, p=params.country_shares),
        cancelled_from=np.full(time.size, -1),
        line_invoice=order,
        line_product=product,
        line_quantity=quantity,
        line_price=PRICE_CENTS[product],
    )


def keep_invoices(invoices: Invoices, keep: np.ndarray) -> Invoices:
    """Only the invoices where ``keep`` is True, with their lines (sales only, renumbered)."""
    place = np.cumsum(keep) - 1
    lines = keep[invoices.line_invoice]
    return Invoices(
        time=invoices.time[keep],
        customer=invoices.customer[keep],
        country=invoices.country[keep],
        cancelled_from=invoices.cancelled_from[keep],
        line_invoice=place[invoices.line_invoice[lines]],
        line_product=invoices.line_product[lines],
        line_quantity=invoices.line_quantity[lines],
        line_price=invoices.line_price[lines],
    )


def enough_guests(rng: np.random.Generator, guests: Invoices, wanted: float) -> Invoices:
    """Guest invoices, picked at random, until they have about ``wanted`` lines."""
    lines = np.bincount(guests.line_invoice, minlength=guests.time.size)
    pick = rng.permutation(guests.time.size)
    taken = np.searchsorted(np.cumsum(lines[pick]), wanted) + 1 if wanted > 0 else 0
    keep = np.zeros(guests.time.size, bool)
    keep[pick[:taken]] = True
    return keep_invoices(guests, keep)


def add_non_sales(rng: np.random.Generator, invoices: Invoices, share: float) -> Invoices:
    """Add sale lines that are not sales: about ``share`` of the lines.

    Half are free lines (unit price 0) on customers' sale invoices, so they add nothing to
    anyone's spending; half are negative quantities (without the "C" prefix) on guest
    invoices, as the UCI data's stock adjustments are.
    """
    n = rng.binomial(invoices.line_invoice.size, share)
    sales = np.flatnonzero((invoices.cancelled_from < 0) & (invoices.customer >= 0))
    guests = np.flatnonzero((invoices.cancelled_from < 0) & (invoices.customer < 0))
    n_free = n // 2 if guests.size else n
    where = np.r_[rng.choice(sales, n_free), rng.choice(guests, n - n_free) if n > n_free else []]
    product = rng.integers(0, N_PRODUCTS, n)
    units = rng.integers(1, 6, n)
    free = np.arange(n) < n_free
    extra = replace(
        invoices,
        line_invoice=np.r_[invoices.line_invoice, where.astype(np.int64)],
        line_product=np.r_[invoices.line_product, product],
        line_quantity=np.r_[invoices.line_quantity, np.where(free, units, -units)],
        line_price=np.r_[invoices.line_price, np.where(free, 0, PRICE_CENTS[product])],
    )
    return extra


def add_duplicates(rng: np.random.Generator, log: pd.DataFrame, share: float) -> pd.DataFrame:
    """Repeat about ``share`` of the rows once, each copy right after its original."""
    copies = 1 + (rng.random(len(log)) < share)
    return log.take(np.repeat(np.arange(len(log)), copies)).reset_index(drop=True)
