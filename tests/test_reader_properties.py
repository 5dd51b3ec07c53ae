"""Property tests: generated good files read back exactly; generated bad files are refused
with the problem at the right row and column; nothing at all makes the reader crash."""

import math
import string
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from segmentation.data import reader
from segmentation.data.careful import CarefulReader
from segmentation.data.reader import (
    MAX_SPENDING,
    CustomerFileError,
    read_customer_csv,
    validate_customer_csv,
)
from segmentation.data.schema import CHANNELS, REGIONS, SPENDING_COLUMNS

COLUMNS = ["Channel", "Region", *SPENDING_COLUMNS]


@st.composite
def customer_tables(draw):
    """A good customer table, and whether it has an id column."""
    n = draw(st.integers(1, 12))
    whole = st.integers(0, 200_000)
    spending = {c: draw(st.lists(whole, min_size=n, max_size=n)) for c in SPENDING_COLUMNS}
    if draw(st.booleans()):  # some decimal spending in one column
        column = draw(st.sampled_from(SPENDING_COLUMNS))
        spending[column] = [v + draw(st.sampled_from([0, 0.5, 0.25])) for v in spending[column]]
    table = pd.DataFrame(
        {
            "Channel": draw(st.lists(st.sampled_from(list(CHANNELS)), min_size=n, max_size=n)),
            "Region": draw(st.lists(st.sampled_from(list(REGIONS)), min_size=n, max_size=n)),
            **spending,
        }
    )
    with_id = draw(st.booleans())
    if with_id:
        table.insert(
            0, "id", draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n, unique=True))
        )
    return table


@st.composite
def written(draw, table):
    """The table as CSV text, written with random harmless variations.

    Returns the text, the header names as written (course name -> written name) and the
    position of each course column in the file.
    """
    columns = draw(st.permutations(list(table.columns)))
    names = {}
    for c in columns:
        name = "Delicatessen" if c == "Delicassen" and draw(st.booleans()) else c
        name = draw(st.sampled_from([name, name.lower(), name.upper()]))
        names[c] = name
    pad = st.sampled_from(["", " ", "  ", "\t"])

    def cell(column, value):
        if column in ("Channel", "Region") and draw(st.booleans()):
            value = (CHANNELS if column == "Channel" else REGIONS)[value]
        return f"{draw(pad)}{value}{draw(pad)}"

    eol = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [",".join(draw(pad) + names[c] + draw(pad) for c in columns)]
    # Column by column, so that each keeps its type (a row would turn every value into a float).
    for values in zip(*(table[c].tolist() for c in columns), strict=True):
        lines.append(",".join(cell(c, v) for c, v in zip(columns, values, strict=True)))
    text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text, names, {c: i for i, c in enumerate(columns)}


def expected(table):
    frame = pd.DataFrame(
        {
            "id": table["id"].astype(np.int64) if "id" in table else np.arange(1, len(table) + 1),
            "Channel": pd.Categorical(
                table["Channel"].map(CHANNELS), categories=list(CHANNELS.values())
            ),
            "Region": pd.Categorical(
                table["Region"].map(REGIONS), categories=list(REGIONS.values())
            ),
        }
    )
    for c in SPENDING_COLUMNS:
        frame[c] = table[c].to_numpy()
    return frame


def careful_reader_not_wanted(*args, **kwargs):
    raise AssertionError("the careful reader ran")


@given(data=st.data())
def test_good_files_read_back_exactly_on_both_paths(tmp_path_factory, data):
    """Each reader on its own gives back the table the file was written from; and the fast
    path takes every such file, so that the tests below, which compare the two readers,
    compare two readers."""
    table = data.draw(customer_tables())
    text, _, _ = data.draw(written(table))
    path = tmp_path_factory.mktemp("good") / "c.csv"
    path.write_bytes(text.encode("utf-8"))
    with mock.patch.object(CarefulReader, "read_rows", careful_reader_not_wanted):
        fast = read_customer_csv(path, require_labels=True)
    pd.testing.assert_frame_equal(fast, expected(table))
    careful = _careful_only(path, require_labels=True)
    assert careful.ok, careful.errors
    pd.testing.assert_frame_equal(careful.frame, expected(table))


