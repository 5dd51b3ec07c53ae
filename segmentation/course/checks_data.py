"""The checks of notebook 2's exercises (the data): the most skewed column, the most strongly
correlated pair and the customers with an outlying value, each within one group of customers.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from segmentation.course import answers
from segmentation.course.answers import AnswerFormError, Feedback, checked
from segmentation.data.schema import SPENDING_COLUMNS, data_dictionary
from segmentation.data.shipped import load_customers
from segmentation.preprocessing.spending import (
    iqr_outliers,
    log_spending,
    skewness,
    spending,
    strongest_correlations,
)

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
    """The one spending column an answer names: a name (see :func:`answers.column_name`), a
    one-value list, array, Index or Series of it, or a one-value Series labelled by its
    column (as ``skew.nlargest(1)`` gives). Raises :class:`AnswerFormError` otherwise."""
    form = f"answer with one column name, one of {', '.join(SPENDING_COLUMNS)}"
    given = answer
    if isinstance(answer, pd.Series) and len(answer) == 1 and not isinstance(answer.iloc[0], str):
        answer = str(answer.index[0])
    elif isinstance(answer, pd.Series) and all(answers.column_name(str(i)) for i in answer.index):
        raise AnswerFormError(
            f"that is one value per column; {form}: the largest is named by .idxmax()."
        )
    if isinstance(answer, (list, tuple, np.ndarray, pd.Index, pd.Series)):
        leaves = answers.leaves(answer)
        if len(leaves) != 1:
            raise AnswerFormError(f"{form}; got {answers.kind(given)}.")
        answer = leaves[0]
    column = answers.column_name(answer)
    if column is None:
        raise AnswerFormError(f"{form}; got {answers.kind(given)}.")
    return column


def _name_and_number(answer: Any) -> tuple[Any, Any]:
    """A column's name with a number beside it, as ``("Frozen", 5.49)`` or "Frozen (5.49)",
    split into the name and the number; ``(answer, None)`` for any other answer."""
    if isinstance(answer, (tuple, list)) and len(answer) == 2:
        named = [isinstance(v, str) and answers.column_name(v) is not None for v in answer]
        if named.count(True) == 1 and answers.one_number(answer[named.index(False)]) is not None:
            return answer[named.index(True)], answer[named.index(False)]
    if isinstance(answer, str) and answers.column_name(answer) is None:
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
        and (given := answers.one_number(number)) is not None
        and not answers.within_rounding(given, skew[best], max(2, _decimals(number)))
    ):
        return answers.wrong(
            f"{best} is the right column, but its skewness among the customers of "
            f"{SKEW_REGION} (raw values) is {skew[best]:.2f}, not {number}."
        )
    if column == best:
        top, median = region[best].max(), region[best].median()
        return answers.right(
            f"{best} has skewness {skew[best]:.2f} among the {len(region)} customers "
            f"of {SKEW_REGION}: one of them buys {top:,} m.u. of it, "
            f"{top / median:.0f} times the region's median: one customer far out is "
            "enough to make a long tail."
        )
    if column == skewness(spending(customers)).idxmax():
        return answers.wrong(
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
    return answers.wrong(message + ".")


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
    rest = " " + answers.normalised(re.sub(r"[^\w\s-]", " ", _DECIMAL.sub(" ", text))) + " "
    found = []
    chinese = {
        row.chinese: row.name
        for row in data_dictionary().itertuples()
        if row.name in SPENDING_COLUMNS
    }
    names = [(f" {name} ", column) for name, column in answers.COLUMN_BY_NAME.items()]
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
        raise AnswerFormError(f"{form}; got {answers.kind(answer)}.")
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
    for leaf in answers.leaves(answer):
        column = answers.column_name(leaf) if isinstance(leaf, str) else None
        if column:
            given.append(column)
        elif isinstance(leaf, str) and answers.one_number(leaf) is not None:
            numbers.append(leaf)
        elif isinstance(leaf, str):
            unknown.append(leaf)
        elif answers.one_number(leaf) is not None:
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
        given = answers.one_number(number) if number is not None else None
        if given is not None and not answers.within_rounding(
            given, corr, max(2, _decimals(number))
        ):
            return answers.wrong(
                f"{a} and {b} is the right pair, but their correlation {where} is "
                f"{corr:.2f}, not {number}."
            )
        return answers.right(
            f"{a} and {b} have correlation {corr:.2f} {where}: hotels and "
            "restaurants that buy more of one buy more of the other."
        )
    overall = strongest_correlations(log_spending(customers), top=1).iloc[0]
    raw = strongest_correlations(spending(group), top=1).iloc[0]
    place = (
        f"the {_rank_word(rank + 1, len(pairs), 'strongest', 'weakest')} of the {len(pairs)} pairs"
    )
    if {a, b} == {overall["column"], overall["with"]}:
        return answers.wrong(
            f"{a} and {b} lead over all customers (the tables above); {where} their "
            f"correlation is {corr:.2f}, {place}."
        )
    if {a, b} == {raw["column"], raw["with"]}:
        return answers.wrong(
            f"{a} and {b} lead on the raw spending of the {PAIR_CHANNEL} "
            f"customers ({raw['correlation']:.2f}); on the log spending the task "
            f"asks for, their correlation is {corr:.2f}, {place}."
        )
    return answers.wrong(f"{a} and {b} have correlation {corr:.2f} {where}, {place}.")


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
    given = answers.count_of(answer, "a number of customers")
    if given == expected:
        return answers.right(f"{expected} customers have at least one value beyond the whiskers.")
    if given == int(flags.to_numpy().sum()):
        return answers.wrong(
            "that counts outlying values; count customers with at least one (any(axis=1))."
        )
    if given == int(flags.any(axis=0).sum()):
        return answers.wrong(
            "that counts columns, not customers: .any() and .any(axis=0) ask per "
            "column; .any(axis=1) asks per customer, then .sum() counts them."
        )
    if given == int(iqr_outliers(spending(customers)).any(axis=1).sum()):
        return answers.wrong("that is on the raw scale; use iqr_outliers on the log spending.")
    if not 0 <= given <= len(customers):
        return answers.wrong(f"a number of customers lies between 0 and {len(customers)}.")
    return answers.wrong("use iqr_outliers on the log spending, then count the rows with any True.")
