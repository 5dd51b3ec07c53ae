"""Few-label learning: a separable toy set every graph method must solve, the labelled draw, and
the errors for a label column that cannot be learnt."""

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.quality.semi import (
    METHODS,
    few_label_curve,
    labelled_sample,
    local_gamma,
    median_gamma,
)

COLUMNS = list(SPENDING_COLUMNS)


def _two_groups(n=30, seed=0):
    """Two groups of customers far apart on the log scale: small ones and large ones."""
    rng = np.random.default_rng(seed)
    logs = np.vstack([rng.normal(5, 0.2, (n, 6)), rng.normal(9, 0.2, (n, 6))])
    table = pd.DataFrame(np.round(np.expm1(logs)), columns=COLUMNS)
    table["Channel"] = ["Horeca"] * n + ["Retail"] * n
    return table


def test_label_spreading_solves_a_separable_toy_set():
    table = few_label_curve(_two_groups(), shares=(0.02, 0.2), seeds=(0, 1))
    assert list(table["method"].unique()) == list(METHODS)
    spreading = table[table["method"] == "label spreading"]
    assert spreading["accuracy"].tolist() == [1.0, 1.0]
    assert spreading["labelled"].tolist() == [2, 12]  # one per class (round(0.6)), then 6 per class


def test_labelled_sample_is_stratified_and_seeded():
    y = np.array([0] * 90 + [1] * 10)
    mask = labelled_sample(y, 0.02, seed=0)
    # round(0.02 * 90) = 2 of the large class; round(0.02 * 10) = 0, raised to 1.
    assert (int(mask[y == 0].sum()), int(mask[y == 1].sum())) == (2, 1)
    assert np.array_equal(mask, labelled_sample(y, 0.02, seed=0))
    assert not np.array_equal(labelled_sample(y, 0.2, 0), labelled_sample(y, 0.2, 1))


def test_the_gammas_by_their_definitions():
    X = np.random.default_rng(1).normal(size=(25, 3))
    squared = cdist(X, X, "sqeuclidean")
    pairs = squared[np.triu_indices(25, 1)]
    assert median_gamma(X) == pytest.approx(1 / np.median(pairs))
    tenth = np.sort(squared, axis=1)[:, 10]  # column 0 is the row itself
    assert local_gamma(X) == pytest.approx(1 / np.median(tenth))


def test_a_label_column_with_one_class_is_refused():
    table = _two_groups().assign(Channel="Horeca")
    with pytest.raises(ValueError, match=r"same Channel .*at least two classes"):
        few_label_curve(table, shares=(0.1,), seeds=(0,))


def test_a_label_column_with_gaps_or_absent_is_refused():
    table = _two_groups()
    table.loc[3, "Channel"] = None
    with pytest.raises(ValueError, match="1 customer\\(s\\) have no Channel"):
        few_label_curve(table, seeds=(0,))
    with pytest.raises(ValueError, match="no column 'Segment'"):
        few_label_curve(_two_groups(), seeds=(0,), target="Segment")


def test_on_the_course_data_spreading_beats_the_majority(customers):
    table = few_label_curve(customers, shares=(0.05,), seeds=(0, 1))
    accuracy = table.set_index("method")["accuracy"]
    majority = (customers["Channel"] == "Horeca").mean()
    assert accuracy["label spreading"] > majority + 0.1
    assert accuracy["labelled only"] > majority + 0.1
