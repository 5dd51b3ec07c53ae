"""The careful reader: a customer file read row by row with the csv module, every problem
found and located (row as a text editor counts them, column, value, what to do).

It reads the header (see :mod:`segmentation.data.header`) for every file; the rows only when
the fast path (:mod:`segmentation.data.fast`) does not take them. Each value is checked on its
own: spending is a plain, finite number from 0 to the limit; Channel and Region a known name
or code; an id present and not seen before.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator

import pandas as pd

from segmentation.data.columns import PLAIN_NUMBER, Layout, clean, column_key, tidy
from segmentation.data.header import header_layout
from segmentation.data.problems import Problem, Validation, plural, shown_value
from segmentation.data.schema import LABEL_CODES, SPENDING_COLUMNS
from segmentation.model.limits import MAX_MODEL_SPENDING

#: A longer value (characters) is refused, in any column.
MAX_VALUE_CHARS = 1_000

_LABEL_CODE = re.compile(r"0*([0-9]+)(?:\.0*)?")
# "\\N" is how MySQL and PostgreSQL dump a NULL, "<NA>" how pandas writes one.
_MISSING_WORDS = {"nan", "na", "n/a", "#n/a", "null", "none", "missing", "-", "?", "\\n", "<na>"}
#: What "-" may mean: spreadsheets in an accounting number format write 0 that way.
DASH_HINT = (
    "A spreadsheet in an accounting number format writes 0 as '-': if so, write 0 (format "
    "the column as a plain number before exporting)."
)
_INFINITE_WORDS = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_NUMBER_HINT = "Write a plain number such as 1234 or 1234.5, without currency signs or separators."
#: How to read a missing spending value as missing instead of refusing the file.
ALLOW_MISSING_HINT = (
    "To read it as a missing value, use --allow-missing (command line) or allow_missing=True "
    "(Python)."
)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, as a file opened with ``newline=""`` gives
    them, one at a time: reading the header of a large file does not copy the whole text."""
    return (match.group() for match in _LINE.finditer(text))


