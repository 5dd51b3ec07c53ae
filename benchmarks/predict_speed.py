"""Time predicting the segments of customers in a CSV file against pandas reading that file.

Writes a customer file (by default 1,000,000 rows: Channel, Region and the six spending
columns, drawn like the course data, seeded), then measures in one run:

- pandas alone: ``pandas.read_csv(path)``;
- ours: ``model.predict_csv(path)``, which reads the file through the checked reader (every
  value checked) and returns each customer's segment, name and distance to every centre.

Prints the best time of each, the ratio, and exits 1 when the ratio is above 3.0.

    python benchmarks/predict_speed.py                            # the measurement of record
    python benchmarks/predict_speed.py --rows 20000 --repeats 1   # a quick look
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation.data import load_customers
from segmentation.model import SegmentationModel
from segmentation.schema import SPENDING_COLUMNS

MAX_RATIO = 3.0


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    model = SegmentationModel.fit(load_customers(), k=3, evaluate=False)
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
    within = ratio <= MAX_RATIO
    print("within target" if within else "OVER TARGET")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
