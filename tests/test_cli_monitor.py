"""`segmentation monitor` as a scheduled job runs it: the monitors printed with a verdict,
the exit status (0 no drift, 3 drift, 1 bad input, 2 bad arguments), the JSON record (checked
against drift_report's table, the same bytes twice), a format 3 model without the summary,
an HTML page that escapes what the files hold, and bad input refused with nothing written."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from html_tags import Tags

from segmentation.cli import main
from segmentation.data.shipped import course_data_path, load_customers
from segmentation.model.file_checks import checksum
from segmentation.model.pipeline import SegmentationModel
from segmentation.monitor.drift import drift_report

COMMAND = Path(sys.executable).parent / "segmentation"


def shifted(customers):
    """300 course customers with Grocery and Detergents_Paper up 60% and Fresh down 40%."""
    batch = customers.sample(300, random_state=1).reset_index(drop=True)
    for column, factor in (("Grocery", 1.6), ("Detergents_Paper", 1.6), ("Fresh", 0.6)):
        batch[column] = (batch[column] * factor).round().astype(int)
    return batch


@pytest.fixture(scope="module")
def model():
    return SegmentationModel(k=3, evaluate=False).fit(load_customers())


@pytest.fixture
def files(tmp_path, model):
    """A folder with the model, the course data as a batch, and the shifted batch."""
    customers = load_customers()
    model.save(tmp_path / "model.json")
    customers.to_csv(tmp_path / "same.csv", index=False)
    shifted(customers).to_csv(tmp_path / "shifted.csv", index=False)
    return tmp_path


def monitor(folder, *args, monkeypatch):
    """`main` run in ``folder`` (where the record goes by default): the exit status."""
    monkeypatch.chdir(folder)
    return main(["monitor", *map(str, args)])


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def as_format_3(path):
    """Rewrite a saved model as format 3 wrote it: no monitoring summary."""
    data = json.loads(path.read_text())
    del data["checksum"], data["monitoring"]
    data["format_version"] = 3
    data["checksum"] = checksum(data)
    path.write_text(json.dumps(data, indent=2))


def rows_of(report):
    """drift_report's table as the record's rows hold it, values to 6 significant digits."""
    return [
        (r.monitor, r.item, float(f"{r.value:.6g}"), bool(r.crossed))
        for r in report.table.itertuples(index=False)
    ]


def record_rows(record):
    return [(r["monitor"], r["item"], r["value"], r["crossed"]) for r in record["monitors"]]


# --- the exit status and the record -----------------------------------------------------------


def test_the_training_data_itself_is_no_drift(files, model, capsys, monkeypatch):
    assert monitor(files, "model.json", "same.csv", monkeypatch=monkeypatch) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "Monitored 440 customers of same.csv with the model model.json, against the summary "
        "of the training data stored in the model:"
    )
    assert out[-2].startswith("Verdict: no drift: none of 12 monitor values")
    assert out[-1] == "The record was written to monitor-record.json."
    assert "  ks_p_value: not run (needs the training data: pass --reference DATA.csv)" in out
    record = json.loads((files / "monitor-record.json").read_text())
    # The training data against its own summary: PSI 0, shares as in training, ratio 1.
    by = {(r["monitor"], r["item"]): r["value"] for r in record["monitors"]}
    assert all(by["psi", f] == 0 for f in model.features_in_)
    assert by["share_psi", "segments"] == 0 and by["distance_ratio", "all"] == 1
    assert record["drifted"] is False and record["stamp"] is None


def test_a_shifted_batch_exits_3_and_the_record_is_drift_reports_table(
    files, model, capsys, monkeypatch
):
    assert monitor(files, "model.json", "shifted.csv", monkeypatch=monkeypatch) == 3
    out = capsys.readouterr().out
    assert "psi Fresh" in out and "CROSSED" in out and "exit status 3" in out
    record = json.loads((files / "monitor-record.json").read_text())
    batch = shifted(load_customers())
    assert record_rows(record) == rows_of(drift_report(model, batch))
    crossed = {(r["monitor"], r["item"]) for r in record["monitors"] if r["crossed"]}
    assert {("psi", "Fresh"), ("psi", "Grocery")} <= crossed
    assert record["drifted"] is True and record["batch"]["customers"] == 300
    assert record["batch"]["file"] == "shifted.csv" and len(record["batch"]["sha256"]) == 64
    assert record["not_run"] == [{"monitor": "ks_p_value", "reason": "needs the training data"}]


def test_with_the_reference_every_monitor_runs(files, model, monkeypatch):
    args = ["model.json", "shifted.csv", "--reference", course_data_path(), "--record", "r.json"]
    assert monitor(files, *args, monkeypatch=monkeypatch) == 3
    record = json.loads((files / "r.json").read_text())
    report = drift_report(model, shifted(load_customers()), reference=load_customers())
    assert record_rows(record) == rows_of(report)
    assert record["not_run"] == [] and record["reference"]["customers"] == 440
    assert {r["monitor"] for r in record["monitors"] if r["crossed"]} >= {"psi", "ks_p_value"}


def test_the_same_files_give_the_same_record_byte_for_byte(files, monkeypatch):
    for name in ("a.json", "b.json"):
        monitor(files, "model.json", "shifted.csv", "--record", name, monkeypatch=monkeypatch)
    assert (files / "a.json").read_bytes() == (files / "b.json").read_bytes()
    monitor(files, "model.json", "shifted.csv", "--stamp", "2025-01-31T06:00Z", "--record",
            "c.json", monkeypatch=monkeypatch)  # fmt: skip
    stamped = json.loads((files / "c.json").read_text())
    assert stamped["stamp"] == "2025-01-31T06:00Z"
    assert {**stamped, "stamp": None} == json.loads((files / "a.json").read_text())


def test_a_format_3_model_runs_the_share_shift_only_and_says_so(files, capsys, monkeypatch):
    as_format_3(files / "model.json")
    assert monitor(files, "model.json", "shifted.csv", monkeypatch=monkeypatch) == 3
    out = capsys.readouterr().out
    record = json.loads((files / "monitor-record.json").read_text())
    assert [r["monitor"] for r in record["monitors"]] == ["share_psi", "share_p_value"]
    assert record["compared_with"] == "the training segment sizes stored in the model"
    assert [s["monitor"] for s in record["not_run"]] == [
        "psi",
        "ks_p_value",
        "distance_ratio",
        "centre_movement",
    ]
    assert (
        "  psi, ks_p_value, distance_ratio, centre_movement: not run (the model keeps no "
        "summary of its training data, as models fitted before model file format 4 do not: "
        "pass the training data, or fit and save the model again)"
    ) in out.splitlines()
    # With the training data, a format 3 model runs every monitor.
    args = ["model.json", "shifted.csv", "--reference", course_data_path()]
    assert monitor(files, *args, monkeypatch=monkeypatch) == 3
    assert json.loads((files / "monitor-record.json").read_text())["not_run"] == []


# --- the page ---------------------------------------------------------------------------------


def test_the_page_escapes_every_text_from_the_files(files, monkeypatch):
    hostile = "<script>alert(1)&.csv"  # no slash: a file name cannot hold one
    (files / "shifted.csv").rename(files / hostile)
    stamp = "<img src=x onerror=alert(2)>"
    args = ["model.json", hostile, "-o", "page.html", "--stamp", stamp]
    assert monitor(files, *args, monkeypatch=monkeypatch) == 3
    page = (files / "page.html").read_text(encoding="utf-8")
    parsed = Tags(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "http" not in page
    text = " ".join(parsed.text)
    assert hostile in text and stamp in text and "CROSSED" in text
    assert parsed.tags.count("tr") == 13  # the header and 12 monitor rows


def test_dash_sends_the_page_to_standard_output(files, capsys, monkeypatch):
    assert monitor(files, "model.json", "same.csv", "-o", "-", monkeypatch=monkeypatch) == 0
    printed = capsys.readouterr()
    assert printed.out.startswith("<!DOCTYPE html>") and printed.out.endswith("</html>\n")
    assert printed.err.splitlines()[-1] == (
        "The record was written to monitor-record.json and the page to standard output."
    )


# --- bad input: exit 1, nothing written ------------------------------------------------------


SPENDING = "Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n"
A_WORD = "Channel,Region," + SPENDING + "1,1,lots,1,1,1,1,1\n"
TWO = SPENDING + "1,2,3,4,5,6\n7,8,9,10,11,12\n"


@pytest.mark.parametrize(
    "model_file, batch_text, phrase",
    [
        ("nowhere.json", None, "nowhere.json cannot be used as a segmentation model"),
        ("same.csv", None, "give the model first"),
        ("model.json", "Fresh,Milk\n1,2\n", "batch.csv"),
        ("model.json", A_WORD, "column Fresh: 'lots'"),
        ("model.json", TWO, "fewer than the model's 3 segments"),
    ],
    ids=["no model", "a table as the model", "too few columns", "a word", "too few customers"],
)
def test_bad_input_exits_1_and_writes_nothing(
    files, capsys, monkeypatch, model_file, batch_text, phrase
):
    batch = "same.csv"
    if batch_text is not None:
        (files / "batch.csv").write_text(batch_text)
        batch = "batch.csv"
    before = snapshot(files)
    assert monitor(files, model_file, batch, "-o", "page.html", monkeypatch=monkeypatch) == 1
    printed = capsys.readouterr()
    assert printed.out == "" and phrase in printed.err and "Traceback" not in printed.err
    assert snapshot(files) == before


def test_a_missing_batch_or_reference_is_refused(files, capsys, monkeypatch):
    assert monitor(files, "model.json", "gone.csv", monkeypatch=monkeypatch) == 1
    assert "gone.csv" in capsys.readouterr().err
    args = ["model.json", "same.csv", "--reference", "gone.csv"]
    assert monitor(files, *args, monkeypatch=monkeypatch) == 1
    assert "gone.csv" in capsys.readouterr().err
    assert not (files / "monitor-record.json").exists()


def test_missing_values_are_refused_unless_allowed_then_left_out(files, capsys, monkeypatch):
    lines = (files / "shifted.csv").read_text().splitlines()
    cells = lines[5].split(",")
    cells[4] = ""  # a Milk value
    lines[5] = ",".join(cells)
    (files / "gappy.csv").write_text("\n".join(lines) + "\n")
    assert monitor(files, "model.json", "gappy.csv", monkeypatch=monkeypatch) == 1
    assert "--allow-missing" in capsys.readouterr().err
    args = ["model.json", "gappy.csv", "--allow-missing"]
    assert monitor(files, *args, monkeypatch=monkeypatch) == 3
    out = capsys.readouterr().out
    assert "left out of the batch: 1 customer with a missing value" in out
    assert json.loads((files / "monitor-record.json").read_text())["batch"]["customers"] == 299


# --- bad arguments: exit 2 -----------------------------------------------------------------


@pytest.mark.parametrize(
    "args, phrase",
    [
        (["--record", "folder"], "is a folder"),
        (["--record", "same.csv"], "is also an input"),
        (["-o", "same.csv"], "is also an input"),
        (["-o", "r.json", "--record", "r.json"], "name the same file"),
        (["--record", "-"], "--record needs a file name"),
        (["--stamp", "two\nlines"], "--stamp must be one line"),
        (["--max-spending", "-1"], "--max-spending must be a number above 0"),
        (["--colour"], "unrecognized arguments: --colour"),
    ],
)
def test_bad_arguments_exit_2_before_any_work(files, args, phrase):
    (files / "folder").mkdir()
    before = snapshot(files)
    done = subprocess.run(
        [sys.executable, "-m", "segmentation", "monitor", "model.json", "same.csv", *args],
        cwd=files,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and phrase in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.startswith("usage: segmentation")
    assert snapshot(files) == before


def test_the_installed_command_documents_and_returns_the_drift_status(files):
    helped = subprocess.run(
        [str(COMMAND), "monitor", "--help"], capture_output=True, text=True, timeout=60
    )
    assert "Exit status: 0 no drift, 3 drift found, 1 bad input, 2 bad arguments" in " ".join(
        helped.stdout.split()
    )
    done = subprocess.run(
        [str(COMMAND), "monitor", "model.json", "shifted.csv"],
        cwd=files,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3, done.stderr
    assert (files / "monitor-record.json").exists()


# --- the record names the bytes monitored --------------------------------------------------


def sha256_of(data):
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_a_named_pipe_batch_is_read_once_and_hashed_as_read(files, monkeypatch):
    import contextlib
    import os
    import threading

    content = (files / "shifted.csv").read_bytes()
    os.mkfifo(files / "pipe.csv")

    def write():
        with open(files / "pipe.csv", "wb") as out:
            out.write(content)

    def unblock():  # should the command open the pipe again, a second writer answers
        with contextlib.suppress(OSError):
            handle = os.open(files / "pipe.csv", os.O_WRONLY | os.O_NONBLOCK)
            os.write(handle, b"other bytes\n")
            os.close(handle)

    writer = threading.Thread(target=write, daemon=True)
    watchdog = threading.Timer(20, unblock)
    watchdog.daemon = True
    writer.start()
    watchdog.start()
    try:
        status = monitor(files, "model.json", "pipe.csv", monkeypatch=monkeypatch)
    finally:
        watchdog.cancel()
    writer.join(timeout=10)
    assert status == 3
    record = json.loads((files / "monitor-record.json").read_text())
    assert record["batch"]["sha256"] == sha256_of(content)
    assert record["batch"]["customers"] == 300


def test_files_replaced_mid_run_are_hashed_as_they_were_read(files, monkeypatch):
    from segmentation import cli_monitor

    read = {n: (files / n).read_bytes() for n in ("model.json", "shifted.csv", "same.csv")}
    run = cli_monitor.drift_report_of

    def replace_then_run(*args):  # after every file was read, before the record is made
        for name in read:
            (files / name).write_bytes(b"replaced\n")
        return run(*args)

    monkeypatch.setattr(cli_monitor, "drift_report_of", replace_then_run)
    args = ["model.json", "shifted.csv", "--reference", "same.csv"]
    assert monitor(files, *args, monkeypatch=monkeypatch) == 3
    record = json.loads((files / "monitor-record.json").read_text())
    assert record["model"]["sha256"] == sha256_of(read["model.json"])
    assert record["batch"]["sha256"] == sha256_of(read["shifted.csv"])
    assert record["reference"]["sha256"] == sha256_of(read["same.csv"])


# --- like with like, customers on their centres, the tuned set-up ---------------------------


def test_a_batch_equal_to_a_reference_other_than_the_training_data_is_no_drift(files, monkeypatch):
    customers = load_customers()
    customers[customers["Channel"] == "Retail"].to_csv(files / "retail.csv", index=False)
    args = ["model.json", "retail.csv", "--reference", "retail.csv"]
    assert monitor(files, *args, monkeypatch=monkeypatch) == 0
    record = json.loads((files / "monitor-record.json").read_text())
    moved = [r["value"] for r in record["monitors"] if r["monitor"] == "centre_movement"]
    assert moved == [0, 0, 0] and record["drifted"] is False


def test_a_model_of_customers_on_their_centres_runs_without_the_distance_monitors(
    files, capsys, monkeypatch
):
    two = load_customers().iloc[[0, 2]]
    on_centres = two.loc[two.index.repeat(150)]
    on_centres.drop(columns="id").to_csv(files / "on_centres.csv", index=False)
    SegmentationModel(k=2, evaluate=False).fit(on_centres).save(files / "deg.json")
    assert monitor(files, "deg.json", "on_centres.csv", monkeypatch=monkeypatch) == 0
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err
    record = json.loads((files / "monitor-record.json").read_text())
    skipped = {s["monitor"] for s in record["not_run"]}
    assert {"distance_ratio", "centre_movement"} <= skipped
    assert "distance_ratio, centre_movement: not run (the training customers sit on" in (
        printed.out
    )
    assert "refit the model with a smaller k, or on more varied data" in printed.out


def test_a_model_outside_the_tuned_set_up_gets_a_note_in_the_record(files, capsys, monkeypatch):
    SegmentationModel(k=8, evaluate=False).fit(load_customers()).save(files / "k8.json")
    assert monitor(files, "k8.json", "same.csv", "-o", "p.html", monkeypatch=monkeypatch) in (0, 3)
    out = capsys.readouterr().out
    notes = json.loads((files / "monitor-record.json").read_text())["notes"]
    assert len(notes) == 1 and "k = 8" in notes[0]
    assert f"  note: {notes[0]}." in out.splitlines()
    assert "k = 8" in " ".join(Tags((files / "p.html").read_text()).text)
    assert monitor(files, "model.json", "same.csv", monkeypatch=monkeypatch) == 0
    assert json.loads((files / "monitor-record.json").read_text())["notes"] == []


def test_copies_of_one_customer_get_no_note_about_fit_or_stability(files, capsys, monkeypatch):
    one = load_customers().iloc[[5] * 300]
    one.drop(columns="id").to_csv(files / "ident.csv", index=False)
    assert monitor(files, "model.json", "ident.csv", monkeypatch=monkeypatch) == 3
    err = capsys.readouterr().err
    assert "stability" not in err and "--k" not in err


# --- the page before the record ------------------------------------------------------------


def test_a_page_that_cannot_be_written_leaves_the_record_and_names_the_file(
    files, capsys, monkeypatch
):
    import errno

    from segmentation.data import output

    assert monitor(files, "model.json", "same.csv", monkeypatch=monkeypatch) == 0
    before = (files / "monitor-record.json").read_bytes()
    replace = output._replace

    def full(temporary, target):  # the disk fills up as the page is written
        if str(target).endswith(".html"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return replace(temporary, target)

    monkeypatch.setattr(output, "_replace", full)
    capsys.readouterr()
    assert (
        monitor(files, "model.json", "shifted.csv", "-o", "page.html", monkeypatch=monkeypatch) == 1
    )
    err = capsys.readouterr().err
    assert "page.html" in err and "No space left on device" in err
    assert (files / "monitor-record.json").read_bytes() == before
    assert not (files / "page.html").exists()


# --- messages --------------------------------------------------------------------------------


def test_an_empty_model_file_is_called_empty(files, capsys, monkeypatch):
    (files / "empty.json").write_bytes(b"")
    assert monitor(files, "empty.json", "same.csv", monkeypatch=monkeypatch) == 1
    err = capsys.readouterr().err
    assert "the file is empty" in err and "classifier" not in err


def test_swapped_arguments_get_the_swap_hint(files, capsys, monkeypatch):
    assert monitor(files, "same.csv", "model.json", monkeypatch=monkeypatch) == 1
    err = capsys.readouterr().err
    assert "look swapped; try: segmentation monitor model.json same.csv" in err


def test_a_device_as_the_model_gets_no_hint_on_the_order(files, capsys, monkeypatch):
    assert monitor(files, "/dev/zero", "same.csv", monkeypatch=monkeypatch) == 1
    err = capsys.readouterr().err
    assert "not a regular file" in err and "first" not in err


def test_a_column_without_any_value_is_named(files, capsys, monkeypatch):
    customers = load_customers().assign(Milk=float("nan"))
    customers.to_csv(files / "no_milk.csv", index=False)
    args = ["model.json", "no_milk.csv", "--allow-missing"]
    assert monitor(files, *args, monkeypatch=monkeypatch) == 1
    assert "the column Milk has no value at all" in capsys.readouterr().err


def test_customers_left_out_are_in_the_record_and_on_the_page(files, capsys, monkeypatch):
    customers = load_customers()
    customers.loc[[3, 7], "Grocery"] = float("nan")
    customers.to_csv(files / "gaps.csv", index=False)
    args = ["model.json", "gaps.csv", "--allow-missing", "-o", "p.html"]
    assert monitor(files, *args, monkeypatch=monkeypatch) == 0
    record = json.loads((files / "monitor-record.json").read_text())
    assert record["batch"]["left_out"] == {"customers": 2, "first_ids": [4, 8]}
    assert record["batch"]["customers"] == 438
    page = " ".join(Tags((files / "p.html").read_text()).text)
    assert "Left out of the batch: 2 customers with a missing value (ids 4, 8)" in page
