"""RFM, scores, segment names, inactive customers, RFM+X, cohorts and k-means on RFM, each
checked on small hand-made cleaned logs whose answers were worked out by hand (dates in
2024, a leap year: February has 29 days)."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.rfm.activity import inactive_customers, segments_without_inactive
from segmentation.rfm.cohorts import cohort_retention
from segmentation.rfm.compare import rfm_kmeans
from segmentation.rfm.plus import rfm_plus
from segmentation.rfm.scores import (
    SEGMENT_GRID,
    SEGMENT_ORDER,
    rfm_scores,
    rfm_segments,
    score,
    segment_sizes,
)
from segmentation.rfm.table import rfm_table
from segmentation.transactions.layout import AMOUNT, CATEGORY, TRANSACTION_COLUMNS


@dataclass(frozen=True)
class Log:
    """Stands in for the cleaning's CleanLog: what RFM reads of it."""

    purchases: pd.DataFrame
    cancellations: pd.DataFrame


COLUMNS = [*TRANSACTION_COLUMNS, AMOUNT, CATEGORY]


def lines(rows: list[tuple]) -> pd.DataFrame:
    """Lines from (invoice, stock code, when, quantity, price, customer, category)."""
    frame = pd.DataFrame(
        [
            {
                "Invoice": invoice,
                "StockCode": code,
                "Description": "ITEM",
                "Quantity": quantity,
                "InvoiceDate": pd.Timestamp(when),
                "Price": price,
                "Customer ID": customer,
                "Country": "Portugal",
                AMOUNT: round(quantity * price, 2),
                CATEGORY: category,
            }
            for invoice, code, when, quantity, price, customer, category in rows
        ],
        columns=COLUMNS,
    )
    return frame.astype({"InvoiceDate": "datetime64[ns]"})


def make_log(purchases: list[tuple], cancellations: list[tuple] = ()) -> Log:
    return Log(lines(purchases), lines(list(cancellations)))


# Customer 12346 ("A"): two invoices, two categories, one cancelled line.
# 12347 ("B"): one invoice the day before as_of, one line of an unknown stock code.
# 12348 ("C"): bought once and cancelled all of it (net 0).
# 12349 ("D"): buys only after 2024-03-01.
# 12350 ("E"): only a cancellation, never a purchase: no customer.
SHOP = make_log(
    [
        ("489001", "10001", "2024-01-10 10:00", 1, 10.00, "12346", "Fresh"),
        ("489001", "20001", "2024-01-10 10:00", 1, 5.00, "12346", "Milk"),
        ("489002", "10002", "2024-02-20 09:30", 2, 10.00, "12346", "Fresh"),
        ("489003", "30001", "2024-02-29 18:00", 1, 7.50, "12347", "Grocery"),
        ("489003", "99999", "2024-02-29 18:00", 1, 2.50, "12347", np.nan),
        ("489004", "40001", "2024-01-05 12:00", 2, 15.00, "12348", "Frozen"),
        ("489005", "10001", "2024-03-05 08:00", 4, 10.00, "12349", "Fresh"),
    ],
    [
        ("C489002", "10002", "2024-02-21 11:00", -1, 5.00, "12346", "Fresh"),
        ("C489004", "40001", "2024-01-06 12:00", -2, 15.00, "12348", "Frozen"),
        ("C489006", "50001", "2024-02-01 12:00", -1, 3.00, "12350", "Detergents_Paper"),
    ],
)
AS_OF = "2024-03-01"


def test_rfm_table_by_hand():
    rfm = rfm_table(SHOP, as_of=AS_OF)
    # A: Feb 20 -> Mar 1 is 10 days; 10 + 5 + 20 - 5 = 30. B: Feb 29 -> Mar 1.
    # C: Jan 5 -> Mar 1 = 26 + 29 + 1 = 56 days; 30 - 30 = 0 (kept). D is after as_of.
    expected = pd.DataFrame(
        {"recency": [10, 1, 56], "frequency": [2, 1, 1], "monetary": [30.0, 10.0, 0.0]},
        index=pd.Index(["12346", "12347", "12348"], name="Customer ID"),
    )
    pd.testing.assert_frame_equal(rfm, expected, check_dtype=False)


def test_default_as_of_is_the_day_after_the_last_purchase():
    rfm = rfm_table(SHOP)
    # the last purchase is 2024-03-05 08:00, so as_of = 2024-03-06
    assert rfm.index.tolist() == ["12346", "12347", "12348", "12349"]
    assert rfm["recency"].tolist() == [15, 6, 61, 1]
    assert rfm.loc["12349", "monetary"] == 40.0


