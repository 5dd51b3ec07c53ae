"""The log read as numbers (the ``rfm`` command's way on large files) gives what the usual
reader and cleaning give: the same log, the same rule counts, the same RFM tables, the same
errors. Files in any other form than the plainest are left to the usual reader."""

import gzip
import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.data.problems import CustomerFileError, Validation
from segmentation.rfm.numbering import number_lines
from segmentation.rfm.plus import rfm_plus
from segmentation.rfm.table import _invoice_runs
from segmentation.transactions import reader
from segmentation.transactions.cleaning import clean_transactions
from segmentation.transactions.read_careful import TransactionCarefulReader
from segmentation.transactions.read_compiled import read_coded
from segmentation.transactions.reader import read_and_clean, read_transactions
from segmentation.transactions.shipped import transactions_path

HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"


@pytest.fixture(autouse=True)
def every_size_read_as_numbers(monkeypatch):
    monkeypatch.setattr(reader, "CODED_FROM_BYTES", 0)


def coded_of(text: str):
    """read_coded of a file's text (its header on the first line)."""
    raw = text.encode("utf-8")
    start = raw.find(b"\n") + 1
    layout = TransactionCarefulReader(raw[:start].decode(), Validation("log.csv")).read_header()
    return read_coded(raw, start, layout)


def assert_same_as_the_usual_way(path, as_of_days=(None, 30, 200)):
    """read_and_clean gives what read_transactions and clean_transactions give, and the RFM+X
    tables agree to the last bit, as of several dates."""
    log = read_transactions(path)
    expected = clean_transactions(log)
    lines, clean = read_and_clean(path)
    assert lines == len(log)
    pd.testing.assert_frame_equal(clean.set_aside, expected.set_aside)
    assert len(clean.purchases) == len(expected.purchases)
    assert len(clean.cancellations) == len(expected.cancellations)
    first = expected.purchases["InvoiceDate"].min() if len(expected.purchases) else None
    for days in as_of_days:
        as_of = None if days is None or first is None else first + pd.Timedelta(days=days)
        try:
            table = rfm_plus(expected, as_of)
        except ValueError as exc:  # no purchase before as_of: the same refusal
            with pytest.raises(ValueError, match=str(exc)[:30]):
                rfm_plus(clean, as_of)
            continue
        pd.testing.assert_frame_equal(rfm_plus(clean, as_of), table, check_exact=True)


@pytest.mark.parametrize("name", ["wholesale_transactions", "simulated_transactions"])
def test_the_shipped_logs_give_the_same_log_and_tables(tmp_path, name):
    path = tmp_path / f"{name}.csv"
    path.write_bytes(gzip.decompress(transactions_path(f"{name}.csv.gz").read_bytes()))
    text = path.read_text()
    coded = coded_of(text)
    assert coded is not None  # the course writes its logs in the plainest form
    pd.testing.assert_frame_equal(coded.frame(), read_transactions(path), check_exact=True)
    assert_same_as_the_usual_way(path)


def test_the_dirt_of_a_log_is_set_aside_alike(tmp_path):
    # duplicates, guests, cancellations, adjustments, wrong signs, an id of another length
    # ("100" sorts before "99" as text), a description with a comma, a cancellation of a
    # customer with no purchase
    rows = [
        "5,10001,APPLES,2,2010-01-04 09:00:00,1.5,99,UK",
        "5,10001,APPLES,2,2010-01-04 09:00:00,1.5,99,UK",
        '6,20001,"MILK, WHOLE",1,2010-01-05 10:00:00,2.25,100,UK',
        "C7,20001,MILK,-1,2010-01-06 10:00:00,2.25,100,UK",
        "C8,20001,MILK,-3,2010-01-06 11:00:00,2.25,7,France",
        "A9,B,Adjust bad debt,1,2010-01-07 10:00:00,-500.5,7,UK",
        "10,99999,UNKNOWN,0,2010-01-07 10:00:00,3,99,UK",
        "11,30001,RICE,4,2010-01-08 10:00:00,0.1,,UK",
        "12,30001,RICE,-4,2010-01-08 10:00:00,0.1,99,UK",
        "13,60001,HAM,1,2010-02-08 10:00:00,89,99,UK",
        "C14,60001,HAM,1,2010-02-09 10:00:00,89,99,UK",
    ]
    path = tmp_path / "log.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    assert coded_of(path.read_text()) is not None
    counts = read_and_clean(path)[1].set_aside["rows"].tolist()
    assert counts == [1, 1, 2, 1, 3]  # each rule counted by hand
    assert_same_as_the_usual_way(path, as_of_days=(None, 1, 3, 40))


