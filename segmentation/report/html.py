"""A segmentation report for people who act on it: one self-contained HTML page.

Sizes, profiles, names and strategies of the segments that a model finds in a customer table,
with the plots embedded (PNG in the page), and the model's quality in plain words. The page
needs no network, no script and no other file, so it can be mailed or opened anywhere.
"""

from __future__ import annotations

import base64
import html
import io
import string
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from segmentation import __version__
from segmentation.cluster.numbering import segment_profile
from segmentation.data.problems import plural
from segmentation.model.evaluation import (
    SILHOUETTE_SCALE_TEXT,
    silhouette_band,
    silhouette_reading,
)
from segmentation.model.naming import CATEGORY_WORDS, NAMING_INDEX, channel_words
from segmentation.model.persistence import data_checksum
from segmentation.model.pipeline import SegmentationModel
from segmentation.viz.plots import cluster_colour


def segment_summary(
    model: SegmentationModel, customers: pd.DataFrame, segments: np.ndarray | None = None
) -> pd.DataFrame:
    """Per segment of ``customers`` as the model segments them (``segments``, if already
    predicted): name, customers, their share, mean total spending, the share of Retail
    customers among those whose Channel is known (if the table has a Channel column) and mean
    spending per category (m.u.).

    A Channel value that names no channel (see :func:`~segmentation.model.naming.channel_words`)
    counts as unknown."""
    if segments is None:
        segments = model.segment_of(customers)
    profile = segment_profile(customers, segments).reindex(range(len(model.segments)))
    counts = np.bincount(segments, minlength=len(model.segments))
    totals = pd.Series(customers[list(model.features_in_)].sum(axis=1).to_numpy(dtype=float))
    table = pd.DataFrame(
        {
            "name": model.names,
            "customers": counts,
            "share": counts / counts.sum(),
            "mean total": totals.groupby(segments).mean().reindex(range(len(model.segments))),
        }
    )
    if "Channel" in customers:
        channel = pd.Series(channel_words(customers["Channel"]))
        retail = (channel == "Retail").astype(float).where(channel.notna())
        table["Retail share"] = retail.groupby(segments).mean().reindex(range(len(model.segments)))
    table = pd.concat([table, profile[list(model.features_in_)]], axis=1)
    table.index.name = "segment"
    return table


def build_report(
    model: SegmentationModel,
    customers: pd.DataFrame,
    *,
    source: str = "the customer table",
    model_source: str = "the model",
) -> str:
    """The report as one HTML page (a string).

    Every number says where it comes from: the segments' names, channel shares and strategies,
    the silhouette and the stability were measured on the training data when the model was
    fitted; sizes, means, charts and the agreement with Channel on ``customers`` (``source``).
    When ``customers`` are the training data themselves, the page says so once.

    Every value put in the page (from the model, the customers or the file names) is escaped,
    so that none can become a tag, a script or an attribute; names are drawn into the charts
    as plain text.

    Missing spending (NaN) is taken from the centre of the segment each customer is assigned
    to by its observed spending (:meth:`SegmentationModel.fill_missing`); the page says how
    many values, of which customers and columns, and whether the model's training data had
    values filled. The training data is recognised with its gaps (as the model was fitted).

    Memory grows with the customers, not with customers times k: the segments are found a
    block of customers at a time (:meth:`SegmentationModel.segment_of`).
    """
    origin = _Origin(model, customers, source)  # before filling: the checksum is of the gaps
    holes = customers[list(model.features_in_)].isna()
    if holes.to_numpy().any():
        customers = model.fill_missing(customers)
    segments = model.segment_of(customers)
    summary = segment_summary(model, customers, segments)
    parts = [
        _html("<!DOCTYPE html>"),
        _html("<html lang='en'><head><meta charset='utf-8'>"),
        _html("<meta name='viewport' content='width=device-width, initial-scale=1'>"),
        _html("<title>Customer segments: {}</title>", source),
        _html("<style>{}</style></head><body><main>", _CSS),
        _html("<h1>Customer segments</h1>"),
        _lead(model, customers, summary, origin),
        _missing_values(model, holes, origin),
        _html("<h2>The segments at a glance</h2>"),
        _segment_cards(model, summary, origin),
        _html("<h2>How large each segment is</h2>"),
        _image(
            _sizes_figure(summary), f"Bar chart of the number of customers of {source} per segment"
        ),
        *_what_each_segment_buys(model, customers, summary, origin),
        _html("<h2>The segments on a map of two categories</h2>"),
        _image(
            _scatter_figure(model, customers, segments),
            "Scatter plot of the customers by grocery and fresh spending, coloured by segment",
        ),
        _html("<h2>How much to trust the segments</h2>"),
        _evaluation(model, customers, segments, origin),
        _html("<h2>About this report</h2>"),
        _about(model, origin, model_source),
        _html("</main></body></html>"),
    ]
    return "\n".join(parts) + "\n"


