"""Inputs that once gave wrong numbers, a traceback or a crash in the transaction reader, the
cleaning and the RFM tables: each is now refused with a located message, or read right."""

import datetime
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from segmentation.data import fast as data_fast
from segmentation.data.problems import CustomerFileError, Validation
from segmentation.rfm.plus import rfm_plus
from segmentation.rfm.table import default_as_of, rfm_table
from segmentation.transactions import read_fast
from segmentation.transactions.cleaning import clean_transactions
from segmentation.transactions.read_careful import TransactionCarefulReader
from segmentation.transactions.reader import read_transactions, validate_transactions

HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"


def fast_log(text: str) -> pd.DataFrame | None:
    """What the fast path alone makes of a file's text (None: it leaves the file)."""
    reader = TransactionCarefulReader(text, Validation("log.csv"))
    layout = reader.read_header()
    assert layout is not None
    raw = text.encode("utf-8")
    return read_fast.read_transactions_fast(raw, raw.find(b"\n") + 1, layout)


def refused(path) -> list:
    with pytest.raises(CustomerFileError) as info:
        read_transactions(path)
    return info.value.problems


# 1. Dates outside the years 1900 to 2199 ---------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "1500-01-01 10:00",
        "9999-12-31 00:00:00",
        "12/31/9999 10:00",
        "1/1/1500 10:00",
        "0224-01-01 10:00",
        "1899-12-31 23:59",
        "2200-01-01 00:00",
    ],
)
def test_a_date_outside_the_years_allowed_is_refused_where_it_is(write_file, written):
    text = HEADER + f"1,10002,x,1,{written},2,5,UK\n2,10002,x,1,2024-01-01 10:00,2,6,UK\n"
    assert fast_log(text) is None  # the fast path leaves it to the careful reader
    (problem,) = refused(write_file(text, "log.csv"))
    assert (problem.row, problem.column, problem.value) == (2, "InvoiceDate", written)
    assert "outside the years 1900 to 2199" in problem.message
    assert "before 1900 or after 2199" in problem.hint and "9999-12-31" in problem.hint


def test_the_first_and_last_moments_of_the_years_allowed_are_read_as_written(write_file):
    text = HEADER + "1,10002,x,1,1900-01-01 00:00,2,5,UK\n2,10002,x,1,12/31/2199 23:59,2,6,UK\n"
    expected = pd.to_datetime(["1900-01-01 00:00", "2199-12-31 23:59"]).to_numpy()
    assert (fast_log(text)["InvoiceDate"].to_numpy() == expected).all()
    log = read_transactions(write_file(text, "log.csv"))
    assert (log["InvoiceDate"].to_numpy() == expected).all()


# 2. Dates far apart, and as_of at the edge of what pandas holds -------------------------


def hand_log(rows: list[tuple]) -> pd.DataFrame:
    """A raw log from (invoice, stock code, quantity, date, price, customer) rows."""
    invoice, code, quantity, date, price, customer = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "Invoice": pd.array(invoice, dtype="str"),
            "StockCode": pd.array(code, dtype="str"),
            "Description": pd.array(["x"] * len(rows), dtype="str"),
            "Quantity": np.array(quantity, dtype=np.int64),
            "InvoiceDate": pd.to_datetime(list(date)).as_unit("ns"),
            "Price": np.array(price, dtype=np.float64),
            "Customer ID": pd.array(customer, dtype="str"),
            "Country": pd.array(["UK"] * len(rows), dtype="str"),
        }
    )


def test_recency_and_tenure_count_the_days_across_three_centuries():
    clean = clean_transactions(
        hand_log(
            [
                ("1", "10002", 1, "1900-01-01 10:00", 2.0, "5"),
                ("2", "10002", 1, "2199-12-31 10:00", 2.0, "6"),
            ]
        )
    )
    plus = rfm_plus(clean, as_of="2262-04-11")
    # the oracle: Python's own calendar
    assert plus.loc["5", "recency"] == (datetime.date(2262, 4, 11) - datetime.date(1900, 1, 1)).days
    assert (
        plus.loc["6", "tenure"] == (datetime.date(2262, 4, 11) - datetime.date(2199, 12, 31)).days
    )


def test_a_log_ending_on_the_last_day_pandas_holds_has_no_default_as_of():
    clean = clean_transactions(hand_log([("1", "10002", 1, "2262-04-11 10:00", 2.0, "5")]))
    with pytest.raises(ValueError, match="beyond the dates pandas can hold"):
        default_as_of(clean.purchases, clean.cancellations)
    with pytest.raises(ValueError, match="give an earlier as_of"):
        rfm_table(clean)


