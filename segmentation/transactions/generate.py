"""A seeded generator of SIMULATED transaction logs that follow the BG/NBD and gamma-gamma
models exactly.

Purchases (Fader, Hardie & Lee 2005, "Counting your customers the easy way"):

- each customer's purchase rate lambda ~ Gamma(shape r, rate alpha), in purchases per week
  (mean r / alpha);
- each customer's dropout probability p ~ Beta(a, b);
- the first purchase is at the customer's birth; while active, the REPEAT purchases form a
  Poisson process with rate lambda (times the seasonal multiplier, below);
- right after each repeat purchase the customer drops out for good with probability p (so
  the number of repeat purchases before dropping out is geometric, 1, 2, ..., and nobody drops
  out before a first repeat purchase, exactly as in the paper's likelihood).

Spend (Fader, Hardie & Lee 2005, "RFM and CLV"; Colombo & Jiang 1999): each customer's
nu ~ Gamma(shape q, rate gamma) (per m.u.); each order's value ~ Gamma(shape p_spend,
rate nu), in m.u.; so the customer's mean order value is p_spend / nu and the population's
is p_spend * gamma / (q - 1). An order's invoice lines have integer quantities at the
catalogue's unit prices, so a line's amount is exact in cents and the order's total is the
drawn value rounded at random (its expectation is unchanged, except that an order keeps at
least one unit).

Seasonality multiplies the rate by 1 + A cos(2 pi (month - peak) / 12), constant within a
calendar month (mean 1 over a year). With A = 0 the process is the BG/NBD process exactly.

Everything is drawn from ``numpy.random.default_rng(seed)`` in a fixed order, with integer
minutes and cents, so a seed gives the same log on every machine.
"""

from __future__ import annotations

import sys
import time as clock
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.transactions.generate_dirt import (
    add_cancellations,
    add_duplicates,
    add_non_sales,
    enough_guests,
    guest_invoices,
    join,
)
from segmentation.transactions.generate_lines import (
    MINUTES_PER_WEEK,
    PRICE_CENTS,
    Invoices,
    log_frame,
    minutes,
    order_lines,
    season,
)

COUNTRIES = np.array(["Portugal", "Spain", "France", "Germany", "Netherlands"], object)


@dataclass(frozen=True)
class TransactionParams:
    """Every parameter of the simulated logs, with its default.

    Rates are purchases per week; money is in m.u.; shares are fractions of rows or invoices.
    """

    r: float = 0.6  #: shape of the Gamma of lambda (purchases per week)
    alpha: float = 12.0  #: rate of the Gamma of lambda (weeks); mean lambda = r / alpha
    a: float = 0.8  #: Beta of the dropout probability p: first shape
    b: float = 3.0  #: Beta of the dropout probability p: second shape
    p_spend: float = 4.0  #: shape of the Gamma of an order's value
    q: float = 4.0  #: shape of the Gamma of nu (the customer's spend rate, per m.u.)
    gamma: float = 150.0  #: rate of the Gamma of nu (m.u.); mean order p_spend*gamma/(q-1)
    birth_weeks: float = 52.0  #: births uniform over this many weeks from the start
    seasonality: float = 0.3  #: amplitude A of the monthly multiplier (0 = exact BG/NBD)
    peak_month: int = 12  #: the month of the highest rate
    lines_per_invoice: float = 1.6  #: mean lines of an invoice (1 + Poisson)
    mix_concentration: float = 0.5  #: Dirichlet concentration of a customer's category mix
    cancel_share: float = 0.02  #: share of customers' invoices later cancelled
    cancel_delay_days: float = 3.0  #: mean delay of a cancellation (exponential)
    guest_share: float = 0.25  #: share of rows on guest invoices (no customer id)
    duplicate_share: float = 0.01  #: share of rows written twice
    non_sale_share: float = 0.002  #: share of lines with price 0 or a negative quantity
    country_shares: tuple[float, ...] = (0.85, 0.06, 0.04, 0.03, 0.02)  #: as COUNTRIES


