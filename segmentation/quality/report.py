"""The data-quality report of a customer table: what is missing, zero, extreme or repeated,
and what the course would do about each.

Per spending column: the missing values, the zeros, and the outliers by Tukey's fences on the
log scale (:func:`~segmentation.quality.outliers.tukey_flags`: more than 1.5 interquartile
ranges beyond the quartiles of ``log(1 + x)``, the scale the course clusters on). For the
table: exact duplicate rows, and the customers extreme in several categories at once. The
report prints as text, as a table, or as one self-contained HTML page (no script, no remote
resource, every value escaped).

Examples
--------
>>> from segmentation.data.shipped import load_customers
>>> report = quality_report(load_customers())
>>> report.table()["outliers"].tolist()
[16, 4, 2, 10, 2, 14]
>>> report.extreme
(66, 67, 76, 129, 155)
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from segmentation.data.output import shown_path
from segmentation.data.problems import (
    CustomerFileError,
    Validation,
    plural,
    shown_filename,
    shown_value,
)
from segmentation.data.schema import LABEL_COLUMNS, SPENDING_COLUMNS
from segmentation.quality.outliers import FENCE_FACTOR, MIN_CATEGORIES, tukey_flags

#: A customer outside the fences in at least this many categories is "extreme": the
#: definition of notebook 9 and :func:`~segmentation.quality.outliers.extreme_customers`.
EXTREME_CATEGORIES = MIN_CATEGORIES
#: How many customer ids a finding names before it says "and N more".
FIRST_IDS = 5
#: The width of the printed report's sentences (the table is as wide as it needs).
TEXT_WIDTH = 88
#: The k of the model's KNN imputation (``SegmentationModel(missing="impute")``).
IMPUTATION_NEIGHBOURS = 5
#: Below this many customers with a value in a column, its quartiles, and so Tukey's fences,
#: rest on too few values to say what is unusual: the report says so.
MIN_FENCE_CUSTOMERS = 20

#: The columns of :meth:`QualityReport.table`.
TABLE_COLUMNS = (
    "column",
    "missing",
    "missing share",
    "zeros",
    "outliers",
    "low",
    "high",
    "first outliers (ids)",
)


@dataclass(frozen=True)
class ColumnQuality:
    """The findings in one spending column.

    ``outlier_ids`` are the ids of the customers outside the fences, in table order;
    ``low`` and ``high`` count those below the lower fence and above the upper one. When the
    quartiles of the column are equal on the log scale, its fences collapse onto that value:
    ``collapsed_at`` is the value (m.u.), ``would_flag`` how many other values the fences
    would flag, and none of them is counted as an outlier."""

    column: str
    missing: int
    zeros: int
    low: int
    high: int
    outlier_ids: tuple[Any, ...]
    collapsed_at: float | None = None
    would_flag: int = 0

    @property
    def outliers(self) -> int:
        return self.low + self.high


@dataclass(frozen=True)
class QualityReport:
    """The data-quality report of a customer table (see :func:`quality_report`).

    ``duplicates`` holds one tuple of ids per group of identical rows (the same Channel,
    Region and spending; a missing value matches a missing value); ``extreme`` the ids of
    the customers outside the fences in at least ``extreme_categories`` categories;
    ``no_spending`` the ids of the customers with no spending value at all, and
    ``no_spending_rows`` their rows in the file (when read from one). ``notes`` are the
    reader's notes on the file (ignored columns, skipped blank rows, where values were
    missing)."""

    source: str
    customers: int
    columns: tuple[ColumnQuality, ...]
    duplicates: tuple[tuple[Any, ...], ...]
    extreme: tuple[Any, ...]
    extreme_categories: int = EXTREME_CATEGORIES
    no_spending: tuple[Any, ...] = ()
    no_spending_rows: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()

    def table(self) -> pd.DataFrame:
        """One row per spending column: missing values (count and share of the customers),
        zeros, outliers (all, below the lower fence, above the upper one) and the ids of
        the first :data:`FIRST_IDS` outliers."""
        rows = [
            (
                c.column,
                c.missing,
                c.missing / self.customers if self.customers else 0.0,
                c.zeros,
                c.outliers,
                c.low,
                c.high,
                _ids(c.outlier_ids),
            )
            for c in self.columns
        ]
        return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))

    def advice(self) -> list[tuple[str, str]]:
        """Each finding and what the course would do about it, one sentence each, as
        (finding, advice) pairs; one pair saying that all is well when nothing was found."""
        return _advice(self)

    def text(self) -> str:
        """The report as printed by ``segmentation quality``."""
        table = self.table()
        table["missing share"] = table["missing share"].map(lambda share: f"{share:.1%}")
        for column in ("missing", "zeros", "outliers", "low", "high"):
            table[column] = table[column].map(lambda count: f"{count:,}")
        lines = [
            f"Data quality of {self.source}: {plural(self.customers, 'customer')}, "
            f"{len(self.columns)} spending columns.",
            "",
            table.to_string(index=False),
            "",
            *textwrap.wrap(FENCES_TEXT, TEXT_WIDTH),
            "",
            *_notes_text(self.notes),
            "What to do:",
            *(
                line
                for finding, advice in self.advice()
                for line in textwrap.wrap(
                    f"- {finding}: {advice}", TEXT_WIDTH, subsequent_indent="  "
                )
            ),
        ]
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        """The report as one self-contained HTML page (a string): no script, no remote
        resource, every value from the data escaped."""
        return _page(self)


#: How the outliers were found, in words.
FENCES_TEXT = (
    f"Outliers: values outside Tukey's fences on the log scale, that is more than "
    f"{FENCE_FACTOR:g} interquartile ranges below the first quartile or above the third "
    "quartile of log(1 + spending) in their column. A column whose quartiles are equal "
    "(half its customers or more spend the same) has no outliers: its fences would collapse "
    f"onto that value and flag every other one. With fewer than {MIN_FENCE_CUSTOMERS} "
    "customers the fences are unreliable."
)


def _notes_text(notes: tuple[str, ...]) -> list[str]:
    """The reader's notes, for the printed report."""
    if not notes:
        return []
    return [
        "Notes from reading the file:",
        *(
            line
            for note in notes
            for line in textwrap.wrap(f"- {note}", TEXT_WIDTH, subsequent_indent="  ")
        ),
        "",
    ]


