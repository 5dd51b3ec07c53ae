"""A Spark session for the course: ``local[2]`` here, a master URL on a cluster.

Spark runs in a Java virtual machine; without Java 17 or newer (or without ``pyspark``)
:func:`spark_session` raises :class:`SparkSetupError`, whose message says what to install,
instead of a Py4J traceback.

On a cluster the same code runs unchanged: give the cluster's master URL (or start the
script with ``spark-submit --master URL``, which starts the session first; this function
then joins it), and keep the data on storage every worker reads (HDFS, S3, a shared disk).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: The master when none is given: Spark on this machine, on 2 cores.
LOCAL_MASTER = "local[2]"
#: The oldest Java that Spark 4 runs on.
MIN_JAVA = 17
#: Shuffle partitions on a local master: Spark's default (200) is made for clusters, and
#: costs seconds of bookkeeping on 2 cores.
LOCAL_SHUFFLE_PARTITIONS = 4

_INSTALL_JAVA = (
    f"Install a Java {MIN_JAVA} runtime: on Debian or Ubuntu `sudo apt-get install "
    f"openjdk-{MIN_JAVA}-jre-headless`, with conda `conda install -c conda-forge "
    f"openjdk={MIN_JAVA}`; or, if one is installed elsewhere, set JAVA_HOME to its folder."
)
#: Spark's log configuration (log4j2), shipped with the package: errors only, from the start
#: of the Java virtual machine (``setLogLevel`` comes only after Spark's start-up lines).
QUIET_LOG = Path(__file__).with_name("log4j2.properties")
# MLlib asks netlib for a native BLAS, whose loader prints a line from C (not through the
# log) when the system has none; Spark's own Java BLAS is what it then uses, so it is asked for
# directly.
_JAVA_BLAS = "-Ddev.ludovic.netlib.blas.allowNative=false"


class SparkSetupError(RuntimeError):
    """Spark cannot start here: pyspark or a Java 17 runtime is missing (the message says
    what to install)."""


def spark_session(
    master: str | None = None, *, app_name: str = "customer-segmentation", quiet: bool = True
) -> SparkSession:
    """The running Spark session, or a new one.

    Parameters
    ----------
    master : str, optional
        Where Spark runs: ``local[2]`` (the default: this machine, 2 cores), or a cluster's
        master URL (``spark://host:7077``, ``yarn``, ``k8s://https://host:443``). A running
        session is reused as it is, whatever its master; under ``spark-submit`` without a
        master here, the one given to ``spark-submit --master`` is kept.
    app_name : str, default="customer-segmentation"
        The application's name, as the cluster's web pages show it.
    quiet : bool, default=True
        Spark's own log at ERROR only, and no progress bars on the console.

    Raises
    ------
    SparkSetupError
        pyspark is not installed, or Java is missing or older than 17: the message says
        what to install.
    """
    SparkSession = _pyspark_session_class()
    running = SparkSession.getActiveSession()
    if running is not None:
        return running
    check_java()
    _check_master(master)
    _use_this_python()
    builder = SparkSession.builder.appName(app_name)
    # Under spark-submit the JVM is already up with the master it was given (its Python
    # process gets PYSPARK_GATEWAY_PORT): join it rather than override it with local[2].
    submitted = master is None and "PYSPARK_GATEWAY_PORT" in os.environ
    if not submitted:
        builder = builder.master(master or LOCAL_MASTER)
    builder = builder.config("spark.ui.enabled", "false")
    if not submitted and (master or LOCAL_MASTER).startswith("local"):
        builder = builder.config("spark.sql.shuffle.partitions", str(LOCAL_SHUFFLE_PARTITIONS))
    if quiet:
        builder = builder.config("spark.ui.showConsoleProgress", "false")
        options = f"-Dlog4j2.configurationFile={QUIET_LOG.as_uri()} {_JAVA_BLAS}"
        builder = builder.config("spark.driver.extraJavaOptions", options)
    try:
        session = builder.getOrCreate()
    except Exception as error:  # Py4J and pyspark raise several kinds; all mean "no start"
        # Java was checked above: what is left is the master, or the cluster behind it.
        raise SparkSetupError(
            f"Spark did not start with master "
            f"{'given to spark-submit' if submitted else repr(master or LOCAL_MASTER)}: "
            f"{_cause(error)}. Check the master URL (local[2], spark://HOST:7077, yarn "
            "or k8s://https://HOST:PORT) and that the cluster answers; Spark's own lines "
            "above say more."
        ) from None
    session.sparkContext.setLogLevel("ERROR" if quiet else "WARN")
    return session


def _use_this_python() -> None:
    """Spark's Python workers run the driver's own Python (unless the user chose one).

    Left alone, pyspark starts workers with ``python3`` from the PATH, which may be another
    Python without numpy or the course; a user's own PYSPARK_PYTHON is kept (a cluster's
    workers may need a Python at another path).
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


