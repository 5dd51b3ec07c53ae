"""Incremental k-means: move the centres a little with each new batch instead of refitting.

The update of :meth:`KMeans.partial_fit <segmentation.cluster.kmeans.KMeans.partial_fit>`:
each customer of the batch is assigned to its nearest centre; centre ``j`` gets ``m_j`` of
them, with mean ``mean_j``; its count becomes ``n_j <- forgetting * n_j + m_j`` and it moves
to ``c_j + (m_j / n_j) (mean_j - c_j)``. With ``forgetting = 1`` the centre is the running
mean of every customer ever assigned to it (each counts equally, whichever batch it came in);
with ``forgetting < 1`` a batch's weight shrinks by that factor with each later batch, so the
centres remember about ``1 / (1 - forgetting)`` batches and follow a moving world. A centre
with no customer in the batch stays where it is.

The first call on an unfitted model starts the centres as ``fit`` starts them (one draw of
``init``, seeded by ``random_state``, or the given centres) on that batch, with every count
0: the first update then puts each centre at the mean of its customers.

>>> import numpy as np
>>> centres, counts = np.array([[0.0], [10.0]]), np.array([2.0, 1.0])
>>> new, n, labels = update(np.array([[2.0], [4.0], [11.0]]), centres, counts, 1.0)
>>> new.ravel().tolist(), n.tolist(), labels.tolist()
([1.5, 10.5], [4.0, 2.0], [0, 0, 1])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from segmentation.cluster import _compiled, _kernel
from segmentation.cluster.steps import _as_generator, _check_n_clusters

if TYPE_CHECKING:
    from segmentation.cluster.kmeans import KMeans


def update(
    X: np.ndarray,
    centres: np.ndarray,
    counts: np.ndarray,
    forgetting: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One incremental step on the batch ``X``: the new centres, the new counts, and the
    assignment of the batch to the old centres (see the module's docstring)."""
    k = len(centres)
    labels = _kernel.assign(X, centres)
    # Each cluster's sum, feature by feature, with the rows added in the batch's order (no
    # matrix product, whose order of addition depends on the BLAS library; and no sort).
    sums, sizes = _compiled.cluster_sums(X, labels, k)
    members = sizes.astype(np.float64)
    present = members > 0
    new_counts = forgetting * counts + members
    new_centres = centres.copy()
    step = members[present] / new_counts[present]
    means = sums[present] / members[present, None]
    new_centres[present] += step[:, None] * (means - centres[present])
    return new_centres, new_counts, labels


def partial_fit(estimator: KMeans, X: Any) -> KMeans:
    """Update ``estimator`` (a :class:`~segmentation.cluster.kmeans.KMeans`) with one batch;
    the body of its ``partial_fit``. Checks the parameters and the batch as ``fit`` does."""
    estimator._validate_params()
    first = not hasattr(estimator, "cluster_centers_")
    X = estimator._check_data(X, reset=first)
    if first:
        k = _check_n_clusters(estimator.n_clusters, len(X))
        given, _ = estimator._check_init(X)
        if given is None:
            rng = _as_generator(estimator.random_state)
            given = _kernel.initial_centres(X, k, estimator.init, rng)
        centres, counts = np.array(given, dtype=np.float64), np.zeros(k)
    else:
        centres = np.asarray(estimator.cluster_centers_, dtype=np.float64)
        counts = getattr(estimator, "counts_", np.zeros(len(centres)))
    centres, counts, _ = update(X, centres, counts, estimator.forgetting)
    # As after a fit: the labels and J of the batch, by the centres the model now has.
    labels = _kernel.assign(X, centres)
    estimator.cluster_centers_ = centres
    estimator.counts_ = counts
    estimator.labels_ = labels
    estimator.inertia_ = _kernel.sum_of_squares(X, centres, labels, estimator.chunk_size)
    estimator._n_features_out = len(centres)
    return estimator