# --- writing HTML --------------------------------------------------------------------------------


class _Markup(str):
    """HTML made by :func:`_html`: it goes into a page as it is."""


class _Escaping(string.Formatter):
    """str.format that escapes every value it puts in, except HTML made by :func:`_html`."""

    def format_field(self, value: Any, format_spec: str) -> str:
        text = super().format_field(value, format_spec)
        return text if isinstance(value, _Markup) else html.escape(text)


def _html(template: str, /, *args: Any, **values: Any) -> _Markup:
    """``template`` (HTML written in this module) with ``values`` put in as str.format does,
    each escaped unless it is HTML made here: a name, a number or a file name shows as the
    text it is, whatever characters it holds. The page is built from these pieces only."""
    return _Markup(_Escaping().format(template, *args, **values))


def _join(pieces: Iterable[_Markup]) -> _Markup:
    """Pieces of HTML one after another (text among them is escaped)."""
    return _Markup("".join(_html("{}", piece) for piece in pieces))


# --- parts of the page ---------------------------------------------------------------------------


class _Origin:
    """Where the numbers of a report come from: the training data, and the file reported on."""

    def __init__(self, model: SegmentationModel, customers: pd.DataFrame, source: str) -> None:
        count = model.training.get("customers")
        name = model.training.get("source")
        self.training = (
            f"{count:,} customers" if isinstance(count, int) else "its training data"
        ) + (f" of {name}" if name else "")
        raw = customers[list(model.features_in_)].to_numpy(dtype=float)
        self.same = model.training.get("data_sha256") == data_checksum(raw, model.features_in_)
        self.source = source
        self.here = f"{source} (the training data)" if self.same else source


def _lead(
    model: SegmentationModel, customers: pd.DataFrame, summary: pd.DataFrame, origin: _Origin
) -> _Markup:
    k = plural(len(model.segments), "segment")
    if origin.same:
        where = _html(
            "{} of <b>{}</b>, the data the model was fitted on, fall into its "
            "<b>{}</b> by what they buy.",
            plural(len(customers), "customer"),
            origin.source,
            k,
        )
    else:
        empty = [str(j) for j in range(len(model.segments)) if summary.loc[j, "customers"] == 0]
        none_here = (
            f" Segment{'s' if len(empty) > 1 else ''} {', '.join(empty)} "
            f"hold{'s' if len(empty) == 1 else ''} none of them."
            if empty
            else ""
        )
        where = _html(
            "{customers} of <b>{source}</b>, placed in the <b>{k}</b> of a model "
            "fitted on {training}.{none_here} Names, channel shares and strategies "
            "come from the training data; the counts, means and charts from "
            "{source}.",
            customers=plural(len(customers), "customer"),
            source=origin.source,
            k=k,
            training=origin.training,
            none_here=none_here,
        )
    return _html(
        "<p class='lead'>{where} Each segment's name says how much its customers "
        "spend compared with the other segments, which categories they buy clearly "
        "more of than the average customer (a share of their budget at least {index:g} "
        'times the average share; "broad basket" when none is), and, when the '
        "training data gave the sales channel, how many of them are Retail or Horeca. "
        "Each has a suggested strategy that fits that mix.</p>",
        where=where,
        index=NAMING_INDEX,
    )


