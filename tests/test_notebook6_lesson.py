"""The code notebook 6 writes out (cells tagged ``lesson``) agrees with the library and with
independent oracles.

k-prototypes and k-modes, written in plain NumPy in the notebook, are run against the
library's ``KPrototypes`` and ``KModes`` from the same starting prototypes (the same labels,
prototypes, cost and iterations), on the course data and on small random data. The helpers
that choose parameters are checked against brute force: the k-distances against all pairwise
distances, the knee against the geometric distance to the chord, the dendrogram cut against
SciPy's own cut of the tree.
"""

from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import cdist

from segmentation.cluster.kprototypes import KModes, KPrototypes, column_modes, default_gamma
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import load_customers
from segmentation.preprocessing.spending import spending, spending_scaler
from segmentation.viz.clusterers import eps_at_knee

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "06_other_clusterers.ipynb"


@pytest.fixture(scope="module")
def lesson():
    """The notebook's lesson cells, run in a fresh namespace."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    namespace: dict = {"np": np}
    for cell in notebook.cells:
        if cell.cell_type == "code" and "lesson" in cell.metadata.get("tags", []):
            exec(cell.source, namespace)
    return SimpleNamespace(**namespace)


@pytest.fixture(scope="module")
def course():
    customers = load_customers()
    X = spending_scaler("log").fit_transform(spending(customers))
    categories = customers[["Channel", "Region"]].astype(str).to_numpy()
    mixed = pd.DataFrame(X, columns=SPENDING_COLUMNS).assign(
        Channel=categories[:, 0], Region=categories[:, 1]
    )
    return SimpleNamespace(X=X, categories=categories, mixed=mixed)


def test_the_lesson_defines_the_functions_the_text_uses(lesson):
    for name in (
        "cut_at_largest_gap",
        "k_distances",
        "knee",
        "matching_distance",
        "mode_of",
        "mixed_distances",
        "update_prototypes",
        "k_prototypes",
    ):
        assert callable(getattr(lesson, name)), name


def test_matching_distance_by_hand(lesson):
    rows = np.array([["a", "x"], ["b", "x"], ["b", "y"]])
    modes = np.array([["a", "x"], ["b", "y"]])
    assert lesson.matching_distance(rows, modes).tolist() == [[0, 2], [1, 1], [2, 0]]


@pytest.mark.parametrize(
    "column, expected",
    [
        (["Oporto", "Lisbon", "Oporto", "Lisbon"], "Lisbon"),  # a tie: the smallest
        (["Retail", "Horeca", "Retail"], "Retail"),
        (["z"], "z"),
    ],
)
def test_mode_of_by_hand_and_as_the_library(lesson, column, expected):
    assert lesson.mode_of(np.array(column)) == expected
    assert column_modes(np.array(column)[:, None])[0] == expected


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("gamma", [None, 0.0, 2.0, 8.0])
def test_k_prototypes_matches_the_library_on_the_course_data(lesson, course, seed, gamma):
    start = np.random.default_rng(seed).choice(len(course.X), size=3, replace=False)
    weight = default_gamma(course.X) if gamma is None else gamma
    labels, means, modes, cost, n_iter = lesson.k_prototypes(
        course.X, course.categories, course.X[start], course.categories[start], weight
    )
    library = KPrototypes(
        3, categorical=["Channel", "Region"], gamma=gamma, init=course.mixed.iloc[start]
    ).fit(course.mixed)
    assert library.gamma_ == pytest.approx(weight)
    assert (labels == library.labels_).all()
    assert np.allclose(library.cluster_centers_[:, :6].astype(float), means, rtol=0, atol=1e-9)
    assert (library.cluster_centers_[:, 6:] == modes).all()
    assert cost == pytest.approx(library.cost_, rel=1e-12)
    assert n_iter == library.n_iter_


@pytest.mark.parametrize("seed", range(6))
def test_k_prototypes_matches_the_library_on_small_random_data(lesson, seed):
    rng = np.random.default_rng(seed)
    numbers = np.vstack([rng.normal(0, 1, (15, 2)), rng.normal(4, 1, (15, 2))])
    categories = rng.choice(np.array(["p", "q", "r"]), size=(30, 2))
    start = rng.choice(30, size=2, replace=False)
    labels, means, modes, cost, n_iter = lesson.k_prototypes(
        numbers, categories, numbers[start], categories[start], 1.5
    )
    table = np.column_stack([numbers.astype(object), categories])
    library = KPrototypes(2, categorical=[2, 3], gamma=1.5, init=table[start]).fit(table)
    assert (labels == library.labels_).all()
    assert (library.cluster_centers_[:, 2:] == modes).all()
    assert cost == pytest.approx(library.cost_)
    assert n_iter == library.n_iter_
    # the cost is the sum of each sample's distance to its own prototype, recomputed apart
    own = ((numbers - means[labels]) ** 2).sum(axis=1) + 1.5 * (categories != modes[labels]).sum(
        axis=1
    )
    assert cost == pytest.approx(own.sum())


@pytest.mark.parametrize("seed", range(5))
def test_k_modes_matches_the_library(lesson, course, seed):
    # three different combinations of Channel and Region to start from (two equal ones would
    # leave a cluster empty, which the notebook's loop leaves to the library)
    combinations = np.unique(course.categories.astype(str), axis=0)
    start = combinations[np.random.default_rng(seed).choice(len(combinations), 3, replace=False)]
    no_numbers = np.empty((len(course.categories), 0))
    labels, _, modes, cost, n_iter = lesson.k_prototypes(
        no_numbers, course.categories, np.empty((3, 0)), start, gamma=1.0
    )
    library = KModes(3, init=start).fit(course.categories)
    assert (labels == library.labels_).all()
    assert (library.cluster_centers_ == modes).all()
    assert (cost, n_iter) == (library.cost_, library.n_iter_)
    # the cost counts mismatches, recounted by hand
    assert cost == (course.categories != modes[labels]).sum()


def test_k_distances_against_all_pairwise_distances(lesson):
    X = np.random.default_rng(0).normal(size=(40, 3))
    pairwise = np.sort(cdist(X, X), axis=1)  # column 0 is each point itself
    for min_samples in (1, 4, 12):
        assert np.allclose(lesson.k_distances(X, min_samples), pairwise[:, min_samples - 1])


def test_knee_is_the_point_farthest_from_the_chord(lesson):
    rng = np.random.default_rng(1)
    for _ in range(20):
        values = np.cumsum(rng.exponential(size=50)) ** 2
        y = np.sort(values)
        ends = np.array([[0.0, y[0]], [len(y) - 1.0, y[-1]]])
        direction = (ends[1] - ends[0]) / np.linalg.norm(ends[1] - ends[0])
        points = np.column_stack([np.arange(len(y)), y]) - ends[0]
        away = np.abs(points[:, 0] * direction[1] - points[:, 1] * direction[0])
        assert lesson.knee(values) == y[away.argmax()]
        # whatever the units of the axes: the same point on the curve
        assert lesson.knee(1000 * values) == pytest.approx(1000 * lesson.knee(values))


def test_a_hockey_stick_has_its_knee_at_the_bend(lesson):
    values = np.concatenate([np.linspace(1.0, 1.2, 90), np.linspace(2.0, 10.0, 10)])
    assert lesson.knee(values) == pytest.approx(1.2)


@pytest.mark.parametrize("seed", range(4))
def test_the_widgets_eps_is_the_lessons_knee(lesson, course, seed):
    """The clusterer widget starts DBSCAN at the knee the notebook computes, by the same rule."""
    data = [course.X, np.random.default_rng(seed).normal(size=(200, 2))][seed > 0]
    min_samples = 2 * data.shape[1]
    expected = round(float(lesson.knee(lesson.k_distances(data, min_samples))), 2)
    assert eps_at_knee(data, min_samples) == expected


@pytest.mark.parametrize("method", ["ward", "average", "single"])
def test_the_cut_at_the_largest_gap_leaves_the_clusters_scipy_finds(lesson, method):
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(c, 0.3, (20, 2)) for c in ((0, 0), (6, 0), (3, 5))])
    merges = linkage(X, method)
    k, cut = lesson.cut_at_largest_gap(merges[:, 2])
    assert k == 3  # three groups far apart: the largest gap leaves them
    assert len(np.unique(fcluster(merges, cut, criterion="distance"))) == k
