"""A segmentation model: the whole path from a customer table to named segments, kept in a file.

The path is the one of the course: choose the spending categories (features), take their log
(or not), scale each to mean 0 and standard deviation 1, cluster with k-means, then name each
segment from what its customers buy. :class:`SegmentationModel` holds every number of that
path, so that new customers go through exactly the same steps.

Names say only what is true of a segment (:func:`name_segments`): its size among the
segments, the categories it buys clearly more of than the average customer (a share index of
at least :data:`NAMING_INDEX`), and, when the training data has a Channel column, its mix of
Retail and Horeca customers with the share shown. Its strategy follows that mix.

A model is saved as JSON that a person can read (:meth:`SegmentationModel.save`): features,
transform, scaling, centres, names, Retail shares and strategies, the training data's checksum,
the library version, and a checksum of the whole, so that :func:`load_model` refuses a damaged,
edited or incompatible file with a message that says what is wrong. Models are never pickled:
loading a file runs no code from it.

>>> from segmentation.data.shipped import load_customers
>>> model = SegmentationModel.fit(load_customers(), k=3)
>>> model.names  # doctest: +NORMALIZE_WHITESPACE
['large, broad basket: mixed channels (62% Retail)',
 'medium, detergents and grocery: mixed channels (61% Retail)',
 'small, frozen and fresh: mostly Horeca (99%)']
>>> model.evaluation.sizes
(143, 82, 215)
>>> round(model.evaluation.silhouette, 3)
0.259
>>> silhouette_reading(model.evaluation.silhouette)
'weak structure, possibly artificial (on the border of no substantial structure)'
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import reprlib
import stat
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, silhouette_score

from segmentation import __version__
from segmentation.cluster.kmeans import KMeans, objective
from segmentation.cluster.numbering import number_segments
from segmentation.data.output import write_atomically
from segmentation.data.reader import MAX_SPENDING, read_customer_csv
from segmentation.data.schema import CHANNELS, SPENDING_COLUMNS

#: What the "format" field of a model file says, and the newest format this library reads.
#: Format 2 records each segment's Retail share and names segments by the rules below; a
#: format 1 file still loads (see :meth:`SegmentationModel.from_dict`).
FORMAT = "customer-segmentation model"
FORMAT_VERSION = 2

TRANSFORMS = ("log", "none")
ALGORITHMS = ("course", "scikit-learn")

#: How the categories read in a segment's name.
CATEGORY_WORDS = {
    "Fresh": "fresh",
    "Milk": "milk",
    "Grocery": "grocery",
    "Frozen": "frozen",
    "Detergents_Paper": "detergents",
    "Delicassen": "delicatessen",
}
#: A category is named in a segment's name when its share of the segment's spending is at
#: least this many times its share of all customers' spending: a fifth more than average, a
#: difference a buyer notices. On the course data (k = 2 to 6) every segment's highest index
#: is 1.37 or more, but one: the largest segment at k = 3, whose highest is 1.17 (then 1.15).
#: Its basket is broad, and 1.2 sits in that gap.
NAMING_INDEX = 1.2
#: At most this many categories in a name: those with the highest indexes.
NAMED_CATEGORIES = 2
#: A segment is "mostly Retail" when at least this share of its customers (with a known
#: Channel) are Retail, "mostly Horeca" when at least this share are Horeca, and "mixed
#: channels" in between.
MOSTLY = 2 / 3
CHANNEL_WORDS = ("mostly Retail", "mostly Horeca", "mixed channels")

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

#: Distances per block when segments are found without keeping every distance
#: (:meth:`SegmentationModel.segment_of`): BLOCK // k customers at a time, 8 MB of distances.
BLOCK = 1 << 20

#: Above this many customers, the silhouette (which compares every pair) and the seed
#: stability are measured on a seeded sample of this size.
EVALUATION_SAMPLE = 10_000

# --- the bounds of a model -----------------------------------------------------------------
# A model file is checked against these before anything uses it, and `fit` keeps within them,
# so that every model it saves loads again. They keep every distance finite: a customer scaled
# by a model lies within (1e15 + 1e15) / 1e-12 = 2e27 of 0, its square far below the 1.8e308
# where floating point overflows.

#: The largest spending (m.u. a year, in one category) a model is fitted on or segments: far
#: beyond any customer's.
MAX_MODEL_SPENDING = 1e15
#: A standard deviation below this is rounding noise, not a spread of the customers: such a
#: feature is left unscaled (scale 1), as one with a single value is.
MIN_SCALE = 1e-12
#: Centres lie within this distance of 0 on each scaled feature: a fitted centre is a mean of
#: scaled values, which lie within the square root of the number of customers of 0 (so beyond
#: 1e6 only for more than 1e12 customers).
MAX_CENTRE = 1e6
#: Random starts of k-means, and seeds: whole numbers in these ranges (scikit-learn takes
#: seeds from 0 to 2**32 - 1).
N_INIT_RANGE = (1, 1000)
SEED_RANGE = (0, 2**32 - 1)
#: At most this many refits with other seeds measure an evaluation's stability.
MAX_SEEDS = 1000
#: Text in a model file (a name, a strategy, a file name) is one line of printable characters,
#: at most this long.
MAX_TEXT = 1000
#: The largest model file read: a segment takes about 1 kB, so this is a model of some 50,000
#: segments.
MAX_MODEL_BYTES = 50_000_000
#: A model file nests objects and lists 4 deep (the file, its segments, a segment, its mean
#: spending); deeper than this is no model file, and would exhaust Python's stack at 1,000 or so.
MAX_DEPTH = 32
#: The longest whole number a model file holds (a count of customers, a seed) has 20 digits.
MAX_DIGITS = 20


class ModelFileError(ValueError):
    """A model file that cannot be used; the message says why and what to do.

    ``kind`` says which sort of file it was, for a program that words its own advice (the
    command line does): ``"table"`` for a CSV table given where a model goes, ``"not a
    model"`` for any other file that is no model at all, ``"unusable"`` for the rest (a
    missing, damaged or newer model file).
    """

    def __init__(
        self, path: str, problems: Sequence[str], hint: str, *, kind: str = "unusable"
    ) -> None:
        self.path, self.problems, self.hint, self.kind = path, list(problems), hint, kind
        lines = [f"{path} cannot be used as a segmentation model:"]
        lines += [f"  - {p}" for p in self.problems]
        lines.append(hint)
        super().__init__("\n".join(lines))


class ModelInputError(ValueError):
    """A customer table that a model cannot segment (a column missing, a bad value)."""


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
    # A model file may hold a silhouette up to _ROUNDING beyond -1 or 1 (the last bits of a
    # mean); whatever load_model accepts is read here, as the edge it rounds to.
    if not -1 - _ROUNDING <= value <= 1 + _ROUNDING:
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
    edge, the reading says so: the value is on the border of the next band.

    Parameters
    ----------
    value : float or None
        An average silhouette, from -1 to 1; None (or NaN) when it is not defined, as for a
        single segment.

    Returns
    -------
    str
        The reading, such as ``"weak structure, possibly artificial"``.

    >>> silhouette_reading(0.4)
    'weak structure, possibly artificial'
    >>> silhouette_reading(0.2585)
    'weak structure, possibly artificial (on the border of no substantial structure)'
    """
    band, neighbour = silhouette_band(value)
    return band if neighbour is None else f"{band} (on the border of {neighbour})"


