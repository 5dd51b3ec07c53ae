"""The k-means that notebook 3 writes out in plain NumPy agrees with the library.

The notebook keeps its own copy of the steps, because that copy is the lesson. These tests run
the notebook's code cells tagged ``lesson`` (the functions a student reads and retypes) in a
fresh namespace, and check each against the library's readable steps (which the notebook
mirrors) and against ``KMeans`` and its fast kernel, the second implementation. They also
check what the notebook's text says about the course data, so that the text stays true when
the outputs are regenerated, that each exercise's hint carries every accepted answer of the
exercise before to the next, and what the notebook's pictures name.
"""

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler

from segmentation.cluster.kmeans import (
    STOP_ASSIGNMENTS_UNCHANGED,
    STOP_CENTRES_SETTLED,
    STOP_MAX_ITER,
    KMeans,
)
from segmentation.cluster.steps import assign, initial_centres, objective, update_centres
from segmentation.course import TINY, check_assignment, check_new_centres, check_objective
from segmentation.data.shipped import load_customers
from segmentation.preprocessing.spending import iqr_outliers, log_spending, spending
from segmentation.viz.plots import plot_iterations, plot_objective

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOK = NOTEBOOKS / "03_kmeans_from_scratch.ipynb"
LESSON_FUNCTIONS = (
    "random_centres",
    "squared_distances",
    "assign_to_nearest",
    "move_centres",
    "compute_J",
    "find_clusters",
    "kmeans_plus_plus",
)


def lesson_cells():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    return [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "code" and "lesson" in cell.metadata.get("tags", [])
    ]


