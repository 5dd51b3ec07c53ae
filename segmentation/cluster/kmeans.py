"""k-means from scratch: the four steps of the course, and an estimator built on them.

The steps, each a small function a notebook can show:

1. :func:`initial_centres` chooses k starting centres: k random samples (``"random"``), k
   random points within the data's range (``"uniform"``), or k-means++ (``"k-means++"``).
2. :func:`assign` gives each sample the index of its nearest centre.
3. :func:`update_centres` moves each centre to the mean of the samples assigned to it.
4. :func:`objective` computes J, the sum of squared distances of the samples to their centres.

:class:`KMeans` repeats steps 2 and 3 until the assignments stop changing or the centres move
no more than a threshold (or ``max_iter`` is reached), keeps the restart with the lowest J, and
records the whole history of that run in ``history_``. Started from the same centres it ends
where ``sklearn.cluster.KMeans(algorithm="lloyd")`` ends.

How it stays fast and small: the data is processed in blocks of ``chunk_size`` rows, so no
``n x k x d`` array is ever built and the memory beyond the data does not grow with the number
of customers, and each block's work is a few whole-array NumPy operations (one matrix product
gives the distances of a block's samples to all centres, another the clusters' sums).

A cluster that ends up empty after an assignment step is handled as scikit-learn handles it:
it takes the sample that lies farthest from its own centre (the next farthest for a second
empty cluster, and so on), and that sample is taken out of its old cluster's mean. When every
sample sits exactly on its centre there is nobody to move, and an empty cluster is placed on
the centre of the largest cluster.
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import ThreadpoolController

#: The ways to choose the initial centres, as the course names them.
INIT_METHODS = {
    "random": "k samples drawn at random from the data",
    "uniform": "k points drawn uniformly within the range of each feature",
    "k-means++": "one random sample, then each next centre drawn with probability "
    "proportional to its squared distance from the nearest centre chosen so far",
}

#: Why a fit stopped (``history_.stop_reason``).
STOP_ASSIGNMENTS_UNCHANGED = "assignments unchanged"
STOP_CENTRES_SETTLED = "centres moved no more than the threshold"
STOP_MAX_ITER = "max_iter reached"

#: Rows per block: small enough that a block's temporaries stay in the CPU cache.
CHUNK_ROWS = 8192

#: Of n_init starts, a later one replaces the best so far only when its J is lower by more than
#: this fraction. Starts that end in the same partition differ in J only in the last bits, and
#: those bits depend on the order in which the CPU adds numbers up; without this rule which of
#: them "wins" (and so how the clusters are numbered) would change from machine to machine.
TIE_TOLERANCE = 1e-9


def _clearly_lower(J: float, best: float) -> bool:
    """True when J beats ``best`` by more than :data:`TIE_TOLERANCE` (relative)."""
    return J < best - TIE_TOLERANCE * abs(best)


@functools.cache
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()


def _one_blas_thread(function: Callable) -> Callable:
    """Run ``function`` with BLAS on one thread: its matrix products are small and many, and
    BLAS's threads cost more than they give (scikit-learn's k-means does the same)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _blas_controller().limit(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------------------------
# The four steps
# --------------------------------------------------------------------------------------------


@_one_blas_thread
def initial_centres(
    X: Any, n_clusters: int, method: str = "k-means++", random_state: Any = None
) -> np.ndarray:
    """Step 1: choose ``n_clusters`` starting centres.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data.
    n_clusters : int
        k, the number of centres.
    method : {"random", "uniform", "k-means++"}
        ``"random"``: k distinct samples of X. ``"uniform"``: k points drawn uniformly between
        the smallest and the largest value of each feature. ``"k-means++"``: the first centre
        is a random sample; each next one is a sample drawn with probability proportional to
        its squared distance from the nearest centre chosen so far, so that centres spread out.
    random_state : int, numpy Generator or None
        Seed for the random choices; the same seed gives the same centres.

    Returns
    -------
    ndarray of shape (n_clusters, n_features)

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]])
    >>> initial_centres(X, 2, "random", random_state=0).shape
    (2, 2)
    """
    X = _as_data(X)
    return _choose_centres(X, _check_n_clusters(n_clusters, len(X)), method, _rng(random_state))


def _choose_centres(X: np.ndarray, k: int, method: str, rng: np.random.Generator) -> np.ndarray:
    if method == "random":
        return X[rng.choice(len(X), size=k, replace=False)].copy()
    if method == "uniform":
        low, high = X.min(axis=0), X.max(axis=0)
        return low + rng.random((k, X.shape[1])) * (high - low)
    if method == "k-means++":
        return _kmeans_plus_plus(X, k, rng)
    raise ValueError(f"init={method!r} is not a way to choose centres; use one of {_init_names()}")


@_one_blas_thread
def assign(X: Any, centres: Any, *, chunk_size: int = CHUNK_ROWS) -> np.ndarray:
    """Step 2: the index of each sample's nearest centre (the first one, on a tie).

    Examples
    --------
    >>> assign([[0.0, 0.0], [9.0, 9.0]], [[1.0, 1.0], [8.0, 8.0]]).tolist()
    [0, 1]
    """
    X = _as_data(X)
    return _assign(X, _as_centres(centres, X.shape[1]), chunk_size)


def _assign(X: np.ndarray, centres: np.ndarray, chunk_size: int) -> np.ndarray:
    space = _Space(centres, _block_rows(X, chunk_size))
    labels = np.empty(len(X), dtype=np.int32)

    def block(rows: slice, buffer: np.ndarray) -> None:
        scores = space.scores(space.centred(X[rows], buffer))
        labels[rows] = _nearest(scores)[2]

    _for_each_block(block, X, chunk_size)
    return labels


@_one_blas_thread
def update_centres(
    X: Any, labels: Any, centres: Any, *, chunk_size: int = CHUNK_ROWS
) -> np.ndarray:
    """Step 3: move each centre to the mean of the samples assigned to it.

    ``centres`` are the centres the labels were assigned to; they matter only when a cluster
    is empty (see the module's description of what happens then).

    Examples
    --------
    >>> update_centres([[0.0], [2.0], [10.0]], [0, 0, 1], [[0.0], [9.0]]).tolist()
    [[1.0], [10.0]]
    """
    X = _as_data(X)
    centres = _as_centres(centres, X.shape[1])
    labels = _as_labels(labels, len(X), len(centres))
    space = _Space(centres, _block_rows(X, chunk_size))
    one_of_k = np.arange(len(centres))[:, np.newaxis]

    def block(rows: slice, buffer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        one_hot = (labels[rows] == one_of_k).astype(np.float64)
        return one_hot @ space.centred(X[rows], buffer), one_hot.sum(axis=1)

    sums, counts = _add_up(_for_each_block(block, X, chunk_size))
    return space.means(sums, counts, X, labels, chunk_size)


@_one_blas_thread
def objective(X: Any, centres: Any, labels: Any) -> float:
    """Step 4: J, the sum over samples of the squared distance to their assigned centre.

    Examples
    --------
    >>> objective([[0.0], [2.0], [10.0]], [[1.0], [10.0]], [0, 0, 1])
    2.0
    """
    X = _as_data(X)
    centres = _as_centres(centres, X.shape[1])
    labels = _as_labels(labels, len(X), len(centres))
    return _sum_of_squares(X, centres, labels, CHUNK_ROWS)


# --------------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitHistory:
    """What happened in each iteration of a fit, to replay it step by step.

    Entry ``t`` of ``centres``, ``objective`` and ``sizes`` describes the centres after ``t``
    updates: ``centres[0]`` are the initial centres and ``centres[-1]`` the final ones;
    ``objective[t]`` is J once every sample is assigned to its nearest centre of
    ``centres[t]``, and ``sizes[t]`` the number of samples in each cluster then.
    ``objective[-1]`` is the fit's ``inertia_``. ``shift[t]`` is how far each centre moved in
    update ``t + 1`` (from ``centres[t]`` to ``centres[t + 1]``).
    """

    centres: np.ndarray
    objective: np.ndarray
    sizes: np.ndarray
    shift: np.ndarray
    stop_reason: str

    @property
    def n_iter(self) -> int:
        """The number of iterations (assignment and update steps) the fit made."""
        return len(self.shift)

    def assignments(self, X: Any) -> np.ndarray:
        """The assignment of every sample at each step, shape ``(n_iter + 1, n_samples)``.

        They are recomputed from the stored centres with :func:`assign` (the computation the
        fit made), because keeping them would cost memory in proportion to samples times
        iterations.
        """
        return np.stack([assign(X, centres) for centres in self.centres])


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """k-means clustering, written from scratch for the course, with scikit-learn's API.

    Parameters
    ----------
    n_clusters : int, default=8
        k, the number of clusters.
    init : {"k-means++", "random", "uniform"} or array of shape (n_clusters, n_features)
        How to choose the initial centres (see :func:`initial_centres`), or the centres
        themselves.
    n_init : int or "auto", default="auto"
        How many times to run from different initial centres; the run with the lowest J is
        kept. ``"auto"`` means 10 for a random ``init`` and 1 for given centres.
    max_iter : int, default=300
        The most iterations one run may make.
    tol : float, default=1e-4
        The centres have settled when the sum of their squared moves in one iteration is at
        most ``tol`` times the average variance of the features (scikit-learn's rule).
        ``tol=0`` leaves only the other rule: stop when the assignments stop changing.
    random_state : int, numpy Generator or None
        Seed for the initial centres. Set it for results that repeat.
    chunk_size : int, default=8192
        Rows per block of work. Any value gives the same clusters; it only trades speed for
        memory.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
        The cluster of each training sample (the nearest of the final centres).
    inertia_ : float
        J of the kept run: the sum of squared distances of samples to their centre.
    n_iter_ : int
        Iterations of the kept run.
    history_ : FitHistory
        Centres, J, cluster sizes and centre moves at every iteration of the kept run.
    inertia_per_init_ : ndarray of shape (n_init,)
        The final J of every run, in the order they ran.
    n_features_in_, feature_names_in_
        As in scikit-learn.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 0.0], [10.0, 2.0], [10.0, 4.0], [10.0, 0.0]])
    >>> model = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(model.cluster_centers_.tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    >>> labels = model.predict([[0.0, 0.0], [12.0, 3.0]])
    >>> bool(labels[0] == model.labels_[0]), bool(labels[1] == model.labels_[3])
    (True, True)
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means++",
        n_init: int | str = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: Any = None,
        chunk_size: int = CHUNK_ROWS,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.chunk_size = chunk_size

    @_one_blas_thread
    def fit(self, X: Any, y: Any = None) -> KMeans:
        """Cluster X. ``y`` is ignored; it is there for pipelines."""
        X = self._check_data(X, reset=True)
        k = _check_n_clusters(self.n_clusters, len(X))
        given_centres, n_init = self._check_params(X)
        rng = _rng(self.random_state)
        data = _Prepared(X, self.chunk_size)
        # scikit-learn's threshold: tol times the mean of the features' variances
        threshold = self.tol * data.sum_of_squares / X.size

        best: _Run | None = None
        inertias = []
        for _ in range(n_init):
            if given_centres is None:
                start = _choose_centres(X, k, self.init, rng)
            else:
                start = given_centres
            run = _lloyd(data, start, self.max_iter, threshold)
            inertias.append(run.inertia)
            if best is None or _clearly_lower(run.inertia, best.inertia):
                best = run
        assert best is not None

        distinct = int(np.count_nonzero(best.history.sizes[-1]))  # sizes of the final labels
        if distinct < k:
            warnings.warn(
                f"Only {distinct} distinct clusters were found for n_clusters={k}: the data "
                "has fewer distinct points than clusters.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.cluster_centers_ = best.history.centres[-1].copy()
        self.labels_ = best.labels
        self.inertia_ = best.inertia
        self.n_iter_ = best.history.n_iter
        self.history_ = best.history
        self.inertia_per_init_ = np.array(inertias)
        self._n_features_out = k
        return self

    @classmethod
    def from_centres(cls, centres: Any, **params: Any) -> KMeans:
        """A fitted estimator whose centres are ``centres`` (k rows), as one read from a file:
        it predicts and transforms with them, and was trained on nothing (no labels, no J).

        >>> KMeans.from_centres([[0.0, 0.0], [10.0, 10.0]]).predict([[9.0, 8.0]]).tolist()
        [1]
        """
        centres = np.array(centres, dtype=np.float64)
        if centres.ndim != 2 or not len(centres):
            raise ValueError(f"centres must be a table of k rows; got shape {centres.shape}.")
        _reject_non_finite(centres, centres, what="centres")
        estimator = cls(n_clusters=len(centres), init=centres, n_init=1, **params)
        estimator.cluster_centers_ = centres
        estimator.n_features_in_ = centres.shape[1]
        estimator._n_features_out = len(centres)
        return estimator

    @_one_blas_thread
    def predict(self, X: Any) -> np.ndarray:
        """The nearest centre of each sample."""
        check_is_fitted(self)
        X = self._check_data(X, reset=False)
        return _assign(X, self.cluster_centers_, self.chunk_size)

    @_one_blas_thread
    def transform(self, X: Any) -> np.ndarray:
        """The distance of each sample to each centre, shape (n_samples, n_clusters)."""
        check_is_fitted(self)
        X = self._check_data(X, reset=False)
        space = _Space(self.cluster_centers_, _block_rows(X, self.chunk_size))
        distances = np.empty((len(X), len(self.cluster_centers_)))

        def block(rows: slice, buffer: np.ndarray) -> None:
            x = space.centred(X[rows], buffer)
            squared = space.scores(x) + np.einsum("ij,ij->i", x, x)
            np.sqrt(np.maximum(squared, 0.0), out=distances[rows].T)

        _for_each_block(block, X, self.chunk_size)
        return distances

    @_one_blas_thread
    def score(self, X: Any, y: Any = None) -> float:
        """Minus J on X (higher is better, as scikit-learn's model selection expects)."""
        check_is_fitted(self)
        X = self._check_data(X, reset=False)
        labels = _assign(X, self.cluster_centers_, self.chunk_size)
        return -_sum_of_squares(X, self.cluster_centers_, labels, self.chunk_size)

    def _check_data(self, X: Any, *, reset: bool) -> np.ndarray:
        _reject_non_numeric_columns(X)
        checked = validate_data(
            self, X, reset=reset, dtype=np.float64, order="C", ensure_all_finite=False
        )
        _reject_non_finite(checked, X)
        return checked

    def _check_params(self, X: np.ndarray) -> tuple[np.ndarray | None, int]:
        """The given initial centres (if any) and the number of runs."""
        _check_whole(self.max_iter, "max_iter", 1)
        _check_whole(self.chunk_size, "chunk_size", 1)
        if not isinstance(self.tol, numbers.Real) or not self.tol >= 0:
            raise ValueError(f"tol must be a number >= 0, got {self.tol!r}")
        given = None
        if isinstance(self.init, str):
            if self.init not in INIT_METHODS:
                raise ValueError(
                    f"init={self.init!r} is not a way to choose centres; use one of "
                    f"{_init_names()} or an array of centres"
                )
        else:
            given = np.asarray(self.init, dtype=np.float64)
            expected = (self.n_clusters, X.shape[1])
            if given.shape != expected:
                raise ValueError(
                    f"init has shape {given.shape}, but {self.n_clusters} centres of "
                    f"{X.shape[1]} features need shape {expected}"
                )
            _reject_non_finite(given, self.init, what="init")
        if self.n_init == "auto":
            return given, 10 if given is None else 1
        _check_whole(self.n_init, "n_init", 1)
        if given is not None and self.n_init != 1:
            raise ValueError(
                f"n_init={self.n_init} restarts need random starts, but init gives the "
                "centres: use n_init=1 (or 'auto')"
            )
        return given, int(self.n_init)


# --------------------------------------------------------------------------------------------
# Lloyd's iterations
# --------------------------------------------------------------------------------------------


@dataclass
class _Run:
    labels: np.ndarray
    inertia: float
    history: FitHistory


class _Prepared:
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


def _lloyd(data: _Prepared, centres: np.ndarray, max_iter: int, threshold: float) -> _Run:
    """One run of k-means from the given centres: steps 2 and 3, repeated until it stops."""
    X, chunk_size = data.X, data.chunk_size
    labels = np.full(len(X), -1.0)  # floats, as _nearest gives them
    history = {"centres": [centres], "objective": [], "sizes": [], "shift": []}
    stop_reason = STOP_MAX_ITER

    for _ in range(max_iter):
        space = _Space(centres, data.rows)
        sums, counts, lowest, changed = _assign_and_sum(X, labels, space, chunk_size)
        # ||x - c||^2 = ||x||^2 + (||c||^2 - 2 x.c), and the scores are the bracket
        history["objective"].append(data.sum_of_squares_around(space.offset) + lowest)
        history["sizes"].append(counts.astype(np.int64))
        new_centres = space.means(sums, counts, X, labels, chunk_size)
        shift = np.sqrt(((new_centres - centres) ** 2).sum(axis=1))
        centres = new_centres
        history["shift"].append(shift)
        history["centres"].append(centres)
        if changed == 0:
            stop_reason = STOP_ASSIGNMENTS_UNCHANGED
            break
        if float((shift**2).sum()) <= threshold:
            stop_reason = STOP_CENTRES_SETTLED
            break

    # The final assignment to the final centres, as predict() makes it, and J exactly.
    labels = _assign(X, centres, chunk_size)
    inertia = _sum_of_squares(X, centres, labels, chunk_size)
    history["objective"].append(inertia)
    history["sizes"].append(np.bincount(labels, minlength=len(centres)))
    return _Run(
        labels=labels,
        inertia=inertia,
        history=FitHistory(
            centres=np.stack(history["centres"]),
            objective=np.array(history["objective"]),
            sizes=np.stack(history["sizes"]),
            shift=np.stack(history["shift"]) if history["shift"] else np.empty((0, len(centres))),
            stop_reason=stop_reason,
        ),
    )


def _assign_and_sum(
    X: np.ndarray, labels: np.ndarray, space: _Space, chunk_size: int
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Steps 2 and 3 in one pass over the data: while a block is in the cache, assign its
    samples (updating ``labels``) and take each cluster's sum and count.

    Returns the sums and counts of the clusters (in the space's coordinates), the sum of the
    lowest scores, and how many samples changed cluster.
    """

    def block(rows: slice, buffer: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
        x = space.centred(X[rows], buffer)
        scores = space.scores(x)
        lowest, one_hot, new = _nearest(scores)
        changed = np.count_nonzero(new != labels[rows])
        labels[rows] = new
        return one_hot @ x, one_hot.sum(axis=1), float(lowest.sum()), changed

    return _add_up(_for_each_block(block, X, chunk_size))


class _Space:
    """Centres, and the arithmetic of distances to them.

    For a sample x and a centre c the score ||c||^2 - 2 x.c equals ||x - c||^2 - ||x||^2, so
    the nearest centre has the lowest score, and one matrix product gives the scores of a
    whole block. Samples and centres are first moved by ``offset``, the centres' mean, so that
    the numbers stay small and the scores precise. Every distance to a given set of centres is
    computed this way, so the same centres always give the same assignments.
    """

    def __init__(self, centres: np.ndarray, rows: int) -> None:
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
    """Give each empty cluster the sample farthest from its centre (scikit-learn's rule)."""
    empty = np.flatnonzero(counts == 0)
    labels = labels.astype(np.intp)
    distances = np.empty(len(X))

    def block(rows: slice, buffer: np.ndarray) -> None:
        away = space.centred(X[rows], buffer) - np.take(space.centres, labels[rows], axis=0)
        distances[rows] = (away**2).sum(axis=1)

    _for_each_block(block, X, chunk_size)
    if distances.max() == 0:
        return
    farthest = np.argpartition(distances, -len(empty))[: -len(empty) - 1 : -1]
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


def _sum_of_squares(X: np.ndarray, centres: np.ndarray, labels: np.ndarray, chunk: int) -> float:
    """J computed directly: the sum of ||x - c||^2 over samples, block by block."""

    def block(rows: slice, buffer: np.ndarray) -> float:
        away = np.subtract(
            X[rows], np.take(centres, labels[rows], axis=0), out=buffer[: len(labels[rows])]
        )
        return float(np.einsum("ij,ij->", away, away))

    return math.fsum(_for_each_block(block, X, chunk))


def _kmeans_plus_plus(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    centres = np.empty((k, X.shape[1]))
    centres[0] = X[rng.integers(len(X))]
    closest = np.full(len(X), np.inf)  # each sample's squared distance to its nearest centre
    for j in range(1, k):
        _move_closer(closest, X, centres[j - 1])
        total = closest.sum()
        if total > 0:
            chosen = np.searchsorted(np.cumsum(closest), rng.random() * total, side="right")
            chosen = min(int(chosen), len(X) - 1)
        else:  # every sample is already a centre: fewer distinct points than k
            chosen = int(rng.integers(len(X)))
        centres[j] = X[chosen]
    return centres


def _move_closer(closest: np.ndarray, X: np.ndarray, centre: np.ndarray) -> None:
    """Lower each sample's squared distance in ``closest`` to its distance to ``centre``."""
    minus_centre = _Minus(centre, _block_rows(X, CHUNK_ROWS))

    def block(rows: slice, buffer: np.ndarray) -> None:
        away = minus_centre(X[rows], buffer)
        np.minimum(closest[rows], np.einsum("ij,ij->i", away, away), out=closest[rows])

    _for_each_block(block, X, CHUNK_ROWS)


# --------------------------------------------------------------------------------------------
# Blocks and threads
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


# --------------------------------------------------------------------------------------------
# Checks at the door
# --------------------------------------------------------------------------------------------


def _rng(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31))
    return np.random.default_rng(random_state)


def _init_names() -> str:
    return ", ".join(repr(name) for name in INIT_METHODS)


def _check_whole(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _check_n_clusters(n_clusters: Any, n_samples: int) -> int:
    k = _check_whole(n_clusters, "n_clusters", 1)
    if k > n_samples:
        samples = f"{n_samples} sample" + ("" if n_samples == 1 else "s")
        raise ValueError(
            f"n_clusters={k} clusters need at least {k} samples, but X has {samples}: "
            f"choose n_clusters <= {n_samples}"
        )
    return k


def _as_data(X: Any) -> np.ndarray:
    _reject_non_numeric_columns(X)
    data = np.asarray(X, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(
            f"X must be a table of samples (rows) by features (columns); got an array of "
            f"shape {data.shape}. For a single feature use X.reshape(-1, 1)."
        )
    if len(data) == 0:
        raise ValueError("X has no samples (rows)")
    _reject_non_finite(data, X)
    return np.ascontiguousarray(data)


def _as_centres(centres: Any, n_features: int) -> np.ndarray:
    array = np.asarray(centres, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != n_features or len(array) == 0:
        raise ValueError(
            f"centres must have shape (k, {n_features}) for data with {n_features} features; "
            f"got shape {array.shape}"
        )
    _reject_non_finite(array, centres, what="centres")
    return array


def _as_labels(labels: Any, n_samples: int, k: int) -> np.ndarray:
    array = np.asarray(labels)
    if array.shape != (n_samples,):
        raise ValueError(
            f"labels must have one entry per sample ({n_samples}); got shape {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"labels must be whole numbers (cluster indices); got {array.dtype}")
    if n_samples and (array.min() < 0 or array.max() >= k):
        raise ValueError(
            f"labels must be cluster indices from 0 to {k - 1}; got {array.min()} to {array.max()}"
        )
    return array


def _reject_non_numeric_columns(X: Any) -> None:
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return
    import pandas as pd

    for column, dtype in dtypes.items():
        if not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)):
            raise ValueError(
                f"column {column!r} holds {dtype} values, not numbers; k-means needs numeric "
                "features: select the spending columns (segmentation.data.schema.SPENDING_COLUMNS) "
                "or encode this column as numbers first"
            )


def _reject_non_finite(array: np.ndarray, original: Any, what: str = "X") -> None:
    """Raise an error naming the first cells that hold NaN or infinity, if any do."""
    bad = ~np.isfinite(array)
    if not bad.any():
        return
    places = np.argwhere(bad)
    names = getattr(original, "columns", None)
    index = getattr(original, "index", None)

    def place(row: int, col: int) -> str:
        if names is not None and index is not None:
            return f"row {index[row]}, column '{names[col]}': {array[row, col]}"
        return f"row {row}, column {col} (counting from 0): {array[row, col]}"

    kinds = " and ".join(
        kind
        for kind, present in (("NaN", np.isnan(array).any()), ("infinity", np.isinf(array).any()))
        if present
    )
    shown = "; ".join(place(int(r), int(c)) for r, c in places[:5])
    more = f" (and {len(places) - 5} more)" if len(places) > 5 else ""
    raise ValueError(
        f"{what} contains {kinds} at {shown}{more}. k-means needs a number in every cell: "
        "fill in or drop those rows first (`segmentation validate FILE` lists such cells in "
        "a CSV)."
    )
