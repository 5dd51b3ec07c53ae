"""`segmentation quality` as a user runs it: the printed report of a file with gaps, zeros,
outliers and a repeated row; -o as a self-contained HTML page, -o - to standard output; bad
input refused with the reader's message and nothing written; bad arguments exit 2."""

import subprocess
import sys
from pathlib import Path

import pytest
from html_tags import Tags

from segmentation.cli import main
from segmentation.data.shipped import course_data_path
from segmentation.quality.report import quality_report

COMMAND = Path(sys.executable).parent / "segmentation"
HEADER = "id,Channel,Region,Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n"
# Ten customers, with spending 403, 1096 and 2980 m.u. (about e^6 - 1, e^7 - 1 and e^8 - 1:
# 6, 7 and 8 on the log scale, log(1 + x)). Fresh is 6 6 6 7 7 7 7 8 8 sorted, and 15 for 110
# (3,269,016): Q1 = 6.25 and Q3 = 7.75 (positions 2.25 and 6.75 of 0 to 9), fences 4 and 10,
# so 110 is the one outlier. Milk is 7 for all but 101, who bought none: Q1 = Q3 = 7, so the
# fences collapse onto 7 and would flag the zero: the report counts no outlier there and
# says why. Every other column holds at least three 6s and three 8s, so its
# quartiles are at least 1.5 apart and its fences outside 6 to 8: no outlier. 104 and 105 are
# the same row. 103 has no Grocery value and 106 none for Delicassen ("NA").
ROWS = [
    "101,Horeca,Lisbon,403,0,403,2980,1096,403",
    "102,Retail,Lisbon,1096,1096,2980,403,2980,403",
    "103,Horeca,Oporto,2980,1096,,1096,403,2980",
    "104,Retail,Other,403,1096,403,1096,2980,1096",
    "105,Retail,Other,403,1096,403,1096,2980,1096",
    "106,Horeca,Lisbon,1096,1096,2980,403,1096,NA",
    "107,Retail,Lisbon,2980,1096,1096,2980,403,2980",
    "108,Horeca,Other,1096,1096,2980,403,403,403",
    "109,Retail,Oporto,1096,1096,1096,2980,1096,2980",
    "110,Horeca,Oporto,3269016,1096,1096,1096,2980,1096",
]
DATA = HEADER + "\n".join(ROWS) + "\n"


def write_data(folder, text=DATA, name="customers.csv"):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def quality(*args):
    """`main` in this process: the exit status."""
    return main(["quality", *map(str, args)])


def snapshot(folder):
    """Each entry of ``folder`` (hidden temporary files too): its mode, and a file's bytes."""
    return {
        path.name: (path.stat().st_mode, path.read_bytes() if path.is_file() else None)
        for path in sorted(folder.iterdir())
    }


def test_the_report_is_printed_with_the_hand_worked_findings(tmp_path, capsys):
    data = write_data(tmp_path)
    assert quality(data) == 0
    printed = capsys.readouterr()
    lines = printed.out.splitlines()
    assert lines[0] == f"Data quality of {data}: 10 customers, 6 spending columns."
    rows = {line.split()[0]: line.split()[1:] for line in lines[3:9]}
    assert rows["Fresh"] == ["0", "0.0%", "0", "1", "0", "1", "110"]
    assert rows["Milk"] == ["0", "0.0%", "1", "0", "0", "0"]
    assert rows["Grocery"][:2] == ["1", "10.0%"]
    assert rows["Delicassen"][:2] == ["1", "10.0%"]
    said = " ".join(printed.out.split("What to do:")[1].split())
    for phrase in (
        "- 2 values missing (Grocery 1, Delicassen 1): read the file with --allow-missing",
        "- 1 zero (Milk 1): keep them",
        "- 1 group of identical rows (ids 104, 105): check whether they are the same customer",
    ):
        assert phrase in said
    # One customer is far off, in one column only: none in two.
    assert "- 1 outlier (Fresh 1): keep them" in said
    assert (
        "- Milk's fences collapse: half or more of its customers spend the same (1,096 m.u.)"
        in said
    )
    assert "or more categories" not in said
    # The reader's note on where the gaps were is part of the report.
    notes = printed.out.split("Notes from reading the file:")[1].split("What to do:")[0]
    assert "2 spending values are missing (Grocery 1, Delicassen 1), on rows 4, 7" in " ".join(
        notes.split()
    )
    assert list(snapshot(tmp_path)) == ["customers.csv"]


def test_the_report_of_a_path_is_the_report_of_the_table_it_reads(tmp_path):
    data = write_data(tmp_path)
    report = quality_report(data)
    assert report.source == str(data)
    assert len(report.notes) == 1 and "2 spending values are missing" in report.notes[0]
    assert report.duplicates == ((104, 105),)
    assert [c.missing for c in report.columns] == [0, 0, 1, 0, 0, 1]