LINES = st.tuples(
    st.integers(1, 40).map(str) | st.sampled_from(["C3", "C12", "A4"]),
    st.sampled_from(["10001", "20002", "31", "X"]),
    st.sampled_from(["", "FISH", "FISH, FRESH"]),
    st.integers(-3, 3).map(str),
    st.sampled_from(["2010-12-01 08:26:00", "2011-01-31 23:59:59", "2012-02-29 00:00:00"]),
    st.sampled_from(["1.5", "0", "-2.25", "0.10", "3", "-0.00"]),
    st.sampled_from(["", "7", "13085", "100", "99", "0"]),
    st.sampled_from(["UK", "", "EIRE"]),
)


def quoted(value: str) -> str:
    return f'"{value}"' if "," in value else value


@settings(max_examples=60, deadline=None)
@given(st.lists(LINES, min_size=1, max_size=25))
def test_plain_logs_give_the_same_tables_as_the_usual_way(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("log") / "log.csv"
    path.write_text(HEADER + "\n" + "\n".join(",".join(map(quoted, x)) for x in lines) + "\n")
    coded = coded_of(path.read_text())
    assert coded is not None
    pd.testing.assert_frame_equal(coded.frame(), read_transactions(path), check_exact=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_as_the_usual_way(path)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("InvoiceDate", "12/1/2010 8:26"),  # the Excel form
        ("InvoiceDate", "2010-12-01 08:26"),  # no seconds
        ("InvoiceDate", "2010-02-30 08:26:00"),  # no such day: the reader says so
        ("Customer ID", "13085.0"),  # a spreadsheet's id
        ("Customer ID", "nan"),
        ("Customer ID", "007"),
        ("Invoice", "c5"),  # a cancellation in lower case
        ("Invoice", "05"),  # a leading zero: another text than "5"
        ("Invoice", "X5"),
        ("Price", "1."),
        ("Price", ".5"),
        ("Price", "1e3"),
        ("Price", "1234567890.123456"),  # more digits than a double holds
        ("Price", "0." + "0" * 15 + "1"),  # more decimals than 10.0**n holds exactly
        ("Price", "0." + "0" * 319 + "1"),  # 10.0**320 is infinite
        ("Quantity", "2.0"),
        ("Quantity", "+2"),
        ("Description", " FISH"),  # a space the careful rules strip
        ("Description", "CAFÉ"),  # not ASCII
        ("Country", 'SAY "HI"'),
        ("StockCode", ""),  # blank: refused, with its row
    ],
)
def test_any_other_form_is_left_to_the_usual_reader(tmp_path, column, value):
    plain = "5,10001,FISH,2,2010-12-01 08:26:00,1.5,7,UK"
    values = dict(zip(HEADER.split(","), plain.split(","), strict=True))
    values[column] = value
    text = HEADER + "\n" + plain + "\n" + ",".join(map(quoted, values.values())) + "\n"
    assert coded_of(text) is None
    path = tmp_path / "log.csv"
    path.write_text(text, encoding="utf-8")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "007" and "7": one customer, with a note
            read_transactions(path)
    except CustomerFileError as exc:
        with pytest.raises(CustomerFileError) as same:
            read_and_clean(path)
        assert str(same.value) == str(exc)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_same_as_the_usual_way(path)


@pytest.mark.parametrize(
    "text",
    [
        HEADER + "\r\n5,10001,FISH,2,2010-12-01 08:26:00,1.5,7,UK\r\n",  # Windows line ends
        HEADER + "\n5,10001,FISH,2,2010-12-01 08:26:00,1.5,7\n",  # a short row
        HEADER + "\n5,10001,FISH,2,2010-12-01 08:26:00,1.5,7,UK,more\n",  # a long row
        HEADER + "\n5,10001,FISH,2,2010-12-01 08:26:00,1.5,7,UK\n\n",  # a blank line
        HEADER + "\n",  # no line
    ],
)
def test_lines_out_of_shape_are_left_to_the_usual_reader(text):
    assert coded_of(text) is None


