"""The k-means explorer: play with the data, k, the start, the seed and the axes, and scrub
through a fit one assignment or update step at a time.

The data is the course's customers, or one of the Part I shapes on which k-means fails (two
moons, unequal sizes, outliers, unscaled), so that a student can watch a failure happen step
by step.

The computing is in plain classes that tests call without a browser: :class:`ExplorerData`
holds one data set as the explorer shows it, :class:`FitSteps` turns one fit into the steps a
student scrubs through, :class:`ExplorerModel` keeps the fits (one per data set, scale, k,
start and seed) and answers "what is shown now" as an :class:`ExplorerState`, and
:class:`ExplorerFigure` draws one state. :class:`KMeansExplorer` only wires widgets to them, and
measures the time from a control change to the new figure.

>>> from segmentation.data.shipped import load_customers
>>> model = ExplorerModel(load_customers())
>>> state = model.state(k=3, init="k-means++", seed=0, scale="log", step=None)
>>> state.summary()
'k = 3, step 25 of 25 (final assignment), J = 1,582.0, sizes 121 / 156 / 163'
>>> model.state(k=3, init="k-means++", seed=0, scale="log", step=0).summary()
'k = 3, step 0 of 25 (start: 3 centres, customers not yet assigned), J not yet defined'
>>> shape = dict(k=2, init="k-means++", seed=0, step=None, data="unscaled")
>>> model.state(scale="standardised", **shape).summary()
'unscaled: k = 2, step 7 of 7 (final assignment), J = 308.3, sizes 150 / 150'
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, ScalarFormatter
from PIL import Image

from segmentation.cluster.kmeans import KMeans
from segmentation.cluster.numbering import number_segments, segment_profile
from segmentation.cluster.steps import objective
from segmentation.course.toy_data import (
    groups_with_outliers,
    moons,
    unequal_groups,
    unscaled_groups,
)
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.preprocessing.spending import (
    log_spending,
    spending,
    spending_scaler,
    total_spending,
)
from segmentation.viz.plots import CENTRE_STYLE, CLUSTER_COLOURS, cluster_colour

log = logging.getLogger(__name__)

#: The start methods, as a student reads them, and as :class:`KMeans` names them.
STARTS = {"random samples": "random", "random points": "uniform", "k-means++": "k-means++"}
#: The scales a student picks, and the transform of :func:`spending_scaler` each stands for.
SCALES = {"log": "log", "raw": "none"}
#: The course's customers, the explorer's first data set.
COURSE = "course data"
#: The Part I shapes on which k-means fails, each with the k at which it fails (the number
#: of groups a student would ask for: the outliers' far points are not a group of their own).
SHAPES: dict[str, tuple[Callable[[], tuple[np.ndarray, np.ndarray]], int]] = {
    "two moons": (moons, 2),
    "unequal sizes": (unequal_groups, 2),
    "outliers": (groups_with_outliers, 3),
    "unscaled": (unscaled_groups, 2),
}
#: Every data set a student can pick, the course data first.
DATA_CHOICES = (COURSE, *SHAPES)
#: The scales of a shape: each feature scaled to unit variance (the course's one scaler,
#: ``spending_scaler("none")``), or the features as they are.
SHAPE_SCALES = ("standardised", "raw")
UNASSIGNED = "#b0b0b0"


@dataclass(frozen=True)
class ExplorerData:
    """One data set as the explorer clusters and draws it.

    Per scale, ``shown`` is what the picture draws and ``scaled`` what k-means clusters;
    ``scalers`` holds the fitted ``StandardScaler`` that takes centres from the second back
    to the first (None when they are the same). Segments are numbered by the course's rule
    (:func:`segmentation.cluster.numbering.number_segments`) on ``order_by``: the customers'
    total spending (segment 0 spends most), or a shape's first feature (cluster 0 lies
    furthest right). A shape has two features, always the two axes, and its true groups.
    """

    name: str
    columns: tuple[str, ...]
    shown: dict[str, pd.DataFrame]
    scaled: dict[str, np.ndarray]
    scalers: dict[str, Any]
    order_by: np.ndarray
    spending: pd.DataFrame | None = None  # the customers' raw spending, for the profile
    truth: np.ndarray | None = None  # a shape's true group of each point

    @property
    def is_shape(self) -> bool:
        return self.truth is not None

    @property
    def scales(self) -> tuple[str, ...]:
        return tuple(self.scaled)

    @property
    def n_samples(self) -> int:
        return len(self.order_by)

    def axes(self, x: str, y: str) -> tuple[int, int]:
        """The columns drawn: categories ``x`` and ``y``, or a shape's two features."""
        if self.is_shape:
            return 0, 1
        return self.columns.index(x), self.columns.index(y)

    def unit(self, scale: str) -> str:
        if self.is_shape:
            return ""
        return " (log(1 + m.u.))" if scale == "log" else " (thousand m.u.)"

    def check_scale(self, scale: str) -> None:
        if scale not in self.scaled:
            raise ValueError(
                f"scale must be one of {', '.join(self.scales)} for the {self.name}, not {scale!r}."
            )


