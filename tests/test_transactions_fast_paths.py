"""The quick internal paths of the reader, the cleaning and RFM agree with the plain ones
they replace: each is checked against a second, simple implementation."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.data.problems import Validation
from segmentation.rfm.numbering import _comparable, _packed, number_lines, sorted_codes
from segmentation.rfm.table import _invoice_runs, first_and_last, invoice_counts, lines_before
from segmentation.transactions import cleaning
from segmentation.transactions.cleaning import _exact_duplicates
from segmentation.transactions.read_careful import TransactionCarefulReader
from segmentation.transactions.read_fast import _plain_ids, _plain_texts
from segmentation.transactions.read_values import customer_id, fixed_width_dates, parse_dates
from segmentation.transactions.reader import validate_transactions

# Few distinct values per column, so that equal lines (and near misses) are common.
DUPLICATE_LINES = st.tuples(
    st.sampled_from(["1", "2", "C2"]),
    st.sampled_from(["10001", "20002"]),
    st.integers(-2, 2),
    st.sampled_from(["2010-01-01 08:00", "2010-01-01 08:01", None]),
    st.sampled_from([0.0, -0.0, 1.25, float("nan"), 18.5]),
    st.sampled_from(["7", "8", None]),
)


def duplicate_log(lines: list[tuple]) -> pd.DataFrame:
    invoice, code, quantity, date, price, customer = zip(*lines, strict=True)
    return pd.DataFrame(
        {
            "Invoice": pd.array(invoice, dtype="str"),
            "StockCode": pd.array(code, dtype="str"),
            "Description": pd.array([""] * len(lines), dtype="str"),
            "Quantity": np.array(quantity, dtype=np.int64),
            "InvoiceDate": pd.to_datetime(list(date)),
            "Price": np.array(price, dtype=np.float64),
            "Customer ID": pd.array(customer, dtype="str"),
            "Country": pd.array(["UK"] * len(lines), dtype="str"),
        }
    )


@given(st.lists(DUPLICATE_LINES, min_size=1, max_size=60))
def test_the_quick_duplicate_check_agrees_with_pandas(lines):
    log = duplicate_log(lines)
    expected = log.duplicated(keep="first").to_numpy()
    np.testing.assert_array_equal(_exact_duplicates(log), expected)


@given(st.lists(DUPLICATE_LINES, min_size=1, max_size=60), st.integers(1, 7))
def test_the_duplicate_check_a_chunk_of_lines_at_a_time_agrees_with_pandas(lines, chunk):
    # a log in date order (missing dates first, as their number is the smallest) is
    # checked in chunks cut where the date changes; small chunks cut it often
    log = duplicate_log(lines)
    log = log.sort_values("InvoiceDate", na_position="first", kind="stable")
    log = log.reset_index(drop=True)
    expected = log.duplicated(keep="first").to_numpy()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cleaning, "_CHUNK", chunk)
        np.testing.assert_array_equal(_exact_duplicates(log), expected)


def test_the_duplicate_check_in_chunks_keeps_the_lines_of_a_date_together(monkeypatch):
    # five lines of one date, then its duplicate: a cut every 2 lines would split them
    monkeypatch.setattr(cleaning, "_CHUNK", 2)
    rows = [("1", "10001", q, "2010-01-01 08:00", 1.5, "7") for q in (1, 2, 3, 4, 1)]
    log = duplicate_log([*rows, ("1", "10001", 1, "2010-01-01 08:01", 1.5, "7")])
    assert _exact_duplicates(log).tolist() == [False] * 4 + [True, False]


def test_the_duplicate_check_takes_minus_zero_and_nan_as_pandas_does():
    log = duplicate_log([("1", "10001", 1, None, 0.0, "7"), ("1", "10001", 1, None, -0.0, "7")])
    log = pd.concat([log, log.assign(Price=[np.nan, -np.nan])], ignore_index=True)
    assert _exact_duplicates(log).tolist() == [False, True, False, True]


def test_the_duplicate_check_accepts_columns_of_other_types():
    log = duplicate_log([("1", "10001", 1, None, 1.0, "7")] * 3).astype({"Quantity": object})
    assert _exact_duplicates(log).tolist() == [False, True, True]


TEXTS = st.lists(st.text(alphabet=' \t\x1faéZ09,"-\ufeff', max_size=6), max_size=30)


@given(TEXTS)
def test_plain_texts_says_only_what_holds(texts):
    values = np.array(texts, dtype=object)
    found = _plain_texts(values)
    if found is not None:  # it may defer to the careful rules, but never be wrong
        assert all(t.isascii() and t == t.strip() for t in texts)
        assert found == ("" in texts)
    else:  # within this alphabet, only a non-ASCII text or an edge space defers
        assert any(not t.isascii() or t != t.strip() for t in texts)


def test_plain_texts_decides_the_usual_cases_itself():
    assert _plain_texts(np.array(["489434", "C489435"], dtype=object)) is False
    assert _plain_texts(np.array(["UK", ""], dtype=object)) is True
    assert _plain_texts(np.array(["a ", "b"], dtype=object)) is None
    assert _plain_texts(np.array(["a", "\tb"], dtype=object)) is None
    assert _plain_texts(np.array(["café"], dtype=object)) is None
    assert _plain_texts(np.array(["a", np.nan], dtype=object)) is None
    assert _plain_texts(np.array([], dtype=object)) is False


ID_TEXTS = st.one_of(
    st.text(alphabet="0123456789.e+- ", max_size=17),
    st.integers(0, 10**16).map(str),
    st.sampled_from(["", "0", "00", "13085", "013085", "13085.0", " 13085", "999999999999999"]),
)


@given(st.lists(ID_TEXTS, max_size=20, unique=True))
def test_plain_ids_are_exactly_the_texts_that_are_their_own_id(texts):
    # the oracle, the rule one text at a time: every text is a guest ("") or its own id
    own = all(t == "" or customer_id(t) == t for t in texts)
    assert _plain_ids(pd.Index(texts, dtype=object)) == own


@given(st.lists(st.text(alphabet="0a9Z\x00 é", max_size=5), max_size=30))
def test_ids_sort_as_python_sorts_them(ids):
    texts = np.array(ids, dtype=object)
    order = np.argsort(_comparable(texts), kind="stable")
    assert order.tolist() == sorted(range(len(ids)), key=lambda i: ids[i])
    if ids:
        codes, customers = sorted_codes(texts)
        assert list(customers) == sorted(set(ids))
        assert [customers[c] for c in codes] == ids


CUSTOMER_IDS = st.one_of(
    st.sampled_from(["7", "70", "8", "13085", "99999999", "123456789", "a\x00", "a", "é"]),
    st.text(alphabet="07a\x00 ", max_size=9),
)


@given(st.lists(CUSTOMER_IDS, min_size=1, max_size=30), st.lists(CUSTOMER_IDS, max_size=8))
def test_customers_numbered_from_packed_ids_as_from_the_strings(bought, cancelled):
    # the oracle: the distinct purchase ids sorted by Python, and each line's place there
    purchases = pd.Series(pd.array(bought, dtype="str"))
    cancellations = pd.Series(pd.array(cancelled, dtype="str"))
    codes, customers, cancel_codes = number_lines(purchases, cancellations)
    order = sorted(set(bought))
    assert list(customers) == order and customers.name == "Customer ID"
    assert codes.tolist() == [order.index(c) for c in bought]
    assert cancel_codes.tolist() == [order.index(c) if c in order else -1 for c in cancelled]


def test_ids_are_packed_only_when_no_two_texts_can_give_one_number():
    assert _packed(pd.Series(pd.array(["13085", "7"], dtype="str"))) is not None
    assert _packed(pd.Series(pd.array(["a", "a\x00"], dtype="str"))) is None  # a NUL is lost
    assert _packed(pd.Series(pd.array(["123456789"], dtype="str"))) is None  # longer than 8
    assert _packed(pd.Series(pd.array(["é"], dtype="str"))) is None  # not ASCII
    assert _packed(pd.Series(pd.array(["7", None], dtype="str"))) is None  # missing
    assert _packed(pd.Series([7, "7"], dtype=object)) is None  # a number beside its text
    assert _packed(pd.Series(["7", "8"], dtype=object)).tolist() == [
        int.from_bytes(b"7".ljust(8, b"\0"), "big"),
        int.from_bytes(b"8".ljust(8, b"\0"), "big"),
    ]


FIELDS = st.one_of(
    st.text(alphabet=' ab1,"\t\ufeffé', max_size=5),
    st.sampled_from(["007", "7", "1.0", "True", "NA", "nan"]),  # what pandas might convert
)
ROWS = st.lists(
    st.tuples(
        st.sampled_from(["1", " 2", "C3 ", ""]),
        FIELDS,
        FIELDS,
        st.sampled_from(["1", "-2", " 3"]),
        st.sampled_from(["2010-12-01 08:26:00", " 2010-12-01 08:26", "12/1/2010 8:26"]),
        st.sampled_from(["1.5", "0", ""]),
        st.sampled_from(["13085", "13085.0", "", "-1", "1.5"]),
        FIELDS,
    ),
    min_size=1,
    max_size=12,
)


def quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"') else value


@settings(max_examples=60, deadline=None)
@given(ROWS)
def test_the_fast_reader_builds_what_the_careful_reader_builds(tmp_path_factory, rows):
    header = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"
    text = header + "\n" + "\n".join(",".join(quoted(v) for v in row) for row in rows) + "\n"
    path = tmp_path_factory.mktemp("log") / "log.csv"
    path.write_text(text, encoding="utf-8")
    fast = validate_transactions(path).frame
    careful = Validation("log.csv")
    reader = TransactionCarefulReader(text, careful)
    expected = reader.read_rows(reader.read_header())
    if expected is None or not careful.ok:
        assert fast is None
    else:
        pd.testing.assert_frame_equal(fast, expected)


def test_descriptions_and_countries_that_look_like_numbers_stay_as_written(tmp_path):
    header = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"
    rows = [
        "1,10001,007,1,2010-12-01 08:26:00,1.5,7,True",
        "2,10001,7,1,2010-12-01 08:26,1.5,7,1.0",
    ]
    path = tmp_path / "log.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    log = validate_transactions(path).frame
    assert log["Description"].tolist() == ["007", "7"]
    assert log["Country"].tolist() == ["True", "1.0"]
    assert log["StockCode"].tolist() == ["10001", "10001"]


@given(
    st.lists(
        st.tuples(st.sampled_from(["7", "8", "10"]), st.sampled_from(["1", "2", "3"])), min_size=1
    )
)
def test_invoice_counts_count_distinct_invoices_of_each_customer(pairs):
    purchases = pd.DataFrame(
        {
            "Customer ID": pd.array([c for c, _ in pairs], dtype="str"),
            "Invoice": pd.array([i for _, i in pairs], dtype="str"),
            "InvoiceDate": pd.Timestamp("2010-01-04"),
            "Amount": 1.0,
        }
    )
    log = SimpleNamespace(purchases=purchases, cancellations=purchases.iloc[:0])
    lines = lines_before(log)
    expected = [len({i for c, i in pairs if c == customer}) for customer in lines.customers]
    assert invoice_counts(lines).tolist() == expected


@given(
    st.lists(
        st.tuples(st.sampled_from(["7", "8", "10"]), st.integers(0, 10**6)), min_size=1, max_size=30
    )
)
def test_first_and_last_purchase_times_agree_with_a_groupby(lines):
    purchases = pd.DataFrame(
        {
            "Customer ID": pd.array([c for c, _ in lines], dtype="str"),
            "Invoice": pd.array(["1"] * len(lines), dtype="str"),
            "InvoiceDate": pd.Timestamp("2010-01-04")
            + pd.to_timedelta([m for _, m in lines], unit="min"),
            "Amount": 1.0,
        }
    )
    log = SimpleNamespace(purchases=purchases, cancellations=purchases.iloc[:0])
    first, last = first_and_last(lines_before(log, "2020-01-01"))
    by = purchases.groupby("Customer ID")["InvoiceDate"]
    np.testing.assert_array_equal(first, by.min().to_numpy())
    np.testing.assert_array_equal(last, by.max().to_numpy())


INVOICE_LINES = st.lists(
    st.tuples(
        st.sampled_from(["7", "8", "10"]),
        st.sampled_from(["1", "2", "9", "10", "11", "C1", "99999999", "123456789", "é1", "1\0"]),
    ),
    min_size=1,
    max_size=30,
)


@given(INVOICE_LINES, st.booleans())
def test_invoice_counts_agree_in_invoice_order_and_out_of_it(pairs, in_order):
    if in_order:  # as a log written in invoice order: the quick path's usual case
        pairs = sorted(pairs, key=lambda pair: (len(pair[1]), pair[1]))
    purchases = pd.DataFrame(
        {
            "Customer ID": pd.array([c for c, _ in pairs], dtype="str"),
            "Invoice": pd.array([i for _, i in pairs], dtype="str"),
            "InvoiceDate": pd.Timestamp("2010-01-04"),
            "Amount": 1.0,
        }
    )
    lines = lines_before(SimpleNamespace(purchases=purchases, cancellations=purchases.iloc[:0]))
    expected = [len({i for c, i in pairs if c == customer}) for customer in lines.customers]
    assert invoice_counts(lines).tolist() == expected


def test_invoice_runs_are_taken_only_when_each_is_a_new_invoice():
    codes = np.array([0, 0, 1, 0, 2])
    rising = np.array(["9", "9", "10", "11", "C1"], dtype=object)
    assert _invoice_runs(rising, codes).tolist() == [0, 2, 3, 4]
    assert _invoice_runs(np.array(["9", "9", "10", "9", "C1"], dtype=object), codes) is None
    # one invoice shared by two customers: two runs of the same invoice
    assert _invoice_runs(np.array(["9", "9", "9", "10", "11"], dtype=object), codes) is None
    assert _invoice_runs(np.array(["9", "123456789"], dtype=object), codes[:2]) is None
    assert _invoice_runs(np.array(["1", "1\0"], dtype=object), codes[:2]) is None


# Dates in the course's form, valid or not (day 31 of a short month, hour 24, second 60, a
# year out of range), and near misses of the form (a missing zero, a space, a letter).
DATE_TEXTS = st.one_of(
    st.builds(
        "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}".format,
        st.sampled_from([1899, 1900, 1999, 2000, 2024, 2100, 2199, 2200, 9999]),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 24),
        st.integers(0, 60),
        st.integers(0, 61),
    ),
    st.sampled_from(
        [
            "2024-1-01 00:00:00",
            "2024-01-01 00:00",
            " 2024-01-01 00:00:00",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00:00 ",
            "2024-01-0a 00:00:00",
            "12/1/2010 8:26",
            "",
            "2024-02-29 23:59:59",
        ]
    ),
)


@settings(max_examples=300)
@given(st.lists(DATE_TEXTS, min_size=1, max_size=8))
def test_dates_read_from_their_digits_are_the_dates_pandas_reads(texts):
    values = np.array(texts, dtype=object)
    expected, _ = parse_dates(pd.Index(values, dtype=object))
    found = fixed_width_dates(values)
    readable = not np.isnat(expected).any()
    if found is not None:  # it may defer to the general path, but never be wrong
        assert readable
        np.testing.assert_array_equal(found, expected)
    # the usual case is read from the digits (pandas reads seconds 60 and 61 as the next
    # minute: those are left to the general path, which reads them so)
    usual = all(len(t) == 19 and t[4] == "-" and t[10] == " " and t[17] < "6" for t in texts)
    if usual and readable:
        assert found is not None


def test_dates_read_from_their_digits_in_the_usual_case():
    values = np.array(["2010-12-01 08:26:00", "2024-02-29 23:59:59"], dtype=object)
    expected = pd.to_datetime(values, format="%Y-%m-%d %H:%M:%S").to_numpy()
    np.testing.assert_array_equal(fixed_width_dates(values), expected)
    assert fixed_width_dates(np.array(["2023-02-29 00:00:00"], dtype=object)) is None
    assert fixed_width_dates(np.array(["2010-12-01 08:26:00", None], dtype=object)) is None
    assert fixed_width_dates(np.array(["2010-12-01 08:26:0é"], dtype=object)) is None
