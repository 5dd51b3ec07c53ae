"""The customer CSV reader: what it tolerates, and how it refuses everything else."""

import warnings

import numpy as np
import pandas as pd
import pytest

from segmentation.data.careful import CarefulReader
from segmentation.data.reader import (
    MAX_PROBLEMS,
    CustomerFileError,
    CustomerFileWarning,
    read_customer_csv,
    validate_customer_csv,
)

HEADER = "Channel,Region,Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen"
ROWS = ["2,3,12669,9656,7561,214,2674,1338", "1,1,13265,1196,4221,6404,507,1788"]
GOOD = HEADER + "\n" + "\n".join(ROWS) + "\n"


def expected_good() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": np.array([1, 2], dtype=np.int64),
            "Channel": pd.Categorical(["Retail", "Horeca"], categories=["Horeca", "Retail"]),
            "Region": pd.Categorical(["Other", "Lisbon"], categories=["Lisbon", "Oporto", "Other"]),
            "Fresh": np.array([12669, 13265]),
            "Milk": np.array([9656, 1196]),
            "Grocery": np.array([7561, 4221]),
            "Frozen": np.array([214, 6404]),
            "Detergents_Paper": np.array([2674, 507]),
            "Delicassen": np.array([1338, 1788]),
        }
    )


def problems(path, **kwargs):
    """The problems the reader reports for a file it must refuse."""
    with pytest.raises(CustomerFileError) as info:
        read_customer_csv(path, **kwargs)
    return info.value.problems


def only_problem(path, **kwargs):
    found = problems(path, **kwargs)
    assert len(found) == 1, found
    return found[0]


# --- tolerated -----------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["plain", "bom", "crlf", "spaces", "tabs", "no final newline"])
def test_harmless_variations_read_the_same(write_file, variant):
    text = {
        "plain": GOOD,
        "bom": "\ufeff" + GOOD,
        "crlf": GOOD.replace("\n", "\r\n"),
        "spaces": " Channel , Region,Fresh ,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n"
        + "\n".join(" " + r.replace(",", " , ") + "  " for r in ROWS)
        + "\n",
        "tabs": GOOD.replace(",", "\t,"),
        "no final newline": GOOD.rstrip("\n"),
    }[variant]
    pd.testing.assert_frame_equal(read_customer_csv(write_file(text)), expected_good())


def test_columns_in_any_order_any_case_and_the_delicatessen_spelling(write_file):
    header = "delicatessen,FRESH,Region,milk,Grocery,Frozen,Detergents_Paper,Channel"
    rows = ["1338,12669,3,9656,7561,214,2674,2", "1788,13265,1,1196,4221,6404,507,1"]
    frame = read_customer_csv(write_file(header + "\n" + "\n".join(rows) + "\n"))
    pd.testing.assert_frame_equal(frame, expected_good())


def test_channel_and_region_by_name(write_file):
    text = GOOD.replace("2,3,12669", "retail,Other,12669").replace(
        "1,1,13265", "HORECA,lisbon,13265"
    )
    pd.testing.assert_frame_equal(read_customer_csv(write_file(text)), expected_good())


def test_an_id_column_is_kept_as_written(write_file):
    frame = read_customer_csv(
        write_file("id," + HEADER + "\n17," + ROWS[0] + "\n5," + ROWS[1] + "\n")
    )
    assert frame["id"].tolist() == [17, 5]
    assert frame["id"].dtype == np.int64
    text_ids = read_customer_csv(
        write_file("ID," + HEADER + "\nC-007," + ROWS[0] + "\n007," + ROWS[1])
    )
    assert text_ids["id"].tolist() == ["C-007", "007"]  # leading zeros are not lost


def test_decimal_spending_is_kept(write_file):
    frame = read_customer_csv(write_file(GOOD.replace("12669", "12669.5")))
    assert frame["Fresh"].dtype == np.float64
    assert frame["Fresh"].tolist() == [12669.5, 13265.0]
    assert frame["Milk"].dtype == np.int64


