"""The HTML report: every sentence depends on the values it speaks of, every number says which
data it comes from, and the charts draw what the text says they draw."""

import html
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.model.naming import NAMING_INDEX
from segmentation.model.pipeline import SegmentationModel
from segmentation.report.html import _profile_figure, _scatter_figure, build_report, segment_summary

# The four new customers of notebook 5.
NEW = pd.DataFrame(
    {
        "id": ["N-001", "N-002", "N-003", "N-004"],
        "Channel": ["Retail", "Horeca", "Retail", "Horeca"],
        "Region": ["Lisbon", "Other", "Oporto", "Other"],
        "Fresh": [3000, 31000, 40000, 900],
        "Milk": [11000, 2500, 15000, 800],
        "Grocery": [24000, 3000, 20000, 1500],
        "Frozen": [600, 7000, 9000, 400],
        "Detergents_Paper": [10500, 300, 6000, 150],
        "Delicassen": [1400, 1100, 5000, 200],
    }
)


@pytest.fixture(scope="module")
def model(customers):
    return SegmentationModel(k=3).fit(customers, source="wholesale_customers.csv")


def text(page):
    """The page's body as a reader sees it: no tags, entities decoded, one space."""
    body = re.sub(r"</?b>", "", page[page.index("<main>") :])
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def nearest(model, table, customers):
    """Each row's nearest centre, scaled by hand as the course does (log(1 + x), then the
    training customers' mean and standard deviation)."""
    train = np.log1p(customers[list(SPENDING_COLUMNS)].to_numpy(dtype=float))
    values = np.log1p(table[list(SPENDING_COLUMNS)].to_numpy(dtype=float))
    scaled = (values - train.mean(axis=0)) / train.std(axis=0)
    return np.linalg.norm(scaled[:, None] - model.centres[None], axis=2).argmin(axis=1)


def test_a_small_new_file_is_reported_as_what_it_is(model, customers):
    by_hand = nearest(model, NEW, customers)
    assert by_hand.tolist() == [0, 2, 0, 2]  # segment 1 gets none of the four
    page = text(build_report(model, NEW, source="new_customers.csv", model_source="m.json"))
    assert (
        "4 customers of new_customers.csv, placed in the 3 segments of a model fitted on "
        "440 customers of wholesale_customers.csv. Segment 1 holds none of them."
    ) in page
    assert "fall into 3 segments" not in page
    # Each card: this file's numbers, then the training data's, each labelled.
    assert (
        "In new_customers.csv: 2 customers (50%); mean total 72,750 m.u. a year; 100% "
        "Retail customers. In the training data: 143 customers, 62% Retail."
    ) in page
    assert "In new_customers.csv: no customers. In the training data: 82 customers" in page
    assert "Mean annual spending (m.u.), customers of new_customers.csv" in page
    # The evaluation says which data each number comes from; four customers say nothing of
    # the channel, and the old fixed sentence is gone.
    assert (
        "From the training data (440 customers of wholesale_customers.csv), when the model "
        "was fitted: Separation: silhouette 0.259"
    ) in page
    assert (
        "From new_customers.csv (4 customers): Against the sales channel: only 4 customers "
        "with a known channel: too few to measure"
    ) in page
    assert "agreement 1.00" not in page and "separate customers by size" not in page


def test_the_training_data_is_reported_as_the_training_data(model, customers):
    page = text(build_report(model, customers, source="wholesale_customers.csv"))
    assert (
        "440 customers of wholesale_customers.csv, the data the model was fitted on, fall "
        "into its 3 segments"
    ) in page
    assert "In the training data" not in page  # one data set: no second label
    assert page.count("From wholesale_customers.csv (the training data):") == 1
    assert "143 customers (32%); mean total 53,479 m.u. a year; 62% Retail customers." in page
    # 0.36 = sklearn's adjusted Rand index of Channel against the segments found by hand.
    from sklearn.metrics import adjusted_rand_score

    ari = adjusted_rand_score(customers["Channel"], nearest(model, customers, customers))
    assert f"agreement {ari:.2f} with Horeca / Retail" in page and f"{ari:.2f}" == "0.36"
    assert "The segments follow the channel in part" in page
    assert (
        "refitting with 10 other seeds (each the best of 10 random starts, as the model was)"
    ) in page
    assert "weak structure, possibly artificial (on the border of no substantial structure)" in page


