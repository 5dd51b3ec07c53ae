"""The ``rfm`` command (see :mod:`segmentation.cli`)::

    segmentation rfm transactions.csv -o rfm.csv [--as-of 2025-01-01]

It reads a transaction log through the checked reader and cleans it
(:func:`~segmentation.transactions.reader.read_and_clean`, which gives what
:func:`~segmentation.transactions.cleaning.clean_transactions` gives), and writes one row per
customer: the RFM+X table (:func:`~segmentation.rfm.plus.rfm_plus`), the R, F and M scores,
the RFM code and the named segment (:mod:`segmentation.rfm.scores`). The summary says what
the cleaning set aside, rule by rule, the date the table is taken at, and how many customers
each segment holds. The same rules hold as for the other commands: arguments checked before
any work, one-line messages for bad input, outputs whole or not at all.
"""

from __future__ import annotations

import argparse
import datetime
import re
from typing import TYPE_CHECKING, Any

from segmentation import cli
from segmentation.data.output import shown_path
from segmentation.data.problems import plural

if TYPE_CHECKING:
    import pandas as pd

    from segmentation.transactions.cleaning import CleanLog

#: The scores and names written after the RFM+X columns (FM, the grid's second axis, is
#: left out: the code and the segment say what a reader needs).
SCORE_COLUMNS: tuple[str, ...] = ("R", "F", "M", "code", "segment")

#: ``--as-of`` is a calendar date; pandas' dates run from 1677-09-21 to 2262-04-11.
AS_OF_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")
AS_OF_RANGE = (datetime.date(1678, 1, 1), datetime.date(2261, 12, 31))


class RFMInputError(ValueError):
    """A log that gives no RFM table (no customer left); the message names the file."""


def add_rfm(commands: Any) -> None:
    """The ``rfm`` command's arguments."""
    command = commands.add_parser(
        "rfm",
        help="write the RFM(+X) table of a transaction log, with scores and segment names",
        description="Read a transaction log (the layout of the UCI Online Retail II data), "
        "clean it, and write one row per customer: recency (days), frequency (invoices), "
        "monetary (net spending), breadth, tenure, average basket, cancellation rate, "
        "interval, the share of each spending category, the R, F and M scores (1 to 5), the "
        "RFM code and the named segment. Lines dated on or after --as-of are left out.",
    )
    command.add_argument("data", metavar="TRANSACTIONS.csv", help="the transaction log")
    command.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="RFM.csv",
        help="where to write the table (- for standard output)",
    )
    command.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="the reference date, at midnight: recency and tenure count the days to it, and "
        "lines on or after it are left out (default: the day after the last line, purchase "
        "or cancellation)",
    )
    command.set_defaults(run=run_rfm)


def check_rfm_arguments(args: argparse.Namespace) -> None:
    """``--as-of`` a real date written YYYY-MM-DD (else exit 2); kept as ``args.as_of_date``."""
    args.as_of_date = None
    if args.as_of is None:
        return
    text = args.as_of.strip()
    date = None
    if AS_OF_FORMAT.fullmatch(text):
        try:
            date = datetime.date.fromisoformat(text)
        except ValueError:
            pass
    if date is None:
        raise cli.UsageError(
            "--as-of must be a date written YYYY-MM-DD, such as 2025-01-01; "
            f"got '{shown_path(args.as_of)}'."
        )
    low, high = AS_OF_RANGE
    if not low <= date <= high:
        raise cli.UsageError(f"--as-of must be a date from {low} to {high}; got {date}.")
    args.as_of_date = date


def run_rfm(args: argparse.Namespace, outcome: Any) -> int:
    """Read, clean, score, write the table, then print the summary."""
    output = cli._output(args.output, args.data)
    from segmentation.transactions.reader import read_and_clean

    lines, clean = read_and_clean(args.data)
    as_of, given = checked_as_of(clean, args.data, args.as_of_date)
    table = rfm_output_table(clean, as_of)
    content = table.to_csv(index=False).encode("utf-8", errors="backslashreplace")
    if output is None:
        cli._to_standard_output(lambda out: out.write(content), "the RFM table", outcome)
    else:
        cli.write_atomically(output, content)
    outcome.written = f"the RFM table was written to {cli._where(output)}"
    for line in summary_lines(args.data, lines, clean, table, as_of, given):
        cli._say(line, cli._summary_stream(output))
    cli._say(
        f"Wrote the RFM table of {plural(len(table), 'customer')} to {cli._where(output)}.",
        cli._summary_stream(output),
    )
    return 0


