"""`segmentation rfm` as a user runs it: the RFM(+X) table of a transaction log with scores
and segment names, the summary, --as-of, bad input refused with one message and nothing
written, and outputs that appear whole or not at all."""

import io
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import segmentation
from segmentation.cli import main
from segmentation.rfm.scores import SEGMENT_ORDER
from segmentation.transactions.shipped import write_csv

COMMAND = Path(sys.executable).parent / "segmentation"
HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"

# Three customers, worked by hand below, and one line for each cleaning rule but the
# bad-debt one: a duplicate (invoice 3 twice), a guest (8), a cancellation (C5) and a free
# line (9).
LOG = HEADER + (
    "1,10001,FRESH VEGETABLES CRATE,2,2024-03-01 10:00:00,10.00,101,Portugal\n"
    "1,20001,WHOLE MILK 12 x 1 L,1,2024-03-01 10:00:00,5.00,101,Portugal\n"
    '2,60001,"CURED HAM, WHOLE",1,2024-02-01 09:30:00,89.00,102,Portugal\n'
    "3,30001,RICE 10 KG SACK,3,2024-03-05 11:15:00,14.90,103,Portugal\n"
    "3,30001,RICE 10 KG SACK,3,2024-03-05 11:15:00,14.90,103,Portugal\n"
    "4,10001,FRESH VEGETABLES CRATE,1,2024-03-08 08:00:00,10.00,101,Portugal\n"
    "C5,10001,FRESH VEGETABLES CRATE,-1,2024-03-09 12:00:00,10.00,101,Portugal\n"
    "6,30001,RICE 10 KG SACK,1,2024-03-09 14:00:00,14.90,103,Portugal\n"
    "7,40001,FROZEN VEGETABLES 10 KG,2,2024-03-09 16:45:00,22.40,103,Portugal\n"
    "8,10002,SEASONAL FRUIT BOX,4,2024-03-02 10:00:00,24.00,,Portugal\n"
    "9,50003,FLOOR CLEANER 5 L,1,2024-03-03 10:00:00,0.00,101,Portugal\n"
)

# Customer ID, RFM, X (the category shares: the course's six spending columns), scores.
COLUMNS = (
    "Customer ID,recency,frequency,monetary,breadth,tenure,average_basket,cancellation_rate,"
    "interval,Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen,R,F,M,code,segment"
).split(",")

# By hand, as of 2024-03-10 (the day after the last line, 2024-03-09):
# 101 bought on 03-01 (20 + 5) and 03-08 (10) and cancelled 10 on 03-09: recency 2, 2
#     invoices, net 25, tenure 9, basket 12.50, cancelled 10 of 35 bought (0.2857), one
#     repeat 7 days after the first; Fresh 20 of 25 net, Milk 5.
# 102 bought once, on 02-01 (89 of ham): 38 days before (February 2024 has 29 days).
# 103 bought on 03-05 (44.70), 03-09 (14.90) and 03-09 again (44.80): net 104.40, 3
#     invoices over 4 days; Grocery 59.60 and Frozen 44.80 of 104.40.
# Scores, 5 bins for 3 customers: positions 1, 2, 3 give 1 + floor((2 p - 1) * 5 / 6) = 1, 3,
# 5. R (most recent best): 102 1, 101 3, 103 5; F: 102 1, 101 3, 103 5; M: 101 1, 102 3,
# 103 5. FM = (F + M + 1) // 2: 101 2, 102 2, 103 5; the grid: R3 FM2 About to sleep, R1 FM2
# Lost, R5 FM5 Champions.
HAND = pd.DataFrame(
    [
        ["101", 2, 2, 25.0, 2, 9, 12.5, 0.2857, 7.0, 0.8, 0.2, 0, 0, 0, 0, 3, 3, 1, "331",
         "About to sleep"],
        ["102", 38, 1, 89.0, 1, 38, 89.0, 0.0, math.nan, 0, 0, 0, 0, 0, 1.0, 1, 1, 3, "113",
         "Lost"],
        ["103", 1, 3, 104.4, 2, 5, 34.8, 0.0, 2.0, 0, 0, 0.5709, 0.4291, 0, 0, 5, 5, 5, "555",
         "Champions"],
    ],
    columns=COLUMNS,
)  # fmt: skip


def read_table(source):
    """The written table, ids and codes as text (as a spreadsheet user reads them)."""
    return pd.read_csv(source, dtype={"Customer ID": str, "code": str})


