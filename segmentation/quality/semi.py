"""Few labels: learn Channel from a handful of labelled customers and the shape of the rest.

:func:`few_label_curve` keeps the label of a small share of customers, hides the rest, and
measures each method's accuracy on the customers whose label it did not see:

- **label spreading** and **label propagation** (``sklearn.semi_supervised``): labels flow from
  the labelled customers to their neighbours through a graph of all customers, labelled or not.
  The graph is an RBF kernel ``exp(-gamma * d**2)`` on the log-scaled spending, with its width
  set by the local scale of the data, not by the labels: ``gamma = 1 / median(d10**2)``, where
  ``d10`` is each customer's distance to its 10th nearest neighbour (:func:`local_gamma`). So a
  customer is linked with weight about ``exp(-1) = 0.37`` to its 10th neighbour, closer ones
  more, far customers hardly at all. The usual global rule, one over the median squared
  distance of all pairs (:func:`median_gamma`), is 7 times smaller on the course data: in six
  dimensions it links almost everyone to everyone, the majority label floods the graph, and
  both methods label nearly every customer Horeca (accuracy = the Horeca share, 0.68).
- **self-training**: a logistic regression fitted on the labelled few labels the customers it
  is surest about (probability at least 0.9), refits, and repeats.
- **labelled only**: the same logistic regression on the labelled few alone: the baseline the
  others must beat.

The labelled customers are drawn per class (stratified): ``round(share * class size)`` of each
class, at least one, so that every class has a label.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial.distance import pdist
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors
from sklearn.semi_supervised import LabelPropagation, LabelSpreading, SelfTrainingClassifier
from threadpoolctl import threadpool_limits

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.preprocessing.spending import scaled
from segmentation.quality.missing import SEEDS, _spending_values, summarise

#: The labelled shares of :func:`few_label_curve`.
LABELLED_SHARES = (0.02, 0.05, 0.1, 0.2)

#: The methods, in the order of the lesson.
METHODS = ("label spreading", "label propagation", "self-training", "labelled only")

#: Self-training adds a customer's predicted label once its probability reaches this.
SELF_TRAINING_THRESHOLD = 0.9

#: Unlabelled, for scikit-learn's semi-supervised estimators.
UNLABELLED = -1


def median_gamma(X: Any) -> float:
    """``1 / median(squared distance)`` over all pairs of rows of X: the RBF kernel's width by
    the median heuristic (a typical pair gets weight ``exp(-1)``)."""
    squared = pdist(np.asarray(X, dtype=float), "sqeuclidean")
    median = float(np.median(squared))
    if median <= 0:
        raise ValueError("Most customers are identical: no kernel width can tell them apart.")
    return 1.0 / median


#: The neighbour whose distance sets :func:`local_gamma`.
GAMMA_NEIGHBOUR = 10


def local_gamma(X: Any, n_neighbors: int = GAMMA_NEIGHBOUR) -> float:
    """``1 / median(d**2)``, d the distance of each row of X to its ``n_neighbors``-th nearest
    other row: the RBF kernel's width by the local scale of the data."""
    X = np.asarray(X, dtype=float)
    if len(X) <= n_neighbors:
        raise ValueError(f"local_gamma needs more than {n_neighbors} customers, not {len(X)}.")
    distances, _ = NearestNeighbors(n_neighbors=n_neighbors + 1).fit(X).kneighbors(X)
    median = float(np.median(distances[:, n_neighbors] ** 2))
    if median <= 0:
        raise ValueError("Most customers are identical: no kernel width can tell them apart.")
    return 1.0 / median


def few_label_methods(gamma: float, random_state: int = 0) -> dict[str, Any]:
    """The four methods, unfitted, by name (see the module's description)."""
    logistic = LogisticRegression(max_iter=1000, random_state=random_state)
    return {
        "label spreading": LabelSpreading(kernel="rbf", gamma=gamma, alpha=0.2, max_iter=1000),
        "label propagation": LabelPropagation(kernel="rbf", gamma=gamma, max_iter=1000),
        "self-training": SelfTrainingClassifier(logistic, threshold=SELF_TRAINING_THRESHOLD),
        "labelled only": LogisticRegression(max_iter=1000, random_state=random_state),
    }


def labelled_sample(y: np.ndarray, share: float, seed: int) -> np.ndarray:
    """A boolean mask of the labelled customers: ``round(share * class size)`` of each class
    (at least one), drawn at random (seeded)."""
    rng = np.random.default_rng(seed)
    labelled = np.zeros(y.size, dtype=bool)
    for value in np.unique(y):
        members = np.flatnonzero(y == value)
        count = min(members.size, max(1, round(share * members.size)))
        labelled[rng.choice(members, size=count, replace=False)] = True
    return labelled


@threadpool_limits.wrap(limits=1)
def few_label_curve(
    customers: pd.DataFrame,
    shares: Sequence[float] = LABELLED_SHARES,
    seeds: Sequence[int] = SEEDS,
    target: str = "Channel",
    gamma: float | None = None,
) -> pd.DataFrame:
    """Accuracy on the unlabelled customers, per labelled share and method.

    Returns one row per (``labelled share``, ``method``): ``labelled`` (how many customers
    had a label), ``accuracy`` and ``accuracy sd`` (over ``seeds``). The inputs are the six
    spending columns, log-scaled (the course's scaling, learnt from all customers: scaling
    needs no labels). ``gamma`` is the RBF kernel's width; by default :func:`local_gamma`.
    """
    codes, _ = _target_codes(customers, target)
    X = scaled(pd.DataFrame(_spending_values(customers), columns=list(SPENDING_COLUMNS)))
    gamma = local_gamma(X) if gamma is None else float(gamma)
    rows = []
    for share in shares:
        for seed in seeds:
            labelled = labelled_sample(codes, share, seed)
            for name, method in few_label_methods(gamma, seed).items():
                predicted = _fit_predict(name, method, X, codes, labelled)
                accuracy = float(np.mean(predicted[~labelled] == codes[~labelled]))
                rows.append((share, name, int(labelled.sum()), accuracy))
    runs = pd.DataFrame(rows, columns=["labelled share", "method", "labelled", "accuracy"])
    table = summarise(runs, ["labelled share", "method"], ["accuracy"])
    counts = runs.groupby(["labelled share", "method"], sort=False)["labelled"].first()
    table.insert(2, "labelled", counts.to_numpy())
    return table


def _fit_predict(
    name: str, method: Any, X: np.ndarray, codes: np.ndarray, labelled: np.ndarray
) -> np.ndarray:
    """The predicted class of every customer, after fitting with only the labelled ones'
    classes known."""
    if name == "labelled only":
        return method.fit(X[labelled], codes[labelled]).predict(X)
    return method.fit(X, np.where(labelled, codes, UNLABELLED)).predict(X)


def _target_codes(customers: pd.DataFrame, target: str) -> tuple[np.ndarray, np.ndarray]:
    """The target column as class codes 0, 1, ... and the classes, checked."""
    if target not in customers:
        raise ValueError(f"The table has no column {target!r} to learn.")
    values = customers[target]
    if values.isna().any():
        raise ValueError(
            f"{int(values.isna().sum())} customer(s) have no {target}: the study needs the true "
            "label of every customer to measure accuracy. Drop them first."
        )
    classes, codes = np.unique(values.astype(str).to_numpy(), return_inverse=True)
    if classes.size < 2:
        raise ValueError(
            f"Every customer has the same {target} ({classes[0] if classes.size else 'none'}): "
            "there is nothing to learn. Choose a label column with at least two classes."
        )
    return codes, classes
