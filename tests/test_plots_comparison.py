"""Notebook 6's pictures, checked on what they drew (nbval does not compare images): the points
of each cluster and of the noise, the legends' counts, the eps and cut lines, the circled
lowest criteria, and the bars of the comparison, against values worked by hand or SciPy's own
cut of the tree."""

import itertools

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.markers import MarkerStyle
from scipy.cluster.hierarchy import fcluster, linkage

from segmentation.cluster.compare import (
    AGREEMENT,
    CLUSTERS,
    DAVIES_BOULDIN,
    FIT_TIME,
    NOISE_SHARE,
    SILHOUETTE,
    STABILITY,
)
from segmentation.viz.comparison import (
    NOISE_COLOUR,
    draw_partition,
    plot_comparison,
    plot_dendrogram,
    plot_information_criteria,
    plot_k_distances,
    plot_partitions,
)
from segmentation.viz.plots import CLUSTER_COLOURS

POINTS = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [6.0, 5.0], [9.0, 0.0]])
LABELS = np.array([0, 0, 1, 1, -1])


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_draw_partition_draws_each_cluster_and_the_noise_apart():
    _, ax = plt.subplots()
    draw_partition(ax, POINTS, LABELS, title="t", axis_names=("x", "y"))
    first, second, noise = ax.collections
    assert first.get_offsets().tolist() == [[0.0, 0.0], [1.0, 0.0]]
    assert second.get_offsets().tolist() == [[5.0, 5.0], [6.0, 5.0]]
    assert noise.get_offsets().tolist() == [[9.0, 0.0]]
    assert np.allclose(first.get_facecolor()[0][:3], CLUSTER_COLOURS[0])
    assert np.allclose(second.get_facecolor()[0][:3], CLUSTER_COLOURS[1])
    assert mcolors.to_hex(noise.get_facecolor()[0]) == NOISE_COLOUR
    assert legend_texts(ax) == ["cluster 0 (2)", "cluster 1 (2)", "noise (1)"]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("t", "x", "y")


def drawn_marker(collection):
    """The marker a scatter drew, found by comparing its path with each marker's."""
    vertices = collection.get_paths()[0].vertices
    for marker in ("o", "s", "^", "v", "D", "x"):
        style = MarkerStyle(marker)
        path = style.get_path().transformed(style.get_transform())
        if path.vertices.shape == vertices.shape and np.allclose(path.vertices, vertices):
            return marker
    return None


def test_no_cluster_is_drawn_in_grey_and_the_first_45_each_look_different():
    """Noise is grey; tab10's eighth colour is grey too, so a cluster never gets it. Past the
    colours, the marker changes: up to 45 clusters, no two look alike."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(-1, 60), 2)
    _, ax = plt.subplots()
    draw_partition(ax, rng.normal(size=(len(labels), 2)), labels)
    *clusters, noise = ax.collections
    assert len(clusters) == 60
    looks = []
    for collection in clusters:
        r, g, b, _ = collection.get_facecolor()[0]
        assert max(r, g, b) - min(r, g, b) > 0.1, (r, g, b)  # grey has r = g = b
        looks.append((mcolors.to_hex((r, g, b)), drawn_marker(collection)))
    assert None not in {marker for _, marker in looks} and "x" not in {m for _, m in looks}
    assert len(set(looks[:45])) == 45
    # clusters 0 to 6 keep the colour they have in every other picture of the course
    for j in range(7):
        assert looks[j] == (mcolors.to_hex(CLUSTER_COLOURS[j]), "o")
    assert drawn_marker(noise) == "x" and mcolors.to_hex(noise.get_facecolor()[0]) == NOISE_COLOUR
    assert noise.get_zorder() < min(c.get_zorder() for c in clusters)  # beneath the clusters


def test_draw_partition_without_noise_has_no_noise_entry():
    _, ax = plt.subplots()
    draw_partition(ax, POINTS, [0, 0, 0, 1, 1])
    assert legend_texts(ax) == ["cluster 0 (3)", "cluster 1 (2)"]


@pytest.mark.parametrize(
    "points, labels", [(POINTS, LABELS[:3]), (POINTS[:, :1], LABELS), (np.zeros(5), LABELS)]
)
def test_draw_partition_refuses_mismatched_shapes(points, labels):
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="one row of two coordinates per sample"):
        draw_partition(ax, points, labels)


def test_plot_partitions_draws_one_picture_per_partition_on_the_same_points():
    partitions = {"a": LABELS, "b": [0, 0, 0, 0, 0], "c": [-1] * 5}
    fig = plot_partitions(POINTS, partitions, axis_names=("PC 1", "PC 2"), ncols=2, title="T")
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == ["a", "b", "c"]
    assert len(fig.axes) == 4 and not fig.axes[3].get_visible()  # a 2 x 2 grid, one empty
    for ax in shown:
        drawn = np.vstack([c.get_offsets() for c in ax.collections])
        assert sorted(map(tuple, drawn)) == sorted(map(tuple, POINTS))
        assert ax.get_xlabel() == "PC 1"
    assert legend_texts(shown[2]) == ["noise (5)"]
    assert fig._suptitle.get_text() == "T"
    with pytest.raises(ValueError, match="partitions is empty"):
        plot_partitions(POINTS, {})


def display_points(ax, xy):
    return ax.transData.transform(np.asarray(xy, dtype=float))


def inside(box, xy, margin=1.0):
    """Which display points lie in ``box`` (a Bbox in pixels), a pixel's margin included."""
    return (
        (xy[:, 0] >= box.x0 - margin)
        & (xy[:, 0] <= box.x1 + margin)
        & (xy[:, 1] >= box.y0 - margin)
        & (xy[:, 1] <= box.y1 + margin)
    )


