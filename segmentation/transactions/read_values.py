"""The values of a transaction file: the rules both readers apply, and the log they build.

The careful reader (:mod:`segmentation.transactions.read_careful`) applies these rules row by
row; the fast path (:mod:`segmentation.transactions.read_fast`) applies the same ones to each
distinct value of a column, or vectorised, so that both build the very same log.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from segmentation.data.columns import PLAIN_NUMBER
from segmentation.transactions.layout import TRANSACTION_COLUMNS

#: A larger number of units on one line (either sign) is taken for a typo.
MAX_QUANTITY = 1_000_000

#: A larger unit price (m.u., either sign) is taken for a typo or a unit mix-up.
MAX_PRICE = 10_000_000

#: The ways a date and time may be written: as the course and pandas write it (with or
#: without seconds), and as Excel exports the UCI workbook (month first).
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
)
DATE_HINT = (
    "Write it as YYYY-MM-DD HH:MM:SS (2010-12-01 08:26:00, seconds optional), or as Excel "
    "exports the UCI file, month first: M/D/YYYY H:MM (12/1/2010 8:26)."
)

#: Columns a file must have; Description and Country may be missing (they are then empty).
REQUIRED_COLUMNS: tuple[str, ...] = tuple(
    c for c in TRANSACTION_COLUMNS if c not in ("Description", "Country")
)
#: Columns read as text.
TEXT_COLUMNS: tuple[str, ...] = ("Invoice", "StockCode", "Description", "Country")

_MISSING_ID = {"", "nan", "na", "n/a", "#n/a", "null", "none"}
#: Ids are whole numbers below this: more digits than any id, beyond what a float holds exactly.
LARGEST_ID = 10**15
_WHOLE_QUANTITY = re.compile(r"[+-]?[0-9]{1,18}(?:\.0*)?")


def customer_id(text: str) -> str | bool | None:
    """A customer id as the log writes it: ``"13085"`` for 13085 and 13085.0 (a spreadsheet's
    way of writing it); None when missing (a guest); False when it cannot be an id (not a
    whole number from 0 to 10**15)."""
    text = text.strip()
    if text.lower() in _MISSING_ID:
        return None
    if not PLAIN_NUMBER.fullmatch(text):
        return False
    return id_of_number(float(text))


def id_of_number(number: float) -> str | bool:
    """The id a number stands for (``"13085"`` for 13085.0), or False if none."""
    if not (0 <= number < LARGEST_ID and number == int(number)):
        return False
    return str(int(number))


def quantity(text: str) -> int | None:
    """A quantity written as a whole number (a zero decimal part allowed), else None."""
    text = text.strip()
    return int(float(text)) if _WHOLE_QUANTITY.fullmatch(text) else None


#: The years a date of the log may fall in. A sales log has no line before 1900 or after
#: 2199: a date outside is a typo or a placeholder (9999-12-31), and far dates would not fit
#: pandas' nanosecond timestamps (years 1677 to 2262) anyway.
FIRST_YEAR, LAST_YEAR = 1900, 2199
_EARLIEST = np.datetime64(f"{FIRST_YEAR}-01-01", "us")
_BEYOND = np.datetime64(f"{LAST_YEAR + 1}-01-01", "us")
RANGE_HINT = (
    f"A sales log has no line before {FIRST_YEAR} or after {LAST_YEAR}: check the year for a "
    "typo, or for a placeholder date such as 9999-12-31."
)


def parse_dates(texts: pd.Index, stripped: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Each text as a datetime64[ns] (NaT where no accepted format reads it), vectorised:
    every format is tried on what the ones before it left unread; and whether each was read
    but falls outside the years :data:`FIRST_YEAR` to :data:`LAST_YEAR` (NaT there too).

    The dates are read in microseconds, which hold any year a format can write: converting
    a far date straight to nanoseconds would wrap it round to another date. ``stripped``:
    the caller knows no text has spaces at either end (stripping them is then skipped)."""
    texts = pd.Index(texts, dtype=object)
    if not stripped:
        texts = texts.str.strip()
    dates = pd.to_datetime(texts, format=DATE_FORMATS[0], errors="coerce")
    dates = np.asarray(dates, dtype="datetime64[us]").copy()
    for form in DATE_FORMATS[1:]:
        unread = np.isnat(dates)
        if not unread.any():
            break
        dates[unread] = pd.to_datetime(texts[unread], format=form, errors="coerce").to_numpy(
            dtype="datetime64[us]"
        )
    outside = ~np.isnat(dates) & ((dates < _EARLIEST) | (dates >= _BEYOND))
    if outside.any():
        dates[outside] = np.datetime64("NaT")
    return dates.astype("datetime64[ns]"), outside


