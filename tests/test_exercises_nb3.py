"""The checks of notebook 3's exercises (one iteration of k-means by hand on TINY): every
natural form of a right answer passes, including values rounded to 2 decimals, and every
other input gets a one-line message that says what is off, never a traceback.

The right answers here are worked by hand (exact fractions), not computed by the library.
"""

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from segmentation.course.answers import CANNOT_READ, Feedback
from segmentation.course.checks_kmeans import (
    TINY,
    TINY_CENTRES,
    check_assignment,
    check_new_centres,
    check_objective,
)

# Worked by hand. Squared distances of the customers to (1, 1) and (5, 7):
# 0: 0 and 52; 1: 1.25 and 37.25; 2: 10.25 and 16.25; 3: 52 and 0; 4: 22.25 and 6.25;
# 5: 28.25 and 4.25; 6: 18.5 and 8.5.
LABELS = [0, 0, 0, 1, 1, 1, 1]
# Cluster 0 = customers 0, 1, 2; cluster 1 = customers 3 to 6.
CENTRES = [[Fraction(11, 6), Fraction(13, 6)], [Fraction(33, 8), Fraction(43, 8)]]
# Squared distances to the new centres add up to 16/3 in cluster 0 and 43/8 in cluster 1.
J_CLUSTER_0, J_CLUSTER_1 = Fraction(16, 3), Fraction(43, 8)
J = J_CLUSTER_0 + J_CLUSTER_1  # 257/24 = 10.708...
J_OLD_CENTRES = Fraction(61, 2)  # 0 + 1.25 + 10.25 and 0 + 6.25 + 4.25 + 8.5

CENTRES_FLOAT = np.array(CENTRES, dtype=float)
DISTANCES = np.sqrt(((TINY - CENTRES_FLOAT[LABELS]) ** 2).sum(axis=1))
# each customer's squared distance to its nearest starting centre (the smaller of the pairs above)
NEAREST_SQUARED = [0, 1.25, 10.25, 0, 6.25, 4.25, 8.5]


def test_tiny_is_what_the_hand_worked_answers_assume():
    assert TINY.tolist() == [[1, 1], [1.5, 2], [3, 3.5], [5, 7], [3.5, 5], [4.5, 5], [3.5, 4.5]]
    assert TINY_CENTRES.tolist() == [[1, 1], [5, 7]]


def test_no_customer_of_tiny_is_near_a_tie():
    """Each customer is nearer one centre by a clear margin (half a unit of distance, far more
    than a student's rounding), so the assignment has one right answer and no tie rule."""
    distances = np.sqrt(((TINY[:, None, :] - TINY_CENTRES[None, :, :]) ** 2).sum(axis=2))
    assert np.abs(distances[:, 0] - distances[:, 1]).min() > 0.5
    assert distances.argmin(axis=1).tolist() == LABELS
    # and after the update, both clusters keep members (no empty cluster to handle)
    assert sorted(set(LABELS)) == [0, 1]


def right(feedback):
    return (
        isinstance(feedback, Feedback) and bool(feedback) and repr(feedback).startswith("✅ Right.")
    )


def wrong(feedback, phrase):
    assert isinstance(feedback, Feedback) and not feedback and feedback.answered
    assert repr(feedback).startswith("❌ Not yet:"), repr(feedback)
    assert phrase in feedback.message, feedback.message
    assert "\n" not in feedback.message
    assert CANNOT_READ not in feedback.message, "an answer the check did not foresee"
    return True


CHECKS = [check_assignment, check_new_centres, check_objective]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_a_missing_answer_is_not_yet_answered(check):
    feedback = check(...)
    assert not feedback and not feedback.answered
    assert repr(feedback).startswith("… Not answered yet")


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_an_answer_of_none_is_told_where_none_comes_from(check):
    feedback = check(None)
    assert not feedback and feedback.answered and "print(...)" in feedback.message