def _missing_values(model: SegmentationModel, holes: pd.DataFrame, origin: _Origin) -> _Markup:
    """What the page says of filled values: those of the customers reported on, and those
    of the model's training data (recorded by a fit with missing="impute")."""
    parts = []
    count = int(holes.to_numpy().sum())
    if count:
        columns = ", ".join(f"{c} {n:,}" for c, n in holes.sum().items() if n)
        parts.append(
            _html(
                "<p><b>Missing values:</b> {values} of {customers} of {source} {were} missing "
                "({columns}). Each was taken from the centre of the segment the customer is "
                "assigned to by its observed spending; the counts, means and charts below "
                "include these filled values.</p>",
                values=plural(count, "spending value"),
                were="was" if count == 1 else "were",
                customers=plural(int(holes.any(axis=1).sum()), "customer"),
                source=origin.source,
                columns=columns,
            )
        )
    record = getattr(model, "missing_", None) or {}
    if record.get("setting") == "impute" and record.get("imputed_values"):
        parts.append(
            _html(
                "<p><b>Imputed training data:</b> the model was fitted on {training} of "
                "which {values} of {customers} {were} missing and filled by the mean of their "
                "nearest customers (k-nearest neighbours on the log scale). Its names and "
                "measures rest partly on these filled values.</p>",
                training=origin.training,
                values=plural(int(record["imputed_values"]), "spending value"),
                were="was" if int(record["imputed_values"]) == 1 else "were",
                customers=plural(int(record.get("imputed_customers", 0)), "customer"),
            )
        )
    return _join(parts)


_CSS = _Markup("""
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222; margin: 0;
       background: #fafafa; line-height: 1.45; }
main { max-width: 980px; margin: 0 auto; padding: 24px; background: white; }
h1 { margin-top: 0; } h2 { margin-top: 32px; border-bottom: 1px solid #ddd; }
.lead { font-size: 1.1em; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 12px; }
.card { border: 1px solid #ddd; border-left: 8px solid var(--colour); border-radius: 6px;
        padding: 10px 14px; }
.card h3 { margin: 0 0 4px 0; font-size: 1.05em; }
.card .numbers { color: #555; font-size: 0.92em; }
table { border-collapse: collapse; margin: 8px 0; font-size: 0.92em; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; height: auto; }
.small { font-size: 0.85em; color: #555; }
""")


def _segment_cards(model: SegmentationModel, summary: pd.DataFrame, origin: _Origin) -> _Markup:
    cards = []
    for segment in model.segments:
        row = summary.loc[segment.number]
        retail = (
            ""
            if "Retail share" not in row or pd.isna(row["Retail share"])
            else f"; {row['Retail share']:.0%} Retail customers"
        )
        here = (
            "no customers"
            if row["customers"] == 0
            else (
                f"{plural(int(row['customers']), 'customer')} ({row['share']:.0%}); mean total "
                f"{row['mean total']:,.0f} m.u. a year{retail}"
            )
        )
        if origin.same:
            numbers = _html("{}", f"{here[0].upper()}{here[1:]}.")
        else:
            shown = "" if segment.retail_share is None else f", {segment.retail_share:.0%} Retail"
            numbers = _html(
                "In {}: {}.<br>In the training data: {}{}.",
                origin.source,
                here,
                plural(segment.customers, "customer"),
                shown,
            )
        cards.append(
            _html(
                "<section class='card' style='--colour:{colour}'><h3>{number}. {name}</h3>"
                "<div class='numbers'>{numbers}</div><p><b>Strategy:</b> {strategy}</p></section>",
                colour=cluster_colour(segment.number),
                number=segment.number,
                name=segment.name,
                numbers=numbers,
                strategy=segment.strategy,
            )
        )
    return _html("<div class='cards'>{}</div>", _join(cards))


