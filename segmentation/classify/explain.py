"""What a fitted classifier looks at: four explanations, each answering its own question.

- :func:`permutation_importance_table`: how much worse does the model predict when one
  feature's values are shuffled among the customers? (Which features does it rely on, measured
  on data, for any model.)
- :func:`impurity_importance_table`: how much did splits on each feature purify a forest's
  training data? Quick, but it favours features with many distinct values and is measured on
  the data the forest memorised, so it can rank a useless feature high: prefer permutation
  importance.
- :func:`plot_partial_dependence`: how does the predicted probability change, on average, as
  one feature changes and the others stay as they are? (The shape and direction of an effect.)
- :func:`shap_values`: why did the model give *this* customer *this* prediction? (Each
  feature's push away from the average prediction, customer by customer.)
- :func:`tree_rules`: a small tree's decisions as text a person can read and check.

The models are the Pipelines of :mod:`segmentation.classify.models` (log(1 + x), then the
classifier) or bare scikit-learn classifiers. Everything random is seeded.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.inspection import PartialDependenceDisplay, permutation_importance
from sklearn.pipeline import Pipeline
from sklearn.tree import export_text


def permutation_importance_table(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    random_state: int = 0,
    n_repeats: int = 10,
    scoring: str = "accuracy",
) -> pd.DataFrame:
    """How much the score drops when each feature's values are shuffled, most important first.

    Measure it on customers the model was not fitted on (a held-out set), or it tells what
    the model memorised rather than what generalises.

    Parameters
    ----------
    model : fitted classifier
        For example ``comparison.fit_best(X_train, y_train)``.
    X : DataFrame
        The features, with their names as columns.
    y : array-like
        The true labels of X's rows.
    random_state : int, default=0
        Seed of the shuffles.
    n_repeats : int, default=10
        How many times each feature is shuffled.
    scoring : str, default="accuracy"
        The score that drops (a scikit-learn scorer name, e.g. "f1_macro").

    Returns
    -------
    DataFrame
        Index: the features; columns "importance" (the mean drop of the score) and "std" (its
        standard deviation over the repeats); sorted by importance, largest first.
    """
    found = permutation_importance(
        model, X, y, n_repeats=n_repeats, random_state=random_state, scoring=scoring
    )
    table = pd.DataFrame(
        {"importance": found.importances_mean, "std": found.importances_std},
        index=pd.Index(_feature_names(X), name="feature"),
    )
    return table.sort_values("importance", ascending=False, kind="stable")


def impurity_importance_table(forest: Any, features: Sequence[str]) -> pd.DataFrame:
    """A fitted forest's (or tree's) impurity importance of each feature, largest first.

    The share of the training data's impurity (Gini) the splits on each feature removed; the
    shares sum to 1. Measured on the training data: see the module's description for why
    it misleads.

    Returns
    -------
    DataFrame
        Index: the features; column "importance"; sorted, largest first.
    """
    estimator = _final(forest)
    importances = getattr(estimator, "feature_importances_", None)
    if importances is None:
        raise TypeError(
            f"{type(estimator).__name__} has no impurity importance: pass a fitted tree or "
            "forest (for a model of another kind, use permutation_importance_table)"
        )
    _check_feature_count(features, len(importances))
    table = pd.DataFrame(
        {"importance": importances}, index=pd.Index(list(features), name="feature")
    )
    return table.sort_values("importance", ascending=False, kind="stable")


def tree_rules(tree_model: Any, features: Sequence[str], *, decimals: int = 0) -> str:
    """A fitted decision tree's rules as text (scikit-learn's ``export_text``), with the
    thresholds in the units of the model's input.

    The tree of a Pipeline splits the transformed features (for example log(1 + x) of
    spending); the rules undo the transform, so that they read "Grocery > 7,000" rather than
    "log(1 + Grocery) > 8.85". The steps before the tree must be element-wise and increasing
    (log, scaling) and able to ``inverse_transform``.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> tree = DecisionTreeClassifier(max_depth=1).fit([[1], [2], [8], [9]], ["a", "a", "b", "b"])
    >>> print(tree_rules(tree, ["Milk"]))
    |--- Milk <= 5
    |   |--- class: a
    |--- Milk >  5
    |   |--- class: b
    """
    tree = _final(tree_model)
    if not hasattr(tree, "tree_"):
        raise TypeError(
            f"{type(tree).__name__} is not a fitted decision tree: pass a fitted "
            "DecisionTreeClassifier (or a Pipeline ending in one)"
        )
    _check_feature_count(features, tree.n_features_in_)
    shown = copy.deepcopy(tree)
    if isinstance(tree_model, Pipeline) and len(tree_model.steps) > 1:
        _untransform_thresholds(shown.tree_, tree_model[:-1], tree.n_features_in_)
    return str(export_text(shown, feature_names=list(features), decimals=decimals)).rstrip()


def _untransform_thresholds(tree: Any, steps: Pipeline, n_features: int) -> None:
    """Each split's threshold taken back through ``steps`` to the input's units (in place)."""
    split = np.flatnonzero(tree.children_left >= 0)  # leaves have no threshold
    points = np.zeros((len(split), n_features))
    points[np.arange(len(split)), tree.feature[split]] = tree.threshold[split]
    back = np.asarray(steps.inverse_transform(points), dtype=float)
    tree.threshold[split] = back[np.arange(len(split)), tree.feature[split]]


def plot_partial_dependence(
    model: Any,
    X: pd.DataFrame,
    features: Sequence[str],
    ax: Axes | None = None,
    *,
    target: Any = None,
) -> Figure:
    """The partial dependence of the predicted probability on each of ``features``: one panel
    each, side by side in one row, the probability averaged over X's customers as the feature
    sweeps from its 5th to its 95th percentile (the ticks along the bottom mark X's deciles).
    Every panel names its feature below it; the probability is named once, on the first.

    Parameters
    ----------
    model : fitted classifier
        With ``predict_proba``.
    X : DataFrame
        The customers to average over, with the features as columns.
    features : sequence of str
        The columns to draw, one panel each.
    ax : Axes, optional
        Where to draw (split into one panel per feature); a new figure by default.
    target : label, optional
        The class whose probability is drawn; default: the second of ``model.classes_`` (for
        Channel, Retail). Required when there are more than two classes.

    Returns
    -------
    Figure
        The figure drawn on; its panels are the ones with a line.
    """
    classes = list(model.classes_)
    if target is None:
        if len(classes) != 2:
            raise ValueError(f"the model has classes {classes}: pass target= one of them")
        target = classes[1]
    if target not in classes:
        raise ValueError(f"target {target!r} is not a class of the model: pass one of {classes}")
    missing = [f for f in features if f not in X.columns]
    if missing:
        raise ValueError(f"X has no column {missing[0]!r}: pass some of {list(X.columns)}")
    display = PartialDependenceDisplay.from_estimator(
        model,
        X,
        list(features),
        target=target,
        response_method="predict_proba",
        method="brute",  # the probability itself, for every kind of model
        kind="average",
        ax=ax,
        n_cols=len(features),  # one row: a grid squeezed into a short Axes hides labels
    )
    panels = [panel for panel in np.ravel(display.axes_) if panel is not None]
    for panel in panels:  # the panels share one y scale: name it once, on the left
        panel.set_ylabel("")
    panels[0].set_ylabel(f"probability of {target}")
    return display.figure_


def shap_values(tree_model: Any, X: pd.DataFrame) -> Any:
    """The SHAP values of a fitted tree model for X's customers (the ``shap`` package's
    exact TreeExplainer, no sampling).

    For each customer and feature, how far that feature pushes the model's output from its
    average over the training data; the pushes of one customer add up to its output minus
    the average. The output explained is what the tree model computes: the probability of
    the second class for a forest or a tree, the log-odds of it for gradient boosting.

    Parameters
    ----------
    tree_model : fitted tree, forest or gradient boosting
        Or a Pipeline ending in one (its earlier steps are applied to X first).
    X : DataFrame
        The customers to explain, features as columns.

    Returns
    -------
    shap.Explanation
        Of shape (customers, features): for ``shap.plots.beeswarm`` (all customers) or
        ``shap.plots.waterfall(explanation[i])`` (one). Its ``data`` are X's values as
        given (for example amounts, not their log).
    """
    with warnings.catch_warnings():  # shap's own colour maps warn of matplotlib's future
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        import shap  # heavy, and needed only here

    estimator = _final(tree_model)
    inputs = tree_model[:-1].transform(X) if isinstance(tree_model, Pipeline) else X
    explanation = shap.TreeExplainer(estimator)(np.asarray(inputs, dtype=float))
    if explanation.values.ndim == 3:  # one column per class: keep the second class's
        explanation = explanation[:, :, 1]
    explanation.data = np.asarray(X, dtype=float)
    explanation.feature_names = _feature_names(X)
    return explanation


def _final(model: Any) -> Any:
    """The estimator at the end of a Pipeline, or the model itself."""
    return model[-1] if isinstance(model, Pipeline) else model


def _feature_names(X: Any) -> list[str]:
    columns = getattr(X, "columns", None)
    if columns is None:
        return [f"x{i}" for i in range(np.shape(X)[1])]
    return [str(c) for c in columns]


def _check_feature_count(features: Sequence[str], expected: int) -> None:
    if isinstance(features, str) or len(features) != expected:
        raise ValueError(
            f"features must name the model's {expected} features, in order; got {features!r}."
            " Pass the columns it was fitted on, for example list(X.columns)"
        )
