"""Notebook 4's exercise checks, by table: right answers in each natural form, typical wrong
answers, odd inputs, and the message each gets.

The table of J and silhouettes here is made up, so that the guides disagree (J bends most
sharply at k = 2, the silhouette is highest at k = 3) and each reason can be told apart. The
course's own table, where both guides say k = 2 and the business says k = 3, gets a table of
right and of wrong phrasings (notebook 4's own among the right ones), and shortened copies of
it test what a table too short to have an elbow or a silhouette gets."""

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
        (3.0, "Silhouette", "right", "It also gives the 3 segments the business asked for"),
        (" 3 ", BUSINESS, "right", "k = 3 gives it 3 segments, one for each treatment"),
        (np.float64(3.0), "The wholesaler wants 3 grades", "right", "business asked for"),
        (3, "big, medium and small customers", "right", "at a price: J bends most sharply at k = 2"),
        (3, "business", "right", "at a price: J bends most sharply at k = 2"),
        (2, "elbow", "right", "J bends most sharply at k = 2"),
        (3, ["the silhouette", "the business"], "right", "business asked for"),
        (3, "业务需要大中小三类客户", "right", "business asked for"),
        (pd.Series([3]), "silhouette", "right", "silhouette is highest at k = 3"),
        # one reason that holds and one that does not: half right is not right
        (3, "the elbow and the silhouette", "wrong",
         "half right: the silhouette is highest at k = 3 (0.500), but the table shows J bends "
         "most sharply at k = 2: keep only the reason that holds"),
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
        (3, 3, "wrong", 'write the reason as text in quotes, such as reason = "elbow"; got int 3'),
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


#: Reasons a student may give on the course's table, where both guides say k = 2 and the
#: business says k = 3; the phrasings of notebook 4's own text are among them (marked).
RIGHT_REASONS = [
    (2, "elbow"), (2, "Silhouette"),
    (2, "the elbow and the silhouette both point to 2"),          # the solution
    (2, "Both guides point to k = 2"),                            # cell "Both guides ..."
    (2, "J bends most sharply there"),                            # same cell
    (2, "the silhouette is highest there"),                       # same cell
    (2, "following the guides"),                                  # "following the guides, k = 2"
    (2, "here both say k = 2"),                                   # key takeaways
    (2, "clusters are best separated at 2"),
    (2, "the biggest drop in J"),
    (2, "J flattens after 2"),
    (2, "the silhouette is highest at 2, not 3"),
    (2, "the silhouette is highest at 2 rather than 3"),
    (2, "the elbow, although the business wants 3"),              # a concession is no claim
    (2, "J bends most sharply at k = 2 and the silhouette is highest at k = 2 (0.290)"),
    (2, "the curves agree on 2"),
    (2, "肘部在2"),
    (3, "business"), (3, "Business"),
    (3, "the business asked for three grades: large, medium and small customers"),  # solution
    (3, "the business decides"),                                  # "The business decides"
    (3, "three segments for three treatments"),                   # cell "Gained with k = 3"
    (3, "the business asked for three grades"),                   # "three grades"
    (3, "the key accounts the business wants to find"),           # cell "Gained with k = 3"
    (3, "the sales team grades its customers as large, medium and small"),   # cell 4's words
    (3, "here three grades"),                                     # key takeaways
    (3, "the company wants three tiers of customers"),
    (3, "the client wants 3 groups"),
    (3, "the scenario of notebook 1"),
    (3, "big, medium and small customers"),
    (3, "the guides say 2, but the business wants 3"),
    (3, "although the elbow is at 2, the business asked for three grades"),
    (3, "the elbow says 2 and the silhouette says 2; the business needs 3"),
    (3, "the business wants 3 and not 2"),
    (3, "the elbow doesn't point to 3 but the business does"),
    (3, "业务需要大中小三类客户"),
]

