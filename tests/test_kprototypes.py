"""k-prototypes and k-modes against a brute-force reference written here in plain Python, the
exhaustive optimum on tiny data, the course's k-means (gamma=0), and scikit-learn's checks."""

import itertools
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from segmentation.cluster.kmeans import KMeans
from segmentation.cluster.kprototypes import (
    KModes,
    KPrototypes,
    column_modes,
    default_gamma,
    matching_distance,
)
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.preprocessing.spending import spending, spending_scaler

# --------------------------------------------------------------------------------------------
# The reference: k-prototypes in plain Python loops, from the definitions
# --------------------------------------------------------------------------------------------


def distance(numbers, categories, prototype, gamma):
    means, modes = prototype
    squared = sum((x - m) ** 2 for x, m in zip(numbers, means, strict=True))
    mismatches = sum(1 for v, m in zip(categories, modes, strict=True) if v != m)
    return squared + gamma * mismatches


def nearest(numbers, categories, prototypes, gamma):
    """The nearest prototype and its distance; the first one on a tie."""
    best, best_distance = 0, distance(numbers, categories, prototypes[0], gamma)
    for j in range(1, len(prototypes)):
        d = distance(numbers, categories, prototypes[j], gamma)
        if d < best_distance:
            best, best_distance = j, d
    return best, best_distance


def mode(values):
    counts = Counter(values)
    top = max(counts.values())
    return min(v for v, c in counts.items() if c == top)


def reference_iterations(rows, prototypes, gamma, iterations):
    """After each of ``iterations`` steps: the prototypes, the labels of the nearest of them,
    and the cost. ``rows`` are (numbers, categories) pairs; so are the prototypes."""
    seen = []
    labels = None
    for _ in range(iterations):
        nearest_now = [nearest(n, c, prototypes, gamma) for n, c in rows]
        new_labels = [j for j, _ in nearest_now]
        moved = list(new_labels)
        empty = [j for j in range(len(prototypes)) if j not in new_labels]
        away = [d for _, d in nearest_now]
        if empty and max(away) > 0:
            farthest = sorted(range(len(rows)), key=lambda i: (-away[i], i))
            for j, i in zip(empty, farthest, strict=False):
                moved[i] = j
        updated = []
        for j, old in enumerate(prototypes):
            members = [rows[i] for i in range(len(rows)) if moved[i] == j]
            if not members:
                updated.append(old)
                continue
            means = [sum(n[a] for n, _ in members) / len(members) for a in range(len(old[0]))]
            modes = [mode([c[a] for _, c in members]) for a in range(len(old[1]))]
            updated.append((means, modes))
        prototypes = updated
        final = [nearest(n, c, prototypes, gamma) for n, c in rows]
        seen.append(([j for j, _ in final], prototypes, sum(d for _, d in final)))
        if new_labels == labels:
            break
        labels = new_labels
    return seen


def small_mixed(seed, n=14):
    """Two numeric columns in three loose groups and two categorical columns of letters."""
    rng = np.random.default_rng(seed)
    group = rng.integers(3, size=n)
    numbers = rng.normal(size=(n, 2)) + 2.5 * group[:, None]
    first = np.where(rng.random(n) < 0.7, np.array(["a", "b", "c"])[group], "c")
    second = rng.choice(["x", "y"], size=n)
    frame = pd.DataFrame({"u": numbers[:, 0], "v": numbers[:, 1], "c1": first, "c2": second})
    return frame


def as_rows(frame):
    return [
        ([float(r.u), float(r.v)], [str(r.c1), str(r.c2)]) for r in frame.itertuples(index=False)
    ]


