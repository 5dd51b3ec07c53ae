"""The careful reader of a transaction file: row by row with the csv module, every problem
found and located (row as a text editor counts them, column, value, what to do).

It reads the header of every file, and the rows only when the fast path
(:mod:`segmentation.transactions.read_fast`) does not take them. Lines are split, and quoting
and length limits checked, as the customer reader does
(:class:`segmentation.data.careful.CarefulReader`); the values are checked by the rules of
:mod:`segmentation.transactions.read_values`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from segmentation.data.careful import CarefulReader
from segmentation.data.columns import PLAIN_NUMBER, Layout, clean
from segmentation.data.problems import Problem, Validation, shown_value
from segmentation.transactions.read_header import transaction_layout
from segmentation.transactions.read_values import (
    DATE_HINT,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_PRICE,
    MAX_QUANTITY,
    RANGE_HINT,
    customer_id,
    parse_dates,
    quantity,
    transaction_frame,
)

_NUMBER_HINT = "Write a plain number such as 12 or 2.55, without currency signs or separators."


class TransactionCarefulReader(CarefulReader):
    """The careful reader of a transaction file."""

    def __init__(self, text: str, result: Validation):
        super().__init__(text, result, require_labels=False, max_spending=0.0)
        # each customer id, the ways it is written, and the first row of each
        self._id_forms: dict[str, dict[str, int]] = {}

    def read_header(self) -> Layout | None:
        """Where each column stands, from the first line that is not blank; None after
        recording why there is no usable header."""
        first = next(self._rows, None)
        if not self.result.ok:  # the first line broke a limit or its quoting
            return None
        if first is None:
            self.result._add(Problem("the file holds only blank lines.", _EXPORT_AGAIN))
            return None
        self.header_row, header = first
        layout = transaction_layout(header, self.header_row, self.result)
        if layout is not None:
            self.names = [clean(name) for name in header]
        return layout

    def read_rows(self, layout: Layout) -> pd.DataFrame | None:
        """The log of the rows after the header, or None after recording every problem."""
        values: dict[str, Any] = {c: [] for c in layout.index}
        rows: list[int] = []
        # One string for each distinct text of a column: a log repeats its invoices, codes,
        # descriptions, dates and countries line after line, and a list of a million copies
        # of the same words would hold them a million times.
        shared: dict[str, dict[str, str]] = {c: {} for c in layout.index}
        for row, record in self._rows:
            if len(record) != layout.width:
                self.result._add(
                    Problem(
                        f"the row has {len(record)} values but the header names "
                        f"{layout.width} columns.",
                        "Look for a missing or extra comma; a description with a comma in "
                        'it must be in quotes ("RED, WHITE").',
                        row=row,
                    )
                )
                continue
            # Once a problem is found the file is refused: the values are only checked from
            # then on, not kept (the dates are, to be parsed together and located).
            keep = self.result.ok
            for column, position in layout.index.items():
                value = self._value(column, record[position], row, layout)
                if isinstance(value, str):
                    value = shared[column].setdefault(value, value)
                if keep or column == "InvoiceDate":
                    values[column].append(value)
            rows.append(row)
        if "InvoiceDate" in values:
            values["InvoiceDate"] = self._dates(values["InvoiceDate"], rows, layout)
        self._note_blank_rows()
        self._note_merged_ids()
        if not rows and self.result.ok:
            self.result._add(
                Problem(
                    "the file has a header but no transaction rows.",
                    "Add one line per invoice line below the header.",
                )
            )
        return transaction_frame(values) if self.result.ok else None

    def _value(self, column: str, text: str, row: int, layout: Layout) -> object:
        """The value of ``column`` in ``row``, or None after recording the problem (a missing
        customer id is None too, and allowed)."""
        written, text = text, clean(text)
        name = layout.written[column]

        def refuse(message: str, hint: str) -> None:
            self.result._add(Problem(message, hint, row=row, column=name, value=text))

        if column in ("Invoice", "StockCode") and not text:
            what = "invoice number" if column == "Invoice" else "stock code"
            refuse(f"the {what} is blank.", f"Every line needs its {what}.")
        elif column == "Quantity":
            return _check_quantity(text, refuse)
        elif column == "Price":
            return _check_price(text, refuse)
        elif column == "Customer ID":
            found = customer_id(text)
            if isinstance(found, str):
                self._id_forms.setdefault(found, {}).setdefault(written, row)
            if found is False:
                refuse(
                    f"{shown_value(text)} is not a customer id.",
                    "Write the id as a whole number such as 13085, or leave it empty for a "
                    "guest without an id.",
                )
                return None
            return found
        return text

    def _dates(self, texts: list[str], rows: list[int], layout: Layout) -> np.ndarray:
        """The dates, parsed together; each unreadable one recorded with its row."""
        dates, outside = parse_dates(pd.Index(texts, dtype=object))
        for i in np.flatnonzero(np.isnat(dates)):
            text = clean(texts[i])
            message = "the date is blank." if not text else f"{shown_value(text)} is not a date."
            if outside[i]:
                message = f"{shown_value(text)} is outside the years {FIRST_YEAR} to {LAST_YEAR}."
            self.result._add(
                Problem(
                    message,
                    RANGE_HINT if outside[i] else DATE_HINT,
                    row=rows[i],
                    column=layout.written["InvoiceDate"],
                    value=text,
                )
            )
        return dates

    def _note_merged_ids(self) -> None:
        """A note when one customer id is written in more than one way (13085, 013085,
        13085.0, 1.3085e4, or with spaces): they are read as the same customer, which is
        right for a spreadsheet's 13085.0 and wrong for a typo, so the user is told."""
        merged = {found: forms for found, forms in self._id_forms.items() if len(forms) > 1}
        if not merged:
            return
        found, forms = next(iter(merged.items()))
        shown = " and ".join(
            f"{shown_value(text)} (row {row})" for text, row in list(forms.items())[:2]
        )
        count = len(merged)
        self.result.notes.append(
            Problem(
                f"{count} customer id{'s are' if count > 1 else ' is'} written in more than "
                f"one way and read as one customer each: {shown} are both customer {found}.",
                "Nothing to do if they are the same customer; if not, correct the ids.",
            )
        )

    def _note_blank_rows(self) -> None:
        if self.blank_rows:
            shown = ", ".join(map(str, self.blank_rows[:10]))
            more = f" and {len(self.blank_rows) - 10} more" if len(self.blank_rows) > 10 else ""
            word = "row" if len(self.blank_rows) == 1 else "rows"
            self.result.notes.append(Problem(f"blank {word} {shown}{more} skipped."))


