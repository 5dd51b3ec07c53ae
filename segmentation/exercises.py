"""Check functions for the notebooks' exercises: each says whether an answer is right and,
if not, what is off.

Each returns a :class:`Feedback`, which shows as one line in a notebook and is true when the
answer is right.

Examples
--------
>>> check_problem_type("clustering")
✅ Right. The records carry no labels: the groups must be found in the data itself.
>>> check_problem_type(...)
… Not answered yet: replace the ... with your answer and run the cell again.
>>> bool(check_problem_type("regression"))
False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from segmentation.data import load_customers
from segmentation.features import (
    iqr_outliers,
    log_spending,
    skewness,
    spending,
    strongest_correlations,
    total_spending,
)
from segmentation.kmeans import assign, objective, update_centres
from segmentation.schema import COLUMN_ALIASES, SPENDING_COLUMNS
from segmentation.selection import best_silhouette, elbow


@dataclass(frozen=True)
class Feedback:
    """The verdict on an answer."""

    correct: bool
    message: str
    answered: bool = True

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        if not self.answered:
            return f"… Not answered yet: {self.message}"
        return f"✅ Right. {self.message}" if self.correct else f"❌ Not yet: {self.message}"


def _unanswered(answer: Any) -> Feedback | None:
    if answer is ... or answer is None:
        return Feedback(False, "replace the ... with your answer and run the cell again.",
                        answered=False)
    return None


def _right(message: str) -> Feedback:
    return Feedback(True, message)


def _wrong(message: str) -> Feedback:
    return Feedback(False, message)


class AnswerFormError(ValueError):
    """An answer whose form (not value) cannot be read; the message says what was expected."""


def _kind(answer: Any) -> str:
    """How an answer of an unexpected form is named in a message."""
    if isinstance(answer, pd.DataFrame):
        return f"a table of {answer.shape[0]} rows and {answer.shape[1]} columns"
    if isinstance(answer, (pd.Series, np.ndarray, list, tuple)):
        return f"{type(answer).__name__} of {np.size(np.asarray(answer, dtype=object))} values"
    text = repr(answer)
    return f"{type(answer).__name__} {text[:40]}{'…' if len(text) > 40 else ''}"


def _as_array(answer: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """The answer as a float array of ``shape``: a list, tuple, NumPy array, pandas Series or
    table, and numbers written as text ("1", "12.5") are all accepted. Raises
    :class:`AnswerFormError` with what was expected for anything else."""
    if isinstance(answer, (str, bytes, dict, set)) or answer is ...:
        raise AnswerFormError(f"answer with {what}; got {_kind(answer)}.")
    try:
        values = np.asarray(answer, dtype=object)
        if values.dtype == object and values.ndim == 0 and not np.isscalar(answer):
            raise TypeError
        flat = [_one_number(v) for v in values.ravel()]
    except (TypeError, ValueError):
        raise AnswerFormError(f"answer with {what}; got {_kind(answer)}.") from None
    if any(v is None for v in flat):
        raise AnswerFormError(f"answer with {what}: every value must be a number.")
    array = np.array(flat, dtype=float)
    if array.size != int(np.prod(shape)):
        raise AnswerFormError(f"answer with {what}; got {array.size} "
                              f"value{'s' if array.size != 1 else ''}.")
    return array.reshape(shape)


def _one_number(value: Any) -> float | None:
    """A single number from a number, a numeric string, or a one-value container; None when
    it is not one (booleans are not numbers here: True is not an answer of 1)."""
    if isinstance(value, (pd.Series, pd.DataFrame, np.ndarray, list, tuple)):
        if np.size(np.asarray(value, dtype=object)) != 1:
            return None
        value = np.asarray(value, dtype=object).ravel()[0]
    if isinstance(value, (bool, np.bool_)) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", ""))
        except ValueError:
            return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if np.isfinite(number) else None


def _as_number(answer: Any, what: str = "a number") -> float:
    """A single number (see :func:`_one_number`), or :class:`AnswerFormError`. A boolean
    table or Series gets a message of its own: it still has to be counted."""
    if isinstance(answer, (pd.Series, pd.DataFrame, np.ndarray)) and answer.size > 1:
        if np.asarray(answer).dtype == bool:
            raise AnswerFormError(f"that is a True/False value per row; answer with {what}: "
                                  "count the True values with .sum().")
        raise AnswerFormError(f"answer with {what}, not {_kind(answer)}.")
    number = _one_number(answer)
    if number is None:
        raise AnswerFormError(f"answer with {what}; got {_kind(answer)}.")
    return number


def _as_whole_number(answer: Any, what: str = "a whole number") -> int:
    number = _as_number(answer, what)
    if number != round(number):
        raise AnswerFormError(f"answer with {what}; {number:g} is not whole.")
    return int(round(number))


def _within_rounding(given: np.ndarray | float, exact: np.ndarray | float,
                     decimals: int = 2) -> bool:
    """True when ``given`` equals ``exact`` to ``decimals`` decimal places, as when a student
    rounds a value worked by hand (12.21 for 12.208): at most half a unit in the last place
    (plus a hair for the binary representation of decimals)."""
    return bool(np.all(np.abs(np.asarray(given) - np.asarray(exact))
                       <= 0.5 * 10.0 ** -decimals + 1e-9))


def checked(function: Any) -> Any:
    """Turn an :class:`AnswerFormError` raised inside a check into a "not yet" message, so
    that a check answers any input with a sentence, never a traceback."""
    import functools

    @functools.wraps(function)
    def wrapper(answer: Any = ..., *args: Any, **kwargs: Any) -> Feedback:
        if (none := _unanswered(answer)) is not None:
            return none
        try:
            return function(answer, *args, **kwargs)
        except AnswerFormError as exc:
            return _wrong(str(exc))

    return wrapper


def _column_name(answer: Any) -> str | None:
    if not isinstance(answer, str):
        return None
    name = answer.strip()
    name = COLUMN_ALIASES.get(name.lower(), name)
    matches = [c for c in SPENDING_COLUMNS if c.lower() == name.lower()]
    return matches[0] if matches else None


# --- Notebook 1: the scenario ---------------------------------------------------------------


def check_total_spending(answer: Any) -> Feedback:
    """Exercise 1.1: each customer's total spending over the six categories."""
    if (none := _unanswered(answer)) is not None:
        return none
    expected = total_spending(load_customers()).to_numpy()
    values = np.asarray(answer, dtype=float).ravel()
    if values.shape != expected.shape:
        return _wrong(f"expected one total per customer ({len(expected)} numbers); got "
                      f"{values.size}. Sum across the columns of each row (axis=1).")
    if np.allclose(values, expected):
        return _right(f"Totals run from {expected.min():,.0f} to {expected.max():,.0f} m.u.")
    extra = float(np.mean(values - expected))
    if extra > 0:
        return _wrong(f"your totals are {extra:,.1f} larger on average: sum only the six "
                      "spending columns, not id, Channel or Region.")
    return _wrong("some totals differ: sum the six spending columns "
                  f"({', '.join(SPENDING_COLUMNS)}) of each customer.")


