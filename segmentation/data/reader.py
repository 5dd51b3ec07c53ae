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
characters escaped and long ones cut. Asked to (``checksum=True``), the table keeps the sha256
of the bytes it was parsed from (``table.attrs["sha256"]``), so that a record can name them
without reading the file again.

The reader in parts, each in its own module:

- :mod:`segmentation.data.problems`: what is reported (:class:`Problem`, :class:`Validation`,
  :class:`CustomerFileError`) and how values are shown in messages;
- this module: the entry points, and the file read once, safely, as bytes and then as text;
- :mod:`segmentation.data.header`: the header line, and where each course column stands;
- :mod:`segmentation.data.careful`: the careful reader, row by row, every problem located;
- :mod:`segmentation.data.fast`: the fast path for plain files, which gives up on anything
  the careful reader might refuse;
- :mod:`segmentation.data.columns`: what both readers share, down to the tidy table.
"""

from __future__ import annotations

import hashlib
import os
import stat
import warnings
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from segmentation.data.careful import MAX_VALUE_CHARS, CarefulReader
from segmentation.data.fast import read_fast
from segmentation.data.problems import (
    HOW_TO_SAVE,
    MAX_PROBLEMS,
    CustomerFileError,
    CustomerFileWarning,
    Problem,
    Validation,
    shown_filename,
)
from segmentation.data.schema import SPENDING_COLUMNS

# The reader's public face: the problem types, and the limits it holds a file to.
__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LINE_BYTES",
    "MAX_PROBLEMS",
    "MAX_SPENDING",
    "MAX_VALUE_CHARS",
    "CustomerFileError",
    "CustomerFileWarning",
    "Problem",
    "Validation",
    "file_kind",
    "read_customer_csv",
    "shown_filename",
    "validate_customer_csv",
]

#: Larger annual spending in one category than this (m.u.) is taken for a typo or a unit
#: mix-up. The course data's largest value is 112,151.
MAX_SPENDING = 10_000_000

#: A larger file (bytes) is refused before it is read: 2 GB is some 60 million customers, and
#: more would not fit in a lab machine's memory once parsed.
MAX_FILE_BYTES = 2_000_000_000

#: A longer line (bytes) is refused: a customer row takes a few dozen bytes. Without this cap a
#: file whose line breaks were lost, or a stream with none, would be read without end.
MAX_LINE_BYTES = 1_000_000

_CHUNK_BYTES = 1 << 20  # a pipe is read this much at a time
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip archive",
    b"\xd0\xcf\x11\xe0": "an old-style Excel workbook (.xls)",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip-compressed file",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
}
_SPLIT_IT = "Check that this is the file you meant; split a larger one into parts."


def read_customer_csv(
    path: str | PathLike[str],
    *,
    require_labels: bool = False,
    max_spending: float = MAX_SPENDING,
    allow_missing: bool = False,
    with_model: bool = False,
    diagnose: bool = False,
    checksum: bool = False,
) -> pd.DataFrame:
    """Read a customer CSV file into a tidy table, or refuse it with every problem listed.

    Parameters
    ----------
    path
        The CSV file: a header line, then one customer per line.
    require_labels
        Whether Channel and Region must be present (if not, and absent, the table has none).
    max_spending
        Spending above this, in any category, is refused as implausible.
    allow_missing, with_model, diagnose, checksum
        How missing spending values are read, and whether the table keeps the sha256 of the
        bytes parsed: see :func:`validate_customer_csv`.

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` (1, 2, ... in file order if the file has none), ``Channel`` and
        ``Region`` (categories, when present) and the six spending columns (``int64`` when
        all whole, else ``float64``), customers in the file's order.

    Raises
    ------
    CustomerFileError
        When anything is wrong; its message lists the problems.

    Warns
    -----
    CustomerFileWarning
        For each note (an ignored column, skipped blank rows).

    Examples
    --------
    >>> from segmentation.data.shipped import course_data_path
    >>> read_customer_csv(course_data_path()).shape
    (440, 9)
    """
    missing = {"allow_missing": allow_missing, "with_model": with_model, "diagnose": diagnose}
    result = validate_customer_csv(
        path, require_labels=require_labels, max_spending=max_spending, checksum=checksum, **missing
    )
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
    allow_missing: bool = False,
    with_model: bool = False,
    diagnose: bool = False,
    checksum: bool = False,
) -> Validation:
    """Check a customer CSV file without raising; see :func:`read_customer_csv`.

    Parameters
    ----------
    path, require_labels, max_spending
        As for :func:`read_customer_csv`.
    allow_missing
        Read a blank spending value, or one marked missing ("NA", "n/a", "-", "?", "\\N",
        "<NA>", ...), as
        missing (NaN) instead of refusing the file; a note says how many, where. A spending
        column with no value at all, or a customer with no spending value at all, is still
        refused: there is nothing to estimate them from.
    with_model
        The file holds customers to be segmented by a model already fitted (prediction, a
        report): with ``allow_missing``, a spending column missing on every row is accepted,
        since the model fills each gap from the centre of the customer's segment, whoever else
        is in the file. A customer with no spending value at all is still refused.
    diagnose
        Read the file to describe its quality, not to fit or predict (implies
        ``allow_missing``): a spending column with no value at all and a customer with no
        spending value at all are notes instead of refusals, their values NaN. Every other
        refusal stays.
    checksum
        Keep the sha256 of the bytes parsed in the table's ``attrs["sha256"]`` (a pipe is
        read once and a file may be replaced meanwhile: this names what was read).

    Returns
    -------
    Validation
        The table when the file is good, else the problems found; ``missing`` says where the
        missing values were (none without ``allow_missing``).
    """
    result = Validation(filename=str(path))
    try:
        missing = {"allow_missing": allow_missing, "with_model": with_model, "diagnose": diagnose}
        frame = _table(Path(path), result, require_labels, max_spending, missing, checksum)
    except MemoryError:  # a file within the size limit, on a computer with little memory
        frame = None
        result._add(
            Problem(
                "the file is too large to read in this computer's memory.",
                "Split it into parts, or use a computer with more memory.",
            )
        )
    result.frame = frame if result.ok else None
    if result.frame is None:
        result.missing = None
    return result


def _table(
    path: Path,
    result: Validation,
    require_labels: bool,
    max_spending: float,
    missing: dict[str, bool],
    checksum: bool = False,
) -> pd.DataFrame | None:
    """The checked table, or None with the problems recorded in ``result``; with
    ``checksum``, the sha256 of the bytes parsed in its ``attrs``."""
    raw = _read_bytes(path, result)
    if raw is None:
        return None
    text = _decode(raw, result)
    if text is None:
        return None
    careful = CarefulReader(
        text,
        result,
        require_labels=require_labels,
        max_spending=max_spending,
        **missing,
    )
    layout = careful.read_header()
    if layout is None:
        return None
    frame = None
    first_break = raw.find(b"\n")
    if careful.header_row == 1 and careful.next_row == 2 and first_break > 0:
        # The header is the first line alone: the data are the bytes after it. The fast path
        # gives up on any missing value (pandas cannot read an empty float): the careful
        # reader then reads it, and locates every missing value.
        frame = read_fast(raw, first_break + 1, layout, max_spending)
    if frame is None:
        frame = careful.read_rows(layout)
    # The sha256 of the very bytes parsed: a record can name them without reading the file
    # again (a pipe is read once; a file can be replaced meanwhile).
    if checksum and frame is not None:
        frame.attrs["sha256"] = hashlib.sha256(raw).hexdigest()
    result.missing = pd.DataFrame(careful.missing, columns=["row", "column"], dtype=object)
    result.missing = result.missing.astype({"row": "int64", "column": "string"})
    return frame


# --- the file as bytes, then as text -------------------------------------------------------


def _read_bytes(path: Path, result: Validation) -> bytes | None:
    """The file's bytes, read once, or None after recording why they cannot be used."""
    raw = _read_once(path, lambda message, hint: result._add(Problem(message, hint)))
    if raw is None:
        return None
    problem = not_csv_text(raw, f"Channel,Region,{','.join(SPENDING_COLUMNS)}", _SPLIT_IT)
    if problem is not None:
        result._add(problem)
        return None
    return raw


def not_csv_text(raw: bytes, header_example: str, too_large_hint: str) -> Problem | None:
    """Why the bytes of a file cannot be a CSV text file the course reads, or None: empty,
    another format (a spreadsheet, an archive), UTF-16, binary, over :data:`MAX_FILE_BYTES`,
    or a row over :data:`MAX_LINE_BYTES`. ``header_example`` is the header line the hint for
    an empty file shows; ``too_large_hint`` says what to do with a file over the limit. The
    customer reader and the transaction reader share it."""
    if not raw or raw.isspace():
        return Problem(
            "the file is empty.",
            f"Export the table again: the first line should be a header such as {header_example}.",
        )
    kind = next((k for s, k in _BINARY_SIGNATURES.items() if raw.startswith(s)), None)
    if kind is not None:
        return Problem(f"this is {kind}, not a CSV text file.", HOW_TO_SAVE)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Problem("the file is saved as UTF-16 text.", HOW_TO_SAVE)
    nul = raw.find(b"\x00")
    if nul >= 0:
        return Problem(
            "the file is not text: it holds binary data (a NUL byte).",
            "Check that this is the CSV file you meant. " + HOW_TO_SAVE,
            row=raw.count(b"\n", 0, nul) + 1,
        )
    if len(raw) > MAX_FILE_BYTES:  # a pipe: a regular file was measured before reading
        return Problem(
            f"the input is more than {MAX_FILE_BYTES:,} bytes, more than the course reads; "
            "reading stopped there.",
            too_large_hint,
        )
    row = _overlong_row(raw)
    if row is not None:
        return Problem(
            f"the row is longer than {MAX_LINE_BYTES:,} bytes; a row of a customer or "
            "transaction file takes a few dozen.",
            "Check that this is the CSV file you meant, with one customer or invoice line per "
            "row (a file whose line breaks were lost reads as one long row).",
            row=row,
        )
    return None


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
                "too large for the course to read.",
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
                HOW_TO_SAVE,
                row=row,
            )
        )
        return None
