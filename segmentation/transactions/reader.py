"""Read a transaction log CSV (the layout of the UCI "Online Retail II" data), checking every
row, and say exactly what is wrong.

To the standard of the customer reader (:mod:`segmentation.data.reader`), whose safe file
opening this reuses: a file is read whole, or refused with a list of problems, each naming
the file, the row (the header is row 1), the column, the value, and what to do. Nothing is
dropped without a note, and no pandas or NumPy traceback reaches the user. The raw log keeps
every line: cancellations, guests without a customer id, duplicates; setting them aside is
the cleaning's work (:func:`segmentation.transactions.cleaning.clean_transactions`).

Accepted: the UCI file converted to CSV, with its own column names or those of the first
"Online Retail" file; columns in any order and letter case (others ignored with a note);
dates as ``2010-12-01 08:26:00`` (seconds optional) or as Excel exports them, month first
(``12/1/2010 8:26``); customer ids written ``13085`` or ``13085.0``, or empty (a guest);
quoted descriptions with commas; negative quantities (cancellations, whose invoice number
starts with "C"); invoices starting with "A" (the UCI file's bad-debt adjustments); prices
with more than two decimals. Refused: missing columns, a quantity that is not a whole
number, an unreadable price or date, a blank invoice number or stock code, a quantity
beyond :data:`~segmentation.transactions.read_values.MAX_QUANTITY` or a price beyond
:data:`~segmentation.transactions.read_values.MAX_PRICE` (either sign), and anything that is
not CSV text.

The reader in parts: this module (entry points, the file as bytes and text);
:mod:`~segmentation.transactions.read_header` (the header);
:mod:`~segmentation.transactions.read_careful` (row by row, every problem located);
:mod:`~segmentation.transactions.read_fast` (the fast path for plain files);
:mod:`~segmentation.transactions.read_values` (the rules both apply, and the log they build).
"""

from __future__ import annotations

import warnings
from os import PathLike
from pathlib import Path

import pandas as pd

from segmentation.data.problems import (
    CustomerFileError,
    CustomerFileWarning,
    Problem,
    Validation,
)
from segmentation.data.reader import _decode, _read_once, not_csv_text
from segmentation.transactions.cleaning import CleanLog, clean_coded, clean_transactions
from segmentation.transactions.layout import TRANSACTION_COLUMNS
from segmentation.transactions.read_careful import TransactionCarefulReader
from segmentation.transactions.read_compiled import CodedLog, read_coded
from segmentation.transactions.read_fast import read_transactions_fast

__all__ = [
    "CustomerFileError",
    "CustomerFileWarning",
    "read_and_clean",
    "read_transactions",
    "validate_transactions",
]


def read_transactions(path: str | PathLike[str]) -> pd.DataFrame:
    """Read a transaction log CSV file, or refuse it with every problem listed.

    Parameters
    ----------
    path
        The CSV file: a header line, then one invoice line per row.

    Returns
    -------
    pandas.DataFrame
        The raw log, one row per line of the file, in file order, with the columns of
        :data:`~segmentation.transactions.layout.TRANSACTION_COLUMNS`: Invoice, StockCode,
        Description, Country as text (Description and Country empty when the file has no
        such column); Quantity ``int64``; InvoiceDate ``datetime64[ns]``; Price
        ``float64``; Customer ID as text without a decimal part, missing (NaN) for a guest.

    Raises
    ------
    CustomerFileError
        When anything is wrong; its message lists the problems (the same error as the
        customer reader's, so that the command line reports both alike).

    Warns
    -----
    CustomerFileWarning
        For each note: an ignored column, skipped blank rows.
    """
    return _checked(validate_transactions(path))


