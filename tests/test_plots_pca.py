"""Notebook 4's helpers: the PCA view (checked on what it drew), the elbow and the best
silhouette on tables too short to have them, the data of its weaknesses (outliers, unscaled
features, background noise), its side-by-side profiles of k = 2 and k = 3, and its pictures
measured for readability (tick labels apart, an inset and legends that hide nothing).

Oracles: the eigenvalues and eigenvectors of the covariance matrix (``np.linalg.eigh``) for
the principal components, small examples worked by hand, and properties."""

import itertools
import re
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score

from segmentation.cluster.choosing import best_silhouette, elbow, profiles_by_k, segment_with_k
from segmentation.cluster.kmeans import KMeans
from segmentation.course.toy_data import (
    groups_with_noise,
    groups_with_outliers,
    moons,
    unequal_groups,
    unscaled_groups,
)
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.preprocessing.spending import log_spending, total_spending
from segmentation.viz.plots import CLUSTER_COLOURS, plot_clusters, plot_k_scores, plot_pca


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def eigen(X):
    """Variances along the principal axes, largest first, and the axes (as columns)."""
    values, vectors = np.linalg.eigh(np.cov(X, rowvar=False))
    order = np.argsort(values)[::-1]
    return values[order], vectors[:, order]


def notebook_4_text():
    """The prose of notebook 4 (its markdown cells), with line breaks read as spaces."""
    path = Path(__file__).resolve().parent.parent / "notebooks" / "04_choosing_k.ipynb"
    cells = nbformat.read(path, as_version=4).cells
    return " ".join(" ".join(c.source.split()) for c in cells if c.cell_type == "markdown")


def assert_equal_up_to_sign(drawn, expected):
    """Each principal axis is defined up to its sign: compare column by column."""
    for j in range(expected.shape[1]):
        sign = np.sign(drawn[:, j] @ expected[:, j])
        np.testing.assert_allclose(drawn[:, j], sign * expected[:, j], atol=1e-9)


# --- the PCA view ---------------------------------------------------------------------------


def test_plot_pca_on_a_cross_worked_by_hand():
    """Four points on two axes: variance 8/3 along x, 2/3 along y (n - 1 = 3), so the first
    component explains 80% and lies along x; the scores are the coordinates themselves."""
    X = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, -1.0], [0.0, 1.0]])
    fig = plot_pca(X, {"two groups": [0, 0, 1, 1]})
    variance, points = fig.axes[0], fig.axes[1]
    np.testing.assert_allclose([bar.get_height() for bar in variance.patches], [80.0, 20.0])
    np.testing.assert_allclose(variance.lines[0].get_ydata(), [80.0, 100.0])
    drawn = np.vstack([points.collections[0].get_offsets(), points.collections[1].get_offsets()])
    assert_equal_up_to_sign(drawn, X)
    assert points.get_xlabel() == "PC 1 (80% of the variance)"
    assert points.get_title() == "two groups"


def test_plot_pca_shows_the_variance_each_component_explains(scaled):
    values, _ = eigen(scaled)
    share = 100 * values / values.sum()
    fig = plot_pca(scaled, {"k = 2": segment_with_k(scaled, 2).labels})
    left = fig.axes[0]
    np.testing.assert_allclose([bar.get_height() for bar in left.patches], share)
    np.testing.assert_allclose(left.lines[0].get_ydata(), np.cumsum(share))
    assert [bar.get_x() + bar.get_width() / 2 for bar in left.patches] == [1, 2, 3, 4, 5, 6]
    assert left.get_title() == f"Two components keep {share[:2].sum():.0f}% of the variance"
    # notebook 4's text says what the picture shows
    assert f"two components keep {share[:2].sum():.0f}% of the variance" in notebook_4_text()
    assert [t.get_text() for t in left.get_legend().get_texts()] == [
        "running total",
        "each component",
    ]


def test_plot_pca_draws_each_segment_on_the_first_two_components(scaled):
    values, vectors = eigen(scaled)
    projection = (scaled - scaled.mean(axis=0)) @ vectors[:, :2]
    segmentations = {f"k = {k}": segment_with_k(scaled, k).labels for k in (2, 3)}
    fig = plot_pca(scaled, segmentations)
    assert len(fig.axes) == 3
    for ax, (title, labels) in zip(fig.axes[1:], segmentations.items(), strict=True):
        k = labels.max() + 1
        assert ax.get_title() == title
        share = 100 * values / values.sum()
        assert ax.get_xlabel() == f"PC 1 ({share[0]:.0f}% of the variance)"
        assert ax.get_ylabel() == f"PC 2 ({share[1]:.0f}% of the variance)"
        *segments, centres = ax.collections
        assert len(segments) == k
        drawn = np.vstack([s.get_offsets() for s in segments])
        assert_equal_up_to_sign(drawn, np.vstack([projection[labels == j] for j in range(k)]))
        signs = np.sign(
            np.sum(drawn * np.vstack([projection[labels == j] for j in range(k)]), axis=0)
        )
        means = np.array([projection[labels == j].mean(axis=0) for j in range(k)]) * signs
        np.testing.assert_allclose(centres.get_offsets(), means, atol=1e-9)
        for j, segment in enumerate(segments):
            np.testing.assert_allclose(segment.get_facecolor()[0][:3], CLUSTER_COLOURS[j])
        # the course's numbered segments, and their means (the text: "each segment's mean")
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            *(f"segment {j}" for j in range(k)),
            "segment means",
        ]


