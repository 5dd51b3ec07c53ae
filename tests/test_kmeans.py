"""The course's k-means: each step, the estimator's API, its errors, and its agreement with
scikit-learn's Lloyd k-means."""

import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans as ReferenceKMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from segmentation.cluster.kmeans import (
    STOP_ASSIGNMENTS_UNCHANGED,
    STOP_CENTRES_SETTLED,
    STOP_MAX_ITER,
    KMeans,
    assign,
    initial_centres,
    objective,
    update_centres,
)
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import load_customers


def squared_distances(X, centres):
    """The textbook n x k matrix of squared distances, for checking on small data."""
    return ((np.asarray(X)[:, None, :] - np.asarray(centres)[None, :, :]) ** 2).sum(axis=2)


def blobs(seed, n=300, d=3, k=4, spread=1.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(k, d))
    return centres[rng.integers(k, size=n)] + rng.normal(scale=spread, size=(n, d))


@pytest.fixture(scope="module")
def spending():
    return load_customers()[list(SPENDING_COLUMNS)]


# --------------------------------------------------------------------------------------------
# Step 1: initial centres
# --------------------------------------------------------------------------------------------


def test_random_init_takes_distinct_samples():
    X = blobs(0, n=50)
    centres = initial_centres(X, 6, "random", random_state=1)
    rows = {tuple(row) for row in X}
    assert all(tuple(c) in rows for c in centres)
    assert len({tuple(c) for c in centres}) == 6


def test_uniform_init_lies_within_the_range_of_each_feature():
    X = blobs(1, n=80) * [1.0, 100.0, 0.01]
    centres = initial_centres(X, 50, "uniform", random_state=2)
    assert centres.shape == (50, 3)
    assert (centres >= X.min(axis=0)).all() and (centres <= X.max(axis=0)).all()
    assert not any((X == c).all(axis=1).any() for c in centres)  # points, not samples


def test_init_repeats_with_a_seed_and_changes_without():
    X = blobs(2)
    for method in ("random", "uniform", "k-means++"):
        first = initial_centres(X, 4, method, random_state=7)
        np.testing.assert_array_equal(first, initial_centres(X, 4, method, random_state=7))
        assert not np.array_equal(first, initial_centres(X, 4, method, random_state=8))


def test_kmeans_plus_plus_draws_the_next_centre_in_proportion_to_squared_distance():
    # Three samples at 0, 1 and 3. Whichever is drawn first, the second is drawn with
    # probability proportional to its squared distance from the first.
    X = np.array([[0.0], [1.0], [3.0]])
    counts = np.zeros((3, 3))
    for seed in range(3000):
        first, second = initial_centres(X, 2, "k-means++", random_state=seed)[:, 0]
        counts[list(X[:, 0]).index(first), list(X[:, 0]).index(second)] += 1
    expected = np.array([[0, 1, 9], [1, 0, 4], [9, 4, 0]], dtype=float)
    expected /= expected.sum(axis=1, keepdims=True)
    observed = counts / counts.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(observed, expected, atol=0.04)
    np.testing.assert_allclose(counts.sum(axis=1) / 3000, 1 / 3, atol=0.03)  # first: uniform


def test_kmeans_plus_plus_spreads_over_far_apart_groups():
    X = np.vstack([np.zeros((100, 2)), np.full((100, 2), 100.0), np.full((100, 2), -100.0)])
    X = X + np.random.default_rng(0).normal(scale=0.1, size=X.shape)
    for seed in range(20):
        centres = initial_centres(X, 3, "k-means++", random_state=seed)
        assert sorted(np.round(centres[:, 0], -2)) == [-100, 0, 100]


def test_kmeans_plus_plus_with_fewer_distinct_points_than_k():
    centres = initial_centres(np.ones((5, 2)), 3, "k-means++", random_state=0)
    np.testing.assert_array_equal(centres, np.ones((3, 2)))


def test_unknown_init_method_is_named():
    with pytest.raises(ValueError, match=r"'sideways' is not a way.*'k-means\+\+'"):
        initial_centres(blobs(0), 2, "sideways")