def test_o_writes_the_same_report_as_html_and_a_summary(tmp_path, capsys):
    data, out = write_data(tmp_path), tmp_path / "report.html"
    assert quality(data, "-o", out) == 0
    printed = capsys.readouterr()
    assert printed.out == (
        f"Wrote the data-quality report on 10 customers of {data} to {out}: 2 values missing "
        "(Grocery 1, Delicassen 1); 1 zero (Milk 1); 1 outlier (Fresh 1); Milk's fences "
        "collapse; too few customers for Tukey's fences (with a value: Fresh 10, Milk 10, "
        "Grocery 9, Frozen 10, Detergents_Paper 10, Delicassen 9); 1 group of identical rows "
        "(ids 104, 105).\n"
    )
    page = out.read_text(encoding="utf-8")
    parsed = Tags(page)
    assert "script" not in parsed.tags and "http" not in page
    text = " ".join(parsed.text)
    assert f"Data quality of {data}" in text and "(ids 104, 105)" in text
    assert parsed.tags.count("tr") == 7


def test_dash_writes_the_html_to_standard_output_and_the_summary_to_error(tmp_path, capsys):
    data = write_data(tmp_path)
    assert quality(data, "-o", "-") == 0
    printed = capsys.readouterr()
    assert printed.out.startswith("<!DOCTYPE html>") and printed.out.endswith("</html>\n")
    assert printed.err.splitlines()[-1].startswith(
        f"Wrote the data-quality report on 10 customers of {data} to standard output: "
    )
    assert list(snapshot(tmp_path)) == ["customers.csv"]


def test_the_course_data_has_five_customers_extreme_in_two_categories(capsys):
    assert quality(course_data_path()) == 0
    printed = capsys.readouterr()
    assert printed.err == ""
    said = " ".join(printed.out.split("What to do:")[1].split())
    assert "- 48 outliers (Fresh 16, Milk 4, Grocery 2, Frozen 10, Detergents_Paper 2, " in said
    assert "- 5 customers extreme in 2 or more categories (ids 66, 67, 76, 129, 155):" in said
    assert "missing" not in said and "identical" not in said


def test_the_installed_command_writes_the_page(tmp_path):
    write_data(tmp_path)
    done = subprocess.run(
        [str(COMMAND), "quality", "customers.csv", "-o", "report.html"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Wrote the data-quality report on 10 customers of customers.csv")
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# --- bad input and bad arguments ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, phrase",
    [
        (DATA.replace("3269016", "lots"), "customers.csv, row 11, column Fresh: 'lots'"),
        (DATA.replace("3269016", "-5"), "customers.csv, row 11, column Fresh"),
        (DATA.replace("3269016", "20000000"), "customers.csv, row 11, column Fresh"),
        (HEADER, "customers.csv"),
        (HEADER.replace(",Frozen", "") + "1,1,1,1,1,1,1,1\n", "column Frozen"),
        (DATA.replace("102,", "101,"), "customers.csv, row 3, column id: id '101'"),
    ],
    ids=["word", "negative", "too large", "no rows", "no column", "a repeated id"],
)
def test_a_bad_file_is_refused_with_the_readers_message(tmp_path, capsys, text, phrase):
    data = write_data(tmp_path, text)
    (tmp_path / "report.html").write_text("the old report\n")
    before = snapshot(tmp_path)
    assert quality(data, "-o", tmp_path / "report.html") == 1
    printed = capsys.readouterr()
    assert printed.out == ""
    assert phrase in printed.err and "Traceback" not in printed.err
    assert printed.err.startswith("The file cannot be read as it is: ")
    assert "What to do: correct the file" in printed.err and "model" not in printed.err
    assert snapshot(tmp_path) == before


def test_a_file_that_is_not_there_is_refused(tmp_path, capsys):
    assert quality(tmp_path / "nowhere.csv") == 1
    err = capsys.readouterr().err
    assert "nowhere.csv" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args, phrase",
    [
        (["-o", "folder"], "is a folder; give a file name"),
        (["-o", "customers.csv"], "the output customers.csv is also an input"),
        (["--max-spending", "-1"], "--max-spending must be a number above 0"),
        (["--colour"], "unrecognized arguments: --colour"),
    ],
)
def test_bad_arguments_exit_2_before_any_work(tmp_path, args, phrase):
    write_data(tmp_path)
    (tmp_path / "folder").mkdir()
    before = snapshot(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "segmentation", "quality", "customers.csv", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and phrase in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.startswith("usage: segmentation")
    assert snapshot(tmp_path) == before


def test_an_interruption_while_writing_leaves_the_old_report(tmp_path, capsys, monkeypatch):
    from segmentation.data import output

    data, out = write_data(tmp_path), tmp_path / "report.html"
    out.write_text("the old report\n")
    before = snapshot(tmp_path)

    def interrupted(handle, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "_give_permissions", interrupted)
    assert quality(data, "-o", out) == 130
    assert capsys.readouterr().err.endswith(
        "segmentation quality: interrupted. Nothing was written.\n"
    )
    assert snapshot(tmp_path) == before