def test_plot_pca_needs_two_features():
    with pytest.raises(ValueError, match="at least two features"):
        plot_pca(np.arange(5.0)[:, None], {"one": [0, 0, 1, 1, 1]})


# --- the elbow and the best silhouette ------------------------------------------------------


def test_elbow_reads_k_in_order_and_needs_three_in_a_row():
    """Worked by hand: J = 100, 40, 30, 25 falls by 60, 10, 5; the rate drops most at k = 2."""
    table = pd.DataFrame(
        {"k": [1, 2, 3, 4], "J": [100.0, 40, 30, 25], "silhouette": [np.nan, 0.3, 0.5, 0.4]}
    )
    assert elbow(table) == 2
    assert elbow(table.iloc[::-1]) == 2  # rows in any order
    assert elbow(table.assign(k=[2, 3, 4, 5])) == 3  # the k, not the row
    for short in (table.head(2), table.head(1), table.iloc[[0, 1, 3]], table.iloc[:0]):
        with pytest.raises(ValueError, match="three values of k in a row"):
            elbow(short)


def test_best_silhouette_needs_a_silhouette():
    table = pd.DataFrame({"k": [1, 2, 3], "J": [9.0, 4, 3], "silhouette": [np.nan, 0.3, 0.5]})
    assert best_silhouette(table) == 3
    assert best_silhouette(table.head(2)) == 2
    for empty in (table.head(1), table.assign(silhouette=np.nan)):
        with pytest.raises(ValueError, match="no silhouette"):
            best_silhouette(empty)


# --- outliers and unscaled features: what notebook 4 prints -----------------------------------


def test_outliers_removed_or_given_a_cluster_of_their_own():
    """Notebook 4's two cures, each an exact match with the true groups (ARI 1.00)."""
    X, truth = groups_with_outliers()
    groups = truth < 3
    assert groups.sum() == 150 and (~groups).sum() == 3
    removed = KMeans(3, n_init=10, random_state=0).fit(X[groups])
    assert adjusted_rand_score(truth[groups], removed.labels_) == pytest.approx(1.0)
    one_more = KMeans(4, n_init=10, random_state=0).fit(X)
    assert adjusted_rand_score(truth, one_more.labels_) == pytest.approx(1.0)
    assert adjusted_rand_score(truth, KMeans(3, n_init=10, random_state=0).fit(X).labels_) < 0.7


def test_unscaled_groups_spread_about_400_times_wider_on_the_first_feature():
    """The second feature: spread 0.5 within each group and groups 5 apart, so its variance
    is 0.25 + (5 / 2)^2 = 6.5 (within plus between), a standard deviation of about 2.55;
    the first has 1,000. Notebook 4 says "about 400 times"."""
    X, group = unscaled_groups()
    spread = X.std(axis=0)
    assert spread[1] == pytest.approx(np.sqrt(6.5), rel=0.05)
    assert spread[0] == pytest.approx(1000, rel=0.05)
    assert 350 < spread[0] / spread[1] < 450
    assert X[group == 0, 1].std() == pytest.approx(0.5, rel=0.15)


# --- noise ----------------------------------------------------------------------------------


def test_groups_with_noise_shape_and_seed():
    X, truth = groups_with_noise()
    assert X.shape == (210, 2) and truth.shape == (210,)
    assert np.bincount(truth + 1).tolist() == [60, 50, 50, 50]  # noise (-1), groups 0 to 2
    again, _ = groups_with_noise(random_state=0)
    np.testing.assert_array_equal(X, again)
    assert not np.allclose(X, groups_with_noise(random_state=1)[0])
    clean, clean_truth = groups_with_noise(noise=0)
    np.testing.assert_array_equal(clean, X[truth >= 0])  # the same groups
    np.testing.assert_array_equal(clean_truth, truth[truth >= 0])
    noise = X[truth == -1]
    assert (np.abs(noise - [2.0, 1.2]) <= 16).all()  # inside the square
    assert noise.std(axis=0).min() > 5 > X[truth >= 0].std(axis=0).max()  # thin, wide


