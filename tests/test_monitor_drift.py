"""Drift monitors, checked against hand-worked values, brute force and properties."""

import copy
import math

import numpy as np
import pytest

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.model.pipeline import SegmentationModel
from segmentation.monitor.drift import (
    KS_TOLERANCE,
    DriftMonitor,
    centre_movement,
    drift_report,
    ks_test,
    mean_distance,
    psi,
    psi_against,
    psi_bins,
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
    report = drift_report(model, customers, reference=customers)
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
    report = drift_report(model, batch, reference=customers)
    features = report.table[report.table["monitor"].isin(["psi", "ks_p_value"])]
    crossed = features[features["crossed"]]
    assert sorted(crossed["monitor"]) == ["ks_p_value", "psi"]
    assert set(crossed["item"]) == {"Fresh"}
    assert report.drifted


def test_drift_report_refuses_a_batch_smaller_than_k(model, customers):
    with pytest.raises(ValueError, match="fewer than the model's 3 segments"):
        drift_report(model, customers.head(2), reference=customers)


# --- without the training data: the model's stored summary ----------------------------------


def test_the_summary_gives_the_same_monitors_as_the_training_data(model, customers):
    # The stored bins and mean distance stand for the training data: every monitor they
    # support agrees with the same monitor run against the training table itself.
    batch = customers.assign(Grocery=customers["Grocery"] * 3).sample(300, random_state=0)
    full = drift_report(model, batch, reference=customers).table
    alone = drift_report(model, batch)
    assert alone.basis == "the summary of the training data stored in the model"
    assert alone.not_run == (("ks_p_value", "needs the training data"),)
    expected = full[full["monitor"] != "ks_p_value"].reset_index(drop=True)
    assert alone.table[["monitor", "item", "crossed"]].equals(
        expected[["monitor", "item", "crossed"]]
    )
    np.testing.assert_allclose(alone.table["value"], expected["value"], rtol=1e-12)
    assert alone.drifted and ("psi", "Grocery") in set(
        alone.table[alone.table["crossed"]][["monitor", "item"]].itertuples(index=False)
    )


def test_a_model_without_the_summary_runs_the_share_shift_only(model, customers):
    old = copy.copy(model)
    old.monitoring_ = None  # as a model read from a format 3 file
    report = drift_report(old, customers.head(100))
    assert report.table["monitor"].tolist() == ["share_psi", "share_p_value"]
    assert [m for m, _ in report.not_run] == [
        "psi",
        "ks_p_value",
        "distance_ratio",
        "centre_movement",
    ]
    assert all("no summary of its training data" in reason for _, reason in report.not_run)
    # Against the training segment sizes, as share_shift of the labels would give.
    by_labels = share_shift(model.segment_of(customers), model.segment_of(customers.head(100)), 3)
    assert report.table["value"].tolist() == pytest.approx([by_labels.psi, by_labels.p_value])


def test_psi_bins_by_hand():
    # 1..10 in two bins: the median 5.5 cuts them, half on each side.
    cuts, shares = psi_bins(TEN, bins=2)
    assert cuts.tolist() == [5.5] and shares.tolist() == [0.5, 0.5]
    assert psi_against(cuts, shares, [1.0, 1.0, 1.0, 10.0]) == pytest.approx(0.25 * math.log(3))


def test_training_summary_holds_the_deciles_of_log_spending(model, customers):
    summary = model.monitoring_
    assert list(summary["psi_bins"]) == list(SPENDING_COLUMNS)
    for feature in SPENDING_COLUMNS:
        stored = summary["psi_bins"][feature]
        logs = np.log1p(customers[feature].to_numpy(dtype=float))
        assert len(stored["edges"]) == 9  # the course data has no tied deciles
        np.testing.assert_allclose(stored["edges"], np.quantile(logs, np.arange(1, 10) / 10))
        # Each decile holds a tenth of 440 customers, give or take one.
        assert all(abs(share * 440 - 44) <= 1 for share in stored["shares"])
    by_loop = _brute_mean_distance(model.features_of(customers), model.centres)
    assert summary["mean_distance"] == pytest.approx(by_loop)


def test_drift_report_refuses_a_batch_without_a_feature(model, customers):
    with pytest.raises(ValueError, match="the batch has no column Frozen"):
        drift_report(model, customers.drop(columns="Frozen"))


# --- the prepared monitor, against the monitors run one by one ------------------------------


def _one_by_one(model, batch, reference):
    """Every row of the report, each monitor computed on its own by scipy and the course's
    KMeans (the exact KS test, scipy's chi-squared test, a full refit): an oracle."""
    from scipy.stats import chisquare, ks_2samp

    from segmentation.cluster.kmeans import KMeans

    rows = {}
    for f in SPENDING_COLUMNS:
        rows["psi", f] = psi(np.log1p(reference[f]), np.log1p(batch[f]))
    for f in SPENDING_COLUMNS:
        rows["ks_p_value", f] = ks_2samp(reference[f], batch[f], method="exact").pvalue
    known = np.bincount(model.segment_of(reference), minlength=3)
    now = np.bincount(model.segment_of(batch), minlength=3)
    rows["share_psi", "segments"] = share_shift(
        model.segment_of(reference), model.segment_of(batch), 3
    ).psi
    expected = np.maximum(known / known.sum(), 1e-4)
    rows["share_p_value", "segments"] = chisquare(now, expected / expected.sum() * now.sum())[1]
    X, X_ref = model.features_of(batch), model.features_of(reference)
    distance = mean_distance(model, X, X_ref)
    rows["distance_ratio", "all"] = distance.ratio
    refit = KMeans(3, init=model.centres, n_init=1).fit(X).cluster_centers_
    moved = centre_movement(model.centres, refit, distance.reference)
    for j in range(3):
        rows["centre_movement", f"segment {j}"] = moved.relative[j]
    return rows


def _batches(customers):
    rng = np.random.default_rng(3)
    return {
        "same customers": customers.sample(300, random_state=1),
        "Fresh doubled": customers.assign(Fresh=customers["Fresh"] * 2),
        "Grocery x3, sampled": customers.assign(Grocery=customers["Grocery"] * 3).sample(
            250, random_state=2
        ),
        "Milk noisy": customers.assign(
            Milk=np.rint(customers["Milk"] * rng.lognormal(0.0, 0.3, len(customers)))
        ),
    }


@pytest.mark.parametrize(
    "name", ["same customers", "Fresh doubled", "Grocery x3, sampled", "Milk noisy"]
)
def test_the_prepared_monitor_agrees_with_each_monitor_run_alone(model, customers, name):
    batch = _batches(customers)[name]
    monitor = DriftMonitor(model, customers)
    table = monitor.report(batch).table
    oracle = _one_by_one(model, batch, customers)
    assert list(zip(table["monitor"], table["item"], strict=True)) == list(oracle)
    # small samples: the KS p-value is scipy's exact one; the rest to rounding
    np.testing.assert_allclose(table["value"], list(oracle.values()), rtol=1e-9, atol=1e-12)
    # one monitor, many batches: the same as a fresh one-shot report each time
    again = drift_report(model, batch, reference=customers).table
    assert table.equals(again) and monitor.report(batch).table.equals(table)


def test_the_prepared_monitor_takes_the_scaled_batch(model, customers):
    batch = customers.sample(200, random_state=5)
    monitor = DriftMonitor(model, customers)
    given = monitor.report(batch, scaled=model.features_of(batch)).table
    assert given.equals(monitor.report(batch).table)


@pytest.mark.parametrize("summary", [True, False])
def test_the_prepared_monitor_without_reference_is_drift_report_without_one(
    model, customers, summary
):
    used = model if summary else copy.copy(model)
    if not summary:
        used.monitoring_ = None
    batch = customers.assign(Milk=customers["Milk"] * 2).sample(300, random_state=4)
    report, one_shot = DriftMonitor(used).report(batch), drift_report(used, batch)
    assert report.table.equals(one_shot.table)
    assert (report.not_run, report.basis) == (one_shot.not_run, one_shot.basis)


@pytest.mark.parametrize("sizes", [(2000, 2000), (2000, 3000), (4000, 2500), (3000, 3000)])
def test_ks_asymptotic_p_values_agree_with_the_exact_ones(sizes):
    # Both samples >= KS_ASYMPTOTIC_FROM: Kolmogorov's limit, against scipy's exact p-value
    # over shifts whose p-values run from about 0.9 down to 1e-6 (integer spending, with ties).
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(sizes[0] + sizes[1])
    for shift in np.linspace(0.0, 0.08, 9):
        a = np.rint(rng.lognormal(8.0, 1.0, sizes[0]))
        b = np.rint(rng.lognormal(8.0 + shift, 1.0, sizes[1]))
        exact = ks_2samp(a, b, method="exact")
        ours = ks_test(a, b)
        assert ours.statistic == pytest.approx(exact.statistic, abs=1e-12)
        if exact.pvalue > 1e-6:
            assert ours.p_value == pytest.approx(exact.pvalue, rel=KS_TOLERANCE)


@pytest.mark.parametrize("n", [5, 40, 300])
def test_ks_statistic_is_scipys_with_many_ties(n):
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(n)
    for _ in range(20):
        a = rng.integers(0, rng.integers(2, 30), n).astype(float)
        b = rng.integers(0, rng.integers(2, 30), n + 7) + rng.integers(0, 3)
        expected = ks_2samp(a, b)
        result = ks_test(a, b)
        assert result.statistic == pytest.approx(expected.statistic, abs=1e-12)
        assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)