def check_large_by_hand(answer: Any) -> Feedback:
    """Exercise 1.2: how many customers the hand rule calls large."""
    if (none := _unanswered(answer)) is not None:
        return none
    total = total_spending(load_customers())
    expected = int((total >= 60_000).sum())
    if answer == expected:
        return _right(f"{expected} of {len(total)} customers are 'large' by hand.")
    if answer == int((total >= 25_000).sum()):
        return _wrong("that counts medium and large together: large starts at 60,000.")
    return _wrong("count the customers whose total spending is at least 60,000 m.u.")


def check_problem_type(answer: Any) -> Feedback:
    """Exercise 1.3: what kind of machine-learning problem segmentation is."""
    if (none := _unanswered(answer)) is not None:
        return none
    text = str(answer).strip().lower()
    if any(word in text for word in ("cluster", "unsupervised", "聚类")):
        return _right("The records carry no labels: the groups must be found in the data "
                      "itself.")
    if "classif" in text or text == "supervised" or "regress" in text:
        return _wrong("classification and regression learn from a known answer for each "
                      "customer; customer records carry no such label.")
    return _wrong("think about whether each customer comes with the right group attached.")


# --- Notebook 2: the data -------------------------------------------------------------------


def check_most_skewed(answer: Any) -> Feedback:
    """Exercise 2.1: the most skewed spending column (raw values)."""
    if (none := _unanswered(answer)) is not None:
        return none
    skew = skewness(spending(load_customers()))
    column = _column_name(answer)
    if column is None:
        return _wrong(f"answer with a column name, one of {', '.join(SPENDING_COLUMNS)}.")
    best = skew.idxmax()
    if column == best:
        return _right(f"{best} has skewness {skew[best]:.1f}: a few customers buy far more "
                      "delicatessen than everyone else.")
    return _wrong(f"{column} has skewness {skew[column]:.1f}; one column has more.")


