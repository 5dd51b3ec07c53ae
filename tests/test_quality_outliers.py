"""Noise, outlier flags, extreme customers and treatments, checked against NumPy and properties."""

import numpy as np
import pandas as pd

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.quality.outliers import (
    CONTAMINATION,
    extreme_customers,
    noise_study,
    outlier_flags,
    outlier_treatments,
)

COLUMNS = list(SPENDING_COLUMNS)


def _numpy_extreme_counts(customers):
    """Categories outside the 1.5-IQR fences on the log scale, by NumPy's percentiles."""
    logs = np.log1p(customers[COLUMNS].to_numpy(dtype=float))
    q1, q3 = np.percentile(logs, 25, axis=0), np.percentile(logs, 75, axis=0)
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    return ((logs < low) | (logs > high)).sum(axis=1)


def test_the_five_extreme_customers(customers):
    counts = _numpy_extreme_counts(customers)
    expected = customers["id"].to_numpy()[counts >= 2]
    found = extreme_customers(customers)
    assert len(expected) == 5
    assert found["id"].tolist() == expected.tolist() == [66, 67, 76, 129, 155]
    assert found.loc[found["id"] == 155, "extreme in"].item() == "Milk, Grocery, Delicassen"


def test_outlier_flags_agree_with_numpy_and_flag_the_stated_share(customers):
    flags = outlier_flags(customers)
    np.testing.assert_array_equal(flags["extreme categories"], _numpy_extreme_counts(customers))
    assert int(flags["Tukey"].sum()) == int((_numpy_extreme_counts(customers) > 0).sum())
    assert int(flags["isolation forest"].sum()) == round(CONTAMINATION * len(customers))
    # The flagged ones are exactly the lowest scores (the forest's own rule, seen from outside).
    lowest = flags["isolation score"].nsmallest(int(flags["isolation forest"].sum())).index
    assert set(lowest) == set(flags.index[flags["isolation forest"]])
    assert flags.equals(outlier_flags(customers))


def test_a_planted_outlier_is_flagged_by_both_rules():
    rng = np.random.default_rng(0)
    table = pd.DataFrame(np.exp(rng.normal(8, 0.3, size=(60, 6))), columns=COLUMNS)
    table.iloc[7] = [1.0, 1.0, 1.0, 1e7, 1e7, 1e7]
    flags = outlier_flags(table)
    assert flags.loc[7, "extreme categories"] == 6
    assert flags.loc[7, "isolation forest"]
    assert flags["isolation score"].idxmin() == 7


def test_noise_study_moves_more_customers_as_noise_grows(customers):
    table = noise_study(customers, levels=(0.0, 0.2, 1.0), seeds=(0, 1))
    assert table.loc[0, "ARI"] == 1.0 and table.loc[0, "moved"] == 0.0
    assert table["ARI"].is_monotonic_decreasing
    assert table["moved"].is_monotonic_increasing
    assert list(table.columns) == ["noise sigma", "ARI", "ARI sd", "moved", "moved sd"]


def test_outlier_treatments(customers):
    table = outlier_treatments(customers)
    none = table.loc["none (the course's)"]
    assert (none["ARI"], none["moved"], none["sizes"]) == (1.0, 0.0, "143 / 82 / 215")
    assert table.loc["remove extreme customers", "customers"] == 435
    assert table.loc["remove Tukey outliers", "customers"] == 440 - 42
    for name, row in table.iterrows():
        assert sum(int(s) for s in row["sizes"].split(" / ")) == row["customers"], name
    # Dropping the five extreme customers barely moves the others.
    assert table.loc["remove extreme customers", "moved"] < 0.05
