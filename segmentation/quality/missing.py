"""Missing spending values: hide some where the truth is known, fill them, and measure the cost.

The study hides a share of the six spending values of the course data, fills them by four
strategies, and compares the result with what was hidden, in two ways: the error of the filled
values on the log scale, and (what matters for segmentation) how many customers land in another
segment than with the full data.

- **Hiding.** ``"MCAR"`` (missing completely at random): every value is as likely to be hidden.
  ``"MNAR"`` (missing not at random): within each column a value's chance is proportional to its
  rank from the top (the largest value has rank 1, the smallest rank n), so the smallest spender
  is n times as likely to lose a value as the largest: small customers' records are the patchy
  ones. Exactly ``round(share * 6 * n)`` values are hidden, and never a whole row or column.
- **Filling** happens on the log-scaled spending (``log(1 + x)``, then each column to mean 0 and
  standard deviation 1, the course's scaling, learnt from the values present), so that KNN's
  distances are the course's distances. Then the scaling is undone.
- **Segments** are the course's: k-means (k=3, 10 starts, seed 0) on the log-scaled spending,
  numbered canonically (segment 0 spends most).

>>> from segmentation.data.shipped import load_customers
>>> hidden, mask = hide_values(load_customers(), 0.1, "MNAR", seed=0)
>>> int(mask.to_numpy().sum()), int(hidden["Fresh"].isna().sum()) == int(mask["Fresh"].sum())
(264, True)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.stats import rankdata
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401 (makes it importable)
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import RobustScaler, StandardScaler
from threadpoolctl import threadpool_limits

from segmentation.cluster.kmeans import KMeans
from segmentation.cluster.numbering import number_segments
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.preprocessing.spending import SCALED_DECIMALS, spending_scaler

MECHANISMS = ("MCAR", "MNAR")

#: The imputers of the study, in the order of the lesson.
IMPUTERS = ("mean", "median", "KNN", "iterative")

#: The numbers of neighbours KNN imputation chooses from.
KNN_GRID = (1, 3, 5, 10, 20, 40)

#: The share of the values still present that :func:`choose_knn_k` hides again to measure
#: each k's error (the truth of the values really missing is never used to choose).
VALIDATION_SHARE = 0.1

#: Seeds of the studies by default: enough for a mean and a spread, fast enough for a notebook.
SEEDS = (0, 1, 2)

#: Decimals of the studies' tables (the same numbers on every machine).
DECIMALS = 4

_COLUMNS = list(SPENDING_COLUMNS)


class MissingValuesError(ValueError):
    """A table whose missing values cannot be filled (a column or a row entirely missing)."""


# --- hiding -------------------------------------------------------------------------------------


def hide_values(
    customers: pd.DataFrame, share: float, mechanism: str = "MCAR", seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hide ``round(share * 6 * n)`` spending values (NaN), never a whole row or column.

    Returns the table with the values hidden (spending as floats) and the boolean mask of the
    hidden values (the six spending columns, True where hidden). The rules of ``"MCAR"`` and
    ``"MNAR"`` are in the module's description.
    """
    values = _spending_values(customers)
    if mechanism not in MECHANISMS:
        raise ValueError(f"mechanism must be one of {', '.join(MECHANISMS)}, not {mechanism!r}.")
    if np.isnan(values).any():
        raise ValueError("The table already has missing spending values: hide from a full one.")
    n, m = values.shape
    count = round(float(share) * m * n)
    if not 0 <= share or count > (m - 1) * n or (n > 1 and count > m * (n - 1)):
        raise ValueError(f"share must be from 0 to {(m - 1) / m:.3f} (a row must keep a value).")
    if mechanism == "MCAR":
        weights = np.ones_like(values)
    else:
        weights = np.column_stack([rankdata(-column) for column in values.T])
    mask = _draw_cells(weights, count, np.zeros_like(values, dtype=bool), seed)
    hidden = customers.copy()
    hidden[_COLUMNS] = np.where(mask, np.nan, values)
    return hidden, pd.DataFrame(mask, index=customers.index, columns=_COLUMNS)


def _draw_cells(weights: np.ndarray, count: int, taken: np.ndarray, seed: int) -> np.ndarray:
    """``count`` more cells, drawn without replacement with chances proportional to
    ``weights``, skipping any that would leave a row or a column with no value."""
    n, m = weights.shape
    weights = np.where(taken, 0.0, weights).ravel()
    order = np.random.default_rng(seed).choice(
        weights.size, size=int((weights > 0).sum()), replace=False, p=weights / weights.sum()
    )
    mask, rows, cols = taken.copy(), taken.sum(axis=1), taken.sum(axis=0)
    drawn = 0
    for cell in order:
        if drawn == count:
            break
        r, c = divmod(int(cell), m)
        if rows[r] < m - 1 and cols[c] < n - 1:
            mask[r, c], rows[r], cols[c], drawn = True, rows[r] + 1, cols[c] + 1, drawn + 1
    if drawn < count:
        raise ValueError(f"Only {drawn} values could be hidden, not {count}: hide fewer.")
    return mask


