"""Drift monitors: has a new batch of customers moved away from the data the model knows?

Each monitor compares one batch with a reference (the training customers, as a rule) and
has a documented threshold; :func:`drift_report` runs them all for a
:class:`~segmentation.model.pipeline.SegmentationModel` and says whether any fired.

- :func:`psi`: population stability index of one feature, on the reference's deciles.
- :func:`ks_test`: two-sample Kolmogorov-Smirnov test of one feature.
- :func:`share_shift`: the segments' shares, by PSI and a chi-squared test.
- :func:`mean_distance`: how far the batch lies from its nearest centres.
- :func:`centre_movement`: how far each centre moves when refitted.

Nothing here draws random numbers: the same data give the same report on every machine.

>>> import numpy as np
>>> reference = np.arange(1.0, 11.0)
>>> round(psi(reference, reference), 6)
0.0
>>> round(psi(reference, np.array([1.0, 1.0, 1.0, 10.0]), bins=2), 4)
0.2747
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from segmentation.cluster.kmeans import KMeans

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
    ref, cur = _numbers(reference, "reference"), _numbers(current, "current")
    cuts = np.unique(np.quantile(ref, np.linspace(0.0, 1.0, bins + 1))[1:-1])
    count = len(cuts) + 1

    def shares(values: np.ndarray) -> np.ndarray:
        # side="right": a value equal to a cut goes to the bin above it, as np.digitize does.
        where = np.searchsorted(cuts, values, side="right")
        return np.bincount(where, minlength=count) / len(values)

    return _psi_of_shares(shares(ref), shares(cur), floor)


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
    """Two-sample Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``) of one feature.

    It fires when the p-value is below ``alpha / tests`` (Bonferroni's correction for
    testing ``tests`` features at once; 0.05 / 6 by default).

    A test answers "is there any difference at all?": with large batches a shift far too
    small to matter becomes "significant". Read it with :func:`psi`, which says how large the
    shift is (notebook 10 shows both).
    """
    from scipy.stats import ks_2samp

    result = ks_2samp(_numbers(reference, "reference"), _numbers(current, "current"))
    threshold = alpha / tests
    p_value = float(result.pvalue)
    return KSResult(float(result.statistic), p_value, threshold, p_value < threshold)


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
    from scipy.stats import chisquare

    ref = _counts(reference_labels, k, "reference_labels")
    cur = _counts(current_labels, k, "current_labels")
    ref_shares, cur_shares = ref / ref.sum(), cur / cur.sum()
    expected = np.maximum(ref_shares, floor)
    expected = expected / expected.sum() * cur.sum()
    test = chisquare(cur, expected)
    value, p_value = _psi_of_shares(ref_shares, cur_shares, floor), float(test.pvalue)
    return ShareShift(
        ref_shares,
        cur_shares,
        value,
        float(test.statistic),
        p_value,
        value > PSI_SIGNIFICANT,
        p_value < ALPHA,
    )


def _centres_of(model_or_centres: Any) -> np.ndarray:
    """The centres of a fitted SegmentationModel (``.centres``), or the centres given."""
    centres = getattr(model_or_centres, "centres", model_or_centres)
    return np.asarray(centres, dtype=float)


def _nearest_distances(centres: np.ndarray, X_scaled: Any) -> np.ndarray:
    """Each customer's distance to its nearest centre, by the course's k-means."""
    return KMeans.from_centres(centres).transform(np.asarray(X_scaled, dtype=float)).min(axis=1)


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
    reference, ``reference`` and ``ratio`` are NaN (and the monitor does not fire). It fires
    when the ratio is above :data:`DISTANCE_RATIO`.
    """
    centres = _centres_of(model_or_centres)
    mean = float(_nearest_distances(centres, X_scaled).mean())
    if reference_scaled is None:
        return Distance(mean, float("nan"), float("nan"), False)
    reference = float(_nearest_distances(centres, reference_scaled).mean())
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


@dataclass(frozen=True)
class DriftReport:
    """Every monitor for one batch: ``table`` has one row per monitor and feature or
    segment (columns ``monitor``, ``item``, ``value``, ``threshold``, ``crossed``);
    ``drifted`` is True when any row crossed its threshold."""

    table: pd.DataFrame

    @property
    def drifted(self) -> bool:
        return bool(self.table["crossed"].any())


def _feature_rows(reference: pd.DataFrame, batch: pd.DataFrame) -> list[tuple]:
    """PSI and KS rows of each feature, on log1p of the spending."""
    rows: list[tuple] = []
    for feature in reference.columns:
        value = psi(np.log1p(reference[feature]), np.log1p(batch[feature]))
        rows.append(("psi", feature, value, PSI_SIGNIFICANT, value > PSI_SIGNIFICANT))
    tests = len(reference.columns)
    for feature in reference.columns:
        ks = ks_test(reference[feature], batch[feature], tests=tests)
        rows.append(("ks_p_value", feature, ks.p_value, ks.threshold, ks.crossed))
    return rows


def drift_report(
    model: Any, reference_customers: pd.DataFrame, batch_customers: pd.DataFrame
) -> DriftReport:
    """All the monitors of a batch of customers against the reference, for a fitted
    :class:`~segmentation.model.pipeline.SegmentationModel`: the one call of the
    ``segmentation monitor`` command and notebook 10.

    Rows (``monitor``, ``item``): ``psi`` and ``ks_p_value`` of each feature (the KS
    threshold corrected for the number of features); ``share_psi`` and ``share_p_value``
    (chi-squared) of the segments; ``distance_ratio`` of all customers; ``centre_movement``
    of each segment, in reference mean distances, after a refit of k-means on the batch
    started from the model's centres (one start, no random numbers). ``crossed`` is
    ``value > threshold``, except for p-values, where it is ``value < threshold``.
    """
    features, k = list(model.features_in_), len(model.centres)
    if len(batch_customers) < k:
        raise ValueError(
            f"the batch has {len(batch_customers)} customers, fewer than the model's {k} "
            "segments: k-means cannot be refitted on it. Monitor batches of several hundred "
            "customers (the thresholds are set for batches that size)."
        )
    rows = _feature_rows(reference_customers[features], batch_customers[features])
    shares = share_shift(
        model.segment_of(reference_customers), model.segment_of(batch_customers), k
    )
    rows.append(("share_psi", "segments", shares.psi, PSI_SIGNIFICANT, shares.psi_crossed))
    rows.append(("share_p_value", "segments", shares.p_value, ALPHA, shares.chi2_crossed))
    X_ref = model.features_of(reference_customers, "the reference customers")
    X_batch = model.features_of(batch_customers, "the batch of customers")
    distance = mean_distance(model, X_batch, X_ref)
    rows.append(("distance_ratio", "all", distance.ratio, DISTANCE_RATIO, distance.crossed))
    refit = KMeans(k, init=model.centres, n_init=1).fit(X_batch)
    moved = centre_movement(model.centres, refit.cluster_centers_, distance.reference)
    for j in range(k):
        rows.append(
            ("centre_movement", f"segment {j}", moved.relative[j], MOVEMENT, moved.crossed[j])
        )
    table = pd.DataFrame(rows, columns=["monitor", "item", "value", "threshold", "crossed"])
    table["crossed"] = table["crossed"].astype(bool)
    return DriftReport(table)
