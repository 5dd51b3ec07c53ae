"""The checks of notebook 9's exercises: Tukey's fences of one column worked by hand on the
log scale, and the imputer whose share of customers moved grows the most when values go
missing not at random instead of completely at random.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from segmentation.course import answers
from segmentation.course.answers import AnswerFormError, Feedback, checked

#: Exercise 9.1: the column whose fences are worked by hand.
FENCE_COLUMN = "Fresh"

#: Exercise 9.2: the mechanism compared with MCAR, and the share of values hidden.
IMPUTER_CASE = ("MNAR", 0.2)

_TWO = "two numbers: the lower fence, then the upper fence (log scale, 2 decimals)"
_LOW_KEYS = {"low", "lower", "lower fence", "low fence", "lo", "min"}
_HIGH_KEYS = {"high", "upper", "upper fence", "high fence", "hi", "max"}

#: Each imputer's name as a student may write it, normalised (see answers.normalised).
_IMPUTER_NAMES = {
    "mean": "mean",
    "column mean": "mean",
    "median": "median",
    "column median": "median",
    "knn": "KNN",
    "knnimputer": "KNN",
    "knn imputer": "KNN",
    "k nearest neighbours": "KNN",
    "k nearest neighbors": "KNN",
    "nearest neighbours": "KNN",
    "nearest neighbors": "KNN",
    "iterative": "iterative",
    "iterativeimputer": "iterative",
    "iterative imputer": "iterative",
    "mice": "iterative",
}


def _fences(values: np.ndarray, factor: float = 1.5) -> tuple[float, float]:
    q1, q3 = np.quantile(values, [0.25, 0.75])
    return q1 - factor * (q3 - q1), q3 + factor * (q3 - q1)


@cache
def _fence_values() -> dict[str, tuple[float, float]]:
    """The right fences of :data:`FENCE_COLUMN` (natural log of 1 + spending, quartiles by
    NumPy's default interpolation) and those of the usual slips."""
    from segmentation.data.shipped import load_customers

    spending = load_customers()[FENCE_COLUMN].to_numpy(dtype=float)
    q1, q3 = np.quantile(np.log1p(spending), [0.25, 0.75])
    return {
        "right": _fences(np.log1p(spending)),
        "log": _fences(np.log(spending)),
        "log10": _fences(np.log10(1 + spending)),
        "raw": _fences(spending),
        "factor 3": _fences(np.log1p(spending), 3.0),
        "quartiles": (q1, q3),
    }


def _split_text(answer: Any) -> Any:
    """Two numbers written as one text ("5.52, 12.27", "(5.52 12.27)") as a list of two texts;
    any other answer as it is."""
    if not isinstance(answer, str):
        return answer
    parts = [p for p in re.split(r"[\s,;]+", answer.strip().strip("[]()")) if p]
    if len(parts) == 2 and all(answers.one_number(p) is not None for p in parts):
        return parts
    return answer


def _fence_labels(answer: Any) -> dict[Any, Any] | None:
    """The answer's labels and values when it is labelled (a dict, or a Series indexed by
    text); None for an answer in order."""
    if isinstance(answer, pd.Series) and all(isinstance(k, str) for k in answer.index):
        return answer.to_dict()
    return answer if isinstance(answer, dict) else None


def _two_numbers(answer: Any) -> np.ndarray:
    """The lower and upper fence from two numbers in order (list, tuple, array, Series, text)
    or labelled (a dict or Series with the keys low/high, lower/upper)."""
    answer = _split_text(answer)
    if str(getattr(answer, "dtype", "")) == "bool":  # one True/False per row: a mask
        raise AnswerFormError(f"that is a True/False value per row; answer with {_TWO}.")
    labelled = _fence_labels(answer)
    if labelled is None:
        return answers.as_array(answer, (2,), _TWO)
    sides = {}
    for key, value in labelled.items():
        name = answers.normalised(str(key))
        sides["low" if name in _LOW_KEYS else "high" if name in _HIGH_KEYS else key] = value
    if set(sides) != {"low", "high"}:
        raise AnswerFormError(
            "label the two fences low and high (or lower and upper); got "
            f"{', '.join(map(str, list(labelled)[:4]))}."
        )
    return answers.as_array([sides["low"], sides["high"]], (2,), _TWO)


def _near_miss(given: np.ndarray, right: np.ndarray, of_log: tuple[float, float]) -> str:
    """The message for an answer that is nearly right (np.log for np.log1p, one decimal, the
    fences turned back into m.u.); empty for any other answer."""
    if answers.within_rounding(given, np.array(of_log)):
        return (
            "those are the fences of log(x), np.log; the course uses log(1 + x), np.log1p "
            "(the lower fence differs in the second decimal)."
        )
    if answers.within_rounding(given, right, decimals=1):
        return "nearly: round the two fences to 2 decimals, not 1."
    if np.allclose(given, np.expm1(right), rtol=0.01):
        return (
            "those are the fences turned back into m.u.; answer on the log scale, the values "
            "of np.log1p."
        )
    return ""


@checked
def check_tukey_fences(answer: Any) -> Feedback:
    """Exercise 9.1: Tukey's fences of :data:`FENCE_COLUMN` on the scale ``log(1 + x)``,
    Q1 - 1.5 IQR and Q3 + 1.5 IQR, rounded to 2 decimals.

    Two numbers in order (list, tuple, array, Series, or one text such as "5.52, 12.27"), or
    labelled (a dict or Series with the keys low/high or lower/upper); the usual slips are
    named: the fences swapped, log(x) or log10 instead of the natural log of 1 + x, one decimal
    instead of two, the fences turned back into m.u., the raw scale, a factor of 3, the
    quartiles themselves.
    """
    given = _two_numbers(answer)
    low, high = given
    fences = _fence_values()
    right = np.array(fences["right"])
    right_low, right_high = right
    if answers.within_rounding(given, right):
        return answers.right(
            f"{FENCE_COLUMN} on the log scale has its fences at {right_low:.2f} and "
            f"{right_high:.2f}, that is {np.expm1(right_low):,.0f} and "
            f"{np.expm1(right_high):,.0f} m.u. of spending."
        )
    if answers.within_rounding(given[::-1], right):
        return answers.wrong("those are the two fences swapped: give the lower one first.")
    near_miss = _near_miss(given, right, fences["log"])
    if near_miss:
        return answers.wrong(near_miss)
    slips = {
        "log10": "those are the fences on log10(1 + x); the course uses the natural log, np.log1p",
        "raw": "those are the fences of the spending itself; take np.log1p of the column first",
        "factor 3": "those are the fences at 3 IQR (far outliers); the course uses 1.5 IQR",
        "quartiles": "those are the quartiles Q1 and Q3; the fences lie 1.5 IQR beyond them",
    }
    for name, message in slips.items():
        if np.allclose([low, high], fences[name], rtol=1e-3, atol=0.01):
            return answers.wrong(message + ".")
    if answers.within_rounding(low, right_low):
        return answers.wrong("the lower fence is right; the upper one is Q3 + 1.5 × IQR.")
    if answers.within_rounding(high, right_high):
        return answers.wrong("the upper fence is right; the lower one is Q1 − 1.5 × IQR.")
    return answers.wrong(
        f"take q1, q3 = np.quantile(np.log1p(customers['{FENCE_COLUMN}']), [0.25, 0.75]), "
        "IQR = q3 − q1, then q1 − 1.5 × IQR and q3 + 1.5 × IQR."
    )


#: Exercise 9.2: the seeds of the notebook's study (``imputation_study(..., seeds=range(10))``).
STUDY_SEEDS = tuple(range(10))


@cache
def _moved_by_imputer() -> pd.DataFrame:
    """The mean share of customers moved per imputer (rows) and mechanism (columns, MCAR and
    the mechanism of :data:`IMPUTER_CASE`) at its share hidden, from the library's study with
    the notebook's seeds (the table the notebook prints)."""
    from segmentation.data.shipped import load_customers
    from segmentation.quality.missing import imputation_study

    mechanism, share = IMPUTER_CASE
    table = imputation_study(
        load_customers(), shares=(share,), mechanisms=("MCAR", mechanism), seeds=STUDY_SEEDS
    )
    moved = table.pivot(index="imputer", columns="mechanism", values="moved")
    return moved.reindex(list(dict.fromkeys(table["imputer"])))  # the study's order


def _percent(share: float) -> str:
    """A share as a percentage to one decimal, halves rounded up (as the notebook's text
    rounds the study's four-decimal table: 0.1275 is 12.8%, not the 12.7% of binary floats)."""
    return f"{np.floor(share * 1000 + 0.5 + 1e-6) / 10:.1f}%"


def _points(share: float) -> str:
    return _percent(share).removesuffix("%") + " points"


def _imputer_name(answer: Any) -> str:
    """The imputer an answer names, in any letter case; a one-value list, array (pandas'
    extension arrays too, as ``.values[:1]`` gives) or Series is read as its value."""
    if isinstance(answer, pd.api.extensions.ExtensionArray):
        answer = list(answer)
    values = answers.leaves(answer)
    name = values[0] if len(values) == 1 else None
    if not isinstance(name, str):
        raise AnswerFormError(
            f'answer with one imputer\'s name, such as "mean"; got {answers.kind(answer)}.'
        )
    text = answers.normalised(name.strip().strip(".!\"'`"))
    if text in _IMPUTER_NAMES:
        return _IMPUTER_NAMES[text]
    if text in ("simpleimputer", "simple imputer", "simple"):
        raise AnswerFormError(
            "SimpleImputer fills by the mean or the median: say which of the two."
        )
    raise AnswerFormError(
        f"{answers.kind(name)} is not one of the four imputers: mean, median, KNN or iterative."
    )


@checked
def check_mnar_growth(answer: Any) -> Feedback:
    """Exercise 9.2: the imputer whose share of customers moved grows the most from MCAR to
    MNAR when 20% of the values are hidden (:data:`IMPUTER_CASE`), by the notebook's study.

    A name in any letter case ("mean", "Mean", "column mean", "knn", "IterativeImputer", ...),
    or a one-value list, array or Series.
    """
    given = _imputer_name(answer)
    moved = _moved_by_imputer()
    mechanism, share = IMPUTER_CASE
    growth = moved[mechanism] - moved["MCAR"]
    best = str(growth.idxmax())

    def grew(name: str) -> str:
        return (
            f"{name} grows by {_points(growth[name])} "
            f"({_percent(moved.loc[name, 'MCAR'])} to {_percent(moved.loc[name, mechanism])})"
        )

    if given == best:
        others = ", ".join(_points(growth[n]) + f" for {n}" for n in growth.index if n != best)
        return answers.right(f"{grew(best)}; {others}.")
    return answers.wrong(
        f"{grew(given)} at {share:.0%} hidden; for each imputer take {mechanism} minus MCAR of "
        "the column moved, and find the largest."
    )
