"""The library behind notebooks 1 to 4: features, choosing k, plots (checked on what they
drew), the k slider (driven without a browser) and the exercise checks."""

import re
from fractions import Fraction
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

import segmentation
import segmentation.course as course
from segmentation.cluster.choosing import best_silhouette, elbow, scan_k, segment_with_k
from segmentation.cluster.kmeans import KMeans
from segmentation.cluster.numbering import segment_profile
from segmentation.course.checks_kmeans import TINY, TINY_CENTRES
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

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

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
    # the four strongest pairs, found with NumPy's Pearson correlation
    raw = customers[list(SPENDING_COLUMNS)].to_numpy(dtype=float)
    corr = np.corrcoef(raw, rowvar=False)
    upper = [(abs(corr[i, j]), i, j) for i in range(6) for j in range(i + 1, 6)]
    expected = [
        (SPENDING_COLUMNS[i], SPENDING_COLUMNS[j], corr[i, j])
        for _, i, j in sorted(upper)[::-1][:4]
    ]
    found = list(table.itertuples(index=False, name=None))
    assert [pair[:2] for pair in found] == [pair[:2] for pair in expected]
    np.testing.assert_allclose([r for *_, r in found], [r for *_, r in expected])


def test_iqr_outliers_flags_values_beyond_the_whiskers():
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 100], "b": [-50.0, 2, 3, 4, 5, 6]})
    flags = iqr_outliers(frame)
    assert flags["a"].tolist() == [False] * 5 + [True]
    assert flags["b"].tolist() == [True] + [False] * 5


def test_segment_profile_gives_means_and_modes(customers):
    labels = (customers["Channel"] == "Retail").astype(int).to_numpy()
    profile = segment_profile(customers, labels)
    assert profile["customers"].tolist() == [int((labels == 0).sum()), int((labels == 1).sum())]
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
    logs = log_spending(customers)
    drawn = {
        "plot_hand_grades": plots.plot_hand_grades(customers),
        "plot_distributions": plots.plot_distributions(logs),
        "plot_correlations": plots.plot_correlations(logs),
        "plot_by_group": plots.plot_by_group(logs, customers["Channel"]),
        "plot_outliers": plots.plot_outliers(logs),
        "plot_clusters": plots.plot_clusters(X, model.labels_, model.cluster_centers_),
        "plot_iterations": plots.plot_iterations(X, model.history_),
        "plot_objective": plots.plot_objective(model.history_.objective),
        "plot_k_scores": plots.plot_k_scores(scan_k(scaled, [1, 2, 3], n_init=1)),
        "plot_grade_mix": plots.plot_grade_mix(
            pd.crosstab(grade_by_hand(customers), model.labels_)
        ),
        "plot_pca": plots.plot_pca(scaled, {"k = 3": model.labels_}),
        "plot_pairs": plots.plot_pairs(logs, model.labels_),
    }
    # every public plot helper of viz.plots, none left out (notebook 6's, in viz.comparison,
    # are tested in test_plots_comparison.py)
    public = {
        name
        for name in segmentation.__all__
        if name.startswith("plot_") and segmentation._HOME[name] == plots.__name__
    }
    assert set(drawn) == public
    for thing in drawn.values():
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


def silhouette_by_hand(X, labels):
    """The mean silhouette, from its definition: for each sample, a = the mean distance to
    the others of its cluster, b = the smallest mean distance to another cluster's samples,
    s = (b - a) / max(a, b)."""
    distances = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    scores = []
    for i, own in enumerate(labels):
        mates = (labels == own) & (np.arange(len(X)) != i)
        a = distances[i, mates].mean()
        b = min(distances[i, labels == other].mean() for other in set(labels) - {own})
        scores.append((b - a) / max(a, b))
    return float(np.mean(scores))


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
    # the summary's numbers, worked out from the labels alone
    J = sum(
        ((scaled[result.labels == j] - scaled[result.labels == j].mean(axis=0)) ** 2).sum()
        for j in range(3)
    )
    silhouette = silhouette_by_hand(scaled, result.labels)
    assert result.summary().startswith(f"k = 3: J = {J:,.1f}, silhouette = {silhouette:.3f}")
    assert np.isnan(segment_with_k(scaled, 1).silhouette)


# --- exercise checks ------------------------------------------------------------------------
# Each notebook's checks have their own table, with answers worked out independently:
# tests/test_exercises_nb1_2.py, _nb3.py, _nb4.py and _nb5.py; odd inputs for all of them in
# tests/test_exercises_any_input.py.


def test_the_notebooks_call_every_check_and_only_those():
    """The checks a student meets, read from the notebooks' exercise cells, are exactly the
    checks the library offers: none is left unused, none is called that does not exist."""
    called = set()
    for path in sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if p.name[:2] != "00"):
        for cell in nbformat.read(path, as_version=4).cells:
            if "exercise" in cell.metadata.get("tags", []):
                called |= set(re.findall(r"\b(check_\w+)\(", cell.source.strip().splitlines()[-1]))
    assert called == {name for name in course.__all__ if name.startswith("check_")}


def test_tiny_exercise_data_needs_an_update_and_has_no_tie():
    """Notebook 3's exercise by hand, in exact fractions: each customer of TINY is nearer one
    starting centre by a clear margin (nothing to break a tie by hand), and the update moves
    both centres, so the exercise has a step to compute."""
    points = [[Fraction(str(v)) for v in row] for row in TINY]
    starts = [[Fraction(str(v)) for v in row] for row in TINY_CENTRES]
    squared = [
        [sum((a - b) ** 2 for a, b in zip(p, c, strict=True)) for c in starts] for p in points
    ]
    # worked by hand: (x - 1)^2 + (y - 1)^2 and (x - 5)^2 + (y - 7)^2
    assert squared == [
        [0, 52],
        [Fraction(5, 4), Fraction(149, 4)],
        [Fraction(41, 4), Fraction(65, 4)],
        [52, 0],
        [Fraction(89, 4), Fraction(25, 4)],
        [Fraction(113, 4), Fraction(17, 4)],
        [Fraction(37, 2), Fraction(17, 2)],
    ]
    assert min(abs(near - far) for near, far in squared) >= 6
    labels = [int(to_1 < to_0) for to_0, to_1 in squared]
    assert labels == [0, 0, 0, 1, 1, 1, 1]
    means = [
        [
            sum(p[d] for p, j in zip(points, labels, strict=True) if j == c) / labels.count(c)
            for d in (0, 1)
        ]
        for c in (0, 1)
    ]
    assert means == [[Fraction(11, 6), Fraction(13, 6)], [Fraction(33, 8), Fraction(43, 8)]]
    assert all(mean != start for mean, start in zip(means, starts, strict=True))
