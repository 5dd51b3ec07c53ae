"""A simulated year of monthly customer batches, with known changes switched on at known months.

The model segments each customer's annual spending in six categories, so the stream is built
from the course's customers (bootstrapped, with noise) and not from the transaction generator,
whose customers would first have to be summed into that shape.

A fixed panel of :data:`PANEL` customers is drawn from the course data: each panel customer
is a course customer with its own multiplicative log-normal noise on every category
(:data:`PANEL_SIGMA`), so that no two are copies. Month 0 (``Stream.reference``, the training
data) and every month after it observe the whole panel again, each spending multiplied by
fresh log-normal noise (:data:`MONTH_SIGMA`): the same customers, seen again. The changes:

- ``"mix"``: from :data:`MIX_MONTH`, the Horeca customers move :data:`MIX_SHARE` percent
  of their Fresh spending to Delicassen (a change in one group's spending mix);
- ``"new_group"``: from :data:`NEW_GROUP_MONTH`, a new kind of customer
  (:data:`NEW_GROUP_PROFILE`, far from every existing centre) joins; they make up
  :data:`NEW_GROUP_SHARE` percent of the batch in its first month and
  :data:`NEW_GROUP_GROWTH` points more each month after, and once joined they stay;
- ``"drift"``: from :data:`DRIFT_MONTH`, everyone's Grocery spending grows by
  :data:`DRIFT_RATE` percent a month (a gradual change).

Every random number comes from one seeded NumPy generator, and the spending is rounded to
whole money units with integer arithmetic after each draw: the same seed gives the same
stream on every machine.

>>> stream = simulate_stream(months=2, panel=50, changes=())
>>> len(stream.batches), len(stream.reference), stream.batches[0]["month"].unique().tolist()
(2, 50, [1])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import load_customers

#: Months after the reference month 0.
MONTHS = 12
#: Customers in the panel.
PANEL = 600
#: Standard deviation of the log of each panel customer's own factor on each category: a
#: panel customer spends about 0.74 to 1.35 times its course customer (one sd either way).
PANEL_SIGMA = 0.3
#: Standard deviation of the log of the month-to-month factor: a month's observation of a
#: customer's annual spending is within about 10% of its usual level (one sd either way).
MONTH_SIGMA = 0.1

#: The changes, and the months they start (four quiet months come before the first).
CHANGES = ("mix", "new_group", "drift")
DEFAULT_CHANGES = CHANGES
MIX_MONTH = 5
NEW_GROUP_MONTH = 7
DRIFT_MONTH = 9
#: "mix": the percentage of their Fresh spending that Horeca customers move to Delicassen.
MIX_SHARE = 50
MIX_CHANNEL, MIX_FROM, MIX_TO = "Horeca", "Fresh", "Delicassen"
#: "new_group": typical annual spending of the new kind of customer (a shop selling
#: milk, paper goods and delicacies but almost no fresh or frozen food), its channel and region.
NEW_GROUP_PROFILE = {
    "Fresh": 150,
    "Milk": 25_000,
    "Grocery": 1_500,
    "Frozen": 80,
    "Detergents_Paper": 12_000,
    "Delicassen": 6_000,
}
NEW_GROUP_CHANNEL, NEW_GROUP_REGION = "Retail", "Other"
#: "new_group": percent of the batch in the first month, and points more each month after.
NEW_GROUP_SHARE = 5
NEW_GROUP_GROWTH = 5
#: "drift": the category that grows, and by how many percent a month (compounded).
DRIFT_CATEGORY = "Grocery"
DRIFT_RATE = 10

_DESCRIPTIONS = {
    "mix": f"{MIX_CHANNEL} customers move {MIX_SHARE}% of their {MIX_FROM} spending to {MIX_TO}",
    "new_group": (
        f"a new kind of customer joins: {NEW_GROUP_SHARE}% of the batch, "
        f"{NEW_GROUP_GROWTH} points more each month"
    ),
    "drift": f"everyone's {DRIFT_CATEGORY} spending grows {DRIFT_RATE}% a month",
}
_STARTS = {"mix": MIX_MONTH, "new_group": NEW_GROUP_MONTH, "drift": DRIFT_MONTH}


@dataclass(frozen=True)
class Stream:
    """A simulated stream: ``reference`` (month 0, the training data), ``batches`` (months
    1 .. ``months``, one table each) and ``changes`` (one row per change switched on:
    ``change``, ``month``, ``description``). Each table has the columns of
    :func:`~segmentation.data.shipped.load_customers` (``id`` aside) plus ``customer`` (a
    stable id) and ``month``."""

    reference: pd.DataFrame
    batches: list[pd.DataFrame]
    changes: pd.DataFrame

    @property
    def months(self) -> int:
        return len(self.batches)

    @property
    def first_change(self) -> int | None:
        """The month of the first change, or None on a stationary stream."""
        return int(self.changes["month"].min()) if len(self.changes) else None


def _check_changes(changes: Iterable[str], months: int, panel: int) -> tuple[str, ...]:
    chosen = (changes,) if isinstance(changes, str) else tuple(changes)
    unknown = [c for c in chosen if c not in CHANGES]
    if unknown:
        raise ValueError(
            f"unknown change {unknown[0]!r}: choose among {', '.join(CHANGES)} (or () for a "
            "stationary stream)."
        )
    if not (isinstance(months, int) and months >= 1 and isinstance(panel, int) and panel >= 10):
        raise ValueError(
            f"months must be a whole number >= 1 and panel >= 10; got {months!r} and {panel!r}."
        )
    return tuple(c for c in CHANGES if c in chosen)


def _observe(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One month's observation of annual spending: each value times its own log-normal
    factor, rounded to whole units."""
    return np.rint(base * rng.lognormal(0.0, MONTH_SIGMA, size=base.shape)).astype(np.int64)


