"""The readable k-means steps (segmentation.cluster.steps), checked against values worked by
hand, scikit-learn, and properties: they are the oracle of the estimator's tests, so they are
not checked against the estimator."""

import numpy as np
import pytest
from sklearn.metrics import pairwise_distances_argmin

from segmentation.cluster.steps import assign, initial_centres, objective, update_centres


def blobs(seed, n=300, d=3, k=4, spread=1.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(k, d))
    return centres[rng.integers(k, size=n)] + rng.normal(scale=spread, size=(n, d))


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


@pytest.mark.parametrize("method", ["random", "uniform", "k-means++"])
def test_init_repeats_with_a_seed_and_changes_without(method):
    X = blobs(2)
    first = initial_centres(X, 4, method, random_state=7)
    np.testing.assert_array_equal(first, initial_centres(X, 4, method, random_state=7))
    assert not np.array_equal(first, initial_centres(X, 4, method, random_state=8))
    generator = initial_centres(X, 4, method, random_state=np.random.default_rng(7))
    np.testing.assert_array_equal(generator, first)
    legacy = initial_centres(X, 4, method, random_state=np.random.RandomState(7))
    assert legacy.shape == (4, 3)


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


def test_kmeans_plus_plus_uses_the_distance_to_the_nearest_centre_so_far():
    # Samples at 0, 10, 11 and 100. Once 0 and 100 are centres, 10 (squared distance 100 to
    # centre 0) must be drawn 100 / (100 + 121) of the time and 11 the rest; were the distance
    # to the first centre used instead, 100 / 221 would become 100 / (100 + 121 + 10,000).
    X = np.array([[0.0], [10.0], [11.0], [100.0]])
    thirds = []
    for seed in range(4000):
        centres = initial_centres(X, 3, "k-means++", random_state=seed)[:, 0]
        if sorted(centres[:2]) == [0.0, 100.0]:
            thirds.append(centres[2])
    assert len(thirds) > 300
    assert np.mean(np.array(thirds) == 10.0) == pytest.approx(100 / 221, abs=0.06)


def test_kmeans_plus_plus_spreads_over_far_apart_groups():
    X = np.vstack([np.zeros((100, 2)), np.full((100, 2), 100.0), np.full((100, 2), -100.0)])
    X = X + np.random.default_rng(0).normal(scale=0.1, size=X.shape)
    for seed in range(20):
        centres = initial_centres(X, 3, "k-means++", random_state=seed)
        assert sorted(np.round(centres[:, 0], -2)) == [-100, 0, 100]


def test_kmeans_plus_plus_with_fewer_distinct_points_than_k():
    centres = initial_centres(np.ones((5, 2)), 3, "k-means++", random_state=0)
    np.testing.assert_array_equal(centres, np.ones((3, 2)))


# --------------------------------------------------------------------------------------------
# Step 2: assignment
# --------------------------------------------------------------------------------------------


def test_assign_by_hand():
    # squared distances of (4, 0) to the centres: 16, 1, 25; of (0, 3): 9, 18, 0
    X = [[4.0, 0.0], [0.0, 3.0], [0.0, 0.0]]
    assert assign(X, [[0.0, 0.0], [4.0, 1.0], [0.0, 3.0]]).tolist() == [1, 2, 0]


@pytest.mark.parametrize("seed", range(5))
def test_assign_agrees_with_scikit_learn(seed):
    X = blobs(seed, n=200, d=5)
    centres = np.random.default_rng(seed).normal(scale=4.0, size=(6, 5))
    np.testing.assert_array_equal(assign(X, centres), pairwise_distances_argmin(X, centres))


def test_assign_breaks_a_tie_in_favour_of_the_first_centre():
    # 5 is at distance 5 from both 0 and 10: the first of the nearest centres (index 0) wins
    labels = assign([[0.0], [5.0], [10.0]], [[10.0], [0.0], [10.0], [0.0]])
    assert labels.tolist() == [1, 0, 0]


# --------------------------------------------------------------------------------------------
# Step 3: update
# --------------------------------------------------------------------------------------------


def test_update_centres_by_hand():
    X = [[0.0, 0.0], [2.0, 0.0], [1.0, 6.0], [10.0, 10.0], [12.0, 10.0]]
    new = update_centres(X, [0, 0, 0, 1, 1], [[5.0, 5.0], [0.0, 0.0]])
    np.testing.assert_allclose(new, [[1.0, 2.0], [11.0, 10.0]])


