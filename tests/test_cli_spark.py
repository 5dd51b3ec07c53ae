"""The command line at scale: ``simulate``, ``--engine spark`` on ``fit`` and ``predict``, and
the messages when Spark cannot run or the engine cannot read the input."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from segmentation.cli import main
from segmentation.data.reader import read_customer_csv
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import course_data_path
from segmentation.data.simulate import fastparquet_module, simulate_customers
from segmentation.model.persistence import load_model

fastparquet = fastparquet_module()
N = 3_000


def run(*args, env=None):
    """The command in a process of its own (for what must happen before Spark starts)."""
    return subprocess.run(
        [sys.executable, "-m", "segmentation", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


# --- simulate (no Spark) ------------------------------------------------------------------------


def test_simulate_writes_parquet_with_a_progress_line_per_chunk(tmp_path, capsys):
    status = main(["simulate", "2500", "-o", str(tmp_path / "c.parquet"), "--chunk", "1000"])
    out, err = capsys.readouterr()
    assert status == 0
    assert out == f"Simulated 2,500 customers (seed 0) in {tmp_path / 'c.parquet'}, 3 row groups.\n"
    assert err.count("simulated customers:") == 3 and "2,500 of 2,500" in err
    table = fastparquet.ParquetFile(str(tmp_path / "c.parquet")).to_pandas()
    assert table.equals(simulate_customers(2_500).reset_index(drop=True))


def test_simulate_writes_a_csv_file_the_course_reads(tmp_path, capsys):
    assert main(["simulate", "300", "-o", str(tmp_path / "c.csv"), "--seed", "5"]) == 0
    read = read_customer_csv(tmp_path / "c.csv", require_labels=True)
    expected = simulate_customers(300, seed=5)
    assert read["Fresh"].tolist() == expected["Fresh"].tolist()
    assert "Simulated 300 customers (seed 5)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "phrase"),
    [
        (["-5", "-o", "c.parquet"], "N must be 0 or more"),
        (["5", "-o", "c.txt"], "-o must name a file ending in .parquet or .csv"),
        (["5", "-o", "-"], "-o must name a file ending in .parquet or .csv"),
        (["5", "-o", "c.parquet", "--chunk", "0"], "--chunk must be 1 or more"),
        (["5", "-o", "c.parquet", "--seed", "-1"], "--seed must be from 0"),
        (["5", "-o", "missing/c.parquet"], "does not exist"),
    ],
)
def test_simulate_refuses_bad_arguments_before_writing(
    tmp_path, capsys, monkeypatch, arguments, phrase
):
    monkeypatch.chdir(tmp_path)
    assert main(["simulate", *arguments]) == 2
    assert phrase in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# --- the engines' arguments (no Spark) ----------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark-cli")
    assert main(["simulate", str(N), "-o", str(folder / "c.parquet"), "--seed", "1"]) == 0
    assert main(["simulate", str(N), "-o", str(folder / "c.csv"), "--seed", "1"]) == 0
    (folder / "c.dat").write_bytes((folder / "c.parquet").read_bytes())
    return folder


@pytest.mark.parametrize("name", ["c.parquet", "c.dat"])
def test_the_course_engine_refuses_parquet_and_points_to_spark(files, capsys, tmp_path, name):
    assert main(["fit", str(files / name), "-o", str(tmp_path / "m.json")]) == 1
    err = capsys.readouterr().err
    assert "is a Parquet file; the course engine reads CSV files" in err
    assert "--engine spark" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("arguments", "phrase"),
    [
        (["--master", "local[1]"], "--master is for --engine spark"),
        (["--engine", "spark", "--n-init", "3"], "--n-init is for --engine course"),
        (["--engine", "spark", "--algorithm", "scikit-learn"], "--algorithm is for --engine"),
        (["--engine", "spark", "--allow-missing"], "--allow-missing is for --engine course"),
        (["--engine", "spark", "--max-spending", "1e6"], "--max-spending is for --engine"),
        (["--engine", "spark", "--k", "0"], "--k must be from 1"),
    ],
)
def test_fit_refuses_options_of_the_other_engine(files, capsys, tmp_path, arguments, phrase):
    assert main(["fit", str(files / "c.csv"), "-o", str(tmp_path / "m.json"), *arguments]) == 2
    assert phrase in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_predict_on_the_course_engine_needs_an_output(files, capsys):
    assert main(["predict", "m.json", str(files / "c.csv")]) == 2
    assert "-o/--output is required" in capsys.readouterr().err


def test_without_java_the_message_says_what_to_install(files, tmp_path):
    done = run(
        "fit",
        str(files / "c.csv"),
        "--engine",
        "spark",
        "-o",
        str(tmp_path / "m.json"),
        env={"JAVA_HOME": str(tmp_path / "no-java")},
    )
    assert done.returncode == 1, done.stderr
    assert "openjdk-17-jre-headless" in done.stderr and "JAVA_HOME" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_without_pyspark_the_message_says_what_to_install(files, tmp_path):
    blocker = tmp_path / "blocker" / "pyspark"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('No module named pyspark')\n")
    done = run(
        "fit",
        str(files / "c.csv"),
        "--engine",
        "spark",
        "-o",
        str(tmp_path / "m.json"),
        env={"PYTHONPATH": str(tmp_path / "blocker")},
    )
    assert done.returncode == 1, done.stderr
    assert "pip install" in done.stderr and "pyspark" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


# --- on Spark -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark():
    from segmentation.spark.session import spark_session

    return spark_session()


@pytest.fixture(scope="module")
def fitted(files, spark):
    """The model ``fit --engine spark`` wrote from the Parquet file, and what it printed."""
    capture = pytest.MonkeyPatch()
    out, err = [], []
    capture.setattr(sys, "stdout", _Lines(out))
    capture.setattr(sys, "stderr", _Lines(err))
    try:
        status = main(["fit", str(files / "c.parquet"), "--engine", "spark", "-o", "-"])
    finally:
        capture.undo()
    return status, "".join(out), "".join(err)


class _Lines:
    def __init__(self, into):
        self.into = into

    def write(self, text):
        self.into.append(text)
        return len(text)

    def flush(self):
        pass


def test_fit_on_spark_writes_the_course_model_file(fitted, files, tmp_path):
    status, out, err = fitted
    assert status == 0, err
    (tmp_path / "m.json").write_text(out)
    model = load_model(tmp_path / "m.json")  # checked as any model file is
    assert model.training["customers"] == N
    assert [s.customers for s in model.segments] == pd.Series(
        model.predict(simulate_customers(N, seed=1))["segment"]
    ).value_counts().sort_index().tolist()
    for stage in ("reading: 3,000 customers", "scaling:", "k-means: k = 3", "segments:"):
        assert stage in err
    assert f"Fitted 3 segments on 3,000 customers of {files / 'c.parquet'} with Spark" in err


def test_predict_on_spark_writes_parquet_beside_a_parquet_input(fitted, files, capsys):
    model_path = files / "m.json"
    model_path.write_text(fitted[1])
    assert main(["predict", str(model_path), str(files / "c.parquet"), "--engine", "spark"]) == 0
    out = capsys.readouterr().out
    written = files / "c-segments.parquet"
    assert f"wrote {written} (Parquet)" in out
    segments = pd.concat(
        fastparquet.ParquetFile(str(part)).to_pandas() for part in written.glob("part-*.parquet")
    )
    # The course engine, on the same customers from CSV, is the oracle.
    expected = load_model(model_path).predict(read_customer_csv(files / "c.csv"))
    assert sorted(segments["segment"].tolist()) == sorted(expected["segment"].tolist())
    # Spark's rows come back in no set order: compare customer by customer, both sorted.
    columns = ["Channel", "Region", *SPENDING_COLUMNS]
    mine = segments.sort_values(columns, kind="stable")["segment"].to_numpy()
    customers = simulate_customers(N, seed=1).assign(segment=expected["segment"].to_numpy())
    theirs = customers.sort_values(columns, kind="stable")["segment"].to_numpy()
    np.testing.assert_array_equal(mine, theirs)
    counts = np.bincount(expected["segment"], minlength=3)
    for j, count in enumerate(counts):
        assert f"  {j}. " in out and f": {count:,}\n" in out


def test_predict_on_spark_writes_csv_and_replaces_its_own_earlier_output(fitted, files, capsys):
    model_path = files / "m.json"
    model_path.write_text(fitted[1])
    output = files / "out.csv"
    arguments = ["predict", str(model_path), str(files / "c.csv"), "--engine", "spark"]
    for _ in range(2):
        assert main([*arguments, "-o", str(output)]) == 0
    assert "(CSV)" in capsys.readouterr().out
    parts = sorted(output.glob("part-*.csv"))
    table = pd.concat(pd.read_csv(p) for p in parts)
    assert len(table) == N and set(table["segment"]) == {0, 1, 2}
    assert not [p for p in files.iterdir() if p.name.startswith(".")]  # no temporary left


@pytest.mark.parametrize(
    ("output", "phrase"),
    [("c.parquet", "is also the input"), ("folder", "is a folder that Spark did not write")],
)
def test_predict_on_spark_never_replaces_the_input_or_a_folder_of_other_files(
    fitted, files, capsys, output, phrase
):
    (files / "folder").mkdir(exist_ok=True)
    (files / "folder" / "notes.txt").write_text("keep me")
    model_path = files / "m.json"
    model_path.write_text(fitted[1])
    before = (files / "c.parquet").read_bytes()
    arguments = ["predict", str(model_path), str(files / "c.parquet"), "--engine", "spark"]
    assert main([*arguments, "-o", str(files / output)]) == 2
    assert phrase in capsys.readouterr().err
    assert (files / "c.parquet").read_bytes() == before
    assert (files / "folder" / "notes.txt").read_text() == "keep me"


def test_fit_on_spark_refuses_bad_spending_naming_the_file(tmp_path, spark, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        textwrap.dedent(
            """\
            Channel,Region,Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen
            1,1,10,20,30,40,50,60
            1,1,-5,20,30,40,50,60
            """
        )
    )
    assert main(["fit", str(bad), "--engine", "spark", "-o", str(tmp_path / "m.json")]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "Fresh" in err
    assert not (tmp_path / "m.json").exists()


def test_the_model_from_spark_is_read_by_predict_on_the_course_engine(fitted, files, tmp_path):
    (tmp_path / "m.json").write_text(fitted[1])
    json.loads(fitted[1])
    output = tmp_path / "s.csv"
    assert main(["predict", str(tmp_path / "m.json"), str(files / "c.csv"), "-o", str(output)]) == 0
    assert len(pd.read_csv(output)) == N


def test_looking_for_parquet_takes_nothing_from_a_pipe(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "segmentation", "fit", "/dev/stdin", "-o", str(tmp_path / "m.json")],
        input=course_data_path().read_text(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert load_model(tmp_path / "m.json").training["customers"] == 440


# --- Spark's start-up, and monitoring a Spark model ----------------------------------------------

#: What Spark prints at start-up unless told otherwise: its log's default level, and netlib's
#: search for a native BLAS (printed from C).
SPARK_NOISE = ("Setting default log level", "sc.setLogLevel", "netlib", " WARN ", " INFO ")
#: The one line left: the Java virtual machine prints it before any of Spark's code runs,
#: because Spark's launcher always adds the incubator module jdk.incubator.vector (its
#: vectorised BLAS), and Java has no option to silence that warning.
JVM_LINE = "WARNING: Using incubator modules: jdk.incubator.vector"


def test_fit_on_spark_is_quiet_and_monitor_runs_every_monitor_but_ks(tmp_path, capsys):
    model = tmp_path / "model.json"
    # In a process of its own: Spark's log is set when its Java virtual machine starts.
    result = run("fit", str(course_data_path()), "--engine", "spark", "-o", str(model))
    assert result.returncode == 0, result.stderr
    assert not [n for n in SPARK_NOISE if n in result.stderr], result.stderr
    assert [line for line in result.stderr.splitlines() if "WARNING" in line] in ([], [JVM_LINE])
    assert "with Spark (local[2])" in result.stderr + result.stdout
    assert json.loads(model.read_text())["kmeans"]["algorithm"] == "spark"

    record = tmp_path / "record.json"
    status = main(["monitor", str(model), str(course_data_path()), "--record", str(record)])
    assert status == 0, capsys.readouterr().err
    written = json.loads(record.read_text())
    ran = {m["monitor"] for m in written["monitors"]}
    assert ran == {"psi", "share_psi", "share_p_value", "distance_ratio", "centre_movement"}
    assert [r["monitor"] for r in written["not_run"]] == ["ks_p_value"]
    # The training data against its own summary: nothing moved.
    assert not written["drifted"]


def test_fit_on_spark_shows_j_and_its_help_says_why_it_may_differ(fitted, capsys):
    status, _, err = fitted
    assert status == 0 and "J = " in err.splitlines()[-1]
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "one seeded k-means|| start" in shown and "--n-init" in shown


@pytest.mark.parametrize(
    ("rows", "phrase"),
    [
        (1, "--k must be from 1 to the number of customers in {path} (1); got 3."),
        (0, "{path} has no customers."),
    ],
)
def test_fit_on_spark_with_k_above_the_customers_is_a_usage_error(
    tmp_path, spark, capsys, rows, phrase
):
    path = tmp_path / "few.csv"
    header = "Channel,Region," + ",".join(SPENDING_COLUMNS) + "\n"
    path.write_text(header + "1,1,1,2,3,4,5,6\n" * rows)
    assert main(["fit", str(path), "--engine", "spark", "-o", str(tmp_path / "m.json")]) == 2
    err = capsys.readouterr().err
    assert phrase.format(path=path) in err and "Traceback" not in err


def test_fit_on_spark_refuses_a_file_named_parquet_that_is_not_in_one_line(tmp_path, spark, capsys):
    path = tmp_path / "img.parquet"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert main(["fit", str(path), "--engine", "spark", "-o", str(tmp_path / "m.json")]) == 1
    err = capsys.readouterr().err
    assert "not a Parquet file" in err and "Traceback" not in err and "\tat " not in err
    assert len(err.strip().splitlines()) <= 3


def test_an_empty_master_is_refused(files, tmp_path, capsys):
    arguments = ["fit", str(files / "c.csv"), "--engine", "spark", "--master", ""]
    assert main([*arguments, "-o", str(tmp_path / "m.json")]) == 2
    assert "--master must name Spark's master" in capsys.readouterr().err


def test_the_max_spending_refusal_says_what_spark_checks(files, tmp_path, capsys):
    arguments = ["fit", str(files / "c.csv"), "--engine", "spark", "--max-spending", "5"]
    assert main([*arguments, "-o", str(tmp_path / "m.json")]) == 2
    assert "below 0 or above 10,000,000 m.u." in capsys.readouterr().err


def test_a_spark_command_keeps_its_own_ctrl_c_and_drops_py4js_tracebacks(spark, monkeypatch):
    """pyspark's SIGINT handler calls into Java from inside a call into Java (Py4J then logs
    two tracebacks on the root logger): a command puts its own handler back."""
    import logging
    import signal

    from segmentation import cli, cli_spark
    from segmentation.spark import session

    def starting_spark(master):  # what starting a SparkContext does to SIGINT
        signal.signal(signal.SIGINT, lambda signum, frame: None)
        return spark

    monkeypatch.setattr(session, "spark_session", starting_spark)
    before = signal.signal(signal.SIGINT, cli._stop)
    root = logging.getLogger()
    try:
        assert cli_spark._session(None) is spark
        assert signal.getsignal(signal.SIGINT) is cli._stop
        py4j = root.makeRecord("root", logging.ERROR, "/x/py4j/java_gateway.py", 1, "m", (), None)
        ours = root.makeRecord("root", logging.ERROR, "/x/segmentation/cli.py", 1, "m", (), None)
        assert not root.filter(py4j) and root.filter(ours)
    finally:
        signal.signal(signal.SIGINT, before)
        root.removeFilter(cli_spark._without_py4j)
