"""Notebook 7's pictures, checked on what they drew (nbval does not compare images): the fold
dots and means against the folds table, the confusion matrix's cells and labels against counts
made by hand, the ROC and precision-recall curves against a worked example and scikit-learn's
own curves, and the importance bars against the table."""

import itertools

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import precision_recall_curve, roc_curve

from segmentation.viz.classifiers import (
    plot_confusion_matrix,
    plot_fold_scores,
    plot_importances,
    plot_roc_pr,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def tick_texts(ticks):
    return [t.get_text() for t in ticks]


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


# --------------------------------------------------------------------------------------------
# plot_fold_scores
# --------------------------------------------------------------------------------------------

FOLDS = pd.DataFrame(
    [
        ("tree", 0, "accuracy", 0.8),
        ("tree", 1, "accuracy", 0.9),
        ("tree", 2, "accuracy", 0.7),
        ("tree", 0, "f1", 0.5),
        ("tree", 1, "f1", 0.6),
        ("tree", 2, "f1", 0.4),
        ("forest", 0, "accuracy", 0.85),
        ("forest", 1, "accuracy", 0.95),
        ("forest", 2, "accuracy", 0.9),
        ("forest", 0, "f1", 0.7),
        ("forest", 1, "f1", 0.8),
        ("forest", 2, "f1", 0.9),
    ],
    columns=["model", "fold", "metric", "value"],
)


@pytest.mark.parametrize(
    "metric, dots, means",
    [
        ("accuracy", [[0.8, 0.9, 0.7], [0.85, 0.95, 0.9]], [0.8, 0.9]),
        ("f1", [[0.5, 0.6, 0.4], [0.7, 0.8, 0.9]], [0.5, 0.8]),
    ],
)
def test_fold_scores_draw_each_fold_and_the_mean_per_model(metric, dots, means):
    ax = plot_fold_scores(FOLDS, metric)
    points = [line for line in ax.lines if line.get_marker() == "o"]
    bars = [line for line in ax.lines if line.get_marker() != "o"]
    for line, expected in zip(points, dots, strict=True):
        assert line.get_xdata().tolist() == pytest.approx(expected)
    assert [line.get_ydata().tolist() for line in points] == [[0, 0, 0], [1, 1, 1]]
    for row, (bar, mean) in enumerate(zip(bars, means, strict=True)):
        assert list(bar.get_xdata()) == pytest.approx([mean, mean])
        assert list(bar.get_ydata()) == pytest.approx([row - 0.3, row + 0.3])
    assert tick_texts(ax.get_yticklabels()) == ["tree", "forest"]  # the order of the table
    bottom, top = ax.get_ylim()
    assert top < bottom  # the first model at the top
    assert metric in ax.get_xlabel()


# equal scores: five alike, then three and two alike (folds of the same size often tie)
TIES = pd.DataFrame(
    [("same", fold, "accuracy", 0.9) for fold in range(5)]
    + [("mixed", fold, "accuracy", value) for fold, value in enumerate([0.7, 0.8, 0.7, 0.8, 0.7])]
    + [("many", fold, "accuracy", 0.5) for fold in range(12)],
    columns=["model", "fold", "metric", "value"],
)


def test_fold_scores_show_every_fold_when_scores_are_equal():
    ax = plot_fold_scores(TIES)
    points = [line for line in ax.lines if line.get_marker() == "o"]
    expected = {"same": [0.9] * 5, "mixed": [0.7, 0.8, 0.7, 0.8, 0.7], "many": [0.5] * 12}
    for row, (line, model) in enumerate(zip(points, expected, strict=True)):
        xs, ys = line.get_xdata().tolist(), line.get_ydata().tolist()
        assert xs == expected[model]  # the scores themselves are not moved
        assert all(abs(y - row) <= 0.3 for y in ys), (model, ys)  # each dot by its own row
        assert len(set(zip(xs, ys, strict=True))) == len(xs), (model, ys)  # none hidden
        for value in set(xs):  # equal scores stacked around the row, not all on one side
            heights = [y for x, y in zip(xs, ys, strict=True) if x == value]
            assert np.mean(heights) == pytest.approx(row)
    spread = sorted(points[0].get_ydata().tolist())
    assert np.diff(spread) == pytest.approx([0.12] * 4)  # the gap the docstring states


def test_fold_scores_on_a_given_axes():
    _, ax = plt.subplots()
    assert plot_fold_scores(FOLDS, "f1", ax=ax) is ax


def test_fold_scores_name_the_metrics_there_are():
    with pytest.raises(ValueError, match=r"of 'recall': pass one of \['accuracy', 'f1'\]"):
        plot_fold_scores(FOLDS, "recall")


# --------------------------------------------------------------------------------------------
# plot_confusion_matrix
# --------------------------------------------------------------------------------------------

TRUTH = ["Horeca"] * 6 + ["Retail"] * 4
GUESS = ["Horeca"] * 5 + ["Retail"] + ["Horeca"] + ["Retail"] * 3
# counted by hand: Horeca 5 right, 1 as Retail; Retail 1 as Horeca, 3 right
COUNTS = [[5, 1], [1, 3]]


def cell_texts(ax):
    return {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in ax.texts}


def test_confusion_matrix_writes_each_count_in_its_cell():
    ax = plot_confusion_matrix(pd.Series(TRUTH), np.array(GUESS), labels=["Horeca", "Retail"])
    assert ax.images[0].get_array().tolist() == COUNTS
    texts = cell_texts(ax)
    assert {cell: t.get_text() for cell, t in texts.items()} == {
        (0, 0): "5",
        (0, 1): "1",
        (1, 0): "1",
        (1, 1): "3",
    }
    # white on the dark cells (above half the largest count), black on the light ones
    assert mcolors.to_hex(texts[(0, 0)].get_color()) == "#ffffff"
    assert mcolors.to_hex(texts[(1, 1)].get_color()) == "#ffffff"
    assert mcolors.to_hex(texts[(0, 1)].get_color()) == "#000000"
    assert tick_texts(ax.get_xticklabels()) == ["Horeca", "Retail"]
    assert tick_texts(ax.get_yticklabels()) == ["Horeca", "Retail"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted", "true")


def test_confusion_matrix_follows_the_order_of_labels():
    ax = plot_confusion_matrix(TRUTH, GUESS, labels=["Retail", "Horeca"])
    assert ax.images[0].get_array().tolist() == [[3, 1], [1, 5]]
    assert tick_texts(ax.get_xticklabels()) == ["Retail", "Horeca"]


def test_confusion_matrix_finds_the_classes_without_labels():
    ax = plot_confusion_matrix([2, 1, 1, 3], [2, 1, 3, 3])
    assert ax.images[0].get_array().tolist() == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    assert tick_texts(ax.get_yticklabels()) == ["1", "2", "3"]


def test_confusion_matrix_keeps_every_customer():
    # a class missing from labels would drop its customers from every cell
    with pytest.raises(ValueError, match="'Online', which is not in labels"):
        plot_confusion_matrix([*TRUTH, "Online"], [*GUESS, "Retail"], labels=["Horeca", "Retail"])


def test_confusion_matrix_needs_one_guess_per_customer():
    with pytest.raises(ValueError, match="truth has 10 labels and guess 9"):
        plot_confusion_matrix(TRUTH, GUESS[:-1])


# --------------------------------------------------------------------------------------------
# plot_roc_pr
# --------------------------------------------------------------------------------------------


def test_roc_pr_worked_example():
    # scores 0.1, 0.4 (Horeca), 0.35, 0.8 (Retail). Lowering the threshold: 0.8 finds one
    # Retail (tpr 0.5, fpr 0); 0.4 a Horeca (fpr 0.5); 0.35 the other Retail (tpr 1); 0.1 the
    # last Horeca. AUC: of the 4 Retail-Horeca pairs, 3 are in order: 0.75. Precision at each
    # Retail found: 1/1, then 2/3; AP = 0.5 * 1 + 0.5 * 2/3 = 0.83.
    fig = plot_roc_pr(["H", "H", "R", "R"], {"m": [0.1, 0.4, 0.35, 0.8]}, positive="R")
    roc, pr = fig.axes
    curve = roc.lines[0]
    points = set(zip(curve.get_xdata().tolist(), curve.get_ydata().tolist(), strict=True))
    assert {(0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)} <= points
    assert legend_texts(roc) == ["m (AUC 0.75)"]
    assert legend_texts(pr) == ["m (AP 0.83)", "guessing: share of R (0.50)"]
    found = {(x, round(y, 6)) for x, y in zip(*pr.lines[0].get_data(), strict=True)}
    assert {(0.5, 1.0), (1.0, round(2 / 3, 6))} <= found
    assert np.asarray(roc.lines[-1].get_data()).tolist() == [[0, 1], [0, 1]]  # guessing
    # 2 Retail of 4: the precision of guessing
    assert np.asarray(pr.lines[-1].get_ydata()).tolist() == [0.5, 0.5]


def test_roc_pr_curves_are_sklearns():
    rng = np.random.default_rng(0)
    truth = np.where(rng.random(60) < 0.3, "Retail", "Horeca")
    scores = {
        "good": np.clip((truth == "Retail") * 0.4 + rng.random(60) * 0.6, 0, 1),
        "coin": rng.random(60),
    }
    fig = plot_roc_pr(pd.Series(truth), scores, positive="Retail")
    roc, pr = fig.axes
    for line, name in zip(roc.lines[:2], scores, strict=True):
        fpr, tpr, _ = roc_curve(truth, scores[name], pos_label="Retail")
        assert np.allclose(line.get_xdata(), fpr) and np.allclose(line.get_ydata(), tpr)
    for line, name in zip(pr.lines[:2], scores, strict=True):
        precision, recall, _ = precision_recall_curve(truth, scores[name], pos_label="Retail")
        assert np.allclose(line.get_xdata(), recall) and np.allclose(line.get_ydata(), precision)
    assert [text.split(" (")[0] for text in legend_texts(roc)] == ["good", "coin"]
    assert np.asarray(pr.lines[-1].get_ydata())[0] == pytest.approx(np.mean(truth == "Retail"))
    assert "Retail" in pr.get_title()
    assert (roc.get_xlabel(), pr.get_xlabel()) == ("false positive rate", "recall")


def display_path(line, steps=50):
    """Points along a drawn line, in pixels, ``steps`` per segment (a long straight segment
    of the tree's curve, or the baseline from edge to edge, can pass under a legend between
    its ends)."""
    ends = line.get_transform().transform(np.column_stack(line.get_data()).astype(float))
    along = np.linspace(0, 1, steps)[:, np.newaxis]
    pieces = [start + along * (end - start) for start, end in itertools.pairwise(ends)]
    return np.concatenate(pieces)


def test_the_precision_recall_legend_covers_no_curve_and_no_baseline():
    """A coin's curve stays near the baseline at every recall and a good model's near the
    top: any place inside the panel covers one of them."""
    rng = np.random.default_rng(0)
    truth = np.where(rng.random(200) < 0.3, "Retail", "Horeca")
    scores = {
        "good": np.clip((truth == "Retail") * 0.4 + rng.random(200) * 0.6, 0, 1),
        "coin": rng.random(200),
        "tree": np.round(rng.random(200) * 3) / 3 * 0.5 + (truth == "Retail") * 0.3,
    }
    fig = plot_roc_pr(truth, scores, positive="Retail")
    fig.canvas.draw()
    pr = fig.axes[1]
    box = pr.get_legend().get_window_extent()
    assert len(pr.lines) == 4  # three curves and the baseline
    for line in pr.lines:
        xy = display_path(line)
        inside = (
            (xy[:, 0] >= box.x0 - 1)
            & (xy[:, 0] <= box.x1 + 1)
            & (xy[:, 1] >= box.y0 - 1)
            & (xy[:, 1] <= box.y1 + 1)
        )
        assert not inside.any(), line.get_label()
    assert fig.bbox.contains(box.x0, box.y0) and fig.bbox.contains(box.x1, box.y1)
    assert not box.overlaps(fig.axes[0].bbox)  # nor the ROC panel
    share = np.mean(truth == "Retail")
    assert legend_texts(pr)[-1] == f"guessing: share of Retail ({share:.2f})"


def test_roc_pr_on_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert plot_roc_pr([0, 1, 0, 1], {"m": [0.2, 0.9, 0.4, 0.6]}, positive=1, axes=axes) is fig
    assert len(axes[0].lines) == 2 and len(axes[1].lines) == 2


@pytest.mark.parametrize("truth", [["R", "R"], ["H", "H"]])
def test_roc_pr_needs_both_classes(truth):
    with pytest.raises(ValueError, match="must hold both 'R' and other labels"):
        plot_roc_pr(truth, {"m": [0.2, 0.7]}, positive="R")


# --------------------------------------------------------------------------------------------
# plot_importances
# --------------------------------------------------------------------------------------------

TABLE = pd.DataFrame(
    {"importance": [0.30, 0.12, -0.02], "std": [0.05, 0.01, 0.02]},
    index=pd.Index(["Grocery", "Milk", "noise"], name="feature"),
)


def bars_from_top(ax):
    """(name, length) of each bar, the top one first."""
    names = tick_texts(ax.get_yticklabels())
    centres = [p.get_y() + p.get_height() / 2 for p in ax.patches]
    bottom, top = ax.get_ylim()
    order = sorted(range(len(centres)), key=lambda i: centres[i], reverse=bool(bottom < top))
    return [(names[round(centres[i])], ax.patches[i].get_width()) for i in order]


def test_importances_bar_lengths_are_the_table():
    ax = plot_importances(TABLE, title="permutation")
    assert bars_from_top(ax) == [("Grocery", 0.30), ("Milk", 0.12), ("noise", -0.02)]
    (errors,) = [c for c in ax.containers if type(c).__name__ == "ErrorbarContainer"]
    spans = [segment[:, 0] for segment in errors.lines[2][0].get_segments()]
    assert [(round(hi - lo, 6), round((hi + lo) / 2, 6)) for lo, hi in spans] == [
        (0.10, 0.30),
        (0.02, 0.12),
        (0.04, -0.02),
    ]  # +- std around each bar's end
    assert ax.get_title() == "permutation"
    assert ax.get_xlabel() == "importance"


def test_importances_most_important_at_the_top_whatever_the_order():
    ax = plot_importances(TABLE.iloc[[2, 0, 1]].drop(columns="std"))
    assert [name for name, _ in bars_from_top(ax)] == ["Grocery", "Milk", "noise"]
    assert not [c for c in ax.containers if type(c).__name__ == "ErrorbarContainer"]


def test_importances_on_a_given_axes_top_down():
    _, ax = plt.subplots()
    plot_importances(TABLE, ax=ax)
    assert bars_from_top(ax)[0] == ("Grocery", 0.30)


def test_importances_need_an_importance_column():
    with pytest.raises(ValueError, match=r"no 'importance' column \(it has \['weight'\]\)"):
        plot_importances(pd.DataFrame({"weight": [1.0]}, index=["Milk"]))