def test_ks_verdicts_on_a_large_stream_are_the_exact_tests(customers):
    # Batches of >= 2000 customers: the monitor's KS rows (the asymptotic p-value) cross
    # exactly where scipy's exact test would, month by month, on the stream with its changes.
    from scipy.stats import ks_2samp

    from segmentation.monitor.stream import simulate_stream

    stream = simulate_stream(months=10, panel=2000, seed=1)
    model = SegmentationModel(k=3, evaluate=False).fit(stream.reference)
    monitor = DriftMonitor(model, stream.reference)
    crossed = []
    for batch in stream.batches:
        table = monitor.report(batch).table
        ks = table[table["monitor"] == "ks_p_value"]
        exact = [
            ks_2samp(stream.reference[f], batch[f], method="exact").pvalue < 0.05 / 6
            for f in SPENDING_COLUMNS
        ]
        assert ks["crossed"].tolist() == exact
        crossed += exact
    assert any(crossed) and not all(crossed)  # the check saw both verdicts


def test_the_prepared_monitor_refuses_a_scaled_batch_of_another_shape(model, customers):
    batch = customers.head(100)
    with pytest.raises(ValueError, match=r"give model.features_of\(batch\)"):
        DriftMonitor(model, customers).report(batch, scaled=model.features_of(customers))