def check_strongest_pair(answer: Any) -> Feedback:
    """Exercise 2.2: the two spending columns that are most strongly correlated."""
    if (none := _unanswered(answer)) is not None:
        return none
    table = spending(load_customers())
    top = strongest_correlations(table, top=1).iloc[0]
    names = {_column_name(a) for a in answer} if not isinstance(answer, str) else set()
    if len(names) != 2 or None in names:
        return _wrong("answer with two column names, such as ('Milk', 'Frozen').")
    if names == {top["column"], top["with"]}:
        return _right(f"{top['column']} and {top['with']} have correlation "
                      f"{top['correlation']:.2f}: shops that sell groceries sell paper goods.")
    a, b = sorted(names)
    corr = table[[a, b]].corr().iat[0, 1]
    return _wrong(f"{a} and {b} have correlation {corr:.2f}; one pair is higher.")


def check_outlier_customers(answer: Any) -> Feedback:
    """Exercise 2.3: customers with at least one outlying value on the log scale."""
    if (none := _unanswered(answer)) is not None:
        return none
    flags = iqr_outliers(log_spending(load_customers()))
    expected = int(flags.any(axis=1).sum())
    if answer == expected:
        return _right(f"{expected} customers have at least one value beyond the whiskers.")
    if answer == int(flags.to_numpy().sum()):
        return _wrong("that counts outlying values; count customers with at least one "
                      "(any(axis=1)).")
    return _wrong("use iqr_outliers on the log spending, then count the rows with any "
                  "True.")


# --- Notebook 3: k-means step by step -------------------------------------------------------

#: Seven customers with two features, and two starting centres, for computing by hand.
TINY = np.array([[1.0, 1.0], [1.5, 2.0], [3.0, 4.0], [5.0, 7.0], [3.5, 5.0], [4.5, 5.0],
                 [3.5, 4.5]])
TINY_CENTRES = np.array([[1.0, 1.0], [5.0, 7.0]])


def _labels_answer(answer: Any, n: int) -> np.ndarray | None:
    labels = np.asarray(answer)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        return None
    return labels


def check_assignment(answer: Any) -> Feedback:
    """Exercise 3.1: the nearest of TINY_CENTRES for each customer of TINY."""
    if (none := _unanswered(answer)) is not None:
        return none
    labels = _labels_answer(answer, len(TINY))
    if labels is None:
        return _wrong(f"answer with {len(TINY)} whole numbers, 0 or 1, one per customer.")
    expected = assign(TINY, TINY_CENTRES)
    if (labels == expected).all():
        return _right(f"Cluster 0 gets customers {np.flatnonzero(expected == 0).tolist()}, "
                      f"cluster 1 the rest.")
    if (labels == 1 - expected).all():
        return _wrong("every customer went to the farther centre: take the smallest distance "
                      "(argmin, not argmax).")
    wrong = np.flatnonzero(labels != expected).tolist()
    return _wrong(f"customers {wrong} (counting from 0) are nearer the other centre.")


def check_new_centres(answer: Any) -> Feedback:
    """Exercise 3.2: the centres after one update, from the assignment of exercise 3.1."""
    if (none := _unanswered(answer)) is not None:
        return none
    expected = update_centres(TINY, assign(TINY, TINY_CENTRES), TINY_CENTRES)
    centres = np.asarray(answer, dtype=float)
    if centres.shape != expected.shape:
        return _wrong(f"answer with {len(expected)} centres of 2 coordinates, shape (2, 2).")
    if np.allclose(centres, expected):
        return _right(f"The centres moved to {np.round(expected, 2).tolist()}.")
    if np.allclose(centres, TINY.mean(axis=0)):
        return _wrong("that is the mean of all customers; take the mean of each cluster.")
    return _wrong("each new centre is the mean of the customers assigned to it.")


def check_objective(answer: Any) -> Feedback:
    """Exercise 3.3: J for the new centres, with the assignment of exercise 3.1."""
    if (none := _unanswered(answer)) is not None:
        return none
    labels = assign(TINY, TINY_CENTRES)
    centres = update_centres(TINY, labels, TINY_CENTRES)
    expected = objective(TINY, centres, labels)
    before = objective(TINY, TINY_CENTRES, labels)
    value = float(answer)
    if np.isclose(value, expected):
        return _right(f"J = {expected:.3f}, down from {before:.3f} with the old centres.")
    if np.isclose(value, np.sqrt(((TINY - centres[labels]) ** 2).sum(axis=1)).sum()):
        return _wrong("that sums distances; J sums squared distances.")
    if np.isclose(value, before):
        return _wrong("that is J for the old centres; use the new ones.")
    return _wrong("sum, over customers, the squared distance to their own cluster's centre.")


# --- Notebook 4: choosing k -----------------------------------------------------------------