def course_data(customers: pd.DataFrame) -> ExplorerData:
    """The customers, clustered on all six categories, log or raw, each scaled to unit
    variance by the course's one scaler (:func:`spending_scaler`)."""
    raw = spending(customers).reset_index(drop=True)
    scaled, scalers = {}, {}
    for scale, transform in SCALES.items():
        scaler = spending_scaler(transform).fit(raw)
        scaled[scale] = scaler.transform(raw)
        scalers[scale] = scaler.named_steps["scale"]
    return ExplorerData(
        COURSE,
        tuple(SPENDING_COLUMNS),
        shown={"log": log_spending(customers).reset_index(drop=True), "raw": raw},
        scaled=scaled,
        scalers=scalers,
        order_by=total_spending(customers).to_numpy(dtype=float),
        spending=raw,
    )


def shape_data(name: str) -> ExplorerData:
    """A Part I shape (seed 0), drawn in its own units and clustered standardised (the
    course's one scaler, ``spending_scaler("none")``) or raw."""
    if name not in SHAPES:
        raise ValueError(f"data must be one of {', '.join(DATA_CHOICES)}, not {name!r}.")
    X, truth = SHAPES[name][0]()
    columns = ("feature 1", "feature 2")
    scaler = spending_scaler("none").fit(X)
    values = pd.DataFrame(X, columns=list(columns))
    return ExplorerData(
        name,
        columns,
        shown={scale: values for scale in SHAPE_SCALES},
        scaled={"standardised": scaler.transform(X), "raw": np.asarray(X, dtype=float)},
        scalers={"standardised": scaler.named_steps["scale"], "raw": None},
        order_by=X[:, 0].astype(float),
        truth=np.asarray(truth),
    )


