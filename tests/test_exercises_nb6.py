"""Notebook 6's exercise checks, by table: right answers in each natural form, typical wrong
answers, odd inputs, and the message each gets.

Oracles, worked by hand: exercise 6.1's distance is (0.4 - 1.0)^2 + (-1.2 + 0.2)^2 = 1.36 plus
0.6 for the one category that differs (Channel), 1.96. Exercise 6.2's cluster counts Retail 4,
Horeca 3; Lisbon 4, Other 2, Oporto 1. Exercise 6.3's right answers are read off DBSCAN's
partitions of the moons (two clusters that match the moons) and checked against the ARI
computed here.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import DBSCAN
from sklearn.metrics import adjusted_rand_score

from segmentation.course import CLUSTER, GAMMA, TWO_ROWS
from segmentation.course.answers import CANNOT_READ
from segmentation.course.checks_clusterers import (
    check_cluster_mode,
    check_moons_eps,
    check_prototype_distance,
)
from segmentation.course.toy_data import moons
from segmentation.preprocessing.spending import spending_scaler

RIGHT = "✅ Right."
WRONG = "❌ Not yet:"
UNANSWERED = "… Not answered yet:"


def shown(feedback):
    return repr(feedback)


def test_the_exercises_data_is_as_worked_by_hand():
    assert GAMMA == 0.6
    assert TWO_ROWS.loc["customer"].tolist() == [0.4, -1.2, "Retail", "Lisbon"]
    assert TWO_ROWS.loc["prototype"].tolist() == [1.0, -0.2, "Horeca", "Lisbon"]
    assert CLUSTER["Channel"].value_counts().to_dict() == {"Retail": 4, "Horeca": 3}
    assert CLUSTER["Region"].value_counts().to_dict() == {"Lisbon": 4, "Other": 2, "Oporto": 1}


# --------------------------------------------------------------------------------------------
# Exercise 6.1: the k-prototypes distance, 1.96
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        1.96,
        1.955,
        1.964,
        "1.96",
        " 1.96 ",
        np.float64(1.96),
        np.array([1.96]),
        [1.96],
        pd.Series([1.96]),
        0.36 + 1.0 + 0.6,
    ],
    ids=repr,
)
def test_distance_right_in_every_form(answer):
    feedback = check_prototype_distance(answer)
    assert shown(feedback).startswith(RIGHT), shown(feedback)
    assert "1.36 + 0.6 x 1 = 1.96" in feedback.message
    assert "1 of the two categories differs" in feedback.message


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (1.36, "numeric part alone"),
        (0.6, "categorical part alone"),
        (2.36, "adds gamma (0.6), not 1"),
        (2.56, "count only the categories that differ"),
        (1.77, "no square root"),  # sqrt(1.36) + 0.6 = 1.766
        (1.4, "square root of the distance"),  # sqrt(1.96)
        # rounded to fewer decimals than asked, or cut short: told to give 2 decimals
        (2, "give the distance to 2 decimals, as the task asks: 2 has fewer"),
        (2.0, "give the distance to 2 decimals, as the task asks: 2 has fewer"),
        ("2", "give the distance to 2 decimals"),
        (1.9, "give the distance to 2 decimals, as the task asks: 1.9 has fewer"),
        ([1.9], "without cutting it short"),
        # one off in the second decimal: a rounding or arithmetic slip
        (1.95, "off by one in the second decimal"),
        (1.97, "off by one in the second decimal"),
        (pd.Series([1.97]), "off by one in the second decimal"),
        (1.86, "square the difference of each number"),
        (2.1, "square the difference of each number"),
        (3, "square the difference of each number"),
    ],
    ids=repr,
)
def test_distance_wrong_answers_get_what_went_wrong(answer, phrase):
    feedback = check_prototype_distance(answer)
    assert shown(feedback).startswith(WRONG)
    assert phrase in feedback.message


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (None, "your answer is None"),
        ({"distance": 1.96}, "got dict"),
        (TWO_ROWS, "not a table of 2 rows"),
        (pd.Series([True, False, True]), "count the True values"),
        ("one point nine six", "got str"),
        ([1.36, 0.6], "got list of 2 values"),
        ("1,96", "decimal comma"),
        (True, "got bool"),
    ],
)
def test_distance_odd_inputs_get_a_sentence(answer, phrase):
    feedback = check_prototype_distance(answer)
    assert shown(feedback).startswith(WRONG)
    assert phrase in feedback.message and CANNOT_READ not in feedback.message


def test_distance_unanswered():
    assert shown(check_prototype_distance(...)).startswith(UNANSWERED)


# --------------------------------------------------------------------------------------------
# Exercise 6.2: the mode of the cluster, Retail and Lisbon
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        ["Retail", "Lisbon"],
        ("retail", "LISBON"),
        ["Lisbon", "Retail"],  # either order: the names tell the columns apart
        np.array(["Retail", "Lisbon"]),
        np.array(["Retail", "Lisbon"], dtype=object),
        pd.Series({"Channel": "Retail", "Region": "Lisbon"}),
        {"Channel": "Retail", "Region": "Lisbon"},  # .to_dict() of the Series above
        {"region": "lisbon", "CHANNEL": "Retail"},
        CLUSTER.mode(),
        CLUSTER.mode().iloc[0],
        "Retail, Lisbon",
        "Retail and Lisbon",
        "('Retail', 'Lisbon')",
        [" Retail ", "lisbon"],
    ],
    ids=repr,
)
def test_mode_right_in_every_form(answer):
    feedback = check_cluster_mode(answer)
    assert shown(feedback).startswith(RIGHT), shown(feedback)
    assert "Retail (4 of 7) and Lisbon (4 of 7)" in feedback.message


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (["Horeca", "Other"], "Horeca has 3 of the 7 customers, Retail 4"),
        (["Horeca", "Other"], "Other has 2 of the 7 customers, Lisbon 4"),
        (["Retail", "Other"], "Other has 2 of the 7 customers, Lisbon 4"),
        (["Horeca", "Lisbon"], "Horeca has 3"),
        (["Retail", "Oporto"], "Oporto has 1 of the 7 customers"),
    ],
)
def test_mode_wrong_values_are_counted(answer, phrase):
    feedback = check_cluster_mode(answer)
    assert shown(feedback).startswith(WRONG)
    assert phrase in feedback.message


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (["Retail"], "exactly one Channel and one Region"),
        ("Retail", "Region: none"),
        (["Retail", "Horeca", "Lisbon"], "Channel: Retail, Horeca"),
        ([2, 1], "not codes or numbers"),
        (1.57, "not codes or numbers"),
        (["Retail", "Paris"], "'Paris' is neither"),
        (None, "your answer is None"),
        ({"Channel": "Lisbon", "Region": "Retail"}, "Lisbon is a Region, not a Channel"),
        ({"mode": "Retail"}, "a dict keyed by 'Channel' and 'Region'"),
        ({"Channel": 2, "Region": 1}, "not codes or numbers"),
        (CLUSTER, "a table of 7 rows"),
        (CLUSTER["Channel"].value_counts(), "counts of each value"),
        (CLUSTER["Region"].value_counts(), ".idxmax() gives it"),
        (["Retail", None], "got None among the values"),
        (pd.Series([True, False]), "got bool True among the values"),
        ("the most common ones", "is neither"),
        ([], "Channel: none; Region: none"),
    ],
)
def test_mode_odd_inputs_get_a_sentence(answer, phrase):
    feedback = check_cluster_mode(answer)
    assert shown(feedback).startswith(WRONG), shown(feedback)
    assert phrase in feedback.message and CANNOT_READ not in feedback.message


def test_mode_unanswered():
    assert shown(check_cluster_mode(...)).startswith(UNANSWERED)


# --------------------------------------------------------------------------------------------
# Exercise 6.3: an eps that finds the moons
# --------------------------------------------------------------------------------------------


def moons_ari(eps):
    points, truth = moons()
    X = spending_scaler("none").fit_transform(points)
    return adjusted_rand_score(truth, DBSCAN(eps=eps, min_samples=4).fit_predict(X))


@pytest.mark.parametrize("answer", [0.25, "0.3", np.float64(0.35), [0.3], np.array(0.4), 0.2])
def test_eps_right_in_every_form(answer):
    feedback = check_moons_eps(answer)
    assert shown(feedback).startswith(RIGHT), shown(feedback)
    assert "2 clusters" in feedback.message
    assert moons_ari(float(np.asarray(answer, dtype=float).ravel()[0])) >= 0.95


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (0.16, "too small to link each moon"),  # the knee: the tips break off
        (0.05, "too small to link each moon"),
        (0.18, "above nearly all of the k-distance curve"),  # above the knee, still 3 pieces
        (0.47, "reaches across the gap"),  # the moons are 0.465 apart at their closest
        (0.6, "reaches across the gap"),
        (5, "reaches across the gap"),
        (0, "a number above 0"),
        (-0.3, "a number above 0"),
    ],
)
def test_eps_wrong_answers_say_which_way_to_go(answer, phrase):
    feedback = check_moons_eps(answer)
    assert shown(feedback).startswith(WRONG), shown(feedback)
    assert phrase in feedback.message
    if answer > 0:
        assert moons_ari(answer) < 0.95


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (None, "your answer is None"),
        ({"eps": 0.3}, "got dict"),
        (pd.DataFrame({"eps": [0.3, 0.4]}), "not a table"),
        (pd.Series([True, False]), "count the True values"),
        ("about a third", "got str"),
        (float("nan"), "got float"),
        ("0,3", "decimal comma"),
    ],
)
def test_eps_odd_inputs_get_a_sentence(answer, phrase):
    feedback = check_moons_eps(answer)
    assert shown(feedback).startswith(WRONG), shown(feedback)
    assert phrase in feedback.message and CANNOT_READ not in feedback.message
