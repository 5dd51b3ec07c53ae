"""Drift monitors: has a new batch of customers moved away from the data the model knows?

Each monitor compares one batch with a reference (the training customers, as a rule) and
has a documented threshold; :func:`drift_report` runs them all for a
:class:`~segmentation.model.pipeline.SegmentationModel` and says whether any fired.

- :func:`psi`: population stability index of one feature, on the reference's deciles.
- :func:`ks_test`: two-sample Kolmogorov-Smirnov test of one feature.
- :func:`share_shift`: the segments' shares, by PSI and a chi-squared test.
- :func:`mean_distance`: how far the batch lies from its nearest centres.
- :func:`centre_movement`: how far each centre moves when refitted.

:class:`DriftMonitor` prepares them all once for a model and a reference, for a stream of
batches; :func:`drift_report` is its one-shot form.

A scheduled job often has the model file but not the training data: a model fitted now
keeps a summary of it (:func:`training_summary`: per feature the PSI bins and shares, and the
mean distance to the nearest centre; model file format 4), and :func:`drift_report` without
a ``reference`` runs every monitor that summary supports (all but the KS test).

Nothing here draws random numbers: the same data give the same report on every machine.

>>> import numpy as np
>>> reference = np.arange(1.0, 11.0)
>>> round(psi(reference, reference), 6)
0.0
>>> round(psi(reference, np.array([1.0, 1.0, 1.0, 10.0]), bins=2), 4)
0.2747
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning

from segmentation.cluster import _compiled, _kernel
from segmentation.cluster.kmeans import KMeans
from segmentation.cluster.steps import _reject_non_finite
from segmentation.data.problems import plural

#: Bins of :func:`psi`: the deciles of the reference.
PSI_BINS = 10
#: The share given to a bin that holds no customer, so that the log never sees 0: one
#: customer in ten thousand. An empty bin then adds a large but finite term.
PSI_FLOOR = 1e-4
#: The common reading of PSI, a convention from credit scoring: below 0.1 the population is
#: stable, from 0.1 to 0.25 it has moved a little (watch it), above 0.25 it has moved enough
#: that the model should be looked at again. The monitors fire above the second.
PSI_MODERATE = 0.1
PSI_SIGNIFICANT = 0.25
#: The level of each test: a false alarm in one batch out of twenty, when nothing moved.
ALPHA = 0.05
#: The Kolmogorov-Smirnov test is made on the six spending features at once: Bonferroni's
#: correction keeps the chance of any false alarm at most ALPHA (0.05 / 6 = 0.0083 each).
KS_TESTS = 6
#: When both samples hold at least this many values, the KS p-value is Kolmogorov's limiting
#: distribution at sqrt(n m / (n + m)) times the statistic (``scipy.special.kolmogorov``);
#: below it, scipy's exact p-value. The exact one takes milliseconds a feature for batches
#: of 10,000 customers, the limit microseconds. Where both apply (samples of 2,000 to 12,000
#: spending values) they agree within KS_TOLERANCE of the exact p-value (relative; at most
#: 2.8% measured), so the verdict can differ only for a p-value within 5% of the threshold.
KS_ASYMPTOTIC_FROM = 2000
KS_TOLERANCE = 0.05
#: The batch's mean distance to its nearest centre may grow to this multiple of the
#: reference's before the monitor fires. Fresh samples of the same customers stay well inside
#: it (on 200 batches of 100 course customers drawn again, the ratio varied by 5% (standard
#: deviation) and stayed below 1.12 in 99% of them); customers 20% farther
#: from every centre on average no longer fit the segments as well.
DISTANCE_RATIO = 1.2
#: A centre may move this many reference mean distances in a refit before the monitor fires.
#: On the course data (k = 3) the centres lie 1.5 to 1.8 mean distances apart, so a move of
#: 0.5 is about a third of the way to the next centre. A refit on a sample of the same
#: customers moves the centres too, more for small batches: on 100 batches drawn again from
#: the course data, some centre moved more than 0.5 in 2% of batches of 440 customers and
#: in 33% of batches of 100. Use this monitor on batches of several hundred customers.
MOVEMENT = 0.5
#: A mean distance to the nearest centre below this (in the model's scaled space, where a
#: feature's standard deviation is about 1) is no unit for the distance monitors: the
#: customers sit on their centres, and a ratio to it is rounding noise (or 1 / 0).
MIN_MEAN_DISTANCE = 1e-6
#: The set-up the thresholds above were argued for: the log transform, k from 2 to 6, and
#: batches of at most this many customers (beyond it the chi-squared test fires at shifts far
#: too small to matter). Outside it the monitors still run; :func:`setup_notes` says so.
TUNED_K = (2, 6)
TUNED_BATCH = 5000


def psi_level(value: float) -> str:
    """The reading of a PSI value: "stable", "moderate" or "significant"."""
    if value < PSI_MODERATE:
        return "stable"
    return "moderate" if value <= PSI_SIGNIFICANT else "significant"


def _psi_of_shares(reference: np.ndarray, current: np.ndarray, floor: float) -> float:
    """sum over bins of (current - reference) * ln(current / reference), empty shares
    raised to ``floor``."""
    ref, cur = np.maximum(reference, floor), np.maximum(current, floor)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def _numbers(values: Any, what: str) -> np.ndarray:
    """A 1-D array of finite numbers, or a ValueError that says which input is wrong."""
    array = np.asarray(values, dtype=float).ravel()
    if not len(array) or not np.isfinite(array).all():
        raise ValueError(f"{what} must be a non-empty set of finite numbers.")
    return array


def psi(reference: Any, current: Any, bins: int = PSI_BINS, floor: float = PSI_FLOOR) -> float:
    """Population stability index of one numeric feature, ``current`` against ``reference``.

    The bins are cut at the reference's quantiles (``bins=10``: deciles, each holding a tenth
    of the reference); the outer bins are open, so values beyond the reference's range count
    in them. Cut points that coincide (many equal values) are merged. Then
    ``PSI = sum over bins of (c - r) * ln(c / r)``, with ``r`` and ``c`` the shares of the
    reference and the batch in each bin and an empty bin's share raised to ``floor``.

    Quantile bins depend only on the order of the values, so ``psi`` of the spending and of
    its ``log1p`` differ only by where a cut falls between two customers; :func:`drift_report`
    passes ``log1p`` of the spending, the scale the model works on.

    Read it by :data:`PSI_MODERATE` and :data:`PSI_SIGNIFICANT` (see :func:`psi_level`).
    """
    cuts, shares = psi_bins(reference, bins)
    return psi_against(cuts, shares, current, floor)


def psi_bins(reference: Any, bins: int = PSI_BINS) -> tuple[np.ndarray, np.ndarray]:
    """The cut points of :func:`psi`'s bins (the reference's quantiles, repeated cuts
    merged) and the reference's share in each bin: all that :func:`psi` needs of the
    reference, and what a model file keeps of its training data (:func:`training_summary`)."""
    ref = _numbers(reference, "reference")
    cuts = np.unique(np.quantile(ref, np.linspace(0.0, 1.0, bins + 1))[1:-1])
    return cuts, _bin_shares(cuts, ref)


def psi_against(cuts: Any, shares: Any, current: Any, floor: float = PSI_FLOOR) -> float:
    """:func:`psi` of ``current`` against a reference known only by its bins: the ``cuts``
    and ``shares`` of :func:`psi_bins`."""
    cur = _numbers(current, "current")
    return _psi_of_shares(np.asarray(shares, dtype=float), _bin_shares(cuts, cur), floor)


def _bin_shares(cuts: Any, values: np.ndarray) -> np.ndarray:
    """The share of ``values`` in each bin between ``cuts`` (the outer bins open)."""
    cuts = np.asarray(cuts, dtype=float)
    # side="right": a value equal to a cut goes to the bin above it, as np.digitize does.
    where = np.searchsorted(cuts, values, side="right")
    return np.bincount(where, minlength=len(cuts) + 1) / len(values)


@dataclass(frozen=True)
class KSResult:
    """A two-sample Kolmogorov-Smirnov test: the largest gap between the two cumulative
    distributions, its p-value, the corrected threshold and whether the p-value is below it."""

    statistic: float
    p_value: float
    threshold: float
    crossed: bool


def ks_test(
    reference: Any, current: Any, *, alpha: float = ALPHA, tests: int = KS_TESTS
) -> KSResult:
    """Two-sample Kolmogorov-Smirnov test of one feature.

    It fires when the p-value is below ``alpha / tests`` (Bonferroni's correction for
    testing ``tests`` features at once; 0.05 / 6 by default). The statistic is
    ``scipy.stats.ks_2samp``'s; so is the p-value (exact, as scipy chooses for samples up to
    10,000) unless both samples hold at least :data:`KS_ASYMPTOTIC_FROM` values: then it is
    Kolmogorov's limiting distribution, within :data:`KS_TOLERANCE` of the exact one.

    A test answers "is there any difference at all?": with large batches a shift far too
    small to matter becomes "significant". Read it with :func:`psi`, which says how large the
    shift is (notebook 10 shows both).
    """
    ref = np.sort(_numbers(reference, "reference"))[None, :]
    cur = np.sort(_numbers(current, "current"))[None, :]
    statistic, p_value = _ks_of_sorted(ref, cur)
    threshold = alpha / tests
    return KSResult(float(statistic[0]), float(p_value[0]), threshold, p_value[0] < threshold)


def _ks_of_sorted(reference: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The KS statistic and p-value of each feature, from each feature's values sorted
    (features by values): the ``reference`` and ``current``."""
    n1, n2 = reference.shape[1], current.shape[1]
    # The largest gap between the two distributions, exactly, in units of 1 / (n1 n2).
    statistic = _compiled.ks_gaps(reference, current) / (n1 * n2)
    if min(n1, n2) >= KS_ASYMPTOTIC_FROM:
        from scipy.special import kolmogorov

        return statistic, kolmogorov(np.sqrt(n1 * n2 / (n1 + n2)) * statistic)
    from scipy.stats import ks_2samp

    p_values = [ks_2samp(ref, cur).pvalue for ref, cur in zip(reference, current, strict=True)]
    return statistic, np.asarray(p_values, dtype=float)


