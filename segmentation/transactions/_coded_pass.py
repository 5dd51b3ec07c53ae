"""The compiled loops of :mod:`segmentation.transactions.read_compiled` (private): one pass
over a file's bytes, each value read from its digits or numbered among its column's texts.
Imported only when a file is read as numbers, so that the rest of the reader works where
Numba cannot load (as under a tight memory limit)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from segmentation._numba import compile_loop
from segmentation.data.careful import MAX_VALUE_CHARS
from segmentation.data.fast import _cores, on_threads
from segmentation.transactions.read_compiled import (
    _NUMBER_PART,
    ADJUSTMENT_FLAG,
    CANCELLATION_FLAG,
)
from segmentation.transactions.read_values import (
    _MONTH_STARTS,
    FIRST_YEAR,
    LARGEST_ID,
    LAST_YEAR,
    MAX_PRICE,
    MAX_QUANTITY,
)

#: A numbered column holds at most this many distinct texts (else: the usual reader).
MAX_DISTINCT = 1 << 20
#: The limits the pass checks, as one array for the compiled code.
_LIMITS = np.array(
    [MAX_VALUE_CHARS, MAX_QUANTITY, MAX_PRICE, LARGEST_ID, FIRST_YEAR, LAST_YEAR, MAX_DISTINCT],
    dtype=np.int64,
)
_COMMA, _NEWLINE, _QUOTE = ord(","), ord("\n"), ord('"')
_FNV_OFFSET, _FNV_PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)  # an odd constant: multiplying by it mixes the bits
#: A text whose slot takes more probes than this is left to the usual reader: in a table at
#: most half full, honest texts take a few.
_MOST_PROBES = 256
_NOT_A_NUMBER = -(1 << 62)
#: A price has fewer digits than this: below 2**53, every such number is exact in binary;
#: and at most this many decimals (10.0**15 is exact: 10.0**23 is not).
_PRICE_DIGITS = 10**15
_MOST_DECIMALS = 15


#: What the pass reads: numbers, price, codes, distinct texts (see :func:`read_lines`).
Read = tuple[np.ndarray, np.ndarray, np.ndarray, list[list[str]]]


def read_lines(raw: bytes, start: int, width: int, where: np.ndarray) -> Read | None:
    """The lines of ``raw`` from ``start``, ``width`` values each, the columns where
    ``where`` says (in the order Invoice, StockCode, Description, Quantity, InvoiceDate,
    Price, Customer ID, Country; -1: missing): (invoice, quantity, date and customer as rows
    of one array; price; the three text columns' codes; their distinct texts, numbered as
    first seen). None at the first value out of form.

    A large file is cut into pieces of whole lines read on threads, one per core (the pass
    holds no lock), whose texts are then numbered as one pass would number them."""
    read = on_threads(lambda cut: _piece(raw, cut, width, where), _pieces(raw, start))
    done = [r for r in read if r is not None]
    if len(done) < len(read):
        return None
    texts = _numbered_together(done)
    numbers, price, codes = (np.concatenate([r[i] for r in done], axis=-1) for i in range(3))
    return numbers, price, codes, texts


def _pieces(raw: bytes, start: int) -> list[tuple[int, int]]:
    """Where the pieces of whole lines begin and end: one per core for a large file."""
    count = max(1, min(_cores(), 8, (len(raw) - start) // _PIECE_BYTES))
    at = (raw.find(b"\n", start + (len(raw) - start) * i // count) + 1 for i in range(1, count))
    return list(pairwise(sorted({c for c in at if c > start} | {start, len(raw)})))


def _numbered_together(read: list[Read]) -> list[list[str]]:
    """The distinct texts of all pieces, each column's numbered as first seen in the whole
    file; the codes of the pieces after the first renumbered to match (in place)."""
    texts: list[list[str]] = [list(t) for t in read[0][3]]
    for _, _, codes, distinct in read[1:]:
        for j in range(3):
            known = {text: code for code, text in enumerate(texts[j])}
            for text in distinct[j]:
                if text not in known:
                    known[text] = len(texts[j])
                    texts[j].append(text)
            if distinct[j]:
                codes[j] = np.array([known[t] for t in distinct[j]], np.int32)[codes[j]]
    return texts


_PIECE_BYTES = 1 << 24  # smaller pieces cost more in threads than they save


def _piece(raw: bytes, cut: tuple[int, int], width: int, where: np.ndarray) -> Read | None:
    """:func:`read_lines` of the whole lines from ``cut[0]`` to ``cut[1]``."""
    begin, end = cut
    lines = raw.count(b"\n", begin, end) + (0 if raw[end - 1 : end] == b"\n" else 1)
    data = np.frombuffer(raw, dtype=np.uint8)[begin:end]
    numbers = np.empty((4, lines), np.int64)
    price = np.empty(lines, np.float64)
    codes = np.zeros((3, lines), np.int32)
    tables = _Tables.new(lines)
    if not _pass(data, 0, width, where, numbers, price, codes, tables.arrays, _LIMITS):
        return None
    return numbers, price, codes, [tables.texts(raw, j, begin) for j in range(3)]


@dataclass(frozen=True)
class _Tables:
    """The hash tables numbering each text column's distinct texts: ``arrays`` is (slots,
    firsts, lengths, hashes, counts), each with a row per column."""

    arrays: tuple[np.ndarray, ...]

    @staticmethod
    def new(lines: int) -> _Tables:
        most = 1
        while most < min(lines, MAX_DISTINCT):
            most *= 2
        slots = np.full((3, 2 * most), -1, np.int32)
        firsts, lengths = np.zeros((3, most), np.int64), np.zeros((3, most), np.int64)
        return _Tables(
            (slots, firsts, lengths, np.zeros((3, most), np.uint64), np.zeros(3, np.int64))
        )

    def texts(self, raw: bytes, j: int, offset: int) -> list[str]:
        """Column ``j``'s distinct texts, in the order of their codes (the pass read
        ``raw`` from ``offset``)."""
        _, firsts, lengths, _, counts = self.arrays
        count = int(counts[j])
        return [
            raw[offset + s : offset + s + n].decode("ascii")
            for s, n in zip(firsts[j, :count].tolist(), lengths[j, :count].tolist(), strict=True)
        ]


@compile_loop
def _pass(data, start, width, where, numbers, price, codes, tables, limits):
    """Every line of ``data`` from ``start`` read into ``numbers``, ``price`` and ``codes``;
    False at the first line or value out of form (or a line too many or too few)."""
    slots, firsts, lengths, hashes, counts = tables
    role = np.full(width, -1, np.int64)
    for k in range(where.shape[0]):
        if where[k] >= 0:
            role[where[k]] = k
    size, pos, row, n = data.shape[0], start, 0, price.shape[0]
    while pos < size:
        if row >= n:
            return False
        for p in range(width):
            begin, end, pos = _field(data, pos)
            if end < 0 or end - begin > limits[0]:
                return False
            if p < width - 1:
                if pos >= size or data[pos] != _COMMA:
                    return False
            elif pos < size and data[pos] != _NEWLINE:
                return False
            pos += 1
            k = role[p]
            if k == 5:
                price[row] = _price(data, begin, end, limits[2])
                if np.isnan(price[row]):
                    return False
            elif k == 1 or k == 2 or k == 7:
                j = 0 if k == 1 else 1 if k == 2 else 2
                if k == 1 and end == begin:
                    return False  # a blank stock code: the careful reader says where
                code = _text(data, begin, end, j, slots, firsts, lengths, hashes, counts, limits[6])
                if code < 0:
                    return False
                codes[j, row] = code
            elif k >= 0:
                if k == 0:
                    value = _invoice(data, begin, end)
                elif k == 3:
                    value = _whole(data, begin, end, limits[1])
                elif k == 4:
                    value = _date(data, begin, end, limits[4], limits[5])
                else:
                    value = _customer(data, begin, end, limits[3])
                if value == _NOT_A_NUMBER:
                    return False
                numbers[0 if k == 0 else 1 if k == 3 else 2 if k == 4 else 3, row] = value
        row += 1
    return row == n


@compile_loop
def _field(data, pos):
    """The value starting at ``pos``: (begin, end, the delimiter's position); end -1 when
    it is out of form (a quote mark inside a value, a line break inside quotes, text after
    the closing quote)."""
    size = data.shape[0]
    if pos < size and data[pos] == _QUOTE:
        begin = pos + 1
        pos = begin
        while pos < size and data[pos] != _QUOTE:
            if data[pos] == _NEWLINE:
                return begin, -1, pos
            pos += 1
        end = pos + 1
        if pos >= size or (end < size and data[end] != _COMMA and data[end] != _NEWLINE):
            return begin, -1, pos
        return begin, pos, end
    begin = pos
    while pos < size and data[pos] != _COMMA and data[pos] != _NEWLINE:
        if data[pos] == _QUOTE:
            return begin, -1, pos
        pos += 1
    return begin, pos, pos


@compile_loop
def _digits(data, begin, end):
    """The number the digits from ``begin`` to ``end`` write (no sign, at most 18 digits,
    no leading zero but in 0 itself), or -1."""
    if end <= begin or end - begin > 18 or (data[begin] == 48 and end - begin > 1):
        return -1
    return _fixed(data, begin, end - begin)


@compile_loop
def _invoice(data, begin, end):
    """An invoice number with its letter's flag, or _NOT_A_NUMBER."""
    flag = 0
    if end > begin and data[begin] == 67:  # C
        flag, begin = CANCELLATION_FLAG, begin + 1
    elif end > begin and data[begin] == 65:  # A
        flag, begin = ADJUSTMENT_FLAG, begin + 1
    value = _digits(data, begin, end)
    if value < 0 or value > _NUMBER_PART:
        return _NOT_A_NUMBER
    return value + flag


@compile_loop
def _whole(data, begin, end, largest):
    """A whole number of units, sign allowed, within ``largest``; or _NOT_A_NUMBER."""
    sign = 1
    if end > begin and data[begin] == 45:  # -
        sign, begin = -1, begin + 1
    value = _digits(data, begin, end)
    if value < 0 or value > largest:
        return _NOT_A_NUMBER
    return sign * value


@compile_loop
def _customer(data, begin, end, largest):
    """A customer id (digits, no leading zero) below ``largest``, -1 for a guest (empty),
    or _NOT_A_NUMBER."""
    if end == begin:
        return -1
    value = _digits(data, begin, end)
    if value < 0 or value >= largest:
        return _NOT_A_NUMBER
    return value


@compile_loop
def _price(data, begin, end, largest):
    """A price written [-]digits[.digits], fewer than 16 digits and at most 15 decimals: its
    digits over a power of ten, both exact in binary, so the division rounds as Python's
    float reads the text; NaN when out of form or beyond ``largest``."""
    sign = 1.0
    if end > begin and data[begin] == 45:
        sign, begin = -1.0, begin + 1
    point = begin
    while point < end and data[point] != 46:  # .
        point += 1
    value = _digits(data, begin, point)
    if value < 0 or value >= _PRICE_DIGITS or point == end - 1:
        return np.nan
    decimals = 0
    for at in range(point + 1, end):
        digit = np.int64(data[at]) - 48
        if digit < 0 or digit > 9:
            return np.nan
        value = value * 10 + digit
        decimals += 1
        if value >= _PRICE_DIGITS or decimals > _MOST_DECIMALS:
            return np.nan
    amount = sign * (value / 10.0**decimals)
    return np.nan if abs(amount) > largest else amount


@compile_loop
def _fixed(data, begin, width):
    """The number ``width`` digits from ``begin`` write, or -1."""
    value = 0
    for at in range(begin, begin + width):
        digit = np.int64(data[at]) - 48
        if digit < 0 or digit > 9:
            return -1
        value = value * 10 + digit
    return value


@compile_loop
def _date(data, begin, end, first_year, last_year):
    """A date written YYYY-MM-DD HH:MM:SS in the accepted years, as nanoseconds since
    1970; or _NOT_A_NUMBER."""
    if end - begin != 19:
        return _NOT_A_NUMBER
    if data[begin + 4] != 45 or data[begin + 7] != 45 or data[begin + 10] != 32:
        return _NOT_A_NUMBER
    if data[begin + 13] != 58 or data[begin + 16] != 58:  # - - space : :
        return _NOT_A_NUMBER
    year, month, day = (
        _fixed(data, begin, 4),
        _fixed(data, begin + 5, 2),
        _fixed(data, begin + 8, 2),
    )
    hour, minute = _fixed(data, begin + 11, 2), _fixed(data, begin + 14, 2)
    second = _fixed(data, begin + 17, 2)
    if min(year, month, day, hour, minute, second) < 0:
        return _NOT_A_NUMBER
    if year < first_year or year > last_year or month < 1 or month > 12:
        return _NOT_A_NUMBER
    if hour > 23 or minute > 59 or second > 59:
        return _NOT_A_NUMBER
    index = (year - first_year) * 12 + month - 1
    first_day = _MONTH_STARTS[index]
    if day < 1 or day > _MONTH_STARTS[index + 1] - first_day:
        return _NOT_A_NUMBER
    clock = (hour * 60 + minute) * 60 + second
    return ((first_day + day - 1) * 86_400 + clock) * 1_000_000_000


@compile_loop
def _text(data, begin, end, j, slots, firsts, lengths, hashes, counts, most):
    """The code of the text from ``begin`` to ``end`` among column ``j``'s distinct texts
    (numbered as first seen); -1 when the column has more than ``most``, the text a space
    at either end (the careful rules strip it), or its slot is found only after
    :data:`_MOST_PROBES` others (texts made to collide: the usual reader then reads them).

    The slot comes from the high bits of the hash times an odd constant, which depend on
    every byte: the low bits of FNV-1a depend only on the low bits of each step, so texts
    can be made that all share them."""
    if end > begin and (data[begin] <= 32 or data[end - 1] <= 32):
        return -1
    h = _FNV_OFFSET
    for at in range(begin, end):
        h = (h ^ np.uint64(data[at])) * _FNV_PRIME
    mask = slots.shape[1] - 1
    slot = np.int64(((h * _MIX) >> np.uint64(40)) & np.uint64(mask))
    length = end - begin
    for _ in range(_MOST_PROBES):
        if slots[j, slot] < 0:
            break
        code = slots[j, slot]
        if hashes[j, code] == h and lengths[j, code] == length:
            first, same = firsts[j, code], True
            for offset in range(length):
                if data[first + offset] != data[begin + offset]:
                    same = False
                    break
            if same:
                return code
        slot = (slot + 1) & mask
    else:
        return -1
    code = counts[j]
    if code >= firsts.shape[1] or code >= most:
        return -1
    slots[j, slot] = code
    firsts[j, code], lengths[j, code], hashes[j, code] = begin, length, h
    counts[j] = code + 1
    return code