# --- customers on their centres, like with like, the tuned set-up -------------------------------


def _on_centres(customers):
    """300 customers that are copies of two course customers: k = 2 puts a centre on each,
    and the mean distance to the nearest centre is 0."""
    two = customers.iloc[[0, 2]]
    return two.loc[two.index.repeat(150)].reset_index(drop=True)


def test_a_model_of_customers_on_their_centres_stores_no_mean_distance(customers):
    degenerate = SegmentationModel(k=2, evaluate=False).fit(_on_centres(customers))
    assert degenerate.monitoring_["mean_distance"] is None
    report = drift_report(degenerate, _on_centres(customers))
    skipped = dict(report.not_run)
    assert set(skipped) == {"ks_p_value", "distance_ratio", "centre_movement"}
    assert "sit on their centres" in skipped["distance_ratio"]
    assert "smaller k" in skipped["centre_movement"]
    assert not report.drifted and "distance_ratio" not in set(report.table["monitor"])


@pytest.mark.parametrize("stored", [1e-320, 7e-9])
def test_a_tiny_stored_mean_distance_is_no_unit(model, customers, stored):
    tiny = copy.copy(model)
    tiny.monitoring_ = {**model.monitoring_, "mean_distance": stored}
    report = drift_report(tiny, customers)
    assert {"distance_ratio", "centre_movement"} <= set(dict(report.not_run))
    assert np.isfinite(report.table["value"]).all()


def test_a_reference_on_its_centres_runs_no_distance_monitor(customers):
    three = customers.iloc[[0, 1, 2]].reset_index(drop=True)
    fitted = SegmentationModel(k=3, evaluate=False).fit(three)
    report = drift_report(fitted, customers, reference=three)
    reason = dict(report.not_run)["centre_movement"]
    assert reason.startswith("the reference customers sit on their centres")
    assert not ({"distance_ratio", "centre_movement"} & set(report.table["monitor"]))


