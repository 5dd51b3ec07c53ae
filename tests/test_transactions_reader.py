"""The transaction log reader: what it accepts, and how it refuses everything else."""

import warnings

import numpy as np
import pandas as pd
import pytest

from segmentation.data.problems import MAX_PROBLEMS, CustomerFileError, CustomerFileWarning
from segmentation.transactions.layout import TRANSACTION_COLUMNS
from segmentation.transactions.read_careful import TransactionCarefulReader
from segmentation.transactions.reader import read_transactions, validate_transactions

HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"
ROWS = [
    "489434,10001,FRESH VEGETABLES CRATE,12,2009-12-01 07:45:00,18.5,13085,United Kingdom",
    'C489435,20002,"YOGHURT TRAY, 24 POTS",-2,2009-12-01 08:00:00,11.4,13085,United Kingdom',
    "489436,85048,UNKNOWN LAMP,6,2009-12-02 09:30:00,6.95,,France",
]
GOOD = HEADER + "\n" + "\n".join(ROWS) + "\n"


def expected_good() -> pd.DataFrame:
    """The log of GOOD, written out by hand."""
    return pd.DataFrame(
        {
            "Invoice": pd.array(["489434", "C489435", "489436"], dtype="str"),
            "StockCode": pd.array(["10001", "20002", "85048"], dtype="str"),
            "Description": pd.array(
                ["FRESH VEGETABLES CRATE", "YOGHURT TRAY, 24 POTS", "UNKNOWN LAMP"], dtype="str"
            ),
            "Quantity": np.array([12, -2, 6], dtype=np.int64),
            "InvoiceDate": np.array(
                ["2009-12-01T07:45", "2009-12-01T08:00", "2009-12-02T09:30"],
                dtype="datetime64[ns]",
            ),
            "Price": [18.5, 11.4, 6.95],
            "Customer ID": pd.array(["13085", "13085", None], dtype="str"),
            "Country": pd.array(["United Kingdom", "United Kingdom", "France"], dtype="str"),
        }
    )


def careful_log(text: str) -> pd.DataFrame | None:
    """The log as the careful reader alone builds it (the fast path must agree)."""
    from segmentation.data.problems import Validation

    result = Validation("log.csv")
    reader = TransactionCarefulReader(text.lstrip("\ufeff"), result)
    layout = reader.read_header()
    assert layout is not None, result.errors
    return reader.read_rows(layout)


def refused(path) -> list:
    with pytest.raises(CustomerFileError) as info:
        read_transactions(path)
    return info.value.problems


def only_problem(path):
    found = refused(path)
    assert len(found) == 1, found
    return found[0]


def test_a_good_log_reads_as_written_by_hand(write_file):
    log = read_transactions(write_file(GOOD, "log.csv"))
    pd.testing.assert_frame_equal(log, expected_good())
    assert tuple(log.columns) == TRANSACTION_COLUMNS


