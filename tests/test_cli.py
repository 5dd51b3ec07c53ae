"""The command line as a user runs it: validate, fit, predict, report; summaries, problems,
exit codes, and nothing written when the input was bad."""

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from segmentation.cli import main
from segmentation.data.shipped import course_data_path
from segmentation.model.persistence import load_model

BAD_FILES = {
    "empty.csv": b"",
    "header-only.csv": b"Channel,Region,Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n",
    "semicolons.csv": (
        b"Channel;Region;Fresh;Milk;Grocery;Frozen;Detergents_Paper;Delicassen\n1;1;1;1;1;1;1;1\n"
    ),
    "workbook.xlsx": b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
    "latin1.csv": (
        "Name,Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\nJosé,1,1,1,1,1,1\n"
    ).encode("latin-1"),
    "values.csv": (
        b"Channel,Region,Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n"
        b"3,1,x,-1,,nan,inf,1e99\n"
    ),
}


# The command the package installs, in the environment running the tests (which need not be
# on PATH: `make test` does not activate the environment).
COMMAND = Path(sys.executable).parent / "segmentation"


def run(*args):
    """The installed command, as a user types it."""
    return subprocess.run([str(COMMAND), *args], capture_output=True, text=True, timeout=60)


def test_a_good_file_prints_a_summary_and_exits_0():
    done = run("validate", str(course_data_path()))
    assert done.returncode == 0, done.stderr
    assert "OK, 440 customers." in done.stdout
    assert "Channel: Horeca 298, Retail 142" in done.stdout
    assert "Region: Lisbon 77, Oporto 47, Other 316" in done.stdout
    assert done.stderr == ""