@dataclass(frozen=True)
class ShareShift:
    """The shift in segment shares: the shares, their PSI, a chi-squared test of the
    batch's counts against the reference's shares, and whether each monitor fired."""

    reference_shares: np.ndarray
    current_shares: np.ndarray
    psi: float
    chi2: float
    p_value: float
    psi_crossed: bool
    chi2_crossed: bool


def _counts(labels: Any, k: int, what: str) -> np.ndarray:
    """How many of ``labels`` fall in each of segments 0 .. k-1."""
    array = np.asarray(labels).ravel()
    if not len(array) or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{what} must be a non-empty set of segment numbers (integers).")
    if array.min() < 0 or array.max() >= k:
        raise ValueError(f"{what} must be segment numbers from 0 to {k - 1} (k = {k}).")
    return np.bincount(array, minlength=k)


def share_shift(
    reference_labels: Any, current_labels: Any, k: int, floor: float = PSI_FLOOR
) -> ShareShift:
    """How the shares of the ``k`` segments moved from the reference to the batch.

    The PSI is taken over the k shares (an empty segment's share raised to ``floor``) and
    read as :func:`psi`'s (it fires above :data:`PSI_SIGNIFICANT`). The chi-squared
    goodness-of-fit test (``scipy.stats.chisquare``, k - 1 degrees of freedom) compares the
    batch's counts with those the reference's shares expect (the shares floored, then scaled
    to sum to one); it fires when the p-value is below :data:`ALPHA`. As with
    :func:`ks_test`, a large batch makes a small change "significant": read it with the PSI.
    """
    ref = _counts(reference_labels, k, "reference_labels")
    cur = _counts(current_labels, k, "current_labels")
    return shift_of_counts(ref, cur, floor)