def assert_same_as_reference(model, expected, numeric=(0, 1), categorical=(2, 3)):
    labels, prototypes, cost = expected
    np.testing.assert_array_equal(model.labels_, labels)
    centres = model.cluster_centers_
    np.testing.assert_allclose(
        centres[:, list(numeric)].astype(float), [p[0] for p in prototypes], rtol=1e-12
    )
    assert centres[:, list(categorical)].tolist() == [p[1] for p in prototypes]
    assert model.cost_ == pytest.approx(cost, rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_every_iteration_matches_the_reference_from_the_same_start(seed):
    frame = small_mixed(seed)
    start_rows = np.random.default_rng(100 + seed).choice(len(frame), size=3, replace=False)
    start = frame.iloc[start_rows]
    rows = as_rows(frame)
    expected = reference_iterations(rows, as_rows(start), gamma=0.7, iterations=30)
    assert len(expected) >= 2  # the test sees more than one step
    for t, step in enumerate(expected, start=1):
        model = KPrototypes(3, categorical=["c1", "c2"], gamma=0.7, init=start, max_iter=t)
        assert_same_as_reference(model.fit(frame), step)
        assert model.n_iter_ == t


def test_an_empty_cluster_takes_the_farthest_sample_as_the_reference_does():
    frame = small_mixed(3)
    start = frame.iloc[[0, 1]].copy()
    start.loc[:, ["u", "v"]] = [[0.0, 0.0], [100.0, 100.0]]  # the second prototype gets nobody
    rows = as_rows(frame)
    expected = reference_iterations(rows, as_rows(start), gamma=0.5, iterations=30)
    for t, step in enumerate(expected, start=1):
        model = KPrototypes(2, categorical=[2, 3], gamma=0.5, init=start, max_iter=t).fit(frame)
        assert_same_as_reference(model, step)
    assert sorted(set(model.labels_)) == [0, 1]


def exhaustive_optimum(numbers, categories, k, gamma):
    """The lowest cost over every partition of the samples into k clusters."""
    best = np.inf
    for labels in itertools.product(range(k), repeat=len(numbers)):
        if len(set(labels)) < k:
            continue
        cost = 0.0
        for j in range(k):
            members = [i for i in range(len(numbers)) if labels[i] == j]
            mean = sum(numbers[i] for i in members) / len(members)
            cost += sum((numbers[i] - mean) ** 2 for i in members)
            cost += gamma * (len(members) - max(Counter(categories[i] for i in members).values()))
        best = min(best, cost)
    return best


@pytest.mark.parametrize(("seed", "k"), [(0, 2), (1, 2), (2, 3), (3, 3)])
def test_the_best_of_many_starts_reaches_the_exhaustive_optimum(seed, k):
    rng = np.random.default_rng(seed)
    numbers = [float(x) for x in rng.normal(size=8).round(2)]
    categories = [str(c) for c in rng.choice(["p", "q", "r"], size=8)]
    X = np.array(list(zip(numbers, categories, strict=True)), dtype=object)
    model = KPrototypes(k, categorical=[1], gamma=1.0, n_init=40, random_state=0).fit(X)
    assert model.cost_ == pytest.approx(exhaustive_optimum(numbers, categories, k, 1.0))


@pytest.fixture(scope="module")
def mixed_customers(customers):
    scaled = spending_scaler("log").fit_transform(spending(customers))
    frame = pd.DataFrame(scaled, columns=list(SPENDING_COLUMNS))
    return frame.assign(
        Channel=customers["Channel"].to_numpy(), Region=customers["Region"].to_numpy()
    )


@pytest.mark.parametrize("rows", [[0, 1, 2, 3], [10, 200, 300, 439], [5, 6, 7]])
def test_gamma_zero_is_the_course_k_means_on_the_numbers(mixed_customers, rows):
    numbers = mixed_customers[list(SPENDING_COLUMNS)].to_numpy()
    k = len(rows)
    kmeans = KMeans(k, init=numbers[rows], n_init=1, tol=0).fit(numbers)
    model = KPrototypes(
        k, categorical=["Channel", "Region"], gamma=0, init=mixed_customers.iloc[rows]
    ).fit(mixed_customers)
    np.testing.assert_array_equal(model.labels_, kmeans.labels_)
    np.testing.assert_allclose(model.cluster_centers_[:, :6].astype(float), kmeans.cluster_centers_)
    assert model.cost_ == pytest.approx(kmeans.inertia_, rel=1e-9)
    assert model.n_iter_ == kmeans.n_iter_


@pytest.mark.parametrize("rows", [[0, 1], [0, 3, 5], [1, 2, 3, 5]])
def test_k_modes_matches_the_reference_on_channel_and_region(customers, rows):
    # 440 customers but six distinct rows: assignments tie often, so the tie rules are tested
    frame = customers[["Channel", "Region"]].astype(str)
    start = frame.drop_duplicates().iloc[rows]
    plain = [([], list(r)) for r in frame.itertuples(index=False)]
    expected = reference_iterations(
        plain, [([], list(r)) for r in start.itertuples(index=False)], gamma=1.0, iterations=50
    )[-1]
    model = KModes(len(rows), init=start).fit(frame)
    assert_same_as_reference(model, expected, numeric=(), categorical=(0, 1))
    for categorical in ([0, 1], "all"):
        same = KPrototypes(len(rows), categorical=categorical, init=start).fit(frame)
        np.testing.assert_array_equal(same.labels_, model.labels_)
        assert same.cost_ == model.cost_


def test_k_modes_cost_counts_mismatches_and_is_seeded(customers):
    frame = customers[["Channel", "Region"]]
    model = KModes(3, random_state=1).fit(frame)
    modes = model.cluster_centers_
    mismatches = sum(
        (frame.to_numpy(dtype=object)[i] != modes[model.labels_[i]]).sum()
        for i in range(len(frame))
    )
    assert model.cost_ == mismatches
    assert model.gamma_ == 1.0
    again = KModes(3, random_state=1).fit(frame)
    np.testing.assert_array_equal(again.labels_, model.labels_)


# --------------------------------------------------------------------------------------------
# The steps and gamma, against values worked by hand
# --------------------------------------------------------------------------------------------


def test_matching_distance_counts_differing_columns():
    X = [["a", "x", 1], ["b", "y", 1]]
    modes = [["a", "x", 1], ["b", "x", 2]]
    assert matching_distance(X, modes).tolist() == [[0, 2], [2, 2]]


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (["b", "a", "b", "a"], "a"),  # a tie: the smallest value
        (["c", "b", "c"], "c"),
        ([3, 1, 3, 1, 2], 1),
        ([5], 5),
    ],
)
def test_column_modes_break_ties_by_the_smallest_value(column, expected):
    assert column_modes(np.array(column, dtype=object).reshape(-1, 1)).tolist() == [expected]


