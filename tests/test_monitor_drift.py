"""Drift monitors, checked against hand-worked values, brute force and properties."""

import math

import numpy as np
import pytest

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.model.pipeline import SegmentationModel
from segmentation.monitor.drift import (
    centre_movement,
    drift_report,
    ks_test,
    mean_distance,
    psi,
    psi_level,
    share_shift,
)

TEN = np.arange(1.0, 11.0)  # median 5.5: with bins=2, 1..5 below, 6..10 above


@pytest.fixture(scope="module")
def model(customers):
    return SegmentationModel(k=3, evaluate=False).fit(customers)


# --- PSI ------------------------------------------------------------------------------------


def test_psi_of_identical_samples_is_zero():
    sample = np.random.default_rng(0).normal(size=500)
    assert psi(sample, sample) == pytest.approx(0.0, abs=1e-12)


def test_psi_grows_with_the_shift():
    rng = np.random.default_rng(1)
    reference, noise = rng.normal(size=2000), rng.normal(size=2000)
    values = [psi(reference, noise + shift) for shift in (0.0, 0.2, 0.5, 1.0, 2.0)]
    assert values == sorted(values)
    assert values[0] < 0.1 < values[2] and values[-1] > 0.25


def test_psi_by_hand_on_two_bins():
    # Shares 0.5, 0.5 against 0.75, 0.25:
    # 0.25 ln(0.75 / 0.5) + (-0.25) ln(0.25 / 0.5) = 0.25 ln 1.5 + 0.25 ln 2 = 0.25 ln 3.
    assert psi(TEN, [1.0, 1.0, 1.0, 10.0], bins=2) == pytest.approx(0.25 * math.log(3))


@pytest.mark.parametrize("current", [[1.0, 2.0], [100.0, 200.0]])
def test_psi_floors_an_empty_bin_and_keeps_values_beyond_the_range(current):
    # Shares 1 and 0 (the 0 raised to 1e-4), against 0.5 and 0.5; 100 and 200 lie above the
    # reference's largest value and count in the top bin.
    by_hand = 0.5 * math.log(2) + (0.5 - 1e-4) * math.log(0.5 / 1e-4)
    assert psi(TEN, current, bins=2) == pytest.approx(by_hand)
    assert math.isfinite(by_hand)


def test_psi_uses_the_deciles_of_the_reference():
    # The reference 0..999: every decile holds 100 values; the batch 0..99 all falls in the
    # first, so shares 1 against 0.1, and nine empty bins (1e-4) against 0.1.
    by_hand = 0.9 * math.log(10) + 9 * (0.1 - 1e-4) * math.log(0.1 / 1e-4)
    assert psi(np.arange(1000.0), np.arange(100.0)) == pytest.approx(by_hand)


@pytest.mark.parametrize(
    "value, level", [(0.0, "stable"), (0.09, "stable"), (0.1, "moderate"), (0.3, "significant")]
)
def test_psi_level(value, level):
    assert psi_level(value) == level


@pytest.mark.parametrize("bad", [[], [1.0, np.nan], [np.inf]])
def test_psi_refuses_empty_or_non_finite(bad):
    with pytest.raises(ValueError, match="finite numbers"):
        psi(TEN, bad)


# --- Kolmogorov-Smirnov ---------------------------------------------------------------------


def test_ks_threshold_is_bonferroni_corrected():
    reference = np.arange(100.0)
    # Shifting 0..99 by 23 gives p = 0.0099, by 24 p = 0.0061: either side of 0.05 / 6.
    assert not ks_test(reference, reference + 23).crossed
    result = ks_test(reference, reference + 24)
    assert result.crossed and result.threshold == pytest.approx(0.05 / 6)
    assert result.statistic == pytest.approx(0.24)  # the CDFs are 24 values apart
    # Without the correction (one test), the flip is between shifts 19 and 20.
    assert not ks_test(reference, reference + 19, tests=1).crossed
    assert ks_test(reference, reference + 20, tests=1).crossed
    assert ks_test(reference, reference + 20).p_value > 0.05 / 6


# --- segment shares -------------------------------------------------------------------------


def test_share_shift_by_hand():
    reference = [0, 0, 1, 2]  # shares 0.5, 0.25, 0.25
    current = [0] * 10 + [1] * 6 + [2] * 4  # expected 10, 5, 5
    shift = share_shift(reference, current, k=3)
    # chi2 = 0 + 1/5 + 1/5; with 2 degrees of freedom p = exp(-chi2 / 2).
    assert shift.chi2 == pytest.approx(0.4)
    assert shift.p_value == pytest.approx(math.exp(-0.2))
    # PSI: 0.05 ln(0.3 / 0.25) - 0.05 ln(0.2 / 0.25).
    assert shift.psi == pytest.approx(0.05 * (math.log(1.2) - math.log(0.8)))
    assert not shift.psi_crossed and not shift.chi2_crossed


