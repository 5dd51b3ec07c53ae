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

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from segmentation.data import load_customers
from segmentation.features import (
    HAND_THRESHOLDS,
    grade_by_hand,
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


#: What a check says to an answer of None: the usual cause is a function that returns nothing.
NONE_ANSWER = ("your answer is None. print(...) and methods that change something in place "
               "(inplace=True, list.sort()) return None: assign the value itself, e.g. "
               "answer = table.sum(axis=1).")


def _unanswered(answer: Any) -> Feedback | None:
    if answer is ...:
        return Feedback(False, "replace the ... with your answer and run the cell again.",
                        answered=False)
    if answer is None:
        return Feedback(False, NONE_ANSWER)
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
        rows, columns = answer.shape
        return (f"a table of {rows} row{'s' * (rows != 1)} and "
                f"{columns} column{'s' * (columns != 1)}")
    if isinstance(answer, (pd.Series, np.ndarray, list, tuple)):
        size = np.size(np.asarray(answer, dtype=object))
        return f"{type(answer).__name__} of {size} value{'s' * (size != 1)}"
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
    if isinstance(value, (bool, np.bool_, complex, np.complexfloating)) or value is None:
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
    import inspect

    signature = inspect.signature(function)
    first = next(iter(signature.parameters))

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Feedback:
        try:
            # by keyword too: check_k_choice(k=3, reason=..., table=table)
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            return _wrong(f"the check was called with other arguments than it takes ({exc}); "
                          f"call it as in the exercise: {function.__name__}{signature}.")
        answer = bound.arguments.get(first, ...)
        if (none := _unanswered(answer)) is not None:
            return none
        try:
            return function(*bound.args, **bound.kwargs)
        except AnswerFormError as exc:
            return _wrong(str(exc))

    return wrapper


def _normalised(text: str) -> str:
    """Lower case, with spaces, hyphens and underscores alike ("Detergents_Paper",
    "detergents paper" and " DETERGENTS-PAPER " read the same)."""
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


#: Each spending column (and alias) as :func:`_normalised` writes it.
_COLUMN_BY_NAME = {_normalised(c): c for c in SPENDING_COLUMNS} | {
    _normalised(alias): c for alias, c in COLUMN_ALIASES.items()}


def _column_name(answer: Any) -> str | None:
    """The spending column a string names, in any letter case or spacing, or by an alias
    ("Delicatessen"); None when it names none."""
    if not isinstance(answer, str):
        return None
    return _COLUMN_BY_NAME.get(_normalised(answer))


def _columns_in_text(text: str) -> list[str]:
    """The spending columns a free text names, in the order it names them
    ("Grocery and Detergents_Paper", "grocery / detergents paper")."""
    words = " " + _normalised(re.sub(r"[^\w\s-]", " ", text)) + " "
    found = sorted((words.find(f" {name} "), column) for name, column in _COLUMN_BY_NAME.items()
                   if f" {name} " in words)
    return list(dict.fromkeys(column for _, column in found))


def _leaves(answer: Any) -> list[Any]:
    """The values of a (possibly nested) list, tuple, set, array, Index or Series."""
    if isinstance(answer, (str, bytes)) or not isinstance(
            answer, (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series)):
        return [answer]
    items = answer.ravel() if isinstance(answer, np.ndarray) else answer
    return [leaf for item in items for leaf in _leaves(item)]


# --- Notebook 1: the scenario ---------------------------------------------------------------


@checked
def check_total_spending(answer: Any) -> Feedback:
    """Exercise 1.1: each customer's total spending over the six categories, as a Series (a
    table column), a NumPy array or a list, in the customers' order."""
    expected = total_spending(load_customers()).to_numpy()
    if isinstance(answer, pd.DataFrame) and answer.shape[1] > 1:
        raise AnswerFormError(f"that is {_kind(answer)}; add across each row with "
                              ".sum(axis=1) to get one total per customer.")
    values = _as_array(answer, expected.shape, f"one total per customer ({len(expected)} "
                       "numbers: add across each row with .sum(axis=1))")
    if np.allclose(values, expected):
        return _right(f"Totals run from {expected.min():,.0f} to {expected.max():,.0f} m.u.")
    if np.allclose(np.sort(values), np.sort(expected)):
        return _wrong("the totals are right but in another order: keep one total per customer "
                      "in the customers' order (do not sort them).")
    extra = float(np.mean(values - expected))
    if extra > 0:
        amount = f"{extra:,.1f}" if extra < 1e9 else f"{extra:.3g}"  # no 300-digit numbers
        return _wrong(f"your totals are {amount} larger on average: sum only the six "
                      "spending columns, not id, Channel or Region.")
    return _wrong("some totals differ: sum the six spending columns "
                  f"({', '.join(SPENDING_COLUMNS)}) of each customer.")


@checked
def check_large_by_hand(answer: Any) -> Feedback:
    """Exercise 1.2: how many customers the hand rule calls large (a number in any form:
    42, 42.0, "42", a one-value list or Series)."""
    customers = load_customers()
    counts = grade_by_hand(customers).value_counts()
    large = HAND_THRESHOLDS["large"]
    given = _as_whole_number(answer, "a number of customers")
    if given == counts["large"]:
        return _right(f"{given} of {len(customers)} customers are 'large' by hand.")
    if given == counts["medium"] + counts["large"]:
        return _wrong(f"that counts medium and large together: large starts at {large:,}.")
    if given == len(customers) - counts["large"]:
        return _wrong(f"that counts the customers below {large:,}; count those at or above.")
    for grade in ("small", "medium"):
        if given == counts[grade]:
            return _wrong(f"that is the number of {grade} customers; count those whose total "
                          f"is at least {large:,} m.u.")
    if not 0 <= given <= len(customers):
        return _wrong(f"a number of customers lies between 0 and {len(customers)}.")
    return _wrong(f"count the customers whose total spending is at least {large:,} m.u.")


#: How an answer says clustering, names another kind of problem, or denies clustering.
_CLUSTERING = ("cluster", "unsupervised", "聚类", "无监督")
_OTHER_KINDS = ("classif", "regress", "supervised", "分类", "回归", "监督")
_DENIAL = re.compile(r"\b(not|no|non|never|isn'?t|nor)\s*-?\s*(an?\s+|the\s+|really\s+|just\s+)?"
                     r"(unsupervised|cluster)|(不是|不|非|没有)\s*(无监督|聚类)")


@checked
def check_problem_type(answer: Any) -> Feedback:
    """Exercise 1.3: what kind of machine-learning problem segmentation is, in a word or two
    ("clustering", "unsupervised learning", "聚类"). An answer that also names another kind,
    or says it is *not* clustering, is not taken as clustering."""
    if not isinstance(answer, str):
        raise AnswerFormError(f"answer with the kind of problem as a string in quotes, such as "
                              f"\"regression\"; got {_kind(answer)}.")
    text = " ".join(answer.lower().split())
    if not text:
        raise AnswerFormError("write your answer between the quotes, such as \"regression\".")
    clustering = any(word in text for word in _CLUSTERING)
    rest = text.replace("unsupervised", "").replace("无监督", "")
    other = any(word in rest for word in _OTHER_KINDS)
    if clustering and _DENIAL.search(text):
        return _wrong("your answer says it is not clustering; decide, and answer with the one "
                      "kind of problem it is.")
    if clustering and not other:
        return _right("The records carry no labels: the groups must be found in the data "
                      "itself.")
    if clustering:
        return _wrong("your answer names clustering and another kind of problem; answer with "
                      "the one kind it is, in one or two words.")
    if other and re.search(r"\b(not|no|non|isn'?t)\b|不|非", text):
        return _wrong("say what kind of problem it is, rather than what it is not.")
    if other:
        return _wrong("classification and regression learn from a known answer for each "
                      "customer; customer records carry no such label.")
    if re.search(r"k[\s-]?means", text):
        return _wrong("k-means is a method; name the kind of problem it solves.")
    return _wrong("think about whether each customer comes with the right group attached.")


# --- Notebook 2: the data -------------------------------------------------------------------


def _one_column(answer: Any) -> str:
    """The one spending column an answer names: a name (see :func:`_column_name`), a
    one-value list, array, Index or Series of it, or a one-value Series labelled by its
    column (as ``skew.nlargest(1)`` gives). Raises :class:`AnswerFormError` otherwise."""
    form = f"answer with one column name, one of {', '.join(SPENDING_COLUMNS)}"
    given = answer
    if isinstance(answer, pd.Series) and len(answer) == 1 and not isinstance(answer.iloc[0], str):
        answer = str(answer.index[0])
    elif isinstance(answer, pd.Series) and all(_column_name(str(i)) for i in answer.index):
        raise AnswerFormError(f"that is one value per column; {form}: the largest is named by "
                              ".idxmax().")
    if isinstance(answer, (list, tuple, np.ndarray, pd.Index, pd.Series)):
        leaves = _leaves(answer)
        if len(leaves) != 1:
            raise AnswerFormError(f"{form}; got {_kind(given)}.")
        answer = leaves[0]
    column = _column_name(answer)
    if column is None:
        raise AnswerFormError(f"{form}; got {_kind(given)}.")
    return column


@checked
def check_most_skewed(answer: Any) -> Feedback:
    """Exercise 2.1: the most skewed spending column (raw values), by name in any letter case,
    or as ``skew.idxmax()`` gives it."""
    skew = skewness(spending(load_customers()))
    column = _one_column(answer)
    best = skew.idxmax()
    if column == best:
        return _right(f"{best} has skewness {skew[best]:.1f}: a few customers buy far more "
                      "delicatessen than everyone else.")
    return _wrong(f"{column} has skewness {skew[column]:.1f}; one column has more.")


def _column_pair(answer: Any) -> tuple[str, str]:
    """The two spending columns an answer names: two names in a tuple, list, set, array or
    Series, in any order and letter case; the pair ``corr.stack().idxmax()`` or
    ``.nlargest(1)`` gives; one row of :func:`strongest_correlations`; or a text such as
    "Grocery and Detergents_Paper". Numbers beside the names (a correlation) are ignored."""
    form = "answer with two column names, such as ('Milk', 'Frozen')"
    if isinstance(answer, dict):
        raise AnswerFormError(f"{form}; got {_kind(answer)}.")
    if (isinstance(answer, pd.Series) and isinstance(answer.index, pd.MultiIndex)
            and pd.api.types.is_numeric_dtype(answer)):
        pairs = {frozenset(pair) for pair in answer.index}
        if len(pairs) != 1:
            raise AnswerFormError("that is one correlation per pair; take the strongest pair "
                                  "with .idxmax().")
        answer = list(answer.index[0])
    if isinstance(answer, pd.DataFrame):
        if len(answer) != 1:
            raise AnswerFormError(f"{form}; got {_kind(answer)}. In the correlation table, "
                                  "the strongest pair is where .stack().idxmax() points.")
        answer = answer.iloc[0]
    if isinstance(answer, str):
        names, unknown = _columns_in_text(answer), []
    else:
        leaves = _leaves(answer)
        if any(not isinstance(v, str) and _one_number(v) is None for v in leaves):
            raise AnswerFormError(f"{form}; got {_kind(answer)}.")
        texts = [v for v in leaves if isinstance(v, str)]
        names = list(dict.fromkeys(c for c in map(_column_name, texts) if c))
        unknown = [v for v in texts if _column_name(v) is None]
    if unknown:
        raise AnswerFormError(f"{unknown[0]!r} is not a spending column; use two of "
                              f"{', '.join(SPENDING_COLUMNS)}.")
    if len(names) == 1 and not isinstance(answer, str) and len(_leaves(answer)) > 1:
        raise AnswerFormError("a column with itself always has correlation 1; give two "
                              "different columns.")
    if not names:
        raise AnswerFormError(f"{form}; got {_kind(answer)}.")
    if len(names) != 2:
        raise AnswerFormError(f"{form}; got {len(names)}: {', '.join(names)}.")
    return names[0], names[1]


@checked
def check_strongest_pair(answer: Any) -> Feedback:
    """Exercise 2.2: the two spending columns that are most strongly correlated (raw values),
    in any order and form (see :func:`_column_pair`)."""
    table = spending(load_customers())
    top = strongest_correlations(table, top=1).iloc[0]
    names = set(_column_pair(answer))
    if names == {top["column"], top["with"]}:
        return _right(f"{top['column']} and {top['with']} have correlation "
                      f"{top['correlation']:.2f}: shops that sell groceries sell paper goods.")
    a, b = sorted(names)
    corr = table[[a, b]].corr().iat[0, 1]
    return _wrong(f"{a} and {b} have correlation {corr:.2f}; one pair is higher.")


def _count_flags_first(answer: Any, customers: int) -> None:
    """Raise a message that says how to count, when the answer is the True/False flags (or a
    count per column) instead of a number of customers."""
    if not isinstance(answer, (pd.DataFrame, pd.Series, np.ndarray)) or np.size(answer) <= 1:
        return
    values = np.asarray(answer)
    if values.dtype == bool and values.ndim == 2:
        raise AnswerFormError("that is a True/False table, a row per customer and a column per "
                              "category: mark each customer with .any(axis=1), then count the "
                              "customers with .sum().")
    if values.dtype == bool and len(values) == customers:
        raise AnswerFormError("that is one True/False per customer: count the True values "
                              "with .sum().")
    if values.ndim == 1 and len(values) == len(SPENDING_COLUMNS):
        raise AnswerFormError("that is one value per column; ask per customer with "
                              ".any(axis=1), then count the customers with .sum().")


@checked
def check_outlier_customers(answer: Any) -> Feedback:
    """Exercise 2.3: how many customers have at least one outlying value on the log scale (a
    number in any form)."""
    customers = load_customers()
    flags = iqr_outliers(log_spending(customers))
    expected = int(flags.any(axis=1).sum())
    _count_flags_first(answer, len(customers))
    given = _as_whole_number(answer, "a number of customers")
    if given == expected:
        return _right(f"{expected} customers have at least one value beyond the whiskers.")
    if given == int(flags.to_numpy().sum()):
        return _wrong("that counts outlying values; count customers with at least one "
                      "(any(axis=1)).")
    if given == int(iqr_outliers(spending(customers)).any(axis=1).sum()):
        return _wrong("that is on the raw scale; use iqr_outliers on the log spending.")
    if not 0 <= given <= len(customers):
        return _wrong(f"a number of customers lies between 0 and {len(customers)}.")
    return _wrong("use iqr_outliers on the log spending, then count the rows with any "
                  "True.")


# --- Notebook 3: k-means step by step -------------------------------------------------------

#: Seven customers with two features, and two starting centres, for computing by hand. Each
#: customer is clearly nearer one centre than the other, so there is no tie to break.
TINY = np.array([[1.0, 1.0], [1.5, 2.0], [3.0, 3.5], [5.0, 7.0], [3.5, 5.0], [4.5, 5.0],
                 [3.5, 4.5]])
TINY_CENTRES = np.array([[1.0, 1.0], [5.0, 7.0]])


def _tiny_step() -> tuple[np.ndarray, np.ndarray]:
    """Exercises 3.1 and 3.2 worked out: the assignment to TINY_CENTRES, and the centres
    after one update."""
    labels = assign(TINY, TINY_CENTRES)
    return labels, update_centres(TINY, labels, TINY_CENTRES)


def _is_true_false(answer: Any) -> bool:
    try:
        return np.asarray(answer).dtype == bool
    except (TypeError, ValueError):  # ragged lists and other shapes NumPy cannot hold
        return False


def _members(labels: np.ndarray, j: int) -> list[int]:
    return np.flatnonzero(labels == j).tolist()


@checked
def check_assignment(answer: Any) -> Feedback:
    """Exercise 3.1: the nearest of TINY_CENTRES for each customer of TINY: seven cluster
    numbers, 0 or 1, as a list, an array, a Series, a one-column table or numeric strings."""
    expected = assign(TINY, TINY_CENTRES)
    what = f"{len(TINY)} cluster numbers, 0 or 1, one per customer in order"
    if _is_true_false(answer):
        raise AnswerFormError(f"those are True/False values; answer with {what} "
                              "(.astype(int) turns True/False into 1/0).")
    labels = _as_array(answer, expected.shape, what)
    if (labels == expected).all():
        return _right(f"Cluster 0 gets customers {_members(expected, 0)}, cluster 1 the rest; "
                      "each customer is clearly nearer its own centre.")
    if (labels == expected + 1).all():
        return _wrong("clusters are numbered from 0: the first centre (TINY_CENTRES[0]) is "
                      "cluster 0 and the second cluster 1, as argmin numbers them.")
    if not np.isin(labels, (0, 1)).all():
        return _wrong("each value must be 0 (nearest TINY_CENTRES[0]) or 1 (nearest "
                      "TINY_CENTRES[1]).")
    if (labels == 1 - expected).all():
        return _wrong("every customer went to the farther centre: take the smallest distance "
                      "(argmin, not argmax).")
    wrong = np.flatnonzero(labels != expected).tolist()
    return _wrong(f"customers {wrong} (counting from 0) are nearer the other centre.")


@checked
def check_new_centres(answer: Any) -> Feedback:
    """Exercise 3.2: the centres after one update, from the assignment of exercise 3.1, as
    two rows [x, y] in any array form. Values rounded to 2 decimals are right."""
    labels, expected = _tiny_step()
    what = "the two new centres as two rows of two numbers, [[x, y], [x, y]]"
    if _is_true_false(answer):
        raise AnswerFormError(f"those are True/False values; answer with {what}.")
    centres = _as_array(answer, expected.shape, what)
    if _within_rounding(centres, expected, 2):
        shown = " and ".join(f"({x:.3f}, {y:.3f})" for x, y in expected)
        return _right(f"The centres moved to {shown}.")
    if _within_rounding(centres[::-1], expected, 2):
        return _wrong("right centres, wrong order: row 0 is the centre of cluster 0 (the "
                      f"customers {_members(labels, 0)}).")
    if _within_rounding(centres.T, expected, 2):
        return _wrong("each row is one centre: [x, y] of cluster 0, then of cluster 1 "
                      "(transpose your answer).")
    off = [j for j in range(len(expected)) if not _within_rounding(centres[j], expected[j], 2)]
    if _within_rounding(centres, expected, 1):
        if np.allclose(centres, np.round(centres, 1)):
            return _wrong("close, but rounded too far: give 2 decimals.")
        which = f"centre {off[0]} is" if len(off) == 1 else "both centres are"
        return _wrong(f"close, but {which} off in the second decimal: check the arithmetic "
                      "and the rounding.")
    if any(_within_rounding(row, TINY.mean(axis=0), 2) for row in centres):
        return _wrong("that is the mean of all customers; take the mean of each cluster.")
    if _within_rounding(centres, TINY_CENTRES, 2):
        return _wrong("those are the starting centres; move each to the mean of its cluster.")
    which = f"centre {off[0]} is not" if len(off) == 1 else "neither centre is"
    members = "; ".join(f"cluster {j} is customers {_members(labels, j)}" for j in off)
    return _wrong(f"{which} the mean of its cluster ({members}).")


@checked
def check_objective(answer: Any) -> Feedback:
    """Exercise 3.3: J for the new centres, with the assignment of exercise 3.1, as one number
    in any form. A value rounded to 2 decimals is right."""
    labels, centres = _tiny_step()
    squared = ((TINY - centres[labels]) ** 2).sum(axis=1)
    expected = objective(TINY, centres, labels)
    before = objective(TINY, TINY_CENTRES, labels)
    if _is_true_false(answer):
        raise AnswerFormError("those are True/False values; answer with one number, J.")
    value = _as_number(answer, "one number, J")
    if _within_rounding(value, expected, 2):
        return _right(f"J = {expected:.3f}, down from {before:.3f} with the old centres.")
    if _within_rounding(value, np.sqrt(squared).sum(), 2):
        return _wrong("that sums distances; J sums squared distances.")
    if _within_rounding(value, before, 2):
        return _wrong("that is J for the old centres; use the new ones.")
    if _within_rounding(value, expected / len(TINY), 2):
        return _wrong("that is the mean of the squared distances; J is their sum.")
    for j in range(len(centres)):
        if _within_rounding(value, squared[labels == j].sum(), 2):
            return _wrong(f"that is cluster {j} alone; J adds up both clusters.")
    if _within_rounding(value, expected, 1):
        if value == round(value, 1):
            return _wrong("close, but rounded too far: give 2 decimals.")
        return _wrong("close, but off in the second decimal: check the arithmetic and the "
                      "rounding.")
    return _wrong("sum, over customers, the squared distance to their own cluster's centre.")


# --- Notebook 4: choosing k -----------------------------------------------------------------

#: What names each reason for a choice of k, in a lower-case text (a reason may name several).
#: Whole words where a part would mislead ("largest silhouette" is no business reason).
_K_REASONS = {
    "elbow": re.compile(r"elbow|\bbend|\bknee|\bkink|flatten|levels? off|inertia|肘|拐点"),
    "silhouette": re.compile(r"silhouette|轮廓"),
    "business": re.compile(r"business|\bask|\bgrades?\b|\bsales\b|scenario|wholesaler|"
                           r"\bmanager|marketing|campaign|strateg|业务|大中小|大、中、小|大客户"),
}
#: Two of these together also name the business's grades ("large, medium and small").
_SIZE_WORDS = re.compile(r"\b(large|medium|small|big)\b")


def _reason_text(reason: Any) -> str:
    if isinstance(reason, (list, tuple)) and reason and all(isinstance(r, str) for r in reason):
        reason = " ".join(reason)
    if not isinstance(reason, str):
        raise AnswerFormError(f'write the reason as text in quotes, such as reason = "..."; got '
                              f"{_kind(reason)}.")
    return reason.lower()


def _k_table(table: Any) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame) or not {"k", "J", "silhouette"} <= set(table):
        raise AnswerFormError("pass the table of J and silhouettes made above as the third "
                              "argument: check_k_choice(k, reason, table).")
    return table