# --------------------------------------------------------------------------------------------
# Steps 2 to 4
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [1, 7, 8192])
def test_assign_gives_the_nearest_centre(chunk_size):
    X = blobs(3, n=200, d=5)
    centres = initial_centres(X, 6, "random", random_state=0)
    expected = squared_distances(X, centres).argmin(axis=1)
    np.testing.assert_array_equal(assign(X, centres, chunk_size=chunk_size), expected)


def test_assign_breaks_a_tie_in_favour_of_the_first_centre():
    labels = assign([[0.0], [5.0], [10.0]], [[10.0], [0.0], [10.0], [0.0]])
    assert labels.tolist() == [1, 0, 0]


def test_update_centres_gives_the_cluster_means():
    X = blobs(4, n=100)
    labels = np.arange(100) % 3
    expected = [X[labels == j].mean(axis=0) for j in range(3)]
    np.testing.assert_allclose(update_centres(X, labels, np.zeros((3, 3))), expected, rtol=1e-12)


def test_an_empty_cluster_takes_the_sample_farthest_from_its_centre():
    X = np.array([[0.0], [1.0], [2.0], [9.0], [10.0]])
    labels = np.array([0, 0, 0, 1, 1])
    old = np.array([[1.0], [9.0], [50.0]])  # cluster 2 got nobody
    # Distances to own centre: 1, 0, 1, 0, 1. The farthest (first of the largest, as
    # argpartition leaves them) moves to cluster 2 and leaves its old cluster's mean.
    new = update_centres(X, labels, old)
    distances = (X[:, 0] - old[labels, 0]) ** 2
    moved = np.argpartition(distances, -1)[-1]
    expected = [
        X[(labels == 0) & (np.arange(5) != moved), 0].mean(),
        X[(labels == 1) & (np.arange(5) != moved), 0].mean(),
        X[moved, 0],
    ]
    np.testing.assert_allclose(new[:, 0], expected)


def test_empty_clusters_with_every_sample_on_its_centre_go_to_the_largest_cluster():
    X = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [4.0, 4.0]])
    new = update_centres(X, [0, 0, 0, 1], [[1.0, 1.0], [4.0, 4.0], [7.0, 7.0]])
    np.testing.assert_array_equal(new, [[1.0, 1.0], [4.0, 4.0], [1.0, 1.0]])


def test_objective_is_the_sum_of_squared_distances():
    X = blobs(5, n=60)
    centres = initial_centres(X, 3, "random", random_state=0)
    labels = np.arange(60) % 3
    expected = squared_distances(X, centres)[np.arange(60), labels].sum()
    assert objective(X, centres, labels) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: assign([[1.0, 2.0]], [[1.0, 2.0, 3.0]]), r"shape \(k, 2\)"),
        (lambda: assign([[1.0, 2.0]], [[np.nan, 2.0]]), "centres contains NaN"),
        (lambda: update_centres([[1.0], [2.0]], [0], [[1.0]]), "one entry per sample"),
        (lambda: update_centres([[1.0], [2.0]], [0, 2], [[1.0], [2.0]]), "from 0 to 1"),
        (lambda: update_centres([[1.0], [2.0]], [0.0, 1.0], [[1.0], [2.0]]), "whole numbers"),
        (lambda: objective([1.0, 2.0], [[1.0]], [0, 0]), "reshape"),
        (lambda: initial_centres([[1.0], [2.0]], 3), "n_clusters <= 2"),
    ],
)
def test_steps_reject_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------------------------
# The estimator against scikit-learn
# --------------------------------------------------------------------------------------------


def assert_same_as_reference(X, start, chunk_size=8192, **params):
    ours = KMeans(len(start), init=start, n_init=1, chunk_size=chunk_size, **params).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = ReferenceKMeans(
            len(start), init=start, n_init=1, algorithm="lloyd", **params
        ).fit(X)
    np.testing.assert_array_equal(ours.labels_, reference.labels_)
    assert ours.n_iter_ == reference.n_iter_
    scale = np.abs(reference.cluster_centers_).max()
    np.testing.assert_allclose(
        ours.cluster_centers_, reference.cluster_centers_, rtol=1e-9, atol=1e-9 * scale
    )
    assert ours.inertia_ == pytest.approx(reference.inertia_, rel=1e-9)
    return ours


