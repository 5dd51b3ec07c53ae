"""Notebook 8's RFM pictures, checked on what they drew (nbval does not compare images): the
cells and labels of the retention heatmap, the names and counts of the segment map, the bars
of the segment sizes."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from segmentation.rfm.scores import SEGMENT_ORDER, rfm_segments, segment_sizes
from segmentation.viz.rfm import plot_cohort_retention, plot_segment_map, plot_segment_sizes


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


RETENTION = pd.DataFrame(
    [[1.0, 0.5, 0.0, 0.25], [1.0, 0.75, 0.2, np.nan]],
    index=pd.Index(["2024-01", "2024-02"], name="cohort"),
    columns=pd.Index([0, 1, 2, 3], name="periods since first purchase"),
)


def test_cohort_heatmap_shows_each_cell_and_leaves_unseen_cells_blank():
    ax = plot_cohort_retention(RETENTION)
    image = ax.get_images()[0].get_array()
    np.testing.assert_array_equal(image.data[~image.mask], [1.0, 0.5, 0.0, 0.25, 1.0, 0.75, 0.2])
    assert image.mask.tolist() == [[False] * 4, [False, False, False, True]]
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["100%", "50%", "0%", "25%", "100%", "75%", "20%"]
    assert ax.get_xlabel() == "periods since first purchase"
    assert ax.get_ylabel() == "cohort (first purchase)"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2024-01", "2024-02"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2", "3"]


def test_cohort_heatmap_colours_up_to_the_largest_share_after_the_first_period():
    ax = plot_cohort_retention(RETENTION)
    image = ax.get_images()[0]
    assert image.get_clim() == (0.0, 0.75)  # 75%: the largest share after period 0
    colour_bar = ax.figure.axes[-1]
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in colour_bar.get_yticklabels() if t.get_text()]
    assert ticks and all(t.endswith("%") for t in ticks)  # in percent, as the cells are
    flat = pd.DataFrame({0: [1.0], 1: [0.0]})  # nobody came back: the scale stays 0 to 1
    assert plot_cohort_retention(flat).get_images()[0].get_clim() == (0.0, 1.0)


def test_cohort_heatmap_draws_on_the_given_axes():
    _, ax = plt.subplots()
    assert plot_cohort_retention(RETENTION, ax=ax) is ax


def test_segment_map_names_every_cell_with_its_count():
    scores = pd.DataFrame({"R": [5, 5, 5, 1, 3], "FM": [5, 5, 4, 1, 3]})
    ax = plot_segment_map(scores)
    cells = {(t.get_position()): t.get_text() for t in ax.texts}
    assert len(cells) == 25
    assert cells[(5, 5)] == "Champions\n2"
    assert cells[(5, 4)] == "Champions\n1"
    assert cells[(1, 1)] == "Lost\n1"
    assert cells[(3, 3)] == "Need attention\n1"
    assert cells[(2, 5)] == "Can't lose them\n0"
    assert ax.get_xlabel().startswith("R score")
    assert ax.get_ylabel().startswith("FM score")


def test_segment_sizes_bars_best_segment_on_top():
    sizes = segment_sizes(rfm_segments(pd.DataFrame({"R": [5, 5, 1], "FM": [5, 4, 1]})))
    ax = plot_segment_sizes(sizes)
    bars = ax.patches
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == list(SEGMENT_ORDER)[::-1]
    widths = dict(zip(labels, [b.get_width() for b in bars], strict=True))
    assert widths["Champions"] == 2
    assert widths["Lost"] == 1
    assert widths["At risk"] == 0
