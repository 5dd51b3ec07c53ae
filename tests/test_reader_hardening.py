"""The customer reader against hostile input: every file gets a message and exit 1, never a
traceback or a hang; what is checked is what is parsed; values are shown escaped and cut.

Each test reproduces one case of issue 13 through the Python API and, where the issue shows a
command, through `segmentation validate` run as a user runs it.
"""

import math
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from segmentation.data import reader
from segmentation.data.careful import CarefulReader
from segmentation.data.reader import (
    MAX_LINE_BYTES,
    MAX_VALUE_CHARS,
    CustomerFileError,
    read_customer_csv,
    validate_customer_csv,
)

HEADER = "Channel,Region,Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen"
ROWS = ["2,3,12669,9656,7561,214,2674,1338", "1,1,13265,1196,4221,6404,507,1788"]
GOOD = HEADER + "\n" + "\n".join(ROWS) + "\n"
SIX = "Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen"
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def validate(*args, folder=None, timeout=60):
    """`python -m segmentation validate ...` as a user runs it; fails the test on a hang, or
    when it changed anything in ``folder``."""
    before = listing(folder) if folder else None
    done = subprocess.run(
        [sys.executable, "-m", "segmentation", "validate", *map(str, args)],
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if folder:
        assert listing(folder) == before
    return done


def refused_cleanly(done, *phrases):
    """Exit 1, the phrases in the message, no traceback, nothing on stdout."""
    err = done.stderr.decode("utf-8")
    assert done.returncode == 1, err
    assert "Traceback" not in err and b"Traceback" not in done.stdout
    assert done.stdout == b""
    for phrase in phrases:
        assert phrase in err, err
    return err


def listing(folder):
    return sorted((p.name, p.stat().st_size) for p in folder.iterdir())


def only_problem(path, **kwargs):
    with pytest.raises(CustomerFileError) as info:
        read_customer_csv(path, **kwargs)
    assert len(info.value.problems) == 1, info.value.problems
    return info.value.problems[0]


def with_row(values, row=1):
    """GOOD with the data row `row` (1 or 2) replaced by these comma-joined values."""
    rows = list(ROWS)
    rows[row - 1] = ",".join(values)
    return HEADER + "\n" + "\n".join(rows) + "\n"


# --- 1. a Channel or Region of 400 digits --------------------------------------------------


@pytest.mark.parametrize(
    "column, value",
    [
        ("Channel", "9" * 400),
        ("Region", "9" * 400),
        ("Channel", "1" * 400 + ".0"),
        ("Region", "0" * 399 + "4"),
        ("Channel", "9" * MAX_VALUE_CHARS),
    ],
)
def test_a_label_code_of_hundreds_of_digits_is_a_bad_code(write_file, column, value):
    cells = ROWS[0].split(",")
    cells[0 if column == "Channel" else 1] = value
    problem = only_problem(write_file(with_row(cells)))
    assert (problem.row, problem.column, problem.value) == (2, column, value)
    assert f"is not a {column}." in problem.message
    assert f"({len(value):,} characters)" in problem.message
    assert "1 (" in problem.hint


def test_leading_zeros_before_a_code_still_read(write_file):
    frame = read_customer_csv(write_file(with_row(["0002", "003.00", *ROWS[0].split(",")[2:]])))
    assert (frame["Channel"].iloc[0], frame["Region"].iloc[0]) == ("Retail", "Other")


def test_validate_a_channel_of_400_digits_exits_1(tmp_path):
    # printf "Channel,$H\n%s,1,2,3,4,5,6\n" $(printf '9%.0s' $(seq 400)) > ch.csv; S validate ch.csv
    path = tmp_path / "ch.csv"
    path.write_text(f"Channel,{SIX}\n{'9' * 400},1,2,3,4,5,6\n")
    err = refused_cleanly(
        validate(path, folder=tmp_path),
        "row 2, column Channel: '9999",
        "(400 characters) is not a Channel.",
    )
    assert "9" * 100 not in err


# --- 8. a FIFO, and what is checked is what is parsed ----------------------------------------


def feed(fifo, content):
    """Write `content` into a named pipe from another thread, as a second program would."""

    def write():
        with open(fifo, "wb") as pipe:
            try:
                pipe.write(content)
            except BrokenPipeError:
                pass

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def release(fifo):
    """Unblock anything still waiting to open or read the pipe (so that a failing test ends)."""
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


@pytest.mark.parametrize("content", [GOOD, GOOD.replace("Channel", '"Channel"', 1)])
def test_a_named_pipe_is_read_once(tmp_path, content):
    fifo = tmp_path / "customers.csv"
    os.mkfifo(fifo)
    found = {}
    reading = threading.Thread(
        target=lambda: found.update(result=validate_customer_csv(fifo)), daemon=True
    )
    reading.start()
    feed(fifo, content.encode())
    reading.join(20)
    hung = reading.is_alive()
    release(fifo)
    reading.join(5)
    assert not hung, "the reader hung on a named pipe"
    result = found["result"]
    assert result.ok, result.errors
    assert result.frame["Fresh"].tolist() == [12669, 13265]


def test_validate_reads_a_named_pipe_with_a_writer(tmp_path):
    fifo = tmp_path / "customers.csv"
    os.mkfifo(fifo)
    command = subprocess.Popen(
        [sys.executable, "-m", "segmentation", "validate", str(fifo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    feed(fifo, GOOD.encode())
    try:
        out, err = command.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        release(fifo)
        command.kill()
        command.communicate()
        pytest.fail("validate hung on a named pipe")
    assert command.returncode == 0, err
    assert b"OK, 2 customers." in out and b"Traceback" not in err


def test_validate_reads_standard_input_through_dev_stdin():
    done = subprocess.run(
        [sys.executable, "-m", "segmentation", "validate", "/dev/stdin"],
        input=GOOD.encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"OK, 2 customers." in done.stdout


@pytest.mark.parametrize("plain", [True, False], ids=["fast path", "careful path"])
def test_what_is_checked_is_what_is_parsed(write_file, monkeypatch, plain):
    # The file changes on disk right after it was read: the table is the file as it was read.
    text = (
        GOOD
        if plain
        else ("Note," + GOOD).replace("\n2,3,", '\n"two\nlines",2,3,').replace("\n1,1,", "\nx,1,1,")
    )
    path = write_file(text)
    decode = reader._decode

    def decode_then_change_the_file(raw, result):
        path.write_text(GOOD.replace("12669", "99999").replace("13265", "88888"))
        return decode(raw, result)

    monkeypatch.setattr(reader, "_decode", decode_then_change_the_file)
    result = validate_customer_csv(path)
    assert result.ok, result.errors
    assert result.frame["Fresh"].tolist() == [12669, 13265]


# --- 9. the fast and careful readers agree on infinities ---------------------------------------


@pytest.mark.parametrize(
    "value, message",
    [
        ("inf", "'inf' is not a finite number."),
        ("Infinity", "'Infinity' is not a finite number."),
        ("1e999", "'1e999' is too large"),
        ("9" * 400, "(400 characters) is too large"),
    ],
)
@pytest.mark.parametrize("quoted", [False, True], ids=["plain file", "one quoted field"])
def test_an_infinite_value_is_refused_even_without_a_limit(write_file, value, message, quoted):
    text = with_row(["2", "3", value, *ROWS[0].split(",")[3:]])
    if quoted:
        text = text.replace("13265", '"13265"')
    problem = only_problem(write_file(text), max_spending=math.inf)
    assert (problem.row, problem.column) == (2, "Fresh")
    assert message in problem.message


def test_validate_and_fit_name_the_files_row_for_inf(tmp_path):
    path = tmp_path / "inf.csv"
    path.write_text(with_row(["2", "3", "inf", *ROWS[0].split(",")[3:]]))
    refused_cleanly(
        validate("--max-spending", "inf", path, folder=tmp_path),
        "row 2, column Fresh: 'inf' is not a finite",
    )
    before = listing(tmp_path)
    fit = subprocess.run(
        [
            sys.executable,
            "-m",
            "segmentation",
            "fit",
            str(path),
            "--k",
            "2",
            "--max-spending",
            "inf",
            "-o",
            str(tmp_path / "m.json"),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    err = refused_cleanly(fit, "row 2, column Fresh")
    assert "row 0" not in err
    assert listing(tmp_path) == before


def test_negative_zero_reads_as_zero(write_file):
    text = with_row(["2", "3", "-0", "-0.0", "0.5", *ROWS[0].split(",")[5:]])
    frame = read_customer_csv(write_file(text))
    assert frame["Fresh"].tolist() == [0, 13265] and frame["Fresh"].dtype == "int64"
    assert math.copysign(1, frame["Grocery"].iloc[0]) == 1.0
    assert math.copysign(1, frame["Milk"].iloc[0]) == 1.0


# --- 12. unbounded input ---------------------------------------------------------------------


def test_a_device_is_refused_without_being_read():
    result = validate_customer_csv("/dev/zero")
    assert not result.ok
    assert "not a regular file" in result.errors[0].message
    assert "device" in result.errors[0].message


def test_validate_dev_zero_ends_at_once():
    start = time.perf_counter()
    refused_cleanly(validate("/dev/zero", timeout=60), "/dev/zero", "not a regular file")
    assert time.perf_counter() - start < 30


def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "s.csv"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        assert stat.S_ISSOCK(path.stat().st_mode)
        assert "socket" in only_problem(path).message
    finally:
        server.close()


def test_a_line_longer_than_the_cap_is_refused_with_its_row(write_file):
    long_line = "1," * (MAX_LINE_BYTES // 2) + "1"
    problem = only_problem(write_file(GOOD + long_line + "\n" + ROWS[0] + "\n"))
    assert problem.row == 4
    assert f"longer than {MAX_LINE_BYTES:,} bytes" in problem.message
    assert problem.hint


def test_a_file_of_one_huge_line_is_refused_quickly(tmp_path):
    path = tmp_path / "one-line.csv"
    path.write_bytes(b"9" * (3 * MAX_LINE_BYTES))
    start = time.perf_counter()
    refused_cleanly(
        validate(path, folder=tmp_path), "row 1", f"longer than {MAX_LINE_BYTES:,} bytes"
    )
    assert time.perf_counter() - start < 30


def test_an_endless_pipe_is_read_only_up_to_the_line_cap():
    command = subprocess.Popen(
        [sys.executable, "-m", "segmentation", "validate", "/dev/stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    sent = [0]

    def flood():
        block = b"0" * 65536
        try:
            while sent[0] < 1 << 30:
                command.stdin.write(block)
                sent[0] += len(block)
        except (BrokenPipeError, OSError):
            pass

    writer = threading.Thread(target=flood, daemon=True)
    writer.start()
    try:
        command.wait(timeout=60)
    except subprocess.TimeoutExpired:
        command.kill()
        pytest.fail("validate read an endless pipe forever")
    writer.join(10)
    command.stdin.close()
    err = command.stderr.read().decode()
    command.stdout.close()
    command.stderr.close()
    assert command.returncode == 1 and "Traceback" not in err
    assert f"longer than {MAX_LINE_BYTES:,} bytes" in err
    assert sent[0] < 64 * MAX_LINE_BYTES


def test_a_pipe_stops_at_the_size_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 200_000)
    fifo = tmp_path / "endless.csv"
    os.mkfifo(fifo)
    stop = threading.Event()

    def write_rows_forever():
        try:
            with open(fifo, "wb") as pipe:
                pipe.write((HEADER + "\n").encode())
                while not stop.is_set():
                    pipe.write(("\n".join(ROWS) + "\n").encode() * 100)
        except (BrokenPipeError, OSError):
            pass

    threading.Thread(target=write_rows_forever, daemon=True).start()
    try:
        result = validate_customer_csv(fifo)
    finally:
        stop.set()
    assert not result.ok
    assert "more than 200,000 bytes" in result.errors[0].message


def test_a_regular_file_over_the_size_cap_is_refused_before_reading(write_file, monkeypatch):
    path = write_file(GOOD * 50)
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(reader, "_read_capped", lambda *args: pytest.fail("read the file"))
    problem = only_problem(path)
    assert "more than 1,000 bytes" in problem.message and problem.row is None


@pytest.mark.parametrize("where", ["Fresh", "id", "ignored", "Channel", "header"])
def test_a_value_longer_than_the_cap_is_refused_on_both_paths(write_file, where):
    long = "1" * (MAX_VALUE_CHARS + 1)
    header = "id,Note," + HEADER
    rows = [f"{i},n," + r for i, r in enumerate(ROWS, 1)]
    if where == "header":
        header = header.replace("Note", "N" * (MAX_VALUE_CHARS + 1))
    else:
        cells = rows[1].split(",")
        cells[{"Fresh": 4, "id": 0, "ignored": 1, "Channel": 2}[where]] = long
        rows[1] = ",".join(cells)
    path = write_file(header + "\n" + "\n".join(rows) + "\n")
    fast = validate_customer_csv(path)
    careful = careful_only(path)
    assert [p.describe("f") for p in fast.errors] == [p.describe("f") for p in careful.errors]
    (problem,) = fast.errors
    assert problem.row == (1 if where == "header" else 3)
    assert f"{MAX_VALUE_CHARS + 1:,} characters" in problem.message
    assert f"at most {MAX_VALUE_CHARS:,}" in problem.message


def test_a_long_quoted_value_over_many_lines_is_named_not_taken_for_broken_quotes(write_file):
    text = "Note," + HEADER + '\n"' + "x\n" * 70_000 + '",' + ROWS[0] + "\n"
    problem = only_problem(write_file(text))
    assert problem.row == 2
    assert "characters" in problem.message and "quoting" not in problem.message


def careful_only(path, **kwargs):
    original = reader.read_fast
    try:
        reader.read_fast = lambda *args: None
        return validate_customer_csv(path, **kwargs)
    finally:
        reader.read_fast = original


# --- 17. values shown escaped and cut ---------------------------------------------------------


@pytest.mark.parametrize(
    "value, shown",
    [
        ("\x1b[31mRED", r"'\x1b[31mRED'"),
        ("12\u200b", r"'12\u200b'"),
        ("1\u202e2", r"'1\u202e2'"),
        ("a\tb", r"'a\tb'"),
        ("9" * 50, "'" + "9" * 40 + "...' (50 characters)"),
    ],
)
def test_bad_values_are_shown_escaped_and_cut(write_file, value, shown):
    problem = only_problem(write_file(with_row(["2", "3", "1", value, *ROWS[0].split(",")[4:]])))
    assert problem.value == value.strip()
    assert problem.message.startswith(shown.strip() if value.strip() == value else shown)
    assert not re.search(r"[\x00-\x1f\x7f\u202e\u200b]", problem.message)


def test_no_control_character_reaches_the_message(write_file):
    evil = "\x1b]0;owned\x07\x1b[2J"
    text = (
        "id,Mi1k,Fresh,Grocery,Frozen,Detergents_Paper,Delicassen,"
        + evil
        + "\n"
        + f"{evil},1,2,3,4,5,6,x\n{evil},1,2,3,4,5,6,x\n"
    )
    with pytest.raises(CustomerFileError) as info:
        read_customer_csv(write_file(text, name=f"a{evil}.csv"))
    message = str(info.value)
    assert "\x1b" not in message and "\x07" not in message
    assert r"\x1b]0;owned\x07" in message


def test_a_5000_digit_value_is_not_printed_in_full(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text(with_row(["2", "3", "7" * 5000, *ROWS[0].split(",")[3:]]))
    err = refused_cleanly(validate(path, folder=tmp_path), "(5,000 characters)")
    assert max(len(line) for line in err.splitlines()) < 400


def test_validate_escapes_what_it_echoes(tmp_path):
    path = tmp_path / "evil.csv"
    path.write_text(with_row(["2", "3", "\x1b[2J\x1b[31mboom", *ROWS[0].split(",")[3:]]))
    err = refused_cleanly(
        validate(path, folder=tmp_path), r"'\x1b[2J\x1b[31mboom' is not a number."
    )
    assert "\x1b" not in err


# --- 18. quoted numbers stay on the fast path -------------------------------------------------


def no_careful_reader(monkeypatch):
    def careful_reader_not_wanted(*args, **kwargs):
        raise AssertionError("the careful reader ran")

    monkeypatch.setattr(CarefulReader, "read_rows", careful_reader_not_wanted)


@pytest.mark.parametrize(
    "text",
    [
        GOOD.replace("12669", '"12669"'),
        GOOD.replace("\n2,3,", '\n"2","Other",'),
        "\n".join('"' + line.replace(",", '","') + '"' for line in GOOD.splitlines()) + "\n",
        ("id," + GOOD).replace("\n2,", '\n"C-1",2,').replace("\n1,1", '\n"C 2",1,1'),
        ("id," + GOOD).replace("\n2,", '\n"Smith, J",2,').replace("\n1,1", '\n"C 2",1,1'),
        GOOD.replace("\n", "\r\n").replace("9656", '"9656"'),
    ],
)
def test_quoted_fields_stay_on_the_fast_path(write_file, monkeypatch, text):
    careful = careful_only(write_file(text, name="careful.csv"))
    assert careful.ok, careful.errors
    no_careful_reader(monkeypatch)
    fast = read_customer_csv(write_file(text))
    pd.testing.assert_frame_equal(fast, careful.frame, check_exact=True)


@pytest.mark.parametrize(
    "cell, message",
    [
        ('"1,234"', "'1,234' is not a number."),
        ('"12"3', "the quoting is broken"),
        ('1"2"', "'1\"2\"' is not a number."),
        ('"1""2"', "'1\"2' is not a number."),
        ('""', "the value is blank."),
        ('"x\ny"', "'x\\ny' is not a number."),
        ('"12" ', "the quoting is broken"),
        ('"1\r2"', "'1\\r2' is not a number."),
    ],
)
def test_unusual_quoting_is_left_to_the_careful_reader(write_file, cell, message):
    path = write_file(with_row(["2", "3", "1", cell, *ROWS[0].split(",")[4:]], row=2))
    fast, careful = validate_customer_csv(path), careful_only(path)
    assert [p.describe("f") for p in fast.errors] == [p.describe("f") for p in careful.errors]
    assert fast.errors[0].row == 3
    assert message in fast.errors[0].message


def test_a_name_with_a_nul_character_is_a_message():
    result = validate_customer_csv("bad\x00name.csv")
    assert not result.ok and "cannot be opened" in result.errors[0].message


def test_running_out_of_memory_is_a_message(write_file, monkeypatch):
    def no_memory_left(*args):
        raise MemoryError

    monkeypatch.setattr(reader, "read_fast", no_memory_left)
    result = validate_customer_csv(write_file(GOOD))
    assert not result.ok and result.frame is None
    assert "too large to read in this computer's memory" in result.errors[0].message


# --- follow-ups: signs and non-ASCII digits --------------------------------------------------


@pytest.mark.parametrize("code", ["+1", "+2", "+3"])
@pytest.mark.parametrize("blank_line_at_end", [False, True], ids=["fast path", "careful path"])
def test_a_signed_label_code_is_refused_on_both_paths(write_file, code, blank_line_at_end):
    text = f"Channel,Region,{SIX}\n1,{code},5,1,1,1,1,1\n1,1,7,1,1,1,1,1\n"
    problem = only_problem(write_file(text + "\n" * blank_line_at_end))
    assert (problem.row, problem.column) == (2, "Region")
    assert f"'{code}' is not a Region." in problem.message


def test_validate_refuses_a_signed_channel(tmp_path):
    (tmp_path / "p.csv").write_text(f"Channel,Region,{SIX}\n+2,3,5,1,1,1,1,1\n1,1,7,1,1,1,1,1\n")
    refused_cleanly(validate(tmp_path / "p.csv"), "'+2' is not a Channel")


@pytest.mark.parametrize("blank_line_at_end", [False, True], ids=["fast path", "careful path"])
def test_an_id_with_a_non_ascii_digit_is_not_merged_with_another(write_file, blank_line_at_end):
    # '1' + ARABIC-INDIC DIGIT ONE is not the id 11: int() would read it so.
    text = f"id,{HEADER}\n11,1,1,5,1,1,1,1,1\n1\u0661,1,1,7,1,1,1,1,1\n" + "\n" * blank_line_at_end
    result = validate_customer_csv(write_file(text))
    frame = result.frame
    assert frame["id"].tolist() == ["11", "1\u0661"]


@pytest.mark.parametrize("code", ["\u0662", "\uff12", "\u0968"])  # 2 in Arabic, full width, Hindi
@pytest.mark.parametrize("blank_line_at_end", [False, True], ids=["fast path", "careful path"])
def test_a_label_code_in_non_ascii_digits_is_refused(write_file, code, blank_line_at_end):
    text = f"Channel,Region,{SIX}\n{code},1,5,1,1,1,1,1\n1,1,7,1,1,1,1,1\n"
    problem = only_problem(write_file(text + "\n" * blank_line_at_end))
    assert (problem.row, problem.column) == (2, "Channel")
    assert "is not a Channel." in problem.message


@pytest.mark.parametrize("value", ["\u0661\u0662\u0663", "\uff11\uff12\uff13", "12\u0663"])
@pytest.mark.parametrize("blank_line_at_end", [False, True], ids=["fast path", "careful path"])
def test_spending_in_non_ascii_digits_is_not_a_plain_number(write_file, value, blank_line_at_end):
    text = f"{SIX}\n{value},1,1,1,1,1\n7,1,1,1,1,1\n" + "\n" * blank_line_at_end
    problem = only_problem(write_file(text))
    assert (problem.row, problem.column) == (2, "Fresh")
    assert "is not a number." in problem.message
    assert "plain number" in problem.hint
