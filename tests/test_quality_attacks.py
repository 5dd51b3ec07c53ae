"""The quality report against files made to break it: ids that would drive a terminal or
reverse the text around them, the reader's notes, a column or a customer with no value at
all, too few customers for Tukey's fences, a column whose fences collapse, and counts in the
thousands."""

from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from segmentation.cli import main
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.quality.report import MIN_FENCE_CUSTOMERS, quality_report

HEADER = "id,Channel,Region,Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n"
# An id that sets the terminal's title and turns its text red, and one that reverses the
# text after it (it shows as "exe.png").
HOSTILE = ["\x1b]0;pwned\x07\x1b[31mRED", "\u202egnp.exe"]
SHOWN = ["\\x1b]0;pwned\\x07\\x1b[31mRED", "\\u202egnp.exe"]
RAW = ("\x1b", "\x07", "\u202e")


def spread_rows(count, first_id=1):
    """``count`` customers spending 100 * 1.1^i in every column: evenly spread on the log
    scale (steps of log 1.1 = 0.095), so that no one lies outside the fences."""
    return [f"{first_id + i},1,1," + ",".join([f"{100 * 1.1**i:.0f}"] * 6) for i in range(count)]


def write(folder, rows, header=HEADER, name="customers.csv"):
    path = folder / name
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def quality(*args):
    return main(["quality", *map(str, args)])


class Text(HTMLParser):
    def __init__(self, page):
        super().__init__()
        self.parts = []
        self.feed(page)

    def handle_data(self, data):
        self.parts.append(data)


@pytest.fixture
def hostile(tmp_path):
    # 22 ordinary customers, and the two hostile ids, who spend 1 m.u. in every column:
    # far below the lower fence everywhere, so outliers and extreme customers.
    rows = spread_rows(22) + [f"{name},1,1,1,1,1,1,1,1" for name in HOSTILE]
    return write(tmp_path, rows)


def test_hostile_ids_are_escaped_in_the_printed_report(hostile, capsys):
    assert quality(hostile) == 0
    out = capsys.readouterr().out
    assert not any(raw in out for raw in RAW)
    fresh = next(line for line in out.splitlines() if line.strip().startswith("Fresh"))
    assert fresh.endswith(f"{SHOWN[0]}, {SHOWN[1]}")  # the first outliers' ids
    said = " ".join(out.split("What to do:")[1].split())
    assert f"2 customers extreme in 2 or more categories (ids {SHOWN[0]}, {SHOWN[1]})" in said


