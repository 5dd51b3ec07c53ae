"""The comparison table: each measure against data where the answer is known or worked by hand,
the bootstrap rule of stability against the fits it made, and the caller's estimators untouched."""

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import DBSCAN, AgglomerativeClustering
from sklearn.exceptions import NotFittedError
from sklearn.mixture import GaussianMixture
from sklearn.utils.validation import check_is_fitted

from segmentation.cluster.compare import (
    AGREEMENT,
    CLUSTERS,
    COLUMNS,
    DAVIES_BOULDIN,
    FIT_TIME,
    NOISE_SHARE,
    SILHOUETTE,
    STABILITY,
    cluster_labels,
    compare_clusterers,
)
from segmentation.cluster.kmeans import KMeans


class ByValue(ClusterMixin, BaseEstimator):
    """Labels each sample by its first feature, from a table: a partition chosen by hand."""

    def __init__(self, groups=None):
        self.groups = groups

    def fit(self, X, y=None):
        self.labels_ = np.array([self.groups[float(x)] for x in np.asarray(X)[:, 0]])
        return self


class ByPosition(ClusterMixin, BaseEstimator):
    """Labels samples by the parity of their position, and records every X it is fitted on."""

    seen: ClassVar[list] = []

    def fit(self, X, y=None):
        ByPosition.seen.append(np.asarray(X).copy())
        self.labels_ = np.arange(len(X)) % 2
        return self


class PredictOnly(BaseEstimator):
    """A clusterer without fit_predict or labels_: its labels come from predict."""

    def fit(self, X, y=None):
        self.threshold_ = float(np.median(np.asarray(X)[:, 0]))
        return self

    def predict(self, X):
        return (np.asarray(X)[:, 0] > self.threshold_).astype(int)


def three_blobs():
    rng = np.random.default_rng(0)
    groups = np.repeat([0, 1, 2], 30)
    centres = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 100.0]])
    return centres[groups] + rng.normal(scale=0.5, size=(90, 2)), groups


# --------------------------------------------------------------------------------------------
# Each measure against a known answer
# --------------------------------------------------------------------------------------------


def test_three_far_apart_blobs_score_as_perfect():
    X, groups = three_blobs()
    table = compare_clusterers(X, {"k-means": KMeans(3, random_state=0)}, reference=groups)
    row = table.loc["k-means"]
    assert row[CLUSTERS] == 3 and row[NOISE_SHARE] == 0
    assert row[SILHOUETTE] > 0.98
    assert row[DAVIES_BOULDIN] < 0.02
    assert row[AGREEMENT] == pytest.approx(1.0)
    assert row[STABILITY] == pytest.approx(1.0)
    assert row[FIT_TIME] > 0
    assert list(table.columns) == list(COLUMNS) and table.index.name == "algorithm"


def test_all_noise_leaves_the_scores_undefined():
    X, groups = three_blobs()
    # min_samples=10: no customer is drawn ten times in a resample, so no copies make a clump
    table = compare_clusterers(X, {"DBSCAN": DBSCAN(eps=1e-3, min_samples=10)}, reference=groups)
    row = table.loc["DBSCAN"]
    assert row[CLUSTERS] == 0 and row[NOISE_SHARE] == 1.0
    assert np.isnan(row[SILHOUETTE]) and np.isnan(row[DAVIES_BOULDIN])
    assert row[AGREEMENT] == pytest.approx(0.0)  # one label against three groups: chance level
    assert row[STABILITY] == pytest.approx(1.0)  # every resample is all noise too


def test_a_customer_drawn_twice_is_two_samples_in_a_resample():
    # the stated rule, seen where it shows: with min_samples=2 the copies of a customer are a
    # dense pair, so resamples find clusters that the full data (all noise) has not
    X, _ = three_blobs()
    table = compare_clusterers(X, {"DBSCAN": DBSCAN(eps=1e-3, min_samples=2)})
    assert table.loc["DBSCAN", NOISE_SHARE] == 1.0
    assert table.loc["DBSCAN", STABILITY] < 0.5