def _what_each_segment_buys(
    model: SegmentationModel, customers: pd.DataFrame, summary: pd.DataFrame, origin: _Origin
) -> list[_Markup]:
    """The section of the page on each segment's spending: heading, text, table and charts."""
    return [
        _html("<h2>What each segment buys</h2>"),
        _html(
            "<p>Mean annual spending per category of the customers of {here}, in monetary "
            "units (m.u.). The second chart compares shares: each segment's share of its "
            "budget spent on a category, divided by the average customer's share. The solid "
            "line at 1 is the average share; above it, a segment spends a larger part of its "
            "budget on that category than customers do on average. The dashed line at "
            "{index:g} is where a name starts to name a category (the names were given by "
            "this rule on the training data).</p>",
            here=origin.here,
            index=NAMING_INDEX,
        ),
        _profile_table(model, summary, origin),
        _image(
            _profile_figure(model, summary, customers),
            "Charts of mean spending and relative spending per category and segment",
        ),
    ]


def _profile_table(model: SegmentationModel, summary: pd.DataFrame, origin: _Origin) -> _Markup:
    head = _join(_html("<th scope='col'>{}</th>", CATEGORY_WORDS[c]) for c in model.features_in_)
    rows = []
    for segment in model.segments:
        cells = _join(
            _html("<td>–</td>") if pd.isna(v) else _html("<td>{:,.0f}</td>", v)
            for v in summary.loc[segment.number, list(model.features_in_)]
        )
        rows.append(
            _html("<tr><th scope='row'>{}. {}</th>{}</tr>", segment.number, segment.name, cells)
        )
    return _html(
        "<table><caption>Mean annual spending (m.u.), customers of {}</caption>"
        "<thead><tr><th scope='col'>segment</th>{}</tr></thead><tbody>{}</tbody>"
        "</table>",
        origin.here,
        head,
        _join(rows),
    )


def _about(model: SegmentationModel, origin: _Origin, model_source: str) -> _Markup:
    return _html(
        "<p class='small'>Model: {source} (k = {k}, features {features}, {space} "
        "spending, scaled; {engine}). Trained on {training}. Made with customer-segmentation "
        "{version}.</p>",
        source=model_source,
        k=len(model.segments),
        features=", ".join(model.features_in_),
        space="log" if model.transform_ == "log" else "raw",
        engine=_engine(model),
        training=origin.training,
        version=__version__,
    )


def _engine(model: SegmentationModel) -> str:
    """How the centres were found, in words (plain text: the caller escapes it)."""
    if model.algorithm_ == "spark":
        return f"k-means on Apache Spark MLlib, seed {model.random_state_}"
    return (
        f"k-means: {model.algorithm_}, seed {model.random_state_}, "
        f"best of {model.n_init_} random starts"
    )


#: What each reading of the silhouette means for the people who use the segments.
_SEPARATION_ADVICE = {
    "strong structure": " The segments are clearly apart.",
    "reasonable structure": " The segments are apart, with some customers near their borders.",
    "weak structure, possibly artificial": (
        " The segments overlap: many customers lie between two of them. Treat them as useful "
        "cuts of a continuum, with soft borders, rather than as natural groups."
    ),
    "no substantial structure": (
        " The customers form no distinct groups: the segments are cuts of a continuum, useful "
        "only as far as the business needs such cuts."
    ),
}

#: Below this many customers with a known channel, an agreement with Channel is not read:
#: with a handful of customers, chance alone gives any value (4 customers can agree 1.00).
FEW_FOR_AGREEMENT = 30
#: How an agreement with Channel (adjusted Rand index) is read: from 0.8 the segments nearly
#: are the channels; below 0.1 they are little more related to them than chance.
CHANNEL_AGREEMENT = (
    (
        0.8,
        (
            "The segments nearly are the sales channels: they add little to "
            "what the Channel column already says."
        ),
    ),
    (
        0.1,
        (
            "The segments follow the channel in part: they also separate "
            "customers by what and how much they buy."
        ),
    ),
    (
        -1.0,
        (
            "The segments have little to do with the channel: they separate "
            "customers by what and how much they buy instead."
        ),
    ),
)


