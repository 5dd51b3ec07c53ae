"""Noise and outliers: how far the course's segments move, and what to do with extreme customers.

- **Noise.** Each spending is multiplied by ``exp(sigma * z)`` with ``z`` standard normal
  (log-normal noise: on the log scale, where the course clusters, it adds a normal error of
  standard deviation ``sigma``; ``sigma = 0.1`` is about 10% up or down).
- **Tukey fences.** A value is an outlier when it lies more than 1.5 interquartile ranges
  outside the middle half of its column, on the log scale (the scale the course clusters on;
  on the raw amounts the long right tails would make a quarter of the customers "outliers").
- **Isolation forest.** A forest of random splits isolates unusual customers in few splits;
  the :data:`CONTAMINATION` share that need the fewest are flagged (seeded, on the log-scaled
  spending).
- **Extreme customers** are those outside the fences in at least two categories: on the course
  data, five customers (ids 66, 67, 76, 129 and 155), each buying almost nothing of two or
  more categories.

>>> from segmentation.data.shipped import load_customers
>>> extreme_customers(load_customers())["id"].tolist()
[66, 67, 76, 129, 155]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest
from threadpoolctl import threadpool_limits

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.preprocessing.spending import iqr_outliers, scaled
from segmentation.quality.missing import (
    SEEDS,
    _spending_values,
    course_segments,
    segment_change,
    summarise,
)

#: The noise levels of :func:`noise_study`: sigma of the normal error on the log scale.
NOISE_LEVELS = (0.05, 0.1, 0.2, 0.5, 1.0)

#: Tukey's factor: how many interquartile ranges beyond the quartiles a fence stands.
FENCE_FACTOR = 1.5

#: The share of customers the isolation forest flags.
CONTAMINATION = 0.05

#: Outside the fences in at least this many categories makes a customer extreme.
MIN_CATEGORIES = 2

_COLUMNS = list(SPENDING_COLUMNS)


@threadpool_limits.wrap(limits=1)
def noise_study(
    customers: pd.DataFrame,
    levels: Sequence[float] = NOISE_LEVELS,
    seeds: Sequence[int] = SEEDS,
    k: int = 3,
) -> pd.DataFrame:
    """Segments of noisy copies of the spending against the segments of the data as it is.

    Returns one row per noise level (``noise sigma``): ``ARI`` and ``moved``
    (:func:`~segmentation.quality.missing.segment_change`), with their standard deviations over
    ``seeds``.
    """
    values = _spending_values(customers)
    reference = course_segments(customers, k)
    rows = []
    for sigma in levels:
        for seed in seeds:
            noise = np.random.default_rng(seed).standard_normal(values.shape)
            noisy = pd.DataFrame(values * np.exp(float(sigma) * noise), columns=_COLUMNS)
            change = segment_change(reference, course_segments(noisy, k))
            rows.append((sigma, *change.values()))
    runs = pd.DataFrame(rows, columns=["noise sigma", "ARI", "moved"])
    return summarise(runs, ["noise sigma"], ["ARI", "moved"])


def tukey_flags(customers: pd.DataFrame, factor: float = FENCE_FACTOR) -> pd.DataFrame:
    """True where a spending lies outside Tukey's fences on the log scale (one column per
    category)."""
    logged = pd.DataFrame(np.log1p(_spending_values(customers)), columns=_COLUMNS)
    return iqr_outliers(logged, factor).set_axis(customers.index)


def outlier_flags(
    customers: pd.DataFrame,
    factor: float = FENCE_FACTOR,
    contamination: float = CONTAMINATION,
    random_state: int = 0,
) -> pd.DataFrame:
    """Per customer: ``extreme categories`` (how many categories lie outside Tukey's fences on
    the log scale), ``Tukey`` (outside in at least one), ``isolation forest`` (flagged by an
    isolation forest of 100 trees, seeded, flagging the ``contamination`` share) and
    ``isolation score`` (lower is more unusual; rounded). Keeps ``id`` if the table has one.
    """
    counts = tukey_flags(customers, factor).sum(axis=1)
    forest = IsolationForest(
        n_estimators=100, contamination=contamination, random_state=random_state
    )
    X = scaled(pd.DataFrame(_spending_values(customers), columns=_COLUMNS))
    flagged = forest.fit_predict(X) == -1
    table = pd.DataFrame(
        {
            "extreme categories": counts.to_numpy(),
            "Tukey": counts.to_numpy() > 0,
            "isolation forest": flagged,
            "isolation score": np.round(forest.score_samples(X), 4),
        },
        index=customers.index,
    )
    if "id" in customers:
        table.insert(0, "id", customers["id"].to_numpy())
    return table


def extreme_customers(
    customers: pd.DataFrame, min_categories: int = MIN_CATEGORIES, factor: float = FENCE_FACTOR
) -> pd.DataFrame:
    """The customers outside Tukey's fences (log scale) in at least ``min_categories``
    categories: their rows, with ``extreme in`` naming the categories."""
    flags = tukey_flags(customers, factor)
    chosen = flags.sum(axis=1) >= min_categories
    named = flags[chosen].apply(lambda row: ", ".join(row.index[row]), axis=1)
    return customers[chosen].assign(**{"extreme in": named})


@threadpool_limits.wrap(limits=1)
def outlier_treatments(
    customers: pd.DataFrame, k: int = 3, factor: float = FENCE_FACTOR, random_state: int = 0
) -> pd.DataFrame:
    """How the course's segments move under each treatment of outliers.

    One row per treatment: the customers that remain, ``ARI`` and ``moved`` against the
    course's segments (compared on the customers that remain) and the segment ``sizes``.
    The treatments: removing the customers outside the fences in any category, removing the
    extreme customers (:func:`extreme_customers`), removing the isolation forest's flagged
    customers, capping each log spending at its fences (winsorising), and scaling by the
    median and interquartile range (``RobustScaler``) instead of the mean and standard
    deviation.
    """
    values = _spending_values(customers)
    reference = course_segments(customers, k)
    flags = outlier_flags(customers, factor, random_state=random_state)
    keep_all = np.ones(len(values), dtype=bool)
    counts = flags["extreme categories"].to_numpy()
    removals = {
        "none (the course's)": keep_all,
        "remove Tukey outliers": counts == 0,
        "remove extreme customers": counts < MIN_CATEGORIES,
        "remove isolation-forest outliers": ~flags["isolation forest"].to_numpy(),
    }
    rows = []
    for name, keep in removals.items():
        labels = course_segments(pd.DataFrame(values[keep], columns=_COLUMNS), k)
        rows.append(_treatment_row(name, reference[keep], labels, k))
    capped = np.expm1(_capped_logs(np.log1p(values), factor))
    rows.append(
        _treatment_row(
            "cap at the fences",
            reference,
            course_segments(pd.DataFrame(capped, columns=_COLUMNS), k),
            k,
        )
    )
    robust = course_segments(customers, k, scaler="robust")
    rows.append(_treatment_row("robust scaling", reference, robust, k))
    return pd.DataFrame(rows).set_index("treatment")


def _capped_logs(logs: np.ndarray, factor: float) -> np.ndarray:
    """Each column clipped to its Tukey fences (the same quartiles as ``iqr_outliers``)."""
    q1, q3 = np.quantile(logs, 0.25, axis=0), np.quantile(logs, 0.75, axis=0)
    spread = q3 - q1
    return np.clip(logs, q1 - factor * spread, q3 + factor * spread)


def _treatment_row(name: str, reference: np.ndarray, labels: np.ndarray, k: int) -> dict:
    change = segment_change(reference, labels)
    sizes = np.bincount(labels, minlength=k)
    return {
        "treatment": name,
        "customers": int(labels.size),
        "ARI": round(change["ARI"], 4),
        "moved": round(change["moved"], 4),
        "sizes": " / ".join(str(size) for size in sizes),
    }