CELL_DAMAGE = {
    # kind: (the bad text, what the message says)
    "blank": ("", "the value is blank."),
    "nan": ("nan", "marks a missing value"),
    "inf": ("inf", "is not a finite number"),
    "negative": ("-12", "is negative"),
    "too large": ("9e12", "too large"),
    "text": ("twelve", "is not a number"),
    "thousands": ('"1,234.5"', "is not a number"),  # quoted, as spreadsheets write it
}


@given(data=st.data(), kind=st.sampled_from(sorted(CELL_DAMAGE)))
def test_one_bad_cell_is_reported_at_its_row_and_column(tmp_path_factory, data, kind):
    table = data.draw(customer_tables())
    text, names, positions = data.draw(written(table))
    bad, message = CELL_DAMAGE[kind]
    i = data.draw(st.integers(0, len(table) - 1))
    column = data.draw(st.sampled_from(SPENDING_COLUMNS))
    # Damage the (i+1)-th data line, which the user counts as row i + 2.
    eol = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(eol)
    cells = lines[i + 1].split(",")
    cells[positions[column]] = bad
    lines[i + 1] = ",".join(cells)
    path = tmp_path_factory.mktemp("bad") / "c.csv"
    path.write_bytes(eol.join(lines).encode("utf-8"))
    with pytest.raises(CustomerFileError) as info:
        read_customer_csv(path)
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (i + 2, names[column])
    assert message in problem.message


LINE_DAMAGE = [
    "drop a value",
    "add a value",
    "bad Channel",
    "bad Region",
    "repeat the header",
    "duplicate id",
]


@given(data=st.data(), kind=st.sampled_from(LINE_DAMAGE))
def test_one_bad_line_is_reported_at_its_row(tmp_path_factory, data, kind):
    table = data.draw(customer_tables())
    if kind == "duplicate id":
        assume("id" in table and len(table) > 1)
    text, names, positions = data.draw(written(table))
    eol = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(eol)
    i = data.draw(st.integers(1 if kind == "duplicate id" else 0, len(table) - 1))
    cells = lines[i + 1].split(",")
    column = None
    if kind == "drop a value":
        cells.pop()
    elif kind == "add a value":
        cells.append("7")
    elif kind in ("bad Channel", "bad Region"):
        column = kind.split()[1]
        cells[positions[column]] = "9"
    elif kind == "repeat the header":
        cells = lines[0].split(",")
    else:
        column = "id"
        cells[positions["id"]] = lines[1].split(",")[positions["id"]]
    lines[i + 1] = ",".join(cells)
    path = tmp_path_factory.mktemp("bad") / "c.csv"
    path.write_bytes(eol.join(lines).encode("utf-8"))
    with pytest.raises(CustomerFileError) as info:
        read_customer_csv(path)
    (problem,) = info.value.problems
    assert problem.row == i + 2
    assert problem.column == (names[column] if column else None)


