"""How good a segmentation is, in numbers a person can check: J, the silhouette read on
Kaufman and Rousseeuw's scale, sizes, agreement with Channel and stability across seeds.

:func:`silhouette_scorer` gives the same silhouette to scikit-learn's model selection, so
that ``GridSearchCV`` can choose k:

>>> from sklearn.model_selection import GridSearchCV, KFold
>>> from segmentation.data.shipped import load_customers
>>> from segmentation.model.pipeline import SegmentationModel
>>> search = GridSearchCV(SegmentationModel(evaluate=False), {"k": [2, 3, 4]},
...                       scoring=silhouette_scorer, cv=KFold(3, shuffle=True, random_state=0))
>>> search.fit(load_customers()).best_params_
{'k': 2}
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, silhouette_score

from segmentation.cluster.steps import objective
from segmentation.model.inputs import MAX_SEEDS, ROUNDING, SEED_RANGE, shown, whole
from segmentation.model.naming import channel_words

#: Kaufman and Rousseeuw's reading of an average silhouette (Finding Groups in Data, 1990,
#: ch. 2): the lower edge of each band and its reading. The bands cover -1 to 1 without a gap;
#: each starts at its lower edge (0.50 is reasonable), and the value is read unrounded.
SILHOUETTE_SCALE = (
    (0.70, "strong structure"),
    (0.50, "reasonable structure"),
    (0.25, "weak structure, possibly artificial"),
    (-1.0, "no substantial structure"),
)
SILHOUETTE_SCALE_TEXT = (
    "Kaufman and Rousseeuw: 0.70 to 1 strong, 0.50 to 0.70 reasonable, "
    "0.25 to 0.50 weak, below 0.25 none; an edge belongs to the band above it"
)
#: A silhouette this close to a band's edge (or closer) is read as on the border of the next
#: band: another sample of customers could put it on the other side (on the course data, k = 3,
#: the silhouette of a random half of the customers varies with a standard deviation of 0.013).
SILHOUETTE_BORDER = 0.01

#: Above this many customers, the silhouette (which compares every pair) and the seed
#: stability are measured on a seeded sample of this size.
EVALUATION_SAMPLE = 10_000


def silhouette_band(value: float | None) -> tuple[str, str | None]:
    """The band of Kaufman and Rousseeuw's scale an average silhouette falls in, and the
    neighbouring band when the value is within :data:`SILHOUETTE_BORDER` of their edge.

    Parameters
    ----------
    value : float or None
        An average silhouette, from -1 to 1; None (or NaN) when it is not defined, as for a
        single segment.

    Returns
    -------
    tuple of (str, str or None)
        The band's reading (see :data:`SILHOUETTE_SCALE`) and the neighbouring band's, or None
        when the value is not near an edge.

    >>> silhouette_band(0.2585)
    ('weak structure, possibly artificial', 'no substantial structure')
    >>> silhouette_band(0.4)
    ('weak structure, possibly artificial', None)
    >>> silhouette_band(1.0000000005)  # within the rounding a model file may hold
    ('strong structure', None)
    """
    if value is None or math.isnan(value):
        return "not defined (it needs at least two segments)", None
    # A model file may hold a silhouette up to ROUNDING beyond -1 or 1 (the last bits of a
    # mean); whatever load_model accepts is read here, as the edge it rounds to.
    if not -1 - ROUNDING <= value <= 1 + ROUNDING:
        raise ValueError(f"a silhouette lies between -1 and 1; got {value}.")
    value = min(max(value, -1.0), 1.0)
    band = next(j for j, (lowest, _) in enumerate(SILHOUETTE_SCALE) if value >= lowest)
    # 1e-9: 0.26 - 0.25 is 0.01000000000000001 in binary floating point, yet 0.01 away.
    near = SILHOUETTE_BORDER + 1e-9
    neighbour = None
    if band + 1 < len(SILHOUETTE_SCALE) and value - SILHOUETTE_SCALE[band][0] <= near:
        neighbour = SILHOUETTE_SCALE[band + 1][1]
    elif band > 0 and SILHOUETTE_SCALE[band - 1][0] - value <= near:
        neighbour = SILHOUETTE_SCALE[band - 1][1]
    return SILHOUETTE_SCALE[band][1], neighbour


def silhouette_reading(value: float | None) -> str:
    """What an average silhouette says of a segmentation, on Kaufman and Rousseeuw's scale.

    The value is read as it is, not rounded: 0.70 to 1 strong structure, 0.50 to 0.70
    reasonable, 0.25 to 0.50 weak and possibly artificial, below 0.25 no substantial
    structure (an edge belongs to the band above it). Within :data:`SILHOUETTE_BORDER` of an
    edge, the reading says so: the value is on the border of the next band. The value is
    taken as by :func:`silhouette_band` (None or NaN: not defined).

    >>> silhouette_reading(0.4)
    'weak structure, possibly artificial'
    >>> silhouette_reading(0.2585)
    'weak structure, possibly artificial (on the border of no substantial structure)'
    """
    band, neighbour = silhouette_band(value)
    return band if neighbour is None else f"{band} (on the border of {neighbour})"


@dataclass(frozen=True)
class Evaluation:
    """How good a segmentation is, in numbers a person can check."""

    J: float  # sum of squared distances to the own centre (scaled)
    silhouette: float | None  # -1 to 1: how much nearer the own segment than the next
    sizes: tuple[int, ...]
    channel_ari: float | None  # agreement with Channel (adjusted Rand index), if known
    stability: float  # mean agreement (ARI) of refits with other seeds
    stability_min: float
    seeds: int  # how many other seeds were tried
    customers: int

    def table(self) -> pd.DataFrame:
        """The evaluation as a table of measure, value and what it means."""
        rows = [
            (
                "J",
                round(self.J, 1),
                (
                    "sum of squared distances to the own centre; lower is tighter (only comparable "
                    "for the same data and k)"
                ),
            ),
            (
                "silhouette",
                "n/a" if self.silhouette is None else round(self.silhouette, 3),
                silhouette_reading(self.silhouette)
                if self.silhouette is None
                else f"{silhouette_reading(self.silhouette)} ({SILHOUETTE_SCALE_TEXT})",
            ),
            ("segment sizes", " / ".join(map(str, self.sizes)), "customers per segment"),
            (
                "agreement with Channel (ARI)",
                "n/a" if self.channel_ari is None else round(self.channel_ari, 3),
                "0 = no more than chance, 1 = the segments are the channels",
            ),
            (
                "stability across seeds (ARI)",
                f"{self.stability:.3f} (lowest {self.stability_min:.3f})",
                f"agreement with refits from {self.seeds} other seeds; "
                "1 = always the same segments",
            ),
        ]
        return pd.DataFrame(rows, columns=["measure", "value", "meaning"])


def measure(
    X: np.ndarray,
    labels: np.ndarray,
    centres: np.ndarray,
    channel: Any,
    refit: Callable[[np.ndarray, int], np.ndarray],
    *,
    random_state: int,
    seeds: int = 10,
) -> Evaluation:
    """The :class:`Evaluation` of customers already transformed and scaled (``X``), in
    segments ``labels`` around ``centres``.

    Parameters
    ----------
    X : array of shape (n, d)
        The customers as the model sees them.
    labels : array of shape (n,)
        Each customer's segment.
    centres : array of shape (k, d)
        The segments' centres.
    channel : array-like of shape (n,) or None
        The customers' Channel column, if they have one.
    refit : callable
        ``refit(sample, seed)`` clusters ``sample`` again from another seed and gives its
        labels: the stability is the mean agreement of such refits with ``labels``.
    random_state : int
        The model's seed; the refits take the next ``seeds`` seeds.
    seeds : int
        How many refits, from 1 to :data:`MAX_SEEDS`.
    """
    if not whole(seeds, 1, MAX_SEEDS):
        raise ValueError(f"seeds must be a whole number from 1 to {MAX_SEEDS}; got {shown(seeds)}.")
    k = len(centres)
    sample = _sample(len(X), EVALUATION_SAMPLE)
    Xs, ls = X[sample], labels[sample]
    channel_ari = None
    words = channel_words(channel)
    if words is not None and k > 1:
        # Customers of a known channel only: an unknown one belongs to no channel.
        known = words != None  # noqa: E711 (elementwise, on an object array)
        if known.any():
            channel_ari = float(adjusted_rand_score(words[known].astype(str), labels[known]))
    # The next seeds, counted round past 2**32 - 1 to 0: scikit-learn takes no larger.
    agreements = [
        adjusted_rand_score(ls, refit(Xs, (random_state + step) % (SEED_RANGE[1] + 1)))
        for step in range(1, seeds + 1)
    ]
    return Evaluation(
        J=objective(X, centres, labels),
        silhouette=_silhouette(Xs, ls),
        sizes=tuple(int(s) for s in np.bincount(labels, minlength=k)),
        channel_ari=channel_ari,
        stability=float(np.mean(agreements)),
        stability_min=float(np.min(agreements)),
        seeds=seeds,
        customers=len(X),
    )


def silhouette_scorer(estimator: Any, customers: pd.DataFrame, y: Any = None) -> float:
    """The average silhouette of ``customers`` as a fitted model segments them, for
    scikit-learn's model selection (``GridSearchCV(..., scoring=silhouette_scorer)``): higher
    is better, and it does not simply grow with k as minus J (``model.score``) does.

    The silhouette is measured in the model's scaled space (on a seeded sample of
    :data:`EVALUATION_SAMPLE` customers when there are more); NaN when the customers fall in a
    single segment, where it is not defined (``GridSearchCV`` ranks NaN last). ``y`` is
    ignored.
    """
    X, labels = estimator.features_of(customers), estimator.segment_of(customers)
    sample = _sample(len(X), EVALUATION_SAMPLE)
    silhouette = _silhouette(X[sample], labels[sample])
    return math.nan if silhouette is None else silhouette


def _silhouette(X: np.ndarray, labels: np.ndarray) -> float | None:
    """The average silhouette, or None where it is not defined (one segment, or every
    customer a segment of their own)."""
    return float(silhouette_score(X, labels)) if 1 < len(np.unique(labels)) < len(X) else None


def _sample(n: int, size: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, size, replace=False))
