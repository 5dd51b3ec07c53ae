"""Notebook 4's exercise checks, by table: right answers in each natural form, typical wrong
answers, odd inputs, and the message each gets.

The table of J and silhouettes here is made up, so that the guides disagree (J bends most
sharply at k = 2, the silhouette is highest at k = 3) and each reason can be told apart; one
test reads the course's own table, where both guides say k = 2."""

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler

from segmentation.data import load_customers
from segmentation.exercises import check_dominant_feature, check_k_choice
from segmentation.features import log_spending, spending
from segmentation.selection import scan_k

#: Worked by hand: the second difference of J is largest at k = 2 (60 - 10 = 50), and the
#: silhouette peaks at k = 3 (0.5).
TABLE = pd.DataFrame({"k": [1, 2, 3, 4, 5], "J": [100.0, 40, 30, 25, 22],
                      "silhouette": [np.nan, 0.3, 0.5, 0.4, 0.2]})

BUSINESS = "the business asked for large, medium and small customers"


def verdict(feedback):
    """'right', 'wrong' or 'unanswered', read from what the student sees."""
    shown = repr(feedback)
    if shown.startswith("✅ Right."):
        assert feedback and feedback.answered
        return "right"
    if shown.startswith("❌ Not yet:"):
        assert not feedback and feedback.answered
        return "wrong"
    assert shown.startswith("… Not answered yet") and not feedback and not feedback.answered
    return "unanswered"


# --- Exercise 4.1: a k and its reason -------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "reason", "expected", "phrase"),
    [
        # right: each reason at the k it supports, k in every natural form
        (2, "the elbow", "right", "J bends most sharply at k = 2"),
        (np.int64(2), "J bends most sharply there", "right", "J bends most sharply at k = 2"),
        ("2", "Elbow of the J curve", "right", "The business asked for 3 grades, though"),
        (3, "the silhouette is highest", "right", "silhouette is highest at k = 3 (0.500)"),
        (3.0, "Silhouette", "right", "It also gives the 3 grades"),
        (" 3 ", BUSINESS, "right", "gives the grades the business asked for"),
        (np.float64(3.0), "The wholesaler wants 3 grades", "right", "the business asked for"),
        (3, "big, medium and small customers", "right", "at a price: J bends most sharply at k = 2"),
        (3, ["the silhouette", "the business"], "right", "business asked for"),
        (3, "业务需要大中小三类客户", "right", "business asked for"),
        (pd.Series([3]), "silhouette", "right", "silhouette is highest at k = 3"),
        # right k for one reason the student named, with a note on the other
        (3, "the elbow and the silhouette", "right", "Note: J bends most sharply at k = 2"),
        # wrong: a k with a reason that points elsewhere; the message says what the table shows
        (3, "the elbow", "wrong", "the table shows J bends most sharply at k = 2"),
        (2, "the silhouette is highest", "wrong",
         "the silhouette is highest at k = 3 (0.500, against 0.300 at k = 2)"),
        (2, BUSINESS, "wrong", "asked for 3 grades (large, medium, small), which means k = 3"),
        (5, "silhouette", "wrong", "k = 5 does not follow from that"),
        (4, "the elbow and the silhouette", "wrong", "; and the table shows the silhouette"),
        # "largest" and "small" alone are no business reason
        (2, "the largest silhouette", "wrong", "the silhouette is highest at k = 3"),
        (3, "because", "wrong", "say why k = 3 in a few words"),
        (3, "J is small here", "wrong", "say why k = 3"),
        # odd forms of k
        (True, "elbow", "wrong", "k as a whole number, such as 4; got bool True"),
        ({"k": 3}, BUSINESS, "wrong", "got dict"),
        ([1, 2, 3], BUSINESS, "wrong", "got list of 3 values"),
        (pd.DataFrame({"k": [2, 3]}), BUSINESS, "wrong", "not a table of 2 rows"),
        ("three", BUSINESS, "wrong", "k as a whole number"),
        ("3 because of the business", ..., "wrong", "k as a whole number"),
        (3.5, "elbow", "wrong", "3.5 is not whole"),
        (0, "elbow", "wrong", "k counts segments"),
        # odd forms of the reason
        (3, 3, "wrong", 'write the reason as text in quotes, such as reason = "..."; got int 3'),
        (3, {"why": "business"}, "wrong", "write the reason as text"),
        (3, pd.DataFrame({"why": ["business"]}), "wrong", "write the reason as text"),
        # unanswered
        (..., ..., "unanswered", "replace the ..."),
        (None, BUSINESS, "wrong", "your answer is None"),
        (3, ..., "unanswered", "now say why"),
        (2, None, "unanswered", "now say why"),
    ],
)
def test_check_k_choice(k, reason, expected, phrase):
    feedback = check_k_choice(k, reason, TABLE)
    assert verdict(feedback) == expected, feedback
    assert phrase in feedback.message, feedback