@given(content=st.binary(max_size=300))
def test_any_bytes_give_a_verdict_never_a_crash(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("bytes") / "c.csv"
    path.write_bytes(content)
    result = validate_customer_csv(path)
    assert result.ok == (result.frame is not None)
    assert result.ok or result.errors


ALPHABET = string.ascii_letters[:6] + string.digits + ',;"\r\n \t.-+eE'


@given(
    text=st.text(alphabet=ALPHABET, max_size=200),
    header=st.sampled_from(
        [",".join(COLUMNS), "id," + ",".join(COLUMNS), ",".join(SPENDING_COLUMNS)]
    ),
)
def test_any_text_under_a_good_header_gives_a_verdict_never_a_crash(tmp_path_factory, header, text):
    path = tmp_path_factory.mktemp("text") / "c.csv"
    path.write_bytes((header + "\n" + text).encode("utf-8"))
    result = validate_customer_csv(path)
    assert result.ok == (result.frame is not None)
    if result.ok:
        assert result.frame.notna().all().all()
        assert (result.frame[list(SPENDING_COLUMNS)] >= 0).all().all()


def _careful_only(path, **kwargs):
    with mock.patch.object(reader, "read_fast", lambda *args: None):
        return validate_customer_csv(path, **kwargs)


CELLS = st.one_of(
    st.sampled_from(
        [
            "1",
            " 2",
            "3 ",
            "1e3",
            "1E+2",
            ".5",
            "5.",
            "+4",
            "-0",
            "0x1",
            "1_0",
            "nan",
            "inf",
            "Infinity",
            "",
            "NA",
            "1,5",
            "१२",
            "12\u00a0",
            "1d5",
            "retail",
            "2.0",
            "02",
            "Horeca",
            " 1 ",
            "3",
        ]
    ),
    st.text(alphabet=string.digits + ".eE+- xa", max_size=6),
)


@given(data=st.data())
def test_the_fast_path_agrees_with_the_careful_reader(tmp_path_factory, data):
    table = data.draw(customer_tables())
    text, _, _ = data.draw(written(table))
    eol = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(eol)
    for _ in range(data.draw(st.integers(1, 3))):  # a few odd cells anywhere
        i = data.draw(st.integers(1, len(table)))
        cells = lines[i].split(",")
        cells[data.draw(st.integers(0, len(cells) - 1))] = data.draw(CELLS)
        lines[i] = ",".join(cells)
    path = tmp_path_factory.mktemp("agree") / "c.csv"
    path.write_bytes(eol.join(lines).encode("utf-8"))
    fast = validate_customer_csv(path)
    careful = _careful_only(path)
    assert fast.ok == careful.ok
    assert [p.describe("f") for p in fast.errors] == [p.describe("f") for p in careful.errors]
    if fast.ok:
        pd.testing.assert_frame_equal(fast.frame, careful.frame)


# Spellings where the two readers could part: infinities, NaN, huge and tiny exponents, signed
# zeros, numbers of hundreds of digits.
EDGE_CELLS = [
    "inf",
    "-inf",
    "+inf",
    "Inf",
    "INF",
    "iNf",
    "Infinity",
    "-Infinity",
    "+Infinity",
    "infinity",
    "nan",
    "NaN",
    "-nan",
    "+nan",
    "NAN",
    "NA",
    "null",
    "1e308",
    "1.7976931348623157e308",
    "1.7976931348623158e308",
    "1.8e308",
    "1e400",
    "-1e400",
    "1E+400",
    "1e-400",
    "4.9e-324",
    "2.4703282292062328e-324",
    "0e999",
    "0.0e-999",
    "1e0000000000000000400",
    "-0",
    "-0.0",
    "+0",
    "-0e5",
    "0.",
    "-.0",
    "9" * 400,
    "1" + "0" * 30,
    "0" * 30 + "7",
]


def limit_cells(limit: float) -> list[str]:
    """Values at a spending limit: exactly it, just above, just below, as written by hand."""
    if math.isinf(limit):
        return ["1.7976931348623157e308", "1e309", "inf"]
    above, below = float(np.nextafter(limit, math.inf)), float(np.nextafter(limit, 0))
    return [
        repr(limit),
        f"{limit:.0f}",
        repr(above),
        repr(below),
        f"{limit:.0f}.0000000001",
        f"{limit:.0f}.5",
        f"{limit + 1:.0f}",
        f"{limit:e}",
        f"{limit:.0f}.00000000000000000001",
    ]


# Limits above every value customer_tables() draws, and one below some of them.
LIMITS = [MAX_SPENDING, math.inf, 1e8, 250_000.0, 2.0**53, 234_567.5]

#: For each spending limit, values written at it, and what the reader makes of each: the number
#: it reads, or None when it refuses the value as above the limit (or not finite). Worked by
#: hand: a value is read as the nearest double, so some values a little above a limit are the
#: limit itself (10000000.0000000001 is 1e7; 9007199254740993 is 2**53, halfway between two
#: doubles, and rounds to the even one).
AT_THE_LIMIT = {
    10_000_000: [
        ("10000000.0", 1e7),
        ("10000000", 1e7),
        ("10000000.000000002", None),  # the next double up
        ("9999999.999999998", 9_999_999.999999998),  # the next double down
        ("10000000.0000000001", 1e7),  # closer to 1e7 than to the next double
        ("10000000.5", None),
        ("10000001", None),
        ("1.000000e+07", 1e7),
        ("10000000.00000000000000000001", 1e7),
    ],
    100_000_000: [
        ("100000000.0", 1e8),
        ("100000000", 1e8),
        ("100000000.00000001", None),
        ("99999999.99999999", 99_999_999.99999999),
        ("100000000.0000000001", 1e8),
        ("100000000.5", None),
        ("100000001", None),
        ("1.000000e+08", 1e8),
    ],
    250_000: [
        ("250000.0", 250_000),
        ("250000", 250_000),
        ("250000.00000000003", None),
        ("249999.99999999997", 249_999.99999999997),
        ("250000.0000000001", None),  # doubles near 250,000 are 3e-11 apart: this one is above
        ("250000.5", None),
        ("250001", None),
        ("2.500000e+05", 250_000),
        ("250000.00000000000000000001", 250_000),
    ],
    2**53: [  # doubles are 2 apart above 2**53, 1 below
        ("9007199254740992.0", 2**53),
        ("9007199254740992", 2**53),
        ("9007199254740994.0", None),
        ("9007199254740991.0", 2**53 - 1),
        ("9007199254740992.5", 2**53),
        ("9007199254740993", 2**53),
        ("9007199254740995", None),  # halfway between ...994 and ...996: rounds to ...996
        ("9.007199e+15", 9_007_199_000_000_000),
    ],
    234_567.5: [
        ("234567.5", 234_567.5),
        ("234568", None),
        ("234567.50000000003", None),
        ("234567.49999999997", 234_567.49999999997),
        ("2.345675e+05", 234_567.5),
        ("234567.50000000000000000001", 234_567.5),
    ],
    math.inf: [
        ("1.7976931348623157e308", 1.7976931348623157e308),
        ("1e309", None),  # beyond the largest double
        ("inf", None),
    ],
}


NUMBERS = st.one_of(
    st.integers(0, 10**6).map(str),
    st.floats(0, 1e7, allow_nan=False).map(repr),
    st.decimals(0, 10**6, places=3).map(str),
)


@st.composite
def odd_cells(draw, limit):
    cell = draw(
        st.one_of(NUMBERS, st.sampled_from(EDGE_CELLS), st.sampled_from(limit_cells(limit)), CELLS)
    )
    quoting = draw(
        st.sampled_from(
            [
                "none",
                "quoted",
                "quoted",
                "padded inside",
                "unclosed",
                "text after",
                "space after",
                "space before",
                "doubled",
            ]
        )
    )
    return {
        "none": cell,
        "quoted": f'"{cell}"',
        "padded inside": f'" {cell}\t"',
        "unclosed": f'"{cell}',
        "text after": f'"{cell}"5',
        "space after": f'"{cell}" ',
        "space before": f' "{cell}"',
        "doubled": f'"{cell}"""',
    }[quoting]


@given(data=st.data(), limit=st.sampled_from([*LIMITS, 150_000.0]))
def test_the_fast_path_agrees_on_infinities_limits_and_quotes(tmp_path_factory, data, limit):
    """Odd numbers, some quoted (as spreadsheets write them), some with broken quoting, under
    several spending limits: both readers give the same verdict, the same problems at the same
    rows, and, when they accept, exactly the same table."""
    table = data.draw(customer_tables())
    text, _, positions = data.draw(written(table))
    eol = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(eol)
    spending = [positions[c] for c in SPENDING_COLUMNS]
    if data.draw(st.booleans()):  # a column the course ignores, names quoted as exports do
        notes = st.sampled_from(["x", '"Smith, J"', '"a,b,c"', '""', '"say ""hi"""', "", '"7"'])
        lines = [
            ("Note" if i == 0 else data.draw(notes)) + "," + line if line else line
            for i, line in enumerate(lines)
        ]
        spending = [p + 1 for p in spending]
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(1, len(table)))
        cells = lines[i].split(",")
        position = data.draw(
            st.sampled_from(spending)
            if data.draw(st.booleans())
            else st.integers(0, len(cells) - 1)
        )
        cells[position] = data.draw(odd_cells(limit))
        lines[i] = ",".join(cells)
    if data.draw(st.booleans()):  # a quoted, harmless value elsewhere: the fast path must stay
        i = data.draw(st.integers(1, len(table)))
        cells = lines[i].split(",")
        j = data.draw(st.integers(0, len(cells) - 1))
        if '"' not in cells[j]:
            cells[j] = f'"{cells[j]}"'
        lines[i] = ",".join(cells)
    path = tmp_path_factory.mktemp("edges") / "c.csv"
    path.write_bytes(eol.join(lines).encode("utf-8"))
    fast = validate_customer_csv(path, max_spending=limit)
    careful = _careful_only(path, max_spending=limit)
    assert fast.ok == careful.ok
    assert [p.describe("f") for p in fast.errors] == [p.describe("f") for p in careful.errors]
    assert fast.total_errors == careful.total_errors
    if fast.ok:
        pd.testing.assert_frame_equal(fast.frame, careful.frame, check_exact=True)
        spent = fast.frame[list(SPENDING_COLUMNS)].to_numpy(dtype=float)
        assert np.isfinite(spent).all() and (spent <= limit).all()
        assert not np.signbit(spent).any()  # no -0