def test_mean_distance_to_a_reference_on_its_centres_has_no_ratio(model, customers):
    X = model.features_of(customers)
    on_centres = mean_distance(model, X, np.asarray(model.centres))
    # 0 up to rounding (the distances' expanded formula leaves some 1e-8)
    assert on_centres.reference < 1e-6
    assert math.isnan(on_centres.ratio) and not on_centres.crossed


def test_a_batch_equal_to_its_reference_moves_no_centre(model, customers):
    retail = customers[customers["Channel"] == "Retail"].reset_index(drop=True)
    report = drift_report(model, retail, reference=retail)
    moved = report.table[report.table["monitor"] == "centre_movement"]
    assert (moved["value"] == 0).all() and not report.drifted


def test_with_a_reference_the_batch_refit_is_compared_with_the_reference_refit(model, customers):
    from sklearn.cluster import KMeans as SklearnKMeans

    retail = customers[customers["Channel"] == "Retail"].reset_index(drop=True)
    batch = customers.sample(300, random_state=3).reset_index(drop=True)

    def refit(table):  # an independent k-means, warm-started from the model's centres
        start = np.asarray(model.centres)
        return SklearnKMeans(len(start), init=start, n_init=1).fit(model.features_of(table))

    reference, current = refit(retail), refit(batch)
    X_ref, centres = model.features_of(retail), np.asarray(model.centres)
    scale = np.linalg.norm(X_ref[:, None, :] - centres[None], axis=2).min(axis=1).mean()
    expected = centre_movement(reference.cluster_centers_, current.cluster_centers_, scale)
    table = drift_report(model, batch, reference=retail).table
    got = table[table["monitor"] == "centre_movement"]["value"].to_numpy()
    np.testing.assert_allclose(got, expected.relative, rtol=1e-6, atol=1e-9)


def test_a_refit_on_copies_of_one_customer_warns_of_nothing(model, customers):
    import warnings

    copies = customers.iloc[[5] * 300].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        drift_report(model, copies)


def test_setup_notes_name_what_lies_outside_the_tuned_set_up(customers):
    from segmentation.monitor.drift import setup_notes

    log3 = SegmentationModel(k=3, evaluate=False).fit(customers)
    assert setup_notes(log3, 440) == [] and setup_notes(log3, 5000) == []
    assert "5,001 customers" in setup_notes(log3, 5001)[0]
    plain = SegmentationModel(k=3, transform="none", evaluate=False).fit(customers)
    assert ['transform "none"' in n for n in setup_notes(plain, 440)] == [True]
    for k, phrase in ((8, "k = 8"), (7, "k = 7")):
        many = SegmentationModel(k=k, evaluate=False).fit(customers)
        assert [phrase in n for n in setup_notes(many, 440)] == [True]
    assert setup_notes(SegmentationModel(k=6, evaluate=False).fit(customers), 440) == []


def test_the_monitor_counts_each_customer_in_the_segment_predict_gives(customers):
    from segmentation.cluster.kmeans import KMeans
    from segmentation.monitor.drift import _nearest_and_labels

    # 0/1 data and centres at 0, 1 and 0.5 on each feature: many exact and near ties
    X = np.random.default_rng(3).integers(0, 2, size=(500, 6)).astype(float)
    centres = np.array([[0.0] * 6, [1.0] * 6, [0.5] * 6]) + np.linspace(0, 1e-15, 6)
    nearest, labels = _nearest_and_labels(centres, X)
    model = KMeans.from_centres(centres)
    assert np.array_equal(labels, model.predict(X))
    assert np.array_equal(nearest, model.transform(X).min(axis=1))
    # the training data against themselves: a distance ratio of exactly 1
    fitted = SegmentationModel(6, transform="none", n_init=2, evaluate=False).fit(customers)
    table = drift_report(fitted, customers).table
    assert table.query("monitor == 'distance_ratio'")["value"].iloc[0] == 1.0


def test_a_scaled_batch_with_nan_is_refused_with_the_cell(customers):
    model = SegmentationModel(3, evaluate=False).fit(customers)
    X = model.features_of(customers.head(50))
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="scaled contains NaN at row 3, column 2"):
        DriftMonitor(model, customers).report(customers.head(50), scaled=X)