def shift_of_counts(
    reference_counts: Any, current_counts: Any, floor: float = PSI_FLOOR
) -> ShareShift:
    """:func:`share_shift` from the customers of each segment: the reference's (the
    training segment sizes, as a model file keeps them) and the batch's."""
    from scipy.special import chdtrc

    ref = np.asarray(reference_counts, dtype=float)
    cur = np.asarray(current_counts, dtype=float)
    ref_shares, cur_shares = ref / ref.sum(), cur / cur.sum()
    expected = np.maximum(ref_shares, floor)
    expected = expected / expected.sum() * cur.sum()
    # Pearson's statistic and its chi-squared tail, as scipy.stats.chisquare gives them
    # (called directly: the wrapper's checks cost more than the test, batch after batch).
    chi2 = float(((cur - expected) ** 2 / expected).sum())
    p_value = float(chdtrc(len(cur) - 1, chi2))
    value = _psi_of_shares(ref_shares, cur_shares, floor)
    return ShareShift(
        ref_shares,
        cur_shares,
        value,
        chi2,
        p_value,
        value > PSI_SIGNIFICANT,
        p_value < ALPHA,
    )


def _centres_of(model_or_centres: Any) -> np.ndarray:
    """The centres of a fitted SegmentationModel (``.centres``), or the centres given."""
    centres = getattr(model_or_centres, "centres", model_or_centres)
    return np.asarray(centres, dtype=float)