@given(data=st.data(), limit=st.sampled_from(list(AT_THE_LIMIT)))
def test_a_limit_value_is_judged_by_the_number_it_reads_as(tmp_path_factory, data, limit):
    """A value at the limit is taken, one above it refused, on both paths, quoted or not, as
    worked out by hand in AT_THE_LIMIT."""
    table = data.draw(customer_tables())
    text, names, positions = data.draw(written(table))
    eol = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(eol)
    column = data.draw(st.sampled_from(SPENDING_COLUMNS))
    i = data.draw(st.integers(1, len(table)))
    value, number = data.draw(st.sampled_from(AT_THE_LIMIT[limit]))
    cells = lines[i].split(",")
    cells[positions[column]] = f'"{value}"' if data.draw(st.booleans()) else value
    lines[i] = ",".join(cells)
    path = tmp_path_factory.mktemp("limit") / "c.csv"
    path.write_bytes(eol.join(lines).encode("utf-8"))
    for result in (
        validate_customer_csv(path, max_spending=limit),
        _careful_only(path, max_spending=limit),
    ):
        assert result.ok == (number is not None), (value, result.errors)
        if number is not None:
            assert result.frame[column].iloc[i - 1] == number
        else:
            (problem,) = result.errors
            assert (problem.row, problem.column) == (i + 1, names[column])