def write_log(folder, text=LOG, name="log.csv"):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def rfm(*args):
    """`main` in this process: the exit status."""
    return main(["rfm", *map(str, args)])


def snapshot(folder):
    """Each entry of ``folder`` (hidden temporary files too): its mode, and a file's bytes."""
    return {
        path.name: (path.stat().st_mode, path.read_bytes() if path.is_file() else None)
        for path in sorted(folder.iterdir())
    }


# --- what the table says ---------------------------------------------------------------------


def test_the_table_has_the_hand_worked_values(tmp_path, capsys):
    log, out = write_log(tmp_path), tmp_path / "rfm.csv"
    assert rfm(log, "-o", out) == 0
    table = read_table(out)
    assert table.columns.tolist() == COLUMNS
    pd.testing.assert_frame_equal(table, HAND, check_dtype=False, atol=5e-5)


def test_lines_after_the_date_are_counted_and_so_are_customers_who_bought_only_then(
    tmp_path, capsys
):
    log, out = write_log(tmp_path), tmp_path / "rfm.csv"
    # by hand, on or after 2024-03-09: invoices 6 and 7 (customer 103, one line each) and the
    # cancellation C5 of 101; everyone bought before. On or after 03-02: 101's invoice 4 and
    # 103's invoices 3, 6 and 7 (a line each; 3's duplicate was set aside), and C5; 103 bought
    # only then.
    assert rfm(log, "-o", out, "--as-of", "2024-03-09") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[7] == (
        "Left out, dated on or after 2024-03-09: 2 purchase lines and 1 cancellation line; "
        "0 customers bought only then and are not scored."
    )
    assert rfm(log, "-o", out, "--as-of", "2024-03-02") == 0
    printed = capsys.readouterr().out
    assert (
        "Left out, dated on or after 2024-03-02: 4 purchase lines and 1 cancellation line; "
        "1 customer bought only then and is not scored."
    ) in printed
    assert "Wrote the RFM table of 2 customers" in printed
    assert len(read_table(out)) == 2


def test_the_table_is_what_the_library_gives(tmp_path, capsys):
    log, out = write_log(tmp_path), tmp_path / "rfm.csv"
    assert rfm(log, "-o", out) == 0
    clean = segmentation.clean_transactions(segmentation.read_transactions(log))
    plus = segmentation.rfm_plus(clean)
    scores = segmentation.rfm_scores(plus)
    segments = segmentation.rfm_segments(scores)
    table = read_table(out).set_index("Customer ID")
    assert table.index.tolist() == plus.index.tolist()
    pd.testing.assert_frame_equal(table[plus.columns], plus, check_dtype=False, check_names=False)
    for column in ("R", "F", "M", "code"):
        assert table[column].astype(str).tolist() == scores[column].astype(str).tolist()
    assert table["segment"].tolist() == segments.astype(str).tolist()


def test_the_summary_counts_each_rule_customers_and_segments_in_order(tmp_path, capsys):
    log, out = write_log(tmp_path), tmp_path / "rfm.csv"
    assert rfm(log, "-o", out) == 0
    printed = capsys.readouterr()
    assert printed.err == ""
    lines = printed.out.splitlines()
    assert lines[:7] == [
        "Read 11 lines of " + str(log) + "; the cleaning set aside:",
        "  exact duplicate rows: 1",
        "  missing customer id: 1",
        "  cancellations: 1",
        "  bad-debt adjustments: 0",
        "  quantity or price of the wrong sign: 1",
        "  kept: 7 purchase lines",
    ]
    assert lines[7] == "Scored 3 customers as of 2024-03-10 (the day after the last line):"
    counts = dict(line.strip().rsplit(": ", 1) for line in lines[8:-1])
    assert list(counts) == list(SEGMENT_ORDER)
    expected = {"About to sleep": "1", "Lost": "1", "Champions": "1"}
    assert counts == {name: expected.get(name, "0") for name in SEGMENT_ORDER}
    assert lines[-1] == f"Wrote the RFM table of 3 customers to {out}."