ODD_INPUTS = [
    {},
    {"a": 1},
    "cluster zero",
    "",
    b"01",
    {0, 1},
    True,
    False,
    object(),
    1j,
    float("nan"),
    pd.NA,
    [None] * 7,
    [[0], [1, 1]],
    np.array([]),
    pd.DataFrame(),
    (x for x in range(7)),
    [[[0]]] * 7,
    pd.Series([True] * 7),
    np.full((2, 2), True),
    ["a"] * 7,
    [float("inf")] * 4,
    # two groups NumPy cannot hold as one array
    ((None, []), None),
    [np.array(0), np.array(1)],
    [[0, 1], [[2, 3]]],
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("answer", ODD_INPUTS, ids=lambda a: type(a).__name__)
def test_odd_inputs_get_a_message_not_a_traceback(check, answer):
    feedback = check(answer)
    assert wrong(feedback, "")


# --- Exercise 3.1: the assignment -----------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        LABELS,
        tuple(LABELS),
        np.array(LABELS),
        np.array(LABELS, dtype=np.int32),
        np.array(LABELS, dtype=float),
        pd.Series(LABELS),
        pd.DataFrame({"cluster": LABELS}),
        pd.DataFrame([LABELS]),
        [[label] for label in LABELS],
        [str(label) for label in LABELS],
        np.argmin(((TINY[:, None, :] - TINY_CENTRES[None, :, :]) ** 2).sum(axis=2), axis=1),
    ],
    ids=[
        "list",
        "tuple",
        "array",
        "int32",
        "floats",
        "Series",
        "column",
        "row",
        "nested",
        "strings",
        "argmin",
    ],
)
def test_check_assignment_accepts_the_right_answer_in_any_form(answer):
    assert right(check_assignment(answer))


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ([1, 1, 1, 2, 2, 2, 2], "numbered from 0"),
        ([1, 1, 1, 0, 0, 0, 0], "argmin, not argmax"),
        ([0, 0, 1, 1, 1, 1, 1], "customers [2]"),
        ([0, 1, 1, 1, 1, 0, 1], "customers [1, 2, 5]"),
        ([0, 0, 0, 1, 1, 2, 1], "0 (nearest TINY_CENTRES[0]) or 1"),
        # .min(axis=1) instead of .argmin(axis=1): the distances, not the cluster numbers
        (NEAREST_SQUARED, "argmin its position, which is the cluster number"),
        (np.sqrt(NEAREST_SQUARED).round(2), "argmin its position"),
        ([0, 0, 0, 0.5, 1, 1, 1], "0 (nearest TINY_CENTRES[0]) or 1"),
        ([0, 1], "got 2 values"),
        (0, "got 1 value"),
        (pd.DataFrame({"a": LABELS, "b": LABELS}), "got 14 values"),
        (np.array(LABELS, dtype=bool), "True/False"),
        (pd.Series(np.array(LABELS) == 1), "True/False"),
        (True, "True/False"),
        ({"customer 0": 0}, "got dict"),
        ("the first three go to cluster 0", "got str"),
        ([0, 0, 0, "one", 1, 1, 1], "every value must be a number"),
        # the customers of each cluster instead of a cluster number per customer
        ([[0, 1, 2], [3, 4, 5, 6]], "those are the right customers of each cluster"),
        ([np.array([0, 1, 2]), np.array([3, 4, 5, 6])], "the other way round"),
        ((pd.Series([0, 1, 2]), pd.Series([3, 4, 5, 6])), "the other way round"),
        ([[0, 1], [2, 3, 4, 5, 6]], "those look like the customers of each cluster"),
        ([[0, 1, 2], [3, 4, 5]], "one per customer in order (the cluster of customer 0"),
        # cluster numbers split by cluster
        ([[0, 0, 0], [1, 1, 1, 1]], "in one flat list, not split into groups"),
        ([[0, 0, 0, 1], [1, 1, 0.5]], "in one flat list"),
        ([[0, 0], [1, 1]], "got 4 values"),
    ],
)
def test_check_assignment_says_what_is_off(answer, phrase):
    assert wrong(check_assignment(answer), phrase)