@pytest.mark.parametrize(
    "channel, words",
    [
        (
            "the segments",
            (
                "agreement 1.00 with Horeca / Retail (0 = no more than chance, 1 = the "
                "segments are the channels). The segments nearly are the sales channels"
            ),
        ),
        ("at random", "The segments have little to do with the channel"),
        (
            "all Retail",
            ("Against the sales channel: not measurable: these customers are all of one channel"),
        ),
    ],
)
def test_the_channel_sentence_follows_the_agreement(model, customers, channel, words):
    used = model
    if channel == "the segments":
        # A Channel that is segment 0 or not of a k = 2 model: agreement 1 by construction.
        used = SegmentationModel(k=2, evaluate=False).fit(customers)
        values = np.where(nearest(used, customers, customers) == 0, "Retail", "Horeca")
    elif channel == "at random":
        values = np.random.default_rng(0).choice(["Retail", "Horeca"], len(customers))
    else:
        values = np.full(len(customers), "Retail")
    page = text(build_report(used, customers.assign(Channel=values), source="other.csv"))
    assert words in page
    assert "say more than the channel alone" not in page


def test_the_summary_counts_retail_among_known_channels_only(model, customers):
    table = NEW.assign(Channel=["Retail", None, "Retail", "Horeca"])
    summary = segment_summary(model, table)
    # Segment 2 holds N-002 (channel unknown) and N-004 (Horeca): 0% Retail of one known.
    assert summary.loc[0, "Retail share"] == 1.0 and summary.loc[2, "Retail share"] == 0.0
    assert np.isnan(summary.loc[1, "Retail share"])


def test_the_share_chart_draws_the_average_and_the_naming_threshold(model, customers):
    summary = segment_summary(model, customers)
    figure = _profile_figure(model, summary, customers)
    right = figure.axes[1]
    lines = {
        round(line.get_ydata()[0], 6): line
        for line in right.lines
        if isinstance(line, Line2D) and line.get_ydata()[0] == line.get_ydata()[1]
    }
    assert set(lines) == {1.0, NAMING_INDEX}
    assert lines[1.0].get_linestyle() == "-" and lines[NAMING_INDEX].get_linestyle() == "--"
    (legend,) = figure.legends
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == [
        "segment 0",
        "segment 1",
        "segment 2",
        "1: the average share",
        "1.2: from here on, a segment's name names the category",
    ]
    # The bars are the share index: segment 1's detergents, by hand, 2.16.
    spending = customers[list(SPENDING_COLUMNS)].to_numpy(dtype=float)
    labels_by_hand = nearest(model, customers, customers)
    mine = spending[labels_by_hand == 1].sum(axis=0)
    index = (mine / mine.sum()) / (spending.sum(axis=0) / spending.sum())
    heights = [bar.get_height() for bar in right.patches]
    # (the chart starts from means rounded to whole m.u.: equal to 3 significant digits)
    assert heights[6 + 4] == pytest.approx(index[4], rel=1e-3) and round(index[4], 2) == 2.16


def test_the_map_legend_is_readable_and_covers_no_customer(model, customers):
    segments = nearest(model, customers, customers)
    figure = _scatter_figure(model, customers, segments)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    (legend,) = figure.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        f"{j}. {name}" for j, name in enumerate(model.names)
    ]
    assert all(t.get_fontsize() >= 9 for t in legend.get_texts())
    renderer = canvas.get_renderer()
    box, axes = legend.get_window_extent(renderer), figure.axes[0].get_window_extent(renderer)
    assert box.y1 <= axes.y0  # under the map, not on it
    assert box.x0 >= 0 and box.x1 <= figure.bbox.width  # and inside the picture


def test_the_page_names_the_engine_that_found_the_centres(model, customers):
    """A course model reports its starts; a model fitted on Spark says so and claims none."""
    import copy

    course = text(build_report(model, customers, source="wholesale_customers.csv"))
    assert "best of 10 random starts" in course and "Spark" not in course
    spark = copy.deepcopy(model)
    spark.algorithm_ = "spark"
    page = text(build_report(spark, customers, source="wholesale_customers.csv"))
    assert "k-means on Apache Spark MLlib, seed 0" in page
    assert "random starts" not in page.split("Model:")[1].split("Trained on")[0]