def java_version(java: str | None = None) -> int | None:
    """The major version of the Java that Spark will start (``JAVA_HOME``'s, else the one
    on the PATH), or None if there is none. ``java``: the program to ask instead."""
    java = java or _java_program()
    if java is None:
        return None
    try:
        answer = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError:
        return None
    # 'openjdk version "17.0.15"' or, before Java 9, 'java version "1.8.0_392"'.
    found = re.search(r'version "(\d+)(?:\.(\d+))?', answer.stderr + answer.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def check_java(java: str | None = None) -> None:
    """Raise :class:`SparkSetupError` unless Java :data:`MIN_JAVA` or newer is there."""
    version = java_version(java)
    if version is None:
        where = "at JAVA_HOME" if os.environ.get("JAVA_HOME") else "on this machine"
        raise SparkSetupError(f"Spark needs Java, and there is no Java {where}. {_INSTALL_JAVA}")
    if version < MIN_JAVA:
        raise SparkSetupError(
            f"Spark needs Java {MIN_JAVA} or newer, and the Java here is version {version}. "
            f"{_INSTALL_JAVA}"
        )


def _java_program() -> str | None:
    """The java that pyspark starts: JAVA_HOME's when it is set, as pyspark's launcher does."""
    home = os.environ.get("JAVA_HOME")
    if home:
        program = Path(home) / "bin" / "java"
        return str(program) if program.exists() else None
    return shutil.which("java")


def _pyspark_session_class() -> type[SparkSession]:
    """pyspark's SparkSession, or a SparkSetupError that says how to install pyspark."""
    # pyspark 4.3 warns, on import and on first use, that it does not "fully" support
    # pandas 3; the course's Spark code moves no pandas data into Spark, where it matters.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkSetupError(
            "Spark's Python package is not installed: install the course's pinned version "
            "with `pip install -c requirements/lock.txt pyspark` (or `conda env update -f "
            "environment.yml`)."
        ) from None
    return SparkSession


def _check_master(master: str | None) -> None:
    """Refuse what Spark would refuse only after a Java trace: an empty master, or YARN
    without the Hadoop configuration that says where the cluster is."""
    if master is not None and not master.strip():
        raise SparkSetupError(
            "The master is empty: give local[2], spark://HOST:7077, yarn or "
            "k8s://https://HOST:PORT, or none for local[2]."
        )
    yarn = master is not None and master.strip().lower().startswith("yarn")
    if yarn and not (os.environ.get("HADOOP_CONF_DIR") or os.environ.get("YARN_CONF_DIR")):
        raise SparkSetupError(
            "Spark runs on YARN only when it knows where the cluster is: set HADOOP_CONF_DIR "
            "or YARN_CONF_DIR to the folder of the cluster's configuration files."
        )


def _cause(error: BaseException) -> str:
    """Spark's own reason, from the Java exception when there is one (Py4J's message only
    names the call that failed), without its class name."""
    java = getattr(error, "java_exception", None)
    if java is None:
        return _first_line(error)
    line = str(java.toString()).strip().splitlines()[0]
    # "org.apache.spark.SparkException: Asked to run locally with 0 threads"
    return re.sub(r"^[\w.$]+(Exception|Error): ", "", line).rstrip(".")


def _first_line(error: BaseException) -> str:
    """The first line of an error's message (Py4J's messages run to a Java stack trace)."""
    lines = str(error).strip().splitlines()
    return lines[0].rstrip(".") if lines else type(error).__name__
