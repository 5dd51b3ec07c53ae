"""The command line at scale (see :mod:`segmentation.cli`)::

    segmentation simulate 5000000 -o customers.parquet [--seed 0] [--chunk 1000000]
    segmentation fit customers.parquet --engine spark -o model.json [--master URL]
    segmentation predict model.json customers.parquet --engine spark [-o segments.parquet]

``simulate`` writes simulated customers (:mod:`segmentation.data.simulate`) to Parquet, or to
CSV in the course file's layout, one chunk at a time. ``--engine spark`` runs ``fit`` and
``predict`` on Apache Spark (:mod:`segmentation.spark`): they read CSV or Parquet; ``fit``
writes the same JSON model as the course engine, and ``predict`` writes Parquet when the
output's name ends in ``.parquet`` (or when the input is Parquet and no output is named),
CSV otherwise. ``--master`` takes a cluster's master URL; the default is ``local[2]``.
Without pyspark or Java, the command says what to install and exits 1. Progress goes to
standard error, a line per chunk or stage.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from segmentation import cli
from segmentation.data.output import shown_path
from segmentation.data.problems import plural
from segmentation.data.reader import MAX_SPENDING

#: The formats ``simulate`` writes, by the output's suffix.
SIMULATE_FORMATS = (".parquet", ".csv")
#: The suffixes of a Parquet file (Spark writes a folder of such files).
PARQUET_SUFFIXES = (".parquet", ".parq")
_PARQUET_MAGIC = b"PAR1"

#: Options of the course engine that Spark does not have, with their defaults: given with
#: ``--engine spark``, they are refused rather than silently ignored.
_COURSE_ONLY = {
    "algorithm": ("--algorithm", "course", "Spark runs its own k-means (MLlib)"),
    "n_init": ("--n-init", 10, "Spark makes one start, seeded by --seed (k-means||)"),
    "allow_missing": ("--allow-missing", False, "Spark refuses missing spending"),
    "max_spending": (
        "--max-spending",
        MAX_SPENDING,
        f"Spark refuses spending below 0 or above {MAX_SPENDING:,} m.u. (MAX_SPENDING)",
    ),
}


#: What ``fit --engine spark`` does differently from the course engine (its --help says it).
_SPARK_FIT_NOTE = (
    ". Spark makes one seeded k-means|| start where the course engine keeps the best of "
    "--n-init starts, so it may end in another local optimum (another model); its sampling "
    "also depends on how the data are split into files and partitions. The summary shows J "
    "(lower is better) to compare the two"
)


class EngineInputError(ValueError):
    """An input the chosen engine cannot read (Parquet for the course engine)."""


# --- the options -------------------------------------------------------------------------------


def add_engine_options(command: argparse.ArgumentParser) -> None:
    """``--engine`` and ``--master`` for ``fit`` and ``predict``."""
    command.add_argument(
        "--engine",
        choices=["course", "spark"],
        default="course",
        help="where the work runs: the course's own code in this process (default), or "
        "Apache Spark, which also reads Parquet and runs on a cluster"
        + (_SPARK_FIT_NOTE if command.prog.endswith(" fit") else ""),
    )
    command.add_argument(
        "--master",
        metavar="URL",
        help="with --engine spark: Spark's master, local[2] by default, or a cluster's "
        "(spark://host:7077, yarn, k8s://https://host:443)",
    )
    if command.prog.endswith(" predict"):
        # With Spark and a Parquet input, the output may be left out (a Parquet file beside it).
        for action in command._actions:
            if action.dest == "output":
                action.required = False
                action.help = (
                    f"{action.help}; with --engine spark and a Parquet input, by default "
                    "NAME-segments.parquet beside the input"
                )


def add_simulate(commands: Any) -> None:
    """The ``simulate`` command's arguments."""
    command = commands.add_parser(
        "simulate",
        help="write N simulated customers that resemble the course data (Parquet or CSV)",
        description="Write N simulated customers in the course file's layout (Channel, "
        "Region and six spending columns), drawn from a mixture fitted to the course data's "
        "three segments. Parquet for large N (one row group per chunk, one chunk in memory "
        "at a time); CSV, which every command reads, for small N. The same N and seed give "
        "the same customers on every machine.",
    )
    command.add_argument("n", metavar="N", type=int, help="how many customers, 0 or more")
    command.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="CUSTOMERS.parquet",
        help="where to write them: a name ending in .parquet or .csv",
    )
    command.add_argument(
        "--seed", type=int, default=0, help="seed of the draws, 0 to 2**32 - 1 (default 0)"
    )
    command.add_argument(
        "--chunk",
        type=int,
        default=1_000_000,
        metavar="ROWS",
        help="customers written at a time (default 1,000,000): memory grows with it",
    )
    command.set_defaults(run=run_simulate)