@dataclass(frozen=True)
class Segment:
    """One segment: its number, its name in business terms, and what it stands for."""

    number: int
    name: str
    size: str  # "large", "medium" or "small": by total spending
    buys_more: tuple[str, ...]  # share index >= NAMING_INDEX, highest first
    channel: str | None  # one of CHANNEL_WORDS; None when Channel was not known
    retail_share: float | None  # share of Retail among its customers with a known Channel
    strategy: str
    customers: int  # in the training data
    mean_total: float  # mean total annual spending (m.u.)
    mean_spending: dict[str, float]  # mean annual spending per category (m.u.)


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


@dataclass
class SegmentationModel:
    """Features, transform, scaling, k-means centres and named segments, as one object.

    Make one with :meth:`fit`, or read one with :func:`load_model`. The centres live in the
    scaled space; segment 0 is the one with the largest mean total spending.
    """

    features: tuple[str, ...]
    transform: str
    mean: np.ndarray
    scale: np.ndarray
    centres: np.ndarray
    segments: list[Segment]
    algorithm: str = "course"
    random_state: int = 0
    n_init: int = 10
    training: dict[str, Any] = field(default_factory=dict)
    evaluation: Evaluation | None = None
    library_version: str = __version__

    # --- fitting ------------------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        customers: pd.DataFrame,
        k: int = 3,
        *,
        features: Sequence[str] = SPENDING_COLUMNS,
        transform: str = "log",
        algorithm: str = "course",
        random_state: int = 0,
        n_init: int = 10,
        source: str | None = None,
        evaluate: bool = True,
    ) -> SegmentationModel:
        """Fit the whole path on a customer table (as :func:`read_customer_csv` returns).

        ``source`` is recorded as where the data came from (a file name, say; characters
        that are not printable text are written as escapes). With ``evaluate`` the model keeps
        its :class:`Evaluation` on the training data.

        Raises ValueError for a setting out of range (``n_init`` runs from 1 to 1000,
        ``random_state`` from 0 to 2**32 - 1), and :class:`ModelInputError` for a table it
        cannot fit: a spending that is not a number from 0 to :data:`MAX_MODEL_SPENDING`, a
        spending column twice, fewer distinct customers than ``k``, or customers so nearly
        alike that k-means finds fewer than ``k`` groups (a segment would be empty, and a
        model with an empty segment is no model).
        """
        features = _check_features(features)
        _check_choices(transform, algorithm)
        raw = _spending_matrix(customers, features, "the training data")
        n = len(raw)
        _check_k(k, n)
        _check_settings(n_init, random_state)
        mean, scale, X = _standardised(_transform(raw, transform))
        _check_distinct(X, int(k))
        labels, centres = _cluster_all(X, int(k), algorithm, random_state, n_init)
        labels, order = number_segments(labels, raw.sum(axis=1), int(k))
        centres = centres[order]
        segments = name_segments(raw, labels, features, customers.get("Channel"))
        model = cls(
            features=features,
            transform=transform,
            mean=mean,
            scale=scale,
            centres=centres,
            segments=segments,
            algorithm=algorithm,
            random_state=int(random_state),
            n_init=int(n_init),
            training={
                "customers": n,
                "data_sha256": data_checksum(raw, features),
                "source": _printable(source),
            },
        )
        if evaluate:
            model.evaluation = model._evaluate(X, labels, customers.get("Channel"))
        return model

    @property
    def k(self) -> int:
        return len(self.centres)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.segments]

    # --- using it -----------------------------------------------------------------------------

    def features_of(self, customers: pd.DataFrame, what: str = "the customer table") -> np.ndarray:
        """The customers as the model sees them: transformed and scaled features."""
        values = _transform(
            _spending_matrix(customers, self.features, what), self.transform, in_place=True
        )
        values -= self.mean
        values /= self.scale
        return values

    def distances(self, X: np.ndarray) -> np.ndarray:
        """Euclidean distance of each row of (scaled) ``X`` to each centre: (n, k).

        As |x|^2 - 2 x.c + |c|^2, one matrix product for all centres; the features are scaled
        (values of a few units), so the rounding this allows is around 1e-15.
        """
        out = X @ (-2 * self.centres.T)
        out += np.einsum("ij,ij->i", X, X)[:, None]
        out += np.einsum("ij,ij->i", self.centres, self.centres)[None, :]
        np.maximum(out, 0, out=out)
        return np.sqrt(out, out=out)

    def segment_of(self, customers: pd.DataFrame, *, block: int = BLOCK) -> np.ndarray:
        """The segment of each customer (the nearest centre), without keeping every distance:
        they are computed ``block`` distances (``block // k`` customers) at a time, so memory
        grows with the customers times the features, not times k."""
        return self._nearest(self.features_of(customers), block)

    def _nearest(self, X: np.ndarray, block: int = BLOCK) -> np.ndarray:
        """:meth:`segment_of` for customers already transformed and scaled (``X``)."""
        labels = np.empty(len(X), dtype=np.intp)
        rows = max(1, block // self.k)
        for start in range(0, len(X), rows):
            labels[start : start + rows] = self.distances(X[start : start + rows]).argmin(axis=1)
        return labels

    def predict(self, customers: pd.DataFrame) -> pd.DataFrame:
        """The segment of each customer, its name, and the distance to every centre.

        Returns a table with ``id`` (if the customers have one), ``segment``, ``name`` and
        ``distance_0`` ... ``distance_{k-1}``, in the customers' order.
        """
        distances = self.distances(self.features_of(customers))
        segment = distances.argmin(axis=1)
        columns: dict[str, Any] = {}
        if "id" in customers:
            columns["id"] = customers["id"].to_numpy()
        columns["segment"] = segment
        columns["name"] = pd.Categorical.from_codes(segment, categories=self.names)
        for j in range(self.k):
            columns[f"distance_{j}"] = distances[:, j]
        return pd.DataFrame(columns, index=customers.index)

    def predict_csv(
        self, path: str | PathLike[str], *, max_spending: float = MAX_SPENDING
    ) -> pd.DataFrame:
        """Read a customer CSV file with the checked reader and segment every customer."""
        return self.predict(read_customer_csv(path, max_spending=max_spending))

    def evaluate(
        self, customers: pd.DataFrame, *, labels: np.ndarray | None = None, seeds: int = 10
    ) -> Evaluation:
        """J, silhouette, sizes, agreement with Channel and stability across seeds, on
        ``customers`` segmented by this model."""
        if not _whole(seeds, 1, MAX_SEEDS):
            raise ValueError(
                f"seeds must be a whole number from 1 to {MAX_SEEDS}; got {_shown(seeds)}."
            )
        X = self.features_of(customers)
        if labels is None:
            labels = self._nearest(X)
        return self._evaluate(X, labels, customers.get("Channel"), seeds)

    def _evaluate(
        self, X: np.ndarray, labels: np.ndarray, channel_column: Any, seeds: int = 10
    ) -> Evaluation:
        """:meth:`evaluate` on customers already transformed and scaled (``X``)."""
        J = objective(X, self.centres, labels)
        sample = _sample(len(X), EVALUATION_SAMPLE)
        Xs, ls = X[sample], labels[sample]
        silhouette = float(silhouette_score(Xs, ls)) if 1 < len(np.unique(ls)) < len(Xs) else None
        channel = None
        words = channel_words(channel_column)
        if words is not None and self.k > 1:
            # Customers of a known channel only: an unknown one belongs to no channel.
            known = words != None  # noqa: E711 (elementwise, on an object array)
            if known.any():
                channel = float(adjusted_rand_score(words[known].astype(str), labels[known]))
        agreements = []
        for step in range(1, seeds + 1):
            # The next seeds, counted round past 2**32 - 1 to 0: scikit-learn takes no larger.
            seed = (self.random_state + step) % (SEED_RANGE[1] + 1)
            refit, _ = _cluster(Xs, self.k, self.algorithm, seed, self.n_init)
            agreements.append(adjusted_rand_score(ls, refit))
        return Evaluation(
            J=J,
            silhouette=silhouette,
            sizes=tuple(int(s) for s in np.bincount(labels, minlength=self.k)),
            channel_ari=channel,
            stability=float(np.mean(agreements)),
            stability_min=float(np.min(agreements)),
            seeds=seeds,
            customers=len(X),
        )

    def describe(self) -> pd.DataFrame:
        """One row per segment: name, customers, mean total spending and strategy."""
        return pd.DataFrame(
            {
                "segment": [s.number for s in self.segments],
                "name": self.names,
                "customers": [s.customers for s in self.segments],
                "mean total (m.u.)": [round(s.mean_total) for s in self.segments],
                "strategy": [s.strategy for s in self.segments],
            }
        ).set_index("segment")

    def share_index(self) -> pd.DataFrame:
        """Per segment and category, the :func:`share_index` of the training customers: how
        many times the average share of spending the segment spends on the category. A
        category is named in the segment's name from :data:`NAMING_INDEX` on."""
        sums = [[s.mean_spending[c] * s.customers for c in self.features] for s in self.segments]
        return pd.DataFrame(
            share_index(np.array(sums)),
            columns=list(self.features),
            index=pd.Index([s.number for s in self.segments], name="segment"),
        )

    def profile(self) -> pd.DataFrame:
        """Mean annual spending per category (m.u.) of each segment's training customers."""
        return pd.DataFrame(
            [s.mean_spending for s in self.segments], index=pd.Index(self.names, name="segment")
        ).round(0)

    # --- the file -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The model as plain data: what its file holds (with the checksum)."""
        payload = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "library_version": self.library_version,
            "features": list(self.features),
            "transform": self.transform,
            "scaling": {"mean": self.mean.tolist(), "scale": self.scale.tolist()},
            "kmeans": {
                "algorithm": self.algorithm,
                "k": self.k,
                "n_init": self.n_init,
                "random_state": self.random_state,
                "centres": self.centres.tolist(),
            },
            "segments": [{**asdict(s), "buys_more": list(s.buys_more)} for s in self.segments],
            "training_data": dict(self.training),
            "evaluation": None
            if self.evaluation is None
            else {**asdict(self.evaluation), "sizes": list(self.evaluation.sizes)},
        }
        return {**payload, "checksum": _checksum(payload)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def save(self, path: str | PathLike[str]) -> Path:
        """Write the model as JSON; the file appears whole or not at all.

        A name no file can have (one holding a NUL character) raises ValueError with a message
        that says so, before anything is written (:func:`load_model` refuses it with
        :class:`ModelFileError`, a ValueError too).
        """
        if "\0" in str(path):  # as load_model refuses it (open would say "embedded null byte")
            raise ValueError(
                f"the model cannot be saved as {_shown(str(path))}: no file can have this name "
                "(it holds a NUL character). Choose another name."
            )
        path = Path(path)
        write_atomically(path, self.to_json().encode("utf-8"))
        return path

    @classmethod
    def from_dict(cls, data: Any, path: str = "<model>") -> SegmentationModel:
        """A model from the plain data of its file, checked; see :func:`load_model`.

        A format 1 file (written before segments recorded their Retail share) loads with its
        features, scaling and centres unchanged, so it segments customers as before; its
        segments are named again by today's rules from their stored mean spending, without a
        channel (format 1 did not record it). Fit again to name them with their channel mix.
        """
        _check_envelope(data, path)
        problems = _schema_problems(data)
        if problems:
            raise ModelFileError(path, problems, _HINT_DAMAGED)
        km, scaling = data["kmeans"], data["scaling"]
        evaluation = data.get("evaluation")
        if data["format_version"] == 1:
            # Format 1 named segments by an older rule and kept no Retail shares: name them
            # again from their mean spending, saying nothing of channel.
            segments = _renamed(data["segments"], data["features"])
        else:
            segments = [
                Segment(**{**s, "buys_more": tuple(s["buys_more"])}) for s in data["segments"]
            ]
        return cls(
            features=tuple(data["features"]),
            transform=data["transform"],
            mean=np.array(scaling["mean"], dtype=float),
            scale=np.array(scaling["scale"], dtype=float),
            centres=np.array(km["centres"], dtype=float),
            segments=segments,
            algorithm=km["algorithm"],
            random_state=km["random_state"],
            n_init=km["n_init"],
            training=dict(data["training_data"]),
            evaluation=None
            if evaluation is None
            else Evaluation(**{**evaluation, "sizes": tuple(evaluation["sizes"])}),
            library_version=data["library_version"],
        )


def load_model(path: str | PathLike[str]) -> SegmentationModel:
    """Read a model file, refusing (with :class:`ModelFileError`) anything that is not a
    complete, unchanged model file of a format this library reads.

    The file is read as JSON data only: no code runs, a number that is not finite or longer
    than :data:`MAX_DIGITS` digits, a key twice in one object, or nesting deeper than
    :data:`MAX_DEPTH` is refused before it is used; then every field's type and range is
    checked (see :meth:`SegmentationModel.from_dict`).
    """
    name = str(path)
    return SegmentationModel.from_dict(_parse_model(_read_model_text(path, name), name), name)


def _read_model_text(path: str | PathLike[str], name: str) -> str:
    content = _read_regular_file(path, name)
    if len(content) > MAX_MODEL_BYTES:
        raise ModelFileError(
            name,
            [
                f"it is larger than {MAX_MODEL_BYTES // 1_000_000} MB, and "
                "no model file is (a segment takes about 1 kB)."
            ],
            _HINT_NOT_MODEL,
            kind="not a model",
        )
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelFileError(
            name,
            ["the file is not text (a model file is JSON)."],
            _HINT_NOT_MODEL,
            kind="not a model",
        ) from None


def _read_regular_file(path: str | PathLike[str], name: str) -> bytes:
    """At most MAX_MODEL_BYTES + 1 bytes of a regular file. Anything else is refused before
    it is read: a model file is a small file on disk, so a terminal (which would wait for
    typing), a pipe (which would wait for a writer), a device (which may never end) or a
    socket is no model file. The type is checked with os.stat before opening, and again on
    the open file, which is opened without waiting (O_NONBLOCK) in case it changed between."""
    try:
        _check_regular(os.stat(path), name)
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _O_BINARY)
        with open(handle, "rb") as file:
            _check_regular(os.fstat(handle), name)
            return file.read(MAX_MODEL_BYTES + 1)
    except FileNotFoundError:
        raise ModelFileError(
            name,
            ["no such file."],
            "Check the name and the folder, or make a model first with "
            "`segmentation fit DATA.csv -o model.json`.",
        ) from None
    except OSError as exc:
        raise ModelFileError(
            name,
            [f"the file cannot be opened ({exc.strerror or exc})."],
            "Check that it exists and that you may read it.",
        ) from None
    except ModelFileError:
        raise
    except ValueError:  # a NUL character in the name
        raise ModelFileError(
            _shown(name), ["no file can have this name."], "Check the name."
        ) from None


