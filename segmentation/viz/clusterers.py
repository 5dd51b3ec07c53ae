"""A small widget for the clusterers of notebook 6 other than k-means: DBSCAN (eps and
min_samples) or a Gaussian mixture (number of components, covariance type), on the course's
log-scaled spending or on one of notebook 4's shapes, with the partition drawn and scored.

As in the k-means explorer, the computing is in plain code that tests call without a browser:
:func:`clusterer_data` prepares a data set, :func:`run_clusterer` fits one setting and scores
it as a :class:`ClustererResult`, and :class:`ClustererFigure` draws a result.
:class:`ClustererExplorer` only wires widgets to them.

The partition and its scores come from the library's comparison of clusterers
(:mod:`segmentation.cluster.compare`), by its rules: noise points (label -1) count as one more
label in the adjusted Rand index; the silhouette and the Davies-Bouldin index are computed on
the points that are not noise only, and are undefined (NaN, shown as "–") when fewer than 2
clusters remain. A mixture is fitted as notebook 6 fits it (the best of five seeded starts),
so the widget's scores are the notebook's. DBSCAN starts from notebook 6's rule on each data
set: min_samples = 2 x the number of features, eps at the knee of the k-distance plot
(:func:`eps_at_knee`).

>>> from segmentation.data.shipped import load_customers
>>> data = clusterer_data(load_customers())
>>> result = run_clusterer(data, "DBSCAN", eps=0.8, min_samples=12)
>>> for part in result.summary().split("; "):
...     print(part)
DBSCAN (eps = 0.80, min_samples = 12): 2 clusters, 78.6% noise
silhouette 0.55, Davies-Bouldin 0.69, ARI with Channel 0.05
sizes 44 / 50, noise 346
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.cluster import DBSCAN
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from segmentation.cluster.compare import (
    AGREEMENT,
    CLUSTERS,
    DAVIES_BOULDIN,
    NOISE_SHARE,
    SILHOUETTE,
    cluster_labels,
    compare_clusterers,
)
from segmentation.course.toy_data import groups_with_noise
from segmentation.preprocessing.spending import scaled, spending, total_spending
from segmentation.viz.comparison import SHAPE_AXES, draw_partition, partition_style
from segmentation.viz.explorer import (
    COURSE,
    SHAPES,
    Shown,
    canvas_png,
    record_update,
    status_html,
)

log = logging.getLogger(__name__)

ALGORITHMS = ("DBSCAN", "Gaussian mixture")
#: scikit-learn's covariance types of a Gaussian mixture, the most flexible first.
COVARIANCE_TYPES = ("full", "diag", "tied", "spherical")
#: The data a student can pick: the course data, notebook 4's shapes where k-means fails
#: (not "unscaled": every shape is standardised here, so nothing of it would be left), and
#: notebook 4's three groups in uniform background noise (where DBSCAN's noise label is the
#: point).
NOISY_GROUPS = "groups in noise"
CLUSTERER_DATA = (COURSE, *(name for name in SHAPES if name != "unscaled"), NOISY_GROUPS)
#: A mixture's starts, each seeded, as notebook 6 fits its mixtures.
MIXTURE_STARTS = 5
#: The symbol of each marker of :data:`segmentation.viz.comparison.PARTITION_MARKERS`, for
#: the sizes in HTML.
_SYMBOLS = {"o": "&#9679;", "s": "&#9632;", "^": "&#9650;", "v": "&#9660;", "D": "&#9670;"}


def eps_at_knee(X: np.ndarray, min_samples: int) -> float:
    """DBSCAN's eps by notebook 6's rule, to 2 decimals: the knee of the k-distance plot (each
    sample's distance to its ``min_samples``-th nearest neighbour, itself counted), the point
    of the sorted curve farthest from the straight line joining its two ends."""
    from sklearn.neighbors import NearestNeighbors

    distances, _ = NearestNeighbors(n_neighbors=min_samples).fit(X).kneighbors(X)
    y = np.sort(distances[:, -1])
    x = np.arange(len(y))
    away = np.abs((y[-1] - y[0]) * x - (len(y) - 1) * (y - y[0]))
    return round(float(y[away.argmax()]), 2)


@dataclass(frozen=True)
class ClustererData:
    """One data set as the clusterers see it (``X``) and as the picture draws it (``shown``,
    two columns named ``axis_names``), with the labels the partition is compared with and
    DBSCAN's settings by notebook 6's rule (``min_samples``, ``eps``)."""

    name: str
    X: np.ndarray
    shown: np.ndarray
    axis_names: tuple[str, str]
    order_by: np.ndarray  # clusters are numbered by its mean, largest first
    truth: np.ndarray
    truth_name: str
    min_samples: int
    eps: float

    @property
    def is_shape(self) -> bool:
        return self.name != COURSE


def clusterer_data(customers: pd.DataFrame, name: str = COURSE) -> ClustererData:
    """The course data as notebook 6 clusters it (the log-scaled spending,
    ``scaled(..., "log")``), drawn on its first two principal components and compared
    with Channel; or a shape, standardised (``scaled(..., "none")``, so that eps is in
    the same units as on the course data), drawn on its two features and compared with its
    true groups. Clusters are numbered by the course's rule: the largest mean total spending
    (a shape: the largest mean first feature) first. DBSCAN's settings by notebook 6's rule
    come with it: min_samples = 2 x the number of features, eps = :func:`eps_at_knee`."""
    from sklearn.decomposition import PCA

    if name == COURSE:
        X = scaled(spending(customers), "log")
        pca = PCA(n_components=2).fit(X)
        share = 100 * pca.explained_variance_ratio_
        shown = pca.transform(X)
        names = tuple(f"PC {i + 1} ({s:.0f}% of the variance)" for i, s in enumerate(share))
        order_by = total_spending(customers).to_numpy(dtype=float)
        truth, truth_name = np.asarray(customers["Channel"].astype(str)), "Channel"
    elif name in CLUSTERER_DATA:
        points, groups = groups_with_noise() if name == NOISY_GROUPS else SHAPES[name][0]()
        X = shown = scaled(points, "none")
        names = SHAPE_AXES  # as notebook 6 names them
        order_by, truth, truth_name = X[:, 0], np.asarray(groups), "the true groups"
    else:
        raise ValueError(f"data must be one of {', '.join(CLUSTERER_DATA)}, not {name!r}.")
    min_samples = 2 * X.shape[1]  # twice the number of features (Sander et al., 1998)
    return ClustererData(
        name,
        X,
        shown,
        (names[0], names[1]),
        order_by,
        truth,
        truth_name,
        min_samples,
        eps_at_knee(X, min_samples),
    )


@dataclass(frozen=True)
class Scores:
    """How a partition scores (NaN where a score is undefined): a row of
    :func:`segmentation.cluster.compare.compare_clusterers`' table."""

    clusters: int
    noise_share: float
    silhouette: float
    davies_bouldin: float
    ari: float


@dataclass(frozen=True)
class ClustererResult:
    """One fitted setting: the partition (clusters numbered from 0, noise -1) and its scores."""

    data: ClustererData
    algorithm: str
    setting: str
    labels: np.ndarray
    scores: Scores
    by_rule: bool = False  # DBSCAN with the data's min_samples and eps by notebook 6's rule

    @property
    def sizes(self) -> list[int]:
        return [int(n) for n in np.bincount(self.labels[self.labels >= 0])]

    @property
    def noise(self) -> int:
        return int((self.labels == -1).sum())

    def summary(self) -> str:
        """One line for people, screen readers and tests: the setting, the clusters found,
        the noise, the scores, the sizes, and whether the setting is notebook 6's rule."""
        s = self.scores
        head = f"{self.data.name}: " if self.data.is_shape else ""
        found = f"{s.clusters} cluster{'s' * (s.clusters != 1)}"
        noise = f"{100 * s.noise_share:.1f}% noise" if self.noise else "no noise"
        scores = (
            f"silhouette {_shown(s.silhouette)}, Davies-Bouldin {_shown(s.davies_bouldin)}, "
            f"ARI with {self.data.truth_name} {_shown(s.ari)}"
        )
        sizes = " / ".join(map(str, self.sizes)) or "none"
        tail = f", noise {self.noise}" if self.noise else ""
        if self.by_rule:
            features = self.data.X.shape[1]
            tail += (
                f"; the rule's start: min_samples = 2 × {features} features, eps at the knee "
                "of the k-distance plot"
            )
        return (
            f"{head}{self.algorithm} ({self.setting}): {found}, {noise}; {scores}; "
            f"sizes {sizes}{tail}"
        )


def _shown(value: float) -> str:
    """Two decimals ("–" for undefined; never "-0.00")."""
    return "–" if np.isnan(value) else f"{round(value, 2) + 0.0:.2f}"


def run_clusterer(
    data: ClustererData,
    algorithm: str,
    *,
    eps: float = 1.0,
    min_samples: int = 12,
    n_components: int = 3,
    covariance_type: str = "full",
    seed: int = 0,
) -> ClustererResult:
    """Fit DBSCAN (``eps``, ``min_samples``) or a Gaussian mixture (``n_components``,
    ``covariance_type``, the best of :data:`MIXTURE_STARTS` starts from ``seed``, as notebook
    6 fits it) to ``data`` and score the partition; each point of a mixture goes to its most
    probable component."""
    estimator: Any
    by_rule = False
    if algorithm == "DBSCAN":
        by_rule = min_samples == data.min_samples and round(eps, 2) == data.eps
        estimator = DBSCAN(eps=eps, min_samples=min_samples)
        setting = f"eps = {eps:.2f}, min_samples = {min_samples}"
    elif algorithm == "Gaussian mixture":
        estimator = GaussianMixture(
            n_components,
            covariance_type=covariance_type,
            n_init=MIXTURE_STARTS,
            random_state=seed,
        )
        setting = f"{n_components} component{'s' * (n_components != 1)}, {covariance_type}"
    else:
        raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}, not {algorithm!r}.")
    # The library's comparison gives the partition and the scores (one fit each, as its
    # public functions stand; the setting is seeded, so both see the same partition).
    # One thread for BLAS and OpenMP: on matrices this small their threads cost more than
    # they give (a mixture's fit ran ten times slower with two).
    with threadpool_limits(limits=1):
        labels = cluster_labels(data.X, {algorithm: estimator}, totals=data.order_by)
        row = compare_clusterers(data.X, {algorithm: estimator}, reference=data.truth, resamples=0)
    found = row.loc[algorithm]
    scores = Scores(
        int(found[CLUSTERS]),
        float(found[NOISE_SHARE]),
        float(found[SILHOUETTE]),
        float(found[DAVIES_BOULDIN]),
        float(found[AGREEMENT]),
    )
    return ClustererResult(data, algorithm, setting, labels[algorithm], scores, by_rule)


