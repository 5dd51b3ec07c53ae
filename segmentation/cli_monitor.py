"""The ``monitor`` command (see :mod:`segmentation.cli`)::

    segmentation monitor MODEL.json BATCH.csv [--reference DATA.csv] [--record RECORD.json]
                         [-o PAGE.html] [--stamp TEXT] [--allow-missing]

It runs the drift monitors of :func:`~segmentation.monitor.drift.drift_report` on a batch
of customers: against the training data when ``--reference`` gives it, else against the
summary of it that the model file keeps (format 4; a format 3 file has only its segment
sizes). With ``--reference``, centre movement compares the refit on the batch with the same
refit on the reference (both started from the model's centres), so a batch equal to its
reference moves nothing; without it, the refit is compared with the model's centres. It
prints one line per monitor and item (value, threshold, crossed or not), a note for each
way the model or batch lies outside the set-up the thresholds were set for
(:func:`~segmentation.monitor.drift.setup_notes`), and a verdict; with ``-o`` it writes an
HTML page, then a JSON record of it all (last: a job reads the record, so a page that cannot
be written leaves an earlier record intact). The record's sha256 are of the bytes parsed,
each file read once (a pipe too). The exit status tells a scheduled job what to do: 0 no
drift, 3 drift found, 1 bad input, 2 bad arguments.

The record holds no time unless ``--stamp`` gives one, so that the same files give the same
record, byte for byte. The same rules hold as for the other commands: arguments checked
before any work, one-line messages for bad input, outputs whole or not at all.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from segmentation import cli
from segmentation.data.output import shown_path
from segmentation.data.problems import plural

if TYPE_CHECKING:
    import pandas as pd

    from segmentation.monitor.drift import DriftReport

#: The exit status when a monitor crossed its threshold (0: none did).
DRIFT_FOUND = 3
#: Where the record goes without ``--record``: the current folder.
DEFAULT_RECORD = "monitor-record.json"
#: What the record's "format" field says.
RECORD_FORMAT = "customer-segmentation monitor record"
#: The longest ``--stamp``.
MAX_STAMP = 200
#: Significant digits of the values in the record: the same on every machine.
DIGITS = 6

_DESCRIPTION = (
    "Run the drift monitors on a batch of customers: per feature the population stability "
    "index (PSI) and a Kolmogorov-Smirnov test, the shift in segment shares (PSI and "
    "chi-squared), the mean distance to the nearest centre and how far each centre moves in "
    "a refit started from the model's centres. Against the customers of --reference (every "
    "monitor; the batch's refit is compared with the same refit of the reference), else "
    "against the summary of the training data kept in the model file (the KS test then "
    "does not run; the refit is compared with the model's centres). Prints each monitor, "
    "notes when the model or batch lies outside the set-up the thresholds were set for, and "
    "a verdict; writes the HTML page (-o) and then a JSON record (no time in it unless "
    "--stamp gives one). "
    f"Exit status: 0 no drift, {DRIFT_FOUND} drift found, 1 bad input, 2 bad arguments."
)


class MonitorInputError(ValueError):
    """A batch (or reference) the monitors cannot run on; the message names the file."""


def add_monitor(commands: Any) -> None:
    """The ``monitor`` command's arguments."""
    command = commands.add_parser(
        "monitor",
        help="check a batch of customers for drift from a model's training data",
        description=_DESCRIPTION,
    )
    command.add_argument("model", metavar="MODEL.json", help="a model saved by `fit`")
    command.add_argument("data", metavar="BATCH.csv", help="the new customers to check")
    command.add_argument(
        "--reference",
        metavar="DATA.csv",
        help="the training data (or any reference customers): every monitor runs against it, "
        "and centre movement compares the batch's refit with the reference's",
    )
    command.add_argument(
        "--record",
        default=DEFAULT_RECORD,
        metavar="RECORD.json",
        help=f"where to write the JSON record (default {DEFAULT_RECORD})",
    )
    command.add_argument(
        "-o",
        "--output",
        metavar="PAGE.html",
        help="also write an HTML page (- for standard output)",
    )
    command.add_argument(
        "--stamp", metavar="TEXT", help="a time or label to put in the record (default: none)"
    )
    cli._max_spending_option(command)
    cli._allow_missing_option(
        command, "leave customers with missing spending values out of the monitors, and say so"
    )
    command.set_defaults(run=run_monitor)


