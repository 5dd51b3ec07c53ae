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

import itertools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from segmentation.cluster.choosing import best_silhouette, elbow
from segmentation.cluster.kmeans import assign, objective, update_centres
from segmentation.data.schema import COLUMN_ALIASES, LABEL_CODES, SPENDING_COLUMNS, data_dictionary
from segmentation.data.shipped import load_customers
from segmentation.preprocessing.spending import (
    HAND_THRESHOLDS,
    iqr_outliers,
    log_spending,
    skewness,
    spending,
    strongest_correlations,
    total_spending,
)


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
NONE_ANSWER = (
    "your answer is None. print(...) and methods that change something in place "
    "(inplace=True, list.sort()) return None: assign the value itself, e.g. "
    "answer = table.sum(axis=1)."
)


def _unanswered(answer: Any) -> Feedback | None:
    if answer is ...:
        return Feedback(
            False, "replace the ... with your answer and run the cell again.", answered=False
        )
    if answer is None:
        return Feedback(False, NONE_ANSWER)
    return None


def _right(message: str) -> Feedback:
    return Feedback(True, message)


def _wrong(message: str) -> Feedback:
    return Feedback(False, message)


class AnswerFormError(ValueError):
    """An answer whose form (not value) cannot be read; the message says what was expected."""


def _objects(value: Any) -> np.ndarray:
    """``value`` as a NumPy array of objects; nesting NumPy cannot shape (such as
    ``[[0, 1], np.zeros((2, 2))]``) becomes a flat array of the outer items."""
    try:
        return np.asarray(value, dtype=object)
    except ValueError:
        items = list(value)
        array = np.empty(len(items), dtype=object)
        for i, item in enumerate(items):
            array[i] = item
        return array


def _kind(answer: Any) -> str:
    """How an answer of an unexpected form is named in a message."""
    if isinstance(answer, pd.DataFrame):
        rows, columns = answer.shape
        return (
            f"a table of {rows} row{'s' * (rows != 1)} and {columns} column{'s' * (columns != 1)}"
        )
    if isinstance(answer, (pd.Series, np.ndarray, list, tuple)):
        size = np.size(_objects(answer))
        return f"{type(answer).__name__} of {size} value{'s' * (size != 1)}"
    return f"{type(answer).__name__} {_echo(answer)}"


#: Control characters (and line or paragraph separators) that would break a one-line message.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped(text: str, limit: int | None = 40) -> str:
    """``text`` on one line, control characters escaped (a newline shows as \\n), cut at
    ``limit`` characters with an ellipsis."""
    text = _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)
    return text if limit is None or len(text) <= limit else text[:limit] + "…"


def _echo(value: Any) -> str:
    """How a value is shown in a message: its repr, escaped and cut, or ``<unprintable>``
    when its repr fails."""
    try:
        text = repr(value)
        if not isinstance(text, str):
            raise TypeError
    except Exception:  # a hostile __repr__: still a sentence
        return "<unprintable>"
    return _escaped(text)