# Four points on a line, split {0, 2} | {5, 9}. Worked by hand:
# Davies-Bouldin: centroids 1 and 7, mean distances to them 1 and 2, centroids 6 apart:
#   (1 + 2) / 6 = 0.5.
# Silhouette, (b - a) / max(a, b) per point: 0: a=2, b=7 -> 5/7; 2: a=2, b=5 -> 3/5;
#   5: a=4, b=4 -> 0; 9: a=4, b=8 -> 1/2. Mean: (5/7 + 3/5 + 0 + 1/2) / 4.
FOUR_POINTS = np.array([[0.0], [2.0], [5.0], [9.0]])
BY_HAND = {0.0: 0, 2.0: 0, 5.0: 1, 9.0: 1}
SILHOUETTE_BY_HAND = (5 / 7 + 3 / 5 + 0 + 1 / 2) / 4


def test_davies_bouldin_and_silhouette_worked_by_hand():
    table = compare_clusterers(FOUR_POINTS, {"by hand": ByValue(BY_HAND)}, resamples=0)
    assert table.loc["by hand", DAVIES_BOULDIN] == pytest.approx(0.5)
    assert table.loc["by hand", SILHOUETTE] == pytest.approx(SILHOUETTE_BY_HAND)
    assert np.isnan(table.loc["by hand", AGREEMENT]) and np.isnan(table.loc["by hand", STABILITY])


def test_noise_is_left_out_of_silhouette_and_davies_bouldin():
    X = np.vstack([FOUR_POINTS, [[100.0]]])
    table = compare_clusterers(X, {"with noise": ByValue({**BY_HAND, 100.0: -1})}, resamples=0)
    row = table.loc["with noise"]
    assert row[CLUSTERS] == 2 and row[NOISE_SHARE] == pytest.approx(0.2)
    assert row[DAVIES_BOULDIN] == pytest.approx(0.5)
    assert row[SILHOUETTE] == pytest.approx(SILHOUETTE_BY_HAND)


def test_one_cluster_and_noise_leave_the_scores_undefined():
    X = np.vstack([FOUR_POINTS, [[100.0]]])
    table = compare_clusterers(X, {"one": ByValue(dict.fromkeys(BY_HAND, 0) | {100.0: -1})})
    assert table.loc["one", CLUSTERS] == 1
    assert np.isnan(table.loc["one", SILHOUETTE]) and np.isnan(table.loc["one", DAVIES_BOULDIN])


@pytest.mark.parametrize(
    ("groups", "reference", "expected"),
    [
        # worked by hand from the contingency table (pairs together in both, expected by chance)
        (BY_HAND, [0, 0, 1, 2], 4 / 7),
        # noise is one more label: {0, 2} {5, 9} {noise} against {0, 2} {5, 9, 100} gives
        # (2 - 0.8) / (3 - 0.8); dropping the noise point instead would give 1
        ({**BY_HAND, 100.0: -1}, [0, 0, 1, 1, 1], 6 / 11),
    ],
)
def test_agreement_is_the_adjusted_rand_index_with_noise_as_a_label(groups, reference, expected):
    X = np.array([[value] for value in groups])
    table = compare_clusterers(X, {"hand": ByValue(groups)}, reference=reference, resamples=0)
    assert table.loc["hand", AGREEMENT] == pytest.approx(expected)


def test_stability_compares_each_bootstrap_fit_with_the_full_fit_on_the_same_rows():
    from sklearn.metrics import adjusted_rand_score

    X = np.column_stack([np.arange(60.0), np.zeros(60)])  # the first feature names the row
    ByPosition.seen.clear()
    table = compare_clusterers(X, {"a": ByPosition(), "b": ByPosition()}, resamples=5)
    fits_a, fits_b = ByPosition.seen[:6], ByPosition.seen[6:]
    assert len(ByPosition.seen) == 12
    np.testing.assert_array_equal(fits_a[0], X)  # first the full data, then the resamples
    full = np.arange(60) % 2
    expected = []
    for resample, same in zip(fits_a[1:], fits_b[1:], strict=True):
        np.testing.assert_array_equal(resample, same)  # every algorithm gets the same draws
        rows = resample[:, 0].astype(int)
        assert len(rows) == 60 and len(set(rows)) < 60  # drawn with replacement
        expected.append(adjusted_rand_score(full[rows], np.arange(60) % 2))
    assert table.loc["a", STABILITY] == pytest.approx(np.mean(expected))
    assert abs(table.loc["a", STABILITY]) < 0.2  # labels by position do not survive a resample


