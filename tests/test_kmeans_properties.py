"""Property tests of the course's k-means on generated data, ties and duplicates included:
J never increases, each sample ends at its nearest centre, each centre is its cluster's mean."""

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning

from segmentation.cluster.kmeans import STOP_ASSIGNMENTS_UNCHANGED, TIE_TOLERANCE, KMeans
from segmentation.cluster.steps import INIT_METHODS


@st.composite
def fits(draw):
    """Data (often with repeated values and ties), and a fitted model on it."""
    n = draw(st.integers(1, 30))
    d = draw(st.integers(1, 3))
    values = st.one_of(
        st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
        st.integers(-5, 5).map(float),  # small whole numbers: duplicates and exact ties
    )
    X = draw(arrays(np.float64, (n, d), elements=values))
    model = KMeans(
        n_clusters=draw(st.integers(1, min(n, 6))),
        init=draw(st.sampled_from(sorted(INIT_METHODS))),
        n_init=draw(st.integers(1, 3)),
        max_iter=draw(st.integers(1, 50)),
        tol=draw(st.sampled_from([0.0, 1e-4, 0.1])),
        random_state=draw(st.integers(0, 2**32 - 1)),
        chunk_size=draw(st.sampled_from([1, 4, 8192])),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    return X, model


def rounding_allowance(X):
    """What rounding may add to a sum of squared distances on X: far below any real change."""
    return 1e-11 * (1.0 + ((X - X.mean(axis=0)) ** 2).sum() + (X**2).sum())


def squared_distances(X, centres):
    return ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)


@settings(max_examples=150)
@given(fits())
def test_the_objective_never_increases(fit):
    X, model = fit
    J = model.history_.objective
    assert (np.diff(J) <= rounding_allowance(X)).all(), J
    assert J[-1] == model.inertia_
    assert J[-1] <= J[0] + rounding_allowance(X)


@settings(max_examples=150)
@given(fits())
def test_every_sample_ends_at_its_nearest_centre(fit):
    X, model = fit
    distances = squared_distances(X, model.cluster_centers_)
    own = distances[np.arange(len(X)), model.labels_]
    assert (own <= distances.min(axis=1) + rounding_allowance(X)).all()
    np.testing.assert_array_equal(model.predict(X), model.labels_)


@settings(max_examples=150)
@given(fits())
def test_each_centre_is_the_mean_of_its_cluster(fit):
    X, model = fit
    history = model.history_
    assignments = history.assignments(X)
    allowance = 1e-9 * (1.0 + np.abs(X).max())
    for t in range(model.n_iter_):
        if (history.sizes[t] == 0).any():
            continue  # an empty cluster took a sample from another
        for j in range(model.n_clusters):
            members = X[assignments[t] == j]
            np.testing.assert_allclose(
                history.centres[t + 1][j], members.mean(axis=0), rtol=0, atol=allowance
            )
    if history.stop_reason == STOP_ASSIGNMENTS_UNCHANGED and history.sizes[-1].all():
        for j in range(model.n_clusters):
            np.testing.assert_allclose(
                model.cluster_centers_[j],
                X[model.labels_ == j].mean(axis=0),
                rtol=0,
                atol=allowance,
            )


@settings(max_examples=60)
@given(fits())
def test_the_best_restart_is_kept_and_its_history_is_whole(fit):
    X, model = fit
    runs = model.inertia_per_init_
    assert len(runs) == model.n_init
    # the kept start is one of the starts, as good as the best but for the last bits, and no
    # start after it beats it by more than the tie tolerance
    [kept, *_] = np.flatnonzero(runs == model.inertia_)
    assert model.inertia_ <= runs.min() + 2 * TIE_TOLERANCE * runs.min()
    assert (runs[kept + 1 :] >= model.inertia_ - TIE_TOLERANCE * model.inertia_).all()
    T = model.n_iter_
    assert 1 <= T <= model.max_iter
    assert model.history_.centres.shape == (T + 1, model.n_clusters, X.shape[1])
    assert (model.history_.sizes.sum(axis=1) == len(X)).all()
    assert np.isfinite(model.history_.centres).all()
