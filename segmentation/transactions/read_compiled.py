"""The compiled path for a transaction file written in the plainest form: one pass over the
bytes, compiled by Numba, that makes no Python string per line.

It gives the log as numbers (:class:`CodedLog`): each invoice as its number with a flag for
its letter, each customer id as a number, each text column as codes into its distinct
texts. The ``rfm`` command needs nothing else, and on millions of lines most of the time of
reading a log into a table goes into making a Python string of every invoice number.

It takes only files whose every line is in the plainest form: ASCII, no carriage return;
invoices as digits after an optional "C" or "A" (no leading zero); quantities, prices, ids
and dates as :func:`~segmentation.transactions.shipped.write_csv` writes them; texts
without spaces at either end; quote marks only around a whole value, none inside. At the
first value in any other form it gives up (None), and the caller reads the file with
:func:`~segmentation.transactions.reader.read_transactions`, which accepts every form the
course does and says exactly what is wrong with a bad line. Where it accepts a file, each
value is read by the same rules: :meth:`CodedLog.frame` is the very log
``read_transactions`` gives (the tests compare them).

Numbers are read from their digits: a quantity as an integer; a price as its digits over a
power of ten, one division of two numbers exact in binary, which rounds as Python's
``float`` does (correctly) while the digits stay below 10**15; a date as
:func:`~segmentation.transactions.read_values.fixed_width_dates` reads it. Texts are
numbered as they come (a hash table per column).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.data.columns import Layout
from segmentation.transactions.layout import TRANSACTION_COLUMNS
from segmentation.transactions.read_fast import _address_room
from segmentation.transactions.read_values import transaction_frame

#: The flag added to the number of an invoice written with a "C" (a cancellation), or an
#: "A" (a bad-debt adjustment), in :attr:`CodedLog.invoice`.
CANCELLATION_FLAG = 1 << 60
ADJUSTMENT_FLAG = 1 << 61
_NUMBER_PART = (1 << 60) - 1

#: The address space the compiled pass may need beyond twice the file: Numba's compiler
#: and the pass's tables (see :func:`read_coded`).
ROOM_NEEDED = 4 << 30

#: The columns numbered as texts, in the order of :attr:`CodedLog.texts`.
CODED_TEXTS = ("StockCode", "Description", "Country")
#: The columns in the order the pass takes them (its ``role`` numbers): the layout's.
_ORDER = TRANSACTION_COLUMNS


@dataclass(frozen=True)
class CodedLog:
    """A raw log as numbers, one value per line of the file, in file order.

    ``invoice``: the invoice's number, plus :data:`CANCELLATION_FLAG` or
    :data:`ADJUSTMENT_FLAG` for one written with "C" or "A" (distinct invoices, distinct
    numbers). ``quantity`` (int64), ``date`` (int64 nanoseconds since 1970), ``price``
    (float64, no -0.0), ``customer`` (int64; -1 for a guest). ``texts``: for each column of
    :data:`CODED_TEXTS`, the code of each line's text and the distinct texts (a column the
    file lacks: every line the empty text).
    """

    invoice: np.ndarray
    quantity: np.ndarray
    date: np.ndarray
    price: np.ndarray
    customer: np.ndarray
    texts: dict[str, tuple[np.ndarray, list[str]]]

    def __len__(self) -> int:
        return len(self.invoice)

    def frame(self) -> pd.DataFrame:
        """The log as :func:`~segmentation.transactions.reader.read_transactions` gives it."""
        codes, numbers = pd.factorize(self.invoice)
        invoices = [_invoice_text(n) for n in numbers.tolist()]
        ids, distinct = pd.factorize(self.customer)
        columns: dict[str, object] = {
            "Invoice": _text_array(invoices).take(codes),
            "Quantity": self.quantity,
            "InvoiceDate": self.date.view("datetime64[ns]"),
            "Price": self.price,
            "Customer ID": _text_array([str(n) if n >= 0 else None for n in distinct]).take(ids),
        }
        for column, (codes_of_lines, texts) in self.texts.items():
            columns[column] = _text_array(texts).take(codes_of_lines)
        return transaction_frame(columns)


def _room_for_the_compiler(need: int) -> bool:
    """Whether no memory limit of this process leaves less than ``need`` bytes: neither
    the address space left (``ulimit -v``) nor the data segment allowed (``ulimit -d``)."""
    room = _address_room()
    if room is not None and room < need:
        return False
    try:
        import resource

        data, _ = resource.getrlimit(resource.RLIMIT_DATA)
    except (ImportError, OSError, ValueError, AttributeError):  # no such limit (Windows)
        return True
    return data == resource.RLIM_INFINITY or data >= need


def _invoice_text(number: int) -> str:
    """An invoice number as the file writes it."""
    letter = "C" if number & CANCELLATION_FLAG else "A" if number & ADJUSTMENT_FLAG else ""
    return letter + str(number & _NUMBER_PART)


def _text_array(texts: list) -> pd.api.extensions.ExtensionArray:
    return pd.array(np.array(texts, dtype=object), dtype="str")


def read_coded(raw: bytes, start: int, layout: Layout) -> CodedLog | None:
    """The log as numbers from the bytes after the header (from ``start``), or None to leave
    the file to the usual reader: also under a memory limit (``ulimit -v`` or ``ulimit -d``)
    that leaves less than :data:`ROOM_NEEDED` plus twice the file, and where Numba cannot be
    loaded at all. (Short of memory, loading Numba's compiler and the BLAS it loads can
    abort the process or spin for ever in C, and what they hold is then missing to the
    usual reader.)"""
    if not raw.isascii() or raw.find(b"\r", start) >= 0 or start >= len(raw):
        return None
    if not _room_for_the_compiler(ROOM_NEEDED + 2 * len(raw)):
        return None
    where = np.array([layout.index.get(c, -1) for c in _ORDER], dtype=np.int64)
    if (where[[0, 3, 4, 5, 6]] < 0).any():  # a required column missing: the reader says so
        return None
    try:
        from segmentation.transactions._coded_pass import read_lines

        read = read_lines(raw, start, layout.width, where)
    except (ImportError, OSError, MemoryError):
        return None
    if read is None:
        return None
    numbers, price, codes, distinct = read
    texts = {}
    for j, column in enumerate(CODED_TEXTS):  # a column the file lacks: every text empty
        texts[column] = (codes[j], distinct[j] if column in layout.index else [""])
    invoice, quantity, date, customer = numbers
    return CodedLog(invoice, quantity, date, price + 0.0, customer, texts)
