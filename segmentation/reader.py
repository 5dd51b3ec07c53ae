"""Read a customer CSV file, checking every row, and say exactly what is wrong.

Everything in the course that takes a customer file reads it here. A file is either read
whole, or refused with a list of problems, each naming the file, the row (counted as a text
editor or spreadsheet counts them: the header is row 1), the column, the value, and what to do.
Nothing is dropped without a note, and no pandas or NumPy traceback reaches the user.

Harmless differences are accepted: a UTF-8 byte-order mark, Windows line endings, spaces around
values, columns in any order and in any letter case, ``Delicatessen`` for ``Delicassen``, an
``id`` column, Channel and Region given by name (``Retail``) or by code (``2``).
"""

from __future__ import annotations

import csv
import difflib
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation.schema import (
    COLUMN_ALIASES,
    LABEL_CODES,
    LABEL_COLUMNS,
    SPENDING_COLUMNS,
)

#: Larger annual spending in one category than this (m.u.) is taken for a typo or a unit
#: mix-up. The course data's largest value is 112,151.
MAX_SPENDING = 10_000_000

#: At most this many problems are listed; the total is always counted.
MAX_PROBLEMS = 50

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_CANONICAL_INT = re.compile(r"0|[1-9]\d{0,17}")
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
        where = [filename]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
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
        lines = [f"{self.filename} cannot be used: {count}."]
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
    >>> from segmentation.data import course_data_path
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
    raw = _read_bytes(Path(path), result)
    if raw is None:
        return result
    text = _decode(raw, result)
    if text is None:
        return result
    parser = _Parser(text, result, require_labels=require_labels, max_spending=max_spending)
    layout = parser.read_header()
    if layout is None:
        return result
    frame = _read_fast(Path(path), raw, layout, max_spending)
    if frame is None:
        frame = parser.read_rows(layout)
    result.frame = frame if result.ok else None
    return result


# --- the file as bytes, then as text -------------------------------------------------------


def _read_bytes(path: Path, result: Validation) -> bytes | None:
    def refuse(message: str, hint: str) -> None:
        result._add(Problem(message, hint))

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        refuse("no such file.", f"Check the name and the folder (the current folder is {Path.cwd()}).")
        return None
    except IsADirectoryError:
        refuse("this is a folder, not a file.", "Give the path of the CSV file inside it.")
        return None
    except OSError as exc:
        refuse(f"the file cannot be opened ({exc.strerror or exc}).",
               "Check that it exists and that you may read it.")
        return None
    if not raw.strip():
        refuse("the file is empty.",
               "Export the customer table again: the first line should be a header such as "
               f"Channel,Region,{','.join(SPENDING_COLUMNS)}.")
        return None
    for signature, kind in _BINARY_SIGNATURES.items():
        if raw.startswith(signature):
            refuse(f"this is {kind}, not a CSV text file.", _HOW_TO_SAVE)
            return None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        refuse("the file is saved as UTF-16 text.", _HOW_TO_SAVE)
        return None
    if b"\x00" in raw:
        row = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        result._add(Problem("the file is not text: it holds binary data (a NUL byte).",
                            "Check that this is the CSV file you meant. " + _HOW_TO_SAVE, row=row))
        return None
    return raw


