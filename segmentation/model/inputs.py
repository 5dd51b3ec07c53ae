"""What a segmentation model takes: its settings and customer tables, checked at the door, and
the bounds that keep every model usable.

A model file is checked against the same bounds before anything uses it
(:mod:`segmentation.model.file_checks`), and ``fit`` keeps within them, so that every model it
saves loads again. They keep every distance finite: a customer scaled by a model lies within
(1e15 + 1e15) / 1e-12 = 2e27 of 0, its square far below the 1.8e308 where floating point
overflows.
"""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.model.limits import MAX_K, MAX_MODEL_SPENDING
from segmentation.preprocessing.spending import TRANSFORMS

#: The k-means a model is fitted with: the course's own, or scikit-learn's.
ALGORITHMS = ("course", "scikit-learn")
#: What a model file may record: also "spark", a model fitted on Apache Spark (MLlib's
#: k-means, by segmentation.spark.pipeline.fit_spark).
FILE_ALGORITHMS = (*ALGORITHMS, "spark")
#: What a model does with missing spending in its training data: refuse it, or fill it in.
MISSING_SETTINGS = ("refuse", "impute")
#: At most this many rows are named per column in a refusal of missing values.
_ROWS_NAMED = 5

#: A standard deviation below this is rounding noise, not a spread of the customers: such a
#: feature is left unscaled (scale 1), as one with a single value is.
MIN_SCALE = 1e-12
#: Centres lie within this distance of 0 on each scaled feature: a fitted centre is a mean of
#: scaled values, which lie within the square root of the number of customers of 0 (so beyond
#: 1e6 only for more than 1e12 customers).
MAX_CENTRE = 1e6
#: Random starts of k-means, and seeds: whole numbers in these ranges (scikit-learn takes
#: seeds from 0 to 2**32 - 1).
N_INIT_RANGE = (1, 1000)
SEED_RANGE = (0, 2**32 - 1)
#: At most this many refits with other seeds measure an evaluation's stability.
MAX_SEEDS = 1000
#: Text in a model file (a name, a strategy, a file name) is one line of printable characters,
#: at most this long.
MAX_TEXT = 1000
#: A mean computed from a model's numbers may lie this far beyond its range in its last bits.
ROUNDING = 1e-9


class ModelInputError(ValueError):
    """A customer table that a model cannot segment (a column missing, a bad value)."""


def empty_segment_error(found: int, k: int, where: str) -> ModelInputError:
    """The refusal of a fit whose k-means left a segment empty: it found only ``found``
    groups of customers ``where`` (in the training data, in a file), fewer than ``k``."""
    return ModelInputError(
        f"k-means found only {found} distinct group{'s' if found != 1 else ''} of "
        f"customers in {where}, fewer than the k = {k} segments asked for: a segment would "
        f"be empty. Choose a k of at most {found}."
    )


def check_choices(
    features: Any, transform: Any, algorithm: Any, evaluate: Any = True, missing: Any = "refuse"
) -> tuple[str, ...]:
    """Refuse unknown features, transform, algorithm or missing setting, or an ``evaluate``
    that is not True or False, with a ValueError that names them; the features as a tuple of
    str."""
    features = feature_names(features)
    if isinstance(algorithm, str) and algorithm == "spark":
        raise ValueError(
            'algorithm "spark" is fitted on Apache Spark: use '
            "segmentation.spark.pipeline.fit_spark, or `segmentation fit --engine spark`."
        )
    for name, value, choices in (
        ("transform", transform, TRANSFORMS),
        ("algorithm", algorithm, ALGORITHMS),
        ("missing", missing, MISSING_SETTINGS),
    ):
        # isinstance first: an unhashable value (a list) cannot be looked up in a tuple of str.
        if not isinstance(value, str) or value not in choices:
            raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    # "no" or 0 would read as true or false: only a bool says which was meant.
    if not isinstance(evaluate, (bool, np.bool_)):
        raise ValueError(f"evaluate must be True or False, not {shown(evaluate)}.")
    return features


