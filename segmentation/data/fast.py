"""The fast path: pandas' C parser, on threads, for a customer file whose shape is plain.

The careful reader (:mod:`segmentation.data.careful`) reads the header of every file. When the
data lines are plain (every line as wide as the header, quotes only around whole values, no
stray carriage return: :func:`_plain_lines`), pandas parses the very bytes that were read, in
pieces of whole lines on threads, and vectorised checks follow. Anything the careful reader
might refuse makes the fast path give up (return None), so that the careful reader finds and
locates every problem: the fast path never accepts what the careful reader refuses, and
returns the same table when it accepts.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import TypeVar

import numpy as np
import pandas as pd

from segmentation.data.careful import MAX_VALUE_CHARS
from segmentation.data.columns import Layout, tidy
from segmentation.data.schema import LABEL_CODES, LABEL_COLUMNS, SPENDING_COLUMNS

T = TypeVar("T")
R = TypeVar("R")


def read_fast(raw: bytes, start: int, layout: Layout, max_spending: float) -> pd.DataFrame | None:
    """pandas' C parser, on the bytes from ``start`` on, when their shape is known to be plain.

    It takes only data whose every line is plain (see :func:`_plain_lines`), parses the very
    bytes that were checked (never the file again: a pipe cannot be read twice, and a file may
    change), and gives up (returns None) on any value the careful reader might refuse. So it
    never accepts what :class:`~segmentation.data.careful.CarefulReader` refuses, and returns
    the same table when it accepts.
    """
    lines = _plain_lines(raw, start, layout.width)
    if lines is None:
        return None
    values = _values_fast(raw, start, layout, max_spending, lines)
    return None if values is None else tidy(values, lines)


def _values_fast(
    raw: bytes, start: int, layout: Layout, max_spending: float, lines: int
) -> dict[str, object] | None:
    """Each column's checked values (pandas' tables are let go when this returns)."""
    tables = _parse_in_pieces(raw, start, layout)
    if tables is None or sum(len(table) for table in tables) != lines:
        return None
    values: dict[str, object] = {}
    for column, position in layout.index.items():
        checked = _checked_fast(column, [table[position] for table in tables], max_spending)
        if checked is None:
            return None
        values[column] = checked
    return values


def _plain_lines(raw: bytes, start: int, width: int) -> int | None:
    """The number of data lines (from ``start``) if they are plain, else None.

    Plain: no carriage return but in \\r\\n (pandas ends a line at a lone one, the count below
    would not); no byte-order mark after the header (the careful reader strips one, pandas
    keeps it); no line longer than MAX_VALUE_CHARS bytes (so no value is too long); quotes
    only around whole values, holding no line break or quote (:func:`_quoted_commas`); and
    the header's number of commas, quoted ones aside, on every line. For that last one the
    total suffices: pandas refuses a line with too many, so with the total right none has too
    few; and it rules out blank lines (the header has at least the six spending columns).
    """
    data = np.frombuffer(raw, dtype=np.uint8)  # scanned by NumPy: bytes.count is slower
    if b"\r" in raw:
        returns = np.flatnonzero(data == ord("\r"))
        if returns[-1] + 1 == len(data) or not np.all(data[returns + 1] == ord("\n")):
            return None
    body = data[start:]
    ends = np.flatnonzero(body == ord("\n"))
    lines = len(ends) + (not raw.endswith(b"\n"))
    if lines < 1 or width < 2:
        return None
    last = len(body) - 1 - int(ends[-1]) if len(ends) else len(body)  # after the last \n
    longest = max(int(np.diff(ends, prepend=-1).max(initial=0)) - 1, last)
    if longest > MAX_VALUE_CHARS or (b"\xef" in raw and raw.find(b"\xef\xbb\xbf", start) >= 0):
        return None
    quoted: int | None = 0
    first_quote = raw.find(b'"', start)
    if first_quote >= 0:
        quoted = _quoted_commas(body, first_quote - start, raw.rfind(b'"') - start)
    if quoted is None or np.count_nonzero(body == ord(",")) - quoted != lines * (width - 1):
        return None
    return lines


_BLOCK_BYTES = 1 << 22  # quotes are checked this many bytes at a time, so memory stays small


def _quoted_commas(body: np.ndarray, first: int, last: int) -> int | None:
    """The number of commas inside quotes, if every quote mark (the first at ``first``, the
    last at ``last``) opens a value at its start or closes it at its end, with no line break
    or quote inside: the quoting of numbers and names that spreadsheets write, which pandas
    and the csv module read alike. Else None.

    A running parity of quote marks says which bytes are inside quotes; it is carried from
    block to block.
    """
    comma, newline = ord(","), ord("\n")
    inside, commas = False, 0
    for begin in range(first, last + 1, _BLOCK_BYTES):
        end = min(begin + _BLOCK_BYTES, last + 1)
        block = body[begin:end]
        quote = block == ord('"')
        opened = np.logical_xor.accumulate(quote)  # from an opening quote up to its closing one
        if inside:
            np.logical_not(opened, out=opened)
        if np.any(opened & (block == newline)):
            return None
        commas += int(np.count_nonzero(opened & (block == comma)))
        before = body[begin - 1 : end - 1] if begin else np.r_[newline, body[: end - 1]]
        after = (
            body[begin + 1 : end + 1] if end < len(body) else np.r_[body[begin + 1 : end], newline]
        )
        if np.any(quote & opened & (before != comma) & (before != newline)):
            return None  # an opening quote not at the start of a value
        if np.any(quote & ~opened & (after != comma) & (after != newline) & (after != ord("\r"))):
            return None  # a closing quote not at the end of a value ("" inside one, say)
        inside = bool(opened[-1])
    return None if inside else commas


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_PIECE_BYTES = 1 << 23  # smaller pieces cost more in threads than they save


class _ByteReader:
    """A read-only file over bytes in memory; io.BytesIO would copy them first."""

    def __init__(self, data: memoryview):
        self._data = data
        self._at = 0

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._data) if size is None or size < 0 else self._at + size
        chunk = self._data[self._at : end].tobytes()
        self._at += len(chunk)
        return chunk


def _parse_in_pieces(raw: bytes, start: int, layout: Layout) -> list[pd.DataFrame] | None:
    """The data lines from ``start`` parsed by pandas in pieces of whole lines, one piece per
    core, on threads (pandas parses without holding the GIL); None if pandas cannot read them."""
    cuts = [start]
    count = max(1, min(_cores(), 8, (len(raw) - start) // _PIECE_BYTES))
    for i in range(1, count):
        cut = raw.find(b"\n", start + (len(raw) - start) * i // count) + 1
        if cuts[-1] < cut < len(raw):
            cuts.append(cut)
    cuts.append(len(raw))
    view = memoryview(raw)
    pieces = [view[a:b] for a, b in pairwise(cuts)]
    positions = sorted(layout.index.values())
    # Spending as numbers and ids as text; Channel and Region left to pandas, which reads
    # codes (the usual case, and by far the quickest) as integers and names as text.
    # pandas reads '+2' as the code 2, which the careful reader refuses: with a '+' anywhere
    # (rare), codes are read as text too, and a signed one is left to the careful reader.
    signed = raw.find(b"+", start) >= 0
    dtypes = {
        p: (np.float64 if c in SPENDING_COLUMNS else str)
        for c, p in layout.index.items()
        if signed or c not in LABEL_COLUMNS
    }
    # usecols only when there are columns to skip: it makes pandas much slower. No
    # skipinitialspace (slow too): pandas' number parsing takes spaces around a number
    # anyway, and text values are stripped afterwards.
    options = {
        "header": None,
        "encoding": "utf-8",
        "names": list(range(layout.width)),
        "usecols": positions if len(positions) < layout.width else None,
        "dtype": dtypes,
        "keep_default_na": False,
        "engine": "c",
    }

    def parse(piece: memoryview) -> pd.DataFrame:
        return pd.read_csv(_ByteReader(piece), **options)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return on_threads(parse, pieces)
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError):
        return None


def on_threads(function: Callable[[T], R], items: list[T]) -> list[R]:
    """``function`` of each item: on a thread each when there are several (for work that
    holds no lock: pandas' parser, compiled loops), in this thread after all when no thread
    can be started (memory too short for a thread's stack)."""
    if len(items) == 1:
        return [function(items[0])]
    try:
        with ThreadPoolExecutor(len(items)) as pool:
            return list(pool.map(function, items))
    except RuntimeError as exc:
        if "can't start new thread" not in str(exc):
            raise
        return [function(item) for item in items]


def _checked_fast(column: str, pieces: list[pd.Series], max_spending: float) -> np.ndarray | None:
    """A column's values (read in pieces) if the careful reader would take them all as they
    are, else None."""
    if column in SPENDING_COLUMNS:
        spent = _joined([piece.to_numpy(dtype=np.float64) for piece in pieces])
        # Never infinity, whatever the limit: the careful reader refuses it too.
        limit = min(max_spending, np.finfo(np.float64).max)
        return spent if np.all((spent >= 0) & (spent <= limit)) else None
    if column in LABEL_COLUMNS and all(piece.dtype == np.int64 for piece in pieces):
        codes = _joined([piece.to_numpy() for piece in pieces])
        known = LABEL_CODES[column]  # codes 1, 2, ...: an unknown one goes to
        if len(codes) and (codes.min() < 1 or codes.max() > len(known)):  # the careful
            return None  # reader, which says which and where
        return codes
    series = pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)
    strings = series.astype(str).str.strip()
    if column == "id":
        if (strings == "").any() or strings.duplicated().any():
            return None
        return strings.to_numpy(dtype=object)
    return _label_codes_fast(column, strings)


def _joined(arrays: list[np.ndarray]) -> np.ndarray:
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _label_codes_fast(column: str, strings: pd.Series) -> np.ndarray | None:
    lookup: dict[str, int] = {}
    for code, name in LABEL_CODES[column].items():
        lookup[name.lower()] = code
        lookup[str(code)] = code
    codes = strings.str.lower().map(lookup)
    if codes.isna().any():
        return None  # codes such as '2.0' or anything wrong: the careful reader decides
    return codes.to_numpy(dtype=np.int64)