def _as_array(answer: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """The answer as a float array of ``shape``: a list, tuple, NumPy array, pandas Series or
    table, and numbers written as text ("1", "12.5") are all accepted. Raises
    :class:`AnswerFormError` with what was expected for anything else."""
    if isinstance(answer, (str, bytes, dict, set)) or answer is ...:
        raise AnswerFormError(f"answer with {what}; got {_kind(answer)}.")
    try:
        values = _objects(answer)
        if values.dtype == object and values.ndim == 0 and not np.isscalar(answer):
            raise TypeError
        flat = [_one_number(v) for v in values.ravel()]
    except (TypeError, ValueError):
        raise AnswerFormError(f"answer with {what}; got {_kind(answer)}.") from None
    if any(v is None for v in flat):
        raise AnswerFormError(f"answer with {what}: every value must be a number.")
    array = np.array(flat, dtype=float)
    if array.size != int(np.prod(shape)):
        raise AnswerFormError(
            f"answer with {what}; got {array.size} value{'s' if array.size != 1 else ''}."
        )
    return array.reshape(shape)


_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")


def _one_number(value: Any) -> float | None:
    """A single number from a number, a numeric string, or a one-value container; None when
    it is not one (booleans are not numbers here: True is not an answer of 1)."""
    if isinstance(value, (pd.Series, pd.DataFrame, np.ndarray, list, tuple)):
        if np.size(_objects(value)) != 1:
            return None
        value = _objects(value).ravel()[0]
    if isinstance(value, (bool, np.bool_, complex, np.complexfloating)) or value is None:
        return None
    if value is np.ma.masked:  # a masked value is a missing one, not a number
        return None
    if isinstance(value, str):
        try:
            text = value.strip()
            if _THOUSANDS.fullmatch(text):  # 1,234,567: commas grouping digits
                text = text.replace(",", "")
            value = float(text)  # "10,71" (a decimal comma) is no number
        except ValueError:
            return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if np.isfinite(number) else None


# (?<!\d): a match starts only at the first of a run of digits, so a long run ("9" * 20000)
# is tried once, not from each of its digits (which took time growing with its square).
_COMMA_NUMBER = re.compile(r"(?<!\d)[-+]?\d+(,\d+)+(\.\d*)?")


def _decimal_comma_in(answer: Any) -> str | None:
    """The first number an answer writes as text with a decimal comma ("0,60", "66,0"), or
    None: commas that group digits in threes ("1,234") are thousands separators."""
    for leaf in _leaves(answer):
        if isinstance(leaf, str):
            for match in _COMMA_NUMBER.finditer(leaf):
                if not _THOUSANDS.fullmatch(match.group(0)):
                    return match.group(0)
    return None


def _as_number(answer: Any, what: str = "a number") -> float:
    """A single number (see :func:`_one_number`), or :class:`AnswerFormError`. A boolean
    table or Series gets a message of its own: it still has to be counted."""
    if isinstance(answer, (pd.Series, pd.DataFrame, np.ndarray)) and answer.size > 1:
        if np.asarray(answer).dtype == bool:
            raise AnswerFormError(
                f"that is a True/False value per row; answer with {what}: "
                "count the True values with .sum()."
            )
        raise AnswerFormError(f"answer with {what}, not {_kind(answer)}.")
    number = _one_number(answer)
    if number is None:
        raise AnswerFormError(f"answer with {what}; got {_kind(answer)}.")
    return number


def _as_whole_number(answer: Any, what: str = "a whole number") -> int:
    number = _as_number(answer, what)
    if number != round(number):
        raise AnswerFormError(f"answer with {what}; {number:g} is not whole.")
    return round(number)


def _within_rounding(
    given: np.ndarray | float, exact: np.ndarray | float, decimals: int = 2
) -> bool:
    """True when ``given`` equals ``exact`` to ``decimals`` decimal places, as when a student
    rounds a value worked by hand (12.21 for 12.208): at most half a unit in the last place
    (plus a hair for the binary representation of decimals)."""
    return bool(
        np.all(np.abs(np.asarray(given) - np.asarray(exact)) <= 0.5 * 10.0**-decimals + 1e-9)
    )


#: A longer text answer is refused before it is read (reading it could take long).
MAX_ANSWER_CHARS = 1_000

#: The longest message a check gives (what a student reads at a glance).
_MAX_MESSAGE_CHARS = 500


def _before_reading(answer: Any) -> tuple[Any, Feedback | None]:
    """The answer as the check reads it, or the verdict on it before any reading: unanswered,
    None, masked values (missing, not answers), text too long to be an answer."""
    if (none := _unanswered(answer)) is not None:
        return answer, none
    if isinstance(answer, np.ma.MaskedArray):
        if np.ma.getmaskarray(answer).any():
            return answer, _wrong(
                "some values of your answer are masked (missing); answer with every value "
                "filled in, e.g. a plain NumPy array or list."
            )
        answer = np.ma.getdata(answer)
    try:
        texts = [answer] if isinstance(answer, (str, bytes)) else _leaves(answer)
    except RecursionError:  # a = [1]; a.append(a)
        return answer, _wrong(
            "your answer holds itself (a list inside itself, without end); answer with "
            "plain values."
        )
    longest = max((len(t) for t in texts if isinstance(t, (str, bytes))), default=0)
    if longest > MAX_ANSWER_CHARS:
        return answer, _wrong(
            f"that answer is {longest:,} characters long; answer with the short value the "
            "task asks for (a number, a name or a few words)."
        )
    return answer, None


def _form_message(exc: AnswerFormError, answer: Any) -> str:
    # an answer refused for its form because of a decimal comma gets the one hint every
    # check gives for it (notebook 3's wording, _DECIMAL_POINT)
    comma = _decimal_comma_in(answer)
    if comma is not None and _DECIMAL_POINT not in str(exc):
        return f"{_escaped(repr(comma))} has a decimal comma: {_DECIMAL_POINT}"
    return str(exc)


def _unforeseen_message(exc: BaseException) -> str:
    try:
        detail = _escaped(str(exc), 80)
    except Exception:  # an exception whose __str__ fails
        detail = "<unprintable>"
    return (
        f"{CANNOT_READ} ({type(exc).__name__}: {detail}). Check the form of your answer "
        "against the task."
    )


def _one_line(feedback: Feedback) -> Feedback:
    """The verdict with its message on one line and of readable length, whatever went in."""
    message = _escaped(str(feedback.message), _MAX_MESSAGE_CHARS)
    return Feedback(bool(feedback.correct), message, answered=bool(feedback.answered))


def _verdict(function: Any, signature: Any, first: str, args: Any, kwargs: Any) -> Feedback:
    try:
        # by keyword too: check_k_choice(k=3, reason=..., table=table)
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        return _wrong(
            f"the check was called with other arguments than it takes ({_escaped(str(exc), 80)});"
            f" call it as in the exercise: {function.__name__}{signature}."
        )
    answer, early = _before_reading(bound.arguments.get(first, ...))
    if early is not None:
        return early
    if first in bound.arguments:
        bound.arguments[first] = answer
    try:
        return function(*bound.args, **bound.kwargs)
    except AnswerFormError as exc:
        return _wrong(_form_message(exc, answer))


def checked(function: Any) -> Any:
    """Make a check answer any input with a one-line sentence, never a traceback: an
    :class:`AnswerFormError` raised inside it becomes a "not yet" message, and anything
    else (even a failure while writing the message, or endless recursion) a message too."""
    import functools
    import inspect

    signature = inspect.signature(function)
    first = next(iter(signature.parameters))

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Feedback:
        try:
            return _one_line(_verdict(function, signature, first, args, kwargs))
        except Exception as exc:  # a student sees a sentence, never a traceback
            try:
                return _one_line(_wrong(_unforeseen_message(exc)))
            except Exception:
                return Feedback(False, f"{CANNOT_READ}. Check the form of your answer.")

    return wrapper


#: The start of the message when a check fails on an answer it did not foresee (the tests
#: make sure no foreseen answer ends here).
CANNOT_READ = "the check could not read this answer"

#: What every check says to a number written with a decimal comma.
_DECIMAL_POINT = "write decimals with a point, as Python does: 10.5, not 10,5."


def _normalised(text: str) -> str:
    """Lower case, with spaces, hyphens and underscores alike ("Detergents_Paper",
    "detergents paper" and " DETERGENTS-PAPER " read the same)."""
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


#: Each spending column (and alias) as :func:`_normalised` writes it.
_COLUMN_BY_NAME = {_normalised(c): c for c in SPENDING_COLUMNS} | {
    _normalised(alias): c for alias, c in COLUMN_ALIASES.items()
}


def _column_name(answer: Any) -> str | None:
    """The spending column a string names, in any letter case or spacing, by an alias
    ("Delicatessen") or by its Chinese name in the field table ("熟食类"), with or without a
    full stop or quotes around it; None when it names none."""
    if not isinstance(answer, str):
        return None
    text = answer.strip().strip(".,;:!?。，；：！？'\"‘’“”").strip()
    chinese = {row.chinese: row.name for row in data_dictionary().itertuples()}
    return _COLUMN_BY_NAME.get(_normalised(text)) or (
        chinese[text] if chinese.get(text) in SPENDING_COLUMNS else None
    )


def _columns_in_text(text: str) -> list[str]:
    """The spending columns a free text names, in the order it names them
    ("Grocery and Detergents_Paper", "grocery / detergents paper")."""
    words = " " + _normalised(re.sub(r"[^\w\s-]", " ", text)) + " "
    found = sorted(
        (words.find(f" {name} "), column)
        for name, column in _COLUMN_BY_NAME.items()
        if f" {name} " in words
    )
    return list(dict.fromkeys(column for _, column in found))


def _leaves(answer: Any) -> list[Any]:
    """The values of a (possibly nested) list, tuple, set, array, Index or Series."""
    if isinstance(answer, (str, bytes)) or not isinstance(
        answer, (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series)
    ):
        return [answer]
    # np.asarray first: iterating a np.matrix gives matrices again, without end
    items = np.asarray(answer).ravel() if isinstance(answer, np.ndarray) else answer
    return [leaf for item in items for leaf in _leaves(item)]


# --- Notebook 1: the scenario ---------------------------------------------------------------


@checked
def check_total_spending(answer: Any) -> Feedback:
    """Exercise 1.1: each customer's total spending over the six categories, as a Series (a
    table column), a NumPy array or a list, in the customers' order."""
    expected = total_spending(load_customers()).to_numpy()
    if isinstance(answer, pd.DataFrame) and answer.shape[1] > 1:
        raise AnswerFormError(
            f"that is {_kind(answer)}; add across each row with "
            ".sum(axis=1) to get one total per customer."
        )
    values = _as_array(
        answer,
        expected.shape,
        f"one total per customer ({len(expected)} numbers: add across each row with .sum(axis=1))",
    )
    if np.allclose(values, expected):
        return _right(f"Totals run from {expected.min():,.0f} to {expected.max():,.0f} m.u.")
    if np.allclose(np.sort(values), np.sort(expected)):
        return _wrong(
            "the totals are right but in another order: keep one total per customer "
            "in the customers' order (do not sort them)."
        )
    return _wrong(_what_totals_miss(values, expected, load_customers()))


def _what_totals_miss(values: np.ndarray, expected: np.ndarray, customers: pd.DataFrame) -> str:
    """Why totals differ from the sums of the six spending columns, told from how they
    differ: rounded, a mean, id or a label's code added, a constant offset, or otherwise."""
    for unit in (10, 100, 1_000, 10_000):
        if np.all(np.mod(values, unit) == 0) and np.all(np.abs(values - expected) <= unit / 2):
            return (
                f"those totals are rounded to the nearest {unit:,}; the task asks for the "
                "totals themselves: leave out the rounding."
            )
    if np.allclose(values, expected / len(SPENDING_COLUMNS)):
        return (
            "that is each customer's mean over the six spending columns, not the sum: use "
            ".sum(axis=1), not .mean(axis=1)."
        )
    # the columns a student may add by mistake: id (a number) and the labels' codes
    added = {"id": customers["id"].to_numpy(dtype=float)} | {
        column: customers[column]
        .map({name: code for code, name in codes.items()})
        .astype(float)
        .to_numpy()
        for column, codes in LABEL_CODES.items()
    }
    for size in range(1, len(added) + 1):
        for names in itertools.combinations(added, size):
            if np.allclose(values - expected, sum(added[name] for name in names)):
                shown = [name if name == "id" else f"the {name} code" for name in names]
                return (
                    f"your totals add {' and '.join(shown)} to the spending: sum only the "
                    "six spending columns, not id, Channel or Region."
                )
    extra = values - expected
    if np.ptp(extra) == 0:
        side = "larger" if extra[0] > 0 else "smaller"
        return (
            f"every total is {abs(extra[0]):,g} {side} than the sum of the six spending "
            "columns: add up those six, and nothing else."
        )
    if extra.mean() > 0:
        amount = f"{extra.mean():,.1f}" if extra.mean() < 1e9 else f"{extra.mean():.3g}"
        return (
            f"your totals are {amount} larger on average: sum only the six spending "
            f"columns ({', '.join(SPENDING_COLUMNS)}), and nothing else."
        )
    differ = int((~np.isclose(values, expected)).sum())
    return (
        f"{differ} of the {len(expected)} totals differ: sum the six spending columns "
        f"({', '.join(SPENDING_COLUMNS)}) of each customer."
    )


#: Exercise 1.2 moves the hand rule's "large" line here: the notebook prints the count at the
#: usual line (60,000 m.u.), so the exercise asks for one it does not print.
LOWER_LARGE_LINE = 50_000


def _count_of(answer: Any, what: str) -> int:
    """A count, told how to count when the answer is the things to count (a table, a list of
    ids, one True/False per customer). The message never says how many there are: that
    number is the answer."""
    if isinstance(answer, (list, tuple, np.ndarray, pd.Series, pd.Index, pd.DataFrame)):
        values = _objects(answer).ravel()
        if values.size > 1 and all(isinstance(v, (bool, np.bool_)) for v in values):
            raise AnswerFormError(
                f"that is a True/False value per row; answer with {what}: "
                "count the True values with .sum()."
            )
        if isinstance(answer, pd.DataFrame) and values.size > 1:
            raise AnswerFormError(
                f"that is a table; answer with {what}: count its rows with len(...)."
            )
        if (
            isinstance(answer, pd.Series)
            and values.size > 1
            and answer.index.dtype.kind not in "iuf"
        ):
            # value_counts() gives one count per value it found, labelled by that value
            groups = ", ".join(map(str, answer.index[:4])) + ", …" * (values.size > 4)
            raise AnswerFormError(
                f"that is one count per group ({groups}); answer with {what}: "
                "the one count the task asks for."
            )
        if 1 < values.size <= 5 and all(_one_number(v) is not None for v in values):
            # a handful of numbers is several answers, not the customers themselves
            raise AnswerFormError(f"that is {values.size} numbers; answer with one: {what}.")
        if values.size > 1:
            raise AnswerFormError(
                f"that is a list of values; answer with {what}: count them with len(...)."
            )
    number = _as_number(answer, what)
    if 0 < number < 1:
        raise AnswerFormError(
            f"that is a share, not a count (.mean() of True/False values "
            f"gives the share of True); answer with {what}: count the True "
            "values with .sum()."
        )
    return _as_whole_number(number, what)


@checked
def check_large_by_hand(answer: Any) -> Feedback:
    """Exercise 1.2: how many customers would be large if the hand rule's "large" line were
    moved down to LOWER_LARGE_LINE (a number in any form: 66, 66.0, "66", a one-value list
    or Series)."""
    customers = load_customers()
    total = total_spending(customers)
    line, usual = LOWER_LARGE_LINE, HAND_THRESHOLDS["large"]
    expected = int((total >= line).sum())
    given = _count_of(answer, "a number of customers")
    if given == expected:
        moved = expected - int((total >= usual).sum())
        return _right(
            f"{given} of {len(customers)} customers would be large at {line:,} m.u.: "
            f"moving the line by {usual - line:,} m.u. changes the grade of {moved} "
            "customers."
        )
    if given == int((total >= usual).sum()):
        return _wrong(
            f"that is the count at the usual line of {usual:,} m.u.; the task moves "
            f"the line down to {line:,}."
        )
    if given == len(customers) - expected:
        return _wrong(f"that counts the customers below {line:,}; count those at or above.")
    if given == int(((total >= line) & (total < usual)).sum()):
        return _wrong(
            f"that counts only the customers between {line:,} and {usual:,} m.u.; "
            f"those above {usual:,} are large too."
        )
    if given == int((total >= HAND_THRESHOLDS["medium"]).sum()):
        return _wrong(
            f"that counts every customer from {HAND_THRESHOLDS['medium']:,} m.u. "
            f"up (medium and large); large starts at {line:,} in this task."
        )
    if not 0 <= given <= len(customers):
        return _wrong(f"a number of customers lies between 0 and {len(customers)}.")
    return _wrong(f"count the customers whose total spending is at least {line:,} m.u.")


#: How an answer says clustering, names another kind of problem, or denies clustering.
_CLUSTERING = ("cluster", "unsupervised", "聚类", "无监督")
_OTHER_KINDS = (
    (r"semi\s*-?\s*supervised|半监督", "semi-supervised learning"),
    (r"supervised|监督", "supervised learning"),
    (r"classif|分类", "classification"),
    (r"regress|回归", "regression"),
)
_DENIAL = re.compile(
    r"\b(not|no|non|never|isn'?t|nor)\s*-?\s*(an?\s+|the\s+|really\s+|just\s+)?"
    r"(unsupervised|cluster)|(不是|不|非|没有)\s*(无监督|聚类)"
)
#: Another kind of problem ruled out ("clustering, not classification").
_NOT_OTHER = re.compile(
    r"\b(not|no|non|never|isn'?t|nor|rather than|instead of)\s*-?\s*"
    r"(an?\s+|the\s+)?(semi\s*-?\s*)?(supervised|classif|regress)\w*|"
    r"(不是|不|非|而非)\s*(半监督|监督|分类|回归)"
)
#: Labels said to be missing ("no labels", "unlabelled"); any other "label" says they exist.
_NO_LABELS = re.compile(
    r"\bun\s*-?\s*label|\b(no|without|not|non|never)\s*-?\s*(any\s+)?"
    r"label|label\w*\s*-?\s*(free|less|unknown|missing|absent)|"
    r"labels?\s+(are\s+)?(not|never)\b|(无|没有|没|不带)\s*(标签|标注)"
)


def _other_kinds(text: str) -> list[str]:
    """The kinds of problem other than clustering that a text names, in a fixed order."""
    found = []
    for pattern, name in _OTHER_KINDS:
        if re.search(pattern, text):
            found.append(name)
            text = re.sub(pattern, " ", text)  # "semi-supervised" is not "supervised" too
    return found


def _problem_text(answer: Any) -> str:
    """An answer to exercise 1.3 as lower-case text on one line, with the other spellings of
    "unsupervised" written as that word. Raises :class:`AnswerFormError` for an answer that is
    not text, or is empty."""
    if not isinstance(answer, str):
        raise AnswerFormError(
            "answer with the kind of problem as text in quotes: "
            f'answer = "..." with your words between the quotes; got '
            f"{_kind(answer)}."
        )
    text = " ".join(answer.lower().split())
    if not text:
        raise AnswerFormError('write your answer between the quotes: answer = "...".')
    # "non-supervised", "not supervised" and 非监督 are other spellings of unsupervised
    text = re.sub(r"\b(non|not)\s*-?\s*supervised", "unsupervised", text)
    return re.sub(r"(不是|非)监督", "无监督", text)


@checked
def check_problem_type(answer: Any) -> Feedback:
    """Exercise 1.3: what kind of machine-learning problem segmentation is, in a word or two
    ("clustering", "unsupervised learning", "聚类"). An answer that also names another kind,
    says it is *not* clustering, or says the records carry labels is not taken as clustering;
    one that rules another kind out ("clustering, not classification") is."""
    text = _problem_text(answer)
    if any(word in text for word in _CLUSTERING) and _DENIAL.search(text):
        return _wrong(
            "your answer says it is not clustering; decide, and answer with the one "
            "kind of problem it is."
        )
    if re.search(r"label|标签|标注", _NO_LABELS.sub(" ", text)):
        return _wrong(
            "your answer says the records carry labels, but nobody has labelled "
            "these customers: no record comes with its right segment."
        )
    ruled_out = _NOT_OTHER.search(text) is not None
    text = _NOT_OTHER.sub(" ", text)
    clustering = any(word in text for word in _CLUSTERING)
    # "unsupervised classification" is what some fields (remote sensing) call clustering
    synonym = re.search(r"unsupervised classif|无监督分类", text)
    others = _other_kinds(re.sub(r"unsupervised( classif\w*)?|无监督(分类)?", " ", text))
    if clustering and not others:
        return _right(
            ("'Unsupervised classification' is another name for clustering. " if synonym else "")
            + "The records carry no labels: the groups must "
            "be found in the data itself."
        )
    if clustering and others[0].endswith("supervised learning"):
        some = "a few " if others[0].startswith("semi") else ""
        return _wrong(
            f"'{others[0].split()[0]}' means learning from {some}labelled records, but "
            "nobody has labelled these customers: no record comes with its right "
            "segment."
        )
    if clustering:
        named = "clustering" if re.search(r"cluster|聚类", text) else "unsupervised learning"
        return _wrong(
            f"your answer names both {named} and {others[0]}; {others[0]} needs "
            "a known answer for each customer, which these records lack: answer with "
            "the one kind of problem it is."
        )
    if ruled_out and not others:
        return _wrong("say what kind of problem it is, rather than what it is not.")
    if others:
        which = "some customers" if others[0].startswith("semi") else "each customer"
        return _wrong(
            f"{others[0]} needs a known answer for {which}; customer records carry no such label."
        )
    if re.search(r"k[\s-]?means", text):
        return _wrong("k-means is a method; name the kind of problem it solves.")
    return _wrong("think about whether each customer comes with the right group attached.")


# --- Notebook 2: the data -------------------------------------------------------------------

#: The text of notebook 2 prints the skewness and the correlations of all customers, so its
#: exercises ask about one group of them: a computation of the student's own.
SKEW_REGION = "Oporto"
PAIR_CHANNEL = "Horeca"


def _rank_word(rank: int, of: int, most: str = "largest", least: str = "smallest") -> str:
    """1 -> "largest", 2 -> "second largest", ..., ``of`` -> "smallest"."""
    if rank == of:
        return least
    return {1: most, 2: f"second {most}", 3: f"third {most}"}.get(rank, f"{rank}th {most}")


def _one_column(answer: Any) -> str:
    """The one spending column an answer names: a name (see :func:`_column_name`), a
    one-value list, array, Index or Series of it, or a one-value Series labelled by its
    column (as ``skew.nlargest(1)`` gives). Raises :class:`AnswerFormError` otherwise."""
    form = f"answer with one column name, one of {', '.join(SPENDING_COLUMNS)}"
    given = answer
    if isinstance(answer, pd.Series) and len(answer) == 1 and not isinstance(answer.iloc[0], str):
        answer = str(answer.index[0])
    elif isinstance(answer, pd.Series) and all(_column_name(str(i)) for i in answer.index):
        raise AnswerFormError(
            f"that is one value per column; {form}: the largest is named by .idxmax()."
        )
    if isinstance(answer, (list, tuple, np.ndarray, pd.Index, pd.Series)):
        leaves = _leaves(answer)
        if len(leaves) != 1:
            raise AnswerFormError(f"{form}; got {_kind(given)}.")
        answer = leaves[0]
    column = _column_name(answer)
    if column is None:
        raise AnswerFormError(f"{form}; got {_kind(given)}.")
    return column


def _name_and_number(answer: Any) -> tuple[Any, Any]:
    """A column's name with a number beside it, as ``("Frozen", 5.49)`` or "Frozen (5.49)",
    split into the name and the number; ``(answer, None)`` for any other answer."""
    if isinstance(answer, (tuple, list)) and len(answer) == 2:
        named = [isinstance(v, str) and _column_name(v) is not None for v in answer]
        if named.count(True) == 1 and _one_number(answer[named.index(False)]) is not None:
            return answer[named.index(True)], answer[named.index(False)]
    if isinstance(answer, str) and _column_name(answer) is None:
        columns, numbers, words = _parts_of_text(answer)
        if len(columns) == 1 and len(numbers) == 1 and not words:
            return columns[0], numbers[0]
    return answer, None


@checked
def check_most_skewed(answer: Any) -> Feedback:
    """Exercise 2.1: the most skewed spending column (raw values) among the customers of
    SKEW_REGION, by name in any letter case, by its Chinese name, or as ``skew.idxmax()``
    gives it; its skewness given beside it (``("Frozen", 5.49)``) must be right to the
    decimals written (at least 2)."""
    customers = load_customers()
    region = customers[customers["Region"] == SKEW_REGION]
    skew = skewness(spending(region))
    name, number = _name_and_number(answer)
    column = _one_column(name)
    best = skew.idxmax()
    if (
        column == best
        and number is not None
        and not _within_rounding(_one_number(number), skew[best], max(2, _decimals(number)))
    ):
        return _wrong(
            f"{best} is the right column, but its skewness among the customers of "
            f"{SKEW_REGION} (raw values) is {skew[best]:.2f}, not {number}."
        )
    if column == best:
        top, median = region[best].max(), region[best].median()
        return _right(
            f"{best} has skewness {skew[best]:.2f} among the {len(region)} customers "
            f"of {SKEW_REGION}: one of them buys {top:,} m.u. of it, "
            f"{top / median:.0f} times the region's median: one customer far out is "
            "enough to make a long tail."
        )
    if column == skewness(spending(customers)).idxmax():
        return _wrong(
            f"{column} is the most skewed over all {len(customers)} customers (the "
            f"table above); the task asks about the {len(region)} customers of "
            f"{SKEW_REGION} only."
        )
    rank = int((skew > skew[column]).sum()) + 1
    message = (
        f"{column} has skewness {skew[column]:.2f} among the customers of {SKEW_REGION} "
        f"(raw values), the {_rank_word(rank, len(skew))} of the six"
    )
    log_skew = skewness(log_spending(region))
    if column == log_skew.abs().idxmax():
        message += (
            f"; on the log scale its skewness is {log_skew[column]:.2f}, the largest "
            "in size, but the task asks for the raw values"
        )
    return _wrong(message + ".")


#: Words a text answer may hold beside two column names ("Milk and Grocery, r = 0.60").
_PAIR_FILLER = {
    "and",
    "with",
    "vs",
    "versus",
    "the",
    "pair",
    "columns",
    "column",
    "is",
    "are",
    "of",
    "between",
    "correlation",
    "r",
    "和",
    "与",
    "跟",
    "及",
}
_PAIR_DENIAL = re.compile(r"\b(not|no|never|nor|neither|isn'?t|aren'?t)\b|不是|不|非")
_DECIMAL = re.compile(r"[-+]?(\d+\.\d*|\.\d+|\d+)")


def _decimals(value: Any) -> int:
    """How many decimals a number was written with (0.6 -> 1, "0.60" -> 2)."""
    text = value.strip() if isinstance(value, str) else repr(float(value))
    return len(text.split(".")[1]) if "." in text and "e" not in text.lower() else 0


def _parts_of_text(text: str) -> tuple[list[str], list[str], list[str]]:
    """The column names (in order), the numbers and the other words of a free text such as
    "Grocery and Detergents_Paper (0.92)" or "杂货和洗涤类"."""
    numbers = [m.group(0) for m in _DECIMAL.finditer(text.replace(",", " "))]
    rest = " " + _normalised(re.sub(r"[^\w\s-]", " ", _DECIMAL.sub(" ", text))) + " "
    found = []
    chinese = {
        row.chinese: row.name
        for row in data_dictionary().itertuples()
        if row.name in SPENDING_COLUMNS
    }
    names = [(f" {name} ", column) for name, column in _COLUMN_BY_NAME.items()]
    names += [(name, column) for name, column in chinese.items()]
    for name, column in sorted(names, key=lambda item: -len(item[0])):  # longest first
        while (at := rest.find(name)) >= 0:
            found.append((at, column))
            rest = rest[:at] + " " * len(name) + rest[at + len(name) :]
    words = [w for w in re.split(r"[\s和与跟及]+", rest) if w and w not in _PAIR_FILLER]
    # name an unknown word as the student wrote it ("Detergent", not "detergent")
    words = [(re.search(re.escape(w), text, re.IGNORECASE) or [w])[0] for w in words]
    return [column for _, column in sorted(found)], numbers, words


def _pair_items(answer: Any, form: str) -> Any:
    """The items of an answer to a pair of columns: the pair's names for the one pair that
    ``.nlargest(1)`` gives, the one row of a table, else the answer itself. Raises
    :class:`AnswerFormError` for a dict, for correlations of several pairs and for a table
    of more than one row (``form`` says what to answer with)."""
    if isinstance(answer, dict):
        raise AnswerFormError(f"{form}; got {_kind(answer)}.")
    if (
        isinstance(answer, pd.Series)
        and isinstance(answer.index, pd.MultiIndex)
        and pd.api.types.is_numeric_dtype(answer)
    ):
        if len({frozenset(pair) for pair in answer.index}) != 1:
            raise AnswerFormError(
                "that is one correlation per pair; take the strongest pair with .idxmax()."
            )
        answer = list(answer.index[0])
    if isinstance(answer, pd.DataFrame):
        if len(answer) != 1:
            raise AnswerFormError(
                f"that is a table; {form}. In the correlation table, the "
                "strongest pair is where .stack().idxmax() points once the "
                "1.0 of each column with itself is left out."
            )
        answer = answer.iloc[0]
    return answer


def _pair_parts(answer: Any, form: str) -> tuple[list[str], list[Any], list[str], list[Any]]:
    """What the items of an answer to a pair of columns are (see :func:`_pair_items`): the
    column names, in order; the numbers; the words that name no column; and other values."""
    if isinstance(answer, str):
        if _PAIR_DENIAL.search(answer.lower()):
            raise AnswerFormError(
                "your answer says 'not'; answer with the pair that is most strongly correlated."
            )
        given, numbers, unknown = _parts_of_text(answer)
        if not given:
            raise AnswerFormError(f"{form}; your text names no spending column.")
        return given, numbers, unknown, []
    given, numbers, unknown, others = [], [], [], []
    for leaf in _leaves(answer):
        if isinstance(leaf, str) and _column_name(leaf):
            given.append(_column_name(leaf))
        elif isinstance(leaf, str) and _one_number(leaf) is not None:
            numbers.append(leaf)
        elif isinstance(leaf, str):
            unknown.append(leaf)
        elif _one_number(leaf) is not None:
            numbers.append(leaf)
        else:
            others.append(leaf)
    return given, numbers, unknown, others


def _column_pair(answer: Any) -> tuple[str, str, Any]:
    """The two spending columns an answer names, and the correlation given beside them (None
    when none is): two names in a tuple, list, set, array or Series, in any order and letter
    case; the pair ``corr.stack().idxmax()`` or ``.nlargest(1)`` gives; one row of
    :func:`strongest_correlations`; or a text such as "Grocery and Detergents_Paper". A
    third item, a number or a numeric text, is read as the pair's correlation."""
    form = "answer with two column names, such as ('Milk', 'Frozen')"
    given, numbers, unknown, others = _pair_parts(_pair_items(answer, form), form)
    if unknown:
        raise AnswerFormError(
            f"{unknown[0]!r} is not a spending column; use two of {', '.join(SPENDING_COLUMNS)}."
        )
    names = list(dict.fromkeys(given))
    if others or (numbers and len(names) < 2):
        odd = [repr(v) if isinstance(v, str) else str(v) for v in [*others, *numbers]][:3]
        verb = "is not a column name" if len(odd) == 1 else "are not column names"
        raise AnswerFormError(f"{' and '.join(odd)} {verb}; {form}, in quotes.")
    if len(names) == 1 and len(given) > 1:
        raise AnswerFormError(
            "a column with itself always has correlation 1; give two different columns."
        )
    if len(names) != 2:
        listed = f": {', '.join(names)}" if names else ""
        raise AnswerFormError(
            f"{form}; got {len(names)} column name{'s' * (len(names) != 1)}{listed}."
        )
    if len(given) > 2:
        repeated = next(name for name in names if given.count(name) > 1)
        raise AnswerFormError(
            f"{repeated} appears twice; answer with exactly two different columns."
        )
    if len(numbers) > 1:
        raise AnswerFormError("beside the two names, give at most one number: their correlation.")
    return names[0], names[1], numbers[0] if numbers else None


@checked
def check_strongest_pair(answer: Any) -> Feedback:
    """Exercise 2.2: the two spending columns most strongly correlated on the log scale among
    the PAIR_CHANNEL customers, in any order and form (see :func:`_column_pair`); a
    correlation given beside them must be theirs, to the decimals written (at least 2)."""
    customers = load_customers()
    group = customers[customers["Channel"] == PAIR_CHANNEL]
    ranked = strongest_correlations(log_spending(group), top=len(SPENDING_COLUMNS) ** 2)
    pairs = [{a, b} for a, b in zip(ranked["column"], ranked["with"], strict=True)]
    a, b, number = _column_pair(answer)
    rank = pairs.index({a, b})
    corr = ranked["correlation"].iloc[rank]
    where = f"among the {len(group)} {PAIR_CHANNEL} customers (log spending)"
    if rank == 0:
        if number is not None and not _within_rounding(
            _one_number(number), corr, max(2, _decimals(number))
        ):
            return _wrong(
                f"{a} and {b} is the right pair, but their correlation {where} is "
                f"{corr:.2f}, not {number}."
            )
        return _right(
            f"{a} and {b} have correlation {corr:.2f} {where}: hotels and "
            "restaurants that buy more of one buy more of the other."
        )
    overall = strongest_correlations(log_spending(customers), top=1).iloc[0]
    raw = strongest_correlations(spending(group), top=1).iloc[0]
    place = (
        f"the {_rank_word(rank + 1, len(pairs), 'strongest', 'weakest')} of the {len(pairs)} pairs"
    )
    if {a, b} == {overall["column"], overall["with"]}:
        return _wrong(
            f"{a} and {b} lead over all customers (the tables above); {where} their "
            f"correlation is {corr:.2f}, {place}."
        )
    if {a, b} == {raw["column"], raw["with"]}:
        return _wrong(
            f"{a} and {b} lead on the raw spending of the {PAIR_CHANNEL} "
            f"customers ({raw['correlation']:.2f}); on the log spending the task "
            f"asks for, their correlation is {corr:.2f}, {place}."
        )
    return _wrong(f"{a} and {b} have correlation {corr:.2f} {where}, {place}.")


def _count_flags_first(answer: Any, customers: int) -> None:
    """Raise a message that says how to count, when the answer is the True/False flags (or a
    count per column) instead of a number of customers."""
    if not isinstance(answer, (pd.DataFrame, pd.Series, np.ndarray)) or np.size(answer) <= 1:
        return
    values = np.asarray(answer)
    if values.dtype == bool and values.ndim == 2:
        raise AnswerFormError(
            "that is a True/False table, a row per customer and a column per "
            "category: mark each customer with .any(axis=1), then count the "
            "customers with .sum()."
        )
    if values.dtype == bool and len(values) == customers:
        raise AnswerFormError(
            "that is one True/False per customer: count the True values with .sum()."
        )
    if values.ndim == 1 and len(values) == len(SPENDING_COLUMNS):
        raise AnswerFormError(
            "that is one value per column; ask per customer with "
            ".any(axis=1), then count the customers with .sum()."
        )


@checked
def check_outlier_customers(answer: Any) -> Feedback:
    """Exercise 2.3: how many customers have at least one outlying value on the log scale (a
    number in any form)."""
    customers = load_customers()
    flags = iqr_outliers(log_spending(customers))
    expected = int(flags.any(axis=1).sum())
    _count_flags_first(answer, len(customers))
    given = _count_of(answer, "a number of customers")
    if given == expected:
        return _right(f"{expected} customers have at least one value beyond the whiskers.")
    if given == int(flags.to_numpy().sum()):
        return _wrong(
            "that counts outlying values; count customers with at least one (any(axis=1))."
        )
    if given == int(flags.any(axis=0).sum()):
        return _wrong(
            "that counts columns, not customers: .any() and .any(axis=0) ask per "
            "column; .any(axis=1) asks per customer, then .sum() counts them."
        )
    if given == int(iqr_outliers(spending(customers)).any(axis=1).sum()):
        return _wrong("that is on the raw scale; use iqr_outliers on the log spending.")
    if not 0 <= given <= len(customers):
        return _wrong(f"a number of customers lies between 0 and {len(customers)}.")
    return _wrong("use iqr_outliers on the log spending, then count the rows with any True.")


# --- Notebook 3: k-means step by step -------------------------------------------------------

#: Seven customers with two features, and two starting centres, for computing by hand. Each
#: customer is clearly nearer one centre than the other, so there is no tie to break.
TINY = np.array(
    [[1.0, 1.0], [1.5, 2.0], [3.0, 3.5], [5.0, 7.0], [3.5, 5.0], [4.5, 5.0], [3.5, 4.5]]
)
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


def _decimal_comma(answer: Any) -> bool:
    """True when a value is written as text with a comma ("10,71"): _one_number would read
    the comma as a thousands separator (1071), which is never what a value of a few units
    means here."""
    return any(isinstance(leaf, str) and "," in leaf for leaf in _leaves(answer))


def _rounded_right(given: Any, exact: Any, decimals: int = 2) -> bool:
    """True when each given value is the exact one written to at least ``decimals`` decimals:
    nearer to it than half a unit in that place, or, when the exact value lies on a half
    (4.125), either of its two roundings (4.13 half up, as by hand; 4.12 half to even, as
    NumPy rounds). 5.375 rounds to 5.38 both ways, so 5.37 is not right: stricter than
    :func:`_within_rounding`, which takes both neighbours of every half."""
    given, exact = np.asarray(given, dtype=float), np.asarray(exact, dtype=float)
    scale = 10.0**decimals
    near = np.abs(given - exact) < 0.5 / scale - 1e-9
    roundings = (np.floor(exact * scale + 0.5) / scale, np.round(exact, decimals))
    rounded = [np.isclose(given, r, rtol=0, atol=1e-9) for r in roundings]
    return bool(np.all(near | rounded[0] | rounded[1]))


def _groups_of_numbers(answer: Any) -> list[list[float]] | None:
    """The groups, when an answer splits numbers into one group per cluster (the customers of
    each cluster, [[0, 1, 2], [3, 4, 5, 6]], or cluster numbers split by cluster); else None."""
    if not isinstance(answer, (list, tuple)) or len(answer) != len(TINY_CENTRES):
        return None
    groups = []
    for group in answer:
        if not isinstance(group, (list, tuple, np.ndarray, pd.Series)) or (
            isinstance(group, np.ndarray) and group.ndim != 1
        ):
            return None
        numbers = [_one_number(value) for value in group]
        if any(n is None for n in numbers):
            return None
        groups.append(sorted(numbers))
    return groups


@checked
def check_assignment(answer: Any) -> Feedback:
    """Exercise 3.1: the nearest of TINY_CENTRES for each customer of TINY: seven cluster
    numbers, 0 or 1, as a list, an array, a Series, a one-column table or numeric strings."""
    expected = assign(TINY, TINY_CENTRES)
    what = f"{len(TINY)} cluster numbers, 0 or 1, one per customer in order"
    if _is_true_false(answer):
        raise AnswerFormError(
            f"those are True/False values; answer with {what} "
            "(.astype(int) turns True/False into 1/0)."
        )
    groups = _groups_of_numbers(answer)
    values = [n for group in groups or [] for n in group]
    if values and max(values) > 1 and all(n >= 0 and n == round(n) for n in values):
        right = groups == [_members(expected, j) for j in range(len(TINY_CENTRES))]
        return _wrong(
            f"those {'are the right' if right else 'look like the'} customers of "
            f"each cluster; the task asks the other way round: {what} (the cluster "
            "of customer 0, then of customer 1, and so on)."
        )
    if groups is not None and len({len(group) for group in groups}) > 1:
        raise AnswerFormError(f"answer with {what}, in one flat list, not split into groups.")
    labels = _as_array(answer, expected.shape, what)
    if (labels == expected).all():
        return _right(
            f"Cluster 0 gets customers {_members(expected, 0)}, cluster 1 the rest; "
            "each customer is clearly nearer its own centre."
        )
    if (labels == expected + 1).all():
        return _wrong(
            "clusters are numbered from 0: the first centre (TINY_CENTRES[0]) is "
            "cluster 0 and the second cluster 1, as argmin numbers them."
        )
    nearest = (
        ((TINY[:, np.newaxis, :] - TINY_CENTRES[np.newaxis, :, :]) ** 2).sum(axis=2).min(axis=1)
    )
    if not np.isin(labels, (0, 1)).all() and (
        _within_rounding(labels, nearest, 2) or _within_rounding(labels, np.sqrt(nearest), 2)
    ):
        return _wrong(
            "those are the smallest distances themselves: min gives the smallest "
            "value in each row, argmin its position, which is the cluster number."
        )
    if not np.isin(labels, (0, 1)).all():
        return _wrong(
            "each value must be 0 (nearest TINY_CENTRES[0]) or 1 (nearest TINY_CENTRES[1])."
        )
    if (labels == 1 - expected).all():
        return _wrong(
            "every customer went to the farther centre: take the smallest distance "
            "(argmin, not argmax)."
        )
    wrong = np.flatnonzero(labels != expected).tolist()
    return _wrong(f"customers {wrong} (counting from 0) are nearer the other centre.")


@checked
def check_new_centres(answer: Any) -> Feedback:
    """Exercise 3.2: the centres after one update, from the assignment of exercise 3.1, as
    two rows [x, y] in any array form, or the four values in the order x, y, x, y. Values
    rounded correctly to 2 decimals are right (on a half, either way: 4.12 or 4.13 for
    4.125)."""
    labels, expected = _tiny_step()
    what = "the two new centres as two rows of two numbers, [[x, y], [x, y]]"
    if _is_true_false(answer):
        raise AnswerFormError(f"those are True/False values; answer with {what}.")
    if _decimal_comma(answer):
        raise AnswerFormError(_DECIMAL_POINT)
    centres = _as_array(answer, expected.shape, what)
    if _rounded_right(centres, expected):
        shown = " and ".join(f"({x:.3f}, {y:.3f})" for x, y in expected)
        return _right(f"The centres moved to {shown}.")
    if _rounded_right(centres[::-1], expected):
        return _wrong(
            "right centres, wrong order: row 0 is the centre of cluster 0 (the "
            f"customers {_members(labels, 0)})."
        )
    if _rounded_right(centres.T, expected):
        return _wrong(
            "you gave both x values first: each centre is [x, y], so give x and y "
            "of cluster 0, then x and y of cluster 1."
        )
    off = [j for j in range(len(expected)) if not _rounded_right(centres[j], expected[j])]
    if _within_rounding(centres, expected, 1):
        if np.allclose(centres, np.round(centres, 1)):
            return _wrong(
                "close, but not right to 2 decimals: if you gave 1 decimal, give 2; "
                "if you gave 2, check the arithmetic."
            )
        which = f"centre {off[0]} is" if len(off) == 1 else "both centres are"
        return _wrong(
            f"close, but {which} off in the second decimal: check the arithmetic and the rounding."
        )
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
    if (
        isinstance(answer, tuple)
        and len(answer) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in answer)
    ):
        # J = 10,71 typed without quotes: Python makes the tuple (10, 71)
        raise AnswerFormError(
            f"Python reads {answer[0]},{answer[1]} as two numbers; {_DECIMAL_POINT}"
        )
    if _decimal_comma(answer):
        raise AnswerFormError(_DECIMAL_POINT)
    value = _as_number(answer, "one number, J")
    if _within_rounding(value, expected, 2):
        return _right(f"J = {expected:.3f}, down from {before:.3f} with the old centres.")
    if _within_rounding(value, np.sqrt(squared).sum(), 2):
        return _wrong("that sums distances; J sums squared distances.")
    if _within_rounding(value, before, 2):
        return _wrong("that is J for the old centres; use the new ones.")
    if _within_rounding(value, expected / len(TINY), 2):
        return _wrong("that is the mean of the squared distances; J is their sum.")
    if _within_rounding(value, expected / TINY.size, 2):
        # .mean() over the whole table of squared differences: 7 customers times 2 features
        return _wrong(
            f"that is the mean of the {TINY.size} squared differences (.mean() "
            "averages over every customer and feature); J is their sum: use .sum()."
        )
    for j in range(len(centres)):
        if _within_rounding(value, squared[labels == j].sum(), 2):
            return _wrong(f"that is cluster {j} alone; J adds up both clusters.")
    if _within_rounding(value, expected, 1):
        # 10.7 and 10.70 are the same number: the message covers both ways of getting there
        if value == round(value, 1):
            return _wrong(
                "close, but not right to 2 decimals: if you gave 1 decimal, give 2; "
                "if you gave 2, keep 3 decimals along the way and round only J."
            )
        return _wrong(
            "close, but off in the second decimal: keep 3 decimals along the way, "
            "round only J, and check the arithmetic."
        )
    return _wrong("sum, over customers, the squared distance to their own cluster's centre.")