def feature_names(features: Any) -> tuple[str, ...]:
    """``features`` as a tuple of plain str (NumPy's str_ included), refusing anything that is
    not a collection of distinct spending categories: one name on its own, None, a number."""
    expected = (
        f"features must be distinct spending categories from {', '.join(SPENDING_COLUMNS)}, "
        "in a list"
    )
    if isinstance(features, (str, bytes)):
        raise ValueError(f"{expected}, not one name on its own: write [{shown(features)}].")
    try:
        names = tuple(str(f) if isinstance(f, str) else f for f in features)
    except TypeError:  # None, a number: nothing to go through
        raise ValueError(f"{expected}; got {shown(features)}.") from None
    unknown = [f for f in names if f not in SPENDING_COLUMNS]
    if not names or unknown or len(set(names)) != len(names):
        raise ValueError(f"{expected}; got {', '.join(map(str, names)) or 'none'}.")
    return names


def check_numbers(k: Any, n: int, n_init: Any, random_state: Any) -> None:
    """Refuse a ``k`` that is not from 1 to the ``n`` customers (and at most :data:`MAX_K`),
    or ``n_init`` and ``random_state`` out of :data:`N_INIT_RANGE` and :data:`SEED_RANGE`."""
    if not whole(k, 1, min(n, MAX_K)):
        limit = (
            f"the number of customers ({n})"
            if n <= MAX_K
            else f"{MAX_K:,} (the most segments a model has)"
        )
        raise ValueError(f"k must be a whole number from 1 to {limit}; got {shown(k)}.")
    for name, value, (low, high) in (
        ("n_init", n_init, N_INIT_RANGE),
        ("random_state", random_state, SEED_RANGE),
    ):
        if not whole(value, low, high):
            raise ValueError(
                f"{name} must be a whole number from {low} to {high}; got {shown(value)}."
            )


def spending_matrix(
    customers: pd.DataFrame,
    features: Sequence[str],
    what: str,
    *,
    allow_missing: bool = False,
    how_to_allow: str = "",
) -> np.ndarray:
    """The features as a float array, refusing a missing column or a value that is not a
    spending, with the row and column named (rows counted as in the table, from 0).

    A missing value (NaN, None, pd.NA) is NaN in the array with ``allow_missing``; else it
    is refused with the rows and columns named, and ``how_to_allow`` (a sentence) added.

    The array may be a read-only view of the customers' own memory: the model's pipeline
    never writes to its input."""
    if not isinstance(customers, pd.DataFrame):
        raise ModelInputError(f"{what} must be a table (a pandas DataFrame) of customers.")
    missing = [c for c in features if c not in customers]
    if missing:
        raise ModelInputError(
            f"{what} has no column {', '.join(missing)}; the model needs "
            f"{', '.join(features)}. Read customer files with "
            "segmentation.data.reader.read_customer_csv."
        )
    twice = [c for c in features if np.count_nonzero(customers.columns == c) > 1]
    if twice:
        raise ModelInputError(
            f"{what} has the column {', '.join(twice)} more than once; keep one of each "
            "(which one holds the spending cannot be told)."
        )
    if len(customers) == 0:
        raise ModelInputError(f"{what} holds no customers.")
    frame = customers[list(features)]
    if all(
        pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in frame.dtypes
    ):
        matrix = frame.to_numpy(dtype=float)  # the usual case, as the reader gives it
        # (NaN fails both comparisons, infinity the second)
        if (matrix >= 0).all() and (matrix <= MAX_MODEL_SPENDING).all():
            return matrix
    matrix = np.column_stack([_spending_column(customers, c, what) for c in features])
    gaps = np.isnan(matrix)
    if gaps.any() and not allow_missing:
        raise ModelInputError(_missing_message(customers.index, gaps, features, what, how_to_allow))
    return matrix