def markdown_with(phrase):
    """The one markdown cell of notebook 3 that contains ``phrase``."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    found = [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "markdown" and phrase in cell.source
    ]
    assert len(found) == 1, phrase
    return found[0]


@pytest.fixture(scope="module")
def lesson():
    namespace = {}
    for i, source in enumerate(lesson_cells()):
        # the course's own notebook code, run as a student runs it
        exec(compile(source, f"{NOTEBOOK.name}, lesson cell {i}", "exec"), namespace)
    return SimpleNamespace(**{name: namespace[name] for name in LESSON_FUNCTIONS})


# --- data sets the notebook's code and the library are compared on ----------------------------


def course_two_features():
    return log_spending(load_customers())[["Fresh", "Grocery"]].to_numpy()


def course_six_scaled():
    return StandardScaler().fit_transform(log_spending(load_customers()))


def course_raw_spending():
    """Unscaled money amounts: features whose variances differ a hundredfold."""
    return spending(load_customers()).to_numpy(dtype=float)


def blobs(seed, n_features=3, stretch=1.0):
    X, _ = make_blobs(300, n_features=n_features, centers=4, cluster_std=2.0, random_state=seed)
    X[:, 0] *= stretch
    return X


def noise(seed):
    """No structure at all: runs take many iterations to settle."""
    return np.random.default_rng(seed).random((500, 2))


DATA = {
    "course, log Fresh and Grocery": course_two_features,
    "course, six features scaled": course_six_scaled,
    "course, raw spending": course_raw_spending,
    "blobs 0": lambda: blobs(0),
    "blobs 1, one feature stretched": lambda: blobs(1, stretch=50.0),
    "blobs 2, five features": lambda: blobs(2, n_features=5),
    "uniform noise": lambda: noise(3),
}


# --- the notebook shows code, not the library's internals --------------------------------------


def test_lesson_cells_define_each_step_in_plain_numpy():
    sources = lesson_cells()
    assert len(sources) >= 5, "one lesson cell per step, the loop and k-means++"
    defined = set()
    for source in sources:
        for node in ast.parse(source).body:
            assert isinstance(node, (ast.Import, ast.FunctionDef)), (
                "a lesson cell holds only imports and function definitions:\n" + source
            )
            if isinstance(node, ast.Import):
                assert [alias.name for alias in node.names] == ["numpy"], source
            else:
                defined.add(node.name)
    assert defined == set(LESSON_FUNCTIONS)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_no_notebook_prints_library_internals(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert "getsource" not in cell.source and "import inspect" not in cell.source, cell.source
        # a private name of the library: segmentation.cluster._kernel, steps._as_data, ...
        private = r"\b(segmentation|cluster|kmeans|steps|model|features|plots)\._\w"
        assert not re.search(private, cell.source), cell.source


# --- each step against the library's public steps ---------------------------------------------


def test_random_centres_draw_as_the_library_does(lesson):
    for name, make in DATA.items():
        X = make()
        for k in (2, 3, 5):
            for seed in range(5):
                expected = initial_centres(X, k, "random", random_state=seed)
                assert np.array_equal(lesson.random_centres(X, k, seed), expected), (name, k, seed)


@pytest.mark.parametrize("name", list(DATA))
def test_assignment_equals_the_librarys(lesson, name):
    X = DATA[name]()
    for k in (2, 3, 6):
        for seed in range(4):
            centres = initial_centres(X, k, "uniform", random_state=seed)
            labels = lesson.assign_to_nearest(X, centres)
            assert np.array_equal(labels, assign(X, centres))
            assert np.array_equal(labels, KMeans.from_centres(centres).predict(X))  # the kernel


def test_on_a_tie_the_lowest_numbered_centre_wins(lesson):
    # Whole-number points and centres: every distance is exact, so the ties are exact.
    grid = np.array([[x, y] for x in range(-3, 4) for y in range(-3, 4)], dtype=float)
    centres = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    labels = lesson.assign_to_nearest(grid, centres)
    at = {tuple(point): label for point, label in zip(grid.tolist(), labels, strict=True)}
    # worked by hand: (0, 0) is at distance 1 from all four centres; (2, 2) at squared
    # distance 5 from centres 0 and 2; (-2, -2) from centres 1 and 3; (0, 2) nearest centre 2
    assert at[(0.0, 0.0)] == 0 and at[(2.0, 2.0)] == 0 and at[(-2.0, -2.0)] == 1
    assert at[(0.0, 2.0)] == 2 and at[(-2.0, 2.0)] == 1
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]):
        labels = lesson.assign_to_nearest(grid, centres[order])
        assert np.array_equal(labels, assign(grid, centres[order])), order
        assert np.array_equal(labels, KMeans.from_centres(centres[order]).predict(grid)), order


@pytest.mark.parametrize("name", list(DATA))
def test_update_equals_the_librarys_when_no_cluster_is_empty(lesson, name):
    X = DATA[name]()
    rng = np.random.default_rng(0)
    for k in (2, 4):
        labels = rng.permutation(np.arange(len(X)) % k)  # every cluster has members
        centres = X[:k]
        expected = update_centres(X, labels, centres)
        assert np.allclose(lesson.move_centres(X, labels, k), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(DATA))
def test_J_equals_the_librarys_objective(lesson, name):
    X = DATA[name]()
    centres = initial_centres(X, 3, "k-means++", random_state=0)
    labels = assign(X, centres)
    assert lesson.compute_J(X, centres, labels) == pytest.approx(
        objective(X, centres, labels), rel=1e-12
    )


# --- the loop against KMeans --------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DATA))
def test_the_loop_ends_where_kmeans_ends(lesson, name):
    X = DATA[name]()
    reasons = set()
    for k in (3, 4):
        for seed in range(3):
            start = initial_centres(X, k, "k-means++", random_state=seed)
            for tol, max_iter in [(0, 300), (1e-4, 300), (1e-2, 300), (0, 2)]:
                labels, centres, n_iter = lesson.find_clusters(X, start, tol=tol, max_iter=max_iter)
                fit = KMeans(k, init=start, n_init=1, tol=tol, max_iter=max_iter).fit(X)
                where = (k, seed, tol, max_iter)
                assert np.array_equal(labels, fit.labels_), where
                assert np.allclose(centres, fit.cluster_centers_, rtol=0, atol=1e-9), where
                assert n_iter == fit.n_iter_, where
                reasons.add(fit.history_.stop_reason)
    # each data set exercises both stopping rules, and the cap
    assert reasons == {STOP_ASSIGNMENTS_UNCHANGED, STOP_CENTRES_SETTLED, STOP_MAX_ITER}


def test_the_threshold_is_tol_times_the_mean_variance_of_the_features(lesson):
    # One feature stretched 50 times: the mean of the variances is far from their sum, their
    # maximum or the variance of one feature, so the iteration counts tell the rules apart.
    X = blobs(1, stretch=50.0)
    start = initial_centres(X, 4, "random", random_state=4)
    history = KMeans(4, init=start, n_init=1, tol=0).fit(X).history_
    moves = (history.shift**2).sum(axis=1)
    mean_variance = float(np.mean(X.var(axis=0)))
    for tol in (1e-4, 1e-3, 1e-2):
        # the first iteration whose squared moves add up to at most tol * mean variance
        expected = int(np.argmax(moves <= tol * mean_variance)) + 1
        assert lesson.find_clusters(X, start, tol=tol)[2] == expected, tol


# --- k-means++ ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DATA))
def test_kmeans_plus_plus_draws_as_the_library_does(lesson, name):
    X = DATA[name]()
    for k in (2, 3, 5):
        for seed in range(10):
            expected = initial_centres(X, k, "k-means++", random_state=seed)
            assert np.array_equal(lesson.kmeans_plus_plus(X, k, seed), expected), (k, seed)


# --- what the text says about the course data ---------------------------------------------------


def test_the_text_about_random_and_kmeans_plus_plus_starts_holds():
    """Notebook 3's prose: on log Fresh and log Grocery every random start (seeds 0 to 19)
    ends within 0.5% of the best J; some k-means++ starts do not, and each of those has a small
    cluster far from the rest: the customer with almost no groceries, or 28 customers with
    little fresh food among whom are all 16 Fresh outliers. k-means++ starts on an outlier more
    often, but most such starts end near the best J. Ten starts cure it."""
    X = course_two_features()
    outliers = iqr_outliers(log_spending(load_customers())[["Fresh", "Grocery"]]).to_numpy()
    fits = {
        (method, seed): KMeans(3, init=method, n_init=1, random_state=seed).fit(X)
        for method in ("random", "k-means++")
        for seed in range(20)
    }
    best = min(fit.inertia_ for fit in fits.values())
    poor = {key: fit for key, fit in fits.items() if fit.inertia_ > 1.005 * best}
    assert poor and all(method == "k-means++" for method, _ in poor)
    for fit in poor.values():
        small = fit.labels_ == np.bincount(fit.labels_).argmin()
        assert small.sum() in (1, 28)
        if small.sum() == 1:
            assert X[small, 1].min() == X[:, 1].min()  # the customer with least Grocery
        else:
            assert small[outliers[:, 0]].all() and outliers[:, 0].sum() == 16
            assert X[small, 0].mean() < np.median(X[:, 0]) - 3
    assert sorted(seed for _, seed in poor) == [1, 8, 14, 18]
    # where the small cluster's centre started: on the customer with least Grocery (seed 1), on
    # a Fresh outlier (seeds 14 and 18), or on a customer low in both but no outlier (seed 8)
    starts = {}
    for (_, seed), fit in poor.items():
        start = fit.history_.centres[0][np.bincount(fit.labels_).argmin()]
        starts[seed] = start
        on_outlier = any(np.array_equal(start, x) for x in X[outliers[:, 0]])
        assert on_outlier == (seed in (14, 18)), seed
    assert starts[1][1] == X[:, 1].min()
    assert np.all(starts[8] < np.median(X, axis=0) - 2)
    assert (
        np.linalg.norm(
            starts[8]
            - poor[("k-means++", 8)].cluster_centers_[
                np.bincount(poor[("k-means++", 8)].labels_).argmin()
            ]
        )
        > 3
    )
    # starts with an outlier (Fresh or Grocery) among their three centres, found by row index
    on_outlier = {}
    for key, fit in fits.items():
        rows = [np.flatnonzero((X == centre).all(axis=1)) for centre in fit.history_.centres[0]]
        assert all(len(r) == 1 for r in rows)  # each centre is one customer, none duplicated
        on_outlier[key] = bool(outliers[np.concatenate(rows)].any())
    counts = {
        method: sum(on_outlier[(method, seed)] for seed in range(20))
        for method in ("random", "k-means++")
    }
    assert counts == {"random": 4, "k-means++": 13}
    near_after_outlier = {
        method: sum(on_outlier[(method, seed)] and (method, seed) not in poor for seed in range(20))
        for method in counts
    }
    assert near_after_outlier == {"random": 4, "k-means++": 10}
    assert {seed: on_outlier[("k-means++", seed)] for _, seed in poor} == {
        1: True,
        8: False,
        14: True,
        18: True,
    }
    smallest_near = [np.bincount(fit.labels_).min() for key, fit in fits.items() if key not in poor]
    assert (min(smallest_near), max(smallest_near)) == (65, 80)
    text = " ".join(markdown_with("In each of these runs one cluster is small").split())
    assert "the smallest has 65 to 80 customers" in text
    assert "(13 starts against 4)" in text
    assert "10 of those 13 k-means++ starts, and all 4 random ones, still ended near" in text
    assert "seed 8 ended poor without one" in text
    assert "4 of the 20 k-means++ starts ended in such a low point" in text
    assert "13 k-means++ starts, against 4 random ones" in " ".join(
        markdown_with("counts the starts with an outlier").split()
    )
    takeaway = " ".join(markdown_with("## Key takeaways").split())
    assert "4 k-means++ starts did, each with one small cluster far from the rest" in takeaway
    assert "With seeds 14 and 18 that centre started on one of those outliers" in text
    assert f"seed 8 it started at ({starts[8][0]:.1f}, {starts[8][1]:.2f})" in text
    assert len(poor) == 4
    ten = KMeans(3, init="k-means++", n_init=10, random_state=1).fit(X)
    assert ten.inertia_per_init_[0] > 1.005 * best and ten.inertia_ <= 1.005 * best


def test_the_text_about_the_third_kmeans_plus_plus_draw_holds():
    """Notebook 3: before the third draw of seed 1, the customer with the least Grocery had the
    highest chance of all, about 37 times the median customer's."""
    X = course_two_features()
    first_two = initial_centres(X, 2, "k-means++", random_state=1)
    assert np.array_equal(first_two, initial_centres(X, 3, "k-means++", random_state=1)[:2])
    nearest = ((X[:, None, :] - first_two[None, :, :]) ** 2).sum(axis=2).min(axis=1)
    chance = nearest / nearest.sum()
    loner = X[:, 1].argmin()
    assert chance.argmax() == loner
    assert 35 < chance[loner] / np.median(chance) < 39
    assert "about 37 times the median customer's, and the highest of all" in markdown_with(
        "That customer's chance was"
    )