@settings(max_examples=12)
@given(st.integers(0, 2**31 - 1))
def test_noise_lowers_the_agreement_of_k_means_with_the_groups(seed):
    """Whatever the seed of the data: k-means finds the three groups without the noise, and
    loses them (ARI on the group members) and moves its centres off them with the noise."""
    X, truth = groups_with_noise(random_state=seed)
    members = truth >= 0
    means = np.array([X[truth == g].mean(axis=0) for g in range(3)])
    scores, gaps = [], []
    for rows in (members, np.ones(len(X), dtype=bool)):
        fit = KMeans(3, n_init=10, random_state=0).fit(X[rows])
        scores.append(adjusted_rand_score(truth[members], fit.predict(X[members])))
        gaps.append(
            np.linalg.norm(means[:, None] - fit.cluster_centers_[None], axis=2).min(axis=1).max()
        )
    clean, noisy = scores
    assert clean > 0.9 and noisy < clean - 0.4
    assert gaps[0] < 0.5 < 1.0 < gaps[1]


# --- k = 2 and k = 3 side by side -----------------------------------------------------------


def test_profiles_by_k_on_customers_worked_by_hand():
    """Two small customers and two large ones, one of them Retail: k = 2 puts the large ones
    in segment 0 (largest mean total) and k = 1 puts everyone together."""
    spend = {"Fresh": [100, 120, 9_000, 11_000], "Milk": [100, 80, 10_000, 10_000]}
    spend |= {c: [10, 10, 1_000, 1_000] for c in SPENDING_COLUMNS if c not in spend}
    customers = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "Channel": ["Horeca", "Horeca", "Horeca", "Retail"],
            "Region": ["Other"] * 4,
            **spend,
        }
    )
    X = log_spending(customers).to_numpy()
    table = profiles_by_k(customers, X, [1, 2])
    assert table.index.tolist() == [(1, 0), (2, 0), (2, 1)]
    assert table.columns.tolist() == ["customers", "mean total", *SPENDING_COLUMNS, "% Retail"]
    assert table["customers"].tolist() == [4, 2, 2]
    # totals: 240, 240, 23,000, 25,000
    assert table["mean total"].tolist() == [12_120.0, 24_000.0, 240.0]
    assert table.loc[(2, 0), "Fresh"] == 10_000 and table.loc[(2, 1), "Milk"] == 90
    assert table["% Retail"].tolist() == [25.0, 50.0, 0.0]


def test_profiles_by_k_on_the_course_data(customers, scaled):
    table = profiles_by_k(customers, scaled, [2, 3])
    totals = total_spending(customers)
    retail_share = 100 * (customers["Channel"] == "Retail").mean()
    for k in (2, 3):
        rows = table.loc[k]
        assert rows.index.tolist() == list(range(k)) and rows["customers"].sum() == 440
        assert rows["mean total"].is_monotonic_decreasing  # segment 0 spends most
        # the segments' means, weighted by size, give back the mean over all customers
        weights = rows["customers"] / 440
        assert (weights * rows["mean total"]).sum() == pytest.approx(totals.mean(), abs=1)
        assert (weights * rows["% Retail"]).sum() == pytest.approx(retail_share, abs=0.5)
    # notebook 4's text describes each segment with its size, k = 2 first (the sizes it
    # states later are of groups within them): they must be the table's
    stated = re.findall(r"[Ss]egment (\d) \((\d+) customers", notebook_4_text())[:5]
    sizes = {(2 + (i >= 2), int(j)): int(n) for i, (j, n) in enumerate(stated)}
    assert sizes == {(k, j): n for (k, j), n in table["customers"].items()}


# --- notebook 4's pictures are readable: measured on what was drawn ---------------------------

#: Closer than this (in points, 1/72 inch), two tick labels read as one ("−3000−2000").
MIN_GAP = 5.0


def weakness_panels():
    """Notebook 4's four weaknesses side by side, laid out as the notebook lays them out."""
    cases = [
        (moons(), 2, None),
        (unequal_groups(), 2, None),
        (groups_with_outliers(), 3, (-2, 7.5, -2.5, 6.5)),
        (unscaled_groups(), 2, None),
    ]
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    for ax, ((data, _), k, zoom) in zip(axes, cases, strict=True):
        fit = KMeans(k, n_init=10, random_state=0).fit(data)
        plot_clusters(
            data,
            fit.labels_,
            fit.cluster_centers_,
            ax=ax,
            title="title\nARI",
            centre_size=80,
            zoom=zoom,
        )
    fig.tight_layout()
    return fig, axes


