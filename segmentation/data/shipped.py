"""The course data: the UCI Wholesale customers file that ships with the course.

The data is read from the installed package (or the source tree), never from the notebook's
working folder and never from the network.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import pandas as pd

from segmentation.data.reader import read_customer_csv
from segmentation.data.schema import data_dictionary  # noqa: F401  (part of this module's interface)

FILENAME = "wholesale_customers.csv"

#: sha256 of the UCI file, unchanged; see data/README.md.
SHA256 = "d0213b7d856bc7f98f2f52a86bedb5cb57d5b8e19959605e75bd4532d4ee0896"


def course_data_path() -> Path:
    """The path of the course's copy of the Wholesale customers file.

    An installed wheel carries it inside the package; a source checkout has it in ``data/``.
    """
    packaged = resources.files("segmentation") / "_data" / FILENAME
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "data" / FILENAME


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file, as 64 hex digits."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class CourseDataChanged(RuntimeError):
    """The course's data file is not the one the course was written for."""


def load_customers(*, verify: bool = True) -> pd.DataFrame:
    """The 440 customers of the course, as a tidy table.

    Parameters
    ----------
    verify
        Check the file's checksum first, so that a copy edited by accident is noticed before
        it changes every number in the course.

    Returns
    -------
    pandas.DataFrame
        440 rows; ``id`` 1 to 440 in file order, ``Channel`` (Horeca / Retail) and ``Region``
        (Lisbon / Oporto / Other) as categories, and the six spending columns as integers.

    Examples
    --------
    >>> customers = load_customers()
    >>> customers.shape
    (440, 9)
    >>> customers["Channel"].value_counts().to_dict()
    {'Horeca': 298, 'Retail': 142}
    """
    path = course_data_path()
    if verify and path.is_file() and file_sha256(path) != SHA256:
        raise CourseDataChanged(
            f"{path} has been changed: its checksum is not the course's ({SHA256[:12]}...). "
            "Restore it (in a git checkout: git checkout -- data/wholesale_customers.csv) or "
            "reinstall the course; use load_customers(verify=False) to read the changed copy."
        )
    return read_customer_csv(path, require_labels=True)