class ClustererFigure:
    """The partition on the picture's two axes, as notebook 6 draws partitions
    (:func:`~segmentation.viz.comparison.draw_partition`: each cluster in its colour, never the
    grey of noise; noise points as grey crosses), the legend giving each group's size."""

    def __init__(self, figsize: tuple[float, float] = (6.4, 4.4), dpi: int = 80) -> None:
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.ax = self.figure.subplots()
        self.figure.subplots_adjust(left=0.11, right=0.72, bottom=0.12, top=0.92)

    def draw(self, result: ClustererResult) -> Figure:
        """Draw ``result`` (rendered: its canvas holds the picture); returns the figure."""
        ax, data = self.ax, result.data
        ax.clear()
        shape = f"{data.name}, " if data.is_shape else ""
        draw_partition(
            ax,
            data.shown,
            result.labels,
            title=f"{shape}{result.algorithm}: {result.setting}",
            axis_names=data.axis_names,
        )
        # beside the picture rather than on it: the widget's legend can grow long
        ax.legend(
            fontsize=7,
            loc="upper left",
            bbox_to_anchor=(1.02, 1),
            borderaxespad=0,
        )
        self.canvas.draw()
        return self.figure

    def png(self) -> bytes:
        return canvas_png(self.canvas)


def scores_html(result: ClustererResult) -> str:
    """The scores as an HTML table, each with how to read it; the sizes in their colours."""
    s = result.scores
    rows = [
        ("clusters found", str(s.clusters), "noise not counted"),
        ("share marked noise", f"{100 * s.noise_share:.1f}%", "DBSCAN only"),
        ("silhouette", _shown(s.silhouette), "higher is better, at most 1; without noise"),
        ("Davies-Bouldin", _shown(s.davies_bouldin), "lower is better; without noise"),
        (f"ARI with {result.data.truth_name}", _shown(s.ari), "1 = the same partition"),
    ]
    body = "".join(
        f"<tr><th scope='row'>{name}</th><td style='text-align:right; padding:2px 8px'>"
        f"{value}</td><td><small>{reading}</small></td></tr>"
        for name, value, reading in rows
    )
    styles = [partition_style(j) for j in range(len(result.sizes))]
    sizes = " ".join(
        f"<span style='color:{colour}'>{_SYMBOLS[marker]}</span> {n}"
        for (colour, marker), n in zip(styles, result.sizes, strict=True)
    )
    return (
        f"<table class='clusterer-scores'><caption>Scores (sizes: {sizes or 'none'})"
        f"</caption><tbody>{body}</tbody></table>"
    )


