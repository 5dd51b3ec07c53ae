"""scikit-learn's HDBSCAN, with the same clusters on every CPU.

HDBSCAN joins the points along a minimum spanning tree, its edges sorted by length. Many
edges have exactly the same length (a mutual-reachability distance is often a point's core
distance, shared by all of its edges), and scikit-learn sorts them with NumPy's default sort,
which does not keep the order of equal values and which NumPy runs with a different
algorithm on a processor with AVX-512. The order of those ties changes which points merge
first, and with it the clusters: on the course data, with ``min_cluster_size=10``, two lab
machines found clusters of 44 and 56 customers, or of 45 and 55.

:class:`HDBSCAN` here is scikit-learn's estimator, unchanged but for that one sort: equal
edges keep the order in which the tree was built (a stable sort), which is the same on every
machine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.cluster import HDBSCAN as _SklearnHDBSCAN
from sklearn.cluster._hdbscan import hdbscan as _sklearn_hdbscan

_PATCH_LOCK = threading.RLock()


def _process_mst_stably(min_spanning_tree: np.ndarray) -> np.ndarray:
    """scikit-learn's ``_process_mst`` with a stable sort: the single-linkage tree of the
    minimum spanning tree, its edges in order of length, equal lengths in the tree's order."""
    order = np.argsort(min_spanning_tree["distance"], kind="stable")
    return _sklearn_hdbscan.make_single_linkage(min_spanning_tree[order])


@contextmanager
def stable_edge_order() -> Iterator[None]:
    """Within the block, scikit-learn's HDBSCAN sorts its tree's edges stably."""
    with _PATCH_LOCK:
        original = _sklearn_hdbscan._process_mst
        _sklearn_hdbscan._process_mst = _process_mst_stably
        try:
            yield
        finally:
            _sklearn_hdbscan._process_mst = original


class HDBSCAN(_SklearnHDBSCAN):
    """scikit-learn's :class:`sklearn.cluster.HDBSCAN` (same parameters, same attributes),
    whose clusters do not depend on the processor: equal edges of its spanning tree are
    ordered by a stable sort (see the module's text).

    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [20.0], [21.0], [22.0], [23.0]])
    >>> HDBSCAN(min_cluster_size=3, copy=True).fit_predict(X).tolist()
    [0, 0, 0, 0, 1, 1, 1, 1]
    """

    def fit(self, X: Any, y: Any = None) -> HDBSCAN:
        with stable_edge_order():
            super().fit(X, y)
        return self