@checked
def check_k_choice(k: Any, reason: Any = ..., table: Any = None) -> Feedback:
    """Exercise 4.1: a k and the reason for it, read against ``table`` (from
    :func:`segmentation.selection.scan_k`).

    Right: the k where J bends most sharply or where the silhouette is highest, for that
    reason; or k = 3 because the business asked for three grades (large, medium and small
    customers, notebook 1). ``k`` may be any whole number (3, "3", 3.0) or hold both, as
    ``(3, "the business asked for three grades")``.
    """
    from segmentation.features import GRADES  # the scenario's grades: one segment for each

    if reason is ... and isinstance(k, (tuple, list)) and len(k) == 2 and isinstance(k[1], str):
        k, reason = k
    number = _as_whole_number(k, "k as a whole number, such as 4")
    if number < 1:
        raise AnswerFormError(f"k counts segments: a whole number from 1 up, not {number}.")
    if reason is ... or reason is None:
        return Feedback(False, f'k = {number} is there; now say why, as text: reason = "...".',
                        answered=False)
    text, table = _reason_text(reason), _k_table(table)
    named = [name for name, pattern in _K_REASONS.items() if pattern.search(text)]
    if "business" not in named and len(set(_SIZE_WORDS.findall(text))) >= 2:
        named.append("business")
    if not named:
        return _wrong(f"say why k = {number} in a few words: which guide (the elbow of J, the "
                      "silhouette) or which need of the business points to it?")
    silhouette = table.set_index("k")["silhouette"]
    best, bend, grades = best_silhouette(table), elbow(table), len(GRADES)
    against = (f", against {silhouette[number]:.3f} at k = {number}"
               if number != best and pd.notna(silhouette.get(number)) else "")
    supports = {"elbow": bend, "silhouette": best, "business": grades}
    facts = {
        "elbow": f"J bends most sharply at k = {bend}",
        "silhouette": f"the silhouette is highest at k = {best} ({silhouette[best]:.3f}{against})",
        "business": f"the business asked for {grades} grades ({', '.join(reversed(GRADES))}), "
                    f"which means k = {grades}",
    }
    right = [name for name in named if supports[name] == number]
    if not right:
        shown = [("the table shows " if name != "business" else "") + facts[name]
                 for name in named]
        return _wrong(f"k = {number} does not follow from that: {'; and '.join(shown)}.")
    if "business" in right:
        price = [facts[name] for name in ("elbow", "silhouette") if supports[name] != number]
        return _right(f"k = {number} gives the grades the business asked for (large, medium and "
                      "small customers)" + (f", at a price: {' and '.join(price)}." if price
                                            else ", and the table's guides agree."))
    off = [facts[name] for name in named if supports[name] != number and name != "business"]
    note = f" (Note: {'; and '.join(off)}.)" if off else ""
    closing = (f" It also gives the {grades} grades the business asked for." if number == grades
               else f" The business asked for {grades} grades, though: the course goes on with "
                    f"k = {grades}.")
    guides = " and ".join(facts[name] for name in right)
    return _right(f"{guides[0].upper()}{guides[1:]}: the split the data itself supports best.{closing}"
                  f"{note}")


