"""Writing outputs safely: whole or not at all, only over regular files, with spreadsheet-safe
cells.

- :func:`output_target` checks an output path before any work is done: a new file, or an
  existing regular file (through a symbolic link, the file it points to; the link stays).
  A folder, a device, a named pipe (FIFO), a socket, a link to nothing, a read-only file or
  one of the inputs is refused with :class:`OutputPathError`, so that the atomic rename
  below never replaces a special file (``/dev/null``, a terminal) with a regular one.
- :func:`atomic_output` writes through a hidden temporary file in the target's folder and
  renames it over the target at the end; on any failure or interruption the temporary file is
  removed and the target is untouched. A replaced file keeps its permissions (and, for root,
  its owner); a new one gets the permissions the umask gives.
- :func:`write_predictions` writes a model's predictions as CSV a block of rows at a time, so
  that memory does not grow with the number of customers, with :func:`spreadsheet_safe` cells.

>>> spreadsheet_safe(["=HYPERLINK(\\"http://x\\")", "-5", "+1e3", "N-001"]).tolist()
['\\'=HYPERLINK("http://x")', '-5', '+1e3', 'N-001']
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pandas as pd

from segmentation.data.problems import shown_filename
from segmentation.data.reader import file_kind

if TYPE_CHECKING:
    from segmentation.model.pipeline import SegmentationModel

#: Predictions are computed and formatted at most this many rows at a time...
MAX_BLOCK_ROWS = 65_536
#: ... and at most about this many cells (rows x columns) at a time, so that a model with
#: thousands of segments (a distance column each) needs no more memory than one with three.
BLOCK_CELLS = 1 << 20

# OWASP's rule for CSV injection: a cell that starts with one of these is taken by spreadsheet
# programs as a formula (a tab or carriage return can hide one behind it).
_FORMULA_START = re.compile(r"[=+\-@\t\r]")
# A plain number (-5, +5, 1e3) is no formula: it stays as written.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# A temporary file's name keeps this many bytes of the target's name (names stop at 255).
_NAME_KEPT = 100


class OutputPathError(ValueError):
    """An output path that cannot be written safely; the message says why and what to do."""


def shown_path(path: str | PathLike[str]) -> str:
    """A path as messages show it: bytes that are not UTF-8 and control characters escaped,
    so that printing it can neither fail nor drive the terminal."""
    return shown_filename(os.fsdecode(path))


def output_target(path: str | PathLike[str], *, inputs: Sequence[str | PathLike[str]] = ()) -> Path:
    """The file that writing to ``path`` creates or replaces, checked before any work is done.

    ``path`` may be a new file in an existing folder that can be written to, or an existing
    regular file that can be written to; a symbolic link to a regular file stands for that
    file (it is replaced, the link stays). Anything else is refused, and so is a path that is
    the same file as one of ``inputs``.

    Raises
    ------
    OutputPathError
        With a message that names the path, says what is wrong and what to do.
    """
    if os.fsdecode(path).endswith(("/", os.sep)):
        # Path() drops the slash, and a file would be written where a folder was meant.
        raise OutputPathError(
            f"{shown_path(path)} ends with a slash, so it names a folder; give a file name "
            "for the output (without the slash at the end)."
        )
    path = Path(path)
    shown = shown_path(path)
    try:
        status = os.stat(path)  # follows symbolic links
    except FileNotFoundError:
        status = None
        if os.path.islink(path):
            raise OutputPathError(
                f"{shown} is a symbolic link to {shown_path(os.readlink(path))}, which does "
                "not exist. Give the path of a regular file or of a new one."
            ) from None
    except OSError as exc:  # a link that loops, a file where a folder should be
        raise OutputPathError(
            f"{shown} cannot be used as an output: {exc.strerror}. Choose another output path."
        ) from None
    if status is None:
        target = path
    else:
        _check_existing(path, status, shown)
        target = Path(os.path.realpath(path))
    folder = target.parent
    if not folder.is_dir():
        raise OutputPathError(
            f"the folder {shown_path(folder)} does not exist; create it "
            "first or choose another output path."
        )
    if not (os.access(folder, os.W_OK | os.X_OK) and _has_write_bits(folder.stat().st_mode)):
        raise OutputPathError(
            f"the folder {shown_path(folder)} cannot be written to; choose another output path."
        )
    for given in inputs:
        if status is not None and os.path.exists(given) and os.path.samefile(path, given):
            raise OutputPathError(
                f"the output {shown} is also an input; writing it would "
                "destroy the input. Choose another output path."
            )
    return target


def _check_existing(path: Path, status: os.stat_result, shown: str) -> None:
    """Refuse an existing output that is not a regular file we may write."""
    if stat.S_ISDIR(status.st_mode):
        raise OutputPathError(
            f"{shown} is a folder; give a file name for the output, such as "
            f"{shown_path(path / 'output')}."
        )
    if not stat.S_ISREG(status.st_mode):
        link = "a symbolic link to " if os.path.islink(path) else ""
        raise OutputPathError(
            f"{shown} is {link}{file_kind(status.st_mode)}, not a regular file: writing the output "
            "there would replace it with one. Give the path of a regular file or of a new "
            "one; to write to standard output, use -o -."
        )
    if not (os.access(path, os.W_OK) and _has_write_bits(status.st_mode)):
        raise OutputPathError(
            f"{shown} is read-only; make it writable (chmod u+w) or choose another output path."
        )


def _has_write_bits(mode: int) -> bool:
    """Whether anyone may write, by the mode bits: os.access says yes to root for every
    file, and a file or folder made read-only is meant to stay as it is, also for root."""
    return bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@contextlib.contextmanager
def atomic_output(path: str | PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new content to; it replaces the target (see
    :func:`output_target`) only when the ``with`` block ends without an error.

    On an error or an interruption (Ctrl-C, or any exception raised by a signal handler)
    the temporary file is removed and the target is left as it was.
    """
    target = output_target(path)
    handle, temporary = _temporary_beside(target)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            _give_permissions(out.fileno(), target)
        _replace(temporary, target)
    except BaseException as exc:
        _abandon(temporary, target, exc)
        raise


