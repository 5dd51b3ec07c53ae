"""The course's standard classifiers: a baseline, two readable models and two tuned ensembles.

Every model reads the six spending amounts and takes ``log(1 + x)`` of them first (the same
step as :func:`~segmentation.preprocessing.spending.spending_scaler`): spending is heavily
skewed, and on the log scale a doubling is the same step for a small and a large customer.
Logistic regression then scales the features (its penalty treats every coefficient alike);
the trees need no scaling.

Examples
--------
>>> models = standard_classifiers()
>>> list(models)
['majority', 'logistic regression', 'decision tree', 'random forest', 'gradient boosting']
>>> estimator, grid = models["random forest"]
>>> [name for name, _ in estimator.steps]
['log', 'model']
>>> grid
{'model__max_depth': [None, 4], 'model__min_samples_leaf': [1, 5]}
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

from segmentation.preprocessing.spending import spending_scaler

#: The prefix of the classifier's parameters inside each pipeline (its last step's name).
MODEL_STEP = "model"

#: The random forest's grid in full: 12 settings. Its nested cross-validation on the course data
#: takes about 46 s on two cores (10 s for :data:`FOREST_GRID`) and scores no better.
FULL_FOREST_GRID: dict[str, list[Any]] = {
    "model__n_estimators": [100, 300],
    "model__max_depth": [None, 4, 8],
    "model__min_samples_leaf": [1, 5],
}

#: The random forest's grid the course searches: the settings that matter most on this data,
#: small enough for a nested cross-validation in seconds.
FOREST_GRID: dict[str, list[Any]] = {
    "model__max_depth": [None, 4],
    "model__min_samples_leaf": [1, 5],
}

#: Gradient boosting's grid: how fast it learns and how large each tree may grow.
BOOSTING_GRID: dict[str, list[Any]] = {
    "model__learning_rate": [0.05, 0.1],
    "model__max_leaf_nodes": [7, 31],
}


class ClassifierSpec(NamedTuple):
    """An unfitted classifier and the grid of its parameters to search (None: nothing to tune).

    A plain pair, so ``estimator, grid = spec`` works too.
    """

    estimator: Any
    param_grid: dict[str, list[Any]] | None


def standard_classifiers(
    random_state: int = 0, *, full_grid: bool = False
) -> dict[str, ClassifierSpec]:
    """The course's five classifiers, each a Pipeline that starts with ``log(1 + x)``.

    Parameters
    ----------
    random_state : int, default=0
        Seed of every model that draws at random (the trees' and forests' draws).
    full_grid : bool, default=False
        Search the random forest over :data:`FULL_FOREST_GRID` (also 100 or 300 trees, and
        depth 8: 12 settings) instead of :data:`FOREST_GRID` (100 trees, 4 settings). The
        nested cross-validation of the full grid takes several times longer and, on the
        course data, scores within the spread across folds.

    Returns
    -------
    dict of str to ClassifierSpec
        In the order of the lesson: "majority" (always the most common class: the baseline
        to beat), "logistic regression", "decision tree" (depth 3, rules a person can
        read), "random forest" and "gradient boosting" (scikit-learn's
        HistGradientBoostingClassifier), the last two with a grid to tune.
    """
    majority = DummyClassifier(strategy="most_frequent", random_state=random_state)
    logistic = LogisticRegression(max_iter=1000, random_state=random_state)
    forest = RandomForestClassifier(n_estimators=100, random_state=random_state)
    boosting = HistGradientBoostingClassifier(random_state=random_state)
    return {
        "majority": ClassifierSpec(_logged(majority), None),
        "logistic regression": ClassifierSpec(_logged(logistic, scaled=True), None),
        "decision tree": ClassifierSpec(
            _logged(DecisionTreeClassifier(max_depth=3, random_state=random_state)), None
        ),
        "random forest": ClassifierSpec(
            _logged(forest), _copy(FULL_FOREST_GRID if full_grid else FOREST_GRID)
        ),
        "gradient boosting": ClassifierSpec(_logged(boosting), _copy(BOOSTING_GRID)),
    }


def _logged(classifier: Any, *, scaled: bool = False) -> Pipeline:
    """``classifier`` after log(1 + x) of the features (and the standard scaling if
    ``scaled``): the course's one preprocessing, taken from ``spending_scaler``."""
    steps = spending_scaler("log").steps
    return Pipeline([*(steps if scaled else steps[:1]), (MODEL_STEP, classifier)])


def _copy(grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """A copy of a grid, so that a caller who edits it leaves the module's grid alone."""
    return {name: list(values) for name, values in grid.items()}
