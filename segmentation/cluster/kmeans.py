"""The course's k-means estimator, with scikit-learn's API.

:class:`KMeans` repeats steps 2 and 3 of :mod:`segmentation.cluster.steps` until the
assignments stop changing or the centres move no more than a threshold (or ``max_iter`` is
reached), keeps the restart with the lowest J, and records the whole history of that run in
``history_``. Started from the same centres it ends where the readable steps end, and where
``sklearn.cluster.KMeans(algorithm="lloyd")`` ends. The work of each iteration is done by the
fast kernel in :mod:`segmentation.cluster._kernel`, in blocks of rows, so that the memory beyond
the data does not grow with the number of customers. Empty clusters are handled by the rule
of :func:`~segmentation.cluster.steps.update_centres`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from segmentation.cluster import _kernel, incremental
from segmentation.cluster._kernel import CHUNK_ROWS, one_blas_thread
from segmentation.cluster.steps import (
    _RANDOM_STATES,
    INIT_METHODS,
    _as_data,
    _as_generator,
    _check_n_clusters,
    _reject_non_finite,
    _reject_non_numeric_columns,
)

#: Why a fit stopped (``history_.stop_reason``).
STOP_ASSIGNMENTS_UNCHANGED = "assignments unchanged"
STOP_CENTRES_SETTLED = "centres moved no more than the threshold"
STOP_MAX_ITER = "max_iter reached"

#: Of n_init starts, a later one replaces the best so far only when its J is lower by more than
#: this fraction. Starts that end in the same partition differ in J only in the last bits, and
#: those bits depend on the order in which the CPU adds numbers up; without this rule which of
#: them "wins" (and so how the clusters are numbered) would change from machine to machine.
TIE_TOLERANCE = 1e-9


def _clearly_lower(J: float, best: float) -> bool:
    """True when J beats ``best`` by more than :data:`TIE_TOLERANCE` (relative)."""
    return J < best - TIE_TOLERANCE * abs(best)


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

    @one_blas_thread
    def assignments(self, X: Any) -> np.ndarray:
        """The assignment of every sample at each step, shape ``(n_iter + 1, n_samples)``.

        They are recomputed from the stored centres by the computation the fit made, because
        keeping them would cost memory in proportion to samples times iterations.
        """
        X = _as_data(X)
        return np.stack(
            [_kernel.assign_by_scores(X, centres, CHUNK_ROWS) for centres in self.centres]
        )


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """k-means clustering, written from scratch for the course, with scikit-learn's API.

    Parameters
    ----------
    n_clusters : int, default=8
        k, the number of clusters.
    init : {"k-means++", "random", "uniform"} or array of shape (n_clusters, n_features)
        How to choose the initial centres (see
        :func:`~segmentation.cluster.steps.initial_centres`), or the centres themselves.
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
    forgetting : float in (0, 1], default=1.0
        Used by :meth:`partial_fit` only: how much of the past each new batch keeps. 1 counts
        every customer ever seen equally; below 1 old batches fade (the centres remember
        about ``1 / (1 - forgetting)`` batches).

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
    counts_ : ndarray of shape (n_clusters,)
        The customers behind each centre (the final cluster sizes after ``fit``; the faded
        running counts after :meth:`partial_fit`).
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

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions(set(INIT_METHODS)), "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": _RANDOM_STATES,
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
        "forgetting": [Interval(Real, 0, 1, closed="right")],
    }

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
        forgetting: float = 1.0,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.chunk_size = chunk_size
        self.forgetting = forgetting

    @one_blas_thread
    def fit(self, X: Any, y: Any = None) -> KMeans:
        """Cluster X. ``y`` is ignored; it is there for pipelines."""
        self._validate_params()
        X = self._check_data(X, reset=True)
        k = _check_n_clusters(self.n_clusters, len(X))
        given, n_init = self._check_init(X)
        rng = _as_generator(self.random_state)
        data = _kernel.Prepared(X, self.chunk_size)
        # scikit-learn's threshold: tol times the mean of the features' variances
        threshold = self.tol * data.sum_of_squares / X.size

        best: _Run | None = None
        inertias = []
        for _ in range(n_init):
            start = _kernel.initial_centres(X, k, self.init, rng) if given is None else given
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
        self.counts_ = best.history.sizes[-1].astype(np.float64)
        self._n_features_out = k
        return self

    @one_blas_thread
    def partial_fit(self, X: Any, y: Any = None) -> KMeans:
        """Update the centres with one batch (incremental k-means, see
        :mod:`segmentation.cluster.incremental`); the first call on an unfitted model starts
        them from ``init`` on this batch. ``labels_`` and ``inertia_`` are the batch's."""
        return incremental.partial_fit(self, X)

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

    @one_blas_thread
    def predict(self, X: Any) -> np.ndarray:
        """The nearest centre of each sample."""
        check_is_fitted(self)
        X = self._check_data(X, reset=False)
        return _kernel.assign(X, self.cluster_centers_)

    @one_blas_thread
    def transform(self, X: Any) -> np.ndarray:
        """The distance of each sample to each centre, shape (n_samples, n_clusters)."""
        check_is_fitted(self)
        X = self._check_data(X, reset=False)
        return _kernel.distances(X, self.cluster_centers_)

    @one_blas_thread
    def score(self, X: Any, y: Any = None) -> float:
        """Minus J on X (higher is better, as scikit-learn's model selection expects)."""
        check_is_fitted(self)
        X = self._check_data(X, reset=False)
        labels = _kernel.assign(X, self.cluster_centers_)
        return -_kernel.sum_of_squares(X, self.cluster_centers_, labels, self.chunk_size)

    def _check_data(self, X: Any, *, reset: bool) -> np.ndarray:
        _reject_non_numeric_columns(X)
        checked = validate_data(
            self, X, reset=reset, dtype=np.float64, order="C", ensure_all_finite=False
        )
        _reject_non_finite(checked, X)
        return checked

    def _check_init(self, X: np.ndarray) -> tuple[np.ndarray | None, int]:
        """The given initial centres (if any) and the number of runs; the checks that depend
        on each other or on X, which ``_parameter_constraints`` cannot state."""
        given = None
        if not isinstance(self.init, str):
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


def _lloyd(data: _kernel.Prepared, centres: np.ndarray, max_iter: int, threshold: float) -> _Run:
    """One run of k-means from the given centres: steps 2 and 3, repeated until it stops."""
    X, chunk_size = data.X, data.chunk_size
    labels = np.full(len(X), -1.0)  # nobody has a cluster yet (floats, as the kernel keeps them)
    history: dict[str, list[Any]] = {
        "centres": [centres],
        "objective": [],
        "sizes": [],
        "shift": [],
    }
    stop_reason = STOP_MAX_ITER

    for _ in range(max_iter):
        new_centres, J, sizes, changed = _kernel.lloyd_step(data, centres, labels)
        shift = np.sqrt(((new_centres - centres) ** 2).sum(axis=1))
        centres = new_centres
        for key, value in (("objective", J), ("sizes", sizes), ("shift", shift)):
            history[key].append(value)
        history["centres"].append(centres)
        if changed == 0:
            stop_reason = STOP_ASSIGNMENTS_UNCHANGED
            break
        if float((shift**2).sum()) <= threshold:
            stop_reason = STOP_CENTRES_SETTLED
            break

    # The final assignment to the final centres, as predict() makes it, and J exactly.
    labels = _kernel.assign(X, centres)
    inertia = _kernel.sum_of_squares(X, centres, labels, chunk_size)
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