def test_hostile_ids_are_escaped_in_the_page_and_the_summary(hostile, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert quality(hostile, "-o", out) == 0
    summary = capsys.readouterr().out
    assert not any(raw in summary for raw in RAW)
    assert f"(ids {SHOWN[0]}, {SHOWN[1]})" in summary
    page = out.read_text(encoding="utf-8")
    assert not any(raw in page for raw in RAW)
    text = "".join(Text(page).parts)
    assert f"{SHOWN[0]}, {SHOWN[1]}" in text


def test_the_readers_notes_are_in_the_text_and_on_the_page(tmp_path, capsys):
    # A column the course does not use (its name would turn the terminal red) and a blank
    # row: the reader reads the file and notes both.
    header = HEADER.replace("\n", ",Note\x1b[31m\n")
    rows = [row + ",x" for row in spread_rows(3)]
    data = write(tmp_path, [rows[0], ",,,,,,,,,", *rows[1:]], header=header)
    report = quality_report(data)
    assert len(report.notes) == 2
    assert any("Note\\x1b[31m" in note for note in report.notes)
    assert any("blank row 3 skipped" in note for note in report.notes)
    text = report.text()
    assert "Notes from reading the file:" in text and "\x1b" not in text
    for note in report.notes:
        assert note in " ".join(text.split())
    out = tmp_path / "report.html"
    assert quality(data, "-o", out) == 0
    page = out.read_text(encoding="utf-8")
    assert "Notes from reading the file" in page and "\x1b" not in page
    shown = " ".join(Text(page).parts)
    assert all(note in shown for note in report.notes)


# --- what the reader refuses for a model, the report reports ----------------------------------


def test_a_column_with_no_value_is_a_finding(tmp_path, capsys):
    rows = [row.split(",") for row in spread_rows(3)]
    for row in rows:
        row[5] = ""  # Grocery
    data = write(tmp_path, [",".join(row) for row in rows])
    assert quality(data) == 0
    printed = capsys.readouterr()
    said = " ".join(printed.out.split("What to do:")[1].split())
    assert "- Grocery 100% missing (all 3 customers): fill the column in from the source" in said
    assert "values missing" not in said  # not advised to impute what cannot be
    assert printed.err == ""


def test_a_customer_with_no_spending_value_is_a_finding(tmp_path, capsys):
    rows = spread_rows(3)
    rows.insert(1, "9,1,1,,,,,,")  # row 3 of the file
    data = write(tmp_path, rows)
    assert quality(data) == 0
    said = " ".join(capsys.readouterr().out.split("What to do:")[1].split())
    assert (
        "- 1 customer with no spending value at all (row 3): such a customer cannot be "
        "segmented" in said
    )
    assert "values missing" not in said  # its six gaps are that finding, not imputation's


def test_one_customer_with_one_gap_is_reported(tmp_path, capsys):
    data = write(tmp_path, ["1,1,1,10,,30,40,50,60"])
    assert quality(data) == 0
    said = " ".join(capsys.readouterr().out.split("What to do:")[1].split())
    assert "- Milk 100% missing (all 1 customer)" in said
    assert "too few customers for Tukey's fences (only 1 customer with a value)" in said


# --- when Tukey's fences say nothing -----------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, MIN_FENCE_CUSTOMERS - 1])
def test_too_few_customers_for_the_fences_is_said(count):
    table = pd.DataFrame({c: 100 * 1.1 ** np.arange(count) for c in SPENDING_COLUMNS})
    findings = dict(quality_report(table).advice())
    plural = "" if count == 1 else "s"
    finding = f"too few customers for Tukey's fences (only {count} customer{plural} with a value)"
    assert list(findings) == [finding]
    assert f"at least {MIN_FENCE_CUSTOMERS} customers" in findings[finding]
    assert "nothing found" not in findings


def test_enough_customers_for_the_fences_is_not_remarked():
    table = pd.DataFrame({c: 100 * 1.1 ** np.arange(MIN_FENCE_CUSTOMERS) for c in SPENDING_COLUMNS})
    assert [finding for finding, _ in quality_report(table).advice()] == ["nothing found"]


def test_a_column_whose_fences_collapse_has_no_outliers():
    # 24 customers. Milk: 4 below 500, 15 at 500, 5 above. The quartiles (positions 5.75 and
    # 17.25 of 0 to 23) both fall among the 500s: Q1 = Q3, the fences are both at log 501,
    # and would flag the 9 other values, the ones next to 500 (400, 600) included.
    table = pd.DataFrame({c: 100 * 1.1 ** np.arange(24) for c in SPENDING_COLUMNS})
    table["Milk"] = [100, 200, 300, 400] + [500] * 15 + [600, 700, 800, 900, 1000]
    report = quality_report(table)
    milk = report.columns[1]
    assert (milk.outliers, milk.outlier_ids, milk.collapsed_at, milk.would_flag) == (
        0,
        (),
        500,
        9,
    )
    findings = dict(report.advice())
    assert list(findings) == ["Milk's fences collapse"]
    assert "spend the same (500 m.u.)" in findings["Milk's fences collapse"]
    assert "all 9 other values" in findings["Milk's fences collapse"]
    assert report.extreme == ()


def test_counts_in_the_thousands_have_separators():
    # 1,200 customers; 1,100 of them bought no fresh food.
    table = pd.DataFrame({c: 100 * 1.001 ** np.arange(1200) for c in SPENDING_COLUMNS})
    table.loc[:1099, "Fresh"] = 0.0
    lines = quality_report(table).text().splitlines()
    assert lines[0].startswith("Data quality of the customer table: 1,200 customers")
    fresh = next(line for line in lines if line.strip().startswith("Fresh"))
    assert fresh.split()[:4] == ["Fresh", "0", "0.0%", "1,100"]
    said = " ".join("\n".join(lines).split("What to do:")[1].split())
    assert "1,100 zeros (Fresh 1,100)" in said
    assert "Fresh's fences collapse: half or more of its customers spend the same (0 m.u.)" in said
    assert "all 100 other values" in said