def test_as_of_leaves_later_lines_out_and_changes_recency(tmp_path, capsys):
    log, out = write_log(tmp_path), tmp_path / "rfm.csv"
    assert rfm(log, "-o", out, "--as-of", "2024-03-09") == 0
    table = read_table(out).set_index("Customer ID")
    # Midnight of 03-09: 103's two invoices that day and 101's cancellation are left out.
    assert table["recency"].to_dict() == {"101": 1, "102": 37, "103": 4}
    assert table["frequency"].to_dict() == {"101": 2, "102": 1, "103": 1}
    assert table["monetary"].to_dict() == {"101": 35.0, "102": 89.0, "103": 44.7}
    assert table["cancellation_rate"].to_dict() == {"101": 0.0, "102": 0.0, "103": 0.0}
    assert "as of 2024-03-09 (given by --as-of" in capsys.readouterr().out
    # A later date than the default adds a day to every recency.
    assert rfm(log, "-o", out, "--as-of", "2024-03-11") == 0
    later = read_table(out).set_index("Customer ID")
    assert later["recency"].to_dict() == {"101": 3, "102": 39, "103": 2}


def test_dash_writes_the_table_to_standard_output_and_the_summary_to_error(tmp_path, capsys):
    log = write_log(tmp_path)
    assert rfm(log, "-o", "-") == 0
    printed = capsys.readouterr()
    pd.testing.assert_frame_equal(
        read_table(io.StringIO(printed.out)), HAND, check_dtype=False, atol=5e-5
    )
    assert printed.err.startswith(f"Read 11 lines of {log}")
    assert printed.err.endswith("Wrote the RFM table of 3 customers to standard output.\n")
    assert list(snapshot(tmp_path)) == ["log.csv"]