def test_python_dash_m_works_too():
    done = subprocess.run(
        [sys.executable, "-m", "segmentation", "validate", str(course_data_path())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "OK, 440 customers." in done.stdout


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_lists_problems_and_exits_1_without_a_traceback(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(BAD_FILES[name])
    done = run("validate", str(path))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith(f"{path} cannot be used:")
    assert "Traceback" not in done.stderr


def test_every_bad_value_of_a_row_is_listed(tmp_path):
    path = tmp_path / "values.csv"
    path.write_bytes(BAD_FILES["values.csv"])
    done = run("validate", str(path))
    listed = [line for line in done.stderr.splitlines() if line.startswith("  - ")]
    columns = [line.split(", column ")[1].split(":")[0] for line in listed]
    assert columns == [
        "Channel",
        "Fresh",
        "Milk",
        "Grocery",
        "Frozen",
        "Detergents_Paper",
        "Delicassen",
    ]
    assert all(", row 2, " in line for line in listed)


def test_notes_are_printed_for_a_good_file(tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text(
        "Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen,Comment\n1,2,3,4,5,6,hi\n\n"
    )
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "note: " in out and "('Comment') is not one the course uses; it was ignored." in out
    assert "blank row 3 skipped." in out


def test_the_spending_limit_and_required_labels_are_options(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n20000000,2,3,4,5,6\n")
    assert run("validate", str(path)).returncode == 1
    assert run("validate", "--max-spending", "1e8", str(path)).returncode == 0
    refused = run("validate", "--max-spending", "1e8", "--require-labels", str(path))
    assert refused.returncode == 1 and "column Channel: the column is missing." in refused.stderr


def test_bad_arguments_exit_2_with_usage():
    done = run("validate")
    assert done.returncode == 2 and "usage: segmentation validate" in done.stderr
    assert run().returncode == 2
    assert run("validate", "--max-spending", "lots", "x.csv").returncode == 2


def test_a_missing_file():
    done = run("validate", "no/such/file.csv")
    assert done.returncode == 1
    assert "no/such/file.csv: no such file." in done.stderr


# --- fit, predict, report ------------------------------------------------------------------------

GOOD_NEW = (
    "Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n"
    "500,9000,20000,300,9000,800\n30000,1500,2000,6000,200,1200\n"
)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.json"
    assert main(["fit", str(course_data_path()), "--k", "3", "-o", str(path)]) == 0
    return path


def test_fit_predict_report_as_a_user_runs_them(tmp_path):
    model = tmp_path / "model.json"
    done = run("fit", str(course_data_path()), "--k", "3", "-o", str(model))
    assert done.returncode == 0, done.stderr
    assert "Fitted 3 segments on 440 customers" in done.stdout
    assert "large, broad basket: mixed channels (62% Retail)" in done.stdout
    assert "silhouette" in done.stdout
    assert json.loads(model.read_text())["kmeans"]["k"] == 3

    new = tmp_path / "new.csv"
    new.write_text(GOOD_NEW)
    segments = tmp_path / "segments.csv"
    done = run("predict", str(model), str(new), "-o", str(segments))
    assert done.returncode == 0, done.stderr
    assert "Segmented 2 customers" in done.stdout
    assert "no Channel column" in done.stderr  # the reader's notes are shown
    table = pd.read_csv(segments)
    assert list(table.columns) == [
        "id",
        "segment",
        "name",
        "distance_0",
        "distance_1",
        "distance_2",
    ]
    assert table["id"].tolist() == [1, 2]
    assert table["name"].tolist() == [
        "medium, detergents and grocery: mixed channels (61% Retail)",
        "small, frozen and fresh: mostly Horeca (99%)",
    ]

    report = tmp_path / "report.html"
    done = run("report", str(model), str(course_data_path()), "-o", str(report))
    assert done.returncode == 0, done.stderr
    assert "Wrote the report on 440 customers" in done.stdout


def test_the_report_is_one_self_contained_page(model_file, tmp_path):
    report = tmp_path / "report.html"
    assert main(["report", str(model_file), str(course_data_path()), "-o", str(report)]) == 0
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<img src='data:image/png;base64,") == 3
    assert "<script" not in page
    assert not re.search(r"""(?:src|href)=['"](?!data:)""", page)  # nothing fetched from elsewhere
    model = load_model(model_file)
    for segment in model.segments:
        assert html.escape(segment.name) in page and html.escape(segment.strategy) in page
    assert "143 customers (32%)" in page and "Strategy:" in page
    assert "agreement 0.36 with Horeca / Retail" in page
    # The silhouette is read on Kaufman and Rousseeuw's scale: 0.259 is weak, on the border of
    # no substantial structure, not "real groups".
    assert (
        "silhouette 0.259, from -1 to 1: <b>weak structure, possibly artificial (on the "
        "border of no substantial structure)</b>" in page
    )
    assert "The segments overlap" in page and "real groups" not in page


def test_predict_handles_the_course_data_and_keeps_ids(model_file, tmp_path):
    out = tmp_path / "segments.csv"
    assert main(["predict", str(model_file), str(course_data_path()), "-o", str(out)]) == 0
    table = pd.read_csv(out)
    assert len(table) == 440 and table["id"].tolist() == list(range(1, 441))
    model = load_model(model_file)
    assert table["segment"].value_counts().sort_index().tolist() == list(model.evaluation.sizes)


def damaged(tmp_path, model_file):
    path = tmp_path / "damaged.json"
    path.write_text(model_file.read_text().replace('"k": 3', '"k": 4'))
    return path


BAD_RUNS = {
    # name: (arguments, with {model} {data} {bad} {damaged} {out} {dir} filled in;
    #        exit status; words the message must have)
    "fit bad data": (["fit", "{bad}", "-o", "{out}"], 1, "cannot be used: "),
    "fit missing data": (["fit", "{dir}/nope.csv", "-o", "{out}"], 1, "no such file"),
    "fit k 0": (["fit", "{data}", "--k", "0", "-o", "{out}"], 2, "--k must be from 1 to"),
    "fit k too big": (["fit", "{data}", "--k", "441", "-o", "{out}"], 2, "(440); got 441"),
    "fit k not a number": (
        ["fit", "{data}", "--k", "three", "-o", "{out}"],
        2,
        "invalid int value: 'three'",
    ),
    "fit no output": (["fit", "{data}"], 2, "the following arguments are required: -o"),
    "fit into a missing folder": (
        ["fit", "{data}", "-o", "{dir}/no/such/model.json"],
        2,
        "does not exist",
    ),
    "fit onto its input": (["fit", "{data}", "-o", "{data}"], 2, "is also an input"),
    "fit onto a folder": (["fit", "{data}", "-o", "{dir}"], 2, "is a folder"),
    "predict missing model": (
        ["predict", "{dir}/nope.json", "{data}", "-o", "{out}"],
        1,
        "no such file",
    ),
    "predict damaged model": (
        ["predict", "{damaged}", "{data}", "-o", "{out}"],
        1,
        "checksum does not match",
    ),
    "predict a CSV as model": (
        ["predict", "{data}", "{data}", "-o", "{out}"],
        1,
        (
            "`segmentation predict` expects a model first: the .json "
            "file saved by `segmentation fit`"
        ),
    ),
    "report a CSV as model": (
        ["report", "{data}", "{data}", "-o", "{out}"],
        1,
        "it is not a model file: it looks like a CSV table",
    ),
    "predict bad data": (["predict", "{model}", "{bad}", "-o", "{out}"], 1, "cannot be used: "),
    "predict onto the model": (
        ["predict", "{model}", "{data}", "-o", "{model}"],
        2,
        "is also an input",
    ),
    "report damaged model": (
        ["report", "{damaged}", "{data}", "-o", "{out}"],
        1,
        "checksum does not match",
    ),
    "report bad data": (["report", "{model}", "{bad}", "-o", "{out}"], 1, "cannot be used: "),
    "unknown command": (["cluster", "{data}"], 2, "invalid choice: 'cluster'"),
}


@pytest.mark.parametrize("name", sorted(BAD_RUNS))
def test_bad_input_ends_with_a_message_and_writes_nothing(name, model_file, tmp_path, capsys):
    arguments, status, words = BAD_RUNS[name]
    bad = tmp_path / "values.csv"
    bad.write_bytes(BAD_FILES["values.csv"])
    before_model = model_file.read_bytes()
    places = {
        "model": model_file,
        "data": course_data_path(),
        "bad": bad,
        "damaged": damaged(tmp_path, model_file),
        "out": tmp_path / "out.file",
        "dir": tmp_path,
    }
    argv = [a.format(**places) for a in arguments]
    before = sorted(tmp_path.iterdir())
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    err = capsys.readouterr().err
    assert code == status, err
    assert words in err
    assert "Traceback" not in err
    assert sorted(tmp_path.iterdir()) == before  # nothing written
    assert model_file.read_bytes() == before_model


def test_bad_input_from_the_installed_command_has_no_traceback(tmp_path, model_file):
    damaged_model = damaged(tmp_path, model_file)
    out = tmp_path / "segments.csv"
    done = run("predict", str(damaged_model), str(course_data_path()), "-o", str(out))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"{damaged_model} cannot be used as a segmentation model:")
    assert "Traceback" not in done.stderr and not out.exists()


def test_a_table_where_the_model_goes_is_called_what_it_is(model_file, tmp_path, capsys):
    out = tmp_path / "segments.csv"
    # The two arguments swapped: say so, and give the command the right way round.
    assert main(["predict", str(course_data_path()), str(model_file), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "it is not a model file: it looks like a CSV table (first line: 'Channel,Region," in err
    assert (
        f"The two arguments look swapped; try: segmentation predict {model_file} "
        f"{course_data_path()} -o {out}"
    ) in err
    assert "damaged" not in err and "edited by hand" not in err
    # A table given twice: no swap to suggest, but where the model goes.
    assert main(["predict", str(course_data_path()), str(course_data_path()), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "swapped" not in err
    assert f"give the model first: segmentation predict MODEL.json {course_data_path()}" in err
    # Any other file that is no model: what the first argument must be.
    text = tmp_path / "notes.txt"
    text.write_text("remember to fit the model\n")
    assert main(["report", str(text), str(course_data_path()), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "`segmentation report` expects a model first" in err and "damaged" not in err
    assert not out.exists()


def test_one_segment_is_one_segment(tmp_path, capsys):
    assert main(["fit", str(course_data_path()), "--k", "1", "-o", str(tmp_path / "m.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Fitted 1 segment on 440 customers") and "1 segments" not in out
    assert main(["fit", str(course_data_path()), "--k", "2", "-o", str(tmp_path / "m.json")]) == 0
    assert capsys.readouterr().out.startswith("Fitted 2 segments on 440 customers")
