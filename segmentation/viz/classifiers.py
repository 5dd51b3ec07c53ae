"""Pictures of classifiers: how they score across folds, where they err, and what they use.

One teaching picture per function (notebook 7), each drawn on an ``Axes`` given or made, and
returned, so that tests can read what was drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)


def plot_fold_scores(folds: pd.DataFrame, metric: str = "accuracy", ax: Axes | None = None) -> Axes:
    """Each model's score on each outer fold (dots) and their mean (a bar), one row per model.

    Parameters
    ----------
    folds : DataFrame
        Tidy scores with columns model, fold, metric, value (``ClassifierComparison.folds``).
    metric : str, default="accuracy"
        The metric to draw (one of the values of ``folds["metric"]``).
    ax : Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    Axes
        One row per model, in the order of ``folds``, the first at the top. Equal scores of a
        model (folds of the same size often score alike) are stacked across their row, 0.12
        apart, so that every fold's dot shows; a score no other fold shares sits on the row.
    """
    chosen = folds[folds["metric"] == metric]
    if chosen.empty:
        raise ValueError(
            f"folds has no scores of {metric!r}: pass one of {sorted(set(folds['metric']))}"
        )
    models = list(dict.fromkeys(chosen["model"]))
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.5 + 0.5 * len(models)))
    for row, model in enumerate(models):
        values = chosen.loc[chosen["model"] == model, "value"].to_numpy(dtype=float)
        ax.plot(values, row + _stacked(values), "o", color="C0", alpha=0.7)
        ax.plot([values.mean()] * 2, [row - 0.3, row + 0.3], color="C3", linewidth=2)
    ax.set_yticks(range(len(models)), models)
    ax.set_ylim(len(models) - 0.5, -0.5)
    ax.set_xlabel(f"{metric} on each outer fold (line: the mean)")
    ax.set_title("Scores across the folds")
    return ax


def _stacked(values: np.ndarray, gap: float = 0.12, reach: float = 0.25) -> np.ndarray:
    """Vertical offsets that spread equal values around 0, ``gap`` apart in the order they
    come, closer when there are so many that they would pass ``reach``."""
    offsets = np.zeros(len(values))
    for value in np.unique(values):
        same = np.flatnonzero(values == value)
        step = min(gap, 2 * reach / max(len(same) - 1, 1))
        offsets[same] = (np.arange(len(same)) - (len(same) - 1) / 2) * step
    return offsets


def plot_confusion_matrix(
    truth: Any, guess: Any, labels: Sequence[Any] | None = None, ax: Axes | None = None
) -> Axes:
    """The confusion matrix (混淆矩阵): how many customers of each true class (rows) were
    predicted as each class (columns), the count written in each cell.

    Parameters
    ----------
    truth, guess : array-like
        The true and the predicted labels, one per customer.
    labels : sequence, optional
        The classes, in the order to draw them; default: the sorted classes found.
    ax : Axes, optional
        Where to draw; a new figure by default.
    """
    truth, guess = np.asarray(truth), np.asarray(guess)
    if len(truth) != len(guess):
        raise ValueError(
            f"truth has {len(truth)} labels and guess {len(guess)}: pass one of each per customer"
        )
    found = np.unique(np.concatenate([truth, guess])).tolist()
    labels = list(found if labels is None else labels)
    if missing := [value for value in found if value not in labels]:
        # confusion_matrix would leave these customers out of every cell without a word
        raise ValueError(
            f"truth or guess holds {missing[0]!r}, which is not in labels {labels}: "
            "pass labels that name every class, or leave labels out"
        )
    counts = confusion_matrix(truth, guess, labels=labels)
    if ax is None:
        _, ax = plt.subplots(figsize=(3.8, 3.2))
    ax.imshow(counts, cmap="Blues")
    for (row, column), count in np.ndenumerate(counts):
        dark = count > counts.max() / 2
        ax.text(column, row, str(count), ha="center", va="center", color="w" if dark else "k")
    names = [str(label) for label in labels]
    ax.set_xticks(range(len(labels)), names)
    ax.set_yticks(range(len(labels)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return ax


def plot_roc_pr(
    truth: Any, probabilities: Mapping[str, Any], positive: Any, axes: Any = None
) -> Figure:
    """ROC curves (left) and precision-recall curves (right) of several models on the same
    customers, with the area under each in the legend.

    Parameters
    ----------
    truth : array-like
        The true labels.
    probabilities : mapping of str to array-like
        Model name -> each customer's predicted probability of ``positive``.
    positive : label
        The class counted as positive (for Channel, "Retail").
    axes : pair of Axes, optional
        Where to draw; a new figure of two panels by default.

    Returns
    -------
    Figure
        Left: true positive rate against false positive rate, with the diagonal of a model
        that guesses. Right: precision against recall, with the share of positives (what
        guessing gets) as a dashed line; its legend, baseline included, right of the panel.
    """
    hit = np.asarray(truth) == positive
    if not hit.any() or hit.all():
        raise ValueError(
            f"truth must hold both {positive!r} and other labels to draw the curves: "
            "pass the labels of a test set with both classes"
        )
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    roc, pr = axes
    for name, scores in probabilities.items():
        scores = np.asarray(scores, dtype=float)
        fpr, tpr, _ = roc_curve(hit, scores)
        roc.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(hit, scores):.2f})")
        precision, recall, _ = precision_recall_curve(hit, scores)
        ap = average_precision_score(hit, scores)
        pr.plot(recall, precision, label=f"{name} (AP {ap:.2f})")
    roc.plot([0, 1], [0, 1], ":", color="grey")
    pr.axhline(
        hit.mean(),
        linestyle="--",
        color="grey",
        label=f"guessing: share of {positive} ({hit.mean():.2f})",
    )
    roc.set(xlabel="false positive rate", ylabel="true positive rate (recall)", title="ROC")
    pr.set(xlabel="recall", ylabel="precision", title=f"Precision-recall ({positive})")
    roc.legend(loc="lower right", fontsize="small")
    # the curves can pass anywhere from the baseline up to precision 1, so any corner inside
    # the panel may hide one: the legend goes right of the panel
    pr.legend(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0, fontsize="small")
    return roc.figure


def plot_importances(table: pd.DataFrame, ax: Axes | None = None, title: str = "") -> Axes:
    """Horizontal bars of each feature's importance, the most important at the top, with
    error bars when the table has a "std" column.

    Parameters
    ----------
    table : DataFrame
        Index: the features; an "importance" column (and optionally "std"), such as
        :func:`~segmentation.classify.explain.permutation_importance_table` returns.
    ax : Axes, optional
        Where to draw; a new figure by default.
    title : str, optional
        The panel's title.
    """
    if "importance" not in table:
        raise ValueError(
            f"table has no 'importance' column (it has {list(table.columns)}): pass "
            "permutation_importance_table(...) or impurity_importance_table(...)"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 0.5 + 0.4 * len(table)))
    table = table.sort_values("importance", ascending=False, kind="stable")
    errors = table["std"].to_numpy(dtype=float) if "std" in table else None
    names = [str(name) for name in table.index]
    ax.barh(names, table["importance"].to_numpy(dtype=float), xerr=errors, color="C0")
    ax.set_ylim(len(table) - 0.5, -0.5)  # the first row at the top, on a new or given Axes
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("importance")
    ax.set_title(title)
    return ax
