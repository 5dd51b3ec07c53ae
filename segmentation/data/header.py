"""The header line of a customer file: where each course column stands, or why it cannot be
a header (another delimiter, numbers instead of names, a column twice or missing).

Columns are recognised in any order and letter case, with the aliases of
:data:`segmentation.data.schema.COLUMN_ALIASES`; a misspelt column is guessed at (``Grocry``:
"is that it?"). Columns the course does not use are ignored with a note.
"""

from __future__ import annotations

import difflib

from segmentation.data.columns import (
    PLAIN_NUMBER,
    Layout,
    clean,
    column_key,
    ignored_column_notes,
)
from segmentation.data.problems import HOW_TO_SAVE, Problem, Validation, shown_value
from segmentation.data.schema import LABEL_COLUMNS, SPENDING_COLUMNS

_KNOWN = {c.lower(): c for c in ("id", *LABEL_COLUMNS, *SPENDING_COLUMNS)}


def header_layout(
    header: list[str], row: int, result: Validation, *, require_labels: bool
) -> Layout | None:
    """Where each course column stands in ``header`` (the fields of line ``row``), or None
    after recording in ``result`` why the line cannot serve; notes go to ``result`` too."""
    if not _has_header_shape(header, row, result):
        return None
    index, unknown = _positions(header, row, result)
    _missing(index, unknown, row, result, require_labels)
    if not result.ok:
        return None
    result.notes.extend(ignored_column_notes(unknown, row, "the course"))
    for column in LABEL_COLUMNS:
        if column not in index and not require_labels:
            result.notes.append(
                Problem(f"there is no {column} column; the table has none.", row=row)
            )
    names = [clean(name) for name in header]
    written = {column: names[position] for column, position in index.items()}
    return Layout(len(header), index, tuple(column_key(h) for h in header), written)


def _has_header_shape(header: list[str], row: int, result: Validation) -> bool:
    """Whether the first line can be a header: comma-separated, and not all numbers."""
    if len(header) == 1:
        counts = {d: header[0].count(d) for d in ";\t|"}
        delimiter = max(counts, key=counts.__getitem__)
        if counts[delimiter]:
            shown = {"\t": "tabs", ";": "';'", "|": "'|'"}[delimiter]
            result._add(
                Problem(
                    f"values are separated by {shown}, not commas.",
                    f"Save the file as comma-separated values. {HOW_TO_SAVE}",
                    row=row,
                )
            )
            return False
    if all(PLAIN_NUMBER.fullmatch(clean(h)) for h in header):
        result._add(
            Problem(
                "this row holds numbers, not column names: the file has no header line.",
                "Add a first line naming the columns, for example "
                f"Channel,Region,{','.join(SPENDING_COLUMNS)}.",
                row=row,
            )
        )
        return False
    return True


def _positions(
    header: list[str], row: int, result: Validation
) -> tuple[dict[str, int], dict[int, str]]:
    """Where each course column stands, and the names of the other columns by position."""
    index: dict[str, int] = {}
    unknown: dict[int, str] = {}
    for position, name in enumerate(header):
        column = _KNOWN.get(column_key(name))
        if column is None:
            unknown[position] = clean(name)
        elif column in index:
            result._add(
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


def _missing(
    index: dict[str, int],
    unknown: dict[int, str],
    row: int,
    result: Validation,
    require_labels: bool,
) -> None:
    """Record each required column that is missing, guessing which column was meant."""
    required = list(SPENDING_COLUMNS) + (list(LABEL_COLUMNS) if require_labels else [])
    guesses = {name.lower(): (pos, name) for pos, name in unknown.items() if name}
    for column in (c for c in required if c not in index):
        close = difflib.get_close_matches(column.lower(), list(guesses), n=1, cutoff=0.7)
        if close:
            pos, name = guesses.pop(close[0])
            del unknown[pos]
            result._add(
                Problem(
                    f"the column is missing; column {pos + 1} is named {shown_value(name)}: "
                    "is that it?",
                    f"Rename it to {column} in the header.",
                    row=row,
                    column=column,
                )
            )
        else:
            result._add(
                Problem(
                    "the column is missing.",
                    f"The file needs the columns {', '.join(required)}; add {column}.",
                    row=row,
                    column=column,
                )
            )