# --- Notebook 4: choosing k -----------------------------------------------------------------

#: The one word that names each reason for a choice of k, in lower case, with the Chinese names
#: notebook 4 gives. Free text is not read: reading it proved unreliable (right reasons
#: rejected, wrong ones accepted), while one word from a stated list is read the same by all.
_K_REASON_WORDS = {
    "elbow": "elbow",
    "肘部": "elbow",
    "肘部法则": "elbow",
    "silhouette": "silhouette",
    "轮廓系数": "silhouette",
    "轮廓": "silhouette",
    "business": "business",
    "业务": "business",
}
_K_REASONS = ("elbow", "silhouette", "business")
#: Around the word: spaces, quotes, brackets and punctuation, Western or Chinese.
_AROUND_A_WORD = " \u3000\t\r\n.,;:!?'\"`()[]{}<>。，；：！？、“”‘’（）《》"
_NAME_THE_REASON = (
    'name the reason with one word: "elbow", "silhouette" or "business" (or, '
    'for both guides, the list ["elbow", "silhouette"]). Your sentence is a '
    "fine note for yourself; the check reads the word."
)


def _k_reasons(reason: Any) -> list[str] | None:
    """The reasons named, in the order of :data:`_K_REASONS`: one word, or a list or tuple of
    words; None for text that is not one of the words (it is not judged)."""
    items = list(reason) if isinstance(reason, (list, tuple)) else [reason]
    if not items or not all(isinstance(item, str) for item in items):
        raise AnswerFormError(
            'write the reason as one word in quotes, such as reason = "elbow"; '
            f"got {_kind(reason)}."
        )
    named = {_K_REASON_WORDS.get(item.strip(_AROUND_A_WORD).lower()) for item in items}
    return None if None in named else [name for name in _K_REASONS if name in named]


