"""The columns of a customer table: names, codes and what they mean.

One place for the names the reader, the course data, the models and the notebooks share.
"""

from __future__ import annotations

import pandas as pd

#: The six product categories, in the order of the original file. Annual spending, in m.u.
SPENDING_COLUMNS: tuple[str, ...] = (
    "Fresh",
    "Milk",
    "Grocery",
    "Frozen",
    "Detergents_Paper",
    "Delicassen",
)

#: Codes of the original file and the names the course uses for them.
CHANNELS: dict[int, str] = {1: "Horeca", 2: "Retail"}
REGIONS: dict[int, str] = {1: "Lisbon", 2: "Oporto", 3: "Other"}

#: Columns that describe a customer but are not spending: kept aside to check segments with.
LABEL_COLUMNS: tuple[str, ...] = ("Channel", "Region")
LABEL_CODES: dict[str, dict[int, str]] = {"Channel": CHANNELS, "Region": REGIONS}

#: Columns of a tidy customer table, in order.
ALL_COLUMNS: tuple[str, ...] = ("id", *LABEL_COLUMNS, *SPENDING_COLUMNS)

#: Other spellings the reader accepts for a column, lower-cased. The course material writes
#: "Delicatessen" where the original file has "Delicassen".
COLUMN_ALIASES: dict[str, str] = {"delicatessen": "Delicassen"}

_DICTIONARY = [
    # name, meaning, Chinese meaning, type, description
    (
        "id",
        "customer id",
        "客户ID",
        "integer",
        "1 to 440 in file order; not in the original file, added by the course",
    ),
    (
        "Channel",
        "sales channel",
        "渠道",
        "category",
        "Horeca (hotel/restaurant/café, code 1) or Retail (code 2)",
    ),
    ("Region", "region", "区域", "category", "Lisbon (code 1), Oporto (code 2) or Other (code 3)"),
    (
        "Fresh",
        "annual spending on fresh products",
        "生鲜类",
        "integer, m.u.",
        "monetary units spent in one year",
    ),
    (
        "Milk",
        "annual spending on milk products",
        "奶制品",
        "integer, m.u.",
        "monetary units spent in one year",
    ),
    (
        "Grocery",
        "annual spending on grocery products",
        "杂货",
        "integer, m.u.",
        "monetary units spent in one year",
    ),
    (
        "Frozen",
        "annual spending on frozen products",
        "冷冻类",
        "integer, m.u.",
        "monetary units spent in one year",
    ),
    (
        "Detergents_Paper",
        "annual spending on detergents and paper products",
        "洗涤类",
        "integer, m.u.",
        "monetary units spent in one year",
    ),
    (
        "Delicassen",
        "annual spending on delicatessen products",
        "熟食类",
        "integer, m.u.",
        "monetary units spent in one year; the original file's spelling of Delicatessen",
    ),
]


def data_dictionary() -> pd.DataFrame:
    """The data dictionary of a customer table, one row per column.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``meaning``, ``chinese`` (the meaning in Chinese), ``type`` and
        ``description``, in the order of :data:`ALL_COLUMNS`.

    Examples
    --------
    >>> data_dictionary().set_index("name").loc["Milk", "chinese"]
    '奶制品'
    """
    return pd.DataFrame(_DICTIONARY, columns=["name", "meaning", "chinese", "type", "description"])