def _new_group_size(month: int, panel: int) -> int:
    """Newcomers present in ``month`` so that they make up the stated share of the batch."""
    share = NEW_GROUP_SHARE + NEW_GROUP_GROWTH * (month - NEW_GROUP_MONTH)
    return (panel * share) // (100 - share)


def _apply(spending: np.ndarray, horeca: np.ndarray, month: int, changes: tuple[str, ...]):
    """The panel's observed spending after the changes in force in ``month`` (in place)."""
    if "mix" in changes and month >= MIX_MONTH:
        source, target = SPENDING_COLUMNS.index(MIX_FROM), SPENDING_COLUMNS.index(MIX_TO)
        moved = spending[horeca, source] * MIX_SHARE // 100
        spending[horeca, source] -= moved
        spending[horeca, target] += moved
    if "drift" in changes and month >= DRIFT_MONTH:
        column = SPENDING_COLUMNS.index(DRIFT_CATEGORY)
        for _ in range(month - DRIFT_MONTH + 1):  # compounded, in whole units
            spending[:, column] = spending[:, column] * (100 + DRIFT_RATE) // 100


def _table(spending, channel, region, customer, month: int) -> pd.DataFrame:
    table = pd.DataFrame({"customer": customer, "month": month, "Channel": channel})
    table["Region"] = region
    for j, column in enumerate(SPENDING_COLUMNS):
        table[column] = spending[:, j]
    return table


@dataclass(frozen=True)
class _Group:
    """Customers observed month after month: their usual annual spending (``base``), and
    their channel, region and ids."""

    base: np.ndarray
    channel: pd.Categorical
    region: pd.Categorical
    ids: np.ndarray

    def observed(self, month: int, changes: tuple[str, ...], rng, size: int) -> pd.DataFrame:
        """The first ``size`` of them as seen in ``month``, with the changes in force."""
        spending = _observe(self.base[:size], rng)
        _apply(spending, np.asarray(self.channel[:size] == MIX_CHANNEL), month, changes)
        return _table(spending, self.channel[:size], self.region[:size], self.ids[:size], month)


def _panel(panel: int, rng: np.random.Generator) -> _Group:
    """``panel`` course customers drawn with replacement, each with its own noise."""
    course = load_customers()
    drawn = rng.integers(len(course), size=panel)
    own = rng.lognormal(0.0, PANEL_SIGMA, size=(panel, len(SPENDING_COLUMNS)))
    base = course[list(SPENDING_COLUMNS)].to_numpy(dtype=np.float64)[drawn] * own

    def categories(column: str) -> pd.Categorical:
        values = course[column].to_numpy()[drawn]
        return pd.Categorical(values, categories=course[column].cat.categories)

    return _Group(base, categories("Channel"), categories("Region"), np.arange(1, panel + 1))


def _new_group(size: int, after: _Group, rng: np.random.Generator) -> _Group:
    """``size`` customers of the new kind, numbered after the panel ``after``."""
    profile = np.array([NEW_GROUP_PROFILE[c] for c in SPENDING_COLUMNS], dtype=np.float64)
    base = profile * rng.lognormal(0.0, PANEL_SIGMA, size=(size, len(profile)))
    channel = pd.Categorical([NEW_GROUP_CHANNEL] * size, categories=after.channel.categories)
    region = pd.Categorical([NEW_GROUP_REGION] * size, categories=after.region.categories)
    first = len(after.ids) + 1
    return _Group(base, channel, region, np.arange(first, first + size))


def simulate_stream(
    *,
    months: int = MONTHS,
    panel: int = PANEL,
    changes: Iterable[str] = DEFAULT_CHANGES,
    seed: int = 0,
) -> Stream:
    """A seeded stream of ``months`` monthly batches after a reference month 0.

    Parameters
    ----------
    months, panel
        Months after the reference, and customers in the panel.
    changes
        Which of :data:`CHANGES` to switch on (``()``: a stationary stream); each starts in
        its documented month (:data:`MIX_MONTH`, :data:`NEW_GROUP_MONTH`,
        :data:`DRIFT_MONTH`), if the stream is that long.
    seed
        The seed of every random draw.
    """
    changes = _check_changes(changes, months, panel)
    # One generator per purpose: the panel and its monthly noise are the same whichever
    # changes are on, so a changed stream differs from the stationary one only by the change.
    rng, monthly, newcomers_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )
    customers = _panel(panel, rng)
    growing = "new_group" in changes
    most = _new_group_size(months, panel) if growing else 0
    newcomers = _new_group(most, customers, newcomers_rng)
    tables = []
    for month in range(months + 1):
        table = customers.observed(month, changes, monthly, panel)
        if growing and month >= NEW_GROUP_MONTH:
            size = _new_group_size(month, panel)
            new = newcomers.observed(month, changes, newcomers_rng, size)
            table = pd.concat([table, new], ignore_index=True)
        tables.append(table)
    rows = [(c, _STARTS[c], _DESCRIPTIONS[c]) for c in changes if _STARTS[c] <= months]
    table = pd.DataFrame(rows, columns=["change", "month", "description"])
    return Stream(tables[0], tables[1:], table)