#: Ways to write a Channel or Region code: signed, leading zeros, padded, in other scripts'
#: digits (Arabic-Indic, Devanagari, full-width), as names, and with a zero decimal part.
LABEL_SPELLINGS = st.sampled_from(["+", "-", "0", "00", "", " ", "\t", "\u00a0"]).flatmap(
    lambda before: st.sampled_from(
        ["1", "2", "3", "٢", "१", "２", "1١", "retail", "2.0", "2.", "+2", "0x2", "2e0", "Lisbon"]
    ).flatmap(
        lambda code: st.sampled_from(["", " ", "\t", ".0", "\u00a0"]).map(
            lambda after: f"{before}{code}{after}"
        )
    )
)


@given(data=st.data(), spelling=LABEL_SPELLINGS)
def test_the_fast_path_agrees_on_label_codes(tmp_path_factory, data, spelling):
    """A Channel or Region code written with a sign, leading zeros, spaces or non-ASCII digits
    gets the same verdict from both readers; a sign or a non-ASCII digit is never a code."""
    table = data.draw(customer_tables())
    text, _, positions = data.draw(written(table))
    eol = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(eol)
    column = data.draw(st.sampled_from(["Channel", "Region"]))
    i = data.draw(st.integers(1, len(table)))
    cells = lines[i].split(",")
    cells[positions[column]] = spelling
    lines[i] = ",".join(cells)
    path = tmp_path_factory.mktemp("labels") / "c.csv"
    path.write_bytes(eol.join(lines).encode("utf-8"))
    fast, careful = validate_customer_csv(path), _careful_only(path)
    assert fast.ok == careful.ok
    assert [p.describe("f") for p in fast.errors] == [p.describe("f") for p in careful.errors]
    if fast.ok:
        pd.testing.assert_frame_equal(fast.frame, careful.frame, check_exact=True)
    if "+" in spelling or "-" in spelling or any(c.isdigit() and not c.isascii() for c in spelling):
        assert not fast.ok