WRONG_REASONS = [
    # (k, reason, a key phrase of the message)
    (3, "I asked my teacher", "say why k = 3"),                 # "ask" is no business need
    (3, "the business does not matter to me", "say why k = 3"),
    (3, "I ignore the business", "say why k = 3"),
    (2, "the business doesn't matter, I like 2", "say why k = 2"),
    (2, "the elbow is not clear", "say why k = 2"),
    (2, "k = 2 is simpler", "say why k = 2"),
    (2, "because", "say why k = 2"),
    (2, "the silhouette is lowest at 2", "choose the highest, not the lowest (k = 10 here)"),
    (3, "the smallest silhouette", "a higher silhouette means better separated segments"),
    (10, "lowest J", "J always falls as k grows"),
    (5, "J is lowest at 5", "lowest at the largest k tried (k = 10 here)"),
    (3, "the lowest inertia", "J always falls as k grows"),
    (2, "not the elbow, and the business wants 3",
     "the business asked for 3 grades (large, medium, small), which means k = 3"),
    (2, "the business", "which means k = 3"),
    (4, "the company wants four tiers", "which means k = 3"),
    (3, "the elbow", "J bends most sharply at k = 2"),
    (3, "the elbow says 3", "J bends most sharply at k = 2"),
    (3, "the silhouette is highest",
     "the silhouette is highest at k = 2 (0.290, against 0.259 at k = 3)"),
    (3, "both guides point to 3", "J bends most sharply at k = 2; and the table shows the sil"),
    (3, "the elbow and the business", "half right: the business asked for 3 grades"),
    (4, "the elbow and the silhouette", "(0.290, against 0.188 at k = 4)"),
]


def test_the_tables_of_reasons_are_long_enough():
    assert len(RIGHT_REASONS) >= 15 and len(WRONG_REASONS) >= 15


@pytest.mark.parametrize(("k", "reason"), RIGHT_REASONS)
def test_check_k_choice_accepts_each_right_reason(course_table, k, reason):
    feedback = check_k_choice(k, reason, course_table)
    assert verdict(feedback) == "right", feedback
    if k == 3:
        assert "one for each treatment, at a price" in feedback.message
        assert "large, medium and small customers" not in feedback.message   # see notebook 4
    else:
        assert "The business asked for 3 grades, though" in feedback.message


@pytest.mark.parametrize(("k", "reason", "phrase"), WRONG_REASONS)
def test_check_k_choice_rejects_each_wrong_reason(course_table, k, reason, phrase):
    feedback = check_k_choice(k, reason, course_table)
    assert verdict(feedback) == "wrong", feedback
    assert phrase in feedback.message, feedback


@pytest.mark.parametrize(
    ("table", "k", "reason", "expected", "phrase"),
    [
        # no silhouette at all: every value missing, or k = 1 alone
        (lambda t: t.assign(silhouette=np.nan), 2, "silhouette", "wrong",
         "the table is too short to check that: the table has no silhouette"),
        (lambda t: t.head(1), 2, "the elbow", "wrong",
         "an elbow needs J for at least three values of k in a row; the table has it for k = 1"),
        # two rows: a silhouette (k = 2) but no elbow, which needs three points in a row
        (lambda t: t.head(2), 2, "elbow", "wrong", "the table has it for k = 1, 2. Make it with "
                                                   "scan_k(X, range(1, 11))"),
        (lambda t: t.head(2), 2, "silhouette", "right", "silhouette is highest at k = 2"),
        # the business needs no table; the price is left out when the table cannot tell it
        (lambda t: t.head(1), 3, "business", "right", "one for each treatment."),
        (lambda t: t.assign(silhouette=np.nan), 3, "business", "right",
         "at a price: J bends most sharply at k = 2."),
        # rows out of order, or k = 1..10 with gaps: read by k, and a gap has no elbow
        (lambda t: t.sort_values("J"), 2, "elbow", "right", "J bends most sharply at k = 2"),
        (lambda t: t.iloc[[0, 1, 4, 9]], 2, "elbow", "wrong", "k = 1, 2, 5, 10"),
    ],
)
def test_check_k_choice_on_tables_too_short_to_tell(course_table, table, k, reason, expected,
                                                     phrase):
    feedback = check_k_choice(k, reason, table(course_table))
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
        # .argmax() gives a position, not a name
        (np.int64(0), "wrong", "0 is a position, not a name (.argmax() gives positions"),
        (0, "wrong", ".idxmax() gives the column's name"),
        ("2", "wrong", "2 is a position, not a name"),
        (np.array([0]), "wrong", "0 is a position"),
        (6, "wrong", "got int 6"),                     # no column has position 6
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
