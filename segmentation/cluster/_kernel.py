"""The fast kernel behind :class:`~segmentation.cluster.kmeans.KMeans` (private).

It computes what the readable steps of :mod:`segmentation.cluster.steps` compute, in a way that
stays fast and small on a million customers: the data is processed in blocks of ``chunk_size``
rows, so no ``n x k x d`` array is ever built and the memory beyond the data does not grow with
the number of customers, and each block's work is a few whole-array NumPy operations (one
matrix product gives the distances of a block's samples to all centres, another the clusters'
sums). Prior checking of the inputs is assumed. Tests compare every result with the readable
steps and with scikit-learn.

The matrix products serve the iterations of a fit. The assignment a user sees (``predict``,
``transform``, the final ``labels_``) is :func:`assign`'s, computed row by row by the compiled
loops of :mod:`segmentation.cluster._compiled`: a matrix product's last bits depend on its
shape, and with them, for a sample within rounding of two centres, the segment.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from segmentation.cluster import _compiled

#: Rows per block: small enough that a block's temporaries stay in the CPU cache.
CHUNK_ROWS = 8192


@functools.cache
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread(function: Callable) -> Callable:
    """Run ``function`` with BLAS on one thread: its matrix products are small and many, and
    BLAS's threads cost more than they give (scikit-learn's k-means does the same)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _blas_controller().limit(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------------------------
# Step 1: initial centres (the same draws as steps.initial_centres, without n x d temporaries)
# --------------------------------------------------------------------------------------------


def initial_centres(X: np.ndarray, k: int, method: str, rng: np.random.Generator) -> np.ndarray:
    """k starting centres, drawn from ``rng`` exactly as ``steps.initial_centres`` draws them."""
    if method == "random":
        return X[rng.choice(len(X), size=k, replace=False)]
    if method == "uniform":
        low, high = X.min(axis=0), X.max(axis=0)
        return low + rng.random((k, X.shape[1])) * (high - low)
    return _kmeans_plus_plus(X, k, rng)


def _kmeans_plus_plus(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    centres = np.empty((k, X.shape[1]))
    centres[0] = X[rng.integers(len(X))]
    closest = np.full(len(X), np.inf)  # each sample's squared distance to its nearest centre
    for j in range(1, k):
        _move_closer(closest, X, centres[j - 1])
        total = closest.sum()
        if total > 0:
            chosen = int(rng.choice(len(X), p=closest / total))
        else:  # every sample is already a centre: fewer distinct points than k
            chosen = int(rng.integers(len(X)))
        centres[j] = X[chosen]
    return centres


def _move_closer(closest: np.ndarray, X: np.ndarray, centre: np.ndarray) -> None:
    """Lower each sample's squared distance in ``closest`` to its distance to ``centre``.

    Squares summed along each row, as the readable step sums them, so that both give the same
    bits and so draw the same centres.
    """
    minus_centre = _Minus(centre, _block_rows(X, CHUNK_ROWS))

    def block(rows: slice, buffer: np.ndarray) -> None:
        away = minus_centre(X[rows], buffer)
        np.minimum(closest[rows], np.square(away, out=away).sum(axis=1), out=closest[rows])

    _for_each_block(block, X, CHUNK_ROWS)


# --------------------------------------------------------------------------------------------
# Steps 2 to 4
# --------------------------------------------------------------------------------------------


class Prepared:
    """The data of a fit and what every run needs of it, computed once."""

    def __init__(self, X: np.ndarray, chunk_size: int) -> None:
        self.X = X
        self.chunk_size = chunk_size
        self.rows = _block_rows(X, chunk_size)
        # (A product with ones sums the rows several times faster than X.mean(axis=0).)
        ones = np.ones(self.rows)
        sums = _for_each_block(
            lambda rows, _: ones[: rows.stop - rows.start] @ X[rows], X, chunk_size
        )
        self.mean = np.sum(sums, axis=0) / len(X)
        minus_mean = _Minus(self.mean, self.rows)

        def block(rows: slice, buffer: np.ndarray) -> float:
            x = minus_mean(X[rows], buffer)
            return float(np.einsum("ij,ij->", x, x))

        #: the sum of squared distances to the data's mean: J for a single cluster
        self.sum_of_squares = math.fsum(_for_each_block(block, X, chunk_size))

    def sum_of_squares_around(self, point: np.ndarray) -> float:
        """The sum over samples of ||x - point||^2."""
        return self.sum_of_squares + len(self.X) * float(((self.mean - point) ** 2).sum())


def lloyd_step(
    data: Prepared, centres: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, float, np.ndarray, int]:
    """One iteration of Lloyd's k-means: assign every sample to its nearest centre (updating
    ``labels``, floats as :func:`_nearest` gives them), then move each centre to its cluster's
    mean, in one pass over the data.

    Returns the new centres, J of the assignment, the clusters' sizes and how many samples
    changed cluster.
    """
    X, chunk_size = data.X, data.chunk_size
    space = _Space(centres, data.rows)

    def block(rows: slice, buffer: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
        # steps 2 and 3 while the block is in the cache
        x = space.centred(X[rows], buffer)
        lowest, one_hot, new = _nearest(space.scores(x))
        changed = int(np.count_nonzero(new != labels[rows]))
        labels[rows] = new
        return one_hot @ x, one_hot.sum(axis=1), float(lowest.sum()), changed

    sums, counts, lowest, changed = _add_up(_for_each_block(block, X, chunk_size))
    # ||x - c||^2 = ||x||^2 + (||c||^2 - 2 x.c), and the scores are the bracket
    J = data.sum_of_squares_around(space.offset) + lowest
    new_centres = space.means(sums, counts, X, labels, chunk_size)
    return new_centres, J, counts.astype(np.int64), changed


def assign(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The index of each sample's nearest centre (the first one, on a tie), by the squared
    distances of :func:`~segmentation.cluster._compiled.nearest`: computed row by row, so
    that a sample's assignment does not depend on the other samples."""
    return _compiled.nearest_labels(X, centres)


def assign_by_scores(X: np.ndarray, centres: np.ndarray, chunk_size: int) -> np.ndarray:
    """The assignment a fit's iteration makes (:func:`lloyd_step`), from the scores of a
    block's matrix product: the same as :func:`assign` but where two centres are within
    rounding of equally near."""
    space = _Space(centres, _block_rows(X, chunk_size))
    labels = np.empty(len(X), dtype=np.int32)

    def block(rows: slice, buffer: np.ndarray) -> None:
        labels[rows] = _nearest(space.scores(space.centred(X[rows], buffer)))[2]

    _for_each_block(block, X, chunk_size)
    return labels


def distances(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The distance of each sample to each centre, shape (n_samples, n_centres): the square
    roots of the squared distances :func:`assign` compares."""
    return _compiled.distances(X, centres)


def sum_of_squares(X: np.ndarray, centres: np.ndarray, labels: np.ndarray, chunk: int) -> float:
    """J computed directly: the sum of ||x - c||^2 over samples, block by block."""

    def block(rows: slice, buffer: np.ndarray) -> float:
        away = np.subtract(
            X[rows], np.take(centres, labels[rows], axis=0), out=buffer[: len(labels[rows])]
        )
        return float(np.einsum("ij,ij->", away, away))

    return math.fsum(_for_each_block(block, X, chunk))


class _Space:
    """Centres, and the arithmetic of distances to them.

    For a sample x and a centre c the score ||c||^2 - 2 x.c equals ||x - c||^2 - ||x||^2, so
    the nearest centre has the lowest score, and one matrix product gives the scores of a
    whole block. Samples and centres are first moved by ``offset``, the centres' mean, so that
    the numbers stay small and the scores precise. Lloyd's iterations compute their distances
    this way (the assignment a user sees is :func:`assign`'s).
    """

    def __init__(self, centres: np.ndarray, rows: int) -> None:
        self.given = centres
        self.offset = centres.mean(axis=0)
        self.centres = centres - self.offset
        self.weights = -2.0 * self.centres
        self.constants = (self.centres**2).sum(axis=1, keepdims=True)
        #: ``centred(x, buffer)``: the block minus the offset, written to ``buffer``
        self.centred = _Minus(self.offset, rows)

    def scores(self, x: np.ndarray) -> np.ndarray:
        """||c||^2 - 2 x.c for each centre (rows) and centred sample (columns)."""
        scores = self.weights @ x.T
        scores += self.constants
        return scores

    def means(
        self,
        sums: np.ndarray,
        counts: np.ndarray,
        X: np.ndarray,
        labels: np.ndarray,
        chunk_size: int,
    ) -> np.ndarray:
        """New centres from each cluster's sum and count (of samples moved by the offset),
        as scikit-learn makes them."""
        sums, counts = sums.copy(), counts.copy()
        if not counts.all():
            _relocate_empty_clusters(sums, counts, X, labels, self, chunk_size)
        centres = np.empty_like(sums)
        filled = counts > 0
        # multiplying by the reciprocal, as scikit-learn does, gives the same bits
        centres[filled] = sums[filled] * (1.0 / counts[filled])[:, np.newaxis]
        centres[~filled] = centres[np.argmax(counts)]
        return centres + self.offset


def _relocate_empty_clusters(
    sums: np.ndarray,
    counts: np.ndarray,
    X: np.ndarray,
    labels: np.ndarray,
    space: _Space,
    chunk_size: int,
) -> None:
    """Give each empty cluster, in order, the sample farthest from its centre (the next
    farthest for the next empty cluster; on a tie the lower-numbered sample), and take that
    sample out of its old cluster: the rule of ``steps.update_centres``."""
    empty = np.flatnonzero(counts == 0)
    labels = labels.astype(np.intp)
    away = np.empty(len(X))

    def block(rows: slice, buffer: np.ndarray) -> None:
        # from the centres as given, not moved by the offset: the readable step's bits
        own = np.take(space.given, labels[rows], axis=0)
        gap = np.subtract(X[rows], own, out=buffer[: len(own)])
        away[rows] = np.square(gap, out=gap).sum(axis=1)

    _for_each_block(block, X, chunk_size)
    if away.max() == 0:
        return
    # the len(empty) largest distances, in O(n): every sample at least as far as the smallest
    # of them, in sample order, then sorted farthest first (a stable sort keeps ties in order)
    cut = away[np.argpartition(away, -len(empty))[-len(empty)]]
    candidates = np.flatnonzero(away >= cut)
    farthest = candidates[np.argsort(-away[candidates], kind="stable")][: len(empty)]
    for cluster, sample in zip(empty, farthest, strict=True):
        x = X[sample] - space.offset
        sums[labels[sample]] -= x
        counts[labels[sample]] -= 1
        sums[cluster] = x
        counts[cluster] = 1


def _nearest(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each sample's nearest centre, from a block's scores (centres by samples).

    Returns the lowest score of each sample, a 0/1 matrix of the scores' shape with a 1 at
    each sample's nearest centre (the first one, on a tie), and the index of that centre as a
    float. (``argmin`` over the short axis of centres is several times slower.)
    """
    lowest = scores.min(axis=0)
    is_nearest = scores == lowest
    if np.count_nonzero(is_nearest) > scores.shape[1]:  # a tie
        is_nearest = np.argmax(is_nearest, axis=0) == np.arange(len(scores))[:, np.newaxis]
    one_hot = is_nearest.astype(np.float64)
    return lowest, one_hot, np.arange(len(scores), dtype=np.float64) @ one_hot


# --------------------------------------------------------------------------------------------
# Blocks
# --------------------------------------------------------------------------------------------


class _Minus:
    """Subtracts one row from every row of a block of at most ``rows`` rows.

    One flat subtraction of a tiled copy of the row is several times faster than NumPy's
    broadcasting of a short row over many rows.
    """

    def __init__(self, row: np.ndarray, rows: int) -> None:
        self.tiled = np.tile(row, rows)

    def __call__(self, x: np.ndarray, buffer: np.ndarray) -> np.ndarray:
        out = buffer[: len(x)]
        np.subtract(x.reshape(-1), self.tiled[: x.size], out=out.reshape(-1))
        return out


def _block_rows(X: np.ndarray, chunk_size: int) -> int:
    return max(1, min(len(X), chunk_size))


def _for_each_block(
    work: Callable[[slice, np.ndarray], Any], X: np.ndarray, chunk_size: int
) -> list[Any]:
    """Call ``work(rows, buffer)`` for every block of rows of X; the results in block order.

    ``buffer`` is scratch space the shape of a block, reused from block to block.
    """
    n, d = X.shape
    buffer = np.empty((_block_rows(X, chunk_size), d))
    return [
        work(slice(start, min(start + chunk_size, n)), buffer) for start in range(0, n, chunk_size)
    ]


def _add_up(results: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """Add up each field of the blocks' results, in block order (so always the same bits)."""
    totals = [
        np.array(field, copy=True) if isinstance(field, np.ndarray) else field
        for field in results[0]
    ]
    for result in results[1:]:
        for i, field in enumerate(result):
            totals[i] = totals[i] + field
    return tuple(totals)