def test_the_partition_legends_cover_no_point_no_axis_name_and_no_other_picture():
    """Points fill every corner of each picture, so a legend anywhere on the axes would cover
    some; eight entries (the moons' DBSCAN: seven pieces and noise) make the legend tall."""
    corners = np.array([[x, y] for x in np.linspace(0, 1, 21) for y in np.linspace(0, 1, 21)])
    many = np.arange(len(corners)) % 8 - 1  # noise and clusters 0 to 6
    partitions = {"eight entries": many, "two": corners[:, 0] > 0.5, "one": np.zeros(441, int)}
    fig = plot_partitions(corners, partitions, ncols=2, size=3.4)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    shown = [ax for ax in fig.axes if ax.get_visible()]
    for ax in shown:
        legend = ax.get_legend()
        box = legend.get_window_extent(renderer)
        assert not inside(box, display_points(ax, corners)).any(), ax.get_title()
        assert not box.overlaps(ax.xaxis.label.get_window_extent(renderer))
        for label in ax.get_xticklabels():
            assert not box.overlaps(label.get_window_extent(renderer))
        assert box.y1 < ax.bbox.y0  # under the picture
        assert fig.bbox.contains(box.x0, box.y0) and fig.bbox.contains(box.x1, box.y1)
        for other in shown:
            if other is not ax:
                assert not box.overlaps(other.bbox), (ax.get_title(), other.get_title())
        assert min(t.get_fontsize() for t in legend.get_texts()) >= 7
    assert len(legend_texts(shown[0])) == 8


def test_plot_k_distances_sorts_the_curve_and_draws_eps():
    ax = plot_k_distances([3.0, 0.5, 2.0, 1.0], min_samples=4, eps=1.5)
    curve, line = ax.get_lines()
    assert curve.get_ydata().tolist() == [0.5, 1.0, 2.0, 3.0]
    assert list(line.get_ydata()) == [1.5, 1.5]
    assert legend_texts(ax)[1] == "eps = 1.50 (2 above)"  # 2.0 and 3.0
    assert ax.get_ylabel() == "distance to neighbour 4"
    assert "min_samples = 4" in ax.get_title()


CRITERIA = pd.DataFrame(
    {
        "covariance": ["full"] * 3 + ["diag"] * 3,
        "components": [1, 2, 3] * 2,
        "BIC": [10.0, 8.0, 9.0, 20.0, 19.0, 18.0],
        "AIC": [9.0, 6.0, 5.0, 19.0, 17.0, 18.5],
    }
)


