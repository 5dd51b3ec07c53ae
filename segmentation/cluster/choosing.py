"""Choosing k: J and the silhouette for a range of k, the segments of several k side by side,
and data on which k-means shows its limits.

Examples
--------
>>> import numpy as np
>>> X = np.array([[0.0, 0.0], [0.0, 1.0], [9.0, 9.0], [9.0, 10.0]])
>>> scan_k(X, [1, 2], random_state=0)[["k", "J"]].to_dict("list")
{'k': [1, 2], 'J': [163.0, 1.0]}
>>> segment_with_k(X, 2).summary()
'k = 2: J = 1.0, silhouette = 0.921; segment sizes: 2, 2'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import silhouette_score

from segmentation.cluster.kmeans import KMeans
from segmentation.cluster.numbering import number_segments, segment_profile
from segmentation.data.schema import LABEL_COLUMNS
from segmentation.preprocessing.spending import total_spending


@dataclass(frozen=True)
class Segmentation:
    """The result of segmenting with one k."""

    k: int
    labels: np.ndarray
    centres: np.ndarray
    sizes: np.ndarray
    J: float
    silhouette: float  # NaN for k = 1

    def headline(self) -> str:
        silhouette = "n/a" if np.isnan(self.silhouette) else f"{self.silhouette:.3f}"
        return f"k = {self.k}: J = {self.J:,.1f}, silhouette = {silhouette}"

    def summary(self) -> str:
        return f"{self.headline()}; segment sizes: {', '.join(str(s) for s in self.sizes)}"


def segment_with_k(
    X: Any, k: int, *, totals: Any = None, random_state: int = 0, n_init: int = 10
) -> Segmentation:
    """Fit the course's k-means with k clusters and measure the result.

    Segments are numbered as everywhere in the course (:func:`number_segments`): segment 0
    has the largest mean of ``totals``, the customers' total spending. Without ``totals`` the
    row sums of X stand in for it (on log spending: the overall level of spending).
    """
    X = np.asarray(X, dtype=float)
    model = KMeans(k, n_init=n_init, random_state=random_state).fit(X)
    totals = X.sum(axis=1) if totals is None else np.asarray(totals, dtype=float)
    labels, order = number_segments(model.labels_, totals, k)
    silhouette = silhouette_score(X, labels) if 1 < k < len(X) else float("nan")
    return Segmentation(
        k=k,
        labels=labels,
        centres=model.cluster_centers_[order],
        sizes=np.bincount(labels, minlength=k),
        J=model.inertia_,
        silhouette=float(silhouette),
    )


def scan_k(X: Any, ks: Iterable[int], *, random_state: int = 0, n_init: int = 10) -> pd.DataFrame:
    """Fit k-means for each k; one row per k with J and the silhouette (none for k = 1).

    The silhouette of a sample compares its mean distance to its own cluster (a) with that to
    the nearest other cluster (b): (b - a) / max(a, b), from -1 to 1. Averaged over samples,
    higher means tighter, better separated clusters.
    """
    results = [segment_with_k(X, k, random_state=random_state, n_init=n_init) for k in ks]
    return pd.DataFrame([{"k": r.k, "J": r.J, "silhouette": r.silhouette} for r in results])


def profiles_by_k(
    customers: pd.DataFrame, X: Any, ks: Iterable[int], *, random_state: int = 0
) -> pd.DataFrame:
    """The segments that each k gives, side by side, to compare choices of k on what they mean
    for the business.

    Parameters
    ----------
    customers : pandas.DataFrame
        The customer table (:func:`~segmentation.data.shipped.load_customers`), for the spending
        and the Channel of each customer.
    X : array of shape (n_customers, n_features)
        The features to cluster, one row per customer of ``customers``.
    ks : iterable of int
        The values of k to compare.
    random_state : int
        Seed of the k-means starts (best of ten, as :func:`segment_with_k`).

    Returns
    -------
    pandas.DataFrame
        One row per k and segment (index ``k``, ``segment``): the number of customers, their
        mean total spending, their mean spending on each category (all in m.u., rounded) and the
        percentage of them buying through the Retail channel (the Channel mix). Segments are
        numbered as everywhere in the course: segment 0 has the largest mean total spending.
    """
    totals = total_spending(customers)
    retail = customers["Channel"] == "Retail"
    tables = {}
    for k in ks:
        labels = segment_with_k(X, k, totals=totals, random_state=random_state).labels
        profile = segment_profile(customers, labels).drop(
            columns=list(LABEL_COLUMNS), errors="ignore"
        )
        profile.insert(1, "mean total", totals.groupby(labels).mean().round(0))
        profile["% Retail"] = retail.groupby(labels).mean().mul(100).round(0)
        tables[k] = profile
    return pd.concat(tables, names=["k", "segment"])


def elbow(table: pd.DataFrame) -> int:
    """The k where J bends most sharply: the largest drop in the rate at which J falls.

    Needs J for at least three values of k, one apart (a bend is read from three points in a
    row); raises ValueError otherwise, with what to do.
    """
    scored = table.dropna(subset=["J"]).sort_values("k")
    ks, J = scored["k"].to_numpy(), scored["J"].to_numpy(dtype=float)
    if len(J) < 3 or not (np.diff(ks) == 1).all():
        raise ValueError(
            f"an elbow needs J for at least three values of k in a row; the table "
            f"has it for k = {', '.join(str(k) for k in ks) or 'none'}. Make it "
            "with scan_k(X, range(1, 11))."
        )
    bend = J[:-2] - 2 * J[1:-1] + J[2:]
    return int(ks[1 + int(np.argmax(bend))])


def best_silhouette(table: pd.DataFrame) -> int:
    """The k with the highest silhouette; raises ValueError when the table has none (k = 1
    alone has no silhouette)."""
    scored = table.dropna(subset=["silhouette"])
    if scored.empty:
        raise ValueError(
            "the table has no silhouette (it needs k = 2 or more). Make it with "
            "scan_k(X, range(1, 11))."
        )
    return int(scored.loc[scored["silhouette"].idxmax(), "k"])


# --- data on which a strength or weakness of k-means shows ---------------------------------