@pytest.mark.parametrize("transform", ["raw", "log"])
@pytest.mark.parametrize("k", [2, 3, 5, 8])
def test_same_result_as_scikit_learn_on_the_course_data(spending, transform, k):
    X = spending.to_numpy(dtype=float)
    if transform == "log":
        X = np.log(X)
    for seed in range(5):
        start = initial_centres(X, k, "random", random_state=seed)
        assert_same_as_reference(X, start, tol=0)
        assert_same_as_reference(X, start, tol=1e-4)


@pytest.mark.parametrize("seed", range(30))
def test_same_result_as_scikit_learn_on_generated_data(seed):
    rng = np.random.default_rng(seed)
    n, d, k = int(rng.integers(10, 400)), int(rng.integers(1, 7)), int(rng.integers(1, 9))
    X = blobs(seed, n=n, d=d, k=int(rng.integers(1, 6)), spread=float(rng.uniform(0.2, 3)))
    X = X * rng.uniform(0.01, 1000, size=d) + rng.uniform(-1e4, 1e4, size=d)
    method = ["random", "uniform", "k-means++"][seed % 3]  # uniform starts leave some empty
    start = initial_centres(X, min(k, n), method, random_state=seed)
    tol = [0, 1e-4, 1e-2][(seed // 3) % 3]
    chunk_size = [8192, 16, 1][seed % 3]
    max_iter = int(rng.integers(1, 60))
    assert_same_as_reference(X, start, chunk_size=chunk_size, tol=tol, max_iter=max_iter)


def test_the_chunk_size_does_not_change_the_result():
    X = blobs(6, n=500, d=4, k=5)
    start = initial_centres(X, 5, "random", random_state=0)
    whole = KMeans(5, init=start, tol=0).fit(X)
    for chunk_size in (1, 3, 64, 499):
        part = KMeans(5, init=start, tol=0, chunk_size=chunk_size).fit(X)
        np.testing.assert_array_equal(part.labels_, whole.labels_)
        np.testing.assert_allclose(part.history_.centres, whole.history_.centres, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Restarts, stopping rules and history
# --------------------------------------------------------------------------------------------


def test_restarts_keep_the_lowest_objective_and_repeat_with_a_seed():
    X = blobs(7, n=300, k=6, spread=2.0)
    model = KMeans(6, init="random", n_init=8, random_state=0).fit(X)
    assert len(model.inertia_per_init_) == 8
    assert model.inertia_ == min(model.inertia_per_init_)
    assert len(set(np.round(model.inertia_per_init_, 6))) > 1  # the starts differ
    again = KMeans(6, init="random", n_init=8, random_state=0).fit(X)
    np.testing.assert_array_equal(again.labels_, model.labels_)
    np.testing.assert_array_equal(again.inertia_per_init_, model.inertia_per_init_)


def test_n_init_auto_is_ten_random_starts_or_one_given_start():
    X = blobs(8)
    assert len(KMeans(3, random_state=0).fit(X).inertia_per_init_) == 10
    start = initial_centres(X, 3, "random", random_state=0)
    assert len(KMeans(3, init=start).fit(X).inertia_per_init_) == 1


def test_each_stopping_rule_ends_a_fit_and_is_recorded():
    X = blobs(9, n=400, k=5, spread=2.5)
    start = initial_centres(X, 5, "random", random_state=3)
    unchanged = KMeans(5, init=start, tol=0).fit(X)
    assert unchanged.history_.stop_reason == STOP_ASSIGNMENTS_UNCHANGED
    assert unchanged.history_.shift[-1].max() < 1e-12 * np.abs(X).max()  # rounding only

    settled = KMeans(5, init=start, tol=1e-2).fit(X)
    assert settled.history_.stop_reason == STOP_CENTRES_SETTLED
    assert settled.n_iter_ < unchanged.n_iter_
    last_move = (settled.history_.shift[-1] ** 2).sum()
    assert 0 < last_move <= 1e-2 * X.var(axis=0).mean()

    capped = KMeans(5, init=start, tol=0, max_iter=2).fit(X)
    assert capped.history_.stop_reason == STOP_MAX_ITER
    assert capped.n_iter_ == 2


def test_history_replays_the_fit_step_by_step():
    X = blobs(10, n=250, k=4, spread=2.0)
    start = initial_centres(X, 4, "uniform", random_state=5)
    model = KMeans(4, init=start, tol=0).fit(X)
    history = model.history_
    T = model.n_iter_
    assert history.centres.shape == (T + 1, 4, 3)
    assert history.objective.shape == (T + 1,)
    assert history.sizes.shape == (T + 1, 4) and (history.sizes.sum(axis=1) == 250).all()
    assert history.shift.shape == (T, 4)
    np.testing.assert_array_equal(history.centres[0], start)
    np.testing.assert_array_equal(history.centres[-1], model.cluster_centers_)
    np.testing.assert_allclose(
        history.shift, np.linalg.norm(np.diff(history.centres, axis=0), axis=2), rtol=1e-12
    )
    assert history.objective[-1] == model.inertia_

    # The same walk, made with the four step functions one at a time.
    assignments = history.assignments(X)
    np.testing.assert_array_equal(assignments[-1], model.labels_)
    centres = start
    for t in range(T):
        labels = assign(X, centres)
        np.testing.assert_array_equal(assignments[t], labels)
        np.testing.assert_array_equal(np.bincount(labels, minlength=4), history.sizes[t])
        assert history.objective[t] == pytest.approx(objective(X, centres, labels), rel=1e-12)
        centres = update_centres(X, labels, centres)
        np.testing.assert_allclose(history.centres[t + 1], centres, rtol=1e-12, atol=1e-12)


def test_fewer_distinct_points_than_clusters_warns():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 5, axis=0)
    with pytest.warns(ConvergenceWarning, match="Only 2 distinct clusters"):
        model = KMeans(3, n_init=1, random_state=0).fit(X)
    assert model.inertia_ == 0


def test_memory_stays_bounded_however_many_samples():
    # n x k x d float64 would be 8 x 8 x 200,000 x 8 bytes = 102 MB.
    X = blobs(11, n=200_000, d=8, k=8)
    start = initial_centres(X, 8, "random", random_state=0)
    tracemalloc.start()
    KMeans(8, init=start, max_iter=3, tol=0).fit(X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # labels (1.6 MB as floats, 0.8 MB final) and one block's temporaries, nothing of size n x k
    assert peak < 10 * 2**20


# --------------------------------------------------------------------------------------------
# scikit-learn's API
# --------------------------------------------------------------------------------------------


@parametrize_with_checks([KMeans(n_clusters=3, n_init=2, random_state=0)])
def test_passes_scikit_learns_estimator_checks(estimator, check):
    check(estimator)


def test_predict_transform_and_score(spending):
    model = KMeans(4, random_state=0).fit(spending)
    np.testing.assert_array_equal(model.predict(spending), model.labels_)
    np.testing.assert_array_equal(model.fit_predict(spending), model.labels_)
    distances = model.transform(spending)
    np.testing.assert_allclose(
        distances, euclidean_distances(spending, model.cluster_centers_), rtol=1e-9
    )
    np.testing.assert_array_equal(distances.argmin(axis=1), model.labels_)
    assert model.score(spending) == pytest.approx(-model.inertia_, rel=1e-12)
    assert list(model.feature_names_in_) == list(SPENDING_COLUMNS)
    assert list(model.get_feature_names_out()) == [f"kmeans{j}" for j in range(4)]


def test_clone_pipeline_and_grid_search(spending):
    model = KMeans(3, init="random", n_init=4, random_state=0, tol=0)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "labels_")
    assert model.set_params(n_clusters=5).n_clusters == 5

    pipeline = make_pipeline(StandardScaler(), KMeans(3, n_init=3, random_state=0))
    labels = pipeline.fit_predict(np.log(spending))
    assert set(labels) == {0, 1, 2}

    search = GridSearchCV(pipeline, {"kmeans__n_clusters": [2, 4, 6]}, cv=3)
    search.fit(np.log(spending))
    # scored by -J on held-out customers, more clusters always fit closer
    assert search.best_params_ == {"kmeans__n_clusters": 6}


def test_swaps_with_scikit_learns_kmeans_in_a_pipeline(spending):
    X = np.log(spending)
    start = initial_centres(StandardScaler().fit_transform(X), 3, "k-means++", random_state=1)
    ours = make_pipeline(StandardScaler(), KMeans(3, init=start)).fit(X)
    theirs = make_pipeline(
        StandardScaler(), ReferenceKMeans(3, init=start, n_init=1, algorithm="lloyd")
    ).fit(X)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_clusters": 0}, "n_clusters must be a whole number >= 1, got 0"),
        ({"n_clusters": 2.5}, "n_clusters must be a whole number"),
        ({"n_clusters": 11}, "n_clusters=11 clusters need at least 11 samples, but X has 10"),
        ({"max_iter": 0}, "max_iter must be a whole number >= 1"),
        ({"n_init": 0}, "n_init must be a whole number >= 1"),
        ({"tol": -1.0}, "tol must be a number >= 0"),
        ({"chunk_size": 0}, "chunk_size must be a whole number >= 1"),
        ({"init": "furthest"}, "'furthest' is not a way to choose centres"),
        ({"n_clusters": 2, "init": np.zeros((3, 2))}, r"init has shape \(3, 2\).*\(2, 2\)"),
        ({"n_clusters": 2, "init": [[0.0, np.inf], [1.0, 1.0]]}, "init contains infinity"),
        ({"n_clusters": 2, "init": np.zeros((2, 2)), "n_init": 3}, "use n_init=1"),
    ],
)
def test_bad_parameters_are_named(params, message):
    X = blobs(12, n=10, d=2)
    with pytest.raises(ValueError, match=message):
        KMeans(**params).fit(X)


