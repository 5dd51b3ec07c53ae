"""Drift monitoring's summary of the training data, computed on Spark.

A model file keeps, for monitoring without the training data, what
:func:`segmentation.monitor.drift.training_summary` computes in memory: per feature the PSI
bins of ``log1p`` of the spending (the cut points at the deciles, repeated cuts merged, and
the training data's share in each bin), and the customers' mean distance to their nearest
centre. :func:`spark_training_summary` computes the same numbers on Spark, with no customer
passing through Python:

- The deciles are NumPy's (``np.quantile``, its default "linear" method): the decile at
  ``q`` lies between the sorted values at positions ``floor((n - 1) q)`` and the next one.
  Spark counts the customers at each distinct spending (one shuffle) and returns only the
  values at those positions (:func:`order_statistics`); NumPy's own arithmetic then takes
  their ``log1p`` and interpolates between them (:func:`decile_cuts`), so the cut points
  are the course's, bit for bit.
- The shares: ``log1p`` keeps the order, so the customers at or above a cut are those at or
  above one of the two spending values the cut lies between; Spark counts them (one pass,
  with the mean distance). Exact when different spending values have different logarithms,
  as amounts in whole m.u. or in cents always do.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from segmentation.monitor.drift import PSI_BINS, usable_distance

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


def decile_positions(n: int, bins: int = PSI_BINS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where ``np.quantile`` (method "linear") finds the inner cut points of ``bins`` bins
    of ``n`` sorted values: the positions below and above each, and the weight of the one
    above (as NumPy computes them)."""
    quantiles = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    virtual = (n - 1) * quantiles
    below = np.floor(virtual)
    weight = virtual - below
    below = below.astype(np.intp)
    above = below + 1
    last = virtual >= n - 1  # one value: NumPy takes the last one, whatever the weight
    below[last], above[last] = n - 1, n - 1
    return below, above, weight


def decile_cuts(low: np.ndarray, high: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """NumPy's linear interpolation (``numpy.lib._function_base_impl._lerp``) of ``log1p``
    of the values below and above each cut point: ``np.quantile``'s result."""
    a, b = np.log1p(low), np.log1p(high)
    difference = b - a
    cuts = a + difference * weight
    # NumPy interpolates from the upper end when the weight is 0.5 or more.
    return np.where(weight >= 0.5, b - difference * (1 - weight), cuts)


def order_statistics(frame: DataFrame, columns: Sequence[str], ranks: np.ndarray) -> np.ndarray:
    """The values at the 0-based ``ranks`` of each column once sorted (columns by ranks),
    computed on Spark: the customers per distinct value, their running total in value order,
    and only the values whose run holds one of the ranks come back."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    # One aggregation per column, read alone (a third faster than exploding rows of pairs).
    parts = [
        frame.groupBy(F.col(f"`{c}`").alias("v")).count().withColumn("f", F.lit(j))
        for j, c in enumerate(columns)
    ]
    counts = functools.reduce(lambda a, b: a.unionByName(b), parts)
    running = Window.partitionBy("f").orderBy("v").rowsBetween(Window.unboundedPreceding, 0)
    counts = counts.withColumn("end", F.sum("count").over(running))
    wanted = np.unique(ranks)
    holds = [(F.col("end") - F.col("count") <= int(r)) & (F.col("end") > int(r)) for r in wanted]
    rows = counts.filter(_any(holds)).select("f", "v", "count", "end").collect()
    values = np.full((len(columns), len(ranks)), np.nan)
    for f, v, count, end in rows:
        inside = (ranks >= end - count) & (ranks < end)
        values[f, inside] = v
    return values


def spark_training_summary(
    frame: DataFrame, features: Sequence[str], n: int, squared: Sequence[Column]
) -> dict[str, Any]:
    """What :func:`~segmentation.monitor.drift.training_summary` computes, on Spark:
    ``frame`` holds the ``n`` customers with their spending as numbers, ``squared`` each
    customer's squared distance to each centre in the model's scaled space."""
    from pyspark.sql import functions as F

    below, above, weight = decile_positions(n)
    values = order_statistics(frame, features, np.concatenate([below, above]))
    low, high = values[:, : len(below)], values[:, len(below) :]
    cuts, sums = [], []
    for j, feature in enumerate(features):
        edges = decile_cuts(low[j], high[j], weight)
        unique, first = np.unique(edges, return_index=True)
        # At or above a cut: at or above the value below it if that one's log reaches the
        # cut (the weight rounded it away), else at or above the value above it.
        start = np.where(np.log1p(low[j][first]) >= unique, low[j][first], high[j][first])
        cuts.append(unique)
        column = F.col(f"`{feature}`")
        sums += [F.sum((column >= float(t)).cast("long")) for t in start]
    nearest = squared[0] if len(squared) == 1 else F.least(*squared)
    totals = frame.agg(F.avg(F.sqrt(nearest)), *sums).first()
    assert totals is not None  # an aggregate always has one row
    at_or_above, bins, used = list(totals)[1:], {}, 0
    for feature, unique in zip(features, cuts, strict=True):
        above_cut = np.array(at_or_above[used : used + len(unique)], dtype=np.int64)
        used += len(unique)
        counts = -np.diff(np.concatenate(([n], above_cut, [0])))
        bins[feature] = {"edges": unique.tolist(), "shares": (counts / n).tolist()}
    return {"psi_bins": bins, "mean_distance": usable_distance(float(totals[0]))}


def _any(conditions: Sequence[Column]) -> Column:
    """True where any of the conditions is."""
    found = conditions[0]
    for condition in conditions[1:]:
        found = found | condition
    return found
