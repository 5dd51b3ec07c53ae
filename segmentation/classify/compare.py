"""Several classifiers on the same data, side by side, scored by nested cross-validation.

:func:`compare_classifiers` scores each model of :func:`~segmentation.classify.models.
standard_classifiers` (or your own) the same way:

- **Outer folds.** The customers are split into ``cv`` folds by
  ``StratifiedKFold(cv, shuffle=True, random_state)`` (each fold keeps the classes' shares);
  every model sees the same folds. Each fold in turn is held out: the model is fitted on the
  others and scored on it, so every score comes from customers the model never saw.
- **Tuning inside.** A model with a grid is tuned on the training part of each outer fold
  only, by ``GridSearchCV(cv=cv, scoring="f1_macro")`` (inner folds without shuffling), so
  the choice of parameters never sees the held-out fold either: that is nested
  cross-validation. Tuning on all the data and then cross-validating would score the grid's
  luck on those very customers as skill.
- **Scores.** Accuracy (the share predicted right), F1 (macro: the mean over the classes of
  each class's F1, so the small class counts as much as the large one) and balanced accuracy
  (the mean over the classes of the share of each found). The table gives the mean and the
  standard deviation (numpy's, ddof=0) over the outer folds: a difference between two models
  smaller than their spread is no evidence that one is better.
- **Best.** The model with the highest mean F1 (the first, on a tie).

The fits run on one thread (BLAS and OpenMP): on data of this size threads cost more than they
give (gradient boosting fits a hundred times slower so on a busy two-core machine).

Examples
--------
>>> from segmentation.data.shipped import load_customers
>>> from segmentation.preprocessing.spending import spending
>>> from segmentation.classify.models import standard_classifiers
>>> customers = load_customers()
>>> keep = ("majority", "decision tree")
>>> models = {k: v for k, v in standard_classifiers().items() if k in keep}
>>> found = compare_classifiers(spending(customers), customers["Channel"], models)
>>> found.table[["accuracy mean", "accuracy std"]].round(3)  # doctest: +NORMALIZE_WHITESPACE
               accuracy mean  accuracy std
model
majority               0.677         0.006
decision tree          0.916         0.027

The tree finds Channel far better than always answering the common class (Horeca).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from threadpoolctl import threadpool_limits

from segmentation.classify.models import ClassifierSpec, standard_classifiers

#: The scores of each outer fold, by name: the metric column of ``folds``.
METRICS: dict[str, Callable[[Any, Any], float]] = {
    "accuracy": accuracy_score,
    "F1 (macro)": lambda truth, guess: f1_score(truth, guess, average="macro"),
    "balanced accuracy": balanced_accuracy_score,
}

#: The column of the table that names the parameters the grid search chose.
PARAMETERS = "chosen parameters"

#: What the inner grid searches maximise (and what picks the best model).
SCORING = "f1_macro"


@dataclass(frozen=True)
class ClassifierComparison:
    """What :func:`compare_classifiers` found.

    Attributes
    ----------
    table : DataFrame
        One row per model (index: its name), with ``<metric> mean`` and ``<metric> std`` of
        each metric over the outer folds, and the parameters the grid search chose (the most
        frequent choice over the folds, and in how many it was chosen; empty without a grid).
    folds : DataFrame
        Tidy scores: columns model, fold, metric, value (one row per model, fold and metric).
    best_name : str
        The model with the highest mean F1 (macro).
    models : dict of str to ClassifierSpec
        The models compared, unfitted.
    cv : int
        The number of folds, outer and inner.
    """

    table: pd.DataFrame
    folds: pd.DataFrame
    best_name: str
    models: dict[str, ClassifierSpec]
    cv: int

    @threadpool_limits.wrap(limits=1)
    def fit_best(self, X: Any, y: Any) -> Any:
        """The best model fitted on all of X and y (with a grid, tuned by
        ``GridSearchCV(cv, scoring="f1_macro")`` first): the one to use on new customers.

        Returns
        -------
        estimator
            A fitted copy; the models of the comparison stay unfitted.
        """
        X, y = _check_inputs(X, y, self.cv)
        return _fit(self.models[self.best_name], X, y, self.cv)


@threadpool_limits.wrap(limits=1)
def compare_classifiers(
    X: Any,
    y: Any,
    models: Mapping[str, Any] | None = None,
    *,
    cv: int = 5,
    random_state: int = 0,
    progress: Callable[[str], object] | None = None,
) -> ClassifierComparison:
    """Score each model by (nested) cross-validation on the same folds (the rules are in the
    module's description).

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        Numeric features, for example ``spending(customers)`` (the standard models take
        log(1 + x) themselves, so pass the amounts).
    y : array-like of shape (n_samples,)
        The label to predict, for example ``customers["Channel"]``.
    models : mapping of str to (estimator, param_grid or None), optional
        Name -> unfitted classifier and its grid; default :func:`standard_classifiers`
        seeded with ``random_state``.
    cv : int, default=5
        Folds of the outer and of the inner cross-validation.
    random_state : int, default=0
        Seed of the outer folds (and of the standard models).
    progress : callable, optional
        Called with a one-line message as each model starts.

    Returns
    -------
    ClassifierComparison

    """
    standard = models is None
    models = _check_models(standard_classifiers(random_state) if standard else models)
    cv = _check_cv(cv)
    X, y = _check_inputs(X, y, cv)
    if standard and (np.asarray(X) < 0).any():
        raise ValueError(
            "X holds negative values, but the standard models take log(1 + x) of amounts: "
            "pass the spending amounts (spending(customers)), or models of your own"
        )
    splits = list(StratifiedKFold(cv, shuffle=True, random_state=random_state).split(X, y))
    scores: list[tuple[str, int, str, float]] = []
    rows = []
    for name, spec in models.items():
        if progress is not None:
            progress(_announce(name, spec, cv))
        rows.append(_score_model(name, spec, X, y, splits, scores))
    folds = pd.DataFrame(scores, columns=["model", "fold", "metric", "value"])
    table = pd.DataFrame(rows).set_index("model")
    best = str(table["F1 (macro) mean"].idxmax())
    return ClassifierComparison(table, folds, best, dict(models), cv)


def _score_model(
    name: str,
    spec: ClassifierSpec,
    X: Any,
    y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    scores: list[tuple[str, int, str, float]],
) -> dict[str, Any]:
    """Fit and score one model on each outer fold (its scores appended to ``scores``); its
    row of the table."""
    chosen = []
    for fold, (train, test) in enumerate(splits):
        fitted = _fit(spec, _rows(X, train), y[train], len(splits))
        guess = fitted.predict(_rows(X, test))
        chosen.append(_chosen(fitted, spec))
        scores += [(name, fold, m, float(f(y[test], guess))) for m, f in METRICS.items()]
    return _summary(name, scores, chosen)


def _fit(spec: ClassifierSpec, X: Any, y: np.ndarray, cv: int) -> Any:
    """A fitted copy of the model; with a grid, the grid search's refit best model."""
    estimator, grid = spec
    if not grid:
        return clone(estimator).fit(X, y)
    search = GridSearchCV(clone(estimator), grid, cv=cv, scoring=SCORING)
    return search.fit(X, y).best_estimator_


def _chosen(fitted: Any, spec: ClassifierSpec) -> str:
    """The grid's parameters of a fitted model, as ``name=value`` text ("" without a grid)."""
    grid = spec.param_grid or {}
    params = fitted.get_params()
    return ", ".join(f"{key.rsplit('__', 1)[-1]}={params[key]!r}" for key in sorted(grid))


def _summary(
    name: str, scores: list[tuple[str, int, str, float]], chosen: list[str]
) -> dict[str, Any]:
    """One model's row of the table: mean and spread of each metric, the usual choice."""
    row: dict[str, Any] = {"model": name}
    for metric in METRICS:
        values = [value for model, _, m, value in scores if model == name and m == metric]
        row[f"{metric} mean"] = float(np.mean(values))
        row[f"{metric} std"] = float(np.std(values))
    choice, times = Counter(chosen).most_common(1)[0]
    row[PARAMETERS] = f"{choice} ({times} of {len(chosen)} folds)" if choice else ""
    return row


def _announce(name: str, spec: ClassifierSpec, cv: int) -> str:
    """The progress line of one model: what is about to be fitted, and how many times."""
    if not spec.param_grid:
        return f"{name}: {cv} folds"
    settings = int(np.prod([len(values) for values in spec.param_grid.values()]))
    return f"{name}: {cv} folds, each tuning {settings} settings by {cv}-fold grid search"


def _rows(X: Any, index: np.ndarray) -> Any:
    return X.iloc[index] if isinstance(X, pd.DataFrame) else X[index]


# --------------------------------------------------------------------------------------------
# Checks at the door
# --------------------------------------------------------------------------------------------


def _check_models(models: Any) -> dict[str, ClassifierSpec]:
    if not isinstance(models, Mapping) or not models:
        raise TypeError(
            f"models must be a non-empty dict of name -> (estimator, param_grid or None), not "
            f"{models!r}: for example standard_classifiers(), or "
            "{'tree': (DecisionTreeClassifier(max_depth=3), None)}"
        )
    specs = {}
    for name, spec in models.items():
        estimator, grid = spec if isinstance(spec, tuple) and len(spec) == 2 else (spec, None)
        if not hasattr(estimator, "fit") or not hasattr(estimator, "predict"):
            raise TypeError(
                f"models[{name!r}] holds {estimator!r}, not a classifier: pass an unfitted "
                "scikit-learn classifier, or a pair (classifier, param_grid)"
            )
        if grid is not None and not isinstance(grid, Mapping):
            raise TypeError(
                f"the grid of models[{name!r}] is {grid!r}: pass a dict of parameter name -> "
                "list of values (for a Pipeline, 'step__parameter'), or None to tune nothing"
            )
        specs[str(name)] = ClassifierSpec(estimator, None if grid is None else dict(grid))
    return specs


def _check_cv(cv: Any) -> int:
    if isinstance(cv, bool) or not isinstance(cv, int | np.integer) or cv < 2:
        raise ValueError(f"cv must be a whole number of folds, at least 2 (usually 5); got {cv!r}")
    return int(cv)


def _check_inputs(X: Any, y: Any, cv: int) -> tuple[Any, np.ndarray]:
    """X as floats (a DataFrame stays one, for the feature names) and y as an array, checked."""
    X = _check_features(X)
    if len(X) < cv:
        raise ValueError(
            f"X has {len(X)} rows, fewer than cv={cv} folds: each fold needs customers of its "
            f"own. Use a larger data set, or lower cv (at least 2)"
        )
    return X, _check_target(y, len(X), cv)


def _check_features(X: Any) -> Any:
    if isinstance(X, pd.DataFrame):
        text = [str(c) for c, t in X.dtypes.items() if not pd.api.types.is_numeric_dtype(t)]
        if text:
            raise ValueError(
                f"X has columns that are not numbers: {', '.join(text)}. Pass numeric features "
                "only, for example spending(customers) (the six spending columns)"
            )
        data = X.astype(float)
    else:
        try:
            data = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(f"X must be a table of numbers ({error})") from None
        if data.ndim != 2:
            raise ValueError(
                f"X must be a 2-D table (rows: customers, columns: features); got shape "
                f"{data.shape}. For a single feature use X.reshape(-1, 1)"
            )
    if not np.isfinite(np.asarray(data)).all():
        raise ValueError("X holds NaN or infinity: fill in or drop those rows first")
    return data


def _check_target(y: Any, n_rows: int, cv: int) -> np.ndarray:
    if y is None:
        raise ValueError("y is missing: pass the label to predict, e.g. customers['Channel']")
    values = np.asarray(y, dtype=object)
    if values.ndim != 1 or len(values) != n_rows:
        raise ValueError(
            f"y has shape {values.shape}, but X has {n_rows} rows: pass one label per row of "
            "X, in the same order (for example customers['Channel'])"
        )
    missing = int(pd.isna(values).sum())
    if missing:
        raise ValueError(
            f"y has {missing} missing label(s): drop those rows from X and y (or fill them in) "
            "before comparing"
        )
    counts = pd.Series(values).value_counts()
    if len(counts) < 2:
        raise ValueError(
            f"y holds one class only ({counts.index[0]!r}): there is nothing to predict. "
            "Pass a label with at least two classes, for example customers['Channel']"
        )
    rarest, fewest = counts.index[-1], int(counts.iloc[-1])
    if fewest < fewest_for_cv(cv):
        what = "gather more of that class"
        what = f"lower cv to {fewest - 2} or {what}" if fewest >= fewest_for_cv(2) else what
        raise ValueError(
            f"too few members of class {rarest!r} for cv={cv}: it has {fewest}, and nested "
            f"cross-validation with cv={cv} needs at least {fewest_for_cv(cv)} of every class "
            f"(cv + 2); {what}"
        )
    return np.asarray(y)


def fewest_for_cv(cv: int) -> int:
    """The fewest members every class needs for nested cross-validation with ``cv`` folds
    (:func:`compare_classifiers`): ``cv + 2``.

    Why: each outer training part is tuned by ``GridSearchCV(cv=cv)``, whose stratified folds
    need at least ``cv`` members of every class. ``StratifiedKFold`` deals each class's
    members out to the folds as evenly as it can, so a class of ``n`` puts at most
    ``ceil(n / cv)`` in a held-out fold and keeps at least ``n - ceil(n / cv) =
    floor(n (cv - 1) / cv)`` in every training part. That is at least ``cv`` exactly when
    ``n (cv - 1) / cv >= cv``, that is ``n >= cv² / (cv - 1) = cv + 1 + 1 / (cv - 1)``; as
    ``0 < 1 / (cv - 1) <= 1``, the smallest such whole ``n`` is ``cv + 2``. (At ``n = cv +
    1`` a held-out fold takes 2, leaving ``cv - 1``.) The refit on all the data needs only
    ``cv``.
    """
    return cv + 2