def _nearest_distances(centres: np.ndarray, X_scaled: Any) -> np.ndarray:
    """Each customer's distance to its nearest centre, checked as the course's k-means
    checks its input, and computed as the monitors compute it (:func:`_nearest_and_labels`:
    the nearest only, not every centre's distance)."""
    model = KMeans.from_centres(centres)
    X = model._check_data(np.asarray(X_scaled, dtype=float), reset=False)
    return _nearest_and_labels(model.cluster_centers_, X)[0]


@dataclass(frozen=True)
class Distance:
    """The batch's mean distance to its nearest centre, the reference's, their ratio, and
    whether the ratio is above :data:`DISTANCE_RATIO`."""

    mean: float
    reference: float
    ratio: float
    crossed: bool


def mean_distance(
    model_or_centres: Any, X_scaled: Any, reference_scaled: Any | None = None
) -> Distance:
    """The mean distance of the customers ``X_scaled`` (in the model's scaled space) to
    their nearest centre, and its ratio to that of ``reference_scaled``.

    ``model_or_centres`` is a fitted SegmentationModel or its centres (k rows). Without a
    reference, ``reference`` and ``ratio`` are NaN (and the monitor does not fire); so is the
    ratio when the reference's mean distance is below :data:`MIN_MEAN_DISTANCE`. It fires
    when the ratio is above :data:`DISTANCE_RATIO`.
    """
    centres = _centres_of(model_or_centres)
    mean = float(_nearest_distances(centres, X_scaled).mean())
    if reference_scaled is None:
        return Distance(mean, float("nan"), float("nan"), False)
    reference = float(_nearest_distances(centres, reference_scaled).mean())
    if not reference >= MIN_MEAN_DISTANCE:  # no unit: the reference sits on its centres
        return Distance(mean, reference, float("nan"), False)
    ratio = mean / reference
    return Distance(mean, reference, ratio, ratio > DISTANCE_RATIO)


@dataclass(frozen=True)
class Movement:
    """How far each old centre moved: ``order[j]`` is the new centre matched to old centre
    ``j``, ``distance[j]`` how far apart they are, ``relative[j]`` that distance in units of
    the reference's mean distance to the nearest centre, and ``crossed[j]`` whether that is
    above :data:`MOVEMENT`."""

    order: np.ndarray
    distance: np.ndarray
    relative: np.ndarray
    crossed: np.ndarray


