"""From a customer table to the numbers the course clusters, and the summaries it explains.

Examples
--------
>>> from segmentation.data.shipped import load_customers
>>> customers = load_customers()
>>> log_spending(customers).round(2).iloc[0].tolist()
[9.45, 9.18, 8.93, 5.37, 7.89, 7.2]
>>> grade_by_hand(customers).value_counts().to_dict()
{'medium': 208, 'small': 190, 'large': 42}
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from segmentation.data.schema import SPENDING_COLUMNS

#: The hand rule of the course's scenario, in m.u. of total annual spending.
HAND_THRESHOLDS = {"medium": 25_000, "large": 60_000}

GRADES = ["small", "medium", "large"]

#: The transforms of spending before scaling: log(1 + x), or none.
TRANSFORMS = ("log", "none")


def spending(customers: pd.DataFrame) -> pd.DataFrame:
    """The six spending columns, as floats: the features the course clusters on."""
    return customers[list(SPENDING_COLUMNS)].astype(float)


def log_spending(customers: pd.DataFrame) -> pd.DataFrame:
    """The natural log of spending (log(1 + x), so that a zero stays zero).

    Spending is heavily skewed: a few customers spend a hundred times the typical amount. On
    the log scale a doubling is the same step for a small and a large customer, the long right
    tails are gone, and distances are no longer ruled by the few largest customers. (On the
    course data some columns then lean the other way: a few customers buy almost nothing.)
    """
    return np.log1p(spending(customers))


def spending_scaler(transform: str = "log") -> Pipeline:
    """The course's preprocessing as an unfitted scikit-learn Pipeline: ``log(1 + x)`` of each
    spending (``transform="log"``; ``"none"`` keeps the amounts), then each feature scaled to
    mean 0 and standard deviation 1 (``StandardScaler``, the one scaler of the course).

    >>> import pandas as pd
    >>> table = pd.DataFrame({"Milk": [0.0, 0.0, 9.0, 9.0]})
    >>> spending_scaler("none").fit_transform(table).ravel().tolist()
    [-1.0, -1.0, 1.0, 1.0]
    """
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}, not {transform!r}.")
    log = (
        FunctionTransformer(np.log1p, inverse_func=np.expm1, feature_names_out="one-to-one")
        if transform == "log"
        else "passthrough"
    )
    return Pipeline([("log", log), ("scale", StandardScaler())])


#: The decimals :func:`scaled` keeps: far below any difference that matters, far above the
#: last-bit noise of a CPU's summing order.
SCALED_DECIMALS = 6


def scaled(data: pd.DataFrame | np.ndarray, transform: str = "log") -> np.ndarray:
    """``spending_scaler(transform).fit_transform(data)``, rounded to :data:`SCALED_DECIMALS`
    decimals: the same numbers on every CPU.

    Processors sum in different orders, so the scaled values may differ in their last bit
    from one machine to the next. Most results do not notice, but a density clusterer
    (DBSCAN, HDBSCAN) decides by near-ties (is this point just inside eps?); rounded input
    makes those decisions the same in every lab.

    >>> scaled(np.array([[0.0], [1.0], [2.0]]), "none").ravel().tolist()
    [-1.224745, 0.0, 1.224745]
    """
    return np.round(spending_scaler(transform).fit_transform(data), SCALED_DECIMALS) + 0.0


def total_spending(customers: pd.DataFrame) -> pd.Series:
    """Each customer's total annual spending over the six categories."""
    return spending(customers).sum(axis=1).rename("total")


def grade_by_hand(
    customers: pd.DataFrame, thresholds: Mapping[str, float] = HAND_THRESHOLDS
) -> pd.Series:
    """The wholesaler's hand rule: small, medium or large by total spending alone."""
    total = total_spending(customers)
    grades = np.where(
        total >= thresholds["large"],
        "large",
        np.where(total >= thresholds["medium"], "medium", "small"),
    )
    return pd.Series(
        pd.Categorical(grades, categories=GRADES, ordered=True),
        index=customers.index,
        name="grade",
    )


def skewness(frame: pd.DataFrame) -> pd.Series:
    """The skewness of each column: 0 for a symmetric spread, large when a long tail is
    on the right (as for spending)."""
    return frame.skew()


def strongest_correlations(frame: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """The ``top`` most correlated pairs of columns, strongest first."""
    corr = frame.corr()
    pairs = [
        (a, b, corr.loc[a, b]) for i, a in enumerate(corr.columns) for b in corr.columns[i + 1 :]
    ]
    table = pd.DataFrame(pairs, columns=["column", "with", "correlation"])
    order = table["correlation"].abs().sort_values(ascending=False).index
    return table.loc[order].head(top).reset_index(drop=True)


def iqr_outliers(frame: pd.DataFrame, factor: float = 1.5) -> pd.DataFrame:
    """True where a value lies more than ``factor`` interquartile ranges outside the middle
    half of its column (Tukey's rule, the whiskers of a box plot)."""
    q1, q3 = frame.quantile(0.25), frame.quantile(0.75)
    spread = q3 - q1
    return (frame < q1 - factor * spread) | (frame > q3 + factor * spread)
