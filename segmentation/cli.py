"""The command line (also ``python -m segmentation``)::

    segmentation validate DATA.csv
    segmentation fit DATA.csv --k 3 -o model.json
    segmentation predict model.json NEW.csv -o segments.csv
    segmentation report model.json DATA.csv -o report.html
    segmentation classify DATA.csv --target Channel -o classifier.skops
    segmentation predict classifier.skops NEW.csv -o channels.csv
    segmentation rfm TRANSACTIONS.csv -o rfm.csv [--as-of YYYY-MM-DD]
    segmentation quality DATA.csv [-o report.html]
    segmentation monitor model.json BATCH.csv [--reference DATA.csv] [-o page.html]
    segmentation simulate N -o customers.parquet [--seed S]
    segmentation fit customers.parquet --engine spark [--master URL] -o model.json

``classify`` and ``predict`` with a classifier file live in :mod:`segmentation.cli_classify`;
``rfm`` (a transaction log's RFM table, scores and segments) in :mod:`segmentation.cli_rfm`;
``quality`` (the data-quality report of a customer file) in :mod:`segmentation.cli_quality`;
``monitor`` (drift monitors of a batch; exit 3 when drift is found) in
:mod:`segmentation.cli_monitor`; ``simulate`` and ``--engine spark`` (fit and predict on
Apache Spark, from CSV or Parquet) in :mod:`segmentation.cli_spark`.

Bad input of any kind (a data file, a model file, an argument) ends with a message that says
what is wrong and what to do, and a non-zero exit: 1 for bad input, 2 for bad arguments.
Every argument is checked before any work starts. Nothing is written then; an output file
appears whole or not at all (see :mod:`segmentation.data.output`), also when the command is
stopped by Ctrl-C, SIGTERM or SIGHUP. ``-o -`` sends the output to standard output, and the
summary to standard error. When something fails after an output was written, the message
says so. Warnings of the libraries underneath are printed as one-line notes.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import os
import re
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO, TypeVar, cast

#: The signals that stop a command: Ctrl-C, ``kill`` and a closed terminal.
_STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


def _stop_message(signum: int) -> str:
    return "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"


def _ignore_stop_signals() -> None:
    """Further stop signals are ignored: the clean-up of the first one must run to its end."""
    for name in _STOP_SIGNALS:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            signal.signal(getattr(signal, name), signal.SIG_IGN)


def _exit_at_once(signum: int, frame: Any) -> None:
    """A stop signal while the libraries load: no work has started and nothing is written,
    so the process ends here, with one line and the usual status."""
    _ignore_stop_signals()
    with contextlib.suppress(OSError):
        os.write(2, f"segmentation: {_stop_message(signum)}. Nothing was written.\n".encode())
    os._exit(128 + signum)


def _started_as_the_command() -> bool:
    """Whether this process is the ``segmentation`` command (or ``python -m segmentation``),
    not a notebook or a program that calls :func:`main`: only the command may own the
    process's signal handlers."""
    script = sys.modules.get("__main__")
    spec = getattr(script, "__spec__", None)
    if spec is not None:
        return spec.name == "segmentation.__main__"
    name = os.path.basename(getattr(script, "__file__", None) or "")
    return name in ("segmentation", "segmentation.exe", "segmentation-script.py")


# Before the heavy imports below (NumPy, pandas: a few tenths of a second), so that Ctrl-C or
# SIGTERM while they load ends the command with a message, not a traceback or a silent death.
_COMMAND = _started_as_the_command()
if _COMMAND and threading.current_thread() is threading.main_thread():
    for _name in _STOP_SIGNALS:
        _signum = getattr(signal, _name, None)
        if _signum is not None and signal.getsignal(_signum) in (
            signal.SIG_DFL,
            signal.default_int_handler,
        ):
            signal.signal(_signum, _exit_at_once)

import numpy as np  # noqa: E402

from segmentation.data.output import (  # noqa: E402
    OutputPathError,
    atomic_output,
    output_target,
    shown_path,
    write_atomically,
    write_predictions,
)
from segmentation.data.problems import (  # noqa: E402
    CustomerFileError,
    CustomerFileWarning,
    Validation,
    plural,
    shown_value,
)
from segmentation.data.reader import (  # noqa: E402
    MAX_SPENDING,
    read_customer_csv,
    validate_customer_csv,
)
from segmentation.data.schema import LABEL_COLUMNS, SPENDING_COLUMNS  # noqa: E402
from segmentation.model.limits import MAX_K, MAX_MODEL_SPENDING  # noqa: E402

if TYPE_CHECKING:
    import pandas as pd

#: ``-o -``: the output goes to standard output (and the summary to standard error).
STANDARD_OUTPUT = "-"

_T = TypeVar("_T")


class UsageError(Exception):
    """Arguments that make sense to argparse but not to the task (an output path, k)."""