@dataclass(frozen=True)
class SimulatedLog:
    """A simulated raw log (TRANSACTION_COLUMNS) and each customer's true parameters."""

    log: pd.DataFrame
    truth: pd.DataFrame


def reporter(progress: bool | Callable[[str], None]) -> Callable[[str], None]:
    """A function that reports a stage: to stderr if ``progress`` is True, or the callback."""
    if callable(progress):
        return progress
    started = clock.perf_counter()

    def report(message: str) -> None:
        if progress:
            print(f"[{clock.perf_counter() - started:6.1f} s] {message}", file=sys.stderr)

    return report


def repeat_purchases(
    rng: np.random.Generator,
    rate: np.ndarray,
    dropout: np.ndarray,
    birth: np.ndarray,
    end: int,
    params: TransactionParams,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The repeat purchases of each customer from its birth to ``end`` (minutes since 1970).

    A Poisson process at the top rate lambda (1 + A), thinned by the seasonal multiplier, is
    the seasonal Poisson process; a customer keeps its first J purchases, J ~ Geometric(p).
    Returns the customer and time of each kept purchase (sorted by customer, then time), and
    each customer's dropout time (its J-th purchase; -1 if it had not dropped out by ``end``).
    """
    top = 1.0 + params.seasonality
    length = end - birth
    count = rng.poisson(rate * top * length / MINUTES_PER_WEEK)
    customer = np.repeat(np.arange(rate.size), count)
    time = birth[customer] + np.floor(rng.random(customer.size) * length[customer])
    time = time.astype(np.int64)
    keep = rng.random(customer.size) * top < season(time, params.seasonality, params.peak_month)
    customer, time = customer[keep], time[keep]
    sort = np.lexsort((time, customer))
    customer, time = customer[sort], time[sort]
    first = np.searchsorted(customer, np.arange(rate.size))
    rank = np.arange(customer.size) - first[customer]
    drops = rng.geometric(np.clip(dropout, 1e-12, 1.0))
    dropped = rank == drops[customer] - 1
    dropout_time = np.full(rate.size, -1, np.int64)
    dropout_time[customer[dropped]] = time[dropped]
    keep = rank < drops[customer]
    return customer[keep], time[keep], dropout_time


def draw_customers(
    rng: np.random.Generator, n: int, start: int, end: int, params: TransactionParams
) -> dict[str, np.ndarray]:
    """Each customer's latent parameters, birth and purchase times."""
    rate = rng.gamma(params.r, 1.0 / params.alpha, n)
    dropout = rng.beta(params.a, params.b, n)
    nu = rng.gamma(params.q, 1.0 / params.gamma, n)
    window = min(params.birth_weeks * MINUTES_PER_WEEK, end - start)
    birth = start + np.floor(rng.random(n) * window).astype(np.int64)
    customer, time, dropout_time = repeat_purchases(rng, rate, dropout, birth, end, params)
    return {
        "rate": rate,
        "dropout": dropout,
        "nu": nu,
        "birth": birth,
        "repeat_customer": customer,
        "repeat_time": time,
        "dropout_time": dropout_time,
    }


def customer_invoices(
    rng: np.random.Generator, drawn: dict[str, np.ndarray], params: TransactionParams
) -> Invoices:
    """The customers' sale invoices: the first purchase and every repeat purchase."""
    n = drawn["rate"].size
    customer = np.r_[np.arange(n), drawn["repeat_customer"]]
    time = np.r_[drawn["birth"], drawn["repeat_time"]]
    value = rng.gamma(params.p_spend, 1.0 / drawn["nu"][customer])
    mix = rng.dirichlet(np.full(6, params.mix_concentration), n)
    country = rng.choice(len(COUNTRIES), n, p=params.country_shares)
    order, product, quantity = order_lines(rng, value, mix[customer], params.lines_per_invoice)
    return Invoices(
        time=time,
        customer=customer,
        country=country[customer],
        cancelled_from=np.full(time.size, -1),
        line_invoice=order,
        line_product=product,
        line_quantity=quantity,
        line_price=PRICE_CENTS[product],
    )


def add_dirt(
    rng: np.random.Generator,
    invoices: Invoices,
    params: TransactionParams,
    start: int,
    end: int,
    compensate: bool,
) -> Invoices:
    """Cancellations, guest invoices and non-sale lines, in that order."""
    invoices = add_cancellations(
        rng, invoices, params.cancel_share, params.cancel_delay_days, end, compensate
    )
    wanted = params.guest_share / (1.0 - params.guest_share) * invoices.line_invoice.size
    # twice the guests needed (at most lines_per_invoice lines each, and thinning by the
    # season keeps about 1 / (1 + A) of them), then as many as make the wanted lines
    n_guests = round(2 * wanted / params.lines_per_invoice * (1.0 + params.seasonality))
    guests = guest_invoices(rng, n_guests, params, start, end, len(COUNTRIES))
    guests = enough_guests(rng, guests, wanted)
    return add_non_sales(rng, join(invoices, guests), params.non_sale_share)


def truth_frame(drawn: dict[str, np.ndarray], ids: np.ndarray, params: TransactionParams):
    """One row per customer: its id, birth, true lambda, p, nu, mean spend, dropout time and
    number of purchases (the first one included)."""
    n = ids.size
    repeats = np.bincount(drawn["repeat_customer"], minlength=n)
    dropout_time = drawn["dropout_time"].astype("datetime64[m]").astype("datetime64[ns]")
    dropout_time[drawn["dropout_time"] < 0] = np.datetime64("NaT")
    return pd.DataFrame(
        {
            "Customer ID": ids,
            "birth": drawn["birth"].astype("datetime64[m]").astype("datetime64[ns]"),
            "lambda": drawn["rate"],
            "p": drawn["dropout"],
            "nu": drawn["nu"],
            "mean_spend": params.p_spend / drawn["nu"],
            "dropout_time": dropout_time,
            "purchases": (1 + repeats).astype(np.int64),
        }
    )


def simulate_transactions(
    n_customers: int,
    *,
    start: str | pd.Timestamp = "2024-01-01",
    end: str | pd.Timestamp = "2026-01-01",
    seed: int = 0,
    params: TransactionParams | None = None,
    progress: bool | Callable[[str], None] = False,
) -> SimulatedLog:
    """A simulated raw log of ``n_customers`` customers from ``start`` to ``end`` (excluded).

    Parameters
    ----------
    n_customers
        How many customers (ids "100001", "100002", ...). Rows come to about
        ``n_customers`` x purchases per customer x lines per invoice, plus guests and dirt.
    start, end
        The log's period; births are uniform over its first ``params.birth_weeks`` weeks.
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives the same log everywhere.
    params
        The model's parameters (see ``TransactionParams``); the defaults by default.
    progress
        True to report each stage on stderr, or a function called with each message.

    Returns
    -------
    SimulatedLog
        ``log`` in the UCI layout (with its dirt) and ``truth``, one row per customer.

    Examples
    --------
    >>> simulated = simulate_transactions(100, seed=1)
    >>> len(simulated.truth), simulated.log.columns[0]
    (100, 'Invoice')
    """
    params = params or TransactionParams()
    report = reporter(progress)
    rng = np.random.default_rng(seed)
    first, last = minutes(start), minutes(end)
    if n_customers < 1 or last <= first:
        raise ValueError(
            f"simulate_transactions needs at least one customer and start before end; got "
            f"n_customers={n_customers}, start={start}, end={end}."
        )
    drawn = draw_customers(rng, n_customers, first, last, params)
    report(f"{n_customers} customers, {drawn['repeat_time'].size} repeat purchases drawn")
    invoices = customer_invoices(rng, drawn, params)
    report(f"{invoices.line_invoice.size} invoice lines of customers")
    invoices = add_dirt(rng, invoices, params, first, last, compensate=False)
    ids = (100001 + np.arange(n_customers)).astype(str).astype(object)
    log = log_frame(invoices, ids, COUNTRIES)
    log = add_duplicates(rng, log, params.duplicate_share)
    report(f"log of {len(log)} rows made")
    return SimulatedLog(log=log, truth=truth_frame(drawn, ids, params))