def check_k_choice(answer: Any, table: pd.DataFrame) -> Feedback:
    """Exercise 4.1: a k supported by the elbow or by the silhouette in ``table``."""
    if (none := _unanswered(answer)) is not None:
        return none
    reasons = []
    if answer == elbow(table):
        reasons.append("J bends most sharply")
    if answer == best_silhouette(table):
        reasons.append("the silhouette is highest")
    if reasons:
        return _right(f"At k = {answer} {' and '.join(reasons)}. A neighbouring k can still be "
                      "the better choice for the business: more segments cost more campaigns.")
    return _wrong("look for where the J curve bends most sharply, or where the silhouette is "
                  "highest.")


def check_dominant_feature(answer: Any) -> Feedback:
    """Exercise 4.2: the feature that rules distances when spending is not scaled."""
    if (none := _unanswered(answer)) is not None:
        return none
    spread = spending(load_customers()).std()
    column = _column_name(answer)
    if column is None:
        return _wrong(f"answer with a column name, one of {', '.join(SPENDING_COLUMNS)}.")
    if column == spread.idxmax():
        return _right(f"{column} has the largest spread (standard deviation "
                      f"{spread[column]:,.0f}), so it rules every distance unless the features "
                      "are scaled.")
    return _wrong(f"{column} has standard deviation {spread[column]:,.0f}; another column "
                  "spreads wider.")


# --- Notebook 5: modelling and prediction ---------------------------------------------------

#: The new customer of exercise 5.1 (annual spending, m.u.).
NEW_CUSTOMER = {"Fresh": 2_000, "Milk": 12_000, "Grocery": 25_000, "Frozen": 500,
                "Detergents_Paper": 11_000, "Delicassen": 1_500}


def _course_model() -> Any:
    """The model of notebook 5: k = 3 on the course data, seed 0."""
    from segmentation.model import SegmentationModel

    return SegmentationModel.fit(load_customers(), k=3, random_state=0, evaluate=False)


def _segment_number(answer: Any, names: list[str]) -> int | None:
    if isinstance(answer, str):
        return names.index(answer.strip()) if answer.strip() in names else None
    if isinstance(answer, (pd.Series, np.ndarray, list)) and len(answer) == 1:
        answer = next(iter(answer))
    if isinstance(answer, (int, np.integer)) and not isinstance(answer, bool):
        return int(answer) if 0 <= answer < len(names) else None
    return None


def check_new_customer_segment(answer: Any) -> Feedback:
    """Exercise 5.1: the segment the model gives :data:`NEW_CUSTOMER` (number or name)."""
    if (none := _unanswered(answer)) is not None:
        return none
    model = _course_model()
    result = model.predict(pd.DataFrame([NEW_CUSTOMER]))
    right = int(result["segment"].iloc[0])
    given = _segment_number(answer, model.names)
    if given is None:
        return _wrong(f"answer with a segment number (0 to {model.k - 1}) or its name.")
    distances = result[[f"distance_{j}" for j in range(model.k)]].iloc[0]
    if given == right:
        return _right(f"Segment {right}, '{model.names[right]}': its centre is the nearest "
                      f"(distance {distances.iloc[right]:.2f} against "
                      f"{', '.join(f'{d:.2f}' for j, d in enumerate(distances) if j != right)}).")
    return _wrong(f"segment {given} is at distance {distances.iloc[given]:.2f}; another centre "
                  "is nearer. Put the customer in a one-row table and use model.predict.")


#: The customers of exercise 5.2, by id.
EXERCISE_IDS = (10, 20, 30, 40)


def check_reloaded_segments(answer: Any) -> Feedback:
    """Exercise 5.2: the segments of the customers with ids :data:`EXERCISE_IDS`, as the
    notebook's model gives them after a save and a load."""
    if (none := _unanswered(answer)) is not None:
        return none
    model = _course_model()
    customers = load_customers()
    chosen = customers[customers["id"].isin(EXERCISE_IDS)]
    right = [int(s) for s in model.predict(chosen)["segment"]]
    try:
        given = [int(s) for s in np.asarray(answer).ravel()]
    except (TypeError, ValueError):
        return _wrong(f"answer with a list of {len(EXERCISE_IDS)} segment numbers, one per "
                      "customer, in the order of their ids.")
    if given == right:
        names = "; ".join(f"id {i}: {model.names[s]}" for i, s in zip(EXERCISE_IDS, right))
        return _right(f"The loaded model segments them as the fitted one did ({names}).")
    if len(given) != len(right):
        return _wrong(f"give {len(right)} segment numbers, one per customer, not {len(given)}.")
    wrong = [i for i, g, r in zip(EXERCISE_IDS, given, right) if g != r]
    return _wrong(f"not for id {', '.join(map(str, wrong))}. Select the customers with "
                  "customers[customers['id'].isin([...])] and use the loaded model's predict.")
