"""What the BG/NBD and gamma-gamma fits share: checked inputs and a maximum-likelihood search
over the logs of positive parameters."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from segmentation.clv.summary import CLVDataError, CLVFitError


def summary_columns(data, names: tuple[str, ...], args: tuple) -> list[np.ndarray]:
    """The named columns of a summary frame, or the arrays passed one by one, as floats."""
    if isinstance(data, pd.DataFrame):
        missing = [name for name in names if name not in data.columns]
        if missing:
            raise CLVDataError(
                f"the summary has no column {missing[0]!r}: pass the frame of "
                f"customer_summary, or the arrays {', '.join(names)} one by one."
            )
        columns = [data[name] for name in names]
    else:
        columns = [data, *args]
        if len(columns) != len(names):
            raise CLVDataError(f"pass a summary frame, or {len(names)} arrays: {', '.join(names)}.")
    arrays = [np.atleast_1d(np.asarray(column, dtype=float)) for column in columns]
    if len({array.shape for array in arrays}) != 1:
        raise CLVDataError(f"{', '.join(names)} must have one value per customer each.")
    for name, array in zip(names, arrays, strict=True):
        if not np.all(np.isfinite(array)) or np.any(array < 0):
            raise CLVDataError(
                f"{name} has negative or missing values: every customer needs a count and "
                "times of 0 or more (check that observation_end is after every purchase)."
            )
    return arrays


def maximise(
    negative_loglik: Callable[[np.ndarray], float], start: np.ndarray, model: str
) -> tuple[np.ndarray, float, bool]:
    """Minimise ``negative_loglik`` over log-parameters from ``start``.

    L-BFGS-B first; when it stops without declaring success (a line search that cannot improve
    on an already flat optimum is the usual reason) Nelder-Mead restarts from where it ended.
    Returns the parameters (not logs), the maximum log-likelihood, and whether it converged.
    """
    with np.errstate(all="ignore"):
        result = minimize(
            negative_loglik, start, method="L-BFGS-B", bounds=[(-15, 15)] * len(start)
        )
        if not result.success or not np.isfinite(result.fun):
            result = minimize(
                negative_loglik,
                result.x if np.isfinite(result.fun) else start,
                method="Nelder-Mead",
                options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-9},
            )
    if not np.isfinite(result.fun):
        raise CLVFitError(
            f"the {model} likelihood is not finite at any parameters tried: check the summary "
            "for customers with impossible values (t_x greater than T)."
        )
    if not result.success:
        raise CLVFitError(
            f"the {model} fit did not converge ({result.message}). Try more customers, a "
            "longer calibration period, or a different time_unit."
        )
    return np.exp(result.x), -float(result.fun), bool(result.success)


def compressed(*arrays: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of the arrays side by side and how often each occurs: the likelihood
    of many customers with the same summary is computed once."""
    rows, counts = np.unique(np.column_stack(arrays), axis=0, return_counts=True)
    return [rows[:, i] for i in range(rows.shape[1])], counts.astype(float)