def test_default_gamma_is_half_the_mean_standard_deviation():
    numbers = [[1.0, 10.0], [3.0, 10.0], [1.0, 16.0], [3.0, 16.0]]  # standard deviations 1 and 3
    assert default_gamma(numbers) == pytest.approx(1.0)
    assert default_gamma(np.empty((4, 0))) == 1.0  # no numbers: the cost counts mismatches
    assert default_gamma([[2.0], [2.0]]) == 1.0
    model = KPrototypes(2, categorical=[2], random_state=0).fit(
        [[1.0, 10.0, "a"], [3.0, 10.0, "a"], [1.0, 16.0, "b"], [3.0, 16.0, "b"]]
    )
    assert model.gamma_ == pytest.approx(1.0)


def test_a_large_gamma_lets_the_categories_decide():
    # numbers say {0, 1} vs {2, 3}; categories say {0, 2} vs {1, 3}
    X = np.array([[0.0, "a"], [0.5, "b"], [9.5, "a"], [10.0, "b"]], dtype=object)
    by_numbers = KPrototypes(2, categorical=[1], gamma=0.1, n_init=20, random_state=0).fit(X)
    by_categories = KPrototypes(2, categorical=[1], gamma=1000, n_init=20, random_state=0).fit(X)
    assert by_numbers.labels_[0] == by_numbers.labels_[1] != by_numbers.labels_[2]
    assert by_categories.labels_[0] == by_categories.labels_[2] != by_categories.labels_[1]


# --------------------------------------------------------------------------------------------
# The API
# --------------------------------------------------------------------------------------------