_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows only: no newline translation


def _check_regular(status: os.stat_result, name: str) -> None:
    if stat.S_ISDIR(status.st_mode):
        raise ModelFileError(
            name, ["this is a folder, not a file."], "Give the path of the model's .json file."
        )
    if not stat.S_ISREG(status.st_mode):
        raise ModelFileError(
            name,
            [
                "this is not a regular file (it is a device, a terminal, a pipe or a socket); "
                "a model is read only from a file on disk."
            ],
            _HINT_NOT_MODEL,
            kind="not a model",
        )


class _Refused(Exception):
    """JSON that no model file holds, met while parsing; the message says what it was."""


def _parse_model(text: str, name: str) -> Any:
    """The JSON data of a model file's text; anything a model file cannot hold is refused
    before it can exhaust the stack (nesting) or Python's limits (long numbers)."""
    began_as_model = text.lstrip().startswith("{")
    hint = _HINT_DAMAGED if began_as_model else _HINT_NOT_MODEL
    kind = "unusable" if began_as_model else "not a model"
    if _nesting(text) > MAX_DEPTH:
        raise ModelFileError(
            name,
            [f"it nests lists or objects more than {MAX_DEPTH} deep; a model file nests 4 deep."],
            hint,
            kind=kind,
        )
    try:
        return json.loads(
            text,
            parse_int=_whole_number,
            parse_float=_finite_number,
            parse_constant=_no_constant,
            object_pairs_hook=_unique_keys,
        )
    except _Refused as exc:
        raise ModelFileError(name, [str(exc)], hint, kind=kind) from None
    except json.JSONDecodeError as exc:
        problem = f"the file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        first = text.lstrip().partition("\n")[0].strip()
        if began_as_model:  # a model file cut short or edited: it began as one
            raise ModelFileError(name, [problem], _HINT_DAMAGED) from None
        if len(re.split(r"[,;\t]", first)) > 1:
            shown = first if len(first) <= 60 else f"{first[:60]}…"
            raise ModelFileError(
                name,
                [(f"it is not a model file: it looks like a CSV table (first line: {shown!r}).")],
                _HINT_NOT_MODEL,
                kind="table",
            ) from None
        raise ModelFileError(name, [problem], _HINT_NOT_MODEL, kind="not a model") from None