def checked_as_of(
    clean: CleanLog, path: str, as_of: datetime.date | None
) -> tuple[pd.Timestamp, bool]:
    """The reference date (given, or the library's default) and whether it was given; a log
    that leaves no customer before it is refused with what to do."""
    import pandas as pd

    from segmentation.rfm.table import DATE, default_as_of

    shown = shown_path(path)
    if clean.purchases.empty:
        raise RFMInputError(f"{shown}: {_nothing_left(clean)}")
    default = default_as_of(clean.purchases, clean.cancellations)
    if as_of is None:
        return default, False
    when = pd.Timestamp(as_of)
    first = pd.Timestamp(clean.purchases[DATE].min())
    if when <= first:
        raise RFMInputError(
            f"{shown}: no purchase is dated before --as-of {when:%Y-%m-%d}, so no customer "
            f"has bought yet and there is nothing to score. The log runs from "
            f"{first:%Y-%m-%d} to {default - pd.Timedelta(days=1):%Y-%m-%d}: give a later "
            f"date, or leave --as-of out to score as of {default:%Y-%m-%d}, the day after "
            "the last line."
        )
    return when, True


def _nothing_left(clean: CleanLog) -> str:
    """Why a log has no purchase of a known customer: the rules that set its lines aside."""
    rows = clean.set_aside.set_index("rule")["rows"]
    hit = ", ".join(f"{rule} {count:,}" for rule, count in rows.items() if count)
    return (
        "no purchase of a known customer is left after cleaning, so there is no customer "
        f"to score (lines set aside: {hit}). A purchase needs a Customer ID, an invoice "
        "number that does not start with C (a cancellation) or A (an adjustment), and a "
        "Quantity and Price above 0; check that these columns are filled in."
    )


def rfm_output_table(clean: CleanLog, as_of: pd.Timestamp) -> pd.DataFrame:
    """The table the command writes: Customer ID, the RFM+X columns (the library rounds
    money to cents and shares to 4 decimals), the scores, the code and the segment."""
    from segmentation.rfm.plus import rfm_plus
    from segmentation.rfm.scores import rfm_scores, rfm_segments

    plus = rfm_plus(clean, as_of=as_of)
    scores = rfm_scores(plus)
    table = plus.join(scores).assign(segment=rfm_segments(scores))
    # The reader takes only whole numbers as customer ids, so no cell can start a formula.
    return table.reset_index()[[plus.index.name, *plus.columns, *SCORE_COLUMNS]]


def summary_lines(
    path: str,
    lines: int,
    clean: CleanLog,
    table: pd.DataFrame,
    as_of: pd.Timestamp,
    given: bool,
) -> list[str]:
    """What was read, what the cleaning set aside (each rule, in its order), the date, and
    the customers of each segment in the canonical order."""
    from segmentation.rfm.scores import segment_sizes

    said = [f"Read {plural(lines, 'line')} of {shown_path(path)}; the cleaning set aside:"]
    said += [f"  {row.rule}: {row.rows:,}" for row in clean.set_aside.itertuples()]
    said.append(f"  kept: {plural(len(clean.purchases), 'purchase line')}")
    when = (
        "given by --as-of; lines on or after it are left out"
        if given
        else "the day after the last line"
    )
    said += _left_out(clean, as_of)
    said.append(f"Scored {plural(len(table), 'customer')} as of {as_of:%Y-%m-%d} ({when}):")
    sizes = segment_sizes(table["segment"])
    said += [f"  {name}: {count:,}" for name, count in sizes["customers"].items()]
    return said


def _left_out(clean: CleanLog, as_of: pd.Timestamp) -> list[str]:
    """The kept lines dated on or after ``as_of``, which RFM leaves out, and the customers
    who bought only then (they are not scored): nothing is dropped without a word."""
    from segmentation.rfm.table import DATE

    late = clean.purchases[DATE] >= as_of
    cancelled = int((clean.cancellations[DATE] >= as_of).sum())
    if not late.any() and not cancelled:
        return []
    customers = clean.purchases["Customer ID"]
    after = customers[late]
    unseen = after[~after.isin(customers[~late])].nunique()
    return [
        f"Left out, dated on or after {as_of:%Y-%m-%d}: {plural(int(late.sum()), 'purchase line')}"
        f" and {plural(cancelled, 'cancellation line')}; "
        f"{plural(unseen, 'customer')} bought only then and {'is' if unseen == 1 else 'are'} "
        "not scored."
    ]