def test_labels_are_optional_unless_required(write_file):
    header = "Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen"
    path = write_file(header + "\n1,2,3,4,5,6\n")
    with pytest.warns(CustomerFileWarning) as caught:
        frame = read_customer_csv(path)
    assert [str(w.message).split(": ", 1)[1] for w in caught] == [
        "there is no Channel column; the table has none.",
        "there is no Region column; the table has none.",
    ]
    assert list(frame.columns) == ["id", *header.split(",")]
    missing = problems(path, require_labels=True)
    assert [(p.column, p.message) for p in missing] == [
        ("Channel", "the column is missing."),
        ("Region", "the column is missing."),
    ]


def test_an_unknown_column_is_ignored_with_a_note(write_file):
    path = write_file("Name," + HEADER + "\nAna," + ROWS[0] + "\n")
    with pytest.warns(CustomerFileWarning, match=r"column 1 \('Name'\) is not one the course uses"):
        frame = read_customer_csv(path)
    assert "Name" not in frame


def test_blank_lines_are_skipped_with_a_note_never_silently(write_file):
    path = write_file(HEADER + "\n" + ROWS[0] + "\n\n   \n" + ROWS[1] + "\n\n")
    result = validate_customer_csv(path)
    assert result.ok and len(result.frame) == 2
    assert [n.message for n in result.notes] == ["blank rows 3, 4, 6 skipped."]
    with pytest.warns(CustomerFileWarning, match="blank rows 3, 4, 6 skipped"):
        read_customer_csv(path)


def test_good_file_reads_without_warnings(write_file):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_customer_csv(write_file(GOOD))


# --- refused: the whole file ---------------------------------------------------------------


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "the file is empty."),
        (b"  \n\r\n", "the file is empty."),
        (
            b"PK\x03\x04\x14\x00\x06\x00",
            "this is an Excel workbook (.xlsx) or another zip archive, not a CSV text file.",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1",
            "this is an old-style Excel workbook (.xls), not a CSV text file.",
        ),
        (b"%PDF-1.7\n", "this is a PDF document, not a CSV text file."),
        ("\ufeffChannel,Region\n".encode("utf-16"), "the file is saved as UTF-16 text."),
    ],
)
def test_files_that_are_not_csv_text(write_file, content, message):
    problem = only_problem(write_file(content))
    assert problem.message == message
    assert problem.hint  # always says what to do


def test_binary_data_names_the_row(write_file):
    problem = only_problem(write_file(GOOD.encode() + b"1,2,\x00\x01\x02\n"))
    assert problem.row == 4
    assert "not text" in problem.message


def test_latin1_text_names_the_row_and_the_byte(write_file):
    problem = only_problem(
        write_file(("id," + HEADER + "\n1," + ROWS[0] + "\nJosé," + ROWS[1]).encode("latin-1"))
    )
    assert problem.row == 3
    assert "0xE9" in problem.message and "not UTF-8" in problem.message
    assert "CSV UTF-8" in problem.hint


def test_a_header_with_no_rows(write_file):
    assert (
        only_problem(write_file(HEADER + "\n")).message
        == "the file has a header but no customer rows."
    )


def test_a_file_without_a_header(write_file):
    problem = only_problem(write_file("\n".join(ROWS) + "\n"))
    assert problem.row == 1 and "no header line" in problem.message


@pytest.mark.parametrize("delimiter, shown", [(";", "';'"), ("\t", "tabs"), ("|", "'|'")])
def test_another_delimiter(write_file, delimiter, shown):
    problem = only_problem(write_file(GOOD.replace(",", delimiter)))
    assert problem.row == 1
    assert problem.message == f"values are separated by {shown}, not commas."


def test_missing_columns_are_each_named(write_file):
    header = "Channel,Region,Fresh,Grocery,Frozen,Detergents_Paper"
    found = problems(write_file(header + "\n1,1,1,1,1,1\n"))
    assert [(p.row, p.column) for p in found] == [(1, "Milk"), (1, "Delicassen")]


def test_a_misspelt_column_is_suggested(write_file):
    problem = only_problem(write_file(GOOD.replace("Grocery", "Grocry")))
    assert problem.column == "Grocery"
    assert "column 5 is named 'Grocry': is that it?" in problem.message


def test_a_column_twice(write_file):
    problem = only_problem(write_file("Milk," + GOOD.replace("\n", "\n1,", 1)))
    assert problem.column == "Milk" and "columns 1 and 5" in problem.message


def test_broken_quotes(write_file):
    problem = only_problem(write_file(GOOD + '1,1,"5,5,5,5,5,5\n2,2,1,1,1,1,1,1\n'))
    assert problem.row == 4 and "quoting is broken" in problem.message