def _decode(raw: bytes, result: Validation) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        row = raw.count(b"\n", 0, offset) + 1
        byte = raw[offset:offset + 1].hex().upper()
        result._add(Problem(
            f"the file is not UTF-8 text: byte 0x{byte} cannot be read "
            "(the file was probably saved as Latin-1 or Windows-1252).",
            _HOW_TO_SAVE, row=row))
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
                self.result._add(Problem(
                    f"the quoting is broken ({exc}); reading stopped here.",
                    'Check the quote marks (") on this row: each quoted value must be closed, '
                    "and a quote inside a value must be doubled.", row=start))
                return
            self.next_row = self.reader.line_num + 1
            if not any(_clean(f) for f in record):
                self.blank_rows.append(start)
                continue
            yield start, record

    def read_header(self) -> _Layout | None:
        result = self.result
        first = next(self._rows, None)
        if first is None:
            if result.ok:
                result._add(Problem("the file holds only blank lines.",
                                    "Export the customer table again."))
            return None
        row, header = first
        if len(header) == 1:
            counts = {d: header[0].count(d) for d in ";\t|"}
            delimiter = max(counts, key=counts.__getitem__)
            if counts[delimiter]:
                shown = {"\t": "tabs", ";": "';'", "|": "'|'"}[delimiter]
                result._add(Problem(
                    f"values are separated by {shown}, not commas.",
                    f"Save the file as comma-separated values. {_HOW_TO_SAVE}", row=row))
                return None
        if all(_PLAIN_NUMBER.fullmatch(_clean(h)) for h in header):
            result._add(Problem(
                "this row holds numbers, not column names: the file has no header line.",
                "Add a first line naming the columns, for example "
                f"Channel,Region,{','.join(SPENDING_COLUMNS)}.", row=row))
            return None

        index: dict[str, int] = {}
        unknown: dict[int, str] = {}
        for position, name in enumerate(header):
            key = _column_key(name)
            if key in _KNOWN:
                column = _KNOWN[key]
                if column in index:
                    result._add(Problem(
                        f"the column appears twice in the header (columns {index[column] + 1} "
                        f"and {position + 1}).", "Keep one of them.", row=row, column=column))
                else:
                    index[column] = position
            else:
                unknown[position] = _clean(name)

        required = list(SPENDING_COLUMNS) + (list(LABEL_COLUMNS) if self.require_labels else [])
        missing = [c for c in required if c not in index]
        guesses = {name.lower(): (pos, name) for pos, name in unknown.items() if name}
        for column in missing:
            close = difflib.get_close_matches(column.lower(), list(guesses), n=1, cutoff=0.7)
            if close:
                pos, name = guesses.pop(close[0])
                del unknown[pos]
                result._add(Problem(
                    f"the column is missing; column {pos + 1} is named '{name}': is that it?",
                    f"Rename it to {column} in the header.", row=row, column=column))
            else:
                result._add(Problem(
                    "the column is missing.",
                    f"The file needs the columns {', '.join(required)}; add {column}.",
                    row=row, column=column))
        if not result.ok:
            return None
        for position, name in unknown.items():
            label = f"column {position + 1} ('{name}')" if name else f"column {position + 1} (no name)"
            result.notes.append(Problem(f"{label} is not one the course uses; it was ignored.",
                                        row=row))
        for column in LABEL_COLUMNS:
            if column not in index and not self.require_labels:
                result.notes.append(Problem(
                    f"there is no {column} column; the table has none.", row=row))
        written = {column: _clean(header[position]) for column, position in index.items()}
        return _Layout(len(header), index, tuple(_column_key(h) for h in header), written)

    def read_rows(self, layout: _Layout) -> pd.DataFrame | None:
        result = self.result
        rows: list[int] = []
        values: dict[str, list] = {c: [] for c in layout.index}
        id_rows: dict[str, int] = {}
        for row, record in self._rows:
            if tuple(_column_key(f) for f in record) == layout.header_key:
                result._add(Problem("this row repeats the header line (were two files joined?).",
                                    "Delete the row.", row=row))
                continue
            if len(record) != layout.width:
                result._add(Problem(
                    f"the row has {len(record)} values but the header names {layout.width} "
                    "columns.",
                    "Look for a missing or extra comma; a comma inside a number (1,234) "
                    "splits it in two.", row=row))
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
            result._add(Problem("the file has a header but no customer rows.",
                                "Add one line per customer below the header."))
        if not result.ok:
            return None
        return _tidy(values, len(rows))

    # Each check returns the value, or None after recording the problem.

    def _check_spending(self, text: str, row: int, column: str) -> float | None:
        def refuse(message: str, hint: str) -> None:
            self.result._add(Problem(message, hint, row=row, column=column, value=text))

        lowered = text.lower()
        if not text:
            refuse("the value is blank.",
                   "Enter the spending; write 0 if the customer bought nothing in this category.")
            return None
        if lowered in _MISSING_WORDS:
            refuse(f"'{text}' marks a missing value.",
                   "Enter the real spending; write 0 if the customer bought nothing.")
            return None
        if lowered in _INFINITE_WORDS:
            refuse(f"'{text}' is not a finite number.", "Enter the real spending.")
            return None
        if not _PLAIN_NUMBER.fullmatch(text):
            refuse(f"'{text}' is not a number.", _NUMBER_HINT)
            return None
        value = float(text)
        if value < 0:
            refuse(f"'{text}' is negative; spending cannot be below 0.",
                   "Check the sign; returns and credits do not belong in annual spending.")
            return None
        if not value <= self.max_spending:  # also catches overflow to inf
            refuse(f"'{text}' is more than {self.max_spending:,.0f} m.u., too large to be one "
                   "customer's annual spending in one category.",
                   "Check for a typo or a different unit. If the value is real, raise the limit "
                   "(max_spending=..., or --max-spending on the command line).")
            return None
        return value

    def _check_label(self, column: str, text: str, row: int, name: str) -> int | None:
        codes = LABEL_CODES[column]
        by_name = {name.lower(): code for code, name in codes.items()}
        if text.lower() in by_name:
            return by_name[text.lower()]
        if re.fullmatch(r"\d+(\.0*)?", text) and int(float(text)) in codes:
            return int(float(text))
        allowed = ", ".join(f"{code} ({name})" for code, name in codes.items())
        message = "the value is blank." if not text else f"'{text}' is not a {column}."
        self.result._add(Problem(message, f"Use one of {allowed}.", row=row, column=name, value=text))
        return None

    def _check_id(self, text: str, row: int, name: str, seen: dict[str, int]) -> str | None:
        if not text:
            self.result._add(Problem("the id is blank.", "Give every customer an id.",
                                     row=row, column=name, value=text))
            return None
        if text in seen:
            self.result._add(Problem(f"id '{text}' is also on row {seen[text]}.",
                                     "Give every customer its own id.",
                                     row=row, column=name, value=text))
            return None
        seen[text] = row
        return text