class CarefulReader:
    """The careful reader: row by row with the csv module, every problem located."""

    def __init__(
        self,
        text: str,
        result: Validation,
        *,
        require_labels: bool,
        max_spending: float,
        allow_missing: bool = False,
        with_model: bool = False,
        diagnose: bool = False,
    ):
        self.result = result
        self.require_labels = require_labels
        self.max_spending = max_spending
        self.allow_missing = allow_missing or diagnose
        self.with_model = with_model  # a column with no value is then filled by the model
        self.diagnose = diagnose  # what missing values leave nothing to go on for: notes
        self.missing: list[tuple[int, str]] = []  # (row, course column) of each missing value
        self.dashes: list[int] = []  # the rows of the missing values written "-"
        self._csv_reader = csv.reader(_lines(text), strict=True)
        self.next_row = 1  # the line the next record starts on
        self.header_row = 0  # the line the header is on, once read
        self.names: list[str] = []  # the header's names, once read
        self.blank_rows: list[int] = []
        self._rows = iter(self._records())

    def _records(self) -> Iterable[tuple[int, list[str]]]:
        while True:
            start = self.next_row
            try:
                record = next(self._csv_reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.result._add(self._broken(exc, start))
                return
            self.next_row = self._csv_reader.line_num + 1
            if not any(clean(f) for f in record):
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
            f"{where}{shown_value(value)} is too long: a value may have at most "
            f"{MAX_VALUE_CHARS:,} characters.",
            "Check that this is the file you meant and that its quote marks are closed.",
            row=row,
            column=name or None,
            value=value,
        )

    def read_header(self) -> Layout | None:
        """Where each course column stands, from the first line that is not blank; None
        after recording why there is no usable header."""
        first = next(self._rows, None)
        if not self.result.ok:  # the first line broke a limit or its quoting
            return None
        if first is None:
            self.result._add(Problem("the file holds only blank lines.", "Export the table again."))
            return None
        row, header = first
        self.header_row = row
        layout = header_layout(header, row, self.result, require_labels=self.require_labels)
        if layout is not None:
            self.names = [clean(name) for name in header]
        return layout

    def read_rows(self, layout: Layout) -> pd.DataFrame | None:
        """The table of the rows after the header, or None after recording every problem."""
        result = self.result
        rows: list[int] = []
        values: dict[str, list] = {c: [] for c in layout.index}
        id_rows: dict[str, int] = {}
        for row, record in self._rows:
            if tuple(column_key(f) for f in record) == layout.header_key:
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
                text = clean(record[position])
                name = layout.written[column]
                value: str | int | float | None
                if column == "id":
                    value = self._check_id(text, row, name, id_rows)
                elif column in LABEL_CODES:
                    value = self._check_label(column, text, row, name)
                else:
                    value = self._spending_or_missing(text, row, column, name)
                values[column].append(value)
            rows.append(row)
        if self.missing and self.result.ok:
            self._check_missing(layout, len(rows))
        return self._table(values, len(rows))

    def _check_missing(self, layout: Layout, n: int) -> None:
        """Refuse what missing values leave nothing to go on for: a spending column with no
        value at all (when a model is to be fitted on the file), a customer with no spending
        value at all; note the rest. When diagnosing, both are notes instead."""
        by_column = Counter(column for _, column in self.missing)
        by_row = Counter(row for row, _ in self.missing)
        empty_rows = [row for row, count in by_row.items() if count == len(SPENDING_COLUMNS)]
        for column in SPENDING_COLUMNS:
            if by_column[column] == n and not self.with_model:
                self._refuse_or_note(
                    Problem(
                        f"every value of the column is missing ({n:,} of {plural(n, 'customer')}).",
                        "The model segments on all six spending categories, and no value can "
                        "be estimated from none: fill the column in from the source of the "
                        "data (0 where a customer bought nothing in it).",
                        column=layout.written[column],
                    )
                )
        if self.diagnose and empty_rows:
            self.result.notes.append(_empty_rows_note(empty_rows))
        elif empty_rows:
            for row in empty_rows:
                self.result._add(
                    Problem(
                        "all six spending values are missing: there is nothing to segment "
                        "this customer by.",
                        "Fill in at least one spending value, or delete the row.",
                        row=row,
                    )
                )
        if self.result.ok:
            self.result.notes.append(missing_note(self.missing))
        if self.result.ok and self.dashes:
            rows = list(dict.fromkeys(self.dashes))
            shown = ", ".join(map(str, rows[:ROWS_NAMED]))
            more = f" and {len(rows) - ROWS_NAMED:,} more" if len(rows) > ROWS_NAMED else ""
            self.result.notes.append(
                Problem(
                    f"{plural(len(self.dashes), 'value')} written '-' (on "
                    f"{'row' if len(rows) == 1 else 'rows'} {shown}{more}) "
                    f"{'was' if len(self.dashes) == 1 else 'were'} read as missing.",
                    DASH_HINT,
                )
            )

    def _refuse_or_note(self, problem: Problem) -> None:
        if self.diagnose:
            self.result.notes.append(problem)
        else:
            self.result._add(problem)

    def _table(self, values: dict[str, list], n: int) -> pd.DataFrame | None:
        """The table of the ``n`` rows read, once the blank rows are noted; None if any
        problem was found, or no customer row."""
        if self.blank_rows:
            shown = ", ".join(map(str, self.blank_rows[:10]))
            more = f" and {len(self.blank_rows) - 10} more" if len(self.blank_rows) > 10 else ""
            word = "row" if len(self.blank_rows) == 1 else "rows"
            self.result.notes.append(Problem(f"blank {word} {shown}{more} skipped."))
        if not n and self.result.ok:
            self.result._add(
                Problem(
                    "the file has a header but no customer rows.",
                    "Add one line per customer below the header.",
                )
            )
        if not self.result.ok:
            return None
        return tidy(values, n)

    # Each check returns the value, or None after recording the problem.

    def _spending_or_missing(self, text: str, row: int, column: str, name: str) -> float | None:
        """A spending value; NaN for a blank or a missing word when missing values are
        allowed (where it was is kept in ``missing``)."""
        if self.allow_missing and (not text or text.lower() in _MISSING_WORDS):
            self.missing.append((row, column))
            if text == "-":
                self.dashes.append(row)
            return math.nan
        return self._check_spending(text, row, name)

    def _check_spending(self, text: str, row: int, column: str) -> float | None:
        def refuse(message: str, hint: str) -> None:
            self.result._add(Problem(message, hint, row=row, column=column, value=text))

        lowered, shown = text.lower(), shown_value(text)
        if not text:
            refuse(
                "the value is blank.",
                "Enter the spending; write 0 if the customer bought nothing in this category. "
                + ALLOW_MISSING_HINT,
            )
            return None
        if lowered in _MISSING_WORDS:
            refuse(
                f"{shown} marks a missing value.",
                "Enter the real spending; write 0 if the customer bought nothing. "
                + (DASH_HINT + " " if text == "-" else "")
                + ALLOW_MISSING_HINT,
            )
            return None
        if lowered in _INFINITE_WORDS:
            refuse(f"{shown} is not a finite number.", "Enter the real spending.")
            return None
        if not PLAIN_NUMBER.fullmatch(text):
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
                _too_large_hint(self.max_spending),
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
        message = "the value is blank." if not text else f"{shown_value(text)} is not a {column}."
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
                    f"id {shown_value(text)} is also on row {seen[text]}.",
                    "Give every customer its own id.",
                    row=row,
                    column=name,
                    value=text,
                )
            )
            return None
        seen[text] = row
        return text