def check_simulate_arguments(args: argparse.Namespace) -> None:
    """``simulate``'s arguments in range, before any work starts."""
    from segmentation.model.inputs import SEED_RANGE

    if args.n < 0:
        raise cli.UsageError(f"N must be 0 or more customers; got {args.n:,}.")
    if not SEED_RANGE[0] <= args.seed <= SEED_RANGE[1]:
        raise cli.UsageError(f"--seed must be from 0 to {SEED_RANGE[1]:,}; got {args.seed:,}.")
    if args.chunk < 1:
        raise cli.UsageError(f"--chunk must be 1 or more customers; got {args.chunk:,}.")
    if args.output == cli.STANDARD_OUTPUT or _suffix(args.output) not in SIMULATE_FORMATS:
        raise cli.UsageError(
            f"-o must name a file ending in .parquet or .csv; got {shown_path(args.output)}."
        )
    _check_free_space(args)


def _check_free_space(args: argparse.Namespace) -> None:
    """Refuse an N whose file would not fit in the free space where it is to be written."""
    from segmentation.data import simulate

    need = simulate.estimated_size(args.output, args.n, seed=args.seed)
    free = simulate.free_space(args.output)
    if need > free:
        raise cli.UsageError(
            f"{plural(args.n, 'customer')} would take about {_size(need)} in "
            f"{shown_path(args.output)}, and its file system has {_size(free)} free. "
            "Choose a smaller N, or write to a disk with more room."
        )


def _size(count: int) -> str:
    """A number of bytes as people read it (MB, GB, TB)."""
    for unit, power in (("TB", 12), ("GB", 9), ("MB", 6)):
        if count >= 10**power:
            return f"{count / 10**power:,.1f} {unit}"
    return f"{count:,} bytes"


def check_engine_arguments(args: argparse.Namespace) -> None:
    """``--engine`` and ``--master`` of ``fit`` and ``predict``, and the options that go
    with one engine only."""
    if args.engine == "course":
        if args.master is not None:
            raise cli.UsageError("--master is for --engine spark; add --engine spark.")
        if args.output is None:
            raise cli.UsageError(
                "-o/--output is required (only --engine spark with a Parquet input has a "
                "default output)."
            )
        return
    if args.master is not None and not args.master.strip():
        raise cli.UsageError(
            "--master must name Spark's master (local[2], spark://HOST:7077, yarn or "
            "k8s://https://HOST:PORT); leave it out for local[2]."
        )
    for dest, (option, default, why) in _COURSE_ONLY.items():
        if getattr(args, dest, default) != default:
            raise cli.UsageError(f"{option} is for --engine course: {why}.")
    if args.command == "predict" and args.output == cli.STANDARD_OUTPUT:
        raise cli.UsageError(
            "--engine spark writes its segments to files, not to standard output; give -o a "
            "name ending in .parquet or .csv."
        )


# --- simulate ----------------------------------------------------------------------------------


