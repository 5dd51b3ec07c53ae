"""Transaction files that are odd but readable: blank lines before the header, very many
extra columns, Windows line ends, no final line break. (Found by trying to break the
`segmentation rfm` command.)"""

import pytest

from segmentation import read_transactions, validate_transactions
from segmentation.data.columns import MAX_IGNORED_NAMED

HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"
ROWS = [
    "1,10002,SEASONAL FRUIT BOX,2,2024-01-01 10:00,24.00,5,Portugal",
    "2,20001,WHOLE MILK 12 x 1 L,1,2024-01-02 11:30,9.60,6,Portugal",
]


def write(tmp_path, text, name="log.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.fixture
def plain(tmp_path):
    return read_transactions(write(tmp_path, "\n".join([HEADER, *ROWS]) + "\n", "plain.csv"))


@pytest.mark.parametrize(
    "before, skipped",
    [
        ("\n", "blank row 1 skipped"),
        ("\r\n", "blank row 1 skipped"),
        (",,,,,,,\n", "blank row 1 skipped"),
        ("\n\n", "blank rows 1, 2 skipped"),
    ],
)
@pytest.mark.parametrize("accent", [False, True])  # ASCII files take another road
def test_blank_lines_before_the_header_are_skipped_with_a_note(
    tmp_path, plain, before, skipped, accent
):
    rows = [r.replace("SEASONAL FRUIT BOX", '"FRUTA, SAZONAL Ç"') for r in ROWS] if accent else ROWS
    result = validate_transactions(write(tmp_path, before + "\n".join([HEADER, *rows]) + "\n"))
    assert result.ok, [p.describe("log.csv") for p in result.errors]
    assert [p.message for p in result.notes] == [f"{skipped}."]
    assert result.frame["Customer ID"].tolist() == plain["Customer ID"].tolist()
    assert result.frame["Quantity"].tolist() == plain["Quantity"].tolist()


def test_a_file_of_only_blank_lines_is_still_refused(tmp_path):
    result = validate_transactions(write(tmp_path, "\n\r\n,,,\n"))
    assert not result.ok
    assert "only blank lines" in result.errors[0].message


def test_many_extra_columns_give_a_few_notes_not_one_each(tmp_path):
    extra = 100_000
    header = HEADER + "".join(f",x{i}" for i in range(extra))
    rows = [row + "," * extra for row in ROWS]
    result = validate_transactions(write(tmp_path, "\n".join([header, *rows]) + "\n"))
    assert result.ok
    messages = [p.message for p in result.notes]
    assert len(messages) == MAX_IGNORED_NAMED + 1
    assert messages[0] == "column 9 ('x0') is not one a transaction log uses; it was ignored."
    assert messages[-1] == (
        f"{extra - MAX_IGNORED_NAMED:,} more columns are not ones a transaction log uses; "
        "they were ignored."
    )


@pytest.mark.parametrize("ending", ["\r\n", ""])
def test_windows_line_ends_and_no_final_break_read_as_the_plain_file(tmp_path, plain, ending):
    text = "\r\n".join([HEADER, *ROWS]) + ending
    frame = read_transactions(write(tmp_path, text))
    assert frame.equals(plain)