def test_rfm_table_ignores_row_order_and_rounds_to_cents():
    shuffled = Log(SHOP.purchases.sample(frac=1, random_state=1), SHOP.cancellations[::-1])
    pd.testing.assert_frame_equal(rfm_table(shuffled, AS_OF), rfm_table(SHOP, AS_OF))
    cents = make_log([(str(i), "10001", "2024-01-01", 1, 0.1, "1", "Fresh") for i in range(3)])
    assert rfm_table(cents)["monetary"].tolist() == [0.3]


def test_rfm_table_with_no_purchase_before_as_of_says_what_to_do():
    with pytest.raises(ValueError, match="pick a later date"):
        rfm_table(SHOP, as_of="2023-12-31")


def test_scores_give_ties_one_score_whatever_the_row_order():
    # half the customers bought once: qcut would find duplicate edges
    values = pd.Series([1, 1, 1, 1, 1, 1, 2, 3, 4, 5], index=list("abcdefghij"))
    # the six 1s hold positions 1..6: 1 + floor((1 + 6 - 1) * 5 / 20) = 2; then positions
    # 7, 8, 9, 10 score 1 + floor(13 * 5 / 20) = 4, 4, 5, 5
    assert score(values).tolist() == [2, 2, 2, 2, 2, 2, 4, 4, 5, 5]
    shuffled = values.sample(frac=1, random_state=3)
    assert score(shuffled).sort_index().tolist() == [2, 2, 2, 2, 2, 2, 4, 4, 5, 5]


def test_a_tied_group_takes_the_middle_score_not_an_end_of_the_scale():
    # everyone bought yesterday: all equally recent, none the worst
    assert score(pd.Series([1] * 8), higher_is_better=False).tolist() == [3] * 8
    assert score(pd.Series([42.0])).tolist() == [3]  # one customer: the middle
    assert score(pd.Series([5, 5, 9, 9]), bins=2).tolist() == [1, 1, 2, 2]


@pytest.mark.parametrize("n", [5, 10, 40, 235])
def test_without_ties_the_scores_are_equal_fifths(n):
    # oracle: pandas' quantile cut of distinct values into 5 equal groups
    values = pd.Series(np.random.default_rng(n).permutation(n) * 1.5)
    expected = pd.qcut(values.rank(), 5, labels=False) + 1
    assert score(values).tolist() == expected.tolist()


def test_scores_are_blind_to_float_noise_and_lower_recency_is_better():
    assert score(pd.Series([0.1 + 0.2, 0.3, 5.0])).tolist() == [2, 2, 5]
    recency = pd.Series(range(1, 11))
    assert score(recency, higher_is_better=False).tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_rfm_scores_code_and_fm():
    rfm = pd.DataFrame(
        {"recency": [1, 50, 200], "frequency": [9, 2, 1], "monetary": [900.0, 40.0, 0.0]},
        index=["a", "b", "c"],
    )
    scores = rfm_scores(rfm, bins=3)
    assert scores["code"].tolist() == ["333", "222", "111"]
    rfm5 = rfm_scores(pd.DataFrame({"recency": [1, 2], "frequency": [1, 2], "monetary": [3, 1]}))
    # two customers: positions 1 and 2 score 1 + floor(1 * 5 / 4) = 2 and 1 + floor(3 * 5 / 4)
    # = 4; R = 4, 2; F = 2, 4; M = 4, 2 -> FM = (2 + 4 + 1) // 2 = 3 for both
    assert rfm5["FM"].tolist() == [3, 3]
    assert rfm5["code"].tolist() == ["424", "242"]


def test_every_cell_of_the_grid_has_exactly_one_known_name():
    assert sorted(SEGMENT_GRID) == [(r, fm) for r in range(1, 6) for fm in range(1, 6)]
    assert set(SEGMENT_GRID.values()) == set(SEGMENT_ORDER)
    assert len(SEGMENT_ORDER) == len(set(SEGMENT_ORDER)) == 11


@pytest.mark.parametrize(
    ("r", "fm", "name"),
    [
        (5, 5, "Champions"),
        (5, 1, "New customers"),
        (4, 1, "Promising"),
        (3, 3, "Need attention"),
        (1, 5, "Can't lose them"),
        (2, 1, "Hibernating"),
        (1, 1, "Lost"),
    ],
)
def test_named_segments(r, fm, name):
    segments = rfm_segments(pd.DataFrame({"R": [r], "FM": [fm]}))
    assert segments.iloc[0] == name
    assert list(segments.cat.categories) == list(SEGMENT_ORDER)


