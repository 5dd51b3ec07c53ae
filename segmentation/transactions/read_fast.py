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
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
import pandas as pd

from segmentation.data.careful import MAX_VALUE_CHARS
from segmentation.data.columns import Layout
from segmentation.data.fast import _ByteReader, _cores
from segmentation.transactions.read_values import (
    MAX_PRICE,
    MAX_QUANTITY,
    customer_id,
    id_of_number,
    parse_dates,
    transaction_frame,
)

_PIECE_BYTES = 1 << 24  # smaller pieces cost more in threads than they save


def read_transactions_fast(raw: bytes, start: int, layout: Layout) -> pd.DataFrame | None:
    """The log from the bytes after the header (from ``start``), or None to leave the file
    to the careful reader."""
    if not _plain_lines(raw, start):
        return None
    tables = _parsed(raw, start, layout)
    if tables is None:
        return None
    columns: dict[str, object] = {}
    for column, position in layout.index.items():
        pieces = [table[position] for table in tables]
        checked = _checked_values(column, *_joined_codes(pieces))
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


def _parsed(raw: bytes, start: int, layout: Layout) -> list[pd.DataFrame] | None:
    """The data lines parsed by pandas in pieces of whole lines, one per core, on threads
    (pandas parses without holding the GIL); None if pandas cannot read them."""
    count = max(1, min(_cores(), 8, (len(raw) - start) // _PIECE_BYTES))
    cuts = sorted(
        {start, len(raw)}
        | {raw.find(b"\n", start + (len(raw) - start) * i // count) + 1 for i in range(1, count)}
    )
    cuts = [c for c in cuts if start <= c <= len(raw)]
    view = memoryview(raw)
    # Any column not in the layout is read as text too (never as a number, which would
    # hide a short row as NaN). Each text column is factorised in its piece: the rules then
    # run once per distinct value.
    dtypes: dict[int, object] = {p: str for p in range(layout.width)}
    dtypes[layout.index["Quantity"]] = np.int64
    dtypes[layout.index["Price"]] = np.float64
    if layout.index["Customer ID"] < layout.width - 1:
        dtypes[layout.index["Customer ID"]] = np.float64
    options = {
        "header": None,
        "names": list(range(layout.width)),
        "dtype": dtypes,
        "keep_default_na": False,
        "skip_blank_lines": False,
        "na_values": {layout.index["Customer ID"]: [""]},
        "encoding": "utf-8",
        "engine": "c",
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with ThreadPoolExecutor(len(cuts) - 1) as pool:
                return list(
                    pool.map(
                        lambda cut: _factorised(view[cut[0] : cut[1]], options),
                        pairwise(cuts),
                    )
                )
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError):
        return None


def _factorised(piece: memoryview, options: dict) -> dict[int, object]:
    """A piece parsed: each column as (codes, distinct values)."""
    table = pd.read_csv(_ByteReader(piece), **options)
    return {
        position: pd.factorize(table[position].to_numpy(), use_na_sentinel=True)
        for position in table.columns
    }


def _joined_codes(pieces: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The codes and distinct texts of a column factorised in pieces, joined."""
    if len(pieces) == 1:
        return pieces[0]
    codes, uniques = pd.factorize(np.concatenate([u for _, u in pieces]))
    joined, offset = [], 0
    for piece_codes, piece_uniques in pieces:
        # -1 (a missing value) stays -1: it is looked up in a table whose last entry is -1
        table = np.append(codes[offset : offset + len(piece_uniques)], -1)
        joined.append(table[piece_codes])
        offset += len(piece_uniques)
    return np.concatenate(joined), uniques


def _checked_values(column: str, codes: np.ndarray, uniques: np.ndarray) -> np.ndarray | None:
    """A column's values, each distinct value checked once; None if the careful reader might
    refuse one (or read it otherwise)."""
    if column == "Customer ID" and uniques.dtype.kind == "f":
        # An empty id, read as NaN, is code -1: the last entry, None (a guest).
        ids = [id_of_number(number) for number in uniques.tolist()]
        return None if False in ids else _texts([*ids, None], codes)
    if len(codes) and codes.min() < 0:
        return None  # a short row (or a price read as NaN): the careful reader says which
    if column in ("Quantity", "Price"):
        limit = MAX_QUANTITY if column == "Quantity" else MAX_PRICE
        return uniques[codes] if np.all(np.abs(uniques) <= limit) else None
    texts = pd.Index(uniques, dtype=object)
    if len(texts) and texts.str.len().max() > MAX_VALUE_CHARS:
        return None
    if column == "InvoiceDate":
        dates = parse_dates(texts)
        return None if np.isnat(dates).any() else dates[codes]
    if column == "Customer ID":
        written = [customer_id(t) for t in texts]
        return None if False in written else _texts(written, codes)
    stripped = texts.str.strip().str.strip("\ufeff").str.strip()
    if column in ("Invoice", "StockCode") and (stripped == "").any():
        return None
    return _texts(stripped, codes)


def _texts(distinct: object, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The column of text whose distinct values are ``distinct``, each text checked (by
    pandas' string type) once, not once per row."""
    return pd.array(np.asarray(distinct, dtype=object), dtype="str").take(codes)
