"""The SIMULATED transaction logs that ship with the course, and how they are written.

Two logs, made by ``tools/make_transactions.py`` (see data/README.md): ``"wholesale"``, two
years of invoices of the course's 440 customers (their 2024 category sums are the real annual
spending; the timing is simulated), and ``"simulated"``, a population of 50,000 simulated
customers. Each has a truth table: every customer's true parameters.
"""

from __future__ import annotations

import gzip
import io
from importlib import resources
from pathlib import Path

import pandas as pd

from segmentation.data.shipped import CourseDataChanged, file_sha256
from segmentation.transactions.layout import TRANSACTION_COLUMNS

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

#: The shipped files and their sha256 (see data/README.md): log, then truth.
LOG_FILES: dict[str, tuple[str, str]] = {
    "wholesale": (
        "wholesale_transactions.csv.gz",
        "0d480f99701543e0caad96fa3c9e7ded923741ff5aad4faf9daa565cd7afc0e1",
    ),
    "simulated": (
        "simulated_transactions.csv.gz",
        "dad2dde735fe60b77e666bb107dbb12373ddc35c76c5decb0247998ec126e030",
    ),
}
TRUTH_FILES: dict[str, tuple[str, str]] = {
    "wholesale": (
        "wholesale_truth.csv",
        "d12e3b7317e48349759bfb425d177aaa90d5bb42b02227d774f63ebd60436ed7",
    ),
    "simulated": (
        "simulated_truth.csv.gz",
        "9d9168067c57289564fb0b1ebb9e59f6fda984c1a112ab424db011c0114a6cc1",
    ),
}

LOG_DTYPES = {
    "Invoice": str,
    "StockCode": str,
    "Description": str,
    "Quantity": "int64",
    "Price": "float64",
    "Customer ID": str,
    "Country": str,
}
TRUTH_DATES = ("birth", "dropout_time", "last_purchase")


def transactions_path(filename: str) -> Path:
    """Where a shipped transaction file is: inside an installed package, or in data/."""
    packaged = resources.files("segmentation") / "_data" / "transactions" / filename
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "data" / "transactions" / filename


def write_csv(frame: pd.DataFrame, path: str | Path, float_format: str | None = None) -> None:
    """Write a table as CSV the same way every time: dates as "YYYY-MM-DD HH:MM:SS", and
    for a ``.gz`` path gzip level 9 with no time stamp or file name, so that the same table
    gives the same bytes."""
    text = frame.to_csv(index=False, date_format=DATE_FORMAT, float_format=float_format)
    data = text.encode("utf-8")
    if str(path).endswith(".gz"):
        buffer = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
            gz.write(data)
        data = buffer.getvalue()
    Path(path).write_bytes(data)


def checked_path(files: dict[str, tuple[str, str]], name: str, verify: bool) -> Path:
    """The path of a shipped file, after checking its name and, with ``verify``, its sha256."""
    if name not in files:
        raise ValueError(
            f"No shipped transaction log is called {name!r}; use one of {sorted(files)}."
        )
    filename, sha256 = files[name]
    path = transactions_path(filename)
    if not path.is_file():
        raise FileNotFoundError(
            f"The course's transaction file {filename} is missing (looked in {path.parent}). "
            "Restore data/transactions/, or regenerate it with "
            ".venv/bin/python tools/make_transactions.py."
        )
    if verify and file_sha256(path) != sha256:
        raise CourseDataChanged(
            f"{path} has been changed: its checksum is not the course's ({sha256[:12]}...). "
            f"Restore it (in a git checkout: git checkout -- data/transactions/{filename}) or "
            "regenerate it with tools/make_transactions.py; use verify=False to read the "
            "changed copy."
        )
    return path


def read_log(path: str | Path) -> pd.DataFrame:
    """A log CSV in the course's form, with the contract's dtypes."""
    log = pd.read_csv(
        path, dtype=LOG_DTYPES, keep_default_na=False, na_values={"Customer ID": [""]}
    )
    log["InvoiceDate"] = pd.to_datetime(log["InvoiceDate"], format=DATE_FORMAT).astype(
        "datetime64[ns]"
    )
    return log[list(TRANSACTION_COLUMNS)]


def load_transactions(name: str = "wholesale", *, verify: bool = True) -> pd.DataFrame:
    """A shipped SIMULATED raw log, in the UCI layout (TRANSACTION_COLUMNS).

    Parameters
    ----------
    name
        ``"wholesale"`` (the course's 440 customers, 2024 and 2025) or ``"simulated"``
        (50,000 simulated customers).
    verify
        Check the file's sha256 first, so that an edited copy is noticed.

    Examples
    --------
    >>> log = load_transactions()
    >>> list(log.columns)[:3]
    ['Invoice', 'StockCode', 'Description']
    """
    return read_log(checked_path(LOG_FILES, name, verify))


def load_transaction_truth(name: str = "wholesale", *, verify: bool = True) -> pd.DataFrame:
    """The true parameters of each customer of a shipped log (one row per customer)."""
    truth = pd.read_csv(checked_path(TRUTH_FILES, name, verify), dtype={"Customer ID": str})
    for column in TRUTH_DATES:
        if column in truth:
            truth[column] = pd.to_datetime(truth[column], format=DATE_FORMAT).astype(
                "datetime64[ns]"
            )
    return truth