# --- filling ------------------------------------------------------------------------------------


def make_imputers(n_neighbors: int = 5, random_state: int = 0) -> dict[str, Any]:
    """The study's imputers, unfitted, by name: each column's mean or median, the mean of the
    ``n_neighbors`` nearest customers (``KNNImputer``, distances on the values both customers
    have), and ``IterativeImputer`` (each column predicted from the others by a Bayesian ridge
    regression, round after round; seeded)."""
    return {
        "mean": SimpleImputer(strategy="mean"),
        "median": SimpleImputer(strategy="median"),
        "KNN": KNNImputer(n_neighbors=n_neighbors),
        "iterative": IterativeImputer(max_iter=10, random_state=random_state),
    }


def fill_missing(customers: pd.DataFrame, imputer: Any) -> pd.DataFrame:
    """The six spending columns with their missing values filled by a copy of ``imputer``,
    which works on the log-scaled spending (the scaling learnt from the values present).

    Raises :class:`MissingValuesError` when a column or a row has no value at all: nothing
    would be left to fill it from.
    """
    values = _spending_values(customers)
    _check_fillable(values, customers.index)
    scaler = StandardScaler()
    Z = scaler.fit_transform(np.log1p(values))
    with warnings.catch_warnings():
        # The iterative imputer warns when its 10 rounds have not settled to its tolerance;
        # the study measures the result instead of trusting the warning.
        warnings.simplefilter("ignore", ConvergenceWarning)
        Z = clone(imputer).fit_transform(Z)
    # Values present are kept as they were, not as they come back from the round trip
    # through log and scaling (which may change their last bits).
    filled = np.where(
        np.isnan(values), np.maximum(np.expm1(scaler.inverse_transform(Z)), 0), values
    )
    return pd.DataFrame(filled, index=customers.index, columns=_COLUMNS)


def _check_fillable(values: np.ndarray, index: pd.Index) -> None:
    empty_columns = [
        c for c, gone in zip(_COLUMNS, np.isnan(values).all(axis=0), strict=True) if gone
    ]
    if empty_columns:
        raise MissingValuesError(
            f"Column {', '.join(empty_columns)} is entirely missing: there is nothing to fill it "
            "from. Leave the column out, or find its values."
        )
    empty_rows = np.flatnonzero(np.isnan(values).all(axis=1))
    if empty_rows.size:
        shown = ", ".join(str(index[i]) for i in empty_rows[:5])
        raise MissingValuesError(
            f"{empty_rows.size} customer(s) have all six spending values missing (index "
            f"{shown}): there is nothing to place them by. Drop these customers first."
        )


def log_rmse(truth: pd.DataFrame, filled: pd.DataFrame, mask: pd.DataFrame) -> float:
    """The root mean squared error, on the ``log(1 + x)`` scale, of the filled values against
    the true ones, over the cells of ``mask`` (True where a value was hidden)."""
    cells = np.asarray(mask, dtype=bool)
    error = np.log1p(_spending_values(filled)) - np.log1p(_spending_values(truth))
    return float(np.sqrt(np.mean(error[cells] ** 2)))


def choose_knn_k(
    customers: pd.DataFrame, grid: Sequence[int] = KNN_GRID, seed: int = 0
) -> tuple[int, pd.Series]:
    """The k of KNN imputation with the smallest error on values hidden on purpose.

    :data:`VALIDATION_SHARE` of the values still present are hidden again at random (seeded);
    each k of ``grid`` fills them, and the error is :func:`log_rmse` against the values hidden.
    Returns the best k (the smallest on a tie) and the error of every k.
    """
    values = _spending_values(customers)
    present = ~np.isnan(values)
    count = round(VALIDATION_SHARE * present.sum())
    check = _draw_cells(present.astype(float), count, ~present, seed) & present
    trial = customers.copy()
    trial[_COLUMNS] = np.where(check, np.nan, values)
    truth = pd.DataFrame(np.nan_to_num(values), columns=_COLUMNS)
    errors = pd.Series(
        {k: log_rmse(truth, fill_missing(trial, KNNImputer(n_neighbors=k)), check) for k in grid},
        name="RMSE (log)",
    )
    errors.index.name = "k"
    return int(errors.idxmin()), errors


# --- segments -----------------------------------------------------------------------------------