def _check_request(customers: pd.DataFrame, extreme_categories: int) -> None:
    """Refuse a threshold that is not a number of categories, or a table without the six
    spending columns, with what to do."""
    if isinstance(extreme_categories, bool) or extreme_categories not in range(
        1, len(SPENDING_COLUMNS) + 1
    ):
        raise ValueError(
            f"extreme_categories must be a whole number from 1 to {len(SPENDING_COLUMNS)}, "
            f"the categories a customer can be extreme in; got {extreme_categories!r}."
        )
    absent = [c for c in SPENDING_COLUMNS if c not in customers]
    if absent:
        raise ValueError(
            f"The customer table has no column {', '.join(absent)}; a data-quality report "
            f"needs the six spending columns: {', '.join(SPENDING_COLUMNS)}."
        )


def quality_report(
    customers: pd.DataFrame | str | PathLike[str],
    *,
    source: str | None = None,
    extreme_categories: int = EXTREME_CATEGORIES,
    max_spending: float | None = None,
) -> QualityReport:
    """The data-quality report of a customer table, or of a customer CSV file.

    Parameters
    ----------
    customers
        A table with the six spending columns (missing values as NaN; an ``id`` column
        names the customers, else the index does), or the path of a customer file, read by
        :func:`read_for_quality`.
    source
        What the report calls the table (default: the file's path, or "the customer table").
    extreme_categories
        A customer outside the fences in at least this many categories is listed as extreme.
    max_spending
        For a file: spending above this is refused as implausible (default: the reader's).

    Returns
    -------
    QualityReport

    Raises
    ------
    CustomerFileError
        A file the reader refuses even so (see :func:`read_for_quality`).

    Examples
    --------
    >>> table = pd.DataFrame({c: [10, 20, 30, 40] for c in SPENDING_COLUMNS})
    >>> table.loc[0, "Milk"] = None
    >>> report = quality_report(table)
    >>> report.table().set_index("column").loc["Milk", ["missing", "missing share"]].tolist()
    [1.0, 0.25]
    >>> report.advice()[0][0]
    '1 value missing (Milk 1)'
    """
    notes: tuple[str, ...] = ()
    rows: tuple[int, ...] = ()
    if not isinstance(customers, pd.DataFrame):
        source = source or shown_path(customers)
        customers, notes, rows = _read_file(customers, max_spending)
    _check_request(customers, extreme_categories)
    ids = customers["id"] if "id" in customers else pd.Series(customers.index, customers.index)
    outside, columns = _outliers(customers, ids)
    return QualityReport(
        source=source or "the customer table",
        customers=len(customers),
        columns=columns,
        duplicates=_duplicates(customers, ids),
        extreme=tuple(ids[outside.sum(axis=1) >= extreme_categories]),
        extreme_categories=extreme_categories,
        no_spending=tuple(ids[customers[list(SPENDING_COLUMNS)].isna().all(axis=1)]),
        no_spending_rows=rows,
        notes=notes,
    )


