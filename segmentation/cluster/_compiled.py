"""Compiled loops (private): the nearest centre of every customer, the clusters' sums, and
the largest gap between two sorted samples' distributions.

A stream of batches (incremental k-means, the drift monitors) calls the same few steps again
and again on arrays of ten thousand customers, where NumPy's many small whole-array
operations (and their temporaries) cost more than the arithmetic; and a distance computed by
a matrix product (BLAS) depends in its last bits on the shape of the product, so that a
customer near the border of two segments could change segment with the rows around it.
These loops do each step in one pass, compiled by Numba (already a dependency of SHAP).

Every loop adds in a fixed order, one value at a time, with no fused multiply-add (Numba
does not fuse without ``fastmath``), so the results are the same bits on every CPU:

- :func:`nearest`, :func:`nearest_labels`, :func:`distances`: ``sum over features of
  (x_f - c_f) ** 2``, features in order; the first centre wins a tie (the course's rule, and
  the readable step's, ``steps.assign``, whose bits these are for up to seven features). Every
  assignment of the course's k-means outside the iterations of a fit (``predict``,
  ``transform``, the final ``labels_``, ``partial_fit``, the drift monitors) comes from these,
  so a customer's segment does not depend on the other rows of the batch.
- :func:`cluster_sums`: each cluster's sum with the rows added in the data's order, the bits
  ``np.bincount(labels, X[:, f])`` gives.
- :func:`ks_gaps`: exact integers, no rounding at all.

Tests compare each with a NumPy or SciPy computation of the same quantity.
"""

from __future__ import annotations

import numpy as np

from segmentation._numba import compile_loop as _compile


@_compile
def _nearest_of_row(X: np.ndarray, i: int, centres: np.ndarray) -> tuple[int, float]:
    """Row ``i``'s nearest centre (the first, on a tie) and the squared distance to it."""
    best, label = np.inf, 0
    for j in range(centres.shape[0]):
        total = 0.0
        for f in range(X.shape[1]):
            away = X[i, f] - centres[j, f]
            total += away * away
        if total < best:
            best, label = total, j
    return label, best


@_compile
def nearest(X: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nearest centre of each row of ``X`` (the first, on a tie) and the squared
    distance to it."""
    labels = np.empty(X.shape[0], np.int32)
    squared = np.empty(X.shape[0])
    for i in range(X.shape[0]):
        labels[i], squared[i] = _nearest_of_row(X, i, centres)
    return labels, squared


@_compile
def nearest_labels(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The nearest centre of each row of ``X`` (the first, on a tie), as :func:`nearest`
    finds it, without keeping the distances."""
    labels = np.empty(X.shape[0], np.int32)
    for i in range(X.shape[0]):
        labels[i] = _nearest_of_row(X, i, centres)[0]
    return labels


@_compile
def distances(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The distance of each row of ``X`` to each centre: the square root of the squared
    distance :func:`nearest` compares."""
    out = np.empty((X.shape[0], centres.shape[0]))
    for i in range(X.shape[0]):
        for j in range(centres.shape[0]):
            total = 0.0
            for f in range(X.shape[1]):
                away = X[i, f] - centres[j, f]
                total += away * away
            out[i, j] = np.sqrt(total)
    return out


@_compile
def cluster_sums(X: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each of the ``k`` clusters' sum of its rows (rows added in order) and its size."""
    sums = np.zeros((k, X.shape[1]))
    counts = np.zeros(k, np.int64)
    for i in range(X.shape[0]):
        label = labels[i]
        counts[label] += 1
        for f in range(X.shape[1]):
            sums[label, f] += X[i, f]
    return sums, counts


@_compile
def ks_gaps(reference: np.ndarray, current: np.ndarray) -> np.ndarray:
    """For each row (a feature) of two tables of sorted values, the largest gap between the
    two samples' cumulative distributions, in units of ``1 / (n1 n2)``: ``max |i n2 - j n1|``
    over every value v, with ``i`` reference values and ``j`` current values at most v."""
    n1, n2 = reference.shape[1], current.shape[1]
    gaps = np.zeros(reference.shape[0], np.int64)
    for row in range(reference.shape[0]):
        ref, cur = reference[row], current[row]
        i = j = gap = 0
        # Past the end of either sample the gap only shrinks: stop there.
        while i < n1 and j < n2:
            value = min(ref[i], cur[j])
            while i < n1 and ref[i] <= value:
                i += 1
            while j < n2 and cur[j] <= value:
                j += 1
            gap = max(gap, abs(i * n2 - j * n1))
        gaps[row] = gap
    return gaps
