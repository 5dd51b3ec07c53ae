"""The Spark session helper: local[2], quiet, reused; and a clear message without Java."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_spark import spark_fixture  # noqa: F401 (the shared session: spark)

from segmentation.spark.session import (
    LOCAL_MASTER,
    MIN_JAVA,
    SparkSetupError,
    _check_master,
    check_java,
    java_version,
    spark_session,
)

ROOT = Path(__file__).resolve().parent.parent


def fake_java(tmp_path: Path, banner: str) -> str:
    """A program that answers ``-version`` as a given Java does (on stderr, as Java does)."""
    program = tmp_path / "java"
    program.write_text(f"#!/bin/sh\necho '{banner}' >&2\n")
    program.chmod(0o755)
    return str(program)


def test_the_session_runs_locally_on_two_cores_quietly(spark):
    assert spark.sparkContext.master == LOCAL_MASTER == "local[2]"
    assert spark.conf.get("spark.ui.enabled") == "false"
    assert spark.conf.get("spark.ui.showConsoleProgress") == "false"
    assert spark.sparkContext._jsc.sc().getConf().get("spark.app.name") == "customer-segmentation"
    # Spark's log: errors only.
    level = spark.sparkContext._jvm.org.apache.logging.log4j.LogManager.getRootLogger().getLevel()
    assert level.toString() == "ERROR"
    assert spark.range(5).count() == 5


def test_a_running_session_is_reused(spark):
    assert spark_session() is spark


@pytest.mark.parametrize(
    ("banner", "version"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "11.0.2" 2019-01-15', 11),
        ("something else entirely", None),
    ],
)
def test_java_version_reads_the_version_line(tmp_path, banner, version):
    assert java_version(fake_java(tmp_path, banner)) == version


def test_the_java_here_is_new_enough():
    assert java_version() >= MIN_JAVA
    check_java()  # no error


@pytest.mark.parametrize("banner", ['java version "1.8.0_392"', 'openjdk version "11.0.2"'])
def test_an_old_java_is_refused_with_what_to_install(tmp_path, banner):
    with pytest.raises(SparkSetupError) as refused:
        check_java(fake_java(tmp_path, banner))
    message = str(refused.value)
    assert f"Java {MIN_JAVA} or newer" in message
    assert "version " in message and ("version 8" in message or "version 11" in message)
    for what in ("openjdk-17-jre-headless", "openjdk=17", "JAVA_HOME"):
        assert what in message


def test_without_java_spark_session_says_what_to_install_not_a_traceback(tmp_path):
    """In a fresh Python, JAVA_HOME pointing to a folder with no Java in it."""
    env = {**os.environ, "JAVA_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", "from segmentation.spark import session; session.spark_session()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("segmentation.spark.session.SparkSetupError: Spark needs Java")
    assert "no Java at JAVA_HOME" in last and "openjdk-17-jre-headless" in last
    assert "Py4J" not in done.stderr and "py4j" not in done.stderr


def test_without_pyspark_the_message_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # import pyspark.sql now fails
    with pytest.raises(SparkSetupError, match=r"pip install -c requirements/lock.txt pyspark"):
        spark_session()


def test_a_master_url_spark_cannot_use_is_a_setup_error_not_a_traceback():
    """In a fresh Python (the shared session would be reused)."""
    done = subprocess.run(
        [sys.executable, "-c", "from segmentation import spark_session; spark_session('local[0]')"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("segmentation.spark.session.SparkSetupError: Spark did not start")
    assert "'local[0]'" in last and "Check the master URL" in last and "spark://" in last
    # Spark's own reason, not the name of the Java call that failed; no Java frames.
    assert "master 'local[0]': Asked to run locally with 0 threads." in last
    assert "Py4J" not in done.stderr and "\tat " not in done.stderr


@pytest.mark.parametrize(
    ("master", "phrase"),
    [
        ("", "The master is empty"),
        ("  ", "The master is empty"),
        ("yarn", "set HADOOP_CONF_DIR or YARN_CONF_DIR"),
    ],
)
def test_a_master_spark_would_refuse_with_a_java_trace_is_refused_first(
    monkeypatch, master, phrase
):
    for name in ("HADOOP_CONF_DIR", "YARN_CONF_DIR"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SparkSetupError, match=phrase):
        _check_master(master)


@pytest.mark.parametrize("name", ["HADOOP_CONF_DIR", "YARN_CONF_DIR"])
def test_yarn_with_its_configuration_is_left_to_spark(monkeypatch, tmp_path, name):
    monkeypatch.setenv(name, str(tmp_path))
    _check_master("yarn")
    _check_master("local[2]")
    _check_master(None)


def test_under_spark_submit_the_session_keeps_the_master_spark_submit_was_given(tmp_path):
    """A script started by ``spark-submit --master URL`` joins that master; without a master
    of its own, spark_session() must not replace it with local[2]."""
    script = tmp_path / "job.py"
    script.write_text(
        "from segmentation.spark.session import spark_session\n"
        "print('master:', spark_session().sparkContext.master)\n"
    )
    bin_folder = Path(sys.executable).parent
    # spark-submit finds Spark through the python on PATH: this environment's
    env = {
        **os.environ,
        "PATH": f"{bin_folder}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }
    done = subprocess.run(
        [str(bin_folder / "spark-submit"), "--master", "local[1]", str(script)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "master: local[1]" in done.stdout


def test_spark_workers_run_the_drivers_own_python(spark):
    # Left to pyspark, workers run `python3` from the PATH: another Python, maybe without numpy.
    def where(_rows):
        import sys as worker_sys

        yield worker_sys.executable

    ran = spark.sparkContext.parallelize([0, 1], 2).mapPartitions(where).collect()
    assert set(ran) == {sys.executable}