def _k_table(table: Any) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame) or not {"k", "J", "silhouette"} <= set(table):
        raise AnswerFormError(
            "pass the table of J and silhouettes made above as the third "
            "argument: check_k_choice(k, reason, table)."
        )
    return table


def _k_facts(table: pd.DataFrame, number: int) -> tuple[dict[str, int | None], dict[str, str]]:
    """The k each reason supports (None when the table is too short to tell) and what the
    table or the scenario shows, as a sentence (the silhouette's compared with ``number``)."""
    from segmentation.preprocessing.spending import (
        GRADES,  # the scenario's grades: one segment for each
    )

    grades = len(GRADES)
    supports: dict[str, int | None] = {"business": grades}
    facts = {
        "business": f"the business asked for {grades} grades "
        f"({', '.join(reversed(GRADES))}), which means k = {grades}"
    }
    for name, guide in (("elbow", elbow), ("silhouette", best_silhouette)):
        try:
            supports[name] = guide(table)
        except ValueError as exc:
            supports[name], facts[name] = None, str(exc).rstrip(".")
    if (best := supports["elbow"]) is not None:
        facts["elbow"] = f"J bends most sharply at k = {best}"
    silhouette = table.dropna(subset=["silhouette"]).set_index("k")["silhouette"]
    if (best := supports["silhouette"]) is not None:
        against = (
            ""
            if number == best
            else f", against {silhouette[number]:.3f} at k = {number}"
            if number in silhouette.index
            else f"; none at k = {number} in the table"
        )
        facts["silhouette"] = (
            f"the silhouette is highest at k = {best} ({silhouette[best]:.3f}{against})"
        )
    return supports, facts