def test_stability_repeats_with_the_seed_and_changes_with_it():
    X = np.random.default_rng(1).normal(size=(80, 2))
    estimators = {"k-means": KMeans(4, random_state=0)}
    first = compare_clusterers(X, estimators, random_state=3)[STABILITY]
    again = compare_clusterers(X, estimators, random_state=3)[STABILITY]
    other = compare_clusterers(X, estimators, random_state=4)[STABILITY]
    assert first.iloc[0] == again.iloc[0] != other.iloc[0]


# --------------------------------------------------------------------------------------------
# Estimators: cloned, labels however they give them
# --------------------------------------------------------------------------------------------


def test_the_callers_estimators_are_left_unfitted():
    X, groups = three_blobs()
    estimators = {
        "k-means": KMeans(3, random_state=0),
        "mixture": GaussianMixture(3, random_state=0),
        "DBSCAN": DBSCAN(eps=2.0),
        "Ward": AgglomerativeClustering(3),
    }
    params = {name: e.get_params() for name, e in estimators.items()}
    compare_clusterers(X, estimators, reference=groups, resamples=2)
    cluster_labels(X, estimators)
    for name, estimator in estimators.items():
        with pytest.raises(NotFittedError):
            check_is_fitted(estimator)
        assert estimator.get_params() == params[name]


def test_labels_come_from_fit_predict_labels_or_predict():
    X, groups = three_blobs()
    found = cluster_labels(
        X,
        {
            "mixture": GaussianMixture(3, random_state=0),
            "median split": PredictOnly(),
            "by hand": ByValue({float(x): g for x, g in zip(X[:, 0], groups, strict=True)}),
        },
    )
    mixture = GaussianMixture(3, random_state=0).fit(X)
    np.testing.assert_array_equal(found["mixture"], mixture.predict(X))
    np.testing.assert_array_equal(found["median split"], X[:, 0] > np.median(X[:, 0]))
    np.testing.assert_array_equal(found["by hand"], groups)


def test_labels_are_renumbered_by_spending_with_noise_kept():
    X = np.array([[0.0], [0.5], [9.0], [9.5], [40.0], [20.0]])
    groups = {0.0: 0, 0.5: 0, 9.0: 1, 9.5: 1, 40.0: -1, 20.0: 2}
    totals = pd.Series([50, 70, 10, 20, 999, 30])  # means: group 0 60, group 1 15, group 2 30
    found = cluster_labels(X, {"hand": ByValue(groups)}, totals=totals)["hand"]
    assert found.tolist() == [0, 0, 2, 2, -1, 1]
    assert cluster_labels(X, {"hand": ByValue(groups)})["hand"].tolist() == [0, 0, 1, 1, -1, 2]


# --------------------------------------------------------------------------------------------
# Bad input: what is wrong and what to do
# --------------------------------------------------------------------------------------------

GOOD = {"k-means": KMeans(2, random_state=0)}
DATA = np.arange(20.0).reshape(10, 2)
SEED_RANGE = r"random_state must be a whole number from 0 to 2\*\*32 - 1"


@pytest.mark.parametrize(
    ("X", "estimators", "options", "error", "message"),
    [
        (np.arange(10.0), GOOD, {}, ValueError, "X.reshape"),
        (pd.DataFrame({"a": range(4), "b": list("wxyz")}), GOOD, {}, ValueError, "not numbers: b"),
        ([["a", "b"], ["c", "d"]], GOOD, {}, ValueError, "pass numeric features"),
        ([[1.0, np.nan], [2.0, 3.0]], GOOD, {}, ValueError, "fill in or drop"),
        (DATA, {}, {}, ValueError, "estimators is empty"),
        (DATA, [KMeans(2)], {}, TypeError, "dict of name -> estimator"),
        (DATA, {"k": "KMeans"}, {}, TypeError, "not a scikit-learn estimator"),
        (DATA, GOOD, {"reference": [0, 1]}, ValueError, "X has 10 rows: pass one value per row"),
        (DATA, GOOD, {"resamples": -1}, ValueError, "whole number from 0 to 1000"),
        (DATA, GOOD, {"resamples": 2.5}, ValueError, "whole number from 0 to 1000"),
        (DATA, GOOD, {"resamples": True}, ValueError, "whole number from 0 to 1000"),
        (DATA, GOOD, {"resamples": 1001}, ValueError, "whole number from 0 to 1000"),
        (DATA, GOOD, {"resamples": 10**12}, ValueError, "got 1000000000000"),
        (DATA, GOOD, {"reference": [None, 1] * 5}, ValueError, "5 missing values"),
        (DATA, GOOD, {"reference": [np.nan] + [1.0] * 9}, ValueError, "1 missing values"),
        (DATA, GOOD, {"reference": pd.Series([1] * 9 + [None])}, ValueError, "Drop the rows"),
        (DATA, GOOD, {"random_state": "x"}, ValueError, SEED_RANGE + "; got 'x'"),
        (DATA, GOOD, {"random_state": -1}, ValueError, SEED_RANGE + "; got -1"),
        (DATA, GOOD, {"random_state": 2**32}, ValueError, SEED_RANGE),
        (DATA, GOOD, {"random_state": 1.5}, ValueError, SEED_RANGE),
        (DATA, GOOD, {"random_state": None}, ValueError, SEED_RANGE),
        (DATA, GOOD, {"random_state": False}, ValueError, SEED_RANGE),
        (DATA, {1: KMeans(2), "1": KMeans(3)}, {}, ValueError, "the same as text: '1'"),
        (DATA, {"a": KMeans}, {}, TypeError, r"class KMeans.*instance, e.g. KMeans\(3\)"),
        (DATA, {"a": DBSCAN}, {}, TypeError, "the class DBSCAN, not an estimator"),
    ],
)
def test_bad_input_says_what_to_do(X, estimators, options, error, message):
    with pytest.raises(error, match=message):
        compare_clusterers(X, estimators, **options)