def test_missing_file_and_folder(tmp_path):
    assert "no such file" in only_problem(tmp_path / "nope.csv").message
    assert "folder, not a file" in only_problem(tmp_path).message


# --- refused: values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "the value is blank."),
        ("  ", "the value is blank."),
        ("12a", "'12a' is not a number."),
        ("€12", "'€12' is not a number."),
        ("1.2.3", "'1.2.3' is not a number."),
        ("NaN", "'NaN' marks a missing value."),
        ("NA", "'NA' marks a missing value."),
        ("inf", "'inf' is not a finite number."),
        ("-Infinity", "'-Infinity' is not a finite number."),
        ("-5", "'-5' is negative; spending cannot be below 0."),
        (
            "1e999",
            "'1e999' is more than 10,000,000 m.u., too large to be one customer's annual "
            "spending in one category.",
        ),
        (
            "20000000",
            "'20000000' is more than 10,000,000 m.u., too large to be one customer's annual "
            "spending in one category.",
        ),
    ],
)
def test_bad_spending_names_row_column_and_value(write_file, value, message):
    problem = only_problem(write_file(GOOD.replace(",1196,", f",{value},")))
    assert (problem.row, problem.column, problem.value) == (3, "Milk", value.strip())
    assert problem.message == message
    assert problem.hint


def test_the_spending_limit_can_be_raised(write_file):
    path = write_file(GOOD.replace("12669", "20000000"))
    assert read_customer_csv(path, max_spending=1e8)["Fresh"].iloc[0] == 20_000_000


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("Channel", "3", "'3' is not a Channel."),
        ("Channel", "Online", "'Online' is not a Channel."),
        ("Channel", "", "the value is blank."),
        ("Region", "0", "'0' is not a Region."),
        ("Region", "4", "'4' is not a Region."),
    ],
)
def test_label_codes_that_do_not_exist(write_file, column, value, message):
    row = ROWS[1].split(",")
    row[0 if column == "Channel" else 1] = value
    problem = only_problem(write_file(HEADER + "\n" + ROWS[0] + "\n" + ",".join(row) + "\n"))
    assert (problem.row, problem.column, problem.message) == (3, column, message)
    assert "1 (" in problem.hint  # lists the codes that do exist


def test_duplicate_and_blank_ids(write_file):
    text = (
        "id,"
        + HEADER
        + "\n"
        + "\n".join(f"{i}," + ROWS[0] for i in ["a", "b", "a", " ", "b"])
        + "\n"
    )
    found = problems(write_file(text))
    assert [(p.row, p.column, p.message) for p in found] == [
        (4, "id", "id 'a' is also on row 2."),
        (5, "id", "the id is blank."),
        (6, "id", "id 'b' is also on row 3."),
    ]


@pytest.mark.parametrize(
    "row, count",
    [
        ("2,3,12669,9656,7561,214,2674", 7),
        ("2,3,12669,9656,7561,214,2674,1338,9", 9),
        ("2,3,12,669,9656,7561,214,2674,1338", 9),
    ],
)
def test_rows_with_too_few_or_too_many_fields(write_file, row, count):
    problem = only_problem(write_file(GOOD + row + "\n"))
    assert problem.row == 4
    assert problem.message == f"the row has {count} values but the header names 8 columns."


def test_a_repeated_header_line(write_file):
    problem = only_problem(write_file(GOOD + GOOD))
    assert problem.row == 4 and "repeats the header" in problem.message


def test_rows_are_counted_as_in_the_file(write_file):
    # A quoted value running over two lines: the next row is counted as the editor shows it.
    text = (
        "Note,"
        + HEADER
        + '\n"two\nlines",'
        + ROWS[0]
        + "\n\nx,"
        + ROWS[1].replace("1196", "oops")
        + "\n"
    )
    problem = only_problem(write_file(text))
    assert (problem.row, problem.column) == (5, "Milk")


# --- all problems, not the first ---------------------------------------------------------------