@checked
def check_dominant_feature(answer: Any) -> Feedback:
    """Exercise 4.2: the spending column that weighs most in the distances between customers
    when spending is not scaled: the one that spreads widest. A name in any letter case or
    spacing, or an alias ("Delicatessen")."""
    raw = spending(load_customers())
    spread, share = raw.std(), raw.var() / raw.var().sum()
    if isinstance(answer, pd.Series) and len(answer) > 1 and answer.dtype.kind in "fiu":
        raise AnswerFormError("that is one number per column; answer with the name of the "
                              "column whose number is largest (.idxmax()).")
    leaves = _leaves(answer)
    column = _column_name(leaves[0]) if len(leaves) == 1 else None
    if column is None:
        raise AnswerFormError("answer with the name of one spending column, one of "
                              f"{', '.join(SPENDING_COLUMNS)}; got {_kind(answer)}.")
    if column == spread.idxmax():
        # The mean squared distance between two customers is twice the sum of the variances,
        # so a column's share of the variance is its share of that distance.
        return _right(f"{column} has the largest spread (standard deviation "
                      f"{spread[column]:,.0f} m.u.) and {share[column]:.0%} of the raw variance: "
                      f"on average {share[column]:.0%} of the squared distance between two "
                      "customers comes from it alone, so it weighs most unless the features "
                      "are scaled.")
    return _wrong(f"{column} has standard deviation {spread[column]:,.0f} m.u. "
                  f"({share[column]:.0%} of the raw variance); another column spreads wider.")


