"""Fit time and peak memory of the segmentation at 1, 5 and 20 million customers: the course
engine, scikit-learn and Spark (local[2]), in one run.

    python benchmarks/spark_scale.py --out spark_scale.csv          # 1M, 5M and 20M
    python benchmarks/spark_scale.py --sizes 1000000,5000000        # a shorter run

For each size, simulated customers (:mod:`segmentation.data.simulate`) are written to one
Parquet file; then each engine, in a process of its own, reads that file, takes the log of
spending, scales it and runs k-means with k = 3 from the SAME starting centres (k-means++ on
a sample, computed once, in the scaled space of the whole file) for at most the same number
of iterations (until the assignments stop changing: ``tol=0``; Spark stops when no centre
moves, which may be one iteration later):

- ``course``: fastparquet, NumPy, the course's ``KMeans``;
- ``scikit-learn``: fastparquet, ``StandardScaler``, ``sklearn.cluster.KMeans`` (Lloyd);
- ``spark``: :func:`~segmentation.spark.pipeline.fit_spark` with ``init``, which also checks
  every value and counts the segments and their channel mix on Spark (its k-means stage
  alone is reported as ``spark k-means``). Spark's fixed start-up (the JVM and the session)
  is measured on its own and left out of its fit time.

Peak memory is the peak resident memory of the engine's process tree (the Python process
and, for Spark, the Java virtual machine it starts), sampled every 50 ms with psutil, less
nothing: it includes the libraries (about 100 MB for Python, several hundred for the JVM).
The machine's other load is not controlled: on a shared machine, read the times as rough.

Why Spark does not win here: on 2 cores, Spark runs the same Lloyd iterations as NumPy but
through the JVM, with a scheduler, tasks and serialisation around each pass, and its JVM
costs memory before the first customer is read; NumPy's vectorised passes over data that fit
in memory are hard to beat on one machine. Spark wins where one machine is not enough: when
the customers do not fit in one machine's memory (hundreds of millions, each with many
features), when the data already live on a cluster's storage (HDFS, S3) and moving them to
one machine would take longer than the fit, and when many machines' cores share each
iteration (k-means' passes split evenly across executors, so the time falls roughly with
the number of cores until the per-iteration overhead dominates).

Writes the table as CSV with ``--out`` (columns ``customers``, ``engine``, ``seconds``,
``iterations``, ``J``, ``peak_mb``), so that a notebook can draw the crossover.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ENGINES = ("course", "scikit-learn", "spark")
DEFAULT_SIZES = (1_000_000, 5_000_000, 20_000_000)
START_SAMPLE = 100_000


class PeakMemory:
    """The peak resident memory of this process and its children, sampled in a thread."""

    def __init__(self, every: float = 0.05) -> None:
        import psutil

        self.process, self.every, self.peak = psutil.Process(), every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for process in [self.process, *self.process.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:  # a child that ended meanwhile
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def megabytes(self) -> float:
        return self.peak / 2**20


# --- the parent: data, start, children ---------------------------------------------------------


def log_moments(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population standard deviation of log(1 + spending) over the whole file, one
    row group at a time (the scaled space every engine's start is given in)."""
    from segmentation.data.schema import SPENDING_COLUMNS
    from segmentation.data.simulate import fastparquet_module

    file = fastparquet_module().ParquetFile(str(path))
    total, squares, n = np.zeros(6), np.zeros(6), 0
    for group in file.iter_row_groups(columns=list(SPENDING_COLUMNS)):
        log = np.log1p(group.to_numpy(float))
        total, squares, n = total + log.sum(0), squares + (log**2).sum(0), n + len(log)
    mean = total / n
    return mean, np.sqrt(squares / n - mean**2)


def starting_centres(path: Path, k: int, seed: int) -> np.ndarray:
    """k-means++ (scikit-learn's) on the first START_SAMPLE customers, in the file's scaled
    space: the one start every engine is given."""
    from sklearn.cluster import kmeans_plusplus

    from segmentation.data.schema import SPENDING_COLUMNS
    from segmentation.data.simulate import fastparquet_module

    mean, scale = log_moments(path)
    file = fastparquet_module().ParquetFile(str(path))
    first = file[0].to_pandas(columns=list(SPENDING_COLUMNS)).head(START_SAMPLE)
    sample = (np.log1p(first.to_numpy(float)) - mean) / scale
    return kmeans_plusplus(sample, k, random_state=seed)[0]


def run_child(engine: str, path: Path, start: np.ndarray, max_iter: int) -> dict:
    """One engine's fit in a fresh process; its JSON line of results."""
    arguments = [sys.executable, __file__, "--child", engine, str(path), json.dumps(start.tolist())]
    env = {**os.environ, "PYSPARK_SUBMIT_ARGS": "--driver-memory 8g pyspark-shell"}
    done = subprocess.run(
        [*arguments, "--max-iter", str(max_iter)], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {engine} fit failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the children ------------------------------------------------------------------------------


def _read_log_scaled(path: str) -> np.ndarray:
    from segmentation.data.schema import SPENDING_COLUMNS
    from segmentation.data.simulate import fastparquet_module

    table = fastparquet_module().ParquetFile(path).to_pandas(columns=list(SPENDING_COLUMNS))
    X = np.log1p(table.to_numpy(float))
    del table
    X -= X.mean(axis=0)
    X /= X.std(axis=0)
    return X


def child_numpy(engine: str, path: str, start: np.ndarray, max_iter: int) -> dict:
    if engine == "course":
        from segmentation.cluster.kmeans import KMeans
    else:
        from sklearn.cluster import KMeans
    with PeakMemory() as memory:
        began = time.perf_counter()
        X = _read_log_scaled(path)
        options = {"algorithm": "lloyd"} if engine == "scikit-learn" else {}
        fitted = KMeans(len(start), init=start, n_init=1, max_iter=max_iter, tol=0, **options)
        fitted.fit(X)
        seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "iterations": int(fitted.n_iter_),
        "J": float(fitted.inertia_),
        "peak_mb": memory.megabytes,
    }