def _swap(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


VARIANTS = {
    "crlf": GOOD.replace("\n", "\r\n"),
    "bom": "\ufeff" + GOOD,
    "no final newline": GOOD.rstrip("\n"),
    "old UCI names": _swap(
        _swap(_swap(GOOD, "Invoice,", "InvoiceNo,"), "Price,", "UnitPrice,"),
        "Customer ID",
        "CustomerID",
    ),
    "letter case": _swap(GOOD, "Invoice,StockCode", "INVOICE,stockcode"),
    "ids with .0": GOOD.replace(",13085,", ",13085.0,"),
    "spaces around values": GOOD.replace(",12,", ", 12 ,").replace(",France", ", France "),
    "Excel dates": GOOD.replace("2009-12-01 07:45:00", "12/1/2009 7:45")
    .replace("2009-12-01 08:00:00", "12/01/2009 08:00")
    .replace("2009-12-02 09:30:00", "12/2/2009 9:30"),
    "dates without seconds": GOOD.replace(":00,", ","),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_harmless_variants_read_the_same_by_both_readers(write_file, variant):
    text = VARIANTS[variant]
    log = read_transactions(write_file(text, "log.csv"))
    pd.testing.assert_frame_equal(log, expected_good())
    pd.testing.assert_frame_equal(careful_log(text), expected_good())


def test_columns_in_another_order_and_extra_columns(write_file):
    frame = pd.read_csv(pd.io.common.StringIO(GOOD), dtype=str, keep_default_na=False)
    frame.insert(0, "Notes", ["a", "b", "c"])
    text = frame[["Notes", *reversed(TRANSACTION_COLUMNS)]].to_csv(index=False)
    with pytest.warns(CustomerFileWarning, match=r"column 1 \('Notes'\) .* ignored"):
        log = read_transactions(write_file(text, "log.csv"))
    pd.testing.assert_frame_equal(log, expected_good())


def test_description_and_country_may_be_missing(write_file):
    text = (
        "Invoice,StockCode,Quantity,InvoiceDate,Price,Customer ID\n1,A1,3,2010-01-04 10:00,2.5,7\n"
    )
    log = read_transactions(write_file(text, "log.csv"))
    assert log.loc[0, "Description"] == "" and log.loc[0, "Country"] == ""
    assert log.loc[0, "Customer ID"] == "7"


def test_uci_style_rows(write_file):
    """Rows as the UCI workbook saved to CSV has them: a cancellation, a guest, a bad-debt
    adjustment with a negative price, prices with many decimals, stock codes with letters."""
    text = (
        "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
        "489434,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,12,12/1/2009 7:45,6.95,13085.0,"
        "United Kingdom\n"
        "C489449,22087,PAPER BUNTING WHITE LACE,-12,12/1/2009 10:33,2.95,16321.0,Australia\n"
        "489464,21733,85123a mixed,-96,12/1/2009 10:52,0.0,,United Kingdom\n"
        "A563186,B,Adjust bad debt,1,8/12/2011 14:51,-11062.06,,United Kingdom\n"
        "489488,POST,POSTAGE,1,12/1/2009 12:23,18.000001,12682.0,France\n"
    )
    path = write_file(text, "uci.csv")
    log = read_transactions(path)
    assert log["Invoice"].tolist() == ["489434", "C489449", "489464", "A563186", "489488"]
    assert log["Quantity"].tolist() == [12, -12, -96, 1, 1]
    assert log["Customer ID"].isna().tolist() == [False, False, True, True, False]
    assert log.loc[1, "Customer ID"] == "16321"
    assert log.loc[3, "InvoiceDate"] == pd.Timestamp("2011-08-12 14:51")
    assert log.loc[4, "Price"] == pytest.approx(18.000001)
    pd.testing.assert_frame_equal(careful_log(text), log)


# --- refused ---------------------------------------------------------------------------------

ROW2 = ROWS[0]


@pytest.mark.parametrize(
    ("old", "new", "column", "phrase"),
    [
        (",12,", ",1.5,", "Quantity", "'1.5' is not a whole number"),
        (",12,", ",twelve,", "Quantity", "'twelve' is not a number"),
        (",12,", ",,", "Quantity", "the quantity is blank"),
        (",12,", ",2000000,", "Quantity", "more than 1,000,000"),
        (",18.5,", ",18.5 EUR,", "Price", "'18.5 EUR' is not a number"),
        (",18.5,", ",20000000,", "Price", "more than 10,000,000 m.u."),
        ("2009-12-01 07:45:00", "31/12/2009 07:45", "InvoiceDate", "is not a date"),
        ("2009-12-01 07:45:00", "", "InvoiceDate", "the date is blank"),
        ("489434,", ",", "Invoice", "the invoice number is blank"),
        (",10001,", ", ,", "StockCode", "the stock code is blank"),
        (",13085,", ",ABC123,", "Customer ID", "'ABC123' is not a customer id"),
        (",13085,", ",13085.5,", "Customer ID", "not a customer id"),
    ],
)
def test_a_bad_value_is_refused_with_row_column_and_value(write_file, old, new, column, phrase):
    text = HEADER + "\n" + ROWS[1] + "\n" + ROW2.replace(old, new, 1) + "\n"
    problem = only_problem(write_file(text, "log.csv"))
    assert phrase in problem.message
    assert problem.row == 3 and problem.column == column
    assert problem.hint  # says what to do
    described = problem.describe("log.csv")
    assert described.startswith(f"log.csv, row 3, column {column}: ")


def test_an_unreadable_date_names_the_accepted_formats(write_file):
    text = GOOD.replace("2009-12-02 09:30:00", "2 Dec 2009")
    problem = only_problem(write_file(text, "log.csv"))
    assert (problem.row, problem.column) == (4, "InvoiceDate")
    assert "YYYY-MM-DD HH:MM:SS" in problem.hint and "M/D/YYYY H:MM" in problem.hint


def test_missing_columns_are_each_named(write_file):
    text = "Invoice,Description,Quantity,Price,Country\n1,x,1,2.0,UK\n"
    found = refused(write_file(text, "log.csv"))
    assert [(p.column, p.row) for p in found] == [
        ("StockCode", 1),
        ("InvoiceDate", 1),
        ("Customer ID", 1),
    ]
    assert all("the column is missing" in p.message for p in found)


def test_a_short_row_is_refused_even_where_customer_id_is_last(write_file):
    text = "Invoice,StockCode,Quantity,InvoiceDate,Price,Customer ID\n1,A,1,2010-01-04 10:00,2.5\n"
    problem = only_problem(write_file(text, "log.csv"))
    assert problem.row == 2 and "has 5 values but the header names 6" in problem.message


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b"", "the file is empty"),
        (b"PK\x03\x04rest", "an Excel workbook"),
        (b"Invoice;StockCode;Quantity\n", "separated by ';'"),
        (GOOD.encode("utf-16"), "UTF-16"),
        (GOOD.replace("France", "Fran\xe7a").encode("latin-1"), "not UTF-8"),
        (b"1,2,3\n4,5,6\n", "no header line"),
    ],
)
def test_a_file_that_is_not_a_transaction_csv_is_refused(write_file, content, phrase):
    problem = refused(write_file(content, "log.csv"))[0]
    assert phrase in problem.message


