"""The course's columns in a customer file: how a header name is read, where each column
stands (:class:`Layout`), and the tidy table built from their checked values.

Both readers share these: the careful one (:mod:`segmentation.data.careful`) and the fast
path (:mod:`segmentation.data.fast`) build the very same table from the same layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from segmentation.data.problems import Problem, shown_value
from segmentation.data.schema import COLUMN_ALIASES, LABEL_CODES, LABEL_COLUMNS, SPENDING_COLUMNS

# ASCII digits only: \d also matches other scripts' digits ('١', '１'), which float() and int()
# read as numbers, so '1١' would become the id 11 (the same as '11').
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_CANONICAL_INT = re.compile(r"0|[1-9][0-9]{0,17}")


#: At most this many ignored columns are named one by one; the rest are counted in one note.
MAX_IGNORED_NAMED = 5


def ignored_column_notes(unknown: dict[int, str], row: int, what: str) -> list[Problem]:
    """Notes on the header's columns that ``what`` (such as "the course") does not use,
    ``unknown`` mapping position to name: one note each for the first few, then one that
    counts the rest (a file of 100,000 extra columns gives 6 notes, not 100,000)."""
    notes = []
    for position, name in list(unknown.items())[:MAX_IGNORED_NAMED]:
        label = f"column {position + 1} ({shown_value(name) if name else 'no name'})"
        notes.append(Problem(f"{label} is not one {what} uses; it was ignored.", row=row))
    rest = len(unknown) - MAX_IGNORED_NAMED
    if rest > 0:
        notes.append(
            Problem(f"{rest:,} more columns are not ones {what} uses; they were ignored.", row=row)
        )
    return notes


@dataclass(frozen=True)
class Layout:
    """Where each column the course uses stands in the file."""

    width: int  # fields in the header
    index: dict[str, int]  # course column name -> position in the file
    header_key: tuple[str, ...]  # the header, normalised, to recognise a repeated header
    written: dict[str, str]  # course column name -> its name as the file's header writes it


def clean(text: str) -> str:
    """A value without surrounding spaces, or byte-order marks (files joined with `cat`)."""
    return text.strip().strip("\ufeff").strip()


def column_key(name: str) -> str:
    """A header name as the course compares it: clean, in lower case, aliases resolved."""
    key = clean(name).lower()
    return COLUMN_ALIASES.get(key, key).lower()


def tidy(values: dict[str, Any], n: int) -> pd.DataFrame:
    """The course's customer table from checked column values (all rows good): lists from the
    careful reader, arrays from the fast path. The values are taken out of ``values`` as they
    are converted, so that their memory goes early."""
    columns: dict[str, object] = {}
    if "id" in values:
        ids = np.asarray(values.pop("id"), dtype=object)
        # Whole-number ids become integers; others, and ids such as '007', stay text as written.
        if all(_CANONICAL_INT.fullmatch(i) for i in ids):
            columns["id"] = ids.astype(np.int64)
        else:
            columns["id"] = pd.array(ids, dtype="string")
    else:
        columns["id"] = np.arange(1, n + 1, dtype=np.int64)
    for column in LABEL_COLUMNS:
        if column in values:
            codes = LABEL_CODES[column]
            columns[column] = pd.Categorical.from_codes(
                np.asarray(values.pop(column), dtype=np.int64) - 1, categories=list(codes.values())
            )
    for column in SPENDING_COLUMNS:
        spent = np.asarray(values.pop(column), dtype=np.float64)
        # Floats beyond exact integers (a raised limit), or with missing values (NaN, which
        # the reader gives when they are allowed; max() is NaN then, so not below 2**53).
        if len(spent) and not spent.max() < 2**53:
            columns[column] = spent + 0.0  # + 0.0: -0 becomes 0
            continue
        as_int = spent.astype(np.int64)  # spending is checked to be 0 or more
        columns[column] = as_int if np.array_equal(as_int, spent) else spent + 0.0
    return pd.DataFrame(columns)