def _evaluation(
    model: SegmentationModel, customers: pd.DataFrame, segments: np.ndarray, origin: _Origin
) -> _Markup:
    trained, here = [], []
    evaluation = model.evaluation
    if evaluation is not None:
        band, _ = silhouette_band(evaluation.silhouette)
        trained.append(
            _html(
                "<li><b>Separation</b>: silhouette not defined (it needs at least two "
                "segments).</li>"
            )
            if evaluation.silhouette is None
            else _html(
                "<li><b>Separation</b>: silhouette {value:.3f}, from -1 to 1: "
                "<b>{reading}</b> ({scale}).{advice}</li>",
                value=evaluation.silhouette,
                reading=silhouette_reading(evaluation.silhouette),
                scale=SILHOUETTE_SCALE_TEXT,
                advice=_SEPARATION_ADVICE.get(band, ""),
            )
        )
        trained.append(
            _html(
                "<li><b>Stability</b>: refitting with {seeds} other seeds (each the best of "
                "{starts} random starts, as the model was) gives the same segments to an "
                "agreement of {mean:.2f} on average (lowest {lowest:.2f}; 1 means identical).</li>",
                seeds=evaluation.seeds,
                starts=model.n_init_,
                mean=evaluation.stability,
                lowest=evaluation.stability_min,
            )
        )
    if "Channel" in customers and len(model.segments) > 1:
        here.append(_channel_agreement(customers, segments))
    if origin.same:
        lists = [(f"From {origin.here}:", trained + here)]
    else:
        lists = [
            (f"From the training data ({origin.training}), when the model was fitted:", trained),
            (f"From {origin.source} ({plural(len(customers), 'customer')}):", here),
        ]
    shown = _join(
        _html("<p>{}</p><ul>{}</ul>", title, _join(items)) for title, items in lists if items
    )
    return shown or _html("<p>No evaluation is stored with this model.</p>")


def _channel_agreement(customers: pd.DataFrame, segments: np.ndarray) -> _Markup:
    """The agreement of the segments with Channel, read only when it can say something."""
    from sklearn.metrics import adjusted_rand_score

    channel = pd.Series(channel_words(customers["Channel"]))
    known = channel.notna().to_numpy()
    if known.sum() < FEW_FOR_AGREEMENT:
        said = (
            f"only {plural(int(known.sum()), 'customer')} with a known channel: too few "
            f"to measure how far the segments follow it (from {FEW_FOR_AGREEMENT} on)."
        )
    elif channel[known].nunique() < 2 or len(np.unique(segments[known])) < 2:
        said = "not measurable: these customers are all of one channel, or all in one segment."
    else:
        ari = adjusted_rand_score(channel[known].astype(str), segments[known])
        reading = next(text for lowest, text in CHANNEL_AGREEMENT if ari >= lowest)
        said = (
            f"agreement {ari:.2f} with Horeca / Retail (0 = no more than chance, 1 = the "
            f"segments are the channels). {reading}"
        )
    return _html("<li><b>Against the sales channel</b>: {}</li>", said)


# --- the plots -----------------------------------------------------------------------------------