def test_a_folder_and_a_missing_file_are_refused(tmp_path):
    assert "folder" in refused(tmp_path)[0].message
    assert "no such file" in refused(tmp_path / "none.csv")[0].message


def test_problems_are_capped_and_counted(write_file):
    bad = ROW2.replace(",12,", ",x,")
    text = HEADER + "\n" + "\n".join([bad] * (MAX_PROBLEMS + 7)) + "\n"
    result = validate_transactions(write_file(text, "log.csv"))
    assert not result.ok and result.frame is None
    assert len(result.errors) == MAX_PROBLEMS and result.total_errors == MAX_PROBLEMS + 7
    assert "... and 7 more" in str(result.error())
    assert [p.row for p in result.errors[:3]] == [2, 3, 4]


def test_values_are_shown_escaped_and_cut(write_file):
    text = GOOD.replace(",12,", ",\x1b[2J" + "9" * 60 + ",", 1)
    problem = only_problem(write_file(text, "log.csv"))
    message = str(CustomerFileError("log.csv", [problem], 1))
    assert "\x1b" not in message and "\\x1b[2J" in message
    assert "(64 characters)" in message


def test_blank_rows_are_noted_not_silently_dropped(write_file):
    text = GOOD.replace("\n489436", "\n\n489436")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        log = read_transactions(write_file(text, "log.csv"))
    assert len(log) == 3
    assert any("blank row 4 skipped" in str(w.message) for w in caught)


def test_validate_never_raises_and_returns_the_frame(write_file):
    good = validate_transactions(write_file(GOOD, "log.csv"))
    assert good.ok and good.frame is not None and len(good.frame) == 3
    bad = validate_transactions(write_file(b"\x00\x01", "bin.csv"))
    assert not bad.ok and "binary data" in bad.errors[0].message


def test_a_quoted_line_break_in_a_description_is_one_value(write_file):
    text = GOOD.replace("UNKNOWN LAMP", '"UNKNOWN\nLAMP"')
    log = read_transactions(write_file(text, "log.csv"))
    assert log.loc[2, "Description"] == "UNKNOWN\nLAMP"
