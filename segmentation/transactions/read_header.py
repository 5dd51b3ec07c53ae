"""The header line of a transaction file: where each column of the layout stands.

Columns are recognised in any order and letter case, by the names of the UCI "Online Retail
II" file or those of the first "Online Retail" file (InvoiceNo, UnitPrice, CustomerID).
Columns the log does not use are ignored with a note.
"""

from __future__ import annotations

from segmentation.data.columns import PLAIN_NUMBER, Layout, clean, ignored_column_notes
from segmentation.data.problems import HOW_TO_SAVE, Problem, Validation
from segmentation.transactions.layout import OLD_COLUMN_NAMES, TRANSACTION_COLUMNS
from segmentation.transactions.read_values import REQUIRED_COLUMNS

_KNOWN = {c.lower(): c for c in TRANSACTION_COLUMNS} | {
    old.lower(): new for old, new in OLD_COLUMN_NAMES.items()
}
_EXAMPLE = ",".join(TRANSACTION_COLUMNS)


def transaction_layout(header: list[str], row: int, result: Validation) -> Layout | None:
    """Where each column stands in ``header`` (the fields of line ``row``), or None after
    recording in ``result`` why the line cannot serve; notes go to ``result`` too."""
    names = [clean(name) for name in header]
    wrong = _not_a_header(names)
    if wrong:
        result._add(Problem(wrong[0], wrong[1], row=row))
        return None
    index: dict[str, int] = {}
    unknown: dict[int, str] = {}
    for position, name in enumerate(names):
        column = _KNOWN.get(name.lower())
        if column is None:
            unknown[position] = name
            continue
        first = index.setdefault(column, position)
        if first != position:
            twice = f"columns {first + 1} and {position + 1} are both {column}."
            result._add(Problem(twice, "Keep one of them.", row=row, column=column))
    for column in (c for c in REQUIRED_COLUMNS if c not in index):
        result._add(
            Problem(
                "the column is missing.",
                f"A transaction file needs the columns {', '.join(REQUIRED_COLUMNS)}; "
                f"add {column}.",
                row=row,
                column=column,
            )
        )
    result.notes.extend(ignored_column_notes(unknown, row, "a transaction log"))
    if not result.ok:
        return None
    written = {column: names[position] for column, position in index.items()}
    return Layout(len(header), index, tuple(n.lower() for n in names), written)


def _not_a_header(names: list[str]) -> tuple[str, str] | None:
    """Why the first line cannot be a header (message, hint), or None."""
    if len(names) == 1:
        for delimiter, shown in (("\t", "tabs"), (";", "';'"), ("|", "'|'")):
            if delimiter in names[0]:
                return (
                    f"values are separated by {shown}, not commas.",
                    f"Save the file as comma-separated values. {HOW_TO_SAVE}",
                )
    if all(PLAIN_NUMBER.fullmatch(name) for name in names):
        return (
            "this row holds numbers, not column names: the file has no header line.",
            f"Add a first line naming the columns: {_EXAMPLE}.",
        )
    return None
