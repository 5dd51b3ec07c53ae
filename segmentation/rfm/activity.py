"""Inactive customers: who has stopped buying, by a stated rule, and what setting them aside
changes in the segments."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from segmentation.rfm.scores import SEGMENT_ORDER, rfm_scores, rfm_segments
from segmentation.rfm.table import DATE, first_and_last, lines_before

#: The shortest silence (days) that can make a customer inactive.
FLOOR_DAYS = 90
#: How many of their own usual gaps a customer may stay silent before counting as inactive.
GAP_MULTIPLE = 3.0


def median_gaps(lines: Any) -> np.ndarray:
    """Each customer's median gap in days between consecutive purchase days (NaN when they
    bought on a single day)."""
    days = pd.DatetimeIndex(lines.purchases[DATE]).normalize().to_numpy().view(np.int64)
    frame = pd.DataFrame({"code": lines.codes, "day": days // 86_400_000_000_000})
    frame = frame.drop_duplicates().sort_values(["code", "day"])
    gap = frame["day"].diff().to_numpy(dtype=float)
    same = np.r_[False, frame["code"].to_numpy()[1:] == frame["code"].to_numpy()[:-1]]
    gaps = pd.Series(gap[same]).groupby(frame["code"].to_numpy()[same]).median()
    return gaps.reindex(range(len(lines.customers))).to_numpy()


def inactive_customers(
    log: Any, as_of: Any = None, floor_days: int = FLOOR_DAYS, multiple: float = GAP_MULTIPLE
) -> pd.DataFrame:
    """Which customers have stopped buying, by one rule: silent for longer than
    ``max(floor_days, multiple x their own median gap between purchase days)``.

    Why this rule: "inactive" means silent for much longer than *this* customer usually is.
    A customer who buys every week and has said nothing for two months has probably gone;
    one who buys twice a year has not. The median gap is the customer's usual rhythm, and
    the median (not the mean) is not moved by one long holiday. Three gaps is a long wait
    for a customer with a steady rhythm. The floor keeps the rule from calling a weekly
    buyer inactive after a few quiet weeks, and it is the whole rule for customers who
    bought on a single day (no gap to measure): silence longer than ``floor_days``.

    Returns
    -------
    DataFrame
        One row per customer (index ``Customer ID``, sorted): ``recency`` (days),
        ``median_gap`` (days, NaN for one purchase day), ``threshold`` (days) and
        ``inactive`` (True when recency > threshold).
    """
    lines = lines_before(log, as_of)
    _, last = first_and_last(lines)
    recency = lines.days_before_as_of(last)
    gaps = median_gaps(lines)
    threshold = np.fmax(float(floor_days), multiple * gaps)
    return pd.DataFrame(
        {
            "recency": recency,
            "median_gap": gaps,
            "threshold": threshold,
            "inactive": recency > threshold,
        },
        index=lines.customers,
    )


def segments_without_inactive(rfm: pd.DataFrame, inactive: pd.Series) -> pd.DataFrame:
    """What setting the inactive customers aside does to the named segments.

    Columns, one row per segment (canonical order): ``all customers`` (segments scored on
    everyone), ``of them inactive`` (how many of those are inactive), ``active only``
    (segments scored again on the active customers alone: the quintiles move, so an
    active customer can change segment), and the shares of the first and last.
    """
    inactive = inactive.reindex(rfm.index).fillna(False).astype(bool)
    everyone = rfm_segments(rfm_scores(rfm))
    active = rfm_segments(rfm_scores(rfm[~inactive]))
    order = list(SEGMENT_ORDER)
    table = pd.DataFrame(
        {
            "all customers": everyone.value_counts().reindex(order, fill_value=0),
            "of them inactive": everyone[inactive].value_counts().reindex(order, fill_value=0),
            "active only": active.value_counts().reindex(order, fill_value=0),
        }
    )
    table["share (all)"] = (table["all customers"] / max(len(rfm), 1)).round(3)
    table["share (active)"] = (table["active only"] / max(int((~inactive).sum()), 1)).round(3)
    table.index.name = "segment"
    return table