def _read_file(
    path: str | PathLike[str], max_spending: float | None
) -> tuple[pd.DataFrame, tuple[str, ...], tuple[int, ...]]:
    """The table of a file, the reader's notes, and the rows with no spending value."""
    options = {} if max_spending is None else {"max_spending": max_spending}
    result = read_for_quality(path, **options)
    if not result.ok:
        raise UnreadableFileError(result.filename, result.errors, result.total_errors)
    assert result.frame is not None
    return result.frame, _kept_notes(result), _empty_rows(result)


class UnreadableFileError(CustomerFileError):
    """A customer file that even the quality report cannot read: the reader's problems under
    a heading that says so, then what to do."""

    def _render(self) -> str:
        count = plural(self.total, "problem")
        lines = [f"The file cannot be read as it is: {count} ({shown_filename(self.filename)})."]
        lines += [f"  - {p.describe(self.filename)}" for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"  ... and {self.total - len(self.problems):,} more of the same kinds.")
        lines.append(
            "What to do: correct the file as each line says, then check it again; the "
            "quality report reports missing values, zeros, outliers and duplicates, but only "
            "in a file it can read."
        )
        return "\n".join(lines)


def read_for_quality(path: str | PathLike[str], **options: Any) -> Validation:
    """A customer file through the checked reader, as a :class:`Validation`, with missing
    spending values read as NaN (``allow_missing=True``): a report on missing values must see
    them rather than refuse the file. A column with no value at all and a customer with no
    spending value at all are findings of the report too, not refusals (the reader's
    ``diagnose=True``). Every other refusal of the reader stays."""
    from segmentation.data.reader import validate_customer_csv

    return validate_customer_csv(path, allow_missing=True, diagnose=True, **options)


#: The reader's notes that the report shows as findings of its own instead.
_FINDINGS_OF_THE_READER = ("every value of the column is missing", "all six spending values")


def _kept_notes(result: Validation) -> tuple[str, ...]:
    """The reader's notes, each as one line with every control or bidi character escaped."""
    return tuple(
        shown_value(note.describe(result.filename), quoted=False, limit=None)
        for note in result.notes
        if not any(phrase in note.message for phrase in _FINDINGS_OF_THE_READER)
    )


def _empty_rows(result: Validation) -> tuple[int, ...]:
    """The file rows on which all six spending values are missing."""
    if result.missing is None or result.missing.empty:
        return ()
    per_row = result.missing.groupby("row", sort=True).size()
    return tuple(int(row) for row in per_row.index[per_row.to_numpy() == len(SPENDING_COLUMNS)])


def _outliers(
    customers: pd.DataFrame, ids: pd.Series
) -> tuple[pd.DataFrame, tuple[ColumnQuality, ...]]:
    """Who lies outside the fences, and each column's findings. A column whose quartiles are
    equal on the log scale has no outliers: its fences collapse onto the common value."""
    outside = tukey_flags(customers, FENCE_FACTOR)
    logged = np.log1p(customers[list(SPENDING_COLUMNS)].astype(float))
    q1, q3 = logged.quantile(0.25), logged.quantile(0.75)
    columns = []
    for c in SPENDING_COLUMNS:
        if q1[c] == q3[c]:  # NaN (no value at all) is never equal
            outside[c] = False
            others = int((logged[c].notna() & (logged[c] != q1[c])).sum())
            # Equal quartiles lie within a run of equal values: the value itself, exactly.
            at = float(customers[c][logged[c] == q1[c]].iloc[0])
            collapse = {"collapsed_at": at, "would_flag": others}
        else:
            collapse = {}
        columns.append(_column(customers[c], outside[c], ids, **collapse))
    return outside, tuple(columns)