@contextlib.contextmanager
def atomic_path(path: str | PathLike[str]) -> Iterator[Path]:
    """:func:`atomic_output` for a writer that opens files by name (fastparquet, say): the
    path of an empty temporary file beside the target, which replaces the target only when
    the ``with`` block ends without an error (else it is removed)."""
    target = output_target(path)
    handle, temporary = _temporary_beside(target)
    try:
        try:
            yield Path(temporary)
            _give_permissions(handle, target)  # the writer wrote to this same file
        finally:
            os.close(handle)
        _replace(temporary, target)
    except BaseException as exc:
        _abandon(temporary, target, exc)
        raise


def _abandon(temporary: str, target: Path, exc: BaseException) -> None:
    """After ``exc``: the temporary file removed, the target left as it was; an error of
    the system that names no file (a full disk, say) raised again naming the output, so
    that the message says which file could not be written (else the caller raises ``exc``)."""
    with contextlib.suppress(OSError):
        os.unlink(temporary)
    if isinstance(exc, OSError) and exc.filename is None and exc.errno is not None:
        raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc


def _temporary_beside(target: Path) -> tuple[int, str]:
    """A new private file in the target's folder, hidden, named after the target (cut to
    :data:`_NAME_KEPT` bytes so that the name stays within the file system's limit)."""
    kept = os.fsdecode(os.fsencode(target.name)[:_NAME_KEPT])
    return tempfile.mkstemp(dir=target.parent, prefix=f".{kept}.", suffix=".tmp")