@pytest.mark.parametrize(
    ("X", "old", "expected"),
    [
        # distances to own centre 1, 0, 4, 0, 1: sample 2 (at 3) moves to cluster 2
        ([0.0, 1.0, 3.0, 9.0, 10.0], [1.0, 9.0, 50.0], [0.5, 9.5, 3.0]),
        # distances 1, 0, 1, 0, 1, a three-way tie: the lowest-numbered sample (at 0) moves
        ([0.0, 1.0, 2.0, 9.0, 10.0], [1.0, 9.0, 50.0], [1.5, 9.5, 0.0]),
        # two empty clusters: distances 1, 0, 16, 0, 1; the farthest (at 5) to cluster 2, the
        # next (a tie of the samples at 0 and 10: the one at 0) to cluster 3
        ([0.0, 1.0, 5.0, 9.0, 10.0], [1.0, 9.0, 50.0, 60.0], [1.0, 9.5, 5.0, 0.0]),
    ],
    ids=["farthest", "tie", "two empty"],
)
def test_an_empty_cluster_takes_the_sample_farthest_from_its_centre(X, old, expected):
    X = np.array(X)[:, np.newaxis]
    new = update_centres(X, [0, 0, 0, 1, 1], np.array(old)[:, np.newaxis])
    np.testing.assert_allclose(new[:, 0], expected)


def test_empty_clusters_with_every_sample_on_its_centre_go_to_the_largest_cluster():
    X = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [4.0, 4.0]])
    new = update_centres(X, [0, 0, 0, 1], [[1.0, 1.0], [4.0, 4.0], [7.0, 7.0]])
    np.testing.assert_array_equal(new, [[1.0, 1.0], [4.0, 4.0], [1.0, 1.0]])


# --------------------------------------------------------------------------------------------
# Step 4: J
# --------------------------------------------------------------------------------------------


def test_objective_by_hand():
    # (3, 4) is at distance 5 from (0, 0), (6, 8) on its centre: J = 25
    assert (
        objective([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]], [[0.0, 0.0], [6.0, 8.0]], [0, 0, 1]) == 25
    )


def test_objective_at_the_means_is_the_sum_of_the_clusters_variances():
    # J around each cluster's mean = sum over clusters of (size x the sum of its variances)
    X = blobs(5, n=60)
    labels = np.arange(60) % 3
    means = np.array([X[labels == j].mean(axis=0) for j in range(3)])
    expected = sum(60 / 3 * X[labels == j].var(axis=0).sum() for j in range(3))
    assert objective(X, means, labels) == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------------------------
# Bad arguments
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: assign([[1.0, 2.0]], [[1.0, 2.0, 3.0]]), r"shape \(k, 2\)"),
        (lambda: assign([[1.0, 2.0]], [[np.nan, 2.0]]), "centres contains NaN"),
        (lambda: assign([[1.0, np.inf]], [[1.0, 2.0]]), "X contains infinity at row 0, column 1"),
        (lambda: update_centres([[1.0], [2.0]], [0], [[1.0]]), "one entry per sample"),
        (lambda: update_centres([[1.0], [2.0]], [0, 2], [[1.0], [2.0]]), "from 0 to 1"),
        (lambda: update_centres([[1.0], [2.0]], [0.0, 1.0], [[1.0], [2.0]]), "whole numbers"),
        (lambda: objective([1.0, 2.0], [[1.0]], [0, 0]), "reshape"),
        (lambda: initial_centres([[1.0], [2.0]], 3), "n_clusters <= 2"),
        (
            lambda: initial_centres([[1.0], [2.0]], 0),
            r"'n_clusters' parameter of initial_centres must be an int in the range \[1, inf\)",
        ),
        (
            lambda: initial_centres([[1.0]], 1, "sideways"),
            r"'method' parameter .* must be a str among .*'k-means\+\+'.*Got 'sideways'",
        ),
        (lambda: initial_centres([[1.0]], 1, random_state="x"), "'random_state' parameter"),
        (lambda: assign(5, [[1.0]]), "'X' parameter of assign must be an array-like"),
    ],
)
def test_steps_reject_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
