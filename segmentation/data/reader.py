"""Read a customer CSV file, checking every row, and say exactly what is wrong.

Everything in the course that takes a customer file reads it here. A file is either read
whole, or refused with a list of problems, each naming the file, the row (counted as a text
editor or spreadsheet counts them: the header is row 1), the column, the value, and what to do.
Nothing is dropped without a note, and no pandas or NumPy traceback reaches the user.

Harmless differences are accepted: a UTF-8 byte-order mark, Windows line endings, spaces around
values, quoted values, columns in any order and in any letter case, ``Delicatessen`` for
``Delicassen``, an ``id`` column, Channel and Region given by name (``Retail``) or by code (``2``).

Hostile input is refused with a message too: a device or a socket instead of a file, a file
of more than :data:`MAX_FILE_BYTES`, a line of more than :data:`MAX_LINE_BYTES`, a value of
more than :data:`MAX_VALUE_CHARS`. A named pipe (such as ``/dev/stdin`` fed by another
command) is read once, up to those limits. Values are shown in messages with control
characters escaped and long ones cut.
"""

from __future__ import annotations

import csv
import difflib
import math
import os
import re
import stat
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from os import PathLike
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from segmentation.data.schema import COLUMN_ALIASES, LABEL_CODES, LABEL_COLUMNS, SPENDING_COLUMNS

#: Larger annual spending in one category than this (m.u.) is taken for a typo or a unit
#: mix-up. The course data's largest value is 112,151.
MAX_SPENDING = 10_000_000

#: At most this many problems are listed; the total is always counted.
MAX_PROBLEMS = 50

#: A larger file (bytes) is refused before it is read: 2 GB is some 60 million customers, and
#: more would not fit in a lab machine's memory once parsed.
MAX_FILE_BYTES = 2_000_000_000

#: A longer line (bytes) is refused: a customer row takes a few dozen bytes. Without this cap a
#: file whose line breaks were lost, or a stream with none, would be read without end.
MAX_LINE_BYTES = 1_000_000

#: A longer value (characters) is refused, in any column.
MAX_VALUE_CHARS = 1_000

_SHOWN_CHARS = 40  # a longer value is cut in messages, its length given
_CHUNK_BYTES = 1 << 20  # a pipe is read this much at a time

