"""The library behind notebooks 1 to 4: features, choosing k, plots (checked on what they
drew), the k slider (driven without a browser) and the exercise checks."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

from segmentation.cluster.choosing import best_silhouette, elbow, scan_k, segment_with_k
from segmentation.cluster.kmeans import KMeans
from segmentation.cluster.numbering import segment_profile
from segmentation.course import exercises
from segmentation.course.exercises import TINY, TINY_CENTRES
from segmentation.course.toy_data import (
    groups_with_outliers,
    moons,
    unequal_groups,
    unscaled_groups,
)
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.preprocessing.spending import (
    grade_by_hand,
    iqr_outliers,
    log_spending,
    spending,
    strongest_correlations,
    total_spending,
)
from segmentation.viz import plots

# --- features -------------------------------------------------------------------------------


def test_hand_grades_follow_the_thresholds(customers):
    total = total_spending(customers)
    grades = grade_by_hand(customers, {"medium": 20_000, "large": 50_000})
    assert (grades[total >= 50_000] == "large").all()
    assert (grades[(total >= 20_000) & (total < 50_000)] == "medium").all()
    assert (grades[total < 20_000] == "small").all()
    assert total.iloc[0] == customers.loc[0, list(SPENDING_COLUMNS)].sum()


def test_strongest_correlations_are_sorted_pairs(customers):
    table = strongest_correlations(spending(customers), top=4)
    assert list(table.columns) == ["column", "with", "correlation"]
    assert (table["correlation"].abs().diff().dropna() <= 0).all()
    assert {table.loc[0, "column"], table.loc[0, "with"]} == {"Grocery", "Detergents_Paper"}


def test_iqr_outliers_flags_values_beyond_the_whiskers():
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 100], "b": [-50.0, 2, 3, 4, 5, 6]})
    flags = iqr_outliers(frame)
    assert flags["a"].tolist() == [False] * 5 + [True]
    assert flags["b"].tolist() == [True] + [False] * 5


def test_segment_profile_gives_means_and_modes(customers):
    labels = (customers["Channel"] == "Retail").astype(int).to_numpy()
    profile = segment_profile(customers, labels)
    assert profile["customers"].tolist() == [298, 142]
    assert profile["Channel"].tolist() == ["Horeca", "Retail"]
    retail = customers[customers["Channel"] == "Retail"]
    assert profile.loc[1, "Milk"] == round(retail["Milk"].mean())


# --- choosing k -----------------------------------------------------------------------------


def test_scan_k_measures_j_and_silhouette(scaled):
    table = scan_k(scaled, [1, 2, 3], random_state=0, n_init=2)
    assert table["k"].tolist() == [1, 2, 3]
    assert np.isnan(table.loc[0, "silhouette"]) and table["silhouette"][1:].between(-1, 1).all()
    assert table.loc[0, "J"] == pytest.approx(scaled.size)  # k = 1 on scaled data: n * d
    assert table["J"].is_monotonic_decreasing


def test_elbow_and_best_silhouette_read_the_table():
    table = pd.DataFrame(
        {
            "k": [1, 2, 3, 4, 5],
            "J": [100.0, 40, 30, 25, 22],
            "silhouette": [np.nan, 0.3, 0.5, 0.4, 0.2],
        }
    )
    assert elbow(table) == 2
    assert best_silhouette(table) == 3


@pytest.mark.parametrize(
    ("make", "k", "fixed"),
    [
        (moons, 2, None),
        (unequal_groups, 2, None),
        (groups_with_outliers, 3, lambda X: (X, 4)),
        (unscaled_groups, 2, lambda X: (StandardScaler().fit_transform(X), 2)),
    ],
)
def test_each_weakness_shows_and_the_cure_works(make, k, fixed):
    X, truth = make()
    fit = KMeans(k, n_init=10, random_state=0).fit(X)
    assert adjusted_rand_score(truth, fit.labels_) < 0.6
    if fixed is not None:
        X2, k2 = fixed(X)
        assert (
            adjusted_rand_score(truth, KMeans(k2, n_init=10, random_state=0).fit_predict(X2)) > 0.99
        )


# --- plots: what each drew ------------------------------------------------------------------


def test_every_plot_helper_draws(customers, scaled):
    """A smoke test: every public plot helper draws something without error."""
    X = log_spending(customers)[["Fresh", "Grocery"]].to_numpy()
    model = KMeans(3, n_init=1, random_state=0).fit(X)
    drawn = [
        plots.plot_hand_grades(customers),
        plots.plot_distributions(log_spending(customers)),
        plots.plot_correlations(log_spending(customers)),
        plots.plot_by_group(log_spending(customers), customers["Channel"]),
        plots.plot_outliers(log_spending(customers)),
        plots.plot_clusters(X, model.labels_, model.cluster_centers_),
        plots.plot_iterations(X, model.history_),
        plots.plot_objective(model.history_.objective),
        plots.plot_k_scores(scan_k(scaled, [1, 2, 3], n_init=1)),
        plots.plot_grade_mix(pd.crosstab(grade_by_hand(customers), model.labels_)),
        plots.plot_pca(scaled, {"k = 3": model.labels_}),
        plots.plot_pairs(log_spending(customers), model.labels_),
    ]
    assert len(drawn) == len(plots.__all__)
    for thing in drawn:
        figure = thing if isinstance(thing, Figure) else thing.figure
        assert any(ax.has_data() for ax in figure.axes)


def test_plot_hand_grades_draws_every_customer_and_both_thresholds(customers):
    ax = plots.plot_hand_grades(customers)
    assert sum(patch.get_height() for patch in ax.patches) == 440
    assert [line.get_xdata()[0] for line in ax.lines] == [25_000, 60_000]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["small", "medium", "large"]
    assert ax.get_xscale() == "log"
    assert ax.get_ylabel() == "customers" and "m.u." in ax.get_xlabel()


def test_plot_hand_grades_colours_change_at_the_thresholds(customers):
    """No bar straddles a threshold, and each bar holds the customers of the grade of its
    side, as many as lie in its range (counted here on the raw columns)."""
    ax = plots.plot_hand_grades(customers)
    total = customers[list(SPENDING_COLUMNS)].to_numpy().sum(axis=1)
    sides = {"small": (0, 25_000), "medium": (25_000, 60_000), "large": (60_000, np.inf)}
    assert len(ax.containers) == 3
    for bars, grade in zip(ax.containers, sides, strict=True):
        low, high = sides[grade]
        for bar in bars:
            left, right = bar.get_x(), bar.get_x() + bar.get_width()
            for threshold in (25_000, 60_000):
                assert not left + 1e-6 < threshold < right - 1e-6, (grade, left, right)
            if bar.get_height() == 0:
                continue
            assert low - 1e-6 <= left and right <= high + 1e-6, (grade, left, right)
            inside = (total >= left - 1e-6) & (total < right - 1e-6)
            if right >= total.max() - 1e-6:  # the last bin holds its right edge too
                inside |= total == total.max()
            assert bar.get_height() == inside.sum(), (grade, left, right)


def test_plot_clusters_draws_each_cluster_its_centres_and_paths():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [5.0, 6.0], [5.0, 7.0]])
    labels = np.array([0, 0, 1, 1, 1])
    centres = np.array([[0.0, 0.5], [5.0, 6.0]])
    paths = np.array([[[1.0, 1.0], [4.0, 4.0]], [[0.0, 0.5], [5.0, 6.0]]])
    ax = plots.plot_clusters(X, labels, centres, paths=paths, feature_names=("a", "b"), title="t")
    points = [c.get_offsets() for c in ax.collections]
    np.testing.assert_array_equal(points[0], X[:2])
    np.testing.assert_array_equal(points[1], X[2:])
    np.testing.assert_array_equal(points[2], centres)
    np.testing.assert_array_equal(ax.lines[0].get_xydata(), paths[:, 0, :])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "cluster 0",
        "cluster 1",
        "centres",
    ]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("a", "b", "t")


def test_plot_clusters_names_segments_and_enlarges_a_corner_in_an_inset():
    """Two tight groups near the origin and one far away: the inset shows the region asked
    for, with the same points and smaller crosses; the legend says "segment"."""
    X = np.array([[0.0, 0.0], [0.2, 0.1], [3.0, 3.0], [3.1, 2.9], [40.0, 40.0], [41.0, 39.0]])
    labels = np.array([0, 0, 1, 1, 2, 2])
    centres = np.array([[0.1, 0.05], [3.05, 2.95], [40.5, 39.5]])
    ax = plots.plot_clusters(
        X,
        labels,
        centres,
        name="segment",
        centre_label="segment means",
        centre_size=80,
        zoom=(-1, 4, -1, 4),
    )
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "segment 0",
        "segment 1",
        "segment 2",
        "segment means",
    ]
    (inset,) = ax.child_axes
    assert inset.get_xlim() == (-1, 4) and inset.get_ylim() == (-1, 4)
    for drawn in (ax, inset):
        *groups, crosses = drawn.collections[:4]
        for j, group in enumerate(groups):
            np.testing.assert_array_equal(group.get_offsets(), X[labels == j])
        np.testing.assert_array_equal(crosses.get_offsets(), centres)
    assert ax.collections[3].get_sizes()[0] == 80 and inset.collections[3].get_sizes()[0] == 40
    # the inset sits in the main picture's empty lower right, clear of the far group
    ax.figure.canvas.draw()
    box = inset.get_window_extent()
    far = ax.transData.transform(X[labels == 2])
    assert not ((far >= box.min) & (far <= box.max)).all(axis=1).any()
    assert not ax.get_legend().get_window_extent().overlaps(box)


def test_plot_iterations_draws_each_step_with_its_assignment_and_j():
    X = np.vstack([np.zeros((5, 2)), np.ones((5, 2)) * 4]) + np.arange(10)[:, None] * 0.1
    model = KMeans(2, init=X[[0, 1]], tol=0).fit(X)
    fig = plots.plot_iterations(X, model.history_, iterations=[0, model.n_iter_])
    first, last = [ax for ax in fig.axes if ax.get_visible()]
    assert first.get_title() == f"start: J = {model.history_.objective[0]:.1f}"
    assert last.get_title() == f"iteration {model.n_iter_}: J = {model.inertia_:.1f}"
    np.testing.assert_array_equal(first.collections[-1].get_offsets(), X[[0, 1]])  # start
    np.testing.assert_allclose(last.collections[-1].get_offsets(), model.cluster_centers_)
    np.testing.assert_allclose(last.lines[0].get_xydata(), model.history_.centres[:, 0, :])


def test_plot_objective_and_k_scores_draw_their_numbers():
    ax = plots.plot_objective([9.0, 4.0, 3.0])
    np.testing.assert_array_equal(ax.lines[0].get_xydata(), [[0, 9.0], [1, 4.0], [2, 3.0]])
    table = pd.DataFrame({"k": [1, 2, 3], "J": [9.0, 4.0, 3.0], "silhouette": [np.nan, 0.5, 0.4]})
    left, right = plots.plot_k_scores(table).axes
    np.testing.assert_array_equal(left.lines[0].get_ydata(), [9.0, 4.0, 3.0])
    np.testing.assert_array_equal(right.lines[0].get_xdata(), [2, 3])
    assert "Silhouette" in right.get_title() and left.get_xlabel() == "k"


def test_plot_distributions_and_correlations_label_every_column(customers):
    frame = log_spending(customers)
    fig = plots.plot_distributions(frame, title="log", xlabel="log(1 + m.u.)")
    assert [ax.get_title() for ax in fig.axes] == list(SPENDING_COLUMNS)
    assert fig.get_suptitle() == "log"
    assert {(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes} == {
        ("log(1 + m.u.)", "customers")
    }
    # the bars of each histogram count the customers: 440 in all
    assert all(sum(bar.get_height() for bar in ax.patches) == len(frame) for ax in fig.axes)
    ax = plots.plot_correlations(frame)
    texts = {t.get_text() for t in ax.texts}
    assert f"{frame.corr().loc['Grocery', 'Detergents_Paper']:.2f}" in texts
    assert [t.get_text() for t in ax.get_xticklabels()] == list(SPENDING_COLUMNS)


def test_plot_by_group_and_outliers_draw_a_box_per_column(customers):
    frame = log_spending(customers)
    ax = plots.plot_by_group(frame, customers["Channel"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Horeca", "Retail"]
    assert len([p for p in ax.patches]) == 2 * 6
    ax = plots.plot_outliers(frame)
    fliers = sum(len(line.get_ydata()) for line in ax.lines if line.get_marker() == "o")
    assert fliers == iqr_outliers(frame).to_numpy().sum()
    assert ax.get_ylabel() == "log spending"
    assert plots.plot_outliers(frame, ylabel="m.u.").get_ylabel() == "m.u."


# --- the k slider, without a browser --------------------------------------------------------


def test_segment_with_k_measures_the_segmentation(scaled):
    result = segment_with_k(scaled, 3)
    model = KMeans(3, n_init=10, random_state=0).fit(scaled)
    assert adjusted_rand_score(result.labels, model.labels_) == 1.0
    # numbered by the mean row sum (the level of spending), highest first
    level = [scaled[result.labels == j].sum(axis=1).mean() for j in range(3)]
    assert level == sorted(level, reverse=True)
    for j in range(3):
        np.testing.assert_allclose(result.centres[j], scaled[result.labels == j].mean(axis=0))
    assert result.sizes.sum() == 440 and result.J == pytest.approx(model.inertia_)
    assert result.summary().startswith("k = 3: J = 1,553.4, silhouette = 0.259")
    assert np.isnan(segment_with_k(scaled, 1).silhouette)


# --- exercise checks ------------------------------------------------------------------------


def test_every_check_says_when_an_answer_is_missing():
    checks = [getattr(exercises, name) for name in dir(exercises) if name.startswith("check_")]
    assert len(checks) == 13
    for check in checks:
        args = (...,) if check is not exercises.check_k_choice else (..., None)
        feedback = check(*args)
        assert not feedback and not feedback.answered
        assert repr(feedback).startswith("… Not answered yet")


def k_table():
    return pd.DataFrame(
        {
            "k": [1, 2, 3, 4, 5],
            "J": [100.0, 40, 30, 25, 22],
            "silhouette": [np.nan, 0.3, 0.5, 0.4, 0.2],
        }
    )


@pytest.mark.parametrize(
    ("check", "right", "wrong", "advice"),
    [
        (
            exercises.check_total_spending,
            lambda c: total_spending(c),
            lambda c: total_spending(c) + c["id"],
            "not id, Channel or Region",
        ),
        (
            exercises.check_total_spending,
            lambda c: total_spending(c),
            lambda c: total_spending(c)[:10],
            "one total per customer",
        ),
        (exercises.check_large_by_hand, lambda c: 66, lambda c: 42, "the usual line of 60,000"),
        (
            exercises.check_problem_type,
            lambda c: "Clustering",
            lambda c: "classification",
            "no such label",
        ),
        (exercises.check_most_skewed, lambda c: "frozen", lambda c: "Fresh", "skewness 0.98"),
        (exercises.check_most_skewed, lambda c: "Frozen", lambda c: "Channel", "column name"),
        (
            exercises.check_strongest_pair,
            lambda c: ["Grocery", "milk"],
            lambda c: ("Milk", "Frozen"),
            "correlation 0.11",
        ),
        (exercises.check_outlier_customers, lambda c: 42, lambda c: 48, "counts outlying values"),
        # notebook 3's checks have their own table: tests/test_exercises_nb3.py
        (exercises.check_dominant_feature, lambda c: "Fresh", lambda c: "Milk", "spreads wider"),
        (
            exercises.check_new_customer_segment,
            lambda c: 1,
            lambda c: 0,
            "another centre is nearer",
        ),
        (
            exercises.check_new_customer_segment,
            lambda c: "medium, detergents and grocery: mixed channels (61% Retail)",
            lambda c: 7,
            "segment number (0 to 2)",
        ),
        (
            exercises.check_reloaded_segments,
            lambda c: [0, 1, 2, 2],
            lambda c: [0, 1, 2, 0],
            "not for id 40",
        ),
        (
            exercises.check_reloaded_segments,
            lambda c: np.array([0, 1, 2, 2]),
            lambda c: [0, 1],
            "give 4 segment numbers",
        ),
    ],
)
def test_checks_accept_the_right_answer_and_say_what_is_off(customers, check, right, wrong, advice):
    feedback = check(right(customers))
    assert feedback and repr(feedback).startswith("✅ Right.")
    feedback = check(wrong(customers))
    assert not feedback and feedback.answered
    assert repr(feedback).startswith("❌ Not yet:") and advice in feedback.message


def test_check_k_choice_accepts_what_the_curves_support():
    table = k_table()
    assert exercises.check_k_choice(2, "elbow", table)
    assert exercises.check_k_choice(3, "silhouette", table)
    assert "J bends" in exercises.check_k_choice(2, "elbow", table).message
    assert "silhouette is highest" in exercises.check_k_choice(3, "silhouette", table).message
    assert not exercises.check_k_choice(5, "silhouette", table)


def test_tiny_exercise_data_needs_an_update():
    assert TINY.shape == (7, 2) and TINY_CENTRES.shape == (2, 2)