def test_the_text_about_where_each_tol_stops_holds(lesson):
    """Notebook 3 reads the stopping rule off its table: for each tol, the iteration whose
    squared moves first fall to tol times the mean variance, with the moves it names. The moves
    here come from the lesson's own steps, not from the library's history."""
    X = course_two_features()
    centres = lesson.random_centres(X, 3, seed=0)
    moves = []
    for _ in range(20):
        new = lesson.move_centres(X, lesson.assign_to_nearest(X, centres), 3)
        moves.append(float(((new - centres) ** 2).sum()))
        centres = new
    moves = np.array(moves)
    threshold = {tol: tol * X.var(axis=0).mean() for tol in (1e-2, 1e-3, 1e-4)}
    text = " ".join(markdown_with("The thresholds explain").split())
    for tol, stop in [(1e-2, 5), (1e-3, 7), (1e-4, 8)]:
        assert int(np.argmax(moves <= threshold[tol])) + 1 == stop, tol
        assert lesson.find_clusters(X, lesson.random_centres(X, 3, seed=0), tol=tol)[2] == stop
        assert f"{threshold[tol]:.5f}" in text and f"{moves[stop - 1]:.5f}" in text, tol
    assert f"iteration 5 is the first whose squared moves ({moves[4]:.5f})" in text
    # rows 8 and 9 of the table: iteration 9 moved nothing, and J is the same
    assert moves[8] == 0 and moves[7] > 0
    assert "Rows 8 and 9 have the same J and sizes" in markdown_with("J never rises")


