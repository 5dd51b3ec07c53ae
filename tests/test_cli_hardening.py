"""The command line against hostile arguments, file names, outputs and signals (issue 13,
items 2, 5, 6, 10, 11, 14, 15, 16 and 19).

Every case runs the command as a user does, ``python -m segmentation ...`` in a folder of its
own, and checks its exit status, that no traceback is printed, and, when the command fails,
that the folder is exactly as it was: the same names, bytes and modes.
"""

import contextlib
import csv
import dataclasses
import errno
import hashlib
import io
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segmentation import cli
from segmentation.data.output import (
    OutputPathError,
    atomic_output,
    output_target,
    spreadsheet_safe,
    write_atomically,
    write_predictions,
)
from segmentation.data.reader import read_customer_csv
from segmentation.data.shipped import course_data_path, load_customers
from segmentation.model.inputs import MAX_MODEL_SPENDING
from segmentation.model.persistence import load_model
from segmentation.model.pipeline import SegmentationModel

SIX = "Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen"
ROOT = os.geteuid() == 0


def run(*args, cwd, env=None, stdout=subprocess.PIPE, timeout=120, **kwargs):
    """``python -m segmentation ARGS`` in ``cwd``; arguments may be bytes (file names that
    are not UTF-8). Fails the test on a traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "segmentation", *args],
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=timeout,
        check=False,
        **kwargs,
    )
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
    assert done.stdout is None or b"Traceback" not in done.stdout
    return done


def snapshot(folder):
    """Each entry of ``folder``: name, type and mode, and the content's sha256 of a regular
    file (never read through a special file or a link)."""
    entries = []
    for name in sorted(os.listdir(os.fsencode(folder))):
        status = os.lstat(os.path.join(os.fsencode(folder), name))
        content = None
        if stat.S_ISREG(status.st_mode):
            content = hashlib.sha256(
                Path(os.fsdecode(folder), os.fsdecode(name)).read_bytes()
            ).hexdigest()
        elif stat.S_ISLNK(status.st_mode):
            content = os.readlink(os.path.join(os.fsencode(folder), name))
        entries.append((name, status.st_mode, status.st_uid, content))
    return entries


@pytest.fixture(scope="module")
def model_json(tmp_path_factory):
    """The course's k = 3 model, saved (read only by the tests)."""
    path = tmp_path_factory.mktemp("model") / "m.json"
    SegmentationModel(k=3).fit(load_customers()).save(path)
    return path


@pytest.fixture
def folder(tmp_path, model_json):
    """A folder holding d.csv (the course data) and m.json (a model fitted on it)."""
    (tmp_path / "d.csv").write_bytes(course_data_path().read_bytes())
    (tmp_path / "m.json").write_bytes(model_json.read_bytes())
    return tmp_path


def refused(done, status, *phrases):
    err = done.stderr.decode("utf-8", errors="replace")
    assert done.returncode == status, err
    for phrase in phrases:
        assert phrase in err, err
    return err


# --- 2. every argument checked before any work starts -----------------------------------------

# No data file: a command that checks its arguments first never gets to read it.
BAD_ARGUMENTS = {
    "n-init 0": (
        ["fit", "nowhere.csv", "--n-init", "0", "-o", "x.json"],
        "--n-init must be from 1 to 1,000; got 0.",
    ),
    "n-init -1": (
        ["fit", "nowhere.csv", "--n-init", "-1", "-o", "x.json"],
        "--n-init must be from 1 to 1,000; got -1.",
    ),
    "seed -1": (
        ["fit", "nowhere.csv", "--seed", "-1", "-o", "x.json"],
        "--seed must be from 0 to 4,294,967,295",
    ),
    "seed 2**32": (
        ["fit", "nowhere.csv", "--seed", "4294967296", "-o", "x.json"],
        "got 4,294,967,296.",
    ),
    "k 1001": (
        ["fit", "nowhere.csv", "--k", "1001", "-o", "x.json"],
        "--k must be from 1 to 1,000 (and at most the number of customers); got 1,001.",
    ),
    "k of 400 digits": (
        ["fit", "nowhere.csv", "--k", "9" * 400, "-o", "x.json"],
        "(533 characters).",
    ),
    "fit max-spending nan": (
        ["fit", "nowhere.csv", "--max-spending", "nan", "-o", "x.json"],
        "or inf for no limit; got nan.",
    ),
    "fit max-spending -1": (
        ["fit", "nowhere.csv", "--max-spending", "-1", "-o", "x.json"],
        "got -1.",
    ),
    "fit max-spending 1e308": (
        ["fit", "nowhere.csv", "--transform", "none", "--max-spending", "1e308", "-o", "x.json"],
        "at most 1e15",
    ),
    "validate max-spending 0": (
        ["validate", "nowhere.csv", "--max-spending", "0"],
        "--max-spending must be a number above 0",
    ),
    "validate max-spending nan": (["validate", "nowhere.csv", "--max-spending", "nan"], "got nan"),
    "predict max-spending -inf": (
        ["predict", "m.json", "nowhere.csv", "--max-spending=-inf", "-o", "x.csv"],
        "got -inf",
    ),
    "report max-spending 1e16": (
        ["report", "m.json", "nowhere.csv", "--max-spending", "1e16", "-o", "x.html"],
        "got 1e+16",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_ARGUMENTS))