def _k_nobody_chose(table: pd.DataFrame, number: int, shown: list[str]) -> str:
    """What the table shows about a k that no guide and not the business points to."""
    if number == 1:
        return " k = 1 puts every customer in one segment: no segmentation at all."
    said = [
        "J always falls as k grows, so a larger k always has a lower J: that alone chooses nothing"
    ]
    if "silhouette" not in shown:
        silhouette = table.dropna(subset=["silhouette"]).set_index("k")["silhouette"]
        best = silhouette.idxmax()
        said.append(
            f"the silhouette at k = {number} is {silhouette[number]:.3f}, against "
            f"{silhouette[best]:.3f} at k = {best}"
            if number in silhouette.index
            else f"the table stops at k = {table['k'].max()}"
        )
    return f" Nothing in the table points to k = {number} either: {'; and '.join(said)}."


def _k_and_reason(k: Any, reason: Any) -> tuple[Any, Any]:
    """``k`` and ``reason`` as given, or both from ``k`` when it holds both, as
    ``(3, "business")`` or ``(3, ["elbow", "silhouette"])`` (and no reason is given apart)."""
    if (
        reason is ...
        and isinstance(k, (tuple, list))
        and len(k) == 2
        and (
            isinstance(k[1], str)
            or (isinstance(k[1], (list, tuple)) and k[1] and all(isinstance(r, str) for r in k[1]))
        )
    ):
        k, reason = k
    return k, reason