# --- Notebook 5: modelling and prediction ---------------------------------------------------

#: The new customer of exercise 5.1 (annual spending, m.u.).
NEW_CUSTOMER = {"Fresh": 2_000, "Milk": 12_000, "Grocery": 25_000, "Frozen": 500,
                "Detergents_Paper": 11_000, "Delicassen": 1_500}


def _course_model() -> Any:
    """The model of notebook 5: k = 3 on the course data, seed 0."""
    from segmentation.model import SegmentationModel

    return SegmentationModel.fit(load_customers(), k=3, random_state=0, evaluate=False)


def _squeezed(text: str) -> str:
    """A segment name without case or spaces: "Small,frozen and Fresh : mostly horeca (99%)"
    reads as "small, frozen and fresh: mostly Horeca (99%)"."""
    return _normalised(text).replace(" ", "")


def _named_segment(text: str, names: list[str]) -> int | None:
    """The segment a text names, whole or up to its colon (the part before the channel)."""
    key = _squeezed(text)
    whole = [_squeezed(name) for name in names]
    heads = [_squeezed(name.split(":")[0]) for name in names]
    for candidates in (whole, heads):
        if key and candidates.count(key) == 1:
            return candidates.index(key)
    return None


def _segment_number(answer: Any, names: list[str]) -> int:
    """The segment an answer gives: its number (1, "1", 1.0, "segment 1", or one value in a
    list, array or Series) or its name. Raises :class:`AnswerFormError` for anything else."""
    what = f"one segment: its number (0 to {len(names) - 1}) or its name"
    if isinstance(answer, pd.DataFrame) and "segment" in answer:
        raise AnswerFormError("that is the whole table that predict gives; answer with its "
                              "segment: result['segment'].")
    leaves = _leaves(answer)
    if len(leaves) != 1:
        raise AnswerFormError(f"answer with {what}; got {_kind(answer)}.")
    value = leaves[0]
    if isinstance(value, str):
        named = _named_segment(value, names)
        if named is not None:
            return named
        value = re.sub(r"^\s*segment\s*", "", value, flags=re.IGNORECASE)
        if _one_number(value) is None:
            text = leaves[0].strip()
            shown = text if len(text) <= 60 else f"{text[:60]}…"
            raise AnswerFormError(f"answer with {what}; {shown!r} is neither a number nor the "
                                  "name of a segment (see model.names).")
    number = _as_whole_number(value, what)
    if not 0 <= number < len(names):
        raise AnswerFormError(f"there is no segment {number}: answer with a segment number "
                              f"(0 to {len(names) - 1}) or its name.")
    return number