def test_names_and_positions_give_the_same_model(mixed_customers):
    by_name = KPrototypes(4, categorical=["Region", "Channel"], random_state=0).fit(mixed_customers)
    by_position = KPrototypes(4, categorical=[7, 6], random_state=0).fit(mixed_customers)
    np.testing.assert_array_equal(by_name.labels_, by_position.labels_)
    assert by_name.cost_ == by_position.cost_
    assert list(by_name.feature_names_in_) == list(mixed_customers.columns)
    assert set(by_name.cluster_centers_[:, 6]) <= {"Horeca", "Retail"}


def test_predict_repeats_the_training_labels_and_tolerates_an_unseen_category(mixed_customers):
    model = KPrototypes(4, categorical=["Channel", "Region"], random_state=0)
    labels = model.fit_predict(mixed_customers)
    np.testing.assert_array_equal(model.predict(mixed_customers), labels)
    np.testing.assert_array_equal(labels, model.labels_)
    new = mixed_customers.iloc[:20].astype({"Region": object})
    new["Region"] = "Faro"  # matches no mode, so it adds gamma to every distance alike
    centres = model.cluster_centers_
    numbers = new.iloc[:, :6].to_numpy()
    by_hand = ((numbers[:, None, :] - centres[None, :, :6].astype(float)) ** 2).sum(axis=2)
    by_hand += model.gamma_ * (new["Channel"].to_numpy()[:, None] != centres[None, :, 6])
    np.testing.assert_array_equal(model.predict(new), by_hand.argmin(axis=1))


def test_best_of_several_starts_is_no_worse_than_any_one(mixed_customers):
    best = KPrototypes(4, categorical=[6, 7], n_init=8, random_state=3).fit(mixed_customers)
    rng = np.random.default_rng(3)
    for _ in range(8):
        start = mixed_customers.iloc[rng.choice(440, size=4, replace=False)]
        single = KPrototypes(4, categorical=[6, 7], init=start).fit(mixed_customers)
        assert best.cost_ <= single.cost_ + 1e-9


def test_seeded_fits_repeat_and_clone_keeps_parameters(mixed_customers):
    model = KPrototypes(3, categorical=[6, 7], gamma=0.4, random_state=7)
    first = clone(model).fit(mixed_customers)
    second = clone(model).fit(mixed_customers)
    np.testing.assert_array_equal(first.labels_, second.labels_)
    assert clone(model).get_params() == model.get_params()
    assert KModes(2).get_params() == {
        "init": "random",
        "max_iter": 100,
        "n_clusters": 2,
        "n_init": 10,
        "random_state": None,
    }


@pytest.mark.parametrize(
    ("model", "X", "message"),
    [
        (KPrototypes(2, categorical=["Channel"]), [[1.0, 2.0]] * 3, "categorical names column"),
        (KPrototypes(2, categorical=[5]), [[1.0, 2.0]] * 3, "give positions from 0 to 1"),
        (KPrototypes(2, categorical=[0, 0]), [[1.0, 2.0]] * 3, "names a column twice"),
        (KPrototypes(2, categorical=[1]), [[1.0, None], [2.0, "a"]], "missing values"),
        (
            KPrototypes(2, categorical=[1]),
            np.array([[1.0, 1], [2.0, "a"]], dtype=object),
            "mixes numbers and text",
        ),
        (KPrototypes(2, categorical=[1]), [[np.nan, "a"], [2.0, "b"]], "NaN or infinity"),
        (KPrototypes(3, categorical=[0]), [["a"], ["a"], ["b"], ["b"]], "only 2 distinct rows"),
        (KPrototypes(2, init=[[0.0, 1.0]]), [[1.0, 2.0]] * 3, "one row per cluster"),
        (KPrototypes(4), [[1.0], [2.0]], "choose n_clusters <= 2"),
    ],
)
def test_bad_input_gets_a_message_that_says_what_to_do(model, X, message):
    with pytest.raises(ValueError, match=message):
        model.fit(X)


