"""Time predicting the segments of customers in a CSV file against pandas reading that file,
and measure the peak memory of `segmentation predict` against the customer table's.

Writes a customer file (by default 1,000,000 rows: Channel, Region and the six spending
columns, drawn like the course data, seeded), then measures in one run:

- pandas alone: ``pandas.read_csv(path)``;
- ours: ``model.predict_csv(path)``, which reads the file through the checked reader (every
  value checked) and returns each customer's segment, name and distance to every centre.

Prints the best time of each (of 7 runs: a run's time varies by up to half with when the
system hands back or faults in the memory of the previous run's tables, for pandas and for
ours alike), the ratio, and fails when the ratio is above 3.0.

Then, on a second file (by default 2,000,000 rows), the memory of the command a user runs,
``segmentation predict MODEL.json FILE -o OUT.csv`` (its ``main``), in child processes:

- the customer table's own size in memory (``DataFrame.memory_usage(deep=True)``);
- the peak resident memory (VmHWM) of a child that only imports the same libraries, loads
  the model and reads the table, and the peak of the command itself: the difference is what
  predicting and writing add to the peak;
- in the first child, the peak of what predicting and writing the CSV allocate beyond the
  table (tracemalloc), which the reader's own, earlier peak cannot hide.

Prints them, the ratio of the larger addition to the table's size, and fails when that ratio
is 2.0 or more: the output is written a block of rows at a time, so memory must not grow
with the number of customers beyond the table itself. Exits 1 when a target is missed.

    python benchmarks/predict_speed.py                            # the measurement of record
    python benchmarks/predict_speed.py --rows 20000 --memory-rows 20000 --repeats 1   # a look
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import load_customers
from segmentation.model.pipeline import SegmentationModel

MAX_RATIO = 3.0
#: `segmentation predict` may add less than this many times the customer table to the peak
#: memory of reading it.
MAX_MEMORY_RATIO = 2.0

# A child's own peak memory in KB. Not getrusage's ru_maxrss: Linux carries it over from the
# parent through fork and exec, so a child would report at least this process's memory.
_PEAK = """
import resource
def peak_kb():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
# Imports what `segmentation predict` imports, loads the model, reads the table, predicts one
# customer (which imports the rest), then writes the predictions to /dev/null under
# tracemalloc. Prints its peaks and the table's size.
_READ_ONLY = (
    _PEAK
    + """
import json, os, sys, tracemalloc
import segmentation.cli, segmentation.model.pipeline, segmentation.model.persistence
from segmentation.data.output import write_predictions
model = segmentation.model.persistence.load_model(sys.argv[1])
imports = peak_kb()
table = segmentation.cli.read_customer_csv(sys.argv[2])
read = peak_kb()
with open(os.devnull, "wb") as out:
    # One customer first: the first prediction imports what it needs (scikit-learn's checks
    # of a table load narwhals), a fixed cost that does not grow with the customers.
    write_predictions(model, table.head(1), out)
tracemalloc.start()
with open(os.devnull, "wb") as out:
    write_predictions(model, table, out)
traced = tracemalloc.get_traced_memory()[1]
print(json.dumps({"imports_kb": imports, "read_kb": read, "traced": traced,
                  "table": int(table.memory_usage(deep=True).sum()), "rows": len(table)}))
"""
)
# The command as a user runs it (`segmentation predict ...`), then its peak on a last line.
_COMMAND = (
    _PEAK
    + """
import sys
from segmentation.cli import main
status = main(sys.argv[1:])
print(f"peak_kb: {peak_kb()}")
sys.exit(status)
"""
)


def write_customers(path: Path, rows: int, seed: int = 0) -> None:
    """Customers like the course's: log-normal spending around the course data's medians."""
    rng = np.random.default_rng(seed)
    course = np.log1p(load_customers()[list(SPENDING_COLUMNS)].to_numpy(dtype=float))
    table = {"Channel": rng.integers(1, 3, rows), "Region": rng.integers(1, 4, rows)}
    for i, column in enumerate(SPENDING_COLUMNS):
        logs = rng.normal(course[:, i].mean(), course[:, i].std(), rows)
        table[column] = np.round(np.expm1(np.clip(logs, 0, 14))).astype(np.int64)
    pd.DataFrame(table).to_csv(path, index=False)


def best_time(work, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def child(command: list[str]) -> tuple[str, float]:
    """Run ``command``; its output and wall time in seconds."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return done.stdout, time.perf_counter() - start


def measure_memory(model: SegmentationModel, rows: int) -> bool:
    """Print the peak memory of `segmentation predict` on ``rows`` customers against the
    table's; True when within target."""
    with tempfile.TemporaryDirectory() as folder:
        data, saved, out = (Path(folder) / name for name in ("c.csv", "m.json", "s.csv"))
        write_customers(data, rows)
        model.save(saved)
        size_mb = data.stat().st_size / 1e6
        read = json.loads(child([sys.executable, "-c", _READ_ONLY, str(saved), str(data)])[0])
        said, seconds = child(
            [sys.executable, "-c", _COMMAND, "predict", str(saved), str(data), "-o", str(out)]
        )
        written = sum(1 for _ in out.open("rb")) - 1
    assert read["rows"] == written == rows and f"Segmented {rows:,} customers" in said
    table_mb, traced_mb = read["table"] / 2**20, read["traced"] / 2**20
    imports_mb, read_mb = read["imports_kb"] / 1024, read["read_kb"] / 1024
    predict_mb = int(said.rsplit("peak_kb: ", 1)[1]) / 1024
    added_mb = predict_mb - read_mb
    ratio = max(added_mb, traced_mb) / table_mb
    print(
        f"memory: {rows:,} customers, {size_mb:.1f} MB file; the table in memory: "
        f"{table_mb:,.1f} MB"
    )
    print(f"peak, libraries and model only:   {imports_mb:8,.1f} MB")
    print(f"peak, reading the table:          {read_mb:8,.1f} MB")
    print(
        f"peak, segmentation predict:       {predict_mb:8,.1f} MB "
        f"({added_mb:+,.1f} MB beyond reading; {seconds:.1f} s)"
    )
    print(f"predicting and writing allocate:  {traced_mb:8,.1f} MB at most (tracemalloc)")
    print(
        f"memory ratio: {ratio:.2f} (the larger addition / the table; target: below "
        f"{MAX_MEMORY_RATIO:.1f})"
    )
    return ratio < MAX_MEMORY_RATIO


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--memory-rows", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)

    model = SegmentationModel(k=3, evaluate=False).fit(load_customers())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customers.csv"
        write_customers(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        pandas_s, frame = best_time(lambda: pd.read_csv(path), args.repeats)
        ours_s, segments = best_time(lambda: model.predict_csv(path), args.repeats)

    assert len(frame) == len(segments) == args.rows
    ratio = ours_s / pandas_s
    print(f"file: {args.rows:,} customers, {size_mb:.1f} MB; best of {args.repeats}")
    print(f"pandas.read_csv alone:      {pandas_s * 1000:8.1f} ms")
    print(f"predict_csv (read, check, segment): {ours_s * 1000:8.1f} ms")
    print(f"ratio: {ratio:.2f} (target: at most {MAX_RATIO:.1f})")
    counts = segments["segment"].value_counts().sort_index()
    print("segments: " + ", ".join(f"{j}: {n:,}" for j, n in counts.items()))
    missed = [] if ratio <= MAX_RATIO else ["speed"]
    if not measure_memory(model, args.memory_rows):
        missed.append("memory")
    print(f"OVER TARGET: {', '.join(missed)}" if missed else "within target")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
