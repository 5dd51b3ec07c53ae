"""k-means on log-scaled RFM, set against the named RFM segments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from segmentation.cluster.kmeans import KMeans
from segmentation.cluster.numbering import number_segments
from segmentation.preprocessing.spending import scaled
from segmentation.rfm.table import RFM_COLUMNS


@dataclass(frozen=True)
class RFMClusters:
    """k-means clusters of an RFM table and how they agree with the named segments.

    ``labels``: each customer's cluster (Series indexed by Customer ID; cluster 0 has the
    largest mean monetary). ``profile``: per cluster, ``customers`` and the mean
    ``recency``, ``frequency`` and ``monetary`` (1, 1 and 0 decimals).
    ``agreement``: the adjusted Rand index between clusters and segments (1 = the same
    partition, about 0 = no more alike than chance), 3 decimals. ``crosstab``: customers
    per segment (rows, canonical order) and cluster (columns).
    """

    labels: pd.Series
    profile: pd.DataFrame
    agreement: float
    crosstab: pd.DataFrame


def log_scaled_rfm(rfm: pd.DataFrame) -> np.ndarray:
    """``log(1 + x)`` of recency, frequency and monetary, then each scaled to mean 0 and
    standard deviation 1 (the course's preprocessing, :func:`scaled`).

    The logs tame the long right tails (a few customers buy hundreds of times). Net spending
    of 0 or below (refunded customers, kept in the table) counts as 0 here: the log of a
    negative amount does not exist, and such a customer is, for clustering, one who spent
    nothing.
    """
    frame = rfm[list(RFM_COLUMNS)].astype(float)
    frame["monetary"] = frame["monetary"].clip(lower=0.0)
    return scaled(frame, "log")


def rfm_kmeans(
    rfm: pd.DataFrame,
    segments: pd.Series,
    k: int = 4,
    *,
    n_init: int = 10,
    random_state: int = 0,
) -> RFMClusters:
    """Fit the course's :class:`~segmentation.cluster.kmeans.KMeans` (``k`` clusters,
    ``n_init`` starts, seeded) on :func:`log_scaled_rfm`, number the clusters by mean
    monetary (largest first, :func:`~segmentation.cluster.numbering.number_segments`), and
    compare them with the named ``segments`` (from ``rfm_segments``)."""
    X = log_scaled_rfm(rfm)
    model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(X)
    labels, _ = number_segments(model.labels_, rfm["monetary"].to_numpy(dtype=float), k)
    labels = pd.Series(labels, index=rfm.index, name="cluster")
    grouped = rfm[list(RFM_COLUMNS)].groupby(labels)
    profile = grouped.mean().round({"recency": 1, "frequency": 1, "monetary": 0})
    profile.insert(0, "customers", grouped.size())
    segments = segments.reindex(rfm.index)
    crosstab = pd.crosstab(segments, labels, dropna=False)
    crosstab = crosstab.reindex(segments.cat.categories, fill_value=0)
    agreement = round(float(adjusted_rand_score(segments.astype(str), labels)), 3)
    return RFMClusters(labels, profile, agreement, crosstab)