def _column(
    values: pd.Series, outside: pd.Series, ids: pd.Series, **collapse: Any
) -> ColumnQuality:
    amounts = values.astype(float)
    # A flagged value lies beyond a fence, and each fence beyond the median.
    below = outside & (amounts < amounts.median())
    return ColumnQuality(
        column=str(values.name),
        missing=int(amounts.isna().sum()),
        zeros=int((amounts == 0).sum()),
        low=int(below.sum()),
        high=int((outside & ~below).sum()),
        outlier_ids=tuple(ids[outside]),
        **collapse,
    )


def _duplicates(customers: pd.DataFrame, ids: pd.Series) -> tuple[tuple[Any, ...], ...]:
    """Groups of rows with the same Channel, Region (when present) and spending."""
    columns = [c for c in LABEL_COLUMNS if c in customers] + list(SPENDING_COLUMNS)
    same = customers[columns].astype(object).where(customers[columns].notna(), None)
    repeated = same.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return ()
    keys = same[repeated].apply(tuple, axis=1)
    groups = pd.Series(ids[repeated].to_numpy()).groupby(keys.to_numpy(), sort=False)
    return tuple(tuple(group) for _, group in groups)


def _ids(ids: tuple[Any, ...] | list[Any], first: int = FIRST_IDS) -> str:
    """The first ``first`` ids, then how many more."""
    # An id is text from the file: a control or bidi character in it is shown escaped
    # (\x1b, \u202e), as file names are, never sent raw to a terminal or a page.
    shown = ", ".join(shown_value(str(i), quoted=False) for i in ids[:first])
    more = len(ids) - first
    return f"{shown} and {more:,} more" if more > 0 else shown


def _named(ids: tuple[Any, ...]) -> str:
    """ "id 7" or "ids 3, 4"."""
    return f"id{'' if len(ids) == 1 else 's'} {_ids(ids)}"


def _by_column(counts: dict[str, int]) -> str:
    return ", ".join(f"{column} {count:,}" for column, count in counts.items() if count)


#: What the course would do about each kind of finding in a column: the
#: :class:`ColumnQuality` count, the word counted, what follows the count, the advice.
COLUMN_ADVICE = (
    (
        "missing",
        "value",
        " missing",
        "read the file with --allow-missing (allow_missing=True); a model made with "
        f'missing="impute" fills them from the {IMPUTATION_NEIGHBOURS} nearest customers on '
        "the log scale, and marks those customers' segments as based on imputed values.",
    ),
    (
        "zeros",
        "zero",
        "",
        "keep them, as a zero says the customer bought none of that category; log(1 + x) "
        "keeps it at 0, often below the lower fence.",
    ),
    (
        "outliers",
        "outlier",
        "",
        "keep them: on the log scale their values barely move the segments (notebook 9: "
        "capping them at the fences moves 5% of the customers), and most are real small "
        "buyers of a category; look by hand at the customers extreme in several categories.",
    ),
)


def _advice(report: QualityReport) -> list[tuple[str, str]]:
    said = _empty_findings(report)
    empty = {c.column for c in report.columns if report.customers and c.missing == report.customers}
    for count, word, after, advice in COLUMN_ADVICE:
        counts = {c.column: getattr(c, count) for c in report.columns if c.column not in empty}
        if count == "missing":  # a customer with no value at all is a finding of its own
            counts = {c: n - len(report.no_spending) for c, n in counts.items()}
        if sum(counts.values()):
            finding = f"{plural(sum(counts.values()), word)}{after} ({_by_column(counts)})"
            said.append((finding, advice))
    said += _fence_findings(report, empty)
    if report.duplicates:
        groups = "; ".join(_named(group) for group in report.duplicates[:FIRST_IDS])
        more = len(report.duplicates) - FIRST_IDS
        said.append(
            (
                f"{plural(len(report.duplicates), 'group')} of identical rows ({groups}"
                f"{f'; and {more:,} more groups' if more > 0 else ''})",
                "check whether they are the same customer entered twice; if so, keep one "
                "row, else they are different customers who happen to buy the same.",
            )
        )
    if report.extreme:
        said.append(
            (
                f"{plural(len(report.extreme), 'customer')} extreme in "
                f"{report.extreme_categories} or more categories ({_named(report.extreme)})",
                "look at them by hand; correct or remove a typing or unit error, keep a real "
                "customer and read its segment with care.",
            )
        )
    return said or [("nothing found", "no missing values, zeros, outliers or duplicates.")]