@pytest.mark.parametrize(
    ("estimators", "options", "error", "message"),
    [
        ({1: KMeans(2), "1": KMeans(3)}, {}, ValueError, "Give each estimator a different name"),
        ({"a": KMeans}, {}, TypeError, "give an estimator instance"),
        (GOOD, {"totals": [None, 1] * 5}, ValueError, "totals must be finite numbers"),
        (GOOD, {"totals": ["a"] * 10}, ValueError, "totals must be finite numbers"),
        (GOOD, {"totals": [np.inf] * 10}, ValueError, "total_spending"),
    ],
)
def test_cluster_labels_refuses_the_same_bad_input(estimators, options, error, message):
    with pytest.raises(error, match=message):
        cluster_labels(DATA, estimators, **options)


@pytest.mark.parametrize("seed", [0, 2**32 - 1, np.int64(7)])
def test_the_seed_range_limits_are_accepted(seed):
    first, again = (
        compare_clusterers(DATA, GOOD, resamples=2, random_state=seed).loc["k-means", STABILITY]
        for _ in range(2)
    )
    assert np.isfinite(first) and first == again


@pytest.mark.parametrize(
    "reference",
    [
        ["a", "a", "a", "a", "a", "b", "b", "b", "b", "b"],
        [1, 1, 1, 1, 1, "x", "x", "x", "x", "x"],  # numbers and text together do not sort
        np.array([2.0] * 5 + [7.0] * 5),
        pd.Series([True] * 5 + [False] * 5),
    ],
)
def test_a_reference_of_any_kind_of_label_gives_the_same_agreement(reference):
    # The two halves of DATA are k-means' two clusters, so the halves agree perfectly.
    table = compare_clusterers(DATA, GOOD, reference=reference, resamples=0)
    assert table.loc["k-means", AGREEMENT] == pytest.approx(1.0)


def test_an_estimator_that_gives_no_labels_is_named():
    class Scores(PredictOnly):
        def predict(self, X):
            return np.asarray(X, dtype=float)[:, 0] / 10

    with pytest.raises(ValueError, match=r"estimator 'scores' gave labels .* pass a clusterer"):
        compare_clusterers(DATA, {"scores": Scores()})
    with pytest.raises(ValueError, match="totals has shape"):
        cluster_labels(DATA, GOOD, totals=[1, 2])


class CountsThreads(ByPosition):
    """Records how many threads BLAS and OpenMP may use while it is fitted."""

    threads: ClassVar[list] = []

    def fit(self, X, y=None):
        from threadpoolctl import threadpool_info

        CountsThreads.threads.extend(pool["num_threads"] for pool in threadpool_info())
        self.labels_ = np.zeros(len(X), dtype=int)
        return self


def test_the_fits_run_on_one_thread():
    CountsThreads.threads.clear()
    compare_clusterers(DATA, {"probe": CountsThreads()}, resamples=1)
    cluster_labels(DATA, {"probe": CountsThreads()})
    assert CountsThreads.threads and set(CountsThreads.threads) == {1}