def _k_not_following(
    number: int,
    right: list[str],
    wrong: list[str],
    supports: dict[str, int | None],
    facts: dict[str, str],
    table: pd.DataFrame,
) -> Feedback:
    """What to say when ``number`` does not follow from the reasons in ``wrong`` (the reasons
    in ``right`` hold), from what :func:`_k_facts` found."""
    if {None} == {supports[n] for n in wrong}:
        return _wrong(
            "the table is too short to check that: " + "; and ".join(facts[n] for n in wrong) + "."
        )
    # a reason's k set against the student's, where its fact does not already do it
    against = {"elbow": f", not at {number}", "business": f", not {number}"}
    shown = "; and ".join(facts[n] + against.get(n, "") * (supports[n] is not None) for n in wrong)
    if right:
        held = " and ".join(facts[n] for n in right)
        return _wrong(f"half right: {held}, but {shown}: keep only the words that hold.")
    head = f"k = {number} does not follow from {' and '.join(f'the {n}' for n in wrong)}"
    tail = (
        _k_nobody_chose(table, number, wrong)
        if number not in supports.values() and None not in supports.values()
        else ""
    )
    return _wrong(f"{head}: {shown}.{tail}")


def _k_following(
    number: int, right: list[str], supports: dict[str, int | None], facts: dict[str, str]
) -> Feedback:
    """What to say when ``number`` follows from every reason named (``right``)."""
    if "business" in right:
        price = [facts[n] for n in ("elbow", "silhouette") if supports[n] not in (number, None)]
        return _right(
            f"The business asked for {number} grades, and k = {number} gives it "
            f"{number} segments, one for each treatment"
            + (f", at a price: {' and '.join(price)}." if price else ".")
        )
    grades = supports["business"]
    closing = (
        f" It also gives the {grades} segments the business asked for."
        if number == grades
        else f" The business asked for {grades} grades, though: the course goes on with "
        f"k = {grades}."
    )
    guides = " and ".join(facts[n] for n in right)
    return _right(
        f"{guides[0].upper()}{guides[1:]}: the split the data itself supports best.{closing}"
    )


