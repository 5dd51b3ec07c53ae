"""The course data: intact, and loaded as the course shows it."""

import csv
import hashlib
import re

import numpy as np
import pandas as pd
import pytest

from segmentation.data import shipped as data
from segmentation.data.schema import ALL_COLUMNS, SPENDING_COLUMNS, data_dictionary
from segmentation.data.shipped import SHA256, course_data_path, load_customers

#: Mean spending per column of the UCI file (m.u. per year, to the cent): a quick check that a
#: copy is intact and read whole.
KNOWN_MEANS = {
    "Fresh": 12000.30,
    "Milk": 5796.27,
    "Grocery": 7951.28,
    "Frozen": 3071.93,
    "Detergents_Paper": 2881.49,
    "Delicassen": 1524.87,
}


def sums_by_hand():
    """Each spending column of the course's file summed by hand, read with the csv module
    (not the course's reader); and the number of customers."""
    with course_data_path().open(newline="", encoding="ascii") as file:
        rows = list(csv.DictReader(file))
    sums = dict.fromkeys(SPENDING_COLUMNS, 0)
    for row in rows:
        for column in SPENDING_COLUMNS:
            sums[column] += int(row[column])
    return sums, len(rows)


def test_the_data_file_is_the_uci_file_unchanged():
    assert hashlib.sha256(course_data_path().read_bytes()).hexdigest() == SHA256


def test_the_known_means():
    """The file's means are the known ones, summed by hand; the loaded table holds the same
    whole-number sums, so the reader lost, added or changed no value."""
    sums, count = sums_by_hand()
    assert count == 440
    assert {column: round(total / count, 2) for column, total in sums.items()} == KNOWN_MEANS
    customers = load_customers()
    assert {column: int(customers[column].sum()) for column in SPENDING_COLUMNS} == sums


def test_the_tidy_table():
    customers = load_customers()
    assert list(customers.columns) == list(ALL_COLUMNS)
    assert customers.shape == (440, 9)
    assert customers["id"].tolist() == list(range(1, 441))
    assert customers["Channel"].value_counts().to_dict() == {"Horeca": 298, "Retail": 142}
    assert customers["Region"].value_counts().to_dict() == {
        "Other": 316,
        "Lisbon": 77,
        "Oporto": 47,
    }
    assert list(customers["Region"].cat.categories) == ["Lisbon", "Oporto", "Other"]
    for column in SPENDING_COLUMNS:
        assert customers[column].dtype == np.int64
    # The first customer of the file, as the course material shows it.
    first = customers.iloc[0]
    assert (first["Channel"], first["Region"], first["Fresh"], first["Delicassen"]) == (
        "Retail",
        "Other",
        12669,
        1338,
    )


def test_a_changed_copy_is_refused(tmp_path, monkeypatch):
    changed = tmp_path / "wholesale_customers.csv"
    changed.write_bytes(course_data_path().read_bytes().replace(b"12669", b"12670", 1))
    monkeypatch.setattr(data, "course_data_path", lambda: changed)
    with pytest.raises(
        data.CourseDataChanged, match=re.escape("git checkout -- data/wholesale_customers.csv")
    ):
        load_customers()
    assert load_customers(verify=False)["Fresh"].iloc[0] == 12670


def test_the_data_dictionary():
    dictionary = data_dictionary()
    assert list(dictionary.columns) == ["name", "meaning", "chinese", "type", "description"]
    assert dictionary["name"].tolist() == list(ALL_COLUMNS)
    chinese = dict(zip(dictionary["name"], dictionary["chinese"], strict=True))
    assert chinese == {
        "id": "客户ID",
        "Channel": "渠道",
        "Region": "区域",
        "Fresh": "生鲜类",
        "Milk": "奶制品",
        "Grocery": "杂货",
        "Frozen": "冷冻类",
        "Detergents_Paper": "洗涤类",
        "Delicassen": "熟食类",
    }
    assert dictionary.notna().all().all() and (dictionary != "").all().all()


def test_the_data_readme_states_the_checksum_and_licence():
    readme = (course_data_path().parent / "README.md").read_text(encoding="utf-8")
    assert SHA256 in readme
    assert "CC BY 4.0" in readme and "10.24432/C5030X" in readme


def test_the_data_dictionary_matches_the_table():
    customers = load_customers()
    kinds = dict(zip(data_dictionary()["name"], data_dictionary()["type"], strict=True))
    for column, kind in kinds.items():
        if kind == "category":
            assert isinstance(customers[column].dtype, pd.CategoricalDtype)
        else:
            assert customers[column].dtype == np.int64
