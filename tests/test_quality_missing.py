"""Hiding and filling spending values, against hand-worked values, brute force and properties."""

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.quality.missing import (
    IMPUTERS,
    KNN_GRID,
    MissingValuesError,
    choose_knn_k,
    course_segments,
    fill_missing,
    hide_values,
    imputation_study,
    log_rmse,
    make_imputers,
    segment_change,
)

COLUMNS = list(SPENDING_COLUMNS)


@pytest.mark.parametrize("mechanism", ["MCAR", "MNAR"])
@pytest.mark.parametrize("share", [0.05, 0.1, 0.2])
def test_hide_values_hides_exactly_the_share_and_never_a_whole_row(customers, share, mechanism):
    hidden, mask = hide_values(customers, share, mechanism, seed=3)
    assert int(mask.to_numpy().sum()) == round(share * 6 * 440)
    np.testing.assert_array_equal(hidden[COLUMNS].isna().to_numpy(), mask.to_numpy())
    assert not mask.all(axis=1).any() and not mask.all(axis=0).any()
    shown = ~mask.to_numpy()
    np.testing.assert_array_equal(
        hidden[COLUMNS].to_numpy()[shown], customers[COLUMNS].to_numpy(dtype=float)[shown]
    )
    assert hidden["id"].equals(customers["id"])


def test_hide_values_is_seeded(customers):
    first = hide_values(customers, 0.1, "MNAR", seed=7)[1]
    assert first.equals(hide_values(customers, 0.1, "MNAR", seed=7)[1])
    assert not first.equals(hide_values(customers, 0.1, "MNAR", seed=8)[1])


def test_mnar_hides_small_spenders_values_more_often(customers):
    # The property: hidden values sit lower in their column than the values left, and lower
    # than under MCAR with the same seeds.
    ranks = customers[COLUMNS].rank(pct=True).to_numpy()
    mean_rank = {}
    for mechanism in ("MCAR", "MNAR"):
        masks = [hide_values(customers, 0.1, mechanism, s)[1].to_numpy() for s in range(5)]
        mean_rank[mechanism] = np.mean([ranks[m].mean() for m in masks])
    assert mean_rank["MNAR"] < 0.4 < 0.45 < mean_rank["MCAR"] < 0.55


def test_mnar_follows_the_rank_rule():
    # Fresh takes 600 distinct values, the other columns one value each. By the rule, the
    # smallest third of Fresh (ranks 401 to 600 from the top, rank sum 100,100) loses values
    # about 100,100 / 20,100 = 5 times as often as the largest third (ranks 1 to 200).
    table = pd.DataFrame({c: np.full(600, 5.0) for c in COLUMNS})
    table["Fresh"] = np.arange(600.0, 0.0, -1.0)
    hits = sum(hide_values(table, 0.05, "MNAR", s)[1]["Fresh"].to_numpy() for s in range(20))
    ratio = hits[400:].sum() / hits[:200].sum()
    assert 3.5 < ratio < 7


@pytest.mark.parametrize("share", [-0.1, 0.9])
def test_hide_values_refuses_a_share_that_would_empty_rows(customers, share):
    with pytest.raises(ValueError, match="share must be"):
        hide_values(customers, share)


def test_hide_values_refuses_an_unknown_mechanism(customers):
    with pytest.raises(ValueError, match="MCAR, MNAR"):
        hide_values(customers, 0.1, "MAR")


def test_log_rmse_by_hand():
    truth = pd.DataFrame({c: [0.0, 0.0] for c in COLUMNS})
    truth["Milk"] = [np.e - 1, 0.0]  # log1p: 1 and 0
    filled = truth.copy()
    filled["Milk"] = [np.e**3 - 1, 0.0]  # log1p: 3 (error 2)
    filled["Fresh"] = [0.0, np.e - 1]  # log1p: 1 (error 1)
    mask = pd.DataFrame(False, index=truth.index, columns=COLUMNS)
    mask.loc[0, "Milk"] = mask.loc[1, "Fresh"] = True
    # sqrt((2**2 + 1**2) / 2)
    assert log_rmse(truth, filled, mask) == pytest.approx(np.sqrt(2.5))