def test_other_layouts_are_read_by_name(tmp_path):
    # columns in another order, an unknown column, no Description or Country, no final
    # line break: read by the same header rules
    text = "Customer ID,Price,extra,InvoiceDate,Quantity,StockCode,Invoice\n"
    text += "7,1.5,x,2010-12-01 08:26:00,2,10001,5\n99,2,y,2010-12-02 08:26:00,1,20001,C6"
    path = tmp_path / "log.csv"
    path.write_text(text)
    assert coded_of(text) is not None
    with pytest.warns(UserWarning, match="extra"):
        log = read_transactions(path)
    pd.testing.assert_frame_equal(coded_of(text).frame(), log, check_exact=True)
    with pytest.warns(UserWarning, match="extra"):  # the same notes
        assert_same_as_the_usual_way(path)


def test_without_numba_the_usual_reader_reads_it(tmp_path, monkeypatch):
    # where the compiled pass cannot load (as under a tight memory limit), nothing fails
    import builtins

    real_import = builtins.__import__

    def failing(name, *args, **kwargs):
        if name.endswith("_coded_pass"):
            raise OSError("Could not find/load shared object file 'libllvmlite.so'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing)
    path = tmp_path / "log.csv"
    path.write_text(HEADER + "\n5,10001,FISH,2,2010-12-01 08:26:00,1.5,7,UK\n")
    lines, clean = read_and_clean(path)
    assert lines == 1
    assert clean.purchases["Customer ID"].tolist() == ["7"]  # the usual log's text id


@given(
    st.lists(st.integers(0, 10**15 - 1) | st.integers(0, 200), min_size=1, max_size=30),
    st.lists(st.integers(0, 10**15 - 1) | st.integers(0, 200), max_size=8),
)
def test_integer_ids_are_numbered_and_named_as_their_texts(bought, cancelled):
    as_numbers = number_lines(pd.Series(bought), pd.Series(cancelled, dtype=np.int64))
    as_texts = number_lines(
        pd.Series([str(b) for b in bought]), pd.Series([str(c) for c in cancelled], dtype=object)
    )
    np.testing.assert_array_equal(as_numbers[0], as_texts[0])
    pd.testing.assert_index_equal(as_numbers[1], as_texts[1])
    np.testing.assert_array_equal(as_numbers[2], as_texts[2])


def test_invoice_runs_of_numbers_are_taken_when_they_rise():
    codes = np.array([0, 0, 1, 2])
    assert _invoice_runs(np.array([5, 5, 6, 9]), codes).tolist() == [0, 2, 3]
    assert _invoice_runs(np.array([5, 5, 6, 6]), codes) is None  # invoice 6 in two runs


def test_a_file_read_in_pieces_on_threads_is_read_as_in_one(monkeypatch):
    from segmentation.transactions import _coded_pass

    ham = '"HAM, CURED"'
    rows = [
        f"{i},{10001 + i % 3},{'FISH' if i % 4 else ham},{i % 5 - 1},"
        f"2010-12-{1 + i % 28:02d} 08:26:00,{i % 7}.5,{'' if i % 6 == 0 else 7 + i % 11},"
        f"{['UK', 'EIRE', 'France'][i // 40]}"
        for i in range(120)
    ]
    text = HEADER + "\n" + "\n".join(rows)  # no final line break
    whole = coded_of(text)
    assert whole is not None
    monkeypatch.setattr(_coded_pass, "_PIECE_BYTES", 64)
    monkeypatch.setattr(_coded_pass, "_cores", lambda: 4)
    pieces = coded_of(text)
    # the texts numbered as first seen in the whole file ("France" only in the last piece)
    for column, (codes, texts) in whole.texts.items():
        assert pieces.texts[column][1] == texts
        np.testing.assert_array_equal(pieces.texts[column][0], codes)
    assert pieces.texts["Country"][1] == ["UK", "EIRE", "France"]
    pd.testing.assert_frame_equal(pieces.frame(), whole.frame(), check_exact=True)
    bad = text.replace("2010-12-05", "2010-12-32", 1)  # a bad value in one piece
    assert coded_of(bad) is None


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**15 - 1), st.integers(0, 15), st.booleans())
def test_prices_are_read_as_python_reads_them(digits, decimals, negative):
    text = str(digits).rjust(decimals + 1, "0")
    text = text[: len(text) - decimals] + ("." + text[len(text) - decimals :] if decimals else "")
    text = ("-" if negative else "") + text
    coded = coded_of(HEADER + f"\n5,10001,FISH,2,2010-12-01 08:26:00,{text},7,UK\n")
    if abs(float(text)) > 10_000_000:
        assert coded is None  # beyond the reader's limit: the usual reader says so
    else:  # up to 15 digits and 15 decimals: each read exactly as Python reads it
        assert coded.price[0] == float(text) + 0.0