#: Where the digits and the separators are in a date written "YYYY-MM-DD HH:MM:SS", read
#: from 20 bytes (the 20th NUL: no longer text).
_WIDTH = 20
_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18)
_SEPARATORS = (4, 7, 10, 13, 16, 19)
_SEPARATOR_BYTES = np.frombuffer(b"-- ::\0", dtype=np.uint8)
#: The first day (days from 1970-01-01) of each month of the years a date may fall in, and
#: one more: the month of index ``(year - FIRST_YEAR) * 12 + month - 1`` has
#: ``_MONTH_STARTS[i + 1] - _MONTH_STARTS[i]`` days.
_MONTH_STARTS = (
    np.arange((FIRST_YEAR - 1970) * 12, (LAST_YEAR + 1 - 1970) * 12 + 1)
    .astype("datetime64[M]")
    .astype("datetime64[D]")
    .astype(np.int64)
)


_DATE_BLOCK = 1 << 18  # dates read this many at a time: the work arrays stay small


def fixed_width_dates(texts: np.ndarray) -> np.ndarray | None:
    """Each text as a datetime64[ns], computed from its digits (no text is hashed), when
    every text is a valid date written "YYYY-MM-DD HH:MM:SS" (seconds below 60) in the years
    :data:`FIRST_YEAR` to :data:`LAST_YEAR`; else None (:func:`parse_dates` then reads
    them, and says which fail). Reads the same dates as :func:`parse_dates` where both read."""
    texts = np.asarray(texts, dtype=object)
    dates = np.empty(len(texts), dtype="datetime64[ns]")
    for begin in range(0, len(texts), _DATE_BLOCK):
        block = _date_block(texts[begin : begin + _DATE_BLOCK])
        if block is None:
            return None
        dates[begin : begin + _DATE_BLOCK] = block
    return dates


def _date_block(texts: np.ndarray) -> np.ndarray | None:
    """:func:`fixed_width_dates` of a block of texts."""
    try:
        # one byte more than the form: a longer text keeps a byte there, and fails
        raw = texts.astype(f"S{_WIDTH}")
    except (TypeError, UnicodeEncodeError, ValueError):  # a missing value, or not ASCII
        return None
    grid = raw.view(np.uint8).reshape(len(raw), _WIDTH)
    # a NUL in the last place: at most 19 bytes (the reader refuses NUL bytes)
    if not (grid[:, _SEPARATORS] == _SEPARATOR_BYTES).all():
        return None
    digits = grid[:, _DIGITS] - np.uint8(ord("0"))  # a byte below "0" wraps round, above 9
    if not (digits <= 9).all():
        return None
    pairs = digits[:, 0::2] * np.uint8(10) + digits[:, 1::2]  # 19 20 MM DD hh mm ss
    century, years, month, day, hour, minute, second = pairs.T
    year = century.astype(np.int64) * 100 + years
    if not (
        ((year >= FIRST_YEAR) & (year <= LAST_YEAR)).all()
        and ((month >= 1) & (month <= 12)).all()
        and ((hour < 24) & (minute < 60) & (second < 60)).all()
    ):
        return None
    index = (year - FIRST_YEAR) * 12 + month - 1
    first_day = _MONTH_STARTS[index]
    if not ((day >= 1) & (day <= _MONTH_STARTS[index + 1] - first_day)).all():
        return None
    clock = (hour.astype(np.int64) * 60 + minute) * 60 + second
    return (((first_day + day - 1) * 86_400 + clock) * 1_000_000_000).view("datetime64[ns]")


def transaction_frame(columns: dict[str, object]) -> pd.DataFrame:
    """The raw log from checked column values (all rows good), columns in the layout's order:
    text columns as str, Quantity int64, InvoiceDate datetime64[ns], Price float64,
    Customer ID str (missing: NaN)."""
    n = len(columns["Invoice"])  # type: ignore[arg-type]
    frame: dict[str, object] = {}
    for column in TRANSACTION_COLUMNS:
        values = columns.get(column)
        if column in TEXT_COLUMNS or column == "Customer ID":
            if values is None:  # Description or Country, not in the file
                values = np.full(n, "", dtype=object)
            if not isinstance(values, pd.api.extensions.ExtensionArray):
                values = pd.array(np.asarray(values, dtype=object), dtype="str")
            frame[column] = values
        elif column == "Quantity":
            frame[column] = np.asarray(values, dtype=np.int64)
        elif column == "InvoiceDate":
            frame[column] = np.asarray(values, dtype="datetime64[ns]")
        else:
            frame[column] = np.asarray(values, dtype=np.float64) + 0.0  # -0 becomes 0
    return pd.DataFrame(frame, copy=False)  # the arrays are new: no need to copy them