# --- Exercise 3.2: the new centres ----------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        CENTRES_FLOAT,
        CENTRES_FLOAT.tolist(),
        [[1.83, 2.17], [4.13, 5.38]],  # rounded half up
        # 4.125 lies on a half: half to even (NumPy's round, Python's round) gives 4.12;
        # 5.375 rounds to 5.38 both ways (8 is the even digit)
        [[1.83, 2.17], [4.12, 5.38]],
        [[1.833, 2.167], [4.125, 5.375]],
        np.round(CENTRES_FLOAT, 2),
        pd.DataFrame([[1.83, 2.17], [4.13, 5.38]], columns=["x", "y"]),
        [pd.Series([1.83, 2.17]), pd.Series([4.13, 5.38])],
        [["1.83", "2.17"], ["4.13", "5.38"]],
        ((1.83, 2.17), (4.13, 5.38)),
        [1.83, 2.17, 4.13, 5.38],  # the task allows the four values in the order x, y, x, y
        np.array([[1.83], [2.17], [4.13], [5.38]]),
        pd.Series([1.83, 2.17, 4.13, 5.38]),
    ],
    ids=[
        "exact",
        "exact list",
        "2 decimals",
        "2 decimals, half to even",
        "3 decimals",
        "np.round",
        "DataFrame",
        "Series rows",
        "strings",
        "tuples",
        "flat",
        "column",
        "flat Series",
    ],
)
def test_check_new_centres_accepts_the_right_answer_in_any_form(answer):
    assert right(check_new_centres(answer))


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ([[4.13, 5.38], [1.83, 2.17]], "wrong order"),
        ([[1.83, 4.13], [2.17, 5.38]], "you gave both x values first"),
        ([1.83, 4.13, 2.17, 5.38], "give x and y of cluster 0, then x and y of cluster 1"),
        ([[1.8, 2.2], [4.1, 5.4]], "if you gave 1 decimal, give 2"),
        ([["1,83", "2,17"], ["4,13", "5,38"]], "decimals with a point"),
        ([TINY.mean(axis=0)] * 2, "mean of all customers"),
        ([[1.83, 2.17], TINY.mean(axis=0)], "mean of all customers"),
        (TINY_CENTRES, "starting centres"),
        (
            [[1.83, 2.17], [4.0, 5.0]],
            "centre 1 is not the mean of its cluster (cluster 1 is customers [3, 4, 5, 6])",
        ),
        ([[1.84, 2.17], [4.13, 5.38]], "centre 0 is off in the second decimal"),
        ([[1.84, 2.17], [4.14, 5.38]], "both centres are off in the second decimal"),
        # 5.375 is 5.38 rounded half up and half to even: 5.37 is neither
        ([[1.83, 2.17], [4.13, 5.37]], "centre 1 is off in the second decimal"),
        ([[1.83, 2.17], [4.12, 5.37]], "centre 1 is off in the second decimal"),
        ([[1.83, 2.16], [4.13, 5.38]], "centre 0 is off in the second decimal"),
        ([[1.83, 2.33], [4.13, 5.38]], "centre 0 is not the mean"),  # customer 2 at (3, 4)
        # customer 2 put in cluster 1
        (
            [[1.25, 1.5], [3.9, 5.0]],
            (
                "neither centre is the mean of its cluster (cluster 0 is customers [0, 1, 2]; "
                "cluster 1 is customers [3, 4, 5, 6])"
            ),
        ),
        ([1.83, 2.17], "got 2 values"),
        (np.zeros((3, 2)), "got 6 values"),
        (np.full((2, 2), True), "True/False"),
        ({"centre 0": [1.83, 2.17]}, "got dict"),
        ("about 1.8 and 4.1", "got str"),
        ([["a", "b"], ["c", "d"]], "every value must be a number"),
    ],
)
def test_check_new_centres_says_what_is_off(answer, phrase):
    assert wrong(check_new_centres(answer), phrase)