def test_the_exercises_do_not_call_the_lessons_functions():
    """The exercises ask for the steps by hand or retyped in NumPy: no exercise cell, hint or
    solution calls the functions the lesson wrote."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    first = next(
        i for i, cell in enumerate(notebook.cells) if cell.source.startswith("## Exercises")
    )
    for cell in notebook.cells[first:]:
        for name in LESSON_FUNCTIONS:
            assert f"{name}(" not in cell.source, (name, cell.source)


# --- the exercises chain: each hint turns the previous answers, in any accepted form, into arrays

HINT_CODE = re.compile(r"<summary>Hint</summary>.*?```python\n(.*?)```", re.DOTALL)


def hint_code(exercise):
    return HINT_CODE.search(markdown_with(f"### Exercise {exercise}"))[1]


LABELS_3_1 = [0, 0, 0, 1, 1, 1, 1]  # worked by hand in test_exercises_nb3.py
LABEL_FORMS = {
    "list": LABELS_3_1,
    "tuple": tuple(LABELS_3_1),
    "floats": np.array(LABELS_3_1, dtype=float),
    "strings": [str(label) for label in LABELS_3_1],
    "Series": pd.Series(LABELS_3_1),
    "column": pd.DataFrame({"cluster": LABELS_3_1}),
    "row": pd.DataFrame([LABELS_3_1]),
    "nested": [[label] for label in LABELS_3_1],
}
CENTRE_FORMS = {
    "rows": [[1.83, 2.17], [4.13, 5.38]],
    "half to even": [[1.83, 2.17], [4.12, 5.38]],
    "flat": [1.83, 2.17, 4.13, 5.38],
    "strings": [["1.83", "2.17"], ["4.13", "5.38"]],
    "DataFrame": pd.DataFrame([[1.83, 2.17], [4.13, 5.38]], columns=["x", "y"]),
    "Series rows": [pd.Series([1.83, 2.17]), pd.Series([4.13, 5.38])],
    "flat Series": pd.Series([1.83, 2.17, 4.13, 5.38]),
    "column": np.array([[1.83], [2.17], [4.13], [5.38]]),
}


@pytest.mark.parametrize("labels", LABEL_FORMS.values(), ids=LABEL_FORMS.keys())
def test_the_hints_carry_every_accepted_answer_to_the_next_exercise(labels):
    """A student who answers 3.1 and 3.2 in any form the checks accept, then runs the line the
    next hint shows, can compute the next answer as the solutions do (a list of labels cannot
    index an array of centres; the four-number form of 3.2 cannot be indexed by cluster)."""
    assert check_assignment(labels)
    step = {"np": np, "labels": labels}
    exec(hint_code("3.2"), step)
    centres = np.array([TINY[step["labels"] == j].mean(axis=0) for j in range(2)])
    assert check_new_centres(centres)
    for name, answer in CENTRE_FORMS.items():
        assert check_new_centres(answer), name
        step = {"np": np, "labels": labels, "centres": answer}
        exec(hint_code("3.3"), step)
        J = ((TINY - step["centres"][step["labels"]]) ** 2).sum()
        assert check_objective(J), name


# --- the pictures of this notebook ------------------------------------------------------------


def test_the_empty_cluster_picture_names_each_centre(lesson, monkeypatch):
    """The text after the picture speaks of "centre 1" and "centre 2": each cross is named."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    [source] = [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "code" and "X_small = np.array" in cell.source
    ]
    monkeypatch.setattr(plt, "show", lambda: None)
    namespace = {"np": np, "plt": plt, **vars(lesson)}
    exec(source, namespace)
    ax = namespace["ax"]
    # worked by hand: the means of customers {0, 1, 3}, {4} and {2, 5} of X_small
    expected = {"centre 0": (10 / 3, 14 / 3), "centre 1": (8, 8), "centre 2": (6.5, 4.5)}
    named = {text.get_text(): text.xy for text in ax.texts}
    assert named.keys() == expected.keys()
    for name, where in expected.items():
        assert named[name] == pytest.approx(where), name
    assert "centre 2 sits at (6.5, 4.5)" in markdown_with("cluster 2 is empty")
    plt.close(ax.figure)