def test_share_shift_fires_on_a_new_segment():
    shift = share_shift([0, 1] * 50, [0, 1, 2, 2] * 25, k=3)
    assert math.isfinite(shift.psi) and shift.psi_crossed and shift.chi2_crossed
    assert shift.current_shares.tolist() == [0.25, 0.25, 0.5]


@pytest.mark.parametrize("bad", [[0, 3], [-1], [0.5], []])
def test_share_shift_refuses_labels_out_of_range(bad):
    with pytest.raises(ValueError, match="segment numbers"):
        share_shift([0, 1, 2], bad, k=3)


# --- distances and centres ------------------------------------------------------------------


def _brute_mean_distance(X, centres):
    return sum(min(math.dist(x, c) for c in centres) for x in X) / len(X)


def test_mean_distance_against_a_loop():
    rng = np.random.default_rng(3)
    centres, X, ref = rng.normal(size=(4, 3)), rng.normal(size=(50, 3)), rng.normal(size=(30, 3))
    result = mean_distance(centres, 2 * X, ref)
    assert result.mean == pytest.approx(_brute_mean_distance(2 * X, centres))
    assert result.reference == pytest.approx(_brute_mean_distance(ref, centres))
    assert result.ratio == pytest.approx(result.mean / result.reference)
    assert math.isnan(mean_distance(centres, X).ratio) and not mean_distance(centres, X).crossed


def test_mean_distance_takes_a_model(model, customers):
    X = model.features_of(customers)
    assert mean_distance(model, X).mean == pytest.approx(_brute_mean_distance(X, model.centres))


def test_centre_movement_under_a_known_permutation_and_shift():
    old = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    moves = np.array([[0.3, 0.0], [0.0, 0.4], [0.0, 0.0], [0.6, 0.8]])  # lengths .3 .4 0 1
    permutation = np.array([2, 0, 3, 1])  # new row i is old centre permutation[i]
    new = (old + moves)[permutation]
    found = centre_movement(old, new, scale=2.5)
    assert found.order.tolist() == [1, 3, 0, 2]  # old centre j is new row order[j]
    assert found.distance == pytest.approx([0.3, 0.4, 0.0, 1.0])
    assert found.relative == pytest.approx([0.12, 0.16, 0.0, 0.4])
    assert found.crossed.tolist() == [False, False, False, False]  # none above 0.5
    canonical = centre_movement(old, old + moves, match="canonical")
    assert canonical.distance == pytest.approx([0.3, 0.4, 0.0, 1.0])
    assert canonical.crossed.tolist() == [False, False, False, True]


def test_centre_movement_refuses_mismatched_centres():
    with pytest.raises(ValueError, match="same shape"):
        centre_movement(np.zeros((3, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="match must be"):
        centre_movement(np.zeros((3, 2)), np.zeros((3, 2)), match="nearest")


# --- the report -----------------------------------------------------------------------------


def test_drift_report_of_the_course_data_against_itself(model, customers):
    report = drift_report(model, customers, customers)
    table = report.table
    assert list(table.columns) == ["monitor", "item", "value", "threshold", "crossed"]
    assert len(table) == 2 * len(SPENDING_COLUMNS) + 2 + 1 + 3
    assert not table["crossed"].any() and not report.drifted
    by = table.set_index(["monitor", "item"])["value"]
    assert by["psi"].abs().max() < 1e-12 and (by["ks_p_value"] == 1.0).all()
    assert by["distance_ratio", "all"] == pytest.approx(1.0)
    assert by["centre_movement"].max() < 1e-6


def test_drift_report_sees_one_category_doubled(model, customers):
    batch = customers.assign(Fresh=customers["Fresh"] * 2)
    report = drift_report(model, customers, batch)
    features = report.table[report.table["monitor"].isin(["psi", "ks_p_value"])]
    crossed = features[features["crossed"]]
    assert sorted(crossed["monitor"]) == ["ks_p_value", "psi"]
    assert set(crossed["item"]) == {"Fresh"}
    assert report.drifted


def test_drift_report_refuses_a_batch_smaller_than_k(model, customers):
    with pytest.raises(ValueError, match="fewer than the model's 3 segments"):
        drift_report(model, customers, customers.head(2))
