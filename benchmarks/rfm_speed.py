"""Time the RFM+X table from a transaction log CSV against pandas reading that file, and
measure the peak memory of doing it.

Writes a simulated log (by default 5,000,000 rows, seeded) in the layout of the UCI "Online
Retail II" data, with the dirt of a real one: guests without a customer id, exact
duplicate rows, cancellations, a few non-positive lines (``simulate_transactions``, with a
population large enough for the rows asked; the log is cut to exactly that many rows, which
drops the last days of its period). Then measures in one run:

- pandas alone: ``pandas.read_csv(path)`` with its default arguments;
- ours, the ``rfm`` command's path: ``read_and_clean(path)`` (every value checked, the
  cleaning rules each counted; a plain file is read as numbers, without the log as a table)
  and ``rfm_plus(clean)`` (the RFM+X table); and, on the same cleaned log,
  ``rfm_table(clean)`` alone;
- once, for comparison, the notebooks' path, which has the log as a table:
  ``read_transactions``, ``clean_transactions``, ``rfm_plus``. Both paths must give the same
  table (checked).

Prints the best time of each (of 3 runs: a run's time varies with when the system hands
back or faults in the memory of the previous run's tables), each stage, the ratio
ours / pandas, and fails when the ratio is above 2.0.

Then, in child processes (so that nothing of this one counts), the peak resident memory
(VmHWM) of reading the file with pandas alone, of our path and of the notebooks' path, each
beside the peak of a child that only imports the same libraries. Exits 1 when the target is
missed.

    python benchmarks/rfm_speed.py                            # the measurement of record
    python benchmarks/rfm_speed.py --rows 20000 --repeats 1   # a quick look
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from segmentation.rfm.plus import rfm_plus
from segmentation.rfm.table import rfm_table
from segmentation.transactions.cleaning import clean_transactions
from segmentation.transactions.generate import simulate_transactions
from segmentation.transactions.reader import read_and_clean, read_transactions
from segmentation.transactions.shipped import write_csv

MAX_RATIO = 2.0
#: Rows per simulated customer with the default parameters over two years (about 6.3,
#: guests and dirt included): the population is sized from it, with a margin.
_ROWS_PER_CUSTOMER = 6.0

sys.path.insert(0, str(Path(__file__).resolve().parent))
from predict_speed import _PEAK, best_time  # noqa: E402  (the same peak and timing)

# Imports what our paths import, then reads, cleans and tabulates the log; prints its peaks.
_IMPORTS = """
import json, sys
from segmentation.rfm.plus import rfm_plus
from segmentation.transactions.cleaning import clean_transactions
from segmentation.transactions.reader import read_and_clean, read_transactions
imports = peak_kb()
"""
_OURS = (
    _PEAK
    + _IMPORTS
    + """
table = rfm_plus(read_and_clean(sys.argv[1])[1])
print(json.dumps({"imports_kb": imports, "peak_kb": peak_kb(), "customers": len(table)}))
"""
)
_AS_TABLE = (
    _PEAK
    + _IMPORTS
    + """
table = rfm_plus(clean_transactions(read_transactions(sys.argv[1])))
print(json.dumps({"imports_kb": imports, "peak_kb": peak_kb(), "customers": len(table)}))
"""
)
# pandas alone, after the same imports (so both peaks carry the same libraries).
_PANDAS = (
    _PEAK
    + """
