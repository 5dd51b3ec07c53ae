"""The four steps of k-means, in plain NumPy.

1. :func:`initial_centres` chooses k starting centres: k random samples (``"random"``), k
   random points within the data's range (``"uniform"``), or k-means++ (``"k-means++"``).
2. :func:`assign` gives each sample the index of its nearest centre.
3. :func:`update_centres` moves each centre to the mean of the samples assigned to it.
4. :func:`objective` computes J, the sum of squared distances of the samples to their centres.

Each step is a few lines that notebook 3 writes out and a student can retype. They are also the
course's reference: :class:`~segmentation.cluster.kmeans.KMeans` computes the same with a fast
kernel that never builds an ``n x k x d`` array, and the tests compare the two. These steps do
build such arrays, so they suit hundreds or thousands of customers, not millions.

A cluster that ends up empty after an assignment step is handled as scikit-learn handles it:
it takes the sample that lies farthest from its own centre (the next farthest for a second
empty cluster, and so on; on a tie the lower-numbered sample), and that sample is taken out of
its old cluster. When every sample sits exactly on its centre there is nobody to move, and an
empty cluster is placed on the centre of the largest cluster.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array

#: The ways to choose the initial centres, as the course names them.
INIT_METHODS = {
    "random": "k samples drawn at random from the data",
    "uniform": "k points drawn uniformly within the range of each feature",
    "k-means++": "one random sample, then each next centre drawn with probability "
    "proportional to its squared distance from the nearest centre chosen so far",
}

#: What scikit-learn accepts as a seed, and a NumPy Generator.
_RANDOM_STATES = ["random_state", np.random.Generator]


@validate_params(
    {
        "X": ["array-like"],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions(set(INIT_METHODS))],
        "random_state": _RANDOM_STATES,
    },
    prefer_skip_nested_validation=True,
)
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
    k = _check_n_clusters(n_clusters, len(X))
    rng = _as_generator(random_state)
    if method == "random":
        return X[rng.choice(len(X), size=k, replace=False)]
    if method == "uniform":
        low, high = X.min(axis=0), X.max(axis=0)
        return low + rng.random((k, X.shape[1])) * (high - low)
    centres = [X[rng.integers(len(X))]]  # k-means++: the first centre is a random sample
    nearest = np.full(len(X), np.inf)  # each sample's squared distance to its nearest centre
    while len(centres) < k:
        nearest = np.minimum(nearest, ((X - centres[-1]) ** 2).sum(axis=1))
        if nearest.sum() > 0:
            chosen = int(rng.choice(len(X), p=nearest / nearest.sum()))
        else:  # every sample is already a centre: fewer distinct points than k
            chosen = int(rng.integers(len(X)))
        centres.append(X[chosen])
    return np.array(centres)


@validate_params(
    {"X": ["array-like"], "centres": ["array-like"]}, prefer_skip_nested_validation=True
)
def assign(X: Any, centres: Any) -> np.ndarray:
    """Step 2: the index of each sample's nearest centre (the first one, on a tie).

    Examples
    --------
    >>> assign([[0.0, 0.0], [9.0, 9.0]], [[1.0, 1.0], [8.0, 8.0]]).tolist()
    [0, 1]
    """
    X = _as_data(X)
    centres = _as_centres(centres, X.shape[1])
    # one row per sample, one column per centre
    squared = ((X[:, np.newaxis, :] - centres[np.newaxis, :, :]) ** 2).sum(axis=2)
    return squared.argmin(axis=1)  # argmin takes the first of equal values


@validate_params(
    {"X": ["array-like"], "labels": ["array-like"], "centres": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def update_centres(X: Any, labels: Any, centres: Any) -> np.ndarray:
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
    k = len(centres)
    labels = _as_labels(labels, len(X), k).copy()
    empty = [j for j in range(k) if not (labels == j).any()]
    if empty:
        away = ((X - centres[labels]) ** 2).sum(axis=1)  # from each sample's own centre
        if away.max() > 0:
            farthest = np.argsort(-away, kind="stable")[: len(empty)]  # ties: in sample order
            labels[farthest] = empty
    sizes = np.bincount(labels, minlength=k)
    # a cluster still empty (every sample sits on its centre) takes the largest one's centre
    means = [X[labels == (j if sizes[j] else sizes.argmax())].mean(axis=0) for j in range(k)]
    return np.array(means)


@validate_params(
    {"X": ["array-like"], "centres": ["array-like"], "labels": ["array-like"]},
    prefer_skip_nested_validation=True,
)
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
    return float(((X - centres[labels]) ** 2).sum())


# --------------------------------------------------------------------------------------------
# Checks at the door (the estimator makes the same ones)
# --------------------------------------------------------------------------------------------


def _as_generator(random_state: Any) -> np.random.Generator:
    """A NumPy Generator from a seed, a Generator, a RandomState or None."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31))
    return np.random.default_rng(random_state)


def _check_n_clusters(n_clusters: int, n_samples: int) -> int:
    """``n_clusters``, once it is known that the data has that many samples."""
    if n_clusters > n_samples:
        samples = f"{n_samples} sample" + ("" if n_samples == 1 else "s")
        raise ValueError(
            f"n_clusters={n_clusters} clusters need at least {n_clusters} samples, but X has "
            f"{samples}: choose n_clusters <= {n_samples}"
        )
    return int(n_clusters)


def _as_data(X: Any) -> np.ndarray:
    """X as a C-ordered float table, with a message naming any bad column or cell."""
    _reject_non_numeric_columns(X)
    data = check_array(X, dtype=np.float64, order="C", ensure_all_finite=False)
    _reject_non_finite(data, X)
    return data


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
    if array.min() < 0 or array.max() >= k:
        raise ValueError(
            f"labels must be cluster indices from 0 to {k - 1}; got {array.min()} to {array.max()}"
        )
    return array


def _reject_non_numeric_columns(X: Any) -> None:
    """Refuse a table with a text, category or yes/no column, saying which and what to do."""
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