def child_spark(path: str, start: np.ndarray, max_iter: int) -> dict:
    from segmentation.spark.pipeline import fit_spark
    from segmentation.spark.session import spark_session

    stages: list[tuple[float, str]] = []
    with PeakMemory() as memory:
        began = time.perf_counter()
        spark = spark_session()
        spark.range(1).count()  # the first job: the executors are up
        startup = time.perf_counter() - began

        def note(line: str) -> None:
            stages.append((time.perf_counter(), line))

        began = time.perf_counter()
        fit_spark(path, k=len(start), init=start, max_iter=max_iter, spark=spark, progress=note)
        seconds = time.perf_counter() - began
    kmeans_line = next(i for i, (_, line) in enumerate(stages) if line.startswith("k-means"))
    line = stages[kmeans_line][1]
    spark.stop()
    return {
        "seconds": seconds,
        "startup": startup,
        "kmeans_seconds": stages[kmeans_line][0] - stages[kmeans_line - 1][0],
        "iterations": int(line.split(", ")[1].split()[0]),
        "J": float(line.rsplit("J = ", 1)[1]),
        "peak_mb": memory.megabytes,
    }


def child(argv: list[str]) -> int:
    engine, path, start = argv[0], argv[1], np.array(json.loads(argv[2]))
    max_iter = int(argv[argv.index("--max-iter") + 1])
    if engine == "spark":
        result = child_spark(path, start, max_iter)
    else:
        result = child_numpy(engine, path, start, max_iter)
    print(json.dumps(result))
    return 0


# --- the run -----------------------------------------------------------------------------------


def measure(n: int, folder: Path, args: argparse.Namespace) -> list[dict]:
    """Every engine's row for ``n`` customers (and Spark's start-up and k-means stage)."""
    from segmentation.data.simulate import write_customers_parquet

    path = folder / f"customers-{n}.parquet"
    began = time.perf_counter()
    write_customers_parquet(path, n, seed=args.seed)
    print(f"{n:,} customers: written in {time.perf_counter() - began:.1f} s", flush=True)
    start = starting_centres(path, args.k, args.seed)
    rows, max_iter = [], args.max_iter
    for engine in args.engines:
        result = run_child(engine, path, start, max_iter)
        if engine == "course":  # the others get at most as many iterations as it needed
            max_iter = result["iterations"]
        new = [{"customers": n, "engine": engine, **_row(result)}]
        if engine == "spark":
            new.append(
                {"customers": n, "engine": "spark k-means", "seconds": result["kmeans_seconds"]}
            )
            new.append({"customers": n, "engine": "spark start-up", "seconds": result["startup"]})
        for row in new:
            print(_shown(row), flush=True)
        rows += new
    path.unlink()
    return rows


def _row(result: dict) -> dict:
    return {k: result[k] for k in ("seconds", "iterations", "J", "peak_mb")}


def _shown(row: dict) -> str:
    text = f"  {row['engine']:<14} {row['seconds']:8.1f} s"
    if "iterations" in row:
        text += (
            f"  {row['iterations']:4d} iterations  J {row['J']:.6g}  peak {row['peak_mb']:,.0f} MB"
        )
    return text


def table_text(rows: list[dict]) -> str:
    """The table, as printed at the end."""
    lines = [f"{'customers':>12}  {'engine':<14} {'seconds':>8} {'iter':>5} {'peak MB':>8}  J"]
    for row in rows:
        iterations = f"{row['iterations']:5d}" if "iterations" in row else f"{'':5}"
        peak = f"{row['peak_mb']:8,.0f}" if "peak_mb" in row else f"{'':8}"
        J = f"{row['J']:.6g}" if "J" in row else ""
        lines.append(
            f"{row['customers']:12,}  {row['engine']:<14} {row['seconds']:8.1f} {iterations} "
            f"{peak}  {J}"
        )
    return "\n".join(lines)


def write_csv(rows: list[dict], path: Path) -> None:
    columns = ["customers", "engine", "seconds", "iterations", "J", "peak_mb"]
    with open(path, "w", newline="") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(str(n) for n in DEFAULT_SIZES),
        help="customers, comma-separated (default 1,000,000, 5,000,000 and 20,000,000)",
    )
    parser.add_argument("--engines", default=",".join(ENGINES), help="of " + ", ".join(ENGINES))
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write the table as CSV here")
    parser.add_argument("--folder", type=Path, help="where the data go (default: a temp dir)")
    args = parser.parse_args(argv)
    args.engines = args.engines.split(",")
    unknown = set(args.engines) - set(ENGINES)
    if unknown or args.engines[0] != "course":
        parser.error(f"--engines: course first, then any of {', '.join(ENGINES)}")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        for n in (int(size) for size in args.sizes.split(",")):
            rows += measure(n, Path(folder), args)
    print(table_text(rows))
    if args.out:
        write_csv(rows, args.out)
        print(f"table written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
