"""Regenerate the shipped SIMULATED transaction logs in data/transactions/.

    .venv/bin/python tools/make_transactions.py

Writes the wholesale log of the course's 440 customers (and its truth) and the simulated
population of 50,000 customers (and its truth), with the seeds and parameters stated in
data/README.md, and prints each file's size and sha256. Progress goes to stderr. The same
run gives the same bytes (integer arithmetic, seeded generators, gzip without a time stamp).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from segmentation.data.shipped import file_sha256, load_customers
from segmentation.transactions.generate import simulate_transactions
from segmentation.transactions.generate_wholesale import wholesale_transactions
from segmentation.transactions.shipped import LOG_FILES, TRUTH_FILES, write_csv

WHOLESALE_SEED = 17
SIMULATED_SEED = 2024
SIMULATED_CUSTOMERS = 50_000
OUTPUT = Path(__file__).resolve().parents[1] / "data" / "transactions"


def write(name: str, simulated, folder: Path) -> None:
    """Write one log and its truth, and report their sizes and checksums."""
    paths = (folder / LOG_FILES[name][0], folder / TRUTH_FILES[name][0])
    write_csv(simulated.log, paths[0], float_format="%.2f")
    write_csv(simulated.truth, paths[1])
    for path in paths:
        size = path.stat().st_size
        print(f"{path.name}: {size:,} bytes, sha256 {file_sha256(path)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="folder to write to")
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    print("wholesale log of the course's 440 customers ...", file=sys.stderr)
    wholesale = wholesale_transactions(load_customers(), WHOLESALE_SEED, progress=True)
    write("wholesale", wholesale, args.output)
    print(f"simulated population of {SIMULATED_CUSTOMERS:,} customers ...", file=sys.stderr)
    simulated = simulate_transactions(
        SIMULATED_CUSTOMERS,
        start="2024-01-01",
        end="2026-01-01",
        seed=SIMULATED_SEED,
        progress=True,
    )
    write("simulated", simulated, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