# ASCII digits only: \d also matches other scripts' digits ('١', '１'), which float() and int()
# read as numbers, so '1١' would become the id 11 (the same as '11').
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_CANONICAL_INT = re.compile(r"0|[1-9][0-9]{0,17}")
_LABEL_CODE = re.compile(r"0*([0-9]+)(?:\.0*)?")
_MISSING_WORDS = {"nan", "na", "n/a", "#n/a", "null", "none", "missing", "-", "?"}
_INFINITE_WORDS = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip archive",
    b"\xd0\xcf\x11\xe0": "an old-style Excel workbook (.xls)",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip-compressed file",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
}
_HOW_TO_SAVE = "In Excel or LibreOffice use Save As > 'CSV UTF-8 (comma delimited)'."
_NUMBER_HINT = "Write a plain number such as 1234 or 1234.5, without currency signs or separators."


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or, as a note, worth knowing) about a customer file.

    ``row`` counts lines of the file as a text editor does, the header being row 1; ``None``
    where the problem is the whole file. ``column`` is the course's name for the column.
    """

    message: str
    hint: str = ""
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def describe(self, filename: str) -> str:
        """The problem as one line for a person: where, what, and what to do."""
        where = [shown_filename(filename)]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {_shown(self.column, quoted=False)}")
        text = f"{', '.join(where)}: {self.message}"
        return f"{text} {self.hint}" if self.hint else text


class CustomerFileError(ValueError):
    """A customer file that cannot be used; ``problems`` says why, ``total`` how many."""

    def __init__(self, filename: str, problems: list[Problem], total: int):
        self.filename = filename
        self.problems = problems
        self.total = total
        super().__init__(self._render())

    def _render(self) -> str:
        count = "1 problem" if self.total == 1 else f"{self.total} problems"
        lines = [f"{shown_filename(self.filename)} cannot be used: {count}."]
        lines += [f"  - {p.describe(self.filename)}" for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"  ... and {self.total - len(self.problems)} more of the same kinds.")
        return "\n".join(lines)


class CustomerFileWarning(UserWarning):
    """Something was ignored or skipped while reading a customer file."""


@dataclass
class Validation:
    """What :func:`validate_customer_csv` found.

    ``frame`` is the tidy customer table when the file is good, else ``None``. ``errors`` lists
    at most :data:`MAX_PROBLEMS` problems out of ``total_errors``; ``notes`` are things that
    were ignored or skipped but did not stop the file from being read.
    """

    filename: str
    frame: pd.DataFrame | None = None
    errors: list[Problem] = field(default_factory=list)
    total_errors: int = 0
    notes: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.total_errors == 0

    def error(self) -> CustomerFileError:
        return CustomerFileError(self.filename, self.errors, self.total_errors)

    def _add(self, problem: Problem) -> None:
        self.total_errors += 1
        if len(self.errors) < MAX_PROBLEMS:
            self.errors.append(problem)


def read_customer_csv(
    path: str | PathLike[str],
    *,
    require_labels: bool = False,
    max_spending: float = MAX_SPENDING,
) -> pd.DataFrame:
    """Read a customer CSV file into a tidy table, or refuse it with every problem listed.

    Parameters
    ----------
    path
        The CSV file: a header line, then one customer per line.
    require_labels
        Whether Channel and Region must be present. When they are not required and absent,
        the table simply has no such columns.
    max_spending
        Spending above this, in any category, is refused as implausible.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``Channel`` and ``Region`` (categories, when present) and the six
        spending columns (``int64`` when every value is whole, else ``float64``). Customers
        keep the order of the file. Without an ``id`` column, ids are 1, 2, ... in file order.

    Raises
    ------
    CustomerFileError
        When anything is wrong; its message lists the problems.

    Warns
    -----
    CustomerFileWarning
        For each note: an ignored column, skipped blank rows.

    Examples
    --------
    >>> from segmentation.data.shipped import course_data_path
    >>> read_customer_csv(course_data_path()).shape
    (440, 9)
    """
    result = validate_customer_csv(path, require_labels=require_labels, max_spending=max_spending)
    if not result.ok:
        raise result.error()
    for note in result.notes:
        warnings.warn(note.describe(result.filename), CustomerFileWarning, stacklevel=2)
    assert result.frame is not None
    return result.frame


def validate_customer_csv(
    path: str | PathLike[str],
    *,
    require_labels: bool = False,
    max_spending: float = MAX_SPENDING,
) -> Validation:
    """Check a customer CSV file without raising; see :func:`read_customer_csv`.

    Returns
    -------
    Validation
        The table when the file is good, else the problems found.
    """
    result = Validation(filename=str(path))
    try:
        frame = _table(Path(path), result, require_labels, max_spending)
    except MemoryError:  # a file within the size limit, on a computer with little memory
        frame = None
        result._add(
            Problem(
                "the file is too large to read in this computer's memory.",
                "Split it into parts, or use a computer with more memory.",
            )
        )
    result.frame = frame if result.ok else None
    return result


def _table(
    path: Path, result: Validation, require_labels: bool, max_spending: float
) -> pd.DataFrame | None:
    """The checked table, or None with the problems recorded in ``result``."""
    raw = _read_bytes(path, result)
    if raw is None:
        return None
    text = _decode(raw, result)
    if text is None:
        return None
    parser = _Parser(text, result, require_labels=require_labels, max_spending=max_spending)
    layout = parser.read_header()
    if layout is None:
        return None
    frame = None
    first_break = raw.find(b"\n")
    if parser.header_row == 1 and parser.next_row == 2 and first_break > 0:
        # The header is the first line alone: the data are the bytes after it.
        frame = _read_fast(raw, first_break + 1, layout, max_spending)
    return frame if frame is not None else parser.read_rows(layout)


# --- the file as bytes, then as text -------------------------------------------------------


def _shown(text: str, *, quoted: bool = True, limit: int | None = _SHOWN_CHARS) -> str:
    """``text`` as a message shows it: in quotes, with control and other invisible characters
    escaped as Python writes them (a terminal would obey an escape sequence), cut after
    ``limit`` characters with the full length given."""
    cut = limit is not None and len(text) > limit
    part = text[:limit] if cut else text
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in part)
    if cut:
        shown += "..."
    if quoted:
        shown = f"'{shown}'"
    return f"{shown} ({len(text):,} characters)" if cut else shown


def shown_filename(name: str) -> str:
    """A file name as the reader's messages show it: control characters, and bytes of the
    name that are not UTF-8 (``caf\\udce9.csv``), escaped, so that printing it can neither fail
    nor drive the terminal.

    Examples
    --------
    >>> print(shown_filename("caf\\udce9\\x1b[2J.csv"))
    caf\\udce9\\x1b[2J.csv
    """
    return _shown(name, quoted=False, limit=None)


def _read_bytes(path: Path, result: Validation) -> bytes | None:
    """The file's bytes, read once, or None after recording why they cannot be used."""

    def refuse(message: str, hint: str, row: int | None = None) -> None:
        result._add(Problem(message, hint, row=row))

    raw = _read_once(path, refuse)
    if raw is None:
        return None
    if not raw or raw.isspace():
        refuse(
            "the file is empty.",
            "Export the customer table again: the first line should be a header such as "
            f"Channel,Region,{','.join(SPENDING_COLUMNS)}.",
        )
        return None
    for signature, kind in _BINARY_SIGNATURES.items():
        if raw.startswith(signature):
            refuse(f"this is {kind}, not a CSV text file.", _HOW_TO_SAVE)
            return None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        refuse("the file is saved as UTF-16 text.", _HOW_TO_SAVE)
        return None
    nul = raw.find(b"\x00")
    if nul >= 0:
        refuse(
            "the file is not text: it holds binary data (a NUL byte).",
            "Check that this is the CSV file you meant. " + _HOW_TO_SAVE,
            row=raw.count(b"\n", 0, nul) + 1,
        )
        return None
    if len(raw) > MAX_FILE_BYTES:  # a pipe: a regular file was measured before reading
        refuse(
            f"the input is more than {MAX_FILE_BYTES:,} bytes, more than a customer file "
            "should be; reading stopped there.",
            _SPLIT_IT,
        )
        return None
    row = _overlong_row(raw)
    if row is not None:
        refuse(
            f"the row is longer than {MAX_LINE_BYTES:,} bytes; a customer row takes a few dozen.",
            "Check that this is a customer CSV file with one customer per line "
            "(a file whose line breaks were lost reads as one long row).",
            row=row,
        )
        return None
    return raw


_SPLIT_IT = "Check that this is the customer file you meant; split a larger one into parts."


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is (from its ``st_mode``), for a message."""
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device (such as /dev/zero or a terminal)"
    if stat.S_ISBLK(mode):
        return "a disk device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _special(mode: int) -> str | None:
    """What a file that is neither a regular file nor a named pipe is, for a message."""
    if stat.S_ISREG(mode) or stat.S_ISFIFO(mode):
        return None
    return file_kind(mode)


def _read_once(path: Path, refuse: Callable[[str, str], None]) -> bytes | None:
    """Open and read a regular file or a named pipe, refusing anything else before reading."""
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(path)
        kind = _special(info.st_mode)
        if kind is None and info.st_size > MAX_FILE_BYTES:
            refuse(
                f"the file has {info.st_size:,} bytes, more than {MAX_FILE_BYTES:,} bytes: "
                "too large for a customer file.",
                _SPLIT_IT,
            )
            return None
        if kind is None:
            with open(path, "rb") as file:
                info = os.fstat(file.fileno())
                kind = _special(info.st_mode)  # the path may have been changed since
                if kind is None:
                    return _read_capped(file, info.st_size if stat.S_ISREG(info.st_mode) else 0)
        refuse(
            f"this is {kind}, not a regular file.",
            "Give the path of a CSV file (a named pipe, such as /dev/stdin fed by another "
            "command, works too).",
        )
    except FileNotFoundError:
        refuse(
            "no such file.", f"Check the name and the folder (the current folder is {Path.cwd()})."
        )
    except IsADirectoryError:
        refuse("this is a folder, not a file.", "Give the path of the CSV file inside it.")
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the name
        refuse(
            f"the file cannot be opened ({getattr(exc, 'strerror', None) or exc}).",
            "Check that it exists and that you may read it.",
        )
    return None


def _read_capped(file: BinaryIO, size: int) -> bytes:
    """All of ``file``, or, from a stream without end, just enough to show that it breaks a
    limit: reading stops once more than MAX_FILE_BYTES have come, or the line being read has
    grown beyond MAX_LINE_BYTES. A regular file of ``size`` bytes takes one read."""
    parts: list[bytes] = []
    total = unfinished = 0
    want = size + 1 if size else _CHUNK_BYTES  # one byte more tells whether the file grew
    while True:
        chunk = file.read(min(want, MAX_FILE_BYTES + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
        last_break = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        unfinished = unfinished + len(chunk) if last_break < 0 else len(chunk) - last_break - 1
        if total > MAX_FILE_BYTES or unfinished > MAX_LINE_BYTES:
            break
        want = _CHUNK_BYTES
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _overlong_row(raw: bytes) -> int | None:
    """The row of the first line longer than MAX_LINE_BYTES, if there is one.

    Jumps from line start to the last line break within reach: a handful of steps per
    megabyte, however many lines."""
    start = 0
    while len(raw) - start > MAX_LINE_BYTES:
        reach = start + MAX_LINE_BYTES + 1
        last_break = max(raw.rfind(b"\n", start, reach), raw.rfind(b"\r", start, reach))
        if last_break < 0:
            # Rows counted as the careful reader counts them: \r\n, \n and \r each end one.
            return (
                raw.count(b"\n", 0, start)
                + raw.count(b"\r", 0, start)
                - raw.count(b"\r\n", 0, start)
                + 1
            )
        start = last_break + 1
    return None


def _decode(raw: bytes, result: Validation) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        row = raw.count(b"\n", 0, offset) + 1
        byte = raw[offset : offset + 1].hex().upper()
        result._add(
            Problem(
                f"the file is not UTF-8 text: byte 0x{byte} cannot be read "
                "(the file was probably saved as Latin-1 or Windows-1252).",
                _HOW_TO_SAVE,
                row=row,
            )
        )
        return None


# --- the header ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Where each column the course uses stands in the file."""

    width: int  # fields in the header
    index: dict[str, int]  # course column name -> position in the file
    header_key: tuple[str, ...]  # the header, normalised, to recognise a repeated header
    written: dict[str, str]  # course column name -> its name as the file's header writes it


def _clean(text: str) -> str:
    """A value without surrounding spaces, or byte-order marks (files joined with `cat`)."""
    return text.strip().strip("\ufeff").strip()


def _column_key(name: str) -> str:
    key = _clean(name).lower()
    return COLUMN_ALIASES.get(key, key).lower()


_KNOWN = {c.lower(): c for c in ("id", *LABEL_COLUMNS, *SPENDING_COLUMNS)}


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, as a file opened with ``newline=""`` gives
    them, one at a time: reading the header of a large file does not copy the whole text."""
    return (match.group() for match in _LINE.finditer(text))


class _Parser:
    """The careful reader: row by row with the csv module, every problem located."""

    def __init__(self, text: str, result: Validation, *, require_labels: bool, max_spending: float):
        self.result = result
        self.require_labels = require_labels
        self.max_spending = max_spending
        self.reader = csv.reader(_lines(text), strict=True)
        self.next_row = 1  # the line the next record starts on
        self.header_row = 0  # the line the header is on, once read
        self.names: list[str] = []  # the header's names, once read
        self.blank_rows: list[int] = []
        self._rows = iter(self._records())

    def _records(self) -> Iterable[tuple[int, list[str]]]:
        while True:
            start = self.next_row
            try:
                record = next(self.reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.result._add(self._broken(exc, start))
                return
            self.next_row = self.reader.line_num + 1
            if not any(_clean(f) for f in record):
                self.blank_rows.append(start)
                continue
            if max(map(len, record)) > MAX_VALUE_CHARS:
                self.result._add(self._too_long(record, start))
                continue
            yield start, record

    def _broken(self, exc: csv.Error, row: int) -> Problem:
        if "field larger than field limit" in str(exc):  # the csv module's own cap, 131,072
            return Problem(
                f"a value is longer than {MAX_VALUE_CHARS:,} characters, over many lines; "
                "reading stopped here.",
                'Look for a quote mark (") that opens a value on this row and is never closed.',
                row=row,
            )
        return Problem(
            f"the quoting is broken ({exc}); reading stopped here.",
            'Check the quote marks (") on this row: each quoted value must be closed, '
            "and a quote inside a value must be doubled.",
            row=row,
        )

    def _too_long(self, record: list[str], row: int) -> Problem:
        position = next(i for i, value in enumerate(record) if len(value) > MAX_VALUE_CHARS)
        value = record[position]
        name = self.names[position] if position < len(self.names) else ""
        where = "" if name else f"value {position + 1} of the row, "
        return Problem(
            f"{where}{_shown(value)} is too long: a value may have at most "
            f"{MAX_VALUE_CHARS:,} characters.",
            "Check that this is a customer file and that its quote marks are closed.",
            row=row,
            column=name or None,
            value=value,
        )

    def read_header(self) -> _Layout | None:
        result = self.result
        first = next(self._rows, None)
        if not result.ok:  # the first line broke a limit or its quoting
            return None
        if first is None:
            result._add(
                Problem("the file holds only blank lines.", "Export the customer table again.")
            )
            return None
        row, header = first
        self.header_row = row
        if not self._has_header_shape(row, header):
            return None
        index, unknown = self._positions(row, header)
        self._missing(row, index, unknown)
        if not result.ok:
            return None
        for position, name in unknown.items():
            label = f"column {position + 1} ({_shown(name) if name else 'no name'})"
            result.notes.append(
                Problem(f"{label} is not one the course uses; it was ignored.", row=row)
            )
        for column in LABEL_COLUMNS:
            if column not in index and not self.require_labels:
                result.notes.append(
                    Problem(f"there is no {column} column; the table has none.", row=row)
                )
        self.names = [_clean(name) for name in header]
        written = {column: self.names[position] for column, position in index.items()}
        return _Layout(len(header), index, tuple(_column_key(h) for h in header), written)

    def _has_header_shape(self, row: int, header: list[str]) -> bool:
        """Whether the first line can be a header: comma-separated, and not all numbers."""
        if len(header) == 1:
            counts = {d: header[0].count(d) for d in ";\t|"}
            delimiter = max(counts, key=counts.__getitem__)
            if counts[delimiter]:
                shown = {"\t": "tabs", ";": "';'", "|": "'|'"}[delimiter]
                self.result._add(
                    Problem(
                        f"values are separated by {shown}, not commas.",
                        f"Save the file as comma-separated values. {_HOW_TO_SAVE}",
                        row=row,
                    )
                )
                return False
        if all(_PLAIN_NUMBER.fullmatch(_clean(h)) for h in header):
            self.result._add(
                Problem(
                    "this row holds numbers, not column names: the file has no header line.",
                    "Add a first line naming the columns, for example "
                    f"Channel,Region,{','.join(SPENDING_COLUMNS)}.",
                    row=row,
                )
            )
            return False
        return True

    def _positions(self, row: int, header: list[str]) -> tuple[dict[str, int], dict[int, str]]:
        """Where each course column stands, and the names of the other columns by position."""
        index: dict[str, int] = {}
        unknown: dict[int, str] = {}
        for position, name in enumerate(header):
            column = _KNOWN.get(_column_key(name))
            if column is None:
                unknown[position] = _clean(name)
            elif column in index:
                self.result._add(
                    Problem(
                        f"the column appears twice in the header (columns {index[column] + 1} "
                        f"and {position + 1}).",
                        "Keep one of them.",
                        row=row,
                        column=column,
                    )
                )
            else:
                index[column] = position
        return index, unknown

    def _missing(self, row: int, index: dict[str, int], unknown: dict[int, str]) -> None:
        """Record each required column that is missing, guessing which column was meant."""
        required = list(SPENDING_COLUMNS) + (list(LABEL_COLUMNS) if self.require_labels else [])
        guesses = {name.lower(): (pos, name) for pos, name in unknown.items() if name}
        for column in (c for c in required if c not in index):
            close = difflib.get_close_matches(column.lower(), list(guesses), n=1, cutoff=0.7)
            if close:
                pos, name = guesses.pop(close[0])
                del unknown[pos]
                self.result._add(
                    Problem(
                        f"the column is missing; column {pos + 1} is named {_shown(name)}: "
                        "is that it?",
                        f"Rename it to {column} in the header.",
                        row=row,
                        column=column,
                    )
                )
            else:
                self.result._add(
                    Problem(
                        "the column is missing.",
                        f"The file needs the columns {', '.join(required)}; add {column}.",
                        row=row,
                        column=column,
                    )
                )

    def read_rows(self, layout: _Layout) -> pd.DataFrame | None:
        result = self.result
        rows: list[int] = []
        values: dict[str, list] = {c: [] for c in layout.index}
        id_rows: dict[str, int] = {}
        for row, record in self._rows:
            if tuple(_column_key(f) for f in record) == layout.header_key:
                result._add(
                    Problem(
                        "this row repeats the header line (were two files joined?).",
                        "Delete the row.",
                        row=row,
                    )
                )
                continue
            if len(record) != layout.width:
                result._add(
                    Problem(
                        f"the row has {len(record)} values but the header names {layout.width} "
                        "columns.",
                        "Look for a missing or extra comma; a comma inside a number (1,234) "
                        "splits it in two.",
                        row=row,
                    )
                )
                continue
            for column, position in layout.index.items():
                text = _clean(record[position])
                name = layout.written[column]
                if column == "id":
                    value = self._check_id(text, row, name, id_rows)
                elif column in LABEL_CODES:
                    value = self._check_label(column, text, row, name)
                else:
                    value = self._check_spending(text, row, name)
                values[column].append(value)
            rows.append(row)
        if self.blank_rows:
            shown = ", ".join(map(str, self.blank_rows[:10]))
            more = f" and {len(self.blank_rows) - 10} more" if len(self.blank_rows) > 10 else ""
            word = "row" if len(self.blank_rows) == 1 else "rows"
            result.notes.append(Problem(f"blank {word} {shown}{more} skipped."))
        if not rows and result.ok:
            result._add(
                Problem(
                    "the file has a header but no customer rows.",
                    "Add one line per customer below the header.",
                )
            )
        if not result.ok:
            return None
        return _tidy(values, len(rows))

    # Each check returns the value, or None after recording the problem.

    def _check_spending(self, text: str, row: int, column: str) -> float | None:
        def refuse(message: str, hint: str) -> None:
            self.result._add(Problem(message, hint, row=row, column=column, value=text))

        lowered, shown = text.lower(), _shown(text)
        if not text:
            refuse(
                "the value is blank.",
                "Enter the spending; write 0 if the customer bought nothing in this category.",
            )
            return None
        if lowered in _MISSING_WORDS:
            refuse(
                f"{shown} marks a missing value.",
                "Enter the real spending; write 0 if the customer bought nothing.",
            )
            return None
        if lowered in _INFINITE_WORDS:
            refuse(f"{shown} is not a finite number.", "Enter the real spending.")
            return None
        if not _PLAIN_NUMBER.fullmatch(text):
            refuse(f"{shown} is not a number.", _NUMBER_HINT)
            return None
        value = float(text)
        if value < 0:
            refuse(
                f"{shown} is negative; spending cannot be below 0.",
                "Check the sign; returns and credits do not belong in annual spending.",
            )
            return None
        if not value <= self.max_spending:  # also catches overflow to inf, below a finite limit
            refuse(
                f"{shown} is more than {self.max_spending:,.0f} m.u., too large to be one "
                "customer's annual spending in one category.",
                "Check for a typo or a different unit. If the value is real, raise the limit "
                "(max_spending=..., or --max-spending on the command line).",
            )
            return None
        if math.isinf(value):  # digits enough to overflow (1e999), with no limit set
            refuse(
                f"{shown} is too large: beyond the largest number a computer can hold.",
                "Check for a typo or a different unit.",
            )
            return None
        return value

    def _check_label(self, column: str, text: str, row: int, name: str) -> int | None:
        codes = LABEL_CODES[column]
        by_name = {name.lower(): code for code, name in codes.items()}
        if text.lower() in by_name:
            return by_name[text.lower()]
        # A code as digits, perhaps with leading zeros or a zero decimal part (2, 02, 2.0);
        # never through float(), which overflows on hundreds of digits.
        digits = _LABEL_CODE.fullmatch(text)
        if digits and len(digits[1]) <= 3 and int(digits[1]) in codes:
            return int(digits[1])
        allowed = ", ".join(f"{code} ({name})" for code, name in codes.items())
        message = "the value is blank." if not text else f"{_shown(text)} is not a {column}."
        self.result._add(
            Problem(message, f"Use one of {allowed}.", row=row, column=name, value=text)
        )
        return None

    def _check_id(self, text: str, row: int, name: str, seen: dict[str, int]) -> str | None:
        if not text:
            self.result._add(
                Problem(
                    "the id is blank.",
                    "Give every customer an id.",
                    row=row,
                    column=name,
                    value=text,
                )
            )
            return None
        if text in seen:
            self.result._add(
                Problem(
                    f"id {_shown(text)} is also on row {seen[text]}.",
                    "Give every customer its own id.",
                    row=row,
                    column=name,
                    value=text,
                )
            )
            return None
        seen[text] = row
        return text


# --- the fast path ---------------------------------------------------------------------------


def _read_fast(raw: bytes, start: int, layout: _Layout, max_spending: float) -> pd.DataFrame | None:
    """pandas' C parser, on the bytes from ``start`` on, when their shape is known to be plain.

    It takes only data whose every line is plain (see :func:`_plain_lines`), parses the very
    bytes that were checked (never the file again: a pipe cannot be read twice, and a file may
    change), and gives up (returns None) on any value the careful reader might refuse. So it
    never accepts what :class:`_Parser` refuses, and returns the same table when it accepts.
    """
    lines = _plain_lines(raw, start, layout.width)
    if lines is None:
        return None
    values = _values_fast(raw, start, layout, max_spending, lines)
    return None if values is None else _tidy(values, lines)


def _values_fast(
    raw: bytes, start: int, layout: _Layout, max_spending: float, lines: int
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
    quoted = 0
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


def _parse_in_pieces(raw: bytes, start: int, layout: _Layout) -> list[pd.DataFrame] | None:
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
            if len(pieces) == 1:
                return [parse(pieces[0])]
            with ThreadPoolExecutor(len(pieces)) as pool:
                return list(pool.map(parse, pieces))
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError):
        return None


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


# --- the tidy table --------------------------------------------------------------------------


def _tidy(values: dict[str, object], n: int) -> pd.DataFrame:
    """The course's customer table from checked column values (all rows good). The values
    are taken out of ``values`` as they are converted, so that their memory goes early."""
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
        if len(spent) and spent.max() >= 2**53:  # beyond exact integers (a raised limit)
            columns[column] = spent + 0.0  # + 0.0: -0 becomes 0
            continue
        as_int = spent.astype(np.int64)  # spending is checked to be 0 or more
        columns[column] = as_int if np.array_equal(as_int, spent) else spent + 0.0
    return pd.DataFrame(columns)
