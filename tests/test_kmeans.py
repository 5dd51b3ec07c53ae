"""The course's k-means estimator: its agreement with the readable steps and with
scikit-learn's Lloyd k-means, its API and its errors. (The steps: test_kmeans_steps.py.)"""

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
    TIE_TOLERANCE,
    KMeans,
)
from segmentation.cluster.steps import assign, initial_centres, objective, update_centres
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import load_customers


def blobs(seed, n=300, d=3, k=4, spread=1.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(k, d))
    return centres[rng.integers(k, size=n)] + rng.normal(scale=spread, size=(n, d))


@pytest.fixture(scope="module")
def spending():
    return load_customers()[list(SPENDING_COLUMNS)]


# --------------------------------------------------------------------------------------------
# The estimator against the readable steps (its oracle)
# --------------------------------------------------------------------------------------------


def lloyd_by_the_steps(X, start, tol=0.0, max_iter=300):
    """Lloyd's k-means written with the readable steps and the estimator's two stopping rules:
    the assignments did not change, or the squared moves add up to at most tol times the mean
    variance of the features. Returns the final labels, the centres after each update, and J."""
    threshold = tol * X.var(axis=0).mean()
    centres, labels, walk = np.asarray(start, dtype=float), None, [np.asarray(start, dtype=float)]
    for _ in range(max_iter):
        new_labels = assign(X, centres)
        new_centres = update_centres(X, new_labels, centres)
        unchanged = labels is not None and np.array_equal(new_labels, labels)
        moved = ((new_centres - centres) ** 2).sum()
        labels, centres = new_labels, new_centres
        walk.append(centres)
        if unchanged or moved <= threshold:
            break
    labels = assign(X, centres)
    return labels, np.array(walk), objective(X, centres, labels)


def grid_with_ties():
    """A 7 x 7 grid of whole numbers and four centres one step from the middle: every distance
    is exact, and the 13 points of the two diagonals lie equally far from two nearest centres
    (the middle from all four)."""
    grid = np.array([[x, y] for x in range(-3, 4) for y in range(-3, 4)], dtype=float)
    return grid, np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])


def line_with_a_tie():
    """0 to 9 with centres at 1 and 5: 3 lies at distance 2 from both."""
    return np.arange(10.0)[:, np.newaxis], np.array([[1.0], [5.0]])


def far_start():
    """Blobs, and a start with two centres far outside the data: both clusters are empty after
    the first assignment and take the farthest samples."""
    X = blobs(21, n=200, d=2, k=3)
    return X, np.vstack([X[:2], [[500.0, 500.0], [-500.0, 400.0]]])


def duplicates():
    """Three distinct points repeated, and five centres: some clusters stay empty, with every
    sample sitting on its centre."""
    X = np.repeat([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]], [6, 3, 1], axis=0)
    return X, np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [5.0, 5.0], [5.0, 5.0]])


def course_start(spending, k, seed):
    X = StandardScaler().fit_transform(np.log(spending.to_numpy(dtype=float)))
    return X, initial_centres(X, k, "k-means++", random_state=seed)


AGREEMENT = {
    "grid with ties": grid_with_ties,
    "line with a tie": line_with_a_tie,
    "empty clusters": far_start,
    "fewer distinct points than k": duplicates,
    "blobs": lambda: (blobs(20), initial_centres(blobs(20), 4, "random", random_state=2)),
}