def run_simulate(args: argparse.Namespace, outcome: Any) -> int:
    from segmentation.data.simulate import write_customers_csv, write_customers_parquet

    output = cli._output(args.output)
    assert output is not None  # check_simulate_arguments refused standard output
    write = write_customers_parquet if _suffix(output) == ".parquet" else write_customers_csv
    write(output, args.n, seed=args.seed, chunk=args.chunk, progress=True)
    outcome.written = f"the customers were written to {shown_path(output)}"
    groups = -(-args.n // args.chunk) if _suffix(output) == ".parquet" else 0
    cli._say(
        f"Simulated {plural(args.n, 'customer')} (seed {args.seed}) in {shown_path(output)}"
        + (f", {plural(groups, 'row group')}." if groups else ".")
    )
    return 0


# --- the engines -------------------------------------------------------------------------------


def is_parquet(path: str | Path) -> bool:
    """Whether a path is Parquet: by its name, by its first bytes, or a folder of Parquet
    files (as Spark writes them)."""
    path = Path(path)
    if _suffix(path) in PARQUET_SUFFIXES:
        return True
    try:
        if path.is_dir():
            return any(_suffix(p) in PARQUET_SUFFIXES for p in path.iterdir())
        if not path.is_file():  # a pipe or a device: peeking would take bytes from the reader
            return False
        with open(path, "rb") as handle:
            return handle.read(len(_PARQUET_MAGIC)) == _PARQUET_MAGIC
    except OSError:  # missing or unreadable: the reader says so in its own words
        return False


def refuse_parquet(path: str) -> None:
    """The course engine reads CSV: a Parquet input gets a pointer to ``--engine spark``."""
    if is_parquet(path):
        raise EngineInputError(
            f"{shown_path(path)} is a Parquet file; the course engine reads CSV files. "
            "Use --engine spark (with fit or predict), which reads Parquet, or write the "
            "customers as CSV."
        )


def _without_py4j(record: logging.LogRecord) -> bool:
    """Drop what Py4J logs on the root logger when a call is interrupted (two tracebacks per
    Ctrl-C); the command says "interrupted" in its own words."""
    return "py4j" not in Path(record.pathname).parts


def _session(master: str | None) -> Any:
    """Spark's session for a command, which keeps the command's own Ctrl-C (or its ignoring
    it, as under nohup): pyspark's handler calls into Java from inside a call into Java, and
    prints Py4J's tracebacks."""
    from segmentation.spark.session import spark_session

    ours = signal.getsignal(signal.SIGINT)
    spark = spark_session(master)
    if (
        ours in (cli._stop, cli._exit_at_once, signal.default_int_handler, signal.SIG_IGN)
        and threading.current_thread() is threading.main_thread()
    ):
        signal.signal(signal.SIGINT, ours)
        logging.getLogger().addFilter(_without_py4j)
    return spark


def fit_with_spark(args: argparse.Namespace, outcome: Any) -> int:
    """``fit --engine spark``: the same JSON model, fitted by Spark."""
    from segmentation.spark.pipeline import TooFewCustomersError, fit_spark
    from segmentation.transactions.generate import reporter

    output = cli._output(args.output, args.data)
    spark = _session(args.master)
    stages: list[str] = []
    report = reporter(True)

    def progress(line: str) -> None:  # printed, and kept for the summary's J
        stages.append(line)
        report(line)

    try:
        model = fit_spark(
            args.data,
            k=args.k,
            transform=args.transform,
            seed=args.seed,
            spark=spark,
            progress=progress,
        )
    except TooFewCustomersError as error:  # as the course engine: a usage error, exit 2
        if not error.customers:
            raise cli.UsageError(f"{shown_path(args.data)} has no customers.") from None
        raise cli.UsageError(
            f"--k must be from 1 to the number of customers in {shown_path(args.data)} "
            f"({error.customers:,}); got {error.k:,}."
        ) from None
    if output is None:
        cli._to_standard_output(
            lambda out: out.write(model.to_json().encode("utf-8")), "the model", outcome
        )
    else:
        model.save(output)
    outcome.written = f"the model was written to {cli._where(output)}"
    stream = cli._summary_stream(output)
    saved = (
        "wrote the model to standard output"
        if output is None
        else f"saved it to {shown_path(output)}"
    )
    cli._say(
        f"Fitted {plural(len(model.segments), 'segment')} on "
        f"{plural(model.training['customers'], 'customer')} of {shown_path(args.data)} with "
        f"Spark ({spark.sparkContext.master}); {saved}.",
        stream,
    )
    cli._say(model.describe()[["name", "customers"]].to_string(), stream)
    cost = [line.split("J = ")[-1] for line in stages if line.startswith("k-means:")]
    cli._say(
        f"J = {cost[0] if cost else 'not reported'} (one seeded k-means|| start; the course "
        "engine keeps the best of --n-init starts: compare its J on the same data).",
        stream,
    )
    return 0


def predict_with_spark(args: argparse.Namespace, outcome: Any) -> int:
    """``predict --engine spark``: each customer's segment, computed and written by Spark."""
    from segmentation.spark.pipeline import has_scheme, predict_spark

    model = cli._load_model(args)
    if not hasattr(model, "k"):
        raise cli.WrongModelError(
            f"{shown_path(args.model)} is a classifier; --engine spark segments with a model "
            "from `segmentation fit`. Classify on the course engine (leave --engine out)."
        )
    given = _spark_output(args)
    if has_scheme(given):
        # Shared storage (hdfs://, s3a://...): Spark checks and writes it itself; object
        # stores have no rename to make the output appear whole.
        spark = _session(args.master)
        output: Any = given
        segments = predict_spark(model, args.data, given, spark=spark)
    else:
        output = spark_output_target(given, args.data)
        spark = _session(args.master)
        with _folder_in_place_of(output) as temporary:
            segments = predict_spark(model, args.data, temporary, spark=spark)
    segments = spark.read.parquet(str(output)) if _suffix(output) == ".parquet" else segments
    outcome.written = f"the segments were written to {shown_path(output)}"
    counts: dict[int, int] = dict(segments.groupBy("segment").count().collect())
    kind = "Parquet" if _suffix(output) == ".parquet" else "CSV"
    cli._say(
        f"Segmented {plural(sum(counts.values()), 'customer')} of {shown_path(args.data)} "
        f"with Spark ({spark.sparkContext.master}); wrote {shown_path(output)} ({kind})."
    )
    for j, name in enumerate(model.names):
        cli._say(f"  {j}. {name}: {counts.get(j, 0):,}")
    return 0


def _spark_output(args: argparse.Namespace) -> str:
    """The output of ``predict --engine spark``: as given, or beside a Parquet input."""
    if args.output is not None:
        return str(args.output)
    if not is_parquet(args.data):
        raise cli.UsageError(
            "-o/--output is required for a CSV input; name a .parquet or .csv file "
            "(a default is given only for a Parquet input)."
        )
    # By text, not as a Path: a URI's "//" must stay.
    data = str(args.data).rstrip("/")
    suffix = _suffix(data)
    stem = data[: -len(suffix)] if suffix in PARQUET_SUFFIXES else data
    return f"{stem}-segments.parquet"


def spark_output_target(path: str, data: str) -> Path:
    """The folder Spark writes the segments to, checked before any work by the library's
    guard (:func:`segmentation.spark.pipeline.spark_output_target`): a new name, or a folder
    Spark wrote before, never the input, a file or a folder of other files."""
    from segmentation.spark.pipeline import SparkOutputError
    from segmentation.spark.pipeline import spark_output_target as checked

    try:
        return Path(checked(path, data))
    except SparkOutputError as error:
        raise cli.UsageError(str(error)) from None


@contextlib.contextmanager
def _folder_in_place_of(target: Path) -> Iterator[str]:
    """A new folder beside ``target`` for Spark to write; it replaces ``target`` only when
    the ``with`` block ends without an error (else it is removed), so that the segments
    appear whole or not at all, as every output of the command line does."""
    temporary = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    written = temporary / target.name  # Spark's overwrite mode replaces it: a fresh name
    try:
        yield str(written)
        old = temporary / ".replaced"
        if target.exists():
            os.replace(target, old)
        os.replace(written, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _suffix(path: str | Path) -> str:
    return Path(path).suffix.lower()