@checked
def check_k_choice(k: Any, reason: Any = ..., table: Any = None) -> Feedback:
    """Exercise 4.1: a k and the reason for it, named with one word ("elbow", "silhouette" or
    "business", any letter case; the Chinese 肘部, 轮廓系数 or 业务), read against ``table``
    (from :func:`segmentation.cluster.choosing.scan_k`).

    Right: the k where J bends most sharply ("elbow"), where the silhouette is highest
    ("silhouette"), or k = 3 because the business asked for three grades ("business",
    notebook 1). Where both guides point to the same k, a list of both words is right too.
    Any other text gets the list of words, without a verdict: free text is not read. ``k``
    may be any whole number (3, "3", 3.0) or hold both, as ``(3, "business")``.
    """
    k, reason = _k_and_reason(k, reason)
    number = _as_whole_number(k, "k as a whole number, such as 4")
    if number < 1:
        raise AnswerFormError(f"k counts segments: a whole number from 1 up, not {number}.")
    if reason is ... or reason is None:
        return Feedback(
            False,
            f"k = {number} is there; now name the reason with one word: "
            'reason = "elbow", "silhouette" or "business".',
            answered=False,
        )
    reasons, table = _k_reasons(reason), _k_table(table)
    if reasons is None:
        return Feedback(False, _NAME_THE_REASON, answered=False)
    supports, facts = _k_facts(table, number)
    right = [n for n in reasons if supports[n] == number]
    wrong = [n for n in reasons if supports[n] != number]
    if wrong:
        return _k_not_following(number, right, wrong, supports, facts, table)
    return _k_following(number, right, supports, facts)


def _number_instead_of_a_name(number: float, raw: pd.DataFrame) -> str:
    """What to say to a number given where a column's name is asked for."""
    if number in range(len(SPENDING_COLUMNS)):
        return (
            f"{number:g} is a position, not a name (.argmax() gives positions, counting "
            "from 0); .idxmax() gives the column's name: answer with the name."
        )
    spreads = np.concatenate([raw.std().to_numpy(), raw.var().to_numpy()])
    if np.isclose(number, spreads, rtol=1e-3).any():
        return "that is the spread itself; .idxmax() gives its column: answer with its name."
    return (
        "answer with the name of one spending column, one of "
        f"{', '.join(SPENDING_COLUMNS)}, not a number."
    )


@checked
def check_dominant_feature(answer: Any) -> Feedback:
    """Exercise 4.2: the spending column that weighs most in the distances between customers
    when spending is not scaled: the one that spreads widest. A name in any letter case or
    spacing, or an alias ("Delicatessen")."""
    raw = spending(load_customers())
    spread, share = raw.std(), raw.var() / raw.var().sum()
    if isinstance(answer, pd.Series) and answer.dtype.kind in "fiu":
        if len(answer) == 1 and str(answer.index[0]) in SPENDING_COLUMNS:
            raise AnswerFormError(
                "that is a spread with its column's name in the index "
                "(.nlargest(1) keeps both); answer with the name alone: "
                ".idxmax()."
            )
        if len(answer) > 1:
            raise AnswerFormError(
                "that is one number per column; answer with the name of the "
                "column whose number is largest (.idxmax())."
            )
    leaves = _leaves(answer)
    number = _one_number(leaves[0]) if len(leaves) == 1 else None
    if number is not None:
        raise AnswerFormError(_number_instead_of_a_name(number, raw))
    column = _column_name(leaves[0]) if len(leaves) == 1 else None
    if column is None:
        raise AnswerFormError(
            "answer with the name of one spending column, one of "
            f"{', '.join(SPENDING_COLUMNS)}; got {_kind(answer)}."
        )
    if column == spread.idxmax():
        # The mean squared distance between two customers is twice the sum of the variances,
        # so a column's share of the variance is its share of that distance.
        return _right(
            f"{column} has the largest spread (standard deviation "
            f"{spread[column]:,.0f} m.u.) and {share[column]:.0%} of the raw variance: "
            f"on average {share[column]:.0%} of the squared distance between two "
            "customers comes from it alone, so it weighs most unless the features "
            "are scaled."
        )
    return _wrong(
        f"{column} has standard deviation {spread[column]:,.0f} m.u. "
        f"({share[column]:.0%} of the raw variance); another column spreads wider."
    )


# --- Notebook 5: modelling and prediction ---------------------------------------------------

#: The new customer of exercise 5.1 (annual spending, m.u.).
NEW_CUSTOMER = {
    "Fresh": 2_000,
    "Milk": 12_000,
    "Grocery": 25_000,
    "Frozen": 500,
    "Detergents_Paper": 11_000,
    "Delicassen": 1_500,
}


def _course_model() -> Any:
    """The model of notebook 5: k = 3 on the course data, seed 0."""
    from segmentation.model.pipeline import SegmentationModel

    return SegmentationModel.fit(load_customers(), k=3, random_state=0, evaluate=False)


def _name_words(text: str) -> list[str]:
    """The words and numbers of a segment's name in lower case, punctuation and spacing
    aside: "Medium,detergents  and grocery :mixed" gives medium, detergents, and, grocery,
    mixed."""
    return re.findall(r"[^\W_]+", text.lower())


def _named_segments(text: str, names: list[str]) -> list[int]:
    """The segments a text may name: the one whose whole name it is, or else every one whose
    name starts with its words ("medium", "medium, detergents and grocery: mixed channels")."""
    words = _name_words(text)
    if not words:
        return []
    named = [_name_words(name) for name in names]
    whole = [j for j, name in enumerate(named) if name == words]
    return whole or [j for j, name in enumerate(named) if name[: len(words)] == words]