def test_every_problem_is_reported_up_to_a_cap(write_file):
    bad = [ROWS[0].replace("9656", "x")] * (MAX_PROBLEMS + 30)
    with pytest.raises(CustomerFileError) as info:
        read_customer_csv(write_file(HEADER + "\n" + "\n".join(bad) + "\n"))
    error = info.value
    assert error.total == MAX_PROBLEMS + 30
    assert len(error.problems) == MAX_PROBLEMS
    assert [p.row for p in error.problems] == list(range(2, MAX_PROBLEMS + 2))
    assert str(error).splitlines()[0].endswith(f"cannot be used: {MAX_PROBLEMS + 30} problems.")
    assert str(error).splitlines()[-1] == "  ... and 30 more of the same kinds."


def test_problems_of_several_kinds_in_one_file(write_file):
    text = (
        HEADER
        + "\n"
        + "\n".join(
            [
                "2,3,1,2,3,4,5,6",
                "9,3,1,2,3,4,5,6",  # Channel
                "2,3,1,-2,3,4,5,6",  # Milk
                "2,3,1,2,3,4,5",  # too few
                "2,3,1,2,3,4,5,x",  # Delicassen
            ]
        )
        + "\n"
    )
    found = problems(write_file(text))
    assert [(p.row, p.column) for p in found] == [
        (3, "Channel"),
        (4, "Milk"),
        (5, None),
        (6, "Delicassen"),
    ]


def test_the_message_names_the_file_row_column_and_what_to_do(write_file):
    path = write_file(GOOD.replace(",1196,", ",12a,"), name="shop.csv")
    with pytest.raises(CustomerFileError) as raised:
        read_customer_csv(path)
    message = str(raised.value)
    assert f"{path}, row 3, column Milk: '12a' is not a number. Write a plain number" in message


# --- the fast path agrees with the careful one -----------------------------------------------


def test_a_plain_file_takes_the_fast_path(write_file, monkeypatch):
    def careful_reader_not_wanted(*args, **kwargs):
        raise AssertionError("the careful reader ran on a plain file")

    monkeypatch.setattr(CarefulReader, "read_rows", careful_reader_not_wanted)
    pd.testing.assert_frame_equal(read_customer_csv(write_file(GOOD)), expected_good())
    pd.testing.assert_frame_equal(
        read_customer_csv(write_file(GOOD.replace("\n", "\r\n"))), expected_good()
    )


@pytest.mark.parametrize(
    "rows, problem_rows",
    [
        # one row short of a field and one with a field too many: the comma total is right
        (["2,3,12669,9656,7561,214,2674", "2,3,1,2,3,4,5,6,7"], [4, 5]),
        # a line of spaces, and a row with an extra field to make up the commas
        (["   ", "2,3,1,2,3,4,5,6,7,8,9,10,11,12,13"], [5]),
        # a blank line in the middle is skipped with a note, not an error
        (["", "2,3,1,2,3,4,5,6"], []),
    ],
)
def test_rows_of_the_wrong_width_are_found_whatever_the_comma_total(write_file, rows, problem_rows):
    path = write_file(GOOD + "\n".join(rows) + "\n")
    result = validate_customer_csv(path)
    assert [p.row for p in result.errors] == problem_rows
    assert result.ok == (not problem_rows)


# --- the sha256 of the bytes parsed ----------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        GOOD.encode(),
        ("\ufeff" + GOOD.replace("\n", "\r\n")).encode(),
        (GOOD + "2,3,,1,1,1,1,1\n").encode(),
    ],
    ids=["plain (fast path)", "BOM and CRLF", "a missing value (careful reader)"],
)
def test_the_table_carries_the_sha256_of_the_bytes_parsed(tmp_path, content):
    import hashlib

    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CustomerFileWarning)  # the note on the missing value
        table = read_customer_csv(path, allow_missing=True, checksum=True)
        unasked = read_customer_csv(path, allow_missing=True)
    assert table.attrs["sha256"] == hashlib.sha256(content).hexdigest()
    assert "sha256" not in unasked.attrs  # hashed only when asked: other reads skip the work


def test_a_named_pipe_is_read_once_and_hashed_as_read(tmp_path):
    import hashlib
    import os
    import threading

    fifo = tmp_path / "customers.csv"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "wb") as out:
            out.write(GOOD.encode())

    writer = threading.Thread(target=write)
    writer.start()
    table = read_customer_csv(fifo, checksum=True)
    writer.join(timeout=10)
    assert len(table) == 2 and table.attrs["sha256"] == hashlib.sha256(GOOD.encode()).hexdigest()