def course_segments(spending: Any, k: int = 3, scaler: str = "standard") -> np.ndarray:
    """The course's segments of a table of spending (m.u.): ``log(1 + x)``, each column scaled
    (``"standard"``: mean 0, standard deviation 1, the course's; ``"robust"``: median 0,
    interquartile range 1), then k-means (10 starts, seed 0), numbered canonically."""
    if scaler not in ("standard", "robust"):
        raise ValueError(f"scaler must be 'standard' or 'robust', not {scaler!r}.")
    values = _spending_values(spending)
    scaling = spending_scaler("log")  # the course's log and scaling, as scaled() rounds it
    if scaler == "robust":
        scaling.set_params(scale=RobustScaler())
    X = np.round(scaling.fit_transform(values), SCALED_DECIMALS) + 0.0
    labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X).labels_
    return number_segments(labels, values.sum(axis=1), k)[0]


def segment_change(reference: Any, labels: Any) -> dict[str, float]:
    """How far ``labels`` moved from ``reference``: the adjusted Rand index (1: the same
    partition) and the share of customers in another segment, after matching each new segment
    to a reference segment so that as many customers as possible stay (a relabelling alone
    moves nobody)."""
    reference, labels = np.asarray(reference), np.asarray(labels)
    _, ref = np.unique(reference, return_inverse=True)
    _, new = np.unique(labels, return_inverse=True)
    table = np.zeros((ref.max() + 1, new.max() + 1), dtype=int)
    np.add.at(table, (ref, new), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    stayed = table[rows, cols].sum()
    return {
        "ARI": float(adjusted_rand_score(reference, labels)),
        "moved": float(1.0 - stayed / reference.size),
    }


def summarise(runs: pd.DataFrame, keys: list[str], measures: list[str]) -> pd.DataFrame:
    """Mean and standard deviation (over seeds: ``ddof=1``) of each measure per group of
    ``keys``, groups in the order they first appear; rounded to :data:`DECIMALS`."""
    grouped = runs.groupby(keys, sort=False)[measures]
    table, spread = grouped.mean(), grouped.std()
    for measure in measures:
        table.insert(table.columns.get_loc(measure) + 1, f"{measure} sd", spread[measure])
    return table.round(DECIMALS).reset_index()


# --- the study ----------------------------------------------------------------------------------


@threadpool_limits.wrap(limits=1)
def imputation_study(
    customers: pd.DataFrame,
    shares: Sequence[float] = (0.05, 0.1, 0.2),
    mechanisms: Sequence[str] = MECHANISMS,
    seeds: Sequence[int] = SEEDS,
    k: int = 3,
) -> pd.DataFrame:
    """Hide, fill and segment, for every mechanism, share, seed and imputer.

    Returns one row per (mechanism, share hidden, imputer): ``RMSE (log)`` of the filled
    values against the truth, ``ARI`` and ``moved`` (:func:`segment_change` against the
    segments of the full data, k-means with ``k``), each with its standard deviation over
    ``seeds`` (``... sd``), and ``KNN k``: the k that :func:`choose_knn_k` chose for the KNN
    rows (NaN for the others). k is chosen once per mechanism and share, on the table of the
    first seed (choosing it anew for every seed would cost six more imputations a run; on the
    course data the choice falls on 20 or 40, whose errors differ by little). The fits run on
    one thread: on 440 customers threads cost more than they give.
    """
    reference = course_segments(customers, k)
    rows = []
    for mechanism in mechanisms:
        for share in shares:
            hidden = [hide_values(customers, share, mechanism, seed) for seed in seeds]
            best_k, _ = choose_knn_k(hidden[0][0], seed=seeds[0])
            for seed, (table, mask) in zip(seeds, hidden, strict=True):
                for name, imputer in make_imputers(best_k, random_state=seed).items():
                    filled = fill_missing(table, imputer)
                    change = segment_change(reference, course_segments(filled, k))
                    rmse = log_rmse(customers, filled, mask)
                    knn_k = best_k if name == "KNN" else np.nan
                    rows.append((mechanism, share, name, rmse, *change.values(), knn_k))
    columns = ["mechanism", "share hidden", "imputer", "RMSE (log)", "ARI", "moved", "KNN k"]
    runs = pd.DataFrame(rows, columns=columns)
    table = summarise(runs, columns[:3], ["RMSE (log)", "ARI", "moved"])
    table["KNN k"] = runs.groupby(columns[:3], sort=False)["KNN k"].first().to_numpy()
    return table


def _spending_values(customers: Any) -> np.ndarray:
    """The six spending columns as a float array (NaN where missing)."""
    if not isinstance(customers, pd.DataFrame):
        raise TypeError("Expected a customer table (a pandas DataFrame).")
    absent = [column for column in _COLUMNS if column not in customers]
    if absent:
        raise ValueError(f"The table has no spending column {', '.join(absent)}.")
    return customers[_COLUMNS].to_numpy(dtype=float)