def test_the_installed_command_writes_the_table(tmp_path):
    write_log(tmp_path)
    done = subprocess.run(
        [str(COMMAND), "rfm", "log.csv", "-o", "rfm.csv", "--as-of", "2024-03-10"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "Wrote the RFM table of 3 customers to rfm.csv." in done.stdout
    pd.testing.assert_frame_equal(
        read_table(tmp_path / "rfm.csv"), HAND, check_dtype=False, atol=5e-5
    )


def test_what_the_reader_ignored_is_a_one_line_note(tmp_path, capsys):
    rows = LOG.splitlines()
    text = "\n".join([rows[0] + ",Notes"] + [row + ",x" for row in rows[1:]]) + "\n"
    log, out = write_log(tmp_path, text), tmp_path / "rfm.csv"
    assert rfm(log, "-o", out) == 0
    assert capsys.readouterr().err == (
        f"  note: {log}, row 1: column 9 ('Notes') is not one a transaction log uses; "
        "it was ignored.\n"
    )
    pd.testing.assert_frame_equal(read_table(out), HAND, check_dtype=False, atol=5e-5)


def test_an_id_that_could_start_a_formula_never_reaches_the_table(tmp_path, capsys):
    # The reader takes whole numbers only as customer ids, so every id written is safe in
    # a spreadsheet; anything else is refused, by row.
    log = write_log(tmp_path, LOG.replace(",101,", ",=1+1,"))
    assert rfm(log, "-o", tmp_path / "rfm.csv") == 1
    err = capsys.readouterr().err
    assert "log.csv, row 2, column Customer ID: '=1+1' is not a customer id." in err
    assert not (tmp_path / "rfm.csv").exists()


# --- bad input: a message, the exit status, nothing written -----------------------------------

NO_PURCHASE = HEADER + (
    "1,10001,X,2,2024-03-01 10:00:00,10.00,,UK\n"
    "C2,10001,X,-1,2024-03-02 10:00:00,10.00,101,UK\n"
    "3,10001,X,0,2024-03-03 10:00:00,10.00,101,UK\n"
    "A4,B,Adjust bad debt,1,2024-03-04 10:00:00,5.00,101,UK\n"
)


@pytest.mark.parametrize(
    "as_of, phrase",
    [
        ("2024-13-01", "--as-of must be a date written YYYY-MM-DD, such as 2025-01-01"),
        ("2024-02-30", "written YYYY-MM-DD"),
        ("20240301", "written YYYY-MM-DD"),
        ("1/3/2024", "written YYYY-MM-DD"),
        ("yesterday", "got 'yesterday'"),
        ("", "written YYYY-MM-DD"),
        ("0001-01-01", "--as-of must be a date from 1678-01-01 to 2261-12-31"),
    ],
)
def test_a_date_that_is_no_date_is_a_usage_error_before_any_work(tmp_path, capsys, as_of, phrase):
    # No log at all: the arguments are checked before the file is read.
    assert rfm(tmp_path / "missing.csv", "-o", tmp_path / "rfm.csv", "--as-of", as_of) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: segmentation rfm")
    assert phrase in err
    assert snapshot(tmp_path) == {}


@pytest.mark.parametrize(
    "text, as_of, phrases",
    [
        (
            LOG,
            "2024-02-01",
            [
                "log.csv: no purchase is dated before --as-of 2024-02-01",
                "The log runs from 2024-02-01 to 2024-03-09: give a later date",
                "leave --as-of out to score as of 2024-03-10",
            ],
        ),
        (LOG, "1999-12-31", ["no purchase is dated before --as-of 1999-12-31"]),
        (
            NO_PURCHASE,
            None,
            [
                "log.csv: no purchase of a known customer is left after cleaning",
                "(lines set aside: missing customer id 1, cancellations 1, bad-debt "
                "adjustments 1, quantity or price of the wrong sign 1)",
                "check that these columns are filled in",
            ],
        ),
        (
            "Channel,Region,Fresh\n1,1,5\n",
            None,
            ["log.csv cannot be used:", "column Invoice: the column is missing"],
        ),
        (
            HEADER + "1,10001,X,two,2024-03-01 10:00:00,10.00,101,UK\n",
            None,
            ["log.csv, row 2, column Quantity"],
        ),
        (HEADER, None, ["the file has a header but no transaction rows"]),
    ],
    ids=["before the first purchase", "long before", "no purchase", "customers", "value", "empty"],
)
def test_a_log_without_customers_is_refused_with_what_to_do(tmp_path, capsys, text, as_of, phrases):
    log = write_log(tmp_path, text)
    (tmp_path / "rfm.csv").write_text("the old table\n")
    before = snapshot(tmp_path)
    args = [log, "-o", tmp_path / "rfm.csv"] + (["--as-of", as_of] if as_of else [])
    assert rfm(*args) == 1
    printed = capsys.readouterr()
    assert printed.out == ""
    for phrase in phrases:
        assert phrase in printed.err
    assert "Traceback" not in printed.err
    assert snapshot(tmp_path) == before  # the old output untouched, no temporary file


@pytest.mark.parametrize(
    "output, phrase",
    [
        ("folder", "is a folder; give a file name"),
        ("nowhere/rfm.csv", "the folder nowhere does not exist"),
        ("log.csv", "the output log.csv is also an input"),
        ("rfm.csv/", "ends with a slash"),
        ("read-only.csv", "is read-only"),
    ],
)
def test_an_output_that_cannot_be_written_is_refused_before_any_work(tmp_path, output, phrase):
    write_log(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "read-only.csv").write_text("keep me\n")
    (tmp_path / "read-only.csv").chmod(0o444)
    before = snapshot(tmp_path / "folder"), snapshot(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "segmentation", "rfm", "log.csv", "-o", output],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr  # read-only by its mode bits, also for root
    assert done.stdout == "" and phrase in done.stderr and "Traceback" not in done.stderr
    assert (snapshot(tmp_path / "folder"), snapshot(tmp_path)) == before


# --- whole or not at all ---------------------------------------------------------------------


def test_an_interruption_while_writing_leaves_the_old_output(tmp_path, capsys, monkeypatch):
    from segmentation.data import output

    log, out = write_log(tmp_path), tmp_path / "rfm.csv"
    out.write_text("the old table\n")
    before = snapshot(tmp_path)
    written = []

    def interrupted(handle, target):
        # The whole table is in the temporary file now, and not yet renamed.
        written.extend(p for p in tmp_path.iterdir() if p.name.startswith(".rfm.csv."))
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "_give_permissions", interrupted)
    assert rfm(log, "-o", out) == 130
    assert len(written) == 1
    assert capsys.readouterr().err == "segmentation rfm: interrupted. Nothing was written.\n"
    assert snapshot(tmp_path) == before


def test_a_full_disk_leaves_no_output(tmp_path, capsys, monkeypatch):
    from segmentation.data import output

    log, out = write_log(tmp_path), tmp_path / "rfm.csv"
    before = snapshot(tmp_path)

    def full(temporary, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output, "_replace", full)
    assert rfm(log, "-o", out) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"segmentation rfm: could not write or read {out}: No space left")
    assert err.endswith("Nothing was written.\n")
    assert snapshot(tmp_path) == before


# --- the shipped log ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wholesale(tmp_path_factory):
    """The shipped wholesale log (SIMULATED timing) as the CSV a user would give."""
    path = tmp_path_factory.mktemp("wholesale") / "wholesale.csv"
    write_csv(segmentation.load_transactions("wholesale"), path)
    return path


