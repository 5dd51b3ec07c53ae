"""The simulated stream: its layout, its panel, each change at its month, and determinism."""

import numpy as np
import pandas as pd
import pytest

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import load_customers
from segmentation.monitor import stream as s
from segmentation.monitor.stream import simulate_stream

COLUMNS = ["customer", "month", "Channel", "Region", *SPENDING_COLUMNS]


def test_layout_of_every_table(default_stream):
    course = load_customers()
    assert len(default_stream.batches) == s.MONTHS
    for month, table in enumerate([default_stream.reference, *default_stream.batches]):
        assert list(table.columns) == COLUMNS
        assert (table["month"] == month).all()
        assert table["customer"].is_unique
        for column in SPENDING_COLUMNS:
            assert table[column].dtype == np.int64 and (table[column] >= 0).all()
        for column in ("Channel", "Region"):
            assert table[column].dtype == "category"
            assert set(table[column].cat.categories) == set(course[column].cat.categories)


def test_the_changes_table_and_four_quiet_months_first(default_stream):
    assert default_stream.changes["change"].tolist() == ["mix", "new_group", "drift"]
    assert default_stream.changes["month"].tolist() == [
        s.MIX_MONTH,
        s.NEW_GROUP_MONTH,
        s.DRIFT_MONTH,
    ]
    assert default_stream.first_change >= 5
    assert simulate_stream(changes=()).changes.empty
    assert simulate_stream(changes=()).first_change is None
    # a change after the end of a short stream is not listed
    assert simulate_stream(months=6).changes["change"].tolist() == ["mix"]


def test_the_panel_is_seen_every_month_and_no_two_customers_are_copies(stationary_stream):
    panel = stationary_stream.reference["customer"].tolist()
    assert panel == list(range(1, s.PANEL + 1))
    for batch in stationary_stream.batches:
        assert batch["customer"].tolist() == panel
    spending = stationary_stream.reference[list(SPENDING_COLUMNS)]
    assert not spending.duplicated().any()
    # The same customer from month to month: log spending differs by about MONTH_SIGMA * sqrt 2.
    one, two = (
        np.log(t[list(SPENDING_COLUMNS)].to_numpy() + 1.0) for t in stationary_stream.batches[:2]
    )
    spread = np.std(
        (one - two)[(stationary_stream.batches[0][list(SPENDING_COLUMNS)] > 100).to_numpy()]
    )
    assert spread == pytest.approx(s.MONTH_SIGMA * np.sqrt(2), rel=0.15)


def test_the_panel_looks_like_the_course_data(stationary_stream):
    course = load_customers()
    log_course = np.log1p(course[list(SPENDING_COLUMNS)]).median()
    log_panel = np.log1p(stationary_stream.reference[list(SPENDING_COLUMNS)]).median()
    assert (log_panel - log_course).abs().max() < 0.3
    share = (stationary_stream.reference["Channel"] == "Horeca").mean()
    assert share == pytest.approx((course["Channel"] == "Horeca").mean(), abs=0.06)


def test_a_changed_stream_equals_the_stationary_one_before_its_change(
    default_stream, stationary_stream
):
    for month in range(s.MIX_MONTH - 1):
        pd.testing.assert_frame_equal(
            default_stream.batches[month], stationary_stream.batches[month]
        )
    pd.testing.assert_frame_equal(default_stream.reference, stationary_stream.reference)


def test_mix_moves_half_of_the_horeca_fresh_spending_to_delicassen(stationary_stream):
    mixed = simulate_stream(changes=("mix",))
    month = s.MIX_MONTH
    before, after = stationary_stream.batches[month - 1], mixed.batches[month - 1]
    horeca = (before["Channel"] == s.MIX_CHANNEL).to_numpy()
    moved = before["Fresh"] * s.MIX_SHARE // 100
    assert (after["Fresh"] == np.where(horeca, before["Fresh"] - moved, before["Fresh"])).all()
    deli = before["Delicassen"]
    assert (after["Delicassen"] == np.where(horeca, deli + moved, deli)).all()
    others = [c for c in SPENDING_COLUMNS if c not in ("Fresh", "Delicassen")]
    pd.testing.assert_frame_equal(after[others], before[others])
    # the month before the change is untouched
    pd.testing.assert_frame_equal(mixed.batches[month - 2], stationary_stream.batches[month - 2])


def test_the_new_group_grows_and_is_far_from_the_panel(stationary_stream):
    grown = simulate_stream(changes=("new_group",))
    panel = s.PANEL
    shares = []
    for month, batch in enumerate(grown.batches, start=1):
        newcomers = batch[batch["customer"] > panel]
        if month < s.NEW_GROUP_MONTH:
            assert newcomers.empty
            continue
        shares.append(len(newcomers) / len(batch))
        expected = (s.NEW_GROUP_SHARE + s.NEW_GROUP_GROWTH * (month - s.NEW_GROUP_MONTH)) / 100
        assert len(newcomers) / len(batch) == pytest.approx(expected, abs=0.002)
        # once joined they stay: ids run on from the panel
        assert newcomers["customer"].tolist() == list(range(panel + 1, panel + len(newcomers) + 1))
        pd.testing.assert_frame_equal(
            batch[batch["customer"] <= panel], stationary_stream.batches[month - 1]
        )
    assert shares == sorted(shares) and shares[0] < shares[-1]
    # Far from the panel: median log spending differs by more than 2 in some categories.
    last = grown.batches[-1]
    logs = np.log1p(last[list(SPENDING_COLUMNS)])
    gap = (logs[last["customer"] > panel].median() - logs[last["customer"] <= panel].median()).abs()
    assert (gap > 2).sum() >= 2


def test_drift_compounds_one_category_for_everyone(stationary_stream):
    drifting = simulate_stream(changes=("drift",))
    column = s.DRIFT_CATEGORY
    for month in range(1, s.MONTHS + 1):
        got, base = (
            drifting.batches[month - 1][column],
            stationary_stream.batches[month - 1][column],
        )
        expected = base.copy()
        for _ in range(max(0, month - s.DRIFT_MONTH + 1)):
            expected = expected * (100 + s.DRIFT_RATE) // 100
        assert (got == expected).all()
    ratio = drifting.batches[-1][column].sum() / stationary_stream.batches[-1][column].sum()
    assert ratio == pytest.approx(1.1 ** (s.MONTHS - s.DRIFT_MONTH + 1), rel=0.01)


def test_same_seed_same_stream_other_seed_other_stream():
    one, two = simulate_stream(seed=3), simulate_stream(seed=3)
    for a, b in zip([one.reference, *one.batches], [two.reference, *two.batches], strict=True):
        pd.testing.assert_frame_equal(a, b)
    other = simulate_stream(seed=4)
    assert not one.reference.equals(other.reference)


@pytest.mark.parametrize(
    "kwargs, phrase",
    [
        ({"changes": ("mix", "flood")}, "unknown change 'flood'"),
        ({"changes": "storm"}, "unknown change 'storm'"),
        ({"months": 0}, "months must be a whole number"),
        ({"panel": 3}, "panel >= 10"),
        ({"months": 2.5}, "months must be a whole number"),
    ],
)
def test_bad_arguments_are_refused_with_a_message(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        simulate_stream(**kwargs)