def write_atomically(path: str | PathLike[str], content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file in the same folder, so that a
    reader never sees half a file and a failure leaves nothing behind (see
    :func:`atomic_output`)."""
    with atomic_output(path) as out:
        out.write(content)


def _give_permissions(handle: int, target: Path) -> None:
    """The permissions of the file being replaced (and its owner, for root), or those the
    umask gives a new file (mkstemp makes every file private)."""
    try:
        old = os.stat(target)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(handle, 0o666 & ~umask)
        return
    # The owner first: changing it clears the set-user-ID and set-group-ID bits.
    if os.geteuid() == 0:
        os.fchown(handle, old.st_uid, old.st_gid)
    elif old.st_gid != os.fstat(handle).st_gid:
        with contextlib.suppress(OSError):  # allowed only for a group one belongs to
            os.fchown(handle, -1, old.st_gid)
    os.fchmod(handle, stat.S_IMODE(old.st_mode))


def _replace(temporary: str, target: Path) -> None:
    """Rename the finished file over the target, unless the target turned into something
    other than a regular file since it was checked."""
    with contextlib.suppress(FileNotFoundError):
        mode = os.lstat(target).st_mode
        if not stat.S_ISREG(mode):
            raise OutputPathError(
                f"{shown_path(target)} became {file_kind(mode)} while the output "
                "was being written; nothing was written there."
            )
    os.replace(temporary, target)


def spreadsheet_safe(values: Any, *, text: bool = False) -> Any:
    """Text cells that a spreadsheet would run as a formula, made plain text.

    A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    single quote in front (OWASP's rule against CSV injection), unless it is a plain number
    (``-5``, ``+5``, ``1e3``), which stays as written (an id may be one). Numbers (a numeric
    array or Series) are returned unchanged.

    Parameters
    ----------
    values
        A sequence, array or Series of cells.
    text
        The cells are text, never numbers (segment names): a plain number with a sign gets
        the quote too, so that a spreadsheet shows ``+5`` as written, not as the number 5.

    Returns
    -------
    The same kind of values: a Series for a Series (same index), else a NumPy array.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        return values
    cells = series.astype(str)
    risky = cells.str.match(_FORMULA_START.pattern)
    if not text:
        risky &= ~cells.str.fullmatch(_PLAIN_NUMBER.pattern)
    if not risky.any():
        return values if isinstance(values, pd.Series) else series.to_numpy()
    safe = series.mask(risky, "'" + cells)
    return safe if isinstance(values, pd.Series) else safe.to_numpy()


def block_rows(k: int) -> int:
    """How many customers :func:`write_predictions` handles at a time for ``k`` segments."""
    return max(1, min(MAX_BLOCK_ROWS, BLOCK_CELLS // (k + 3)))


def write_predictions(
    model: SegmentationModel,
    customers: pd.DataFrame,
    out: BinaryIO,
    *,
    rows: int | None = None,
    allow_missing: bool = False,
) -> np.ndarray:
    """Write ``model.predict(customers, allow_missing=allow_missing)`` to ``out`` as UTF-8
    CSV, a block of rows at a time.

    The columns are those of :meth:`SegmentationModel.predict` (``id``, ``segment``, ``name``,
    ``distance_0`` ...), distances with 6 decimals; ids and names pass through
    :func:`spreadsheet_safe`. Memory beyond the customers' table stays that of one block
    (``rows`` customers, by default :func:`block_rows`), however many customers there are.

    Returns
    -------
    numpy.ndarray
        The number of customers in each segment, segment 0 first.
    """
    rows = rows or block_rows(len(model.segments))
    names = spreadsheet_safe(np.array(model.names, dtype=object), text=True)
    counts = np.zeros(len(model.segments), dtype=np.int64)
    # At least one block, so that a table without customers is refused as predict refuses it.
    for start in range(0, max(len(customers), 1), rows):
        table = model.predict(customers.iloc[start : start + rows], allow_missing=allow_missing)
        segment = table["segment"].to_numpy()
        counts += np.bincount(segment, minlength=len(model.segments))
        table["name"] = names[segment]
        ids = spreadsheet_safe(table.pop("id")) if "id" in table else None
        text = table.to_csv(index=False, header=start == 0, float_format="%.6f")
        if ids is not None:
            text = _with_ids(text, ids, header=start == 0)
        out.write(text.encode("utf-8", errors="backslashreplace"))
    return counts


def _csv_cell(text: str) -> str:
    """A cell as CSV writes it, quoted when it holds a comma, a quote or a line break of
    either kind: pandas and the csv module quote a lone carriage return only when it is
    part of the line ending they write, and a reader takes it for the end of a row."""
    if any(mark in text for mark in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _with_ids(text: str, ids: pd.Series, *, header: bool) -> str:
    """``text`` (CSV lines ending in ``\n``, no line break inside a cell: segment names are
    printable text) with the ``id`` column put first, each id written by :func:`_csv_cell`."""
    lines = text.split("\n")[:-1]
    cells = ["id"] if header else []
    cells += [_csv_cell(str(value)) for value in ids]
    return "".join(f"{cell},{line}\n" for cell, line in zip(cells, lines, strict=True))
