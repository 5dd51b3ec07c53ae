"""The one numbering of segments in the course, and the profile of each segment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.data.schema import LABEL_COLUMNS, SPENDING_COLUMNS


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
    first = np.array([np.argmax(labels == j) if counts[j] else labels.size for j in range(k)])
    order = segment_order(sums, counts, first)
    return np.argsort(order)[labels], order


def segment_order(sums: np.ndarray, counts: np.ndarray, ties: np.ndarray) -> np.ndarray:
    """The order of :func:`number_segments` from each segment's total spending (``sums``)
    and size (``counts``): largest mean total first (equal to 9 significant digits counts
    as equal), an empty segment last, ties in the order of ``ties`` (smallest first). For
    segments measured without their customers at hand (on Spark, say)."""
    means = np.where(counts > 0, sums / np.maximum(counts, 1), -np.inf)
    rounded = np.array([float(f"{m:.9g}") for m in means])
    return np.lexsort((ties, -rounded))