#: The widgets, by attribute; each gets the CSS class clusterer-explorer-<attribute>.
_WIDGETS = (
    "data",
    "algorithm",
    "eps",
    "min_samples",
    "n_components",
    "covariance_type",
    "image",
    "summary",
    "scores",
    "debug",
)


class ClustererExplorer(Shown):
    """The widget: pick the data and the algorithm, move its sliders, and see the partition
    and the scores change. DBSCAN's ``eps`` and ``min_samples`` start from notebook 6's rule
    for the data unless given, and picking other data sets them by the rule for it. Each
    setting is fitted once and kept; each update's time, from the control change to the new
    figure, is kept in ``timings`` (ms) and shown in the debug line."""

    def __init__(
        self,
        customers: pd.DataFrame,
        *,
        algorithm: str = "DBSCAN",
        eps: float | None = None,
        min_samples: int | None = None,
        n_components: int = 3,
        covariance_type: str = "full",
        data: str = COURSE,
    ) -> None:
        self.customers = customers
        self.datasets: dict[str, ClustererData] = {}
        self.results: dict[tuple, ClustererResult] = {}
        self.drawing = ClustererFigure()
        self.timings: list[dict[str, Any]] = []
        self._quiet = False
        chosen = self.dataset(data)
        eps = chosen.eps if eps is None else eps
        min_samples = chosen.min_samples if min_samples is None else min_samples
        self._add_widgets(data, algorithm, eps, min_samples, n_components, covariance_type)
        for name in _WIDGETS[1:6]:
            getattr(self, name).observe(self._changed, names="value")
        self.data.observe(self._data_changed, names="value")
        self.update(cause="start")

    def _add_widgets(
        self,
        data: str,
        algorithm: str,
        eps: float,
        min_samples: int,
        n_components: int,
        covariance_type: str,
    ) -> None:
        import ipywidgets as widgets

        style = {"description_width": "initial"}
        self.data = widgets.Dropdown(
            options=list(CLUSTERER_DATA), value=data, description="data", style=style
        )
        self.algorithm = widgets.ToggleButtons(
            options=list(ALGORITHMS), value=algorithm, description="algorithm", style=style
        )
        slider = {"continuous_update": False, "style": style}
        # steps of 0.01: the rule's eps (1.78 on the customers, 0.16 on the moons) is on them
        self.eps = widgets.FloatSlider(
            value=eps, min=0.01, max=3.0, step=0.01, description="eps", **slider
        )
        self.min_samples = widgets.IntSlider(
            value=min_samples, min=1, max=40, description="min_samples", **slider
        )
        self.n_components = widgets.IntSlider(
            value=n_components, min=1, max=10, description="components", **slider
        )
        self.covariance_type = widgets.Dropdown(
            options=list(COVARIANCE_TYPES),
            value=covariance_type,
            description="covariance",
            style=style,
        )
        self.image = widgets.Image(format="png")
        self.summary = widgets.HTML()
        self.scores = widgets.HTML()
        self.debug = widgets.HTML()
        for name in _WIDGETS:
            getattr(self, name).add_class(f"clusterer-explorer-{name}")
        self.dbscan_controls = widgets.HBox([self.eps, self.min_samples])
        self.mixture_controls = widgets.HBox([self.n_components, self.covariance_type])

    def dataset(self, name: str) -> ClustererData:
        if name not in self.datasets:
            self.datasets[name] = clusterer_data(self.customers, name)
        return self.datasets[name]

    def result(self) -> ClustererResult:
        """The result for the controls' values, fitted once per setting."""
        dbscan = self.algorithm.value == "DBSCAN"
        params: dict[str, Any] = (
            {"eps": round(self.eps.value, 6), "min_samples": self.min_samples.value}
            if dbscan
            else {
                "n_components": self.n_components.value,
                "covariance_type": self.covariance_type.value,
            }
        )
        key = (self.data.value, self.algorithm.value, *sorted(params.items()))
        if key not in self.results:
            data = self.dataset(self.data.value)
            self.results[key] = run_clusterer(data, self.algorithm.value, **params)
        return self.results[key]

    def _changed(self, change: dict) -> None:
        if not self._quiet:
            self.update(cause=getattr(change["owner"], "description", "control"))

    def _data_changed(self, change: dict) -> None:
        """Other data: DBSCAN's settings by notebook 6's rule for it, then one update."""
        chosen = self.dataset(change["new"])
        self._quiet = True  # setting the two sliders must not fit twice on the way
        try:
            self.min_samples.value = chosen.min_samples
            self.eps.value = chosen.eps
        finally:
            self._quiet = False
        self.update(cause="data")

    def update(self, *, cause: str = "code") -> ClustererResult:
        """Show the controls that apply, then the result for their values."""
        started = time.perf_counter()
        fitted_before = len(self.results)
        dbscan = self.algorithm.value == "DBSCAN"
        self.dbscan_controls.layout.display = None if dbscan else "none"
        self.mixture_controls.layout.display = "none" if dbscan else None
        result = self.result()
        fitted = len(self.results) > fitted_before
        self.drawing.draw(result)
        self.image.value = self.drawing.png()
        self.summary.value, self.scores.value = status_html(result.summary()), scores_html(result)
        log.debug("clusterer update after %s: %s", cause, result.summary())
        self.debug.value = record_update(
            self.timings, cause, started, fitted, f"{len(self.results)} settings kept"
        )
        return result

    @cached_property
    def widget(self) -> Any:
        """The controls that apply to the algorithm, the summary, the figure beside the
        scores, and the debug line."""
        import ipywidgets as widgets

        return widgets.VBox(
            [
                widgets.HBox([self.data, self.algorithm]),
                self.dbscan_controls,
                self.mixture_controls,
                self.summary,
                widgets.HBox([self.image, self.scores]),
                self.debug,
            ],
            layout=widgets.Layout(max_width="960px"),
        )