def test_arguments_out_of_range_exit_2_with_the_range_before_any_work(folder, name):
    arguments, words = BAD_ARGUMENTS[name]
    before = snapshot(folder)
    done = run(*arguments, cwd=folder)
    err = refused(done, 2, "usage: segmentation", words)
    assert "no such file" not in err  # the data were never looked at
    assert snapshot(folder) == before


def test_the_range_limits_themselves_are_accepted(folder):
    # The largest seed with scikit-learn: the stability check's next seeds count on from 0.
    done = run(
        "fit",
        "d.csv",
        "--seed",
        "4294967295",
        "--algorithm",
        "scikit-learn",
        "--n-init",
        "1",
        "--k",
        "2",
        "-o",
        "s.json",
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert load_model(folder / "s.json").random_state == 2**32 - 1
    for limit in ("1e15", "inf"):
        assert run("validate", "d.csv", "--max-spending", limit, cwd=folder).returncode == 0


def test_the_ceiling_is_the_models(folder):
    # one constant (an import-free module), so the two cannot drift apart
    assert cli.MAX_MODEL_SPENDING is MAX_MODEL_SPENDING == 1e15


def test_huge_values_without_a_limit_are_refused_by_fit_not_turned_into_nan(folder):
    (folder / "huge.csv").write_text(
        f"{SIX}\n" + "1e308,1e308,1e308,1e308,1e308,1e308\n0,0,0,0,0,0\n5,5,5,5,5,5\n"
    )
    before = snapshot(folder)
    done = run(
        "fit",
        "huge.csv",
        "--k",
        "2",
        "--transform",
        "none",
        "--max-spending",
        "inf",
        "-o",
        "x.json",
        cwd=folder,
    )
    assert done.returncode == 1 and done.stdout == b""
    assert snapshot(folder) == before


def test_validate_sums_huge_values_without_overflow(folder):
    (folder / "huge.csv").write_text(f"{SIX}\n" + "1e308,1e308,1e308,1e308,1e308,1e308\n" * 3)
    done = run("validate", "huge.csv", "--max-spending", "inf", cwd=folder)
    out = done.stdout.decode()
    assert done.returncode == 0 and done.stderr == b""
    assert "mean annual spending (m.u.): Fresh 1e+308," in out
    assert "total annual spending (m.u.): too large to add up" in out


# --- 5. file names that are not UTF-8, and names with control characters ----------------------


@pytest.mark.parametrize("encoding", [None, "utf-8", "ascii"])
def test_a_file_name_that_is_not_utf8_is_shown_escaped(folder, encoding):
    env = None if encoding is None else {"PYTHONIOENCODING": encoding}
    data, model, segments, report = b"caf\xe9.csv", b"m\xe9.json", b"p\xe9.csv", b"r\xe9.html"
    os.rename(folder / "d.csv", os.path.join(os.fsencode(folder), data))
    shown = "caf\\udce9.csv"
    done = run(b"validate", data, cwd=folder, env=env)
    assert done.returncode == 0 and done.stdout.decode().startswith(f"{shown}: OK, 440 customers.")
    done = run(b"fit", data, b"-o", model, cwd=folder, env=env)
    assert done.returncode == 0, done.stderr
    assert f"customers of {shown}; saved the model to m\\udce9.json." in done.stdout.decode()
    assert (
        load_model(os.fsdecode(os.path.join(os.fsencode(folder), model))).training["source"]
        == shown
    )
    done = run(b"predict", model, data, b"-o", segments, cwd=folder, env=env)
    assert done.returncode == 0 and f"of {shown}; wrote p\\udce9.csv." in done.stdout.decode()
    done = run(b"report", model, data, b"-o", report, cwd=folder, env=env)
    assert done.returncode == 0 and "to r\\udce9.html." in done.stdout.decode()
    page = Path(os.fsdecode(os.path.join(os.fsencode(folder), report))).read_text("utf-8")
    assert shown in page
    # A failure names the files too.
    before = snapshot(folder)
    done = run(b"predict", data, model, b"-o", segments, cwd=folder, env=env)
    err = refused(done, 1, "try: segmentation predict m\\udce9.json caf\\udce9.csv -o p\\udce9.csv")
    assert "\udce9" not in err
    assert snapshot(folder) == before


def test_control_characters_in_a_file_name_cannot_drive_the_terminal(folder):
    name = b"x\x1b[2J\x07.csv"
    os.rename(folder / "d.csv", os.path.join(os.fsencode(folder), name))
    done = run(b"validate", name, cwd=folder)
    assert done.returncode == 0
    assert b"\x1b" not in done.stdout and b"\x07" not in done.stdout
    assert done.stdout.startswith(b"x\\x1b[2J\\x07.csv: OK")


# --- 6. warnings become notes -----------------------------------------------------------------


def rare_customer_file(path):
    """20,001 customers, all alike but one, which the stability check's sample (seeded)
    leaves out: its refits find one distinct group for two segments."""
    n = 20_001
    sample = set(np.random.default_rng(0).choice(n, 10_000, replace=False).tolist())
    rare = next(i for i in range(n) if i not in sample)
    rows = ["1,2,3,4,5,6\n"] * n
    rows[rare] = "100,200,300,400,500,600\n"
    path.write_text(f"{SIX}\n" + "".join(rows))


@pytest.mark.parametrize("algorithm", ["course", "scikit-learn"])
def test_a_convergence_warning_is_one_sentence(folder, algorithm):
    rare_customer_file(folder / "rare.csv")
    done = run("fit", "rare.csv", "--k", "2", "--algorithm", algorithm, "-o", "x.json", cwd=folder)
    err = done.stderr.decode()
    assert done.returncode == 0, err
    notes = [line for line in err.splitlines() if "k-means found only" in line]
    assert notes == [
        "  note: k-means found only 1 distinct group for 2 segments: the customers "
        "it clustered have fewer different spending patterns than segments (the "
        "stability check refits a sample of at most 10,000 customers, which can "
        "leave rare ones out), so a segment stayed empty there. Read the "
        "stability with care, or choose a smaller --k."
    ]
    assert "Warning" not in err and ".py:" not in err
    assert all(line.startswith("  note: ") for line in err.splitlines())


def test_numpy_warnings_of_a_report_on_customers_who_spend_nothing_are_notes(folder):
    (folder / "zero.csv").write_text(f"{SIX}\n" + "0,0,0,0,0,0\n" * 3)
    done = run("report", "m.json", "zero.csv", "-o", "r.html", cwd=folder)
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert "Warning" not in err and ".py:" not in err
    assert all(line.startswith("  note: ") for line in err.splitlines())


@pytest.mark.parametrize(
    "category, message, note",
    [
        (
            RuntimeWarning,
            "invalid value encountered in divide",
            "some numbers could not be computed (invalid value encountered in divide), as happens "
            "when customers spend nothing at all in a category; they are left out.",
        ),
        (
            UserWarning,
            "Number of distinct clusters (2) found smaller than n_clusters (3). Possibly "
            "due to duplicate points in X.",
            "k-means found only 2 distinct groups for 3 segments",
        ),
        (UserWarning, "something odd\n  in two lines", "something odd"),
        (UserWarning, "", "UserWarning"),
    ],
)
def test_each_warning_is_worded_once_without_source_lines(capsys, category, message, note):
    with cli._warnings_as_notes():
        for _ in range(3):
            warnings.warn(message, category, stacklevel=2)
    err = capsys.readouterr().err
    assert err.count("note: ") == 1 and f"  note: {note}" in err
    assert "warnings.warn" not in err


# --- 10. a failed summary is not "nothing was written" ------------------------------------------


def closed_pipe():
    """The writing end of a pipe whose reader is gone: every write fails (EPIPE)."""
    read, write = os.pipe()
    os.close(read)
    return write


def full_disk():
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    return os.open("/dev/full", os.O_WRONLY)


@pytest.mark.parametrize(
    "stdout, reason", [(closed_pipe, "Broken pipe"), (full_disk, "No space left on device")]
)
def test_the_model_was_written_though_the_summary_could_not_be_printed(folder, stdout, reason):
    out = stdout()
    try:
        done = run("fit", "d.csv", "-o", "new.json", cwd=folder, stdout=out)
    finally:
        os.close(out)
    err = done.stderr.decode()
    assert done.returncode == 1
    assert err == (
        "segmentation fit: the model was written to new.json, but the summary could "
        f"not be printed: {reason}.\n"
    )  # and no second, raw error
    assert load_model(folder / "new.json").k == 3


@pytest.mark.parametrize(
    "stdout, reason", [(closed_pipe, "Broken pipe"), (full_disk, "No space left on device")]
)
def test_segments_sent_to_a_closed_output_are_said_incomplete(folder, stdout, reason):
    out = stdout()
    before = snapshot(folder)
    try:
        predicted = run("predict", "m.json", "d.csv", "-o", "-", cwd=folder, stdout=out)
        validated = run("validate", "d.csv", cwd=folder, stdout=out)
    finally:
        os.close(out)
    assert predicted.returncode == 1 and predicted.stderr.decode().endswith(
        "segmentation predict: the segments could not be written in full to standard output: "
        f"{reason}.\n"
    )
    assert validated.returncode == 1 and validated.stderr.decode() == (
        f"segmentation validate: the summary could not be printed: {reason}.\n"
    )
    assert snapshot(folder) == before


def test_a_pipe_closed_after_the_first_bytes_is_said_incomplete(folder):
    # 22,000 customers: more than a pipe holds, so the reader leaves while the writer writes
    # (a short write, which Python's buffered writer returns as a count, not an error).
    big = pd.concat([pd.read_csv(folder / "d.csv")] * 50, ignore_index=True)
    big.to_csv(folder / "big.csv", index=False)
    before = snapshot(folder)
    done = subprocess.run(
        [
            "bash",
            "-c",
            '"$@" | head -c 10 >/dev/null; exit "${PIPESTATUS[0]}"',
            "bash",
            COMMAND,
            "predict",
            "m.json",
            "big.csv",
            "-o",
            "-",
        ],
        cwd=folder,
        capture_output=True,
        timeout=120,
        check=False,
    )
    err = refused(done, 1, "the segments could not be written in full to standard output")
    assert err.endswith(": Broken pipe.\n") and "Traceback" not in err
    assert "Segmented" not in err  # no summary as if all had been written
    assert snapshot(folder) == before


# --- 11. SIGTERM cleans up as Ctrl-C does ------------------------------------------------------


def many_customers(path, rows):
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.integers(0, 50_000, (rows, 6)), columns=SIX.split(","))
    table.insert(0, "Channel", rng.integers(1, 3, rows))
    table.insert(1, "Region", rng.integers(1, 4, rows))
    table.to_csv(path, index=False)


