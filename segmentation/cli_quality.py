"""The ``quality`` command (see :mod:`segmentation.cli`)::

    segmentation quality DATA.csv [-o report.html]

It reads a customer file through the checked reader, with missing spending values read as
such, a column or a customer with no value at all included
(:func:`~segmentation.quality.report.read_for_quality`), and prints the data-quality
report (:mod:`segmentation.quality.report`): per spending column the missing values, zeros
and outliers, then the duplicate rows and the customers extreme in several categories, and
what the course would do about each. With ``-o`` it writes the same report as one
self-contained HTML page instead and prints a one-line summary. The same rules hold as for
the other commands: arguments checked before any work, one-line messages for bad input,
outputs whole or not at all.
"""

from __future__ import annotations

import argparse
from typing import Any

from segmentation import cli
from segmentation.data.output import shown_path

_SUMMARY = "report missing values, zeros, outliers and duplicates in a customer CSV file"
_DESCRIPTION = (
    "Read a customer file (missing spending values allowed) and report per spending column "
    "the missing values, zeros and outliers (Tukey's fences on the log scale), then the "
    "duplicate rows and the customers extreme in several categories, with what the course "
    "would do about each. Printed as text, or written as one self-contained HTML page with -o."
)


def add_quality(commands: Any) -> None:
    """The ``quality`` command's arguments."""
    command = commands.add_parser("quality", help=_SUMMARY, description=_DESCRIPTION)
    command.add_argument("data", metavar="DATA.csv", help="the customers to check")
    command.add_argument(
        "-o",
        "--output",
        metavar="REPORT.html",
        help="write the report as HTML there (- for standard output) instead of printing it",
    )
    cli._max_spending_option(command, model=False)
    command.set_defaults(run=run_quality)


def run_quality(args: argparse.Namespace, outcome: Any) -> int:
    """Read the file, then print the report or write it as HTML with a summary."""
    from segmentation.quality.report import quality_report

    output = None if args.output is None else cli._output(args.output, args.data)
    # A file the reader refuses even so raises UnreadableFileError: its problems under
    # "The file cannot be read as it is", printed by cli._run, exit 1.
    report = quality_report(args.data, source=shown_path(args.data), max_spending=args.max_spending)
    if args.output is None:
        cli._say(report.text().rstrip("\n"), "stdout", "the report")
        return 0
    page = report.html().encode("utf-8")
    if output is None:
        cli._to_standard_output(lambda out: out.write(page), "the report", outcome)
    else:
        cli.write_atomically(output, page)
    outcome.written = f"the report was written to {cli._where(output)}"
    found = "; ".join(finding for finding, _ in report.advice())
    cli._say(
        f"Wrote the data-quality report on {report.customers:,} customers of "
        f"{shown_path(args.data)} to {cli._where(output)}: {found}.",
        cli._summary_stream(output),
    )
    return 0
