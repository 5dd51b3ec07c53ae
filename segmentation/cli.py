"""The command line (also ``python -m segmentation``)::

    segmentation validate DATA.csv
    segmentation fit DATA.csv --k 3 -o model.json
    segmentation predict model.json NEW.csv -o segments.csv
    segmentation report model.json DATA.csv -o report.html

Bad input of any kind (a data file, a model file, an argument) ends with a message that says
what is wrong and what to do, and a non-zero exit: 1 for bad input, 2 for bad arguments.
Nothing is written then; an output file appears whole or not at all.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from segmentation.reader import (
    MAX_SPENDING,
    CustomerFileError,
    CustomerFileWarning,
    Validation,
    read_customer_csv,
    validate_customer_csv,
)
from segmentation.schema import LABEL_COLUMNS, SPENDING_COLUMNS

if TYPE_CHECKING:
    import pandas as pd


class UsageError(Exception):
    """Arguments that make sense to argparse but not to the task (an output path, k)."""


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


def _output(path_text: str, *inputs: str) -> Path:
    """Check an output path before any work is done, so that nothing is half written."""
    path = Path(path_text)
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name for the output, such as "
                         f"{path / 'output'}.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"the folder {folder} does not exist; create it first or choose "
                         "another output path.")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"the folder {folder} cannot be written to; choose another output path.")
    for given in inputs:
        if Path(given).exists() and path.exists() and path.resolve() == Path(given).resolve():
            raise UsageError(f"the output {path} is also an input; writing it would destroy "
                             "the input. Choose another output path.")
    return path


def _read(path: str, **kwargs: Any) -> pd.DataFrame:
    """A customer file through the checked reader; its notes are printed, not lost."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CustomerFileWarning)
        customers = read_customer_csv(path, **kwargs)
    for warning in caught:
        print(f"  note: {warning.message}", file=sys.stderr)
    return customers


def _fit(args: argparse.Namespace) -> int:
    from segmentation.model import SegmentationModel

    output = _output(args.output, args.data)
    customers = _read(args.data, max_spending=args.max_spending)
    if not 1 <= args.k <= len(customers):
        raise UsageError(f"--k must be from 1 to the number of customers in {args.data} "
                         f"({len(customers)}); got {args.k}.")
    model = SegmentationModel.fit(customers, args.k, transform=args.transform,
                                  algorithm=args.algorithm, random_state=args.seed,
                                  n_init=args.n_init, source=Path(args.data).name)
    model.save(output)
    print(f"Fitted {model.k} segment{'s' if model.k != 1 else ''} on {len(customers):,} "
          f"customers of {args.data}; "
          f"saved the model to {output}.")
    print(model.describe()[["name", "customers"]].to_string())
    if model.evaluation is not None:
        print(model.evaluation.table()[["measure", "value"]].to_string(index=False))
    return 0


def _model_and_customers(args: argparse.Namespace) -> tuple[Path, Any, pd.DataFrame]:
    """The checked output path, the loaded model and the checked customers of a command."""
    output = _output(args.output, args.model, args.data)
    return output, _load_model(args), _read(args.data, max_spending=args.max_spending)


def _load_model(args: argparse.Namespace) -> Any:
    """The model of a command; a file that is no model at all gets advice on the arguments."""
    from segmentation.model import ModelFileError, load_model

    try:
        return load_model(args.model)
    except ModelFileError as exc:
        if exc.kind not in ("table", "not a model"):
            raise
        hint = (f"`segmentation {args.command}` expects a model first: the .json file saved by "
                "`segmentation fit`; then the customers' CSV file.")
        if exc.kind == "table" and Path(args.data).suffix.lower() == ".json":
            hint += (" The two arguments look swapped; try: segmentation "
                     f"{args.command} {args.data} {args.model} -o {args.output}")
        elif exc.kind == "table":
            hint += (" This one is a table of customers; give the model first: segmentation "
                     f"{args.command} MODEL.json {args.model} -o {args.output}")
        raise ModelFileError(exc.path, exc.problems, hint, kind=exc.kind) from None