def centre_movement(
    old_centres: Any, new_centres: Any, scale: float = 1.0, *, match: str = "assignment"
) -> Movement:
    """The movement of each centre after a refit.

    ``match="canonical"`` pairs old centre j with new centre j (both numbered by the
    course's canonical order, as a SegmentationModel's are). ``match="assignment"`` (the
    default) pairs them so that the total distance is least
    (``scipy.optimize.linear_sum_assignment``): the canonical numbers can swap when two
    segments' spending comes close. ``scale`` is the unit of ``relative``: give the
    reference's mean distance to its nearest centre (:func:`mean_distance`). A centre fires
    when it moved more than :data:`MOVEMENT` units.
    """
    old, new = np.asarray(old_centres, dtype=float), np.asarray(new_centres, dtype=float)
    if old.ndim != 2 or old.shape != new.shape:
        raise ValueError(
            f"old and new centres must be tables of the same shape; got {old.shape} and "
            f"{new.shape}."
        )
    if match not in ("canonical", "assignment"):
        raise ValueError(f"match must be 'canonical' or 'assignment', not {match!r}.")
    if not scale > 0:
        raise ValueError(f"scale must be a positive distance, not {scale!r}.")
    cost = np.linalg.norm(old[:, None, :] - new[None, :, :], axis=2)
    order = np.arange(len(old))
    if match == "assignment":
        from scipy.optimize import linear_sum_assignment

        order = linear_sum_assignment(cost)[1]
    distance = cost[np.arange(len(old)), order]
    relative = distance / scale
    return Movement(order, distance, relative, relative > MOVEMENT)


#: Why a monitor did not run, by what the monitoring had to go on.
NEEDS_TRAINING_DATA = "needs the training data"
NO_SUMMARY = (
    "the model keeps no summary of its training data, as models fitted before model file "
    "format 4 do not: pass the training data, or fit and save the model again"
)
#: What the monitors compared the batch with (``DriftReport.basis``).
ON_CENTRES = (
    "the {what} customers sit on their centres, at a mean distance of {distance} from the "
    "nearest, so distances have no unit: refit the model with a smaller k, or on more "
    "varied data"
)
BASIS_REFERENCE = "the reference customers"
BASIS_SUMMARY = "the summary of the training data stored in the model"
BASIS_SIZES = "the training segment sizes stored in the model"
_COLUMNS = ["monitor", "item", "value", "threshold", "crossed"]


@dataclass(frozen=True)
class DriftReport:
    """Every monitor for one batch: ``table`` has one row per monitor and feature or
    segment (columns ``monitor``, ``item``, ``value``, ``threshold``, ``crossed``);
    ``drifted`` is True when any row crossed its threshold. ``not_run`` lists the monitors
    that could not run, each with the reason (``(monitor, reason)`` pairs), and ``basis``
    says what the batch was compared with (:data:`BASIS_REFERENCE`, :data:`BASIS_SUMMARY`
    or :data:`BASIS_SIZES`).

    ``rows`` holds the rows as ``(monitor, item, value, threshold, crossed)`` tuples; the
    table is built from them on first use (a job that only asks ``drifted``, batch after
    batch, never pays for the DataFrame)."""

    rows: tuple[tuple, ...]
    not_run: tuple[tuple[str, str], ...] = ()
    basis: str = BASIS_REFERENCE

    @functools.cached_property
    def table(self) -> pd.DataFrame:
        # column by column, each with its type: twice as fast as pandas reading the tuples
        monitor, item, value, threshold, crossed = (list(c) for c in zip(*self.rows, strict=True))
        columns = [monitor, item, np.array(value, dtype=float)]
        columns += [np.array(threshold, dtype=float), np.array(crossed, dtype=bool)]
        return pd.DataFrame(dict(zip(_COLUMNS, columns, strict=True)))

    @property
    def drifted(self) -> bool:
        return any(row[4] for row in self.rows)


def training_summary(raw: Any, X_scaled: Any, centres: Any, features: Any) -> dict[str, Any]:
    """What a model file keeps of its training data for monitoring without it (format 4):
    per feature the cut points and shares of :func:`psi_bins` on ``log1p`` of the spending
    (``raw``, customers by ``features``), and the customers' mean distance to their nearest
    centre in the scaled space (``X_scaled``; None below :data:`MIN_MEAN_DISTANCE`: the
    customers sit on their centres). A few hundred numbers, whatever the size of the
    training data."""
    raw = np.asarray(raw, dtype=float)
    bins = {}
    for j, feature in enumerate(features):
        cuts, shares = psi_bins(np.log1p(raw[:, j]))
        bins[feature] = {"edges": cuts.tolist(), "shares": shares.tolist()}
    distance = float(_nearest_distances(np.asarray(centres, dtype=float), X_scaled).mean())
    return {"psi_bins": bins, "mean_distance": usable_distance(distance)}