def test_non_finite_cells_are_reported_with_their_position(spending):
    frame = spending.head(20).astype(float)
    frame.loc[7, "Milk"] = np.nan
    frame.loc[12, "Frozen"] = np.inf
    with pytest.raises(ValueError) as raised:
        KMeans(2).fit(frame)
    message = str(raised.value)
    assert "NaN and infinity" in message
    assert "row 7, column 'Milk': nan" in message
    assert "row 12, column 'Frozen': inf" in message
    assert "fill in or drop those rows" in message

    array = frame.to_numpy()
    with pytest.raises(ValueError, match=r"row 7, column 1 \(counting from 0\): nan"):
        KMeans(2).fit(array)
    model = KMeans(2, n_init=1).fit(spending)
    with pytest.raises(ValueError, match="row 12, column 'Frozen'"):
        model.predict(frame)


def test_many_bad_cells_are_counted_not_all_listed():
    X = np.full((30, 2), np.nan)
    with pytest.raises(ValueError, match=r"\(and 55 more\)"):
        KMeans(2).fit(X)


def test_text_and_category_columns_are_refused_with_advice():
    customers = load_customers()
    with pytest.raises(ValueError, match=r"column 'Channel' holds category values.*SPENDING"):
        KMeans(3).fit(customers.drop(columns="id"))
    with pytest.raises(ValueError, match="column 'name' holds"):
        KMeans(2).fit(pd.DataFrame({"name": ["a", "b", "c"], "x": [1.0, 2.0, 3.0]}))


def test_wrong_shapes_are_refused():
    with pytest.raises(ValueError, match="Expected 2D array"):
        KMeans(2).fit([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="0 sample"):
        KMeans(1).fit(np.zeros((0, 3)))
    model = KMeans(2, n_init=1).fit(blobs(13, n=20, d=3))
    with pytest.raises(ValueError, match="X has 2 features, but KMeans is expecting 3"):
        model.predict(np.zeros((4, 2)))