@checked
def check_new_customer_segment(answer: Any) -> Feedback:
    """Exercise 5.1: the segment the model of notebook 5 gives :data:`NEW_CUSTOMER`.

    The segment's number in any natural form (1, "1", 1.0, "segment 1", a one-value list,
    array or Series) or its name in any letter case and spacing, whole or up to its colon.
    """
    model = _course_model()
    result = model.predict(pd.DataFrame([NEW_CUSTOMER]))
    right = int(result["segment"].iloc[0])
    given = _segment_number(answer, model.names)
    distances = result[[f"distance_{j}" for j in range(model.k)]].iloc[0]
    if given == right:
        return _right(f"Segment {right}, '{model.names[right]}': its centre is the nearest "
                      f"(distance {distances.iloc[right]:.2f} against "
                      f"{', '.join(f'{d:.2f}' for j, d in enumerate(distances) if j != right)}).")
    return _wrong(f"segment {given} is at distance {distances.iloc[given]:.2f}; another centre "
                  "is nearer. Put the customer in a one-row table and use model.predict.")


#: The customers of exercise 5.2, by id.
EXERCISE_IDS = (10, 20, 30, 40)


def _saved_model(model: Any) -> Any:
    """The model the student saved: the model itself or the path of its file (the course's
    k = 3 model when none is given)."""
    import os

    from segmentation.model import ModelFileError, SegmentationModel, load_model

    if model is None:
        return _course_model()
    if isinstance(model, SegmentationModel):
        return model
    if isinstance(model, (str, os.PathLike)):
        try:
            return load_model(model)
        except ModelFileError as exc:
            raise AnswerFormError(f"the saved model cannot be read: {exc.problems[0]} Save it "
                                  "again with model.save(path), then run this cell.") from None
    raise AnswerFormError("give the saved model as the second argument: the path it was saved "
                          "to, or the model load_model returned.")