def usable_distance(distance: float) -> float | None:
    """The training customers' mean distance to their nearest centre as a model file keeps
    it: None (null in the file) below :data:`MIN_MEAN_DISTANCE`, not a distance the monitors
    cannot divide by (the customers sit on their centres)."""
    return distance if distance >= MIN_MEAN_DISTANCE else None


def _share_rows(shares: ShareShift) -> list[tuple]:
    return [
        ("share_psi", "segments", shares.psi, PSI_SIGNIFICANT, shares.psi_crossed),
        ("share_p_value", "segments", shares.p_value, ALPHA, shares.chi2_crossed),
    ]


def _check_columns(model: Any, batch: pd.DataFrame) -> None:
    """Refuse a batch that lacks a feature of the model or has fewer customers than
    segments."""
    features, k = list(model.features_in_), len(model.centres)
    absent = [f for f in features if f not in batch.columns]
    if absent:
        raise ValueError(
            f"the batch has no column {', '.join(absent)}, which the model segments by "
            f"(its features: {', '.join(features)}). Give a batch with the columns of the "
            "model's training data."
        )
    if len(batch) < k:
        raise ValueError(
            f"the batch has {plural(len(batch), 'customer')}, fewer than the model's {k} "
            "segments: k-means cannot be refitted on it. Monitor batches of several hundred "
            "customers (the thresholds are set for batches that size)."
        )