# --- the plot helpers of this notebook say "iteration", as the text does ------------------------


def test_plot_iterations_names_each_picture_by_its_iteration():
    X = course_two_features()
    start = initial_centres(X, 3, "random", random_state=0)
    history = KMeans(3, init=start, n_init=1, tol=0).fit(X).history_
    last = len(history.centres) - 1
    fig = plot_iterations(X, history, iterations=[0, 2, last])
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == [
        f"start: J = {objective(X, start, assign(X, start)):.1f}",
        f"iteration 2: J = {history.objective[2]:.1f}",
        f"iteration {last}: J = {history.objective[last]:.1f}",
    ]
    # the picture of iteration 2 draws the centres after two updates, and their paths so far
    np.testing.assert_allclose(shown[1].collections[-1].get_offsets(), history.centres[2])
    assert len(shown[1].lines[0].get_xydata()) == 3
    plt.close(fig)


def test_plot_objective_says_j_never_rises_and_counts_iterations_from_the_start():
    ax = plot_objective([9.0, 4.0, 4.0])
    np.testing.assert_array_equal(ax.lines[0].get_xydata(), [[0, 9.0], [1, 4.0], [2, 4.0]])
    assert ax.get_title() == "The objective J never rises"
    assert ax.get_xlabel() == "iteration (0 = start)"
    plt.close(ax.figure)