def test_mean_fill_is_the_column_mean_on_the_log_scale():
    table = pd.DataFrame({c: [1.0, 3.0, 7.0] for c in COLUMNS})
    table.loc[2, "Milk"] = np.nan
    filled = fill_missing(table, SimpleImputer(strategy="mean"))
    # The mean of log(2) and log(4) is log(sqrt 8): the filled amount is sqrt(8) - 1.
    assert filled.loc[2, "Milk"] == pytest.approx(np.sqrt(8) - 1)
    assert filled.drop(columns="Milk").equals(table.drop(columns="Milk"))


def test_every_imputer_fills_every_hidden_value(customers):
    hidden, _ = hide_values(customers, 0.2, "MCAR", seed=0)
    for name, imputer in make_imputers(5, random_state=0).items():
        filled = fill_missing(hidden, imputer)
        assert not filled.isna().any().any(), name
        assert (filled.to_numpy() >= 0).all(), name
    assert list(make_imputers()) == list(IMPUTERS)


def test_fill_refuses_a_column_entirely_missing(customers):
    table = customers.head(20).astype({c: float for c in COLUMNS})
    table["Frozen"] = np.nan
    with pytest.raises(MissingValuesError, match="Column Frozen is entirely missing"):
        fill_missing(table, SimpleImputer())


def test_fill_refuses_a_row_entirely_missing(customers):
    table = customers.head(20).astype({c: float for c in COLUMNS})
    table.loc[4, COLUMNS] = np.nan
    with pytest.raises(MissingValuesError, match=r"all six spending values missing \(index 4\)"):
        fill_missing(table, SimpleImputer())


def test_choose_knn_k_picks_the_smallest_error_of_the_grid(customers):
    hidden, _ = hide_values(customers, 0.1, "MCAR", seed=0)
    k, errors = choose_knn_k(hidden, seed=0)
    assert list(errors.index) == list(KNN_GRID)
    assert errors[k] == errors.min()


def _brute_force_moved(reference, labels):
    """The smallest share of customers in another segment over every renumbering."""
    values = np.unique(labels)
    best = 1.0
    for perm in itertools.permutations(np.unique(reference), len(values)):
        renamed = np.array([perm[list(values).index(x)] for x in labels])
        best = min(best, float(np.mean(renamed != reference)))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_share_moved_matches_brute_force_matching(seed):
    rng = np.random.default_rng(seed)
    reference = rng.integers(0, 3, size=30)
    labels = np.where(rng.random(30) < 0.3, rng.integers(0, 3, size=30), (reference + 1) % 3)
    assert segment_change(reference, labels)["moved"] == pytest.approx(
        _brute_force_moved(reference, labels)
    )


def test_a_renumbering_moves_nobody_and_ari_by_hand():
    assert segment_change([0, 0, 1, 1], [1, 1, 0, 0]) == {"ARI": 1.0, "moved": 0.0}
    # Pairs: 6; a = agreeing same-same pairs ... the ARI of {0,0,1,1} vs {0,0,0,1} is 0.
    assert segment_change([0, 0, 1, 1], [0, 0, 0, 1])["ARI"] == pytest.approx(0.0)
    assert segment_change([0, 0, 1, 1], [0, 0, 0, 1])["moved"] == pytest.approx(0.25)


def test_course_segments_are_the_course_model_segments(customers):
    from segmentation.model.pipeline import SegmentationModel

    model = SegmentationModel(k=3, evaluate=False).fit(customers)
    np.testing.assert_array_equal(
        course_segments(customers), model.predict(customers)["segment"].to_numpy()
    )


def test_imputation_study_table(customers):
    table = imputation_study(customers, shares=(0.1,), mechanisms=("MNAR",), seeds=(0, 1))
    assert list(table["imputer"]) == list(IMPUTERS)
    assert list(table.columns) == [
        "mechanism", "share hidden", "imputer", "RMSE (log)", "RMSE (log) sd",
        "ARI", "ARI sd", "moved", "moved sd", "KNN k",
    ]  # fmt: skip
    assert table["KNN k"].notna().tolist() == [False, False, True, False]
    assert ((table["ARI"] > 0.5) & (table["ARI"] <= 1)).all()
    assert ((table["moved"] >= 0) & (table["moved"] < 0.3)).all()
    # Filling from the other columns beats a column's mean (the lesson's first claim).
    rmse = table.set_index("imputer")["RMSE (log)"]
    assert rmse["KNN"] < rmse["mean"] and rmse["iterative"] < rmse["mean"]