def _image(figure: Figure, alt: str) -> _Markup:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    with warnings.catch_warnings():
        # A name from a model file may hold characters the font lacks (drawn as boxes) or be
        # too long for the picture (drawn without the layout); the page shows it in full, so
        # the picture's shortfall is no reason to warn.
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        warnings.filterwarnings(
            "ignore", message="constrained_layout not applied", category=UserWarning
        )
        figure.savefig(buffer, format="png", dpi=96, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return _html("<img src='data:image/png;base64,{}' alt='{}'>", data, alt)


#: Names longer than this are cut in the charts (a fit gives names of at most 70 or so).
LONGEST_LABEL = 72


def _short(names: Sequence[str]) -> list[str]:
    """Each segment's number and name, as the charts label it."""
    return [
        f"{j}. {name if len(name) <= LONGEST_LABEL else name[: LONGEST_LABEL - 1] + '…'}"
        for j, name in enumerate(names)
    ]


def _sizes_figure(summary: pd.DataFrame) -> Figure:
    figure = Figure(figsize=(8, 0.5 + 0.45 * len(summary)), layout="constrained")
    ax = figure.subplots()
    y = np.arange(len(summary))[::-1]
    ax.barh(y, summary["customers"], color=[cluster_colour(j) for j in range(len(summary))])
    # parse_math off: a name is text, never a formula ("$" would start one in matplotlib).
    ax.set_yticks(y, _short(summary["name"]), parse_math=False)
    for yi, count, share in zip(y, summary["customers"], summary["share"], strict=True):
        ax.text(count, yi, f" {count:,} ({share:.0%})", va="center", fontsize=9)
    ax.set_xlabel("customers")
    ax.set_xlim(0, summary["customers"].max() * 1.25 or 1)
    ax.spines[["top", "right"]].set_visible(False)
    return figure


def _profile_figure(
    model: SegmentationModel, summary: pd.DataFrame, customers: pd.DataFrame
) -> Figure:
    features = list(model.features_in_)
    words = [CATEGORY_WORDS[c] for c in features]
    means = summary[features].to_numpy(dtype=float)
    overall = customers[features].astype(float).sum().to_numpy()
    overall_share = overall / overall.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = (means / means.sum(axis=1, keepdims=True)) / overall_share
    figure = Figure(figsize=(9, 4.2), layout="constrained")
    left, right = figure.subplots(1, 2)
    width = 0.8 / len(model.segments)
    x = np.arange(len(features))
    for j in range(len(model.segments)):
        left.bar(x + j * width, means[j], width, color=cluster_colour(j), label=f"segment {j}")
        right.bar(x + j * width, relative[j], width, color=cluster_colour(j))
    for ax in (left, right):
        ax.set_xticks(x + 0.4 - width / 2, words, rotation=30, ha="right")
        ax.spines[["top", "right"]].set_visible(False)
    left.set_ylabel("mean annual spending (m.u.)")
    right.axhline(1, color="0.3", linewidth=1, label="1: the average share")
    right.axhline(
        NAMING_INDEX,
        color="0.3",
        linewidth=1,
        linestyle="--",
        label=f"{NAMING_INDEX:g}: from here on, a segment's name names the category",
    )
    right.set_ylabel("share of budget / average share")
    # One legend under both charts, where it covers no bar: the segments in the first
    # column, the two lines in the second.
    handles = [h for ax in (left, right) for h in ax.get_legend_handles_labels()[0]]
    figure.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=9, frameon=False)
    return figure


def _scatter_figure(
    model: SegmentationModel, customers: pd.DataFrame, segments: np.ndarray
) -> Figure:
    x_name, y_name = _axes_for(model.features_in_)
    figure = Figure(figsize=(6.5, 5.2), layout="constrained")
    ax = figure.subplots()
    x = customers[x_name].astype(float).to_numpy()
    y = customers[y_name].astype(float).to_numpy()
    sample = (
        np.arange(len(x))
        if len(x) <= 20_000
        else np.sort(np.random.default_rng(0).choice(len(x), 20_000, replace=False))
    )
    for j, label in enumerate(_short(model.names)):
        members = sample[segments[sample] == j]
        ax.scatter(
            x[members] + 1, y[members] + 1, s=10, alpha=0.6, color=cluster_colour(j), label=label
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"{CATEGORY_WORDS[x_name]} spending (m.u. + 1, log scale)")
    ax.set_ylabel(f"{CATEGORY_WORDS[y_name]} spending (m.u. + 1, log scale)")
    # Under the map, at the size of the axis labels: the names are long, and inside the axes
    # the legend would cover customers.
    legend = figure.legend(loc="outside lower center", fontsize=9, frameon=False)
    for text in legend.get_texts():
        text.set_parse_math(False)  # the names are text, never formulas
    return figure


def _axes_for(features: Sequence[str]) -> tuple[str, str]:
    """Grocery against fresh where the model has them: the pair that best separates Retail
    from Horeca customers; otherwise the model's first two features."""
    preferred = [c for c in ("Grocery", "Fresh") if c in features]
    rest = [c for c in features if c not in preferred]
    chosen = (preferred + rest + list(features))[:2]
    return chosen[0], chosen[1]
