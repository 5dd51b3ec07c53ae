"""The ``classify`` command, and ``predict`` with a classifier file (see :mod:`segmentation.cli`)::

    segmentation classify DATA.csv --target Channel -o classifier.skops [--cv 5] [--seed 0]
    segmentation predict classifier.skops NEW.csv -o channels.csv

``classify`` compares the course's classifiers by nested cross-validation
(:func:`segmentation.classify.compare.compare_classifiers`), prints the table of scores, and
saves the best model, refitted on every customer, as a skops file
(:mod:`segmentation.classify.persistence`): never a pickle. The same rules hold as for the
other commands: arguments checked before any work, one-line messages for bad input, outputs
whole or not at all.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from segmentation import cli
from segmentation.data.output import MAX_BLOCK_ROWS, shown_path, spreadsheet_safe
from segmentation.data.schema import LABEL_COLUMNS, SPENDING_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from segmentation.classify.persistence import LoadedClassifier

#: Folds of ``--cv``: 2 at least; 10 at most, as the nested grid searches fit about cv²
#: models per setting (--cv 20 took over two minutes on the course data) for little gain.
CV_RANGE = (2, 10)
#: Decimals of the scores printed by ``classify``, and of the probabilities ``predict`` writes.
DIGITS = 3
PROBABILITY_FORMAT = "%.6f"


_SUMMARY = "compare classifiers of a label (Channel) by cross-validation; save the best"
_DESCRIPTION = (
    "Compare the course's classifiers (majority, logistic regression, decision tree, random "
    "forest, gradient boosting) by nested cross-validation on a customer file, print their "
    "scores, and save the best (by F1, macro) as a skops file, never a pickle."
)


class ClassifyInputError(ValueError):
    """Customers that a classifier cannot be learnt from; the message names the file."""


def add_classify(commands: Any) -> None:
    """The ``classify`` command's arguments."""
    command = commands.add_parser("classify", help=_SUMMARY, description=_DESCRIPTION)
    command.add_argument("data", metavar="DATA.csv", help="the customers, with the label")
    low, high = CV_RANGE
    options: list[tuple[tuple[str, ...], dict[str, Any]]] = [
        (("--target",), {"required": True, "help": f"the label: {' or '.join(LABEL_COLUMNS)}"}),
        (
            ("-o", "--output"),
            {
                "required": True,
                "metavar": "CLASSIFIER.skops",
                "help": "where to save the best classifier (- for standard output)",
            },
        ),
        (
            ("--cv",),
            {
                "type": int,
                "default": 5,
                "help": f"folds, {low} to {high} (default 5): the nested cross-validation fits "
                "about cv² models per setting, so more folds take much longer for little gain; "
                "every class needs at least cv + 2 customers",
            },
        ),
        (
            ("--seed",),
            {
                "type": int,
                "default": 0,
                "help": "seed of the folds and the models, 0 to 2**32 - 1 (default 0)",
            },
        ),
    ]
    for flags, settings in options:
        command.add_argument(*flags, **settings)
    cli._max_spending_option(command)
    command.set_defaults(run=run_classify)


def check_classify_arguments(args: argparse.Namespace) -> None:
    """``--target``, ``--cv`` and ``--seed`` within their ranges (else exit 2)."""
    from segmentation.model.inputs import SEED_RANGE

    if args.target not in LABEL_COLUMNS:
        kind = "a spending category, a feature" if args.target in SPENDING_COLUMNS else "no label"
        raise cli.UsageError(
            f"--target must be a label column, {' or '.join(LABEL_COLUMNS)}; "
            f"'{shown_path(args.target)}' is {kind}."
        )
    for option, value, (low, high) in (
        ("--cv", args.cv, CV_RANGE),
        ("--seed", args.seed, SEED_RANGE),
    ):
        if not low <= value <= high:
            raise cli.UsageError(
                f"{option} must be from {low:,} to {high:,}; got {cli._shown_value(value)}."
            )


def run_classify(args: argparse.Namespace, outcome: Any) -> int:
    """Compare the classifiers, save the best, then print the table of scores."""
    output = cli._output(args.output, args.data)
    customers = cli._read(args.data, max_spending=cli._model_limit(args))
    y = checked_labels(customers, args.data, args.target, args.cv)
    X = customers[list(SPENDING_COLUMNS)]
    from segmentation.classify.compare import compare_classifiers
    from segmentation.classify.persistence import classifier_bytes

    def progress(line: str) -> None:
        cli._say(f"  {line}", "stderr", "the progress")

    cli._say(f"Comparing classifiers of {args.target} on {shown_path(args.data)}:", "stderr")
    found = compare_classifiers(X, y, cv=args.cv, random_state=args.seed, progress=progress)
    progress(f"refitting {found.best_name} on all {len(customers):,} customers")
    best = found.fit_best(X, y)
    row = found.table.loc[found.best_name]
    content = classifier_bytes(
        best,
        features=SPENDING_COLUMNS,
        target=args.target,
        classes=best.classes_,
        scores={str(k): float(v) for k, v in row.items() if isinstance(v, float)},
        name=found.best_name,
    )
    if output is None:
        cli._to_standard_output(lambda out: out.write(content), "the classifier", outcome)
    else:
        cli.write_atomically(output, content)
    outcome.written = f"the classifier was written to {cli._where(output)}"
    stream = cli._summary_stream(output)
    cli._say(comparison_text(found.table), stream)
    cli._say(
        f"Best by mean F1 (macro): {found.best_name}, refitted on all {len(customers):,} "
        f"customers of {shown_path(args.data)}; saved to {cli._where(output)}.",
        stream,
    )
    return 0


