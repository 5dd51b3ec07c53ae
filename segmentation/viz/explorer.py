"""The k-means explorer: play with k, the start, the seed and the axes, and scrub through a fit
one assignment or update step at a time.

The computing is in plain classes that tests call without a browser: :class:`FitSteps` turns
one fit into the steps a student scrubs through, :class:`ExplorerModel` keeps the fits (one per
scale, k, start and seed) and answers "what is shown now" as an :class:`ExplorerState`, and
:class:`ExplorerFigure` draws one state. :class:`KMeansExplorer` only wires widgets to them, and
measures the time from a control change to the new figure.

>>> from segmentation.data.shipped import load_customers
>>> model = ExplorerModel(load_customers())
>>> state = model.state(k=3, init="k-means++", seed=0, scale="log", step=None)
>>> state.summary()
'k = 3, step 25 of 25 (final assignment), J = 1,582.0, sizes 121 / 156 / 163'
>>> model.state(k=3, init="k-means++", seed=0, scale="log", step=0).summary()
'k = 3, step 0 of 25 (start: 3 centres, customers not yet assigned), J not yet defined'
"""

from __future__ import annotations

import io
import logging
import time
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
UNASSIGNED = "#b0b0b0"


class FitSteps:
    """One k-means fit, cut into the steps a student scrubs through.

    Step 0 shows the initial centres with no customer assigned yet. Then the steps alternate:
    an *assignment* step (every customer joins its nearest centre, J is measured) and an
    *update* step (every centre moves to the mean of its customers, J is measured again with
    the same assignment). The last step is the final assignment. J never rises from one step
    to the next.

    With ``totals`` (each customer's total spending), the segments are numbered as everywhere
    in the course (:func:`segmentation.cluster.numbering.number_segments`: segment 0 has the largest
    mean total), by the final assignment; every step keeps that numbering, so a segment keeps
    its number and colour from the first step to the last.
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
    values: pd.DataFrame  # the customers in the fitted scale (log or raw)
    spending: pd.DataFrame  # the customers' raw spending, for the profile

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
            return f"start: {self.k} centre{'s' * (self.k != 1)}, customers not yet assigned"
        if kind == "final assignment":
            return kind
        return f"{kind}, iteration {self.steps.iteration(self.step)}"

    def summary(self) -> str:
        """One line for people, screen readers and tests: k, the step, J and the sizes."""
        head = f"k = {self.k}, step {self.step} of {self.steps.last} ({self.step_text()}), "
        sizes = self.sizes
        if sizes is None:
            return head + "J not yet defined"
        shown = " / ".join(str(n) for n in sizes)
        return head + f"J = {self.objective:,.1f}, sizes {shown}"

    def profile(self) -> pd.DataFrame:
        """Per segment: its customers and their mean spending by category (m.u. per year);
        a segment left empty at this step has no means."""
        if self.labels is None:
            return pd.DataFrame(columns=["customers", *SPENDING_COLUMNS])
        table = segment_profile(self.spending, self.labels).reindex(range(self.k))
        table["customers"] = self.sizes
        return table


class ExplorerModel:
    """The fits behind the explorer, kept so that coming back to a setting costs nothing.

    The customers are clustered on all six spending categories, on the log or the raw scale,
    each scaled to unit variance by the course's one scaler
    (:func:`segmentation.preprocessing.spending.spending_scaler`, as in the choosing-k
    notebook); the pictures show two of the categories in that scale (log or m.u.), with the
    centres in the same units.
    """

    def __init__(self, customers: pd.DataFrame) -> None:
        self.spending = spending(customers).reset_index(drop=True)
        self.totals = total_spending(customers).to_numpy(dtype=float)
        self.values = {"log": log_spending(customers).reset_index(drop=True), "raw": self.spending}
        self._scaled: dict[str, np.ndarray] = {}
        #: Per scale, the fitted StandardScaler: it takes the centres back to the data's units.
        self._scalers: dict[str, Any] = {}
        for scale, transform in SCALES.items():
            scaler = spending_scaler(transform).fit(self.spending)
            self._scaled[scale] = scaler.transform(self.spending)
            self._scalers[scale] = scaler.named_steps["scale"]
        self.fits: dict[tuple[str, int, str, int], FitSteps] = {}
        self.fit_count = 0

    @property
    def n_customers(self) -> int:
        return len(self.spending)

    def steps(self, k: int, init: str, seed: int, scale: str) -> FitSteps:
        """The fit for this setting, made once (one start, no restarts, so every step is a
        step of the one fit shown)."""
        key = (scale, k, init, seed)
        if key not in self.fits:
            X = self._scaled[scale]
            fit = KMeans(
                k, init=STARTS.get(init, init), n_init=1, tol=0.0, max_iter=100, random_state=seed
            ).fit(X)
            self.fits[key] = FitSteps(X, fit, totals=self.totals)
            self.fit_count += 1
        return self.fits[key]

    def state(self, *, k: int, init: str, seed: int, scale: str, step: int | None) -> ExplorerState:
        steps = self.steps(k, init, seed, scale)
        step = steps.clamp(step)
        paths = steps.centres[: step // 2 + 1]  # (steps shown, k, features), scaled
        shown = self._scalers[scale].inverse_transform(paths.reshape(-1, paths.shape[2]))
        return ExplorerState(
            k,
            init,
            seed,
            scale,
            step,
            steps,
            centres=shown.reshape(paths.shape),
            labels=steps.labels_at(step),
            values=self.values[scale],
            spending=self.spending,
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
        """Show ``state`` with categories ``x`` and ``y`` on the axes; returns the figure,
        rendered (its canvas holds the picture)."""
        key = (id(state.steps), state.scale, x, y, state.k)
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
        ix, iy = (list(SPENDING_COLUMNS).index(name) for name in (x, y))
        values = state.values.to_numpy()[:, [ix, iy]]
        low, high = values.min(axis=0), values.max(axis=0)
        pad = 0.04 * (high - low)
        ax.set_xlim(low[0] - pad[0], high[0] + pad[0])
        ax.set_ylim(low[1] - pad[1], high[1] + pad[1])
        unit = "log(1 + m.u.)" if state.scale == "log" else "thousand m.u."
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(
                FuncFormatter(_thousands) if state.scale == "raw" else ScalarFormatter()
            )
        ax.set_xlabel(f"{x} ({unit})")
        ax.set_ylabel(f"{y} ({unit})")
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
        ix, iy = (list(SPENDING_COLUMNS).index(name) for name in (x, y))
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
        self.scatter_ax.set_title(
            f"k = {state.k}, step {state.step}: {state.step_text()}", fontsize=10
        )
        self.shown.set_data([state.step], [state.objective])
        self.shown.set_visible(state.labels is not None)
        self.marker.set_xdata([state.step, state.step])

    def png(self) -> bytes:
        """The picture last drawn, as PNG (quick to compress rather than small: it goes to a
        browser on the same machine)."""
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer(
            "RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        )
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


def profile_html(state: ExplorerState) -> str:
    """The segment sizes and profile as an HTML table, each segment in its colour."""
    table = state.profile()
    if table.empty:
        return "<p>No segments yet: step forward to assign the customers.</p>"
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
        for name in ["segment", *table.columns]
    )
    return (
        "<table class='explorer-profile'><caption>Segment sizes and mean spending by "
        f"category (m.u. per year)</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


#: The explorer's widgets, by attribute; each gets the CSS class kmeans-explorer-<name> that
#: the browser tests and styling use, named as the attribute unless renamed here.
_CONTROLS = ("k", "step", "back", "forward", "init", "seed", "x", "y", "scale")
_OUTPUTS = ("image", "summary", "profile", "debug")
_CLASS_NAMES = {"init": "start", "image": "figure"}


def _thousands(value: float, _: Any) -> str:
    return f"{value / 1000:g}"


class KMeansExplorer:
    """The explorer's widgets: controls, the figure, the profile, a summary and a debug line.

    Moving the step slider or the axes redraws from the kept fit; changing k, the start, the
    seed or the scale fits once per new setting. Each update's time, from the control change
    to the new figure being sent, is kept in ``timings`` (ms) and shown in the debug line.
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
    ) -> None:
        self.model = ExplorerModel(customers)
        self.drawing = ExplorerFigure()
        self.timings: list[dict[str, Any]] = []
        self._add_controls(k=k, init=init, seed=seed, scale=scale, x=x, y=y, k_max=k_max)
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
            options=list(SCALES),
            value=scale,
            description="scale",
            style={**style, "button_width": "60px"},
        )

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

    def state(self) -> ExplorerState:
        return self.model.state(
            k=self.k.value,
            init=self.init.value,
            seed=self.seed.value,
            scale=self.scale.value,
            step=self.step.value,
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
        steps = self.model.steps(self.k.value, self.init.value, self.seed.value, self.scale.value)
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
        self.summary.value = f"<p role='status' aria-live='polite'><b>{state.summary()}</b></p>"
        self.profile.value = profile_html(state)
        ms = 1000 * (time.perf_counter() - started)
        fitted = self.model.fit_count > fits_before
        self.timings.append({"cause": cause, "ms": ms, "fitted": fitted})
        self.debug.value = (
            f"<small>update {len(self.timings)} after {cause}: {ms:.0f} ms "
            f"({'new fit' if fitted else 'fit from cache'}; "
            f"{len(self.model.fits)} fits kept)</small>"
        )
        log.debug("explorer update after %s: %.1f ms, fitted=%s", cause, ms, fitted)
        return state

    @cached_property
    def widget(self) -> Any:
        import ipywidgets as widgets

        return widgets.VBox(
            [
                widgets.HBox([self.k, self.init, self.seed]),
                widgets.HBox([self.back, self.step, self.forward, self.scale]),
                widgets.HBox([self.x, self.y]),
                self.summary,
                self.image,
                self.profile,
                self.debug,
            ],
            layout=widgets.Layout(max_width="960px"),
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