@pytest.mark.parametrize(
    "answer", [(3, BUSINESS), [2, "the elbow"], ("3", "the silhouette")])
def test_check_k_choice_takes_k_and_reason_together(answer):
    assert verdict(check_k_choice(answer, ..., TABLE)) == "right"
    assert verdict(check_k_choice(answer, table=TABLE)) == "right"


@pytest.mark.parametrize("table", [None, "table", TABLE[["k", "J"]], TABLE.to_dict()])
def test_check_k_choice_asks_for_the_table(table):
    feedback = check_k_choice(3, BUSINESS, table)
    assert verdict(feedback) == "wrong" and "check_k_choice(k, reason, table)" in feedback.message


@pytest.fixture(scope="module")
def course_table():
    X = StandardScaler().fit_transform(log_spending(load_customers()))
    return scan_k(X, range(1, 11), random_state=0, n_init=10)


@pytest.mark.parametrize(
    ("k", "reason", "expected", "phrase"),
    [
        (2, "the elbow and the silhouette both point to 2", "right",
         "J bends most sharply at k = 2 and the silhouette is highest at k = 2 (0.290)"),
        (3, "the business asked for three grades: large, medium and small customers", "right",
         "at a price: J bends most sharply at k = 2 and the silhouette is highest at k = 2 "
         "(0.290, against 0.259 at k = 3)"),
        (3, "because the silhouette is highest", "wrong",
         "the table shows the silhouette is highest at k = 2 (0.290, against 0.259 at k = 3)"),
        (3, "the elbow", "wrong", "the table shows J bends most sharply at k = 2"),
    ],
)
def test_check_k_choice_on_the_course_table(course_table, k, reason, expected, phrase):
    """On the course's data both guides say k = 2 and the business says k = 3 (notebook 4's
    stored table, read by hand: silhouettes 0.290 at k = 2 and 0.259 at k = 3)."""
    feedback = check_k_choice(k, reason, course_table)
    assert verdict(feedback) == expected, feedback
    assert phrase in feedback.message, feedback


# --- Exercise 4.2: the column that weighs most in raw distances -----------------------------


def test_fresh_holds_about_45_percent_of_the_raw_variance():
    """The figure the check quotes, by a second route: the mean squared distance over all
    pairs of customers, and Fresh's part of it."""
    raw = spending(load_customers()).to_numpy()
    pair_sq = (raw[:, None, :] - raw[None, :, :]) ** 2      # 440 x 440 x 6
    per_column = pair_sq.sum(axis=(0, 1))
    assert round(100 * per_column[0] / per_column.sum()) == 45
    assert per_column.argmax() == 0                            # Fresh


@pytest.mark.parametrize(
    ("answer", "expected", "phrase"),
    [
        ("Fresh", "right", "standard deviation 12,647 m.u.) and 45% of the raw variance"),
        ("fresh", "right", "weighs most unless the features are scaled"),
        ("  FRESH ", "right", "45% of the squared distance between two customers"),
        (np.str_("Fresh"), "right", "largest spread"),
        (["Fresh"], "right", "largest spread"),
        (pd.Index(["Fresh"]), "right", "largest spread"),
        (pd.Series(["Fresh"]), "right", "largest spread"),
        ("Milk", "wrong", "Milk has standard deviation 7,380 m.u. (15% of the raw variance); "
                          "another column spreads wider"),
        ("grocery", "wrong", "Grocery has standard deviation 9,503 m.u."),
        ("Delicatessen", "wrong", "Delicassen has standard deviation 2,820 m.u."),
        ("detergents paper", "wrong", "Detergents_Paper has standard deviation"),
        ("Detergents-Paper", "wrong", "Detergents_Paper has standard deviation"),
        ("Channel", "wrong", "one of Fresh, Milk, Grocery"),
        ("the one with the largest spread", "wrong", "name of one spending column"),
        (["Fresh", "Milk", "Grocery"], "wrong", "got list of 3 values"),
        ({"Fresh": 1}, "wrong", "got dict"),
        (True, "wrong", "got bool True"),
        (12647, "wrong", "got int 12647"),
        (pd.DataFrame({"column": ["Fresh", "Milk"]}), "wrong", "a table of 2 rows"),
        (None, "wrong", "your answer is None"),
        (..., "unanswered", "replace the ..."),
    ],
)
def test_check_dominant_feature(answer, expected, phrase):
    feedback = check_dominant_feature(answer)
    assert verdict(feedback) == expected, feedback
    assert phrase in feedback.message, feedback


def test_check_dominant_feature_explains_a_series_of_spreads():
    """The spread of every column, not yet reduced to the name of the largest."""
    feedback = check_dominant_feature(spending(load_customers()).std())
    assert verdict(feedback) == "wrong" and ".idxmax()" in feedback.message