def _segment_by_name(text: str, names: list[str]) -> int | None:
    """The one segment a text names, also as the legends write it ("1. medium, ..."); None
    when it names none. Raises :class:`AnswerFormError` when it fits several, or when its
    number and its name disagree."""
    shown = text.strip() if len(text.strip()) <= 60 else f"{text.strip()[:60]}…"
    numbered = re.match(r"\s*(?:segment\s*)?(\d+)(?:\s*[.:)]\s*|\s+)(\D.*)$", text, re.IGNORECASE)
    if numbered and _named_segments(numbered[2], names):
        number, found = int(numbered[1]), _named_segments(numbered[2], names)
        if found != [number]:
            raise AnswerFormError(
                f"{shown!r} gives a number and a name of different segments: "
                "answer with one of them."
            )
        return number
    found = _named_segments(text, names)
    if len(found) > 1:
        raise AnswerFormError(
            f"{shown!r} starts the names of segments "
            f"{', '.join(map(str, found))}: give the number, or enough of "
            "the name to tell them apart (see model.names)."
        )
    return found[0] if found else None


def _segment_number(answer: Any, names: list[str]) -> int:
    """The segment an answer gives: its number (1, "1", 1.0, "segment 1", or one value in a
    list, array or Series) or its name, whole or its start. Raises :class:`AnswerFormError`
    for anything else."""
    what = f"one segment: its number (0 to {len(names) - 1}) or its name"
    if isinstance(answer, pd.DataFrame) and "segment" in answer:
        raise AnswerFormError(
            "that is the whole table that predict gives; answer with its "
            "segment: result['segment']."
        )
    leaves = _leaves(answer)
    if len(leaves) != 1:
        raise AnswerFormError(f"answer with {what}; got {_kind(answer)}.")
    value = leaves[0]
    if isinstance(value, str):
        named = _segment_by_name(value, names)
        if named is not None:
            return named
        value = re.sub(r"^\s*segment\s*", "", value, flags=re.IGNORECASE)
        if _one_number(value) is None:
            text = leaves[0].strip()
            shown = text if len(text) <= 60 else f"{text[:60]}…"
            example = names[0].split(":")[0]
            raise AnswerFormError(
                f"{shown!r} is neither a segment number nor a segment's name: "
                f"answer with the number (0 to {len(names) - 1}), the name "
                f"as model.names gives it, or its start, such as "
                f"{example!r}."
            )
    number = _as_whole_number(value, what)
    if not 0 <= number < len(names):
        raise AnswerFormError(
            f"there is no segment {number}: answer with a segment number "
            f"(0 to {len(names) - 1}) or its name."
        )
    return number


@checked
def check_new_customer_segment(answer: Any, model: Any = None) -> Feedback:
    """Exercise 5.1: the segment the student's model gives :data:`NEW_CUSTOMER`.

    ``model`` is the model the student fitted (the notebook passes ``model``), or the path it
    was saved to, so that a student who chose another k is checked against that model; the
    course's k = 3 model when it is not given. The answer: the segment's number in any
    natural form (1, "1", 1.0, "segment 1", a one-value list, array or Series) or its name in
    any letter case and spacing, whole or its start when only one name starts so ("medium",
    or the name without its channel share).
    """
    course = model is None
    model = _saved_model(model)
    result = model.predict(pd.DataFrame([NEW_CUSTOMER]))
    right = int(result["segment"].iloc[0])
    given = _segment_number(answer, model.names)
    distances = result[[f"distance_{j}" for j in range(model.k)]].iloc[0].to_numpy()
    if given == right:
        others = ", ".join(f"{d:.2f}" for j, d in enumerate(distances) if j != right)
        nearest = (
            f"its centre is the nearest (distance {distances[right]:.2f} against {others})"
            if others
            else "the only segment"
        )
        return _right(f"Segment {right}, '{model.names[right]}': {nearest}.")
    return _wrong(_not_the_nearest(model, given, right, distances, course))


#: A wrong segment whose centre is at most this many times as far from the customer as the
#: nearest centre is close: the customer sits near the border between the two (exercise
#: 5.1's customer is 1.13 times as far from the large segment's centre as from its own).
NEAR_BORDER = 1.25


def _not_the_nearest(
    model: Any, given: int, right: int, distances: np.ndarray, course: bool
) -> str:
    """What a wrong segment for :data:`NEW_CUSTOMER` is told: how far its centre is, whether
    the customer sits near a border, and, when the customer's total spending is nearer that
    segment's mean total than the right one's, that segments are not only about how much."""
    where = (
        "in the course's k = 3 model (pass your model as the second argument)"
        if course
        else f"in your model (k = {model.k})"
    )
    message = f"segment {given} is at distance {distances[given]:.2f} {where}; another centre"
    if distances[given] <= NEAR_BORDER * distances[right]:
        message += f" is nearer ({distances[right]:.2f}), so the customer sits near a border."
    else:
        message += " is nearer."
    total = sum(NEW_CUSTOMER.values())
    means = [segment.mean_total for segment in model.segments]
    if abs(total - means[given]) < abs(total - means[right]):
        return (
            f"{message} Segments differ in what customers buy, not only in how much: "
            "use model.predict on a one-row table."
        )
    return f"{message} Put the customer in a one-row table and use model.predict."


#: The customers of exercise 5.2, by id.
EXERCISE_IDS = (10, 20, 30, 40)


def _saved_model(model: Any) -> Any:
    """The student's model: the model itself or the path of its file (the course's k = 3
    model when none is given)."""
    import os

    from segmentation.model.pipeline import ModelFileError, SegmentationModel, load_model

    if model is None:
        return _course_model()
    if isinstance(model, SegmentationModel):
        return model
    if isinstance(model, (str, os.PathLike)):
        try:
            return load_model(model)
        except ModelFileError as exc:
            raise AnswerFormError(
                f"the saved model cannot be read: {exc.problems[0]} Save it "
                "again with model.save(path), then run this cell."
            ) from None
    raise AnswerFormError(
        "give your model as the second argument, as in the exercise: the "
        "model itself, or the path it was saved to."
    )


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
        raise AnswerFormError(f"give {count} segment numbers, one per customer, not {len(leaves)}.")
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
        raise AnswerFormError(
            f"segment numbers are whole numbers; got {', '.join(f'{g:g}' for g in given)}."
        )
    if any(not 0 <= g < model.k for g in given):
        return _wrong(_not_segments(given, model.k))
    given = [int(g) for g in given]
    if given == right:
        names = "; ".join(
            f"id {i}: {s}. {model.names[s]}" for i, s in zip(EXERCISE_IDS, right, strict=True)
        )
        return _right(f"The model you saved and loaded (k = {model.k}) segments them so: {names}.")
    rows = customers.iloc[list(EXERCISE_IDS)]
    by_row = model.predict(rows)["segment"].tolist()
    return _wrong(_segments_off(given, right, by_row, rows.index.tolist()))


def _listed(items: Any) -> str:
    """Items as a sentence writes them: "10", "10 and 20", "10, 20 and 30"."""
    items = [str(item) for item in items]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _not_segments(given: list[float], k: int) -> str:
    """What four numbers that are not all segment numbers are told (the ids themselves, say)."""
    if given == list(EXERCISE_IDS):
        return (
            f"{_listed(EXERCISE_IDS)} are the customers' ids: answer with the segment of "
            f"each (0 to {k - 1}), in the order of their ids."
        )
    bad = sorted({g for g in given if not 0 <= g < k})
    verb = "is not a segment number" if len(bad) == 1 else "are not segment numbers"
    return f"{_listed(f'{g:g}' for g in bad)} {verb}: the saved model has segments 0 to {k - 1}."


def _segments_off(given: list[int], right: list[int], by_row: list[int], row_ids: list[int]) -> str:
    """What wrong segments for :data:`EXERCISE_IDS` are told. Answers that match the
    customers in rows 10, 20, 30 and 40 (chosen by position, not by id) are told so for sure
    only when those rows' segments are not all the same: [0, 0, 0, 0] may as well be a guess."""
    rows = f"rows {_listed(EXERCISE_IDS)} (ids {_listed(row_ids)})"
    select = f"customers[customers['id'].isin([{', '.join(map(str, EXERCISE_IDS))}])]"
    if given == by_row and len(set(by_row)) > 1:
        return f"those are the customers in {rows}: select by id, {select}."
    wrong = [i for i, g, r in zip(EXERCISE_IDS, given, right, strict=True) if g != r]
    ids = f"id {wrong[0]}" if len(wrong) == 1 else f"ids {_listed(wrong)}"
    if given == by_row:
        return (
            f"not for {ids}. Your answer matches the customers in {rows}; if you took "
            f"those, select by id instead: {select}."
        )
    return (
        f"not for {ids}. Select the customers with customers[customers['id'].isin([...])] "
        "and use the loaded model's predict."
    )
