"""Interactive pictures for the notebooks. The computing is in plain functions that tests
call directly (:func:`segmentation.selection.segment_with_k`, :func:`draw_segmentation`); a
widget only wires a control to them.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np
from IPython.display import display
from matplotlib.figure import Figure
from sklearn.decomposition import PCA

from segmentation.plots import CLUSTER_COLOURS, plot_clusters
from segmentation.selection import Segmentation, segment_with_k


def draw_segmentation(result: Segmentation, view: np.ndarray, fig: Figure,
                      projected_centres: np.ndarray | None = None,
                      axis_names: tuple[str, str] = ("PC 1", "PC 2")) -> Figure:
    """Draw a segmentation on ``fig``: the customers in a 2-D view, coloured by segment, and
    the size of each segment."""
    fig.clear()
    scatter, bars = fig.subplots(1, 2, width_ratios=[2, 1])
    plot_clusters(view, result.labels, projected_centres, feature_names=axis_names, ax=scatter,
                  title=result.headline())
    bars.bar([str(j) for j in range(result.k)], result.sizes,
             color=[CLUSTER_COLOURS[j % len(CLUSTER_COLOURS)] for j in range(result.k)])
    bars.set_xlabel("segment")
    bars.set_ylabel("customers")
    bars.set_title("Segment sizes")
    fig.tight_layout()
    return fig


class KExplorer:
    """A k slider that refits k-means and redraws the segments, their sizes and J.

    The customers are drawn in the plane of their first two principal components (the 2-D
    view that keeps most of their spread); the fitting uses every column of ``X``. Results are
    kept per k, so moving the slider back is instant.
    """

    def __init__(self, X: Any, *, k: int = 3, k_min: int = 1, k_max: int = 10,
                 random_state: int = 0) -> None:
        self.X = np.asarray(X, dtype=float)
        self.random_state = random_state
        self._pca = PCA(n_components=2, random_state=random_state).fit(self.X)
        self.view = self._pca.transform(self.X)
        self.results: dict[int, Segmentation] = {}
        self.figure = Figure(figsize=(9, 3.6))
        self.slider = widgets.IntSlider(value=k, min=k_min, max=min(k_max, len(self.X)),
                                        description="k", continuous_update=False)
        self.summary = widgets.HTML()
        self.output = widgets.Output()
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.show(k)

    def result(self, k: int) -> Segmentation:
        if k not in self.results:
            self.results[k] = segment_with_k(self.X, k, random_state=self.random_state)
        return self.results[k]

    def show(self, k: int) -> Segmentation:
        """Segment with k (or take the kept result) and redraw."""
        result = self.result(k)
        draw_segmentation(result, self.view, self.figure,
                          projected_centres=self._pca.transform(result.centres))
        self.summary.value = f"<b>{result.summary()}</b>"
        with self.output:
            self.output.clear_output(wait=True)
            display(self.figure)
        return result

    @property
    def widget(self) -> widgets.VBox:
        return widgets.VBox([self.slider, self.summary, self.output])

    def _ipython_display_(self) -> None:
        display(self.widget)