def test_the_shipped_wholesale_log_runs_end_to_end(wholesale, tmp_path, capsys):
    out = tmp_path / "rfm.csv"
    assert rfm(wholesale, "-o", out) == 0
    printed = capsys.readouterr().out
    table = read_table(out)
    assert table.columns.tolist() == COLUMNS
    # The course's 440 customers, each once, sorted.
    assert len(table) == 440 and table["Customer ID"].is_unique
    assert table["Customer ID"].tolist() == sorted(table["Customer ID"])
    assert table[["R", "F", "M"]].isin(range(1, 6)).all().all()
    assert (table["code"] == table.R.astype(str) + table.F.astype(str) + table.M.astype(str)).all()
    assert set(table["segment"]) <= set(SEGMENT_ORDER)
    # Frequency: each customer's distinct invoices, counted here by pandas.
    log = segmentation.clean_transactions(segmentation.load_transactions("wholesale"))
    invoices = log.purchases.groupby("Customer ID")["Invoice"].nunique()
    assert table.set_index("Customer ID")["frequency"].to_dict() == invoices.to_dict()
    assert f"Read {len(segmentation.load_transactions('wholesale')):,} lines" in printed
    assert "Scored 440 customers as of " in printed
    counts = table["segment"].value_counts()
    for name in SEGMENT_ORDER:
        assert f"  {name}: {counts.get(name, 0):,}\n" in printed


def test_numbers_are_written_rounded(wholesale, tmp_path, capsys):
    out = tmp_path / "rfm.csv"
    assert rfm(wholesale, "-o", out, "--as-of", "2025-07-01") == 0
    text = pd.read_csv(out, dtype=str, keep_default_na=False)
    decimals = {"monetary": 2, "average_basket": 2, "cancellation_rate": 4, "interval": 1}
    decimals |= dict.fromkeys(
        ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"], 4
    )
    for column, places in decimals.items():
        cells = text[column][text[column] != ""]
        assert cells.str.fullmatch(rf"-?\d+(\.\d{{1,{places}}})?").all(), column
    for column in ("recency", "frequency", "breadth", "tenure", "R", "F", "M"):
        assert text[column].str.fullmatch(r"\d+").all(), column
    assert not re.search(r"-0\.0\b", out.read_text())


def rfm_under_limit(folder, limit, env=None):
    """``segmentation rfm log.csv -o rfm.csv`` in ``folder`` under ``ulimit LIMIT``."""
    return subprocess.run(
        ["bash", "-c", f'ulimit {limit}; exec "$0" rfm log.csv -o rfm.csv', str(COMMAND)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.mark.parametrize("limit", ["-v 450000", "-d 230000"])  # address space, data (KiB)
def test_a_large_plain_log_under_a_memory_limit_is_read_the_usual_way(tmp_path, limit):
    # 100,000 lines (7 MB) in the plainest form, which the command would read as numbers:
    # under these limits, loading Numba's compiler (and the BLAS it loads) could abort the
    # process, spin for ever, or leave the usual reader too little, so the usual reader
    # reads it, in the room it has
    lines = [f"{i},10002,x,1,2024-01-01 10:00:00,2,{i % 50},UK" for i in range(100_000)]
    write_log(tmp_path, HEADER + "\n".join(lines) + "\n")
    # OpenBLAS starting its threads is what spun for ever under ulimit -d
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = rfm_under_limit(tmp_path, limit, env)
    assert done.returncode == 0, done.stderr
    assert "Scored 50 customers" in done.stdout
    assert len(pd.read_csv(tmp_path / "rfm.csv")) == 50


@pytest.mark.parametrize("limit", [300_000, 400_000])  # KiB: the second is plenty for 3 customers
def test_running_out_of_memory_is_a_message_and_writes_nothing(tmp_path, limit):
    if limit == 400_000:
        write_log(tmp_path)
    else:  # 700,000 lines (29 MB): parsing them takes about 180 MB more than 300 MB leaves
        lines = [f"{i},10002,x,1,2024-01-01 10:00,2,{i % 50},UK" for i in range(700_000)]
        write_log(tmp_path, HEADER + "\n".join(lines) + "\n")
    before = snapshot(tmp_path)
    done = rfm_under_limit(tmp_path, f"-v {limit}")
    if limit == 400_000:
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    # Where memory runs out decides who says so: the reader (the file is too large for this
    # computer's memory) or the command (it ran out of memory while ...).
    assert "memory" in done.stderr
    assert snapshot(tmp_path) == before