def assert_same_as_the_steps(X, start, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = KMeans(len(start), init=start, n_init=1, **params).fit(X)
    labels, walk, J = lloyd_by_the_steps(X, start, **params)
    np.testing.assert_array_equal(fit.labels_, labels)
    assert fit.n_iter_ == len(walk) - 1
    scale = 1e-9 * (1.0 + np.abs(X).max())
    np.testing.assert_allclose(fit.history_.centres, walk, rtol=0, atol=scale)
    np.testing.assert_allclose(fit.cluster_centers_, walk[-1], rtol=0, atol=scale)
    assert fit.inertia_ == pytest.approx(J, rel=1e-12, abs=1e-12)
    return fit


@pytest.mark.parametrize("name", list(AGREEMENT))
@pytest.mark.parametrize("params", [{"tol": 0.0}, {"tol": 1e-2}, {"max_iter": 1}])
def test_same_result_as_the_readable_steps(name, params):
    X, start = AGREEMENT[name]()
    assert_same_as_the_steps(X, start, **params)


def test_the_agreement_data_sets_hold_what_their_names_say():
    grid, centres = grid_with_ties()
    squared = ((grid[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    assert ((squared == squared.min(axis=1, keepdims=True)).sum(axis=1) > 1).sum() == 13
    X, start = far_start()
    assert (KMeans(4, init=start, max_iter=1).fit(X).history_.sizes[0][2:] == 0).all()
    X, start = duplicates()
    with pytest.warns(ConvergenceWarning):
        assert (KMeans(5, init=start).fit(X).history_.sizes[-1] == 0).any()


@pytest.mark.parametrize(
    ("X", "start", "expected"),
    [
        # worked by hand in test_kmeans_steps.py: the samples at 0, 1, 2 go to centre 0 and
        # those at 9, 10 to centre 1; of the three at distance 1 from their centre, the one at
        # 0 (the lowest-numbered) moves to the empty cluster 2
        ([0.0, 1.0, 2.0, 9.0, 10.0], [1.0, 9.0, 50.0], [1.5, 9.5, 0.0]),
        # 5 is as far from 1 as from 9 and joins centre 0 (the first); the farthest sample (at
        # 5) goes to cluster 2, the next (at 0, tied with 10) to cluster 3
        ([0.0, 1.0, 5.0, 9.0, 10.0], [1.0, 9.0, 50.0, 60.0], [1.0, 9.5, 5.0, 0.0]),
    ],
    ids=["tie", "two empty"],
)
def test_the_estimator_refills_empty_clusters_as_worked_by_hand(X, start, expected):
    fit = KMeans(len(start), init=np.array(start)[:, None], max_iter=1).fit(np.array(X)[:, None])
    np.testing.assert_allclose(fit.history_.centres[1][:, 0], expected)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_same_result_as_the_readable_steps_on_the_course_data(spending, k):
    for seed in range(3):
        X, start = course_start(spending, k, seed)
        assert_same_as_the_steps(X, start, tol=1e-4)


@pytest.mark.parametrize("method", ["random", "uniform", "k-means++"])
def test_the_first_start_is_the_one_the_readable_step_draws(spending, method):
    for X in (blobs(22, n=400, d=4), spending.to_numpy(dtype=float)):
        for seed in range(5):
            fit = KMeans(4, init=method, n_init=1, max_iter=1, random_state=seed).fit(X)
            expected = initial_centres(X, 4, method, random_state=seed)
            np.testing.assert_array_equal(fit.history_.centres[0], expected)


def test_transform_and_score_agree_with_the_readable_steps(spending):
    X, start = course_start(spending, 4, 0)
    model = KMeans.from_centres(start)
    labels = assign(X, start)
    np.testing.assert_array_equal(model.predict(X), labels)
    np.testing.assert_array_equal(model.transform(X).argmin(axis=1), labels)
    assert model.score(X) == pytest.approx(-objective(X, start, labels), rel=1e-12)


def test_a_later_start_that_ties_does_not_replace_the_first():
    # Two groups of whole numbers: every start ends in the same partition, J = 2 exactly, and
    # the centres are numbered as the first start numbered them.
    X = np.array([[0.0], [1.0], [10.0], [11.0], [0.0], [1.0], [10.0], [11.0]])
    numberings = set()
    for seed in range(10):
        fit = KMeans(2, init="random", n_init=6, random_state=seed).fit(X)
        assert fit.inertia_per_init_.tolist() == [2.0] * 6
        first = KMeans(2, init=initial_centres(X, 2, "random", random_state=seed)).fit(X)
        np.testing.assert_array_equal(fit.labels_, first.labels_)
        numberings.add(tuple(fit.labels_))
    assert len(numberings) == 2  # both numberings occur among the first starts
    assert TIE_TOLERANCE == 1e-9


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


def sklearn_says(name, what):
    return rf"The '{name}' parameter of KMeans must be {what}"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_clusters": 0}, sklearn_says("n_clusters", r"an int in the range \[1, inf\)\. Got 0")),
        ({"n_clusters": 2.5}, sklearn_says("n_clusters", r"an int .*Got 2\.5")),
        ({"n_clusters": 11}, "n_clusters=11 clusters need at least 11 samples, but X has 10"),
        ({"n_clusters": 11}, "choose n_clusters <= 10"),
        ({"max_iter": 0}, sklearn_says("max_iter", r"an int in the range \[1, inf\)")),
        ({"n_init": 0}, sklearn_says("n_init", r"a str among \{'auto'\} or an int in the")),
        ({"n_init": "many"}, sklearn_says("n_init", r"a str among \{'auto'\}.*Got 'many'")),
        ({"tol": -1.0}, sklearn_says("tol", r"a float in the range \[0\.0, inf\)")),
        ({"tol": np.nan}, sklearn_says("tol", r"a float .*Got nan")),
        ({"chunk_size": 0}, sklearn_says("chunk_size", r"an int in the range \[1, inf\)")),
        ({"init": "furthest"}, sklearn_says("init", r"a str among .*'k-means\+\+'.*'furthest'")),
        ({"random_state": "seed"}, sklearn_says("random_state", r"an int in the range \[0,")),
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