def read_and_clean(path: str | PathLike[str]) -> tuple[int, CleanLog]:
    """Read a transaction log CSV file and clean it, as the ``rfm`` command does: the
    number of lines read, and what ``clean_transactions(read_transactions(path))`` gives
    (the same rule counts, the same lines kept, so the same RFM tables), with the same
    errors and notes.

    A file of 2 MB or more in the plainest form (as the course writes logs) is read as numbers
    (:mod:`~segmentation.transactions.read_compiled`), without the log as a table: on
    millions of lines several times quicker, in less memory. Its purchases and
    cancellations then hold the columns RFM needs, the invoice and the customer id as
    numbers (see :func:`~segmentation.transactions.cleaning.clean_coded`).
    """
    log = _checked(validate_transactions(path, coded=True))
    if isinstance(log, CodedLog):
        return len(log), clean_coded(log)
    return len(log), clean_transactions(log)


def _checked(result: Validation) -> pd.DataFrame:
    """The log of a validation, after its notes as warnings; or its error raised."""
    if result.frame is None:
        raise result.error()
    for note in result.notes:  # what was ignored or skipped, said once the log is good
        warnings.warn(note.describe(result.filename), CustomerFileWarning, stacklevel=3)
    return result.frame


def validate_transactions(path: str | PathLike[str], coded: bool = False) -> Validation:
    """Check a transaction log CSV file without raising; see :func:`read_transactions`.

    Returns
    -------
    Validation
        ``frame`` is the log when the file is good; else ``errors`` lists at most
        :data:`~segmentation.data.problems.MAX_PROBLEMS` problems out of ``total_errors``.
        ``coded=True``: a file in the plainest form gives a
        :class:`~segmentation.transactions.read_compiled.CodedLog` as ``frame`` instead.
    """
    result = Validation(filename=str(path))
    try:
        result.frame = _log(Path(path), result, coded)
    except MemoryError:  # a file within the size limit, on a computer with little memory
        result._add(Problem("the log is too large for this computer's memory.", _TOO_LARGE))
    if not result.ok:
        result.frame = None
    return result


#: Files from this size on are read as numbers when they can be (``coded=True``): below
#: it, loading the compiled pass (about half a second) costs more than it saves.
CODED_FROM_BYTES = 1 << 21

_TOO_LARGE = "Split it into parts (by year, say), or use a computer with more memory."


def _log(path: Path, result: Validation, coded: bool = False) -> pd.DataFrame | CodedLog | None:
    """The checked log (as numbers, when ``coded`` and the file is plain), or None with the
    problems recorded in ``result``."""
    raw = _read_once(path, lambda message, hint: result._add(Problem(message, hint)))
    if raw is None:
        return None
    problem = not_csv_text(raw, ",".join(TRANSACTION_COLUMNS), _TOO_LARGE)
    if problem is not None:
        result._add(problem)
        return None
    first_break = raw.find(b"\n")
    plain = raw.isascii()  # ASCII is UTF-8: only the lines up to the header need decoding now
    header_end = _header_end(raw)
    header_only = raw[: header_end + 1] if header_end >= 0 else raw
    text = _decode(header_only if plain else raw, result)
    if text is None:
        return None
    careful = TransactionCarefulReader(text, result)
    layout = careful.read_header()
    if layout is None:
        return None
    if careful.header_row == 1 and careful.next_row == 2 and first_break > 0:
        # The header is the first line alone: the data are the bytes after it.
        numbers = None
        if coded and len(raw) >= CODED_FROM_BYTES:
            numbers = read_coded(raw, first_break + 1, layout)
        if numbers is not None:
            return numbers
        frame = read_transactions_fast(raw, first_break + 1, layout)
        if frame is not None:
            return frame
    if plain:  # the careful reader reads the whole text after all
        result.notes.clear()  # the header's notes: reading it again records them again
        careful = TransactionCarefulReader(raw.decode("ascii"), result)
        layout = careful.read_header()
        assert layout is not None  # the same header, read again
    return careful.read_rows(layout)


def _header_end(raw: bytes) -> int:
    """Where the first line holding more than blanks and commas ends (the header, unless
    the file is odd): the index of its line break, or -1 when no such line ends."""
    start = 0
    while True:
        end = raw.find(b"\n", start)
        line = raw[start:] if end < 0 else raw[start:end]
        if end < 0 or line.strip(b" \t\r,"):
            return end
        start = end + 1