def _segment_list(answer: Any, count: int) -> list[float]:
    """``count`` numbers from a list, tuple, array, Series or text ("0, 1, 2, 2")."""
    what = f"{count} segment numbers, one per customer, in the order of their ids"
    if isinstance(answer, str):
        answer = [part for part in re.split(r"[\s,;]+", answer.strip(" []()")) if part]
    if isinstance(answer, pd.DataFrame):
        hint = " (its 'segment' column: result['segment'])" if "segment" in answer else ""
        raise AnswerFormError(f"answer with {what}{hint}; got {_kind(answer)}.")
    container = (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series)
    if not isinstance(answer, container) and _one_number(answer) is None:
        raise AnswerFormError(f"answer with {what}; got {_kind(answer)}.")
    leaves = _leaves(answer)
    if len(leaves) != count:
        raise AnswerFormError(f"give {count} segment numbers, one per customer, not "
                              f"{len(leaves)}.")
    return _as_array(leaves, (count,), what).tolist()


@checked
def check_reloaded_segments(answer: Any, model: Any = None) -> Feedback:
    """Exercise 5.2: the segments of the customers with ids :data:`EXERCISE_IDS`, as the
    model the student saved gives them.

    ``model`` is that model, or the path it was saved to (the notebook passes ``path``), so
    that a student who saved a model with another k is checked against it. The answer: four
    whole numbers as a list, tuple, array, Series, or text such as "0, 1, 2, 2".
    """
    model = _saved_model(model)
    customers = load_customers().set_index("id")
    right = model.predict(customers.loc[list(EXERCISE_IDS)])["segment"].tolist()
    given = _segment_list(answer, len(EXERCISE_IDS))
    if any(g != round(g) for g in given):
        raise AnswerFormError("segment numbers are whole numbers; got "
                              f"{', '.join(f'{g:g}' for g in given)}.")
    if any(not 0 <= g < model.k for g in given):
        return _wrong(f"the saved model has segments 0 to {model.k - 1}; "
                      f"{', '.join(f'{g:g}' for g in given if not 0 <= g < model.k)} is not one.")
    given = [int(g) for g in given]
    if given == right:
        names = "; ".join(f"id {i}: {s}. {model.names[s]}" for i, s in zip(EXERCISE_IDS, right))
        return _right(f"The model you saved and loaded (k = {model.k}) segments them so: "
                      f"{names}.")
    by_row = model.predict(customers.iloc[list(EXERCISE_IDS)])["segment"].tolist()
    if given == by_row:
        return _wrong("those are the customers in rows 10, 20, 30 and 40 (ids 11, 21, 31 and "
                      "41): select by id, customers[customers['id'].isin([10, 20, 30, 40])].")
    wrong = [i for i, g, r in zip(EXERCISE_IDS, given, right) if g != r]
    return _wrong(f"not for id {', '.join(map(str, wrong))}. Select the customers with "
                  "customers[customers['id'].isin([...])] and use the loaded model's predict.")