# --- Exercise 3.3: J ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        float(J),
        10.71,
        10.708,
        10.7083,
        "10.71",
        " 10.71 ",
        np.float64(10.71),
        [10.71],
        np.array([[10.71]]),
        pd.Series([10.71]),
        pd.DataFrame({"J": [10.71]}),
        Fraction(257, 24),
        ((TINY - np.round(CENTRES_FLOAT, 2)[LABELS]) ** 2).sum(),
    ],
    ids=[
        "exact",
        "2 decimals",
        "3 decimals",
        "4 decimals",
        "string",
        "spaced string",
        "float64",
        "list",
        "array",
        "Series",
        "DataFrame",
        "Fraction",
        "from rounded centres",
    ],
)
def test_check_objective_accepts_the_right_answer_in_any_form(answer):
    assert right(check_objective(answer))


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (float(J_OLD_CENTRES), "J for the old centres"),
        (round(DISTANCES.sum(), 2), "sums distances"),
        (round(float(J) / 7, 2), "mean of the squared distances"),
        # .mean() over the 7 x 2 table of squared differences
        (float(J) / 14, "mean of the 14 squared differences"),
        (round(float(J) / 14, 3), "J is their sum: use .sum()"),
        (round(float(J) / 14, 2), "mean of the 14 squared differences"),
        (round(float(J_CLUSTER_0), 2), "cluster 0 alone"),
        (round(float(J_CLUSTER_1), 2), "cluster 1 alone"),
        (10.7, "if you gave 1 decimal, give 2"),
        # 10.70 is the same number as 10.7: the message must fit a student who gave 2 decimals
        ("10.70", "if you gave 2, keep 3 decimals along the way"),
        # each customer's squared distance rounded to 2 decimals first adds up to 10.72
        (10.72, "off in the second decimal: keep 3 decimals along the way"),
        ("10,71", "write decimals with a point"),  # a decimal comma, not 1071
        ("10,708", "write decimals with a point"),
        ((10, 71), "Python reads 10,71 as two numbers"),  # J = 10,71 typed without quotes
        (11, "squared distance to their own cluster's centre"),
        (-10.71, "squared distance to their own cluster's centre"),
        (True, "True/False"),
        (pd.Series([True, False]), "True/False"),
        ([10.71, 30.5], "got list of 2 values"),
        (pd.DataFrame([[1.0, 2.0], [3.0, 4.0]]), "not a table of 2 rows"),
        ({"J": 10.71}, "got dict"),
        ("ten point seven", "got str"),
    ],
)
def test_check_objective_says_what_is_off(answer, phrase):
    assert wrong(check_objective(answer), phrase)


# Worked by hand: the coordinates to 2 decimals. 11/6 = 1.8333 and 13/6 = 2.1667 have one
# rounding each; 33/8 = 4.125 lies on a half (4.12 half to even, 4.13 half up), and 43/8 =
# 5.375 too, but its two roundings agree: 5.38.
ROUNDINGS = [[{1.83}, {2.17}], [{4.12, 4.13}, {5.38}]]


@pytest.mark.parametrize(("row", "column"), [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_check_new_centres_takes_exactly_the_correct_roundings(row, column):
    exact = float(CENTRES[row][column])
    accepted = set()
    for hundredths in range(round(exact * 100) - 3, round(exact * 100) + 4):
        answer = np.round(CENTRES_FLOAT, 2)
        answer[row, column] = hundredths / 100
        if right(check_new_centres(answer)):
            accepted.add(hundredths / 100)
    assert accepted == ROUNDINGS[row][column]


def test_the_right_messages_give_the_exact_values():
    assert "(1.833, 2.167) and (4.125, 5.375)" in check_new_centres(CENTRES_FLOAT).message
    assert "J = 10.708, down from 30.500" in check_objective(10.71).message