#: At most this many rows with a missing value are named in a note.
ROWS_NAMED = 10


def missing_note(missing: list[tuple[int, str]]) -> Problem:
    """The note on the missing spending values read: how many, in which columns, which rows
    (the first :data:`ROWS_NAMED`). ``missing`` holds (row, column), in file order."""
    by_column = Counter(column for _, column in missing)
    columns = ", ".join(f"{c} {by_column[c]:,}" for c in SPENDING_COLUMNS if by_column[c])
    rows = list(dict.fromkeys(row for row, _ in missing))
    shown = ", ".join(map(str, rows[:ROWS_NAMED]))
    more = f" and {len(rows) - ROWS_NAMED:,} more" if len(rows) > ROWS_NAMED else ""
    count = len(missing)
    values = "1 spending value is" if count == 1 else f"{count:,} spending values are"
    row_word = "row" if len(rows) == 1 else "rows"
    return Problem(
        f"{values} missing ({columns}), on {row_word} {shown}{more}; read as missing (NaN)."
    )


def _empty_rows_note(rows: list[int]) -> Problem:
    """The note, when diagnosing, on customers with no spending value at all."""
    shown = ", ".join(map(str, rows[:ROWS_NAMED]))
    more = f" and {len(rows) - ROWS_NAMED:,} more" if len(rows) > ROWS_NAMED else ""
    return Problem(
        f"all six spending values are missing on {'row' if len(rows) == 1 else 'rows'} "
        f"{shown}{more} ({plural(len(rows), 'customer')}): nothing to segment by; "
        "read as missing (NaN).",
        "Fill in at least one spending value, or delete the rows, before fitting or predicting.",
    )


def _too_large_hint(limit: float) -> str:
    """What to do about a value above ``limit``: raise it, unless it is already the most any
    model takes (then raising it changes nothing)."""
    if limit >= MAX_MODEL_SPENDING:
        ceiling = f"{MAX_MODEL_SPENDING:.0e}".replace("e+", "e")  # 1e15, not 1e+15
        return (
            f"Check for a typo or a different unit: {ceiling} m.u. is the most any model "
            "takes, whatever the limit asked for."
        )
    return (
        "Check for a typo or a different unit. If the value is real, raise the limit "
        "(max_spending=..., or --max-spending on the command line)."
    )