class FitSteps:
    """One k-means fit, cut into the steps a student scrubs through.

    Step 0 shows the initial centres with no customer assigned yet. Then the steps alternate:
    an *assignment* step (every customer joins its nearest centre, J is measured) and an
    *update* step (every centre moves to the mean of its customers, J is measured again with
    the same assignment). The last step is the final assignment. J never rises from one step
    to the next.

    With ``totals`` (each customer's total spending, or any value per sample), the segments
    are numbered as everywhere in the course
    (:func:`segmentation.cluster.numbering.number_segments`: segment 0 has the largest mean
    total), by the final assignment; every step keeps that numbering, so a segment keeps its
    number and colour from the first step to the last.
    """

    def __init__(self, X: np.ndarray, fit: KMeans, totals: np.ndarray | None = None) -> None:
        history = fit.history_
        self.centres = history.centres  # (n_iter + 1, k, features), scaled space
        self.stop_reason = history.stop_reason
        self.assignments = history.assignments(X)  # (n_iter + 1, n_samples)
        self.n_iter = history.n_iter
        self.k = self.centres.shape[1]
        if totals is not None:
            _, order = number_segments(self.assignments[-1], totals, self.k)
            self.assignments = np.argsort(order)[self.assignments]
            self.centres = self.centres[:, order]
        self.n_steps = 2 * self.n_iter + 2  # steps 0 .. n_steps - 1
        j = [np.nan]
        for t in range(self.n_iter + 1):
            j.append(float(history.objective[t]))  # assignment to centres[t]
            if t < self.n_iter:  # update to centres[t + 1], same labels
                j.append(objective(X, self.centres[t + 1], self.assignments[t]))
        self.objective = np.array(j)

    @property
    def last(self) -> int:
        return self.n_steps - 1

    def clamp(self, step: int | None) -> int:
        return self.last if step is None else int(min(max(step, 0), self.last))

    def kind(self, step: int) -> str:
        if step == 0:
            return "start"
        if step == self.last:
            return "final assignment"
        return "assignment" if step % 2 == 1 else "update"

    def iteration(self, step: int) -> int:
        """The iteration a step belongs to (1 for the first assignment and update)."""
        return (step + 1) // 2

    def centres_at(self, step: int) -> np.ndarray:
        """The centres shown at a step: those the customers are assigned to, or just moved."""
        return self.centres[step // 2]

    def labels_at(self, step: int) -> np.ndarray | None:
        return None if step == 0 else self.assignments[(step - 1) // 2]


@dataclass(frozen=True)
class ExplorerState:
    """Everything one picture of the explorer shows."""

    k: int
    init: str
    seed: int
    scale: str
    step: int
    steps: FitSteps
    centres: np.ndarray  # every centre's path up to this step, in the data's units
    labels: np.ndarray | None  # None before the first assignment
    data: ExplorerData

    @property
    def values(self) -> pd.DataFrame:
        """The samples as drawn (the customers' log or raw spending; a shape's features)."""
        return self.data.shown[self.scale]

    @property
    def objective(self) -> float:
        return float(self.steps.objective[self.step])

    @property
    def sizes(self) -> np.ndarray | None:
        if self.labels is None:
            return None
        return np.bincount(self.labels, minlength=self.k)

    def step_text(self) -> str:
        kind = self.steps.kind(self.step)
        if kind == "start":
            samples = "points" if self.data.is_shape else "customers"
            return f"start: {self.k} centre{'s' * (self.k != 1)}, {samples} not yet assigned"
        if kind == "final assignment":
            return kind
        return f"{kind}, iteration {self.steps.iteration(self.step)}"

    def summary(self) -> str:
        """One line for people, screen readers and tests: the data (a shape's name; nothing
        for the course data), k, the step, J and the sizes."""
        head = f"k = {self.k}, step {self.step} of {self.steps.last} ({self.step_text()}), "
        if self.data.is_shape:
            head = f"{self.data.name}: {head}"
        sizes = self.sizes
        if sizes is None:
            return head + "J not yet defined"
        shown = " / ".join(str(n) for n in sizes)
        return head + f"J = {self.objective:,.1f}, sizes {shown}"

    def profile(self) -> pd.DataFrame:
        """Per segment: its customers and their mean spending by category (m.u. per year);
        a segment left empty at this step has no means. For a shape, per cluster: its points
        and how many of them come from each true group."""
        truth, spending = self.data.truth, self.data.spending
        if truth is not None:
            groups = np.unique(truth)
            columns = ["points", *(f"true group {g}" for g in groups)]
            if self.labels is None:
                return pd.DataFrame(columns=columns)
            counts = pd.crosstab(self.labels, truth).reindex(index=range(self.k), columns=groups)
            table = counts.fillna(0).astype(int).set_axis(columns[1:], axis=1)
            table = table.rename_axis(index="cluster", columns=None)
            table.insert(0, "points", self.sizes)
            return table
        if self.labels is None or spending is None:
            return pd.DataFrame(columns=["customers", *SPENDING_COLUMNS])
        table = segment_profile(spending, self.labels).reindex(range(self.k))
        table["customers"] = self.sizes
        return table


class ExplorerModel:
    """The fits behind the explorer, kept so that coming back to a setting costs nothing.

    The customers are clustered on all six spending categories, on the log or the raw scale,
    each scaled to unit variance by the course's one scaler
    (:func:`segmentation.preprocessing.spending.spending_scaler`, as in the choosing-k
    notebook); the pictures show two of the categories in that scale (log or m.u.), with the
    centres in the same units. A shape (``data``, one of :data:`SHAPES`) is clustered on its
    two features, standardised or raw, and drawn in its own units.
    """

    def __init__(self, customers: pd.DataFrame) -> None:
        self.datasets = {COURSE: course_data(customers)}
        self.fits: dict[tuple[str, str, int, str, int], FitSteps] = {}
        self.fit_count = 0

    @property
    def n_customers(self) -> int:
        return self.datasets[COURSE].n_samples

    def dataset(self, name: str = COURSE) -> ExplorerData:
        """The data set ``name`` (the course data, or a shape, made the first time)."""
        if name not in self.datasets:
            self.datasets[name] = shape_data(name)
        return self.datasets[name]

    def steps(self, k: int, init: str, seed: int, scale: str, data: str = COURSE) -> FitSteps:
        """The fit for this setting, made once (one start, no restarts, so every step is a
        step of the one fit shown)."""
        key = (data, scale, k, init, seed)
        if key not in self.fits:
            chosen = self.dataset(data)
            chosen.check_scale(scale)
            X = chosen.scaled[scale]
            fit = KMeans(
                k, init=STARTS.get(init, init), n_init=1, tol=0.0, max_iter=100, random_state=seed
            ).fit(X)
            self.fits[key] = FitSteps(X, fit, totals=chosen.order_by)
            self.fit_count += 1
        return self.fits[key]

    def state(
        self, *, k: int, init: str, seed: int, scale: str, step: int | None, data: str = COURSE
    ) -> ExplorerState:
        steps = self.steps(k, init, seed, scale, data)
        step = steps.clamp(step)
        chosen = self.dataset(data)
        paths = steps.centres[: step // 2 + 1]  # (steps shown, k, features), scaled
        scaler = chosen.scalers[scale]
        if scaler is not None:
            flat = scaler.inverse_transform(paths.reshape(-1, paths.shape[2]))
            paths = flat.reshape(paths.shape)
        return ExplorerState(
            k,
            init,
            seed,
            scale,
            step,
            steps,
            centres=paths,
            labels=steps.labels_at(step),
            data=chosen,
        )


class ExplorerFigure:
    """The explorer's figure: the customers on two categories coloured by segment, with each
    centre's path up to the shown step; and J at every step, the shown step marked.

    Scrubbing through a fit must feel immediate, and most of matplotlib's time goes on text
    (ticks, labels). So the figure is drawn in two layers: a background (axes, ticks, labels,
    the J curve) rendered once per fit and pair of axes, and the artists that move with the
    step (colours, paths, centres, the marker), drawn over a copy of it each time.
    """

    def __init__(self, figsize: tuple[float, float] = (9, 3.6), dpi: int = 80) -> None:
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.figure.subplots_adjust(left=0.075, right=0.985, bottom=0.15, top=0.9, wspace=0.28)
        self.scatter_ax, self.curve_ax = self.figure.subplots(1, 2, width_ratios=[3, 2])
        ax = self.scatter_ax
        self.customers = ax.scatter([], [], s=12, alpha=0.7, linewidths=0)
        self.paths: list[Any] = []
        self.centres = ax.scatter(
            [],
            [],
            marker=CENTRE_STYLE["marker"],
            s=CENTRE_STYLE["s"],
            edgecolors="black",
            linewidths=1.5,
            zorder=3,
        )
        ax = self.curve_ax
        (self.curve,) = ax.plot([], [], "-", color="0.6", linewidth=1)
        (self.after_assignment,) = ax.plot(
            [], [], "o", color="0.3", markersize=3, label="after assignment"
        )
        (self.after_update,) = ax.plot([], [], "s", color="0.6", markersize=3, label="after update")
        (self.shown,) = ax.plot(
            [],
            [],
            "o",
            markersize=10,
            markerfacecolor="none",
            markeredgecolor="crimson",
            markeredgewidth=2,
            label="shown step",
            clip_on=False,
        )  # whole even at the last step, on the edge
        self.marker = ax.axvline(0, color="crimson", linewidth=1, alpha=0.5)
        ax.set_xlabel("step")
        ax.set_ylabel("J (sum of squared distances)")
        ax.set_title("J falls at every step", fontsize=10)
        ax.legend(fontsize=7, loc="upper right")
        for artist in self._moving():
            artist.set_animated(True)
        self._background: Any = None
        self._background_key: tuple | None = None
        #: How many times the background was rendered (the expensive part of a redraw).
        self.background_renders = 0

    def _moving(self) -> list[Any]:
        """The artists that change with the shown step, drawn over the background."""
        return [
            self.customers,
            *self.paths,
            self.centres,
            self.shown,
            self.marker,
            self.scatter_ax.title,
        ]

    def draw(self, state: ExplorerState, x: str, y: str) -> Figure:
        """Show ``state`` with categories ``x`` and ``y`` on the axes (a shape: its two
        features, whatever ``x`` and ``y``); returns the figure, rendered (its canvas holds
        the picture)."""
        key = (id(state.steps), state.data.name, state.scale, x, y, state.k)
        if key != self._background_key:
            self._draw_background(state, x, y)
            self.canvas.draw()  # everything but the moving artists
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._background_key = key
            self.background_renders += 1
        else:
            self.canvas.restore_region(self._background)
        self._draw_moving(state, x, y)
        for artist in self._moving():
            if artist.get_visible():
                self.figure.draw_artist(artist)
        return self.figure

    def _draw_background(self, state: ExplorerState, x: str, y: str) -> None:
        ax = self.scatter_ax
        # room at the left for a shape's tick labels, such as "-0.50"
        self.figure.subplots_adjust(left=0.095 if state.data.is_shape else 0.075)
        ix, iy = state.data.axes(x, y)
        values = state.values.to_numpy()[:, [ix, iy]]
        low, high = values.min(axis=0), values.max(axis=0)
        pad = 0.04 * (high - low)
        ax.set_xlim(low[0] - pad[0], high[0] + pad[0])
        ax.set_ylim(low[1] - pad[1], high[1] + pad[1])
        thousands = state.scale == "raw" and not state.data.is_shape
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(FuncFormatter(_thousands) if thousands else ScalarFormatter())
        unit = state.data.unit(state.scale)
        ax.set_xlabel(state.data.columns[ix] + unit)
        ax.set_ylabel(state.data.columns[iy] + unit)
        while len(self.paths) < state.k:
            (line,) = ax.plot([], [], "-o", markersize=3, linewidth=1.5, zorder=2, animated=True)
            self.paths.append(line)

        steps = np.arange(state.steps.n_steps)
        j = state.steps.objective
        self.curve.set_data(steps, j)
        self.after_assignment.set_data(steps[1::2], j[1::2])
        self.after_update.set_data(steps[2::2], j[2::2])
        finite = j[np.isfinite(j)]
        pad_j = 0.05 * max(finite.max() - finite.min(), 1e-9)
        # room for the "shown step" circle (radius 6 pt, about 2.5% of the axes) at either end
        pad_x = 0.5 + 0.03 * state.steps.last
        self.curve_ax.set_xlim(-pad_x, state.steps.last + pad_x)
        self.curve_ax.set_ylim(finite.min() - pad_j, finite.max() + pad_j)

    def _draw_moving(self, state: ExplorerState, x: str, y: str) -> None:
        ix, iy = state.data.axes(x, y)
        self.customers.set_offsets(state.values.to_numpy()[:, [ix, iy]])
        self.customers.set_facecolors(
            [UNASSIGNED]
            if state.labels is None
            else np.asarray(CLUSTER_COLOURS)[state.labels % len(CLUSTER_COLOURS)]
        )
        colours = [CLUSTER_COLOURS[j % len(CLUSTER_COLOURS)] for j in range(state.k)]
        for j, line in enumerate(self.paths):
            line.set_visible(j < state.k)
            if j < state.k:
                line.set_data(state.centres[:, j, ix], state.centres[:, j, iy])
                line.set_color(colours[j])
        self.centres.set_offsets(state.centres[-1][:, [ix, iy]])
        self.centres.set_facecolors(colours)
        shape = f"{state.data.name}, " if state.data.is_shape else ""
        self.scatter_ax.set_title(
            f"{shape}k = {state.k}, step {state.step}: {state.step_text()}", fontsize=10
        )
        self.shown.set_data([state.step], [state.objective])
        self.shown.set_visible(state.labels is not None)
        self.marker.set_xdata([state.step, state.step])

    def png(self) -> bytes:
        """The picture last drawn, as PNG."""
        return canvas_png(self.canvas)


def canvas_png(canvas: FigureCanvasAgg) -> bytes:
    """What ``canvas`` last rendered, as PNG (quick to compress rather than small: it goes to
    a browser on the same machine)."""
    width, height = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def profile_html(state: ExplorerState) -> str:
    """The segment sizes and profile as an HTML table, each segment in its colour (for a
    shape: each cluster's size and how many points of each true group it holds)."""
    table = state.profile()
    shape = state.data.is_shape
    if table.empty:
        samples = "points" if shape else "customers"
        return f"<p>No segments yet: step forward to assign the {samples}.</p>"
    rows = []
    for segment, row in table.iterrows():
        colour = cluster_colour(segment)
        cells = "".join(
            f"<td style='text-align:right; padding:2px 8px'>"
            f"{'–' if pd.isna(value) else f'{value:,.0f}'}</td>"
            for value in row
        )
        rows.append(
            f"<tr><th scope='row'><span style='color:{colour}'>&#9679;</span> "
            f"{segment}</th>{cells}</tr>"
        )
    head = "".join(
        f"<th scope='col' style='padding:2px 8px'>{name}</th>"
        for name in ["cluster" if shape else "segment", *table.columns]
    )
    caption = (
        "Cluster sizes, and how many points of each true group each cluster holds"
        if shape
        else "Segment sizes and mean spending by category (m.u. per year)"
    )
    return (
        f"<table class='explorer-profile'><caption>{caption}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


#: The explorer's widgets, by attribute; each gets the CSS class kmeans-explorer-<name> that
#: the browser tests and styling use, named as the attribute unless renamed here.
_CONTROLS = ("data", "k", "step", "back", "forward", "init", "seed", "x", "y", "scale")
_OUTPUTS = ("image", "summary", "profile", "debug")
_CLASS_NAMES = {"init": "start", "image": "figure"}


def status_html(line: str) -> str:
    """A summary line that screen readers announce when it changes."""
    return f"<p role='status' aria-live='polite'><b>{line}</b></p>"


def record_update(
    timings: list[dict[str, Any]], cause: str, started: float, fitted: bool, kept: str
) -> str:
    """Keep a widget update's time (ms since ``started``, a ``time.perf_counter()``) in
    ``timings``; returns the debug line that shows it."""
    ms = 1000 * (time.perf_counter() - started)
    timings.append({"cause": cause, "ms": ms, "fitted": fitted})
    made = "new fit" if fitted else "fit from cache"
    return f"<small>update {len(timings)} after {cause}: {ms:.0f} ms ({made}; {kept})</small>"


def _thousands(value: float, _: Any) -> str:
    return f"{value / 1000:g}"


class Shown:
    """A widget made of widgets: shown in a notebook as its ``widget``, a box of them."""

    widget: Any

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class KMeansExplorer(Shown):
    """The explorer's widgets: controls, the figure, the profile, a summary and a debug line.

    Moving the step slider or the axes redraws from the kept fit; changing the data, k, the
    start, the seed or the scale fits once per new setting. Picking a shape sets k to the
    number of groups at which k-means fails on it, keeps the scale's position (log becomes
    standardised), and disables the axes (a shape has two features). Each update's time, from
    the control change to the new figure being sent, is kept in ``timings`` (ms) and shown in
    the debug line.
    """

    def __init__(
        self,
        customers: pd.DataFrame,
        *,
        k: int = 3,
        init: str = "k-means++",
        seed: int = 0,
        scale: str = "log",
        x: str = "Grocery",
        y: str = "Detergents_Paper",
        k_max: int = 10,
        data: str = COURSE,
    ) -> None:
        self.model = ExplorerModel(customers)
        self.drawing = ExplorerFigure()
        self.timings: list[dict[str, Any]] = []
        self.model.dataset(data).check_scale(scale)
        self._add_controls(k=k, init=init, seed=seed, scale=scale, x=x, y=y, k_max=k_max)
        self._add_data_control(data)
        self._add_outputs()
        self._quiet = False
        self._connect()
        self.update(cause="start", new_fit=True)

    def _add_controls(
        self, *, k: int, init: str, seed: int, scale: str, x: str, y: str, k_max: int
    ) -> None:
        """The controls, set to the values :class:`KMeansExplorer` was made with."""
        import ipywidgets as widgets

        categories = list(SPENDING_COLUMNS)
        style = {"description_width": "initial"}
        self.k = widgets.IntSlider(
            value=k,
            min=1,
            max=min(k_max, self.model.n_customers),
            description="k",
            continuous_update=False,
        )
        self.step = widgets.IntSlider(
            value=0, min=0, max=1, description="step", continuous_update=False
        )
        self.back = widgets.Button(
            description="◀ step", tooltip="one step back", layout=widgets.Layout(width="80px")
        )
        self.forward = widgets.Button(
            description="step ▶", tooltip="one step forward", layout=widgets.Layout(width="80px")
        )
        self.init = widgets.Dropdown(
            options=list(STARTS), value=init, description="start", style=style
        )
        self.seed = widgets.BoundedIntText(
            value=seed, min=0, max=99_999, description="seed", layout=widgets.Layout(width="150px")
        )
        self.x = widgets.Dropdown(options=categories, value=x, description="x axis", style=style)
        self.y = widgets.Dropdown(options=categories, value=y, description="y axis", style=style)
        self.scale = widgets.ToggleButtons(
            options=list(SCALES) if scale in SCALES else list(SHAPE_SCALES),
            value=scale,
            description="scale",
            style={**style, "button_width": "60px"},
        )

    def _add_data_control(self, data: str) -> None:
        """The data dropdown; the scale's choices and the axes as that data needs them."""
        import ipywidgets as widgets

        self.data = widgets.Dropdown(
            options=list(DATA_CHOICES),
            value=data,
            description="data",
            style={"description_width": "initial"},
        )
        chosen = self.model.dataset(data)
        scale = self.scale.value
        self._show_data(chosen, scale_at=chosen.scales.index(scale))

    def _add_outputs(self) -> None:
        """The figure, the summary, the profile and the debug line; then every widget gets
        its CSS class, kmeans-explorer-<name>."""
        import ipywidgets as widgets

        self.image = widgets.Image(format="png")
        self.summary = widgets.HTML()
        self.profile = widgets.HTML()
        self.debug = widgets.HTML()
        for attribute in (*_CONTROLS, *_OUTPUTS):
            name = _CLASS_NAMES.get(attribute, attribute)
            getattr(self, attribute).add_class(f"kmeans-explorer-{name}")

    def _connect(self) -> None:
        """Each control redraws when it changes; those that change the fit refit first."""
        for control in (self.k, self.init, self.seed, self.scale):
            control.observe(lambda change: self._changed(change, refit=True), names="value")
        for control in (self.step, self.x, self.y):
            control.observe(lambda change: self._changed(change, refit=False), names="value")
        self.back.on_click(lambda _: self._move(-1))
        self.forward.on_click(lambda _: self._move(+1))
        self.data.observe(self._data_changed, names="value")

    def _show_data(self, chosen: ExplorerData, *, scale_at: int) -> None:
        """Set the scale's choices to those of ``chosen`` (the one at ``scale_at`` picked)
        and the axes' dropdowns on or off, without redrawing."""
        self._quiet = True
        try:
            self.scale.options = chosen.scales
            self.scale.value = chosen.scales[scale_at]
            for axis in (self.x, self.y):
                axis.disabled = chosen.is_shape
            # wide enough for "standardised"
            self.scale.style.button_width = "100px" if chosen.is_shape else "60px"
        finally:
            self._quiet = False

    def _data_changed(self, change: dict) -> None:
        if self._quiet:
            return
        chosen = self.model.dataset(change["new"])
        at = list(self.scale.options).index(self.scale.value)
        self._show_data(chosen, scale_at=at)
        if chosen.is_shape:
            self._quiet = True
            try:
                self.k.value = SHAPES[chosen.name][1]
            finally:
                self._quiet = False
        self.update(cause="data", new_fit=True)

    def state(self) -> ExplorerState:
        return self.model.state(
            k=self.k.value,
            init=self.init.value,
            seed=self.seed.value,
            scale=self.scale.value,
            step=self.step.value,
            data=self.data.value,
        )

    def _move(self, by: int) -> None:
        self.step.value = min(max(self.step.value + by, 0), self.step.max)

    def _changed(self, change: dict, *, refit: bool) -> None:
        if not self._quiet:
            self.update(cause=getattr(change["owner"], "description", "control"), new_fit=refit)

    def update(self, *, cause: str = "code", new_fit: bool = False) -> ExplorerState:
        """Redraw for the controls' values; after a change of fit, show its final step."""
        started = time.perf_counter()
        fits_before = self.model.fit_count
        steps = self.model.steps(
            self.k.value, self.init.value, self.seed.value, self.scale.value, self.data.value
        )
        if new_fit:
            self._quiet = True  # moving the step slider here must not redraw twice
            try:
                self.step.max = steps.last
                self.step.value = steps.last
            finally:
                self._quiet = False
        state = self.state()
        self.drawing.draw(state, self.x.value, self.y.value)
        self.image.value = self.drawing.png()
        self.summary.value = status_html(state.summary())
        self.profile.value = profile_html(state)
        fitted = self.model.fit_count > fits_before
        kept = f"{len(self.model.fits)} fits kept"
        self.debug.value = record_update(self.timings, cause, started, fitted, kept)
        log.debug("explorer update: %s", self.timings[-1])
        return state

    @cached_property
    def widget(self) -> Any:
        import ipywidgets as widgets

        return widgets.VBox(
            [
                widgets.HBox([self.k, self.init, self.seed]),
                widgets.HBox([self.back, self.step, self.forward, self.scale]),
                widgets.HBox([self.data, self.x, self.y]),
                self.summary,
                self.image,
                self.profile,
                self.debug,
            ],
            layout=widgets.Layout(max_width="960px"),
        )