def test_segments_need_five_bins():
    with pytest.raises(ValueError, match="bins=5"):
        rfm_segments(pd.DataFrame({"R": [7], "FM": [1]}))


def test_segment_sizes_in_canonical_order():
    segments = rfm_segments(pd.DataFrame({"R": [5, 5, 1], "FM": [5, 4, 1]}))
    sizes = segment_sizes(segments)
    assert sizes.index.tolist() == list(SEGMENT_ORDER)
    assert sizes.loc["Champions", "customers"] == 2
    assert sizes.loc["Lost", "share"] == pytest.approx(0.333)


def weekly_and_rare() -> Log:
    rows = [
        # 1: every 7 days (two invoices on Jan 1 make no 0-day gap); last Jan 22
        ("1", "10001", "2024-01-01 09:00", 1, 1.0, "1", "Fresh"),
        ("2", "10001", "2024-01-01 17:00", 1, 1.0, "1", "Fresh"),
        ("3", "10001", "2024-01-08", 1, 1.0, "1", "Fresh"),
        ("4", "10001", "2024-01-15", 1, 1.0, "1", "Fresh"),
        ("5", "10001", "2024-01-22", 1, 1.0, "1", "Fresh"),
        # 2: every 60 days, last Jan 22 (Sep 24 2023 -> Nov 23 -> Jan 22)
        ("6", "10001", "2023-09-24", 1, 1.0, "2", "Fresh"),
        ("7", "10001", "2023-11-23", 1, 1.0, "2", "Fresh"),
        ("8", "10001", "2024-01-22", 1, 1.0, "2", "Fresh"),
        # 3 and 4: a single purchase
        ("9", "10001", "2024-02-11", 1, 1.0, "3", "Fresh"),
        ("10", "10001", "2024-01-31", 1, 1.0, "4", "Fresh"),
    ]
    return make_log(rows)


def test_inactive_customers_by_hand():
    table = inactive_customers(weekly_and_rare(), as_of=AS_OF, floor_days=30, multiple=3.0)
    # recency to Mar 1: Jan 22 -> 39 days; Feb 11 -> 19; Jan 31 -> 30
    assert table["recency"].tolist() == [39, 39, 19, 30]
    assert table["median_gap"].tolist()[:2] == [7.0, 60.0]
    assert table["median_gap"].isna().tolist() == [False, False, True, True]
    # thresholds: max(30, 21), max(30, 180), then the floor
    assert table["threshold"].tolist() == [30.0, 180.0, 30.0, 30.0]
    assert table["inactive"].tolist() == [True, False, False, False]


def test_segments_without_inactive_adds_up():
    rng = np.random.default_rng(0)
    rfm = pd.DataFrame(
        {
            "recency": rng.integers(1, 300, 60),
            "frequency": rng.integers(1, 6, 60),
            "monetary": rng.integers(0, 5000, 60) / 10,
        },
        index=[f"{i:05d}" for i in range(60)],
    )
    inactive = rfm["recency"] > 200
    table = segments_without_inactive(rfm, inactive)
    assert table.index.tolist() == list(SEGMENT_ORDER)
    assert table["all customers"].sum() == 60
    assert table["of them inactive"].sum() == inactive.sum()
    assert table["active only"].sum() == 60 - inactive.sum()
    assert (table["of them inactive"] <= table["all customers"]).all()


def test_rfm_plus_by_hand():
    plus = rfm_plus(SHOP, as_of=AS_OF)
    pd.testing.assert_frame_equal(
        plus[["recency", "frequency", "monetary"]], rfm_table(SHOP, AS_OF), check_dtype=False
    )
    a, b, c = (plus.loc[i] for i in ["12346", "12347", "12348"])
    # A: Fresh and Milk; first purchase Jan 10 -> Mar 1 = 51 days; 30 / 2 invoices;
    # 5 cancelled of 35 bought; Jan 10 -> Feb 20 = 41 days for one repeat.
    assert (a["breadth"], a["tenure"], a["average_basket"]) == (2, 51, 15.0)
    assert a["cancellation_rate"] == pytest.approx(0.1429)
    assert a["interval"] == 41.0
    assert (a["Fresh"], a["Milk"]) == (pytest.approx(0.8333), pytest.approx(0.1667))
    # B: the unknown stock code counts in monetary but in no category
    assert (b["breadth"], b["monetary"], b["Grocery"], b["Fresh"]) == (1, 10.0, 1.0, 0.0)
    assert np.isnan(b["interval"])
    # C: everything cancelled: rate 1, no net spending in any category
    assert c["cancellation_rate"] == 1.0
    assert c[list(SPENDING_COLUMNS)].sum() == 0.0
    assert not plus[list(SPENDING_COLUMNS)].isna().any().any()