@pytest.mark.parametrize("existing", [False, True], ids=["new output", "existing output"])
def test_sigterm_while_writing_leaves_no_temporary_file(folder, existing):
    many_customers(folder / "big.csv", 300_000)
    if existing:
        (folder / "out.csv").write_text("the old segments\n")
    before = snapshot(folder)
    command = subprocess.Popen(
        [sys.executable, "-m", "segmentation", "predict", "m.json", "big.csv", "-o", "out.csv"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".out.csv.") for p in folder.iterdir()):
        assert command.poll() is None, "predict ended before it started writing"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    command.send_signal(signal.SIGTERM)
    out, err = command.communicate(timeout=60)
    assert command.returncode == 143
    assert err.decode() == "segmentation predict: stopped by SIGTERM. Nothing was written.\n"
    assert out == b"" and b"Traceback" not in err
    assert snapshot(folder) == before


def test_sigterm_is_left_alone_outside_a_command():
    before = signal.getsignal(signal.SIGTERM)
    assert cli.main(["validate", str(course_data_path())]) == 0
    assert signal.getsignal(signal.SIGTERM) == before


# --- 14. no formula reaches a spreadsheet -------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://example.com/x","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "=1+2",
    "+x",
    "-x",
    "@x",
]
NUMBERS = ["-5", "+5", "1e3", "-2.5e-3", ".5"]
PLAIN = ["N-001", "a=b", "x+1", "007"]


