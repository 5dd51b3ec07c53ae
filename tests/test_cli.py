"""`segmentation validate FILE`, as a user runs it: summaries, problems, exit codes."""

import subprocess
import sys
from pathlib import Path

import pytest

from segmentation.cli import main
from segmentation.data import course_data_path

BAD_FILES = {
    "empty.csv": b"",
    "header-only.csv": b"Channel,Region,Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n",
    "semicolons.csv": b"Channel;Region;Fresh;Milk;Grocery;Frozen;Detergents_Paper;Delicassen\n1;1;1;1;1;1;1;1\n",
    "workbook.xlsx": b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
    "latin1.csv": "Name,Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\nJosé,1,1,1,1,1,1\n".encode("latin-1"),
    "values.csv": b"Channel,Region,Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n3,1,x,-1,,nan,inf,1e99\n",
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
    done = subprocess.run([sys.executable, "-m", "segmentation", "validate", str(course_data_path())],
                          capture_output=True, text=True, timeout=60)
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
    assert columns == ["Channel", "Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
    assert all(", row 2, " in line for line in listed)


def test_notes_are_printed_for_a_good_file(tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text("Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen,Comment\n1,2,3,4,5,6,hi\n\n")
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