@pytest.mark.parametrize("as_of", ["99999-01-01", "not a date", pd.NaT])
def test_an_as_of_pandas_cannot_hold_is_a_value_error_saying_which_dates_can(as_of):
    clean = clean_transactions(hand_log([("1", "10002", 1, "2024-01-01 10:00", 2.0, "5")]))
    with pytest.raises(ValueError, match="as_of") as info:
        rfm_table(clean, as_of=as_of)
    assert "2026-01-01" in str(info.value)


# 3. The default as_of sees cancellations after the last purchase -----------------------

HAND = HEADER + (
    "1,10002,x,10,2024-01-01 10:00,2,5,UK\n"
    "2,20004,y,3,2024-01-11 10:00,5,5,UK\n"
    "C3,10002,x,-2,2024-01-12 09:00,2,5,UK\n"
    "4,10002,x,1,2024-01-05 10:00,7,6,UK\n"
)


def test_a_cancellation_the_day_after_the_last_purchase_counts_by_default(write_file):
    clean = clean_transactions(read_transactions(write_file(HAND, "hand.csv")))
    assert default_as_of(clean.purchases, clean.cancellations) == pd.Timestamp("2024-01-13")
    table = rfm_table(clean)
    # by hand: 5 bought 10 x 2 + 3 x 5 = 35 and took back 2 x 2 = 4
    assert table.loc["5", "monetary"] == 31.0
    assert table.loc["5", "recency"] == 2 and table.loc["6", "recency"] == 8