def test_formula_ids_are_neutralised_numbers_and_text_kept(folder):
    ids = FORMULAS + NUMBERS + PLAIN
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["id", *SIX.split(",")])
    writer.writerows([[i, 1, 2, 3, 4, 5, 6] for i in ids])
    (folder / "ids.csv").write_text(text.getvalue())
    done = run("predict", "m.json", "ids.csv", "-o", "out.csv", cwd=folder)
    assert done.returncode == 0, done.stderr
    with open(folder / "out.csv", newline="", encoding="utf-8") as file:
        written = [row[0] for row in csv.reader(file)][1:]
    # OWASP's rule, worked by hand: a leading = + - @ gets a quote, unless a plain number.
    assert written == ["'" + f for f in FORMULAS] + NUMBERS + PLAIN


def test_formula_segment_names_from_a_model_are_neutralised(folder):
    model = load_model(folder / "m.json")
    hostile = ["=cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]
    model.segments_ = [
        dataclasses.replace(s, name=n) for s, n in zip(model.segments, hostile, strict=True)
    ]
    model.save(folder / "hostile.json")
    done = run("predict", "hostile.json", "d.csv", "-o", "out.csv", cwd=folder)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(folder / "out.csv", keep_default_na=False)
    assert set(table["name"]) == {"'=cmd|' /C calc'!A0", "'@SUM(1+1)", "'-2+3"}
    assert (
        table["segment"].map(dict(enumerate(hostile))).radd("'").tolist() == table["name"].tolist()
    )


@pytest.mark.parametrize(
    "cell, safe",
    [
        ("=1+2", "'=1+2"),
        ("+1+2", "'+1+2"),
        ("-1+2", "'-1+2"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-1", "-1"),
        ("+1.5", "+1.5"),
        ("-1e-3", "-1e-3"),
        ("1e3", "1e3"),
        ("", ""),
        ("a=1", "a=1"),
        ("-", "'-"),
        ("+", "'+"),
        ("-inf", "'-inf"),
    ],
)
def test_spreadsheet_safe_follows_owasp(cell, safe):
    assert spreadsheet_safe([cell]).tolist() == [safe]
    series = pd.Series([cell, "x"], index=[5, 7], dtype="string")
    result = spreadsheet_safe(series)
    assert result.tolist() == [safe, "x"] and list(result.index) == [5, 7]


def test_spreadsheet_safe_leaves_numbers_alone():
    numbers = pd.Series([-5, 3])
    assert spreadsheet_safe(numbers) is numbers


# --- 15. only regular files or new paths; -o - for standard output ------------------------------


def special_outputs(folder):
    """Each special file an output may not replace, by name."""
    os.mkfifo(folder / "fifo")
    os.symlink("fifo", folder / "link-to-fifo")
    os.symlink("/proc/self/fd/1", folder / "link-to-stdout")
    os.symlink("nowhere", folder / "dangling")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "socket"))
    names = {
        "fifo": "a named pipe (FIFO)",
        "link-to-fifo": "a symbolic link to a named pipe",
        "link-to-stdout": "a symbolic link to a",
        "dangling": "which does not exist",
        "socket": "a socket",
    }
    if ROOT:
        os.mknod(folder / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        names["null"] = "a character device"
    return names, server


@pytest.mark.parametrize("command", ["fit", "predict", "report"])
def test_a_special_file_is_never_replaced(folder, command):
    names, server = special_outputs(folder)
    try:
        before = snapshot(folder)
        for name, words in names.items():
            if command != "predict" and name not in ("fifo", "link-to-stdout"):
                continue  # the same check for every command: two are enough
            arguments = {
                "fit": ["fit", "d.csv"],
                "predict": ["predict", "m.json", "d.csv"],
                "report": ["report", "m.json", "d.csv"],
            }[command]
            done = run(*arguments, "-o", name, cwd=folder, stdin=subprocess.DEVNULL)
            refused(done, 2, f"segmentation {command}: error: {name} ", words)
            assert snapshot(folder) == before
    finally:
        server.close()
    assert stat.S_ISFIFO(os.lstat(folder / "fifo").st_mode)


def test_the_checks_refuse_folders_and_links_to_them(folder):
    os.symlink(".", folder / "here")
    for name in (".", "here"):
        with pytest.raises(OutputPathError, match="is a folder"):
            output_target(folder / name)
    with pytest.raises(OutputPathError, match="cannot be used as an output: Not a directory"):
        output_target(folder / "d.csv" / "x")  # a file where a folder should be
    with pytest.raises(OutputPathError, match="is also an input"):
        output_target(folder / "here" / "d.csv", inputs=[folder / "d.csv"])


@pytest.mark.skipif(ROOT, reason="root may write any file")
def test_a_read_only_output_is_refused(folder):
    (folder / "kept.csv").write_text("keep me\n")
    os.chmod(folder / "kept.csv", 0o444)
    before = snapshot(folder)
    refused(run("predict", "m.json", "d.csv", "-o", "kept.csv", cwd=folder), 2, "is read-only")
    assert snapshot(folder) == before


def test_a_link_to_a_regular_file_writes_through_and_stays_a_link(folder):
    (folder / "models").mkdir()
    (folder / "models" / "2024.json").write_text("old\n")
    os.symlink("models/2024.json", folder / "latest.json")
    done = run("fit", "d.csv", "-o", "latest.json", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert os.readlink(folder / "latest.json") == "models/2024.json"
    assert load_model(folder / "models" / "2024.json").k == 3
    assert sorted(p.name for p in (folder / "models").iterdir()) == ["2024.json"]


def test_a_link_to_an_input_is_refused(folder):
    os.symlink("d.csv", folder / "out.csv")
    before = snapshot(folder)
    refused(run("predict", "m.json", "d.csv", "-o", "out.csv", cwd=folder), 2, "is also an input")
    assert snapshot(folder) == before


def test_dash_sends_each_output_to_standard_output_and_the_summary_to_standard_error(folder):
    before = snapshot(folder)
    fitted = run("fit", "d.csv", "-o", "-", cwd=folder)
    assert fitted.returncode == 0
    assert SegmentationModel.from_dict(json.loads(fitted.stdout)).k == 3
    assert fitted.stderr.decode().startswith(
        "Fitted 3 segments on 440 customers of d.csv; wrote the model to standard output."
    )
    predicted = run("predict", "m.json", "d.csv", "-o", "-", cwd=folder)
    assert predicted.returncode == 0
    table = pd.read_csv(io.BytesIO(predicted.stdout))
    assert len(table) == 440 and list(table.columns[:3]) == ["id", "segment", "name"]
    assert (
        "Segmented 440 customers of d.csv; wrote them to standard output."
        in predicted.stderr.decode()
    )
    reported = run("report", "m.json", "d.csv", "-o", "-", cwd=folder)
    assert reported.returncode == 0 and reported.stdout.startswith(b"<!DOCTYPE html>")
    assert reported.stderr.decode().endswith("customers of d.csv to standard output.\n")
    assert snapshot(folder) == before


# --- 16. a replaced file keeps its mode (and owner); a new one gets the umask's ------------------


def test_a_replaced_output_keeps_its_mode(folder):
    for name, mode in (("private.csv", 0o600), ("shared.csv", 0o664), ("odd.csv", 0o640)):
        (folder / name).write_text("old\n")
        os.chmod(folder / name, mode)
        done = run("predict", "m.json", "d.csv", "-o", name, cwd=folder)
        assert done.returncode == 0, done.stderr
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == mode
        assert (folder / name).read_text().startswith("id,segment,name")


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_output_gets_the_umasks_mode(folder, umask, mode):
    done = run("fit", "d.csv", "-o", "new.json", cwd=folder, preexec_fn=lambda: os.umask(umask))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(os.stat(folder / "new.json").st_mode) == mode


@pytest.mark.skipif(not ROOT, reason="only root can give a file to another owner")
def test_root_keeps_the_owner_of_a_replaced_output(folder):
    (folder / "theirs.json").write_text("old\n")
    os.chown(folder / "theirs.json", 4321, 8765)
    os.chmod(folder / "theirs.json", 0o640)
    assert run("fit", "d.csv", "-o", "theirs.json", cwd=folder).returncode == 0
    status = os.stat(folder / "theirs.json")
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (4321, 8765, 0o640)


def test_atomic_output_leaves_the_target_alone_on_any_failure(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("before\n")
    for failure in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(failure)), atomic_output(target) as out:
            out.write(b"half")
            raise failure
        assert os.listdir(tmp_path) == ["out.csv"] and target.read_text() == "before\n"
    write_atomically(target, b"after\n")
    assert os.listdir(tmp_path) == ["out.csv"] and target.read_text() == "after\n"


def test_a_system_error_naming_no_file_is_raised_again_naming_the_output(tmp_path):
    # a full disk names no file; the message must say which output could not be written
    target = tmp_path / "out.csv"
    with pytest.raises(OSError) as caught, atomic_output(target) as out:
        out.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(target)
    with pytest.raises(OSError) as caught, atomic_output(target):
        raise FileNotFoundError(errno.ENOENT, "gone", "/elsewhere/input.csv")
    assert caught.value.filename == "/elsewhere/input.csv"  # one that names a file is kept
    assert os.listdir(tmp_path) == []


# --- 19. predictions are written a block at a time ---------------------------------------------


@pytest.fixture(scope="module")
def fitted():
    return SegmentationModel(k=3, evaluate=False).fit(load_customers())


def test_blocks_write_what_pandas_writes_for_the_whole_table(fitted):
    customers = read_customer_csv(course_data_path())
    whole = fitted.predict(customers).to_csv(index=False, float_format="%.6f").encode()
    for rows in (1, 7, 439, 440, 10_000):
        out = io.BytesIO()
        counts = write_predictions(fitted, customers, out, rows=rows)
        assert out.getvalue() == whole
        assert counts.tolist() == np.bincount(fitted.predict(customers)["segment"]).tolist()


def test_the_memory_of_writing_does_not_grow_with_the_customers(fitted):
    rng = np.random.default_rng(0)

    def peak(n):
        customers = pd.DataFrame(rng.integers(0, 50_000, (n, 6)), columns=SIX.split(","))
        customers.insert(0, "id", np.arange(1, n + 1))
        tracemalloc.start()
        try:
            with open(os.devnull, "wb") as out:
                write_predictions(fitted, customers, out, rows=2_000)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(10_000), peak(80_000)
    table = 80_000 * 7 * 8
    assert large < 1.5 * small and large < 0.5 * table


def test_a_large_file_through_the_command_matches_the_library(folder):
    many_customers(folder / "big.csv", 70_000)  # more than one block of 65,536
    done = run("predict", "m.json", "big.csv", "-o", "out.csv", cwd=folder)
    assert done.returncode == 0, done.stderr
    written = pd.read_csv(folder / "out.csv")
    expected = load_model(folder / "m.json").predict(read_customer_csv(folder / "big.csv"))
    assert written["id"].tolist() == list(range(1, 70_001))
    assert written["segment"].tolist() == expected["segment"].tolist()
    assert written["name"].tolist() == expected["name"].astype(str).tolist()
    distances = [c for c in expected.columns if c.startswith("distance_")]
    assert np.abs(written[distances].to_numpy() - expected[distances].to_numpy()).max() <= 5e-7


# --- follow-ups: memory, closed streams, early signals, the model's ceiling, outputs -----------

COMMAND = str(Path(sys.executable).parent / "segmentation")


@pytest.mark.parametrize("limit", [200_000, 400_000])  # KiB: a MemoryError, a library unmapped
def test_running_out_of_memory_is_one_line_and_writes_nothing(folder, limit):
    before = snapshot(folder)
    done = subprocess.run(
        ["bash", "-c", f'ulimit -v {limit}; exec "$0" fit d.csv -o x.json', COMMAND],
        cwd=folder,
        capture_output=True,
        timeout=120,
        check=False,
    )
    err = refused(done, 1, "ran out of memory while fitting a model on d.csv;", "Nothing was")
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert snapshot(folder) == before


@pytest.mark.parametrize(
    "args, status, phrase",
    [
        (["validate", "d.csv"], 1, "the summary could not be printed: standard output is closed."),
        (["predict", "m.json", "d.csv", "-o", "-"], 2, "-o - sends the output to standard output"),
    ],
)
def test_a_closed_standard_output_is_a_message(folder, args, status, phrase):
    before = snapshot(folder)
    done = subprocess.run(
        ["bash", "-c", '"$@" >&-', "bash", COMMAND, *args],
        cwd=folder,
        capture_output=True,
        timeout=120,
        check=False,
    )
    err = refused(done, status, phrase)
    assert "Traceback" not in err
    assert snapshot(folder) == before


def test_closed_standard_output_and_error_end_silently_with_1(folder):
    (folder / "bad.csv").write_text(f"{SIX}\n1,2,x,4,5,6\n")
    done = subprocess.run(
        ["bash", "-c", '"$@" >&- 2>&-', "bash", COMMAND, "validate", "bad.csv"],
        cwd=folder,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1 and done.stderr == b"" and done.stdout == b""


def handling_signals(command: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until the command has put in its own stop handlers (Linux: SIGTERM appears among
    the signals the process catches, which Python alone never does). On a loaded machine the
    interpreter itself may take longer to start than any fixed delay."""
    status = Path(f"/proc/{command.pid}/status")
    if not status.exists():  # not Linux: a fixed head start instead
        time.sleep(0.2)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and command.poll() is None:
        caught = next(
            line for line in status.read_text().splitlines() if line.startswith("SigCgt:")
        )
        if int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.001)
    raise AssertionError("the command never put in its stop handlers")


@pytest.mark.parametrize(
    "signum, delay, status",
    [(signal.SIGINT, 0.05, 130), (signal.SIGINT, 0.3, 130), (signal.SIGTERM, 0.05, 143)],
)
@pytest.mark.parametrize("how", [[COMMAND], [sys.executable, "-m", "segmentation"]])
def test_a_stop_signal_while_the_command_starts_ends_it_with_a_message(
    folder, how, signum, delay, status
):
    command = subprocess.Popen(
        [*how, "fit", "d.csv", "-o", "x.json"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    handling_signals(command)  # a signal before that lands in Python's start, not ours
    time.sleep(delay)
    command.send_signal(signum)
    _, err = command.communicate(timeout=120)
    assert command.returncode == status, err
    assert b"Traceback" not in err and len(err.splitlines()) == 1, err
    assert b"Nothing was written." in err
    assert not (folder / "x.json").exists()


@pytest.mark.parametrize("stop", ["KeyboardInterrupt", "cli._Stopped(signal.SIGTERM)"])
def test_a_stop_that_lands_in_a_callback_is_raised_again_in_the_command(stop):
    # A signal that arrives while Python runs a weakref callback (the import system has such
    # callbacks) raises there, where Python can only print "Exception ignored" and go on.
    script = f"""
import signal, sys, time, weakref
import segmentation.cli as cli
cli._COMMAND = True  # as the segmentation command, which owns the signal handlers
class Thing:
    pass
def callback(ref):
    raise {stop}
try:
    with cli._signals_stop_the_work():
        thing = Thing()
        ref = weakref.ref(thing, callback)
        del thing  # the callback runs now, and its exception cannot reach this code
        time.sleep(5)
    print("the stop was lost")
except (KeyboardInterrupt, cli._Stopped) as stopped:
    print("raised again:", type(stopped).__name__)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    expected = "KeyboardInterrupt" if stop == "KeyboardInterrupt" else "_Stopped"
    assert done.stdout == f"raised again: {expected}\n", done.stdout + done.stderr
    assert done.stderr == ""  # no "Exception ignored in: <function callback ...>"


def test_a_burst_of_signals_while_writing_leaves_no_trace(folder):
    many_customers(folder / "big.csv", 500_000)
    command = subprocess.Popen(
        [COMMAND, "predict", "m.json", "big.csv", "-o", "out.csv"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".out.csv.") for p in folder.iterdir()):
        assert command.poll() is None, "predict ended before it started writing"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    for i in range(200):
        with contextlib.suppress(ProcessLookupError):
            command.send_signal(signal.SIGINT if i % 2 else signal.SIGTERM)
        time.sleep(0.0005)
    _, err = command.communicate(timeout=120)
    assert b"Traceback" not in err, err.decode(errors="replace")
    assert command.returncode in (0, 130, 143), err
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
    if command.returncode == 0:  # it finished before the signals: the output is whole
        assert len(pd.read_csv(folder / "out.csv")) == 500_000
    else:
        assert len(err.splitlines()) == 1 and not (folder / "out.csv").exists()


def test_main_in_a_program_leaves_ctrl_c_to_the_program():
    before = signal.getsignal(signal.SIGINT)
    assert cli.main(["validate", str(course_data_path())]) == 0
    assert signal.getsignal(signal.SIGINT) == before


@pytest.mark.parametrize(
    "args",
    [
        ["fit", "e.csv", "--max-spending", "inf", "-o", "x.json"],
        ["predict", "m.json", "e.csv", "--max-spending", "inf", "-o", "x.csv"],
    ],
)
def test_a_value_above_the_models_ceiling_is_named_by_file_row_and_column(folder, args):
    (folder / "e.csv").write_text(f"{SIX}\n1,1,1,1,1,1\n2e15,1,1,1,1,1\n")
    before = snapshot(folder)
    err = refused(
        run(*args, cwd=folder),
        1,
        "e.csv, row 3, column Fresh",
        "1,000,000,000,000,000",
        "1e15 m.u. is the most any model takes",
    )
    assert "raise the limit" not in err  # inf is asked for already: raising changes nothing
    assert snapshot(folder) == before


@pytest.mark.parametrize(
    ("limit", "advice", "not_said"),
    [
        ("1e15", "1e15 m.u. is the most any model takes", "raise the limit"),
        ("1e12", "raise the limit (max_spending=..., or --max-spending", "most any model"),
    ],
)
def test_the_advice_above_the_limit_depends_on_the_limit(folder, limit, advice, not_said):
    (folder / "e.csv").write_text(f"{SIX}\n1,1,1,1,1,1\n2e15,1,1,1,1,1\n")
    for command in ("validate", "predict"):
        args = ["validate", "e.csv"] if command == "validate" else [command, "m.json", "e.csv"]
        output = [] if command == "validate" else ["-o", "x.csv"]
        err = refused(run(*args, *output, "--max-spending", limit, cwd=folder), 1, advice)
        assert not_said not in err


def test_help_names_the_models_ceiling(folder):
    done = run("predict", "--help", cwd=folder)
    assert "above 1e15, the most a model works with" in " ".join(done.stdout.decode().split())


@pytest.mark.skipif(not ROOT, reason="the mode bits are what stops root")
def test_root_is_refused_read_only_outputs_and_folders(folder):
    (folder / "ro.csv").write_text("keep me\n")
    (folder / "ro.csv").chmod(0o444)
    locked = folder / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    before = snapshot(folder)
    refused(run("predict", "m.json", "d.csv", "-o", "ro.csv", cwd=folder), 2, "is read-only")
    refused(
        run("predict", "../m.json", "../d.csv", "-o", "new.csv", cwd=locked),
        2,
        "cannot be written to",
    )
    assert snapshot(folder) == before and os.listdir(locked) == []


@pytest.mark.parametrize("output", ["new.csv/", "d.csv/", "sub/"])
def test_an_output_ending_with_a_slash_is_refused(folder, output):
    (folder / "sub").mkdir()
    before = snapshot(folder)
    done = run("predict", "m.json", "d.csv", "-o", output, cwd=folder)
    refused(done, 2, output)
    assert snapshot(folder) == before


@pytest.mark.parametrize(
    "error, probe, verdict",
    [
        (MemoryError(), 1, True),
        (OSError(errno.ENOMEM, "Cannot allocate memory"), 1, True),
        (OSError(errno.ENOENT, "No such file or directory"), 1, False),
        # a SystemError counts only when a modest allocation fails at that moment too
        (SystemError("error return without exception set"), 1 << 62, True),
        (SystemError("error return without exception set"), 1, False),
        (ImportError("libfoo.so: failed to map segment from shared object"), 1, True),
        (ImportError("No module named 'foo'"), 1, False),
    ],
    ids=[
        "MemoryError",
        "ENOMEM",
        "ENOENT",
        "SystemError, memory short",
        "SystemError",
        "unmapped library",
        "missing module",
    ],
)
def test_which_errors_mean_the_memory_ran_out(monkeypatch, error, probe, verdict):
    monkeypatch.setattr(cli, "_PROBE_BYTES", probe)
    assert cli._out_of_memory(error) is verdict