_EXPORT_AGAIN = "Export the transaction log again, with a header line first."


def _check_quantity(text: str, refuse) -> int | None:
    shown = shown_value(text)
    if not text:
        refuse("the quantity is blank.", "Enter the number of units (negative on a cancellation).")
        return None
    value = quantity(text)
    if value is None:
        if PLAIN_NUMBER.fullmatch(text):
            refuse(
                f"{shown} is not a whole number of units.", "A quantity counts units: 1, 12, -3."
            )
        else:
            refuse(f"{shown} is not a number.", "Write the number of units: 1, 12, -3.")
        return None
    if abs(value) > MAX_QUANTITY:
        refuse(
            f"{shown} units is more than {MAX_QUANTITY:,} (either sign), too many for one line.",
            "Check for a typo (a date or a price in the wrong column?).",
        )
        return None
    return value


def _check_price(text: str, refuse) -> float | None:
    shown = shown_value(text)
    if not text:
        refuse("the price is blank.", "Enter the unit price in m.u., such as 2.55.")
        return None
    if not PLAIN_NUMBER.fullmatch(text):
        refuse(f"{shown} is not a number.", _NUMBER_HINT)
        return None
    value = float(text)
    if not (math.isfinite(value) and abs(value) <= MAX_PRICE):
        refuse(
            f"{shown} is more than {MAX_PRICE:,} m.u. (either sign), too large for a unit price.",
            "Check for a typo or a different unit.",
        )
        return None
    return value