MIXED = [[1.0, "a", 3.0], [2.0, "b", 4.0], [9.0, "a", 5.0], [8.0, "b", 6.0]]
TWO = [row[:2] for row in MIXED]
HUGE = [[1e308, "a"], [-1e308, "b"], [9e307, "a"], [1.0, "a"]]


@pytest.mark.parametrize(
    ("model", "X", "message"),
    [
        (KPrototypes(2, categorical=[True]), MIXED, "has 1 entries for X's 3 columns"),
        (KPrototypes(2, categorical=[False, True]), MIXED, "one True or False per column"),
        (KPrototypes(2, categorical=[True, 1, False]), MIXED, "looks like a mask"),
        (KPrototypes(2), [["a", 1.0], ["b", 2.0]], "X has text in numeric column 0"),
        (KPrototypes(2, categorical=[0]), [["a", 1.0, "x"]] * 2, "numeric column 2"),
        (
            KPrototypes(2),
            pd.DataFrame({"Fresh": [1.0, 2.0], "Region": ["Lisbon", "Oporto"]}),
            "numeric column 'Region' .* list that column in `categorical`",
        ),
        (
            KPrototypes(2, categorical=[1], init=[[np.nan, "a"], [2.0, "b"]]),
            TWO,
            "init holds NaN or infinity in numeric column 0: give starting prototypes",
        ),
        (
            KPrototypes(2, categorical=[1], init=[["x", "a"], [2.0, "b"]]),
            TWO,
            "init has text in numeric column 0",
        ),
        (KPrototypes(2, categorical=[1], random_state=0), HUGE, "too large to square"),
        (KPrototypes(2, random_state=0), [[1e200], [0.0], [1.0]], "scale the numeric columns"),
        (
            KPrototypes(2, categorical=[1], init=[[1e300, "a"], [2.0, "b"]]),
            TWO,
            "init holds a value of 1e\\+300",
        ),
    ],
)
def test_numeric_columns_and_masks_get_a_message_that_names_the_column(model, X, message):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the refusal comes before any overflow warning
        with pytest.raises(ValueError, match=message):
            model.fit(X)


@pytest.mark.parametrize(
    "categorical",
    [[False, True, False], np.array([False, True, False]), [np.False_, np.True_, np.False_]],
)
def test_a_boolean_mask_gives_the_same_model_as_positions(categorical):
    by_position = KPrototypes(2, categorical=[1], random_state=0).fit(MIXED)
    by_mask = KPrototypes(2, categorical=categorical, random_state=0).fit(MIXED)
    assert by_mask.labels_.tolist() == by_position.labels_.tolist()
    assert by_mask.cluster_centers_.tolist() == by_position.cluster_centers_.tolist()
    # Read as positions 0 and 1 instead, column 0 would hold categories: its centres are
    # data values, never the mean 1.5 or 8.5 of two rows.
    assert {row[1] for row in by_mask.cluster_centers_.tolist()} <= {"a", "b"}


def test_an_all_false_mask_is_no_categorical_column():
    numbers = [[1.0, 2.0], [1.5, 2.5], [9.0, 9.0], [9.5, 8.0]]
    by_mask = KPrototypes(2, categorical=[False, False], random_state=0).fit(numbers)
    assert by_mask.cluster_centers_.dtype == np.float64
    assert sorted(by_mask.cluster_centers_.tolist()) == [[1.25, 2.25], [9.25, 8.5]]


def test_large_numbers_below_the_limit_are_clustered_without_warnings():
    X = [[1e150, "a"], [1.1e150, "a"], [-1e150, "b"], [-1.1e150, "b"]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = KPrototypes(2, categorical=[1], random_state=0).fit(X)
    assert model.labels_[0] == model.labels_[1] != model.labels_[2] == model.labels_[3]
    assert np.isfinite(model.cost_)


# Every check applies to KPrototypes on numeric data and passes: none is listed as expected to
# fail.
@parametrize_with_checks([KPrototypes(n_clusters=3, n_init=2, random_state=0)])
def test_passes_scikit_learns_estimator_checks(estimator, check):
    check(estimator)
