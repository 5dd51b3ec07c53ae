"""The fast path for a transaction file whose shape is plain: pandas' C parser on threads,
then the rules of :mod:`segmentation.transactions.read_values` applied to each distinct value
of a column, or vectorised.

It parses the very bytes that were read, and gives up (returns None) on anything the careful
reader (:mod:`segmentation.transactions.read_careful`) might refuse or read otherwise, which
then finds and locates every problem: the fast path never accepts what the careful reader
refuses, and builds the same log when it accepts.
"""

from __future__ import annotations

import warnings
from itertools import pairwise

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from segmentation.data.careful import MAX_VALUE_CHARS
from segmentation.data.columns import Layout
from segmentation.data.fast import _ByteReader, _cores, on_threads
from segmentation.transactions.read_values import (
    LARGEST_ID,
    MAX_PRICE,
    MAX_QUANTITY,
    TEXT_COLUMNS,
    customer_id,
    fixed_width_dates,
    parse_dates,
    transaction_frame,
)

_PIECE_BYTES = 1 << 24  # smaller pieces cost more in threads than they save
#: Columns of few distinct values: pandas parses them as categoricals, hashing the bytes of
#: each value in C and making a Python string only once per distinct value.
_FEW_VALUES = ("Description", "Country")


def read_transactions_fast(raw: bytes, start: int, layout: Layout) -> pd.DataFrame | None:
    """The log from the bytes after the header (from ``start``), or None to leave the file
    to the careful reader."""
    if not _plain_lines(raw, start):
        return None
    table = _parsed(raw, start, layout)
    if table is None:
        return None
    columns: dict[str, object] = {}
    for column, position in layout.index.items():
        checked = _checked_column(column, table[position])
        if checked is None:
            return None
        columns[column] = checked
    return transaction_frame(columns)


def _plain_lines(raw: bytes, start: int) -> bool:
    """Whether the csv module and pandas are sure to split the data lines alike: no carriage
    return but in \\r\\n, no byte-order mark after the header, and each quote mark at the
    edge of a value (or doubled inside one). Blank lines are kept by pandas (as a row of
    missing values, which the checks refuse), so the careful reader notes them."""
    if b"\r" in raw and raw.count(b"\r") != raw.count(b"\r\n"):
        return False
    if not raw.isascii() and raw.find(b"\xef\xbb\xbf", start) >= 0:
        return False
    if raw.find(b'"', start) >= 0:
        body = np.frombuffer(raw, dtype=np.uint8)[start:]
        at = _quote_marks(body)
        newline = np.uint8(ord("\n"))  # outside the data: as at a line's start or end
        before = np.where(at > 0, body[np.maximum(at - 1, 0)], newline)
        after = np.where(at + 1 < len(body), body[np.minimum(at + 1, len(body) - 1)], newline)
        edge = np.isin(before, np.frombuffer(b',\n"', np.uint8)) | np.isin(
            after, np.frombuffer(b',\r\n"', np.uint8)
        )
        return bool(edge.all())
    return True


_BLOCK_BYTES = 1 << 22  # bytes are compared this many at a time, in one reused buffer


def _quote_marks(body: np.ndarray) -> np.ndarray:
    """Where the quote marks are in ``body``, found a block at a time: comparing the whole
    body at once would first fill a new array of its size (slow, and as large as the file)."""
    found = []
    buffer = np.empty(min(_BLOCK_BYTES, len(body)), dtype=bool)
    for begin in range(0, len(body), _BLOCK_BYTES):
        block = body[begin : begin + _BLOCK_BYTES]
        np.equal(block, ord('"'), out=buffer[: len(block)])
        found.append(np.flatnonzero(buffer[: len(block)]) + begin)
    return np.concatenate(found)


