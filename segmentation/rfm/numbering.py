"""Each line's customer numbered by its place among the sorted customer ids: the first step
of every RFM table, and on millions of lines its slowest, so it is done without hashing a
Python string per line where the ids allow it.

Ids of at most 8 ASCII characters (as real logs write them: 13085) are packed, 8 bytes each,
into one big-endian integer: integers hash several times quicker than strings, and they
sort as the texts do. Other ids are numbered as strings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CUSTOMER = "Customer ID"
_PACKED = 8  # texts of at most this many ASCII characters fit in 64 bits


def number_lines(
    purchase_ids: pd.Series, cancellation_ids: pd.Series
) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """The purchase lines' customers numbered by their place among the sorted distinct
    purchase ids (as text), those ids, and the cancellation lines' numbers (-1: a customer
    with no purchase). Ids may also be given as integers (as the ``rfm`` command reads
    them, :func:`~segmentation.transactions.cleaning.clean_coded`): they are numbered and
    named as their texts would be."""
    if _integers(purchase_ids) and _integers(cancellation_ids):
        return _number_integers(purchase_ids.to_numpy(), cancellation_ids.to_numpy())
    purchase_ids, cancellation_ids = purchase_ids.astype(str), cancellation_ids.astype(str)
    bought, cancelled = _packed(purchase_ids), _packed(cancellation_ids)
    if bought is None or cancelled is None:
        codes, customers = sorted_codes(purchase_ids.to_numpy())
        return codes, customers, customers.get_indexer(cancellation_ids)
    numbers, keys = pd.factorize(bought)
    # pd.factorize numbers values in order of first appearance: a new number is a new maximum
    running = np.maximum.accumulate(numbers)
    firsts = np.flatnonzero(np.r_[True, running[1:] > running[:-1]])
    order = np.argsort(keys, kind="stable")
    place = _places(order)
    texts = np.asarray(purchase_ids, dtype=object)[firsts[order]]
    at = np.minimum(np.searchsorted(keys[order], cancelled), len(keys) - 1)
    cancel_codes = np.where(keys[order][at] == cancelled, at, -1)
    return place[numbers], pd.Index(texts, name=CUSTOMER), cancel_codes


def _integers(ids: pd.Series) -> bool:
    """Whether the ids are NumPy integers, none negative."""
    values = ids.to_numpy()
    return values.dtype.kind in "iu" and not (len(values) and values.min() < 0)


#: Ids as integers are below 10**15 (the readers refuse larger ones): at most 15 digits.
_DIGITS = 15


def _number_integers(
    bought: np.ndarray, cancelled: np.ndarray
) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """:func:`number_lines` of ids given as integers below 10**15. They are put in the
    order of their texts ("100" before "99"): an id's digits padded with zeros to 15
    places, then the shorter first ("1" before "10"), which is text order for numbers
    written without leading zeros."""
    numbers, keys = pd.factorize(bought)
    digits = 1 + sum((keys >= 10**power).astype(np.int64) for power in range(1, _DIGITS))
    order = np.argsort(keys * 10 ** (_DIGITS - digits) * 16 + digits, kind="stable")
    place = _places(order)
    found = pd.Index(keys).get_indexer(cancelled)  # -1: a customer with no purchase
    cancel_codes = np.full(len(cancelled), -1, dtype=np.int64)
    cancel_codes[found >= 0] = place[found[found >= 0]]
    texts = np.array([str(k) for k in keys[order].tolist()], dtype=object)
    return place[numbers], pd.Index(texts, name=CUSTOMER), cancel_codes


def _packed(ids: pd.Series) -> np.ndarray | None:
    """Each id's text packed in a 64-bit integer (its bytes, big-endian), when every id is a
    Python string of at most 8 ASCII characters not ending in a NUL character (its bytes
    would lose it, and two texts could give one integer); else None."""
    values = np.asarray(ids, dtype=object)
    if len(values) == 0:
        return np.zeros(0, dtype=np.uint64)
    if not _all_texts(ids.dtype, values):
        return None
    try:
        packed = values.astype(f"S{_PACKED}")
    except (UnicodeEncodeError, ValueError):  # not ASCII
        return None
    lengths = np.fromiter(map(len, values), np.int64, len(values))
    if lengths.max() > _PACKED or (np.strings.str_len(packed) != lengths).any():
        return None
    return packed.view(">u8").astype(np.uint64)


def _all_texts(dtype: object, values: np.ndarray) -> bool:
    """Whether every value is a Python string (pandas' text dtype holds only strings and
    missing values, which are looked for)."""
    if isinstance(dtype, pd.StringDtype):
        return not pd.isna(values).any()
    object_dtype = pd.api.types.is_object_dtype(dtype)
    return object_dtype and pd.api.types.infer_dtype(values, skipna=False) == "string"


def sorted_codes(ids: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Number ``ids`` by their place among the sorted distinct ids (hashing first and sorting
    only the distinct ids is faster than ``pd.factorize(sort=True)`` on millions of rows)."""
    codes, uniques = pd.factorize(ids)
    order = np.argsort(_comparable(uniques), kind="stable")
    return _places(order)[codes], pd.Index(uniques[order], name=CUSTOMER)


def _places(order: np.ndarray) -> np.ndarray:
    """Each value's place in the sorted values, from the order that sorts them."""
    place = np.empty_like(order)
    place[order] = np.arange(len(order))
    return place


_LONGEST_FIXED = 64  # longer ids are sorted as Python strings: fixed width would waste memory


def _comparable(texts: np.ndarray) -> np.ndarray:
    """``texts`` as NumPy fixed-width text, which sorts in C exactly as Python sorts the
    strings, when that is so: every value a string, none holding a NUL character (fixed
    width drops trailing NULs) and none long; else ``texts`` unchanged."""
    if len(texts) == 0 or pd.api.types.infer_dtype(texts, skipna=False) != "string":
        return texts
    if max(map(len, texts)) > _LONGEST_FIXED or "\0" in "".join(texts):
        return texts
    return texts.astype(str)