def _predict(args: argparse.Namespace) -> int:
    from segmentation.model import write_atomically

    output, model, customers = _model_and_customers(args)
    segments = model.predict(customers)
    text = io.StringIO()
    segments.to_csv(text, index=False, float_format="%.6f")
    write_atomically(output, text.getvalue().encode("utf-8"))
    counts = segments["segment"].value_counts().reindex(range(model.k), fill_value=0)
    print(f"Segmented {len(segments):,} customers of {args.data}; wrote {output}.")
    for j, count in counts.items():
        print(f"  {j}. {model.names[j]}: {count:,}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from segmentation.model import write_atomically
    from segmentation.report import build_report

    output, model, customers = _model_and_customers(args)
    page = build_report(model, customers, source=Path(args.data).name,
                        model_source=Path(args.model).name)
    write_atomically(output, page.encode("utf-8"))
    print(f"Wrote the report on {len(customers):,} customers of {args.data} to {output}.")
    return 0


def _max_spending_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--max-spending", type=float, default=MAX_SPENDING, metavar="M",
                         help=f"largest plausible spending per category (default {MAX_SPENDING:,})")


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
    _max_spending_option(validate)
    validate.set_defaults(run=_validate)
    _add_fit(commands)
    _add_model_and_data(
        commands, "predict", _predict,
        summary="segment the customers of a CSV file with a saved model",
        description="Segment every customer of a file: writes a CSV with id, segment, name "
                    "and the distance to each segment's centre.",
        data="NEW.csv", data_help="the customers to segment",
        output="SEGMENTS.csv", output_help="where to write the segments")
    _add_model_and_data(
        commands, "report", _report,
        summary="write a one-page HTML report of the segments in a customer file",
        description="Write one self-contained HTML page (plots included) with the size, "
                    "profile, name and strategy of each segment, for people who act on it.",
        data="DATA.csv", data_help="the customers to report on",
        output="REPORT.html", output_help="where to write the report")
    return parser


def _add_fit(commands: Any) -> None:
    fit = commands.add_parser(
        "fit", help="fit a segmentation model on a customer CSV file and save it as JSON",
        description="Fit the course's segmentation (log spending, scaled, k-means) on a "
                    "customer file, name the segments, and save the model as JSON.")
    fit.add_argument("data", metavar="DATA.csv", help="the customers to learn the segments from")
    fit.add_argument("--k", type=int, default=3, help="the number of segments (default 3)")
    fit.add_argument("-o", "--output", required=True, metavar="MODEL.json",
                     help="where to save the model")
    fit.add_argument("--seed", type=int, default=0, help="seed of the random starts (default 0)")
    fit.add_argument("--n-init", type=int, default=10, metavar="N",
                     help="random starts; the best is kept (default 10)")
    fit.add_argument("--transform", choices=["log", "none"], default="log",
                     help="take the log of spending first (default) or not")
    fit.add_argument("--algorithm", choices=["course", "scikit-learn"], default="course",
                     help="whose k-means to use (default: the course's)")
    _max_spending_option(fit)
    fit.set_defaults(run=_fit)


def _add_model_and_data(commands: Any, name: str, run: Any, *, summary: str, description: str,
                        data: str, data_help: str, output: str, output_help: str) -> None:
    """A command that takes a saved model, a customer file and an output path."""
    command = commands.add_parser(name, help=summary, description=description)
    command.add_argument("model", metavar="MODEL.json", help="a model saved by `fit`")
    command.add_argument("data", metavar=data, help=data_help)
    command.add_argument("-o", "--output", required=True, metavar=output, help=output_help)
    _max_spending_option(command)
    command.set_defaults(run=run)


def _input_errors() -> tuple[type[Exception], ...]:
    """The errors that mean bad input. The model's are only there if a command loaded it
    (importing it, and scikit-learn with it, would slow `validate` down for nothing)."""
    model = sys.modules.get("segmentation.model")
    if model is None:
        return (CustomerFileError,)
    return CustomerFileError, model.ModelFileError, model.ModelInputError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 good, 1 bad input, 2 bad arguments)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"segmentation {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except _input_errors() as exc:
        print(exc, file=sys.stderr)
        return 1
    except OSError as exc:           # the disk filled up, a file vanished while we worked
        print(f"segmentation {args.command}: could not write or read {exc.filename or 'a file'}: "
              f"{exc.strerror or exc}. Nothing was written.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