def _parsed(
    raw: bytes, start: int, layout: Layout
) -> dict[int, np.ndarray | pd.Categorical] | None:
    """The data lines parsed by pandas, each column as one array (or categorical); None if
    pandas cannot read them. Large files are parsed in pieces of whole lines on threads
    (pandas parses without holding the GIL), one per core, when the memory allows threads
    (see :func:`_piece_count`)."""
    count = _piece_count(len(raw) - start)
    cuts = sorted(
        {start, len(raw)}
        | {raw.find(b"\n", start + (len(raw) - start) * i // count) + 1 for i in range(1, count)}
    )
    cuts = [c for c in cuts if start <= c <= len(raw)]
    view = memoryview(raw)
    few = [layout.index[column] for column in _FEW_VALUES if column in layout.index]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tables = _pieces(view, cuts, _options(layout, few))
            if not all(_texts_kept(table[p].array) for table in tables for p in few):
                # pandas made numbers (or booleans) of categories that all look like
                # some: their text is lost, so those columns are read as text instead
                tables = _pieces(view, cuts, _options(layout, []))
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError):
        return None
    return {p: _joined([table[p].array for table in tables]) for p in range(layout.width)}


def _options(layout: Layout, categorical: list[int]) -> dict[str, object]:
    """pandas' options for the data lines, the columns at ``categorical`` as categoricals."""
    # Any column not in the layout is read as text too (never as a number, which would
    # hide a short row as NaN).
    dtypes: dict[int, object] = {p: str for p in range(layout.width)}
    dtypes.update(dict.fromkeys(categorical, "category"))
    dtypes[layout.index["Quantity"]] = np.int64
    dtypes[layout.index["Price"]] = np.float64
    last = layout.width - 1
    return {
        "header": None,
        "names": list(range(layout.width)),
        "dtype": dtypes,
        "keep_default_na": False,
        "skip_blank_lines": False,
        # Customer ids are read as text, to see each way an id is written. pandas fills a
        # short row's last value with "", which would pass for a guest there: in the last
        # column, an empty id is missing (NaN) instead, and the careful reader sees the row.
        "na_values": {last: [""]} if layout.index["Customer ID"] == last else {},
        "encoding": "utf-8",
        "engine": "c",
    }


#: Address space pandas' C parser needs per byte of the file, at most (measured: 3.0 for
#: a 212 MB log of 2.8 million lines parsed in one thread, 6.1 for a 29 MB log of 700,000
#: short lines), and per extra thread (a stack and
#: a memory arena of its own, 64 MB on Linux, rounded up). The parser crashes the whole
#: process (a segmentation fault) when memory runs out, in a thread or not, so under an
#: address-space limit (``ulimit -v``) these are checked before it starts.
_PARSE_BYTES_PER_BYTE = 6
_THREAD_BYTES = 1 << 27


def _address_room() -> int | None:
    """The address space this process may still take under its limit (``ulimit -v``);
    None when there is no limit."""
    try:
        import resource

        limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):  # no such limit here (Windows)
        return None
    if limit == resource.RLIM_INFINITY:
        return None
    try:
        with open("/proc/self/statm") as status:  # the first number: pages taken
            used = int(status.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        used = 0
    return limit - used


def _piece_count(size: int) -> int:
    """How many threads parse ``size`` bytes: one per core for large files, one alone when
    the address-space limit leaves no room for more; a MemoryError when it leaves no room
    for the parser at all."""
    count = max(1, min(_cores(), 8, size // _PIECE_BYTES))
    room = _address_room()
    if room is None:
        return count
    need = _PARSE_BYTES_PER_BYTE * size
    if room < need:
        raise MemoryError(f"{room} bytes of address space left, {need} needed to parse")
    return count if room >= need + count * _THREAD_BYTES else 1


def _pieces(view: memoryview, cuts: list[int], options: dict) -> list[pd.DataFrame]:
    """Each piece between consecutive ``cuts`` parsed: one piece in this thread, several on
    threads (in this thread after all when no thread can be started)."""

    def parse(cut: tuple[int, int]) -> pd.DataFrame:
        return pd.read_csv(_ByteReader(view[cut[0] : cut[1]]), **options)

    return on_threads(parse, list(pairwise(cuts)))


def _texts_kept(column: object) -> bool:
    """Whether a column parsed as a categorical kept its values as text."""
    categories = column.categories  # type: ignore[attr-defined]
    return len(categories) == 0 or pd.api.types.infer_dtype(categories) == "string"


def _joined(pieces: list) -> np.ndarray | pd.Categorical:
    """A column parsed in pieces, as one array (or one categorical)."""
    if isinstance(pieces[0], pd.Categorical):
        return pieces[0] if len(pieces) == 1 else union_categoricals(pieces)
    return np.concatenate([np.asarray(piece) for piece in pieces])


_ID_BLOCK = 1 << 18


def _checked_column(column: str, values: np.ndarray | pd.Categorical) -> object | None:
    """A column's values checked, vectorised where the values allow it; None if the careful
    reader might refuse one (or read it otherwise)."""
    if isinstance(values, pd.Categorical):
        return _checked_values(column, values.codes, values.categories.to_numpy(dtype=object))
    if column == "InvoiceDate" and values.dtype == object:
        dates = fixed_width_dates(values)
        if dates is not None:  # every date in the course's form: read from its digits
            return dates
    if column == "Customer ID" and all(
        _plain_ids(values[at : at + _ID_BLOCK]) for at in range(0, len(values), _ID_BLOCK)
    ):
        # each text is its own id (or a guest's ""), checked on the whole column: no hashing
        # (a block at a time: the texts joined take a few bytes per line)
        ids = np.array(values, dtype=object)  # a copy: the guests' "" become missing
        ids[ids == ""] = None
        return pd.array(ids, dtype="str")
    if column in ("Quantity", "Price"):
        limit = MAX_QUANTITY if column == "Quantity" else MAX_PRICE
        # NaN (a price left empty) fails the test too
        return values if np.all(np.abs(values) <= limit) else None
    if column in TEXT_COLUMNS:
        empty = _plain_texts(values)
        if empty is not None:  # nothing to strip: the values are the texts
            blank = empty and column in ("Invoice", "StockCode")
            return None if blank else pd.array(values, dtype="str")
    return _checked_values(column, *pd.factorize(values))


def _plain_texts(values: np.ndarray) -> bool | None:
    """Whether some text of ``values`` is empty; None when one may need the careful rules
    (not ASCII, a space or control character at either end, longer than
    :data:`~segmentation.data.careful.MAX_VALUE_CHARS`, missing). Vectorised on the texts joined by
    NUL, which no value holds (the reader refuses a file with a NUL byte)."""
    if len(values) == 0:
        return False
    try:
        joined = "\0".join(values)
    except TypeError:  # a missing value (a short row): the careful reader says which
        return None
    if not joined.isascii():
        return None
    data = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    cuts = np.flatnonzero(data == 0)
    starts = np.concatenate([[0], cuts + 1])
    ends = np.concatenate([cuts, [len(data)]])
    lengths = ends - starts
    if lengths.max() > MAX_VALUE_CHARS:
        return None
    full = lengths > 0
    # ASCII whitespace, which strip() removes, is all at or below the space character
    if (data[starts[full]] <= ord(" ")).any() or (data[ends[full] - 1] <= ord(" ")).any():
        return None
    return not bool(full.all())


def _plain_ids(texts: pd.Index | np.ndarray) -> bool:
    """Whether every text is empty (a guest) or an id as the log writes it: digits, with no
    leading zero but in 0 itself, below :data:`~segmentation.transactions.read_values.LARGEST_ID`.
    Vectorised on the texts joined by NUL, as :func:`_plain_texts` does."""
    try:
        joined = "\0".join(texts)
    except TypeError:  # a missing value (a short row)
        return False
    if not joined.isascii():
        return False
    data = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    if len(data) == 0:
        return True
    if not (((data >= ord("0")) & (data <= ord("9"))) | (data == 0)).all():
        return False
    cuts = np.flatnonzero(data == 0)
    starts = np.concatenate([[0], cuts + 1])
    lengths = np.concatenate([cuts, [len(data)]]) - starts
    first = data[np.minimum(starts, len(data) - 1)]
    return bool(
        lengths.max() < len(str(LARGEST_ID)) and not ((lengths > 1) & (first == ord("0"))).any()
    )


def _checked_values(column: str, codes: np.ndarray, uniques: np.ndarray) -> np.ndarray | None:
    """A column's values, each distinct value checked once; None if the careful reader might
    refuse one (or read it otherwise)."""
    if len(codes) and codes.min() < 0:
        return None  # a short row: the careful reader says which
    texts = pd.Index(uniques, dtype=object)
    # plain texts (ASCII, none too long, no space at either end) need no per-text check
    plain = _plain_texts(uniques) is not None
    if not plain and len(texts) and texts.str.len().max() > MAX_VALUE_CHARS:
        return None
    if column == "InvoiceDate":
        dates, _ = parse_dates(texts, stripped=plain)  # a date out of range is NaT too
        return None if np.isnat(dates).any() else dates[codes]
    if column == "Customer ID":
        if _plain_ids(texts):  # each text is its own id: distinct texts, distinct ids
            return _texts(np.where(texts == "", None, texts.to_numpy(dtype=object)), codes)
        # Ids are read as text, not as numbers, to see each way an id is written: two
        # ways of one id (13085 and 13085.0) are left to the careful reader, which notes them.
        written = [customer_id(t) for t in texts]
        ids = [w for w in written if w is not None]
        if False in written or len(set(ids)) < len(ids):  # not an id, or one written twice
            return None
        return _texts(written, codes)
    stripped = texts.str.strip().str.strip("\ufeff").str.strip()
    if column in ("Invoice", "StockCode") and (stripped == "").any():
        return None
    return _texts(stripped, codes)


def _texts(distinct: object, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The column of text whose distinct values are ``distinct``, each text checked (by
    pandas' string type) once, not once per row."""
    return pd.array(np.asarray(distinct, dtype=object), dtype="str").take(codes)
