"""k-prototypes and k-modes: k-means whose centres may hold categories, with scikit-learn's API.

A mean of Channel 1 and Channel 2 means nothing, so for a categorical column the centre is
redefined as the mode, the most common value (Huang, 1997 and 1998). The steps are those of
k-means, with a distance that has two parts:

1. Choose k starting prototypes (k distinct rows of the data, at random, or given).
2. Assign each sample to the prototype at the smallest distance
   ``squared Euclidean distance on the numeric columns + gamma * matching distance``, where
   :func:`matching_distance` counts the categorical columns whose value differs from the
   prototype's. On a tie the lowest-numbered cluster wins.
3. Update each prototype: the mean of its samples on the numeric columns, the mode of its
   samples on the categorical columns (:func:`column_modes`; on a tie the smallest value).
4. Repeat 2 and 3 until no sample changes cluster (or ``max_iter`` is reached). The cost is
   the sum over samples of the distance to their prototype; it never rises from one iteration
   to the next.

``gamma`` weighs the categorical part against the numeric part; its default is explained in
:func:`default_gamma`. With ``gamma=0`` the categories are ignored and k-prototypes is the
course's k-means on the numeric columns; with no numeric columns it is k-modes (:class:`KModes`).

Prototypes are updated once per pass over all samples, as the course's k-means does (Huang
moves a prototype after each sample; both stop at a partition where no sample wants to move).
A cluster left empty after an assignment is handled as in
:func:`~segmentation.cluster.steps.update_centres`: it takes the sample farthest from its own
prototype (the next farthest for a second empty cluster; ties to the lower-numbered sample).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from segmentation.cluster.kmeans import _clearly_lower
from segmentation.cluster.steps import _RANDOM_STATES, _as_generator, _check_n_clusters


def matching_distance(X: Any, modes: Any) -> np.ndarray:
    """The matching (Hamming) distance of each sample to each mode: in how many columns the
    two differ. Shape ``(n_samples, n_modes)``.

    >>> matching_distance([["a", "x"], ["b", "x"]], [["a", "x"], ["b", "y"]]).tolist()
    [[0, 2], [1, 1]]
    """
    X, modes = np.asarray(X), np.asarray(modes)
    return (X[:, np.newaxis, :] != modes[np.newaxis, :, :]).sum(axis=2)


def column_modes(X: Any) -> np.ndarray:
    """The most common value of each column; on a tie, the smallest of the tied values (so the
    result does not depend on the order of the rows).

    >>> column_modes([[1, "b"], [2, "a"], [2, "b"], [1, "a"]]).tolist()
    ['1', 'a']
    >>> column_modes(np.array([[3, 1], [2, 1], [3, 2]])).tolist()
    [3, 1]
    """
    X = np.asarray(X)
    modes = []
    for column in X.T:
        values, counts = np.unique(column, return_counts=True)  # values come sorted
        modes.append(values[counts.argmax()])  # argmax: the first, so the smallest, tied value
    return np.array(modes, dtype=X.dtype)


def default_gamma(numeric: Any) -> float:
    """The usual default weight of the categorical part: half the mean standard deviation
    (``ddof=0``) of the numeric columns, as the ``kmodes`` package sets it.

    Why: one mismatch adds ``gamma`` to the distance, while the numeric part adds squared
    differences, whose typical size is set by the columns' spread. With ``gamma`` far below
    that spread the categories never decide anything (k-means on the numbers); far above it,
    they decide everything (k-modes). Huang (1998) suggests the average standard deviation of
    the numeric columns as a guide to ``gamma``, "too early to consider this as a general
    rule"; half of it keeps a mismatch on one category a smaller step than a typical numeric
    difference, so the numbers lead and the categories break near-ties.
    Without numeric spread (no numeric column, or only constant ones) the numbers cannot
    separate anyone and ``gamma`` is 1: the cost then counts mismatches.

    >>> default_gamma([[0.0, 0.0], [2.0, 4.0]])  # standard deviations 1 and 2
    0.75
    """
    numeric = np.asarray(numeric, dtype=np.float64)
    spread = float(numeric.std(axis=0).mean()) if numeric.size else 0.0
    return 0.5 * spread if spread > 0 else 1.0


class KPrototypes(ClusterMixin, BaseEstimator):
    """k-prototypes clustering of mixed numeric and categorical data (Huang, 1997).

    Parameters
    ----------
    n_clusters : int, default=8
        k, the number of clusters.
    categorical : sequence of int, str or bool, or "all", default=()
        The categorical columns: their positions, or their names when X is a DataFrame, or a
        boolean mask of one True or False per column (scikit-learn's convention), or ``"all"``
        (k-modes). Any values work in them (numbers or text); the other columns must be
        numeric, with values small enough that squared distances stay finite (about 1e150 at
        most; scale them first).
    gamma : float or None, default=None
        The weight of one categorical mismatch against the squared numeric distance. None
        takes :func:`default_gamma` of the numeric columns (half their mean standard deviation).
    init : "random" or array-like of shape (n_clusters, n_features), default="random"
        ``"random"``: k distinct rows of X drawn at random. An array gives the starting
        prototypes themselves, in X's column layout; it is run once, whatever ``n_init`` says.
    n_init : int, default=10
        How many random starts to run; the one with the lowest cost is kept (a later start
        replaces it only when clearly lower, as in :class:`~segmentation.cluster.kmeans.KMeans`).
    max_iter : int, default=100
        The most iterations (assignment and update) one run may make.
    random_state : int, numpy Generator or None
        Seed for the random starts. Set it for results that repeat.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        The prototypes in X's column layout: means in the numeric columns, modes in the
        categorical ones (an object array when there are categorical columns).
    labels_ : ndarray of shape (n_samples,)
        The cluster of each training sample (the nearest final prototype).
    cost_ : float
        The kept run's cost: the sum over samples of the distance to their prototype.
    n_iter_ : int
        Iterations of the kept run.
    gamma_ : float
        The weight used.
    categories_ : list of ndarray
        The values seen in each categorical column, sorted. A value not seen in training
        matches no mode when predicting.
    n_features_in_, feature_names_in_
        As in scikit-learn.

    Examples
    --------
    >>> X = [[1.0, "a"], [1.2, "a"], [0.8, "a"], [9.0, "b"], [9.4, "b"], [8.6, "c"]]
    >>> model = KPrototypes(2, categorical=[1], random_state=0).fit(X)
    >>> sorted(model.cluster_centers_.tolist())
    [[1.0, 'a'], [9.0, 'b']]
    >>> model.predict([[8.0, "c"]]).tolist() == model.labels_[3:4].tolist()
    True
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "categorical": [StrOptions({"all"}), "array-like"],
        "gamma": [Interval(Real, 0, None, closed="left"), None],
        "init": [StrOptions({"random"}), "array-like"],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": _RANDOM_STATES,
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        categorical: Sequence[int | str] | str = (),
        gamma: float | None = None,
        init: Any = "random",
        n_init: int = 10,
        max_iter: int = 100,
        random_state: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.categorical = categorical
        self.gamma = gamma
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> KPrototypes:
        """Cluster X. ``y`` is ignored; it is there for pipelines."""
        self._validate_params()
        self._columns = self._categorical_positions(X)
        numeric, codes = self._split(X, reset=True)
        k = _check_n_clusters(self.n_clusters, len(numeric))
        self.gamma_ = default_gamma(numeric) if self.gamma is None else float(self.gamma)
        starts = self._starts(numeric, codes, k)

        best: _Run | None = None
        for means, modes in starts:
            run = _run(numeric, codes, means, modes, self.gamma_, self.max_iter)
            if best is None or _clearly_lower(run.cost, best.cost):
                best = run
        assert best is not None
        self._means, self._modes = best.means, best.modes
        self.labels_, self.cost_, self.n_iter_ = best.labels, best.cost, best.n_iter
        self.cluster_centers_ = self._prototypes_as_rows(best.means, best.modes)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The nearest prototype of each sample."""
        check_is_fitted(self)
        numeric, codes = self._split(X, reset=False)
        return _distances(numeric, codes, self._means, self._modes, self.gamma_).argmin(axis=1)

    # ----------------------------------------------------------------------------------------
    # Checks at the door, and the data split into numbers and category codes
    # ----------------------------------------------------------------------------------------

    def _categorical_positions(self, X: Any) -> np.ndarray:
        """The positions of the categorical columns, from positions, names or a mask."""
        names = getattr(X, "columns", None)
        n_features = np.shape(X)[1] if np.ndim(X) == 2 else 0
        positions = []
        wanted = range(n_features) if isinstance(self.categorical, str) else self.categorical
        wanted = _mask_as_positions(wanted, n_features)
        for column in wanted:
            if isinstance(column, str):
                if names is None or column not in list(names):
                    raise ValueError(
                        f"categorical names column {column!r}, which X does not have: give "
                        "column positions, or pass X as a DataFrame with that column"
                    )
                positions.append(list(names).index(column))
            elif isinstance(column, Integral) and 0 <= column < max(n_features, 1):
                positions.append(int(column))
            else:
                raise ValueError(
                    f"categorical holds {column!r}, not a column of X: give positions from 0 "
                    f"to {n_features - 1} or column names"
                )
        if len(set(positions)) < len(positions):
            raise ValueError(f"categorical names a column twice: {list(wanted)}")
        return np.array(sorted(positions), dtype=np.intp)

    def _split(self, X: Any, *, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        """X as a float table of its numeric columns and an integer table of category codes."""
        table = validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=False)
        if reset:
            values = table[:, self._columns]
            self.categories_ = [_sorted_values(column) for column in values.T]
        return self._encode(table)

    def _encode(
        self, table: np.ndarray, what: str = "X", n_rows: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``table`` (X, or the prototypes of ``init``) as numbers and category codes;
        ``n_rows``, the rows of the data, bounds the numbers (see :func:`_check_numbers`)."""
        is_categorical = np.isin(np.arange(table.shape[1]), self._columns)
        positions = np.flatnonzero(~is_categorical)
        names = getattr(self, "feature_names_in_", None)
        labels = [repr(names[p]) if names is not None else str(p) for p in positions]
        numeric = _as_numbers(table[:, positions], labels, what)
        _check_numbers(numeric, labels, what, len(table) if n_rows is None else n_rows)
        return numeric, _codes(table[:, is_categorical], self.categories_)

    def _starts(
        self, numeric: np.ndarray, codes: np.ndarray, k: int
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """The starting prototypes (means, mode codes) of each run."""
        if not isinstance(self.init, str):
            given = np.asarray(self.init, dtype=object)
            if given.ndim != 2 or given.shape != (k, numeric.shape[1] + codes.shape[1]):
                raise ValueError(
                    f"init has shape {given.shape}, but {k} prototypes of {self.n_features_in_} "
                    f"columns need shape {(k, self.n_features_in_)}: one row per cluster, in "
                    "X's column layout"
                )
            return [self._encode(given, "init", len(numeric))]
        rng = _as_generator(self.random_state)
        rows = np.unique(np.column_stack([numeric, codes]), axis=0, return_index=True)[1]
        if len(rows) < k:
            raise ValueError(
                f"X has only {len(rows)} distinct rows, fewer than n_clusters={k}: choose "
                f"n_clusters <= {len(rows)}"
            )
        rows = np.sort(rows)  # in the data's order, so that a seed picks the same rows
        chosen = [rows[rng.choice(len(rows), size=k, replace=False)] for _ in range(self.n_init)]
        return [(numeric[c], codes[c]) for c in chosen]

    def _prototypes_as_rows(self, means: np.ndarray, modes: np.ndarray) -> np.ndarray:
        """The prototypes in X's column layout, with the categories' own values."""
        if not len(self._columns):
            return means.copy()
        rows = np.empty((len(means), means.shape[1] + modes.shape[1]), dtype=object)
        is_categorical = np.isin(np.arange(rows.shape[1]), self._columns)
        rows[:, ~is_categorical] = means
        for a, position in enumerate(self._columns):
            rows[:, position] = self.categories_[a][modes[:, a]]
        return rows


class KModes(KPrototypes):
    """k-modes clustering of categorical data (Huang, 1998): k-prototypes with every column
    categorical, so the distance is the matching distance and the cost counts mismatches.

    The parameters and attributes are those of :class:`KPrototypes` without ``categorical``
    (always ``"all"``) and ``gamma`` (1: with no numeric part, any weight gives the same
    clusters, and 1 makes the cost the number of mismatches).

    >>> X = [["retail", "Lisbon"], ["retail", "Lisbon"], ["horeca", "Other"],
    ...      ["horeca", "Other"], ["horeca", "Lisbon"]]
    >>> model = KModes(2, random_state=0).fit(X)
    >>> sorted(model.cluster_centers_.tolist()), model.cost_
    ([['horeca', 'Other'], ['retail', 'Lisbon']], 1.0)
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "random",
        n_init: int = 10,
        max_iter: int = 100,
        random_state: Any = None,
    ) -> None:
        # the parameters are KModes' own (get_params reads this signature); the rest is fixed
        super().__init__(
            n_clusters,
            categorical="all",
            init=init,
            n_init=n_init,
            max_iter=max_iter,
            random_state=random_state,
        )


# --------------------------------------------------------------------------------------------
# The iterations, on numbers and category codes
# --------------------------------------------------------------------------------------------


@dataclass
class _Run:
    labels: np.ndarray
    means: np.ndarray
    modes: np.ndarray
    cost: float
    n_iter: int


def _distances(
    numeric: np.ndarray, codes: np.ndarray, means: np.ndarray, modes: np.ndarray, gamma: float
) -> np.ndarray:
    """Step 2's distance of each sample to each prototype, shape (n_samples, k)."""
    squared = ((numeric[:, np.newaxis, :] - means[np.newaxis, :, :]) ** 2).sum(axis=2)
    return squared + gamma * matching_distance(codes, modes)


def _update(
    numeric: np.ndarray,
    codes: np.ndarray,
    labels: np.ndarray,
    means: np.ndarray,
    modes: np.ndarray,
    away: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Step 3: means and modes of each cluster; ``away`` is each sample's distance to its own
    prototype, which chooses who fills an empty cluster."""
    k = len(means)
    labels = labels.copy()
    empty = [j for j in range(k) if not (labels == j).any()]
    if empty and away.max() > 0:
        labels[np.argsort(-away, kind="stable")[: len(empty)]] = empty
    new_means, new_modes = means.copy(), modes.copy()
    for j in range(k):
        members = labels == j
        if members.any():  # still empty only when every sample sits on its prototype
            new_means[j] = numeric[members].mean(axis=0)
            new_modes[j] = column_modes(codes[members])
    return new_means, new_modes


def _run(
    numeric: np.ndarray,
    codes: np.ndarray,
    means: np.ndarray,
    modes: np.ndarray,
    gamma: float,
    max_iter: int,
) -> _Run:
    """One run from the given prototypes: steps 2 and 3 until no sample changes cluster."""
    labels = np.full(len(numeric), -1)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        distances = _distances(numeric, codes, means, modes, gamma)
        new_labels = distances.argmin(axis=1)  # argmin: the lowest cluster number on a tie
        away = distances[np.arange(len(numeric)), new_labels]
        means, modes = _update(numeric, codes, new_labels, means, modes, away)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    distances = _distances(numeric, codes, means, modes, gamma)
    labels = distances.argmin(axis=1)
    cost = float(distances[np.arange(len(numeric)), labels].sum())
    return _Run(labels, means, modes, cost, n_iter)


def _sorted_values(column: np.ndarray) -> np.ndarray:
    """The distinct values of a categorical column, sorted, refusing missing ones."""
    import pandas as pd

    if pd.isna(column).any():
        raise ValueError(
            "a categorical column holds missing values: fill them in (for example with a "
            "value 'unknown') or drop those rows"
        )
    try:
        return np.unique(column)
    except TypeError as error:
        raise ValueError(
            "a categorical column mixes numbers and text; give each column values of one kind "
            f"({error})"
        ) from None


def _codes(values: np.ndarray, categories: list[np.ndarray]) -> np.ndarray:
    """Each value's position among its column's categories; -1 for a value never seen (it
    then matches no mode)."""
    codes = np.empty(values.shape, dtype=np.intp)
    for a, known in enumerate(categories):
        position = {value: code for code, value in enumerate(known)}
        codes[:, a] = [position.get(value, -1) for value in values[:, a]]
    return codes


def _mask_as_positions(wanted: Any, n_features: int) -> Sequence[int | str]:
    """A boolean mask of the columns as their positions; anything else as it is."""
    values = list(wanted)
    flags = [isinstance(value, bool | np.bool_) for value in values]
    if not any(flags):
        return wanted
    if not all(flags) or len(values) != n_features:
        raise ValueError(
            f"categorical looks like a mask of True and False, but it has {len(values)} "
            f"entries for X's {n_features} columns: give one True or False per column, or "
            "the positions of the categorical columns (for example [1, 2])"
        )
    return [position for position, value in enumerate(values) if value]


def _as_numbers(values: np.ndarray, labels: list[str], what: str) -> np.ndarray:
    """The numeric columns as floats, naming a column that holds text."""
    try:
        return values.astype(np.float64)
    except ValueError:
        pass
    for a, column in enumerate(values.T):
        try:
            column.astype(np.float64)
        except ValueError as error:
            raise ValueError(
                f"{what} has text in numeric column {labels[a]} ({error}): list that column "
                "in `categorical` if it holds categories, or convert it to numbers"
            ) from None
    raise AssertionError("unreachable: some column failed to convert")  # pragma: no cover


def _check_numbers(numeric: np.ndarray, labels: list[str], what: str, n_rows: int) -> None:
    """Refuse NaN, infinity, and numbers so large that the cost overflows: the cost adds up
    ``n_rows`` squared distances over the numeric columns, each difference at most twice the
    largest value, so it stays finite below sqrt(largest float / (4 * columns * rows))."""
    finite = np.isfinite(numeric)
    if not finite.all():
        column = labels[int(np.flatnonzero(~finite.all(axis=0))[0])]
        advice = (
            "give starting prototypes of finite numbers, or init='random'"
            if what == "init"
            else "fill in or drop those rows, or list the column in `categorical` if it holds "
            "categories"
        )
        raise ValueError(f"{what} holds NaN or infinity in numeric column {column}: {advice}")
    if not numeric.size:
        return
    limit = np.sqrt(np.finfo(np.float64).max / (4 * numeric.shape[1] * max(n_rows, 1)))
    largest = np.abs(numeric).max(axis=0)
    if (largest > limit).any():
        column = labels[int(np.argmax(largest > limit))]
        raise ValueError(
            f"{what} holds a value of {largest.max():.3g} in numeric column {column}, too "
            f"large to square and add up (at most {limit:.3g} here): scale the numeric "
            "columns first, for example with StandardScaler or a log"
        )
