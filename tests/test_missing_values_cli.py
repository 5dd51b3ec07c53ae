"""--allow-missing on the command line: validate, fit, predict and report read gaps only when
asked, and their summaries say how many values were missing, where, and how they were
filled."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from segmentation.cli import main
from segmentation.data.shipped import course_data_path

COMMAND = Path(sys.executable).parent / "segmentation"


@pytest.fixture
def gappy(tmp_path):
    """The first 60 course customers with an id column; Milk blank for id 3 (row 4),
    Grocery 'NA' and Frozen '?' for id 7 (row 8)."""
    lines = course_data_path().read_text().splitlines()
    rows = ["id," + lines[0]]
    for n, line in enumerate(lines[1:61], start=1):
        cells = line.split(",")
        if n == 3:
            cells[3] = ""
        if n == 7:
            cells[4], cells[5] = "NA", "?"
        rows.append(f"{n}," + ",".join(cells))
    path = tmp_path / "gappy.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_validate_refuses_gaps_and_names_the_option(gappy, capsys):
    assert main(["validate", str(gappy)]) == 1
    err = capsys.readouterr().err
    assert "row 4, column Milk: the value is blank." in err
    assert "row 8, column Grocery: 'NA' marks a missing value." in err
    assert "--allow-missing (command line)" in err


def test_validate_with_the_option_says_where_the_gaps_are(gappy, capsys):
    assert main(["validate", str(gappy), "--allow-missing"]) == 0
    out = capsys.readouterr().out
    assert "OK, 60 customers." in out
    assert "3 spending values are missing (Milk 1, Grocery 1, Frozen 1), on rows 4, 8" in out
    # The means are of the values present: never 'nan', never lowered by the gaps.
    assert "nan" not in out.lower().replace("(nan)", "")


def test_fit_refuses_gaps_without_the_option(gappy, tmp_path, capsys):
    assert main(["fit", str(gappy), "-o", str(tmp_path / "m.json")]) == 1
    assert "--allow-missing" in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()


def test_fit_with_the_option_fills_and_says_how(gappy, tmp_path, capsys):
    model = tmp_path / "m.json"
    assert main(["fit", str(gappy), "-o", str(model), "--allow-missing"]) == 0
    captured = capsys.readouterr()
    assert (
        "missing values: 3 values of 2 customers (Milk 1, Grocery 1, Frozen 1; customer id 3, "
        "7): each filled by the mean of the 5 nearest customers that have the value, on the "
        "log scale." in captured.out
    )
    assert "on rows 4, 8" in captured.err  # the reader's note
    assert json.loads(model.read_text())["missing"] == {
        "setting": "impute",
        "imputed_values": 3,
        "imputed_customers": 2,
    }


def test_predict_with_the_option_marks_the_imputed_customers(gappy, tmp_path, capsys):
    model, out = tmp_path / "m.json", tmp_path / "segments.csv"
    assert main(["fit", str(course_data_path()), "-o", str(model), "--k", "3"]) == 0
    assert main(["predict", str(model), str(gappy), "-o", str(out)]) == 1
    assert "--allow-missing" in capsys.readouterr().err and not out.exists()
    assert main(["predict", str(model), str(gappy), "-o", str(out), "--allow-missing"]) == 0
    summary = capsys.readouterr().out
    assert "Segmented 60 customers" in summary
    assert "assigned by their observed columns; 2 customers marked imputed." in summary
    table = pd.read_csv(out)
    assert list(table.columns)[-1] == "imputed"
    assert table.loc[table["imputed"], "id"].tolist() == [3, 7]


def test_predict_of_a_clean_file_is_unchanged_without_the_option(tmp_path, capsys):
    model, out = tmp_path / "m.json", tmp_path / "segments.csv"
    assert main(["fit", str(course_data_path()), "-o", str(model)]) == 0
    assert main(["predict", str(model), str(course_data_path()), "-o", str(out)]) == 0
    assert "imputed" not in pd.read_csv(out).columns
    assert "missing values" not in capsys.readouterr().out
    assert (
        main(["predict", str(model), str(course_data_path()), "-o", str(out), "--allow-missing"])
        == 0
    )
    assert not pd.read_csv(out)["imputed"].any()


def test_report_with_the_option(gappy, tmp_path, capsys):
    model, page = tmp_path / "m.json", tmp_path / "report.html"
    assert main(["fit", str(course_data_path()), "-o", str(model)]) == 0
    assert main(["report", str(model), str(gappy), "-o", str(page), "--allow-missing"]) == 0
    assert "missing values: 3 values of 2 customers" in capsys.readouterr().out
    assert "<html" in page.read_text().lower()


def test_a_column_with_no_value_is_refused_on_the_command_line(tmp_path):
    path = tmp_path / "no-milk.csv"
    path.write_text(
        "Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n1,,3,4,5,6\n2,NA,4,5,6,7\n"
    )
    done = subprocess.run(
        [str(COMMAND), "validate", str(path), "--allow-missing"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "column Milk: every value of the column is missing" in done.stderr