#: A JSON string, escapes included (the brackets inside one nest nothing).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def _nesting(text: str) -> int:
    """How deep the lists and objects of a JSON text nest, counted without recursion and
    only as far as :data:`MAX_DEPTH` + 1 (a deeper text stops the count there).

    Up to the first place where the text stops being JSON this is the depth json.loads would
    reach (after it, json.loads stops anyway)."""
    brackets = re.sub(r"[^\[\]{}]", "", _JSON_STRING.sub("", text)).encode("ascii")
    depth = deepest = 0
    block = 1 << 16  # small blocks: memory stays small, a deep file stops early
    for start in range(0, len(brackets), block):
        steps = np.frombuffer(brackets[start : start + block], dtype=np.uint8)
        levels = depth + np.cumsum(np.where((steps == ord("[")) | (steps == ord("{")), 1, -1))
        deepest, depth = max(deepest, int(levels.max())), int(levels[-1])
        if deepest > MAX_DEPTH:
            break
    return deepest


def _whole_number(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise _Refused(
            f"it holds a whole number of {digits:,} digits; the longest in a model "
            f"file has {MAX_DIGITS}."
        )
    return int(text)


def _finite_number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(
            f"it holds the number {_shown(text)}, too large for a computer's "
            "numbers (beyond 1.8e308)."
        )
    return value


def _no_constant(text: str) -> None:
    raise _Refused(
        f"it holds {text}, which is no number (JSON has no such value; a model "
        "file never holds one)."
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _Refused(
                f"the key {_shown(key)} appears twice in one object: a person "
                "reading the file sees the first value, a program the last."
            )
        seen.add(key)
    return dict(pairs)


# --- naming segments -----------------------------------------------------------------------------


def share_index(sums: np.ndarray) -> np.ndarray:
    """How much more (above 1) or less (below 1) of each category a segment buys than the
    average customer: the category's share of the segment's spending over its share of all
    customers' spending.

    Shares, not amounts, so that a small segment can buy relatively much of something.

    Parameters
    ----------
    sums : array of shape (k, d)
        Each segment's total spending on each category.

    Returns
    -------
    ndarray of shape (k, d)
        The index; 1 for a segment without spending or a category nobody buys.

    >>> share_index(np.array([[30.0, 10.0], [10.0, 30.0]])).tolist()
    [[1.5, 0.5], [0.5, 1.5]]
    """
    sums = np.asarray(sums, dtype=float)
    grand = sums.sum()
    d = sums.shape[1]
    overall = sums.sum(axis=0) / grand if grand > 0 else np.full(d, 1 / d)
    totals = sums.sum(axis=1, keepdims=True)
    share = np.divide(sums, totals, out=np.tile(overall, (len(sums), 1)), where=totals > 0)
    return np.divide(share, overall, out=np.ones_like(share), where=overall > 0)


def name_segments(
    raw: np.ndarray, labels: np.ndarray, features: Sequence[str], channel: Any = None
) -> list[Segment]:
    """Names that are true of each segment, and a strategy that fits it.

    A name has up to three parts:

    - **size**: "large", "medium" or "small", by the segment's place in the order of mean
      total spending (segment 0 spends most);
    - **what it buys more of**: the categories whose :func:`share_index` is at least
      :data:`NAMING_INDEX` (their share of the segment's spending is at least a fifth above
      their share among all customers), at most :data:`NAMED_CATEGORIES`, highest first;
      "broad basket" when no category is that far above average;
    - **channel**, only when ``channel`` (the Channel column) is given: "mostly Retail (80%)"
      when at least :data:`MOSTLY` (two thirds) of the segment's customers are Retail,
      "mostly Horeca (99%)" when at least two thirds are Horeca, otherwise "mixed channels
      (62% Retail)". Customers whose Channel is missing are left out of the share. Without a
      Channel column the name says nothing about channel: spending alone does not tell a shop
      from a restaurant.

    The strategy serves the channel mix: shops for a mostly Retail segment, kitchens for a
    mostly Horeca one, both for a mixed one; without Channel it claims neither.

    Parameters
    ----------
    raw : array of shape (n, d)
        Annual spending of each customer on each of ``features`` (m.u.).
    labels : array of shape (n,)
        Each customer's segment, numbered from the largest spenders (0).
    features : sequence of str
        The spending categories of ``raw``'s columns.
    channel : array-like of shape (n,), optional
        Each customer's Channel: "Retail" or "Horeca" (or their codes 2 and 1).

    Returns
    -------
    list of Segment
        One per segment, in order.
    """
    raw, labels = np.asarray(raw, dtype=float), np.asarray(labels)
    k = int(labels.max()) + 1 if len(labels) else 0
    sums = np.column_stack(
        [np.bincount(labels, weights=raw[:, i], minlength=k) for i in range(raw.shape[1])]
    )
    counts = np.bincount(labels, minlength=k)
    return _named_segments(sums, counts, tuple(features), _channel_counts(channel, labels, k))


def _named_segments(
    sums: np.ndarray, counts: np.ndarray, features: tuple[str, ...], channels: np.ndarray | None
) -> list[Segment]:
    """:func:`name_segments` from each segment's spending per category and its customers;
    ``channels`` holds each segment's (Retail, Horeca) customers, or is None."""
    k = len(sums)
    # Rounded, so that differences in the last bits (between CPUs) cannot change a name.
    index = np.round(share_index(sums), 9)
    segments, used = [], set()
    for j in range(k):
        size = _size_word(j, k)
        ranked = np.argsort(-index[j], kind="stable")
        buys_more = tuple(features[i] for i in ranked if index[j, i] >= NAMING_INDEX)[
            :NAMED_CATEGORIES
        ]
        basket = " and ".join(CATEGORY_WORDS.get(c, c) for c in buys_more) or (
            "broad basket" if len(features) > 1 else ""
        )
        channel, retail_share, mix = (
            _channel_mix(*channels[j]) if channels is not None else (None, None, "")
        )
        name = ", ".join(part for part in (size, basket) if part) + (f": {mix}" if mix else "")
        if name in used:  # two segments alike in every word
            name = f"{name} ({j})"
        used.add(name)
        n = int(counts[j])
        segments.append(
            Segment(
                number=j,
                name=name,
                size=size,
                buys_more=buys_more,
                channel=channel,
                retail_share=retail_share,
                strategy=_strategy(size, channel, buys_more),
                customers=n,
                mean_total=float(sums[j].sum() / n) if n else 0.0,
                mean_spending={
                    c: float(v / n) if n else 0.0 for c, v in zip(features, sums[j], strict=True)
                },
            )
        )
    return segments


def channel_words(channel: Any) -> np.ndarray | None:
    """Each customer's channel as "Retail", "Horeca" or None; None without a Channel column.

    A name in any letter case or a code (2, 1) names a channel. A missing value, or one that
    names no channel (other text, a number, a list, a dict), counts as an unknown channel,
    without a warning: the channel only names segments and measures agreement, and an unknown
    one is left out of both. Two Channel columns are refused (:class:`ModelInputError`).

    >>> channel_words(["retail", 1, None, {"a": 1}]).tolist()
    ['Retail', 'Horeca', None, None]
    """
    if channel is None:
        return None
    if isinstance(channel, pd.DataFrame) or np.ndim(channel) != 1:
        raise ModelInputError(
            "the customer table has more than one Channel column; keep one (which one holds "
            "the channel cannot be told)."
        )
    values = pd.Series(np.asarray(channel, dtype=object))
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:  # unhashable values (lists, dicts): name each on its own
        return np.array([_channel_name(v) for v in values], dtype=object)
    words = [_channel_name(u) for u in uniques] + [None]  # code -1: missing
    return np.array(words, dtype=object)[codes]


def _channel_counts(channel: Any, labels: np.ndarray, k: int) -> np.ndarray | None:
    """(Retail, Horeca) customers of each segment, shape (k, 2); None without Channel."""
    named = channel_words(channel)
    if named is None:
        return None
    return np.column_stack(
        [np.bincount(labels, weights=named == word, minlength=k) for word in ("Retail", "Horeca")]
    ).astype(int)


def _channel_name(value: Any) -> str | None:
    """Retail or Horeca from a name in any letter case or a code (2, 1); else None."""
    if isinstance(value, str):
        return {"retail": "Retail", "horeca": "Horeca"}.get(value.strip().lower())
    try:
        return CHANNELS.get(value)
    except TypeError:  # unhashable: not a channel
        return None


def _channel_mix(retail: int, horeca: int) -> tuple[str | None, float | None, str]:
    """The channel word, the Retail share and the words a name shows."""
    known = retail + horeca
    if known == 0:
        return None, None, ""
    share, horeca_share = retail / known, horeca / known
    if share >= MOSTLY:
        return "mostly Retail", share, f"mostly Retail ({share:.0%})"
    if horeca_share >= MOSTLY:
        return "mostly Horeca", share, f"mostly Horeca ({horeca_share:.0%})"
    return "mixed channels", share, f"mixed channels ({share:.0%} Retail)"


def _renamed(segments: list[dict[str, Any]], features: Sequence[str]) -> list[Segment]:
    """The segments of a format 1 file, named by today's rules from their mean spending
    (their channel mix was not recorded); the stored means are kept as they are."""
    counts = np.array([s["customers"] for s in segments])
    sums = np.array(
        [[s["mean_spending"][c] * s["customers"] for c in features] for s in segments], dtype=float
    )
    renamed = _named_segments(sums, counts, tuple(features), None)
    return [
        replace(
            new,
            mean_total=float(old["mean_total"]),
            mean_spending={c: float(old["mean_spending"][c]) for c in features},
        )
        for new, old in zip(renamed, segments, strict=True)
    ]


def _size_word(rank: int, k: int) -> str:
    if k == 1:
        return "all"
    position = rank / (k - 1)  # 0 for the largest spenders, 1 for the smallest
    return "large" if position < 1 / 3 else "medium" if position <= 2 / 3 else "small"


_SIZE_STRATEGY = {
    "large": "Key accounts: a named account manager, volume pricing and fixed delivery slots; "
    "protect them first.",
    "medium": "Grow them: bundles and loyalty pricing to win a larger share of what they buy.",
    "small": "Serve them at low cost: online ordering, standard price lists and a minimum "
    "order; watch for those that grow.",
    "all": "One segment: treat every customer alike.",
}

#: What to offer, by channel mix: shops want shelf-ready packs and promotions, hotels,
#: restaurants and cafés (kitchens) want frequent, reliable delivery.
_CHANNEL_OFFER = {
    "mostly Retail": "For shops: stock {what} deep, in shelf-ready packs, with promotions "
    "timed to shoppers' seasons.",
    "mostly Horeca": "For kitchens: deliver {what} often and reliably, with offers built "
    "around their menus.",
    "mixed channels": "Serve shops and kitchens alike: shelf-ready packs and promotions for "
    "the shops, frequent, reliable deliveries for the hotels, restaurants "
    "and cafés, with {what} at the centre of both.",
    None: "Build offers around {what}; the data did not say which customers are shops and "
    "which are kitchens, so ask before choosing packs and deliveries.",
}


def _strategy(size: str, channel: str | None, buys_more: Sequence[str]) -> str:
    words = " and ".join(CATEGORY_WORDS.get(c, c) for c in buys_more)
    what = f"{words} lines" if words else "the full range"
    return f"{_SIZE_STRATEGY[size]} {_CHANNEL_OFFER[channel].format(what=what)}"


# --- the steps of the path -----------------------------------------------------------------------


def _check_features(features: Sequence[str]) -> tuple[str, ...]:
    features = tuple(features)
    unknown = [f for f in features if f not in SPENDING_COLUMNS]
    if not features or unknown or len(set(features)) != len(features):
        raise ValueError(
            f"features must be distinct spending categories from {', '.join(SPENDING_COLUMNS)}; "
            f"got {', '.join(features) or 'none'}."
        )
    return features


def _spending_matrix(customers: pd.DataFrame, features: Sequence[str], what: str) -> np.ndarray:
    """The features as a float array, refusing a missing column or a value that is not a
    spending, with the row and column named (rows counted as in the table, from 0)."""
    if not isinstance(customers, pd.DataFrame):
        raise ModelInputError(f"{what} must be a table (a pandas DataFrame) of customers.")
    missing = [c for c in features if c not in customers]
    if missing:
        raise ModelInputError(
            f"{what} has no column {', '.join(missing)}; the model needs "
            f"{', '.join(features)}. Read customer files with "
            "segmentation.data.reader.read_customer_csv."
        )
    twice = [c for c in features if np.count_nonzero(customers.columns == c) > 1]
    if twice:
        raise ModelInputError(
            f"{what} has the column {', '.join(twice)} more than once; keep one of each "
            "(which one holds the spending cannot be told)."
        )
    if len(customers) == 0:
        raise ModelInputError(f"{what} holds no customers.")
    frame = customers[list(features)]
    if all(
        pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in frame.dtypes
    ):
        matrix = frame.to_numpy(dtype=float)  # the usual case, as the reader gives it
        # (NaN fails both comparisons, infinity the second)
        if (matrix >= 0).all() and (matrix <= MAX_MODEL_SPENDING).all():
            # The caller works on it in place: never on the customers' own memory. (Converting
            # whole-number columns always makes new memory; float columns may be a view.)
            own = matrix.flags.writeable and not any(
                np.may_share_memory(matrix, customers[c].to_numpy()) for c in features
            )
            return matrix if own else matrix.copy()
    columns = []
    for column in features:
        values = pd.to_numeric(customers[column], errors="coerce").to_numpy(dtype=float)
        bad = ~((values >= 0) & (values <= MAX_MODEL_SPENDING))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            value = customers[column].iloc[row]
            shown = repr(value) if isinstance(value, str) else str(value)
            count = int(bad.sum())
            raise ModelInputError(
                f"{what}, row {customers.index[row]!r}, column {column}: {shown} is not a "
                f"spending ({count} such value{'s' if count > 1 else ''} in this column). "
                f"Spending must be a number from 0 to {MAX_MODEL_SPENDING:.0e} m.u."
            )
        columns.append(values)
    return np.column_stack(columns)


def _whole(value: Any, low: int, high: int) -> bool:
    """Is ``value`` a whole number (not True or False) from ``low`` to ``high``?"""
    return (
        isinstance(value, (int, np.integer))
        and not isinstance(value, (bool, np.bool_))
        and low <= value <= high
    )


def _check_choices(transform: Any, algorithm: Any) -> None:
    for name, value, choices in (
        ("transform", transform, TRANSFORMS),
        ("algorithm", algorithm, ALGORITHMS),
    ):
        if value not in choices:
            raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")


def _check_k(k: Any, n: int) -> None:
    if not _whole(k, 1, n):
        raise ValueError(
            f"k must be a whole number from 1 to the number of customers ({n}); got {_shown(k)}."
        )


def _check_settings(n_init: Any, random_state: Any) -> None:
    for name, value, (low, high) in (
        ("n_init", n_init, N_INIT_RANGE),
        ("random_state", random_state, SEED_RANGE),
    ):
        if not _whole(value, low, high):
            raise ValueError(
                f"{name} must be a whole number from {low} to {high}; got {_shown(value)}."
            )


def _check_distinct(X: np.ndarray, k: int) -> None:
    """Refuse to look for more segments than there are distinct customers: k-means would
    leave a segment empty (and scikit-learn's would warn about it on every start)."""
    head = X[: 10 * k + 100] + 0.0  # + 0.0: -0.0 and 0.0 are the same point
    found = len(np.unique(head, axis=0))
    if found < k and len(head) < len(X):
        # Equal rows hash alike, so the distinct hashes are never more than the distinct rows.
        hashes = pd.util.hash_pandas_object(pd.DataFrame(X + 0.0), index=False)
        found = hashes.nunique()
        if found < k:
            found = len(np.unique(X + 0.0, axis=0))
    if found < k:
        raise ModelInputError(
            f"The training data has only {found} distinct customer{'s' if found != 1 else ''} "
            f"(customers with the same spending on every feature count once), fewer than the "
            f"k = {k} segments asked for: k-means would leave a segment empty. Choose a k of "
            f"at most {found}."
        )


def _cluster_all(
    X: np.ndarray, k: int, algorithm: str, seed: int, n_init: int
) -> tuple[np.ndarray, np.ndarray]:
    """The clustering of a fit: refused when it leaves a segment empty (customers that differ
    only in their last digits count as distinct, yet k-means puts them in one group)."""
    with warnings.catch_warnings():
        # Both k-means warn of an empty cluster; the refusal below says it, and what to do.
        warnings.filterwarnings("ignore", message=r"(Only \d+|Number of) distinct clusters")
        labels, centres = _cluster(X, k, algorithm, seed, n_init)
    found = int(np.count_nonzero(np.bincount(labels, minlength=k)))
    if found < k:
        raise ModelInputError(
            f"k-means found only {found} distinct group{'s' if found != 1 else ''} of "
            f"customers in the training data (customers that differ only in their last digits "
            f"fall in one group), fewer than the k = {k} segments asked for: a segment would "
            f"be empty. Choose a k of at most {found}."
        )
    return labels, centres


def _printable(text: str | None) -> str | None:
    """``text`` as one line of printable characters: a file name's undecodable bytes and
    control characters become escapes (\\xe9, \\n), which a model file can hold and a
    terminal shows as they are."""
    if text is None:
        return None
    text = str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )
    return text if len(text) <= MAX_TEXT else f"{text[: MAX_TEXT - 1]}…"


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 40
_SHORT.maxlist = _SHORT.maxdict = 4
_SHORT.maxlevel = 2


def _shown(value: Any) -> str:
    """A value from a file or a caller as a message shows it: as Python writes it, escapes for
    what is not printable, and cut to a few dozen characters."""
    try:
        return _SHORT.repr(value)
    except ValueError:  # an int beyond Python's 4,300 digits for str()
        return "a number too long to show"


def _transform(raw: np.ndarray, transform: str, *, in_place: bool = False) -> np.ndarray:
    values = raw if in_place else raw.astype(float, copy=True)
    if transform == "log":
        np.log1p(values, out=values)
    return values


def _standardised(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mean and the spread of each column of ``values``, and ``values`` less the mean,
    over the spread."""
    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    # A column with one value carries no distance; one whose spread is rounding noise
    # neither, and dividing by that noise would blow it up into the largest distance.
    scale[scale < MIN_SCALE] = 1.0
    return mean, scale, (values - mean) / scale


def _cluster(
    X: np.ndarray, k: int, algorithm: str, seed: int, n_init: int
) -> tuple[np.ndarray, np.ndarray]:
    if algorithm == "scikit-learn":
        from sklearn.cluster import KMeans as ReferenceKMeans

        fit = ReferenceKMeans(k, n_init=n_init, random_state=seed).fit(X)
    else:
        fit = KMeans(k, n_init=n_init, random_state=seed).fit(X)
    return np.asarray(fit.labels_), np.asarray(fit.cluster_centers_, dtype=float)


def _sample(n: int, size: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, size, replace=False))


def data_checksum(raw: np.ndarray, features: Sequence[str]) -> str:
    """sha256 of the training features (float64, row by row) and their names: the same
    customers give the same checksum whatever file they came from."""
    digest = hashlib.sha256(",".join(features).encode())
    digest.update(np.ascontiguousarray(raw, dtype="<f8").tobytes())
    return digest.hexdigest()


# --- checking a model file -------------------------------------------------------------------


_HINT_NOT_MODEL = "Give the .json file written by `segmentation fit` or SegmentationModel.save."
_HINT_DAMAGED = (
    "The file is damaged or was edited by hand. Fit and save the model again "
    "(`segmentation fit DATA.csv -o model.json`), or use an unchanged copy."
)


def _checksum(payload: dict[str, Any]) -> str:
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_envelope(data: Any, path: str) -> None:
    """Is this a model file at all, of a format we read, unchanged since it was saved?"""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelFileError(
            path,
            [(f'it is JSON, but not a model file (no "format": "{FORMAT}").')],
            _HINT_NOT_MODEL,
            kind="not a model",
        )
    version = data.get("format_version")
    if not _whole(version, 1, _MANY):
        raise ModelFileError(
            path, [f"its format_version is {_shown(version)}, not a version number."], _HINT_DAMAGED
        )
    if version > FORMAT_VERSION:
        made_by = data.get("library_version")
        if not (_is_text(made_by) and len(made_by) <= 40):
            made_by = "a newer version"
        raise ModelFileError(
            path,
            [
                (
                    f"it is a format {version} model (written by customer-segmentation "
                    f"{made_by}); this is customer-segmentation {__version__}, which reads "
                    f"format {FORMAT_VERSION}."
                )
            ],
            "Upgrade the course package (pip install -U customer-segmentation), or fit the "
            "model again with this version.",
        )
    payload = {key: value for key, value in data.items() if key != "checksum"}
    try:
        expected = _checksum(payload)
    except UnicodeEncodeError:  # "\ud800" is valid JSON, but no character
        raise ModelFileError(
            path,
            ["it holds text that is not Unicode (a lone surrogate such as \\ud800)."],
            _HINT_DAMAGED,
        ) from None
    except (TypeError, ValueError, RecursionError):  # from_dict given more than JSON data
        raise ModelFileError(
            path,
            [
                "it holds values that JSON cannot: a model is numbers, "
                "text, lists and objects, nested 4 deep."
            ],
            _HINT_DAMAGED,
        ) from None
    if data.get("checksum") != expected:
        raise ModelFileError(
            path,
            [
                (
                    "its checksum does not match its content: the file was changed after it "
                    "was saved, or is damaged."
                )
            ],
            _HINT_DAMAGED,
        )


#: What each field of a model file holds (a type, or a tuple of types; never True or False).
_NUMBER = (int, float)
_FILE_FIELDS: dict[str, Any] = {
    "format": str,
    "format_version": int,
    "library_version": str,
    "features": list,
    "transform": str,
    "scaling": dict,
    "kmeans": dict,
    "segments": list,
    "training_data": dict,
    "evaluation": (dict, type(None)),
    "checksum": str,
}
_SCALING_FIELDS: dict[str, Any] = {"mean": list, "scale": list}
_KMEANS_FIELDS: dict[str, Any] = {
    "algorithm": str,
    "k": int,
    "n_init": int,
    "random_state": int,
    "centres": list,
}
_TRAINING_FIELDS: dict[str, Any] = {
    "customers": int,
    "data_sha256": str,
    "source": (str, type(None)),
}
#: The fields of a segment in each format of the file.
SEGMENT_FIELDS: dict[int, dict[str, Any]] = {
    1: {
        "number": int,
        "name": str,
        "size": str,
        "buys_most": list,
        "kind": str,
        "strategy": str,
        "customers": int,
        "mean_total": _NUMBER,
        "mean_spending": dict,
    },
    2: {
        "number": int,
        "name": str,
        "size": str,
        "buys_more": list,
        "channel": (str, type(None)),
        "retail_share": (*_NUMBER, type(None)),
        "strategy": str,
        "customers": int,
        "mean_total": _NUMBER,
        "mean_spending": dict,
    },
}
SIZE_WORDS = ("large", "medium", "small", "all")
#: The evaluation's measures: their range, and whether null is allowed (not defined).
_EVALUATION_RANGES = {
    "J": (0.0, math.inf, False),
    "silhouette": (-1.0, 1.0, True),
    "channel_ari": (-1.0, 1.0, True),
    "stability": (-1.0, 1.0, False),
    "stability_min": (-1.0, 1.0, False),
}
#: Whole numbers up to 20 digits (see MAX_DIGITS); and the margin of a mean's last bits.
_MANY = 10**MAX_DIGITS
_ROUNDING = 1e-9


def _schema_problems(data: dict[str, Any]) -> list[str]:
    """Everything about a (checksummed) model file that this library could not use: each
    field's type and range, and k the same everywhere (centres, segments, sizes)."""
    problems = _field_problems(data, "", _FILE_FIELDS)
    if problems:
        return problems
    features = data["features"]
    if not (
        features
        and all(isinstance(f, str) and f in SPENDING_COLUMNS for f in features)
        and len(set(features)) == len(features)
    ):
        return [f'"features" must be distinct names from {", ".join(SPENDING_COLUMNS)}.']
    if data["transform"] not in TRANSFORMS:
        problems.append(f'"transform" must be one of {", ".join(TRANSFORMS)}.')
    if not _is_text(data["library_version"]):
        problems.append(
            f'"library_version" must be one line of text (at most {MAX_TEXT} characters).'
        )
    problems += _scaling_problems(data["scaling"], data["transform"], len(features))
    kmeans = _kmeans_problems(data["kmeans"], len(features))
    if kmeans:
        return problems + kmeans
    k = len(data["kmeans"]["centres"])
    segments = _segments_problems(data["segments"], features, k, data["format_version"])
    problems += segments
    problems += _training_problems(data["training_data"], None if segments else data["segments"])
    problems += _evaluation_problems(data["evaluation"], k)
    return problems


def _field_problems(value: Any, where: str, fields: dict[str, Any]) -> list[str]:
    """``value`` must be an object with exactly ``fields``, each of its type."""
    if not isinstance(value, dict):
        return [f'"{where}" must be an object with the fields {", ".join(fields)}.']
    prefix = f"{where}." if where else ""
    problems = [
        f'field "{prefix}{key}" is missing or not {_kind_words(kind)}.'
        for key, kind in fields.items()
        if key not in value or not _is(value[key], kind)
    ]
    owner = f'"{where}"' if where else "the file"
    problems += [
        f"{owner} has a field {_shown(key)} that a model file does not have."
        for key in value
        if key not in fields
    ]
    return problems


def _kind_words(kind: Any) -> str:
    words = {
        str: "text",
        int: "a whole number",
        float: "a number",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if float in kinds:
        kinds = tuple(k for k in kinds if k is not int)
    return " or ".join(words[k] for k in kinds)


def _scaling_problems(scaling: Any, transform: str, d: int) -> list[str]:
    problems = _field_problems(scaling, "scaling", _SCALING_FIELDS)
    if problems:
        return problems
    log = transform == "log"
    top = math.log1p(MAX_MODEL_SPENDING) if log else MAX_MODEL_SPENDING
    if not _numbers(scaling["mean"], d, 0, top * (1 + _ROUNDING)):
        problems.append(
            f'"scaling.mean" must be {d} numbers from 0 to {top:.4g} (mean '
            f"spending{' after the log' if log else ''})."
        )
    if not _numbers(scaling["scale"], d, MIN_SCALE, top):
        problems.append(
            f'"scaling.scale" must be positive: {d} numbers from {MIN_SCALE:g} '
            f"to {top:.4g} (standard deviations)."
        )
    return problems


def _kmeans_problems(km: Any, d: int) -> list[str]:
    problems = _field_problems(km, "kmeans", _KMEANS_FIELDS)
    if problems:
        return problems
    if km["algorithm"] not in ALGORITHMS:
        problems.append(f'"kmeans.algorithm" must be one of {", ".join(ALGORITHMS)}.')
    for key, (low, high) in (("n_init", N_INIT_RANGE), ("random_state", SEED_RANGE)):
        if not _whole(km[key], low, high):
            problems.append(f'"kmeans.{key}" must be a whole number from {low} to {high}.')
    centres = km["centres"]
    if not (centres and all(_numbers(c, d, -MAX_CENTRE, MAX_CENTRE) for c in centres)):
        problems.append(
            f'"kmeans.centres" must be a list of k rows of {d} numbers from '
            f"{-MAX_CENTRE:g} to {MAX_CENTRE:g} (the scaled space)."
        )
    elif km["k"] != len(centres):
        problems.append(
            f'"kmeans.k" ({_shown(km["k"])}) must equal the number of centres ({len(centres)}).'
        )
    return problems


def _segments_problems(segments: list[Any], features: list[str], k: int, version: int) -> list[str]:
    """The segments: one per centre, numbered 0 to k - 1 in order, each of its format."""
    if len(segments) != k:
        return [f"there must be one segment per centre ({k}), not {len(segments)}."]
    fields = SEGMENT_FIELDS[version]
    problems = []
    for j, segment in enumerate(segments):
        if not (isinstance(segment, dict) and set(segment) == set(fields)):
            problems.append(f"segment {j} must have exactly the fields {', '.join(fields)}.")
            continue
        wrong = [
            f'segment {j}: "{f}" must be {_kind_words(kind)}.'
            for f, kind in fields.items()
            if not _is(segment[f], kind)
        ]
        if not wrong and segment["number"] != j:
            wrong = [f'segment {j}: "number" must be {j}: segments are numbered from 0, in order.']
        problems += wrong or _segment_problems(segment, features)
    names = [s.get("name") for s in segments if isinstance(s, dict)]
    names = [name for name in names if isinstance(name, str)]
    if len(set(names)) != len(names):
        problems.append("segment names must differ from each other.")
    return problems


def _segment_problems(segment: dict[str, Any], features: list[str]) -> list[str]:
    """What is wrong inside one segment (its fields are there, with the right types)."""
    j, problems = segment["number"], []

    def need(condition: bool, message: str) -> None:
        if not condition:
            problems.append(f"segment {j}: {message}")

    top = MAX_MODEL_SPENDING * (1 + _ROUNDING)
    for key in ("name", "strategy", "kind"):
        if key in segment:
            need(
                _is_text(segment[key]),
                f'"{key}" must be one line of text (at most {MAX_TEXT} characters).',
            )
    need(segment["size"] in SIZE_WORDS, f'"size" must be one of {", ".join(SIZE_WORDS)}.')
    key = "buys_more" if "buys_more" in segment else "buys_most"
    bought = segment[key]
    need(
        all(isinstance(c, str) and c in features for c in bought)
        and len(set(bought)) == len(bought),
        f'"{key}" must list features of the model.',
    )
    need(_whole(segment["customers"], 1, _MANY), '"customers" must be a whole number of 1 or more.')
    need(
        _number(segment["mean_total"], 0, top * len(features)),
        f'"mean_total" must be a number from 0 to {top * len(features):.4g}.',
    )
    spending = segment["mean_spending"]
    need(
        set(spending) == set(features)
        and _numbers([spending[c] for c in features], len(features), 0, top),
        f'"mean_spending" must give a number from 0 to {MAX_MODEL_SPENDING:g} for each feature.',
    )
    if "channel" in segment:
        channel, share = segment["channel"], segment["retail_share"]
        need(
            (share is None) == (channel is None)
            and channel in (*CHANNEL_WORDS, None)
            and (share is None or _number(share, 0, 1)),
            f'"channel" must be one of {", ".join(CHANNEL_WORDS)} with a "retail_share" '
            "from 0 to 1, or both null.",
        )
    return problems


def _training_problems(training: Any, segments: list[dict[str, Any]] | None) -> list[str]:
    """The training data's record; its customers are the segments' (when those are sound)."""
    problems = _field_problems(training, "training_data", _TRAINING_FIELDS)
    if problems:
        return problems
    customers = training["customers"]
    if not _whole(customers, 1, _MANY):
        problems.append('"training_data.customers" must be a whole number of 1 or more.')
    elif segments is not None and sum(s["customers"] for s in segments) != customers:
        problems.append(
            f'"training_data.customers" ({customers}) must be the segments\' '
            f"customers added up ({sum(s['customers'] for s in segments)})."
        )
    if not re.fullmatch(r"[0-9a-f]{64}", training["data_sha256"]):
        problems.append('"training_data.data_sha256" must be a sha256: 64 hexadecimal digits.')
    if not (training["source"] is None or _is_text(training["source"], empty=True)):
        problems.append(
            f'"training_data.source" must be null or one line of text (at most '
            f"{MAX_TEXT} characters)."
        )
    return problems


def _evaluation_problems(evaluation: dict[str, Any] | None, k: int) -> list[str]:
    if evaluation is None:
        return []
    keys = list(Evaluation.__dataclass_fields__)
    if set(evaluation) != set(keys):
        return [f'"evaluation" must be null or have exactly the fields {", ".join(sorted(keys))}.']
    problems = [
        f'"evaluation.{key}" must be a number from {low:g} to {high:g}'
        f"{' or null' if nullable else ''}."
        for key, (low, high, nullable) in _EVALUATION_RANGES.items()
        if not (nullable and evaluation[key] is None)
        and not _number(evaluation[key], low, high + _ROUNDING)
    ]
    customers, sizes = evaluation["customers"], evaluation["sizes"]
    if not _whole(customers, 1, _MANY):
        problems.append('"evaluation.customers" must be a whole number of 1 or more.')
    elif not (
        isinstance(sizes, list)
        and len(sizes) == k
        and all(_whole(s, 0, customers) for s in sizes)
        and sum(sizes) == customers
    ):
        problems.append(
            f'"evaluation.sizes" must be {k} whole numbers, the customers of '
            'each segment, adding up to "evaluation.customers".'
        )
    if not _whole(evaluation["seeds"], 1, MAX_SEEDS):
        problems.append(f'"evaluation.seeds" must be a whole number from 1 to {MAX_SEEDS}.')
    return problems


def _is(value: Any, kind: Any) -> bool:
    """isinstance, except that True and False are not numbers in a model file."""
    return isinstance(value, kind) and not isinstance(value, bool)


def _is_text(value: Any, *, empty: bool = False) -> bool:
    """One line of printable text (no control characters, no lone surrogates) of at most
    :data:`MAX_TEXT` characters."""
    return (
        isinstance(value, str)
        and (empty or value != "")
        and len(value) <= MAX_TEXT
        and value.isprintable()
    )


def _number(value: Any, low: float, high: float) -> bool:
    """A finite number (not True or False) from ``low`` to ``high``."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (isinstance(value, int) or math.isfinite(value))
        and low <= value <= high
    )


def _numbers(values: Any, length: int, low: float, high: float) -> bool:
    return (
        isinstance(values, list)
        and len(values) == length
        and all(_number(v, low, high) for v in values)
    )
