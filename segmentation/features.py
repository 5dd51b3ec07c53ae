"""From a customer table to the numbers the course clusters, and the summaries it explains.

Examples
--------
>>> from segmentation.data import load_customers
>>> customers = load_customers()
>>> log_spending(customers).round(2).iloc[0].tolist()
[9.45, 9.18, 8.93, 5.37, 7.89, 7.2]
>>> grade_by_hand(customers).value_counts().to_dict()
{'medium': 208, 'small': 190, 'large': 42}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.schema import LABEL_COLUMNS, SPENDING_COLUMNS

#: The hand rule of the course's scenario, in m.u. of total annual spending.
HAND_THRESHOLDS = {"medium": 25_000, "large": 60_000}

GRADES = ["small", "medium", "large"]


def spending(customers: pd.DataFrame) -> pd.DataFrame:
    """The six spending columns, as floats: the features the course clusters on."""
    return customers[list(SPENDING_COLUMNS)].astype(float)


def log_spending(customers: pd.DataFrame) -> pd.DataFrame:
    """The natural log of spending (log(1 + x), so that a zero stays zero).

    Spending is heavily skewed: a few customers spend a hundred times the typical amount. On
    the log scale a doubling is the same step for a small and a large customer, the long right
    tails are gone, and distances are no longer ruled by the few largest customers. (On the
    course data some columns then lean the other way: a few customers buy almost nothing.)
    """
    return np.log1p(spending(customers))


def total_spending(customers: pd.DataFrame) -> pd.Series:
    """Each customer's total annual spending over the six categories."""
    return spending(customers).sum(axis=1).rename("total")


def grade_by_hand(
    customers: pd.DataFrame, thresholds: dict[str, float] = HAND_THRESHOLDS
) -> pd.Series:
    """The wholesaler's hand rule: small, medium or large by total spending alone."""
    total = total_spending(customers)
    grades = np.where(
        total >= thresholds["large"],
        "large",
        np.where(total >= thresholds["medium"], "medium", "small"),
    )
    return pd.Series(
        pd.Categorical(grades, categories=GRADES, ordered=True),
        index=customers.index,
        name="grade",
    )


def skewness(frame: pd.DataFrame) -> pd.Series:
    """The skewness of each column: 0 for a symmetric spread, large when a long tail is
    on the right (as for spending)."""
    return frame.skew()


def strongest_correlations(frame: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """The ``top`` most correlated pairs of columns, strongest first."""
    corr = frame.corr()
    pairs = [
        (a, b, corr.loc[a, b]) for i, a in enumerate(corr.columns) for b in corr.columns[i + 1 :]
    ]
    table = pd.DataFrame(pairs, columns=["column", "with", "correlation"])
    order = table["correlation"].abs().sort_values(ascending=False).index
    return table.loc[order].head(top).reset_index(drop=True)


def iqr_outliers(frame: pd.DataFrame, factor: float = 1.5) -> pd.DataFrame:
    """True where a value lies more than ``factor`` interquartile ranges outside the middle
    half of its column (Tukey's rule, the whiskers of a box plot)."""
    q1, q3 = frame.quantile(0.25), frame.quantile(0.75)
    spread = q3 - q1
    return (frame < q1 - factor * spread) | (frame > q3 + factor * spread)


def segment_profile(customers: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """One row per segment: its size, the mean spending on each category, and the most common
    Channel and Region.

    A mean is the centre of numbers; Channel and Region are categories, whose mean means
    nothing, so their centre is the mode (the most common value), as k-modes defines it.
    """
    frame = customers.assign(segment=np.asarray(labels))
    profile = frame.groupby("segment")[list(SPENDING_COLUMNS)].mean().round(0)
    profile.insert(0, "customers", frame.groupby("segment").size())
    for column in LABEL_COLUMNS:
        if column in frame:
            profile[column] = frame.groupby("segment", observed=True)[column].agg(
                lambda values: values.mode().iloc[0]
            )
    return profile


def number_segments(
    labels: np.ndarray, totals: np.ndarray, k: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Renumber segments in the course's one convention: segment 0 has the largest mean total
    spending, then in falling order. Returns the new labels and ``order`` (new segment ``j`` is
    old segment ``order[j]``, so ``centres[order]`` renumbers centres alike).

    k-means numbers its clusters by where each start happened to put them, so the same
    partition can come out as 0, 1 or 1, 0. Numbering by spending makes segment numbers mean
    the same thing in every notebook, on every machine. ``k`` counts segments that may be
    empty (by default, the highest label plus one). Means equal to 9 significant digits
    count as equal (so last-bit differences between CPUs cannot swap them); such segments keep
    the order of their first customer. A segment with no customers comes last.

    >>> number_segments(np.array([0, 0, 1, 2]), np.array([1.0, 3.0, 9.0, 5.0]))[0].tolist()
    [2, 2, 0, 1]
    """
    labels = np.asarray(labels)
    totals = np.asarray(totals, dtype=float)
    if k is None:
        k = int(labels.max()) + 1 if labels.size else 0
    sums = np.bincount(labels, weights=totals, minlength=k)
    counts = np.bincount(labels, minlength=k)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), -np.inf)
    rounded = np.array([float(f"{m:.9g}") for m in means])
    first = np.array([np.argmax(labels == j) if counts[j] else labels.size for j in range(k)])
    order = np.lexsort((first, -rounded))
    return np.argsort(order)[labels], order