def test_plot_information_criteria_circles_each_lowest():
    fig = plot_information_criteria(CRITERIA)
    full, diag = fig.axes
    assert (full.get_title(), diag.get_title()) == ("full covariance", "diag covariance")
    bic, aic = full.get_lines()
    assert bic.get_ydata().tolist() == [10.0, 8.0, 9.0]
    assert aic.get_ydata().tolist() == [9.0, 6.0, 5.0]
    # by hand: full's BIC lowest at 2 (8.0), AIC at 3 (5.0); diag's BIC at 3, AIC at 2
    circled = [c.get_offsets().tolist()[0] for c in full.collections]
    assert circled == [[2.0, 8.0], [3.0, 5.0]]
    circled = [c.get_offsets().tolist()[0] for c in diag.collections]
    assert circled == [[3.0, 18.0], [2.0, 17.0]]
    assert legend_texts(full) == ["BIC", "AIC"]
    with pytest.raises(ValueError, match="lacks the columns"):
        plot_information_criteria(CRITERIA.drop(columns="AIC"))


def test_plot_dendrogram_draws_the_cut_and_counts_the_clusters_it_leaves():
    X = np.array([[0.0], [1.0], [10.0], [11.0], [30.0]])
    merges = linkage(X, "single")  # heights 1, 1, 9, 19, worked by hand
    assert merges[:, 2].tolist() == [1.0, 1.0, 9.0, 19.0]
    ax = plot_dendrogram(merges, cut=5.0, title="single")
    cut = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(cut) == 1 and list(cut[0].get_ydata()) == [5.0, 5.0]
    assert len(np.unique(fcluster(merges, 5.0, criterion="distance"))) == 3
    assert legend_texts(ax) == ["cut at 5.00: 3 clusters"]
    assert ax.get_title() == "single"
    # the joints drawn: one per merge, at its height
    tops = sorted(
        max(path[:, 1]) for coll in ax.collections for path in coll.get_segments() if len(path)
    )
    assert tops == [1.0, 1.0, 9.0, 19.0]


def test_the_dendrogram_legend_sits_above_the_tree():
    """The last merge joins two halves of four leaves each: its bar spans the picture's top,
    from the middle of the left half to the middle of the right one, where the legend would sit
    on it without room above the tree."""
    X = np.array([[0.0], [1.0], [10.0], [11.0], [40.0], [41.0], [50.0], [51.0]])
    merges = linkage(X, "single")
    assert merges[:, 2].tolist() == [1.0, 1.0, 1.0, 1.0, 9.0, 9.0, 29.0]  # by hand
    ax = plot_dendrogram(merges, cut=5.0)
    ax.figure.canvas.draw()
    box = ax.get_legend().get_window_extent()
    steps = np.linspace(0, 1, 200)[:, np.newaxis]
    for collection in ax.collections:
        for segment in collection.get_segments():
            for start, end in itertools.pairwise(segment):
                along = display_points(ax, start + steps * (end - start))
                assert not inside(box, along).any(), (start, end)


TABLE = pd.DataFrame(
    {
        CLUSTERS: [3, 1],
        NOISE_SHARE: [0.0, 0.06],
        SILHOUETTE: [0.26, np.nan],
        DAVIES_BOULDIN: [1.34, np.nan],
        AGREEMENT: [0.36, -0.02],
        STABILITY: [0.69, 0.91],
        FIT_TIME: [0.01, 0.0],
    },
    index=pd.Index(["k-means", "DBSCAN"], name="algorithm"),
)


def test_plot_comparison_draws_one_bar_per_algorithm_and_marks_undefined_scores():
    fig = plot_comparison(TABLE)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == [
        "clusters found",
        "share marked noise",
        "silhouette (higher is better)",
        "Davies-Bouldin (lower is better)",
        "agreement with Channel (ARI)",
        "stability (mean ARI)",
    ]
    for ax, column in zip(shown, TABLE.columns[:6], strict=True):
        widths = [bar.get_width() for bar in ax.patches]
        assert widths == pytest.approx(TABLE[column].fillna(0).tolist())
        texts = [t.get_text() for t in ax.texts]
        expected = ["–" if np.isnan(v) else f"{v:g}" for v in TABLE[column]]
        assert texts == expected
    # the names at the left of each row of pictures only
    assert [t.get_text() for t in shown[0].get_yticklabels()] == ["k-means", "DBSCAN"]
    assert [t.get_text() for t in shown[1].get_yticklabels()] == ["", ""]
    assert "fit time" not in " ".join(ax.get_title() for ax in shown)


def test_plot_comparison_refuses_a_table_without_the_scores():
    with pytest.raises(ValueError, match="lacks the columns"):
        plot_comparison(TABLE.drop(columns=STABILITY))