def _empty_findings(report: QualityReport) -> list[tuple[str, str]]:
    """Columns with no value at all, and customers with no spending value at all."""
    said = [
        (
            f"{c.column} 100% missing (all {plural(report.customers, 'customer')})",
            "fill the column in from the source of the data (0 where a customer bought "
            "nothing in it): no value can be estimated from none, and the course segments "
            "on all six categories.",
        )
        for c in report.columns
        if report.customers and c.missing == report.customers
    ]
    if report.no_spending:
        where = (
            f"row{'' if len(report.no_spending_rows) == 1 else 's'} {_ids(report.no_spending_rows)}"
            if report.no_spending_rows
            else _named(report.no_spending)
        )
        said.append(
            (
                f"{plural(len(report.no_spending), 'customer')} with no spending value at "
                f"all ({where})",
                "such a customer cannot be segmented, as nothing is known of its spending: "
                "fill in its values from the source of the data, or delete the row.",
            )
        )
    return said


def _fence_findings(report: QualityReport, empty: set[str]) -> list[tuple[str, str]]:
    """Where Tukey's fences say little: a column whose fences collapse, and columns with
    too few values for quartiles to mean much."""
    said = [
        (
            f"{c.column}'s fences collapse",
            f"half or more of its customers spend the same ({_money(c.collapsed_at)} m.u.), "
            f"so its quartiles are equal and the fences would flag all {c.would_flag:,} "
            "other values; none is counted as an outlier. Look at that column's other values "
            "by hand.",
        )
        for c in report.columns
        if c.collapsed_at is not None and c.would_flag
    ]
    few = {
        c.column: report.customers - c.missing
        for c in report.columns
        if c.column not in empty and report.customers - c.missing < MIN_FENCE_CUSTOMERS
    }
    if few:
        said.append(
            (
                "too few customers for Tukey's fences ("
                + (
                    f"only {plural(min(few.values()), 'customer')} with a value"
                    if len(set(few.values())) == 1 and len(few) + len(empty) == len(report.columns)
                    else f"with a value: {_by_column(few)}"
                )
                + ")",
                f"the fences need at least {MIN_FENCE_CUSTOMERS} customers with a value in a "
                "column: below that the quartiles rest on a handful of values (with one or "
                "two, no value can lie outside them), so the outlier counts are unreliable; "
                "look at the values by hand.",
            )
        )
    return said


def _money(value: float | None) -> str:
    """An amount in m.u.: whole with thousands separators, else to two decimals."""
    if value is None:
        return ""
    value = round(float(value), 2)  # back from the log scale: 20, not 20.000000000000004
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"


def _notes_page(notes: tuple[str, ...], html: Any, join: Any) -> Any:
    """The reader's notes as a list on the page (escaped), or nothing."""
    if not notes:
        return html("")
    items = join(html("<li>{}</li>", note) for note in notes)
    return html("<h2>Notes from reading the file</h2><ul>{}</ul>", items)


def _page(report: QualityReport) -> str:
    # The course's HTML helpers escape every value put in; imported here, as they bring
    # matplotlib with them, which the text report does not need.
    from segmentation.report.html import _CSS, _html, _join

    table = report.table()
    head = _join(_html("<th scope='col'>{}</th>", column) for column in TABLE_COLUMNS)
    rows = _join(
        _html(
            "<tr><th scope='row'>{}</th><td>{:,}</td><td>{:.1%}</td><td>{:,}</td><td>{:,}</td>"
            "<td>{:,}</td><td>{:,}</td><td>{}</td></tr>",
            *row,
        )
        for row in table.itertuples(index=False)
    )
    advice = _join(
        _html("<li><b>{}</b>: {}</li>", finding, said) for finding, said in report.advice()
    )
    parts = [
        _html("<!DOCTYPE html>"),
        _html("<html lang='en'><head><meta charset='utf-8'>"),
        _html("<meta name='viewport' content='width=device-width, initial-scale=1'>"),
        _html("<title>Data quality: {}</title>", report.source),
        _html("<style>{}</style></head><body><main>", _CSS),
        _html("<h1>Data quality of {}</h1>", report.source),
        _html(
            "<p class='lead'>{}, {} spending columns.</p>",
            plural(report.customers, "customer"),
            len(report.columns),
        ),
        _html("<h2>Each spending column</h2>"),
        _html(
            "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table><p class='small'>{}</p>",
            head,
            rows,
            FENCES_TEXT,
        ),
        _html("<h2>What to do</h2><ul>{}</ul>", advice),
        _notes_page(report.notes, _html, _join),
        _html("</main></body></html>"),
    ]
    return "\n".join(parts) + "\n"