def test_the_command_says_the_default_date_is_the_day_after_the_last_line(tmp_path):
    (tmp_path / "hand.csv").write_text(HAND)
    done = subprocess.run(
        [sys.executable, "-m", "segmentation", "rfm", "hand.csv", "-o", "o.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "as of 2024-01-13 (the day after the last line)" in done.stdout + done.stderr
    table = pd.read_csv(tmp_path / "o.csv", dtype={"Customer ID": str}).set_index("Customer ID")
    assert table.loc["5", "monetary"] == 31.0


# 4. The signs and letters of cancellations ----------------------------------------------


def set_aside(clean) -> dict[str, int]:
    return dict(zip(clean.set_aside["rule"], clean.set_aside["rows"], strict=True))


def test_a_cancellation_of_the_wrong_sign_is_set_aside_not_added():
    clean = clean_transactions(
        hand_log(
            [
                ("1", "10002", 10, "2024-01-01 10:00", 2.0, "5"),
                ("C2", "10002", 5, "2024-01-02 10:00", 2.0, "5"),  # quantity above 0
                ("C3", "10002", -1, "2024-01-02 10:00", -2.0, "5"),  # price below 0
                ("C4", "10002", -1, "2024-01-02 10:00", 0.0, "5"),  # price 0
                ("C5", "10002", 0, "2024-01-02 10:00", 2.0, "5"),  # quantity 0
            ]
        )
    )
    counts = set_aside(clean)
    assert counts["cancellations"] == 0 and len(clean.cancellations) == 0
    assert counts["quantity or price of the wrong sign"] == 4
    plus = rfm_plus(clean, as_of="2024-01-03")
    assert plus.loc["5", "monetary"] == 20.0 and plus.loc["5", "cancellation_rate"] == 0.0


def test_invoice_letters_are_read_in_either_case():
    clean = clean_transactions(
        hand_log(
            [
                ("1", "10002", 10, "2024-01-01 10:00", 2.0, "5"),
                ("c3", "10002", -2, "2024-01-02 10:00", 2.0, "5"),
                ("a4", "B", 1, "2024-01-02 10:00", 50.0, "5"),
            ]
        )
    )
    counts = set_aside(clean)
    assert counts["cancellations"] == 1 and clean.cancellations["Invoice"].tolist() == ["c3"]
    assert (
        counts["bad-debt adjustments"] == 1 and counts["quantity or price of the wrong sign"] == 0
    )
    assert rfm_table(clean).loc["5", "monetary"] == 16.0  # 20 bought, 4 taken back


def test_cancelling_more_than_was_bought_is_kept_as_the_log_says():
    # 5 bought 2 in the window and cancelled 20 (of purchases made before the log began)
    clean = clean_transactions(
        hand_log(
            [
                ("1", "10002", 1, "2024-01-01 10:00", 2.0, "5"),
                ("C2", "10002", -10, "2024-01-02 10:00", 2.0, "5"),
            ]
        )
    )
    plus = rfm_plus(clean)
    assert plus.loc["5", "monetary"] == -18.0
    assert plus.loc["5", "cancellation_rate"] == 10.0


# 5. No -0.0 -------------------------------------------------------------------------------


def test_no_table_holds_a_negative_zero():
    clean = clean_transactions(
        hand_log(
            [
                ("1", "10002", 1, "2024-01-01 10:00", 2.0, "5"),  # no cancellation
                ("2", "10002", 1, "2024-01-01 10:00", 0.01, "6"),
                ("3", "10002", 1, "2024-01-02 10:00", 0.01, "6"),
                ("4", "10002", 1, "2024-01-03 10:00", 0.01, "6"),
                ("C5", "10002", -4, "2024-01-03 11:00", 0.01, "6"),  # net -0.01 over 3 invoices
            ]
        )
    )
    for table in (rfm_table(clean), rfm_plus(clean)):
        values = table.select_dtypes("float").to_numpy()
        assert not (np.signbit(values) & (values == 0)).any(), table
    plus = rfm_plus(clean)
    assert plus.loc["6", "monetary"] == -0.01 and plus.loc["6", "average_basket"] == 0.0
    assert not re.search(r"-0\.0\b", plus.to_csv())


# 6. Parsing under a memory limit --------------------------------------------------------


def test_the_threads_are_given_up_when_the_address_space_is_short(monkeypatch):
    size = 100 * (1 << 20)
    monkeypatch.setattr(read_fast, "_cores", lambda: 2)
    monkeypatch.setattr(read_fast, "_address_room", lambda: None)  # no limit
    assert read_fast._piece_count(size) == 2
    monkeypatch.setattr(read_fast, "_address_room", lambda: 6 * size + 2 * (1 << 27))
    assert read_fast._piece_count(size) == 2
    monkeypatch.setattr(read_fast, "_address_room", lambda: 6 * size + (1 << 27))
    assert read_fast._piece_count(size) == 1
    monkeypatch.setattr(read_fast, "_address_room", lambda: 6 * size - 1)
    with pytest.raises(MemoryError):
        read_fast._piece_count(size)


def test_the_address_room_is_none_without_a_limit_and_below_the_limit_with_one():
    script = (
        "import resource; from segmentation.transactions.read_fast import _address_room;"
        "print(_address_room());"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, resource.RLIM_INFINITY));"
        "print(_address_room())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    unlimited, limited = done.stdout.split()
    assert unlimited == "None" and 0 < int(limited) < 2 << 30


def test_pieces_are_parsed_here_when_no_thread_can_be_started(monkeypatch, write_file):
    class NoThreads:
        def __init__(self, *args):
            raise RuntimeError("can't start new thread")

    text = HEADER + "".join(f"{i},10002,x,1,2024-01-01 10:00,2,{i % 7},UK\n" for i in range(50))
    expected = fast_log(text)
    monkeypatch.setattr(data_fast, "ThreadPoolExecutor", NoThreads)  # where on_threads runs
    monkeypatch.setattr(read_fast, "_PIECE_BYTES", 256)  # several pieces, so threads are tried
    monkeypatch.setattr(read_fast, "_cores", lambda: 4)
    monkeypatch.setattr(read_fast, "_address_room", lambda: None)
    pd.testing.assert_frame_equal(fast_log(text), expected)


# 7. One customer id written in more than one way ------------------------------------------


@pytest.mark.parametrize("other", [" 13085 ", "013085", "13085.0", "1.3085e4"])
def test_one_id_written_two_ways_is_one_customer_with_a_note(write_file, other):
    text = (
        HEADER
        + "1,10002,x,1,2024-01-01 10:00,2,13085,UK\n"
        + f"2,10002,x,1,2024-01-02 10:00,2,{other},UK\n"
        + "3,10002,x,1,2024-01-02 10:00,2,7,UK\n"
    )
    assert fast_log(text) is None  # the careful reader notes it
    result = validate_transactions(write_file(text, "log.csv"))
    assert result.ok and result.frame["Customer ID"].tolist() == ["13085", "13085", "7"]
    (note,) = [n for n in result.notes if "customer id" in n.message]
    assert "1 customer id is written in more than one way" in note.message
    assert "'13085' (row 2)" in note.message and "(row 3)" in note.message
    assert "customer 13085" in note.message


def test_ids_each_written_one_way_give_no_note(write_file):
    text = (
        HEADER + "1,10002,x,1,2024-01-01 10:00,2,13085.0,UK\n2,10002,x,1,2024-01-02 10:00,2,,UK\n"
    )
    result = validate_transactions(write_file(text, "log.csv"))
    assert result.ok and not [n for n in result.notes if "customer id" in n.message]
    assert fast_log(HEADER + "1,10002,x,1,2024-01-01 10:00,2,13085,UK\n") is not None