def _missing_message(
    index: pd.Index, gaps: np.ndarray, features: Sequence[str], what: str, how_to_allow: str
) -> str:
    """The refusal of missing values: how many, and where (the first few rows per column)."""
    where = []
    for j, column in enumerate(features):
        rows = np.flatnonzero(gaps[:, j])
        if len(rows):
            named = ", ".join(repr(index[r]) for r in rows[:_ROWS_NAMED])
            more = f" and {len(rows) - _ROWS_NAMED} more" if len(rows) > _ROWS_NAMED else ""
            where.append(f"{column}: row{'s' if len(rows) > 1 else ''} {named}{more}")
    count = int(gaps.sum())
    row, j = np.argwhere(gaps)[0]
    values = "1 missing value" if count == 1 else f"{count} missing values"
    return (
        f"{what}, row {index[row]!r}, column {features[j]}: nan is not a spending, the value "
        f"is missing ({values} in all; {'; '.join(where)}). {how_to_allow}"
    ).rstrip()


def _spending_column(customers: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """A column's spending, NaN where a value is missing; refused if a value is present but
    not a spending."""
    given = customers[column]
    values = pd.to_numeric(given, errors="coerce").to_numpy(dtype=float)
    bad = ~((values >= 0) & (values <= MAX_MODEL_SPENDING)) & ~given.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = customers[column].iloc[row]
        shown_value = repr(value) if isinstance(value, str) else str(value)
        count = int(bad.sum())
        raise ModelInputError(
            f"{what}, row {customers.index[row]!r}, column {column}: {shown_value} is not a "
            f"spending ({count} such value{'s' if count > 1 else ''} in this column). "
            f"Spending must be a number from 0 to {MAX_MODEL_SPENDING:.0e} m.u."
        )
    return values


def check_distinct(X: np.ndarray, k: int) -> None:
    """Refuse to look for more segments than there are distinct customers: k-means would
    leave a segment empty (and scikit-learn's would warn about it on every start)."""
    head = X[: 10 * k + 100] + 0.0  # + 0.0: -0.0 and 0.0 are the same point
    found = len(np.unique(head, axis=0))
    if found < k and len(head) < len(X):
        # Equal rows hash alike, so the distinct hashes are never more than the distinct rows.
        hashes = pd.util.hash_pandas_object(pd.DataFrame(X + 0.0), index=False)
        found = hashes.nunique()
        if found < k:
            found = len(np.unique(X + 0.0, axis=0))
    if found < k:
        raise ModelInputError(
            f"The training data has only {found} distinct customer{'s' if found != 1 else ''} "
            f"(customers with the same spending on every feature count once), fewer than the "
            f"k = {k} segments asked for: k-means would leave a segment empty. Choose a k of "
            f"at most {found}."
        )


def whole(value: Any, low: int, high: int) -> bool:
    """Is ``value`` a whole number (not True or False) from ``low`` to ``high``?"""
    return bool(
        isinstance(value, (int, np.integer))
        and not isinstance(value, (bool, np.bool_))
        and low <= value <= high
    )


def printable(text: str | None) -> str | None:
    """``text`` as one line of printable characters: a file name's undecodable bytes and
    control characters become escapes (\\xe9, \\n), which a model file can hold and a
    terminal shows as they are."""
    if text is None:
        return None
    text = str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )
    return text if len(text) <= MAX_TEXT else f"{text[: MAX_TEXT - 1]}…"


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 40
_SHORT.maxlist = _SHORT.maxdict = 4
_SHORT.maxlevel = 2


def shown(value: Any) -> str:
    """A value from a file or a caller as a message shows it: as Python writes it, escapes for
    what is not printable, and cut to a few dozen characters."""
    try:
        return _SHORT.repr(value)
    except ValueError:  # an int beyond Python's 4,300 digits for str()
        return "a number too long to show"