def test_category_mix_rows_sum_to_one_or_zero():
    mix = rfm_plus(SHOP)[list(SPENDING_COLUMNS)].sum(axis=1).round(3)
    assert mix.tolist() == [1.0, 1.0, 0.0, 1.0]


def test_cohort_retention_by_hand():
    log = make_log(
        [
            ("1", "10001", "2024-01-03", 1, 1.0, "P", "Fresh"),
            ("2", "10001", "2024-02-10", 1, 1.0, "P", "Fresh"),
            ("3", "10001", "2024-02-11", 1, 1.0, "P", "Fresh"),
            ("4", "10001", "2024-04-30", 1, 1.0, "P", "Fresh"),
            ("5", "10001", "2024-01-20", 1, 1.0, "Q", "Fresh"),
            ("6", "10001", "2024-02-01", 1, 1.0, "R", "Fresh"),
            ("7", "10001", "2024-03-15", 1, 1.0, "R", "Fresh"),
        ]
    )
    table = cohort_retention(log)
    # January: P and Q; P back in Feb and Apr. February: R; back in March.
    # R's cohort cannot be seen 3 months on (May is after the log).
    expected = pd.DataFrame(
        [[1.0, 0.5, 0.0, 0.5], [1.0, 1.0, 0.0, np.nan]],
        index=["2024-01", "2024-02"],
        columns=[0, 1, 2, 3],
    )
    np.testing.assert_array_equal(table.to_numpy(), expected.to_numpy())
    assert table.index.tolist() == ["2024-01", "2024-02"]
    assert table.columns.tolist() == [0, 1, 2, 3]


def three_groups() -> tuple[pd.DataFrame, pd.Series]:
    """Three far-apart groups of 10 customers, and names that match them exactly."""
    rng = np.random.default_rng(1)
    parts, names = [], []
    for recency, frequency, monetary, name in [
        (5, 40, 20000.0, "Champions"),
        (60, 5, 800.0, "At risk"),
        (300, 1, 30.0, "Lost"),
    ]:
        parts.append(
            pd.DataFrame(
                {
                    "recency": recency + rng.integers(0, 3, 10),
                    "frequency": frequency + rng.integers(0, 2, 10),
                    "monetary": monetary * (1 + rng.random(10) / 10),
                }
            )
        )
        names += [name] * 10
    rfm = pd.concat(parts, ignore_index=True)
    rfm.index = pd.Index([f"{i:05d}" for i in range(30)], name="Customer ID")
    rfm.loc["00029", "monetary"] = -12.5  # a refunded customer must not break the logs
    segments = pd.Series(names, index=rfm.index, dtype=pd.CategoricalDtype(SEGMENT_ORDER))
    return rfm, segments


def test_rfm_kmeans_finds_the_groups_and_numbers_them_by_monetary():
    rfm, segments = three_groups()
    result = rfm_kmeans(rfm, segments, k=3, n_init=5, random_state=0)
    assert result.agreement == 1.0
    # cluster 0 is the big spenders, cluster 2 the smallest
    assert result.labels.tolist() == [0] * 10 + [1] * 10 + [2] * 10
    assert result.profile["customers"].tolist() == [10, 10, 10]
    assert result.profile["monetary"].is_monotonic_decreasing
    assert result.crosstab.loc["Champions", 0] == 10
    assert result.crosstab.loc["Lost", 2] == 10
    assert result.crosstab.index.tolist() == list(SEGMENT_ORDER)


def test_rfm_kmeans_does_not_depend_on_row_order():
    rfm, segments = three_groups()
    order = np.random.default_rng(2).permutation(len(rfm))
    a = rfm_kmeans(rfm, segments, k=3, random_state=0).labels
    b = rfm_kmeans(rfm.iloc[order], segments.iloc[order], k=3, random_state=0).labels
    pd.testing.assert_series_equal(a, b.sort_index())


def test_lines_after_as_of_are_ignored_and_dtypes_may_vary():
    late = lines([("C489002", "10002", "2024-03-02 10:00", -1, 20.00, "12346", "Fresh")])
    log = Log(
        SHOP.purchases.astype({CATEGORY: "category", "Customer ID": "category"}),
        pd.concat([SHOP.cancellations, late], ignore_index=True),
    )
    pd.testing.assert_frame_equal(rfm_plus(log, AS_OF), rfm_plus(SHOP, AS_OF))
    # with the default as_of (2024-03-06) the late refund counts: 35 - 5 - 20
    assert rfm_table(log).loc["12346", "monetary"] == 10.0