# --- the fast path ---------------------------------------------------------------------------


def _read_fast(path: Path, raw: bytes, layout: _Layout, max_spending: float) -> pd.DataFrame | None:
    """pandas' C parser, on files whose shape is already known to be plain.

    It takes only files with no quotes, no blank lines and the header's number of commas on
    every line, and gives up (returns None) on any value the careful reader might refuse, so it
    never accepts what :class:`_Parser` refuses and returns the same table when it accepts.
    """
    if b'"' in raw:
        return None
    # Every line (the last may lack its newline) must hold the header's number of commas,
    # which also rules out blank lines (the header has at least the six spending columns).
    # pandas refuses a line with too many; so, with the total right, none has too few.
    data = np.frombuffer(raw, dtype=np.uint8)     # counted by NumPy: bytes.count is slower
    lines = int(np.count_nonzero(data == ord("\n"))) + (not raw.endswith(b"\n"))
    commas = int(np.count_nonzero(data == ord(",")))
    if lines < 2 or layout.width < 2 or commas != lines * (layout.width - 1):
        return None
    positions = sorted(layout.index.values())
    # Spending as numbers and ids as text; Channel and Region left to pandas, which reads
    # codes (the usual case, and by far the quickest) as integers and names as text.
    dtypes = {p: (np.float64 if c in SPENDING_COLUMNS else str) for c, p in layout.index.items()
              if c not in LABEL_COLUMNS}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # pandas reads the file itself (by path it is twice as quick as from the bytes in
            # memory); the header line, with any byte-order mark, is skipped. usecols only
            # when there are columns to skip: it makes pandas much slower. No
            # skipinitialspace (slow too): pandas' number parsing takes spaces around a
            # number anyway, and text values are stripped below.
            table = pd.read_csv(path, header=None, skiprows=1, encoding="utf-8",
                                usecols=positions if len(positions) < layout.width else None,
                                names=list(range(layout.width)), dtype=dtypes,
                                keep_default_na=False, engine="c")
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError):
        return None
    if len(table) != lines - 1:
        return None
    values: dict[str, object] = {}
    for column, position in layout.index.items():
        series = table[position]
        if column in SPENDING_COLUMNS:
            spent = series.to_numpy(dtype=np.float64)
            if not np.all((spent >= 0) & (spent <= max_spending)):
                return None
            values[column] = spent
            continue
        if column in LABEL_COLUMNS and series.dtype == np.int64:
            codes = series.to_numpy()
            known = LABEL_CODES[column]             # codes 1, 2, ...: an unknown one goes to
            if len(codes) and (codes.min() < 1 or codes.max() > len(known)):    # the careful
                return None                         # reader, which says which and where
            values[column] = codes
            continue
        strings = series.astype(str).str.strip()
        if column == "id":
            if (strings == "").any() or strings.duplicated().any():
                return None
            values[column] = strings.to_numpy(dtype=object)
            continue
        codes = _label_codes_fast(column, strings)
        if codes is None:
            return None
        values[column] = codes
    return _tidy(values, len(table))


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
    """The course's customer table from checked column values (all rows good)."""
    columns: dict[str, object] = {}
    if "id" in values:
        ids = np.asarray(values["id"], dtype=object)
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
                np.asarray(values[column], dtype=np.int64) - 1, categories=list(codes.values()))
    for column in SPENDING_COLUMNS:
        spent = np.asarray(values[column], dtype=np.float64)
        if len(spent) and spent.max() >= 2**53:  # beyond exact integers (a raised limit)
            columns[column] = spent
            continue
        as_int = spent.astype(np.int64)          # spending is checked to be 0 or more
        columns[column] = as_int if np.array_equal(as_int, spent) else spent
    return pd.DataFrame(columns)