class WrongModelError(ValueError):
    """A model file of the wrong kind for the command (a classifier given to ``report``)."""


class _PrintError(Exception):
    """Writing to standard output or standard error failed (a closed pipe, a full disk)."""

    def __init__(self, stream: IO[Any] | None, error: OSError, what: str) -> None:
        super().__init__(error.strerror or str(error))
        self.stream, self.error, self.what = stream, error, what


class _Stopped(BaseException):
    """SIGTERM or SIGHUP arrived. Not an Exception, so that nothing on the way swallows it;
    like KeyboardInterrupt it runs the clean-up of a half-written output."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass
class _Outcome:
    """What a command has done so far, so that a failure message can say what is true."""

    written: str | None = None  # e.g. "the model was written to m.json"
    streaming: str | None = None  # e.g. "the segments", while they go to standard output

    def so_far(self) -> str:
        """The end of a failure message: what was written, or that nothing was."""
        if self.written:
            return f"{self.written[0].upper()}{self.written[1:]}."
        if self.streaming:
            return (
                f"{self.streaming[0].upper()}{self.streaming[1:]} sent to standard output "
                "may be incomplete."
            )
        return "Nothing was written."


# --- printing that never fails on a file name --------------------------------------------------


def _say(text: str, stream: IO[str] | str = "stdout", what: str = "the summary") -> None:
    """Print a line, to a stream or to ``"stdout"`` or ``"stderr"``. A character the stream
    cannot encode is written as an escape (a file name that is not UTF-8 would otherwise
    stop the command); a failed write, or a standard stream that was closed before the
    command started (Python makes it None), raises :class:`_PrintError`, which says what
    was being printed."""
    target: IO[str] | None = stream if not isinstance(stream, str) else getattr(sys, stream)
    if target is None:
        which = "output" if stream == "stdout" else "error"
        raise _PrintError(None, OSError(errno.EBADF, f"standard {which} is closed"), what)
    encoding = getattr(target, "encoding", None) or "utf-8"
    with contextlib.suppress(LookupError):
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    try:
        target.write(text + "\n")
    except OSError as exc:
        raise _PrintError(target, exc, what) from None


def _flush(stream: IO[str] | None, what: str = "the summary") -> None:
    if stream is None:  # closed before the command started: nothing was written to it
        return
    try:
        stream.flush()
    except OSError as exc:
        raise _PrintError(stream, exc, what) from None


def _complain(text: str) -> None:
    """A message on standard error; if even that is closed, there is no one left to tell."""
    stream = sys.stderr if sys.stderr is not None else sys.stdout
    if stream is None:
        return
    with contextlib.suppress(OSError, _PrintError):
        _say(text, stream)
        _flush(stream)


def _note(text: str, stream: IO[str] | str = "stderr") -> None:
    """A note is worth printing, not worth stopping a command that works."""
    with contextlib.suppress(OSError, _PrintError):
        _say(f"  note: {text}", stream)


def _shown_value(value: float) -> str:
    text = f"{value:,}" if isinstance(value, int) else f"{value:g}"
    return text if len(text) <= 40 else f"{text[:37]}... ({len(text):,} characters)"


# --- the commands ----------------------------------------------------------------------------


def _amount(value: float) -> str:
    """A sum of money for a summary: in full up to 1e15, then in powers of ten."""
    if not math.isfinite(value):
        return "too large to add up"
    return f"{value:,.0f}" if value < 1e15 else f"{value:.3g}"


def _summary(result: Validation) -> list[str]:
    frame = result.frame
    assert frame is not None
    lines = [f"{shown_path(result.filename)}: OK, {plural(len(frame), 'customer')}."]
    for column in LABEL_COLUMNS:
        if column in frame:
            counts = frame[column].value_counts(sort=False)
            lines.append(f"  {column}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    spending = frame[list(SPENDING_COLUMNS)]
    # Divided first, so that the means of values near the largest float do not overflow;
    # by the values present in each column (all of them, unless --allow-missing).
    means = (spending / spending.count()).sum()
    with np.errstate(over="ignore"):
        total = float(np.nansum(spending.to_numpy(dtype=float)))
    lines.append(
        "  mean annual spending (m.u.): " + ", ".join(f"{c} {_amount(m)}" for c, m in means.items())
    )
    lines.append(f"  total annual spending (m.u.): {_amount(total)}")
    return lines


def _validate(args: argparse.Namespace, outcome: _Outcome) -> int:
    result = validate_customer_csv(
        args.file,
        require_labels=args.require_labels,
        max_spending=args.max_spending,
        allow_missing=args.allow_missing,
    )
    if result.ok:
        for line in _summary(result):
            _say(line)
        for note in result.notes:
            _say(f"  note: {note.describe(result.filename)}")
        return 0
    _say(str(result.error()), "stderr", "the problems")
    for note in result.notes:
        _say(f"  note: {note.describe(result.filename)}", "stderr", "the problems")
    return 1


def _output(path_text: str, *inputs: str) -> Path | None:
    """The output path, checked before any work is done so that nothing is half written;
    None for standard output."""
    if path_text == STANDARD_OUTPUT:
        if sys.stdout is None:
            raise UsageError(
                "-o - sends the output to standard output, which is closed; "
                "give a file name instead."
            )
        return None
    try:
        output_target(path_text, inputs=inputs)
    except OutputPathError as exc:
        raise UsageError(str(exc)) from None
    return Path(path_text)


def _where(output: Path | None) -> str:
    return "standard output" if output is None else shown_path(output)


def _summary_stream(output: Path | None) -> str:
    """Standard output, unless the output itself goes there."""
    return "stderr" if output is None else "stdout"


def _to_standard_output(write: Callable[[BinaryIO], _T], what: str, outcome: _Outcome) -> _T:
    """Write bytes to standard output (``-o -``)."""
    stream = sys.stdout
    outcome.streaming = what
    try:
        stream.flush()
        buffer = getattr(stream, "buffer", None)
        result = write(
            cast(BinaryIO, _WholeWriter(buffer) if buffer is not None else _TextSink(stream))
        )
        (buffer or stream).flush()
    except OSError as exc:
        raise _PrintError(stream, exc, what) from None
    outcome.streaming = None
    return result


class _WholeWriter:
    """Standard output's binary buffer, written to in full or not at all. Its ``write`` may
    return a short count instead of raising, when the reader of a pipe has gone (``| head``):
    the rest is written again, and a write that takes nothing is a broken pipe, so that
    output cut short is never reported as written."""

    def __init__(self, buffer: BinaryIO) -> None:
        self.buffer = buffer

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            done = self.buffer.write(view)
            if not done:  # 0, or None from a non-blocking stream that is full
                raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))
            view = view[done:]
        return len(data)

    def flush(self) -> None:
        self.buffer.flush()


class _TextSink:
    """A binary stream over a text one without a buffer (a notebook's output)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, data: bytes) -> int:
        return self.stream.write(data.decode("utf-8"))


def _fit(args: argparse.Namespace, outcome: _Outcome) -> int:
    if args.engine == "spark":
        from segmentation.cli_spark import fit_with_spark

        return fit_with_spark(args, outcome)
    from segmentation.model.pipeline import SegmentationModel

    output = _output(args.output, args.data)
    customers = _read(args.data, max_spending=_model_limit(args), allow_missing=args.allow_missing)
    if args.k > len(customers):
        raise UsageError(
            f"--k must be from 1 to the number of customers in "
            f"{shown_path(args.data)} ({len(customers):,}); got {args.k:,}."
        )
    model = SegmentationModel(
        args.k,
        transform=args.transform,
        algorithm=args.algorithm,
        random_state=args.seed,
        n_init=args.n_init,
        missing="impute" if args.allow_missing else "refuse",
    ).fit(customers, source=shown_path(Path(args.data).name))
    if output is None:
        _to_standard_output(
            lambda out: out.write(model.to_json().encode("utf-8")), "the model", outcome
        )
    else:
        model.save(output)
    outcome.written = f"the model was written to {_where(output)}"
    stream = _summary_stream(output)
    _say(
        f"Fitted {plural(len(model.segments), 'segment')} on "
        f"{plural(len(customers), 'customer')} of {shown_path(args.data)}; "
        + (
            "wrote the model to standard output."
            if output is None
            else f"saved the model to {shown_path(output)}."
        ),
        stream,
    )
    _say_missing(customers, _how_fit_fills(customers), stream)
    _say(model.describe()[["name", "customers"]].to_string(), stream)
    if model.evaluation is not None:
        _say(model.evaluation.table()[["measure", "value"]].to_string(index=False), stream)
    return 0


def _model_and_customers(args: argparse.Namespace) -> tuple[Path | None, Any, pd.DataFrame]:
    """The checked output path, the loaded model and the checked customers of a command."""
    output = _output(args.output, args.model, args.data)
    model = _load_model(args)
    if args.allow_missing and not hasattr(model, "k"):
        raise UsageError(
            f"--allow-missing works with a segmentation model; {shown_path(args.model)} is a "
            "classifier, which needs every spending value. Fill the missing values in first."
        )
    # Data to segment with a fitted model: a column missing on every row is filled from the
    # centres all the same (only the fit needs some value of each column to go on).
    customers = _read(
        args.data,
        max_spending=_model_limit(args),
        allow_missing=args.allow_missing,
        with_model=True,
    )
    return output, model, customers


def _say_missing(customers: pd.DataFrame, how: str, stream: IO[str] | str) -> None:
    """Say how many spending values were missing, where, and ``how`` they were filled."""
    holes = customers[list(SPENDING_COLUMNS)].isna()
    count = int(holes.to_numpy().sum())
    if not count:
        return
    columns = ", ".join(f"{c} {n:,}" for c, n in holes.sum().items() if n)
    rows = np.flatnonzero(holes.any(axis=1).to_numpy())
    ids = customers["id"].to_numpy()[rows[:10]] if "id" in customers else rows[:10] + 1
    # An id is text from the file: shown as file names are, control characters escaped.
    shown = ", ".join(shown_value(str(i), quoted=False) for i in ids)
    more = f" and {len(rows) - 10:,} more" if len(rows) > 10 else ""
    _say(
        f"  missing values: {plural(count, 'value')} of {plural(len(rows), 'customer')} "
        f"({columns}; customer id {shown}{more}): {how}.",
        stream,
    )


def _how_fit_fills(customers: pd.DataFrame) -> str:
    """How ``fit --allow-missing`` filled the gaps: by how many neighbours (fewer than 5
    where fewer customers have the value), among how many customers."""
    from segmentation.model.pipeline import IMPUTE_DONORS, IMPUTE_NEIGHBOURS

    spending = customers[list(SPENDING_COLUMNS)]
    gaps, observed = spending.isna().sum(), spending.notna().sum()
    donors = min(len(customers), IMPUTE_DONORS)
    # In a sample of the donors, a column keeps about its share of values.
    have = {c: int(observed[c] * donors / len(customers)) for c in SPENDING_COLUMNS if gaps[c]}
    used = min([IMPUTE_NEIGHBOURS, *have.values()])
    how = (
        "each filled from the nearest customer that has the value, on the log scale"
        if used == 1
        else f"each filled by the mean of the {used} nearest customers that have the value, "
        "on the log scale"
    )
    few = [f"{c} {n:,}" for c, n in have.items() if n < IMPUTE_NEIGHBOURS]
    if few:
        how += f" (fewer than {IMPUTE_NEIGHBOURS} customers have it: {', '.join(few)})"
    if len(customers) > IMPUTE_DONORS:
        how += (
            f"; the neighbours were looked for among {IMPUTE_DONORS:,} customers drawn "
            "with the model's seed"
        )
    return how


def _model_limit(args: argparse.Namespace) -> float:
    """The largest spending the reader lets through for a model: the user's limit, and never
    more than the model works with, so that the reader (which names the file, row and
    column) refuses a larger value, not the model."""
    return min(args.max_spending, MAX_MODEL_SPENDING)


def order_hint(command: str, kind: str, model: str, data: str, output: str | None = None) -> str:
    """Advice on the order of a command's arguments when its MODEL is no model (``kind``
    as :class:`~segmentation.model.file_checks.ModelFileError` has it): swapped, when
    the data is the .json; a table given first, when the model is a table."""
    model_shown, data_shown = shown_path(model), shown_path(data)
    output_part = "" if output is None else f" -o {shown_path(output)}"
    classifier = command == "predict"
    hint = (
        f"`segmentation {command}` expects a model first: the .json file saved by "
        "`segmentation fit`"
        + (" (or the .skops file saved by `classify`)" if classifier else "")
        + "; then the customers' CSV file."
    )
    if kind == "table" and Path(data).suffix.lower() == ".json":
        hint += (
            " The two arguments look swapped; try: segmentation "
            f"{command} {data_shown} {model_shown}{output_part}"
        )
    elif kind == "table":
        hint += (
            " This one is a table of customers; give the model first: segmentation "
            f"{command} MODEL.json {model_shown}{output_part}"
            + (" (or CLASSIFIER.skops in place of MODEL.json)" if classifier else "")
        )
    return hint


def _load_model(args: argparse.Namespace) -> Any:
    """The model of a command; a file that is no model at all gets advice on the arguments."""
    from segmentation.classify.persistence import load_classifier, starts_like_a_classifier
    from segmentation.model.file_checks import ModelFileError
    from segmentation.model.persistence import load_model

    if starts_like_a_classifier(args.model):  # by its content: a zip archive or a pickle
        return load_classifier(args.model)
    try:
        return load_model(args.model)
    except ModelFileError as exc:
        if exc.kind not in ("table", "not a model"):
            raise
        hint = order_hint(args.command, exc.kind, args.model, args.data, args.output)
        raise ModelFileError(exc.path, exc.problems, hint, kind=exc.kind) from None


def _predict(args: argparse.Namespace, outcome: _Outcome) -> int:
    if args.engine == "spark":
        from segmentation.cli_spark import predict_with_spark

        return predict_with_spark(args, outcome)
    output, model, customers = _model_and_customers(args)
    if not hasattr(model, "k"):  # a classifier file, not a segmentation model
        from segmentation.cli_classify import predict_classes

        return predict_classes(args, model, customers, output, outcome)
    allow = args.allow_missing
    if output is None:
        counts = _to_standard_output(
            lambda out: write_predictions(model, customers, out, allow_missing=allow),
            "the segments",
            outcome,
        )
    else:
        with atomic_output(output) as out:
            counts = write_predictions(model, customers, out, allow_missing=allow)
    outcome.written = f"the segments were written to {_where(output)}"
    stream = _summary_stream(output)
    _say(
        f"Segmented {plural(int(counts.sum()), 'customer')} of {shown_path(args.data)}; wrote "
        + ("them to standard output." if output is None else f"{shown_path(output)}."),
        stream,
    )
    for j, count in enumerate(counts):
        _say(f"  {j}. {model.names[j]}: {count:,}", stream)
    marked = int(customers[list(SPENDING_COLUMNS)].isna().any(axis=1).sum())
    _say_missing(
        customers,
        f"assigned by their observed columns; {plural(marked, 'customer')} marked imputed",
        stream,
    )
    return 0


def _report(args: argparse.Namespace, outcome: _Outcome) -> int:
    output, model, customers = _model_and_customers(args)
    if not hasattr(model, "k"):
        raise WrongModelError(
            f"{shown_path(args.model)} is a classifier; report takes a segmentation model "
            "(.json) from `segmentation fit`."
        )
    from segmentation.report.html import build_report  # after the checks: it imports matplotlib

    if args.allow_missing:
        _say_missing(
            customers,
            "taken from the centre of the segment each customer is assigned to by its observed "
            "columns, for the report",
            _summary_stream(output),
        )
    # Filled by build_report, which recognises the training data by its checksum with gaps.
    page = build_report(
        model,
        customers,
        source=shown_path(Path(args.data).name),
        model_source=shown_path(Path(args.model).name),
    ).encode("utf-8")
    if output is None:
        _to_standard_output(lambda out: out.write(page), "the report", outcome)
    else:
        write_atomically(output, page)
    outcome.written = f"the report was written to {_where(output)}"
    _say(
        f"Wrote the report on {plural(len(customers), 'customer')} of {shown_path(args.data)} to "
        f"{_where(output)}.",
        _summary_stream(output),
    )
    return 0


def _read(path: str, **kwargs: Any) -> pd.DataFrame:
    """A customer file through the checked reader; its notes are printed (by
    :func:`_warnings_as_notes`), not lost. Parquet is for ``--engine spark``."""
    from segmentation.cli_spark import refuse_parquet

    refuse_parquet(path)
    return read_customer_csv(path, **kwargs)


# --- checking the arguments ------------------------------------------------------------------


def _check_arguments(args: argparse.Namespace) -> None:
    """Every argument within its range, before any work starts (else exit 2, with the
    range). Whether ``--k`` is at most the number of customers is known only after reading
    them; :func:`_fit` checks it then."""
    if args.command == "rfm":  # a log has quantities and prices, not annual spending
        from segmentation.cli_rfm import check_rfm_arguments

        check_rfm_arguments(args)
        return
    if args.command == "simulate":
        from segmentation.cli_spark import check_simulate_arguments

        check_simulate_arguments(args)
        return
    limit = args.max_spending
    if not (0 < limit <= MAX_MODEL_SPENDING or limit == math.inf):
        raise UsageError(
            f"--max-spending must be a number above 0 and at most 1e15 "
            f"(the most a model works with), or inf for no limit; got "
            f"{_shown_value(limit)}."
        )
    if args.command == "classify":
        from segmentation.cli_classify import check_classify_arguments

        check_classify_arguments(args)
    if args.command in ("fit", "predict"):
        from segmentation.cli_spark import check_engine_arguments

        check_engine_arguments(args)
    if args.command != "fit":
        return
    from segmentation.model.inputs import N_INIT_RANGE, SEED_RANGE

    for option, value, (low, high), why in (
        ("--k", args.k, (1, MAX_K), " (and at most the number of customers)"),
        ("--n-init", args.n_init, N_INIT_RANGE, ""),
        ("--seed", args.seed, SEED_RANGE, ", as scikit-learn's are"),
    ):
        if not low <= value <= high:
            raise UsageError(
                f"{option} must be from {low:,} to {high:,}{why}; got {_shown_value(value)}."
            )


def _max_spending_option(command: argparse.ArgumentParser, *, model: bool = True) -> None:
    ceiling = "; inf still refuses values above 1e15, the most a model works with" if model else ""
    command.add_argument(
        "--max-spending",
        type=float,
        default=MAX_SPENDING,
        metavar="M",
        help=f"largest plausible spending per category (default {MAX_SPENDING:,}; at most "
        f"1e15, or inf for no limit{ceiling})",
    )


def _allow_missing_option(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument(
        "--allow-missing",
        action="store_true",
        help=f"{what} (by default a missing value is refused)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="segmentation", description="Customer segmentation course tools."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser(
        "validate",
        help="check a customer CSV file and list every problem",
        description="Check a customer CSV file. Prints a summary and exits 0 when the file is "
        "good; prints every problem (row, column, value, what to do) and exits 1 "
        "when it is not.",
    )
    validate.add_argument("file", metavar="FILE", help="the CSV file to check")
    validate.add_argument(
        "--require-labels", action="store_true", help="also require the Channel and Region columns"
    )
    _max_spending_option(validate, model=False)
    _allow_missing_option(validate, "read blank or NA spending values as missing and say where")
    validate.set_defaults(run=_validate)
    _add_fit(commands)
    from segmentation.cli_classify import add_classify  # here: it imports this module

    add_classify(commands)
    _add_model_and_data(
        commands,
        "predict",
        _predict,
        summary="segment the customers of a CSV file with a saved model (or classify them)",
        description="Segment every customer of a file: writes a CSV with id, segment, name "
        "and the distance to each segment's centre. With a classifier saved by `classify`, "
        "writes id, the predicted label and the probability of each class instead. Cells "
        "that a spreadsheet would run as a formula start with a single quote.",
        data="NEW.csv",
        data_help="the customers to segment",
        output="SEGMENTS.csv",
        output_help="where to write the segments (- for standard output)",
    )
    _add_model_and_data(
        commands,
        "report",
        _report,
        summary="write a one-page HTML report of the segments in a customer file",
        description="Write one self-contained HTML page (plots included) with the size, "
        "profile, name and strategy of each segment, for people who act on it.",
        data="DATA.csv",
        data_help="the customers to report on",
        output="REPORT.html",
        output_help="where to write the report (- for standard output)",
    )
    _add_part_two_commands(commands)
    for command in commands.choices.values():  # for the errors found after parsing
        command.set_defaults(usage=command.format_usage())
    return parser


def _add_part_two_commands(commands: Any) -> None:
    """The commands of Part II, each in a module of its own (imported here: they import
    this module): ``rfm``, ``quality``, ``monitor``; then :func:`_add_spark_commands`."""
    from segmentation.cli_monitor import add_monitor
    from segmentation.cli_quality import add_quality
    from segmentation.cli_rfm import add_rfm

    add_rfm(commands)
    add_quality(commands)
    add_monitor(commands)
    _add_spark_commands(commands)


def _add_spark_commands(commands: Any) -> None:
    """``--engine`` and ``--master`` on fit and predict, and ``simulate``."""
    from segmentation.cli_spark import add_engine_options, add_simulate

    add_engine_options(commands.choices["fit"])
    add_engine_options(commands.choices["predict"])
    add_simulate(commands)


def _add_fit(commands: Any) -> None:
    fit = commands.add_parser(
        "fit",
        help="fit a segmentation model on a customer CSV file and save it as JSON",
        description="Fit the course's segmentation (log spending, scaled, k-means) on a "
        "customer file, name the segments, and save the model as JSON.",
    )
    fit.add_argument("data", metavar="DATA.csv", help="the customers to learn the segments from")
    fit.add_argument(
        "--k", type=int, default=3, help=f"the number of segments, 1 to {MAX_K:,} (default 3)"
    )
    fit.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="MODEL.json",
        help="where to save the model (- for standard output)",
    )
    fit.add_argument(
        "--seed", type=int, default=0, help="seed of the random starts, 0 to 2**32 - 1 (default 0)"
    )
    fit.add_argument(
        "--n-init",
        type=int,
        default=10,
        metavar="N",
        help="random starts, 1 to 1,000; the best is kept (default 10)",
    )
    fit.add_argument(
        "--transform",
        choices=["log", "none"],
        default="log",
        help="take the log of spending first (default) or not",
    )
    fit.add_argument(
        "--algorithm",
        choices=["course", "scikit-learn"],
        default="course",
        help="whose k-means to use (default: the course's)",
    )
    _max_spending_option(fit)
    _allow_missing_option(
        fit, "fill missing spending values from the 5 nearest customers (on the log scale)"
    )
    fit.set_defaults(run=_fit)


def _add_model_and_data(
    commands: Any,
    name: str,
    run: Any,
    *,
    summary: str,
    description: str,
    data: str,
    data_help: str,
    output: str,
    output_help: str,
) -> None:
    """A command that takes a saved model, a customer file and an output path."""
    command = commands.add_parser(name, help=summary, description=description)
    command.add_argument(
        "model",
        metavar="MODEL.json",
        help="a model saved by `fit`"
        + (" or a classifier by `classify`" if name == "predict" else ""),
    )
    command.add_argument("data", metavar=data, help=data_help)
    command.add_argument("-o", "--output", required=True, metavar=output, help=output_help)
    _max_spending_option(command)
    _allow_missing_option(
        command,
        "segment customers with missing spending values by their observed columns"
        + (" (marked imputed)" if name == "predict" else ""),
    )
    command.set_defaults(run=run)


# --- running a command -----------------------------------------------------------------------


_TOO_FEW_DISTINCT = re.compile(
    r"Only (\d+) distinct clusters were found for n_clusters=(\d+)"  # the course's KMeans
    r"|Number of distinct clusters \((\d+)\) found smaller than n_clusters \((\d+)\)"
)


def _note_for(category: type[Warning], message: str) -> str:
    """A warning as a sentence for the person at the command line."""
    if issubclass(category, CustomerFileWarning):
        return message
    too_few = _TOO_FEW_DISTINCT.search(message)
    if too_few:
        # `fit` refuses data with fewer distinct customers than k, so this comes from the
        # stability check, whose refits see a sample that can leave rare customers out.
        from segmentation.model.evaluation import EVALUATION_SAMPLE

        found, k = (group for group in too_few.groups() if group is not None)
        return (
            f"k-means found only {found} distinct group{'s' if found != '1' else ''} for "
            f"{k} segments: the customers it clustered have fewer different spending "
            "patterns than segments (the stability check refits a sample of at most "
            f"{EVALUATION_SAMPLE:,} customers, which can leave rare ones out), so a segment "
            "stayed empty there. Read the stability with care, or choose a smaller --k."
        )
    if issubclass(category, RuntimeWarning) and " encountered in " in message:
        # NumPy's words for a division by zero or an overflow, as when every customer
        # spends 0: the number is NaN, and tables and charts leave it out.
        return (
            f"some numbers could not be computed ({message}), as happens when customers "
            "spend nothing at all in a category; they are left out."
        )
    return message.strip().splitlines()[0] if message.strip() else category.__name__


@contextlib.contextmanager
def _warnings_as_notes() -> Iterator[None]:
    """Warnings printed as ``note:`` lines, each once, without the source lines Python shows
    (they mean something to a programmer, not to the person at the command line). Filters
    are left as they are, so that warnings turned into errors stay errors."""
    printed: set[str] = set()

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        note = _note_for(category, str(message))
        if note not in printed:
            printed.add(note)
            _note(note)

    with warnings.catch_warnings():
        warnings.simplefilter("always", CustomerFileWarning)
        warnings.showwarning = show
        yield


def _stop(signum: int, frame: Any) -> None:
    """End the work through the clean-up that removes a half-written temporary file; the
    signals that follow (a burst of them, an impatient user) are ignored meanwhile."""
    _ignore_stop_signals()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise _Stopped(signum)


def _stop_again_later(unraisable: Any) -> None:
    """``sys.unraisablehook`` while a command runs. A stop signal that lands inside a callback
    Python cannot raise from (the import system's or the garbage collector's) would be printed
    as "Exception ignored" and lost, and the command would go on as if nothing had happened.
    Raise it again a few milliseconds later, in the command's own code (POSIX has the timer;
    elsewhere the stop is printed and lost as before)."""
    stop = unraisable.exc_value
    if not isinstance(stop, KeyboardInterrupt | _Stopped) or not hasattr(signal, "setitimer"):
        sys.__unraisablehook__(unraisable)
        return
    signum = stop.signum if isinstance(stop, _Stopped) else signal.SIGINT
    signal.signal(signal.SIGALRM, lambda _alarm, frame: _stop(signum, frame))
    signal.setitimer(signal.ITIMER_REAL, 0.005)


@contextlib.contextmanager
def _signals_stop_the_work() -> Iterator[None]:
    """SIGTERM and SIGHUP end a command as Ctrl-C does. A signal already ignored (``nohup``)
    stays ignored. Called in a program (a notebook), only SIGTERM and SIGHUP are handled,
    and only while the command runs; as the command itself, Ctrl-C too, and once the command
    is done, further signals are ignored so that the exit stays quiet."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for name in _STOP_SIGNALS if _COMMAND else _STOP_SIGNALS[1:]:
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) in (signal.SIG_DFL, _exit_at_once):
            previous[signum] = signal.signal(signum, _stop)
    hook = sys.unraisablehook
    if _COMMAND:
        sys.unraisablehook = _stop_again_later
    try:
        yield
    finally:
        sys.unraisablehook = hook
        if _COMMAND:
            _ignore_stop_signals()
            if hasattr(signal, "setitimer"):  # the work is over: a stop raised again is moot
                signal.setitimer(signal.ITIMER_REAL, 0)
        else:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _input_errors() -> tuple[type[Exception], ...]:
    """The errors that mean bad input. The model's are only there if a command loaded it
    (importing it, and scikit-learn with it, would slow `validate` down for nothing)."""
    errors: list[type[Exception]] = [CustomerFileError, WrongModelError]
    for module, name in (
        ("segmentation.model.file_checks", "ModelFileError"),
        ("segmentation.model.inputs", "ModelInputError"),
        ("segmentation.classify.persistence", "ClassifierFileError"),
        ("segmentation.cli_classify", "ClassifyInputError"),
        ("segmentation.cli_rfm", "RFMInputError"),
        ("segmentation.cli_monitor", "MonitorInputError"),
        ("segmentation.cli_spark", "EngineInputError"),
        ("segmentation.spark.session", "SparkSetupError"),
    ):
        loaded = sys.modules.get(module)
        if loaded is not None:
            errors.append(getattr(loaded, name))
    return tuple(errors)


def _stop_writing_to(stream: IO[Any] | None) -> None:
    """Point a broken standard stream at /dev/null, so that Python's last flush at exit
    cannot fail again with a second, raw error."""
    if stream is None:  # closed before the command started: nothing to point elsewhere
        return
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a notebook's output)
        return
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace, outcome: _Outcome) -> int:
    """Run the command; every failure becomes a message that says what was written."""
    name = f"segmentation {args.command}"
    try:
        _check_arguments(args)
        status = args.run(args, outcome)
        _flush(sys.stdout)
        return status
    except UsageError as exc:
        # The command's own usage, as argparse's errors print it, not the top-level one.
        usage = getattr(args, "usage", None) or parser.format_usage()
        _complain(f"{usage.rstrip()}\n{name}: error: {exc}")
        return 2
    except _input_errors() as exc:
        _complain(str(exc))
        return 1
    except _PrintError as exc:
        _stop_writing_to(exc.stream)
        reason = exc.error.strerror or str(exc.error)
        if outcome.written:
            _complain(f"{name}: {outcome.written}, but {exc.what} could not be printed: {reason}.")
        elif exc.what == "the summary":
            _complain(f"{name}: {exc.what} could not be printed: {reason}.")
        else:
            _complain(
                f"{name}: {exc.what} could not be written in full to standard output: {reason}."
            )
        return 1
    except OutputPathError as exc:  # the output turned into a special file meanwhile
        _complain(f"{name}: {exc} {outcome.so_far()}")
        return 1
    except OSError as exc:  # the disk filled up, a file vanished while we worked
        what = shown_path(exc.filename) if exc.filename else "a file"
        _complain(
            f"{name}: could not write or read {what}: {exc.strerror or exc}. {outcome.so_far()}"
        )
        return 1
    except KeyboardInterrupt:
        _complain(f"{name}: interrupted. {outcome.so_far()}")
        return 130
    except _Stopped as exc:
        _complain(f"{name}: stopped by {signal.Signals(exc.signum).name}. {outcome.so_far()}")
        return 128 + exc.signum


def _out_of_memory(error: BaseException) -> bool:
    """Whether an error means the memory ran out: a MemoryError, an OSError saying so
    (ENOMEM), an ImportError of a library that could not be mapped into memory (as under
    ``ulimit -v``), or a SystemError while memory is short: an allocation that fails deep in
    an import can surface as "error return without exception set"."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, MemoryError):
            return True
        if isinstance(seen, OSError) and seen.errno == errno.ENOMEM:
            return True
        if isinstance(seen, SystemError) and _memory_is_short():
            return True
        text = str(seen).lower()
        if "failed to map segment" in text or "cannot allocate memory" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


_PROBE_BYTES = 32 << 20


def _memory_is_short() -> bool:
    """Whether a modest allocation (32 MiB) fails now: the test of a SystemError's cause."""
    try:
        bytearray(_PROBE_BYTES)
    except MemoryError:
        return True
    return False


_DOING = {
    "validate": "checking {}",
    "fit": "fitting a model on {}",
    "predict": "segmenting the customers of {}",
    "report": "writing the report on {}",
    "classify": "comparing classifiers on {}",
    "rfm": "computing the RFM table of {}",
    "quality": "checking the quality of {}",
    "monitor": "monitoring {}",
    "simulate": "writing simulated customers to {}",
}


def _run_in_memory(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """:func:`_run`, with running out of memory as a message (exit 1) rather than a traceback;
    a half-written output has been removed on the way here."""
    outcome = _Outcome()
    try:
        return _run(parser, args, outcome)
    except (MemoryError, ImportError, OSError, SystemError) as exc:
        if not _out_of_memory(exc):
            raise
    data = shown_path(getattr(args, "data", None) or getattr(args, "file", None) or args.output)
    _complain(
        f"segmentation {args.command}: ran out of memory while "
        f"{_DOING[args.command].format(data)}; free memory or use a smaller file. "
        f"{outcome.so_far()}"
    )
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 good, 1 bad input, 2 bad arguments;
    130 after Ctrl-C, 143 after SIGTERM, 129 after SIGHUP)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    with _signals_stop_the_work(), _warnings_as_notes():
        status = _run_in_memory(parser, args)
    if _COMMAND and status == 128 + signal.SIGINT:
        # Ctrl-C inside the import of a compiled module leaves a flag by which Python, at its
        # exit, kills itself with SIGINT even though the interruption was handled here; the
        # clean-up is done, so the command ends now, with its own status.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(AttributeError, OSError, ValueError):
                stream.flush()
        os._exit(status)
    return status


if __name__ == "__main__":
    sys.exit(main())