def _nearest_and_labels(centres: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's distance to its nearest centre and that centre's number (the first,
    on a tie)."""
    labels, squared = _compiled.nearest(X, centres)
    return np.sqrt(squared), labels


def _refit_centres(X: np.ndarray, centres: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """k-means on ``X`` started from ``centres``, whose assignment ``labels`` is known:
    Lloyd's steps with the stopping rules of :class:`KMeans`'s ``fit`` (assignments
    unchanged, or the centres moved less than its ``tol``), one start, no random numbers.
    A cluster left empty is handed to ``fit`` itself, for its rule of refilling it."""
    k, start, rules = len(centres), centres, KMeans()
    # fit's threshold: tol times the features' mean variance (a stopping rule: the sum of
    # squares by its short formula is precise enough for it)
    mean = X.mean(axis=0)
    spread = float(np.einsum("ij,ij->", X, X)) - len(X) * float(mean @ mean)
    threshold = rules.tol * spread / X.size
    sums, counts = _compiled.cluster_sums(X, labels, k)
    for _ in range(rules.max_iter):
        if not counts.all():
            with warnings.catch_warnings():
                # A batch with fewer distinct customers than k: k-means warns of too few
                # groups. The share shift reports the empty segments; no note is due here.
                warnings.simplefilter("ignore", ConvergenceWarning)
                return KMeans(k, init=start, n_init=1).fit(X).cluster_centers_
        moved = sums / counts[:, None]
        shift = float(((moved - centres) ** 2).sum())
        centres = moved
        if shift <= threshold:
            break
        new_labels = _compiled.nearest(X, centres)[0]
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
        sums, counts = _compiled.cluster_sums(X, labels, k)
    return centres


class DriftMonitor:
    """The monitors of :func:`drift_report`, prepared once for a model and a reference.

    Everything the monitors need of the reference is computed here, once: each feature's
    sorted values (the KS test), its PSI bins, the reference's segment sizes and its mean
    distance to the nearest centre. :meth:`report` then does only the batch's part: build
    one monitor for a model and watch each new batch with it.

    >>> from segmentation.data.shipped import load_customers
    >>> from segmentation.model.pipeline import SegmentationModel
    >>> customers = load_customers()
    >>> model = SegmentationModel(3, evaluate=False).fit(customers)
    >>> DriftMonitor(model, customers).report(customers.head(200)).drifted
    False
    """

    def __init__(self, model: Any, reference: pd.DataFrame | None = None) -> None:
        self.model, self.features = model, list(model.features_in_)
        self.centres = np.asarray(model.centres, dtype=float)
        self._sorted: np.ndarray | None = None
        self._bins: list[tuple[np.ndarray, np.ndarray]] | None = None
        self._scale: float | None = None
        # The centres a batch's refit is compared with: the model's, or with a reference
        # its own refit from the model's centres (like with like: a batch equal to the
        # reference moves nothing).
        self._start = self.centres
        self.not_run: tuple[tuple[str, str], ...] = ()
        if reference is not None:
            X_ref = model.features_of(reference, "the reference customers")
            self._sorted = _sorted_rows(reference, self.features, "reference")
            self._bins = [psi_bins(np.log1p(column)) for column in self._sorted]
            nearest, labels = _nearest_and_labels(self.centres, X_ref)
            self._known = np.bincount(labels, minlength=len(self.centres))
            self._scale, self.basis = float(nearest.mean()), BASIS_REFERENCE
            if self._scale >= MIN_MEAN_DISTANCE:
                self._start = _refit_centres(X_ref, self.centres, labels)
            self._check_scale("reference")
            return
        self._known = np.array([s.customers for s in model.segments])
        summary = getattr(model, "monitoring_", None)
        if summary is None:
            skipped = ("psi", "ks_p_value", "distance_ratio", "centre_movement")
            self.not_run, self.basis = tuple((m, NO_SUMMARY) for m in skipped), BASIS_SIZES
            return
        stored = [summary["psi_bins"][f] for f in self.features]
        self._bins = [
            (np.asarray(s["edges"], dtype=float), np.asarray(s["shares"], dtype=float))
            for s in stored
        ]
        distance = summary["mean_distance"]  # None: the training customers sat on centres
        self._scale = 0.0 if distance is None else float(distance)
        self.not_run, self.basis = (("ks_p_value", NEEDS_TRAINING_DATA),), BASIS_SUMMARY
        self._check_scale("training")

    def _check_scale(self, what: str) -> None:
        """No distance monitor when the mean distance, their unit, is (almost) 0."""
        if self._scale is not None and not self._scale >= MIN_MEAN_DISTANCE:
            reason = ON_CENTRES.format(what=what, distance=f"{self._scale:.2g}")
            self.not_run += (("distance_ratio", reason), ("centre_movement", reason))
            self._scale = None

    @_kernel.one_blas_thread
    def report(self, batch: pd.DataFrame, *, scaled: Any | None = None) -> DriftReport:
        """Every monitor of ``batch`` (see :func:`drift_report`). ``scaled``: the batch in
        the model's scaled space (``model.features_of(batch)``), if the caller has it
        already; it must be that batch."""
        _check_columns(self.model, batch)
        if scaled is None:
            X = self.model.features_of(batch, "the batch of customers")
        else:
            X = np.asarray(scaled, dtype=float)
            if X.shape != (len(batch), len(self.features)):
                raise ValueError(
                    f"scaled has shape {X.shape}, not that of the batch in the model's space "
                    f"({len(batch)}, {len(self.features)}): give model.features_of(batch)."
                )
            _reject_non_finite(X, scaled, what="scaled")
        nearest, labels = _nearest_and_labels(self.centres, X)
        current = np.bincount(labels, minlength=len(self.centres))
        rows = self._feature_rows(batch) + _share_rows(shift_of_counts(self._known, current))
        if self._scale is not None:
            ratio = float(nearest.mean()) / self._scale
            rows.append(("distance_ratio", "all", ratio, DISTANCE_RATIO, ratio > DISTANCE_RATIO))
            refit = _refit_centres(X, self.centres, labels)
            moved = centre_movement(self._start, refit, self._scale)
            rows += [
                ("centre_movement", f"segment {j}", moved.relative[j], MOVEMENT, moved.crossed[j])
                for j in range(len(self.centres))
            ]
        return _report(rows, self.not_run, self.basis)

    def _feature_rows(self, batch: pd.DataFrame) -> list[tuple]:
        """PSI (on log1p of the spending) and KS rows of each feature, as the reference
        allows."""
        if self._bins is None:
            return []
        raw = _sorted_rows(batch, self.features, "the batch of customers")
        # log1p keeps the order: the logs of the sorted spending are sorted, and the
        # customers below each cut are counted by a binary search.
        logs, rows = np.log1p(raw), []
        for feature, (cuts, shares), values in zip(self.features, self._bins, logs, strict=True):
            below = np.searchsorted(values, cuts, side="left")
            counts = np.diff(np.concatenate(([0], below, [len(values)])))
            value = _psi_of_shares(shares, counts / len(values), PSI_FLOOR)
            rows.append(("psi", feature, value, PSI_SIGNIFICANT, value > PSI_SIGNIFICANT))
        if self._sorted is not None:
            p_values = _ks_of_sorted(self._sorted, raw)[1]
            threshold = ALPHA / len(self.features)
            rows += [
                ("ks_p_value", feature, float(p), threshold, bool(p < threshold))
                for feature, p in zip(self.features, p_values, strict=True)
            ]
        return rows


def _sorted_rows(table: pd.DataFrame, features: list[str], what: str) -> np.ndarray:
    """The spending of each of ``features``, sorted (features by customers); finite numbers
    only."""
    raw = np.array([table[f].to_numpy(dtype=float) for f in features])
    raw.sort(axis=1)
    if not np.isfinite(raw).all():
        raise ValueError(f"{what} must hold finite spending in {', '.join(features)}.")
    return raw


def setup_notes(model: Any, customers: int) -> list[str]:
    """One sentence for each way the model or batch lies outside the set-up the thresholds
    were argued for (:data:`TUNED_K`, :data:`TUNED_BATCH`, the log transform): there the
    monitors still run, but false alarms are more frequent than the thresholds' notes say."""
    notes, k = [], len(model.centres)
    if getattr(model, "transform_", "log") != "log":
        notes.append(
            f'the model uses transform "{model.transform_}", but the thresholds were set for '
            "the log transform: expect false alarms, above all of centre_movement"
        )
    if not TUNED_K[0] <= k <= TUNED_K[1]:
        notes.append(
            f"the model has k = {k}, but the thresholds were set for k from {TUNED_K[0]} to "
            f"{TUNED_K[1]}: expect false alarms of centre_movement"
        )
    if customers > TUNED_BATCH:
        notes.append(
            f"the batch has {customers:,} customers, more than the {TUNED_BATCH:,} the "
            "thresholds were set for: the p-value tests fire at shifts too small to matter; "
            "read them with the PSI values"
        )
    return notes


def drift_report(
    model: Any, batch: pd.DataFrame, reference: pd.DataFrame | None = None
) -> DriftReport:
    """All the monitors of a batch of customers, for a fitted
    :class:`~segmentation.model.pipeline.SegmentationModel`: the one call of the
    ``segmentation monitor`` command and notebook 10. It prepares a :class:`DriftMonitor`
    and reports one batch with it; to watch many batches, build the monitor once.

    Rows (``monitor``, ``item``): ``psi`` and ``ks_p_value`` of each feature (the KS
    threshold corrected for the number of features); ``share_psi`` and ``share_p_value``
    (chi-squared) of the segments; ``distance_ratio`` of all customers; ``centre_movement``
    of each segment, in reference mean distances, after a refit of k-means on the batch
    started from the model's centres (one start, no random numbers): without a reference,
    how far the refit moved from the model's centres; with one, how far it lies from the
    same refit of the reference (like with like: a batch equal to the reference gives 0).
    The distance monitors do not run (``not_run``) when the reference's mean distance is
    below :data:`MIN_MEAN_DISTANCE`: its customers sit on their centres. ``crossed`` is
    ``value > threshold``, except for p-values, where it is ``value < threshold``.

    With a ``reference`` table (the training customers, as a rule) every monitor compares
    the batch with it. Without one, the monitors run on what the model file keeps
    (``monitoring_``, format 4: see :func:`training_summary`): PSI against the stored bins,
    the shares against the training segment sizes, the distance ratio and the centre
    movement against the stored mean distance; the KS test needs every training value and
    is listed in ``not_run``. A model without the summary (a format 3 file or older) runs
    the share shift only, and lists the others in ``not_run``.
    """
    _check_columns(model, batch)
    return DriftMonitor(model, reference).report(batch)


def _report(rows: list[tuple], not_run: tuple, basis: str) -> DriftReport:
    return DriftReport(tuple(rows), tuple(not_run), basis)