def noise_panels():
    """Notebook 4's noise picture: the same groups without and with background noise."""
    data, truth = groups_with_noise()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, rows in zip(axes, [truth >= 0, np.ones(len(data), dtype=bool)], strict=True):
        fit = KMeans(3, n_init=10, random_state=0).fit(data[rows])
        plot_clusters(
            data[rows],
            fit.labels_,
            fit.cluster_centers_,
            ax=ax,
            title="title\nARI",
            legend_outside=True,
        )
    fig.tight_layout()
    return fig, axes


def shown_tick_labels(axis):
    """The tick labels of ``axis`` that are drawn: with text, inside the view."""
    low, high = sorted(axis.get_view_interval())
    return [
        label
        for tick, label in zip(axis.get_majorticklocs(), axis.get_ticklabels(), strict=True)
        if label.get_text() and low <= tick <= high
    ]


def drawn_points(ax):
    """Every point of every collection on ``ax``, in pixels."""
    return np.vstack(
        [
            c.get_offset_transform().transform(c.get_offsets())
            for c in ax.collections
            if len(c.get_offsets())
        ]
    )


def inside(points, box):
    return ((points >= box.min) & (points <= box.max)).all(axis=1)


@pytest.mark.parametrize("dpi", [72, 100])
def test_the_weakness_panels_x_tick_labels_do_not_run_together(dpi):
    fig, axes = weakness_panels()
    fig.set_dpi(dpi)
    fig.canvas.draw()
    gap = MIN_GAP * dpi / 72
    for ax in axes:
        boxes = sorted(
            (label.get_window_extent() for label in shown_tick_labels(ax.xaxis)),
            key=lambda box: box.x0,
        )
        assert len(boxes) >= 3, ax.get_title()
        for left, right in itertools.pairwise(boxes):
            assert left.x1 + gap <= right.x0, (ax.get_title(), left, right)
    # the unscaled feature still spans its thousands: -2000 to 2000 at least
    ticks = [float(t.get_text().replace("−", "-")) for t in shown_tick_labels(axes[3].xaxis)]
    assert min(ticks) <= -2000 and max(ticks) >= 2000


@pytest.mark.parametrize("dpi", [72, 100])
def test_the_outliers_inset_has_readable_ticks_inside_the_main_picture(dpi):
    """The student saw the inset's tick labels tiny, and its lowest one on the main picture's
    bottom edge: each must now be of the tick font of a legend (8 points) or more, lie inside
    the main picture and touch none of the main picture's tick labels."""
    fig, axes = weakness_panels()
    fig.set_dpi(dpi)
    fig.canvas.draw()
    main = axes[2]
    (inset,) = main.child_axes
    frame = main.get_window_extent()
    labels = shown_tick_labels(inset.xaxis) + shown_tick_labels(inset.yaxis)
    assert len(labels) >= 6
    main_labels = [
        t.get_window_extent() for t in shown_tick_labels(main.xaxis) + shown_tick_labels(main.yaxis)
    ]
    for label in labels:
        box = label.get_window_extent()
        assert label.get_fontsize() >= 8
        assert frame.x0 < box.x0 and box.x1 < frame.x1 and frame.y0 < box.y0 and box.y1 < frame.y1
        assert not any(box.overlaps(other) for other in main_labels)
    # the inset, tick labels included, hides no point of the main picture, and no legend entry
    covered = inset.get_tightbbox()
    assert not inside(drawn_points(main), covered).any()
    assert not main.get_legend().get_window_extent().overlaps(covered)


@pytest.mark.parametrize("dpi", [72, 100])
def test_the_noise_legend_is_beside_the_picture_and_hides_no_point(dpi):
    """The student found a noise point at about (-11.1, 3.8) under the legend."""
    fig, axes = noise_panels()
    fig.set_dpi(dpi)
    fig.canvas.draw()
    figure = fig.bbox
    for ax in axes:
        legend = ax.get_legend().get_window_extent()
        assert not inside(drawn_points(ax), legend).any()
        assert legend.x0 >= ax.get_window_extent().x1  # right of the picture
        assert figure.x0 <= legend.x0 and legend.x1 <= figure.x1  # and not cut off
        assert not any(
            legend.overlaps(other.get_window_extent()) for other in axes if other is not ax
        )
    data, truth = groups_with_noise()
    assert np.isclose(data[truth == -1], [-11.1, 3.8], atol=0.1).all(axis=1).any()


def test_plot_k_scores_labels_every_k():
    """The student saw the J panel label only even k while the silhouette panel labelled
    every k."""
    table = pd.DataFrame(
        {
            "k": range(1, 11),
            "J": np.linspace(100, 10, 10),
            "silhouette": [np.nan, *np.linspace(0.3, 0.1, 9)],
        }
    )
    left, right = plot_k_scores(table).axes
    assert [t.get_text() for t in left.get_xticklabels()] == [str(k) for k in range(1, 11)]
    assert [t.get_text() for t in right.get_xticklabels()] == [str(k) for k in range(2, 11)]
