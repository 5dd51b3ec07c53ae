"""Retraining policies on the simulated stream, and the detection of its known changes."""

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans as ReferenceKMeans

from segmentation.model.pipeline import SegmentationModel
from segmentation.monitor import policies as p
from segmentation.monitor.drift import drift_report
from segmentation.monitor.stream import MIX_MONTH


@pytest.fixture(scope="module")
def table(default_stream):
    return p.compare_policies(default_stream).set_index("policy")


@pytest.fixture(scope="module")
def runs(default_stream):
    return {policy: p.run_policy(default_stream, policy) for policy in p.POLICIES}


def sizes(stream):
    return np.array([len(batch) for batch in stream.batches])


def test_one_row_per_policy_rounded_to_three_decimals(table):
    assert list(table.index) == list(p.POLICIES)
    assert list(table.columns) == [
        "mean_J_ratio",
        "worst_J_ratio",
        "mean_churn",
        "refits",
        "customers_fitted",
    ]
    for column in ("mean_J_ratio", "worst_J_ratio", "mean_churn"):
        assert (table[column] == table[column].round(3)).all()


def test_refits_and_compute_counted_from_the_batch_sizes(default_stream, table):
    n = sizes(default_stream)
    assert table.loc["never", ["refits", "customers_fitted"]].tolist() == [0, 0]
    assert table.loc["monthly", "refits"] == len(n)
    assert table.loc["monthly", "customers_fitted"] == n.sum() * p.N_INIT
    quarters = n[2::3]  # months 3, 6, 9, 12
    assert table.loc["quarterly", "refits"] == len(quarters)
    assert table.loc["quarterly", "customers_fitted"] == quarters.sum() * p.N_INIT
    assert table.loc["incremental", "refits"] == 0
    assert table.loc["incremental", "customers_fitted"] == len(default_stream.reference) + n.sum()


def test_never_is_the_start_model_on_every_month(default_stream, runs):
    model = SegmentationModel(3, evaluate=False).fit(default_stream.reference)
    months = runs["never"].months
    expected_J = [-model.score(batch) for batch in default_stream.batches]
    assert months["J"].to_numpy() == pytest.approx(expected_J, abs=1e-3)
    # churn by the model's own segment_of, customer by customer
    tables = [default_stream.reference, *default_stream.batches]
    labels = [pd.Series(model.segment_of(t), index=t["customer"]) for t in tables]
    for month in range(1, len(tables)):
        before, now = labels[month - 1], labels[month]
        both = before.index.intersection(now.index)
        churn = (before[both] != now[both]).mean()
        # printed to 3 decimals: half a unit either way
        assert months.loc[month - 1, "churn"] == pytest.approx(churn, abs=5.01e-4)


def test_the_oracle_is_as_good_as_scikit_learns_refit(default_stream, runs):
    model = SegmentationModel(3, evaluate=False).fit(default_stream.reference)
    oracle = runs["never"].months["oracle_J"]
    for month in (1, 6, 12):
        X = model.features_of(default_stream.batches[month - 1])
        theirs = ReferenceKMeans(3, n_init=10, random_state=0).fit(X).inertia_
        assert oracle[month - 1] <= theirs * 1.001


def test_on_a_stationary_stream_every_policy_stays_near_the_oracle(stationary_stream):
    table = p.compare_policies(stationary_stream).set_index("policy")
    assert (table["mean_J_ratio"] <= 1.01).all()
    assert (table["worst_J_ratio"] <= 1.02).all()
    # a refit of the same customers renumbers nothing: churn stays that of the noise
    assert (table["mean_churn"] <= 0.06).all()
    assert table.loc["on_alarm", "refits"] == 0


def test_on_alarm_without_alarms_is_never(stationary_stream):
    never, on_alarm = (p.run_policy(stationary_stream, policy) for policy in ("never", "on_alarm"))
    assert not on_alarm.months["alarm"].any()
    pd.testing.assert_frame_equal(never.months, on_alarm.months)


