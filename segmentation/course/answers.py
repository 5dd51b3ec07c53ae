"""Reading the students' answers, for the exercise checks of every notebook.

A check is a function decorated with :func:`checked`: it reads the answer with the readers
here (:func:`as_array`, :func:`as_number`, :func:`column_name`, ...), which raise
:class:`AnswerFormError` with a sentence saying what was expected when an answer has the wrong
form, and returns a :class:`Feedback`, which shows as one line in a notebook and is true when
the answer is right. :func:`checked` turns every failure into such a line: a student never sees
a traceback. The checks of each notebook (``checks_*.py``) use these readers by the module's
name: ``answers.as_number(answer)``, ``answers.right("...")``.

Examples
--------
>>> @checked
... def check_two(answer):
...     return right("Two.") if as_number(answer) == 2 else wrong("count again.")
>>> check_two("2")
✅ Right. Two.
>>> check_two(...)
… Not answered yet: replace the ... with your answer and run the cell again.
>>> check_two({"two": 2})
❌ Not yet: answer with a number; got dict {'two': 2}.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from segmentation.data.schema import COLUMN_ALIASES, SPENDING_COLUMNS, data_dictionary


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


def right(message: str) -> Feedback:
    return Feedback(True, message)


def wrong(message: str) -> Feedback:
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


def kind(answer: Any) -> str:
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


def as_array(answer: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """The answer as a float array of ``shape``: a list, tuple, NumPy array, pandas Series or
    table, and numbers written as text ("1", "12.5") are all accepted. Raises
    :class:`AnswerFormError` with what was expected for anything else."""
    if isinstance(answer, (str, bytes, dict, set)) or answer is ...:
        raise AnswerFormError(f"answer with {what}; got {kind(answer)}.")
    try:
        values = _objects(answer)
        if values.dtype == object and values.ndim == 0 and not np.isscalar(answer):
            raise TypeError
        flat = [one_number(v) for v in values.ravel()]
    except (TypeError, ValueError):
        raise AnswerFormError(f"answer with {what}; got {kind(answer)}.") from None
    if any(v is None for v in flat):
        raise AnswerFormError(f"answer with {what}: every value must be a number.")
    array = np.array(flat, dtype=float)
    if array.size != int(np.prod(shape)):
        raise AnswerFormError(
            f"answer with {what}; got {array.size} value{'s' if array.size != 1 else ''}."
        )
    return array.reshape(shape)


_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")


def one_number(value: Any) -> float | None:
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
    for leaf in leaves(answer):
        if isinstance(leaf, str):
            for match in _COMMA_NUMBER.finditer(leaf):
                if not _THOUSANDS.fullmatch(match.group(0)):
                    return match.group(0)
    return None


def as_number(answer: Any, what: str = "a number") -> float:
    """A single number (see :func:`one_number`), or :class:`AnswerFormError`. A boolean
    table or Series gets a message of its own: it still has to be counted."""
    if isinstance(answer, (pd.Series, pd.DataFrame, np.ndarray)) and answer.size > 1:
        if np.asarray(answer).dtype == bool:
            raise AnswerFormError(
                f"that is a True/False value per row; answer with {what}: "
                "count the True values with .sum()."
            )
        raise AnswerFormError(f"answer with {what}, not {kind(answer)}.")
    number = one_number(answer)
    if number is None:
        raise AnswerFormError(f"answer with {what}; got {kind(answer)}.")
    return number


#: A whole text written with one decimal comma ("0,228"): one_number would read it as
#: thousands (228).
_DECIMAL_COMMA_TEXT = re.compile(r"\s*[-+]?\d+,\d+\s*")


def single_number(answer: Any, what: str, several: str = "") -> float:
    """:func:`as_number` for a task whose answer is one value: several values are refused
    with ``what`` and the hint ``several`` (": add the terms up"), and a text with a decimal
    comma ("0,228") with the decimal-point advice, not read as thousands."""
    if isinstance(answer, (list, tuple, np.ndarray, pd.Series)) and len(leaves(answer)) > 1:
        raise AnswerFormError(f"answer with {what}{several}; got {kind(answer)}.")
    if isinstance(answer, str) and _DECIMAL_COMMA_TEXT.fullmatch(answer):
        raise AnswerFormError(f"{kind(answer)}: {DECIMAL_POINT}")
    return as_number(answer, what)


def as_whole_number(answer: Any, what: str = "a whole number") -> int:
    number = as_number(answer, what)
    if number != round(number):
        raise AnswerFormError(f"answer with {what}; {number:g} is not whole.")
    return round(number)


def within_rounding(
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
            return answer, wrong(
                "some values of your answer are masked (missing); answer with every value "
                "filled in, e.g. a plain NumPy array or list."
            )
        answer = np.ma.getdata(answer)
    try:
        texts = [answer] if isinstance(answer, (str, bytes)) else leaves(answer)
    except RecursionError:  # a = [1]; a.append(a)
        return answer, wrong(
            "your answer holds itself (a list inside itself, without end); answer with "
            "plain values."
        )
    longest = max((len(t) for t in texts if isinstance(t, (str, bytes))), default=0)
    if longest > MAX_ANSWER_CHARS:
        return answer, wrong(
            f"that answer is {longest:,} characters long; answer with the short value the "
            "task asks for (a number, a name or a few words)."
        )
    return answer, None


def _form_message(exc: AnswerFormError, answer: Any) -> str:
    # an answer refused for its form because of a decimal comma gets the one hint every
    # check gives for it (notebook 3's wording, DECIMAL_POINT)
    comma = _decimal_comma_in(answer)
    if comma is not None and DECIMAL_POINT not in str(exc):
        return f"{_escaped(repr(comma))} has a decimal comma: {DECIMAL_POINT}"
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
        return wrong(
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
        return wrong(_form_message(exc, answer))


def checked(function: Callable[..., Feedback]) -> Callable[..., Feedback]:
    """Make a check answer any input with a one-line sentence, never a traceback: an
    :class:`AnswerFormError` raised inside it becomes a "not yet" message, and anything
    else (even a failure while writing the message, or endless recursion) a message too."""
    signature = inspect.signature(function)
    first = next(iter(signature.parameters))

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Feedback:
        try:
            return _one_line(_verdict(function, signature, first, args, kwargs))
        except Exception as exc:  # a student sees a sentence, never a traceback
            try:
                return _one_line(wrong(_unforeseen_message(exc)))
            except Exception:
                return Feedback(False, f"{CANNOT_READ}. Check the form of your answer.")

    return wrapper


#: The start of the message when a check fails on an answer it did not foresee (the tests
#: make sure no foreseen answer ends here).
CANNOT_READ = "the check could not read this answer"

#: What every check says to a number written with a decimal comma.
DECIMAL_POINT = "write decimals with a point, as Python does: 10.5, not 10,5."


def normalised(text: str) -> str:
    """Lower case, with spaces, hyphens and underscores alike ("Detergents_Paper",
    "detergents paper" and " DETERGENTS-PAPER " read the same)."""
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


#: Each spending column (and alias) as :func:`normalised` writes it.
COLUMN_BY_NAME = {normalised(c): c for c in SPENDING_COLUMNS} | {
    normalised(alias): c for alias, c in COLUMN_ALIASES.items()
}


def column_name(answer: Any) -> str | None:
    """The spending column a string names, in any letter case or spacing, by an alias
    ("Delicatessen") or by its Chinese name in the field table ("熟食类"), with or without a
    full stop or quotes around it; None when it names none."""
    if not isinstance(answer, str):
        return None
    text = answer.strip().strip(".,;:!?。，；：！？'\"‘’“”").strip()
    chinese = {row.chinese: row.name for row in data_dictionary().itertuples()}
    return COLUMN_BY_NAME.get(normalised(text)) or (
        chinese[text] if chinese.get(text) in SPENDING_COLUMNS else None
    )


def leaves(answer: Any) -> list[Any]:
    """The values of a (possibly nested) list, tuple, set, array, Index or Series."""
    if isinstance(answer, (str, bytes)) or not isinstance(
        answer, (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series)
    ):
        return [answer]
    # np.asarray first: iterating a np.matrix gives matrices again, without end
    items = np.asarray(answer).ravel() if isinstance(answer, np.ndarray) else answer
    return [leaf for item in items for leaf in leaves(item)]


def count_of(answer: Any, what: str) -> int:
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
        if 1 < values.size <= 5 and all(one_number(v) is not None for v in values):
            # a handful of numbers is several answers, not the customers themselves
            raise AnswerFormError(f"that is {values.size} numbers; answer with one: {what}.")
        if values.size > 1:
            raise AnswerFormError(
                f"that is a list of values; answer with {what}: count them with len(...)."
            )
    number = as_number(answer, what)
    if 0 < number < 1:
        raise AnswerFormError(
            f"that is a share, not a count (.mean() of True/False values "
            f"gives the share of True); answer with {what}: count the True "
            "values with .sum()."
        )
    return as_whole_number(number, what)
