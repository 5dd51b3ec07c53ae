"""The command line: ``segmentation validate FILE`` (also ``python -m segmentation``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from segmentation.reader import MAX_SPENDING, Validation, validate_customer_csv
from segmentation.schema import LABEL_COLUMNS, SPENDING_COLUMNS


def _summary(result: Validation) -> list[str]:
    frame = result.frame
    assert frame is not None
    lines = [f"{result.filename}: OK, {len(frame)} customers."]
    for column in LABEL_COLUMNS:
        if column in frame:
            counts = frame[column].value_counts(sort=False)
            lines.append(f"  {column}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    spending = frame[list(SPENDING_COLUMNS)]
    lines.append("  mean annual spending (m.u.): "
                 + ", ".join(f"{c} {m:,.0f}" for c, m in spending.mean().items()))
    lines.append(f"  total annual spending (m.u.): {spending.to_numpy().sum():,.0f}")
    return lines


def _validate(args: argparse.Namespace) -> int:
    result = validate_customer_csv(args.file, require_labels=args.require_labels,
                                   max_spending=args.max_spending)
    if result.ok:
        print("\n".join(_summary(result)))
        for note in result.notes:
            print(f"  note: {note.describe(result.filename)}")
        return 0
    print(result.error(), file=sys.stderr)
    for note in result.notes:
        print(f"  note: {note.describe(result.filename)}", file=sys.stderr)
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="segmentation",
        description="Customer segmentation course tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser(
        "validate", help="check a customer CSV file and list every problem",
        description="Check a customer CSV file. Prints a summary and exits 0 when the file is "
                    "good; prints every problem (row, column, value, what to do) and exits 1 "
                    "when it is not.")
    validate.add_argument("file", metavar="FILE", help="the CSV file to check")
    validate.add_argument("--require-labels", action="store_true",
                          help="also require the Channel and Region columns")
    validate.add_argument("--max-spending", type=float, default=MAX_SPENDING, metavar="M",
                          help=f"largest plausible spending per category (default {MAX_SPENDING:,})")
    validate.set_defaults(run=_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 good, 1 bad input, 2 bad arguments)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