def checked_labels(customers: pd.DataFrame, path: str, target: str, cv: int) -> np.ndarray:
    """The target column as an array, refused (naming the file) when a classifier cannot be
    learnt from it: missing, one class only, or too few customers of a class for the folds."""
    shown = shown_path(path)
    if target not in customers:
        raise ClassifyInputError(
            f"{shown} has no {target} column, so there is nothing to learn to predict; "
            f"add the column (one value per customer) or choose another --target."
        )
    counts = customers[target].value_counts()
    counts = counts[counts > 0]
    if len(counts) < 2:
        only = f"every customer is {counts.index[0]}" if len(counts) else "it is empty"
        raise ClassifyInputError(
            f"{shown}: the {target} column holds one class only ({only}), so there is "
            "nothing to predict; use a file with customers of at least two classes."
        )
    from segmentation.classify.compare import fewest_for_cv

    fewest, needed = int(counts.min()), fewest_for_cv(cv)
    if fewest < needed:
        rarest = shown_path(str(counts.idxmin()))
        lower = fewest - (needed - cv)  # the largest --cv this class allows
        what = "add customers"
        if lower >= CV_RANGE[0]:
            what = f"lower --cv to {lower} or {what}"
        raise ClassifyInputError(
            f"{shown}: too few customers of {target} {rarest} for --cv {cv}: {what} (it has "
            f"{fewest}; nested cross-validation with --cv {cv} needs at least {needed} of every "
            f"class, so that each training part keeps {cv})."
        )
    return np.asarray(customers[target].astype(object))


def comparison_text(table: pd.DataFrame) -> str:
    """The comparison as a table to print: each score as its mean over the folds and its
    standard deviation, rounded."""
    from segmentation.classify.compare import METRICS, PARAMETERS

    shown = table[[]].copy()
    for metric in METRICS:
        mean, std = table[f"{metric} mean"], table[f"{metric} std"]
        shown[metric] = [
            f"{m:.{DIGITS}f} (sd {s:.{DIGITS}f})" for m, s in zip(mean, std, strict=True)
        ]
    shown[PARAMETERS] = table[PARAMETERS]
    return "\n".join(line.rstrip() for line in shown.to_string().splitlines())


# --- predict with a classifier -----------------------------------------------------------------


def predict_classes(
    args: argparse.Namespace,
    classifier: LoadedClassifier,
    customers: pd.DataFrame,
    output: Path | None,
    outcome: Any,
) -> int:
    """``predict`` with a classifier file: the predicted target and each class's probability."""
    if output is None:
        counts = cli._to_standard_output(
            lambda out: write_classifications(classifier, customers, out),
            "the predictions",
            outcome,
        )
    else:
        with cli.atomic_output(output) as out:
            counts = write_classifications(classifier, customers, out)
    outcome.written = f"the predictions were written to {cli._where(output)}"
    stream = cli._summary_stream(output)
    cli._say(
        f"Predicted {classifier.target} for {int(counts.sum()):,} customers of "
        f"{shown_path(args.data)} with {classifier.name or 'the classifier'}; wrote "
        + ("them to standard output." if output is None else f"{shown_path(output)}."),
        stream,
    )
    for name, count in zip(classifier.classes, counts, strict=True):
        cli._say(f"  {name}: {count:,}", stream)
    return 0


def write_classifications(
    classifier: LoadedClassifier, customers: pd.DataFrame, out: BinaryIO
) -> np.ndarray:
    """Write ``classifier.predict(customers)`` as UTF-8 CSV a block of customers at a time
    (memory stays that of one block), ids and predicted classes made spreadsheet-safe.

    Returns
    -------
    numpy.ndarray
        How many customers were predicted to be of each class, in the order of ``classes``.
    """
    classes = list(classifier.classes)
    counts = np.zeros(len(classes), dtype=np.int64)
    predicted = classifier.columns[0]
    # At least one block, so that a file without customers is refused as predict refuses it.
    for start in range(0, max(len(customers), 1), MAX_BLOCK_ROWS):
        table = classifier.predict(customers.iloc[start : start + MAX_BLOCK_ROWS])
        found = table[predicted].map({c: i for i, c in enumerate(classes)}).to_numpy(dtype=int)
        counts += np.bincount(found, minlength=len(classes))
        for column in ("id", predicted):
            if column in table:
                table[column] = spreadsheet_safe(table[column])
        text = table.to_csv(index=False, header=start == 0, float_format=PROBABILITY_FORMAT)
        out.write(text.encode("utf-8", errors="backslashreplace"))
    return counts
