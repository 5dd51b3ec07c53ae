"""The segmentation model: a scikit-learn estimator whose fitted ``pipeline_`` is the whole
path from spending to segments, with the segments named, evaluated and saved.

The path is the course's, as a scikit-learn ``Pipeline``: the log of each spending (or not),
each feature scaled to mean 0 and standard deviation 1 (``StandardScaler``), then k-means
(the course's own, or scikit-learn's), with the segments numbered from the largest spenders
(segment 0). New customers go through exactly the same steps, with the numbers learnt in
training. Around it, :class:`SegmentationModel` keeps what a business needs: names
(:mod:`segmentation.model.naming`), an evaluation (:mod:`segmentation.model.evaluation`) and
a JSON file (:mod:`segmentation.model.persistence`).

Being a scikit-learn estimator, it works with ``clone`` and ``GridSearchCV`` (score it with
:func:`~segmentation.model.evaluation.silhouette_scorer` to choose k).

>>> from segmentation.data.shipped import load_customers
>>> model = SegmentationModel(k=3).fit(load_customers())
>>> [name for name, _ in model.pipeline_.steps]
['log', 'scale', 'kmeans']
>>> model.names  # doctest: +NORMALIZE_WHITESPACE
['large, broad basket: mixed channels (62% Retail)',
 'medium, detergents and grocery: mixed channels (61% Retail)',
 'small, frozen and fresh: mostly Horeca (99%)']
>>> model.evaluation.sizes
(143, 82, 215)
>>> round(model.evaluation.silhouette, 3)
0.259
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted

from segmentation import __version__
from segmentation.cluster.kmeans import KMeans
from segmentation.cluster.numbering import number_segments
from segmentation.data.reader import MAX_SPENDING, read_customer_csv
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.model import persistence
from segmentation.model.evaluation import Evaluation, measure
from segmentation.model.inputs import (
    MIN_SCALE,
    ModelInputError,
    check_choices,
    check_distinct,
    check_numbers,
    empty_segment_error,
    printable,
    spending_matrix,
)
from segmentation.model.naming import Segment, name_segments, share_index, spending_totals
from segmentation.monitor.drift import training_summary
from segmentation.preprocessing.spending import spending_scaler

#: Distances per block when segments are found without keeping every distance
#: (:meth:`SegmentationModel.segment_of`): BLOCK // k customers at a time, 2 MB of distances
#: (k-means' nearest-centre step holds about twice that while it works).
BLOCK = 1 << 18

#: Neighbours that fill a missing training value (``KNNImputer(n_neighbors=...)``).
IMPUTE_NEIGHBOURS = 5
#: Above this many training customers, the neighbours that fill a gap are looked for among
#: a sample of this many (drawn with the model's seed): the search takes time and memory in
#: proportion to (customers with a gap) x (customers searched).
IMPUTE_DONORS = 50_000
#: A training column with more than this share of its values missing is refused by a fit
#: with missing="impute": the model would be fitted on values made up more than measured.
MAX_MISSING_SHARE = 0.5
_FIT_HINT = (
    'Fit with SegmentationModel(missing="impute") to fill them from the 5 nearest customers '
    "(--allow-missing on the command line), or fill them in the data."
)
_PREDICT_HINT = (
    "Segment them with predict(customers, allow_missing=True), which assigns each customer "
    "by its observed spending (--allow-missing on the command line), or fill them in."
)


class SegmentationModel(BaseEstimator):
    """Features, transform, scaling, k-means centres and named segments, as one estimator.

    Make one with ``SegmentationModel(k=3).fit(customers)``, or read one with
    :func:`~segmentation.model.persistence.load_model`.

    Parameters
    ----------
    k : int, default=3
        The number of segments, from 1 to the number of customers.
    features : sequence of str, default=SPENDING_COLUMNS
        The spending categories to segment on.
    transform : {"log", "none"}, default="log"
        ``log(1 + x)`` of each spending before scaling, or the amounts as they are.
    algorithm : {"course", "scikit-learn"}, default="course"
        The course's k-means (:class:`~segmentation.cluster.kmeans.KMeans`) or
        ``sklearn.cluster.KMeans``.
    random_state : int, default=0
        The seed of k-means' starts, from 0 to 2**32 - 1.
    n_init : int, default=10
        How many starts k-means makes (the best is kept), from 1 to 1000.
    evaluate : bool, default=True
        Measure the :class:`~segmentation.model.evaluation.Evaluation` on the training data
        when fitting (it refits from ten other seeds: turn it off in a grid search).
    missing : {"refuse", "impute"}, default="refuse"
        What ``fit`` does with missing spending (NaN): refuse it, or fill each gap from the
        :data:`IMPUTE_NEIGHBOURS` nearest customers (``KNNImputer``, on the course's log and
        scaling), then fit on the filled table. A model fitted with "impute" also segments
        customers with missing values (see :meth:`predict`).

    Attributes
    ----------
    pipeline_ : sklearn.pipeline.Pipeline
        The fitted path: ``log`` (or passthrough), ``scale`` (StandardScaler) and ``kmeans``,
        whose centres are numbered canonically (segment 0 spends most). It takes a table of
        the features and predicts segments; its ``transform`` gives the distances to every
        centre.
    segments_ : list of Segment
        Each segment's name, size, channel mix, strategy and training customers.
    evaluation_ : Evaluation or None
        How good the segments are on the training data (None without ``evaluate``).
    training_ : dict
        The training data's number of customers, sha256 and source.
    library_version_ : str
        The version of this library that fitted the model.
    missing_ : dict
        The missing-value setting of the fit and what it filled: ``setting``,
        ``imputed_values`` and ``imputed_customers`` (0 and 0 when nothing was missing).
    monitoring_ : dict or None
        What drift monitoring needs of the training data, so that it can run without it
        (:func:`~segmentation.monitor.drift.training_summary`); None for a model read from
        a file of format 3 or older.
    features_in_, transform_, algorithm_, random_state_, n_init_
        The settings the model was fitted with (``features_in_`` a tuple of str). The model
        segments, evaluates and saves itself by these: as in scikit-learn, a setting changed
        with ``set_params`` takes effect at the next ``fit``.

    Examples
    --------
    >>> from sklearn.base import clone
    >>> from segmentation.data.shipped import load_customers
    >>> model = SegmentationModel(k=2, evaluate=False).fit(load_customers())
    >>> model.predict(load_customers().head(3))["segment"].tolist()
    [0, 0, 0]
    >>> clone(model).get_params() == model.get_params()
    True
    """

    def __init__(
        self,
        k: int = 3,
        *,
        features: Sequence[str] = SPENDING_COLUMNS,
        transform: str = "log",
        algorithm: str = "course",
        random_state: int = 0,
        n_init: int = 10,
        evaluate: bool = True,
        missing: str = "refuse",
    ) -> None:
        # Only stored, under the same names (scikit-learn's clone and get_params rely on it).
        self.k, self.features, self.transform, self.algorithm = k, features, transform, algorithm
        self.random_state, self.n_init, self.evaluate = random_state, n_init, evaluate
        self.missing = missing

    # --- fitting ------------------------------------------------------------------------------

    def fit(
        self, customers: pd.DataFrame, y: Any = None, *, source: str | None = None
    ) -> SegmentationModel:
        """Fit the whole path on a customer table (as :func:`read_customer_csv` returns).

        ``y`` is ignored (it is there for scikit-learn). ``source`` is recorded as where the
        data came from (a file name, say; characters that are not printable text are written
        as escapes).

        Raises ValueError for a setting out of range, and
        :class:`~segmentation.model.inputs.ModelInputError` for a table it cannot fit: a
        spending that is not a number from 0 to 1e15 m.u., a spending column twice, fewer
        distinct customers than ``k``, or customers so nearly alike that k-means finds fewer
        than ``k`` groups (a segment would be empty, and a model with an empty segment is no
        model). Missing spending is refused unless ``missing="impute"``; a customer with no
        spending value at all is refused even then.
        """
        features = check_choices(
            self.features, self.transform, self.algorithm, self.evaluate, self.missing
        )
        impute = self.missing == "impute"
        raw = spending_matrix(
            customers, features, "the training data", allow_missing=impute, how_to_allow=_FIT_HINT
        )
        check_numbers(self.k, len(raw), self.n_init, self.random_state)
        checksum = persistence.data_checksum(raw, features)  # of the data as given
        raw, missing = _filled(
            raw, features, self.transform, impute, customers.index, int(self.random_state)
        )
        k = int(self.k)
        scaling = _fitted_scaling(_table(raw, features), self.transform)
        X = scaling.transform(_table(raw, features))
        check_distinct(X, k)
        seed, n_init = int(self.random_state), int(self.n_init)
        labels, centres = _cluster_all(X, _clusterer(self.algorithm, k, seed, n_init))
        labels, order = number_segments(labels, raw.sum(axis=1), k)
        channel = customers.get("Channel")
        # Only now that the fit has succeeded: a failed refit leaves the last fit whole.
        self._keep_settings(features, self.transform, self.algorithm, seed, n_init)
        self.pipeline_ = Pipeline([*scaling.steps, ("kmeans", KMeans.from_centres(centres[order]))])
        self.segments_ = name_segments(raw, labels, features, channel)
        self.training_ = {
            "customers": len(raw),
            "data_sha256": checksum,
            "source": printable(source),
        }
        self.missing_ = missing
        self.library_version_ = __version__
        self.evaluation_ = self._measure(X, labels, channel) if self.evaluate else None
        self.monitoring_: dict[str, Any] | None = training_summary(raw, X, self.centres, features)
        return self

    # --- what it holds ------------------------------------------------------------------------

    @property
    def segments(self) -> list[Segment]:
        """The fitted segments, in order (``segments_``)."""
        check_is_fitted(self)
        return self.segments_

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.segments]

    @property
    def evaluation(self) -> Evaluation | None:
        """The evaluation on the training data (``evaluation_``), if it was measured."""
        check_is_fitted(self)
        return self.evaluation_

    @property
    def training(self) -> dict[str, Any]:
        """The training data's customers, sha256 and source (``training_``)."""
        check_is_fitted(self)
        return self.training_

    @property
    def library_version(self) -> str:
        check_is_fitted(self)
        return self.library_version_

    @property
    def mean(self) -> np.ndarray:
        """The mean of each (log) feature in training: the scaler's ``mean_``."""
        return self._scaler().mean_

    @property
    def scale(self) -> np.ndarray:
        """The spread each (log) feature is divided by: the scaler's ``scale_``."""
        return self._scaler().scale_

    @property
    def centres(self) -> np.ndarray:
        """The k centres in the scaled space, segment 0 first."""
        check_is_fitted(self)
        return self.pipeline_[-1].cluster_centers_

    # --- using it -----------------------------------------------------------------------------

    def features_of(self, customers: pd.DataFrame, what: str = "the customer table") -> np.ndarray:
        """The customers as the model sees them: transformed and scaled features."""
        features = self._features()
        return self._scaled(spending_matrix(customers, features, what), features)

    def segment_of(self, customers: pd.DataFrame, *, block: int = BLOCK) -> np.ndarray:
        """The segment of each customer (the nearest centre), without keeping every distance:
        the customers go through the pipeline ``block // k`` at a time, so memory grows with
        the customers times the features, not times k."""
        features = self._features()
        raw = spending_matrix(customers, features, "the customer table")
        labels = np.empty(len(raw), dtype=np.intp)
        rows = max(1, block // len(self.centres))
        for start in range(0, len(raw), rows):
            labels[start : start + rows] = self._nearest(
                self._scaled(raw[start : start + rows], features)
            )
        return labels

    def predict(self, customers: pd.DataFrame, *, allow_missing: bool = False) -> pd.DataFrame:
        """The segment of each customer, its name, and the distance to every centre.

        Returns a table with ``id`` (if the customers have one), ``segment``, ``name`` and
        ``distance_0`` ... ``distance_{k-1}``, in the customers' order.

        Missing spending (NaN) is refused unless ``allow_missing`` or the model was fitted with
        ``missing="impute"``. Then a customer with missing values is assigned by its observed
        features only: with O the observed of the d scaled features,
        ``distance_j = sqrt(d / |O| * sum over f in O of (x_f - c_jf) ** 2)``, the nearest
        centre wins (the first, on a tie), and :meth:`fill_missing` takes its missing values
        from that centre. A customer with no spending value at all is refused.

        The table has a last column ``imputed`` (True for a customer with a missing value)
        when ``allow_missing`` is True, always then, and otherwise only when a customer has
        a missing value (a model fitted with "impute"): a complete table predicted without
        ``allow_missing`` has the same columns whatever the model's setting.
        """
        features = self._features()  # first: it says so if the model is not fitted
        allowed = allow_missing or self.missing_["setting"] == "impute"
        raw = spending_matrix(
            customers,
            features,
            "the customer table",
            allow_missing=allowed,
            how_to_allow=_PREDICT_HINT,
        )
        distances, gaps = self._distances(self._scaled(raw, features), customers.index)
        segment = distances.argmin(axis=1)
        columns: dict[str, Any] = {}
        if "id" in customers:
            columns["id"] = customers["id"].to_numpy()
        columns["segment"] = segment
        columns["name"] = pd.Categorical.from_codes(segment, categories=self.names)
        for j in range(distances.shape[1]):
            columns[f"distance_{j}"] = distances[:, j]
        if allow_missing or gaps.any():  # the columns follow the call, not the model's setting
            columns["imputed"] = gaps
        return pd.DataFrame(columns, index=customers.index)

    def fill_missing(self, customers: pd.DataFrame) -> pd.DataFrame:
        """The customers' spending with each missing value (NaN) taken from the centre the
        customer is assigned to (see :meth:`predict`), turned back into m.u.; the other
        columns, and every observed value, as they were."""
        features = self._features()
        raw = spending_matrix(customers, features, "the customer table", allow_missing=True)
        X = self._scaled(raw.copy(), features)
        distances, _ = self._distances(X, customers.index)
        centres = self.centres[distances.argmin(axis=1)]
        scaler = self._scaler()
        back = centres * scaler.scale_ + scaler.mean_
        if self.transform_ == "log":
            back = np.expm1(back)
        filled = customers.copy()
        for j, column in enumerate(features):
            holes = np.isnan(raw[:, j])
            if holes.any():
                values = filled[column].astype(float).to_numpy(copy=True)
                values[holes] = np.maximum(back[holes, j], 0.0)
                filled[column] = values
        return filled

    def predict_csv(
        self, path: str | PathLike[str], *, max_spending: float = MAX_SPENDING
    ) -> pd.DataFrame:
        """Read a customer CSV file with the checked reader and segment every customer."""
        return self.predict(read_customer_csv(path, max_spending=max_spending))

    def score(self, customers: pd.DataFrame, y: Any = None) -> float:
        """Minus J on ``customers``: the sum of squared distances (in the scaled space) of each
        customer to the nearest centre, negated so that higher is better, as scikit-learn's
        ``KMeans.score``. It only compares models of the same data and k: it rises with k, so
        choose k with :func:`~segmentation.model.evaluation.silhouette_scorer` instead."""
        check_is_fitted(self)
        return float(self.pipeline_[-1].score(self.features_of(customers)))

    def evaluate_on(self, customers: pd.DataFrame, *, seeds: int = 10) -> Evaluation:
        """J, silhouette, sizes, agreement with Channel and stability across ``seeds`` other
        seeds, on ``customers`` segmented by this model."""
        X = self.features_of(customers)
        k = len(self.centres)
        if len(X) < k:
            # k-means, refitted for the stability, would ask for "n_clusters <= n" instead.
            raise ModelInputError(
                f"Only {len(X)} customer{'s' if len(X) != 1 else ''} to evaluate on, fewer "
                f"than the model's {k} segments (the stability refits {k} segments on them). "
                f"Evaluate on at least {k} customers."
            )
        return self._measure(X, self._nearest(X), customers.get("Channel"), seeds)

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
        """Per segment and category, the :func:`~segmentation.model.naming.share_index` of the
        training customers: how many times the average share of spending the segment spends on
        the category. A category is named in the segment's name from 1.2 on."""
        features = self._features()
        means = [s.mean_spending for s in self.segments]
        counts = [s.customers for s in self.segments]
        return pd.DataFrame(
            share_index(spending_totals(means, counts, features)),
            columns=list(features),
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
        check_is_fitted(self)
        return persistence.file_content(self)

    def to_json(self) -> str:
        check_is_fitted(self)
        return persistence.to_json(self)

    def save(self, path: str | PathLike[str]) -> Path:
        """Write the model as JSON; the file appears whole or not at all (see
        :func:`~segmentation.model.persistence.save_model`)."""
        check_is_fitted(self)
        return persistence.save_model(self, path)

    @classmethod
    def from_dict(cls, data: Any, path: str = "<model>") -> SegmentationModel:
        """A model from the plain data of its file, checked; see
        :func:`~segmentation.model.persistence.load_model`. Its pipeline is rebuilt from the
        stored scaling and centres, so it segments customers exactly as the model saved."""
        stored = persistence.stored_model(data, path)
        model = cls(
            k=len(stored.centres),
            features=stored.features,
            transform=stored.transform,
            algorithm=stored.algorithm,
            random_state=stored.random_state,
            n_init=stored.n_init,
            evaluate=stored.evaluation is not None,
            missing=stored.missing["setting"],
        )
        model._keep_settings(
            stored.features, stored.transform, stored.algorithm, stored.random_state, stored.n_init
        )
        model.pipeline_ = _restored_pipeline(stored)
        model.segments_ = stored.segments
        model.training_ = stored.training
        model.evaluation_ = stored.evaluation
        model.library_version_ = stored.library_version
        model.missing_ = stored.missing
        model.monitoring_ = stored.monitoring
        return model

    # --- inside -------------------------------------------------------------------------------

    def _keep_settings(
        self,
        features: tuple[str, ...],
        transform: str,
        algorithm: str,
        random_state: int,
        n_init: int,
    ) -> None:
        """Keep the settings of a fit (or of a model file) as fitted attributes: the model
        uses these, whatever its parameters are set to since."""
        self.features_in_, self.transform_, self.algorithm_ = tuple(features), transform, algorithm
        self.random_state_, self.n_init_ = random_state, n_init

    def _features(self) -> list[str]:
        """The features the fitted pipeline takes (whatever ``features`` was set to since)."""
        check_is_fitted(self)
        return list(self.features_in_)

    def _scaler(self) -> StandardScaler:
        check_is_fitted(self)
        return self.pipeline_.named_steps["scale"]

    def _scaled(self, raw: np.ndarray, features: Sequence[str]) -> np.ndarray:
        """Checked spending (``raw``) through the steps before k-means, one at a time, so
        that each step's input is freed as soon as it is used (Pipeline.transform would hold
        the spending to the end)."""
        steps = [step for _, step in self.pipeline_.steps[:-1]]
        if all(_plain_step(step) for step in steps):
            return _through_plain_steps(raw, steps)
        X: Any = _table(raw, features)
        del raw
        # Every value was checked at the door (a number from 0 to 1e15): scikit-learn need
        # not look for NaN and infinity again.
        with config_context(assume_finite=True):
            for _, step in self.pipeline_.steps[:-1]:
                X = X if step == "passthrough" else step.transform(X)
        return X

    def _distances(self, X: np.ndarray, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
        """The distance of scaled customers ``X`` to every centre, and which customers have a
        missing value; those are measured by their observed features (see :meth:`predict`)."""
        holes = np.isnan(X)
        gaps = holes.any(axis=1)
        if not gaps.any():
            return self.pipeline_[-1].transform(X), gaps
        _refuse_empty_rows(holes, index, "the customer table")
        distances = np.empty((len(X), len(self.centres)))
        if not gaps.all():  # k-means' transform refuses a table of no customers
            distances[~gaps] = self.pipeline_[-1].transform(X[~gaps])
        distances[gaps] = partial_distances(X[gaps], self.centres)
        return distances, gaps

    def _nearest(self, X: np.ndarray) -> np.ndarray:
        """The segment of scaled customers ``X``: the nearest centre by the distances of the
        k-means step's ``transform``, the one distance computation of the model (its
        ``predict`` gives the same segments)."""
        return self.pipeline_[-1].transform(X).argmin(axis=1)

    def _measure(
        self, X: np.ndarray, labels: np.ndarray, channel: Any, seeds: int = 10
    ) -> Evaluation:
        k = len(self.centres)

        def refit(sample: np.ndarray, seed: int) -> np.ndarray:
            return _clusterer(self.algorithm_, k, seed, self.n_init_).fit(sample).labels_

        return measure(
            X, labels, self.centres, channel, refit, random_state=self.random_state_, seeds=seeds
        )


def partial_distances(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The distance of each row of ``X`` (NaN where a value is missing) to each centre over
    its observed features, scaled up by the share of features observed:
    ``sqrt(d / |O| * sum over f in O of (x_f - c_jf) ** 2)``. For a complete row it is the
    usual Euclidean distance."""
    observed = ~np.isnan(X)
    filled = np.where(observed, X, 0.0)
    squared = np.empty((len(X), len(centres)))
    for j, centre in enumerate(centres):
        squared[:, j] = (np.where(observed, filled - centre, 0.0) ** 2).sum(axis=1)
    squared *= X.shape[1] / observed.sum(axis=1)[:, None]
    return np.sqrt(squared)


def _filled(
    raw: np.ndarray,
    features: Sequence[str],
    transform: str,
    impute: bool,
    index: pd.Index,
    seed: int = 0,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The training spending with each missing value filled by KNNImputer (the
    IMPUTE_NEIGHBOURS nearest customers that have the value, on the course's log and
    scaling, looked for among at most IMPUTE_DONORS customers), turned back into m.u.; and
    the record of it (``missing_``). Observed values are kept as they are."""
    holes = np.isnan(raw)
    record = {
        "setting": "impute" if impute else "refuse",
        "imputed_values": int(holes.sum()),
        "imputed_customers": int(holes.any(axis=1).sum()),
    }
    if not holes.any():
        return raw, record
    _refuse_empty(holes, features, index)
    from sklearn.impute import KNNImputer  # only where it is used: it is slow to import

    with warnings.catch_warnings():
        # log1p's check against expm1 fails on NaN alone; the scaler leaves NaN out of fit.
        warnings.filterwarnings("ignore", message="The provided functions are not strictly")
        scaling = spending_scaler(transform).fit(_table(raw, features))
    X = np.asarray(scaling.transform(_table(raw, features)), dtype=float)
    gappy = np.flatnonzero(holes.any(axis=1))
    imputer = KNNImputer(n_neighbors=IMPUTE_NEIGHBOURS).fit(X[imputation_donors(len(X), seed)])
    # Only the customers with a gap are filled (the others are left as they are anyway): the
    # same values as fit_transform on every customer when all of them are searched.
    X[gappy] = imputer.transform(X[gappy])
    back = np.asarray(scaling.inverse_transform(_table(X, features)), dtype=float)
    return np.where(holes, np.maximum(back, 0.0), raw), record


def imputation_donors(n: int, seed: int = 0) -> np.ndarray:
    """The rows among which the neighbours of a gap are looked for: all ``n`` customers up
    to :data:`IMPUTE_DONORS`, else a sample of that many drawn with ``seed`` (in file
    order), so that the same data and seed always give the same fill."""
    if n <= IMPUTE_DONORS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, IMPUTE_DONORS, replace=False))


def _refuse_empty(holes: np.ndarray, features: Sequence[str], index: pd.Index) -> None:
    """Refuse a feature with no value at all, or with more than MAX_MISSING_SHARE of its
    values missing, and a customer with no value at all: nothing, or too little, to fill it
    from."""
    empty = [f for j, f in enumerate(features) if holes[:, j].all()]
    if empty:
        raise ModelInputError(
            f"the training data has no value at all in {', '.join(empty)}: no value can be "
            "estimated from none. Fill the column in, or leave it out of the features."
        )
    n = len(holes)
    scarce = [
        f"{f} ({int(holes[:, j].sum()):,} of {n:,})"
        for j, f in enumerate(features)
        if holes[:, j].sum() > MAX_MISSING_SHARE * n
    ]
    if scarce:
        raise ModelInputError(
            f"the training data misses more than {MAX_MISSING_SHARE:.0%} of the values of "
            f"{', '.join(scarce)}: a model fitted on it would rest on values made up from "
            "the other columns more than on measured ones. Fill the column in from the "
            "source of the data (0 where a customer bought nothing), or fit on the other "
            "columns (SegmentationModel(features=[...]) in Python)."
        )
    _refuse_empty_rows(holes, index, "the training data")


def _refuse_empty_rows(holes: np.ndarray, index: pd.Index, what: str) -> None:
    """Refuse customers with no value at all (``holes`` True across the row)."""
    rows = np.flatnonzero(holes.all(axis=1))
    if len(rows):
        shown = ", ".join(repr(index[r]) for r in rows[:5])
        raise ModelInputError(
            f"{what}, row{'s' if len(rows) > 1 else ''} {shown}: every spending value is "
            "missing, so there is nothing to segment the customer by. Fill in at least one "
            "spending value, or leave the customer out."
        )


def _plain_step(step: Any) -> bool:
    """Whether ``step`` is one of the course's own scaling steps (``spending_scaler``'s):
    nothing, ``log1p``, or a fitted StandardScaler."""
    if step == "passthrough":
        return True
    if isinstance(step, FunctionTransformer):
        return step.func is np.log1p and not step.kw_args
    return type(step) is StandardScaler and hasattr(step, "scale_")


def _through_plain_steps(raw: np.ndarray, steps: list[Any]) -> np.ndarray:
    """``raw`` through the course's scaling steps with the arithmetic of their ``transform``
    (``log1p``; then minus the mean, over the scale), without scikit-learn's checks of a
    table, which cost more than the arithmetic on a small batch: the same numbers (a test
    compares them with the steps' own ``transform``)."""
    X = np.array(raw, dtype=np.float64)
    for step in steps:
        if isinstance(step, FunctionTransformer):
            np.log1p(X, out=X)
        elif isinstance(step, StandardScaler):
            if step.with_mean:
                X -= step.mean_
            if step.with_std:
                X /= step.scale_
    return X


def _table(values: np.ndarray, features: Sequence[str]) -> pd.DataFrame:
    """Spending as the pipeline takes it: a table with the features' names (no copy)."""
    return pd.DataFrame(values, columns=list(features), copy=False)


def _fitted_scaling(table: pd.DataFrame, transform: str) -> Pipeline:
    """The log and scaling steps, fitted on the training customers' ``table``."""
    scaling = spending_scaler(transform).fit(table)
    scaler = scaling.named_steps["scale"]
    # StandardScaler leaves a feature unscaled only when its spread is within the rounding of
    # its mean. A spread of 1e-13 m.u. around 5 m.u. is noise as well, and dividing by it would
    # make that noise the largest distance of all (and a model file's scales start at
    # MIN_SCALE, so that every distance stays finite): leave such a feature unscaled too.
    scaler.scale_[scaler.scale_ < MIN_SCALE] = 1.0
    return scaling


def _restored_pipeline(stored: persistence.StoredModel) -> Pipeline:
    """The fitted pipeline of a model read from a file: the scaler given the stored mean and
    scale, k-means the stored centres."""
    scaling = spending_scaler(stored.transform)
    names = np.asarray(stored.features, dtype=object)
    for _, step in scaling.steps:
        if step != "passthrough":
            step.feature_names_in_, step.n_features_in_ = names, len(names)
    scaler = scaling.named_steps["scale"]
    scaler.mean_, scaler.scale_, scaler.var_ = stored.mean, stored.scale, stored.scale**2
    scaler.n_samples_seen_ = stored.training["customers"]
    return Pipeline([*scaling.steps, ("kmeans", KMeans.from_centres(stored.centres))])


def _clusterer(algorithm: str, k: int, seed: int, n_init: int) -> Any:
    """An unfitted k-means of the model's ``algorithm``."""
    if algorithm == "scikit-learn":
        from sklearn.cluster import KMeans as ReferenceKMeans

        return ReferenceKMeans(k, n_init=n_init, random_state=seed)
    return KMeans(k, n_init=n_init, random_state=seed)


def _cluster_all(X: np.ndarray, clusterer: Any) -> tuple[np.ndarray, np.ndarray]:
    """The labels and centres of a fit: refused when it leaves a segment empty (customers
    that differ only in their last digits count as distinct, yet k-means puts them in one
    group)."""
    k = clusterer.n_clusters
    with warnings.catch_warnings():
        # Both k-means warn of an empty cluster; the refusal below says it, and what to do.
        warnings.filterwarnings("ignore", message=r"(Only \d+|Number of) distinct clusters")
        fit = clusterer.fit(X)
    labels = np.asarray(fit.labels_)
    found = int(np.count_nonzero(np.bincount(labels, minlength=k)))
    if found < k:
        raise empty_segment_error(
            found,
            k,
            "the training data (customers that differ only in their last digits fall in one group)",
        )
    return labels, np.asarray(fit.cluster_centers_, dtype=float)
