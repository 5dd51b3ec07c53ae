"""The compiled loops of the stream, each against a NumPy or SciPy computation of the same
quantity (segmentation.cluster._compiled)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp

from segmentation import _numba
from segmentation.cluster import _compiled, _kernel


def _data(seed: int, n: int = 2000, d: int = 6, k: int = 4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(k, d))


@pytest.mark.parametrize("seed", range(5))
def test_nearest_gives_the_squared_distances_and_first_nearest_centre(seed):
    X, centres = _data(seed)
    labels, squared = _compiled.nearest(X, centres)
    # Oracle: every squared distance by broadcasting (six features: NumPy adds them in
    # order, as the loop does), then argmin, which takes the first on a tie.
    every = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    assert np.array_equal(labels, every.argmin(axis=1))
    assert np.array_equal(squared, every.min(axis=1))


def test_nearest_agrees_with_the_fit_s_matrix_products_away_from_ties():
    X, centres = _data(7, n=20_000)
    assert np.array_equal(
        _compiled.nearest(X, centres)[0], _kernel.assign_by_scores(X, centres, 8192)
    )


def test_a_tie_goes_to_the_first_centre():
    centres = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    X = np.array([[0.0, 0.0], [0.0, -5.0], [5.0, 5.0]])
    labels, squared = _compiled.nearest(X, centres)
    # (0, 0) is 1 from all three; (0, -5) is as far from the first two; (5, 5) as far from
    # the first and third
    assert labels.tolist() == [0, 0, 0]
    assert squared.tolist() == [1.0, 26.0, 41.0]


@pytest.mark.parametrize("seed", range(3))
def test_cluster_sums_are_bincount_s_bits(seed):
    X, centres = _data(seed, k=5)
    labels = _compiled.nearest(X, centres)[0]
    labels[:3] = 4  # at least one member of the last cluster
    sums, counts = _compiled.cluster_sums(X, labels, 6)  # cluster 5 stays empty
    expected = np.stack([np.bincount(labels, X[:, f], minlength=6) for f in range(6)], 1)
    assert np.array_equal(sums, expected)
    assert counts.tolist() == np.bincount(labels, minlength=6).tolist()
    assert counts[5] == 0 and not sums[5].any()


def _gap_by_hand(reference: np.ndarray, current: np.ndarray) -> int:
    """max |i n2 - j n1| over every value v of either sample: i values of the reference and
    j of the current sample at most v."""
    everywhere = np.union1d(reference, current)
    i = np.searchsorted(np.sort(reference), everywhere, side="right")
    j = np.searchsorted(np.sort(current), everywhere, side="right")
    return int(np.abs(i * len(current) - j * len(reference)).max())


@pytest.mark.parametrize("seed", range(4))
def test_ks_gaps_are_scipy_s_statistic(seed):
    rng = np.random.default_rng(seed)
    # integers: many ties, as spending in whole units has; different sizes; a shift
    reference = np.sort(rng.integers(0, 300, size=(3, 1500)).astype(float), axis=1)
    current = np.sort(rng.integers(10, 320, size=(3, 700)).astype(float), axis=1)
    gaps = _compiled.ks_gaps(reference, current)
    for row in range(3):
        assert gaps[row] == _gap_by_hand(reference[row], current[row])
        statistic = ks_2samp(reference[row], current[row]).statistic
        assert gaps[row] / (1500 * 700) == pytest.approx(statistic, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 8), min_size=1, max_size=30),
    st.lists(st.integers(0, 8), min_size=1, max_size=30),
)
def test_ks_gaps_on_small_samples(reference, current):
    ref = np.sort(np.array(reference, dtype=float))[None, :]
    cur = np.sort(np.array(current, dtype=float))[None, :]
    assert _compiled.ks_gaps(ref, cur)[0] == _gap_by_hand(ref[0], cur[0])


def test_without_a_writable_cache_folder_it_compiles_at_each_start(monkeypatch):
    # Numba refuses cache=True when neither the package's folder nor the user's cache
    # folder can be written (a shared installation, a read-only home)
    import numba

    def njit(cache, **options):
        if cache:
            raise RuntimeError("cannot cache function 'f': no locator available for file 'x'")
        return numba.njit(cache=False, **options)

    monkeypatch.setattr(_numba, "njit", njit)

    def double(x):
        return 2 * x

    assert _numba.compile_loop(double)(21) == 42


# One assignment everywhere: what a user sees does not depend on the rows around a customer.


def _tied_data():
    # 0/1 data: many customers exactly as near to two centres
    return np.random.default_rng(159).integers(0, 2, size=(400, 4)).astype(float)


def _on_the_border(n: int = 3000):
    """Centres of the course's shape and ``n`` points on the plane halfway between the first
    two: each within rounding of both."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 6))
    away = centres[1] - centres[0]
    along = rng.normal(size=(n, 6))
    along -= np.outer(along @ away / (away @ away), away)
    return centres, (centres[0] + centres[1]) / 2 + along


def test_a_customer_s_segment_does_not_depend_on_the_rest_of_the_batch():
    from segmentation.cluster.kmeans import KMeans

    centres, X = _on_the_border()
    model = KMeans.from_centres(centres)
    whole = model.predict(X)
    assert 0 < np.count_nonzero(whole == 0) < len(X)  # the border splits both ways
    in_sevens = np.concatenate([model.predict(X[i : i + 7]) for i in range(0, len(X), 7)])
    one_by_one = np.array([model.predict(X[i : i + 1])[0] for i in range(500)])
    assert np.array_equal(in_sevens, whole)
    assert np.array_equal(one_by_one, whole[:500])
    # the readable step's squared distances and argmin (six features: the same bits)
    squared = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    assert np.array_equal(whole, squared.argmin(axis=1))


def test_labels_after_fit_and_partial_fit_are_predict_s():
    from segmentation.cluster.kmeans import KMeans

    X = _tied_data()
    fitted = KMeans(3, random_state=159).fit(X)
    assert np.array_equal(fitted.labels_, fitted.predict(X))
    streamed = KMeans(3, random_state=159).partial_fit(X).partial_fit(X)
    assert np.array_equal(streamed.labels_, streamed.predict(X))
    # the distances transform gives agree with the segments
    assert np.array_equal(fitted.transform(X).argmin(axis=1), fitted.predict(X))