def _checked_stamp(stamp: str | None) -> str | None:
    if stamp is not None and not (len(stamp) <= MAX_STAMP and stamp.isprintable()):
        raise cli.UsageError(
            f"--stamp must be one line of printable text of at most {MAX_STAMP} characters, "
            "such as 2025-01-31T06:00Z."
        )
    return stamp


def run_monitor(args: argparse.Namespace, outcome: Any) -> int:
    """Check the arguments, read, monitor, write the record (and page), print, exit 0 or 3."""
    stamp = _checked_stamp(args.stamp)
    inputs = [p for p in (args.model, args.data, args.reference) if p is not None]
    if args.record == cli.STANDARD_OUTPUT:
        raise cli.UsageError("--record needs a file name; -o - sends the page to standard output.")
    record_path = cli._output(args.record, *inputs)
    assert record_path is not None  # "-" was refused above
    page_path = None if args.output is None else cli._output(args.output, *inputs)
    if page_path is not None and Path(args.output).resolve() == Path(args.record).resolve():
        raise cli.UsageError("-o and --record name the same file; give two names.")
    model, model_sha256 = _model(args)
    batch = _customers(args, args.data)
    reference = None if args.reference is None else _customers(args, args.reference)
    try:
        report = drift_report_of(model, batch.table, None if reference is None else reference.table)
    except ValueError as exc:
        raise MonitorInputError(f"{shown_path(args.data)}: {exc}") from None
    from segmentation.monitor.drift import setup_notes

    files = {"model": model_sha256, "batch": batch, "reference": reference}
    record = monitor_record(args, report, files, stamp, setup_notes(model, len(batch.table)))
    content = (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    stream = cli._summary_stream(page_path) if args.output is not None else "stdout"
    # The page first: the record is what a scheduled job reads last, so a page that cannot
    # be written leaves an earlier record as it was.
    if args.output is not None:
        _write_page(record, page_path, outcome)
    cli.write_atomically(record_path, content)
    written = f"the record was written to {shown_path(record_path)}"
    if page_path is not None or args.output is not None:
        written += f" and the page to {cli._where(page_path)}"
    outcome.written = written
    for line in monitor_lines(record):
        cli._say(line, stream)
    cli._say(f"{outcome.written[0].upper()}{outcome.written[1:]}.", stream)
    return DRIFT_FOUND if report.drifted else 0


def drift_report_of(model: Any, batch: pd.DataFrame, reference: pd.DataFrame | None) -> DriftReport:
    from segmentation.monitor.drift import drift_report

    return drift_report(model, batch, reference=reference)


def _model(args: argparse.Namespace) -> tuple[Any, str]:
    """The segmentation model and the sha256 of the bytes it was read from (read once); a
    classifier, an empty file or a file that is no model gets advice."""
    from segmentation.classify.persistence import _ZIP_MAGIC, _is_pickle
    from segmentation.model.file_checks import ModelFileError, model_data_of, read_model_bytes
    from segmentation.model.pipeline import SegmentationModel

    name = str(args.model)
    content = read_model_bytes(args.model, name)  # a device or a pipe is refused here
    takes = "monitor takes the .json model saved by `segmentation fit`."
    if not content.strip():
        raise ModelFileError(name, ["the file is empty."], takes, kind="not a model")
    if content.startswith(_ZIP_MAGIC) or _is_pickle(content):
        raise cli.WrongModelError(
            f"{shown_path(name)} is not a segmentation model (it looks like a classifier "
            f"file); {takes}"
        )
    try:
        data = model_data_of(content, name)
    except ModelFileError as exc:
        if exc.kind not in ("table", "not a model"):
            raise
        hint = cli.order_hint("monitor", exc.kind, args.model, args.data)
        raise ModelFileError(exc.path, exc.problems, hint, kind=exc.kind) from None
    return SegmentationModel.from_dict(data, name), hashlib.sha256(content).hexdigest()


#: How many of the customers left out by --allow-missing the record names.
SHOWN_LEFT_OUT = 5


@dataclass(frozen=True)
class _Customers:
    """A customer file as monitored: the customers kept, the sha256 of the bytes parsed, and
    the ids of those left out for a missing value."""

    table: pd.DataFrame
    sha256: str
    left_out: list[Any]


def _customers(args: argparse.Namespace, path: str) -> _Customers:
    """A customer file through the checked reader (read once), the customers with a missing
    value left out (``--allow-missing``)."""
    table = cli._read(
        path,
        max_spending=cli._model_limit(args),
        allow_missing=args.allow_missing,
        with_model=True,
        checksum=True,
    )
    from segmentation.data.schema import SPENDING_COLUMNS

    spending = table[list(SPENDING_COLUMNS)]
    gaps = spending.isna().any(axis=1)
    if gaps.all():
        empty = [c for c in SPENDING_COLUMNS if spending[c].isna().all()]
        which = (
            f"the column {', '.join(empty)} has no value at all"
            if empty
            else "every customer has a missing spending value"
        )
        raise MonitorInputError(
            f"{shown_path(path)}: {which}, so no customer is left to monitor. Fill the values "
            "in first."
        )
    left_out = table.loc[gaps, "id"].tolist()
    return _Customers(table[~gaps].reset_index(drop=True), table.attrs["sha256"], left_out)


def _rounded(value: float) -> float | None:
    """A value to :data:`DIGITS` significant digits (None if it is not a number)."""
    value = float(value)
    return float(f"{value:.{DIGITS}g}") if math.isfinite(value) else None


def _file(path: str, sha256: str) -> dict[str, Any]:
    """A file's name (without its folder) and the sha256 of the bytes monitored."""
    return {"file": shown_path(Path(path).name), "sha256": sha256}


def _customers_part(path: str, customers: _Customers) -> dict[str, Any]:
    """The record of a customer file: name, sha256, customers monitored and left out."""
    left = customers.left_out
    return {
        **_file(path, customers.sha256),
        "customers": len(customers.table),
        "left_out": {"customers": len(left), "first_ids": left[:SHOWN_LEFT_OUT]},
    }


def monitor_record(
    args: argparse.Namespace,
    report: DriftReport,
    files: dict[str, Any],
    stamp: str | None,
    notes: list[str],
) -> dict[str, Any]:
    """The JSON record: what was compared with what (the files' names, the sha256 of the
    bytes monitored, the customers monitored and left out), every monitor row, the notes on
    the set-up, the verdict."""
    rows = [
        {
            "monitor": row.monitor,
            "item": row.item,
            "value": _rounded(row.value),
            "threshold": _rounded(row.threshold),
            "fires": "below" if row.monitor.endswith("p_value") else "above",
            "crossed": bool(row.crossed),
        }
        for row in report.table.itertuples(index=False)
    ]
    reference = files["reference"]
    return {
        "format": RECORD_FORMAT,
        "format_version": 1,
        "stamp": stamp,
        "model": _file(args.model, files["model"]),
        "batch": _customers_part(args.data, files["batch"]),
        "reference": None if reference is None else _customers_part(args.reference, reference),
        "compared_with": report.basis,
        "monitors": rows,
        "not_run": [{"monitor": m, "reason": reason} for m, reason in report.not_run],
        "notes": notes,
        "drifted": report.drifted,
    }


def _value(row: dict[str, Any]) -> str:
    value = row["value"]
    if value is None:
        return "n/a"
    return f"{value:.3g}" if row["fires"] == "below" else f"{value:.3f}"


def monitor_lines(record: dict[str, Any]) -> list[str]:
    """What the command prints: what was compared, the customers left out, the notes on the
    set-up, one line per monitor and item, the monitors that did not run and why, and the
    verdict with the exit status."""
    batch = record["batch"]
    lines = [
        f"Monitored {plural(batch['customers'], 'customer')} of {batch['file']} with the model "
        f"{record['model']['file']}, against {_against(record)}:"
    ]
    lines += [f"  {line}" for line in _left_out_lines(record)]
    lines += [f"  note: {note}." for note in record["notes"]]
    width = max(len(f"{r['monitor']} {r['item']}") for r in record["monitors"])
    for row in record["monitors"]:
        name = f"{row['monitor']} {row['item']}".ljust(width)
        mark = "CROSSED" if row["crossed"] else "ok"
        lines.append(
            f"  {name}  {_value(row):>9}  fires {row['fires']} {row['threshold']:.3g}: {mark}"
        )
    reasons: dict[str, list[str]] = {}
    for skipped in record["not_run"]:
        reasons.setdefault(skipped["reason"], []).append(skipped["monitor"])
    for reason, monitors in reasons.items():
        hint = ": pass --reference DATA.csv" if reason.startswith("needs") else ""
        lines.append(f"  {', '.join(monitors)}: not run ({reason}{hint})")
    lines.append(_verdict(record))
    return lines


def _left_out_lines(record: dict[str, Any]) -> list[str]:
    """A line for each file with customers left out for a missing value."""
    lines = []
    for what in ("batch", "reference"):
        part = record[what]
        left = None if part is None else part["left_out"]
        if left and left["customers"]:
            first = ", ".join(map(str, left["first_ids"]))
            more = ", ..." if left["customers"] > len(left["first_ids"]) else ""
            lines.append(
                f"left out of the {what}: {plural(left['customers'], 'customer')} with a "
                f"missing value (ids {first}{more})"
            )
    return lines


def _against(record: dict[str, Any]) -> str:
    reference = record["reference"]
    if reference is None:
        return record["compared_with"]
    return f"the reference customers of {reference['file']}"


def _verdict(record: dict[str, Any]) -> str:
    crossed = [f"{r['monitor']} {r['item']}" for r in record["monitors"] if r["crossed"]]
    if not crossed:
        return (
            f"Verdict: no drift: none of {len(record['monitors'])} monitor values crossed its "
            "threshold (exit status 0)."
        )
    return (
        f"Verdict: DRIFT: {len(crossed)} of {len(record['monitors'])} monitor values crossed "
        f"their threshold ({', '.join(crossed)}); exit status {DRIFT_FOUND}."
    )


def _write_page(record: dict[str, Any], path: Path | None, outcome: Any) -> None:
    page = monitor_page(record).encode("utf-8")
    if path is None:
        cli._to_standard_output(lambda out: out.write(page), "the page", outcome)
    else:
        cli.write_atomically(path, page)
    outcome.written = f"the page was written to {cli._where(path)}"


def monitor_page(record: dict[str, Any]) -> str:
    """The record as one self-contained HTML page: no script, no remote resource, every
    text from the files (names, items, reasons, the stamp) escaped."""
    from segmentation.report.html import _CSS, _html, _join

    head = _join(
        _html("<th scope='col'>{}</th>", c)
        for c in ("monitor", "item", "value", "fires", "threshold", "crossed")
    )
    rows = _join(
        _html(
            "<tr><th scope='row'>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td></tr>",
            r["monitor"],
            r["item"],
            _value(r),
            r["fires"],
            f"{r['threshold']:.3g}",
            "CROSSED" if r["crossed"] else "ok",
        )
        for r in record["monitors"]
    )
    skipped = _join(
        _html("<li><b>{}</b>: not run ({})</li>", s["monitor"], s["reason"])
        for s in record["not_run"]
    )
    batch = record["batch"]
    parts = [
        _html("<!DOCTYPE html>"),
        _html("<html lang='en'><head><meta charset='utf-8'>"),
        _html("<meta name='viewport' content='width=device-width, initial-scale=1'>"),
        _html("<title>Drift monitor: {}</title>", batch["file"]),
        _html("<style>{}</style></head><body><main>", _CSS),
        _html("<h1>Drift monitor: {}</h1>", batch["file"]),
        _html(
            "<p class='lead'>{} of {} with the model {}, against {}.</p>",
            plural(batch["customers"], "customer"),
            batch["file"],
            record["model"]["file"],
            _against(record),
        ),
        _html("<p><b>{}</b></p>", _verdict(record)),
        _join(_html("<p>{}.</p>", line[0].upper() + line[1:]) for line in _left_out_lines(record)),
        _join(_html("<p>Note: {}.</p>", note) for note in record["notes"]),
        _html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, rows),
        _html("<h2>Not run</h2><ul>{}</ul>", skipped) if record["not_run"] else _html(""),
        _html("<p class='small'>Stamp: {}</p>", record["stamp"])
        if record["stamp"] is not None
        else _html(""),
        _html("</main></body></html>"),
    ]
    return "\n".join(parts) + "\n"