def test_on_alarm_refits_in_the_months_it_alarms_from_the_first_change(default_stream, runs):
    months = runs["on_alarm"].months
    assert (months["refits"] == months["alarm"].astype(int)).all()
    first = int(months.loc[months["alarm"], "month"].min())
    assert first == MIX_MONTH
    # the alarm is drift_report's verdict for the start model against the training data
    model = SegmentationModel(3, evaluate=False).fit(default_stream.reference)
    for month in range(1, first + 1):
        report = drift_report(
            model, default_stream.batches[month - 1], reference=default_stream.reference
        )
        assert report.drifted == (month == first)


def test_the_changes_make_never_worst_and_refits_follow_them(table, runs):
    assert table.loc["never", "worst_J_ratio"] > 1.4
    assert table["mean_J_ratio"].idxmax() == "never"
    assert table.loc["monthly", "mean_J_ratio"] < table.loc["quarterly", "mean_J_ratio"]
    assert table.loc["incremental", "mean_J_ratio"] < table.loc["never", "mean_J_ratio"]
    assert table.loc["on_alarm", "mean_J_ratio"] < table.loc["quarterly", "mean_J_ratio"]
    # a refit right after a change costs churn; never's churn is only the noise's
    assert runs["monthly"].months["churn"].max() > 0.3
    assert runs["never"].months.loc[MIX_MONTH:, "churn"].max() < 0.06


def test_incremental_starts_where_the_start_model_is(stationary_stream):
    start = SegmentationModel(3, evaluate=False).fit(stationary_stream.reference)
    months = p.run_policy(stationary_stream, "incremental").months
    assert months.loc[0, "J"] == pytest.approx(-start.score(stationary_stream.batches[0]), abs=1e-3)


def test_the_same_stream_gives_the_same_table(default_stream, table):
    again = p.compare_policies(default_stream).set_index("policy")
    pd.testing.assert_frame_equal(table, again)


def test_an_unknown_policy_is_refused(default_stream):
    with pytest.raises(ValueError, match="unknown policy 'weekly': choose among never"):
        p.run_policy(default_stream, "weekly")


@pytest.fixture(scope="module")
def detection():
    return p.detection_table()


def test_detection_table_is_consistent_and_has_no_false_alarms_here(detection):
    assert set(detection["change"]) == {"mix", "new_group", "drift"}
    assert set(detection["monitor"]) == set(p.MONITORS)
    assert (detection["false_alarms"] == 0).all()
    for row in detection.itertuples():
        if row.delay == p.NOT_DETECTED:
            assert pd.isna(row.first_month)
        else:
            assert row.first_month - row.change_month == row.delay >= 0


def test_any_monitor_fires_no_later_than_each_monitor(detection):
    for _, rows in detection.groupby("change"):
        delays = rows.set_index("monitor")["delay"]
        detected = [d for d in delays.drop("any") if d != p.NOT_DETECTED]
        assert delays["any"] == (min(detected) if detected else p.NOT_DETECTED)


def test_the_mix_is_caught_at_once_and_gradual_drift_later(detection):
    delay = detection.set_index(["change", "monitor"])["delay"]
    assert delay["mix", "any"] == 0
    assert delay["drift", "any"] != p.NOT_DETECTED and delay["drift", "any"] >= 1


def test_fired_agrees_with_the_monitor_table(default_stream):
    table = p.monitor_table(default_stream)
    wide = p.fired(default_stream)
    assert list(wide.index) == list(range(1, len(default_stream.batches) + 1))
    for (month, monitor), rows in table.groupby(["month", "monitor"]):
        assert wide.loc[month, monitor] == rows["crossed"].any()
    assert (wide["any"] == wide.drop(columns="any").any(axis=1)).all()


def test_false_alarm_rates_on_stationary_streams():
    rates = {m: p.false_alarm_rate(m, range(3)) for m in p.MONITORS}
    assert all(0.0 <= r <= 1.0 for r in rates.values())
    assert rates["any"] == max(rates.values())
    assert rates["any"] <= 0.05


@pytest.mark.parametrize(
    "monitor, seeds, phrase",
    [("psi_value", range(2), "unknown monitor 'psi_value'"), ("psi", [], "at least one seed")],
)
def test_false_alarm_rate_refuses_bad_arguments(monitor, seeds, phrase):
    with pytest.raises(ValueError, match=phrase):
        p.false_alarm_rate(monitor, seeds)