def test_no_thread_to_start_reads_the_pieces_one_after_the_other(monkeypatch):
    from segmentation.data import fast
    from segmentation.transactions import _coded_pass

    class NoThreads:
        def __init__(self, *args):
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(fast, "ThreadPoolExecutor", NoThreads)
    assert fast.on_threads(lambda x: 2 * x, [1, 2, 3]) == [2, 4, 6]
    monkeypatch.setattr(_coded_pass, "_PIECE_BYTES", 64)
    text = (
        HEADER
        + "\n"
        + "\n".join(f"{i},10001,FISH,2,2010-12-01 08:26:00,1.5,7,UK" for i in range(50))
    )
    assert len(coded_of(text)) == 50


def test_under_a_tight_memory_limit_the_usual_reader_reads_it(monkeypatch, tmp_path):
    # loading Numba's compiler could abort the process there, or leave the usual reader
    # too little room
    from segmentation.transactions import read_compiled

    text = HEADER + "\n5,10001,FISH,2,2010-12-01 08:26:00,1.5,7,UK\n"
    monkeypatch.setattr(read_compiled, "_address_room", lambda: read_compiled.ROOM_NEEDED)
    assert coded_of(text) is None
    monkeypatch.setattr(read_compiled, "_address_room", lambda: read_compiled.ROOM_NEEDED * 2)
    assert coded_of(text) is not None
    import resource

    limits = {resource.RLIMIT_DATA: (read_compiled.ROOM_NEEDED, resource.RLIM_INFINITY)}
    real = resource.getrlimit
    monkeypatch.setattr(resource, "getrlimit", lambda which: limits.get(which) or real(which))
    assert coded_of(text) is None  # a data-segment limit (ulimit -d) counts too


def colliding_texts(stages: int) -> list[str]:
    """2**stages distinct texts whose FNV-1a hashes share their low 21 bits: each stage a
    pair of 3-letter blocks that take the low bits to the same state."""
    prime, mask = 0x100000001B3, (1 << 21) - 1
    state, pairs = 0xCBF29CE484222325 & mask, []
    blocks = [
        bytes(b) for b in itertools.product(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", repeat=3)
    ]
    for _ in range(stages):
        seen: dict[int, bytes] = {}
        for block in blocks:
            after = state
            for byte in block:
                after = ((after ^ byte) * prime) & mask
            if after in seen:
                pairs.append((seen[after], block))
                state = after
                break
            seen[after] = block
    return [
        b"".join(pair[c] for pair, c in zip(pairs, choice, strict=True)).decode()
        for choice in itertools.product((0, 1), repeat=stages)
    ]


def test_texts_made_to_collide_are_numbered_right(tmp_path):
    texts = colliding_texts(9)
    assert len(set(texts)) == 512
    rows = [f"{i + 1},10001,{t},2,2024-01-01 10:00:00,1.5,{i % 40},UK" for i, t in enumerate(texts)]
    path = tmp_path / "log.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows * 2) + "\n")
    coded = coded_of(path.read_text())
    assert coded is not None and coded.texts["Description"][1] == texts
    pd.testing.assert_frame_equal(coded.frame(), read_transactions(path), check_exact=True)
