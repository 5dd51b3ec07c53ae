"""The course's HDBSCAN: scikit-learn's, with tied edges in a fixed order; and ``scaled``."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import HDBSCAN as SklearnHDBSCAN
from sklearn.cluster._hdbscan import hdbscan as sklearn_hdbscan

from segmentation import HDBSCAN, load_customers, scaled, spending, spending_scaler
from segmentation.cluster import hdbscan as course_hdbscan

REAL_ARGSORT = np.argsort


def argsort_of_another_cpu(values, axis=-1, kind=None, order=None, **kwargs):
    """np.argsort as another processor's unstable sort might return it: equal values in the
    reverse of their order (a stable sort, kind="stable", is left as it is)."""
    if kind == "stable" or np.ndim(values) != 1:
        return REAL_ARGSORT(values, axis=axis, kind=kind, order=order, **kwargs)
    values = np.asarray(values)
    reverse = REAL_ARGSORT(values[::-1], kind="stable")
    return (len(values) - 1 - reverse).astype(np.intp)


@pytest.fixture(scope="module")
def X():
    return scaled(spending(load_customers()), "log")


def test_the_fake_cpu_orders_ties_in_reverse():
    values = np.array([2.0, 1.0, 2.0, 1.0])
    assert argsort_of_another_cpu(values).tolist() == [3, 1, 2, 0]
    assert argsort_of_another_cpu(values, kind="stable").tolist() == [1, 3, 0, 2]


def argsort_made_stable(values, axis=-1, kind=None, order=None, **kwargs):
    """np.argsort with every sort stable: equal values in their order (a third processor)."""
    return REAL_ARGSORT(values, axis=axis, kind="stable", order=order, **kwargs)


def fitted_under(argsort, estimator, X):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(np, "argsort", argsort)
        return clone(estimator).fit_predict(X)


@pytest.mark.parametrize("min_cluster_size", [10, 30])
def test_scikit_learns_hdbscan_changes_with_the_order_of_ties_and_the_courses_does_not(
    X, min_cluster_size
):
    # two fixed tie orders stand for two processors, so the test is the same on every machine
    theirs = SklearnHDBSCAN(min_cluster_size=min_cluster_size, copy=True)
    ours = HDBSCAN(min_cluster_size=min_cluster_size, copy=True)
    # the data really has ties that matter: scikit-learn's own result moves with their order
    assert not np.array_equal(
        fitted_under(argsort_made_stable, theirs, X),
        fitted_under(argsort_of_another_cpu, theirs, X),
    )
    in_order = fitted_under(argsort_made_stable, ours, X)
    np.testing.assert_array_equal(in_order, fitted_under(argsort_of_another_cpu, ours, X))
    np.testing.assert_array_equal(in_order, ours.fit_predict(X))  # and this machine's sort


@pytest.mark.parametrize("min_cluster_size", [10, 15, 22, 30])
def test_the_course_result_is_scikit_learns_with_a_stable_sort(X, min_cluster_size):
    # oracle: scikit-learn's estimator with every unspecified sort made stable by hand
    ours = HDBSCAN(min_cluster_size=min_cluster_size, copy=True).fit_predict(X)
    oracle = fitted_under(
        argsort_made_stable, SklearnHDBSCAN(min_cluster_size=min_cluster_size, copy=True), X
    )
    np.testing.assert_array_equal(ours, oracle)


def test_without_ties_it_is_scikit_learns():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(0, 1, (60, 2)), rng.normal(8, 1, (60, 2))])
    # min_samples=1: every core distance is 0, so edges are plain distances, all different
    ours = HDBSCAN(min_cluster_size=10, min_samples=1, copy=True).fit(X)
    theirs = SklearnHDBSCAN(min_cluster_size=10, min_samples=1, copy=True).fit(X)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.probabilities_, theirs.probabilities_)
    assert sorted(np.bincount(ours.labels_[ours.labels_ >= 0]).tolist()) == [60, 60]


def test_the_stable_sort_is_used_during_fit_and_scikit_learns_is_back_afterwards(X, monkeypatch):
    calls = []
    original = course_hdbscan._process_mst_stably

    def counted(tree):
        calls.append(len(tree))
        return original(tree)

    monkeypatch.setattr(course_hdbscan, "_process_mst_stably", counted)
    before = sklearn_hdbscan._process_mst
    HDBSCAN(min_cluster_size=22, copy=True).fit(X)
    assert calls == [len(X) - 1]  # the spanning tree of 440 points has 439 edges
    assert sklearn_hdbscan._process_mst is before
    with pytest.raises(ValueError):
        HDBSCAN(min_cluster_size=22, copy=True).fit(np.full((5, 2), np.inf))
    assert sklearn_hdbscan._process_mst is before  # restored after a failed fit too


def test_it_is_a_scikit_learn_estimator_that_clones_with_its_parameters():
    model = HDBSCAN(min_cluster_size=7, copy=True, cluster_selection_method="leaf")
    twin = clone(model)
    assert type(twin) is HDBSCAN
    assert twin.get_params() == model.get_params()
    assert isinstance(twin, SklearnHDBSCAN)


def test_scaled_is_the_course_scaler_rounded_to_six_decimals():
    customers = load_customers()
    exact = spending_scaler("log").fit_transform(spending(customers))
    rounded = scaled(spending(customers), "log")
    assert np.abs(rounded - exact).max() <= 5e-7
    np.testing.assert_array_equal(rounded, np.round(rounded * 1e6) / 1e6)
    points = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 40.0]])
    # by hand: (x - mean) / std with the population standard deviation
    assert scaled(points, "none")[:, 0].tolist() == [-1.224745, 0.0, 1.224745]
    assert scaled(points, "none")[:, 1].tolist() == [-0.707107, -0.707107, 1.414214]
    with pytest.raises(ValueError, match="transform must be one of log, none"):
        scaled(points, "sqrt")