import json, sys
import pandas as pd
import segmentation.rfm.plus, segmentation.transactions.cleaning, segmentation.transactions.reader
imports = peak_kb()
frame = pd.read_csv(sys.argv[1])
print(json.dumps({"imports_kb": imports, "peak_kb": peak_kb(), "rows": len(frame)}))
"""
)


def write_log(path: Path, rows: int, seed: int = 0) -> None:
    """A simulated log of exactly ``rows`` lines, dirt included, written as the course
    writes logs (dates as YYYY-MM-DD HH:MM:SS, ids without ".0")."""
    customers = max(10, int(rows / _ROWS_PER_CUSTOMER))
    while True:
        log = simulate_transactions(customers, seed=seed, progress=True).log
        if len(log) >= rows:
            break
        customers = int(customers * 1.2 * rows / max(len(log), 1)) + 10
    print(f"writing {rows:,} of {len(log):,} lines", file=sys.stderr)
    write_csv(log.head(rows), path)


def child(script: str, path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"a child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def timed(times: dict[str, float], stage: str, function, *args):
    """``function(*args)``, its time kept in ``times[stage]``."""
    start = time.perf_counter()
    result = function(*args)
    times[stage] = time.perf_counter() - start
    return result


def our_path(path: Path) -> dict[str, float]:
    """Our path's stages, timed; the tables kept out of the timing."""
    times: dict[str, float] = {}
    lines, clean = timed(times, "read_and_clean", read_and_clean, path)
    plus = timed(times, "rfm_plus", rfm_plus, clean)
    table = timed(times, "rfm_table", rfm_table, clean)
    assert plus.index.equals(table.index) and lines > 0
    times["customers"] = len(table)
    times["kept"] = len(clean.purchases)
    return times


def table_path(path: Path) -> tuple[dict[str, float], pd.DataFrame]:
    """The notebooks' path (the log as a table), timed, and its RFM+X table."""
    times: dict[str, float] = {}
    log = timed(times, "read_transactions", read_transactions, path)
    clean = timed(times, "clean_transactions", clean_transactions, log)
    return times, timed(times, "rfm_plus", rfm_plus, clean)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.csv"
        write_log(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        # the frame is dropped at once: its memory must not weigh on our runs
        pandas_s, rows = best_time(lambda: len(pd.read_csv(path)), args.repeats)
        runs = [our_path(path) for _ in range(args.repeats)]
        as_table, expected = table_path(path)
        pd.testing.assert_frame_equal(rfm_plus(read_and_clean(path)[1]), expected)
        del expected
        memory = {
            "ours": child(_OURS, path),
            "as_table": child(_AS_TABLE, path),
            "pandas": child(_PANDAS, path),
        }

    assert rows == args.rows
    best = min(runs, key=lambda r: r["read_and_clean"] + r["rfm_plus"])
    ours_s = best["read_and_clean"] + best["rfm_plus"]
    ratio = ours_s / pandas_s
    print(f"file: {rows:,} lines, {size_mb:.1f} MB; best of {args.repeats}")
    print(f"pandas.read_csv alone:            {pandas_s * 1000:8.1f} ms")
    for stage in ("read_and_clean", "rfm_plus"):
        print(f"  {stage + ':':31s} {best[stage] * 1000:8.1f} ms")
    print(f"ours (rfm command's path):        {ours_s * 1000:8.1f} ms")
    table_ms = min(r["rfm_table"] for r in runs) * 1000
    print(f"rfm_table alone (cleaned log):    {table_ms:8.1f} ms")
    print(f"customers: {best['customers']:,}; purchase lines kept: {best['kept']:,}")
    print(f"ratio: {ratio:.2f} (target: at most {MAX_RATIO:.1f})")
    table_s = sum(as_table.values())
    print(f"the notebooks' path, once (the log as a table): {table_s * 1000:8.1f} ms")
    for stage, seconds in as_table.items():
        print(f"  {stage + ':':31s} {seconds * 1000:8.1f} ms")
    print(f"  ratio: {table_s / pandas_s:.2f} (for comparison; the same RFM+X table)")
    mb = {k: (v["imports_kb"] / 1024, v["peak_kb"] / 1024) for k, v in memory.items()}
    for key, label in (
        ("pandas", "pandas.read_csv"),
        ("ours", "ours"),
        ("as_table", "the notebooks' path"),
    ):
        print(
            f"peak memory, {label + ':':21s}{mb[key][1]:8,.1f} MB "
            f"(libraries alone {mb[key][0]:,.1f} MB)"
        )
    within = ratio <= MAX_RATIO
    print("within target" if within else "OVER TARGET")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
