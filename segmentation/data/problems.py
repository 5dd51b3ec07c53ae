"""What the customer reader reports: the problems it finds, and how it shows them.

A :class:`Problem` names the row (counted as a text editor counts lines: the header is row 1),
the column, the value, and what to do. :func:`validate_customer_csv` gathers them in a
:class:`Validation`; :func:`read_customer_csv` raises them as one :class:`CustomerFileError`
and warns of each note with a :class:`CustomerFileWarning`. Values and file names are shown
with control characters escaped (a terminal would obey an escape sequence) and long values cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: At most this many problems are listed; the total is always counted.
MAX_PROBLEMS = 50

_SHOWN_CHARS = 40  # a longer value is cut in messages, its length given

#: The hint for a file that is not UTF-8 comma-separated text.
HOW_TO_SAVE = "In Excel or LibreOffice use Save As > 'CSV UTF-8 (comma delimited)'."


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
            where.append(f"column {shown_value(self.column, quoted=False)}")
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
    were ignored or skipped but did not stop the file from being read. ``missing``, once a
    file is read, has a line per missing spending value (read as NaN when allowed): its
    ``row`` in the file (the header being row 1) and its ``column`` (the course's name).
    """

    filename: str
    frame: pd.DataFrame | None = None
    errors: list[Problem] = field(default_factory=list)
    total_errors: int = 0
    notes: list[Problem] = field(default_factory=list)
    missing: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        return self.total_errors == 0

    def error(self) -> CustomerFileError:
        return CustomerFileError(self.filename, self.errors, self.total_errors)

    def _add(self, problem: Problem) -> None:
        self.total_errors += 1
        if len(self.errors) < MAX_PROBLEMS:
            self.errors.append(problem)


def plural(count: int, word: str) -> str:
    """``count`` and ``word``, with thousands separators and the plural when it is not 1.

    Examples
    --------
    >>> plural(1, "customer"), plural(2000, "value")
    ('1 customer', '2,000 values')
    """
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def shown_value(text: str, *, quoted: bool = True, limit: int | None = _SHOWN_CHARS) -> str:
    """``text`` as a message shows it: in quotes, with control and other invisible characters
    escaped as Python writes them (a terminal would obey an escape sequence), cut after
    ``limit`` characters with the full length given."""
    cut = limit is not None and len(text) > limit
    part = text[:limit] if cut else text
    escaped = "".join(c if c.isprintable() else repr(c)[1:-1] for c in part)
    if cut:
        escaped += "..."
    if quoted:
        escaped = f"'{escaped}'"
    return f"{escaped} ({len(text):,} characters)" if cut else escaped


def shown_filename(name: str) -> str:
    """A file name as the reader's messages show it: control characters, and bytes of the
    name that are not UTF-8 (``caf\\udce9.csv``), escaped, so that printing it can neither fail
    nor drive the terminal.

    Examples
    --------
    >>> print(shown_filename("caf\\udce9\\x1b[2J.csv"))
    caf\\udce9\\x1b[2J.csv
    """
    return shown_value(name, quoted=False, limit=None)
