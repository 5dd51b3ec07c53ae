"""Several clusterers on the same data, side by side: one row of scores per algorithm.

:func:`compare_clusterers` fits a copy of each estimator and scores its partition;
:func:`cluster_labels` gives the partitions themselves, to draw them. The rules, the same for
every algorithm:

- **Noise.** A sample labelled -1 (DBSCAN, HDBSCAN) is noise, not a cluster. "clusters"
  counts the other labels; "noise share" is the share of samples labelled -1.
- **Silhouette and Davies-Bouldin** are computed on the samples that are not noise, and are
  undefined (NaN) when fewer than 2 clusters remain or every remaining sample is a cluster of
  its own.
- **Agreement** is the adjusted Rand index (ARI) between the partition and ``reference`` (for
  example Channel), with noise counted as one more label. NaN without a reference.
- **Stability** is the mean ARI between the partition of all the data and the partitions of
  ``resamples`` bootstrap samples (n samples drawn with replacement, seeded by
  ``random_state``; every algorithm gets the same draws), compared on the customers drawn:
  a fresh copy of the estimator is fitted on each draw, and its labels are compared with the
  full fit's labels of the same rows. Noise counts as one more label here too. 1 means every
  resample finds the same partition; 0, no more agreement than chance. A customer drawn twice
  is two samples at the same place: DBSCAN with ``min_samples=2`` sees a dense pair there.
- **Fit time** is the seconds one fit on all the data took. It depends on the machine: leave
  the column (:data:`FIT_TIME`) out of anything stored.

The fits run on one thread (BLAS and OpenMP): on data of this size threads cost more than they
give (a Gaussian mixture of the 440 customers fits ten times faster so on a busy machine).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score, davies_bouldin_score, silhouette_score
from threadpoolctl import threadpool_limits

#: The columns of :func:`compare_clusterers`' table, in order.
CLUSTERS = "clusters"
NOISE_SHARE = "noise share"
SILHOUETTE = "silhouette"
DAVIES_BOULDIN = "Davies-Bouldin"
AGREEMENT = "agreement (ARI)"
STABILITY = "stability (ARI)"
FIT_TIME = "fit time (s)"
COLUMNS = (CLUSTERS, NOISE_SHARE, SILHOUETTE, DAVIES_BOULDIN, AGREEMENT, STABILITY, FIT_TIME)

#: The label of a noise sample.
NOISE = -1


@threadpool_limits.wrap(limits=1)
def compare_clusterers(
    X: Any,
    estimators: Mapping[str, Any],
    *,
    reference: Any = None,
    resamples: int = 10,
    random_state: int = 0,
) -> pd.DataFrame:
    """Fit a copy of each estimator on X and score its partition (the rules are in the
    module's description).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Numeric data, for example the log-scaled spending.
    estimators : mapping of str to estimator
        Name -> unfitted clusterer: anything with ``fit_predict``, or ``fit`` and ``labels_``
        or ``predict`` (a Gaussian mixture). The estimators are cloned, never fitted
        themselves. Seed the random ones for results that repeat.
    reference : array-like of shape (n_samples,), optional
        Known groups to measure agreement with (for example Channel): numbers or text, none
        missing (drop a sample of unknown group from X and reference both).
    resamples : int, default=10
        How many bootstrap samples measure stability, from 0 to 1000; 0 leaves it NaN.
    random_state : int, default=0
        Seed of the bootstrap draws, from 0 to 2**32 - 1.

    Returns
    -------
    DataFrame
        One row per estimator, in the given order (index: the names), with the columns of
        :data:`COLUMNS`.

    Examples
    --------
    >>> from sklearn.cluster import DBSCAN, KMeans
    >>> X = [[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0], [50.0, 50.0]]
    >>> estimators = {
    ...     "k-means": KMeans(2, n_init=1, random_state=0),
    ...     "DBSCAN": DBSCAN(eps=2, min_samples=2),
    ... }
    >>> table = compare_clusterers(X, estimators, reference=[0, 0, 1, 1, 1], resamples=0)
    >>> shown = [CLUSTERS, NOISE_SHARE, SILHOUETTE, AGREEMENT]
    >>> table[shown].round(2)  # doctest: +NORMALIZE_WHITESPACE
               clusters  noise share  silhouette  agreement (ARI)
    algorithm
    k-means           2          0.0        0.72            -0.15
    DBSCAN            2          0.2        0.90             0.55

    k-means gives the far point a cluster of its own; DBSCAN marks it as noise.
    """
    X = _check_data(X)
    estimators = _check_estimators(estimators)
    reference = _check_reference(reference, len(X))
    resamples = _check_resamples(resamples)
    random_state = _check_seed(random_state)
    draws = np.random.default_rng(random_state).integers(len(X), size=(resamples, len(X)))

    rows = [_row(name, estimator, X, reference, draws) for name, estimator in estimators.items()]
    return pd.DataFrame(rows, index=pd.Index(list(estimators), name="algorithm"), columns=COLUMNS)


def _row(
    name: str, estimator: Any, X: np.ndarray, reference: np.ndarray | None, draws: np.ndarray
) -> dict[str, float]:
    """One estimator's line of the table; ``draws`` holds the rows of each bootstrap sample."""
    labels, seconds = _fit_labels(name, estimator, X)
    stability = [
        adjusted_rand_score(labels[rows], _fit_labels(name, estimator, X[rows])[0])
        for rows in draws
    ]
    return {
        **_scores(X, labels),
        AGREEMENT: np.nan if reference is None else adjusted_rand_score(reference, labels),
        STABILITY: float(np.mean(stability)) if len(draws) else np.nan,
        FIT_TIME: seconds,
    }


@threadpool_limits.wrap(limits=1)
def cluster_labels(
    X: Any, estimators: Mapping[str, Any], *, totals: Any = None
) -> dict[str, np.ndarray]:
    """The partition each estimator finds on X: a fitted copy's labels (noise is -1).

    These are the partitions :func:`compare_clusterers` scores, when the estimators are seeded.
    With ``totals`` (for example each customer's total spending) the clusters are renumbered in
    the course's order (:func:`~segmentation.cluster.numbering.number_segments`: cluster 0
    spends the most); noise stays -1.

    Examples
    --------
    >>> from sklearn.cluster import DBSCAN
    >>> X = [[0.0], [0.5], [9.0], [9.5], [40.0]]
    >>> found = cluster_labels(X, {"DBSCAN": DBSCAN(eps=1, min_samples=2)}, totals=[1, 1, 9, 9, 40])
    >>> found["DBSCAN"].tolist()
    [1, 1, 0, 0, -1]
    """
    from segmentation.cluster.numbering import number_segments

    X = _check_data(X)
    estimators = _check_estimators(estimators)
    order_by = None if totals is None else _check_totals(totals, len(X))
    partitions = {}
    for name, estimator in estimators.items():
        labels = _fit_labels(name, estimator, X)[0]
        if order_by is not None:
            kept = labels != NOISE
            labels = labels.copy()
            labels[kept] = number_segments(labels[kept], order_by[kept])[0]
        partitions[name] = labels
    return partitions


def _fit_labels(name: str, estimator: Any, X: np.ndarray) -> tuple[np.ndarray, float]:
    """The labels a fresh copy of ``estimator`` gives X, and the seconds the fit took."""
    model = clone(estimator)
    start = time.perf_counter()
    if hasattr(model, "fit_predict"):
        labels = model.fit_predict(X)
    else:
        model.fit(X)
        labels = model.labels_ if hasattr(model, "labels_") else model.predict(X)
    seconds = time.perf_counter() - start
    labels = np.asarray(labels)
    if labels.shape != (len(X),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"estimator {name!r} gave labels of shape {labels.shape} and type {labels.dtype}, "
            f"not one whole number per sample ({len(X)}): pass a clusterer"
        )
    return labels, seconds


def _scores(X: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Clusters, noise share, silhouette and Davies-Bouldin of one partition."""
    kept = labels != NOISE
    clusters = len(np.unique(labels[kept]))
    defined = 2 <= clusters < kept.sum()  # what both scores need
    return {
        CLUSTERS: clusters,
        NOISE_SHARE: float(np.mean(~kept)),
        SILHOUETTE: float(silhouette_score(X[kept], labels[kept])) if defined else np.nan,
        DAVIES_BOULDIN: float(davies_bouldin_score(X[kept], labels[kept])) if defined else np.nan,
    }


# --------------------------------------------------------------------------------------------
# Checks at the door
# --------------------------------------------------------------------------------------------


def _check_data(X: Any) -> np.ndarray:
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "items"):
        text = [str(c) for c, t in dtypes.items() if not pd.api.types.is_numeric_dtype(t)]
        if text:
            raise ValueError(
                f"X has columns that are not numbers: {', '.join(text)}. Compare clusterers "
                "on numeric features only, for example the log-scaled spending "
                "(spending_scaler('log').fit_transform(spending(customers)))"
            )
    try:
        data = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"X must be a table of numbers ({error}): pass numeric features") from None
    if data.ndim != 2 or len(data) < 2:
        raise ValueError(
            f"X must be a 2-D table of at least 2 samples (rows) by features (columns); got "
            f"shape {data.shape}. For a single feature use X.reshape(-1, 1)"
        )
    if not np.isfinite(data).all():
        raise ValueError("X holds NaN or infinity: fill in or drop those rows first")
    return data


def _check_estimators(estimators: Any) -> dict[str, Any]:
    if not isinstance(estimators, Mapping):
        raise TypeError(
            f"estimators must be a dict of name -> estimator, not {type(estimators).__name__}: "
            "for example {'k-means': KMeans(4, random_state=0)} (dict(pairs) turns a list of "
            "(name, estimator) pairs into one)"
        )
    if not estimators:
        raise ValueError(
            "estimators is empty: pass at least one, for example "
            "{'k-means': KMeans(4, random_state=0)}"
        )
    for name, estimator in estimators.items():
        if isinstance(estimator, type):
            raise TypeError(
                f"estimators[{name!r}] is the class {estimator.__name__}, not an estimator: give "
                f"an estimator instance, e.g. KMeans(3) rather than KMeans"
            )
        if not hasattr(estimator, "fit") or not hasattr(estimator, "get_params"):
            raise TypeError(
                f"estimators[{name!r}] is {estimator!r}, not a scikit-learn estimator: pass an "
                "unfitted clusterer such as DBSCAN(eps=0.5)"
            )
    named = {str(name): estimator for name, estimator in estimators.items()}
    if len(named) < len(estimators):
        # the table's index is text: 1 and "1" would share a row, and one would be lost
        texts = [str(name) for name in estimators]
        twice = sorted({text for text in texts if texts.count(text) > 1})
        raise ValueError(
            f"estimators has names that are the same as text: {', '.join(map(repr, twice))}. "
            "Give each estimator a different name"
        )
    return named


def _check_reference(reference: Any, n_samples: int) -> np.ndarray | None:
    if reference is None:
        return None
    values = _one_per_row(reference, n_samples, "reference")
    if pd.isna(values).any():
        raise ValueError(
            f"reference has {int(pd.isna(values).sum())} missing values (None or NaN): the "
            "agreement needs every sample's group. Drop the rows of unknown group from X and "
            "reference both, or give them a group of their own (for example 'unknown')"
        )
    # Codes instead of the values themselves: scikit-learn sorts labels, and numbers mixed
    # with text do not sort; the adjusted Rand index depends only on who is grouped with whom.
    return pd.factorize(values)[0]


def _check_totals(totals: Any, n_samples: int) -> np.ndarray:
    values = _one_per_row(totals, n_samples, "totals")
    try:
        numbers = values.astype(np.float64)
    except (TypeError, ValueError):
        numbers = np.array([np.nan])
    if not np.isfinite(numbers).all():
        raise ValueError(
            "totals must be finite numbers, one per row of X (for example each customer's "
            "total spending, total_spending(customers)); they hold text, missing values or "
            "infinity"
        )
    return numbers


def _one_per_row(values: Any, n_samples: int, what: str) -> np.ndarray:
    values = np.asarray(values)
    if values.ndim != 1 or len(values) != n_samples:
        raise ValueError(
            f"{what} has shape {values.shape}, but X has {n_samples} rows: pass one value per "
            f"row of X, in the same order (for example customers['Channel'])"
        )
    return values


#: The most bootstrap resamples: each one refits every estimator.
MAX_RESAMPLES = 1000


def _check_resamples(resamples: Any) -> int:
    if (
        isinstance(resamples, bool)
        or not isinstance(resamples, int | np.integer)
        or not 0 <= resamples <= MAX_RESAMPLES
    ):
        raise ValueError(
            f"resamples must be a whole number from 0 to {MAX_RESAMPLES} (0 skips stability; "
            f"each resample refits every estimator); got {resamples!r}"
        )
    return int(resamples)


def _check_seed(random_state: Any) -> int:
    if (
        isinstance(random_state, bool)
        or not isinstance(random_state, int | np.integer)
        or not 0 <= random_state <= 2**32 - 1
    ):
        raise ValueError(
            f"random_state must be a whole number from 0 to 2**32 - 1; got {random_state!r}"
        )
    return int(random_state)
