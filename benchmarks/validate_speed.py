"""Time `segmentation validate` on a customer file, without and with one quoted field.

Writes a customer file (by default 2,000,000 rows: Channel, Region and the six spending
columns, drawn like the course data, seeded) and a copy of it in which one value, in the
middle of the file, is quoted ("1234"), as spreadsheets and databases often write numbers.
Then runs, in one run, the command as a user does, ``python -m segmentation validate FILE``,
on each file and measures:

- the wall time of the command (start-up included: it is what the user waits for);
- its peak memory (the largest resident set of the process).

Prints the best time of each, their ratio (one quoted field / plain) and exits 1 when the
ratio is above 2.0: one quoted value must not send the file to a reader many times slower.

    python benchmarks/validate_speed.py                            # the measurement of record
    python benchmarks/validate_speed.py --rows 20000 --repeats 1   # a quick look
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from predict_speed import best_time, write_customers  # the same customers

MAX_RATIO = 2.0


def quote_one_value(plain: Path, quoted: Path) -> None:
    """A copy of ``plain`` with the third value of the middle line written in quotes."""
    raw = plain.read_bytes()
    start = raw.index(b"\n", len(raw) // 2) + 1
    end = raw.index(b"\n", start)
    cells = raw[start:end].split(b",")
    cells[2] = b'"' + cells[2] + b'"'
    quoted.write_bytes(raw[:start] + b",".join(cells) + raw[end:])


def validate(path: Path) -> tuple[str, float]:
    """Run the command on ``path``; its output and its peak memory in MB."""
    command = subprocess.Popen(
        [sys.executable, "-m", "segmentation", "validate", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # os.wait4 gives this one child's peak memory (the output is a few lines: no pipe fills).
    _, status, usage = os.wait4(command.pid, 0)
    command.returncode = os.waitstatus_to_exitcode(status)
    out = command.stdout.read().decode()
    err = command.stderr.read().decode()
    command.stdout.close()
    command.stderr.close()
    if command.returncode != 0:
        raise SystemExit(f"validate failed on {path}:\n{err}")
    kilobytes = usage.ru_maxrss / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS
    return out, kilobytes / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        plain, quoted = Path(folder) / "plain.csv", Path(folder) / "quoted.csv"
        write_customers(plain, args.rows)
        quote_one_value(plain, quoted)
        size_mb = plain.stat().st_size / 1e6
        plain_s, (plain_out, plain_mb) = best_time(lambda: validate(plain), args.repeats)
        quoted_s, (quoted_out, quoted_mb) = best_time(lambda: validate(quoted), args.repeats)

    read = [re.search(r"OK, ([\d,]+) customers", out) for out in (plain_out, quoted_out)]
    assert all(found and int(found[1].replace(",", "")) == args.rows for found in read), read
    ratio = quoted_s / plain_s
    print(
        f"file: {args.rows:,} customers, {size_mb:.1f} MB; best of {args.repeats}; "
        "`python -m segmentation validate FILE`, start-up included"
    )
    print(f"plain file:       {plain_s:7.3f} s")
    print(f"one quoted field: {quoted_s:7.3f} s")
    print(f"peak memory: {plain_mb:,.0f} MB and {quoted_mb:,.0f} MB")
    print(f"ratio: {ratio:.2f} (target: at most {MAX_RATIO:.1f})")
    within = ratio <= MAX_RATIO
    print("within target" if within else "OVER TARGET")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
